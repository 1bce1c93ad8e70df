"""The real sshd with okta-sessiond's agent (DESIGN §11): the built
okta-sessiond serves /run/pam_okta_session/agent.sock in the test's private
namespace, and the module (agent=required) hands it every request of the
login — sshd's PAM child and its monitor alike."""

import os
import signal
import subprocess
import time

from e2e import BUILDDIR, CONFIG_PATH, FULL_LOGIN, USERS, wait_for
from test_sshd import SshdTestCase

SESSIOND = os.environ.get("OKTA_TEST_SESSIOND") or os.path.join(BUILDDIR, "okta-sessiond")
SOCKET = "/run/pam_okta_session/agent.sock"


class AgentSshd(SshdTestCase):

    agent = "required"

    def setUp(self):
        super().setUp()
        # watch_interval at its maximum: the watcher makes no request while
        # the test counts them.
        self.system.write_config(agent=self.agent, agent_socket=SOCKET, watch_interval=3600)
        self.daemon = subprocess.Popen([SESSIOND, "--foreground", "--config", CONFIG_PATH],
                                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.addCleanup(self.stop_daemon)
        wait_for(lambda: os.path.exists(SOCKET) or self.daemon.poll() is not None, 10,
                 "okta-sessiond's socket")
        if self.daemon.poll() is not None:
            self.fail("okta-sessiond exited: %r" % (self.daemon.communicate(),))

    def stop_daemon(self):
        if self.daemon.poll() is None:
            self.daemon.send_signal(signal.SIGTERM)
        out, err = self.daemon.communicate(timeout=30)
        return self.daemon.returncode, err

    def test_login_reaches_okta_on_the_daemons_one_connection(self):
        r = self.ssh("e2e-alice", answers=[USERS["e2e-alice"][1]])
        self.assertEqual(r.returncode, 0, r)
        self.assertRequests(FULL_LOGIN)
        self.assertSessionEnded()
        # Direct, this login opens three connections (auth child, monitor's
        # refresh, monitor's delete); through the agent, one for all five.
        self.assertEqual(len({x.conn_id for x in self.fake.requests}), 1, self.fake.requests)
        self.assertCleanShell(r)
        for phase in ("authenticate", "acct_mgmt", "open_session", "close_session"):
            self.assertLogged(phase, "success", "e2e-alice", service="sshd", rhost="127.0.0.1")
        self.assertNoSecrets(r.stdout, r.stderr)
        self.assertEqual(self.stop_daemon(), (0, b""))

    def test_two_logins_share_the_warm_connection(self):
        for _ in range(2):
            r = self.ssh("e2e-alice", answers=[USERS["e2e-alice"][1]])
            self.assertEqual(r.returncode, 0, r)
        wait_for(lambda: len(self.fake.requests) >= 10, 10, "both logins' requests")
        self.assertEqual(len({x.conn_id for x in self.fake.requests}), 1, self.fake.requests)

    def test_required_without_the_daemon_refuses_the_login(self):
        self.stop_daemon()
        r = self.ssh("e2e-alice", answers=[USERS["e2e-alice"][1]])
        self.assertEqual(r.returncode, 255, r)
        time.sleep(0.2)
        self.assertEqual(self.fake.requests, [])


class AgentAutoSshd(AgentSshd):
    agent = "auto"

    def test_required_without_the_daemon_refuses_the_login(self):
        """With auto the same login goes to Okta directly instead."""
        self.stop_daemon()
        r = self.ssh("e2e-alice", answers=[USERS["e2e-alice"][1]])
        self.assertEqual(r.returncode, 0, r)
        self.assertRequests(FULL_LOGIN)
        self.assertEqual(len({x.conn_id for x in self.fake.requests}), 3, self.fake.requests)
