"""The real sshd (Debian's OpenSSH 9.2) with examples/pam.d/sshd and
examples/sshd_config, and the real ssh client.

Keyboard-interactive runs pam_authenticate and pam_acct_mgmt in a child of
sshd's monitor and the session calls in the monitor (DESIGN §5); password
authentication runs them all in the monitor."""

import os
import re
import subprocess

from e2e import (EXAMPLES, E2ETestCase, FULL_LOGIN, SESSION_VAR, SHELL_PROBE, USERS, Sshd,
                 fake_socket_inodes, login_of, parse_probe, session_ids, wait_for)


def okta_pw(user):
    return USERS[user][1]


class SshdTestCase(E2ETestCase):
    sshd_lines = ()

    def setUp(self):
        super().setUp()
        self.sshd = Sshd(self.system, self.sshd_lines).start()
        self.addCleanup(self.sshd.stop)

    def ssh(self, user, command=SHELL_PROBE, **kw):
        return self.sshd.ssh(user, command, **kw)

    def sshd_said(self, text, timeout=5):
        """Waits for a line of sshd's own syslog containing TEXT."""
        return wait_for(lambda: [l for l in self.system.log()
                                 if l.ident.startswith("sshd") and text in l.message],
                        timeout, "sshd to log %r" % text)

    def assertSessionEnded(self):
        ids = session_ids(self.fake.requests)
        self.assertEqual(len(ids), 1, self.fake.requests)
        wait_for(lambda: self.fake.session(ids[0]) is None, 5, "the session to end")
        return ids[0]

    def assertCleanShell(self, result):
        """The user's shell has no session id in its environment and no
        descriptor of a connection to the fake org."""
        env, fds = parse_probe(result.stdout)
        self.assertTrue(env, result)
        self.assertNotIn(SESSION_VAR, env)
        for sid in session_ids(self.fake.requests):
            self.assertNotIn(sid, result.stdout)
        sockets = {t[len("socket:["):-1] for t in fds.values() if t.startswith("socket:[")}
        self.assertFalse(sockets & fake_socket_inodes(self.fake.port),
                         "the shell holds a connection to Okta: %r" % fds)
        for target in fds.values():
            self.assertNotIn("pam_okta_session", target)
            self.assertNotIn(self.fake.workdir, target)   # CA file, API token


