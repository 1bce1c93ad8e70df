"""pam_sm_authenticate's denials (DESIGN §1, §3, §4, §7): wrong credentials,
lockout, sessions that are not good enough, users the module leaves alone,
conversations that fail, and PAM_AUTHTOK."""

import unittest

from harness import PamTestCase, PASSWORDS, SESSION_PATH, login_of

LATER = "acct_mgmt open_session close_session"


class Authenticate:
    # ---- wrong credentials -----------------------------------------------

    def test_wrong_credential_is_auth_err(self):
        r = self.run("authenticate", answers=self.wrong_credentials())
        self.assertRc(r, "authenticate", "PAM_AUTH_ERR")
        if self.token_source == "authn":
            self.assertRequests(r, [("POST", "/api/v1/authn", 401)])
        else:
            # A 401 on create is the user's once the API token is shown good.
            self.assertRequests(r, [("POST", "/api/v1/sessions", 401),
                                    ("GET", "/api/v1/users/me", 200)])
        self.assertLogged(r, user="alice", login=login_of("alice"), http="401",
                          code="E0000004")
        self.assertFalse(r.call("authenticate")["pam_env_has_session_id"])

    def test_after_a_failed_authenticate_there_is_no_session_to_act_on(self):
        r = self.run("authenticate " + LATER, answers=self.wrong_credentials())
        self.assertCalls(r, [("authenticate", "PAM_AUTH_ERR"), ("acct_mgmt", "PAM_IGNORE"),
                             ("open_session", "PAM_IGNORE"), ("close_session", "PAM_IGNORE")])
        self.assertEqual(len(r.requests), 1 if self.token_source == "authn" else 2)

    def test_wrong_credential_is_not_logged(self):
        r = self.run("authenticate", answers=self.wrong_credentials(), conf={"debug": "yes"})
        self.assertNoSecretsLogged(r)

    # ---- sessions that must not log anyone in -----------------------------

    def test_session_of_another_okta_user_is_ended_and_denied(self):
        bob_sid, bob_session = self.session_body("bob")
        self.fake.inject("POST", "/api/v1/sessions", body=bob_session)
        r = self.run("authenticate " + LATER, answers=self.credentials())
        self.assertRc(r, "authenticate", "PAM_AUTH_ERR")
        self.assertRequests(r, self.auth_requests() + [("DELETE", "/api/v1/sessions/" + bob_sid,
                                                        204)])
        self.assertIsNone(self.fake.session(bob_sid))
        self.assertFalse(r.call("authenticate")["pam_env_has_session_id"])
        self.assertLogged(r, user="alice", login=login_of("alice"))

    def test_session_not_active_is_ended_and_denied(self):
        sid, body = self.session_body("alice", status="MFA_REQUIRED")
        self.fake.inject("POST", "/api/v1/sessions", body=body)
        r = self.run("authenticate", answers=self.credentials())
        self.assertRc(r, "authenticate", "PAM_AUTH_ERR")
        self.assertRequests(r, self.auth_requests() + [("DELETE", "/api/v1/sessions/" + sid,
                                                        204)])

    def test_require_mfa_denies_and_ends_a_password_only_session(self):
        r = self.run("authenticate", answers=self.credentials(amr=["pwd"]),
                     conf={"require_mfa": "yes"})
        self.assertRc(r, "authenticate", "PAM_AUTH_ERR")
        self.assertRequests(r, self.auth_requests() + [("DELETE", SESSION_PATH, 204)])
        self.assertIsNone(self.fake.session(self.session_ids(r)[0]))
        self.assertLogged(r, user="alice")

    def test_require_mfa_accepts_a_session_with_mfa(self):
        sid, body = self.session_body("alice", amr=["pwd", "otp", "mfa"])
        self.fake.inject("POST", "/api/v1/sessions", body=body)
        r = self.run("authenticate acct_mgmt", answers=self.credentials(),
                     conf={"require_mfa": "yes"})
        self.assertCalls(r, [("authenticate", "PAM_SUCCESS"), ("acct_mgmt", "PAM_SUCCESS")])
        self.assertEqual(self.session_ids(r), [sid])

    # ---- users the module does not handle ----------------------------------

    def test_unknown_local_user_is_never_sent_to_okta(self):
        # Not the name, and nothing in its place: a guess at a name must
        # neither move an Okta user's lockout counter nor spend the
        # org-wide rate limit (the time is matched locally, okta/decoy.h).
        self.fake.add_user(login_of("mallory"), "whatever", lockout_threshold=1)
        r = self.run("authenticate", user="mallory", answers=["whatever"])
        self.assertRc(r, "authenticate", "PAM_USER_UNKNOWN")
        self.assertNoRequests(r)
        self.assertEqual(self.fake.user(login_of("mallory"))["failures"], 0)
        self.assertFalse(self.fake.user(login_of("mallory"))["locked_out"])

    def test_unknown_local_user_aborting_sends_nothing(self):
        r = self.run("authenticate", user="mallory", answers=["!abort"])
        self.assertRc(r, "authenticate", "PAM_USER_UNKNOWN")
        self.assertNoRequests(r)

    def test_user_below_minimum_uid_is_ignored_without_a_request(self):
        r = self.run("authenticate setcred " + LATER, user="lowuid",
                     answers=self.credentials("lowuid"), conf={"minimum_uid": "1000"})
        self.assertCalls(r, [(step, "PAM_IGNORE") for step in
                             ("authenticate setcred " + LATER).split()])
        self.assertNoRequests(r)
        self.assertEqual(r.prompts, [])

    def test_root_below_minimum_uid_is_ignored(self):
        r = self.run("authenticate", user="root", answers=self.credentials("root"),
                     conf={"minimum_uid": "1"})
        self.assertRc(r, "authenticate", "PAM_IGNORE")
        self.assertNoRequests(r)

    def test_user_at_minimum_uid_is_handled(self):
        r = self.run("authenticate", answers=self.credentials(), conf={"minimum_uid": "1001"})
        self.assertRc(r, "authenticate", "PAM_SUCCESS")

    # ---- the conversation -------------------------------------------------

    def test_user_hanging_up_is_conv_err_without_a_request(self):
        r = self.run("authenticate", answers=["!abort"])
        self.assertRc(r, "authenticate", "PAM_CONV_ERR")
        self.assertNoRequests(r)

    def test_no_answer_at_all_is_conv_err(self):
        r = self.run("authenticate", answers=[])
        self.assertRc(r, "authenticate", "PAM_CONV_ERR")
        self.assertNoRequests(r)

    # ---- PAM_AUTHTOK ------------------------------------------------------

    def test_use_first_pass_takes_pam_authtok_without_prompting(self):
        cred = self.credentials()[0]
        r = self.run("authenticate", authtok=cred, args="use_first_pass")
        self.assertRc(r, "authenticate", "PAM_SUCCESS")
        self.assertEqual(r.prompts, [])
        self.assertEqual(r.requests[0].json.get(self.credential_field), cred)

    def test_use_first_pass_from_the_config_file(self):
        r = self.run("authenticate", authtok=self.credentials()[0],
                     conf={"use_first_pass": "yes"})
        self.assertRc(r, "authenticate", "PAM_SUCCESS")
        self.assertEqual(r.prompts, [])

    def test_use_first_pass_without_pam_authtok_fails_without_prompting(self):
        r = self.run("authenticate", answers=self.credentials(), args="use_first_pass")
        self.assertNotIn(r.rc("authenticate"), ("PAM_SUCCESS", "PAM_IGNORE"))
        self.assertEqual(r.prompts, [])
        self.assertNoRequests(r)

    def test_try_first_pass_takes_pam_authtok_without_prompting(self):
        r = self.run("authenticate", authtok=self.credentials()[0], args="try_first_pass")
        self.assertRc(r, "authenticate", "PAM_SUCCESS")
        self.assertEqual(r.prompts, [])

    def test_try_first_pass_without_pam_authtok_prompts(self):
        r = self.run("authenticate", answers=self.credentials(), args="try_first_pass")
        self.assertRc(r, "authenticate", "PAM_SUCCESS")
        self.assertEqual([p["text"] for p in r.prompts], [self.credential_prompt])

    def test_wrong_pam_authtok_with_use_first_pass_is_auth_err(self):
        r = self.run("authenticate", authtok=self.wrong_credentials()[0],
                     args="use_first_pass")
        self.assertRc(r, "authenticate", "PAM_AUTH_ERR")
        self.assertEqual(r.prompts, [])
        self.assertNoSecretsLogged(r)


