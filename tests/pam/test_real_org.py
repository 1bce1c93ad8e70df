"""Okta orgs as they really answer, through real libpam: factors chosen the
way Okta's own clients choose them (both TOTP apps, several Okta Verify
phones, factors a terminal cannot use), short-name and mixed-case logins
(also across OpenSSH's process split), whose 401 a bad session token is,
and what the module tells Okta about itself (User-Agent, retries)."""

import ctypes
import ctypes.util
import os
import re
import unittest

from harness import (LOG_CRIT, PASSWORDS, PASSWORD_PROMPT, PamTestCase, REFRESH_PATH,
                     SESSION_PATH, SESSION_VAR, login_of)

import fake_okta  # noqa: E402 (harness puts its directory on the path)

CARL = login_of("carol")
PW = PASSWORDS["carol"]
USER_VAR = "PAM_OKTA_USER_ID"
OPENSSH = "child:authenticate+acct_mgmt setcred open_session close_session"


def factor_paths(r):
    return [q.path for q in r.requests if "/factors/" in q.path]


class RealOrgFactors(PamTestCase):
    """carol is enrolled as real users are; each test picks her factors."""

    def mfa_user(self, factors, **kw):
        self.fake.add_user(CARL, PW, mfa_required=True, factors=tuple(factors), **kw)

    def login(self, answers, steps="authenticate", **kw):
        return self.run(steps, user="carol", answers=[PW] + list(answers), **kw)

    def prompts(self, r):
        return [p["text"] for p in r.prompts]

    def fid(self, kind):
        return self.fake.factor_id(CARL, kind)

    def test_okta_verify_code_at_the_push_prompt_goes_to_okta_verify_not_google(self):
        # A real org lists Google Authenticator before Okta Verify's code.
        self.mfa_user(fake_okta.REAL_ORG_FACTORS)
        code = self.fake.totp_code(CARL, kind="totp")
        r = self.login([code])
        self.assertRc(r, "authenticate", "PAM_SUCCESS")
        self.assertEqual(self.prompts(r)[1],
                         "Okta Verify: press Enter for a push to Carol's iPhone, "
                         "or type a code: ")
        self.assertEqual(factor_paths(r),
                         ["/api/v1/authn/factors/%s/verify" % self.fid("totp")])
        self.assertEqual(self.fake.push_polls(CARL), 0, "no push was sent")

    def test_google_code_is_never_sent_to_okta_verify_or_typed_at_the_push_prompt(self):
        self.mfa_user(("google_totp", "push"))
        self.fake.push_auto(CARL, "approve", after_polls=1)
        r = self.login([self.fake.totp_code(CARL, kind="google_totp")])
        # No Okta Verify code here: the prompt offers only the push, and a
        # Google code typed there is never checked against anything.
        self.assertEqual(self.prompts(r)[1],
                         "Okta Verify: press Enter to get a push to Carol's iPhone: ")
        self.assertNotIn("/api/v1/authn/factors/%s/verify" % self.fid("google_totp"),
                         factor_paths(r))

    def test_totp_offers_okta_verify_before_google(self):
        self.mfa_user(fake_okta.REAL_ORG_FACTORS)
        r = self.login([self.fake.totp_code(CARL, kind="totp")], conf={"factors": "totp"})
        self.assertRc(r, "authenticate", "PAM_SUCCESS")
        self.assertEqual(self.prompts(r)[1], "Okta Verify code: ")
        self.assertEqual(factor_paths(r),
                         ["/api/v1/authn/factors/%s/verify" % self.fid("totp")])

    def test_google_totp_picks_google_authenticator(self):
        self.mfa_user(fake_okta.REAL_ORG_FACTORS)
        r = self.login([self.fake.totp_code(CARL, kind="google_totp")],
                       conf={"factors": "google_totp,push"})
        self.assertRc(r, "authenticate", "PAM_SUCCESS")
        self.assertEqual(self.prompts(r)[1], "Google Authenticator code: ")
        self.assertEqual(factor_paths(r),
                         ["/api/v1/authn/factors/%s/verify" % self.fid("google_totp")])

    def test_okta_totp_alone_skips_push_and_google(self):
        self.mfa_user(fake_okta.REAL_ORG_FACTORS)
        r = self.login([self.fake.totp_code(CARL, kind="totp")], conf={"factors": "okta_totp"})
        self.assertRc(r, "authenticate", "PAM_SUCCESS")
        self.assertEqual(self.prompts(r)[1], "Okta Verify code: ")

    def test_only_unusable_factors_is_a_clear_denial(self):
        self.mfa_user(("question", "webauthn", "u2f", "email"))
        r = self.login([])
        self.assertRc(r, "authenticate", "PAM_AUTH_ERR")
        self.assertIn("None of your Okta factors can be used to log in here. Enroll Okta "
                      "Verify or contact your administrator.", [m["text"] for m in r.messages])
        self.assertEqual(factor_paths(r), [], "nothing was tried")

    def test_device_names_reach_the_prompt_without_control_characters(self):
        for name, shown in (("J\u00fcrgen's iPhone", "J\u00fcrgen's iPhone"),
                            ("Bob\x1b]0;owned\x07 \u009b2J phone", "Bob?]0;owned? ?2J phone")):
            with self.subTest(name=name):
                self.mfa_user([{"factorType": "push", "provider": "OKTA",
                                "profile": {"name": name, "deviceType": "SmartPhone_IPhone"}}])
                r = self.login(["!abort"])
                # The driver reports the prompt's bytes as latin-1.
                self.assertEqual(self.prompts(r)[1].encode("latin-1").decode("utf-8"),
                                 "Okta Verify: press Enter to get a push to %s: " % shown)

    # ---- two phones with Okta Verify --------------------------------------

    def test_two_phones_get_the_push_by_type_and_are_named(self):
        self.mfa_user(("push", "totp", "push", "totp"))
        self.fake.push_auto(CARL, "approve", after_polls=1)
        r = self.login([""], steps="authenticate acct_mgmt")
        self.assertCalls(r, [("authenticate", "PAM_SUCCESS"), ("acct_mgmt", "PAM_SUCCESS")])
        self.assertEqual(self.prompts(r)[1],
                         "Okta Verify: press Enter for a push to Carol's iPhone and "
                         "Carol's Pixel 8, or type a code: ")
        self.assertEqual(set(factor_paths(r)), {"/api/v1/authn/factors/push/verify"})
        self.assertEqual(len(self.fake.push_state(CARL)["devices"]), 2)

    def test_code_from_the_second_phone_logs_in(self):
        self.mfa_user(("push", "totp", "push", "totp"))
        r = self.login([self.fake.totp_code(CARL, kind="totp", index=1)])
        self.assertRc(r, "authenticate", "PAM_SUCCESS")
        self.assertEqual(factor_paths(r),
                         ["/api/v1/authn/factors/token:software:totp/verify"])

    # ---- autopush and the password warning ---------------------------------

    def test_autopush_sends_the_push_without_waiting_for_enter(self):
        self.mfa_user(("push", "totp"))
        self.fake.push_auto(CARL, "approve", after_polls=1)
        r = self.login([], conf={"autopush": "yes"})
        self.assertRc(r, "authenticate", "PAM_SUCCESS")
        self.assertEqual(self.prompts(r), [PASSWORD_PROMPT], "only the password was asked")
        self.assertIn("Okta Verify: push sent to Carol's iPhone.",
                      [m["text"] for m in r.messages])
        self.assertEqual(self.fake.push_polls(CARL), 1)

    def test_autopush_still_shows_the_number_to_tap(self):
        self.mfa_user(("push",))
        self.fake.push_number_challenge(CARL, 17)
        self.fake.push_auto(CARL, "approve", after_polls=1)
        r = self.login([""], conf={"autopush": "yes"})
        self.assertRc(r, "authenticate", "PAM_SUCCESS")
        self.assertEqual(self.prompts(r)[1:],
                         ["Okta Verify: tap 17 on your phone, then press Enter: "])

    def test_password_warning_says_how_many_days_are_left(self):
        for days, words in ((9, "in 9 days"), (1, "in 1 day"), (0, "today")):
            with self.subTest(days=days):
                self.fake.add_user(CARL, PW, password_warn=True, password_expire_days=days)
                r = self.login([])
                self.assertRc(r, "authenticate", "PAM_SUCCESS")
                self.assertIn("Your Okta password expires %s; change it in Okta." % words,
                              [m["text"] for m in r.messages])