class KeyboardInteractive(SshdTestCase):

    def test_login_creates_refreshes_and_ends_the_session(self):
        r = self.ssh("e2e-alice", answers=[okta_pw("e2e-alice")])
        self.assertEqual(r.returncode, 0, r)
        self.assertEqual(len(r.prompts), 1, r)
        self.assertTrue(r.prompts[0].endswith("Password: "), r)
        self.assertRequests(FULL_LOGIN)
        sid = self.assertSessionEnded()
        reqs = self.fake.requests
        self.assertEqual(reqs[0].json["username"], login_of("e2e-alice"))
        self.assertEqual(reqs[1].json, {"sessionToken": self.secrets_tokens()[0]})
        self.assertTrue(all(sid in r.path for r in reqs[2:]))
        # authenticate and acct_mgmt run in sshd's PAM child and share its
        # connection; the monitor (refresh) and close_session open their own.
        self.assertEqual(len({x.conn_id for x in reqs[:3]}), 1)
        self.assertNotEqual(reqs[2].conn_id, reqs[3].conn_id)
        self.assertNotEqual(reqs[3].conn_id, reqs[4].conn_id)
        self.assertCleanShell(r)
        self.sshd_said("Accepted keyboard-interactive/pam for e2e-alice")
        for phase in ("authenticate", "acct_mgmt", "open_session", "close_session"):
            self.assertLogged(phase, "success", "e2e-alice", service="sshd", rhost="127.0.0.1")
        self.assertNoSecrets(r.stdout, r.stderr)

    def secrets_tokens(self):
        return [r.json["sessionToken"] for r in self.fake.requests
                if r.path == "/api/v1/sessions" and r.json]

    def test_short_name_and_mixed_case_logins(self):
        """login_format=%u sends Okta the short name e2e-alice (Okta's login is
        e2e-alice@example.com); another letter case likewise. The monitor,
        which sees only the PAM environment, gets the verified Okta user id
        with the session id and refreshes and ends that user's session."""
        for fmt, typed in (("%u", "e2e-alice"), ("%u@EXAMPLE.Com", "e2e-alice@EXAMPLE.Com")):
            with self.subTest(login_format=fmt):
                self.system.write_config(login_format=fmt)
                self.fake.clear_requests()
                r = self.ssh("e2e-alice", answers=[okta_pw("e2e-alice")])
                self.assertEqual(r.returncode, 0, r)
                self.assertRequests(FULL_LOGIN)
                self.assertEqual(self.fake.requests[0].json["username"], typed)
                self.assertSessionEnded()
                self.assertCleanShell(r)
                env, _fds = parse_probe(r.stdout)
                self.assertNotIn("PAM_OKTA_USER_ID", env)
                self.assertLogged("open_session", "success", "e2e-alice", service="sshd")

    def test_wrong_password_is_refused(self):
        r = self.ssh("e2e-alice", answers=["not-the-password"])
        self.assertEqual(r.returncode, 255, r)
        self.assertIn("Permission denied", r.stderr)
        self.assertRequests([("POST", "/api/v1/authn", 401)])
        self.assertEqual(self.fake.sessions(), [])
        self.assertLogged("authenticate", "denied", "e2e-alice", http="401", code="E0000004")
        self.sshd_said("Failed keyboard-interactive/pam for e2e-alice")
        self.assertNoSecrets(r.stdout, r.stderr)

    def test_okta_refusal_is_final_even_with_the_local_password(self):
        """default=die: a password Okta refuses never reaches pam_unix, even
        when it is the user's local password."""
        r = self.ssh("e2e-erin", "id -un", answers=[USERS["e2e-erin"][2]])
        self.assertEqual(r.returncode, 255, r)
        self.assertRequests([("POST", "/api/v1/authn", 401)])
        self.assertFalse([l for l in self.system.log() if l.message.startswith("pam_unix(sshd:auth)")],
                         self.system.log())
        r = self.ssh("e2e-erin", "id -un", answers=[USERS["e2e-erin"][1]])
        self.assertEqual(r.returncode, 0, r)

    def test_password_authentication_is_off(self):
        """examples/sshd_config: PasswordAuthentication no."""
        r = self.ssh("e2e-alice", "id -un", answers=[okta_pw("e2e-alice")], methods="password")
        self.assertEqual(r.returncode, 255, r)
        self.assertEqual(r.prompts, [])
        self.assertEqual(self.fake.requests, [])

    def test_mfa_push_user_logs_in_after_the_push(self):
        self.fake.push_auto(login_of("e2e-bob"), "approve", after_polls=1)
        r = self.ssh("e2e-bob", "id -un", answers=[okta_pw("e2e-bob"), ""])
        self.assertEqual(r.returncode, 0, r)
        self.assertEqual(r.stdout.strip(), "e2e-bob")
        self.assertEqual(len(r.prompts), 2, r)
        self.assertIn("push", r.prompts[1].lower())
        paths = [(x.method, x.path) for x in self.fake.requests]
        self.assertEqual(paths[0], ("POST", "/api/v1/authn"))
        self.assertIn("/verify", paths[1][1])
        self.assertSessionEnded()
        self.assertLogged("authenticate", "success", "e2e-bob")

    def test_mfa_totp_code_is_asked_for_and_checked(self):
        code = self.fake.totp_code(login_of("e2e-carol"))
        r = self.ssh("e2e-carol", "id -un", answers=[okta_pw("e2e-carol"), code])
        self.assertEqual(r.returncode, 0, r)
        self.assertEqual(len(r.prompts), 2, r)
        verify = [x for x in self.fake.requests if x.path.endswith("/verify")]
        self.assertEqual(len(verify), 1)
        self.assertEqual(verify[0].json.get("passCode"), code)
        self.assertSessionEnded()

    def test_mfa_wrong_code_is_refused(self):
        r = self.ssh("e2e-carol", "id -un", answers=[okta_pw("e2e-carol"), "000000"])
        self.assertEqual(r.returncode, 255, r)
        self.assertEqual(self.fake.sessions(), [])
        self.assertLogged("authenticate", "denied", "e2e-carol")

    def test_session_gone_at_account_check_refuses_the_login(self):
        """acct_mgmt: the session vanished after authentication (GET 404) ->
        PAM_PERM_DENIED, and sshd refuses the login."""
        self.fake.inject("GET", r"/api/v1/sessions/[^/]+", status=404, count=1)
        r = self.ssh("e2e-alice", "id -un", answers=[okta_pw("e2e-alice")])
        self.assertEqual(r.returncode, 255, r)
        self.assertNotIn("e2e-alice", r.stdout)
        self.assertLogged("acct_mgmt", "session_gone", "e2e-alice", http="404")
        self.assertFalse([x for x in self.fake.requests if x.path.endswith("/refresh")])

    def test_session_gone_at_open_session_stops_the_command(self):
        """open_session: the session vanished (refresh 404) -> PAM_SESSION_ERR.
        OpenSSH 9.2 has already accepted the login; it logs the failure and
        does not run the user's command (ssh exits 254), as the guide says."""
        self.fake.inject("POST", r"/api/v1/sessions/[^/]+/lifecycle/refresh", status=404,
                         count=1)
        r = self.ssh("e2e-alice", "echo RAN-AS-$(id -un)", answers=[okta_pw("e2e-alice")])
        self.assertNotEqual(r.returncode, 0, r)
        self.assertNotIn("RAN-AS-", r.stdout)
        self.assertLogged("open_session", "session_gone", "e2e-alice", http="404")
        self.sshd_said("pam_open_session(): Cannot make/remove an entry")

    def test_interactive_tty_session(self):
        """ssh -tt: a shell on a pseudo-terminal, commands typed on stdin."""
        args = self.sshd
        ask_answers = [okta_pw("e2e-alice")]
        r = args.ssh("e2e-alice", None, answers=ask_answers, tty=True,
                     stdin_text="tty; echo VAR=${%s:-unset}; exit\n" % SESSION_VAR)
        self.assertEqual(r.returncode, 0, r)
        self.assertIn("/dev/pts/", r.stdout)
        self.assertIn("VAR=unset", r.stdout)
        self.assertRequests(FULL_LOGIN)
        self.assertSessionEnded()
        self.assertNoSecrets(r.stdout, r.stderr)


