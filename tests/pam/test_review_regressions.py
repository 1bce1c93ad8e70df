"""Behaviours a security review asked for: one handle, several users;
credentials never sent twice; the caller's NO_PROXY; user enumeration;
try_first_pass; created sessions the module cannot use; hostile headers."""

import os
import unittest

from harness import (PamTestCase, PASSWORDS, PASSWORD_PROMPT, SESSION_PATH, SESSION_VAR,
                     closed_port_url, login_of)


class OneHandleManyUsers(PamTestCase):
    def test_a_failed_second_authenticate_leaves_no_session_of_the_first_user(self):
        # login(1) retries pam_authenticate on one handle: bob's failure must
        # not inherit alice's session, and alice's session is ended.
        r = self.run(["authenticate", "user:bob", "authenticate", "acct_mgmt",
                      "open_session", "close_session", "env"],
                     answers=[PASSWORDS["alice"], "not-bobs-password"],
                     conf={"export_env": "yes"})
        self.assertCalls(r, [("authenticate", "PAM_SUCCESS"), ("authenticate", "PAM_AUTH_ERR"),
                             ("acct_mgmt", "PAM_IGNORE"), ("open_session", "PAM_IGNORE"),
                             ("close_session", "PAM_IGNORE")])
        alice_sid = self.session_ids(r)[0]
        self.assertIsNone(self.fake.session(alice_sid), "alice's session was left open")
        self.assertEqual(r.env(), {})
        self.assertRequests(r, [("POST", "/api/v1/authn", 200), ("POST", "/api/v1/sessions", 200),
                                ("DELETE", "/api/v1/sessions/" + alice_sid, 204),
                                ("POST", "/api/v1/authn", 401)])

    def test_acct_mgmt_without_a_session_ignores_even_unknown_users(self):
        r = self.run("acct_mgmt", user="nosuchuser")
        self.assertRc(r, "acct_mgmt", "PAM_IGNORE")
        self.assertNoRequests(r)


class CredentialsSentOnce(PamTestCase):
    def test_dropped_create_does_not_resend_the_session_token(self):
        self.fake.inject("POST", "/api/v1/sessions", drop=True)
        r = self.run("authenticate", answers=[PASSWORDS["alice"]])
        creates = [q for q in r.requests if q.path == "/api/v1/sessions"]
        self.assertEqual(len(creates), 1, "the session token was sent twice")
        self.assertRc(r, "authenticate", "PAM_AUTHINFO_UNAVAIL")

    def test_second_authenticate_on_an_idle_connection_sends_the_password_once(self):
        # The first login leaves a kept-alive connection; the second one's
        # authn is dropped: libcurl must not silently resend the password.
        pauses = [lambda: self.fake.inject("POST", "/api/v1/authn", drop=True)]
        r = self.run(["authenticate", "pause", "authenticate"],
                     answers=[PASSWORDS["alice"], PASSWORDS["alice"]], pauses=pauses,
                     conf={"retries": "0"})
        authns = [q for q in r.requests if q.path == "/api/v1/authn"]
        self.assertEqual(len(authns), 2, [(q.path, q.status) for q in r.requests])
        self.assertRc(r, "authenticate", "PAM_AUTHINFO_UNAVAIL", n=1)


class CallerCannotSteerTheProxy(PamTestCase):
    def test_no_proxy_variable_does_not_bypass_the_configured_proxy(self):
        r = self.run("authenticate", answers=[PASSWORDS["alice"]],
                     env={"NO_PROXY": "*", "no_proxy": "*"},
                     conf={"proxy": closed_port_url().replace("https", "http"),
                           "timeout": "3", "connect_timeout": "1"})
        self.assertRc(r, "authenticate", "PAM_AUTHINFO_UNAVAIL")
        self.assertNoRequests(r)


