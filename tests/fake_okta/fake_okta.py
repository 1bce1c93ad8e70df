#!/usr/bin/python3
"""A fake Okta org for the pam_okta_session test suite.

An HTTPS server on 127.0.0.1 that speaks the parts of the Okta API the module
uses (Authentication API primary step and cancel, the four Session API calls),
keeps state (users, one-time session tokens, state tokens, sessions that
expire, refresh and end), records every request and injects faults on demand.

Response shapes follow /work/shared/okta-api/REFERENCE.md (sections 4-8) and the
2025.08.0 Management spec (vendored excerpt in spec/); tests in this directory
check the fake against both so that it cannot drift into agreeing with the
module's own misreadings.

Standard library only (plus the `openssl` command-line tool for certificates).

Library use:

    with FakeOkta(workdir) as okta:
        okta.add_user("alice@example.com", "correct-horse")
        ... point the module at okta.url, okta.ca_file, okta.api_token ...
        assert okta.requests[-1].status == 204

Demo use:

    python3 tests/fake_okta/fake_okta.py --dir DIR --user alice@example.com:pw
"""

import argparse
import http.server
import json
import os
import re
import secrets
import signal
import socket
import socketserver
import ssl
import string
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.parse

__all__ = ["FakeOkta", "Fault", "RequestRecord", "Headers", "make_ca", "make_cert"]

# --------------------------------------------------------------------------
# Certificates (openssl CLI)
# --------------------------------------------------------------------------

_REQ_CONFIG = """\
[req]
distinguished_name = dn
prompt = no
[dn]
CN = unused
"""


def _openssl(args, cwd):
    proc = subprocess.run(["openssl"] + args, cwd=cwd, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True)
    if proc.returncode != 0:
        raise RuntimeError("openssl %s failed: %s" % (args[0], proc.stderr.strip()))


def _write_private(path, data, mode=0o600):
    """Write DATA (str) to PATH with MODE, atomically (temp file + rename)."""
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp-")
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "w") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def make_ca(directory, name):
    """Create a self-signed test CA in DIRECTORY.

    Returns the path of the CA certificate, DIRECTORY/NAME.pem; the key is
    DIRECTORY/NAME-key.pem. A CA made this way (with another NAME) is what a
    test uses as an *untrusted* ca_file.
    """
    os.makedirs(directory, exist_ok=True)
    cert = os.path.join(directory, name + ".pem")
    key = os.path.join(directory, name + "-key.pem")
    cnf = os.path.join(directory, name + "-req.cnf")
    with open(cnf, "w") as f:
        f.write(_REQ_CONFIG)
    _openssl(["req", "-x509", "-config", cnf, "-newkey", "ec",
              "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
              "-keyout", key, "-out", cert, "-days", "3650", "-sha256",
              "-subj", "/O=pam_okta_session tests/CN=" + name,
              "-addext", "basicConstraints=critical,CA:TRUE",
              "-addext", "keyUsage=critical,keyCertSign,cRLSign",
              "-addext", "subjectKeyIdentifier=hash"], directory)
    os.chmod(key, 0o600)
    os.unlink(cnf)
    return cert


def make_cert(directory, name, ca_cert, ca_key, sans=("IP:127.0.0.1", "DNS:localhost")):
    """Create a server certificate signed by CA_CERT/CA_KEY.

    Returns (cert_path, key_path) = DIRECTORY/NAME.pem, DIRECTORY/NAME-key.pem.
    SANS is a sequence of openssl subjectAltName items.
    """
    os.makedirs(directory, exist_ok=True)
    cert = os.path.join(directory, name + ".pem")
    key = os.path.join(directory, name + "-key.pem")
    csr = os.path.join(directory, name + ".csr")
    cnf = os.path.join(directory, name + "-req.cnf")
    ext = os.path.join(directory, name + "-ext.cnf")
    with open(cnf, "w") as f:
        f.write(_REQ_CONFIG)
    with open(ext, "w") as f:
        f.write("[v3]\n"
                "basicConstraints = critical,CA:FALSE\n"
                "keyUsage = critical,digitalSignature\n"
                "extendedKeyUsage = serverAuth\n"
                "subjectKeyIdentifier = hash\n"
                "authorityKeyIdentifier = keyid,issuer\n"
                "subjectAltName = %s\n" % ",".join(sans))
    try:
        _openssl(["req", "-new", "-config", cnf, "-newkey", "ec",
                  "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                  "-keyout", key, "-out", csr, "-subj", "/CN=localhost"], directory)
        os.chmod(key, 0o600)
        _openssl(["x509", "-req", "-in", csr, "-CA", ca_cert, "-CAkey", ca_key,
                  "-set_serial", str(secrets.randbits(62) | 1), "-days", "825",
                  "-sha256", "-extfile", ext, "-extensions", "v3", "-out", cert],
                 directory)
    finally:
        for p in (csr, cnf, ext):
            try:
                os.unlink(p)
            except OSError:
                pass
    return cert, key


# --------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------

_ID_ALPHABET = string.ascii_letters + string.digits
_TOKEN_ALPHABET = string.ascii_letters + string.digits + "_-"


def _rand(n, alphabet=_ID_ALPHABET):
    return "".join(secrets.choice(alphabet) for _ in range(n))


def _iso(t):
    """Okta's timestamp format: whole seconds with a .000 millisecond part."""
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(t))


def _http_date(t):
    return time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(t))


def _link(href, allow, **extra):
    link = dict(extra)
    link["href"] = href
    link["hints"] = {"allow": list(allow)}
    return link


# Error codes and summaries, from Okta's catalogue (REFERENCE.md §6, D-err).
_ERRORS = {
    "E0000001": (400, "Api validation failed: {0}"),
    "E0000003": (400, "The request body was not well-formed."),
    "E0000004": (401, "Authentication failed"),
    "E0000005": (403, "Invalid session"),
    "E0000006": (403, "You do not have permission to perform the requested action"),
    "E0000007": (404, "Not found: {0}"),
    "E0000009": (500, "Internal Server Error"),
    "E0000010": (503, "Service is in read only mode"),
    "E0000011": (401, "Invalid token provided"),
    "E0000022": (405, "The endpoint does not support the provided HTTP method"),
    "E0000047": (429, "API call exceeded rate limit due to too many requests."),
}

