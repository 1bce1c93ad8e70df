"""login, su and sudo, each on a pseudo-terminal, with examples/pam.d/login,
su and sudo.  All three run every PAM call in one process (DESIGN §5);
login calls open_session before setcred."""

import os
import re
import stat

from e2e import (CONFIG_PATH, E2ETestCase, FULL_LOGIN, SESSION_VAR, SHELL_PROBE, USERS,
                 _sha512_crypt, fake_socket_inodes, login_of, parse_probe, session_ids, wait_for)
from ptyexpect import Pty


def okta_pw(user):
    return USERS[user][1]


class PtyTestCase(E2ETestCase):

    def env(self):
        env = self.system.program_env()
        env["TERM"] = "dumb"
        return env

    def as_user(self, user, argv):
        """ARGV run by USER (a real uid, as a person at a terminal would)."""
        return ["setpriv", "--reuid=" + user, "--regid=" + user, "--init-groups", "--"] + argv

    def script(self, name, text):
        """A shell script the test users can read and run."""
        path = os.path.join(self.system.root, name)
        with open(path, "w") as f:
            f.write(text)
        os.chmod(path, stat.S_IRWXU | stat.S_IRGRP | stat.S_IXGRP | stat.S_IROTH | stat.S_IXOTH)
        return path

    def assertSessionEnded(self):
        ids = session_ids(self.fake.requests)
        self.assertEqual(len(ids), 1, self.fake.requests)
        wait_for(lambda: self.fake.session(ids[0]) is None, 5, "the session to end")

    def assertCleanShell(self, output):
        env, fds = parse_probe(output)
        self.assertTrue(env, output)
        self.assertNotIn(SESSION_VAR, env)
        for sid in session_ids(self.fake.requests):
            self.assertNotIn(sid, output)
        sockets = {t[len("socket:["):-1] for t in fds.values() if t.startswith("socket:[")}
        self.assertFalse(sockets & fake_socket_inodes(self.fake.port), fds)

    def assertAllSucceeded(self, user, service):
        for phase in ("authenticate", "acct_mgmt", "open_session", "close_session"):
            self.assertLogged(phase, "success", user, service=service)


class ConsoleLogin(PtyTestCase):
    """login(1) on a terminal: user name, password, shell, logout."""

    def start_login(self):
        p = Pty(["login"], self.env())
        self.addCleanup(p.close)
        p.expect(r"login: ")
        return p

    def test_login_shell_logout_creates_refreshes_and_ends(self):
        p = self.start_login()
        p.send("e2e-alice\n")
        p.expect(r"Password: ")
        p.send(okta_pw("e2e-alice") + "\n")
        p.expect(r"[$#] ")
        p.send("tty; %s; exit\n" % SHELL_PROBE)
        self.assertEqual(p.wait(), 0, p.output)
        self.assertIn("/dev/pts/", p.output)
        self.assertRequests(FULL_LOGIN)
        reqs = self.fake.requests
        self.assertEqual(reqs[0].json["username"], login_of("e2e-alice"))
        # One process: authn, create, get and refresh share a connection;
        # close_session opens its own (DESIGN §6).
        self.assertEqual(len({x.conn_id for x in reqs[:4]}), 1)
        self.assertNotEqual(reqs[3].conn_id, reqs[4].conn_id)
        self.assertSessionEnded()
        self.assertCleanShell(p.output)
        self.assertAllSucceeded("e2e-alice", "login")
        self.assertNoSecrets(p.output)

    def test_wrong_password_is_refused(self):
        p = self.start_login()
        p.send("e2e-alice\n")
        p.expect(r"Password: ")
        p.send("not-the-password\n")
        p.expect(r"Login incorrect")
        self.assertRequests([("POST", "/api/v1/authn", 401)])
        self.assertLogged("authenticate", "denied", "e2e-alice", code="E0000004")
        self.assertEqual(self.fake.sessions(), [])

    def test_mfa_push_at_the_console(self):
        self.fake.push_auto(login_of("e2e-bob"), "approve", after_polls=1)
        p = self.start_login()
        p.send("e2e-bob\n")
        p.expect(r"Password: ")
        p.send(okta_pw("e2e-bob") + "\n")
        p.expect(r"(?i)push")
        p.send("\n")
        p.expect(r"[$#] ", timeout=30)
        p.send("id -un; exit\n")
        self.assertEqual(p.wait(), 0, p.output)
        self.assertSessionEnded()
        self.assertAllSucceeded("e2e-bob", "login")