class ShortAndMixedCaseLogins(PamTestCase):
    """login_format=%u: alice types her short name; Okta's login is
    alice@example.com (or in another letter case)."""

    short = {"login_format": "%u"}

    def test_short_name_logs_in_and_the_session_is_ended_at_close(self):
        r = self.run("authenticate acct_mgmt open_session close_session",
                     answers=self.credentials(), conf=self.short)
        self.assertCalls(r, [("authenticate", "PAM_SUCCESS"), ("acct_mgmt", "PAM_SUCCESS"),
                             ("open_session", "PAM_SUCCESS"), ("close_session", "PAM_SUCCESS")])
        self.assertEqual(r.requests[0].json["username"], "alice")
        sid = self.session_ids(r)[0]
        self.assertIsNone(self.fake.session(sid), "ended at close_session")

    def test_mixed_case_okta_login_logs_in(self):
        self.fake.add_user("Alice@Example.COM", PASSWORDS["alice"])
        for conf in ({}, self.short):
            with self.subTest(conf=conf):
                r = self.run("authenticate acct_mgmt open_session", answers=self.credentials(),
                             conf=conf)
                self.assertCalls(r, [("authenticate", "PAM_SUCCESS"),
                                     ("acct_mgmt", "PAM_SUCCESS"),
                                     ("open_session", "PAM_SUCCESS")])

    def test_short_name_through_openssh_process_split(self):
        r = self.run(OPENSSH + " env", answers=self.credentials(), conf=self.short)
        self.assertCalls(r, [("authenticate", "PAM_SUCCESS"), ("acct_mgmt", "PAM_SUCCESS"),
                             ("setcred", "PAM_SUCCESS"), ("open_session", "PAM_SUCCESS"),
                             ("close_session", "PAM_SUCCESS")])
        self.assertRequests(r, [("POST", "/api/v1/authn", 200), ("POST", "/api/v1/sessions", 200),
                                ("GET", SESSION_PATH, 200), ("POST", REFRESH_PATH, 200),
                                ("DELETE", SESSION_PATH, 204)])
        child = [e for e in r.events if e["event"] == "child"][0]
        imported = {v["name"] for v in child["imported"]}
        self.assertTrue({SESSION_VAR, USER_VAR} <= imported, imported)
        self.assertNotIn(USER_VAR, r.env(), "removed with the session id")
        self.assertNotIn(SESSION_VAR, r.env())

    def test_session_of_another_user_is_ended_and_the_user_told_why(self):
        bob_sid, bob_session = self.session_body("bob")
        self.fake.inject("POST", "/api/v1/sessions", body=bob_session)
        r = self.run("authenticate", answers=self.credentials(), conf=self.short)
        self.assertRc(r, "authenticate", "PAM_AUTH_ERR")
        self.assertIsNone(self.fake.session(bob_sid), "the refused session was ended")
        self.assertIn("That Okta session belongs to another Okta user; log in with your own.",
                      [m["text"] for m in r.messages])
        self.assertLogged(r, user="alice", detail="session belongs to another Okta user")

    def plant(self, name, value):
        return "putenv:%s=%s" % (name, value)

    def test_a_user_id_planted_beside_the_session_id_is_refused(self):
        # The session is alice's; the user handed over with it is planted.
        for planted in (self.user_ids["bob"], self.user_ids["alice"],
                        self.user_ids["alice"] + "." + "0" * 64):
            with self.subTest(planted=planted):
                r = self.run(["child:authenticate+acct_mgmt", self.plant(USER_VAR, planted),
                              "open_session", "env"], answers=self.credentials(), conf=self.short)
                self.assertRc(r, "open_session", "PAM_SESSION_ERR")
                self.assertLogged(r, user="alice",
                                  detail="hand-off not written by the module; session not "
                                         "trusted")
                self.assertLogged(r, text="handoff_forged: PAM_OKTA_USER_ID in the PAM "
                                          "environment was not written by the module")
                self.assertNotIn(USER_VAR, r.env())

    def test_the_hand_off_is_bound_to_its_session_id(self):
        # The module's own PAM_OKTA_USER_ID, beside another session's id.
        bob = self.create_session("bob")
        r = self.run(["child:authenticate+acct_mgmt", self.plant(SESSION_VAR, bob),
                      "open_session"], answers=self.credentials())
        self.assertRc(r, "open_session", "PAM_SESSION_ERR")
        self.assertLogged(r, user="alice",
                          detail="hand-off not written by the module; session not trusted")
        self.assertIsNotNone(self.fake.session(bob), "bob's session was left alone")

    def test_a_planted_pair_of_another_user_logs_nobody_in(self):
        bob = self.create_session("bob")
        for conf in ({}, self.short):
            with self.subTest(conf=conf):
                r = self.run([self.plant(SESSION_VAR, bob),
                              self.plant(USER_VAR, self.user_ids["bob"]),
                              "acct_mgmt", "open_session"], conf=conf)
                self.assertCalls(r, [("acct_mgmt", "PAM_PERM_DENIED"),
                                     ("open_session", "PAM_SESSION_ERR")])

    def test_own_session_id_alone_is_checked_by_login(self):
        # No hand-off of the module: the session's login must be PAM_USER's
        # mapped login, or have it as its short name.
        sid = self.create_session("alice")
        for conf in ({}, self.short):
            with self.subTest(conf=conf):
                r = self.run([self.plant(SESSION_VAR, sid), "acct_mgmt", "open_session"],
                             conf=conf)
                self.assertCalls(r, [("acct_mgmt", "PAM_SUCCESS"),
                                     ("open_session", "PAM_SUCCESS")])