class TokenSource(SshdTestCase):
    """token_source=prompt: the user pastes a session token."""

    def setUp(self):
        super().setUp()
        self.system.write_config(token_source="prompt")

    def test_pasted_token_logs_in(self):
        token = self.fake.mint_session_token(login_of("e2e-alice"))
        r = self.ssh("e2e-alice", "id -un", answers=[token])
        self.assertEqual(r.returncode, 0, r)
        self.assertIn("token", r.prompts[0].lower())
        self.assertRequests(FULL_LOGIN[1:])
        self.assertSessionEnded()

    def test_wrong_token_is_refused(self):
        r = self.ssh("e2e-alice", "id -un", answers=["20111" + "x" * 37])
        self.assertEqual(r.returncode, 255, r)
        # The 401 is the user's once users/me shows the API token good.
        self.assertRequests([("POST", "/api/v1/sessions", 401), ("GET", "/api/v1/users/me", 200)])
        self.assertLogged("authenticate", "denied", "e2e-alice", http="401")


class Unreachable(SshdTestCase):
    """Okta cannot be reached (connection refused)."""

    def setUp(self):
        super().setUp()
        import socket
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.closed_url = "https://127.0.0.1:%d" % s.getsockname()[1]

    def test_failmode_secure_denies(self):
        """Even a user whose typed password is also the local one: no fallback."""
        self.system.write_config(org_url=self.closed_url, timeout=3, failmode="secure")
        r = self.ssh("e2e-dave", "id -un", answers=[okta_pw("e2e-dave")])
        self.assertEqual(r.returncode, 255, r)
        self.assertLogged("authenticate", "unreachable", "e2e-dave")
        r = self.ssh("e2e-alice", "id -un", answers=[okta_pw("e2e-alice")])
        self.assertEqual(r.returncode, 255, r)
        self.assertLess(r.duration, 3 + 5)
        self.assertLogged("authenticate", "unreachable", "e2e-alice")
        self.assertIn("Okta", r.stderr)  # the user is told why

    def test_failmode_safe_falls_back_to_the_local_password(self):
        """failmode=safe: PAM_IGNORE, and common-auth's pam_unix checks the
        password the user typed (PAM_AUTHTOK) against the local one; a user
        without a local password is still refused."""
        self.system.write_config(org_url=self.closed_url, timeout=3, failmode="safe")
        r = self.ssh("e2e-dave", "id -un", answers=[okta_pw("e2e-dave")])
        self.assertEqual(r.returncode, 0, "%r\n%s" % (r, "\n".join(map(str, self.system.log()))))
        self.assertEqual(r.stdout.strip(), "e2e-dave")
        self.assertEqual(len(r.prompts), 1, r)
        self.assertLogged("authenticate", "unreachable_failmode_safe", "e2e-dave")
        self.sshd_said("Accepted keyboard-interactive/pam for e2e-dave")
        r = self.ssh("e2e-alice", "id -un", answers=[okta_pw("e2e-alice")])
        self.assertEqual(r.returncode, 255, r)
        self.assertLogged("authenticate", "unreachable_failmode_safe", "e2e-alice")

    def test_break_glass_account_logs_in_with_okta_down(self):
        """failmode=secure, Okta down: members of okta-breakglass still get in
        with their local password; the module is never asked to authenticate."""
        self.system.write_config(org_url=self.closed_url, timeout=3, failmode="secure")
        r = self.ssh("e2e-breakglass", "id -un", answers=[USERS["e2e-breakglass"][2]])
        self.assertEqual(r.returncode, 0, r)
        self.assertEqual(r.stdout.strip(), "e2e-breakglass")
        self.assertEqual(len(r.prompts), 1, r)
        self.assertFalse([l for l in self.system.module_log()
                          if l.fields.get("user") == "e2e-breakglass"])

    def test_break_glass_account_logs_in_with_a_broken_configuration(self):
        self.system.write_config(no_such_key="1")
        r = self.ssh("e2e-breakglass", "id -un", answers=[USERS["e2e-breakglass"][2]])
        self.assertEqual(r.returncode, 0, "%r\n%s" % (r, "\n".join(map(str, self.system.log()))))
        self.assertEqual(r.stdout.strip(), "e2e-breakglass")
        # ... while everybody else is refused, loudly.
        r = self.ssh("e2e-alice", "id -un", answers=[okta_pw("e2e-alice")])
        self.assertEqual(r.returncode, 255, r)
        self.assertTrue([l for l in self.system.module_log() if "no_such_key" in l.message],
                        self.system.log())


