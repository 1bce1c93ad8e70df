"""Behaviour of the fake Okta org: state, authorization, framing, recording,
fault injection, connections, robustness and the foreground demo server."""

import contextlib
import email.utils
import http.client
import io
import json
import os
import shutil
import signal
import socket
import ssl
import stat
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from fake_okta import FakeOkta, make_ca  # noqa: E402
from okta_client import Client, tls_context  # noqa: E402

PASSWORD = "correct-horse"


class FakeTestCase(unittest.TestCase):
    """One fake per class; a fresh user, clean faults and limits per test."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="fake-okta-test-")
        cls.fake = FakeOkta(os.path.join(cls.tmp, "okta")).start()

    @classmethod
    def tearDownClass(cls):
        cls.fake.stop()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def setUp(self):
        self.fake.clear_faults()
        self.fake.reset_rate_limits()
        self.fake.clock_offset = 0.0
        self.login = "user%d@example.com" % time.monotonic_ns()
        self.user_id = self.fake.add_user(self.login, PASSWORD)
        self.client = Client(self.fake)
        self.fake.clear_requests()

    def tearDown(self):
        self.client.close()

    def session_token(self):
        reply = self.client.authn(self.login, PASSWORD)
        self.assertEqual(reply.status, 200, reply)
        return reply.json["sessionToken"]

    def new_session(self):
        reply = self.client.create(self.session_token())
        self.assertEqual(reply.status, 200, reply)
        return reply.json

    def raw_request(self, lines, body=b""):
        """Send a hand-written request on a new TLS connection; returns the raw answer."""
        ctx = tls_context(self.fake.ca_file)
        with socket.create_connection(("127.0.0.1", self.fake.port), timeout=5) as raw:
            with ctx.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
                tls.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
                data = b""
                while True:
                    try:
                        chunk = tls.recv(65536)
                    except (ssl.SSLError, ConnectionError):
                        break
                    if not chunk:
                        break
                    data += chunk
                return data


class Files(FakeTestCase):

    def test_workdir_files(self):
        with open(self.fake.api_token_file) as f:
            self.assertEqual(f.read().strip(), self.fake.api_token)
        self.assertEqual(stat.S_IMODE(os.stat(self.fake.api_token_file).st_mode), 0o600)
        with open(os.path.join(self.fake.workdir, "url")) as f:
            self.assertEqual(f.read().strip(), self.fake.url)
        self.assertTrue(self.fake.ca_file.endswith("/ca.pem"))
        self.assertRegex(self.fake.url, r"^https://127\.0\.0\.1:[0-9]+$")
        self.assertGreaterEqual(len(self.fake.api_token), 40)


class Authn(FakeTestCase):

    def test_success_and_one_time_token(self):
        token = self.session_token()
        self.assertEqual(self.fake.session_token(token)["used"], False)
        self.assertEqual(self.client.create(token).status, 200)
        reply = self.client.create(token)
        self.assertEqual((reply.status, reply.json["errorCode"]), (401, "E0000004"))

    def test_short_name_and_case(self):
        local = self.login.split("@")[0]
        self.assertEqual(self.client.authn(local.upper(), PASSWORD).status, 200)
        reply = self.client.authn(self.login.upper(), PASSWORD)
        self.assertEqual(reply.json["_embedded"]["user"]["profile"]["login"], self.login)

    def test_bad_password_unknown_user_empty(self):
        for user, pw in ((self.login, "wrong"), ("nobody@example.com", PASSWORD),
                         (self.login, "")):
            reply = self.client.authn(user, pw)
            self.assertEqual((reply.status, reply.json["errorCode"]), (401, "E0000004"))

    def test_lockout_threshold_shown(self):
        self.fake.update_user(self.login, lockout_threshold=2)
        for _ in range(2):
            self.assertEqual(self.client.authn(self.login, "wrong").status, 401)
        self.assertTrue(self.fake.user(self.login)["locked_out"])
        reply = self.client.authn(self.login, PASSWORD)
        self.assertEqual((reply.status, reply.json["status"]), (200, "LOCKED_OUT"))

    def test_lockout_hidden(self):
        self.fake.add_user(self.login, PASSWORD, locked_out=True, show_lockout=False)
        reply = self.client.authn(self.login, PASSWORD)
        self.assertEqual((reply.status, reply.json["errorCode"]), (401, "E0000004"))

    def test_good_password_resets_failures(self):
        self.fake.update_user(self.login, lockout_threshold=2)
        self.client.authn(self.login, "wrong")
        self.client.authn(self.login, PASSWORD)
        self.client.authn(self.login, "wrong")
        self.assertFalse(self.fake.user(self.login)["locked_out"])

    def test_password_expired_and_mfa_order(self):
        self.fake.update_user(self.login, password_expired=True)
        self.assertEqual(self.client.authn(self.login, PASSWORD).json["status"],
                         "PASSWORD_EXPIRED")
        self.fake.update_user(self.login, mfa_required=True)
        reply = self.client.authn(self.login, PASSWORD)
        self.assertEqual(reply.json["status"], "MFA_REQUIRED")
        self.assertNotIn("sessionToken", reply.json)

    def test_state_token_lookup_and_expiry(self):
        self.fake.update_user(self.login, mfa_required=True)
        state = self.client.authn(self.login, PASSWORD).json["stateToken"]
        reply = self.client.request("POST", "/api/v1/authn", {"stateToken": state})
        self.assertEqual(reply.json["status"], "MFA_REQUIRED")
        self.fake.advance(301)
        reply = self.client.request("POST", "/api/v1/authn", {"stateToken": state})
        self.assertEqual((reply.status, reply.json["errorCode"]), (401, "E0000011"))
        self.assertIsNone(self.fake.transaction(state))

    def test_cancel_unknown_and_bad_json(self):
        reply = self.client.request("POST", "/api/v1/authn/cancel", {"stateToken": "007nope"})
        self.assertEqual((reply.status, reply.json["errorCode"]), (401, "E0000011"))
        reply = self.client.request("POST", "/api/v1/authn", "{\"username\":")
        self.assertEqual((reply.status, reply.json["errorCode"]), (400, "E0000003"))

    def test_authorization_optional_but_checked(self):
        self.assertEqual(self.client.authn(self.login, PASSWORD, auth="").status, 200)
        self.assertEqual(self.client.authn(self.login, PASSWORD).status, 200)
        reply = self.client.authn(self.login, PASSWORD, auth="SSWS wrong")
        self.assertEqual((reply.status, reply.json["errorCode"]), (401, "E0000011"))


class Sessions(FakeTestCase):

    def test_lifecycle(self):
        s = self.new_session()
        self.assertEqual((s["login"], s["userId"], s["status"]),
                         (self.login, self.user_id, "ACTIVE"))
        self.assertEqual(self.fake.session(s["id"])["id"], s["id"])
        r = self.client.refresh(s["id"])
        self.assertEqual(r.status, 200)
        self.assertGreater(r.json["expiresAt"], s["expiresAt"])
        self.assertEqual(self.client.delete(s["id"]).status, 204)
        self.assertIsNone(self.fake.session(s["id"]))
        for reply in (self.client.get(s["id"]), self.client.refresh(s["id"]),
                      self.client.delete(s["id"])):
            self.assertEqual((reply.status, reply.json["errorCode"]), (404, "E0000007"))

    def test_expiry(self):
        s = self.new_session()
        self.fake.expire_session(s["id"])
        self.assertEqual(self.client.get(s["id"]).status, 404)
        sid = self.fake.create_session(self.login, lifetime=60)
        self.assertEqual(self.client.get(sid).status, 200)
        self.fake.advance(61)
        self.assertEqual(self.client.get(sid).status, 404)
        self.assertIsNone(self.fake.session(sid))

    def test_session_token_expiry(self):
        token = self.fake.mint_session_token(self.login)
        self.fake.advance(301)
        self.assertEqual(self.client.create(token).status, 401)
        self.fake.clock_offset = 0
        token = self.fake.mint_session_token(self.login)
        self.fake.expire_session_token(token)
        self.assertEqual(self.client.create(token).status, 401)

    def test_created_directly(self):
        sid = self.fake.create_session(self.login, status="MFA_REQUIRED", amr=["pwd", "otp", "mfa"])
        self.assertRegex(sid, r"^102[A-Za-z0-9_-]{22}$")
        body = self.client.get(sid).json
        self.assertEqual(body["status"], "MFA_REQUIRED")
        self.assertEqual(body["amr"], ["pwd", "otp", "mfa"])
        self.assertIsNotNone(body["lastFactorVerification"])
        self.fake.set_session_status(sid, "ACTIVE")
        self.assertEqual(self.fake.session(sid)["status"], "ACTIVE")
        self.assertIn(sid, self.fake.sessions())

    def test_date_header_follows_clock_offset(self):
        self.fake.advance(3600)
        reply = self.client.get("102x")
        date = email.utils.parsedate_to_datetime(reply.header("Date")).timestamp()
        self.assertAlmostEqual(date, time.time() + 3600, delta=5)
        self.assertGreater(int(reply.header("X-Rate-Limit-Reset")), time.time() + 3600)

    def test_bad_create_bodies(self):
        for body in ({}, {"sessionToken": ""}, {"sessionToken": 5}):
            reply = self.client.request("POST", "/api/v1/sessions", body)
            self.assertEqual((reply.status, reply.json["errorCode"]), (400, "E0000001"))
        for body in ("not json", "[1]", b"\xff\xfe"):
            reply = self.client.request("POST", "/api/v1/sessions", body)
            self.assertEqual((reply.status, reply.json["errorCode"]), (400, "E0000003"))


class Authorization(FakeTestCase):

    def test_sessions_need_the_token(self):
        sid = self.fake.create_session(self.login)
        cases = [("", 401, "E0000011"), ("SSWS wrong", 401, "E0000011"),
                 ("SSWS ", 401, "E0000011"), ("Bearer abc", 401, "E0000011"),
                 ("Basic Zm9vOmJhcg==", 403, "E0000005"),
                 ("SSWS" + self.fake.api_token, 403, "E0000005"),
                 ("ssws " + self.fake.api_token, 403, "E0000005")]
        for auth, status, code in cases:
            for call in (self.client.get, self.client.refresh, self.client.delete):
                reply = call(sid, headers={"Authorization": auth} if auth else {}, auth="")
                self.assertEqual((reply.status, reply.json["errorCode"]), (status, code),
                                 (auth, call))
            reply = self.client.request("POST", "/api/v1/sessions", {"sessionToken": "x"},
                                        headers={"Authorization": auth} if auth else {},
                                        auth="")
            self.assertEqual(reply.status, status, auth)
        self.assertEqual(self.client.get(sid).status, 200)


class Framing(FakeTestCase):

    def test_post_without_content_length_is_411(self):
        answer = self.raw_request(["POST /api/v1/sessions/102x/lifecycle/refresh HTTP/1.1",
                                   "Host: 127.0.0.1", "Authorization: SSWS " + self.fake.api_token])
        self.assertTrue(answer.startswith(b"HTTP/1.1 411 "), answer[:100])
        self.assertEqual(self.fake.requests[-1].status, 411)

    def test_chunked_post_is_411(self):
        answer = self.raw_request(["POST /api/v1/authn HTTP/1.1", "Host: 127.0.0.1",
                                   "Transfer-Encoding: chunked"], b"2\r\n{}\r\n0\r\n\r\n")
        self.assertTrue(answer.startswith(b"HTTP/1.1 411 "), answer[:100])

    def test_refresh_with_content_length_zero(self):
        s = self.new_session()
        self.assertEqual(self.client.refresh(s["id"]).status, 200)
        self.assertEqual(self.fake.requests[-1].headers["content-length"], "0")

    def test_unknown_path_and_wrong_method(self):
        reply = self.client.request("GET", "/api/v1/nothing")
        self.assertEqual((reply.status, reply.json["errorCode"]), (404, "E0000007"))
        reply = self.client.request("GET", "/api/v1/authn")
        self.assertEqual((reply.status, reply.json["errorCode"]), (405, "E0000022"))
        self.assertEqual(reply.header("Allow"), "POST")
        reply = self.client.request("PUT", "/api/v1/sessions/102x")
        self.assertEqual(reply.status, 405)
        self.assertEqual(reply.header("Allow"), "DELETE, GET")


class RateLimits(FakeTestCase):

    def test_bucket_counts_and_429(self):
        self.fake.set_rate_limit("sessions", 3)
        try:
            remaining = [self.client.get("102x").header("X-Rate-Limit-Remaining")
                         for _ in range(3)]
            self.assertEqual(remaining, ["2", "1", "0"])
            reply = self.client.get("102x")
            self.assertEqual((reply.status, reply.json["errorCode"]), (429, "E0000047"))
            self.assertEqual(reply.header("X-Rate-Limit-Limit"), "3")
            # authn is a separate bucket
            self.assertEqual(self.client.authn(self.login, PASSWORD).status, 200)
            self.fake.advance(61)
            self.assertEqual(self.client.get("102x").status, 404)
        finally:
            self.fake.set_rate_limit("sessions", 600)

    def test_injected_rate_limit_has_two_resets(self):
        self.fake.inject_rate_limit("GET", r"/api/v1/sessions/.*", reset_in=3, count=2)
        for _ in range(2):
            reply = self.client.get("102x")
            self.assertEqual(reply.status, 429)
            self.assertEqual(reply.header("X-Rate-Limit-Remaining"), "0")
            date = int(email.utils.parsedate_to_datetime(reply.header("Date")).timestamp())
            resets = [int(v) for v in reply.headers("X-Rate-Limit-Reset")]
            self.assertEqual(len(resets), 2)
            self.assertIn(min(resets) - date, (3, 4))   # the second may have ticked
            self.assertEqual(resets[0], min(resets))
        self.assertEqual(self.client.get("102x").status, 404)

    def test_single_reset_option(self):
        self.fake.inject_rate_limit("GET", None, reset_in=1, duplicate_reset=False)
        self.assertEqual(len(self.client.get("102x").headers("X-Rate-Limit-Reset")), 1)


class Recording(FakeTestCase):

    def test_request_fields(self):
        self.client.request("POST", "/api/v1/authn?x=1&x=2",
                            {"username": self.login, "password": PASSWORD},
                            headers={"X-Dup": "a", "User-Agent": "pam_okta_session/0.1"})
        conn = self.client.conn
        conn.putrequest("GET", "/api/v1/sessions/102x")
        conn.putheader("X-Dup", "one")
        conn.putheader("x-dup", "two")
        conn.putheader("Authorization", "SSWS " + self.fake.api_token)
        conn.endheaders()
        conn.getresponse().read()
        first, second = self.fake.requests
        self.assertEqual((first.method, first.path, first.query), ("POST", "/api/v1/authn",
                                                                   {"x": ["1", "2"]}))
        self.assertEqual(first.json, {"username": self.login, "password": PASSWORD})
        self.assertEqual(json.loads(first.body), first.json)
        self.assertEqual(first.headers["user-agent"], "pam_okta_session/0.1")
        self.assertEqual(first.headers["User-Agent"], "pam_okta_session/0.1")
        self.assertEqual(first["status"], 200)
        self.assertEqual(first.note, "SUCCESS")
        self.assertIn(("User-Agent", "pam_okta_session/0.1"), first.headers.raw)
        self.assertEqual(second.headers.get_all("X-DUP"), ["one", "two"])
        self.assertEqual(second.headers["x-dup"], "one")
        self.assertIsNone(second.json)
        self.assertEqual((second.status, second.note), (404, "E0000007"))
        self.assertEqual(first.conn_id, second.conn_id)
        self.assertLessEqual(first.time, second.time)
        self.assertIn(first.tls_version, ("TLSv1.2", "TLSv1.3"))
        self.fake.clear_requests()
        self.assertEqual(self.fake.requests, [])


class Faults(FakeTestCase):

    def test_drop(self):
        fault = self.fake.inject("POST", "/api/v1/sessions", drop=True)
        with self.assertRaises((http.client.RemoteDisconnected, ConnectionError,
                                ssl.SSLError)):
            self.client.create("x")
        rec = self.fake.requests[-1]
        self.assertEqual((rec.path, rec.status, rec.note, rec.fault), ("/api/v1/sessions", None,
                                                                       "dropped", fault))
        self.assertEqual(rec.json, {"sessionToken": "x"})
        self.client.close()
        self.assertEqual(self.client.create(self.session_token()).status, 200)

    def test_delay_then_normal_answer(self):
        self.fake.inject("GET", delay=0.3)
        start = time.monotonic()
        reply = self.client.get("102x")
        self.assertGreaterEqual(time.monotonic() - start, 0.29)
        self.assertEqual(reply.status, 404)
        start = time.monotonic()
        self.client.get("102x")
        self.assertLess(time.monotonic() - start, 0.25)

    def test_delay_with_status(self):
        self.fake.inject("GET", status=503, delay=0.2)
        start = time.monotonic()
        reply = self.client.get("102x")
        self.assertGreaterEqual(time.monotonic() - start, 0.19)
        self.assertEqual((reply.status, reply.json["errorCode"]), (503, "E0000010"))

    def test_malformed(self):
        self.fake.inject(None, "/api/v1/authn", malformed=True)
        reply = self.client.authn(self.login, PASSWORD)
        self.assertEqual(reply.status, 200)
        self.assertEqual(reply.header("Content-Type"), "application/json")
        with self.assertRaises(ValueError):
            json.loads(reply.body)
        self.assertEqual(self.fake.requests[-1].status, 200)

    def test_oversized_chunked(self):
        self.fake.inject("GET", oversized=True)
        reply = self.client.get("102x")
        self.assertEqual(reply.status, 200)
        self.assertIsNone(reply.header("Content-Length"))
        self.assertEqual(reply.header("Transfer-Encoding"), "chunked")
        self.assertGreater(len(reply.body), 1 << 20)
        # the connection is still usable afterwards
        self.assertEqual(self.client.get("102x").status, 404)

    def test_oversized_client_gives_up(self):
        self.fake.inject("GET", oversized=True)
        ctx = tls_context(self.fake.ca_file)
        with socket.create_connection(("127.0.0.1", self.fake.port)) as raw:
            with ctx.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
                tls.sendall(b"GET /api/v1/sessions/102x HTTP/1.1\r\nHost: x\r\n\r\n")
                tls.recv(1000)
        # The fake survives a client that hangs up mid-body.
        self.assertEqual(self.client.get("102x").status, 404)

    def test_redirect(self):
        self.fake.inject("POST", "/api/v1/sessions", redirect="https://evil.example/x")
        reply = self.client.create("x")
        self.assertEqual(reply.status, 302)
        self.assertEqual(reply.header("Location"), "https://evil.example/x")
        self.fake.inject("POST", "/api/v1/sessions", redirect="https://evil.example/y",
                         status=307)
        self.assertEqual(self.client.create("x").status, 307)

    def test_custom_body_and_headers(self):
        self.fake.inject("GET", status=200, body={"id": "102x"},
                         headers=[("X-Test", "1"), ("X-Test", "2"),
                                  ("Content-Type", "text/html")])
        reply = self.client.get("102x")
        self.assertEqual((reply.status, reply.json), (200, {"id": "102x"}))
        self.assertEqual(reply.headers("X-Test"), ["1", "2"])
        self.assertEqual(reply.headers("Content-Type"), ["text/html"])
        self.fake.inject("GET", status=500, body="<html>oops</html>")
        reply = self.client.get("102x")
        self.assertEqual((reply.status, reply.body), (500, b"<html>oops</html>"))
        self.fake.inject("GET", body=b"\x00\x01")
        self.assertEqual(self.client.get("102x").body, b"\x00\x01")

    def test_headers_only_fault_decorates_normal_answer(self):
        self.fake.inject("GET", headers=[("X-Rate-Limit-Remaining", "1")])
        reply = self.client.get("102x")
        self.assertEqual(reply.status, 404)
        self.assertEqual(reply.headers("X-Rate-Limit-Remaining"), ["1"])

    def test_matching_order_and_count(self):
        self.fake.inject("GET", r"/api/v1/sessions/102a", status=500, count=2)
        self.fake.inject("GET", r"/api/v1/sessions/.*", status=503)
        self.assertEqual(self.client.request("POST", "/api/v1/sessions", {}).status, 400)
        self.assertEqual(self.client.get("102b").status, 503)
        self.assertEqual(self.client.get("102a").status, 500)
        self.assertEqual(self.client.get("102a").status, 500)
        self.assertEqual(self.client.get("102a").status, 404)
        self.assertEqual(self.client.get("102ab").status, 404)   # fullmatch

    def test_unlimited_fault(self):
        fault = self.fake.inject("DELETE", status=500, count=None)
        for _ in range(3):
            self.assertEqual(self.client.delete("102x").status, 500)
        self.assertEqual(fault.hits, 3)
        self.fake.clear_faults()
        self.assertEqual(self.client.delete("102x").status, 404)


class Connections(FakeTestCase):

    def test_keep_alive_shares_conn_id(self):
        self.client.get("102a")
        self.client.get("102b")
        with Client(self.fake) as other:
            other.get("102c")
        with Client(self.fake, host="localhost") as third:
            third.get("102d")
        ids = [r.conn_id for r in self.fake.requests]
        self.assertEqual(ids[0], ids[1])
        self.assertEqual(len({ids[0], ids[2], ids[3]}), 3)

    def test_connection_close_header(self):
        self.client.get("102a", headers={"Connection": "close"})
        self.client.get("102b")
        ids = [r.conn_id for r in self.fake.requests]
        self.assertNotEqual(ids[0], ids[1])

    def test_untrusted_ca_is_refused(self):
        other = make_ca(os.path.join(self.tmp, "other"), "untrusted")
        self.assertTrue(os.path.exists(other))
        self.assertTrue(os.path.exists(os.path.join(self.tmp, "other", "untrusted-key.pem")))
        before = self.fake.tls_failures
        conn = http.client.HTTPSConnection("127.0.0.1", self.fake.port, timeout=5,
                                           context=tls_context(other))
        with self.assertRaises(ssl.SSLCertVerificationError):
            conn.request("GET", "/api/v1/sessions/102x")
        conn.close()
        deadline = time.monotonic() + 2
        while self.fake.tls_failures == before and time.monotonic() < deadline:
            time.sleep(0.01)
        self.assertEqual(self.fake.tls_failures, before + 1)
        self.assertEqual(self.fake.requests, [])

    def test_tls_1_1_is_refused(self):
        ctx = tls_context(self.fake.ca_file)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            ctx.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED
            ctx.maximum_version = ssl.TLSVersion.TLSv1_1
        conn = http.client.HTTPSConnection("127.0.0.1", self.fake.port, timeout=5, context=ctx)
        with self.assertRaises((ssl.SSLError, ConnectionError)):
            conn.request("GET", "/api/v1/sessions/102x")
        conn.close()

    def test_lowercase_headers(self):
        self.fake.lowercase_headers = True
        try:
            reply = self.client.get("102x")
        finally:
            self.fake.lowercase_headers = False
        names = [n for n, _ in reply.header_list]
        self.assertIn("x-okta-request-id", names)
        self.assertIn("x-rate-limit-reset", names)


class Robustness(unittest.TestCase):

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="fake-okta-robust-")
        self.fake = FakeOkta(self.tmp)
        self.fake.add_user("alice@example.com", PASSWORD)

    def tearDown(self):
        self.fake.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def test_handler_exception_is_500_and_server_survives(self):
        self.fake.start()

        def broken(req):
            raise RuntimeError("boom")
        self.fake._h_session_get = broken
        stderr = io.StringIO()
        with Client(self.fake) as client, contextlib.redirect_stderr(stderr):
            reply = client.get("102x")
            self.assertEqual((reply.status, reply.json["errorCode"]), (500, "E0000009"))
            del self.fake._h_session_get
            self.assertEqual(client.get("102x").status, 404)
        self.assertIn("RuntimeError: boom", stderr.getvalue())

    def test_stop_is_prompt_with_idle_keep_alive_and_pending_delay(self):
        self.fake.start()
        idle = Client(self.fake)
        idle.get("102x")               # now idle on a keep-alive connection
        self.fake.inject("GET", delay=30)
        delayed = Client(self.fake)
        errors = []

        def call():
            try:
                delayed.get("102y")
            except Exception as exc:   # the connection is closed under it
                errors.append(exc)
        t = threading.Thread(target=call, daemon=True)
        t.start()
        deadline = time.monotonic() + 5
        while len(self.fake.requests) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        start = time.monotonic()
        self.fake.stop()
        self.assertLess(time.monotonic() - start, 2.0)
        t.join(5)
        self.assertFalse(t.is_alive())
        self.assertTrue(errors)
        self.assertEqual(self.fake._threads, set())
        self.assertFalse([th for th in threading.enumerate()
                          if th.name.startswith("fake-okta") and th.is_alive()])
        idle.close()
        delayed.close()

    def test_restart_same_dir_keeps_ca_and_token(self):
        self.fake.start()
        with open(self.fake.ca_file) as f:
            ca = f.read()
        token, port = self.fake.api_token, self.fake.port
        self.fake.stop()
        again = FakeOkta(self.tmp, api_token=token, port=port).start()
        try:
            with open(again.ca_file) as f:
                self.assertEqual(f.read(), ca)
            with Client(again) as client:
                self.assertEqual(client.authn("alice@example.com", PASSWORD).status, 401)
        finally:
            again.stop()

    def test_context_manager(self):
        with FakeOkta(os.path.join(self.tmp, "cm")) as fake:
            fake.add_user("bob@example.com", "pw")
            with Client(fake) as client:
                self.assertEqual(client.authn("bob", "pw").status, 200)
        self.assertIsNone(fake._server)


class ForegroundServer(unittest.TestCase):

    def run_demo(self, sig):
        tmp = tempfile.mkdtemp(prefix="fake-okta-main-")
        self.addCleanup(shutil.rmtree, tmp, True)
        ready = os.path.join(tmp, "ready")
        proc = subprocess.Popen(
            [sys.executable, os.path.join(HERE, "fake_okta.py"), "--dir", tmp,
             "--user", "alice@example.com:pass:word", "--ready-file", ready],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, encoding="utf-8",
            env=dict(os.environ, PYTHONIOENCODING="utf-8"))
        try:
            deadline = time.monotonic() + 15
            while not os.path.exists(ready):
                self.assertIsNone(proc.poll(), proc.stderr.read() if proc.poll() else "")
                self.assertLess(time.monotonic(), deadline)
                time.sleep(0.02)
            with open(os.path.join(tmp, "url")) as f:
                url = f.read().strip()
            with open(ready) as f:
                self.assertEqual(f.read().strip(), url)
            self.assertEqual(stat.S_IMODE(os.stat(os.path.join(tmp, "api_token")).st_mode),
                             0o600)
            with open(os.path.join(tmp, "api_token")) as f:
                token = f.read().strip()

            class Info:
                port = int(url.rsplit(":", 1)[1])
                ca_file = os.path.join(tmp, "ca.pem")
                api_token = token
            with Client(Info) as client:
                self.assertEqual(client.authn("alice@example.com", "wrong").status, 401)
                reply = client.authn("alice@example.com", "pass:word")
                session_token = reply.json["sessionToken"]
                sid = client.create(session_token).json["id"]
                client.refresh(sid)
                client.delete(sid)
            proc.send_signal(sig)
            out, err = proc.communicate(timeout=10)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
        self.assertEqual(proc.returncode, 0, err)
        lines = out.splitlines()
        self.assertEqual(lines, [
            "okta: POST /api/v1/authn -> 401 E0000004",
            "okta: POST /api/v1/authn -> 200 SUCCESS",
            "okta: POST /api/v1/sessions -> 200 ACTIVE",
            "okta: POST /api/v1/sessions/%s\u2026/lifecycle/refresh -> 200 ACTIVE" % sid[:6],
            "okta: DELETE /api/v1/sessions/%s\u2026 -> 204" % sid[:6],
        ])
        for secret in ("pass:word", session_token, sid, token):
            self.assertNotIn(secret, out + err)

    def test_sigterm(self):
        self.run_demo(signal.SIGTERM)

    def test_sigint(self):
        self.run_demo(signal.SIGINT)


if __name__ == "__main__":
    unittest.main()
