"""okta-sessiond with the real sshd, login, su and sudo (DESIGN §10): the
module registers each login, the daemon runs in the namespace with the
shortest interval the configuration allows (10 s) and a one-second grace,
and the fake org ends sessions as an administrator would."""

import os
import re
import signal
import sys
import time

from e2e import (E2ETestCase, USERS, Sessiond, Sshd, login_of, session_ids, wait_for)

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from registry_records import read_records  # noqa: E402

INTERVAL, GRACE = 10, 1
WATCH = {"watch_interval": INTERVAL, "revoke_grace": GRACE, "watch_budget": 6000}
# A login stays until the test ends it: the shell and a child of it wait.
HOLD = "echo ready; sleep 300 & sleep 301; echo never"


def okta_pw(user):
    return USERS[user][1]


def user_processes(user):
    """Pids of live (not zombie) processes running as USER."""
    uid = USERS[user][0]
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/status" % entry) as f:
                status = f.read()
        except OSError:
            continue
        m = re.search(r"^Uid:\s+(\d+)", status, re.M)
        state = re.search(r"^State:\s+(\S)", status, re.M)
        if m and int(m.group(1)) == uid and state and state.group(1) != "Z":
            out.append(int(entry))
    return out


def kill_user_processes():
    """What a test's logins left running (sshd leaves a command without a
    terminal running when the client goes, and so does kill -9 of its
    monitor): killed, so the next test starts with none."""
    for user in USERS:
        for pid in user_processes(user):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


class WatchTestCase(E2ETestCase):
    def setUp(self):
        super().setUp()
        kill_user_processes()
        self.addCleanup(kill_user_processes)
        self.system.write_config(**WATCH)
        self.sshd = Sshd(self.system).start()
        self.addCleanup(self.sshd.stop)
        self.daemon = Sessiond(self.system).start()
        self.addCleanup(self.daemon.stop)

    def records(self):
        return read_records(self.system.state_dir)

    def ssh_login(self, user):
        """A held SSH login of USER: (ssh process, session id, record)."""
        before = set(session_ids(self.fake.requests))
        proc = self.sshd.start_ssh(user, HOLD, answers=[okta_pw(user)])
        self.addCleanup(self.reap, proc)
        line = proc.stdout.readline().decode()
        self.assertEqual(line, "ready\n", proc.stderr.read().decode() if not line else line)
        sid = [s for s in session_ids(self.fake.requests) if s not in before][0]
        rec = wait_for(lambda: [r for r in self.records().values() if r["session_id"] == sid],
                       5, "the login's record")[0]
        self.assertEqual((rec["pam_user"], rec["service"], rec["okta_login"]),
                         (user, "sshd", login_of(user)))
        return proc, sid, rec

    @staticmethod
    def reap(proc):
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        proc.stdout.close()
        proc.stderr.close()

    def requests_for(self, sid, method=None):
        return [(r.method, r.status) for r in self.fake.requests
                if sid in r.path and (method is None or r.method == method)]

    def daemon_lines(self, outcome):
        return [l for l in self.daemon.log() if l.message.split(" ", 1)[0] == outcome]


