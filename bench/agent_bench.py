#!/usr/bin/env python3
"""What users wait for: a login through the module directly, through
okta-sessiond's agent, and the single-process floor, at 0, 20 and 80 ms of
round-trip time to Okta; the login process's CPU and private memory; the
agent's own CPU; and 100 concurrent logins through the agent against a
fixed-answer TLS server that costs next to nothing (nginx). Run through
bench/run.sh.

Round trips: a delay line (bench/delay_line.py, a separate process) holds
every chunk for half the round-trip time each way, and a new connection's
first bytes one round trip more (the TCP handshake). The slope of wall time
over round-trip time is the number of round trips a login waits for.

Variants (each one process, run under bench/measure, interleaved):
  direct  bench/login through the module, agent = no
  agent   bench/login through the module, agent = required; okta-sessiond
          (the built daemon) holds the connection to the delay line
  floor   bench/floor: the same PAM calls through pam_permit and the
          module's five requests with libcurl at the same points, on the
          module's two connections -- the single-process floor of `direct`
  permit  bench/login through pam_permit alone (no request at all)
"""

import argparse
import json
import os
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import time
import urllib.request
import ssl

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from server import BenchOkta, SESSION_ID, SESSION_TOKEN  # noqa: E402

USER = "nobody"
LOGIN = USER + "@example.com"
PASSWORD = "bench-Passw0rd"
ENV = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C"}


def write(path, text, mode=0o600):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, mode)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.chmod(path, mode)


def wait_for_idle(limit_s, below=0.5):
    """Waits until the one-minute load average is under BELOW (a machine
    doing nothing else), at most LIMIT_S seconds."""
    deadline = time.monotonic() + limit_s
    while os.getloadavg()[0] >= below and time.monotonic() < deadline:
        time.sleep(5)


def proc_cpu_s(pid):
    """CPU time of a process, in seconds: the scheduler's nanosecond run
    time of each of its threads (/proc/PID/task/*/schedstat), where
    utime + stime counts 10 ms clock ticks, too coarse for a few logins.
    The processes measured keep their threads (okta-sessiond's pool,
    nginx's and the delay line's single threads)."""
    total_ns = 0
    try:
        for tid in os.listdir("/proc/%d/task" % pid):
            try:
                with open("/proc/%d/task/%s/schedstat" % (pid, tid)) as f:
                    total_ns += int(f.read().split()[0])
            except (OSError, ValueError, IndexError):
                pass
    except OSError:
        pass
    if total_ns > 0:
        return total_ns / 1e9
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return sum(int(x) for x in fields[11:13]) / os.sysconf("SC_CLK_TCK")


def tree_cpu_s(pid):
    """CPU of PID and its live children (nginx master + workers)."""
    total = proc_cpu_s(pid)
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open("/proc/%s/stat" % entry) as f:
                    if int(f.read().rsplit(")", 1)[1].split()[1]) == pid:
                        total += proc_cpu_s(int(entry))
            except (OSError, ValueError):
                pass
    return total


