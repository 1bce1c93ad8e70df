"""A successful login, call by call (DESIGN §1, §5, §6, §8), for both token
sources, and the call orders of login, su and sudo."""

import unittest

from harness import (PamTestCase, REFRESH_PATH, SESSION_PATH, SESSION_VAR, PASSWORDS,
                     login_of, LOG_AUTHPRIV)

FULL = "authenticate acct_mgmt setcred open_session close_session"
SUCCESS_ALL = [(step, "PAM_SUCCESS") for step in FULL.split()]
RHOST = "198.51.100.7"


class Lifecycle:
    """Tests run once per token source (see the classes at the end)."""

    def login(self, steps=FULL, **kw):
        kw.setdefault("answers", self.credentials())
        kw.setdefault("rhost", RHOST)
        return self.run(steps, **kw)

    def full_requests(self):
        return self.auth_requests() + [("GET", SESSION_PATH, 200),
                                       ("POST", REFRESH_PATH, 200),
                                       ("DELETE", SESSION_PATH, 204)]

    # ---- what each call does on the wire ----------------------------------

    def test_full_login_succeeds_with_one_request_per_call(self):
        r = self.login()
        self.assertCalls(r, SUCCESS_ALL)
        self.assertRequests(r, self.full_requests())

    def test_asks_once_for_the_credential_without_echo(self):
        r = self.login()
        self.assertEqual([(p["style"], p["text"], p["answered"]) for p in r.prompts],
                         [("echo_off", self.credential_prompt, True)])

    def test_every_request_carries_token_json_and_user_agent(self):
        r = self.login()
        self.assertAllHeaders(r)

    def test_refresh_sends_content_length_zero(self):
        r = self.login()
        refresh = [q for q in r.requests if q.path.endswith("/lifecycle/refresh")]
        self.assertEqual(len(refresh), 1)
        self.assertEqual(refresh[0].headers.get_all("Content-Length"), ["0"])
        self.assertEqual(refresh[0].body, b"")

    def test_create_sends_only_the_session_token(self):
        r = self.login("authenticate")
        create = [q for q in r.requests if q.path == "/api/v1/sessions"][0]
        self.assertEqual(list(create.json), ["sessionToken"])
        token = self.fake.session_token(create.json["sessionToken"])
        self.assertEqual(token["login"], login_of("alice"))
        self.assertTrue(token["used"])

    def test_every_call_acts_on_the_session_authenticate_created(self):
        r = self.login()
        ids = self.session_ids(r)
        self.assertEqual(len(ids), 1, r.describe())
        self.assertIsNone(self.fake.session(ids[0]), "close_session did not end it")

    def test_authenticate_acct_mgmt_open_session_share_one_connection(self):
        # One connection carries authn, create, get and refresh (DESIGN §6);
        # close_session opens its own.
        r = self.login()
        kept = [q for q in r.requests if q.method != "DELETE"]
        self.assertEqual(len(kept), 4 if self.token_source == "authn" else 3, r.describe())
        self.assertOneConnection(kept)
        close = r.requests[-1]
        self.assertEqual(close.method, "DELETE")
        self.assertNotEqual(close.conn_id, kept[0].conn_id,
                            "close_session must open its own connection")

    def test_credentials_are_never_resent_when_a_connection_dies(self):
        # libcurl silently resends a request whose reused connection died
        # before any answer; the first copy may have reached Okta, and a
        # password or session token must never be sent twice (DESIGN §6).
        # The fake reads the create request and closes the connection.
        self.fake.inject("POST", "/api/v1/sessions", drop=True)
        r = self.run("authenticate", answers=self.credentials())
        creates = [q for q in r.requests if (q.method, q.path) == ("POST", "/api/v1/sessions")]
        self.assertEqual(len(creates), 1, r.describe())
        if self.token_source == "authn":
            self.assertEqual(creates[0].conn_id, r.requests[0].conn_id,
                             "the create request reused the authn connection")
        self.assertRc(r, "authenticate", "PAM_AUTHINFO_UNAVAIL")

    # ---- what reaches the user's session ----------------------------------

    def test_open_and_close_session_leave_no_file_descriptor_open(self):
        r = self.login()
        self.assertNoNewFds(r, "open_session")
        self.assertNoNewFds(r, "close_session")

    def test_sockets_kept_between_calls_are_close_on_exec(self):
        r = self.login()
        self.assertFdsCloexec(r)

    def test_session_id_variable_lives_from_authenticate_to_setcred(self):
        r = self.login()
        has = {c["step"]: c["pam_env_has_session_id"] for c in r.calls}
        self.assertEqual(has, {"authenticate": True, "acct_mgmt": True, "setcred": False,
                               "open_session": False, "close_session": False})
        self.assertEnvNeverInProcess(r)

    def test_no_okta_variables_in_the_login_environment_by_default(self):
        r = self.login("authenticate acct_mgmt setcred open_session env")
        self.assertEqual(r.env(), {})

    def test_export_env_puts_session_facts_in_the_pam_environment_only(self):
        r = self.login("authenticate acct_mgmt setcred open_session env",
                       conf={"export_env": "yes"})
        self.assertCalls(r, SUCCESS_ALL[:4])
        env = r.env()
        self.assertEqual(env.get("OKTA_SESSION_ID"), self.session_ids(r)[0])
        self.assertEqual(env.get("OKTA_LOGIN"), login_of("alice"))
        self.assertEqual(env.get("OKTA_USER_ID"), self.user_ids["alice"])
        self.assertRegex(env.get("OKTA_SESSION_EXPIRES_AT", ""), r"^\d{4}-\d\d-\d\dT")
        self.assertNotIn(SESSION_VAR, env)
        self.assertEnvNeverInProcess(r)

    def test_export_env_under_sudo_u_leaves_nothing_for_the_target_user(self):
        # sudo -u bob: alice authenticates, sudo sets PAM_USER to bob before
        # open_session and merges the PAM environment into bob's command.
        for refresh in ("yes", "no"):
            with self.subTest(refresh_on_open=refresh):
                r = self.login("authenticate acct_mgmt user:bob open_session env",
                               conf={"export_env": "yes", "refresh_on_open": refresh})
                self.assertRc(r, "authenticate", "PAM_SUCCESS")
                env = r.env()
                for name in ("OKTA_SESSION_ID", "OKTA_LOGIN", "OKTA_USER_ID",
                             "OKTA_SESSION_EXPIRES_AT", SESSION_VAR):
                    self.assertNotIn(name, env, r.describe())

    def test_export_env_stays_when_the_target_maps_to_the_same_login(self):
        # sudo -u alice by alice (or su to oneself): the session is hers.
        r = self.login("authenticate acct_mgmt user:alice open_session env",
                       conf={"export_env": "yes"})
        self.assertEqual(r.env().get("OKTA_SESSION_ID"), self.session_ids(r)[0])
        self.assertEqual(r.env().get("OKTA_LOGIN"), login_of("alice"))

    # ---- what is logged ---------------------------------------------------

    def test_each_outcome_is_logged_with_user_login_service_and_rhost(self):
        r = self.login()
        for http in ("200", "204"):
            self.assertLogged(r, user="alice", login=login_of("alice"), service="okta-test",
                              rhost=RHOST, http=http)
        ids = [line.fields.get("request_id") for line in r.module_log]
        self.assertTrue(all(ids), r.describe())

    def test_request_id_of_the_answer_is_logged(self):
        self.fake.inject("GET", SESSION_PATH, headers=[("X-Okta-Request-Id", "reqLifecycle01")])
        r = self.login("authenticate acct_mgmt")
        self.assertLogged(r, request_id="reqLifecycle01", http="200")

    def test_nothing_secret_is_logged_even_with_debug(self):
        r = self.login(conf={"debug": "yes"})
        self.assertCalls(r, SUCCESS_ALL)
        self.assertNoSecretsLogged(r)
        self.assertLogClean(r)

    def test_module_writes_nothing_to_stderr(self):
        r = self.login(conf={"debug": "yes"})
        self.assertEqual(r.stderr, "")

    def test_all_log_lines_go_to_authpriv(self):
        r = self.login()
        self.assertTrue(r.module_log)
        for line in r.module_log:
            self.assertEqual(line.facility, LOG_AUTHPRIV, line)

    # ---- the call orders of real applications ----------------------------

    def test_login_calls_open_session_before_setcred(self):
        steps = "authenticate acct_mgmt open_session setcred close_session"
        r = self.login(steps)
        self.assertCalls(r, [(s, "PAM_SUCCESS") for s in steps.split()])
        self.assertRequests(r, self.full_requests())
        self.assertFalse(r.call("open_session")["pam_env_has_session_id"])
        self.assertNoNewFds(r, "open_session")

    def test_su_calls_setcred_before_open_session(self):
        r = self.login(FULL)
        self.assertCalls(r, SUCCESS_ALL)
        self.assertRequests(r, self.full_requests())

    def test_sudo_target_user_still_refreshes_the_verified_login(self):
        r = self.login("authenticate acct_mgmt user:root open_session close_session")
        self.assertCalls(r, [("authenticate", "PAM_SUCCESS"), ("acct_mgmt", "PAM_SUCCESS"),
                             ("open_session", "PAM_SUCCESS"), ("close_session", "PAM_SUCCESS")])
        self.assertRequests(r, self.full_requests())
        self.assertLogged(r, user="root", login=login_of("alice"), http="200")

    def test_silent_login_succeeds_without_messages(self):
        r = self.login(silent=True)
        self.assertCalls(r, SUCCESS_ALL)
        self.assertEqual(r.messages, [])

    def test_setcred_delete_after_login_is_harmless(self):
        r = self.login("authenticate acct_mgmt setcred open_session close_session "
                       "setcred-delete")
        self.assertCalls(r, SUCCESS_ALL + [("setcred-delete", r.rc("setcred-delete"))])
        self.assertNotIn(r.rc("setcred-delete"), ("PAM_SERVICE_ERR", "PAM_SYSTEM_ERR"))

    # ---- turning calls off, mapping logins --------------------------------

    def test_check_account_no_skips_the_session_check(self):
        r = self.login("authenticate acct_mgmt", conf={"check_account": "no"})
        self.assertRequests(r, self.auth_requests())
        self.assertIn(r.rc("acct_mgmt"), ("PAM_SUCCESS", "PAM_IGNORE"))

    def test_refresh_on_open_no_skips_the_refresh_but_still_hides_the_id(self):
        r = self.login("authenticate acct_mgmt open_session", conf={"refresh_on_open": "no"})
        self.assertRequests(r, self.auth_requests() + [("GET", SESSION_PATH, 200)])
        self.assertIn(r.rc("open_session"), ("PAM_SUCCESS", "PAM_IGNORE"))
        self.assertFalse(r.call("open_session")["pam_env_has_session_id"])

    def test_end_on_close_no_leaves_the_session_alive(self):
        r = self.login(conf={"end_on_close": "no"})
        self.assertRequests(r, self.full_requests()[:-1])
        self.assertIn(r.rc("close_session"), ("PAM_SUCCESS", "PAM_IGNORE"))
        self.assertIsNotNone(self.fake.session(self.session_ids(r)[0]))

    def test_okta_login_is_compared_case_insensitively(self):
        self.fake.add_user("Alice@Example.COM", PASSWORDS["alice"])
        r = self.login()
        self.assertCalls(r, SUCCESS_ALL)

    def test_default_login_format_is_the_pam_user_name(self):
        self.fake.add_user("alice", PASSWORDS["alice"])
        answers = ([self.fake.mint_session_token("alice")] if self.token_source == "prompt"
                   else [PASSWORDS["alice"]])
        r = self.run(FULL, answers=answers, conf={"login_format": None})
        self.assertCalls(r, SUCCESS_ALL)
        self.assertLogged(r, login="alice")


