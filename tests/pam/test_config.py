"""Configuration (DESIGN §3, §7): a bad configuration makes authenticate
PAM_SERVICE_ERR without a request, and the log names the key (or the file).
The later calls with no Okta session to act on answer PAM_IGNORE (a broken
file must not lock out public-key or break-glass logins); with a session
they are PAM_SERVICE_ERR too.
the file must be root's, not writable by others, no symlink, and private
when it holds a secret. A caller that is not root is left alone."""

import os
import unittest

from harness import PamTestCase, TOKEN_PROMPT, closed_port_url

ALL_CALLS = "authenticate setcred acct_mgmt open_session close_session"
# setcred: libpam replays the failed authenticate's frozen chain (PAM_PERM_DENIED
# whatever the module says); the others see no session and step aside.
CONFIG_ERROR_CALLS = [("authenticate", "PAM_SERVICE_ERR"), ("setcred", "PAM_PERM_DENIED")] + [
    (step, "PAM_IGNORE") for step in ALL_CALLS.split()[2:]]


class BadConfiguration(PamTestCase):
    def assertServiceErr(self, r, names):
        """authenticate fails with PAM_SERVICE_ERR and the calls after it, with no
        session, step aside; nothing is sent; the log names NAMES."""
        self.assertCalls(r, CONFIG_ERROR_CALLS)
        self.assertNoRequests(r)
        self.assertEqual(r.prompts, [], "no prompt before the configuration is known good")
        self.assertLogged(r, text=names)

    def run_all(self, **kw):
        kw.setdefault("answers", self.credentials())
        return self.run(ALL_CALLS, **kw)

    # ---- keys and values ----------------------------------------------------

    def test_bad_keys_and_values_in_the_file(self):
        cases = [
            ({"frobnicate": "1"}, "frobnicate"),
            ({"timeout": "ten"}, "timeout"),
            ({"timeout": "0"}, "timeout"),
            ({"retries": "-1"}, "retries"),
            ({"connect_timeout": "99999999999999999999"}, "connect_timeout"),
            ({"minimum_uid": "-5"}, "minimum_uid"),
            ({"push_timeout": "1e3"}, "push_timeout"),
            ({"check_account": "perhaps"}, "check_account"),
            ({"token_source": "magic"}, "token_source"),
            ({"failmode": "open"}, "failmode"),
            ({"factors": "push,carrier-pigeon"}, "factors"),
            ({"login_format": "%x@example.com"}, "login_format"),
            ({"org_url": "http://127.0.0.1:1"}, "org_url"),
            ({"org_url": self.fake.url + "/api/v1"}, "org_url"),
            ({"org_url": self.fake.url + "/?x=1"}, "org_url"),
            ({"org_url": "https://admin:pw@127.0.0.1"}, "org_url"),
            ({"org_url": None}, "org_url"),
            ({"api_token_file": None}, "api_token"),
            ({"api_token_file": "relative/token"}, "api_token_file"),
            ({"proxy": "socks5://127.0.0.1:1080"}, "proxy"),
        ]
        for conf, name in cases:
            with self.subTest(conf=conf):
                self.assertServiceErr(self.run_all(conf=conf), name)

    def test_key_given_twice_in_the_file_names_both_lines(self):
        # The harness writes a comment line, then one line per key:
        # failmode is the file's last key, then given again.
        self.config["failmode"] = "secure"
        lines = open(self.write_config()).read().splitlines()
        first = lines.index("failmode = secure") + 1
        self.write_config(extra_lines="# later\nfailmode = safe\n")
        r = self.run_all(write_config=False)
        self.assertServiceErr(r, "failmode")
        self.assertLogged(r, text="line %d: failmode is already set on line %d"
                          % (len(lines) + 2, first))

    def test_key_in_the_file_and_as_a_module_argument_is_no_duplicate(self):
        r = self.run("authenticate", conf={"failmode": "secure"}, args="failmode=safe",
                     answers=self.credentials())
        self.assertRc(r, "authenticate", "PAM_SUCCESS")

    def test_ca_file_writable_by_others(self):
        ca = os.path.join(self.dir, "ca.pem")
        with open(self.fake.ca_file) as src, open(ca, "w") as dst:
            dst.write(src.read())
        for mode in (0o664, 0o646):
            with self.subTest(mode=oct(mode)):
                os.chmod(ca, mode)
                self.assertServiceErr(self.run_all(conf={"ca_file": ca}), "ca_file")
        os.chmod(ca, 0o644)
        os.chown(ca, 1001, 1001)
        self.assertServiceErr(self.run_all(conf={"ca_file": ca}), "not owned by root")

    def test_ca_file_in_a_directory_others_may_write(self):
        # The file is root's, but a user could swap it for their own CA.
        d = os.path.join(self.dir, "certs")
        os.mkdir(d)
        ca = os.path.join(d, "ca.pem")
        with open(self.fake.ca_file) as src, open(ca, "w") as dst:
            dst.write(src.read())
        os.chmod(ca, 0o644)
        os.chmod(d, 0o777)
        self.assertServiceErr(self.run_all(conf={"ca_file": ca}), d)
        os.chmod(d, 0o755)
        os.chown(d, 1001, 1001)
        self.assertServiceErr(self.run_all(conf={"ca_file": ca}), d)
        os.chown(d, 0, 0)
        r = self.run("authenticate", conf={"ca_file": ca}, answers=self.credentials())
        self.assertRc(r, "authenticate", "PAM_SUCCESS")

    def test_symlinked_ca_file_and_writable_ca_path(self):
        link = os.path.join(self.dir, "ca-link.pem")
        os.symlink(self.fake.ca_file, link)
        self.assertServiceErr(self.run_all(conf={"ca_file": link}), "symbolic link")
        d = os.path.join(self.dir, "capath")
        os.mkdir(d)
        os.chmod(d, 0o775)
        self.assertServiceErr(self.run_all(conf={"ca_path": d}), "ca_path")

    def test_line_without_equals_sign(self):
        self.write_config(extra_lines="debug yes please\n")
        self.assertServiceErr(self.run_all(write_config=False), "line")

    def test_bad_module_arguments(self):
        for args, name in (("frobnicate=1", "frobnicate"), ("timeout=ten", "timeout"),
                           ("failmode", "failmode"), ("retries=1000000", "retries")):
            with self.subTest(args=args):
                self.assertServiceErr(self.run_all(args=args), name)

    def test_api_token_is_refused_as_a_module_argument(self):
        r = self.run_all(args="api_token=" + self.fake.api_token)
        self.assertServiceErr(r, "api_token")
        self.assertNoSecretsLogged(r)

    # ---- the file itself ------------------------------------------------------

    def test_group_or_other_writable_file(self):
        for mode in (0o620, 0o602, 0o660):
            with self.subTest(mode=oct(mode)):
                self.write_config(mode=mode)
                self.assertServiceErr(self.run_all(write_config=False), self.config_path)

    def test_file_not_owned_by_root(self):
        self.write_config(uid=1001)
        self.assertServiceErr(self.run_all(write_config=False), self.config_path)

    def test_symlinked_file(self):
        real = os.path.join(self.dir, "real.conf")
        self.write_config(path=real)
        os.symlink(real, self.config_path)
        self.assertServiceErr(self.run_all(write_config=False), self.config_path)

    def test_missing_file(self):
        self.assertServiceErr(self.run_all(write_config=False), self.config_path)

    def test_directory_instead_of_a_file(self):
        os.mkdir(self.config_path, 0o700)
        self.assertServiceErr(self.run_all(write_config=False), self.config_path)

    def test_file_with_inline_token_readable_by_others(self):
        for mode in (0o640, 0o604):
            with self.subTest(mode=oct(mode)):
                self.write_config({"api_token_file": None, "api_token": self.fake.api_token},
                                  mode=mode)
                r = self.run_all(write_config=False)
                self.assertServiceErr(r, self.config_path)
                self.assertNoSecretsLogged(r)

    def test_token_file_readable_by_others(self):
        os.chmod(self.api_token_file, 0o644)
        self.assertServiceErr(self.run_all(), self.api_token_file)

    def test_token_file_not_owned_by_root(self):
        os.chown(self.api_token_file, 1001, 1001)
        self.assertServiceErr(self.run_all(), self.api_token_file)

    def test_symlinked_token_file(self):
        real = os.path.join(self.dir, "real_token")
        os.rename(self.api_token_file, real)
        os.symlink(real, self.api_token_file)
        self.assertServiceErr(self.run_all(), self.api_token_file)


