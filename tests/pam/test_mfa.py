"""The Authentication API after the password (DESIGN §4, issue 3): push
with and without a number challenge, TOTP, SMS and voice codes, the other
transaction states, cancellation, and OpenSSH's password-answers-all quirk."""

import itertools
import re
import string
import unittest
from unittest import mock

from harness import PamTestCase, PASSWORDS, PASSWORD_PROMPT, login_of

import fake_okta  # noqa: E402 (harness puts its directory on the path)

PUSH_OR_CODE = "Okta Verify: press Enter for a push to Carol's iPhone, or type a code: "
PUSH_ONLY = "Okta Verify: press Enter to get a push to Carol's iPhone: "
TOTP_PROMPT = "Okta Verify code: "
VERIFY = r"/api/v1/authn/factors/[A-Za-z0-9]+/verify"
CARL = login_of("carol")
PW = PASSWORDS["carol"]


class Mfa(PamTestCase):
    """carol needs MFA; each test enrolls the factors it needs."""

    _epoch = itertools.count(1)

    def mfa_user(self, factors, **changes):
        # Okta's one-SMS-per-30-s rule is per phone, across transactions:
        # each test starts a minute of fake time after the one before.
        self.fake.clock_offset = 60.0 * next(self._epoch)
        self.fake.add_user(CARL, PW, mfa_required=True, factors=tuple(factors), **changes)

    def login(self, answers, steps="authenticate", **kw):
        return self.run(steps, user="carol", answers=[PW] + list(answers), **kw)

    def prompts(self, r):
        return [(p["style"], p["text"]) for p in r.prompts]

    def paths(self, r):
        return [(q.method, re.sub(r"/factors/[^/]+/", "/factors/ID/", q.path), q.status)
                for q in r.requests]

    def assertSessionTokenUsedOnce(self, r):
        creates = [q for q in r.requests if (q.method, q.path) == ("POST", "/api/v1/sessions")]
        self.assertEqual(len(creates), 1)
        token = self.fake.session_token(creates[0].json["sessionToken"])
        self.assertTrue(token["used"])

    def assertCancelled(self, r):
        self.assertEqual([q.path for q in r.requests][-1], "/api/v1/authn/cancel")
        self.assertTrue(self.fake.cancels, "the transaction was not cancelled")

    # ---- push ------------------------------------------------------------

    def test_push_approved_logs_in(self):
        self.mfa_user(["push"])
        self.fake.push_auto(CARL, "approve", after_polls=1)
        r = self.login([""], steps="authenticate acct_mgmt")
        self.assertCalls(r, [("authenticate", "PAM_SUCCESS"), ("acct_mgmt", "PAM_SUCCESS")])
        self.assertEqual(self.prompts(r), [("echo_off", PASSWORD_PROMPT), ("echo_off", PUSH_ONLY)])
        self.assertEqual(self.paths(r)[:4], [
            ("POST", "/api/v1/authn", 200),
            ("POST", "/api/v1/authn/factors/ID/verify", 200),   # push sent, WAITING
            ("POST", "/api/v1/authn/factors/ID/verify", 200),   # poll: SUCCESS
            ("POST", "/api/v1/sessions", 200)])
        for q in r.requests[1:3]:
            self.assertEqual(list(q.json), ["stateToken"], "every poll carries the state token")
        self.assertSessionTokenUsedOnce(r)
        session = self.fake.session(self.session_ids(r)[0])
        self.assertIn("mfa", session["amr"])

    def test_push_prompt_also_takes_a_totp_code(self):
        self.mfa_user(["push", "totp"])
        r = self.login([self.fake.totp_code(CARL)])
        self.assertRc(r, "authenticate", "PAM_SUCCESS")
        self.assertEqual(self.prompts(r)[1], ("echo_off", PUSH_OR_CODE))
        verify = [q for q in r.requests if "/factors/" in q.path]
        self.assertEqual(len(verify), 1)
        self.assertEqual(sorted(verify[0].json), ["passCode", "stateToken"])
        self.assertEqual(self.fake.push_polls(CARL), 0, "no push was sent")

    def test_number_challenge_is_shown_in_a_prompt_before_the_wait(self):
        self.mfa_user(["push"])
        self.fake.push_number_challenge(CARL, 42)
        self.fake.push_auto(CARL, "approve", after_polls=1)
        r = self.login(["", ""])
        self.assertRc(r, "authenticate", "PAM_SUCCESS")
        self.assertEqual(self.prompts(r)[2],
                         ("echo_on", "Okta Verify: tap 42 on your phone, then press Enter: "))

    def test_push_rejected_is_auth_err_with_a_message(self):
        self.mfa_user(["push"])
        self.fake.push_auto(CARL, "reject", after_polls=1)
        r = self.login([""])
        self.assertRc(r, "authenticate", "PAM_AUTH_ERR")
        self.assertIn("The Okta Verify push was rejected.", [m["text"] for m in r.messages])
        self.assertCancelled(r)
        self.assertLogged(r, user="carol", detail="push rejected")

    def test_push_timed_out_in_okta(self):
        self.mfa_user(["push"])
        self.fake.push_auto(CARL, "timeout", after_polls=1)
        r = self.login([""])
        self.assertRc(r, "authenticate", "PAM_AUTH_ERR")
        self.assertIn("The Okta Verify push timed out.", [m["text"] for m in r.messages])

    def test_push_timeout_ends_the_wait(self):
        self.mfa_user(["push"])
        r = self.login([""], conf={"push_timeout": "5"})
        self.assertRc(r, "authenticate", "PAM_AUTH_ERR")
        self.assertGreaterEqual(r.call("authenticate")["ms"], 5000)
        self.assertLess(r.call("authenticate")["ms"], 9000)
        self.assertIn("No answer to the Okta Verify push within 5 seconds.",
                      [m["text"] for m in r.messages])
        self.assertCancelled(r)

    def test_password_at_the_push_prompt_asks_for_a_push(self):
        # OpenSSH password authentication answers every prompt with the password.
        self.mfa_user(["push"])
        self.fake.push_auto(CARL, "approve", after_polls=1)
        r = self.login([PW])
        self.assertRc(r, "authenticate", "PAM_SUCCESS")
        self.assertTrue(all("passCode" not in (q.json or {}) for q in r.requests))

    # ---- codes -----------------------------------------------------------

    def test_totp_code_logs_in(self):
        self.mfa_user(["totp"])
        r = self.login([self.fake.totp_code(CARL)], conf={"factors": "totp"})
        self.assertRc(r, "authenticate", "PAM_SUCCESS")
        self.assertEqual(self.prompts(r)[1], ("echo_off", TOTP_PROMPT))
        self.assertSessionTokenUsedOnce(r)

    def test_google_authenticator_is_named(self):
        self.mfa_user(["google_totp"])
        r = self.login([self.fake.totp_code(CARL)], conf={"factors": "totp"})
        self.assertRc(r, "authenticate", "PAM_SUCCESS")
        self.assertEqual(self.prompts(r)[1], ("echo_off", "Google Authenticator code: "))

    def test_wrong_totp_code_may_be_retried(self):
        self.mfa_user(["totp"])
        r = self.login(["000000" if self.fake.totp_code(CARL) != "000000" else "111111",
                        self.fake.totp_code(CARL)], conf={"factors": "totp"})
        self.assertRc(r, "authenticate", "PAM_SUCCESS")
        self.assertIn("Wrong code. Try again.", [m["text"] for m in r.messages])
        codes = [q for q in r.requests if "/factors/" in q.path]
        self.assertEqual([q.status for q in codes], [403, 200])

    def test_three_wrong_codes_end_the_login(self):
        self.mfa_user(["totp"])
        wrong = "000000" if self.fake.totp_code(CARL) != "000000" else "111111"
        r = self.login([wrong] * 3, conf={"factors": "totp"})
        self.assertRc(r, "authenticate", "PAM_AUTH_ERR")
        self.assertEqual(len([q for q in r.requests if "/factors/" in q.path]), 3)
        self.assertCancelled(r)

    def test_password_as_a_code_is_never_sent(self):
        self.mfa_user(["totp"])
        r = self.login([PW], conf={"factors": "totp"})
        self.assertRc(r, "authenticate", "PAM_AUTH_ERR")
        self.assertFalse([q for q in r.requests if "/factors/" in q.path])
        self.assertLogged(r, detail="MFA answer equals the password: MFA needs keyboard-interactive")

    def test_sms_code_is_asked_for_after_it_was_sent(self):
        self.mfa_user(["sms"])
        sent = len(self.fake.otp_sends(CARL, "sms"))
        r = self.login(["", "!abort"], conf={"factors": "sms"})
        self.assertRc(r, "authenticate", "PAM_CONV_ERR")
        self.assertEqual(self.prompts(r)[1:], [
            ("echo_off", "Okta: press Enter to get a code by SMS at +1 XXX-XXX-1337: "),
            ("echo_off", "Code sent by SMS to +1 XXX-XXX-1337: ")])
        self.assertEqual(len(self.fake.otp_sends(CARL, "sms")), sent + 1)
        self.assertCancelled(r)

    def test_sms_code_logs_in(self):
        # The fake draws codes with secrets.choice: make its digits known.
        self.mfa_user(["sms"])
        real_choice = fake_okta.secrets.choice
        digits = lambda seq: "7" if seq == string.digits else real_choice(seq)  # noqa: E731
        with mock.patch.object(fake_okta.secrets, "choice", digits):
            r = self.login(["", "777777"], conf={"factors": "sms"})
        self.assertRc(r, "authenticate", "PAM_SUCCESS")
        self.assertEqual(self.fake.last_sms_code(CARL), "777777")
        verify = [q for q in r.requests if "/factors/" in q.path]
        self.assertEqual([sorted(q.json) for q in verify],
                         [["stateToken"], ["passCode", "stateToken"]])
        self.assertSessionTokenUsedOnce(r)

    def test_second_sms_within_30_seconds_is_refused_with_advice(self):
        self.mfa_user(["sms"])
        self.login(["", "!abort"], conf={"factors": "sms"})
        r = self.login([""], conf={"factors": "sms"})
        self.assertRc(r, "authenticate", "PAM_AUTH_ERR")
        self.assertEqual(r.requests[1].note, "E0000109")
        self.assertTrue(any("30 seconds" in m["text"] for m in r.messages), r.messages)

    def test_voice_call_code_logs_in(self):
        self.mfa_user(["call"])
        real_choice = fake_okta.secrets.choice
        digits = lambda seq: "5" if seq == string.digits else real_choice(seq)  # noqa: E731
        with mock.patch.object(fake_okta.secrets, "choice", digits):
            r = self.login(["", "55555"], conf={"factors": "call"})
        self.assertRc(r, "authenticate", "PAM_SUCCESS")
        self.assertEqual(self.prompts(r)[2],
                         ("echo_off", "Code from the call to +1 XXX-XXX-1337: "))

    def test_silent_login_still_prompts_but_shows_no_messages(self):
        self.mfa_user(["push"])
        self.fake.push_auto(CARL, "reject", after_polls=1)
        r = self.login([""], silent=True)
        self.assertRc(r, "authenticate", "PAM_AUTH_ERR")
        self.assertEqual(len(r.prompts), 2)
        self.assertEqual(r.messages, [])

    def test_sms_resend_refused_then_code_succeeds_without_an_error(self):
        self.mfa_user(["sms"])
        real_choice = fake_okta.secrets.choice
        digits = lambda seq: "7" if seq == string.digits else real_choice(seq)  # noqa: E731
        with mock.patch.object(fake_okta.secrets, "choice", digits):
            r = self.login(["", "", "777777"], conf={"factors": "sms"})
        self.assertRc(r, "authenticate", "PAM_SUCCESS")
        self.assertIn("E0000109", [q.note for q in r.requests])
        self.assertFalse(any("log in again" in m["text"] for m in r.messages), r.messages)

    def test_password_at_the_sms_prompt_sends_nothing(self):
        self.mfa_user(["sms"])
        sent = len(self.fake.otp_sends(CARL, "sms"))
        r = self.login([PW], conf={"factors": "sms"})
        self.assertRc(r, "authenticate", "PAM_AUTH_ERR")
        self.assertEqual(len(self.fake.otp_sends(CARL, "sms")), sent)

    def test_password_of_digits_and_words_is_never_sent_as_a_code(self):
        pw = "2468 tiger lily"
        self.fake.add_user(CARL, pw, mfa_required=True, factors=("totp",))
        self.fake.clock_offset = 60.0 * next(self._epoch)
        r = self.run("authenticate", user="carol", answers=[pw, pw], conf={"factors": "totp"})
        self.assertRc(r, "authenticate", "PAM_AUTH_ERR")
        self.assertFalse([q for q in r.requests if "/factors/" in q.path])

    def test_time_window_exceeded_asks_again(self):
        self.mfa_user(["totp"])
        self.fake.inject("POST", VERIFY, body={"status": "MFA_CHALLENGE",
                                               "factorResult": "TIME_WINDOW_EXCEEDED",
                                               "expiresAt": "2026-07-01T09:05:00.000Z"})
        r = self.login(["123456", self.fake.totp_code(CARL)], conf={"factors": "totp"})
        self.assertRc(r, "authenticate", "PAM_SUCCESS")
        self.assertEqual(len([q for q in r.requests if "/factors/" in q.path]), 2)

    def test_slow_polls_never_read_as_okta_unreachable(self):
        # Polls spend no call budget: an ignored push with slow answers ends
        # as a denial, never as failmode=safe's PAM_IGNORE.
        self.mfa_user(["push"])
        self.fake.inject("POST", VERIFY, delay=0.6, count=None)
        r = self.login([""], conf={"timeout": "2", "connect_timeout": "1", "push_timeout": "6",
                                   "failmode": "safe"})
        self.assertRc(r, "authenticate", "PAM_AUTH_ERR")
        self.assertCancelled(r)

    def test_user_without_an_allowed_factor_is_told_so(self):
        self.mfa_user(["question"])
        r = self.login([])
        self.assertRc(r, "authenticate", "PAM_AUTH_ERR")
        self.assertTrue(any("None of your Okta factors" in m for m in [m["text"] for m in r.messages]))
        self.assertCancelled(r)

    def test_factor_list_under_the_singular_key(self):
        self.mfa_user(["totp"], factors_key="factor")
        r = self.login([self.fake.totp_code(CARL)], conf={"factors": "totp"})
        self.assertRc(r, "authenticate", "PAM_SUCCESS")

    def test_factor_lockout_is_maxtries(self):
        self.mfa_user(["totp"], factor_lockout=1)
        wrong = "000000" if self.fake.totp_code(CARL) != "000000" else "111111"
        r = self.login([wrong], conf={"factors": "totp"})
        self.assertRc(r, "authenticate", "PAM_MAXTRIES")

    # ---- hanging up, expiry, other states ---------------------------------

    def test_hanging_up_at_the_factor_prompt_cancels(self):
        self.mfa_user(["push"])
        r = self.login(["!abort"])
        self.assertRc(r, "authenticate", "PAM_CONV_ERR")
        self.assertEqual([q.path for q in r.requests], ["/api/v1/authn", "/api/v1/authn/cancel"])

    def test_expired_state_token_ends_cleanly(self):
        # State tokens that live one second, and a verify that arrives late.
        self.mfa_user(["totp"])
        self.fake.STATE_TOKEN_LIFETIME = 1
        self.addCleanup(delattr, self.fake, "STATE_TOKEN_LIFETIME")
        self.fake.inject("POST", VERIFY, delay=1.5)
        r = self.login([self.fake.totp_code(CARL)], conf={"factors": "totp"})
        self.assertRc(r, "authenticate", "PAM_AUTH_ERR")
        self.assertIn("Your Okta sign-in took too long and expired. Log in again.",
                      [m["text"] for m in r.messages])
        self.assertEqual((r.requests[-1].status, r.requests[-1].note), (401, "E0000011"))
        self.assertNotIn("/api/v1/authn/cancel", [q.path for q in r.requests])

    def test_password_warning_informs_and_goes_on(self):
        self.fake.update_user(CARL, password_warn=True)
        r = self.login([])
        self.assertRc(r, "authenticate", "PAM_SUCCESS")
        self.assertIn("Your Okta password expires in 5 days; change it in Okta.",
                      [m["text"] for m in r.messages])
        self.assertEqual([q.path for q in r.requests],
                         ["/api/v1/authn", "/api/v1/authn/skip", "/api/v1/sessions"])

    def test_states_that_need_okta_end_with_advice(self):
        for flag, words in (("mfa_enroll", "set up a second factor"),
                            ("recovery", "recovery is in progress"),
                            ("password_reset", "recovery is in progress"),
                            ("password_expired", "has expired")):
            with self.subTest(flag=flag):
                self.fake.update_user(CARL, **{flag: True})
                r = self.login([])
                self.fake.update_user(CARL, **{flag: False})
                self.assertRc(r, "authenticate", "PAM_AUTH_ERR")
                self.assertTrue(any(words in m for m in [m["text"] for m in r.messages]), [m["text"] for m in r.messages])
                self.assertCancelled(r)

    def test_client_ip_is_forwarded_on_every_authn_call(self):
        self.mfa_user(["totp"])
        r = self.login([self.fake.totp_code(CARL)], conf={"factors": "totp",
                                                          "forward_client_ip": "yes"},
                       rhost="203.0.113.9")
        authn = [q for q in r.requests if q.path.startswith("/api/v1/authn")]
        self.assertEqual(len(authn), 2)
        for q in authn:
            self.assertEqual(q.headers.get("X-Forwarded-For"), "203.0.113.9")
        create = [q for q in r.requests if q.path == "/api/v1/sessions"][0]
        self.assertIsNone(create.headers.get("X-Forwarded-For"))


class PasswordCharacters(PamTestCase):
    def test_four_byte_utf8_password_is_refused_locally(self):
        r = self.run("authenticate", answers=["pass\U0001F600word"])
        self.assertRc(r, "authenticate", "PAM_AUTH_ERR")
        self.assertNoRequests(r)
        self.assertTrue(any("emoji" in m["text"] for m in r.messages))

    def test_three_byte_utf8_password_is_sent(self):
        self.fake.add_user(login_of("alice"), "pass\u20acword")
        r = self.run("authenticate", answers=["pass\u20acword"])
        self.assertRc(r, "authenticate", "PAM_SUCCESS")
        self.assertEqual(r.requests[0].json["password"], "pass\u20acword")


if __name__ == "__main__":
    unittest.main()
