"""Okta unreachable (DESIGN §6, §7): connection refused, 5xx and 429 after
the retries, answers slower than `timeout` — with failmode=secure and =safe.

    call            secure                  safe
    authenticate    PAM_AUTHINFO_UNAVAIL    PAM_IGNORE
    acct_mgmt       PAM_AUTHINFO_UNAVAIL    PAM_IGNORE
    open_session    PAM_SESSION_ERR         PAM_IGNORE
    close_session   PAM_SESSION_ERR         PAM_SESSION_ERR
"""

import re
import unittest

from harness import PamTestCase, REFRESH_PATH, SESSION_PATH, SESSION_VAR, closed_port_url

EXPECTED = {
    "authenticate": {"secure": "PAM_AUTHINFO_UNAVAIL", "safe": "PAM_IGNORE"},
    "acct_mgmt": {"secure": "PAM_AUTHINFO_UNAVAIL", "safe": "PAM_IGNORE"},
    "open_session": {"secure": "PAM_SESSION_ERR", "safe": "PAM_IGNORE"},
    "close_session": {"secure": "PAM_SESSION_ERR", "safe": "PAM_SESSION_ERR"},
}
# Small budgets keep these tests fast; 2 retries is the default.
FAST = {"timeout": "3", "connect_timeout": "1", "retries": "2"}
MODES = ("secure", "safe")

# How to reach each later call after a good authenticate, and its request.
LATER = {
    "acct_mgmt": ("authenticate acct_mgmt", "GET", SESSION_PATH),
    "open_session": ("authenticate open_session", "POST", REFRESH_PATH),
    "close_session": ("authenticate open_session close_session", "DELETE", SESSION_PATH),
}


class UnreachableAuthenticate:
    """authenticate, whose first request carries the credential."""

    @property
    def credential_path(self):
        return "/api/v1/authn" if self.token_source == "authn" else "/api/v1/sessions"

    def authenticate(self, mode, **conf):
        conf = dict(FAST, failmode=mode, **conf)
        return self.run("authenticate acct_mgmt open_session close_session",
                        answers=self.credentials(), conf=conf)

    def assertUnavailable(self, r, mode):
        self.assertRc(r, "authenticate", EXPECTED["authenticate"][mode])
        self.assertFalse(r.call("authenticate")["pam_env_has_session_id"])
        # Nothing to act on afterwards.
        for step in ("acct_mgmt", "open_session", "close_session"):
            self.assertRc(r, step, "PAM_IGNORE")

    def test_connection_refused(self):
        for mode in MODES:
            with self.subTest(failmode=mode):
                r = self.authenticate(mode, org_url=closed_port_url())
                self.assertUnavailable(r, mode)
                self.assertNoRequests(r)
                self.assertLess(r.call("authenticate")["ms"], 4500)

    def test_server_error_on_the_credential_is_not_retried(self):
        for mode in MODES:
            with self.subTest(failmode=mode):
                self.fake.inject("POST", self.credential_path, status=503, count=None)
                r = self.authenticate(mode)
                self.fake.clear_faults()
                self.assertUnavailable(r, mode)
                self.assertRequests(r, [("POST", self.credential_path, 503)])
                self.assertLogged(r, user="alice", http="503")

    def test_internal_error_on_the_credential_is_not_retried(self):
        self.fake.inject("POST", self.credential_path, status=500, count=None)
        r = self.authenticate("secure")
        self.assertUnavailable(r, "secure")
        self.assertRequests(r, [("POST", self.credential_path, 500)])

    def test_rate_limited_after_retries(self):
        for mode in MODES:
            with self.subTest(failmode=mode):
                self.fake.inject_rate_limit("POST", self.credential_path, reset_in=0,
                                            count=None, duplicate_reset=False)
                r = self.authenticate(mode)
                self.fake.clear_faults()
                self.assertUnavailable(r, mode)
                self.assertRequests(r, [("POST", self.credential_path, 429)] * 3)

    def test_answer_slower_than_timeout(self):
        for mode in MODES:
            with self.subTest(failmode=mode):
                self.fake.inject("POST", self.credential_path, delay=4, count=None)
                r = self.authenticate(mode, timeout="1")
                self.fake.clear_faults()
                self.assertUnavailable(r, mode)
                self.assertRequests(r, [("POST", self.credential_path, None)])
                self.assertLess(r.call("authenticate")["ms"], 2500)


class UnreachableAuthenticateAuthn(UnreachableAuthenticate, PamTestCase):
    token_source = "authn"

    def test_create_after_good_password_unreachable_is_not_retried(self):
        self.fake.inject("POST", "/api/v1/sessions", status=503, count=None)
        r = self.authenticate("secure")
        self.assertUnavailable(r, "secure")
        self.assertRequests(r, [("POST", "/api/v1/authn", 200), ("POST", "/api/v1/sessions", 503)])