# The error object used when a test injects a bare status code.
_DEFAULT_ERROR_FOR_STATUS = {
    400: "E0000001", 401: "E0000011", 403: "E0000006", 404: "E0000007",
    405: "E0000022", 429: "E0000047", 500: "E0000009", 503: "E0000010",
}

_REASONS = {411: "Length Required", 413: "Payload Too Large"}


class Headers(dict):
    """Request headers: a dict keyed by lower-cased name (first value wins),
    looked up case-insensitively, with the raw (name, value) list in `.raw`
    so duplicates and the sender's casing stay visible."""

    def __init__(self, pairs):
        super().__init__()
        self.raw = list(pairs)
        for name, value in self.raw:
            super().setdefault(name.lower(), value)

    def __getitem__(self, name):
        return super().__getitem__(name.lower())

    def __contains__(self, name):
        return super().__contains__(name.lower())

    def get(self, name, default=None):
        return super().get(name.lower(), default)

    def get_all(self, name):
        name = name.lower()
        return [v for n, v in self.raw if n.lower() == name]


class RequestRecord:
    """One request the fake received. Attributes (also readable as rec["name"]):

    method, path (no query), query (dict of lists), raw_path, headers
    (`Headers`), body (bytes), json (parsed body or None), conn_id (one per TCP
    connection), status (what the fake answered; None while pending or when the
    connection was dropped), note (transaction/session status or errorCode of
    the answer, or "dropped"), fault (the `Fault` applied, or None), time
    (time.time() at arrival, real clock), tls_version.
    """

    def __init__(self, **kw):
        self.method = kw["method"]
        self.path = kw["path"]
        self.raw_path = kw["raw_path"]
        self.query = kw["query"]
        self.headers = kw["headers"]
        self.body = kw["body"]
        self.json = kw["json"]
        self.conn_id = kw["conn_id"]
        self.time = kw["time"]
        self.tls_version = kw.get("tls_version")
        self.status = None
        self.note = None
        self.fault = None

    def __getitem__(self, name):
        return getattr(self, name)

    def get(self, name, default=None):
        return getattr(self, name, default)

    def __repr__(self):
        return "<RequestRecord %s %s conn=%d -> %s %s>" % (
            self.method, self.path, self.conn_id, self.status, self.note or "")


class Fault:
    """A fault queued with FakeOkta.inject(); `remaining` counts down."""

    def __init__(self, method, path, status, body, headers, delay, drop,
                 malformed, oversized, redirect, count, rate_limit_reset_in=None,
                 duplicate_reset=False):
        self.method = method.upper() if method else None
        self.path = path
        self._path_re = re.compile(path) if path is not None else None
        self.status = status
        self.body = body
        self.headers = list(headers or [])
        self.delay = float(delay or 0.0)
        self.drop = drop
        self.malformed = malformed
        self.oversized = oversized
        self.redirect = redirect
        self.remaining = count          # None: unlimited
        self.hits = 0
        self.rate_limit_reset_in = rate_limit_reset_in
        self.duplicate_reset = duplicate_reset

    def matches(self, method, path):
        if self.method is not None and self.method != method.upper():
            return False
        if self._path_re is not None and not self._path_re.fullmatch(path):
            return False
        return True

    @property
    def answers(self):
        """True if the fault replaces the normal answer (not just delays it)."""
        return bool(self.drop or self.malformed or self.oversized or self.redirect
                    or self.status is not None or self.body is not None
                    or self.rate_limit_reset_in is not None)

    def __repr__(self):
        return "<Fault %s %s remaining=%s hits=%d>" % (
            self.method, self.path, self.remaining, self.hits)


class _Response:
    def __init__(self, status, body=None, headers=None, note=None, close=False,
                 chunks=None, content_type="application/json"):
        self.status = status
        self.body = body            # dict/list (JSON), bytes, or None
        self.headers = list(headers or [])
        self.note = note
        self.close = close
        self.chunks = chunks        # iterable of bytes -> chunked encoding
        self.content_type = content_type


class _RateInfo:
    def __init__(self, limit, remaining, reset, exceeded):
        self.limit = limit
        self.remaining = 0 if exceeded else remaining
        self.reset = reset
        self.exceeded = exceeded

    def headers(self):
        return [("X-Rate-Limit-Limit", str(self.limit)),
                ("X-Rate-Limit-Remaining", str(self.remaining)),
                ("X-Rate-Limit-Reset", str(self.reset))]


class _Request:
    """What a route handler sees."""

    def __init__(self, method, path, params, headers, body, json_body, json_error,
                 record):
        self.method = method
        self.path = path
        self.params = params
        self.headers = headers
        self.body = body
        self.json = json_body
        self.json_error = json_error
        self.record = record
        self.trusted = False


class _User:
    def __init__(self, login, password, user_id, locked_out, password_expired,
                 mfa_required, lockout_threshold, show_lockout, first_name,
                 last_name, factors, password_changed):
        self.login = login
        self.password = password
        self.id = user_id
        self.locked_out = locked_out
        self.password_expired = password_expired
        self.mfa_required = mfa_required
        self.lockout_threshold = lockout_threshold
        self.show_lockout = show_lockout
        self.failures = 0
        self.first_name = first_name
        self.last_name = last_name
        self.locale = "en_US"
        self.time_zone = "America/Los_Angeles"
        self.password_changed = password_changed
        self.factors = factors

    def embedded(self):
        return {"id": self.id,
                "passwordChanged": _iso(self.password_changed),
                "profile": {"login": self.login, "firstName": self.first_name,
                            "lastName": self.last_name, "locale": self.locale,
                            "timeZone": self.time_zone}}


# --------------------------------------------------------------------------
# HTTP plumbing
# --------------------------------------------------------------------------