class BadPastedToken(PamTestCase):
    """Okta documents only "401" for a bad session token on create; orgs say
    E0000004 or E0000011. Either is the user's, unless the API token is bad."""

    token_source = "prompt"

    def test_bad_pasted_token_is_a_denial_under_either_error_code(self):
        for code in ("E0000004", "E0000011"):
            with self.subTest(code=code):
                self.fake.session_token_error_code = code
                r = self.run("authenticate", answers=["20111" + "x" * 37])
                self.assertRc(r, "authenticate", "PAM_AUTH_ERR")
                self.assertRequests(r, [("POST", "/api/v1/sessions", 401),
                                        ("GET", "/api/v1/users/me", 200)])
                self.assertLogged(r, user="alice", http="401", code=code)
                self.assertNotLogged(r, severity=LOG_CRIT)

    def test_pasted_token_of_a_mixed_case_login_logs_in(self):
        self.fake.add_user("Alice@Example.COM", PASSWORDS["alice"])
        token = self.fake.mint_session_token("Alice@Example.COM")
        self.secrets.add(token)
        r = self.run("authenticate acct_mgmt open_session", answers=[token])
        self.assertCalls(r, [("authenticate", "PAM_SUCCESS"), ("acct_mgmt", "PAM_SUCCESS"),
                             ("open_session", "PAM_SUCCESS")])

    def test_pasted_token_of_another_user_is_ended_and_the_user_told_why(self):
        r = self.run("authenticate", answers=[self.mint_token("bob")])
        self.assertRc(r, "authenticate", "PAM_AUTH_ERR")
        self.assertEqual([sid for sid in self.fake.sessions()
                          if self.fake.session(sid)["login"] == login_of("bob")], [],
                         "the refused session was ended")
        self.assertIn("That Okta session belongs to another Okta user; log in with your own.",
                      [m["text"] for m in r.messages])

    def test_used_token_is_a_denial_under_e0000011(self):
        self.fake.session_token_error_code = "E0000011"
        token = self.mint_token("alice")
        self.assertEqual(self.run("authenticate", answers=[token]).rc("authenticate"),
                         "PAM_SUCCESS")
        r = self.run("authenticate", answers=[token])
        self.assertRc(r, "authenticate", "PAM_AUTH_ERR")

    def test_a_truly_bad_api_token_is_a_service_error_logged_critical(self):
        self.write_private(self.api_token_file, "00" + "b" * 40 + "\n")
        r = self.run("authenticate", answers=[self.mint_token("alice")])
        self.assertRc(r, "authenticate", "PAM_SERVICE_ERR")
        self.assertRequests(r, [("POST", "/api/v1/sessions", 401),
                                ("GET", "/api/v1/users/me", 401)])
        self.assertLogged(r, severity=LOG_CRIT, code="E0000011")


