"""okta-sessiond ends a revoked login through logind, in a booted systemd.

The container (container.py) is this machine's own system booted by
systemd-nspawn: dbus, systemd-logind, Debian's ssh.service and the
project's okta-sessiond.service (the hardened unit, as shipped) with the
module built with libsystemd installed in it, /etc/pam.d/sshd the example
file (its common-session holds pam_systemd, before the module's line), and
the fake Okta org on 127.0.0.1 outside.  Real ssh logins
(keyboard-interactive) each leave three processes detached from the login's
process tree: a "nohup sleep &", a "setsid sleep" and a sleep that ignores
SIGTERM and SIGHUP, whose parents have exited (they now belong to the
container's pid 1, but still to the login's logind scope).  The fake org
then ends one login's Okta session as an administrator would.

  logind     the revoked login: disconnected within one interval plus the
             grace, ended through TerminateSession (the daemon's
             ended_by_logind line), its detached processes gone (the one
             that ignores SIGTERM by logind's SIGKILL after the grace), the
             scope empty
  kept       a login of the same kind nobody revoked: connected, its
             detached processes alive (they do not die on their own)
  signals    a login without pam_systemd (no logind session), revoked at the
             same moment: disconnected by signals, and its detached processes
             survive, which is what logind adds
"""

import glob
import json
import os
import re
import select
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
SRCDIR = os.environ.get("OKTA_TEST_SRCDIR") or os.path.dirname(os.path.dirname(HERE))
BUILDDIR = os.environ.get("OKTA_TEST_BUILDDIR") or SRCDIR
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(SRCDIR, "tests"))
sys.path.insert(0, os.path.join(SRCDIR, "tests", "fake_okta"))
from container import Container  # noqa: E402
from fake_okta import FakeOkta  # noqa: E402
from registry_records import read_records  # noqa: E402

MODULE = os.path.join(BUILDDIR, ".libs", "pam_okta_session.so")
DIRECT = os.path.join(BUILDDIR, ".libs", "pam_okta_session_direct.so")
SESSIOND = os.path.join(BUILDDIR, "okta-sessiond")
ASKPASS = os.path.join(SRCDIR, "tests", "e2e", "askpass.py")
EXAMPLES = os.path.join(SRCDIR, "examples")
SECURITY_DIR = os.path.dirname(sorted(
    glob.glob("/lib/*/security/pam_systemd.so") + glob.glob("/usr/lib/*/security/pam_systemd.so"))[0])
STATE_DIR = "/var/lib/pam_okta_session"
FAKE_DIR = "/etc/okta-logind-test/fake"
DOMAIN = "example.com"
# The shortest interval the configuration allows, and a one-second grace.
INTERVAL, GRACE = 10, 1
SLACK = 4
USERS = ("logind-ended", "logind-kept", "logind-signals")


def login_of(user):
    return "%s@%s" % (user, DOMAIN)


