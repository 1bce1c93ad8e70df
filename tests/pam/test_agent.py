"""Requests through okta-sessiond's agent (DESIGN §11).

A login through the agent reaches Okta on the daemon's one warm connection,
with the daemon's Authorization header; agent=auto without a daemon is
today's direct behaviour; agent=required without one is Okta unreachable;
a daemon that hangs or dies mid-request costs at most `timeout` and never
replays a credential; only root may use the socket. The §7 rows the
transport can change are the existing suites run through the agent
(classes Agent* at the end).
"""

import os
import signal
import socket
import struct
import threading
import time
import unittest

import test_concurrency
import test_hostile
import test_service_errors
import test_session_calls
import test_unreachable
from agent import AgentDaemon, ThroughAgent, wait_for
from harness import PASSWORD_PROMPT, PamTestCase, REFRESH_PATH, SESSION_PATH

FULL = "authenticate acct_mgmt open_session close_session"
FULL_RCS = [("authenticate", "PAM_SUCCESS"), ("acct_mgmt", "PAM_SUCCESS"),
            ("open_session", "PAM_SUCCESS"), ("close_session", "PAM_SUCCESS")]
LOGIN_REQUESTS = [("POST", "/api/v1/authn", 200), ("POST", "/api/v1/sessions", 200),
                  ("GET", SESSION_PATH, 200), ("POST", REFRESH_PATH, 200),
                  ("DELETE", SESSION_PATH, 204)]