class UnreachableAuthenticatePrompt(UnreachableAuthenticate, PamTestCase):
    token_source = "prompt"


class UnreachableLaterCalls(PamTestCase):
    """acct_mgmt, open_session and close_session after a good authenticate."""

    def fail_later(self, step, mode, timeout=FAST["timeout"], **fault):
        steps, method, path = LATER[step]
        self.fake.inject(method, path, count=None, **fault)
        try:
            r = self.run(steps, answers=self.credentials(),
                         conf=dict(FAST, failmode=mode, timeout=timeout))
        finally:
            self.fake.clear_faults()
        self.assertRc(r, "authenticate", "PAM_SUCCESS")
        self.assertRc(r, step, EXPECTED[step][mode])
        return r, self.tries(r, method, path)

    @staticmethod
    def tries(r, method, path):
        return [q for q in r.requests if q.method == method and re.fullmatch(path, q.path)]

    def test_server_errors_after_retries(self):
        for step in LATER:
            for mode in MODES:
                with self.subTest(step=step, failmode=mode):
                    r, tries = self.fail_later(step, mode, status=503)
                    self.assertEqual([q.status for q in tries], [503] * 3, r.describe())
                    self.assertLogged(r, user="alice", http="503")

    def test_rate_limited_after_retries(self):
        for step in LATER:
            for mode in MODES:
                with self.subTest(step=step, failmode=mode):
                    steps, method, path = LATER[step]
                    self.fake.inject_rate_limit(method, path, reset_in=0, count=None,
                                                duplicate_reset=False)
                    try:
                        r = self.run(steps, answers=self.credentials(),
                                     conf=dict(FAST, failmode=mode))
                    finally:
                        self.fake.clear_faults()
                    self.assertRc(r, step, EXPECTED[step][mode])
                    tries = self.tries(r, method, path)
                    self.assertEqual([q.status for q in tries], [429] * 3, r.describe())

    def test_answer_slower_than_timeout(self):
        for step in LATER:
            for mode in MODES:
                with self.subTest(step=step, failmode=mode):
                    r, _tries = self.fail_later(step, mode, delay=4, timeout="1")
                    self.assertLess(r.call(step)["ms"], 2500)

    def test_connection_refused(self):
        for step in LATER:
            for mode in MODES:
                with self.subTest(step=step, failmode=mode):
                    sid = self.create_session("alice")
                    r = self.run(["putenv:%s=%s" % (SESSION_VAR, sid), step],
                                 conf=dict(FAST, failmode=mode, org_url=closed_port_url()))
                    self.assertRc(r, step, EXPECTED[step][mode])
                    self.assertLess(r.call(step)["ms"], 4500)

    def test_open_and_close_release_connections_even_when_unreachable(self):
        self.fake.inject("POST", REFRESH_PATH, status=503, count=None)
        self.fake.inject("DELETE", SESSION_PATH, status=503, count=None)
        r = self.run("authenticate open_session close_session", answers=self.credentials(),
                     conf=FAST)
        self.assertNoNewFds(r, "open_session")
        self.assertNoNewFds(r, "close_session")


