"""The environment of whoever runs su or sudo must not steer the module
(DESIGN §6): proxy variables are ignored, SSLKEYLOGFILE is never written,
OpenSSL's certificate variables do not add trust anchors."""

import os
import unittest

from harness import LOG_CRIT, PamTestCase, closed_port_url

FULL = "authenticate acct_mgmt setcred open_session close_session"


class CallerEnvironment(PamTestCase):
    def test_proxy_variables_are_ignored(self):
        dead = closed_port_url().replace("https", "http")
        env = {name: dead for name in ("https_proxy", "HTTPS_PROXY", "http_proxy",
                                        "ALL_PROXY", "all_proxy")}
        r = self.run(FULL, answers=self.credentials(), env=env,
                     conf={"timeout": "3", "connect_timeout": "1"})
        self.assertCalls(r, [(step, "PAM_SUCCESS") for step in FULL.split()])

    def test_sslkeylogfile_is_never_written(self):
        keylog = os.path.join(self.dir, "tls-secrets.log")
        r = self.run(FULL, answers=self.credentials(), env={"SSLKEYLOGFILE": keylog})
        self.assertCalls(r, [(step, "PAM_SUCCESS") for step in FULL.split()])
        self.assertFalse(os.path.exists(keylog), "TLS secrets were written to SSLKEYLOGFILE")

    def test_libcurl_initialised_by_the_application_first_is_refused(self):
        # The application read SSLKEYLOGFILE at its curl_global_init, and
        # libcurl frees blocks with its allocator, not the module's wiping
        # one: nothing secret may go through it, and nothing is asked.
        keylog = os.path.join(self.dir, "tls-secrets.log")
        r = self.run("authenticate", answers=self.credentials(),
                     env={"SSLKEYLOGFILE": keylog, "PAM_DRIVER_CURL_INIT_FIRST": "1"})
        self.assertRc(r, "authenticate", "PAM_SERVICE_ERR")
        self.assertNoRequests(r)
        self.assertEqual(r.prompts, [])
        self.assertLogged(r, severity=LOG_CRIT,
                          text="the application initialised libcurl before the module")
        self.assertFalse(os.path.exists(keylog) and os.path.getsize(keylog) > 0,
                         "TLS secrets were written to SSLKEYLOGFILE")

    def test_a_session_is_not_ended_through_a_foreign_libcurl_either(self):
        sid = self.create_session("alice")
        r = self.run(["putenv:PAM_OKTA_SESSION_ID=" + sid, "user:alice", "close_session"],
                     env={"PAM_DRIVER_CURL_INIT_FIRST": "1"})
        self.assertRc(r, "close_session", "PAM_SERVICE_ERR")
        self.assertNoRequests(r)
        self.assertLogged(r, severity=LOG_CRIT,
                          text="the application initialised libcurl before the module")

    def test_sslkeylogfile_does_not_reach_the_session(self):
        keylog = os.path.join(self.dir, "tls-secrets.log")
        r = self.run("authenticate open_session env", answers=self.credentials(),
                     env={"SSLKEYLOGFILE": keylog})
        self.assertNotIn("SSLKEYLOGFILE", r.env())

    def test_openssl_certificate_variables_add_no_trust(self):
        # With the system store, a CA named in the caller's environment must
        # not be trusted: the fake's CA is not in the system store.
        env = {"SSL_CERT_FILE": self.fake.ca_file,
               "SSL_CERT_DIR": os.path.dirname(self.fake.ca_file),
               "CURL_CA_BUNDLE": self.fake.ca_file}
        r = self.run("authenticate", answers=self.credentials(), env=env,
                     conf={"ca_file": None, "failmode": "safe"})
        self.assertRc(r, "authenticate", "PAM_AUTH_ERR")
        self.assertNoRequests(r)

    def test_curl_home_config_is_not_read(self):
        # libcurl itself reads no .curlrc, but HOME must not matter either.
        with open(os.path.join(self.dir, ".curlrc"), "w") as f:
            f.write("insecure\nproxy = http://127.0.0.1:1\n")
        r = self.run("authenticate", answers=self.credentials(), env={"HOME": self.dir})
        self.assertRc(r, "authenticate", "PAM_SUCCESS")


if __name__ == "__main__":
    unittest.main()