class GoodConfiguration(PamTestCase):
    FULL = "authenticate acct_mgmt setcred open_session close_session"

    def assertWorks(self, r):
        self.assertCalls(r, [(step, "PAM_SUCCESS") for step in self.FULL.split()])

    def test_world_readable_file_without_a_secret_is_accepted(self):
        self.write_config(mode=0o644)
        self.assertWorks(self.run(self.FULL, answers=self.credentials(), write_config=False))

    def test_inline_token_in_a_private_file(self):
        r = self.run(self.FULL, answers=self.credentials(),
                     conf={"api_token_file": None, "api_token": self.fake.api_token})
        self.assertWorks(r)

    def test_comments_and_blank_lines(self):
        self.write_config(extra_lines="\n# a comment\n   \n\t# indented comment\n")
        self.assertWorks(self.run(self.FULL, answers=self.credentials(), write_config=False))

    def test_module_arguments_override_the_file(self):
        r = self.run("authenticate", args="token_source=prompt",
                     answers=[self.mint_token("alice")])
        self.assertRc(r, "authenticate", "PAM_SUCCESS")
        self.assertEqual([p["text"] for p in r.prompts], [TOKEN_PROMPT])

    def test_bare_boolean_module_argument(self):
        r = self.run("authenticate", args="require_mfa", answers=self.credentials())
        self.assertRc(r, "authenticate", "PAM_AUTH_ERR")

    def test_proxy_key_is_used(self):
        # An explicit proxy nobody listens on: Okta is unreachable through it.
        r = self.run("authenticate", answers=self.credentials(),
                     conf={"proxy": closed_port_url().replace("https", "http"),
                           "timeout": "3", "connect_timeout": "1"})
        self.assertRc(r, "authenticate", "PAM_AUTHINFO_UNAVAIL")
        self.assertNoRequests(r)

    def test_config_argument_moves_the_file(self):
        moved = os.path.join(self.dir, "elsewhere.conf")
        self.write_config(path=moved)
        r = self.run(self.FULL, answers=self.credentials(), config_path=moved)
        self.assertWorks(r)


