"""Misbehaving network peers on loopback for the fault-matrix tests
(test_fault_matrix.py): things the fake Okta org can not be, because they
break the protocol below HTTP or sit in front of it.

    SilentServer      accepts TCP connections and never says a word
    ScriptedServer    speaks (TLS or plain) HTTP from a script of answers:
                      status lines, a header block then a stalled body, ...
    DnsServer         a UDP DNS server on 127.0.0.x:53 that answers NXDOMAIN
                      to everything, or never answers at all
    ConnectProxy      an HTTP CONNECT proxy that records what it was asked
    make_bad_certs    certificates signed by a given CA: wrong host name,
                      expired

Every server runs in daemon threads and is stopped by stop() (or `with`).
"""

import os
import select
import socket
import ssl
import subprocess
import threading
import time


class _Base:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()

    def _listen(self, host="127.0.0.1", kind=socket.SOCK_STREAM, port=0):
        s = socket.socket(socket.AF_INET, kind)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((host, port))
        if kind == socket.SOCK_STREAM:
            s.listen(64)
        s.settimeout(0.2)
        return s


class SilentServer(_Base):
    """Accepts connections, reads whatever comes, never answers: a TLS
    handshake to it never completes."""

    def __init__(self):
        self.sock = self._listen()
        self.port = self.sock.getsockname()[1]
        self.url = "https://127.0.0.1:%d" % self.port
        self.connections = 0
        self._held = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def _loop(self):
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            self.connections += 1
            self._held.append(conn)

    def stop(self):
        self._stop.set()
        self._thread.join(2)
        for c in self._held:
            c.close()
        self.sock.close()


class ScriptedServer(_Base):
    """An HTTP/1.1 server (TLS with CERT/KEY, else plain) answering each
    request with the next entry of SCRIPT (the last one repeats):

        (status, headers, body)   a complete answer
        ("stall", headers, head_of_body)
                                  the status line and headers promise a
                                  longer body; part of it comes, then
                                  nothing until stop()

    It records each request line in `requests` and counts `handshakes`
    (TLS handshakes completed) and `connections`.
    """

    def __init__(self, script, cert=None, key=None):
        self.script = list(script)
        self.ctx = None
        if cert is not None:
            self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self.ctx.load_cert_chain(cert, key)
        self.sock = self._listen()
        self.port = self.sock.getsockname()[1]
        self.url = "https://127.0.0.1:%d" % self.port
        self.requests = []
        self.handshakes = 0
        self.connections = 0
        self.tls_errors = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def _loop(self):
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _next(self):
        with self._lock:
            step = self.script[0]
            if len(self.script) > 1:
                self.script.pop(0)
            return step

    def _serve(self, conn):
        conn.settimeout(10)
        try:
            if self.ctx is not None:
                try:
                    conn = self.ctx.wrap_socket(conn, server_side=True)
                except (ssl.SSLError, OSError) as e:
                    self.tls_errors.append(str(e))
                    return
                self.handshakes += 1
            f = conn.makefile("rb")
            while not self._stop.is_set():
                line = f.readline(65536)
                if not line:
                    return
                length = 0
                while True:
                    h = f.readline(65536)
                    if h in (b"\r\n", b"\n", b""):
                        break
                    name, _, value = h.decode("latin-1").partition(":")
                    if name.strip().lower() == "content-length":
                        length = int(value.strip() or 0)
                if length:
                    f.read(length)
                with self._lock:
                    self.requests.append(line.decode("latin-1").strip())
                status, headers, body = self._next()
                if status == "stall":
                    head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n" \
                           "Content-Length: %d\r\n" % (len(body) + 4096)
                    head += "".join("%s: %s\r\n" % h for h in headers) + "\r\n"
                    conn.sendall(head.encode("latin-1") + body)
                    self._stop.wait()
                    return
                head = "HTTP/1.1 %d X\r\nContent-Length: %d\r\n" % (status, len(body))
                head += "".join("%s: %s\r\n" % h for h in headers) + "\r\n"
                conn.sendall(head.encode("latin-1") + body)
        except (OSError, ValueError):
            pass
        finally:
            try:
                conn.close()
            except OSError:
                pass

    def stop(self):
        self._stop.set()
        self._thread.join(2)
        self.sock.close()


