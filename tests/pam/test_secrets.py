"""Secrets (issue 5, DESIGN §8). Every run of every PAM test already searches
syslog, the conversation, stderr, the login environment after each call and
every request header but Authorization for the test's secrets (harness.py).
Here: those searches catch a planted secret (they are not vacuous), and a
core dump of the login process after authenticate holds neither the
password nor the session token once they were used (wiped, DESIGN §8)."""

import os
import re
import shutil
import signal
import subprocess
import unittest

from harness import BUILDDIR, PASSWORDS, PamTestCase

MFA_STEPS = "authenticate acct_mgmt setcred open_session pause close_session"


class HarnessSearches(PamTestCase):
    def test_a_secret_in_the_login_environment_is_caught(self):
        with self.assertRaisesRegex(AssertionError, "login environment"):
            self.run(["putenv:NOTE=" + PASSWORDS["alice"], "authenticate"],
                     answers=self.credentials())

    def test_a_secret_in_a_request_header_is_caught(self):
        # forward_client_ip sends PAM_RHOST as X-Forwarded-For.
        # PAM_RHOST is no secret (it is logged too): the run passes, and
        # the same check then fails once the value counts as one.
        planted = "203.0.113.77"
        r = self.run("authenticate", answers=self.credentials(), rhost=planted,
                     conf={"forward_client_ip": "yes"})
        self.secrets.add(planted)
        with self.assertRaisesRegex(AssertionError, "header X-Forwarded-For"):
            self.assertNoSecretsElsewhere(r)


def _driver_pid(confdir):
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % pid, "rb") as f:
                argv = f.read().split(b"\0")
        except OSError:
            continue
        if argv and argv[0].endswith(b"pam_driver") and confdir.encode() in argv:
            return int(pid)
    return None


DUMP_TIMEOUT = 120