class KeyTestCase(SshdTestCase):

    def authorize_key(self, user):
        """A new key pair for USER, in ~/.ssh/authorized_keys; returns its path."""
        home = self.system.home(user)
        key = os.path.join(self.sshd.dir, user + "_key")
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key], check=True)
        ssh_dir = os.path.join(home, ".ssh")
        os.makedirs(ssh_dir, mode=0o700, exist_ok=True)
        with open(key + ".pub") as f, open(os.path.join(ssh_dir, "authorized_keys"), "w") as out:
            out.write(f.read())
        uid = USERS[user][0]
        for p in (ssh_dir, os.path.join(ssh_dir, "authorized_keys")):
            os.chown(p, uid, uid)
        self.addCleanup(subprocess.run, ["rm", "-rf", ssh_dir])
        return key


class OktaDownAfterAuthentication(SshdTestCase):
    """Okta answers 503 from the account check on (after retries)."""

    def break_okta_after_authentication(self, failmode):
        self.system.write_config(failmode=failmode, timeout=3, retries=1)
        self.fake.inject("GET", r"/api/v1/sessions/[^/]+", status=503, count=None)
        self.fake.inject("POST", r"/api/v1/sessions/[^/]+/lifecycle/refresh", status=503,
                         count=None)

    def test_failmode_secure_refuses_at_the_account_check(self):
        self.break_okta_after_authentication("secure")
        r = self.ssh("e2e-alice", "echo RAN", answers=[okta_pw("e2e-alice")])
        self.assertEqual(r.returncode, 255, r)
        self.assertNotIn("RAN", r.stdout)
        self.assertLogged("acct_mgmt", "unreachable", "e2e-alice", http="503")

    def test_failmode_safe_lets_the_login_through(self):
        self.break_okta_after_authentication("safe")
        r = self.ssh("e2e-alice", "echo RAN", answers=[okta_pw("e2e-alice")])
        self.assertEqual(r.returncode, 0, r)
        self.assertIn("RAN", r.stdout)
        self.assertLogged("acct_mgmt", "unreachable_failmode_safe", "e2e-alice", http="503")
        self.assertLogged("open_session", "unreachable_failmode_safe", "e2e-alice", http="503")


