#!/usr/bin/python3
"""A fake Okta org for the pam_okta_session test suite.

An HTTPS server on 127.0.0.1 that speaks the parts of the Okta API the module
uses (Authentication API: primary authentication, transaction state, factor
verify/poll/resend for push, TOTP, SMS, voice and more, skip, previous,
cancel; the four Session API calls), keeps state (users and their factors,
one-time session tokens, state tokens, push challenges, sent codes, sessions
that expire, refresh and end), records every request and injects faults on
demand.

Response shapes follow ../shared/okta-api/REFERENCE.md (sections 4-8; shared/
lies beside the repository's top directory) and the 2025.08.0 Management
spec (vendored excerpt in spec/); tests in this directory check the fake
against both so that it cannot drift into agreeing with the module's own
misreadings.

Standard library only (plus the `openssl` command-line tool for certificates).

Library use:

    with FakeOkta(workdir) as okta:
        okta.add_user("alice@example.com", "correct-horse")
        ... point the module at okta.url, okta.ca_file, okta.api_token ...
        assert okta.requests[-1].status == 204

        okta.add_user("bob@example.com", "pw", mfa_required=True,
                      factors=("push", "totp", "sms"))
        okta.push_auto("bob@example.com", "approve", after_polls=2)
        code = okta.totp_code("bob@example.com")       # what bob's app shows
        okta.last_sms_code("bob@example.com")           # what bob's phone got

Demo use:

    python3 tests/fake_okta/fake_okta.py --dir DIR --user alice@example.com:pw \
        --mfa-user bob@example.com:pw --totp-seed JBSWY3DPEHPK3PXP --push approve
"""

import argparse
import base64
import copy
import hashlib
import hmac
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
import struct
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.parse

__all__ = ["FakeOkta", "Fault", "RequestRecord", "Headers", "make_ca", "make_cert", "totp",
           "FACTOR_KINDS", "REAL_ORG_FACTORS", "VERIFY_BY_TYPE"]

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
    "E0000068": (403, "Invalid Passcode/Answer"),
    "E0000069": (403, "User Locked"),
    "E0000079": (403, "This operation is not allowed in the current authentication state."),
    "E0000082": (403, "Each code can only be used once. Please wait for a new code and try "
                      "again."),
    "E0000109": (429, "An SMS message was recently sent. Please wait 30 seconds before trying "
                      "again."),
    "E0000133": (429, "A phone call was recently made. Please wait 30 seconds before trying "
                      "again."),
}

# The error object used when a test injects a bare status code.
_DEFAULT_ERROR_FOR_STATUS = {
    400: "E0000001", 401: "E0000011", 403: "E0000006", 404: "E0000007",
    405: "E0000022", 429: "E0000047", 500: "E0000009", 503: "E0000010",
}

_REASONS = {411: "Length Required", 413: "Payload Too Large"}


# --------------------------------------------------------------------------
# TOTP (RFC 6238 over RFC 4226) and factor kinds
# --------------------------------------------------------------------------

def _b32decode(seed):
    """A base32 seed as authenticator apps accept it: any case, spaces and
    missing padding tolerated."""
    clean = re.sub(r"[\s-]", "", seed).upper()
    clean += "=" * (-len(clean) % 8)
    return base64.b32decode(clean)


