"""acct_mgmt, open_session, close_session and setcred after a successful
authenticate (DESIGN §1, §7): sessions that went away, changed status or
belong to someone else, and calls with no session at all."""

import unittest

from harness import PamTestCase, REFRESH_PATH, SESSION_PATH, login_of

AUTH_ACCT = "authenticate acct_mgmt"
AUTH_OPEN = "authenticate open_session"


class SessionCalls:
    def login(self, steps, **kw):
        kw.setdefault("answers", self.credentials())
        return self.run(steps, **kw)

    def session_of(self, run):
        return self.session_ids(run)[0]

    # ---- acct_mgmt ---------------------------------------------------------

    def test_acct_mgmt_session_gone_is_perm_denied(self):
        self.fake.inject("GET", SESSION_PATH, status=404)
        r = self.login(AUTH_ACCT)
        self.assertCalls(r, [("authenticate", "PAM_SUCCESS"), ("acct_mgmt", "PAM_PERM_DENIED")])
        self.assertLogged(r, user="alice", login=login_of("alice"), http="404",
                          code="E0000007")

    def test_acct_mgmt_session_ended_elsewhere_is_perm_denied(self):
        r = self.login("authenticate pause acct_mgmt", pauses=[self.end_all_sessions])
        self.assertRc(r, "acct_mgmt", "PAM_PERM_DENIED")
        self.assertEqual(r.requests[-1].status, 404)

    def test_acct_mgmt_session_not_active_is_perm_denied(self):
        r = self.login("authenticate pause acct_mgmt",
                       pauses=[lambda: self.set_all_sessions_status("MFA_REQUIRED")])
        self.assertRc(r, "acct_mgmt", "PAM_PERM_DENIED")
        self.assertRequests(r, self.auth_requests() + [("GET", SESSION_PATH, 200)])

    def test_acct_mgmt_answer_for_another_user_is_perm_denied(self):
        _sid, bob = self.session_body("bob")
        self.fake.inject("GET", SESSION_PATH, body=bob)
        r = self.login(AUTH_ACCT)
        self.assertRc(r, "acct_mgmt", "PAM_PERM_DENIED")
        self.assertLogged(r, user="alice", login=login_of("alice"))

    def test_acct_mgmt_require_mfa_without_mfa_is_perm_denied(self):
        sid, body = self.session_body("alice", amr=["pwd"])
        self.fake.inject("GET", SESSION_PATH, body=body)
        # authenticate got a session with MFA; Okta now says it has none.
        _sid, mfa = self.session_body("alice", amr=["pwd", "otp", "mfa"])
        self.fake.inject("POST", "/api/v1/sessions", body=mfa)
        r = self.login(AUTH_ACCT, conf={"require_mfa": "yes"})
        self.assertCalls(r, [("authenticate", "PAM_SUCCESS"), ("acct_mgmt", "PAM_PERM_DENIED")])

    # ---- open_session -----------------------------------------------------

    def test_open_session_session_gone_is_session_err(self):
        self.fake.inject("POST", REFRESH_PATH, status=404)
        r = self.login(AUTH_OPEN)
        self.assertCalls(r, [("authenticate", "PAM_SUCCESS"), ("open_session", "PAM_SESSION_ERR")])
        self.assertLogged(r, user="alice", http="404", code="E0000007")
        self.assertNoNewFds(r, "open_session")

    def test_open_session_session_not_active_is_session_err(self):
        r = self.login("authenticate pause open_session",
                       pauses=[lambda: self.set_all_sessions_status("MFA_ENROLL")])
        self.assertRc(r, "open_session", "PAM_SESSION_ERR")

    def test_open_session_answer_for_another_user_is_session_err(self):
        _sid, bob = self.session_body("bob")
        self.fake.inject("POST", REFRESH_PATH, body=bob)
        r = self.login(AUTH_OPEN)
        self.assertRc(r, "open_session", "PAM_SESSION_ERR")

    def test_open_session_require_mfa_without_mfa_is_session_err(self):
        _sid, mfa = self.session_body("alice", amr=["pwd", "otp", "mfa"])
        self.fake.inject("POST", "/api/v1/sessions", body=mfa)
        _sid2, plain = self.session_body("alice", amr=["pwd"])
        self.fake.inject("POST", REFRESH_PATH, body=plain)
        r = self.login(AUTH_OPEN, conf={"require_mfa": "yes"})
        self.assertCalls(r, [("authenticate", "PAM_SUCCESS"), ("open_session", "PAM_SESSION_ERR")])

    # ---- close_session ----------------------------------------------------

    def test_close_session_already_ended_is_success(self):
        r = self.login("authenticate open_session pause close_session",
                       pauses=[self.end_all_sessions])
        self.assertRc(r, "close_session", "PAM_SUCCESS")
        self.assertEqual(r.requests[-1].method, "DELETE")
        self.assertEqual(r.requests[-1].status, 404)
        self.assertNoNewFds(r, "close_session")

    def test_close_session_404_is_success(self):
        self.fake.inject("DELETE", SESSION_PATH, status=404)
        r = self.login("authenticate open_session close_session")
        self.assertRc(r, "close_session", "PAM_SUCCESS")

    def test_close_session_ends_the_session_even_after_it_expired_in_okta(self):
        r = self.login("authenticate open_session pause close_session",
                       pauses=[lambda: self.fake.advance(3 * 3600)])
        self.assertRc(r, "close_session", "PAM_SUCCESS")

    # ---- no session -------------------------------------------------------

    def test_calls_without_a_session_are_ignored_without_a_request(self):
        for step in ("acct_mgmt", "open_session", "close_session", "setcred"):
            with self.subTest(step=step):
                r = self.run(step)
                self.assertCalls(r, [(step, "PAM_IGNORE")])
                self.assertNoRequests(r)

    def test_public_key_login_shape_is_ignored_throughout(self):
        steps = "acct_mgmt setcred open_session close_session"
        r = self.run(steps)
        self.assertCalls(r, [(s, "PAM_IGNORE") for s in steps.split()])
        self.assertNoRequests(r)
        self.assertNoNewFds(r, "open_session")

    def test_setcred_after_authenticate_is_success_without_a_request(self):
        r = self.login("authenticate setcred")
        self.assertCalls(r, [("authenticate", "PAM_SUCCESS"), ("setcred", "PAM_SUCCESS")])
        self.assertRequests(r, self.auth_requests())

    def test_pam_end_does_not_call_okta(self):
        # A data cleanup function never calls Okta (DESIGN §5.6).
        r = self.login("authenticate acct_mgmt end")
        self.assertRequests(r, self.auth_requests() + [("GET", SESSION_PATH, 200)])

    # ---- helpers ------------------------------------------------------------

    def end_all_sessions(self):
        for sid in self.fake.sessions():
            self.fake.end_session(sid)

    def set_all_sessions_status(self, status):
        for sid in self.fake.sessions():
            self.fake.set_session_status(sid, status)


class SessionCallsAuthn(SessionCalls, PamTestCase):
    token_source = "authn"


class SessionCallsPrompt(SessionCalls, PamTestCase):
    token_source = "prompt"


if __name__ == "__main__":
    unittest.main()