class AuthenticateAuthn(Authenticate, PamTestCase):
    token_source = "authn"
    credential_field = "password"

    def test_locked_out_user_is_maxtries_with_a_message(self):
        self.fake.update_user(login_of("alice"), locked_out=True, show_lockout=True)
        r = self.run("authenticate", answers=self.credentials())
        self.assertRc(r, "authenticate", "PAM_MAXTRIES")
        self.assertRequests(r, [("POST", "/api/v1/authn", 200)])
        self.assertTrue(r.messages, "the user must be told what happened")
        self.assertLogged(r, user="alice", login=login_of("alice"), http="200")

    def test_hidden_lockout_looks_like_a_wrong_password(self):
        self.fake.update_user(login_of("alice"), locked_out=True, show_lockout=False)
        r = self.run("authenticate", answers=self.credentials())
        self.assertRc(r, "authenticate", "PAM_AUTH_ERR")

    def test_expired_password_is_denied_with_a_message(self):
        self.fake.update_user(login_of("alice"), password_expired=True)
        r = self.run("authenticate", answers=self.credentials())
        self.assertNotIn(r.rc("authenticate"), ("PAM_SUCCESS", "PAM_IGNORE"))
        self.assertNotIn("POST /api/v1/sessions", ["%s %s" % (q.method, q.path)
                                                    for q in r.requests])
        self.assertTrue(r.messages, "the user must be told what happened")
        self.assertLogged(r, user="alice")
        self.assertNoSecretsLogged(r)

    def test_password_goes_to_okta_with_the_mapped_login(self):
        r = self.run("authenticate", user="bob", answers=[PASSWORDS["bob"]])
        self.assertRc(r, "authenticate", "PAM_SUCCESS")
        self.assertEqual(r.requests[0].json["username"], login_of("bob"))