def totp(seed, t, step=30, digits=6):
    """The RFC 6238 code (HMAC-SHA1) of base32 SEED at epoch time T."""
    counter = int(t // step)
    mac = hmac.new(_b32decode(seed), struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    value = struct.unpack(">I", mac[offset:offset + 4])[0] & 0x7FFFFFFF
    return str(value % (10 ** digits)).zfill(digits)


# kind -> (id prefix, factorType, provider, verification mode, amr value).
# Modes: "push" (challenge + poll), "totp" (passCode against the user's seed),
# "otp" (passCode sent by SMS/voice/email on request), "question" (answer),
# "passcode" (passCode against a fixed per-factor code, see
# FakeOkta.factor_passcode), "challenge" (a challenge the fake can never see
# completed: WebAuthn/U2F/Duo need a browser). Id prefixes are the ones in
# Okta's documentation examples (D-authn, Factors API).
FACTOR_KINDS = {
    "push": ("opf", "push", "OKTA", "push", "swk"),
    "totp": ("ost", "token:software:totp", "OKTA", "totp", "otp"),
    "google_totp": ("uft", "token:software:totp", "GOOGLE", "totp", "otp"),
    "sms": ("mbl", "sms", "OKTA", "otp", "sms"),
    "call": ("clf", "call", "OKTA", "otp", "tel"),
    "email": ("emf", "email", "OKTA", "otp", "otp"),
    "question": ("ufs", "question", "OKTA", "question", "kba"),
    "rsa": ("rsa", "token", "RSA", "passcode", "otp"),
    "symantec": ("ufv", "token", "SYMANTEC", "passcode", "otp"),
    "yubikey": ("ykf", "token:hardware", "YUBICO", "passcode", "hwk"),
    "hotp": ("chf", "token:hotp", "CUSTOM", "passcode", "otp"),
    "webauthn": ("fwf", "webauthn", "FIDO", "challenge", "hwk"),
    "u2f": ("fuf", "u2f", "FIDO", "challenge", "hwk"),
    "duo": ("dsf", "web", "DUO", "challenge", "mca"),
}

# The factors of a user enrolled in everything a typical org offers, in the
# order a real MFA_REQUIRED lists them (REFERENCE §8.5): the security
# question, Google Authenticator before Okta Verify's code, push, SMS, and
# factors a terminal cannot use (WebAuthn, U2F, email) among them.
REAL_ORG_FACTORS = ("question", "google_totp", "totp", "push", "sms", "webauthn", "u2f",
                    "email")

# Okta Verify factor types that, with several Okta Verify enrolments, are
# also published in _embedded.factorTypes and verified by type
# (/api/v1/authn/factors/{factorType}/verify): a push goes to every device,
# a code from any device is accepted. factorType -> FACTOR_KINDS key.
VERIFY_BY_TYPE = {"push": "push", "token:software:totp": "totp"}

# Okta Verify devices as Okta names them in a push factor's profile, one per
# enrolment of the same user (the first is REFERENCE §8.8's example).
_PUSH_DEVICES = (("iPhone", "SmartPhone_IPhone", "IOS", "17.5"),
                 ("Pixel 8", "SmartPhone_Android", "ANDROID", "14"),
                 ("iPad", "Tablet_IPad", "IOS", "17.5"))

# Push outcomes as a test names them -> factorResult.
_PUSH_OUTCOMES = {"approve": "SUCCESS", "reject": "REJECTED", "timeout": "TIMEOUT"}


def _mask_phone(number):
    """Okta's masked form: "+1 XXX-XXX-1337"."""
    digits = re.sub(r"\D", "", number)
    if number.strip().startswith("+1") and len(digits) == 11:
        return "+1 XXX-XXX-" + digits[-4:]
    return "+%s %s%s" % (digits[:2], "X" * max(0, len(digits) - 6), digits[-4:])


def _mask_email(address):
    """Okta's masked form: "d...y@example.com"."""
    local, _, domain = address.partition("@")
    if not domain:
        domain = "example.com"
    return "%s...%s@%s" % (local[:1], local[-1:], domain)


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
    the answer, or "dropped"), request_id (the X-Okta-Request-Id answered, or
    None), fault (the `Fault` applied, or None), time
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
        self.request_id = None

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
        self.factors = factors          # factor objects as Okta publishes them
        # -- MFA and other transaction states (set by add_user) --
        self.factor_kinds = {}          # factor id -> kind (FACTOR_KINDS key)
        self.factor_codes = {}          # factor id -> fixed passCode ("passcode" mode)
        self.password_warn = False
        self.mfa_enroll = False
        self.recovery = False
        self.password_reset = False
        self.factors_key = None         # None: FakeOkta.factors_key
        self.challenge_factor_key = None  # None: FakeOkta.challenge_factor_key
        self.totp_seed = None           # the first TOTP enrolment's seed
        self.totp_seeds = {}            # factor id -> base32 seed, one per enrolment
        self.password_expire_days = 5   # policy.expiration.passwordExpireDays (PASSWORD_WARN)
        self.factor_lockout = None      # None: FakeOkta.factor_lockout
        self.factor_failures = 0
        self.question_answer = None
        self.used_totp_steps = {}       # factor id -> set of accepted 30 s steps
        self.otp = {}                   # factor id -> {"code", "sent", "expires"}
        self.push_plan = None           # persistent (factorResult, after_polls)
        self.push_next = None           # one-shot (factorResult, after_polls)
        self.number_challenge = None    # (correctAnswer, from_poll)
        self.last_push = None           # the latest push challenge (dict)
        self.phone_number = None

    def embedded(self):
        return {"id": self.id,
                "passwordChanged": _iso(self.password_changed),
                "profile": {"login": self.login, "firstName": self.first_name,
                            "lastName": self.last_name, "locale": self.locale,
                            "timeZone": self.time_zone}}

    def factor(self, factor_id):
        for f in self.factors:
            if f.get("id") == factor_id:
                return f
        return None


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
        record.request_id = next((v for n, v in headers if n.lower() == "x-okta-request-id"),
                                 None)
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
    VERIFY_BUCKET = "verify"        # /api/v1/authn/factors/{id}/verify[/resend] (REFERENCE §7)
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
        # -- MFA (each can be overridden per user where add_user has the same name) --
        # Wrong passCodes/answers before the user is locked out (E0000069).
        self.factor_lockout = 5
        # Where MFA_REQUIRED/MFA_ENROLL put the factor list: "factors" (older docs,
        # okta-auth-js) or "factor" (D-authn examples since Jan 2025), REFERENCE §8.5.
        self.factors_key = "factors"
        # Where MFA_CHALLENGE puts the selected factor: "factor" (REFERENCE §8.5); the
        # D-authn push examples show "factors" (an object).
        self.challenge_factor_key = "factor"
        # TOTP steps accepted either side of the current one (clock skew).
        self.totp_window = 1
        # One SMS / voice challenge per phone per this many seconds (E0000109/E0000133).
        self.otp_resend_interval = 30
        # Lifetime of a code sent by SMS / voice / email.
        self.otp_lifetime = 300
        # Seconds after which an unanswered push becomes TIMEOUT (None: never).
        self.push_expiry = None
        # The org's session policy for sessions created from now on (None: the
        # lifetime create_session is given, 7200 s): idle lifetime (a refresh
        # moves expiresAt to now + idle) and maximum lifetime (no refresh
        # moves expiresAt past createdAt + max).
        self.session_idle_lifetime = None
        self.session_max_lifetime = None
        # The errorCode of the 401 POST /api/v1/sessions answers for an
        # invalid, used or expired sessionToken. Okta documents only the 401
        # (REFERENCE §5.1, §12); orgs have been seen to say E0000004 or
        # E0000011 ("Invalid token provided"), so a client must not read
        # either as "the API token is bad".
        self.session_token_error_code = "E0000004"
        # The admin who created the API token (GET /api/v1/users/me).
        self.token_owner = {"id": "00u" + _rand(17), "login": "pam-okta-svc@example.com"}

        self._lock = threading.RLock()
        self._users = {}            # lower(login) -> _User
        self._session_tokens = {}   # token -> dict
        self._transactions = {}     # stateToken -> dict
        self._sessions = {}         # id -> dict
        self._requests = []
        self._faults = []
        self._cancels = []          # one dict per successful /api/v1/authn/cancel
        self._otp_log = []          # one dict per SMS / voice / email code sent
        self._rate = {}             # bucket -> {"limit", "start", "count"}
        self._limits = {self.AUTHN_BUCKET: 600, self.VERIFY_BUCKET: 600,
                        self.SESSIONS_BUCKET: 600, self.OTHER_BUCKET: 600}

        self._conn_lock = threading.Lock()
        self._conn_counter = 0
        self._conns = {}
        self._threads = set()
        self._stopping = threading.Event()
        # Okta's own time to check a username and password (hashing): a
        # real org spends it on every primary authentication that names a
        # user, known or not, and none on a body that fails validation.
        self.credential_check_delay = 0.0
        self._server = None
        self._server_thread = None
        self._ssl_ctx = None

        self._routes = [
            (re.compile(r"/api/v1/authn"), {"POST": self._h_authn}, self.AUTHN_BUCKET, False),
            (re.compile(r"/api/v1/authn/cancel"), {"POST": self._h_authn_cancel},
             self.AUTHN_BUCKET, False),
            (re.compile(r"/api/v1/authn/skip"), {"POST": self._h_authn_skip},
             self.AUTHN_BUCKET, False),
            (re.compile(r"/api/v1/authn/previous"), {"POST": self._h_authn_previous},
             self.AUTHN_BUCKET, False),
            (re.compile(r"/api/v1/authn/factors/(?P<factor_id>[^/]+)/verify"),
             {"POST": self._h_factor_verify}, self.VERIFY_BUCKET, False),
            (re.compile(r"/api/v1/authn/factors/(?P<factor_id>[^/]+)/verify/resend"),
             {"POST": self._h_factor_resend}, self.VERIFY_BUCKET, False),
            (re.compile(r"/api/v1/sessions"), {"POST": self._h_session_create},
             self.SESSIONS_BUCKET, True),
            (re.compile(r"/api/v1/sessions/(?P<session_id>[^/]+)"),
             {"GET": self._h_session_get, "DELETE": self._h_session_delete},
             self.SESSIONS_BUCKET, True),
            (re.compile(r"/api/v1/sessions/(?P<session_id>[^/]+)/lifecycle/refresh"),
             {"POST": self._h_session_refresh}, self.SESSIONS_BUCKET, True),
            (re.compile(r"/api/v1/users/me"), {"GET": self._h_users_me}, self.OTHER_BUCKET,
             True),
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
                 factors=("push", "totp"), password_warn=False, mfa_enroll=False,
                 recovery=False, password_reset=False, factors_key=None,
                 challenge_factor_key=None, totp_seed=None, factor_lockout=None,
                 phone_number="+1-555-415-1337", question_answer="mayonnaise",
                 password_expire_days=5):
        """Add (or replace) a user; returns the user id (00u…, 20 chars).

        FACTORS: enrolled factors, in the order MFA_REQUIRED lists them; each a
        FACTOR_KINDS key ("push", "totp", "google_totp", "sms", "call", "email",
        "question", "rsa", "symantec", "yubikey", "hotp", "webauthn", "u2f",
        "duo") or a ready factor object (dict; an id is added if missing; it is
        verified as its factorType's kind, or never if there is none). A kind
        listed twice is a second enrolment (a second phone with Okta Verify:
        its own device name and, for TOTP, its own secret); REAL_ORG_FACTORS
        is what a user enrolled in everything typically has.
        With a correct password the transaction goes, first match wins:
        RECOVERY, PASSWORD_RESET, MFA_ENROLL, PASSWORD_EXPIRED (unless
        mfa_required: MFA is asked first), PASSWORD_WARN (only if the request
        has options.warnBeforePasswordExpired true), MFA_REQUIRED, SUCCESS.
        TOTP_SEED: base32 seed of the first TOTP enrolment (random if None;
        every other enrolment gets a random seed of its own); FACTOR_LOCKOUT: wrong codes before
        E0000069 (None: FakeOkta.factor_lockout); FACTORS_KEY /
        CHALLENGE_FACTOR_KEY: see FakeOkta.factors_key / challenge_factor_key.
        """
        local = login.split("@", 1)[0]
        first_name = first_name or (local[:1].upper() + local[1:])
        user_id = user_id or ("00u" + _rand(17))
        user = _User(login, password, user_id, locked_out, password_expired, mfa_required,
                     lockout_threshold, show_lockout, first_name, last_name, [],
                     self.now() - 30 * 86400)
        user.password_warn = password_warn
        user.mfa_enroll = mfa_enroll
        user.recovery = recovery
        user.password_reset = password_reset
        user.factors_key = factors_key
        user.challenge_factor_key = challenge_factor_key
        user.totp_seed = totp_seed or base64.b32encode(secrets.token_bytes(20)).decode()
        _b32decode(user.totp_seed)      # reject a bad seed now, not in a handler
        user.factor_lockout = factor_lockout
        user.question_answer = question_answer
        user.phone_number = phone_number
        user.password_expire_days = password_expire_days
        seen = {}
        for kind in factors:
            index = seen.get(kind, 0) if isinstance(kind, str) else 0
            if isinstance(kind, str):
                seen[kind] = index + 1
            f, kind = self._make_factor(kind, login, first_name, phone_number, index)
            user.factors.append(f)
            user.factor_kinds[f["id"]] = kind
            if kind is not None and FACTOR_KINDS[kind][3] == "totp":
                # One secret per enrolment: a Google Authenticator code is
                # wrong for Okta Verify and the other way round.
                first = not user.totp_seeds
                user.totp_seeds[f["id"]] = user.totp_seed if first else \
                    base64.b32encode(secrets.token_bytes(20)).decode()
            if kind is not None and FACTOR_KINDS[kind][3] == "passcode":
                user.factor_codes[f["id"]] = "".join(secrets.choice(string.digits)
                                                     for _ in range(6))
        with self._lock:
            self._users[login.lower()] = user
        return user_id

    def update_user(self, login, **changes):
        """Change a user's attributes (password, locked_out, password_expired,
        mfa_required, lockout_threshold, show_lockout, failures, password_warn,
        mfa_enroll, recovery, password_reset, factors_key, challenge_factor_key,
        totp_seed, factor_lockout, factor_failures, question_answer, ...)."""
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
                    "factors": json.loads(json.dumps(user.factors)),
                    "factor_kinds": dict(user.factor_kinds),
                    "totp_seed": user.totp_seed,
                    "factor_failures": user.factor_failures,
                    "password_warn": user.password_warn, "mfa_enroll": user.mfa_enroll,
                    "recovery": user.recovery, "password_reset": user.password_reset}

    @staticmethod
    def _make_factor(kind, login, first_name, phone_number="+1-555-415-1337", index=0):
        """(factor object, kind) for a FACTOR_KINDS key or a ready factor dict."""
        if isinstance(kind, dict):
            f = json.loads(json.dumps(kind))
            f.setdefault("id", "fac" + _rand(17))
            known = [k for k, v in FACTOR_KINDS.items()
                     if (v[1], v[2]) == (f.get("factorType"), f.get("provider"))]
            return f, (known[0] if known else None)
        if kind not in FACTOR_KINDS:
            raise ValueError("unknown factor kind %r" % (kind,))
        prefix, factor_type, provider, _mode, _amr = FACTOR_KINDS[kind]
        if kind == "push":
            device, device_type, platform, version = _PUSH_DEVICES[index % len(_PUSH_DEVICES)]
            profile = {"credentialId": login, "deviceType": device_type,
                       "name": "%s's %s" % (first_name, device), "platform": platform,
                       "version": version}
        elif kind in ("sms", "call"):
            profile = {"phoneNumber": _mask_phone(phone_number)}
        elif kind == "email":
            profile = {"email": _mask_email(login)}
        elif kind == "question":
            profile = {"question": "disliked_food",
                       "questionText": "What is the food you least liked as a child?"}
        elif kind == "webauthn":
            profile = {"credentialId": _rand(86, _TOKEN_ALPHABET),
                       "authenticatorName": "YubiKey 5"}
        elif kind == "u2f":
            profile = {"credentialId": _rand(86, _TOKEN_ALPHABET), "appId": "https://fake",
                       "version": "U2F_V2"}
        elif kind == "yubikey":
            profile = {"credentialId": "0000" + "".join(secrets.choice(string.digits)
                                                         for _ in range(8))}
        else:
            profile = {"credentialId": login}
        return ({"id": prefix + _rand(17), "factorType": factor_type, "provider": provider,
                 "vendorName": provider, "profile": profile}, kind)

    # ---- MFA helpers for tests --------------------------------------------

    def _user_or_raise(self, login):
        user = self._users.get(login.lower())
        if user is None:
            raise KeyError(login)
        return user

    def factor_id(self, login, kind):
        """Id of LOGIN's first factor of KIND (a FACTOR_KINDS key), or None."""
        with self._lock:
            user = self._user_or_raise(login)
            for fid, k in user.factor_kinds.items():
                if k == kind:
                    return fid
            return None

    def totp_code(self, login, offset=0, kind=None, index=0):
        """The TOTP code LOGIN's authenticator shows now (Okta-side clock, so
        clock_offset counts); OFFSET in 30-second steps (-1: the previous code).
        KIND "totp" (Okta Verify) or "google_totp" and INDEX (0: the first
        enrolment of that kind) choose the enrolment; KIND None: the first
        TOTP enrolment of any provider."""
        with self._lock:
            user = self._user_or_raise(login)
            seed = user.totp_seed
            if kind is not None:
                fids = [f for f, k in user.factor_kinds.items() if k == kind]
                seed = self._seed(user, fids[index])
            return totp(seed, time.time() + self.clock_offset + 30 * offset)

    @staticmethod
    def _seed(user, fid):
        """The seed of TOTP enrolment FID (the first follows user.totp_seed,
        which update_user may change)."""
        first = next(iter(user.totp_seeds), None)
        return user.totp_seed if fid == first else user.totp_seeds[fid]

    def factor_passcode(self, login, kind):
        """The passCode accepted for LOGIN's factor of KIND ("rsa", "symantec",
        "yubikey", "hotp": a fixed code per factor)."""
        with self._lock:
            user = self._user_or_raise(login)
            fid = next((f for f, k in user.factor_kinds.items() if k == kind), None)
            return user.factor_codes.get(fid)

    def _last_code(self, login, kind):
        with self._lock:
            for entry in reversed(self._otp_log):
                if entry["login"].lower() == login.lower() and entry["kind"] == kind:
                    return entry["code"]
            return None

    def last_sms_code(self, login):
        """The last code sent to LOGIN by SMS, or None."""
        return self._last_code(login, "sms")

    def last_call_code(self, login):
        """The last code LOGIN was told by voice call, or None."""
        return self._last_code(login, "call")

    def last_email_code(self, login):
        """The last code mailed to LOGIN, or None."""
        return self._last_code(login, "email")

    def otp_sends(self, login=None, kind=None):
        """Codes sent (SMS/voice/email): dicts(login, kind, factor_id, code, time,
        resend), oldest first, optionally only LOGIN's and/or KIND's."""
        with self._lock:
            return [dict(e) for e in self._otp_log
                    if (login is None or e["login"].lower() == login.lower())
                    and (kind is None or e["kind"] == kind)]

    def _waiting_pushes(self, user):
        out = []
        for token in list(self._transactions):
            t = self._live_transaction(token)
            if t is not None and t["login"].lower() == user.login.lower() and \
                    t["status"] == "MFA_CHALLENGE" and t.get("push") is not None and \
                    t["push"]["result"] == "WAITING":
                out.append(t["push"])
        return out

    def _push_resolve(self, login, result):
        with self._lock:
            user = self._user_or_raise(login)
            pushes = self._waiting_pushes(user)
            for push in pushes:
                push["result"] = result
                push["resolved_at_poll"] = push["polls"]
            if not pushes:
                user.push_next = (result, 0)
            return bool(pushes)

    def push_approve(self, login):
        """Approve LOGIN's waiting push (every one, if several transactions
        wait): the next poll answers SUCCESS. With no push waiting, the next
        push LOGIN is sent is approved (at its first poll), once. Returns True
        if a waiting push was resolved, False if the decision was queued."""
        return self._push_resolve(login, "SUCCESS")

    def push_reject(self, login):
        """Reject LOGIN's waiting push (next poll: factorResult REJECTED); like
        push_approve when none is waiting."""
        return self._push_resolve(login, "REJECTED")

    def push_timeout(self, login):
        """Time out LOGIN's waiting push (next poll: factorResult TIMEOUT); like
        push_approve when none is waiting."""
        return self._push_resolve(login, "TIMEOUT")

    def push_auto(self, login, outcome, after_polls=1):
        """Resolve every push LOGIN is sent from now on by itself: OUTCOME
        "approve", "reject" or "timeout" is what poll number AFTER_POLLS (and
        later) sees; the first verify answer is always WAITING, as Okta's.
        after_polls=0 behaves as 1. OUTCOME None: pushes wait again."""
        with self._lock:
            user = self._user_or_raise(login)
            if outcome is None:
                user.push_plan = None
                for push in self._waiting_pushes(user):
                    push["decision"] = None
                return
            if outcome not in _PUSH_OUTCOMES:
                raise ValueError("outcome must be approve, reject, timeout or None")
            user.push_plan = (_PUSH_OUTCOMES[outcome], int(after_polls))
            for push in self._waiting_pushes(user):
                push["decision"] = user.push_plan

    def push_number_challenge(self, login, number, *, from_poll=0):
        """Put a number challenge (correctAnswer NUMBER, an int) on LOGIN's
        waiting and future pushes; shown from poll FROM_POLL on (0: already in
        the answer to the first verify). NUMBER None: no challenge."""
        with self._lock:
            user = self._user_or_raise(login)
            user.number_challenge = None if number is None else (int(number), int(from_poll))
            for push in self._waiting_pushes(user):
                push["correct_answer"] = user.number_challenge

    def push_state(self, login):
        """LOGIN's latest push challenge: dict(factor_id, result, polls, sent,
        sends, correct_answer, auto_push, remember_device, devices: the push
        factor ids it went to), or None. factor_id is "push" when the push
        was verified by type."""
        with self._lock:
            push = self._user_or_raise(login).last_push
            return copy.deepcopy(push) if push is not None else None

    def push_polls(self, login):
        """Polls of LOGIN's latest push challenge (the verify POSTs after the one
        that sent it), 0 if there was none."""
        state = self.push_state(login)
        return state["polls"] if state else 0

    def _find_user(self, username):
        """Okta accepts the full login or a unique short name (D-authn)."""
        if not isinstance(username, str) or not username:
            return None
        user = self._users.get(username.lower())
        if user is not None and getattr(user, "deactivated", False):
            return None                 # a deactivated user cannot sign in
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
        if self.session_idle_lifetime is not None:
            lifetime = self.session_idle_lifetime
        max_expires = (now + self.session_max_lifetime
                       if self.session_max_lifetime is not None else None)
        expires = now + lifetime if max_expires is None else min(now + lifetime, max_expires)
        self._sessions[sid] = {
            "id": sid, "login": user.login, "userId": user.id, "created": now,
            "expires": expires, "lifetime": lifetime, "max_expires": max_expires,
            "status": status,
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

    def clear_user_sessions(self, login):
        """End every session of LOGIN, as an admin's "Clear user sessions"
        (DELETE /api/v1/users/{id}/sessions) does; returns how many ended."""
        with self._lock:
            ids = [sid for sid, s in self._sessions.items()
                   if s["login"].lower() == login.lower()]
            for sid in ids:
                del self._sessions[sid]
            return len(ids)

    def deactivate_user(self, login):
        """Deactivate LOGIN as an admin would: every session of the user ends
        (GET then 404) and the user can no longer sign in (E0000004)."""
        with self._lock:
            self._users[login.lower()].deactivated = True
            self.clear_user_sessions(login)

    def activate_user(self, login):
        with self._lock:
            self._users[login.lower()].deactivated = False

    def transaction(self, state_token):
        """State of an authn transaction (dict: stateToken, login, status,
        expires, factor_id, factor_result, push, amr, remember_device,
        auto_push) or None if unknown, cancelled, finished or expired."""
        with self._lock:
            t = self._live_transaction(state_token)
            return copy.deepcopy(t) if t else None

    def transactions(self, login=None):
        """Live transactions (copies), optionally only LOGIN's."""
        with self._lock:
            out = []
            for token in list(self._transactions):
                t = self._live_transaction(token)
                if t is not None and (login is None or t["login"].lower() == login.lower()):
                    out.append(copy.deepcopy(t))
            return out

    def expire_state_token(self, state_token):
        """Make STATE_TOKEN expired (any authn call with it: 401 E0000011)."""
        with self._lock:
            self._transactions[state_token]["expires"] = self.now() - 1

    @property
    def cancels(self):
        """One dict(stateToken, login, status, factor_id, time) per successful
        POST /api/v1/authn/cancel, oldest first."""
        with self._lock:
            return [dict(c) for c in self._cancels]

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
                                     "expires": self.now() + self.STATE_TOKEN_LIFETIME,
                                     "factor_id": None, "factor_result": None,
                                     "push": None, "amr": ["pwd"],
                                     "remember_device": None, "auto_push": None}
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
        """Set a bucket's per-window limit (buckets: authn, verify, sessions, other)."""
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

    _VERIFY_PATH = re.compile(r"/api/v1/authn/factors/[^/]+/verify(?:/resend)?")

    def _bucket(self, path):
        if self._VERIFY_PATH.fullmatch(path):
            return self.VERIFY_BUCKET
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
        if "stateToken" not in body and body.get("username") and body.get("password") and \
                self.credential_check_delay:
            self._stopping.wait(self.credential_check_delay)
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
            options = body.get("options")
            warn = isinstance(options, dict) and options.get("warnBeforePasswordExpired") is True
            return self._after_password(user, warn)

    def _after_password(self, user, warn):
        """The transaction state a correct password leads to (see add_user)."""
        if user.recovery:
            status = "RECOVERY"
        elif user.password_reset:
            status = "PASSWORD_RESET"
        elif user.mfa_enroll:
            status = "MFA_ENROLL"
        # MFA comes before PASSWORD_EXPIRED when a factor is enrolled (D-authn).
        elif user.password_expired and not user.mfa_required:
            status = "PASSWORD_EXPIRED"
        # PASSWORD_WARN only on request (D-authn: "must be explicitly specified as true").
        elif warn and user.password_warn and not user.password_expired:
            status = "PASSWORD_WARN"
        elif user.mfa_required:
            status = "MFA_REQUIRED"
        else:
            return _Response(200, self._success_json(user, ["pwd"]))
        t = self._new_transaction(user, status)
        return _Response(200, self._transaction_json(t))

    def _success_json(self, user, amr):
        token = self._mint_session_token(user, amr)
        return {"expiresAt": _iso(self._session_tokens[token]["expires"]),
                "status": "SUCCESS",
                "sessionToken": token,
                "_embedded": {"user": user.embedded()}}

    @staticmethod
    def _verify_by_type_types(user):
        """The Okta Verify factor types verified by type: with more than one
        Okta Verify enrolment (two phones), each type the user has."""
        okta_verify = [k for k in user.factor_kinds.values() if k in ("push", "totp")]
        if len(okta_verify) <= len(set(okta_verify)):
            return []
        return [t for t, k in VERIFY_BY_TYPE.items() if k in okta_verify]

    def _factors_key(self, user):
        return user.factors_key or self.factors_key

    def _policy_complexity(self):
        return {"minLength": 8, "minLowerCase": 1, "minUpperCase": 1, "minNumber": 1,
                "minSymbol": 0}

    def _transaction_json(self, t):
        user = self._users[t["login"].lower()]
        base = self.url + "/api/v1/authn"
        cancel = _link(base + "/cancel", ["POST"])
        status = t["status"]
        out = {"stateToken": t["stateToken"], "expiresAt": _iso(t["expires"]),
               "status": status}
        embedded = {"user": user.embedded()}
        out["_embedded"] = embedded
        if status == "MFA_REQUIRED":
            factors = []
            for f in user.factors:
                f = json.loads(json.dumps(f))
                f["_links"] = {"verify": _link("%s/factors/%s/verify" % (base, f["id"]),
                                               ["POST"])}
                factors.append(f)
            embedded[self._factors_key(user)] = factors
            by_type = self._verify_by_type_types(user)
            if by_type:
                embedded["factorTypes"] = [
                    {"factorType": ftype, "provider": "OKTA", "vendorName": "OKTA",
                     "_links": {"verify": _link("%s/factors/%s/verify" % (base, ftype),
                                                ["POST"])}}
                    for ftype in by_type]
            embedded["policy"] = {"allowRememberDevice": False,
                                  "rememberDeviceLifetimeInMinutes": 0,
                                  "rememberDeviceByDefault": False}
            out["_links"] = {"cancel": cancel}
        elif status == "MFA_CHALLENGE":
            self._challenge_json(t, user, out)
        elif status == "MFA_ENROLL":
            # Shape of D-authn "Response example ... (Factor enroll)": one entry per
            # factor the user may enroll, each with its own enroll link; the
            # transaction itself publishes only cancel (no skip: nothing optional
            # has been enrolled yet).
            factors = []
            for i, f in enumerate(user.factors or [self._make_factor(k, user.login, "x")[0]
                                                   for k in ("push", "totp", "sms")]):
                factors.append({"factorType": f["factorType"], "provider": f["provider"],
                                "vendorName": f.get("vendorName", f["provider"]),
                                "_links": {"enroll": _link(base + "/factors", ["POST"])},
                                "status": "NOT_SETUP",
                                "enrollment": "REQUIRED" if i == 0 else "OPTIONAL"})
            embedded[self._factors_key(user)] = factors
            out["_links"] = {"cancel": cancel}
        elif status == "PASSWORD_EXPIRED":
            embedded["policy"] = {"complexity": self._policy_complexity()}
            out["_links"] = {
                "next": _link(base + "/credentials/change_password", ["POST"],
                              name="changePassword"),
                "cancel": cancel}
        elif status == "PASSWORD_WARN":
            embedded["policy"] = {"expiration": {
                "passwordExpireDays": user.password_expire_days},
                                  "complexity": self._policy_complexity()}
            out["_links"] = {
                "next": _link(base + "/credentials/change_password", ["POST"],
                              name="changePassword"),
                "skip": _link(base + "/skip", ["POST"], name="skip"),
                "cancel": cancel}
        elif status == "PASSWORD_RESET":
            embedded["policy"] = {"expiration": {"passwordExpireDays": 0},
                                  "complexity": self._policy_complexity()}
            out["_links"] = {
                "next": _link(base + "/credentials/reset_password", ["POST"],
                              name="resetPassword"),
                "cancel": cancel}
        elif status == "RECOVERY":
            out = {"stateToken": out["stateToken"], "expiresAt": out["expiresAt"],
                   "status": status, "recoveryType": "PASSWORD", "_embedded": embedded}
            embedded["user"]["recovery_question"] = {
                "question": "What is the food you least liked as a child?"}
            out["_links"] = {"next": _link(base + "/recovery/answer", ["POST"], name="answer"),
                             "cancel": cancel}
        else:
            out["_links"] = {"cancel": cancel}
        return out

    def _challenge_json(self, t, user, out):
        """Fill OUT (stateToken, expiresAt, status) for MFA_CHALLENGE."""
        base = self.url + "/api/v1/authn"
        fid = t["factor_id"]
        kind = user.factor_kinds.get(fid)
        mode = FACTOR_KINDS[kind][3] if kind else "challenge"
        verify = "%s/factors/%s/verify" % (base, fid)
        if fid in VERIFY_BY_TYPE:
            first = next(f for f, k in user.factor_kinds.items() if k == VERIFY_BY_TYPE[fid])
            factor = {"factorType": fid, "provider": "OKTA", "vendorName": "OKTA",
                      "profile": copy.deepcopy(user.factor(first).get("profile", {}))}
        else:
            factor = json.loads(json.dumps(user.factor(fid) or {"id": fid}))
        factor.pop("_links", None)
        push = t.get("push")
        if mode == "push" and push is not None and push.get("correct_answer") is not None:
            number, from_poll = push["correct_answer"]
            if push["polls"] >= from_poll:
                factor["_embedded"] = {"challenge": {"correctAnswer": number}}
        elif mode == "challenge" and t.get("challenge") is not None:
            factor["_embedded"] = {"challenge": dict(t["challenge"])} if kind != "duo" else \
                {"verification": dict(t["challenge"])}
        embedded = out["_embedded"]
        rebuilt = {"stateToken": out["stateToken"], "expiresAt": out["expiresAt"],
                   "status": out["status"]}
        if t.get("factor_result"):
            rebuilt["factorResult"] = t["factor_result"]
        if kind == "webauthn":
            rebuilt["challengeType"] = "FACTOR"
        embedded[user.challenge_factor_key or self.challenge_factor_key] = factor
        if mode == "challenge":
            embedded["policy"] = {"allowRememberDevice": False,
                                  "rememberDeviceLifetimeInMinutes": 0,
                                  "rememberDeviceByDefault": False}
        rebuilt["_embedded"] = embedded
        waiting = t.get("factor_result") == "WAITING"
        links = {"next": _link(verify, ["POST"], name="poll" if waiting else "verify"),
                 "cancel": _link(base + "/cancel", ["POST"]),
                 "prev": _link(base + "/previous", ["POST"])}
        if mode in ("push", "otp"):
            links["resend"] = [_link(verify + "/resend", ["POST"],
                                     name=factor.get("factorType", kind))]
        rebuilt["_links"] = links
        out.clear()
        out.update(rebuilt)

    def _h_authn_cancel(self, req):
        body, err = self._json_object(req)
        if err:
            return err
        with self._lock:
            token = body.get("stateToken")
            t = self._live_transaction(token)
            if t is None:
                return self._error("E0000011")
            del self._transactions[token]
            push = t.get("push")
            if push is not None and push["result"] == "WAITING":
                push["result"] = "CANCELLED"
            self._cancels.append({"stateToken": token, "login": t["login"],
                                  "status": t["status"], "factor_id": t.get("factor_id"),
                                  "time": self.now()})
        # The reference does not document this body (REFERENCE §8.7).
        return _Response(200, {"status": "UNAUTHENTICATED"})

    def _state(self, body):
        """(transaction, user, None) for BODY's live stateToken, sliding its
        expiry, or (None, None, error response)."""
        t = self._live_transaction(body.get("stateToken"))
        if t is None:
            return None, None, self._error("E0000011")
        user = self._users.get(t["login"].lower())
        if user is None:
            return None, None, self._error("E0000011")
        t["expires"] = self.now() + self.STATE_TOKEN_LIFETIME
        return t, user, None

    def _h_authn_skip(self, req):
        # Only PASSWORD_WARN publishes skip here; anything else is E0000079 (D-authn).
        body, err = self._json_object(req)
        if err:
            return err
        with self._lock:
            t, user, err = self._state(body)
            if err:
                return err
            if t["status"] != "PASSWORD_WARN":
                return self._state_error()
            if user.mfa_required:
                t["status"] = "MFA_REQUIRED"
                return _Response(200, self._transaction_json(t))
            del self._transactions[t["stateToken"]]
            return _Response(200, self._success_json(user, ["pwd"]))

    def _h_authn_previous(self, req):
        # MFA_CHALLENGE -> MFA_REQUIRED (the factor list again); else E0000079.
        body, err = self._json_object(req)
        if err:
            return err
        with self._lock:
            t, user, err = self._state(body)
            if err:
                return err
            if t["status"] != "MFA_CHALLENGE":
                return self._state_error()
            self._leave_challenge(t)
            t["status"] = "MFA_REQUIRED"
            return _Response(200, self._transaction_json(t))

    def _state_error(self):
        summary = _ERRORS["E0000079"][1]
        return self._error("E0000079", causes=[summary])

    @staticmethod
    def _leave_challenge(t):
        push = t.get("push")
        if push is not None and push["result"] == "WAITING":
            push["result"] = "CANCELLED"
        t.update(factor_id=None, factor_result=None, push=None, challenge=None)

    # ---- factor verification ----------------------------------------------
    #
    # Choices where the reference is silent (also in README.md):
    # * a factor id that is not one of the transaction's user's factors:
    #   404 E0000007 "Not found: Resource not found: {id} (UserFactor)";
    # * a verify/resend/skip/previous body without a live stateToken (missing,
    #   unknown, expired, cancelled, finished): 401 E0000011 (D-authn: all authn
    #   operations answer an expired state token so);
    # * a passcode factor verified without passCode (or a question without
    #   answer, or either not a string): 400 E0000001 "Api validation failed:
    #   passCode" (E0000001 is a 400 in Okta's catalogue);
    # * verify/resend in a state other than MFA_REQUIRED/MFA_CHALLENGE, resend of
    #   a factor that is not being challenged, skip outside PASSWORD_WARN:
    #   403 E0000079 (D-authn "State transitions are strictly enforced");
    # * wrong codes: 403 E0000068, counted per user; the FACTOR_LOCKOUT-th wrong
    #   code locks the user out and answers 403 E0000069, as does any verify
    #   while the user is locked out; a right code resets the count; a replayed
    #   TOTP code (same 30 s step already accepted) is 403 E0000082, not counted;
    # * SMS/voice sent again within otp_resend_interval of the last one: 429
    #   E0000109 / E0000133 with X-Rate-Limit-Limit 1, -Remaining 0, -Reset =
    #   last send + interval; voice codes have 5 digits (D-authn example), SMS
    #   and email 6; only the latest code is valid, for otp_lifetime seconds;
    # * amr of the session the sessionToken makes: pwd + the factor's method
    #   (push swk, TOTP otp, sms sms, call tel, question kba, ...) + mfa.

    def _verify_context(self, req):
        """(transaction, user, factor id, kind, None) or (..., error response)."""
        body, err = self._json_object(req)
        if err:
            return None, None, None, None, None, err
        fid = req.params["factor_id"]
        t, user, err = self._state(body)
        if err:
            return None, None, None, None, None, err
        if fid in VERIFY_BY_TYPE and fid in self._verify_by_type_types(user):
            return body, t, user, fid, VERIFY_BY_TYPE[fid], None
        if fid not in user.factor_kinds:
            return None, None, None, None, None, self._error(
                "E0000007", "Resource not found: %s (UserFactor)" % fid)
        return body, t, user, fid, user.factor_kinds[fid], None

    def _h_factor_verify(self, req):
        with self._lock:
            body, t, user, fid, kind, err = self._verify_context(req)
            if err:
                return err
            if t["status"] not in ("MFA_REQUIRED", "MFA_CHALLENGE"):
                return self._state_error()
            for param, key in (("rememberDevice", "remember_device"), ("autoPush", "auto_push")):
                values = req.record.query.get(param)
                if values:
                    t[key] = values[-1].strip().lower() == "true"
            if user.locked_out:
                return self._error("E0000069")
            mode = FACTOR_KINDS[kind][3] if kind else "challenge"
            if mode == "push":
                return self._verify_push(t, user, fid, kind)
            if mode == "otp":
                code = body.get("passCode")
                if code is None:
                    return self._otp_send(t, user, fid, kind, resend=False)
                if not isinstance(code, str):
                    return self._missing("passCode")
                st = user.otp.get(fid)
                if st is not None and st["expires"] > self.now() and \
                        hmac.compare_digest(st["code"].encode(), code.encode()):
                    del user.otp[fid]
                    return self._factor_success(t, user, kind)
                return self._factor_failure(user)
            if mode == "totp":
                code = body.get("passCode")
                if not isinstance(code, str) or not code:
                    return self._missing("passCode")
                return self._verify_totp(t, user, fid, kind, code)
            if mode == "passcode":
                code = body.get("passCode")
                if not isinstance(code, str) or not code:
                    return self._missing("passCode")
                if hmac.compare_digest(user.factor_codes[fid].encode(), code.encode()):
                    return self._factor_success(t, user, kind)
                return self._factor_failure(user)
            if mode == "question":
                answer = body.get("answer")
                if not isinstance(answer, str) or not answer:
                    return self._missing("answer")
                if answer.strip().lower() == (user.question_answer or "").strip().lower():
                    return self._factor_success(t, user, kind)
                return self._factor_failure(user, "Your answer doesn't match our records. "
                                                  "Please try again.")
            # "challenge": the fake hands out a challenge but cannot check the
            # browser-made assertion that would answer it.
            if any(k in body for k in ("clientData", "signatureData", "authenticatorData",
                                       "passCode")):
                return self._factor_failure(user)
            self._leave_challenge(t)
            t["status"] = "MFA_CHALLENGE"
            t["factor_id"] = fid
            if kind == "webauthn":
                t["factor_result"] = "CHALLENGE"
                t["challenge"] = {"challenge": _rand(20), "userVerification": "preferred",
                                  "extensions": {}}
            elif kind == "duo":
                t["factor_result"] = "WAITING"
                t["challenge"] = {"host": "api-fake.duosecurity.com",
                                  "signature": "TX|" + _rand(20), "factorResult": "WAITING"}
            else:
                t["challenge"] = {"nonce": _rand(20), "timeoutSeconds": 20}
            return _Response(200, self._transaction_json(t))

    def _missing(self, field):
        return self._error("E0000001", field, ["%s: The field cannot be left blank" % field])

    def _factor_failure(self, user, cause="Your passcode doesn't match our records. "
                                          "Please try again."):
        user.factor_failures += 1
        limit = user.factor_lockout if user.factor_lockout is not None else self.factor_lockout
        if limit and user.factor_failures >= limit:
            user.locked_out = True
            return self._error("E0000069")
        return self._error("E0000068", causes=[cause])

    def _factor_success(self, t, user, kind):
        user.factor_failures = 0
        method = FACTOR_KINDS[kind][4] if kind else None
        t["amr"] = ["pwd"] + ([method] if method else []) + ["mfa"]
        self._leave_challenge(t)
        if user.password_expired:
            # MFA first, then the expired password (D-authn).
            t["status"] = "PASSWORD_EXPIRED"
            return _Response(200, self._transaction_json(t))
        del self._transactions[t["stateToken"]]
        return _Response(200, self._success_json(user, t["amr"]))

    def _verify_totp(self, t, user, fid, kind, code):
        """A code of enrolment FID, or by type of any of the user's
        enrolments of KIND (each has its own secret)."""
        if fid in VERIFY_BY_TYPE:
            fids = [f for f, k in user.factor_kinds.items() if k == kind]
        else:
            fids = [fid]
        step = int((time.time() + self.clock_offset) // 30)
        window = max(0, int(self.totp_window))
        matched = None
        for one in fids:
            seed = self._seed(user, one)
            for delta in sorted(range(-window, window + 1), key=abs):
                if hmac.compare_digest(totp(seed, (step + delta) * 30).encode(),
                                       code.encode()):
                    matched = (one, step + delta)
                    break
            if matched is not None:
                break
        if matched is None:
            return self._factor_failure(user)
        used = user.used_totp_steps.setdefault(matched[0], set())
        if matched[1] in used:
            return self._error("E0000082")
        used.add(matched[1])
        return self._factor_success(t, user, kind)

    def _otp_send(self, t, user, fid, kind, resend):
        now = self.now()
        last = user.otp.get(fid)
        if kind in ("sms", "call") and last is not None and \
                now < last["sent"] + self.otp_resend_interval:
            reset = last["sent"] + int(self.otp_resend_interval)
            return self._error("E0000109" if kind == "sms" else "E0000133", headers=[
                ("X-Rate-Limit-Limit", "1"), ("X-Rate-Limit-Remaining", "0"),
                ("X-Rate-Limit-Reset", str(reset))])
        code = "".join(secrets.choice(string.digits) for _ in range(5 if kind == "call" else 6))
        user.otp[fid] = {"code": code, "sent": now, "expires": now + self.otp_lifetime}
        self._otp_log.append({"login": user.login, "kind": kind, "factor_id": fid,
                              "code": code, "time": now, "resend": resend})
        self._leave_challenge(t)
        t["status"] = "MFA_CHALLENGE"
        t["factor_id"] = fid
        return _Response(200, self._transaction_json(t))

    def _send_push(self, t, user, fid):
        decision = user.push_next or user.push_plan
        user.push_next = None
        previous = t.get("push")
        self._leave_challenge(t)
        push = {"factor_id": fid, "result": "WAITING", "polls": 0, "sent": self.now(),
                "sends": (previous["sends"] + 1) if previous is not None else 1,
                "decision": decision, "correct_answer": user.number_challenge,
                "delivered": False, "resolved_at_poll": None,
                "auto_push": t.get("auto_push"), "remember_device": t.get("remember_device"),
                # Every device the push went to: all of them when verified by type.
                "devices": ([f for f, k in user.factor_kinds.items() if k == "push"]
                            if fid in VERIFY_BY_TYPE else [fid])}
        t.update(status="MFA_CHALLENGE", factor_id=fid, factor_result="WAITING", push=push)
        user.last_push = push
        return _Response(200, self._transaction_json(t))

    def _verify_push(self, t, user, fid, kind):
        push = t.get("push")
        if t["status"] != "MFA_CHALLENGE" or t["factor_id"] != fid or push is None \
                or push["delivered"]:
            return self._send_push(t, user, fid)
        # A poll.
        push["polls"] += 1
        if push["result"] == "WAITING":
            decision = push["decision"]
            if decision is not None and push["polls"] >= max(1, decision[1]):
                push["result"] = decision[0]
                push["resolved_at_poll"] = push["polls"]
            elif self.push_expiry is not None and \
                    self.now() >= push["sent"] + self.push_expiry:
                push["result"] = "TIMEOUT"
                push["resolved_at_poll"] = push["polls"]
        if push["result"] == "WAITING":
            return _Response(200, self._transaction_json(t))
        push["delivered"] = True
        if push["result"] == "SUCCESS":
            return self._factor_success(t, user, kind)
        t["factor_result"] = push["result"]
        return _Response(200, self._transaction_json(t))

    def _h_factor_resend(self, req):
        with self._lock:
            body, t, user, fid, kind, err = self._verify_context(req)
            if err:
                return err
            mode = FACTOR_KINDS[kind][3] if kind else None
            if t["status"] != "MFA_CHALLENGE" or t["factor_id"] != fid or \
                    mode not in ("otp", "push"):
                return self._state_error()
            if user.locked_out:
                return self._error("E0000069")
            if mode == "otp":
                return self._otp_send(t, user, fid, kind, resend=True)
            return self._send_push(t, user, fid)

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
                # token; the errorCode is not documented (REFERENCE §5.1, §12):
                # an org setting, E0000004 by default.
                return self._error(self.session_token_error_code)
            t["used"] = True
            user = self._users.get(t["login"].lower())
            if user is None or getattr(user, "deactivated", False):
                return self._error(self.session_token_error_code)
            sid = self._create_session(user, t["amr"], t["issued"])
            return _Response(200, self._session_json(self._sessions[sid]))

    def _h_users_me(self, req):
        """The API token's own admin (Users API "Get current user"): the
        cheapest call that shows whether the token is good."""
        owner = self.token_owner
        local = owner["login"].split("@", 1)[0]
        return _Response(200, {
            "id": owner["id"], "status": "ACTIVE", "created": _iso(self.now() - 86400),
            "activated": _iso(self.now() - 86400), "statusChanged": None,
            "lastLogin": None, "lastUpdated": _iso(self.now() - 86400),
            "passwordChanged": None, "type": {"id": "oty" + _rand(17)},
            "profile": {"login": owner["login"], "email": owner["login"],
                        "firstName": local, "lastName": "Service", "mobilePhone": None,
                        "secondEmail": None},
            "credentials": {"provider": {"type": "OKTA", "name": "OKTA"}},
            "_links": {"self": _link("%s/api/v1/users/%s" % (self.url, owner["id"]),
                                     ["GET"])}})

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
            if s.get("max_expires") is not None:
                s["expires"] = min(s["expires"], s["max_expires"])
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
    parser.add_argument("--mfa-user", action="append", default=[], metavar="LOGIN:PASSWORD",
                        help="a user who must pass MFA (factors from --factors)")
    parser.add_argument("--factors", default="push,totp,sms,call",
                        help="comma-separated factor kinds of --mfa-user users")
    parser.add_argument("--totp-seed", metavar="BASE32",
                        help="TOTP seed of --mfa-user users (put it in an authenticator app)")
    parser.add_argument("--push", choices=["approve", "reject", "timeout", "wait"],
                        default="approve", help="what happens to pushes (default approve)")
    parser.add_argument("--push-after", type=int, default=2, metavar="POLLS",
                        help="polls before --push takes effect (default 2)")
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
    factors = tuple(k.strip() for k in args.factors.split(",") if k.strip())
    for kind in factors:
        if kind not in FACTOR_KINDS:
            parser.error("unknown factor kind %r (known: %s)"
                         % (kind, ", ".join(sorted(FACTOR_KINDS))))
    if args.totp_seed:
        try:
            _b32decode(args.totp_seed)
        except ValueError:
            parser.error("--totp-seed is not base32")
    for spec in args.mfa_user:
        login, sep, password = spec.partition(":")
        if not sep or not login:
            parser.error("--mfa-user wants LOGIN:PASSWORD")
        fake.add_user(login, password, mfa_required=True, factors=factors,
                      totp_seed=args.totp_seed)
        if args.push != "wait":
            fake.push_auto(login, args.push, after_polls=args.push_after)
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