class Revocation(WatchTestCase):
    def test_sessions_ended_in_okta_disconnect_their_ssh_logins(self):
        """Ended by an admin, no longer ACTIVE, user deactivated: each SSH
        login drops within one interval plus the grace, its processes gone."""
        logins = {user: self.ssh_login(user) for user in ("e2e-alice", "e2e-dave", "e2e-erin")}
        for user in logins:
            self.assertTrue(user_processes(user), user)
        revoked = time.monotonic()
        self.fake.end_session(logins["e2e-alice"][1])
        self.fake.set_session_status(logins["e2e-dave"][1], "MFA_REQUIRED")
        self.fake.deactivate_user(login_of("e2e-erin"))
        took = {}
        for user, (proc, sid, rec) in logins.items():
            wait_for(lambda: proc.poll() is not None, INTERVAL + GRACE + 3,
                     "%s's ssh to be disconnected" % user)
            took[user] = time.monotonic() - revoked
            self.assertNotIn("never", proc.stdout.read().decode())
            self.assertIn(("GET", 404 if user != "e2e-dave" else 200), self.requests_for(sid))
            wait_for(lambda: not user_processes(user), GRACE + 3,
                     "%s's processes to be gone" % user)
            line = [l for l in self.daemon_lines("revoked") if l.fields.get("user") == user]
            self.assertEqual(len(line), 1, self.daemon.log())
            self.assertEqual((line[0].fields["service"], line[0].fields["rhost"]),
                             ("sshd", "127.0.0.1"))
        sys.stderr.write("[revocation to disconnect: %s] " % ", ".join(
            "%s %.1f s" % kv for kv in sorted(took.items())))
        # The monitors ran close_session: no record is left.
        wait_for(lambda: not self.records(), 5, "the records to go")
        self.assertNoSecrets(*(str(l) for l in self.daemon.log()))

    def test_kill_9_of_sshd_ends_the_okta_session_within_one_interval(self):
        proc, sid, rec = self.ssh_login("e2e-alice")
        killed = time.monotonic()
        os.kill(int(rec["leader_pid"]), signal.SIGKILL)
        wait_for(lambda: self.requests_for(sid, "DELETE"), INTERVAL + 2,
                 "the daemon to end the orphan's session")
        took = time.monotonic() - killed
        self.assertEqual(self.requests_for(sid, "DELETE"), [("DELETE", 204)])
        self.assertIsNone(self.fake.session(sid))
        wait_for(lambda: not self.records(), 3, "the record to go")
        self.assertEqual(len(self.daemon_lines("orphan_leader_gone")), 1)
        sys.stderr.write("[kill -9 to DELETE: %.1f s] " % took)


class Outages(WatchTestCase):
    def test_logout_while_okta_is_down_is_finished_by_the_daemon(self):
        self.fake.inject("DELETE", r"/api/v1/sessions/[^/]+", status=503, count=1000)
        r = self.sshd.ssh("e2e-alice", "true", answers=[okta_pw("e2e-alice")])
        self.assertEqual(r.returncode, 0, r)
        sid = session_ids(self.fake.requests)[0]
        rec = wait_for(lambda: [x for x in self.records().values() if x.get("ended") == "1"],
                       10, "the record marked ended")[0]
        self.assertEqual(rec["session_id"], sid)
        self.assertLogged("close_session", "watch_left_to_daemon", "e2e-alice")
        self.assertIsNotNone(self.fake.session(sid))
        time.sleep(3)                          # Okta still down: the daemon keeps the record
        self.assertTrue(self.records())
        self.assertEqual(len(self.daemon_lines("okta_unreachable")), 1)
        self.fake.clear_faults()
        wait_for(lambda: self.fake.session(sid) is None, INTERVAL + 2, "the daemon's DELETE")
        wait_for(lambda: not self.records(), 3, "the record to go")
        self.assertEqual(len(self.daemon_lines("ended_after_logout")), 1)

    def test_okta_unreachable_429_5xx_and_garbage_for_intervals_end_nothing(self):
        proc, sid, rec = self.ssh_login("e2e-alice")
        path = r"/api/v1/sessions/[^/]+"
        started = time.monotonic()
        # Each fault answers every check for most of an interval: several
        # intervals in all, and not one login ended.
        for fault in (dict(status=503), dict(status=500), dict(body="<html>maintenance</html>")):
            self.fake.clear_faults()
            self.fake.inject("GET", path, count=1000, **fault)
            time.sleep(INTERVAL * 0.8)
            self.assertIsNone(proc.poll(), "the login was ended during %r" % fault)
        # A 429: the daemon waits for X-Rate-Limit-Reset before it asks again.
        self.fake.clear_faults()
        self.fake.inject_rate_limit("GET", path, reset_in=6, count=1000)
        wait_for(lambda: (("GET", 429) in self.requests_for(sid)), INTERVAL + 2, "a 429")
        limited = time.monotonic()
        n = len(self.requests_for(sid))
        time.sleep(4)
        self.assertEqual(len(self.requests_for(sid)), n, "asked again before the reset")
        self.fake.clear_faults()
        self.assertGreater(time.monotonic() - started, 2.5 * INTERVAL)
        wait_for(lambda: self.requests_for(sid)[-1] == ("GET", 200), INTERVAL + 4,
                 "checks to resume")
        self.assertGreaterEqual(time.monotonic() - limited, 6)
        self.assertIsNone(proc.poll())
        self.assertTrue(user_processes("e2e-alice"))
        self.assertIn(sid, [r["session_id"] for r in self.records().values()])
        failures = [s for m, s in self.requests_for(sid, "GET") if s != 200]
        self.assertGreaterEqual(len(failures), 3, self.requests_for(sid))
        self.assertEqual(self.daemon_lines("revoked"), [])
        self.assertGreaterEqual(len(self.daemon_lines("okta_unreachable")), 1)