def wait_for(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("timed out after %.0f s waiting for %s" % (timeout, what))
        time.sleep(0.1)


def read_line(proc, timeout):
    """The first line PROC writes ("" if it ends or TIMEOUT passes first)."""
    deadline, out = time.monotonic() + timeout, b""
    while not out.endswith(b"\n"):
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([proc.stdout], [], [], left)[0]:
            break
        chunk = os.read(proc.stdout.fileno(), 1)
        if not chunk:
            break
        out += chunk
    return out.decode("utf-8", "replace")


def detach_command(tag):
    """What a login runs: three sleeps that leave its process tree (their
    parents exit at once) -- a nohup'd one, a setsid'd one and one that
    ignores SIGTERM and SIGHUP -- then it prints ready and holds the login."""
    return ("(nohup sleep %d >/dev/null 2>&1 &); "
            "(setsid sleep %d >/dev/null 2>&1 </dev/null &); "
            "( (trap '' TERM HUP; exec sleep %d >/dev/null 2>&1 </dev/null) & ); "
            "echo ready; exec sleep 300" % (tag, tag + 1, tag + 2))


class LogindTestCase(unittest.TestCase):
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if os.environ.get("OKTA_LOGIND_NAMESPACE") != "1":
            raise RuntimeError("run through tests/logind/run.sh (private namespaces, cgroups)")
        missing = [p for p in (MODULE, DIRECT, SESSIOND) if not os.path.exists(p)]
        if missing:
            raise RuntimeError("not built: %s" % ", ".join(missing))
        cls.c = Container(os.environ["OKTA_LOGIND_BASE"])
        cls.addClassCleanup(cls.c.unmount)
        cls.c.make_root()
        cls.fake = FakeOkta(cls.c.path(FAKE_DIR)).start()
        cls.addClassCleanup(cls.fake.stop)
        cls.passwords = {}
        cls._add_users()
        cls._install()
        cls.addClassCleanup(cls.c.terminate)
        cls.c.boot(["dbus.service", "systemd-logind.service", "ssh.service",
                    "okta-sessiond.service", "systemd-user-sessions.service"], 22)
        sys.stderr.write("[booted in %.1f s] " % cls.c.boot_seconds)

    # ---- the container's system -------------------------------------------

    @classmethod
    def _add_users(cls):
        c = cls.c
        passwd, group, shadow = c.read("/etc/passwd"), c.read("/etc/group"), c.read("/etc/shadow")
        used = {int(l.split(":")[2]) for l in (passwd + group).splitlines()
                if l.count(":") >= 3 and l.split(":")[2].isdigit()}
        uid = next(u for u in range(62000, 65000) if not used & set(range(u, u + len(USERS))))
        for i, user in enumerate(USERS):
            home = "/home/" + user
            os.makedirs(c.path(home), 0o755)
            os.chown(c.path(home), uid + i, uid + i)
            passwd += "%s:x:%d:%d:logind test user:%s:/bin/bash\n" % (user, uid + i, uid + i, home)
            group += "%s:x:%d:\n" % (user, uid + i)
            shadow += "%s:*:19000:0:99999:7:::\n" % user
            cls.passwords[user] = "Okta-%s-%s" % (user, os.urandom(6).hex())
            cls.fake.add_user(login_of(user), cls.passwords[user])
        c.write("/etc/passwd", passwd)
        c.write("/etc/group", group)
        c.write("/etc/shadow", shadow, 0o640)

    @classmethod
    def _install(cls):
        c = cls.c
        c.install(MODULE, os.path.join(SECURITY_DIR, "pam_okta_session.so"))
        c.install(DIRECT, os.path.join(SECURITY_DIR, "pam_okta_session_direct.so"))
        c.install(SESSIOND, "/usr/sbin/okta-sessiond", 0o755)
        with open(os.path.join(SRCDIR, "sessiond", "okta-sessiond.service.in")) as f:
            c.write("/etc/systemd/system/okta-sessiond.service",
                    f.read().replace("@sbindir@", "/usr/sbin"))
        config = {"org_url": cls.fake.url,
                  "api_token_file": os.path.join(FAKE_DIR, "api_token"),
                  "ca_file": os.path.join(FAKE_DIR, "ca.pem"),
                  "login_format": "%u@" + DOMAIN,
                  "watch_interval": INTERVAL, "revoke_grace": GRACE}
        c.write("/etc/security/pam_okta_session.conf",
                "# written by tests/logind\n"
                + "".join("%s = %s\n" % kv for kv in config.items()), 0o600)
        with open(os.path.join(EXAMPLES, "pam.d", "sshd")) as f:
            cls.sshd_pam = f.read()
        c.write("/etc/pam.d/sshd", cls.sshd_pam)
        # The same stack without pam_systemd, for the login of the signal path.
        common = c.read("/etc/pam.d/common-session")
        if not re.search(r"^session\s+\S+\s+pam_systemd\.so", common, re.M):
            # What pam-auth-update writes on a machine with libpam-systemd.
            common += "session\toptional\tpam_systemd.so\n"
            c.write("/etc/pam.d/common-session", common)
        c.write("/etc/pam.d/common-session-nologind",
                re.sub(r"^session\s+\S+\s+pam_systemd\.so.*$", "", common, flags=re.M))
        cls.sshd_pam_nologind = cls.sshd_pam.replace(
            "@include common-session\n", "@include common-session-nologind\n")
        assert cls.sshd_pam_nologind != cls.sshd_pam
        # sshd: Debian's ssh.service, on 127.0.0.1 of the namespace only.
        cls.sshd_dir = tempfile.mkdtemp(prefix="ssh-", dir=c.base)
        key = os.path.join(cls.sshd_dir, "host_ed25519")
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key], check=True)
        c.install(key, "/etc/okta-logind-test/host_ed25519", 0o600)
        with open(key + ".pub") as f:
            pub = f.read().split()
        cls.known_hosts = os.path.join(cls.sshd_dir, "known_hosts")
        with open(cls.known_hosts, "w") as f:
            f.write("127.0.0.1 %s %s\n" % (pub[0], pub[1]))
        with open(os.path.join(EXAMPLES, "sshd_config")) as f:
            example = f.read()
        c.write("/etc/ssh/sshd_config",
                "Port 22\nListenAddress 127.0.0.1\n"
                "HostKey /etc/okta-logind-test/host_ed25519\nLogLevel VERBOSE\n" + example)
        c.prepare_units(["dbus.service", "systemd-logind.service", "systemd-user-sessions.service",
                         "ssh.service", "okta-sessiond.service"])

    # ---- helpers -------------------------------------------------------------

    def start_ssh(self, user, command):
        ask = tempfile.mkdtemp(prefix="askpass-", dir=self.sshd_dir)
        with open(os.path.join(ask, "answers"), "w") as f:
            json.dump([self.passwords[user]], f)
        args = ["ssh", "-F", "/dev/null", "-l", user,
                "-o", "UserKnownHostsFile=" + self.known_hosts,
                "-o", "StrictHostKeyChecking=yes", "-o", "ConnectTimeout=10",
                "-o", "PreferredAuthentications=keyboard-interactive",
                "-o", "NumberOfPasswordPrompts=1", "-o", "IdentitiesOnly=yes",
                "-o", "IdentityFile=none", "127.0.0.1", command]
        env = {"PATH": "/usr/bin:/bin", "LANG": "C", "HOME": self.sshd_dir,
               "SSH_ASKPASS": ASKPASS, "SSH_ASKPASS_REQUIRE": "force", "DISPLAY": ":logind",
               "E2E_ASKPASS_DIR": ask}
        proc = subprocess.Popen(args, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, start_new_session=True)
        self.addCleanup(self._reap, proc)
        return proc

    @staticmethod
    def _reap(proc):
        if proc.poll() is None:
            proc.kill()
        proc.wait(10)
        proc.stdout.close()
        proc.stderr.close()

    def records(self):
        return read_records(self.c.path(STATE_DIR))

    def journal(self, identifier):
        r = self.c.run(["journalctl", "--no-pager", "-o", "json", "-t", identifier], check=False)
        return [json.loads(l)["MESSAGE"] for l in r.stdout.splitlines() if l.strip()]

    def daemon_lines(self, outcome, user):
        return [m for m in self.journal("okta-sessiond")
                if isinstance(m, str) and m.startswith(outcome + " ")
                and " user=%s " % user in m]

    def processes(self, pattern):
        """{pid: (ppid, cgroup)} of the container's processes whose whole
        command line is PATTERN (pids as the container sees them)."""
        script = ('for p in $(pgrep -x -f "%s"); do '
                  'echo "$p $(awk \'{print $4}\' /proc/$p/stat) '
                  '$(grep -m1 -E "^(0|1)::|name=systemd:" /proc/$p/cgroup | cut -d: -f3)"; '
                  'done' % pattern)
        out = {}
        for line in self.c.run(["sh", "-c", script]).stdout.splitlines():
            pid, ppid, cgroup = (line.split(" ", 2) + ["", ""])[:3]
            # A process that ended between pgrep and reading its /proc
            # files (as the revoked login's are meant to) is not there.
            if pid.isdigit() and ppid.isdigit():
                out[int(pid)] = (int(ppid), cgroup)
        return out

    def login(self, user, tag):
        """A held SSH login of USER with its detached sleeps TAG and TAG+1:
        (ssh process, Okta session id, record)."""
        before = len(self.fake.requests)
        proc = self.start_ssh(user, detach_command(tag))
        line = read_line(proc, 30)
        if line != "ready\n":
            proc.kill()
            self.fail("%s's login: %r %s" % (user, line, proc.stderr.read().decode()))
        created = [r for r in self.fake.requests[before:]
                   if r.method == "POST" and r.path == "/api/v1/sessions" and r.status == 200]
        self.assertEqual(len(created), 1, self.fake.requests[before:])
        # The daemon takes the record for a live login of this boot and ends
        # nothing (under a hardened unit that read the host's boot id it
        # took every login for an orphan of another boot).
        rec = wait_for(lambda: self._record_unless_orphan(user), 5, "%s's record" % user)
        sid = rec["session_id"]
        self.assertEqual((rec["service"], rec["okta_login"]), ("sshd", login_of(user)))
        time.sleep(0.5)
        self.assertEqual(self._orphan_lines(), [])
        self.assertIsNotNone(self.fake.session(sid), "%s's Okta session was ended" % user)
        sleeps = wait_for(lambda: self._sleeps(tag), 5, "%s's detached sleeps" % user)
        return proc, sid, rec, sleeps

    def _orphan_lines(self):
        return [m for m in self.journal("okta-sessiond") if m.startswith("orphan")]

    def _record_unless_orphan(self, user):
        recs = [r for r in self.records().values() if r["pam_user"] == user]
        if recs:
            return recs[0]
        orphans = self._orphan_lines()
        if orphans:
            self.fail("the daemon ended a live login as an orphan: %s" % orphans)
        return None

    def _sleeps(self, tag):
        found = {}
        for t in (tag, tag + 1, tag + 2):
            procs = self.processes("sleep %d" % t)
            if len(procs) != 1:
                return None
            found.update(procs)
        return found

    def requests_for(self, sid, method):
        return [r.status for r in self.fake.requests if sid in r.path and r.method == method]