class ShortLoginGraceTime(SshdTestCase):
    """Why the guide wants LoginGraceTime >= push_timeout + 60 s: sshd drops
    a login still waiting for its push when the grace time ends."""
    sshd_lines = ("LoginGraceTime 3",)

    def test_grace_time_shorter_than_the_push_wait_loses_the_login(self):
        r = self.ssh("e2e-bob", "id -un", answers=[okta_pw("e2e-bob"), ""], timeout=30)
        self.assertEqual(r.returncode, 255, r)
        # sshd logs the timeout from its chrooted pre-auth child, out of the
        # capture's reach: the client's side and the fake org's tell.
        self.assertGreaterEqual(r.duration, 3, r)
        self.assertLess(r.duration, 15, r)
        self.assertIn("Connection closed", r.stderr)
        self.assertTrue([x for x in self.fake.requests if x.path.endswith("/verify")])
        self.assertEqual(self.fake.sessions(), [])


class PublicKey(KeyTestCase):
    sshd_lines = ("AuthenticationMethods publickey",)

    def test_public_key_login_is_ignored_by_the_module(self):
        self.system.write_config(debug="yes")
        key = self.authorize_key("e2e-alice")
        r = self.ssh("e2e-alice", SHELL_PROBE, methods="publickey", identity=key)
        self.assertEqual(r.returncode, 0, r)
        self.assertEqual(r.prompts, [])
        self.sshd_said("Accepted publickey for e2e-alice")
        wait_for(lambda: [l for l in self.system.module_log()
                          if "close_session: ignored: no Okta session" in l.message], 5,
                 "close_session")
        self.assertEqual(self.fake.requests, [])
        self.assertCleanShell(r)
        for phase in ("acct_mgmt", "open_session"):
            self.assertTrue([l for l in self.system.module_log()
                             if "%s: ignored: no Okta session" % phase in l.message],
                            self.system.log())


class SameShellEitherWay(KeyTestCase):
    """Every descriptor kind, not only sockets to Okta: the shell of an Okta
    login holds exactly what the shell of a public-key login (where the module
    does nothing) holds."""
    sshd_lines = ("AuthenticationMethods publickey keyboard-interactive",)

    @staticmethod
    def kinds(result):
        _env, fds = parse_probe(result.stdout)
        return sorted((fd, re.sub(r"\[\d+\]$", "", target)) for fd, target in fds.items())

    def test_okta_login_leaves_no_extra_descriptor(self):
        key = self.authorize_key("e2e-alice")
        by_key = self.ssh("e2e-alice", SHELL_PROBE, methods="publickey", identity=key)
        self.assertEqual(by_key.returncode, 0, by_key)
        by_okta = self.ssh("e2e-alice", SHELL_PROBE, answers=[okta_pw("e2e-alice")])
        self.assertEqual(by_okta.returncode, 0, by_okta)
        self.assertRequests(FULL_LOGIN)
        self.assertTrue(self.kinds(by_key))
        self.assertEqual(self.kinds(by_okta), self.kinds(by_key))


