"""Carrying the session between processes (DESIGN §5): OpenSSH authenticates
in a child and opens the session in its monitor; only the PAM environment
crosses. An id that comes from the environment is trusted only if Okta shows
it belongs to PAM_USER."""

import unittest

from harness import PamTestCase, REFRESH_PATH, SESSION_PATH, SESSION_VAR

OPENSSH = "child:authenticate+acct_mgmt setcred open_session close_session"


class OpenSSH:
    def test_child_authenticates_monitor_refreshes_and_ends(self):
        r = self.run(OPENSSH, answers=self.credentials())
        self.assertCalls(r, [("authenticate", "PAM_SUCCESS"), ("acct_mgmt", "PAM_SUCCESS"),
                             ("setcred", "PAM_SUCCESS"), ("open_session", "PAM_SUCCESS"),
                             ("close_session", "PAM_SUCCESS")])
        self.assertRequests(r, self.auth_requests() + [("GET", SESSION_PATH, 200),
                                                       ("POST", REFRESH_PATH, 200),
                                                       ("DELETE", SESSION_PATH, 204)])
        self.assertEqual(len(self.session_ids(r)), 1)

    def test_child_runs_auth_and_account_monitor_the_rest(self):
        r = self.run(OPENSSH, answers=self.credentials())
        child, monitor = r.call("authenticate")["pid"], r.call("setcred")["pid"]
        self.assertNotEqual(child, monitor)
        self.assertEqual(r.call("acct_mgmt")["pid"], child)
        self.assertEqual(r.call("open_session")["pid"], monitor)

    def test_session_id_crosses_in_the_pam_environment(self):
        r = self.run(OPENSSH, answers=self.credentials())
        child = [e for e in r.events if e["event"] == "child"][0]
        self.assertIn(SESSION_VAR, [v["name"] for v in child["imported"]])

    def test_acct_mgmt_in_the_child_keeps_the_variable(self):
        r = self.run(OPENSSH, answers=self.credentials())
        self.assertTrue(r.call("acct_mgmt")["pam_env_has_session_id"])

    def test_setcred_in_the_monitor_removes_the_variable(self):
        r = self.run(OPENSSH + " env", answers=self.credentials())
        self.assertFalse(r.call("setcred")["pam_env_has_session_id"])
        self.assertNotIn(SESSION_VAR, r.env())

    def test_variable_never_reaches_the_process_environment(self):
        r = self.run(OPENSSH, answers=self.credentials())
        self.assertEnvNeverInProcess(r)

    def test_monitor_opens_and_closes_on_connections_of_its_own(self):
        r = self.run(OPENSSH, answers=self.credentials())
        child_conn = r.requests[0].conn_id
        refresh, delete = r.requests[-2], r.requests[-1]
        self.assertNotEqual(refresh.conn_id, child_conn)
        self.assertNotEqual(delete.conn_id, refresh.conn_id)
        self.assertNoNewFds(r, "open_session")
        self.assertNoNewFds(r, "close_session")

    def test_monitor_without_setcred_still_takes_the_id(self):
        r = self.run("child:authenticate+acct_mgmt open_session env close_session",
                     answers=self.credentials())
        self.assertRc(r, "open_session", "PAM_SUCCESS")
        self.assertRc(r, "close_session", "PAM_SUCCESS")
        self.assertNotIn(SESSION_VAR, r.env())
        self.assertEqual([q.method for q in r.requests][-2:], ["POST", "DELETE"])

    def test_nothing_secret_is_logged(self):
        r = self.run(OPENSSH, answers=self.credentials(), conf={"debug": "yes"})
        self.assertNoSecretsLogged(r)


class OpenSSHAuthn(OpenSSH, PamTestCase):
    token_source = "authn"


class OpenSSHPrompt(OpenSSH, PamTestCase):
    token_source = "prompt"


class PlantedSessionId(PamTestCase):
    """A session id found in the PAM environment has no verified login."""

    def plant(self, sid):
        return "putenv:%s=%s" % (SESSION_VAR, sid)

    def test_own_session_from_the_environment_is_accepted(self):
        sid = self.create_session("alice")
        r = self.run([self.plant(sid), "acct_mgmt", "open_session", "close_session"])
        self.assertCalls(r, [("acct_mgmt", "PAM_SUCCESS"), ("open_session", "PAM_SUCCESS"),
                             ("close_session", "PAM_SUCCESS")])
        self.assertEqual(self.session_ids(r), [sid])

    def test_session_of_another_user_is_denied_at_open_session(self):
        sid = self.create_session("bob")
        r = self.run([self.plant(sid), "setcred", "open_session", "env"])
        self.assertRc(r, "open_session", "PAM_SESSION_ERR")
        self.assertNotIn(SESSION_VAR, r.env())
        self.assertLogged(r, user="alice")

    def test_session_of_another_user_is_denied_at_acct_mgmt(self):
        sid = self.create_session("bob")
        r = self.run([self.plant(sid), "acct_mgmt"])
        self.assertRc(r, "acct_mgmt", "PAM_PERM_DENIED")
        self.assertTrue(r.call("acct_mgmt")["pam_env_has_session_id"],
                        "acct_mgmt must never delete the variable")
        self.assertLogged(r, user="alice")

    def test_unverified_id_is_checked_against_the_new_pam_user(self):
        # Without a verified login the only owner to check is PAM_USER.
        sid = self.create_session("alice")
        r = self.run([self.plant(sid), "user:root", "open_session"])
        self.assertRc(r, "open_session", "PAM_SESSION_ERR")

    def test_verified_login_beats_a_planted_id(self):
        # authenticate's own session wins over whatever the environment says.
        bob = self.create_session("bob")
        r = self.run(["authenticate", self.plant(bob), "acct_mgmt", "open_session"],
                     answers=self.credentials())
        self.assertCalls(r, [("authenticate", "PAM_SUCCESS"), ("acct_mgmt", "PAM_SUCCESS"),
                             ("open_session", "PAM_SUCCESS")])
        self.assertNotIn(bob, self.session_ids(r))

    def test_id_unfit_for_a_url_is_never_sent(self):
        for bad in ("../../users/me", "abc/def", "a" * 129, "id with space", "x?y=1"):
            with self.subTest(bad=bad):
                r = self.run([self.plant(bad), "acct_mgmt", "open_session", "close_session"])
                self.assertNoRequests(r)
                for step in ("acct_mgmt", "open_session", "close_session"):
                    self.assertNotEqual(r.rc(step), "PAM_SUCCESS")

    def test_expired_session_from_the_environment_is_denied(self):
        sid = self.create_session("alice")
        self.fake.expire_session(sid)
        r = self.run([self.plant(sid), "acct_mgmt", "open_session"])
        self.assertCalls(r, [("acct_mgmt", "PAM_PERM_DENIED"),
                             ("open_session", "PAM_SESSION_ERR")])
        self.assertLogged(r, http="404", code="E0000007")

    def test_gone_session_from_the_environment_closes_without_delete(self):
        # Alone, because libpam answers close_session with the action its
        # stack froze at open_session: after a failed open it reports
        # PAM_PERM_DENIED whatever the module returns.
        sid = self.create_session("alice")
        self.fake.expire_session(sid)
        r = self.run([self.plant(sid), "close_session"])
        self.assertCalls(r, [("close_session", "PAM_SUCCESS")])
        self.assertEqual([(q.method, q.status) for q in r.requests], [("GET", 404)])


if __name__ == "__main__":
    unittest.main()
