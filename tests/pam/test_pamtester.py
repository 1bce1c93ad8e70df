"""pamtester, a real PAM application, through pam_wrapper: the plain
"required" stack an administrator would write, the password typed on stdin."""

import os
import shutil
import subprocess
import unittest

from harness import (PamTestCase, NSS_WRAPPER, PAM_WRAPPER, PASSWORDS, REFRESH_PATH,
                     SESSION_PATH, SYSLOG_SHIM, read_syslog_capture)

PAMTESTER = shutil.which("pamtester") or "/usr/bin/pamtester"


@unittest.skipUnless(os.path.exists(PAMTESTER) and os.path.exists(PAM_WRAPPER),
                     "pamtester or libpam_wrapper not installed")
@unittest.skipIf(os.environ.get("OKTA_TEST_SANITIZED"),
                 "a sanitized module needs a sanitized program; pamtester is not one")
class Pamtester(PamTestCase):
    def pamtester(self, password, *operations):
        self.write_config()
        self.write_service(plain=True)
        log_file = os.path.join(self.dir, "syslog.pamtester")
        env = self.driver_env(log_file)
        env.update({
            "LD_PRELOAD": "%s:%s:%s" % (PAM_WRAPPER, NSS_WRAPPER, SYSLOG_SHIM),
            "PAM_WRAPPER": "1",
            "PAM_WRAPPER_SERVICE_DIR": self.confdir,
        })
        start = len(self.fake.requests)
        proc = subprocess.run([PAMTESTER, "-v", "okta-test", "alice"] + list(operations),
                              input=(password + "\n").encode(), env=env, cwd=self.dir,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
        self.output = proc.stdout.decode("utf-8", "replace")
        self.requests = self.fake.requests[start:]
        self.log_lines = read_syslog_capture(log_file)
        return proc.returncode

    def test_full_session_with_the_right_password(self):
        rc = self.pamtester(PASSWORDS["alice"], "authenticate", "acct_mgmt",
                            "open_session", "close_session")
        self.assertEqual(rc, 0, self.output)
        self.assertRequests(self.requests, [("POST", "/api/v1/authn", 200),
                                            ("POST", "/api/v1/sessions", 200),
                                            ("GET", SESSION_PATH, 200),
                                            ("POST", REFRESH_PATH, 200),
                                            ("DELETE", SESSION_PATH, 204)])
        self.assertIn("successfully", self.output)

    def test_wrong_password_fails(self):
        rc = self.pamtester("not-the-password", "authenticate", "acct_mgmt")
        self.assertNotEqual(rc, 0, self.output)
        self.assertRequests(self.requests, [("POST", "/api/v1/authn", 401)])

    def test_password_never_reaches_output_or_log(self):
        self.pamtester(PASSWORDS["alice"], "authenticate", "open_session", "close_session")
        text = self.output + "\n".join(line.message for line in self.log_lines)
        for secret in self.secrets | {r.json.get("sessionToken") for r in self.requests
                                      if isinstance(r.json, dict)} - {None}:
            self.assertNotIn(secret, text)


if __name__ == "__main__":
    unittest.main()