class Logind(LogindTestCase):
    def test_the_shipped_unit_runs_the_daemon_and_its_agent(self):
        """The hardened unit leaves the daemon what it needs: its agent's
        socket (the read-only system once refused its directory)."""
        lines = self.journal("okta-sessiond")
        self.assertTrue([m for m in lines if m.startswith("started: ")], lines)
        self.assertEqual([m for m in lines if "not started" in m], [])
        wait_for(lambda: self.c.run(["test", "-S", "/run/pam_okta_session/agent.sock"],
                                    check=False).returncode == 0, 5, "the agent's socket")

    def test_revoked_login_is_ended_by_logind_with_its_detached_processes(self):
        ended = self.login("logind-ended", 1001)
        kept = self.login("logind-kept", 1004)
        self.c.write("/etc/pam.d/sshd", self.sshd_pam_nologind)
        try:
            signals = self.login("logind-signals", 1007)
        finally:
            self.c.write("/etc/pam.d/sshd", self.sshd_pam)

        # logind tracks the two logins of the full stack: the record names
        # the session, its scope holds the detached sleeps (whose parent is
        # now the container's pid 1: they left the login's process tree).
        for proc, sid, rec, sleeps in (ended, kept):
            session = rec.get("logind_session")
            self.assertTrue(session, rec)
            show = self.c.run(["loginctl", "show-session", session, "-p", "Name", "-p", "Scope",
                               "-p", "Leader", "-p", "Remote"]).stdout
            self.assertIn("Name=%s\n" % rec["pam_user"], show)
            self.assertIn("Remote=yes\n", show)
            self.assertIn("Scope=session-%s.scope\n" % session, show)
            # The daemon finds the session from the record's leader (sshd's
            # per-connection process): logind's leader of the session.
            self.assertIn("Leader=%s\n" % rec["leader_pid"], show)
            for pid, (ppid, cgroup) in sleeps.items():
                self.assertEqual(ppid, 1, (pid, ppid))
                self.assertTrue(cgroup.endswith("/session-%s.scope" % session), cgroup)
        self.assertNotIn("logind_session", signals[2])
        for pid, (ppid, cgroup) in signals[3].items():
            self.assertEqual(ppid, 1)
            self.assertNotIn("session-", cgroup)

        # The admin ends two Okta sessions.
        revoked = time.monotonic()
        self.fake.end_session(ended[1])
        self.fake.end_session(signals[1])
        took = {}
        for name, (proc, sid, rec, sleeps) in (("logind", ended), ("signals", signals)):
            wait_for(lambda: proc.poll() is not None, INTERVAL + GRACE + SLACK,
                     "the %s login to be disconnected" % name)
            took[name] = time.monotonic() - revoked
            self.assertEqual(self.requests_for(sid, "GET")[-1], 404)
        sys.stderr.write("[revocation to disconnect: %s] " % ", ".join(
            "%s %.1f s" % kv for kv in sorted(took.items())))

        # Through logind: every process of the session gone, the scope too.
        user, session = ended[2]["pam_user"], ended[2]["logind_session"]
        self.assertEqual(len(self.daemon_lines("revoked", user)), 1, self.journal("okta-sessiond"))
        self.assertEqual(len(self.daemon_lines("ended_by_logind", user)), 1,
                         self.journal("okta-sessiond"))
        self.assertEqual(self.daemon_lines("ending_login", user), [])
        # SIGTERM from TerminateSession, SIGKILL through logind after the
        # grace for the one that ignores it (else it lived on until the
        # scope's stop timeout, 90 s).
        wait_for(lambda: not self._any_sleep(1001), GRACE + SLACK, "the detached sleeps to go")
        wait_for(lambda: self.c.run(["loginctl", "show-session", session],
                                    check=False).returncode != 0,
                 SLACK, "logind to forget session %s" % session)
        self.assertNotIn("session-%s.scope" % session, self.c.run(
            ["systemctl", "list-units", "--all", "--no-legend", "--plain", "session-*"]).stdout)
        # sshd's monitor, ended by logind, still ran close_session: no record.
        wait_for(lambda: user not in [r["pam_user"] for r in self.records().values()],
                 SLACK, "%s's record to go" % user)

        # By signals: disconnected too, but what left the tree lives on.
        user = signals[2]["pam_user"]
        self.assertEqual(len(self.daemon_lines("revoked", user)), 1)
        self.assertEqual(len(self.daemon_lines("ending_login", user)), 1)
        self.assertEqual(self.daemon_lines("ended_by_logind", user), [])
        time.sleep(GRACE + 1)
        self.assertEqual(set(self._sleeps(1007) or ()), set(signals[3]))

        # Not revoked: still connected, its detached sleeps and scope alive.
        self.assertIsNone(kept[0].poll())
        self.assertEqual(set(self._sleeps(1004) or ()), set(kept[3]))
        self.assertEqual(self.daemon_lines("revoked", "logind-kept"), [])
        self.c.run(["loginctl", "show-session", kept[2]["logind_session"]])

        # No secret in the container's journal (the module's, sshd's and the
        # daemon's lines): passwords, the API token, session ids.
        journal = self.c.run(["journalctl", "--no-pager", "-o", "cat"]).stdout
        for secret in [self.fake.api_token] + list(self.passwords.values()) + [
                ended[1], kept[1], signals[1]]:
            self.assertNotIn(secret, journal)

    def _any_sleep(self, tag):
        return any(self.processes("sleep %d" % t) for t in (tag, tag + 1, tag + 2))


if __name__ == "__main__":
    unittest.main()