class AuthenticatePrompt(Authenticate, PamTestCase):
    token_source = "prompt"
    credential_field = "sessionToken"

    def test_token_minted_for_another_okta_user_is_ended_and_denied(self):
        r = self.run("authenticate " + LATER, answers=[self.mint_token("bob")])
        self.assertRc(r, "authenticate", "PAM_AUTH_ERR")
        self.assertRequests(r, [("POST", "/api/v1/sessions", 200),
                                ("DELETE", SESSION_PATH, 204)])
        self.assertIsNone(self.fake.session(self.session_ids(r)[0]))
        self.assertFalse(r.call("authenticate")["pam_env_has_session_id"])

    def test_used_token_is_auth_err(self):
        token = self.mint_token("alice")
        self.assertEqual(self.run("authenticate", answers=[token]).rc("authenticate"),
                         "PAM_SUCCESS")
        r = self.run("authenticate", answers=[token])
        self.assertRc(r, "authenticate", "PAM_AUTH_ERR")
        self.assertRequests(r, [("POST", "/api/v1/sessions", 401),
                                ("GET", "/api/v1/users/me", 200)])

    def test_expired_token_is_auth_err(self):
        token = self.mint_token("alice")
        self.fake.expire_session_token(token)
        r = self.run("authenticate", answers=[token])
        self.assertRc(r, "authenticate", "PAM_AUTH_ERR")

    def test_token_with_mfa_satisfies_require_mfa(self):
        r = self.run("authenticate acct_mgmt open_session",
                     answers=[self.mint_token("alice", amr=["pwd", "otp", "mfa"])],
                     conf={"require_mfa": "yes"})
        self.assertCalls(r, [("authenticate", "PAM_SUCCESS"), ("acct_mgmt", "PAM_SUCCESS"),
                             ("open_session", "PAM_SUCCESS")])


if __name__ == "__main__":
    unittest.main()
