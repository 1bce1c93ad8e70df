"""okta-sessiond's agent for the PAM-level tests (DESIGN §11).

AgentDaemon runs tests/agent/agentd_test (the daemon's agent component on
its own: it loads the configuration file, serves agent_socket, stops on
SIGTERM) under the syslog capture shim.

ThroughAgent is a mixin for PamTestCase classes: every run starts a fresh
agent on the configuration the run writes (so a test's org_url, ca_file or
connect_timeout apply to the daemon's connection to the fake) and sets
`agent` and `agent_socket` in the module's configuration. Mixed into an
existing test class it runs that class's scenarios through the agent.
"""

import os
import select
import signal
import subprocess
import time

from harness import BUILDDIR, SYSLOG_SHIM, PamTestCase, read_syslog_capture

AGENTD = os.environ.get("OKTA_TEST_AGENTD") or os.path.join(BUILDDIR, "tests/agent/agentd_test")


class AgentDaemon:
    def __init__(self, config_path, log_file):
        self.config_path = config_path
        self.log_file = log_file
        self.proc = None

    def start(self, timeout=10, threads=None):
        """threads=N: the daemon can start N threads of its own, no more."""
        with open(self.log_file, "a"):
            pass
        env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C",
               "LD_PRELOAD": SYSLOG_SHIM, "SYSLOG_CAPTURE_FILE": self.log_file}
        if threads is not None:
            env["OKTA_TEST_THREADS"] = str(threads)
        for name in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"):
            if name in os.environ:
                env[name] = os.environ[name]
        self.proc = subprocess.Popen([AGENTD, "config=" + self.config_path],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        line = self.proc.stdout.readline() if ready else b""
        if line.strip() != b"ready":
            self.proc.kill()
            err = self.proc.communicate()[1]
            raise AssertionError("agentd_test did not start: %r %r" % (line, err))
        return self

    def signal(self, sig):
        self.proc.send_signal(sig)

    def stop(self, timeout=30):
        """SIGTERM; returns (exit code, stderr)."""
        if self.proc is None:
            return 0, ""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)
            self.proc.terminate()
        try:
            _, err = self.proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            _, err = self.proc.communicate()
            raise AssertionError("agentd_test did not stop within %ss" % timeout)
        return self.proc.returncode, err.decode("utf-8", "replace")

    @property
    def log(self):
        return read_syslog_capture(self.log_file)


class ThroughAgent:
    """Mixin (before PamTestCase): every run through a fresh agent."""

    agent_mode = "required"

    def setUp(self):
        super().setUp()
        self.agent_dir = os.path.join(self.dir, "agent")
        os.mkdir(self.agent_dir, 0o700)
        self.agent_socket = os.path.join(self.agent_dir, "agent.sock")
        self.config.update({"agent": self.agent_mode, "agent_socket": self.agent_socket})
        self.agent_runs = 0
        self.agent = None

    def start_agent(self, config_path=None):
        self.agent_runs += 1
        log = os.path.join(self.dir, "agent-syslog.%d" % self.agent_runs)
        self.agent = AgentDaemon(config_path or self.config_path, log).start()
        return self.agent

    def stop_agent(self):
        rc, err = self.agent.stop()
        text = "\n".join(line.message for line in self.agent.log) + err
        for secret in sorted(s for s in self.secrets if s and len(s) >= 6):
            self.assertNotIn(secret, text, "a secret (%s…) reached the daemon's log" % secret[:4])
        self.assertEqual((rc, err), (0, ""), "agentd_test exit and stderr")

    def run_pam(self, steps, *args, conf=None, config_path=None, write_config=True, **kwargs):
        if write_config and config_path is None:
            self.write_config(conf)
        self.start_agent(config_path)
        try:
            return super().run_pam(steps, *args, conf=conf, config_path=config_path,
                                   write_config=write_config, **kwargs)
        finally:
            self.stop_agent()


def wait_for(predicate, timeout=10, interval=0.01):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return False


__all__ = ["AGENTD", "AgentDaemon", "ThroughAgent", "PamTestCase", "wait_for"]
