"""Hostile or broken answers (DESIGN §6, §7): an untrusted certificate, a
redirect, a malformed, oversized or incomplete body. They deny — never
failmode's PAM_IGNORE, even with failmode=safe: an attacker on the path
must not open the door.

    authenticate PAM_AUTH_ERR, acct_mgmt PAM_PERM_DENIED,
    open_session PAM_SESSION_ERR, close_session PAM_SESSION_ERR
"""

import unittest

from harness import PamTestCase, REFRESH_PATH, SESSION_PATH, SESSION_VAR

DENIED = {"authenticate": "PAM_AUTH_ERR", "acct_mgmt": "PAM_PERM_DENIED",
          "open_session": "PAM_SESSION_ERR", "close_session": "PAM_SESSION_ERR"}
SAFE = {"failmode": "safe", "timeout": "3", "connect_timeout": "1"}

# How to reach each later call after a good authenticate, and its request.
LATER = {
    "acct_mgmt": ("authenticate acct_mgmt", "GET", SESSION_PATH),
    "open_session": ("authenticate open_session", "POST", REFRESH_PATH),
    "close_session": ("authenticate open_session close_session", "DELETE", SESSION_PATH),
}
REQUIRED_FIELDS = ("id", "login", "status", "expiresAt")


class HostileAuthenticate:
    """authenticate; the credential request is the first one."""

    @property
    def credential_path(self):
        return "/api/v1/authn" if self.token_source == "authn" else "/api/v1/sessions"

    def authenticate(self, **conf):
        return self.run("authenticate acct_mgmt", answers=self.credentials(),
                        conf=dict(SAFE, **conf))

    def assertDenied(self, r):
        self.assertRc(r, "authenticate", "PAM_AUTH_ERR")
        self.assertFalse(r.call("authenticate")["pam_env_has_session_id"])
        self.assertRc(r, "acct_mgmt", "PAM_IGNORE")

    def test_untrusted_certificate_gets_no_credential(self):
        failures = self.fake.tls_failures
        r = self.authenticate(ca_file=self.other_ca_file())
        self.assertDenied(r)
        self.assertNoRequests(r)
        self.assertGreater(self.fake.tls_failures, failures)

    def test_redirect_is_not_followed(self):
        self.fake.inject("POST", self.credential_path, status=302,
                         redirect=self.fake.url + "/elsewhere")
        r = self.authenticate()
        self.assertDenied(r)
        self.assertRequests(r, [("POST", self.credential_path, 302)])

    def test_malformed_body(self):
        self.fake.inject("POST", self.credential_path, malformed=True)
        r = self.authenticate()
        self.assertDenied(r)
        self.assertEqual(len(r.requests), 1)

    def test_oversized_body(self):
        self.fake.inject("POST", self.credential_path, oversized=True)
        r = self.authenticate()
        self.assertDenied(r)
        self.assertEqual(len(r.requests), 1)

    def test_created_session_missing_a_field(self):
        for field in REQUIRED_FIELDS:
            with self.subTest(missing=field):
                _sid, body = self.session_body("alice", drop=[field])
                self.fake.inject("POST", "/api/v1/sessions", body=body)
                r = self.authenticate()
                self.assertDenied(r)

    def test_created_session_with_fields_of_the_wrong_type(self):
        for field, value in (("login", 42), ("status", ["ACTIVE"]), ("id", None),
                             ("expiresAt", {"at": 1})):
            with self.subTest(field=field):
                _sid, body = self.session_body("alice", **{field: value})
                self.fake.inject("POST", "/api/v1/sessions", body=body)
                r = self.authenticate()
                self.assertDenied(r)

    def test_created_session_with_an_id_unfit_for_a_url(self):
        _sid, body = self.session_body("alice", id="../../users/00u1")
        self.fake.inject("POST", "/api/v1/sessions", body=body)
        r = self.run("authenticate acct_mgmt open_session close_session",
                     answers=self.credentials(), conf=SAFE)
        self.assertRc(r, "authenticate", "PAM_AUTH_ERR")
        for q in r.requests:
            self.assertNotIn("..", q.raw_path)

    def test_non_json_error_page_is_not_unreachable(self):
        self.fake.inject("POST", self.credential_path, status=200,
                         body=b"<html>captive portal</html>")
        r = self.authenticate()
        self.assertDenied(r)


class HostileAuthenticateAuthn(HostileAuthenticate, PamTestCase):
    token_source = "authn"

    def test_success_without_a_session_token(self):
        self.fake.inject("POST", "/api/v1/authn", body={"status": "SUCCESS",
                                                        "expiresAt": "2030-01-01T00:00:00.000Z"})
        r = self.authenticate()
        self.assertDenied(r)
        self.assertRequests(r, [("POST", "/api/v1/authn", 200)])

    def test_transaction_without_a_status(self):
        self.fake.inject("POST", "/api/v1/authn", body={"sessionToken": "20111abcdefghij"})
        r = self.authenticate()
        self.assertDenied(r)


class HostileAuthenticatePrompt(HostileAuthenticate, PamTestCase):
    token_source = "prompt"


class HostileLaterCalls(PamTestCase):
    """acct_mgmt, open_session and close_session."""

    def hostile_later(self, step, **fault):
        steps, method, path = LATER[step]
        self.fake.inject(method, path, **fault)
        try:
            r = self.run(steps, answers=self.credentials(), conf=SAFE)
        finally:
            self.fake.clear_faults()
        self.assertRc(r, "authenticate", "PAM_SUCCESS")
        self.assertRc(r, step, DENIED[step])
        return r

    def test_untrusted_certificate(self):
        for step in LATER:
            with self.subTest(step=step):
                sid = self.create_session("alice")
                failures = self.fake.tls_failures
                r = self.run(["putenv:%s=%s" % (SESSION_VAR, sid), step],
                             conf=dict(SAFE, ca_file=self.other_ca_file()))
                self.assertRc(r, step, DENIED[step])
                self.assertNoRequests(r)
                self.assertGreater(self.fake.tls_failures, failures)

    def test_redirect_is_not_followed(self):
        for step in LATER:
            with self.subTest(step=step):
                r = self.hostile_later(step, status=307, redirect=self.fake.url + "/elsewhere")
                self.assertNotIn("/elsewhere", [q.path for q in r.requests])

    def test_malformed_body(self):
        for step in ("acct_mgmt", "open_session"):
            with self.subTest(step=step):
                self.hostile_later(step, malformed=True)

    def test_oversized_body(self):
        for step in ("acct_mgmt", "open_session"):
            with self.subTest(step=step):
                self.hostile_later(step, oversized=True)

    def test_session_missing_a_field(self):
        for step in ("acct_mgmt", "open_session"):
            for field in REQUIRED_FIELDS:
                with self.subTest(step=step, missing=field):
                    _sid, body = self.session_body("alice", drop=[field])
                    self.hostile_later(step, body=body)

    def test_success_status_with_an_empty_body(self):
        for step in ("acct_mgmt", "open_session"):
            with self.subTest(step=step):
                self.hostile_later(step, status=200, body=b"")

    def test_nothing_is_left_open_after_a_hostile_answer(self):
        r = self.hostile_later("open_session", oversized=True)
        self.assertNoNewFds(r, "open_session")


if __name__ == "__main__":
    unittest.main()