class WhatOktaIsTold(PamTestCase):

    def test_user_agent_names_module_libcurl_and_os(self):
        lib = ctypes.CDLL(ctypes.util.find_library("curl") or "libcurl.so.4")
        lib.curl_version.restype = ctypes.c_char_p
        curl = lib.curl_version().decode().split()[0]          # libcurl/7.88.1
        u = os.uname()
        r = self.run("authenticate", answers=self.credentials())
        self.assertRc(r, "authenticate", "PAM_SUCCESS")
        for q in r.requests:
            agent = q.headers.get("User-Agent")
            self.assertRegex(agent, r"^pam_okta_session/\d+\.\d+\.\d+ ")
            self.assertEqual(agent.split()[1:], [curl, "%s/%s" % (u.sysname, u.release),
                                                 u.machine])

    def test_every_retry_names_the_first_429(self):
        sid = self.create_session("alice")
        self.fake.inject_rate_limit("GET", SESSION_PATH.replace("[A-Za-z0-9_-]+", sid),
                                    reset_in=0, count=2)
        r = self.run(["putenv:%s=%s" % (SESSION_VAR, sid), "acct_mgmt"],
                     conf={"retries": "2", "timeout": "20"})
        self.assertRc(r, "acct_mgmt", "PAM_SUCCESS")
        self.assertEqual([q.status for q in r.requests], [429, 429, 200])
        first = r.requests[0].request_id
        self.assertTrue(first)
        self.assertEqual([q.headers.get("X-Okta-Retry-For") for q in r.requests],
                         [None, first, first])
        self.assertEqual([q.headers.get("X-Okta-Retry-Count") for q in r.requests],
                         [None, "1", "2"])


if __name__ == "__main__":
    unittest.main()