@unittest.skipUnless(shutil.which("gcore"), "gdb's gcore is not installed")
class CoreDump(PamTestCase):
    """What a core dump (or a swapped page) of the login process shows while
    the session is open."""

    def dump_during_pause(self, steps, answers, **kw):
        cores = []

        def dump():
            pid = _driver_pid(self.confdir)
            self.assertIsNotNone(pid, "driver not found")
            prefix = os.path.join(self.dir, "core")
            # gcore is a script around gdb: on a timeout the whole group
            # goes, or gdb would keep the driver traced and its exit
            # unreaped, and the run would wait for ever.
            gcore = subprocess.Popen(["gcore", "-o", prefix, str(pid)], start_new_session=True,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                self.assertEqual(gcore.wait(timeout=DUMP_TIMEOUT), 0, "gcore failed")
            except subprocess.TimeoutExpired:
                os.killpg(gcore.pid, signal.SIGKILL)
                gcore.wait()
                raise AssertionError("gcore took over %ss" % DUMP_TIMEOUT)
            with open("%s.%d" % (prefix, pid), "rb") as f:
                cores.append(f.read())
            if os.environ.get("OKTA_TEST_KEEP_CORE"):
                shutil.copy("%s.%d" % (prefix, pid), os.environ["OKTA_TEST_KEEP_CORE"])
            os.unlink("%s.%d" % (prefix, pid))
        # The driver's own limit leaves gcore its time on a loaded machine.
        r = self.run(steps, answers=answers, pauses=[dump], timeout=DUMP_TIMEOUT + 60, **kw)
        return r, cores[0]

    def assertNotInCore(self, core, secret, what):
        self.assertTrue(secret)
        where = [m.start() for m in re.finditer(re.escape(secret.encode()), core)]
        self.assertEqual(where, [], "%s found in the core dump at %s" % (what, where[:5]))

    def assertInCore(self, core, value, what):
        # A control: what the module still holds is found, so the search works.
        self.assertTrue(value.encode() in core, "%s not found in the core dump" % what)

    @unittest.skipIf(os.environ.get("OKTA_TEST_WRAPPER") or os.environ.get("OKTA_TEST_SANITIZED"),
                     "the core of a process under valgrind or ASan is not the module's alone")
    def test_password_and_session_token_are_wiped_after_use(self):
        r, core = self.dump_during_pause(MFA_STEPS, self.credentials())
        self.assertCalls(r, [(s, "PAM_SUCCESS") for s in
                             ("authenticate", "acct_mgmt", "setcred", "open_session",
                              "close_session")])
        create = [q for q in r.requests if q.path == "/api/v1/sessions"][0]
        self.assertInCore(core, self.session_ids(r)[0], "the session id kept for close_session")
        self.assertNotInCore(core, PASSWORDS["alice"], "the password")
        self.assertNotInCore(core, create.json["sessionToken"], "the session token")

    @unittest.skipIf(os.environ.get("OKTA_TEST_WRAPPER") or os.environ.get("OKTA_TEST_SANITIZED"),
                     "the core of a process under valgrind or ASan is not the module's alone")
    def test_mfa_passcode_and_state_token_are_wiped_after_use(self):
        with open(self.passwd_file, "a") as f:
            f.write("mfauser:x:2100:2100::/tmp:/bin/sh\n")
        pw = "Mfa-user-pw-J8d2"
        self.fake.add_user("mfauser@example.com", pw, mfa_required=True, factors=("totp",))
        code = self.fake.totp_code("mfauser@example.com")
        r, core = self.dump_during_pause(MFA_STEPS, [pw, code], user="mfauser")
        self.assertRc(r, "authenticate", "PAM_SUCCESS")
        self.assertInCore(core, self.session_ids(r)[0], "the session id kept for close_session")
        state = [q.json["stateToken"] for q in r.requests
                 if isinstance(q.json, dict) and "stateToken" in q.json][0]
        self.assertNotInCore(core, pw, "the password")
        self.assertNotInCore(core, state, "the state token")
        self.assertNotInCore(core, '"passCode":"%s"' % code, "the passcode request body")

    @unittest.skipIf(os.environ.get("OKTA_TEST_WRAPPER") or os.environ.get("OKTA_TEST_SANITIZED"),
                     "the core of a process under valgrind or ASan is not the module's alone")
    def test_session_id_is_gone_after_pam_end(self):
        # libssl's record buffers, json-c's parse buffers and libcurl's
        # copies of the URL all held it; none may outlive the login.
        r, core = self.dump_during_pause(
            "authenticate acct_mgmt setcred open_session close_session end pause",
            self.credentials(), conf={"export_env": "yes"},
            env={"PAM_DRIVER_REDACT_SESSION_IDS": "1"})
        self.assertCalls(r, [(s, "PAM_SUCCESS") for s in
                             ("authenticate", "acct_mgmt", "setcred", "open_session",
                              "close_session")])
        sid = self.session_ids(r)[0]
        self.assertNotInCore(core, sid, "the session id")
        self.assertNotInCore(core, self.fake.api_token, "the API token")


FREE_WATCH = (os.environ.get("OKTA_TEST_FREE_WATCH")
              or os.path.join(BUILDDIR, "tests/pam/.libs/libfree_watch.so"))


@unittest.skipIf(os.environ.get("OKTA_TEST_WRAPPER") or os.environ.get("OKTA_TEST_SANITIZED"),
                 "valgrind and ASan bring allocators of their own")
class FreedMemory(PamTestCase):
    """Blocks freed during a login (libssl's record buffers, json-c's parse
    buffer, libcurl's copies) must not hold a session: tests/pam/free_watch.c
    reports every freed block that still holds the needle."""

    def test_no_block_freed_during_a_login_holds_the_session(self):
        self.assertTrue(os.path.exists(FREE_WATCH), "build tests/pam/libfree_watch.la")
        # Only a session's links name it under /api/v1/sessions/<id> in plain
        # text; the fake's ids start with 102, as Okta's do.
        needle = "/api/v1/sessions/102"
        preload = self.driver_env(os.devnull)["LD_PRELOAD"]
        r = self.run("authenticate acct_mgmt setcred open_session close_session end",
                     answers=self.credentials(),
                     env={"LD_PRELOAD": FREE_WATCH + ":" + preload,
                          "FREE_WATCH_NEEDLE": needle})
        self.assertCalls(r, [(s, "PAM_SUCCESS") for s in
                             ("authenticate", "acct_mgmt", "setcred", "open_session",
                              "close_session")])
        self.assertTrue(all(sid.startswith("102") for sid in self.session_ids(r)),
                        "the needle no longer matches the fake's session ids")
        self.assertNotIn("free_watch:", r.stderr)


if __name__ == "__main__":
    unittest.main()