class NotRoot(PamTestCase):
    """A screen locker runs PAM as the user: the root-only config is unreadable."""

    def test_no_session_steps_aside_but_logs_the_error(self):
        """A public-key or break-glass login: the later calls with a broken file."""
        r = self.run("setcred acct_mgmt open_session close_session", conf={"no_such_key": "1"})
        self.assertCalls(r, [(step, "PAM_IGNORE") for step in ALL_CALLS.split()[1:]])
        self.assertEqual(len([l for l in r.module_log if "no_such_key" in l.message]), 4)
        self.assertNoRequests(r)

    def test_configuration_broken_after_authentication(self):
        """A session exists: every later call fails, and nothing is sent."""
        r = self.run(["authenticate", "pause", "setcred", "acct_mgmt", "open_session",
                      "close_session", "env"], answers=self.credentials(),
                     pauses=[lambda: self.write_config(extra_lines="no_such_key = 1\n")])
        self.assertCalls(r, [("authenticate", "PAM_SUCCESS")] + [
            (step, "PAM_SERVICE_ERR") for step in ALL_CALLS.split()[1:]])
        self.assertRequests(r, [(m, p, 200) for m, p, _ in
                                [(m, p, s) for m, p, s in self.auth_requests()]])
        self.assertNotIn("PAM_OKTA_SESSION_ID", r.env())
        self.assertLogged(r, text="no_such_key")

    def test_configuration_broken_in_the_sshd_monitor(self):
        """The monitor got the id through the PAM environment: setcred fails
        and still removes the variable before the user's shell starts."""
        sid = self.create_session("alice")
        r = self.run(["putenv:PAM_OKTA_SESSION_ID=%s" % sid, "setcred", "open_session", "env"],
                     conf={"no_such_key": "1"})
        self.assertCalls(r, [("setcred", "PAM_SERVICE_ERR"), ("open_session", "PAM_IGNORE")])
        self.assertNotIn("PAM_OKTA_SESSION_ID", r.env())
        self.assertNoRequests(r)

    def test_caller_that_is_not_root_is_ignored(self):
        r = self.run(ALL_CALLS, answers=self.credentials(), as_uid=1001)
        self.assertCalls(r, [(step, "PAM_IGNORE") for step in ALL_CALLS.split()])
        self.assertNoRequests(r)
        self.assertTrue(r.module_log, "the skip must be logged")
        self.assertLessEqual(len(r.module_log), len(ALL_CALLS.split()))


if __name__ == "__main__":
    unittest.main()