class AgentPaths(PamTestCase):
    """The agent's own behaviour, with the daemon started by each test."""

    def setUp(self):
        super().setUp()
        self.agent_dir = os.path.join(self.dir, "agent")
        os.mkdir(self.agent_dir, 0o700)
        self.agent_socket = os.path.join(self.agent_dir, "agent.sock")
        self.daemon = None
        self.daemon_config = os.path.join(self.dir, "sessiond.conf")

    def tearDown(self):
        if self.daemon is not None:
            self.daemon.signal(signal.SIGKILL)
            self.daemon.stop()
        super().tearDown()

    def start_daemon(self, threads=None, **conf):
        """The daemon reads a configuration of its own (with the API token)."""
        config = dict(self.config, agent_socket=self.agent_socket, **conf)
        self.write_private(self.daemon_config, self.config_text(config))
        log = os.path.join(self.dir, "agent-syslog")
        self.daemon = AgentDaemon(self.daemon_config, log).start(threads=threads)
        return self.daemon

    def raw_request(self, path, forward=b"", method=0, body=b""):
        """One frame as root, as the module writes it; the answer's
        disposition (1 sent, 2 refused) and HTTP status."""
        head = struct.pack("=8I", 0x4f4b5131, method, 0, 3000, 0, len(path), len(forward),
                           len(body))
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(5)
            s.connect(self.agent_socket)
            s.sendall(head + path + forward + body)
            answer = b""
            while len(answer) < 16:
                chunk = s.recv(4096)
                if not chunk:
                    break
                answer += chunk
        magic, disposition, _status, http_status = struct.unpack("=3Ii", answer[:16])
        self.assertEqual(magic, 0x4f4b4131)
        return disposition, http_status

    def stop_daemon(self):
        rc, err = self.daemon.stop()
        self.assertEqual((rc, err), (0, ""))
        self.daemon = None

    def module_conf(self, mode, **extra):
        return dict({"agent": mode, "agent_socket": self.agent_socket}, **extra)

    # ---- success -------------------------------------------------------------

    def test_login_through_the_agent_uses_one_connection(self):
        self.start_daemon()
        r = self.run(FULL, answers=self.credentials(), conf=self.module_conf("required"))
        self.assertCalls(r, FULL_RCS)
        self.assertRequests(r, LOGIN_REQUESTS)
        # Direct, close_session opens a connection of its own (DESIGN §6);
        # through the agent all five requests share the daemon's.
        self.assertOneConnection(r.requests)
        self.assertAllHeaders(r)
        for step in ("open_session", "close_session"):
            self.assertNoNewFds(r, step)
        self.stop_daemon()

    def test_logins_in_turn_share_the_warm_connection(self):
        self.start_daemon()
        first = self.run(FULL, answers=self.credentials(), conf=self.module_conf("auto"))
        second = self.run(FULL, answers=self.credentials(), conf=self.module_conf("auto"))
        self.assertCalls(second, FULL_RCS)
        self.assertOneConnection(first.requests + second.requests)
        self.stop_daemon()

    def test_required_needs_no_api_token_in_the_module(self):
        self.start_daemon()
        conf = self.module_conf("required", api_token_file=None)
        r = self.run(FULL, answers=self.credentials(), conf=conf)
        self.assertCalls(r, FULL_RCS)
        self.assertAllHeaders(r)  # the daemon's token is on every request
        self.stop_daemon()

    def test_without_a_token_the_hand_off_is_keyed_with_the_host_key(self):
        # No API token in the module: sshd's child vouches for the Okta user
        # with a key of this host (state_dir/handoff.key, root's, 0600), and
        # a PAM_OKTA_USER_ID keyed with anything else -- here the empty key
        # -- is refused in the monitor (planted, e.g. through pam_env's
        # user_readenv).
        import hashlib
        import hmac
        self.start_daemon()
        conf = self.module_conf("required", api_token_file=None)
        r = self.run("child:authenticate+acct_mgmt open_session close_session env",
                     answers=self.credentials(), conf=conf)
        self.assertCalls(r, [("authenticate", "PAM_SUCCESS"), ("acct_mgmt", "PAM_SUCCESS"),
                             ("open_session", "PAM_SUCCESS"), ("close_session", "PAM_SUCCESS")])
        child = [e for e in r.events if e["event"] == "child"][0]
        imported = {v["name"] for v in child["imported"]}
        self.assertTrue({"PAM_OKTA_SESSION_ID", "PAM_OKTA_USER_ID"} <= imported, imported)
        key_file = os.path.join(self.config["state_dir"], "handoff.key")
        st = os.lstat(key_file)
        self.assertEqual((st.st_uid, st.st_mode & 0o777), (0, 0o600))
        key = open(key_file).read()
        self.assertRegex(key, r"^[0-9a-f]{64}\n$")
        sid = self.create_session("alice")
        uid = self.fake.session(sid)["userId"]
        for forged_key in (b"", b"wrong"):
            mac = hmac.new(forged_key, b"".join(
                part.encode() + b"\0" for part in ("pam_okta_session hand-off 1", sid, uid,
                                                    "alice")), hashlib.sha256).hexdigest()
            r = self.run(["putenv:PAM_OKTA_SESSION_ID=" + sid,
                          "putenv:PAM_OKTA_USER_ID=%s.%s" % (uid, mac), "open_session"],
                         conf=conf)
            self.assertRc(r, "open_session", "PAM_SESSION_ERR")
            self.assertLogged(r, text="handoff_forged: PAM_OKTA_USER_ID in the PAM environment "
                                      "was not written by the module")
        self.assertEqual(open(key_file).read(), key, "made once, kept")
        self.stop_daemon()

    def test_answer_and_request_id_come_back_through_the_agent(self):
        self.start_daemon()
        error = {"errorCode": "E0000004", "errorSummary": "Authentication failed",
                 "errorLink": "E0000004", "errorId": "oaeAgentTest0123456789", "errorCauses": []}
        self.fake.inject("POST", "/api/v1/authn", status=401, body=error,
                         headers=[("X-Okta-Request-Id", "agent-test-request-id-0001")])
        r = self.run("authenticate", answers=self.credentials(),
                     conf=self.module_conf("required"))
        self.assertRc(r, "authenticate", "PAM_AUTH_ERR")
        self.assertRequests(r, [("POST", "/api/v1/authn", 401)])
        self.assertLogged(r, code="E0000004", request_id="agent-test-request-id-0001")
        self.stop_daemon()

    # ---- a light login process --------------------------------------------------

    def driver_maps(self):
        """The mapped files of the running pam_driver (a child of this process)."""
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            try:
                with open("/proc/%s/stat" % pid) as f:
                    stat = f.read()
                if "(pam_driver)" in stat and int(stat.rsplit(")", 1)[1].split()[1]) == os.getpid():
                    with open("/proc/%s/maps" % pid) as f:
                        return f.read()
            except (OSError, ValueError, IndexError):
                continue
        self.fail("pam_driver not found")

    def login_maps(self, mode):
        maps = []
        r = self.run("authenticate acct_mgmt open_session pause close_session",
                     answers=self.credentials(), conf=self.module_conf(mode),
                     pauses=[lambda: maps.append(self.driver_maps())])
        self.assertCalls(r, FULL_RCS)
        return maps[0]

    def test_a_login_through_the_agent_never_loads_libcurl(self):
        self.start_daemon()
        maps = self.login_maps("required")
        self.assertNotIn("libcurl", maps)
        self.assertNotIn("libssl", maps)
        self.assertNotIn("pam_okta_session_direct", maps)
        self.stop_daemon()

    def test_a_direct_login_loads_the_direct_transport(self):
        maps = self.login_maps("no")
        self.assertIn("pam_okta_session_direct.so", maps)
        self.assertIn("libcurl", maps)

    def test_the_direct_transport_is_loaded_only_from_a_root_file_not_a_link(self):
        # The module dlopens the file it checked, through its descriptor: a
        # symlink beside the module (to any root-owned library) is refused.
        import shutil
        import harness
        mods = os.path.join(self.dir, "modules")
        os.mkdir(mods)
        module = os.path.join(mods, os.path.basename(harness.MODULE))
        shutil.copy(harness.MODULE, module)
        real = os.path.join(os.path.dirname(os.path.realpath(harness.MODULE)),
                            "pam_okta_session_direct.so")
        beside = os.path.join(mods, "pam_okta_session_direct.so")
        os.symlink(real, beside)
        saved, harness.MODULE = harness.MODULE, module
        try:
            refused = self.run("authenticate", answers=self.credentials(),
                               conf=self.module_conf("no"))
            os.unlink(beside)
            shutil.copy(real, beside)
            os.chmod(beside, 0o644)
            loaded = self.run("authenticate", answers=self.credentials(),
                              conf=self.module_conf("no"))
        finally:
            harness.MODULE = saved
        self.assertNotEqual(refused.call("authenticate")["rc"], "PAM_SUCCESS")
        self.assertNoRequests(refused)
        self.assertLogged(refused, text="is missing, a symbolic link, or not a root-owned file")
        self.assertRc(loaded, "authenticate", "PAM_SUCCESS")

    # ---- no daemon -----------------------------------------------------------

    def test_auto_without_a_daemon_talks_to_okta_directly(self):
        r = self.run(FULL, answers=self.credentials(), conf=self.module_conf("auto"))
        self.assertCalls(r, FULL_RCS)
        self.assertRequests(r, LOGIN_REQUESTS)
        # Today's connections: one for authenticate..open_session, one to close.
        self.assertEqual(len({x.conn_id for x in r.requests}), 2, r.describe())

    def test_auto_with_a_stale_socket_talks_to_okta_directly(self):
        self.start_daemon()
        self.daemon.signal(signal.SIGKILL)  # leaves the socket file behind
        self.daemon.stop()
        self.daemon = None
        self.assertTrue(os.path.exists(self.agent_socket))
        r = self.run(FULL, answers=self.credentials(), conf=self.module_conf("auto"))
        self.assertCalls(r, FULL_RCS)

    def test_required_without_a_daemon_is_unreachable(self):
        for mode, rc in (("secure", "PAM_AUTHINFO_UNAVAIL"), ("safe", "PAM_IGNORE")):
            with self.subTest(failmode=mode):
                r = self.run(FULL, answers=self.credentials(),
                             conf=self.module_conf("required", failmode=mode))
                self.assertRc(r, "authenticate", rc)
                self.assertNoRequests(r)
                self.assertTrue(self.find_log(r, text="okta-sessiond is not answering"),
                                r.describe())

    def test_required_with_the_daemon_stopped_after_authenticate(self):
        self.start_daemon()

        def stop():
            self.stop_daemon()

        r = self.run("authenticate pause acct_mgmt open_session close_session",
                     answers=self.credentials(), conf=self.module_conf("required"),
                     pauses=[stop])
        self.assertCalls(r, [("authenticate", "PAM_SUCCESS"),
                             ("acct_mgmt", "PAM_AUTHINFO_UNAVAIL"),
                             ("open_session", "PAM_SESSION_ERR"),
                             ("close_session", "PAM_SESSION_ERR")])
        self.assertRequests(r, [("POST", "/api/v1/authn", 200),
                                ("POST", "/api/v1/sessions", 200)])

    def test_auto_with_the_daemon_stopped_after_authenticate_goes_direct(self):
        self.start_daemon()
        r = self.run("authenticate pause " + " ".join(FULL.split()[1:]),
                     answers=self.credentials(), conf=self.module_conf("auto"),
                     pauses=[self.stop_daemon])
        self.assertCalls(r, FULL_RCS)
        self.assertRequests(r, LOGIN_REQUESTS)

    # ---- a daemon that hangs or dies -----------------------------------------

    def test_hung_daemon_costs_at_most_timeout_and_sends_nothing(self):
        for mode in ("auto", "required"):
            with self.subTest(agent=mode):
                self.start_daemon()
                self.daemon.signal(signal.SIGSTOP)
                conf = self.module_conf(mode, timeout="2", connect_timeout="1")
                r = self.run("authenticate", answers=self.credentials(), conf=conf)
                self.assertRc(r, "authenticate", "PAM_AUTHINFO_UNAVAIL")
                # The request may sit in the daemon's queue: it is not sent
                # again directly, even with auto.
                self.assertNoRequests(r)
                self.assertLess(r.call("authenticate")["ms"], 2600)
                self.assertGreaterEqual(r.call("authenticate")["ms"], 1900)
                self.daemon.signal(signal.SIGCONT)
                self.daemon.signal(signal.SIGKILL)
                self.daemon.stop()
                self.daemon = None

    def test_daemon_dying_mid_request_replays_no_credential(self):
        for mode in ("auto", "required"):
            for path in ("/api/v1/authn", "/api/v1/sessions"):
                with self.subTest(agent=mode, request=path):
                    self.fake.clear_faults()
                    self.fake.clear_requests()
                    self.start_daemon()
                    self.fake.inject("POST", path, delay=1.5)
                    daemon = self.daemon

                    def kill_when_sent():
                        if wait_for(lambda: any(q.path == path for q in self.fake.requests
                                                if q.method == "POST")):
                            daemon.signal(signal.SIGKILL)

                    killer = threading.Thread(target=kill_when_sent)
                    killer.start()
                    r = self.run("authenticate", answers=self.credentials(),
                                 conf=self.module_conf(mode, timeout="5"))
                    killer.join()
                    self.assertRc(r, "authenticate", "PAM_AUTHINFO_UNAVAIL")
                    sent = [q for q in r.requests
                            if q.method == "POST" and q.path == path]
                    self.assertEqual(len(sent), 1, r.describe())
                    self.assertLess(r.call("authenticate")["ms"], 5000)
                    daemon.stop()
                    self.daemon = None

    def test_idempotent_request_is_not_retried_directly_after_the_daemon_died(self):
        self.start_daemon()
        daemon = self.daemon
        self.fake.inject("GET", SESSION_PATH, delay=1.5)

        def kill_when_sent():
            if wait_for(lambda: any(q.method == "GET" for q in self.fake.requests)):
                daemon.signal(signal.SIGKILL)

        killer = threading.Thread(target=kill_when_sent)
        killer.start()
        r = self.run("authenticate acct_mgmt", answers=self.credentials(),
                     conf=self.module_conf("auto", timeout="5"))
        killer.join()
        self.assertRc(r, "authenticate", "PAM_SUCCESS")
        self.assertRc(r, "acct_mgmt", "PAM_AUTHINFO_UNAVAIL")
        self.assertEqual(len([q for q in r.requests if q.method == "GET"]), 1, r.describe())
        daemon.stop()
        self.daemon = None

    # ---- the socket ----------------------------------------------------------

    def test_only_the_apis_the_module_uses_are_carried(self):
        """The daemon holds the API token: a root process cannot make it an
        admin API client, whatever path it writes."""
        self.start_daemon()
        # A path the module uses goes to Okta (a session that does not exist).
        self.assertEqual(self.raw_request(b"/api/v1/sessions/102nosuchsession"), (1, 404))
        refused = [
            (b"/api/v1/users/00u1nobody", b""),
            (b"/api/v1/users/00u1nobody/lifecycle/deactivate", b""),
            (b"/api/v1/authn/../users/00u1nobody", b""),
            (b"/api/v1/sessions/./../../api/v1/users", b""),
            (b"/api/v1/sessions%2f..%2fusers", b""),
            (b"/api/v1/sessionsX", b""),
            (b"//evil.example/api/v1/sessions", b""),
            (b"/api/v1/sessions/x y", b""),
            (b"/api/v1/authn", b"1.2.3.4, 5.6.7.8"),
            (b"/api/v1/authn", b"client.example.com"),
        ]
        for path, forward in refused:
            with self.subTest(path=path, forward=forward):
                self.assertEqual(self.raw_request(path, forward, method=1, body=b"{}"), (2, 0))
        self.assertEqual([(q.method, q.path) for q in self.fake.requests],
                         [("GET", "/api/v1/sessions/102nosuchsession")])
        self.assertTrue(wait_for(lambda: sum("refused a request outside the Okta APIs" in
                                             line.message for line in self.daemon.log)
                                 == len(refused), timeout=5),
                        [line.message for line in self.daemon.log])
        # Nothing of the refused paths is logged (a path can hold a session id).
        self.assertFalse([line.message for line in self.daemon.log if "nobody" in line.message])
        self.stop_daemon()

    def test_a_request_without_a_thread_is_refused_at_once(self):
        """A daemon that cannot start a worker refuses the request unsent,
        rather than leaving it queued for a thread that never comes: auto
        then logs in directly, and required fails at once, not after the
        whole timeout."""
        for mode, rc in (("auto", "PAM_SUCCESS"), ("required", "PAM_AUTHINFO_UNAVAIL")):
            with self.subTest(agent=mode):
                self.fake.clear_requests()
                self.start_daemon(threads=2)   # the multi and accepting threads only
                conf = self.module_conf(mode, timeout="10")
                r = self.run("authenticate", answers=self.credentials(), conf=conf)
                self.assertRc(r, "authenticate", rc)
                self.assertLess(r.call("authenticate")["ms"], 5000)
                if mode == "auto":
                    self.assertRequests(r, [("POST", "/api/v1/authn", 200),
                                            ("POST", "/api/v1/sessions", 200)])
                else:
                    self.assertNoRequests(r)
                self.assertTrue(any("no thread for a request" in line.message
                                    for line in self.daemon.log),
                                [line.message for line in self.daemon.log])
                self.stop_daemon()

    def test_a_swamped_daemon_is_waited_for_under_required(self):
        """A full listen backlog refuses connects with EAGAIN.  With required
        the module keeps trying within its timeout and logs in once the
        daemon catches up; with auto it goes to Okta itself at once."""
        self.start_daemon()
        self.daemon.signal(signal.SIGSTOP)
        fillers = []
        try:
            while True:
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                s.setblocking(False)
                try:
                    s.connect(self.agent_socket)
                except BlockingIOError:
                    s.close()
                    break
                fillers.append(s)
                self.assertLess(len(fillers), 10000)

            r = self.run("authenticate", answers=self.credentials(),
                         conf=self.module_conf("auto", timeout="10"))
            self.assertRc(r, "authenticate", "PAM_SUCCESS")
            self.assertLess(r.call("authenticate")["ms"], 3000)
            self.assertRequests(r, [("POST", "/api/v1/authn", 200),
                                    ("POST", "/api/v1/sessions", 200)])
            self.fake.clear_requests()

            def catch_up():
                for f in fillers:
                    f.close()
                self.daemon.signal(signal.SIGCONT)

            timer = threading.Timer(1.5, catch_up)
            timer.start()
            r = self.run("authenticate", answers=self.credentials(),
                         conf=self.module_conf("required", timeout="10"))
            timer.join()
        finally:
            for f in fillers:
                f.close()
            self.daemon.signal(signal.SIGCONT)
        self.assertRc(r, "authenticate", "PAM_SUCCESS")
        self.assertGreaterEqual(r.call("authenticate")["ms"], 1400)
        self.assertRequests(r, [("POST", "/api/v1/authn", 200),
                                ("POST", "/api/v1/sessions", 200)])
        self.stop_daemon()

    def test_socket_is_root_only(self):
        self.start_daemon()
        st = os.stat(self.agent_socket)
        self.assertEqual(st.st_mode & 0o777, 0o600)
        self.assertEqual(st.st_uid, 0)
        self.assertEqual(os.stat(self.agent_dir).st_mode & 0o777, 0o700)
        self.stop_daemon()
        self.assertFalse(os.path.exists(self.agent_socket))

    def test_non_root_peer_is_refused(self):
        self.start_daemon()
        # Open the path as a careless admin might; the peer check still holds.
        os.chmod(self.agent_dir, 0o711)
        os.chmod(self.agent_socket, 0o666)
        head = struct.pack("=8I", 0x4f4b5131, 0, 0, 3000, 0, len(b"/api/v1/sessions/x"), 0, 0)
        rpipe, wpipe = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(rpipe)
            answer = b"?"
            try:
                os.setgid(1001)
                os.setuid(1001)
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                s.settimeout(5)
                s.connect(self.agent_socket)
                try:
                    s.sendall(head + b"/api/v1/sessions/x")
                    answer = s.recv(4096)
                except OSError:
                    answer = b""
            except BaseException as e:  # noqa: B902
                answer = repr(e).encode()
            os.write(wpipe, b"len=%d" % len(answer))
            os._exit(0)
        os.close(wpipe)
        os.waitpid(pid, 0)
        got = os.read(rpipe, 200)
        os.close(rpipe)
        self.assertEqual(got, b"len=0")
        self.assertEqual([q for q in self.fake.requests if q.path.startswith("/api/v1/sessions/x")],
                         [])
        self.assertTrue(wait_for(lambda: any("refused a connection from uid 1001" in line.message
                                             for line in self.daemon.log), timeout=5),
                        [line.message for line in self.daemon.log])
        self.stop_daemon()