class KeepAlive(WatchTestCase):
    def test_login_outlives_the_idle_lifetime_but_not_the_maximum(self):
        self.fake.session_idle_lifetime = 14
        self.fake.session_max_lifetime = 32
        proc, sid, rec = self.ssh_login("e2e-alice")
        opened = time.monotonic()
        time.sleep(22)                      # past the idle lifetime
        self.assertIsNone(proc.poll(), "ended at the idle lifetime")
        refreshes = [r for r in self.fake.requests
                     if r.path.endswith("/lifecycle/refresh") and sid in r.path]
        self.assertGreaterEqual(len(refreshes), 2)     # open_session's and the daemon's
        # The maximum lifetime still ends it: GET 404, revoked, disconnected.
        wait_for(lambda: proc.poll() is not None, 32 + INTERVAL + GRACE + 3 - 22,
                 "the maximum lifetime to end the login")
        self.assertGreaterEqual(time.monotonic() - opened, 30)
        self.assertEqual(len(self.daemon_lines("revoked")), 1)


class LoginSuSudo(WatchTestCase):
    """login, su and sudo logins are registered and removed like SSH ones."""

    def test_su_login_is_registered_then_removed(self):
        from ptyexpect import Pty
        env = self.system.program_env()
        env["TERM"] = "dumb"
        p = Pty(["setpriv", "--reuid=e2e-dave", "--regid=e2e-dave", "--init-groups", "--",
                 "su", "-", "e2e-alice", "-c", "echo in-su; sleep 2"], env)
        self.addCleanup(p.close)
        p.expect(r"Password: ")
        p.send(okta_pw("e2e-alice") + "\n")
        p.expect(r"in-su")
        (rec,) = self.records().values()
        self.assertEqual((rec["pam_user"], rec["service"], rec["okta_login"]),
                         ("e2e-alice", "su-l", login_of("e2e-alice")))
        self.assertEqual(p.wait(), 0, p.output)
        wait_for(lambda: not self.records(), 3, "the record to go")

    def test_login_is_registered_then_removed(self):
        from ptyexpect import Pty
        env = self.system.program_env()
        env["TERM"] = "dumb"
        p = Pty(["login"], env)
        self.addCleanup(p.close)
        p.expect(r"login: ")
        p.send("e2e-alice\n")
        p.expect(r"Password: ")
        p.send(okta_pw("e2e-alice") + "\n")
        p.expect(r"[$#] ")
        p.send("echo in-login\n")
        p.expect(r"in-login")
        (rec,) = self.records().values()
        self.assertEqual((rec["pam_user"], rec["service"]), ("e2e-alice", "login"))
        self.assertRegex(rec["tty"], r"pts/\d+")
        p.send("exit\n")
        self.assertEqual(p.wait(), 0, p.output)
        wait_for(lambda: not self.records(), 3, "the record to go")

    def test_sudo_login_is_registered_then_removed(self):
        from ptyexpect import Pty
        env = self.system.program_env()
        env["TERM"] = "dumb"
        # e2e-dave may run commands as e2e-alice (tests/e2e/e2e.py's sudoers).
        p = Pty(["setpriv", "--reuid=e2e-dave", "--regid=e2e-dave", "--init-groups", "--",
                 "sudo", "-u", "e2e-alice", "sh", "-c", "echo in-sudo; sleep 2"], env)
        self.addCleanup(p.close)
        p.expect(r"(?i)password")
        p.send(okta_pw("e2e-dave") + "\n")
        p.expect(r"in-sudo")
        (rec,) = self.records().values()
        self.assertEqual(rec["service"], "sudo")
        self.assertEqual(rec["okta_login"], login_of("e2e-dave"))
        self.assertEqual(p.wait(), 0, p.output)
        wait_for(lambda: not self.records(), 3, "the record to go")