class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "nginx"
    sys_version = ""
    # Never accept a body larger than this (the module never sends one).
    max_body = 1 << 20

    def __init__(self, request, client_address, server, conn_id, fake):
        self.conn_id = conn_id
        self.fake = fake
        self.timeout = fake.idle_timeout
        super().__init__(request, client_address, server)

    def log_message(self, format, *args):   # noqa: A002 (signature of the base class)
        if self.fake.debug:
            sys.stderr.write("fake_okta: %s\n" % (format % args))

    def version_string(self):
        return "nginx"

    def date_time_string(self, timestamp=None):
        return _http_date(self.fake.now() if timestamp is None else timestamp)

    # Every verb goes to one dispatcher; routing decides 404/405.
    def do_GET(self):
        self._dispatch()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = do_GET

    def _dispatch(self):
        fake = self.fake
        method = self.command
        split = urllib.parse.urlsplit(self.path)
        path = split.path
        query = urllib.parse.parse_qs(split.query, keep_blank_values=True)
        headers = Headers(self.headers.items())

        # Framing, as Okta's front end does it: a POST must say how long it is.
        lengths = headers.get_all("Content-Length")
        chunked = bool(headers.get_all("Transfer-Encoding"))
        body = b""
        framing_error = None
        if chunked or (not lengths and method in ("POST", "PUT", "PATCH")):
            framing_error = 411 if method in ("POST", "PUT", "PATCH") else 400
        elif lengths:
            if len(set(v.strip() for v in lengths)) != 1 or not lengths[0].strip().isdigit():
                framing_error = 400
            else:
                n = int(lengths[0].strip())
                if n > self.max_body:
                    framing_error = 413
                else:
                    body = self.rfile.read(n)
                    if len(body) != n:
                        self.close_connection = True
                        return

        json_body, json_error = None, False
        if body:
            try:
                json_body = json.loads(body.decode("utf-8"))
            except (UnicodeDecodeError, ValueError):
                json_error = True

        try:
            tls_version = self.connection.version()
        except (AttributeError, OSError, ValueError):
            tls_version = None
        record = RequestRecord(method=method, path=path, raw_path=self.path, query=query,
                               headers=headers, body=body, json=json_body,
                               conn_id=self.conn_id, time=time.time(),
                               tls_version=tls_version)
        fake._record(record)

        rate = None
        try:
            if framing_error is not None:
                text = "%d %s\n" % (framing_error, _REASONS.get(framing_error, "Bad Request"))
                resp = _Response(framing_error, text.encode(), close=True,
                                 content_type="text/html")
                self._send(resp, record, None)
                return

            fault = fake._take_fault(method, path)
            if fault is not None:
                record.fault = fault
                if fault.delay and fake._stopping.wait(fault.delay):
                    self._drop(record)
                    return
                if fault.drop:
                    self._drop(record)
                    return
            rate = fake._rate_take(path)
            if fault is not None and fault.answers:
                resp = fake._fault_response(fault, path, rate)
            else:
                req = _Request(method, path, {}, headers, body, json_body, json_error, record)
                resp = fake._route(req, rate)
                if fault is not None and fault.headers:
                    resp.headers.extend(fault.headers)
            self._send(resp, record, rate)
        except (ConnectionError, ssl.SSLError, TimeoutError):
            self.close_connection = True
        except Exception:   # a bug in the fake: answer 500, keep serving
            sys.stderr.write("fake_okta: handler exception for %s %s:\n%s"
                             % (method, path, traceback.format_exc()))
            sys.stderr.flush()
            if record.status is None:
                try:
                    resp = _Response(500, fake._error_body("E0000009"), note="E0000009")
                    self._send(resp, record, rate)
                except Exception:
                    self.close_connection = True
            else:
                self.close_connection = True
        finally:
            fake._announce(record)

    def _drop(self, record):
        record.note = "dropped"
        self.close_connection = True
        self.fake._hard_close(self.connection)

    def _send(self, resp, record, rate):
        fake = self.fake
        status = resp.status
        body = resp.body
        if isinstance(body, (dict, list)):
            payload = json.dumps(body).encode("utf-8")
        elif isinstance(body, str):
            payload = body.encode("utf-8")
        else:
            payload = body
        if resp.note is None and isinstance(body, dict):
            resp.note = body.get("errorCode") or body.get("status")
        if resp.chunks is None and status in (204, 304):
            payload = None

        defaults = [("Date", _http_date(fake.now())), ("Server", "nginx")]
        if (payload is not None or resp.chunks is not None) and resp.content_type:
            defaults.append(("Content-Type", resp.content_type))
        defaults.append(("X-Okta-Request-Id", _rand(25, _TOKEN_ALPHABET)))
        if rate is not None:
            defaults.extend(rate.headers())
        override = {name.lower() for name, _ in resp.headers}
        headers = [(n, v) for n, v in defaults if n.lower() not in override]
        headers.extend((n, str(v)) for n, v in resp.headers
                       if n.lower() not in ("content-length", "transfer-encoding"))
        if resp.chunks is not None:
            headers.append(("Transfer-Encoding", "chunked"))
        elif status not in (204, 304) and not (100 <= status < 200):
            headers.append(("Content-Length", str(len(payload or b""))))
        if any(n.lower() == "connection" and v.strip().lower() == "close"
               for n, v in headers):
            resp.close = True
        elif resp.close or self.close_connection:   # ours, or the client asked
            headers.append(("Connection", "close"))

        record.status = status
        record.note = resp.note
        reason = _REASONS.get(status) or self.responses.get(status, ("",))[0]
        lines = ["HTTP/1.1 %d %s" % (status, reason)]
        for name, value in headers:
            lines.append("%s: %s" % (name.lower() if fake.lowercase_headers else name, value))
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        if resp.close:
            self.close_connection = True
        # One write for head and body: no Nagle/delayed-ACK stall between them.
        if self.command == "HEAD":
            self.wfile.write(head)
            return
        if resp.chunks is None:
            self.wfile.write(head + (payload or b""))
            return
        self.wfile.write(head)
        for chunk in resp.chunks:
            if fake._stopping.is_set():
                self.close_connection = True
                return
            self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        self.wfile.write(b"0\r\n\r\n")