class DelayLine:
    def __init__(self, target_port, rtt_ms):
        self.proc = subprocess.Popen(
            [sys.executable, "-B", os.path.join(HERE, "delay_line.py"),
             "--to", "127.0.0.1:%d" % target_port, "--rtt-ms", str(rtt_ms)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=ENV)
        self.port = int(self.proc.stdout.readline())

    def cpu_s(self):
        return proc_cpu_s(self.proc.pid)

    def stop(self):
        self.proc.stdin.close()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


class Daemon:
    """The built okta-sessiond serving the agent socket."""

    def __init__(self, binary, work, name, org_url, ca_file, token_file, sock):
        self.conf = os.path.join(work, "sessiond-%s.conf" % name)
        state = os.path.join(work, "state-" + name)
        write(self.conf, "org_url = %s\napi_token_file = %s\nca_file = %s\n"
                         "agent_socket = %s\nstate_dir = %s\nwatch_interval = 3600\n"
              % (org_url, token_file, ca_file, sock, state))
        if os.path.exists(sock):
            os.unlink(sock)
        self.sock = sock
        self.proc = subprocess.Popen([binary, "--foreground", "--config", self.conf], env=ENV,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 10
        while not os.path.exists(sock):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("okta-sessiond did not start: %r" % self.proc.stderr.read())
            time.sleep(0.01)

    def cpu_s(self):
        return proc_cpu_s(self.proc.pid)

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(30)


class Bench:
    def __init__(self, args, work):
        self.args = args
        self.work = work
        self.confdir = os.path.join(work, "pam.d")
        os.mkdir(self.confdir, 0o755)
        self.module = os.path.join(os.path.abspath(args.builddir), ".libs",
                                   "pam_okta_session.so")
        self.sessiond = os.path.join(os.path.abspath(args.builddir), "okta-sessiond")
        self.token_file = os.path.join(work, "api_token")
        self.password_file = os.path.join(work, "password")
        write(self.password_file, PASSWORD + "\n")
        self.sock_dir = os.path.join(work, "agent")
        os.mkdir(self.sock_dir, 0o700)
        self.sock = os.path.join(self.sock_dir, "agent.sock")
        self.errlog = os.path.join(work, "stderr.log")
        write(os.path.join(self.confdir, "permit"),
              "".join("%s required pam_permit.so\n" % k
                      for k in ("auth", "account", "session")), 0o644)

    def services(self, org_url, ca_file):
        for name, extra in (("direct", "agent = no\n"),
                            ("agent", "agent = required\nagent_socket = %s\n" % self.sock)):
            conf = os.path.join(self.work, "module-%s.conf" % name)
            write(conf, "org_url = %s\napi_token_file = %s\nca_file = %s\n"
                        "login_format = %%u@example.com\nstate_dir = %s/state-module\n%s"
                  % (org_url, self.token_file, ca_file, self.work, extra))
            write(os.path.join(self.confdir, name),
                  "".join("%s required %s config=%s\n" % (k, self.module, conf)
                          for k in ("auth", "account", "session")), 0o644)

    def argv(self, variant, org_url, ca_file):
        if variant == "floor":
            return [self.args.floor_bin, self.confdir, "permit", USER, org_url, ca_file,
                    self.token_file, self.password_file, SESSION_TOKEN, SESSION_ID]
        return [self.args.login_bin, self.confdir, variant, USER, self.password_file]

    def measure(self, argv):
        r, w = os.pipe()
        with open(self.errlog, "a") as err:
            proc = subprocess.Popen([self.args.measure_bin] + argv, stdout=w, stderr=err,
                                    stdin=subprocess.DEVNULL, env=ENV)
        os.close(w)
        with os.fdopen(r) as f:
            line = f.read()
        proc.wait()
        wall_ns, cpu_us, rss, code = (int(x) for x in line.split())
        if code != 0:
            raise RuntimeError("%s exited %d:\n%s" % (argv[0], code,
                                                      open(self.errlog).read()[-1500:]))
        return wall_ns / 1e6, cpu_us / 1e3, rss

    def memory(self, service):
        out = subprocess.run([self.args.login_bin, "--memory", self.confdir, service, USER,
                              self.password_file], env=ENV, capture_output=True, text=True,
                             check=True).stdout.split()
        return int(out[0]), int(out[1])

    # ---- round trips ------------------------------------------------------

    def round_trips(self, fake):
        out = {"rtt_ms": self.args.rtts, "variants": {}}
        variants = ("direct", "agent", "floor", "permit")
        for v in variants:
            out["variants"][v] = {"wall_ms": [], "cpu_ms": [], "rss_kib": []}
        agent_cpu = []
        for rtt in self.args.rtts:
            line = DelayLine(fake.port, rtt)
            url = "https://127.0.0.1:%d" % line.port
            self.services(url, fake.ca_file)
            daemon = Daemon(self.sessiond, self.work, "rtt", url, fake.ca_file,
                            self.token_file, self.sock)
            samples = {v: [] for v in variants}
            try:
                for i in range(self.args.warmup + self.args.runs):
                    if i == self.args.warmup:
                        # The daemon is idle between the agent's logins (its
                        # watcher waits an hour): its CPU over the measured
                        # runs, per login, is the agent's cost of a login.
                        daemon_before = daemon.cpu_s()
                    for v in variants:
                        wall, cpu, rss = self.measure(self.argv(v, url, fake.ca_file))
                        if i >= self.args.warmup:
                            samples[v].append((wall, cpu, rss))
                agent_cpu.append((daemon.cpu_s() - daemon_before) * 1000 / self.args.runs)
            finally:
                daemon.stop()
                line.stop()
            for v in variants:
                s = samples[v]
                o = out["variants"][v]
                o["wall_ms"].append(statistics.median(x[0] for x in s))
                o["cpu_ms"].append(statistics.median(x[1] for x in s))
                o["rss_kib"].append(statistics.median(x[2] for x in s))
        for v in variants:
            o = out["variants"][v]
            o["round_trips"] = slope(self.args.rtts, o["wall_ms"])
        logins = self.args.runs * len(self.args.rtts)
        out["agent_cpu_ms_per_login"] = statistics.mean(agent_cpu) if agent_cpu else None
        out["agent_cpu_ms_per_login_by_rtt"] = agent_cpu
        out["agent_cpu_ticks_note"] = ("the run time of the daemon's threads over the "
                                       "measured runs at each round-trip time divided by "
                                       "their logins, averaged over the %d logins, from "
                                       "/proc/PID/task/*/schedstat (nanoseconds)" % logins)
        return out

    def memory_view(self, fake):
        url = fake.url
        self.services(url, fake.ca_file)
        daemon = Daemon(self.sessiond, self.work, "mem", url, fake.ca_file, self.token_file,
                        self.sock)
        try:
            return {v: dict(zip(("rss_anon_kib", "rss_file_kib"), self.memory(v)))
                    for v in ("permit", "agent", "direct")}
        finally:
            daemon.stop()

    # ---- concurrency ------------------------------------------------------

    def concurrency(self, nginx_port, ca_file, nginx_pid, access_log):
        line = DelayLine(nginx_port, self.args.latency_ms)
        url = "https://127.0.0.1:%d" % line.port
        self.services(url, ca_file)
        daemon = Daemon(self.sessiond, self.work, "conc", url, ca_file, self.token_file,
                        self.sock)
        agent_argv = self.argv("agent", url, ca_file) + ["3"]
        permit_argv = self.argv("permit", url, ca_file) + ["3"]

        def batch(n, argv=agent_argv):
            r, w = os.pipe()
            actions = [(os.POSIX_SPAWN_OPEN, 0, "/dev/null", os.O_RDONLY, 0),
                       (os.POSIX_SPAWN_OPEN, 1, "/dev/null", os.O_WRONLY, 0),
                       (os.POSIX_SPAWN_OPEN, 2, self.errlog,
                        os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600),
                       (os.POSIX_SPAWN_DUP2, r, 3)]
            # Every login waits at the gate (fd 3) until w is closed.
            pids = [os.posix_spawn(argv[0], argv, ENV, file_actions=actions)
                    for _ in range(n)]
            os.close(r)
            time.sleep(0.3 + n * 0.01)
            c0 = (daemon.cpu_s(), tree_cpu_s(nginx_pid), line.cpu_s())
            log_start = os.path.getsize(access_log)
            ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
            t0 = time.perf_counter()
            os.close(w)
            failed = sum(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) != 0
                         for pid in pids)
            wall = (time.perf_counter() - t0) * 1000
            ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
            c1 = (daemon.cpu_s(), tree_cpu_s(nginx_pid), line.cpu_s())
            time.sleep(0.2)  # nginx writes its log lines as requests end
            with open(access_log) as f:
                f.seek(log_start)
                seen = [line.split() for line in f.read().splitlines() if line.strip()]
            conns = {x[0] for x in seen}
            protos = sorted({x[1] for x in seen if len(x) > 1})
            # The login processes' own CPU, from exec to exit (before the
            # gate too: process start and loading the PAM stack).
            logins_cpu = (ru1.ru_utime + ru1.ru_stime - ru0.ru_utime - ru0.ru_stime) * 1000
            return (wall, failed, [(b - a) * 1000 for a, b in zip(c0, c1)] + [logins_cpu],
                    (len(seen), len(conns), protos))

        try:
            batch(1)   # a warm connection, as on a host where logins happen
            ones = [batch(1) for _ in range(self.args.reps)]
            manys = [batch(self.args.concurrent) for _ in range(self.args.reps)]
            # The same processes with pam_permit alone: what a hundred PAM
            # processes cost on these cores before any request is made.
            permits = [batch(self.args.concurrent, permit_argv) for _ in range(self.args.reps)]
        finally:
            daemon.stop()
            line.stop()
        one = statistics.median(x[0] for x in ones)
        many = statistics.median(x[0] for x in manys)
        n = self.args.concurrent
        return {"logins": n, "rtt_ms": self.args.latency_ms, "reps": self.args.reps,
                "one_wall_ms": one, "all_wall_ms": many, "ratio": many / one,
                "all_wall_ms_runs": [x[0] for x in manys],
                "failed": sum(x[1] for x in ones + manys + permits),
                "agent_cpu_ms_total": statistics.median(x[2][0] for x in manys),
                "nginx_cpu_ms_total": statistics.median(x[2][1] for x in manys),
                "delay_line_cpu_ms_total": statistics.median(x[2][2] for x in manys),
                "logins_cpu_ms_total": statistics.median(x[2][3] for x in manys),
                "one_login_cpu_ms": statistics.median(x[2][3] for x in ones),
                "permit_all_wall_ms": statistics.median(x[0] for x in permits),
                "permit_logins_cpu_ms_total": statistics.median(x[2][3] for x in permits),
                "requests": manys[-1][3][0], "connections": manys[-1][3][1],
                "protocols": manys[-1][3][2]}


def slope(xs, ys):
    mx, my = statistics.mean(xs), statistics.mean(ys)
    den = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / den if den else None


def capture_answers(fake):
    """The fake org's own answers for the benchmark user, to serve fixed."""
    ctx = ssl.create_default_context(cafile=fake.ca_file)
    hdr = {"Accept": "application/json", "Content-Type": "application/json",
           "Authorization": "SSWS " + fake.api_token}

    def call(method, path, body=None):
        req = urllib.request.Request(fake.url + path, method=method, headers=hdr,
                                     data=json.dumps(body).encode() if body is not None
                                     else (b"" if method == "POST" else None))
        with urllib.request.urlopen(req, context=ctx) as resp:
            return resp.read().decode()
    authn = call("POST", "/api/v1/authn", {"username": LOGIN, "password": PASSWORD})
    session = call("POST", "/api/v1/sessions", {"sessionToken": SESSION_TOKEN})
    return authn, session


def start_nginx(work, fake):
    """nginx with TLS (the fake's certificate) answering the five requests
    with fixed bodies; one worker. Returns (port, master pid, process)."""
    nginx = shutil.which("nginx", path=ENV["PATH"])
    if nginx is None:
        return None
    authn, session = capture_answers(fake)
    for body in (authn, session):
        if "'" in body or "$" in body or "\\" in body:
            raise RuntimeError("a fixed answer nginx cannot quote")
    d = os.path.join(work, "nginx")
    os.mkdir(d, 0o700)
    conf = os.path.join(d, "nginx.conf")
    write(conf, """
user root;
worker_processes 1;
pid %(d)s/nginx.pid;
error_log %(d)s/error.log;
events { worker_connections 4096; }
http {
    log_format conn '$connection $server_protocol';
    access_log %(d)s/access.log conn;
    default_type application/json;
    keepalive_requests 100000;
    keepalive_timeout 300s;
    client_body_temp_path %(d)s/body;
    server {
        listen 127.0.0.1:0 ssl http2 backlog=1024;
        ssl_certificate %(cert)s;
        ssl_certificate_key %(key)s;
        ssl_protocols TLSv1.2 TLSv1.3;
        add_header X-Okta-Request-Id $request_id always;
        location = /api/v1/authn { return 200 '%(authn)s'; }
        location = /api/v1/sessions { return 200 '%(session)s'; }
        location ~ ^/api/v1/sessions/[A-Za-z0-9_-]+/lifecycle/refresh$ { return 200 '%(session)s'; }
        location ~ ^/api/v1/sessions/[A-Za-z0-9_-]+$ {
            if ($request_method = DELETE) { return 204; }
            return 200 '%(session)s';
        }
    }
}
""" % {"d": d, "cert": fake.cert_file, "key": fake.key_file, "authn": authn,
       "session": session})
    # Port 0 is not allowed in nginx's listen: pick a free one.
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    with open(conf) as f:
        text = f.read().replace("127.0.0.1:0 ssl", "127.0.0.1:%d ssl" % port)
    write(conf, text)
    proc = subprocess.Popen([nginx, "-c", conf, "-g", "daemon off;"], env=ENV,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("nginx did not start: %r" % proc.stderr.read())
            time.sleep(0.05)
    return port, proc.pid, proc, os.path.join(d, "access.log")


def markdown(r):
    rt, mem = r["round_trips"], r["memory"]
    lines = ["# What users wait for: direct, agent and floor", "",
             "Produced by `%s` on %s UTC; load average %.2f at start, %.2f before the "
             "concurrency test (which raises it itself), %.2f at end (%d cores)."
             % (r["command"], r["date"], r["loadavg_start"], r["loadavg_before_concurrency"],
                r["loadavg_end"], r["cores"]), "",
             "Wall time of one login (authenticate, acct_mgmt, open_session, close_session in "
             "one process) at each round-trip time to the fake org (a delay line, "
             "`bench/delay_line.py`), median of %d runs; round trips = slope of wall time "
             "over round-trip time." % r["runs"], "",
             "| variant | " + " | ".join("%d ms RTT" % x for x in rt["rtt_ms"])
             + " | round trips | CPU ms at 0 ms |",
             "|---|" + "---|" * (len(rt["rtt_ms"]) + 2)]
    labels = {"direct": "module, direct (`agent = no`)",
              "agent": "module through okta-sessiond (`agent = required`)",
              "floor": "single-process floor of direct (pam_permit + libcurl, 5 requests, 2 connections)",
              "permit": "pam_permit alone (no request)"}
    for v, label in labels.items():
        o = rt["variants"][v]
        lines.append("| %s | %s | %.1f | %.1f |" % (
            label, " | ".join("%.0f" % x for x in o["wall_ms"]),
            o["round_trips"] or 0, o["cpu_ms"][0]))
    pv, ag, di = mem["permit"], mem["agent"], mem["direct"]
    lines += ["", "Login process just before `pam_end` (RssAnon = private memory): "
              "pam_permit %.2f MiB, agent %.2f MiB (+%.2f), direct %.2f MiB (+%.2f); "
              "file-backed %.1f / %.1f / %.1f MiB." % (
                  pv["rss_anon_kib"] / 1024, ag["rss_anon_kib"] / 1024,
                  (ag["rss_anon_kib"] - pv["rss_anon_kib"]) / 1024, di["rss_anon_kib"] / 1024,
                  (di["rss_anon_kib"] - pv["rss_anon_kib"]) / 1024, pv["rss_file_kib"] / 1024,
                  ag["rss_file_kib"] / 1024, di["rss_file_kib"] / 1024),
              "", "okta-sessiond's CPU per login through the agent: %.2f ms (%s); by "
              "round-trip time: %s." % (
                  rt["agent_cpu_ms_per_login"] or 0, rt["agent_cpu_ticks_note"],
                  ", ".join("%.2f ms at %.0f ms" % (c, t) for c, t in
                            zip(rt.get("agent_cpu_ms_per_login_by_rtt", []), rt["rtt_ms"])))]
    c = r.get("concurrency")
    if c:
        lines += ["", "Concurrency: %d SSH-shaped logins (bench/login: the four PAM calls) "
                  "released at once through the agent, against nginx serving fixed answers "
                  "over TLS behind a %d ms delay line: %.0f ms for all (median of %d) vs "
                  "%.0f ms for one: **%.2fx**; failed %d. CPU during the %d logins: "
                  "okta-sessiond %.0f ms (%.2f ms per login), nginx %.0f ms, delay line "
                  "%.0f ms. nginx saw %d requests on %d connection(s) (%s)." % (
                      c["logins"], c["rtt_ms"], c["all_wall_ms"], c["reps"],
                      c["one_wall_ms"], c["ratio"], c["failed"], c["logins"],
                      c["agent_cpu_ms_total"], c["agent_cpu_ms_total"] / c["logins"],
                      c["nginx_cpu_ms_total"], c["delay_line_cpu_ms_total"], c["requests"],
                      c["connections"], ", ".join(c["protocols"]))]
        if "permit_all_wall_ms" in c:
            cpu = (c["logins_cpu_ms_total"] - c["permit_logins_cpu_ms_total"]
                   + c["agent_cpu_ms_total"] + c["nginx_cpu_ms_total"]
                   + c["delay_line_cpu_ms_total"])
            lines += ["", "Where the %d logins' time goes: the requests wait %d round "
                      "trips of %d ms in turn (%.0f ms); the same %d processes with pam_permit "
                      "alone, released the same way, take %.0f ms (process start, loading the "
                      "PAM stack, exit: %.0f ms of CPU in all, start included); the module's "
                      "work in the %d login processes adds %.0f ms of CPU (%.1f ms each; %.1f "
                      "ms for a login alone, start included); okta-sessiond, nginx and the "
                      "delay line %.0f ms. Each round trip releases every login at once, so "
                      "the CPU comes in bursts the waits cannot hide: the %.0f ms of CPU above "
                      "pam_permit take at least %.0f ms on %d cores, on top of the round trips "
                      "and the processes' own cost." % (
                          c["logins"], 5, c["rtt_ms"], 5 * c["rtt_ms"], c["logins"],
                          c["permit_all_wall_ms"], c["permit_logins_cpu_ms_total"], c["logins"],
                          c["logins_cpu_ms_total"] - c["permit_logins_cpu_ms_total"],
                          (c["logins_cpu_ms_total"] - c["permit_logins_cpu_ms_total"])
                          / c["logins"], c["one_login_cpu_ms"],
                          c["agent_cpu_ms_total"] + c["nginx_cpu_ms_total"]
                          + c["delay_line_cpu_ms_total"],
                          cpu, cpu / r["cores"], r["cores"])]
    lines += ["", "| target | measured | met |", "|---|---|---|"]
    for t in r["targets"]:
        lines.append("| %s | %s | %s |" % (t[0], t[1], "yes" if t[2] else "**no**"))
    return "\n".join(lines) + "\n"


def targets(r):
    rt, mem = r["round_trips"], r["memory"]
    v = rt["variants"]
    agent_rt = v["agent"]["round_trips"] or 0
    cpu_extra = v["agent"]["cpu_ms"][0] - v["permit"]["cpu_ms"][0]
    mem_extra = (mem["agent"]["rss_anon_kib"] - mem["permit"]["rss_anon_kib"]) / 1024
    rows = [
        ("round trips per login through the agent: 5", "%.1f" % agent_rt, agent_rt <= 5.5),
        ("direct stays at 9 (one process)", "%.1f" % (v["direct"]["round_trips"] or 0),
         (v["direct"]["round_trips"] or 0) <= 9.5),
        ("agent-mode PAM CPU <= 5 ms above pam_permit", "+%.1f ms" % cpu_extra,
         cpu_extra <= 5),
        ("private memory added <= 0.5 MiB", "+%.2f MiB" % mem_extra, mem_extra <= 0.5),
        ("agent CPU per login <= 2 ms", "%.2f ms" % (rt["agent_cpu_ms_per_login"] or 0),
         (rt["agent_cpu_ms_per_login"] or 0) <= 2),
    ]
    c = r.get("concurrency")
    if c:
        rows.append(("%d concurrent logins through the agent <= 1.5x one" % c["logins"],
                     "%.2fx" % c["ratio"], c["ratio"] <= 1.5 and c["failed"] == 0))
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--builddir", default=os.path.dirname(HERE))
    ap.add_argument("--login-bin", required=True)
    ap.add_argument("--measure-bin", required=True)
    ap.add_argument("--floor-bin", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--runs", type=int, default=11)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--rtts", type=lambda s: [float(x) for x in s.split(",")],
                    default=[0.0, 20.0, 80.0])
    ap.add_argument("--concurrent", type=int, default=100)
    ap.add_argument("--latency-ms", type=float, default=100)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--command", default="bench/run.sh")
    ap.add_argument("--settle", type=float, default=300,
                    help="seconds to wait at most for the load average to fall under 0.5")
    ap.add_argument("--parts", type=lambda s: set(s.split(",")),
                    default={"round-trips", "memory", "concurrency"},
                    help="which parts to run (comma-separated; default all three)")
    args = ap.parse_args()
    for name in ("login_bin", "measure_bin", "floor_bin"):
        setattr(args, name, os.path.abspath(getattr(args, name)))

    # Run right after bench.py's hundred concurrent logins, the load average
    # is theirs: let it settle, so that the one recorded says whether the
    # machine was idle (at most five minutes).
    wait_for_idle(args.settle)
    work = subprocess.run(["mktemp", "-d", "/tmp/okta-agent-bench.XXXXXX"],
                          capture_output=True, text=True, check=True).stdout.strip()
    os.chmod(work, 0o700)
    r = {"command": args.command, "runs": args.runs,
         "date": time.strftime("%Y-%m-%d %H:%M", time.gmtime()),
         "loadavg_start": os.getloadavg()[0], "cores": os.cpu_count()}
    fake = BenchOkta(os.path.join(work, "okta"))
    fake.add_user(LOGIN, PASSWORD, mfa_required=False)
    fake.start()
    nginx = None
    try:
        b = Bench(args, work)
        write(b.token_file, fake.api_token + "\n")
        if "round-trips" in args.parts:
            r["round_trips"] = b.round_trips(fake)
        if "memory" in args.parts:
            r["memory"] = b.memory_view(fake)
        r["loadavg_before_concurrency"] = os.getloadavg()[0]
        if "concurrency" in args.parts:
            nginx = start_nginx(work, fake)
        if nginx is not None:
            r["concurrency"] = b.concurrency(nginx[0], fake.ca_file, nginx[1], nginx[3])
        elif "concurrency" in args.parts:
            print("bench: nginx not found: no concurrency through the agent",
                  file=sys.stderr)
    finally:
        if nginx is not None:
            nginx[2].terminate()
            nginx[2].wait(10)
        fake.stop()
        shutil.rmtree(work, ignore_errors=True)
    r["loadavg_end"] = os.getloadavg()[0]
    if "round_trips" not in r or "memory" not in r:
        # A partial run is for trying a change, not for bench/results.
        print(json.dumps(r, indent=2, sort_keys=True))
        return 0
    r["targets"] = targets(r)
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "agent.json"), "w") as f:
        json.dump(r, f, indent=2, sort_keys=True)
        f.write("\n")
    md = markdown(r)
    with open(os.path.join(args.out, "agent.md"), "w") as f:
        f.write(md)
    print(md)
    return 0


if __name__ == "__main__":
    sys.exit(main())