class LifecycleAuthn(Lifecycle, PamTestCase):
    token_source = "authn"

    def test_authn_body_carries_the_mapped_login_and_the_password(self):
        r = self.login("authenticate")
        authn = r.requests[0]
        self.assertEqual(authn.path, "/api/v1/authn")
        self.assertEqual(authn.json["username"], login_of("alice"))
        self.assertEqual(authn.json["password"], PASSWORDS["alice"])
        self.assertLessEqual(set(authn.json), {"username", "password", "options", "context"})

    def test_custom_password_prompt(self):
        r = self.login("authenticate", conf={"password_prompt": "Okta-password:"})
        self.assertEqual([p["text"] for p in r.prompts], ["Okta-password:"])

    def test_forward_client_ip_sends_rhost_on_authentication_api_calls(self):
        r = self.login("authenticate", conf={"forward_client_ip": "yes"})
        self.assertEqual(r.requests[0].headers.get_all("X-Forwarded-For"), [RHOST])

    def test_client_ip_is_not_forwarded_by_default(self):
        r = self.login()
        for q in r.requests:
            self.assertNotIn("X-Forwarded-For", q.headers, q)


class LifecyclePrompt(Lifecycle, PamTestCase):
    token_source = "prompt"

    def test_the_token_typed_is_the_token_sent(self):
        token = self.mint_token("alice")
        r = self.run("authenticate", answers=[token])
        self.assertEqual(r.requests[0].json, {"sessionToken": token})

    def test_custom_token_prompt(self):
        r = self.login("authenticate", conf={"token_prompt": "Token:"})
        self.assertEqual([p["text"] for p in r.prompts], ["Token:"])


if __name__ == "__main__":
    unittest.main()