class Su(PtyTestCase):
    """su - USER, typed by another user (su is set-uid root)."""

    def test_su_login_shell_creates_refreshes_and_ends(self):
        p = Pty(self.as_user("e2e-dave", ["su", "-", "e2e-alice", "-c", SHELL_PROBE]),
                self.env())
        self.addCleanup(p.close)
        p.expect(r"Password: ")
        p.send(okta_pw("e2e-alice") + "\n")
        self.assertEqual(p.wait(), 0, p.output)
        self.assertRequests(FULL_LOGIN)
        self.assertEqual(self.fake.requests[0].json["username"], login_of("e2e-alice"))
        self.assertSessionEnded()
        self.assertCleanShell(p.output)
        self.assertAllSucceeded("e2e-alice", "su-l")
        self.assertNoSecrets(p.output)

    def test_su_wrong_password_is_refused(self):
        p = Pty(self.as_user("e2e-dave", ["su", "-", "e2e-alice", "-c", "id"]), self.env())
        self.addCleanup(p.close)
        p.expect(r"Password: ")
        p.send("not-the-password\n")
        self.assertNotEqual(p.wait(), 0, p.output)
        self.assertIn("Authentication failure", p.output)
        self.assertRequests([("POST", "/api/v1/authn", 401)])

    def set_root_password(self, password):
        """root's local password in the private copy of /etc/shadow."""
        path = os.path.join(self.system.etc, "shadow")
        with open(path) as f:
            lines = f.read().splitlines()
        with open(path, "w") as f:
            for line in lines:
                if line.startswith("root:"):
                    fields = line.split(":")
                    fields[1] = _sha512_crypt(password)
                    line = ":".join(fields)
                f.write(line + "\n")

    def su_to_root(self, password):
        p = Pty(self.as_user("e2e-dave", ["su", "-", "root", "-c", "id -un"]), self.env())
        self.addCleanup(p.close)
        p.expect(r"Password: ")
        p.send(password + "\n")
        return p.wait(), p

    def test_root_local_password_survives_a_missing_configuration(self):
        """su - root with root's local password while the configuration file
        is missing: the module steps aside for root (built-in floor), so the
        file can be repaired; dave's Okta login is refused meanwhile."""
        self.set_root_password("Root-local-e2e-5Tq")
        os.unlink(os.path.join(self.system.security, os.path.basename(CONFIG_PATH)))
        rc, p = self.su_to_root("Root-local-e2e-5Tq")
        self.assertEqual(rc, 0, p.output)
        self.assertEqual(p.output.splitlines()[-1].strip(), "root")
        self.assertEqual(self.fake.requests, [])
        self.assertTrue([l for l in self.system.module_log()
                         if "ignored: broken configuration" in l.message], self.system.log())
        rc, p = self.su_to_root("not-roots-password")
        self.assertNotEqual(rc, 0, p.output)
        # An Okta user: refused before any prompt (PAM_SERVICE_ERR, die).
        p = Pty(self.as_user("e2e-breakglass", ["su", "-", "e2e-alice", "-c", "id -un"]),
                self.env())
        self.addCleanup(p.close)
        self.assertNotEqual(p.wait(), 0, p.output)
        self.assertNotIn("Password", p.output)
        self.assertEqual(self.fake.requests, [])

    def test_root_su_needs_no_okta(self):
        """pam_rootok: root's su authenticates nobody; with no Okta session the
        module's account and session calls answer PAM_IGNORE."""
        self.system.write_config(debug="yes")
        p = Pty(["su", "-", "e2e-alice", "-c", "id -un"], self.env())
        self.addCleanup(p.close)
        self.assertEqual(p.wait(), 0, p.output)
        self.assertIn("e2e-alice", p.output)
        self.assertEqual(self.fake.requests, [])
        self.assertTrue([l for l in self.system.module_log()
                         if "open_session: ignored: no Okta session" in l.message],
                        self.system.log())