class KeyAndOkta(KeyTestCase):
    """The guide's "AuthenticationMethods publickey,keyboard-interactive": a key
    and then Okta."""
    sshd_lines = ("AuthenticationMethods publickey,keyboard-interactive",)

    def test_key_then_okta_password(self):
        key = self.authorize_key("e2e-alice")
        r = self.ssh("e2e-alice", "id -un", methods="publickey,keyboard-interactive",
                     identity=key, answers=[okta_pw("e2e-alice")])
        self.assertEqual(r.returncode, 0, r)
        self.assertEqual(r.stdout.strip(), "e2e-alice")
        self.assertRequests(FULL_LOGIN)
        self.sshd_said("Accepted keyboard-interactive/pam for e2e-alice")

    def test_key_without_okta_is_refused(self):
        key = self.authorize_key("e2e-alice")
        r = self.ssh("e2e-alice", "id -un", methods="publickey,keyboard-interactive",
                     identity=key, answers=["not-the-password"])
        self.assertEqual(r.returncode, 255, r)
        self.sshd_said("Partial publickey for e2e-alice")
        self.assertRequests([("POST", "/api/v1/authn", 401)])


class PasswordAuthentication(SshdTestCase):
    """PasswordAuthentication: PAM in sshd's monitor, every prompt answered
    with the password (DESIGN §4)."""
    sshd_lines = ("PasswordAuthentication yes", "KbdInteractiveAuthentication no",
                  "AuthenticationMethods password")

    def test_password_login_runs_the_whole_lifecycle_in_the_monitor(self):
        r = self.ssh("e2e-alice", answers=[okta_pw("e2e-alice")], methods="password")
        self.assertEqual(r.returncode, 0, r)
        self.assertRequests(FULL_LOGIN)
        reqs = self.fake.requests
        # One process: authn, create, get and refresh share a connection;
        # close_session opens its own (DESIGN §6): two per login.
        self.assertEqual(len({x.conn_id for x in reqs[:4]}), 1)
        self.assertNotEqual(reqs[3].conn_id, reqs[4].conn_id)
        self.assertSessionEnded()
        self.assertCleanShell(r)
        self.sshd_said("Accepted password for e2e-alice")

    def test_wrong_password_is_refused(self):
        r = self.ssh("e2e-alice", "id", answers=["nope"], methods="password")
        self.assertEqual(r.returncode, 255, r)
        self.assertRequests([("POST", "/api/v1/authn", 401)])

    def test_push_user_can_log_in(self):
        """sshd answers the push prompt with the password: the module only
        asks for the push, which is approved."""
        self.fake.push_auto(login_of("e2e-bob"), "approve", after_polls=1)
        r = self.ssh("e2e-bob", "id -un", answers=[okta_pw("e2e-bob")], methods="password")
        self.assertEqual(r.returncode, 0, r)
        self.assertEqual(r.stdout.strip(), "e2e-bob")
        self.assertSessionEnded()

    def test_code_user_is_refused_with_the_reason_logged(self):
        """A TOTP answer equal to the password is never sent to Okta."""
        r = self.ssh("e2e-carol", "id -un", answers=[okta_pw("e2e-carol")], methods="password")
        self.assertEqual(r.returncode, 255, r)
        self.assertFalse([x for x in self.fake.requests if x.path.endswith("/verify")])
        self.assertTrue([l for l in self.system.module_log()
                         if "MFA needs keyboard-interactive" in l.message], self.system.log())
        self.assertEqual(self.fake.sessions(), [])


class ExampleConfig(E2ETestCase):
    """The examples the guide shows stay consistent with the module."""

    def test_login_grace_time_covers_the_push_timeout(self):
        with open(os.path.join(EXAMPLES, "sshd_config")) as f:
            grace = int(re.search(r"^LoginGraceTime (\d+)$", f.read(), re.M).group(1))
        self.assertGreaterEqual(grace, 60 + 60)   # push_timeout's default + typing

    def test_every_example_service_has_all_three_stacks(self):
        for service in ("sshd", "login", "su", "sudo"):
            with open(os.path.join(EXAMPLES, "pam.d", service)) as f:
                lines = [l.split() for l in f if l.strip() and not l.startswith("#")]
            kinds = {l[0] for l in lines if "pam_okta_session.so" in l}
            self.assertEqual(kinds, {"auth", "account", "session"}, service)