class Retries(PamTestCase):
    """DESIGN §6: what is retried, how often, how long it waits."""

    def test_get_503_then_200_succeeds_with_two_requests(self):
        self.fake.inject("GET", SESSION_PATH, status=503)
        r = self.run("authenticate acct_mgmt", answers=self.credentials())
        self.assertRc(r, "acct_mgmt", "PAM_SUCCESS")
        self.assertRequests(r, self.auth_requests() + [("GET", SESSION_PATH, 503),
                                                       ("GET", SESSION_PATH, 200)])

    def test_refresh_503_then_200_succeeds(self):
        self.fake.inject("POST", REFRESH_PATH, status=503)
        r = self.run("authenticate open_session", answers=self.credentials())
        self.assertRc(r, "open_session", "PAM_SUCCESS")
        self.assertRequests(r, self.auth_requests() + [("POST", REFRESH_PATH, 503),
                                                       ("POST", REFRESH_PATH, 200)])

    def test_delete_503_then_204_succeeds(self):
        self.fake.inject("DELETE", SESSION_PATH, status=503)
        r = self.run("authenticate open_session close_session", answers=self.credentials())
        self.assertRc(r, "close_session", "PAM_SUCCESS")
        self.assertEqual([q.status for q in r.requests if q.method == "DELETE"], [503, 204])

    def test_get_retried_after_a_dropped_connection(self):
        self.fake.inject("GET", SESSION_PATH, drop=True)
        r = self.run("authenticate acct_mgmt", answers=self.credentials())
        self.assertRc(r, "acct_mgmt", "PAM_SUCCESS")
        self.assertEqual(len([q for q in r.requests if q.method == "GET"]), 2)

    def test_429_waits_for_the_smallest_rate_limit_reset(self):
        # Two X-Rate-Limit-Reset headers: now+1 and now+61 (REFERENCE §7).
        self.fake.inject_rate_limit("GET", SESSION_PATH, reset_in=1, duplicate_reset=True)
        r = self.run("authenticate acct_mgmt", answers=self.credentials())
        self.assertRc(r, "acct_mgmt", "PAM_SUCCESS")
        gets = [q for q in r.requests if q.method == "GET"]
        self.assertEqual([q.status for q in gets], [429, 200])
        waited = gets[1].time - gets[0].time
        self.assertGreaterEqual(waited, 0.7, "did not wait for X-Rate-Limit-Reset")
        self.assertLess(waited, 3.0)

    def test_429_on_authn_is_retried(self):
        self.fake.inject_rate_limit("POST", "/api/v1/authn", reset_in=1)
        r = self.run("authenticate", answers=self.credentials())
        self.assertRc(r, "authenticate", "PAM_SUCCESS")
        self.assertRequests(r, [("POST", "/api/v1/authn", 429), ("POST", "/api/v1/authn", 200),
                                ("POST", "/api/v1/sessions", 200)])

    def test_429_on_create_is_retried(self):
        self.fake.inject_rate_limit("POST", "/api/v1/sessions", reset_in=1)
        r = self.run("authenticate", answers=self.credentials())
        self.assertRc(r, "authenticate", "PAM_SUCCESS")
        self.assertEqual([q.status for q in r.requests], [200, 429, 200])

    def test_password_is_not_replayed_after_a_500(self):
        self.fake.inject("POST", "/api/v1/authn", status=500)
        r = self.run("authenticate", answers=self.credentials())
        self.assertRc(r, "authenticate", "PAM_AUTHINFO_UNAVAIL")
        self.assertRequests(r, [("POST", "/api/v1/authn", 500)])

    def test_password_is_not_replayed_after_a_dropped_connection(self):
        self.fake.inject("POST", "/api/v1/authn", drop=True)
        r = self.run("authenticate", answers=self.credentials())
        self.assertRc(r, "authenticate", "PAM_AUTHINFO_UNAVAIL")
        self.assertRequests(r, [("POST", "/api/v1/authn", None)])

    def test_session_token_is_not_replayed_after_a_500(self):
        self.fake.inject("POST", "/api/v1/sessions", status=500)
        r = self.run("authenticate", answers=self.credentials())
        self.assertRc(r, "authenticate", "PAM_AUTHINFO_UNAVAIL")
        self.assertRequests(r, [("POST", "/api/v1/authn", 200), ("POST", "/api/v1/sessions", 500)])

    def test_retries_zero_makes_one_attempt(self):
        self.fake.inject("GET", SESSION_PATH, status=503)
        r = self.run("authenticate acct_mgmt", answers=self.credentials(), conf={"retries": "0"})
        self.assertRc(r, "acct_mgmt", "PAM_AUTHINFO_UNAVAIL")
        self.assertEqual([q.status for q in r.requests if q.method == "GET"], [503])

    def test_timeout_bounds_all_retries_of_one_call(self):
        self.fake.inject("GET", SESSION_PATH, status=503, delay=0.9, count=None)
        r = self.run("authenticate acct_mgmt", answers=self.credentials(),
                     conf={"timeout": "2", "connect_timeout": "1", "retries": "2"})
        self.assertRc(r, "acct_mgmt", "PAM_AUTHINFO_UNAVAIL")
        self.assertLess(r.call("acct_mgmt")["ms"], 3000)

    def test_low_rate_limit_remaining_is_logged_as_a_warning(self):
        self.fake.inject("GET", SESSION_PATH, headers=[("X-Rate-Limit-Limit", "600"),
                                                       ("X-Rate-Limit-Remaining", "12")])
        r = self.run("authenticate acct_mgmt", answers=self.credentials())
        self.assertRc(r, "acct_mgmt", "PAM_SUCCESS")
        warnings = [line for line in r.module_log if line.severity <= 4]
        self.assertTrue(warnings, "no warning about the rate limit\n" + r.describe())

    def test_plenty_of_rate_limit_left_is_not_a_warning(self):
        r = self.run("authenticate acct_mgmt", answers=self.credentials())
        self.assertEqual([line for line in r.module_log if line.severity <= 4], [])


if __name__ == "__main__":
    unittest.main()