class NoUserEnumeration(PamTestCase):
    def test_unknown_user_is_prompted_like_a_real_one(self):
        r = self.run("authenticate", user="nosuchuser", answers=["guess"])
        self.assertRc(r, "authenticate", "PAM_USER_UNKNOWN")
        self.assertEqual([p["text"] for p in r.prompts], [PASSWORD_PROMPT])
        wrong = self.run("authenticate", user="alice", answers=["guess"])
        def shown(run):
            return [(e["event"], e.get("style"), e.get("text"))
                    for e in run.prompts + run.messages]
        self.assertEqual(shown(r), shown(wrong))

    def authenticate_ms(self, user):
        r = self.run("authenticate", user=user, answers=["not-the-password"])
        if user == "nosuchuser":
            self.assertNoRequests(r)
        return r.call("authenticate")["ms"]

    def make_state_dir(self):
        state = self.config["state_dir"]
        os.makedirs(state, mode=0o700, exist_ok=True)
        return state

    @unittest.skipIf(os.environ.get("OKTA_TEST_WRAPPER") or os.environ.get("OKTA_TEST_SANITIZED"),
                     "valgrind and ASan swamp the timing")
    def test_unknown_user_takes_as_long_as_a_wrong_password(self):
        # An org 100 ms away that spends 300 ms checking a password: a wrong
        # password costs both, and so must a name that does not exist here,
        # without a request (an empty body would be answered at once).
        self.make_state_dir()
        self.fake.credential_check_delay = 0.3
        self.fake.inject("POST", "/api/v1/authn", delay=0.1, count=None)
        self.authenticate_ms("alice")  # the host learns what a refusal costs
        unknown = sorted(self.authenticate_ms("nosuchuser") for _ in range(5))
        wrong = sorted(self.authenticate_ms("alice") for _ in range(5))
        self.assertGreaterEqual(unknown[0], 360, (unknown, wrong))
        self.assertLess(abs(unknown[2] - wrong[2]), 100, (unknown, wrong))

    @unittest.skipIf(os.environ.get("OKTA_TEST_WRAPPER") or os.environ.get("OKTA_TEST_SANITIZED"),
                     "valgrind and ASan swamp the timing")
    def test_unknown_user_waits_the_default_until_a_refusal_is_timed(self):
        self.make_state_dir()
        ms = self.authenticate_ms("nosuchuser")
        self.assertGreaterEqual(ms, 270)
        self.assertLess(ms, 600)

    def test_remembered_refusal_time_is_root_only_and_never_followed_through_a_link(self):
        state = self.make_state_dir()
        self.authenticate_ms("alice")
        path = os.path.join(state, "refused-authn.ms")
        st = os.lstat(path)
        self.assertEqual((st.st_uid, st.st_mode & 0o777), (0, 0o600))
        self.assertRegex(open(path).read(), r"^[0-9]+\n$")
        # A value reached through a link, or one others could have written,
        # is not believed: the default, not the two seconds it names.
        slow = os.path.join(self.dir, "slow.ms")
        self.write_private(slow, "2000\n")
        os.unlink(path)
        os.symlink(slow, path)
        self.assertLess(self.authenticate_ms("nosuchuser"), 600)
        self.assertTrue(os.path.islink(path))
        os.unlink(path)
        self.write_private(path, "2000\n", mode=0o644)
        self.assertLess(self.authenticate_ms("nosuchuser"), 600)
        os.chmod(path, 0o600)
        self.assertGreaterEqual(self.authenticate_ms("nosuchuser"), 1800)


class TryFirstPass(PamTestCase):
    def test_wrong_authtok_from_an_earlier_module_is_followed_by_a_prompt(self):
        r = self.run("authenticate", authtok="the-unix-password",
                     answers=[PASSWORDS["alice"]], args="try_first_pass")
        self.assertRc(r, "authenticate", "PAM_SUCCESS")
        self.assertEqual([p["text"] for p in r.prompts], [PASSWORD_PROMPT])
        self.assertRequests(r, [("POST", "/api/v1/authn", 401), ("POST", "/api/v1/authn", 200),
                                ("POST", "/api/v1/sessions", 200)])

    def test_use_first_pass_never_prompts(self):
        r = self.run("authenticate", authtok="the-unix-password", answers=[],
                     args="use_first_pass")
        self.assertRc(r, "authenticate", "PAM_AUTH_ERR")
        self.assertEqual(r.prompts, [])


class UnusableCreatedSession(PamTestCase):
    def test_created_session_with_a_bad_field_is_ended(self):
        sid, body = self.session_body("alice", expiresAt="tomorrow")
        self.fake.inject("POST", "/api/v1/sessions", body=body)
        r = self.run("authenticate", answers=[PASSWORDS["alice"]])
        self.assertRc(r, "authenticate", "PAM_AUTH_ERR")
        self.assertRequests(r, [("POST", "/api/v1/authn", 200), ("POST", "/api/v1/sessions", 200),
                                ("DELETE", "/api/v1/sessions/" + sid, 204)])


class EnvironmentIdNeverSurvives(PamTestCase):
    def test_bad_config_still_removes_the_session_variable(self):
        sid = self.create_session("alice")
        for step in ("setcred", "open_session", "close_session"):
            with self.subTest(step=step):
                r = self.run(["putenv:%s=%s" % (SESSION_VAR, sid), step, "env"],
                             conf={"no_such_key": "1"})
                self.assertRc(r, step, "PAM_SERVICE_ERR")
                self.assertNotIn(SESSION_VAR, r.env())
                self.assertNoRequests(r)


class HostileHeaders(PamTestCase):
    def test_absurd_rate_limit_reset_fails_fast(self):
        self.fake.inject("GET", SESSION_PATH, status=429,
                         headers=[("X-Rate-Limit-Remaining", "0"),
                                  ("X-Rate-Limit-Reset", "999999999999999999")])
        sid = self.create_session("alice")
        r = self.run(["putenv:%s=%s" % (SESSION_VAR, sid), "acct_mgmt"])
        self.assertRc(r, "acct_mgmt", "PAM_AUTHINFO_UNAVAIL")
        self.assertLess(r.call("acct_mgmt")["ms"], 3000)
        self.assertEqual(len(r.requests), 1)


if __name__ == "__main__":
    unittest.main()
