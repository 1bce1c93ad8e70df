"""The network fault matrix (issue 5, DESIGN §6, §7): one fault per case,
each run with failmode=secure and failmode=safe, asserting the PAM code,
that the call returned within `timeout` + 1 s, and the syslog line.

    Okta unreachable            secure PAM_AUTHINFO_UNAVAIL   safe PAM_IGNORE
    hostile or broken answer    PAM_AUTH_ERR in both modes

Faults below HTTP (DNS, TCP, TLS, proxies) come from tests/pam/hostile_net.py;
HTTP-level faults from the fake org's injection. With OKTA_TEST_MATRIX_OUT
set, every case appends one JSON line (case, failmode, code, ms, test) to
that file: the matrix of the closing note is made from it.
"""

import json
import os
import random
import subprocess
import unittest

from harness import PamTestCase, SESSION_PATH, closed_port_url
from hostile_net import (ConnectProxy, DnsServer, ScriptedServer, SilentServer,
                         in_resolver_namespace, make_cert_signed)

MODES = ("secure", "safe")
UNREACHABLE = {"secure": "PAM_AUTHINFO_UNAVAIL", "safe": "PAM_IGNORE"}
UNREACHABLE_LOG = {"secure": "authenticate: unreachable ",
                   "safe": "authenticate: unreachable_failmode_safe "}
HOSTILE = {"secure": "PAM_AUTH_ERR", "safe": "PAM_AUTH_ERR"}
HOSTILE_LOG = {"secure": "authenticate: bad_response ", "safe": "authenticate: bad_response "}
TIMEOUT = 2
FAST = {"timeout": str(TIMEOUT), "connect_timeout": "1", "retries": "2"}


def record(case, mode, code, ms, test, step="authenticate"):
    out = os.environ.get("OKTA_TEST_MATRIX_OUT")
    if out:
        with open(out, "a") as f:
            f.write(json.dumps({"case": case, "failmode": mode, "step": step, "code": code,
                                "ms": ms, "test": test}) + "\n")


class MatrixCase(PamTestCase):
    """Runs authenticate (then acct_mgmt) in both modes and checks code, time, log."""

    resolv_conf = None

    def _execute(self, cmd, proc_env, log_file, timeout, pauses):
        if self.resolv_conf is not None:
            cmd = in_resolver_namespace(self.resolv_conf, cmd)
        return super()._execute(cmd, proc_env, log_file, timeout, pauses)

    def check(self, case, expected, log_text, conf=None, each=None, timeout=TIMEOUT,
              answers=None, steps="authenticate acct_mgmt"):
        """EXPECTED/LOG_TEXT: {mode: ...}; EACH(run, mode) more assertions."""
        runs = {}
        for mode in MODES:
            with self.subTest(case=case, failmode=mode):
                if callable(conf):
                    c = conf(mode)
                else:
                    c = dict(FAST, **(conf or {}))
                c.setdefault("timeout", str(timeout))
                c["failmode"] = mode
                r = self.run(steps, answers=answers or self.credentials(), conf=c)
                self.fake.clear_faults()
                ms = r.call("authenticate")["ms"]
                record(case, mode, r.rc("authenticate"), ms, self.id())
                self.assertRc(r, "authenticate", expected[mode])
                self.assertLessEqual(ms, (int(c["timeout"]) + 1) * 1000, r.describe())
                if log_text is not None:
                    self.assertLogged(r, text=log_text[mode], user="alice",
                                      login="alice@example.com", service="okta-test")
                if expected[mode] != "PAM_SUCCESS" and "acct_mgmt" in steps:
                    # No session was kept for later calls.
                    self.assertRc(r, "acct_mgmt", "PAM_IGNORE")
                if each is not None:
                    each(r, mode)
                runs[mode] = r
        return runs


