"""Harness of the daemon tests: the built okta-sessiond against the fake
Okta org, with records written as open_session writes them (tests/
registry_records.py) for leaders that are real processes of the test.

Each test gets what tests/pam/harness.py gives a PAM test (a fake org with
the users, a root-only config file, its own directory) plus a registry
directory; the daemon runs with the syslog capture shim preloaded."""

import os
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "pam"))
sys.path.insert(0, os.path.dirname(HERE))
from harness import BUILDDIR, SYSLOG_SHIM, PamTestCase, login_of, read_syslog_capture  # noqa: E402,F401
from registry_records import read_records, record_names, start_time, write_record  # noqa: E402,F401

DAEMON = os.environ.get("OKTA_TEST_SESSIOND") or os.path.join(BUILDDIR, "okta-sessiond")
SESSION_PATH = r"/api/v1/sessions/[A-Za-z0-9_-]+"

# The shortest interval the configuration allows, the shortest grace, and a
# budget that never slows a test down (the budget test sets its own).
FAST = {"watch_interval": "10", "revoke_grace": "1", "watch_budget": "6000", "timeout": "3",
        "connect_timeout": "2"}


def wait_for(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("timed out after %.1f s waiting for %s" % (timeout, what))
        time.sleep(0.05)


def alive(proc):
    return proc.poll() is None


class DaemonTestCase(PamTestCase):
    def setUp(self):
        super().setUp()
        if not os.path.exists(DAEMON):
            raise RuntimeError("not built: %s" % DAEMON)
        self.state_dir = self.config["state_dir"]
        os.mkdir(self.state_dir, 0o700)
        self.log_file = os.path.join(self.dir, "daemon.log")
        open(self.log_file, "w").close()
        self.daemon = None

    def daemon_env(self):
        preload = [SYSLOG_SHIM]
        if os.environ.get("OKTA_TEST_PRELOAD"):
            preload.insert(0, os.environ["OKTA_TEST_PRELOAD"])
        env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C",
               "LD_PRELOAD": ":".join(preload), "SYSLOG_CAPTURE_FILE": self.log_file}
        for name in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"):
            if name in os.environ:
                env[name] = os.environ[name]
        return env

    def daemon_cmd(self, *args):
        cmd = [DAEMON, "--config", self.config_path] + list(args)
        if os.environ.get("OKTA_TEST_WRAPPER"):
            cmd = os.environ["OKTA_TEST_WRAPPER"].split() + cmd
        return cmd

    def start_daemon(self, conf=None):
        """okta-sessiond --foreground with FAST plus CONF; stopped at cleanup."""
        self.write_config(dict(FAST, **(conf or {})))
        self.daemon = subprocess.Popen(self.daemon_cmd("--foreground"), env=self.daemon_env(),
                                       stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                       stderr=subprocess.PIPE)
        self.addCleanup(self.stop_daemon)
        wait_for(lambda: any("started" in l.message for l in self.daemon_log())
                 or self.daemon.poll() is not None, 10, "the daemon to start")
        self.assertIsNone(self.daemon.poll(), self.daemon.stderr.read().decode()
                          if self.daemon.poll() is not None else "")
        return self.daemon

    def stop_daemon(self):
        if self.daemon is not None and self.daemon.poll() is None:
            self.daemon.send_signal(signal.SIGTERM)
            try:
                self.daemon.wait(15)
            except subprocess.TimeoutExpired:
                self.daemon.kill()
                self.daemon.wait()
                raise AssertionError("okta-sessiond did not stop on SIGTERM")
        if self.daemon is not None:
            self.daemon.stdout.close()
            self.daemon.stderr.close()
            self.assertEqual(self.daemon.returncode, 0)
            self.daemon = None

    def run_once(self, conf=None, timeout=60):
        """okta-sessiond --once: one pass, then it exits."""
        self.write_config(dict(FAST, **(conf or {})))
        return subprocess.run(self.daemon_cmd("--once"), env=self.daemon_env(),
                              stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, timeout=timeout, text=True)

    def daemon_log(self):
        return read_syslog_capture(self.log_file)

    def logged(self, outcome, **fields):
        """Daemon lines that start with OUTCOME and carry FIELDS."""
        return [l for l in self.daemon_log() if l.message.split(" ", 1)[0] == outcome
                and all(l.fields.get(k) == v for k, v in fields.items())]

    def leader(self, argv=("sleep", "600")):
        """A process standing in for a login's leader (killed at cleanup)."""
        proc = subprocess.Popen(list(argv), start_new_session=True, stdin=subprocess.DEVNULL)
        self.addCleanup(self._reap, proc)
        wait_for(lambda: start_time(proc.pid) is not None, 5, "the leader to start")
        return proc

    @staticmethod
    def _reap(proc):
        if proc.poll() is None:
            proc.kill()
        proc.wait()

    def login_record(self, user="alice", proc=None, **kw):
        """An Okta session of USER and its record for the login led by PROC."""
        sid = self.create_session(user)
        kw.setdefault("user_id", self.user_ids[user])
        name = write_record(self.state_dir, sid, login_of(user),
                            proc.pid if proc is not None else kw.pop("pid"),
                            pam_user=user, **kw)
        return sid, name

    def requests_for(self, sid, method=None):
        return [r for r in self.fake.requests if sid in r.path
                and (method is None or r.method == method)]

    def assertNoSecretsInLog(self):
        text = "\n".join(l.message for l in self.daemon_log())
        for secret in self.secrets:
            self.assertNotIn(secret, text)
