"""Hostile answers and hostile local input (issue 5, DESIGN §3, §6, §7, §8).

Hostile or broken answers from "Okta" deny in BOTH failmodes, never
failmode=safe's PAM_IGNORE (an attacker on the path must not open the door):

    authenticate PAM_AUTH_ERR, acct_mgmt PAM_PERM_DENIED

Hostile local input (user names, passwords, the conversation, org_url) gets a
defined code without a crash and without a request Okta should not see.
Every run also goes through the harness's checks: nothing secret logged,
every log line one line of printable ASCII (attacker text escaped).
"""

import json
import os
import unittest

from harness import PamTestCase, PASSWORDS, SESSION_PATH, login_of
from test_fault_matrix import record

MODES = ("secure", "safe")
FAST = {"timeout": "3", "connect_timeout": "1"}


def raw_json(obj, **raw_values):
    """OBJ as JSON bytes, with string values of RAW_VALUES (bytes) put in
    verbatim: NUL escapes, invalid UTF-8 and such."""
    marked = dict(obj)
    for key in raw_values:
        marked[key] = "@@%s@@" % key
    text = json.dumps(marked).encode()
    for key, value in raw_values.items():
        text = text.replace(b'"@@%s@@"' % key.encode(), value)
    return text


class HostileAnswers(PamTestCase):
    """Each broken answer, in each failmode."""

    def deny_both_modes(self, case, inject, step="authenticate", expected="PAM_AUTH_ERR",
                        steps="authenticate acct_mgmt"):
        for mode in MODES:
            with self.subTest(case=case, failmode=mode):
                sid = inject()
                r = self.run(steps, answers=self.credentials(),
                             conf=dict(FAST, failmode=mode))
                self.fake.clear_faults()
                record(case, mode, r.rc(step), r.call(step)["ms"], self.id(), step=step)
                self.assertRc(r, step, expected)
                self.assertLogged(r, user="alice", login="alice@example.com")
                if step == "authenticate":
                    self.assertFalse(r.call("authenticate")["pam_env_has_session_id"])
                    self.assertRc(r, "acct_mgmt", "PAM_IGNORE")
                if sid is not None:
                    self.secrets.add(sid)
                yield r

    def on_create(self, body):
        def inject():
            self.fake.inject("POST", "/api/v1/sessions", body=body)
        return inject

    def session(self, **changes):
        drop = changes.pop("drop", ())
        return self.session_body("alice", drop=drop, **changes)[1]

    def test_truncated_json(self):
        good = json.dumps(self.session()).encode()
        for cut in (1, len(good) // 2, len(good) - 1):
            list(self.deny_both_modes("create: JSON truncated at %d" % cut,
                                      self.on_create(good[:cut])))

    def test_truncated_authn_transaction(self):
        def inject():
            self.fake.inject("POST", "/api/v1/authn", body=b'{"status":"SUCCESS","sessionTo')
        list(self.deny_both_modes("authn: truncated JSON", inject))

    def test_non_json_success(self):
        for body in (b"<html>captive portal</html>", b"null", b"[]", b'"ACTIVE"', b"42",
                     b"{}{}"):
            list(self.deny_both_modes("create: 200 with %r" % body, self.on_create(body)))

    def test_wrong_json_types(self):
        for field, value in (("id", 7), ("login", ["alice@example.com"]), ("status", True),
                             ("expiresAt", 1767225600), ("amr", "pwd"), ("amr", [7]),
                             ("amr", {"pwd": 1})):
            body = self.session()
            body[field] = value
            list(self.deny_both_modes("create: %s of the wrong type (%r)" % (field, value),
                                      self.on_create(body)))

    def test_missing_fields(self):
        for field in ("id", "login", "status", "expiresAt"):
            list(self.deny_both_modes("create: %s missing" % field,
                                      self.on_create(self.session(drop=[field]))))

    def test_nul_bytes_in_strings(self):
        for field, value in (("login", b'"alice@example.com\\u0000.evil"'),
                             ("status", b'"ACTIVE\\u0000"'),
                             ("id", b'"102abc\\u0000def"'),
                             ("expiresAt", b'"2030-01-01T00:00:00.000Z\\u0000"')):
            body = raw_json(self.session(), **{field: value})
            list(self.deny_both_modes("create: NUL in %s" % field, self.on_create(body)))

    def test_invalid_utf8_in_strings(self):
        for field, value in (("login", b'"alice@example.com\xff"'),
                             ("login", b'"\xc0\xafalice@example.com"'),
                             ("status", b'"ACTIVE\xed\xa0\x80"'),
                             ("id", b'"102\xfe\xfe"')):
            body = raw_json(self.session(), **{field: value})
            list(self.deny_both_modes("create: invalid UTF-8 in %s" % field,
                                      self.on_create(body)))

    def test_invalid_utf8_and_nul_in_an_error_are_logged_escaped(self):
        def inject():
            self.fake.inject("POST", "/api/v1/authn", status=401, body=raw_json(
                {"errorSummary": "x", "errorId": "oae1"},
                errorCode=b'"E0000004\xff\\u0000\\n\\u001b[31m"'))
        for r in self.deny_both_modes("authn 401 with NUL/invalid UTF-8 errorCode", inject):
            for line in r.module_log:
                self.assertNotIn("\x1b", line.message)

    def test_session_of_another_login(self):
        for mode in MODES:
            with self.subTest(failmode=mode):
                bob_sid, bob = self.session_body("bob")
                self.fake.inject("POST", "/api/v1/sessions", body=bob)
                r = self.run("authenticate", answers=self.credentials(),
                             conf=dict(FAST, failmode=mode))
                record("create: session of another login", mode, r.rc("authenticate"),
                       r.call("authenticate")["ms"], self.id())
                self.assertRc(r, "authenticate", "PAM_AUTH_ERR")
                self.assertIsNone(self.fake.session(bob_sid), "the foreign session was kept")

    def test_session_in_mfa_required(self):
        for mode in MODES:
            with self.subTest(failmode=mode):
                sid, body = self.session_body("alice", status="MFA_REQUIRED")
                self.fake.inject("POST", "/api/v1/sessions", body=body)
                r = self.run("authenticate", answers=self.credentials(),
                             conf=dict(FAST, failmode=mode))
                record("create: session in MFA_REQUIRED", mode, r.rc("authenticate"),
                       r.call("authenticate")["ms"], self.id())
                self.assertRc(r, "authenticate", "PAM_AUTH_ERR")
                self.assertIsNone(self.fake.session(sid))

    def test_session_ids_unfit_for_a_url(self):
        for label, sid in (("with /", "102abc/def"), ("..", ".."),
                           ("../ path", "../../api/v1/users/00u1"),
                           ("10000 characters", "1" * 10000), ("empty", ""),
                           ("with %2F", "102%2Fabc"), ("with ?", "102abc?x=1")):
            body = self.session(id=sid)
            for r in self.deny_both_modes("create: session id %s" % label, self.on_create(body),
                                          steps="authenticate acct_mgmt open_session "
                                                "close_session"):
                self.assertEqual(len(r.requests), 2, r.describe())
                for q in r.requests:
                    self.assertNotIn("..", q.raw_path)

    def test_unparsable_expires_at(self):
        for value in ("tomorrow", "2030-13-45", "", "2030-01-01", "2030-01-01T00:00:00",
                      "9" * 5000):
            list(self.deny_both_modes("create: expiresAt %r" % value[:20],
                                      self.on_create(self.session(expiresAt=value))))

    # ---- the same answers to acct_mgmt's GET --------------------------------

    def on_get(self, body):
        def inject():
            self.fake.inject("GET", SESSION_PATH, body=body)
        return inject

    def test_hostile_answers_to_the_session_check(self):
        cases = [
            ("truncated JSON", b'{"id":"102abc","login":"al'),
            ("non-JSON 200", b"<html>hello</html>"),
            ("NUL in login", raw_json(self.session(),
                                      login=b'"alice@example.com\\u0000x"')),
            ("invalid UTF-8 in login", raw_json(self.session(),
                                                login=b'"alice@example.com\xff"')),
            ("another login", self.session_body("bob")[1]),
            ("MFA_REQUIRED", self.session(status="MFA_REQUIRED")),
            ("id of 10000 characters", self.session(id="a" * 10000)),
            ("expiresAt unparsable", self.session(expiresAt="soon")),
            ("login missing", self.session(drop=["login"])),
        ]
        for label, body in cases:
            list(self.deny_both_modes("acct_mgmt: %s" % label, self.on_get(body),
                                      step="acct_mgmt", expected="PAM_PERM_DENIED"))


class HostileUserNames(PamTestCase):
    """User names that a login program passes on as typed."""

    ODD_LOCAL = [('o"brien', 2001), ("pct%u%%", 2002), ("semi;colon$(id)", 2003),
                 ("u" * 240, 2004)]

    def setUp(self):
        super().setUp()
        with open(self.passwd_file, "a") as f:
            for name, uid in self.ODD_LOCAL:
                f.write("%s:x:%d:%d::/tmp:/bin/sh\n" % (name, uid, uid))
        for name, _uid in self.ODD_LOCAL:
            self.fake.add_user(login_of(name), "Odd-pw-" + str(len(name)) + "-Xy7")
            self.secrets.add("Odd-pw-" + str(len(name)) + "-Xy7")

    def test_odd_local_names_reach_okta_json_escaped(self):
        for name, _uid in self.ODD_LOCAL:
            with self.subTest(user=name[:20]):
                pw = "Odd-pw-" + str(len(name)) + "-Xy7"
                r = self.run("authenticate acct_mgmt open_session close_session", user=name,
                             answers=[pw])
                self.assertCalls(r, [(s, "PAM_SUCCESS") for s in
                                     ("authenticate", "acct_mgmt", "open_session",
                                      "close_session")])
                self.assertEqual(r.requests[0].json["username"], login_of(name))

    def test_local_name_too_long_for_an_okta_login(self):
        # 255 bytes + "@example.com" is over the 256 bytes of a login.
        name = "v" * 255
        with open(self.passwd_file, "a") as f:
            f.write("%s:x:2010:2010::/tmp:/bin/sh\n" % name)
        r = self.run("authenticate acct_mgmt", user=name, answers=[PASSWORDS["alice"]])
        record("local user name of 255 bytes (login too long)", "secure",
               r.rc("authenticate"), r.call("authenticate")["ms"], self.id())
        self.assertCalls(r, [("authenticate", "PAM_USER_UNKNOWN"), ("acct_mgmt", "PAM_IGNORE")])
        self.assertNoRequests(r)
        self.assertLogged(r, text="mapped login too long")

    def test_names_no_one_can_have(self):
        for name in ("al\nice", "alice\r", "", " alice", "a" * 300, "a" * 5000, "al\tice",
                     "alice\x1b[2J"):
            for mode in MODES:
                with self.subTest(user=repr(name[:12]), failmode=mode):
                    r = self.run("authenticate acct_mgmt open_session close_session", user=name,
                                 answers=[PASSWORDS["alice"]], conf={"failmode": mode})
                    record("user name %r" % (name[:12] + ("..." if len(name) > 12 else "")),
                           mode, r.rc("authenticate"), r.call("authenticate")["ms"], self.id())
                    self.assertRc(r, "authenticate", "PAM_USER_UNKNOWN")
                    for step in ("acct_mgmt", "open_session", "close_session"):
                        self.assertRc(r, step, "PAM_IGNORE")
                    self.assertNoRequests(r)


class HostilePasswords(PamTestCase):
    def test_empty_password(self):
        r = self.run("authenticate", answers=[""])
        record("password of 0 bytes", "secure", r.rc("authenticate"),
               r.call("authenticate")["ms"], self.id())
        self.assertRc(r, "authenticate", "PAM_AUTH_ERR")
        self.assertNoRequests(r)

    def test_password_of_64_kib(self):
        # Answers are bounded (1024 bytes): a longer one is refused before
        # anything is sent, as a conversation that did not work.
        big = ("Q" * 1023 + "z") * 64
        self.secrets.add(big)
        r = self.run("authenticate", answers=[big])
        record("password of 64 KiB", "secure", r.rc("authenticate"),
               r.call("authenticate")["ms"], self.id())
        self.assertRc(r, "authenticate", "PAM_CONV_ERR")
        self.assertNoRequests(r)

    def test_password_just_under_the_limit_is_sent(self):
        pw = "p" * 1000
        r = self.run("authenticate", answers=[pw])
        self.assertRc(r, "authenticate", "PAM_AUTH_ERR")
        self.assertRequests(r, [("POST", "/api/v1/authn", 401)])
        self.assertEqual(r.requests[0].json["password"], pw)

    def test_password_with_control_characters_is_sent_json_escaped(self):
        pw = 'a"b\\c\td\x01e'
        self.fake.update_user(login_of("alice"), password=pw)
        r = self.run("authenticate", answers=[pw])
        self.assertRc(r, "authenticate", "PAM_SUCCESS")
        self.assertEqual(r.requests[0].json["password"], pw)


class BrokenConversation(PamTestCase):
    def test_conversation_failures(self):
        for answer, case in (("!abort", "conversation fails"),
                             ("!null", "conversation answers NULL"),
                             ("!noresp", "conversation returns no responses")):
            with self.subTest(case=case):
                r = self.run("authenticate acct_mgmt", answers=[answer])
                record(case, "secure", r.rc("authenticate"), r.call("authenticate")["ms"],
                       self.id())
                self.assertRc(r, "authenticate", "PAM_CONV_ERR")
                self.assertRc(r, "acct_mgmt", "PAM_IGNORE")
                self.assertNoRequests(r)
                self.assertEqual(len(r.prompts), 1)


class HostileOrgUrl(PamTestCase):
    def test_org_urls_that_are_refused(self):
        for url in ("https://" + "a" * 3990 + ".example.com",
                    "https://" + "a" * 64 + ".example.com" + "/x" * 1990,
                    "http://127.0.0.1:1", "https://u:p@127.0.0.1", "https://127.0.0.1/path",
                    "https://127.0.0.1 x", "ftp://127.0.0.1", "https://",
                    "https://127.0.0.1#frag", "https://127.0.0.1\rx"):
            with self.subTest(url=url[:40]):
                r = self.run("authenticate acct_mgmt", answers=self.credentials(),
                             conf={"org_url": url})
                # acct_mgmt has no session to act on: it steps aside.
                self.assertCalls(r, [("authenticate", "PAM_SERVICE_ERR"),
                                     ("acct_mgmt", "PAM_IGNORE")])
                self.assertNoRequests(r)
                # The log names the key, or the over-long line holding it.
                self.assertTrue(self.find_log(r, text="org_url")
                                or self.find_log(r, text="line too long"), r.describe())

    def test_org_url_of_4000_characters_as_a_module_argument(self):
        url = "https://" + "a" * 3990 + ".example.com"
        r = self.run("authenticate acct_mgmt", answers=self.credentials(),
                     args="org_url=" + url)
        self.assertCalls(r, [("authenticate", "PAM_SERVICE_ERR"),
                             ("acct_mgmt", "PAM_IGNORE")])
        self.assertNoRequests(r)


if __name__ == "__main__":
    unittest.main()