class DnsServer(_Base):
    """UDP DNS on ADDRESS:53. answer=True: NXDOMAIN for every question (a
    name that does not exist); answer=False: reads queries, never replies."""

    def __init__(self, address="127.0.0.53", answer=True):
        self.address = address
        self.answer = answer
        self.sock = self._listen(address, socket.SOCK_DGRAM, 53)
        self.queries = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def _loop(self):
        while not self._stop.is_set():
            try:
                data, peer = self.sock.recvfrom(4096)
            except socket.timeout:
                continue
            except OSError:
                return
            self.queries += 1
            if not self.answer or len(data) < 12:
                continue
            # Header: same id, QR|RD|RA with RCODE 3, the question echoed.
            reply = data[:2] + b"\x81\x83" + data[4:6] + b"\0\0\0\0\0\0" + data[12:]
            self.sock.sendto(reply, peer)

    def resolv_conf(self, directory):
        """A resolv.conf naming only this server, with glibc's own retries
        far longer than any module timeout."""
        path = os.path.join(directory, "resolv.conf.%s" % self.address)
        with open(path, "w") as f:
            f.write("nameserver %s\noptions timeout:30 attempts:2\n" % self.address)
        os.chmod(path, 0o644)
        return path

    def stop(self):
        self._stop.set()
        self._thread.join(2)
        self.sock.close()


def in_resolver_namespace(resolv_conf, cmd):
    """CMD run in a private mount namespace whose /etc/resolv.conf is
    RESOLV_CONF (the host's stays untouched)."""
    return ["unshare", "--mount", "--propagation", "private", "sh", "-c",
            'mount --bind "$0" /etc/resolv.conf && exec "$@"', resolv_conf] + list(cmd)


class ConnectProxy(_Base):
    """An HTTP proxy that only does CONNECT, records each "host:port" it was
    asked for in `connects`, and relays bytes both ways."""

    def __init__(self):
        self.sock = self._listen()
        self.port = self.sock.getsockname()[1]
        self.url = "http://127.0.0.1:%d" % self.port
        self.connects = []
        self.other_requests = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def _loop(self):
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, client):
        upstream = None
        try:
            client.settimeout(10)
            head = b""
            while b"\r\n\r\n" not in head and len(head) < 65536:
                chunk = client.recv(4096)
                if not chunk:
                    return
                head += chunk
            request_line = head.split(b"\r\n", 1)[0].decode("latin-1")
            parts = request_line.split()
            if len(parts) != 3 or parts[0] != "CONNECT":
                self.other_requests.append(request_line)
                client.sendall(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
                return
            self.connects.append(parts[1])
            host, _, port = parts[1].rpartition(":")
            upstream = socket.create_connection((host.strip("[]"), int(port)), timeout=10)
            client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            rest = head.split(b"\r\n\r\n", 1)[1]
            if rest:
                upstream.sendall(rest)
            pair = {client: upstream, upstream: client}
            while not self._stop.is_set():
                ready, _, _ = select.select(list(pair), [], [], 0.2)
                for s in ready:
                    data = s.recv(65536)
                    if not data:
                        return
                    pair[s].sendall(data)
        except (OSError, ValueError):
            pass
        finally:
            client.close()
            if upstream is not None:
                upstream.close()

    def stop(self):
        self._stop.set()
        self._thread.join(2)
        self.sock.close()


_CA_CONFIG = """\
[ca]
default_ca = ca_default
[ca_default]
dir = {dir}
database = {dir}/index.txt
new_certs_dir = {dir}
serial = {dir}/serial
default_md = sha256
policy = policy_any
unique_subject = no
copy_extensions = none
[policy_any]
commonName = supplied
[v3]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = {sans}
"""


def make_cert_signed(directory, name, ca_cert, ca_key, sans, start=None, end=None):
    """A server certificate for SANS signed by CA_CERT, valid from START to
    END (openssl's YYYYMMDDHHMMSSZ; default: now to a year from now).
    Returns (cert, key)."""
    d = os.path.join(directory, name)
    os.makedirs(d, exist_ok=True)
    cert, key, csr = (os.path.join(d, n) for n in ("cert.pem", "key.pem", "req.csr"))
    cnf = os.path.join(d, "ca.cnf")
    with open(cnf, "w") as f:
        f.write(_CA_CONFIG.format(dir=d, sans=",".join(sans)))
    open(os.path.join(d, "index.txt"), "w").close()
    with open(os.path.join(d, "serial"), "w") as f:
        f.write("%016X\n" % (int(time.time() * 1000) | 1))

    def openssl(*args):
        subprocess.run(["openssl"] + list(args), check=True, cwd=d,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
            "-nodes", "-keyout", key, "-out", csr, "-subj", "/CN=" + name)
    dates = []
    if start:
        dates += ["-startdate", start]
    if end:
        dates += ["-enddate", end]
    else:
        dates += ["-days", "365"]
    openssl("ca", "-batch", "-notext", "-config", cnf, "-cert", ca_cert, "-keyfile", ca_key,
            "-in", csr, "-out", cert, "-extensions", "v3", *dates)
    return cert, key