# ---- the §7 rows the transport can change, through the agent ----------------

class AgentUnreachableAuthn(ThroughAgent, test_unreachable.UnreachableAuthenticateAuthn):
    pass


class AgentUnreachablePrompt(ThroughAgent, test_unreachable.UnreachableAuthenticatePrompt):
    pass


class AgentUnreachableLaterCalls(ThroughAgent, test_unreachable.UnreachableLaterCalls):
    pass


class AgentRetries(ThroughAgent, test_unreachable.Retries):
    pass


class AgentServiceErrorsAuthn(ThroughAgent, test_service_errors.ServiceErrorsAuthn):
    pass


class AgentHostileAuthn(ThroughAgent, test_hostile.HostileAuthenticateAuthn):
    pass


class AgentHostileLaterCalls(ThroughAgent, test_hostile.HostileLaterCalls):
    pass


class AgentSessionCallsAuthn(ThroughAgent, test_session_calls.SessionCallsAuthn):
    pass



class AgentConcurrency(test_concurrency.Concurrency):
    """A hundred logins at once in one process, through one daemon: every
    answer reaches its own login (the daemon's shared connections mix
    nothing up), and requests wait on Okta side by side."""

    def setUp(self):
        super().setUp()
        agent_dir = os.path.join(self.dir, "agent")
        os.mkdir(agent_dir, 0o700)
        self.config.update({"agent": "required",
                            "agent_socket": os.path.join(agent_dir, "agent.sock")})
        self.write_config()
        self.daemon = AgentDaemon(self.config_path, os.path.join(self.dir, "agent-syslog"))
        self.daemon.start()

    def tearDown(self):
        rc, err = self.daemon.stop()
        self.assertEqual((rc, err), (0, ""))
        super().tearDown()

    def test_logins_wait_on_okta_side_by_side(self):
        self.fake.inject("POST", "/api/v1/authn", delay=1.0, count=len(self.many))
        events, requests, elapsed = self.run_threads(self.many, len(self.many))
        transactions = [e for e in events if e["event"] == "transaction"]
        self.assertAllSucceeded(transactions)
        self.assertExactRequests(requests, [u for u, _ in self.many])
        # One after the other, their authn alone would take 100 s.
        self.assertLess(elapsed, 20)


if __name__ == "__main__":
    unittest.main()