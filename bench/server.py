"""The fake Okta org in benchmark mode.

BenchOkta is tests/fake_okta's FakeOkta (same TLS setup, parsing, API-token
check, JSON bodies, request records) with three changes for benchmarking:

* Fixed answers for the benchmark user: the session token that
  POST /api/v1/authn returns and the session id that POST /api/v1/sessions
  creates are always the same, the token can be exchanged any number of
  times and DELETE answers 204 without ending the session.  A script of
  curl calls written in advance (the floor) can then make exactly the five
  requests the module makes, and any number of logins can run at once.
* An optional fixed latency added to every request (the concurrency test).
* A count of TLS handshakes (and of resumed ones) next to the request
  records, which already carry a connection id.
* Rate limits high enough never to answer 429.
"""

import os
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "tests", "fake_okta"))
import fake_okta  # noqa: E402

SESSION_TOKEN = "20111" + "BenchFixedSessionToken0123456789abcde"
SESSION_ID = "102" + "BenchFixedSession00001"


class _CountingContext:
    """Wraps the server's SSLContext to count handshakes as they complete."""

    def __init__(self, ctx, fake):
        self._ctx = ctx
        self._fake = fake

    def wrap_socket(self, sock, **kw):
        tls = self._ctx.wrap_socket(sock, **kw)     # handshake happens here
        # FakeOkta serves each connection in a thread named after its id.
        name = threading.current_thread().name
        with self._fake._count_lock:
            self._fake.handshakes += 1
            if tls.session_reused:
                self._fake.resumed += 1
                self._fake.resumed_conns.add(name.rsplit("-", 1)[-1])
        return tls

    def __getattr__(self, name):
        return getattr(self._ctx, name)


class BenchOkta(fake_okta.FakeOkta):
    def __init__(self, workdir, *, latency=0.0, **kw):
        super().__init__(workdir, idle_timeout=30.0, **kw)
        self.latency = latency
        self.handshakes = 0
        self.resumed = 0
        self.resumed_conns = set()
        self._count_lock = threading.Lock()
        # Thousands of logins a minute: Okta's per-minute limits (600 in the
        # fake) would answer 429 and make the module wait.
        for bucket in (self.AUTHN_BUCKET, self.VERIFY_BUCKET, self.SESSIONS_BUCKET,
                       self.OTHER_BUCKET):
            self.set_rate_limit(bucket, 10 ** 9)

    def start(self):
        # 100 logins connect at once: keep them all in the listen queue.
        fake_okta._Server.request_queue_size = 1024
        super().start()
        self._ssl_ctx = _CountingContext(self._ssl_ctx, self)
        return self

    def counts(self):
        """(requests, distinct connections, handshakes, resumed) so far."""
        reqs = self.requests
        with self._count_lock:
            return (len(reqs), len({r.conn_id for r in reqs}), self.handshakes,
                    self.resumed)

    def reset_counts(self):
        self.clear_requests()
        with self._count_lock:
            self.handshakes = 0
            self.resumed = 0
            self.resumed_conns.clear()

    def delete_resumed(self):
        """How many DELETE requests came on a resumed TLS session."""
        with self._count_lock:
            resumed = set(self.resumed_conns)
        return sum(1 for r in self.requests
                   if r.method == "DELETE" and str(r.conn_id) in resumed)

    def requests_by_method(self):
        out = {}
        for r in self.requests:
            key = "%s %s" % (r.method, fake_okta._SESSION_PATH.sub(r"\1{id}", r.path))
            out[key] = out.get(key, 0) + 1
        return out

    # -- fixed answers ------------------------------------------------------
    def _route(self, req, rate):
        if self.latency:
            time.sleep(self.latency)
        return super()._route(req, rate)

    def _mint_session_token(self, user, amr):
        now = self.now()
        self._session_tokens[SESSION_TOKEN] = {
            "login": user.login, "amr": list(amr), "issued": now,
            "expires": now + self.SESSION_TOKEN_LIFETIME, "used": False}
        return SESSION_TOKEN

    def _h_session_create(self, req):
        with self._lock:
            t = self._session_tokens.get(SESSION_TOKEN)
            if t is not None:
                t["used"] = False       # reusable: every login sends the same one
        return super()._h_session_create(req)

    def _create_session(self, user, amr, verified_at, status="ACTIVE", lifetime=7200):
        now = self.now()
        self._sessions[SESSION_ID] = {
            "id": SESSION_ID, "login": user.login, "userId": user.id, "created": now,
            "expires": now + lifetime, "lifetime": lifetime, "status": status,
            "amr": list(amr), "lastPasswordVerification": verified_at,
            "lastFactorVerification": None,
            "userName": "%s %s" % (user.first_name, user.last_name),
        }
        return SESSION_ID

    def _h_session_delete(self, req):
        sid = req.params["session_id"]
        with self._lock:
            if self._live_session(sid) is None:
                return self._not_found_session(sid)
        return fake_okta._Response(204, None)
