"""What the module logs and tells the user (DESIGN §8): one authpriv line
per outcome with user, login, service, rhost, http, code and request_id;
nothing secret; text from the network or the user escaped; user messages
that say what to do without internal detail."""

import unittest

from harness import PamTestCase, SESSION_PATH, closed_port_url, login_of

NASTY = "evil\nJan  1 00:00:00 host sshd[1]: Accepted password for root\x1b[2J\x7f"


class Logging(PamTestCase):
    def test_failure_line_carries_okta_error_code_and_request_id(self):
        self.fake.inject("POST", "/api/v1/authn",
                         headers=[("X-Okta-Request-Id", "reqBadPassword0001")])
        r = self.run("authenticate", answers=["wrong"], rhost="203.0.113.9")
        self.assertRc(r, "authenticate", "PAM_AUTH_ERR")
        self.assertLogged(r, user="alice", login=login_of("alice"), service="okta-test",
                          rhost="203.0.113.9", http="401", code="E0000004",
                          request_id="reqBadPassword0001")

    def test_one_line_per_outcome(self):
        r = self.run("authenticate acct_mgmt open_session close_session",
                     answers=self.credentials())
        self.assertEqual(len(r.module_log), 4, r.describe())

    def test_one_line_for_a_denial(self):
        r = self.run("authenticate", answers=["wrong"])
        self.assertEqual(len(r.module_log), 1, r.describe())

    def test_error_text_from_the_network_is_escaped(self):
        self.fake.inject("POST", "/api/v1/authn", status=401, body={
            "errorCode": "E0000004", "errorSummary": NASTY, "errorLink": "E0000004",
            "errorId": NASTY, "errorCauses": [{"errorSummary": NASTY}]})
        r = self.run("authenticate", answers=["wrong"], conf={"debug": "yes"})
        self.assertRc(r, "authenticate", "PAM_AUTH_ERR")
        self.assertLogClean(r)
        for e in r.messages:
            self.assertNotIn("\x1b", e["text"])

    def test_hostile_error_code_is_escaped(self):
        self.fake.inject("GET", SESSION_PATH, status=404, body={
            "errorCode": NASTY, "errorSummary": "x", "errorId": "y", "errorCauses": []})
        r = self.run("authenticate acct_mgmt", answers=self.credentials(),
                     conf={"debug": "yes"})
        self.assertRc(r, "acct_mgmt", "PAM_PERM_DENIED")
        self.assertLogClean(r)

    def test_remote_host_is_escaped(self):
        r = self.run("authenticate acct_mgmt", answers=self.credentials(), rhost=NASTY)
        self.assertRc(r, "authenticate", "PAM_SUCCESS")
        self.assertLogClean(r)

    def test_session_facts_from_okta_are_escaped(self):
        _sid, body = self.session_body("alice", login=login_of("alice"),
                                       expiresAt="2030-01-01T00:00:00.000Z\n" + NASTY)
        self.fake.inject("POST", "/api/v1/sessions", body=body)
        r = self.run("authenticate", answers=self.credentials(), conf={"debug": "yes"})
        self.assertNotEqual(r.rc("authenticate"), "PAM_IGNORE")
        self.assertLogClean(r)

    def test_nothing_secret_in_a_debug_log_of_failures(self):
        self.fake.inject("GET", SESSION_PATH, status=503, count=None)
        r = self.run("authenticate acct_mgmt open_session close_session",
                     answers=self.credentials(), conf={"debug": "yes", "timeout": "3",
                                                       "connect_timeout": "1"})
        self.assertNoSecretsLogged(r)

    def test_unreachable_okta_is_explained_to_the_user_without_detail(self):
        r = self.run("authenticate", answers=self.credentials(),
                     conf={"org_url": closed_port_url(), "timeout": "2",
                           "connect_timeout": "1"})
        self.assertRc(r, "authenticate", "PAM_AUTHINFO_UNAVAIL")
        texts = [e["text"] for e in r.messages] + [p["text"] for p in r.prompts[1:]]
        self.assertTrue(texts, "the user must be told Okta is unreachable")
        for text in texts:
            for detail in ("127.0.0.1", "https://", "curl", "errno", "E0000"):
                self.assertNotIn(detail, text)

    def test_silent_flag_suppresses_user_messages(self):
        r = self.run("authenticate", answers=self.credentials(), silent=True,
                     conf={"org_url": closed_port_url(), "timeout": "2",
                           "connect_timeout": "1"})
        self.assertRc(r, "authenticate", "PAM_AUTHINFO_UNAVAIL")
        self.assertEqual(r.messages, [])


if __name__ == "__main__":
    unittest.main()