class _Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

    def __init__(self, address, fake):
        self.fake = fake
        super().__init__(address, None)

    def server_bind(self):
        # HTTPServer.server_bind would call getfqdn(), a reverse DNS lookup.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]

    def process_request(self, request, client_address):
        fake = self.fake
        conn_id = fake._next_conn_id()
        t = threading.Thread(target=fake._serve_connection,
                             args=(self, request, client_address, conn_id),
                             name="fake-okta-conn-%d" % conn_id, daemon=True)
        with fake._conn_lock:
            fake._threads.add(t)
        t.start()

    def shutdown_request(self, request):
        pass        # _serve_connection owns the socket

    def handle_error(self, request, client_address):
        sys.stderr.write("fake_okta: server error:\n%s" % traceback.format_exc())


class _Conn:
    def __init__(self, sock):
        self.sock = sock


# --------------------------------------------------------------------------
# The fake org
# --------------------------------------------------------------------------

class FakeOkta:
    """A fake Okta org (see module docstring)."""

    AUTHN_BUCKET = "authn"
    SESSIONS_BUCKET = "sessions"
    OTHER_BUCKET = "other"
    RATE_WINDOW = 60
    SESSION_TOKEN_LIFETIME = 300
    STATE_TOKEN_LIFETIME = 300

    def __init__(self, workdir, *, api_token=None, port=0, idle_timeout=120.0,
                 handshake_timeout=10.0, cert_sans=("IP:127.0.0.1", "DNS:localhost"),
                 on_request=None, debug=False):
        self.workdir = os.path.abspath(workdir)
        os.makedirs(self.workdir, exist_ok=True)
        self.ca_file = os.path.join(self.workdir, "ca.pem")
        self.ca_key_file = os.path.join(self.workdir, "ca-key.pem")
        self.cert_file = os.path.join(self.workdir, "server.pem")
        self.key_file = os.path.join(self.workdir, "server-key.pem")
        self.api_token_file = os.path.join(self.workdir, "api_token")
        self.url_file = os.path.join(self.workdir, "url")
        if api_token is None:
            api_token = "00" + _rand(40, _TOKEN_ALPHABET)
        self.api_token = api_token
        self.port = port
        self.url = None
        self.idle_timeout = idle_timeout
        self.handshake_timeout = handshake_timeout
        self.cert_sans = tuple(cert_sans)
        self.on_request = on_request
        self.debug = debug
        # Send response header names in lower case (as HTTP/2 front ends do).
        self.lowercase_headers = False
        # Seconds added to the real clock for everything Okta-side (token and
        # session expiry, timestamps, Date, X-Rate-Limit-Reset).
        self.clock_offset = 0.0
        self.org_id = "00o" + _rand(17)
        self.tls_failures = 0

        self._lock = threading.RLock()
        self._users = {}            # lower(login) -> _User
        self._session_tokens = {}   # token -> dict
        self._transactions = {}     # stateToken -> dict
        self._sessions = {}         # id -> dict
        self._requests = []
        self._faults = []
        self._rate = {}             # bucket -> {"limit", "start", "count"}
        self._limits = {self.AUTHN_BUCKET: 600, self.SESSIONS_BUCKET: 600,
                        self.OTHER_BUCKET: 600}

        self._conn_lock = threading.Lock()
        self._conn_counter = 0
        self._conns = {}
        self._threads = set()
        self._stopping = threading.Event()
        self._server = None
        self._server_thread = None
        self._ssl_ctx = None

        self._routes = [
            (re.compile(r"/api/v1/authn"), {"POST": self._h_authn}, self.AUTHN_BUCKET, False),
            (re.compile(r"/api/v1/authn/cancel"), {"POST": self._h_authn_cancel},
             self.AUTHN_BUCKET, False),
            # Factor endpoints (…/factors/{factorId}/verify etc.) go here.
            (re.compile(r"/api/v1/sessions"), {"POST": self._h_session_create},
             self.SESSIONS_BUCKET, True),
            (re.compile(r"/api/v1/sessions/(?P<session_id>[^/]+)"),
             {"GET": self._h_session_get, "DELETE": self._h_session_delete},
             self.SESSIONS_BUCKET, True),
            (re.compile(r"/api/v1/sessions/(?P<session_id>[^/]+)/lifecycle/refresh"),
             {"POST": self._h_session_refresh}, self.SESSIONS_BUCKET, True),
        ]

    make_ca = staticmethod(make_ca)

    # ---- lifecycle -------------------------------------------------------

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    def start(self):
        if self._server is not None:
            return self
        if not (os.path.exists(self.ca_file) and os.path.exists(self.ca_key_file)):
            make_ca(self.workdir, "ca")
        make_cert(self.workdir, "server", self.ca_file, self.ca_key_file, self.cert_sans)
        _write_private(self.api_token_file, self.api_token + "\n")

        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        ctx.load_cert_chain(self.cert_file, self.key_file)
        ctx.set_alpn_protocols(["http/1.1"])
        self._ssl_ctx = ctx

        self._stopping.clear()
        self._server = _Server(("127.0.0.1", self.port), self)
        self.port = self._server.server_address[1]
        self.url = "https://127.0.0.1:%d" % self.port
        _write_private(self.url_file, self.url + "\n", 0o644)
        self._server_thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
            name="fake-okta-accept", daemon=True)
        self._server_thread.start()
        return self

    def stop(self, timeout=3.0):
        server = self._server
        if server is None:
            return
        self._stopping.set()
        server.shutdown()
        server.server_close()
        self._server_thread.join(timeout)
        with self._conn_lock:
            conns = list(self._conns.values())
            threads = list(self._threads)
        for conn in conns:
            self._hard_close(conn.sock)
        deadline = time.monotonic() + timeout
        for t in threads:
            t.join(max(0.0, deadline - time.monotonic()))
        self._server = None
        self._server_thread = None

    def _next_conn_id(self):
        with self._conn_lock:
            self._conn_counter += 1
            return self._conn_counter

    @staticmethod
    def _hard_close(sock):
        """Close a connection at the TCP level, no TLS close_notify, no response."""
        try:
            socket.socket.shutdown(sock, socket.SHUT_RDWR)
        except (OSError, ValueError):
            pass

    def _serve_connection(self, server, raw, client_address, conn_id):
        conn = _Conn(raw)
        with self._conn_lock:
            self._conns[conn_id] = conn
        try:
            if self._stopping.is_set():
                return
            raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            raw.settimeout(self.handshake_timeout)
            try:
                tls = self._ssl_ctx.wrap_socket(raw, server_side=True)
            except (ssl.SSLError, OSError):
                with self._lock:
                    self.tls_failures += 1
                return
            conn.sock = tls
            if self._stopping.is_set():
                return
            try:
                _Handler(tls, client_address, server, conn_id, self)
            except (ConnectionError, ssl.SSLError, TimeoutError, OSError):
                pass
            except Exception:
                sys.stderr.write("fake_okta: connection %d failed:\n%s"
                                 % (conn_id, traceback.format_exc()))
        finally:
            self._hard_close(conn.sock)
            try:
                conn.sock.close()
            except OSError:
                pass
            with self._conn_lock:
                self._conns.pop(conn_id, None)
                self._threads.discard(threading.current_thread())

    # ---- clock -----------------------------------------------------------

    def now(self):
        """Okta-side time: real time plus clock_offset, whole seconds."""
        return int(time.time() + self.clock_offset)

    def advance(self, seconds):
        """Move the Okta-side clock forward."""
        with self._lock:
            self.clock_offset += seconds

    # ---- users -----------------------------------------------------------

    def add_user(self, login, password, *, user_id=None, locked_out=False,
                 password_expired=False, mfa_required=False, lockout_threshold=None,
                 show_lockout=True, first_name=None, last_name="Example",
                 factors=("push", "totp")):
        """Add (or replace) a user; returns the user id (00u…, 20 chars)."""
        local = login.split("@", 1)[0]
        first_name = first_name or (local[:1].upper() + local[1:])
        user_id = user_id or ("00u" + _rand(17))
        built = []
        for kind in factors:
            built.append(self._make_factor(kind, login, first_name))
        user = _User(login, password, user_id, locked_out, password_expired, mfa_required,
                     lockout_threshold, show_lockout, first_name, last_name, built,
                     self.now() - 30 * 86400)
        with self._lock:
            self._users[login.lower()] = user
        return user_id

    def update_user(self, login, **changes):
        """Change a user's attributes (password, locked_out, password_expired,
        mfa_required, lockout_threshold, show_lockout, failures, ...)."""
        with self._lock:
            user = self._users[login.lower()]
            for key, value in changes.items():
                if not hasattr(user, key):
                    raise AttributeError(key)
                setattr(user, key, value)

    def user(self, login):
        """A snapshot of a user's state (dict) or None."""
        with self._lock:
            user = self._users.get(login.lower())
            if user is None:
                return None
            return {"login": user.login, "id": user.id, "locked_out": user.locked_out,
                    "failures": user.failures, "password_expired": user.password_expired,
                    "mfa_required": user.mfa_required,
                    "factors": json.loads(json.dumps(user.factors))}

    @staticmethod
    def _make_factor(kind, login, first_name):
        if kind == "push":
            return {"id": "opf" + _rand(17), "factorType": "push", "provider": "OKTA",
                    "profile": {"credentialId": login, "deviceType": "SmartPhone_IPhone",
                                "name": "%s's iPhone" % first_name, "platform": "IOS",
                                "version": "17.5"}}
        if kind == "totp":
            return {"id": "ost" + _rand(17), "factorType": "token:software:totp",
                    "provider": "OKTA", "profile": {"credentialId": login}}
        if kind == "sms":
            return {"id": "sms" + _rand(17), "factorType": "sms", "provider": "OKTA",
                    "profile": {"phoneNumber": "+1 XXX-XXX-1337"}}
        if kind == "call":
            return {"id": "clf" + _rand(17), "factorType": "call", "provider": "OKTA",
                    "profile": {"phoneNumber": "+1 XXX-XXX-1337"}}
        raise ValueError("unknown factor kind %r" % (kind,))

    def _find_user(self, username):
        """Okta accepts the full login or a unique short name (D-authn)."""
        if not isinstance(username, str) or not username:
            return None
        user = self._users.get(username.lower())
        if user is not None or "@" in username:
            return user
        candidates = [u for u in self._users.values()
                      if u.login.split("@", 1)[0].lower() == username.lower()]
        return candidates[0] if len(candidates) == 1 else None

    # ---- session tokens, transactions, sessions ---------------------------

    def mint_session_token(self, login, *, amr=None):
        """A one-time session token for LOGIN, valid SESSION_TOKEN_LIFETIME s."""
        with self._lock:
            user = self._users[login.lower()]
            return self._mint_session_token(user, amr or ["pwd"])

    def _mint_session_token(self, user, amr):
        token = "20111" + _rand(37, _TOKEN_ALPHABET)
        now = self.now()
        self._session_tokens[token] = {
            "login": user.login, "amr": list(amr), "issued": now,
            "expires": now + self.SESSION_TOKEN_LIFETIME, "used": False}
        return token

    def expire_session_token(self, token):
        with self._lock:
            self._session_tokens[token]["expires"] = self.now() - 1

    def session_token(self, token):
        """State of a session token: dict(login, amr, issued, expires, used) or None."""
        with self._lock:
            t = self._session_tokens.get(token)
            return dict(t) if t else None

    def create_session(self, login, *, status="ACTIVE", amr=None, lifetime=7200):
        """Create a session directly (no request); returns its id."""
        with self._lock:
            user = self._users[login.lower()]
            return self._create_session(user, amr or ["pwd"], self.now(), status, lifetime)

    def _create_session(self, user, amr, verified_at, status="ACTIVE", lifetime=7200):
        while True:
            sid = "102" + _rand(22, _TOKEN_ALPHABET)
            if sid not in self._sessions:
                break
        now = self.now()
        factor_methods = set(amr) - {"pwd"}
        self._sessions[sid] = {
            "id": sid, "login": user.login, "userId": user.id, "created": now,
            "expires": now + lifetime, "lifetime": lifetime, "status": status,
            "amr": list(amr),
            "lastPasswordVerification": verified_at if "pwd" in amr else None,
            "lastFactorVerification": verified_at if factor_methods else None,
            "userName": "%s %s" % (user.first_name, user.last_name),
        }
        return sid

    def _live_session(self, sid):
        s = self._sessions.get(sid)
        if s is not None and s["expires"] <= self.now():
            del self._sessions[sid]
            return None
        return s

    def session(self, sid):
        """The Session object (as GET would return it) or None if gone/expired."""
        with self._lock:
            s = self._live_session(sid)
            return self._session_json(s) if s else None

    def sessions(self):
        """Ids of all live sessions."""
        with self._lock:
            return [sid for sid in list(self._sessions) if self._live_session(sid)]

    def expire_session(self, sid):
        with self._lock:
            self._sessions[sid]["expires"] = self.now() - 1

    def set_session_status(self, sid, status):
        with self._lock:
            self._sessions[sid]["status"] = status

    def end_session(self, sid):
        """End a session as an admin elsewhere would (GET then 404)."""
        with self._lock:
            self._sessions.pop(sid, None)

    def transaction(self, state_token):
        """State of an authn transaction (dict) or None."""
        with self._lock:
            t = self._live_transaction(state_token)
            return dict(t) if t else None

    def _live_transaction(self, state_token):
        t = self._transactions.get(state_token) if isinstance(state_token, str) else None
        if t is not None and t["expires"] <= self.now():
            del self._transactions[state_token]
            return None
        return t

    def _new_transaction(self, user, status):
        token = "007" + _rand(39, _TOKEN_ALPHABET)
        self._transactions[token] = {"stateToken": token, "login": user.login,
                                     "status": status,
                                     "expires": self.now() + self.STATE_TOKEN_LIFETIME}
        return self._transactions[token]

    def _session_json(self, s):
        base = "%s/api/v1/sessions/%s" % (self.url, s["id"])
        return {
            "id": s["id"],
            "login": s["login"],
            "userId": s["userId"],
            "createdAt": _iso(s["created"]),
            "expiresAt": _iso(s["expires"]),
            "status": s["status"],
            "lastPasswordVerification": (_iso(s["lastPasswordVerification"])
                                         if s["lastPasswordVerification"] else None),
            "lastFactorVerification": (_iso(s["lastFactorVerification"])
                                       if s["lastFactorVerification"] else None),
            "amr": list(s["amr"]),
            "idp": {"id": self.org_id, "type": "OKTA"},
            "_links": {
                "self": _link(base, ["GET", "DELETE"]),
                "refresh": _link(base + "/lifecycle/refresh", ["POST"]),
                "user": _link("%s/api/v1/users/%s" % (self.url, s["userId"]), ["GET"],
                              name=s["userName"]),
            },
        }

    # ---- recording -------------------------------------------------------

    @property
    def requests(self):
        with self._lock:
            return list(self._requests)

    def clear_requests(self):
        with self._lock:
            self._requests.clear()

    def _record(self, record):
        with self._lock:
            self._requests.append(record)

    def wait_for_requests(self, n, timeout=5.0):
        """Wait until at least N requests are recorded and answered; returns them."""
        deadline = time.monotonic() + timeout
        while True:
            reqs = self.requests
            if len(reqs) >= n and all(r.status is not None or r.note == "dropped"
                                      for r in reqs):
                return reqs
            if time.monotonic() > deadline:
                raise TimeoutError("only %d of %d requests" % (len(reqs), n))
            time.sleep(0.01)

    def _announce(self, record):
        if self.on_request is not None:
            try:
                self.on_request(record)
            except Exception:
                traceback.print_exc()

    # ---- faults ----------------------------------------------------------

    def inject(self, method=None, path=None, *, status=None, body=None, headers=None,
               delay=0.0, drop=False, malformed=False, oversized=False, redirect=None,
               count=1):
        """Queue a fault for the next COUNT requests matching METHOD and PATH
        (a regex matched against the whole path). count=None: forever.
        A fault with only delay/headers delays/decorates the normal answer."""
        fault = Fault(method, path, status, body, headers, delay, drop, malformed,
                      oversized, redirect, count)
        with self._lock:
            self._faults.append(fault)
        return fault

    def inject_rate_limit(self, method=None, path=None, reset_in=2, count=1,
                          duplicate_reset=True):
        """Answer 429 E0000047 with X-Rate-Limit-Remaining 0 and X-Rate-Limit-Reset
        = now+RESET_IN; with DUPLICATE_RESET a second, later Reset header follows
        the first (REFERENCE §7: the client must use the smallest)."""
        fault = Fault(method, path, 429, None, None, 0.0, False, False, False, None,
                      count, rate_limit_reset_in=reset_in, duplicate_reset=duplicate_reset)
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear_faults(self):
        with self._lock:
            self._faults.clear()

    def _take_fault(self, method, path):
        with self._lock:
            for fault in self._faults:
                if fault.matches(method, path):
                    fault.hits += 1
                    if fault.remaining is not None:
                        fault.remaining -= 1
                        if fault.remaining <= 0:
                            self._faults.remove(fault)
                    return fault
        return None

    def _fault_response(self, fault, path, rate):
        now = self.now()
        headers = list(fault.headers)
        status = fault.status
        if fault.redirect is not None:
            headers.append(("Location", fault.redirect))
            return _Response(status or 302, b"", headers, note="redirect")
        if fault.malformed:
            body = b'{"id": "102' + _rand(10).encode() + b'", "login": "al'
            return _Response(status or 200, body, headers, note="malformed")
        if fault.oversized:
            size = (1 << 20) + (256 << 10)
            piece = b"x" * (64 << 10)

            def chunks():
                yield b'{"status": "ACTIVE", "padding": "'
                sent = 0
                while sent < size:
                    yield piece
                    sent += len(piece)
                yield b'"}'
            return _Response(status or 200, None, headers, note="oversized", chunks=chunks())
        if status == 429:
            names = {n.lower() for n, _ in headers}
            if fault.rate_limit_reset_in is not None:
                reset = now + int(fault.rate_limit_reset_in)
                rl = [("X-Rate-Limit-Limit", str(rate.limit)),
                      ("X-Rate-Limit-Remaining", "0"),
                      ("X-Rate-Limit-Reset", str(reset))]
                if fault.duplicate_reset:
                    rl.append(("X-Rate-Limit-Reset", str(reset + 60)))
                headers = rl + [h for h in headers if h[0].lower() not in
                                ("x-rate-limit-limit", "x-rate-limit-remaining",
                                 "x-rate-limit-reset")]
            elif "x-rate-limit-remaining" not in names:
                headers.append(("X-Rate-Limit-Remaining", "0"))
        if fault.body is None:
            if status is None or status == 204:
                return _Response(status or 200, None if status == 204 else {}, headers)
            if status >= 400:
                code = _DEFAULT_ERROR_FOR_STATUS.get(status,
                                                     "E0000009" if status >= 500 else "E0000001")
                arg = path if code in ("E0000007", "E0000001") else None
                return _Response(status, self._error_body(code, arg), headers)
            return _Response(status, {}, headers)
        return _Response(status or 200, fault.body, headers)

    # ---- rate limits -----------------------------------------------------

    def set_rate_limit(self, bucket, limit):
        """Set a bucket's per-window limit (buckets: authn, sessions, other)."""
        with self._lock:
            self._limits[bucket] = int(limit)
            state = self._rate.get(bucket)
            if state is not None:
                state["limit"] = int(limit)

    def reset_rate_limits(self):
        with self._lock:
            self._rate.clear()

    def rate_limit_state(self, bucket):
        """(limit, used, reset_epoch) of a bucket's current window."""
        with self._lock:
            s = self._rate.get(bucket)
            if s is None or self.now() >= s["start"] + self.RATE_WINDOW:
                return (self._limits.get(bucket, 600), 0, None)
            return (s["limit"], s["count"], s["start"] + self.RATE_WINDOW)

    def _bucket(self, path):
        if path == "/api/v1/authn" or path.startswith("/api/v1/authn/"):
            return self.AUTHN_BUCKET
        if path == "/api/v1/sessions" or path.startswith("/api/v1/sessions/"):
            return self.SESSIONS_BUCKET
        return self.OTHER_BUCKET

    def _rate_take(self, path):
        """Count one request against its bucket; returns a _RateInfo."""
        bucket = self._bucket(path)
        with self._lock:
            now = self.now()
            s = self._rate.get(bucket)
            if s is None or now >= s["start"] + self.RATE_WINDOW:
                s = {"limit": self._limits.get(bucket, 600), "start": now, "count": 0}
                self._rate[bucket] = s
            exceeded = s["count"] >= s["limit"]
            if not exceeded:
                s["count"] += 1
            return _RateInfo(s["limit"], max(0, s["limit"] - s["count"]),
                             s["start"] + self.RATE_WINDOW, exceeded)

    # ---- responses -------------------------------------------------------

    @staticmethod
    def _error_body(code, arg=None, causes=None):
        summary = _ERRORS[code][1]
        if "{0}" in summary:
            summary = summary.replace("{0}", arg if arg is not None else "")
        return {"errorCode": code, "errorSummary": summary, "errorLink": code,
                "errorId": "oae" + _rand(22, _TOKEN_ALPHABET),
                "errorCauses": [{"errorSummary": c} for c in (causes or [])]}

    def _error(self, code, arg=None, causes=None, headers=None):
        return _Response(_ERRORS[code][0], self._error_body(code, arg, causes), headers,
                         note=code)

    def _route(self, req, rate):
        """Answer a request normally. Rate-limit headers are added by _send."""
        for pattern, methods, _bucket, needs_token in self._routes:
            m = pattern.fullmatch(req.path)
            if m is None:
                continue
            handler = methods.get(req.method)
            if handler is None:
                resp = self._error("E0000022")
                resp.headers.append(("Allow", ", ".join(sorted(methods))))
                return resp
            auth = self._check_auth(req, needs_token)
            if auth is not None:
                return auth
            if rate.exceeded:
                return self._error("E0000047")
            req.params = m.groupdict()
            # Look the handler up by name so tests can monkeypatch the instance.
            return getattr(self, handler.__name__)(req)
        return self._error("E0000007", "Resource not found: %s (Path)" % req.path)

    def _check_auth(self, req, required):
        values = req.headers.get_all("Authorization")
        if not values:
            return self._error("E0000011") if required else None
        value = values[0]
        if len(values) > 1 or not value.startswith("SSWS "):
            if value.startswith("Bearer ") and len(values) == 1:
                return self._error("E0000011")
            # Okta answers a malformed Authorization header with 403 E0000005
            # (https://github.com/okta/okta-powershell-cli/issues/86).
            return self._error("E0000005")
        token = value[len("SSWS "):]
        if not secrets.compare_digest(token.encode("utf-8", "replace"),
                                      self.api_token.encode("utf-8")):
            return self._error("E0000011")
        req.trusted = True
        return None

    def _json_object(self, req):
        """The request's JSON object, or an error response."""
        if req.json_error or (req.body and not isinstance(req.json, dict)):
            return None, self._error("E0000003")
        return (req.json if isinstance(req.json, dict) else {}), None

    # ---- Authentication API ---------------------------------------------

    def _h_authn(self, req):
        body, err = self._json_object(req)
        if err:
            return err
        with self._lock:
            if "stateToken" in body:
                t = self._live_transaction(body.get("stateToken"))
                if t is None:
                    return self._error("E0000011")
                t["expires"] = self.now() + self.STATE_TOKEN_LIFETIME
                return _Response(200, self._transaction_json(t))
            username, password = body.get("username"), body.get("password")
            if (username is not None and not isinstance(username, str)) or \
               (password is not None and not isinstance(password, str)):
                return self._error("E0000003")
            user = self._find_user(username)
            if user is None or not password:
                return self._error("E0000004")
            if user.locked_out:
                if user.show_lockout:
                    return _Response(200, {"status": "LOCKED_OUT", "_links": {
                        "next": _link(self.url + "/api/v1/authn/recovery/unlock", ["POST"],
                                      name="unlock")}})
                return self._error("E0000004")
            if not secrets.compare_digest(password.encode(), user.password.encode()):
                user.failures += 1
                if user.lockout_threshold and user.failures >= user.lockout_threshold:
                    user.locked_out = True
                return self._error("E0000004")
            user.failures = 0
            # MFA comes before PASSWORD_EXPIRED when a factor is enrolled (D-authn).
            if user.mfa_required:
                t = self._new_transaction(user, "MFA_REQUIRED")
                return _Response(200, self._transaction_json(t))
            if user.password_expired:
                t = self._new_transaction(user, "PASSWORD_EXPIRED")
                return _Response(200, self._transaction_json(t))
            token = self._mint_session_token(user, ["pwd"])
            return _Response(200, {
                "expiresAt": _iso(self._session_tokens[token]["expires"]),
                "status": "SUCCESS",
                "sessionToken": token,
                "_embedded": {"user": user.embedded()},
            })

    def _transaction_json(self, t):
        user = self._users[t["login"].lower()]
        cancel = _link(self.url + "/api/v1/authn/cancel", ["POST"])
        out = {"stateToken": t["stateToken"], "expiresAt": _iso(t["expires"]),
               "status": t["status"], "_embedded": {"user": user.embedded()}}
        if t["status"] == "MFA_REQUIRED":
            factors = []
            for f in user.factors:
                f = json.loads(json.dumps(f))
                f["_links"] = {"verify": _link("%s/api/v1/authn/factors/%s/verify"
                                               % (self.url, f["id"]), ["POST"])}
                factors.append(f)
            out["_embedded"]["factors"] = factors
            out["_embedded"]["policy"] = {"allowRememberDevice": False,
                                          "rememberDeviceLifetimeInMinutes": 0,
                                          "rememberDeviceByDefault": False}
            out["_links"] = {"cancel": cancel}
        elif t["status"] == "PASSWORD_EXPIRED":
            out["_embedded"]["policy"] = {"complexity": {
                "minLength": 8, "minLowerCase": 1, "minUpperCase": 1, "minNumber": 1,
                "minSymbol": 0}}
            out["_links"] = {
                "next": _link(self.url + "/api/v1/authn/credentials/change_password",
                              ["POST"], name="changePassword"),
                "cancel": cancel}
        else:
            out["_links"] = {"cancel": cancel}
        return out

    def _h_authn_cancel(self, req):
        body, err = self._json_object(req)
        if err:
            return err
        with self._lock:
            token = body.get("stateToken")
            if self._live_transaction(token) is None:
                return self._error("E0000011")
            del self._transactions[token]
        # The reference does not document this body (REFERENCE §8.7).
        return _Response(200, {"status": "UNAUTHENTICATED"})

    # ---- Sessions API ----------------------------------------------------

    def _h_session_create(self, req):
        body, err = self._json_object(req)
        if err:
            return err
        token = body.get("sessionToken")
        if not isinstance(token, str) or not token:
            return self._error("E0000001", "sessionToken",
                               ["sessionToken: The field cannot be left blank"])
        with self._lock:
            t = self._session_tokens.get(token)
            if t is None or t["used"] or t["expires"] <= self.now():
                # Okta documents only "401 Unauthorized" for an invalid session
                # token; the errorCode is not documented (REFERENCE §5.1, §12).
                # E0000004 is our choice.
                return self._error("E0000004")
            t["used"] = True
            user = self._users.get(t["login"].lower())
            if user is None:
                return self._error("E0000004")
            sid = self._create_session(user, t["amr"], t["issued"])
            return _Response(200, self._session_json(self._sessions[sid]))

    def _not_found_session(self, sid):
        return self._error("E0000007", "Resource not found: %s (Session)" % sid)

    def _h_session_get(self, req):
        sid = req.params["session_id"]
        with self._lock:
            s = self._live_session(sid)
            if s is None:
                return self._not_found_session(sid)
            return _Response(200, self._session_json(s))

    def _h_session_refresh(self, req):
        sid = req.params["session_id"]
        with self._lock:
            s = self._live_session(sid)
            if s is None:
                return self._not_found_session(sid)
            # Idle extension; at least one second later so a client that parses
            # whole seconds sees the change.
            s["expires"] = max(self.now() + s["lifetime"], s["expires"] + 1)
            return _Response(200, self._session_json(s))

    def _h_session_delete(self, req):
        sid = req.params["session_id"]
        with self._lock:
            if self._live_session(sid) is None:
                return self._not_found_session(sid)
            del self._sessions[sid]
        return _Response(204, None)


