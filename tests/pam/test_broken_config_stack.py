"""A broken configuration under the stacks administrators really run
(DESIGN §7): the pam-auth-update profile's common-auth, as the real
pam-auth-update generates it from debian/pam-configs/okta-session, and the
per-service stanzas of examples/pam.d, both with the real pam_unix checking
local passwords (nss_wrapper's shadow file).

With the file missing, unsafe or holding a bad line, nobody gets in through
Okta; but users below minimum_uid (and root, unless a trustworthy file or a
module argument says minimum_uid = 0) step aside to their local password,
which is how root repairs the file."""

import os
import shutil
import subprocess
import unittest

from harness import DRIVER, MODULE, SRCDIR, PamTestCase

LOCAL_PASSWORDS = {"root": "Root-local-pw-7Qe2", "alice": "Alice-local-pw-0Lx9",
                   "lowuid": "Low-local-pw-4Rn1"}
SERVICE = "okta-stack"


def _hash(password):
    return subprocess.run(["openssl", "passwd", "-6", "-stdin"], input=password + "\n",
                          capture_output=True, text=True, check=True).stdout.strip()


def generate_common_auth(workdir):
    """common-auth as pam-auth-update writes it with the profile enabled,
    generated in a private mount namespace (the host's /etc/pam.d is not
    touched)."""
    pamd, cfgs, varlib = (os.path.join(workdir, n) for n in ("pamd", "cfgs", "varlib"))
    os.makedirs(pamd)
    os.makedirs(cfgs)
    os.makedirs(varlib)
    for name in os.listdir("/etc/pam.d"):
        if name.startswith("common-"):
            shutil.copy(os.path.join("/etc/pam.d", name), pamd)
    for name in os.listdir("/usr/share/pam-configs"):
        shutil.copy(os.path.join("/usr/share/pam-configs", name), cfgs)
    shutil.copy(os.path.join(SRCDIR, "debian", "pam-configs", "okta-session"), cfgs)
    if os.path.isdir("/var/lib/pam"):
        shutil.copytree("/var/lib/pam", varlib, dirs_exist_ok=True)
    script = ("mount --make-rprivate / && mount --bind %s /etc/pam.d && "
              "mount --bind %s /usr/share/pam-configs && mount --bind %s /var/lib/pam && "
              "pam-auth-update --enable okta-session" % (pamd, cfgs, varlib))
    subprocess.run(["unshare", "-m", "sh", "-c", script], check=True,
                   env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin",
                        "DEBIAN_FRONTEND": "noninteractive"},
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    with open(os.path.join(pamd, "common-auth")) as f:
        return f.read()


class BrokenConfigurationModuleArguments(PamTestCase):
    def test_module_argument_minimum_uid_holds_with_a_broken_file(self):
        self.write_config(mode=0o666)
        r = self.run("authenticate", user="lowuid", args="minimum_uid=1000",
                     write_config=False)
        self.assertRc(r, "authenticate", "PAM_IGNORE")
        self.assertLogged(r, text="uid below minimum_uid 1000 (module argument)")
        r = self.run("authenticate", user="alice", args="minimum_uid=1000",
                     write_config=False)
        self.assertRc(r, "authenticate", "PAM_SERVICE_ERR")


@unittest.skipUnless(shutil.which("pam-auth-update") and shutil.which("unshare")
                     and os.path.isfile("/usr/share/pam-configs/unix"),
                     "needs Debian's pam-auth-update and its pam_unix profile")
@unittest.skipIf(os.environ.get("OKTA_TEST_SANITIZED"),
                 "pam_unix cannot run in an ASan process (ASan's crypt interceptor)")