class Sudo(PtyTestCase):
    """sudo -u: the invoking user authenticates; the second sudo on the same
    terminal uses sudo's cached timestamp and never calls pam_authenticate."""

    def test_sudo_then_cached_sudo(self):
        self.system.write_config(debug="yes")
        script = self.script("sudo-twice.sh",
                             "sudo -u e2e-alice id -un\necho ==second\n"
                             "sudo -u e2e-alice sh -c '%s'\n" % SHELL_PROBE.replace("'", "'\\''"))
        p = Pty(self.as_user("e2e-dave", ["/bin/sh", script]), self.env())
        self.addCleanup(p.close)
        p.expect(r"\[sudo\] password for e2e-dave: ")
        p.send(okta_pw("e2e-dave") + "\n")
        self.assertEqual(p.wait(), 0, p.output)
        first, second = p.output.split("==second", 1)
        self.assertIn("e2e-alice", first)
        self.assertNotIn("password for", second)
        # The first sudo: dave's Okta login, whole lifecycle.  sudo sets
        # PAM_USER to the target user (e2e-alice) before open_session; the
        # module checks Okta's answer against the login verified at
        # authenticate (DESIGN §5.4).
        self.assertRequests(FULL_LOGIN)
        self.assertEqual(self.fake.requests[0].json["username"], login_of("e2e-dave"))
        self.assertSessionEnded()
        self.assertLogged("authenticate", "success", "e2e-dave", service="sudo")
        self.assertLogged("open_session", "success", "e2e-alice", service="sudo",
                          login=login_of("e2e-dave"))
        # The second: no authentication, no session, no request; PAM_IGNORE.
        ignored = [l.message for l in self.system.module_log() if ": ignored: no Okta session" in
                   l.message]
        self.assertTrue(any("acct_mgmt: ignored" in m for m in ignored), self.system.log())
        self.assertTrue(any("open_session: ignored" in m for m in ignored), self.system.log())
        self.assertCleanShell(second)
        self.assertNoSecrets(p.output)

    def test_export_env_does_not_reach_the_target_users_command(self):
        """sudo -u e2e-alice by e2e-dave with export_env: alice's command gets
        none of dave's Okta variables."""
        self.system.write_config(export_env="yes")
        p = Pty(self.as_user("e2e-dave", ["sudo", "-u", "e2e-alice", "env"]), self.env())
        self.addCleanup(p.close)
        p.expect(r"\[sudo\] password for e2e-dave: ")
        p.send(okta_pw("e2e-dave") + "\n")
        self.assertEqual(p.wait(), 0, p.output)
        self.assertIn("USER=e2e-alice", p.output)
        self.assertNotIn("OKTA_", p.output)
        self.assertNotIn(SESSION_VAR, p.output)
        self.assertLogged("open_session", "success", "e2e-alice", service="sudo")

    def assertBreakGlassSudoToRoot(self):
        """The okta-breakglass member's sudo to root, checked by pam_unix."""
        p = Pty(self.as_user("e2e-breakglass", ["sudo", "-u", "root", "id", "-un"]), self.env())
        self.addCleanup(p.close)
        p.expect(r"\[sudo\] password for e2e-breakglass: ")
        p.send(USERS["e2e-breakglass"][2] + "\n")
        self.assertEqual(p.wait(), 0, p.output)
        self.assertEqual(p.output.splitlines()[-1].strip(), "root")

    def test_break_glass_sudo_with_okta_down(self):
        """The break-glass route to root when Okta is down (failmode=secure):
        the okta-breakglass member's sudo is checked by pam_unix."""
        self.system.write_config(org_url="https://127.0.0.1:1", timeout=3)
        self.assertBreakGlassSudoToRoot()
        self.assertEqual(self.fake.requests, [])
        self.assertFalse([l for l in self.system.module_log() if "authenticate" in l.message])

    def test_break_glass_sudo_with_a_broken_configuration(self):
        """Not even a broken configuration file locks out the break-glass account."""
        self.system.write_config(no_such_key="1")
        self.assertBreakGlassSudoToRoot()

    def test_okta_user_sudo_with_okta_down_is_refused(self):
        self.system.write_config(org_url="https://127.0.0.1:1", timeout=3)
        p = Pty(self.as_user("e2e-dave", ["sudo", "-u", "e2e-alice", "id"]), self.env())
        self.addCleanup(p.close)
        p.expect(r"\[sudo\] password for e2e-dave: ")
        p.send(okta_pw("e2e-dave") + "\n")
        p.expect(r"\[sudo\] password for e2e-dave: |incorrect password|Sorry")
        p.send("\x04")
        p.wait()
        self.assertNotIn("uid=", p.output)
        self.assertLogged("authenticate", "unreachable", "e2e-dave")

    def test_sudo_wrong_password_is_refused(self):
        p = Pty(self.as_user("e2e-dave", ["sudo", "-u", "e2e-alice", "id"]), self.env())
        self.addCleanup(p.close)
        p.expect(r"\[sudo\] password for e2e-dave: ")
        p.send("not-the-password\n")
        for _ in range(2):   # sudo's passwd_tries: 3
            p.expect(r"Sorry, try again")
            p.expect(r"\[sudo\] password for e2e-dave: ")
            p.send("not-the-password\n")
        p.expect(r"3 incorrect password attempts")
        self.assertNotEqual(p.wait(), 0, p.output)
        self.assertRequests([("POST", "/api/v1/authn", 401)] * 3)
        self.assertEqual(self.fake.sessions(), [])
        self.assertFalse(re.search(r"^e2e-alice", p.output, re.M))