# --------------------------------------------------------------------------
# Foreground demo server
# --------------------------------------------------------------------------

_SESSION_PATH = re.compile(r"(/api/v1/sessions/)([^/]+)")


def describe(record):
    """One human-readable line for a request; never a secret or a full id."""
    path = _SESSION_PATH.sub(lambda m: m.group(1) + m.group(2)[:6] + "\u2026", record.path)
    if record.note == "dropped":
        outcome = "dropped"
    else:
        outcome = "%s%s" % (record.status, " " + record.note if record.note else "")
    return "okta: %s %s -> %s" % (record.method, path, outcome)


def main(argv=None):
    parser = argparse.ArgumentParser(description="Run the fake Okta org in the foreground.")
    parser.add_argument("--dir", required=True, help="work directory (ca.pem, api_token, url)")
    parser.add_argument("--user", action="append", default=[], metavar="LOGIN:PASSWORD")
    parser.add_argument("--ready-file", help="written once the server is listening")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)

    try:
        sys.stdout.reconfigure(errors="backslashreplace")
    except AttributeError:
        pass
    print_lock = threading.Lock()

    def on_request(record):
        with print_lock:
            print(describe(record), flush=True)

    stop = threading.Event()

    def on_signal(signum, frame):
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    fake = FakeOkta(args.dir, port=args.port, on_request=on_request)
    for spec in args.user:
        login, sep, password = spec.partition(":")
        if not sep or not login:
            parser.error("--user wants LOGIN:PASSWORD")
        fake.add_user(login, password)
    fake.start()
    try:
        if args.ready_file:
            _write_private(args.ready_file, fake.url + "\n", 0o644)
        sys.stderr.write("fake_okta: listening on %s (ca %s)\n" % (fake.url, fake.ca_file))
        sys.stderr.flush()
        while not stop.wait(0.5):
            pass
    finally:
        fake.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
