"""A tiny HTTPS client for the fake Okta's own tests (http.client + test CA)."""

import http.client
import json
import ssl


class Reply:
    def __init__(self, resp, body):
        self.status = resp.status
        self.reason = resp.reason
        self.header_list = resp.getheaders()     # [(name, value)], duplicates kept
        self.body = body
        try:
            self.json = json.loads(body.decode("utf-8")) if body else None
        except ValueError:
            self.json = None

    def header(self, name):
        """First value of header NAME (case-insensitive) or None."""
        values = self.headers(name)
        return values[0] if values else None

    def headers(self, name):
        return [v for n, v in self.header_list if n.lower() == name.lower()]

    def __repr__(self):
        return "<Reply %d %r>" % (self.status, self.body[:200])


def tls_context(ca_file):
    ctx = ssl.create_default_context(cafile=ca_file)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    return ctx


class Client:
    """One keep-alive connection to the fake (reconnects if it was closed)."""

    def __init__(self, fake, host="127.0.0.1", token=True, timeout=10):
        self.fake = fake
        self.token = fake.api_token if token is True else token
        self.conn = http.client.HTTPSConnection(host, fake.port, timeout=timeout,
                                                context=tls_context(fake.ca_file))

    def close(self):
        self.conn.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def request(self, method, path, body=None, headers=None, auth=None):
        hdrs = {"Accept": "application/json", "User-Agent": "fake-okta-tests/1"}
        token = self.token if auth is None else auth
        if token:
            hdrs["Authorization"] = token if token.startswith(("SSWS", "Bearer", "Basic")) \
                else "SSWS " + token
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
            hdrs["Content-Type"] = "application/json"
        elif isinstance(body, str):
            body = body.encode()
        if body is None and method in ("POST", "PUT"):
            body = b""          # http.client then sends Content-Length: 0
        hdrs.update(headers or {})
        self.conn.request(method, path, body=body, headers=hdrs)
        resp = self.conn.getresponse()
        return Reply(resp, resp.read())

    # Shortcuts for the API calls the module makes.
    def authn(self, username, password, **kw):
        return self.request("POST", "/api/v1/authn",
                            {"username": username, "password": password}, **kw)

    def create(self, session_token, **kw):
        return self.request("POST", "/api/v1/sessions", {"sessionToken": session_token}, **kw)

    def get(self, sid, **kw):
        return self.request("GET", "/api/v1/sessions/" + sid, **kw)

    def refresh(self, sid, **kw):
        return self.request("POST", "/api/v1/sessions/%s/lifecycle/refresh" % sid, **kw)

    def delete(self, sid, **kw):
        return self.request("DELETE", "/api/v1/sessions/" + sid, **kw)