class Resolver(MatrixCase):
    """DNS, through a private /etc/resolv.conf naming a DNS server on loopback."""

    @classmethod
    def setUpClass(cls):
        probe = subprocess.run(["unshare", "--mount", "--propagation", "private", "true"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if probe.returncode != 0:
            raise unittest.SkipTest("no private mount namespace here (unshare needs "
                                    "CAP_SYS_ADMIN): the DNS cases can not be staged")
        super().setUpClass()

    def serve_dns(self, answer):
        address = "127.0.%d.%d" % (random.randint(60, 250), random.randint(2, 250))
        dns = DnsServer(address, answer=answer)
        self.addCleanup(dns.stop)
        self.resolv_conf = dns.resolv_conf(self.dir)
        return dns

    def test_unresolvable_host(self):
        dns = self.serve_dns(answer=True)
        self.check("unresolvable host (NXDOMAIN)", UNREACHABLE, UNREACHABLE_LOG,
                   conf={"org_url": "https://okta-test.invalid"},
                   each=lambda r, mode: self.assertNoRequests(r))
        self.assertGreater(dns.queries, 0, "the resolver never asked the test's DNS server")

    def test_dns_server_that_never_answers(self):
        dns = self.serve_dns(answer=False)
        self.check("DNS server never answers", UNREACHABLE, UNREACHABLE_LOG,
                   conf={"org_url": "https://okta-blackhole.example.com"},
                   each=lambda r, mode: self.assertNoRequests(r))
        self.assertGreater(dns.queries, 0, "the resolver never asked the test's DNS server")


class Transport(MatrixCase):
    def test_connection_refused(self):
        self.check("connection refused", UNREACHABLE, UNREACHABLE_LOG,
                   conf={"org_url": closed_port_url()},
                   each=lambda r, mode: self.assertNoRequests(r))

    def test_server_accepts_and_never_answers_the_tls_handshake(self):
        with SilentServer() as silent:
            self.check("TCP accepted, TLS handshake never answered", UNREACHABLE,
                       UNREACHABLE_LOG, conf={"org_url": silent.url})
            self.assertGreater(silent.connections, 0)

    def test_headers_then_a_stalled_body(self):
        server = ScriptedServer([("stall", [("X-Okta-Request-Id", "stalled1")], b'{"status":')],
                                cert=self.fake.cert_file, key=self.fake.key_file)
        with server:
            self.check("headers, then the body stalls", UNREACHABLE, UNREACHABLE_LOG,
                       conf={"org_url": server.url})
            # The password may have reached Okta: never sent twice.
            self.assertEqual(server.requests, ["POST /api/v1/authn HTTP/1.1"] * 2)

    def test_plain_http_server_behind_an_https_url(self):
        # The TLS handshake fails before anything is sent: as for a
        # dropped connection, Okta is unreachable (nothing was answered).
        server = ScriptedServer([(200, [("Content-Type", "application/json")],
                                  b'{"status":"SUCCESS","sessionToken":"x"}')])
        with server:
            self.check("plain-HTTP server on the https URL", UNREACHABLE, UNREACHABLE_LOG,
                       conf={"org_url": server.url})
            # It saw ClientHellos, never an HTTP request in plain text.
            self.assertGreater(server.connections, 0)
            self.assertEqual([q for q in server.requests if "HTTP/1." in q], [],
                             "a request went out in plain text")


class ServerErrors(MatrixCase):
    def test_5xx_on_the_password_is_not_retried(self):
        for status in (500, 502, 503, 504):
            def fault(mode, status=status):
                self.fake.inject("POST", "/api/v1/authn", status=status, count=None)
                return dict(FAST)
            self.check("HTTP %d on authn" % status, UNREACHABLE, UNREACHABLE_LOG, conf=fault,
                       each=lambda r, mode, status=status: self.assertRequests(
                           r, [("POST", "/api/v1/authn", status)]))

    def test_5xx_on_the_session_check_is_retried_up_to_retries(self):
        for status in (500, 502, 503, 504):
            for retries in (0, 1, 2):
                with self.subTest(status=status, retries=retries):
                    self.fake.inject("GET", SESSION_PATH, status=status, count=None)
                    r = self.run("authenticate acct_mgmt", answers=self.credentials(),
                                 conf=dict(FAST, retries=str(retries), timeout="4"))
                    self.fake.clear_faults()
                    self.assertRc(r, "acct_mgmt", "PAM_AUTHINFO_UNAVAIL")
                    gets = [q.status for q in r.requests if q.method == "GET"]
                    self.assertEqual(gets, [status] * (retries + 1), r.describe())
                    self.assertLessEqual(r.call("acct_mgmt")["ms"], 5000)
                    self.assertLogged(r, text="acct_mgmt: unreachable ", http=str(status))
                    record("HTTP %d on GET session, retries=%d" % (status, retries), "secure",
                           r.rc("acct_mgmt"), r.call("acct_mgmt")["ms"], self.id(),
                           step="acct_mgmt")

    def test_session_creation_is_never_retried(self):
        for fault in ({"status": 503}, {"status": 502}, {"drop": True}):
            def conf(mode, fault=fault):
                self.fake.inject("POST", "/api/v1/sessions", count=None, **fault)
                return dict(FAST)
            self.check("create session %s (token may be spent)" % fault, UNREACHABLE,
                       UNREACHABLE_LOG, conf=conf,
                       each=lambda r, mode: self.assertEqual(
                           [q.path for q in r.requests],
                           ["/api/v1/authn", "/api/v1/sessions"], r.describe()))


class RateLimits(MatrixCase):
    def test_429_without_a_reset_header_backs_off_and_gives_up(self):
        server = ScriptedServer([(429, [("Content-Type", "application/json")],
                                  b'{"errorCode":"E0000047","errorSummary":"API call '
                                  b'exceeded rate limit due to too many requests."}')],
                                cert=self.fake.cert_file, key=self.fake.key_file)
        with server:
            self.check("429 without X-Rate-Limit-Reset", UNREACHABLE, UNREACHABLE_LOG,
                       conf={"org_url": server.url})
            # retries=2: three attempts per mode.
            self.assertEqual(len(server.requests), 6, server.requests)

    def test_429_with_a_reset_beyond_the_budget_is_not_waited_for(self):
        def conf(mode):
            self.fake.inject_rate_limit("POST", "/api/v1/authn", reset_in=30, count=None,
                                        duplicate_reset=True)
            return dict(FAST)

        def each(r, mode):
            self.assertRequests(r, [("POST", "/api/v1/authn", 429)])
            self.assertLess(r.call("authenticate")["ms"], 1500, "waited for a hopeless reset")
        self.check("429, X-Rate-Limit-Reset beyond the budget", UNREACHABLE, UNREACHABLE_LOG,
                   conf=conf, each=each)

    def test_429_with_a_reset_inside_the_budget_is_waited_for(self):
        for duplicate in (False, True):
            def conf(mode, duplicate=duplicate):
                self.fake.inject_rate_limit("POST", "/api/v1/authn", reset_in=1,
                                            duplicate_reset=duplicate)
                return dict(FAST, timeout="4")

            def each(r, mode):
                authns = [q for q in r.requests if q.path == "/api/v1/authn"]
                self.assertEqual([q.status for q in authns], [429, 200])
                self.assertGreaterEqual(authns[1].time - authns[0].time, 0.7)
            self.check("429, %s X-Rate-Limit-Reset inside the budget"
                       % ("two" if duplicate else "one"),
                       {"secure": "PAM_SUCCESS", "safe": "PAM_SUCCESS"},
                       {"secure": "authenticate: success ", "safe": "authenticate: success "},
                       conf=conf, each=each)

    def test_429_after_all_retries(self):
        def conf(mode):
            self.fake.inject_rate_limit("POST", "/api/v1/authn", reset_in=0, count=None,
                                        duplicate_reset=False)
            return dict(FAST, timeout="5")
        self.check("429 on every attempt", UNREACHABLE, UNREACHABLE_LOG, conf=conf,
                   each=lambda r, mode: self.assertRequests(
                       r, [("POST", "/api/v1/authn", 429)] * 3))


class HostileTransport(MatrixCase):
    def test_redirect_is_not_followed(self):
        for status in (301, 302, 307, 308):
            def conf(mode, status=status):
                self.fake.inject("POST", "/api/v1/authn", status=status,
                                 redirect=self.fake.url + "/api/v1/authn", count=None)
                return dict(FAST)
            self.check("redirect %d" % status, HOSTILE, HOSTILE_LOG, conf=conf,
                       each=lambda r, mode: self.assertEqual(len(r.requests), 1))

    def test_body_over_one_mebibyte(self):
        def conf(mode):
            self.fake.inject("POST", "/api/v1/authn", oversized=True)
            return dict(FAST)
        self.check("body over 1 MiB (chunked)", HOSTILE, HOSTILE_LOG, conf=conf,
                   each=lambda r, mode: self.assertEqual(len(r.requests), 1))

    def test_unknown_ca(self):
        self.check("TLS: unknown CA", HOSTILE, HOSTILE_LOG,
                   conf={"ca_file": self.other_ca_file()},
                   each=lambda r, mode: self.assertNoRequests(r))

    def bad_cert_server(self, name, **kw):
        cert, key = make_cert_signed(self.dir, name, self.fake.ca_file, self.fake.ca_key_file,
                                     **kw)
        server = ScriptedServer([(503, [], b"")], cert=cert, key=key)
        self.addCleanup(server.stop)
        return server

    def test_certificate_for_another_host_name(self):
        good = self.bad_cert_server("good", sans=["IP:127.0.0.1"])
        bad = self.bad_cert_server("wrong-name", sans=["DNS:not-okta.example", "IP:127.0.0.2"])
        # The same CA and server with the right name are trusted: only the
        # name makes the difference.
        r = self.run("authenticate", answers=self.credentials(),
                     conf=dict(FAST, org_url=good.url, retries="0"))
        self.assertRc(r, "authenticate", "PAM_AUTHINFO_UNAVAIL")
        self.assertEqual(good.requests, ["POST /api/v1/authn HTTP/1.1"])
        self.check("TLS: certificate for another host name", HOSTILE, HOSTILE_LOG,
                   conf={"org_url": bad.url})
        self.assertEqual(bad.requests, [])

    def test_expired_certificate(self):
        bad = self.bad_cert_server("expired", sans=["IP:127.0.0.1"],
                                   start="20200101000000Z", end="20210101000000Z")
        self.check("TLS: expired certificate", HOSTILE, HOSTILE_LOG, conf={"org_url": bad.url})
        self.assertEqual(bad.requests, [])

    def test_certificate_not_yet_valid(self):
        bad = self.bad_cert_server("future", sans=["IP:127.0.0.1"],
                                   start="20990101000000Z", end="20991231000000Z")
        self.check("TLS: certificate not yet valid", HOSTILE, HOSTILE_LOG,
                   conf={"org_url": bad.url})
        self.assertEqual(bad.requests, [])


class Proxies(MatrixCase):
    SUCCESS = {"secure": "PAM_SUCCESS", "safe": "PAM_SUCCESS"}
    SUCCESS_LOG = {"secure": "authenticate: success ", "safe": "authenticate: success "}

    def test_caller_proxy_variables_and_keylog_file_are_ignored(self):
        trap = ConnectProxy()
        self.addCleanup(trap.stop)
        keylog = os.path.join(self.dir, "keylog.txt")
        env = {name: trap.url for name in ("http_proxy", "https_proxy", "HTTPS_PROXY",
                                           "ALL_PROXY", "all_proxy")}
        env["SSLKEYLOGFILE"] = keylog
        runs = {}
        for mode in MODES:
            with self.subTest(failmode=mode):
                r = self.run("authenticate acct_mgmt open_session close_session",
                             answers=self.credentials(), env=env,
                             conf=dict(FAST, failmode=mode))
                record("proxy variables + SSLKEYLOGFILE in the caller's environment", mode,
                       r.rc("authenticate"), r.call("authenticate")["ms"], self.id())
                self.assertCalls(r, [(s, "PAM_SUCCESS") for s in
                                     ("authenticate", "acct_mgmt", "open_session",
                                      "close_session")])
                self.assertEqual(len(r.requests), 5)
                runs[mode] = r
        self.assertEqual(trap.connects + trap.other_requests, [], "a caller's proxy was used")
        self.assertFalse(os.path.exists(keylog), "TLS secrets were written to SSLKEYLOGFILE")

    def test_proxy_key_is_used_through_connect(self):
        proxy = ConnectProxy()
        trap = ConnectProxy()
        self.addCleanup(proxy.stop)
        self.addCleanup(trap.stop)
        target = self.fake.url[len("https://"):]
        self.check("proxy key: CONNECT proxy on loopback", self.SUCCESS, self.SUCCESS_LOG,
                   conf={"proxy": proxy.url},
                   each=lambda r, mode: self.assertRequests(
                       r, self.auth_requests() + [("GET", SESSION_PATH, 200)]))
        self.assertTrue(proxy.connects, "the configured proxy was not used")
        self.assertEqual(set(proxy.connects), {target})
        self.assertEqual(proxy.other_requests, [], "something was sent to the proxy in clear")
        self.assertEqual(trap.connects, [])

    def test_configured_proxy_that_refuses(self):
        dead = closed_port_url().replace("https", "http")
        self.check("proxy key: proxy refuses connections", UNREACHABLE, UNREACHABLE_LOG,
                   conf={"proxy": dead}, each=lambda r, mode: self.assertNoRequests(r))


if __name__ == "__main__":
    unittest.main()