class BrokenConfigurationUnderTheStacks(PamTestCase):
    def setUp(self):
        super().setUp()
        shadow = os.path.join(self.dir, "shadow")
        with open(shadow, "w") as f:
            for name in ("root", "alice", "bob", "carol", "lowuid"):
                pw = LOCAL_PASSWORDS.get(name)
                f.write("%s:%s:19000:0:99999:7:::\n" % (name, _hash(pw) if pw else "!"))
        os.chmod(shadow, 0o600)
        self.shadow = shadow
        self.secrets.update(LOCAL_PASSWORDS.values())

    def use_module(self, text):
        return text.replace("pam_okta_session.so",
                            "%s config=%s" % (MODULE, self.config_path))

    def write_profile_stack(self):
        common = generate_common_auth(os.path.join(self.dir, "pau"))
        okta = [line for line in common.splitlines() if "pam_okta_session.so" in line]
        self.assertTrue(okta, common)
        with open(os.path.join(self.confdir, "common-auth"), "w") as f:
            f.write(self.use_module(common))
        with open(os.path.join(self.confdir, SERVICE), "w") as f:
            f.write("@include %s\n" % os.path.join(self.confdir, "common-auth"))

    def write_service_stanza(self, example):
        """examples/pam.d/EXAMPLE with Debian's own common-* files."""
        for name in os.listdir("/etc/pam.d"):
            if name.startswith("common-"):
                shutil.copy(os.path.join("/etc/pam.d", name), self.confdir)
        with open(os.path.join(SRCDIR, "examples", "pam.d", example)) as f:
            # Linux-PAM reads a relative @include from /etc/pam.d, whatever
            # the application's confdir.
            text = f.read().replace("@include common-",
                                    "@include %s/common-" % self.confdir)
        with open(os.path.join(self.confdir, SERVICE), "w") as f:
            f.write(self.use_module(text))

    def login(self, user, password):
        """authenticate USER through the stack, answering every prompt with PASSWORD."""
        self._run_count += 1
        n = self._run_count
        log_file = os.path.join(self.dir, "syslog.%d" % n)
        open(log_file, "w").close()
        answers = os.path.join(self.dir, "answers.%d" % n)
        with open(answers, "w") as f:
            f.write((password + "\n") * 3)
        cmd = [DRIVER, "--confdir", self.confdir, "--service", SERVICE, "--user", user,
               "--answers", answers, "authenticate"]
        # pam_unix reads shadow entries with getspnam_r, which nss_wrapper
        # does not wrap: the test's shadow file is bound over /etc/shadow in
        # a mount namespace of the driver's own.
        cmd = ["unshare", "-m", "sh", "-c",
               'mount --make-rprivate / && mount --bind "$0" /etc/shadow && exec "$@"',
               self.shadow] + cmd
        return self._execute(cmd, self.driver_env(log_file), log_file, 30, [])

    def assertRootGetsIn(self):
        r = self.login("root", LOCAL_PASSWORDS["root"])
        self.assertRc(r, "authenticate", "PAM_SUCCESS")
        self.assertNoRequests(r)
        # pam_unix really checks it: a wrong local password is refused.
        r = self.login("root", "not-roots-password")
        self.assertRc(r, "authenticate", "PAM_AUTH_ERR")
        return r

    def assertOktaUserRefused(self):
        # alice's correct *local* password does not get her past the module.
        r = self.login("alice", LOCAL_PASSWORDS["alice"])
        self.assertRc(r, "authenticate", "PAM_SERVICE_ERR")
        self.assertNoRequests(r)
        self.assertLogged(r, text="config_error")
        return r

    def break_config(self, how):
        if how == "missing":
            if os.path.exists(self.config_path):
                os.unlink(self.config_path)
        elif how == "bad mode":
            self.write_config(mode=0o666)
        elif how == "bad line":
            self.write_config(extra_lines="debug yes please\n")

    def test_profile_stack_missing_or_bad_file_leaves_root_its_local_password(self):
        self.write_profile_stack()
        for how in ("missing", "bad mode", "bad line"):
            with self.subTest(how=how):
                self.break_config(how)
                self.assertRootGetsIn()
                r = self.login("root", LOCAL_PASSWORDS["root"])
                self.assertLogged(r, text="ignored: broken configuration, uid below "
                                  "minimum_uid 1 (built-in floor) user=root")
                self.assertOktaUserRefused()

    def test_profile_stack_minimum_uid_from_a_trustworthy_broken_file(self):
        self.write_profile_stack()
        self.write_config({"minimum_uid": "1000"}, extra_lines="timeout = ten\n")
        r = self.login("lowuid", LOCAL_PASSWORDS["lowuid"])
        self.assertRc(r, "authenticate", "PAM_SUCCESS")
        self.assertLogged(r, text="uid below minimum_uid 1000 (configuration file)")
        self.assertRootGetsIn()
        self.assertOktaUserRefused()

    def test_profile_stack_minimum_uid_of_an_unsafe_file_is_not_believed(self):
        # A file others may write could raise minimum_uid to skip Okta for all.
        self.write_profile_stack()
        self.write_config({"minimum_uid": "1000"}, mode=0o666)
        r = self.login("lowuid", LOCAL_PASSWORDS["lowuid"])
        self.assertRc(r, "authenticate", "PAM_SERVICE_ERR")
        self.assertRootGetsIn()

    def test_profile_stack_explicit_minimum_uid_0_keeps_root_under_okta(self):
        # The administrator chose "root is an Okta login like any other".
        self.write_profile_stack()
        self.write_config({"minimum_uid": "0"}, extra_lines="debug yes please\n")
        r = self.login("root", LOCAL_PASSWORDS["root"])
        self.assertRc(r, "authenticate", "PAM_SERVICE_ERR")

    def test_service_stanzas_missing_file_leaves_root_its_local_password(self):
        for example in ("sshd", "login", "sudo"):
            with self.subTest(example=example):
                self.write_service_stanza(example)
                self.break_config("missing")
                self.assertRootGetsIn()
                self.assertOktaUserRefused()


if __name__ == "__main__":
    unittest.main()
