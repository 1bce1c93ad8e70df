"""The administrator must act (DESIGN §7): the API token is rejected (401
E0000011 on any call, 401/403 on get/refresh/end) or the create endpoint is
gone (404/405). Every call answers PAM_SERVICE_ERR, logged at LOG_CRIT."""

import unittest

from harness import (PamTestCase, LOG_AUTHPRIV, LOG_CRIT, REFRESH_PATH, SESSION_PATH,
                     SESSION_VAR)

LATER = {
    "acct_mgmt": ("authenticate acct_mgmt", "GET", SESSION_PATH),
    "open_session": ("authenticate open_session", "POST", REFRESH_PATH),
    "close_session": ("authenticate open_session close_session", "DELETE", SESSION_PATH),
}


class ServiceErrors:
    @property
    def credential_path(self):
        return "/api/v1/authn" if self.token_source == "authn" else "/api/v1/sessions"

    def assertCritical(self, r, http, code):
        line = self.assertLogged(r, severity=LOG_CRIT, http=http, code=code)
        self.assertEqual(line.priority, LOG_AUTHPRIV | LOG_CRIT)

    def test_rejected_api_token_on_authenticate(self):
        self.write_private(self.api_token_file, "00wrongWrongWrongWrongWrongWrong12345678\n")
        r = self.run("authenticate", answers=self.credentials(), conf={"failmode": "safe"})
        self.assertRc(r, "authenticate", "PAM_SERVICE_ERR")
        expected = [("POST", self.credential_path, 401)]
        if self.token_source == "prompt":
            # A 401 on create is the API token's only once users/me says so.
            expected.append(("GET", "/api/v1/users/me", 401))
        self.assertRequests(r, expected)
        self.assertCritical(r, "401", "E0000011")

    def test_create_endpoint_gone(self):
        for status in (404, 405):
            with self.subTest(status=status):
                self.fake.inject("POST", "/api/v1/sessions", status=status)
                r = self.run("authenticate", answers=self.credentials(),
                             conf={"failmode": "safe"})
                self.assertRc(r, "authenticate", "PAM_SERVICE_ERR")
                self.assertEqual(r.requests[-1].status, status)
                self.assertCritical(r, str(status), "E0000007" if status == 404 else "E0000022")

    def test_rejected_api_token_on_later_calls(self):
        for step, (steps, method, path) in LATER.items():
            for status in (401, 403):
                with self.subTest(step=step, status=status):
                    self.fake.inject(method, path, status=status)
                    r = self.run(steps, answers=self.credentials(), conf={"failmode": "safe"})
                    self.assertRc(r, "authenticate", "PAM_SUCCESS")
                    self.assertRc(r, step, "PAM_SERVICE_ERR")
                    self.assertLogged(r, severity=LOG_CRIT, http=str(status))

    def test_rejected_api_token_with_a_handed_off_session(self):
        sid = self.create_session("alice")
        self.write_private(self.api_token_file, "00wrongWrongWrongWrongWrongWrong12345678\n")
        for step in ("acct_mgmt", "open_session", "close_session"):
            with self.subTest(step=step):
                r = self.run(["putenv:%s=%s" % (SESSION_VAR, sid), step])
                self.assertRc(r, step, "PAM_SERVICE_ERR")
                self.assertCritical(r, "401", "E0000011")

    def test_api_token_is_never_logged(self):
        self.write_private(self.api_token_file, "00wrongWrongWrongWrongWrongWrong12345678\n")
        self.secrets.add("00wrongWrongWrongWrongWrongWrong12345678")
        r = self.run("authenticate", answers=self.credentials(), conf={"debug": "yes"})
        self.assertNoSecretsLogged(r)


class ServiceErrorsAuthn(ServiceErrors, PamTestCase):
    token_source = "authn"


class ServiceErrorsPrompt(ServiceErrors, PamTestCase):
    token_source = "prompt"


if __name__ == "__main__":
    unittest.main()
