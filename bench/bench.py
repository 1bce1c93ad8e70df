#!/usr/bin/env python3
"""Login cost of pam_okta_session, side by side with the floor and with the
pam_exec script admins write instead.  Run it through bench/run.sh.

Variants, all against one BenchOkta (bench/server.py) in this process:
  module  bench/login through a service stacking the built module
  floor   bench/login through pam_permit.so, then one curl process making
          authn + create + get + refresh on one connection (--next), then a
          second curl process for the DELETE: the module's connection
          pattern (DESIGN 6) done by the cheapest separate tools
  exec    bench/login through pam_exec.so running bench/pam_exec_login.sh
          (one curl per request)
Each process is started with posix_spawn and reaped with wait4, whose
rusage covers it and every descendant it waited for: CPU (user + sys) and
peak RSS come from there, wall time from a monotonic clock around both.
Runs are interleaved (module, floor, exec, module, ...) so background load
on the machine falls on every variant alike.
"""

import argparse
import json
import os
import platform
import shlex
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from server import BenchOkta, SESSION_ID, SESSION_TOKEN  # noqa: E402

USER = "nobody"                 # exists on every Debian system
LOGIN_SUFFIX = "@example.com"   # login_format = %u@example.com
PASSWORD = "bench-Passw0rd"
SYSTEM_DIR = "/etc/ssl/certs"
SYSTEM_BUNDLE = SYSTEM_DIR + "/ca-certificates.crt"
ENV = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C"}


def write(path, text, mode=0o600):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, mode)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.chmod(path, mode)



def registry_arg(name, work):
    """The module's registry of logins goes to the work directory, never the
    machine's, and its requests straight to the fake org, never through a
    daemon the machine may run (the agent has its own benchmark,
    agent_bench.py); the baseline (an older build) knows neither key."""
    return " state_dir=%s/state agent=no" % work if name == "module" else ""

class Setup:
    """Files every variant needs, in a root-only work directory."""

    def __init__(self, work, fake, module, login_bin, measure_bin, baseline=None,
                 floor_bin=None):
        self.work = work
        self.login_bin = login_bin
        self.measure_bin = measure_bin
        self.confdir = os.path.join(work, "pam.d")
        os.mkdir(self.confdir, 0o755)
        self.curl = shutil.which("curl", path=ENV["PATH"])
        sed = shutil.which("sed", path=ENV["PATH"])
        token_file = os.path.join(work, "api_token")
        write(token_file, fake.api_token + "\n")
        self.password_file = os.path.join(work, "password")
        write(self.password_file, PASSWORD + "\n")
        headers = os.path.join(work, "headers")
        write(headers, "Accept: application/json\nContent-Type: application/json\n"
                       "Authorization: SSWS %s\n" % fake.api_token)

        # Two trust configurations, the same for the module and for curl:
        # the fake org's CA alone, and a bundle the size of the system
        # store (Debian's ca-certificates.crt plus the fake's CA), which is
        # what a production host without ca_file parses.
        self.cas = {"": fake.ca_file}
        if os.path.exists(SYSTEM_BUNDLE):
            bundle = os.path.join(work, "bundle.pem")
            with open(SYSTEM_BUNDLE) as a, open(fake.ca_file) as b:
                write(bundle, a.read() + b.read(), 0o644)
            self.cas["_bundle"] = bundle
        for suffix, ca in self.cas.items():
            conf = os.path.join(work, "pam_okta_session%s.conf" % suffix)
            write(conf, "org_url = %s\napi_token_file = %s\nca_file = %s\n"
                        "login_format = %%u%s\n" % (fake.url, token_file, ca, LOGIN_SUFFIX))
            # The module is named by path (it is not installed); a baseline
            # is another build of it, measured in the same run.
            for name, so in (("module", module), ("baseline", baseline)):
                if so is not None:
                    write(os.path.join(self.confdir, name + suffix),
                          "".join("%s required %s config=%s%s\n" % (kind, so, conf,
                                                                    registry_arg(name, work))
                                  for kind in ("auth", "account", "session")), 0o644)
        self.system_certs = self.make_system_store(work, fake.ca_file)
        if self.system_certs is not None:
            conf = os.path.join(work, "pam_okta_session_system.conf")
            write(conf, "org_url = %s\napi_token_file = %s\nlogin_format = %%u%s\n"
                  % (fake.url, token_file, LOGIN_SUFFIX))
            for name, so in (("module", module), ("baseline", baseline)):
                if so is not None:
                    write(os.path.join(self.confdir, name + "_system"),
                          "".join("%s required %s config=%s%s\n" % (kind, so, conf,
                                                                    registry_arg(name, work))
                                  for kind in ("auth", "account", "session")), 0o644)
        write(os.path.join(self.confdir, "permit"),
              "".join("%s required pam_permit.so\n" % kind
                      for kind in ("auth", "account", "session")), 0o644)

        script_dir = os.path.join(work, "exec")
        os.mkdir(script_dir, 0o700)
        script = os.path.join(script_dir, "okta-login.sh")
        shutil.copyfile(os.path.join(HERE, "pam_exec_login.sh"), script)
        os.chmod(script, 0o700)
        state = os.path.join(work, "state")
        os.mkdir(state, 0o700)
        write(os.path.join(script_dir, "okta-script.env"),
              "ORG_URL=%s\nCA_FILE=%s\nHEADERS=%s\nSTATE_DIR=%s\nCURL=%s\nSED=%s\n"
              "LOGIN_SUFFIX=%s\n" % (fake.url, fake.ca_file, headers, state, self.curl, sed,
                                     LOGIN_SUFFIX))
        write(os.path.join(self.confdir, "exec"),
              "auth required pam_exec.so quiet expose_authtok %s\n"
              "account required pam_exec.so quiet %s\n"
              "session required pam_exec.so quiet %s\n" % (script, script, script), 0o644)

        # The floor's two curl processes, with the module's requests,
        # headers, CA file and protocol limits.  Secrets stay in files.
        authn_body = os.path.join(work, "authn.json")
        write(authn_body, json.dumps({"username": USER + LOGIN_SUFFIX, "password": PASSWORD}))
        create_body = os.path.join(work, "create.json")
        write(create_body, json.dumps({"sessionToken": SESSION_TOKEN}))
        base = fake.url + "/api/v1/sessions"
        ops = [
            'url = "%s/api/v1/authn"\ndata-binary = "@%s"\n' % (fake.url, authn_body),
            'url = "%s"\ndata-binary = "@%s"\n' % (base, create_body),
            'url = "%s/%s"\n' % (base, SESSION_ID),
            'url = "%s/%s/lifecycle/refresh"\ndata-binary = ""\n' % (base, SESSION_ID),
        ]
        login = [login_bin, self.confdir, "%s", USER, self.password_file]
        self.commands = {"exec": [[a.replace("%s", "exec") for a in login]]}
        for suffix, ca in self.cas.items():
            common = ("proto = \"=https\"\ntlsv1.2\ncacert = \"%s\"\nnoproxy = \"*\"\n"
                      "connect-timeout = 3\nmax-time = 10\nsilent\nshow-error\nfail\n"
                      "header = \"@%s\"\noutput = \"/dev/null\"\n" % (ca, headers))
            opening = os.path.join(work, "floor-open%s.curlrc" % suffix)
            write(opening, "next\n".join(common + op for op in ops))
            closing = os.path.join(work, "floor-close%s.curlrc" % suffix)
            write(closing, common + 'url = "%s/%s"\nrequest = DELETE\n' % (base, SESSION_ID))
            self.commands["module" + suffix] = [[a.replace("%s", "module" + suffix)
                                                 for a in login]]
            if baseline is not None:
                self.commands["baseline" + suffix] = [[a.replace("%s", "baseline" + suffix)
                                                       for a in login]]
            self.commands["floor" + suffix] = [[a.replace("%s", "permit") for a in login],
                                               [self.curl, "--config", opening],
                                               [self.curl, "--config", closing]]
            if floor_bin is not None:
                # The same work in one process: the floor to compare with.
                self.commands["floor1" + suffix] = [[
                    floor_bin, self.confdir, "permit", USER, fake.url, ca, token_file,
                    self.password_file, SESSION_TOKEN, SESSION_ID]]
        if self.system_certs is not None:
            # No CA option at all: the module's and curl's defaults, in a
            # private mount namespace whose /etc/ssl/certs also holds the
            # fake's CA (the host's trust store is not touched).
            common = ("proto = \"=https\"\ntlsv1.2\nnoproxy = \"*\"\n"
                      "connect-timeout = 3\nmax-time = 10\nsilent\nshow-error\nfail\n"
                      "header = \"@%s\"\noutput = \"/dev/null\"\n" % headers)
            opening = os.path.join(work, "floor-open_system.curlrc")
            write(opening, "next\n".join(common + op for op in ops))
            closing = os.path.join(work, "floor-close_system.curlrc")
            write(closing, common + 'url = "%s/%s"\nrequest = DELETE\n' % (base, SESSION_ID))
            self.commands["module_system"] = [self.in_system_store(
                [[a.replace("%s", "module_system") for a in login]])]
            if baseline is not None:
                self.commands["baseline_system"] = [self.in_system_store(
                    [[a.replace("%s", "baseline_system") for a in login]])]
            self.commands["floor_system"] = [self.in_system_store(
                [[a.replace("%s", "permit") for a in login],
                 [self.curl, "--config", opening], [self.curl, "--config", closing]])]
        self.errlog = os.path.join(work, "stderr.log")

    @staticmethod
    def make_system_store(work, fake_ca):
        """A copy of /etc/ssl/certs plus the fake's CA, rehashed; None if
        this machine cannot run it in a private mount namespace."""
        unshare = shutil.which("unshare", path=ENV["PATH"])
        if unshare is None or not os.path.isdir(SYSTEM_DIR) or shutil.which("openssl") is None:
            return None
        certs = os.path.join(work, "certs")
        shutil.copytree(SYSTEM_DIR, certs, symlinks=True)
        shutil.copyfile(fake_ca, os.path.join(certs, "okta-bench-fake-ca.pem"))
        subprocess.run(["openssl", "rehash", certs], check=True, capture_output=True)
        probe = subprocess.run([unshare, "-m", "/bin/sh", "-c",
                                'mount --bind "$0" %s' % SYSTEM_DIR, certs],
                               capture_output=True, check=False)
        return certs if probe.returncode == 0 else None

    def in_system_store(self, commands):
        """("inner", argv): one command running COMMANDS in turn, each under
        bench/measure, with the copy mounted on /etc/ssl/certs (unshare -m:
        the mount stays private).  Only the inner measurements count: the
        wrapper's own processes (unshare, sh, mount) are not the login's."""
        script = 'mount --bind "$0" %s && %s' % (SYSTEM_DIR, " && ".join(
            " ".join(shlex.quote(a) for a in [self.measure_bin] + cmd) for cmd in commands))
        return ("inner", [shutil.which("unshare", path=ENV["PATH"]), "-m", "/bin/sh", "-c",
                          script, self.system_certs])

    def memory(self, service):
        """(RssAnon, RssFile) KiB of bench/login just before pam_end."""
        out = subprocess.run([self.login_bin, "--memory", self.confdir, service, USER,
                              self.password_file], env=ENV, capture_output=True, text=True,
                             check=True).stdout.split()
        return int(out[0]), int(out[1])

    def spawn(self, argv, extra_actions=()):
        actions = [(os.POSIX_SPAWN_OPEN, 0, "/dev/null", os.O_RDONLY, 0),
                   (os.POSIX_SPAWN_OPEN, 1, "/dev/null", os.O_WRONLY, 0),
                   (os.POSIX_SPAWN_OPEN, 2, self.errlog,
                    os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)]
        actions.extend(extra_actions)
        return os.posix_spawn(argv[0], argv, ENV, file_actions=actions)

    def run(self, argv):
        """One process, through bench/measure: (wall s, cpu s, maxrss KiB).
        ("inner", argv) runs argv as it is and sums the bench/measure lines
        it prints (the system store's wrapper)."""
        inner = isinstance(argv, tuple)
        if inner:
            argv = argv[1]
        r, w = os.pipe()
        pid = self.spawn(argv if inner else [self.measure_bin] + argv,
                         [(os.POSIX_SPAWN_DUP2, w, 1)])
        os.close(w)
        with os.fdopen(r) as f:
            lines = f.read().splitlines()
        _, status = os.waitpid(pid, 0)
        try:
            rows = [[int(x) for x in line.split()] for line in lines]
            if not rows or any(len(row) != 4 for row in rows):
                raise ValueError
            wall_ns = sum(row[0] for row in rows)
            cpu_us = sum(row[1] for row in rows)
            rss = max(row[2] for row in rows)
            code = max(abs(row[3]) for row in rows)
        except ValueError:
            wall_ns, cpu_us, rss, code = 0, 0, 0, -1
        if status != 0 or code != 0:
            raise RuntimeError("%s exited %d; see %s:\n%s" % (
                " ".join(argv), code, self.errlog, open(self.errlog).read()[-2000:]))
        return wall_ns / 1e9, cpu_us / 1e6, rss


class Sample:
    def __init__(self):
        self.wall, self.cpu, self.rss = [], [], []
        self.requests, self.connections, self.handshakes, self.resumed = [], [], [], []
        self.methods = None
        self.delete_resumed = []

    def add(self, wall, cpu, rss):
        self.wall.append(wall)
        self.cpu.append(cpu)
        self.rss.append(rss)

    def add_counts(self, fake):
        bad = [r for r in fake.requests if r.status is None or not 200 <= r.status < 300]
        if bad:
            raise RuntimeError("the server answered %r" % bad[:3])
        n, conns, hs, resumed = fake.counts()
        self.requests.append(n)
        self.connections.append(conns)
        self.handshakes.append(hs)
        self.resumed.append(resumed)
        self.methods = fake.requests_by_method()
        self.delete_resumed.append(fake.delete_resumed())

    def summary(self):
        def stats(xs, scale=1.0):
            return {"median": statistics.median(xs) * scale, "min": min(xs) * scale,
                    "max": max(xs) * scale}
        out = {"runs": len(self.wall), "wall_ms": stats(self.wall, 1000),
               "cpu_ms": stats(self.cpu, 1000), "maxrss_kib": stats(self.rss)}
        if self.requests:
            out.update({"requests_per_login": stats(self.requests),
                        "connections_per_login": stats(self.connections),
                        "tls_handshakes_per_login": stats(self.handshakes),
                        "tls_resumed_per_login": stats(self.resumed),
                        "close_session_resumed": stats(self.delete_resumed),
                        "requests": self.methods})
        return out


def measure(setup, fake, runs, warmup):
    """Every variant RUNS times (after WARMUP), interleaved; a floor variant
    sums its three processes (pam_permit app, curl, curl)."""
    variants = [v for v in ("module", "floor1", "floor", "exec", "module_bundle",
                            "floor1_bundle", "floor_bundle",
                            "module_system", "floor_system", "baseline", "baseline_bundle",
                            "baseline_system")
                if v in setup.commands]
    samples = {k: Sample() for k in variants + ["permit", "curl"]}
    for i in range(warmup + runs):
        for variant in variants:
            fake.reset_counts()
            parts = [setup.run(a) for a in setup.commands[variant]]
            if i < warmup:
                continue
            samples[variant].add(sum(p[0] for p in parts), sum(p[1] for p in parts),
                                 max(p[2] for p in parts))
            samples[variant].add_counts(fake)
            if variant == "floor":
                samples["permit"].add(*parts[0])
                samples["curl"].add(sum(p[0] for p in parts[1:]), sum(p[1] for p in parts[1:]),
                                    max(p[2] for p in parts[1:]))
    return {k: v.summary() for k, v in samples.items()}


def concurrency(setup, fake, n, latency, reps):
    """Time for N logins released at once vs one alone, LATENCY s per request;
    the module's logins, then the floor's (each a shell running its three
    processes in turn) for comparison."""
    module_argv = setup.commands["module"][0] + ["3"]
    floor_argv = ["/bin/sh", "-c", "read _ <&3; exec 3<&-; " + " && ".join(
        " ".join(shlex.quote(a) for a in cmd) for cmd in setup.commands["floor"])]

    def batch(count, argv):
        r, w = os.pipe()
        pids = [setup.spawn(argv, [(os.POSIX_SPAWN_DUP2, r, 3)]) for _ in range(count)]
        os.close(r)
        time.sleep(0.3 + count * 0.005)     # let every process reach the gate
        fake.reset_counts()
        t0 = time.perf_counter()
        server0 = time.process_time()       # this process: the server's threads
        os.close(w)
        failures = 0
        cpu = 0.0
        for pid in pids:
            _, status, ru = os.wait4(pid, 0)
            cpu += ru.ru_utime + ru.ru_stime
            failures += os.waitstatus_to_exitcode(status) != 0
        wall = time.perf_counter() - t0
        server = time.process_time() - server0
        reqs, conns, hs, _ = fake.counts()
        if failures:
            # Reported, not fatal: on a small loaded machine the server can
            # take longer than connect_timeout (3 s) to answer a handshake.
            print("bench: %d of %d concurrent logins failed (%s):\n%s" % (
                failures, count, argv[0], open(setup.errlog).read()[-600:]), file=sys.stderr)
        return wall, cpu, reqs, hs, server, failures

    fake.latency = latency
    try:
        one = [batch(1, module_argv) for _ in range(reps)]
        many = [batch(n, module_argv) for _ in range(reps)]
        floor_one = [batch(1, floor_argv) for _ in range(reps)]
        floor_many = [batch(n, floor_argv) for _ in range(reps)]
    finally:
        fake.latency = 0.0
    one_ms = statistics.median(x[0] for x in one) * 1000
    many_ms = statistics.median(x[0] for x in many) * 1000
    client_cpu_ms = statistics.median(x[1] for x in many) * 1000
    server_cpu_ms = statistics.median(x[4] for x in many) * 1000
    cores = os.cpu_count() or 1
    # However well the logins overlap their waits, all of them cannot end
    # before the machine has done their CPU work and the server's: N times
    # what one uncontended login and its requests cost (CPU measured under
    # contention is inflated by the contention itself).
    one_cpu_ms = statistics.median(x[1] + x[4] for x in one) * 1000
    bound_ms = max(one_ms, n * one_cpu_ms / cores)
    floor_one_ms = statistics.median(x[0] for x in floor_one) * 1000
    floor_many_ms = statistics.median(x[0] for x in floor_many) * 1000
    return {"logins": n, "latency_ms": latency * 1000, "reps": reps,
            "one_wall_ms": one_ms, "all_wall_ms": many_ms,
            "all_wall_ms_runs": [x[0] * 1000 for x in many],
            "client_cpu_ms_total": client_cpu_ms, "server_cpu_ms_total": server_cpu_ms,
            "cpu_ms_per_login": client_cpu_ms / n, "cores": cores,
            "cpu_bound_ms": bound_ms, "cpu_bound_ratio": bound_ms / one_ms,
            "one_login_cpu_ms": one_cpu_ms,
            "requests": many[-1][2], "tls_handshakes": many[-1][3],
            "ratio": many_ms / one_ms,
            "floor_one_wall_ms": floor_one_ms, "floor_all_wall_ms": floor_many_ms,
            "floor_ratio": floor_many_ms / floor_one_ms,
            "failed": sum(x[5] for x in one + many),
            "floor_failed": sum(x[5] for x in floor_one + floor_many),
            "floor_client_cpu_ms_total": statistics.median(x[1] for x in floor_many) * 1000,
            "floor_server_cpu_ms_total": statistics.median(x[4] for x in floor_many) * 1000}


def machine():
    def cmd(*argv):
        try:
            return subprocess.run(argv, capture_output=True, text=True,
                                  check=False).stdout.strip()
        except OSError:
            return ""
    cpu = ""
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    try:
        debian = open("/etc/debian_version").read().strip()
    except OSError:
        debian = ""
    return {"cpu": cpu, "cores": os.cpu_count(), "kernel": platform.release(),
            "debian": debian, "curl": cmd("curl", "--version").splitlines()[0],
            "openssl": cmd("openssl", "version"),
            "libpam": cmd("dpkg-query", "-W", "-f=${Version}", "libpam0g"),
            "python": platform.python_version(),
            "loadavg_start": os.getloadavg()[0]}


def targets(r):
    m, p, e, c = r["module"], r["permit"], r["exec"], r["concurrency"]
    # The floor is the same work in one process (bench/floor) where built;
    # the three-process floor (pam_permit app + 2 curl) is shown beside it.
    f = r.get("floor1", r["floor"])
    med = lambda s, k: s[k]["median"]   # noqa: E731
    rss_extra = med(m, "maxrss_kib") - med(p, "maxrss_kib")
    anon_extra = r["memory"]["module"]["rss_anon_kib"] - r["memory"]["permit"]["rss_anon_kib"]
    rows = [
        ("requests per login = floor", "%d vs %d" % (med(m, "requests_per_login"),
                                                     med(f, "requests_per_login")),
         m["requests_per_login"]["max"] == f["requests_per_login"]["max"]
         and m["requests_per_login"]["min"] == f["requests_per_login"]["min"]),
        ("2 TLS connections per login, close_session's not resumed",
         "%d (%d resumed, close_session's %s)" % (
             med(m, "tls_handshakes_per_login"), m["tls_resumed_per_login"]["max"],
             "resumed" if m["close_session_resumed"]["max"] else "not resumed"),
         m["tls_handshakes_per_login"]["max"] == 2 and m["tls_handshakes_per_login"]["min"] == 2
         and m["close_session_resumed"]["max"] == 0),
        ("wall <= 1.0x floor", "%.2fx" % (med(m, "wall_ms") / med(f, "wall_ms")),
         med(m, "wall_ms") <= med(f, "wall_ms")),
        ("CPU <= 1.0x floor", "%.2fx" % (med(m, "cpu_ms") / med(f, "cpu_ms")),
         med(m, "cpu_ms") <= med(f, "cpu_ms")),
    ]
    if "module_bundle" in r:
        mb, fb = r["module_bundle"], r.get("floor1_bundle", r["floor_bundle"])
        rows += [
            ("wall <= 1.0x floor, system-size CA bundle",
             "%.2fx" % (med(mb, "wall_ms") / med(fb, "wall_ms")),
             med(mb, "wall_ms") <= med(fb, "wall_ms")),
            ("CPU <= 1.0x floor, system-size CA bundle",
             "%.2fx" % (med(mb, "cpu_ms") / med(fb, "cpu_ms")),
             med(mb, "cpu_ms") <= med(fb, "cpu_ms")),
        ]
    if "module_system" in r:
        ms, fs = r["module_system"], r["floor_system"]
        rows += [
            ("wall <= 1.0x floor, system store",
             "%.2fx" % (med(ms, "wall_ms") / med(fs, "wall_ms")),
             med(ms, "wall_ms") <= med(fs, "wall_ms")),
            ("CPU <= 1.0x floor, system store",
             "%.2fx" % (med(ms, "cpu_ms") / med(fs, "cpu_ms")),
             med(ms, "cpu_ms") <= med(fs, "cpu_ms")),
        ]
    rows += [
        (">= 3x faster than pam_exec script (wall)",
         "%.1fx" % (med(e, "wall_ms") / med(m, "wall_ms")),
         med(e, "wall_ms") >= 3 * med(m, "wall_ms")),
        ("peak RSS <= 6 MiB above pam_permit",
         "+%.1f MiB (of which anonymous +%.1f MiB; the rest is shared library pages)"
         % (rss_extra / 1024, anon_extra / 1024), rss_extra <= 6 * 1024),
        ("%d concurrent logins <= 1.5x one" % c["logins"],
         "%.2fx (CPU work alone on %d cores: %.2fx; floor: %.2fx)" % (
             c["ratio"], c["cores"], c["cpu_bound_ratio"], c["floor_ratio"]),
         c["ratio"] <= 1.5 and c["failed"] == 0),
    ]
    return [{"target": t, "measured": v, "met": bool(ok)} for t, v, ok in rows]


def markdown(r):
    mc = r["machine"]
    lines = ["# pam_okta_session login benchmark", "",
             "Produced by `%s` on %s UTC." % (r["command"], r["date"]), "",
             "Machine: %s, %d cores, Linux %s, Debian %s; %s; %s; libpam %s. "
             "Load average at start %.2f, before the concurrency test %.2f (which raises it "
             "itself), at end %.2f." % (
                 mc["cpu"], mc["cores"], mc["kernel"], mc["debian"], mc["curl"],
                 mc["openssl"], mc["libpam"], mc["loadavg_start"],
                 mc.get("loadavg_before_concurrency", mc["loadavg_end"]), mc["loadavg_end"]), "",
             "One login = `pam_authenticate`, `pam_acct_mgmt`, `pam_open_session`, "
             "`pam_close_session` in one process (`bench/login`) against the fake org in "
             "benchmark mode (`bench/server.py`, answers at once). %d runs each, interleaved, "
             "after %d warm-up runs. CPU = user + sys of the process and its children "
             "(wait4); RSS = peak resident set of the largest process. Requests and TLS "
             "handshakes are counted by the server." % (r["runs"], r["warmup"]), "",
             "| variant | wall ms median (min-max) | CPU ms median (min-max) | peak RSS MiB "
             "| requests/login | TLS connections/login |",
             "|---|---|---|---|---|---|"]
    names = [("module", "module (`pam_okta_session.so`)"),
             ("floor1", "**floor** = one process: pam_permit + libcurl, the module's 5 requests "
                        "on its 2 connections (`bench/floor`)"),
             ("floor1_bundle", "**floor**, one process, system-size CA bundle"),
             ("floor", "multi-process floor = pam_permit app + curl + curl (3 processes)"),
             ("permit", "&nbsp;&nbsp;of which: pam_permit app"),
             ("curl", "&nbsp;&nbsp;of which: curl --next + curl DELETE"),
             ("exec", "pam_exec + script of 5 curl calls"),
             ("module_bundle", "module, system-size CA bundle"),
             ("floor_bundle", "multi-process floor, system-size CA bundle"),
             ("module_system", "module, system store (no `ca_file`)"),
             ("floor_system", "multi-process floor, system store (curl's defaults)"),
             ("baseline", "baseline module (`--baseline`)"),
             ("baseline_bundle", "baseline module, system-size CA bundle"),
             ("baseline_system", "baseline module, system store")]
    for key, label in names:
        if key not in r:
            continue
        s = r[key]

        def mmm(k, s=s):
            return "%.1f (%.1f-%.1f)" % (s[k]["median"], s[k]["min"], s[k]["max"])
        reqs = ("%d" % s["requests_per_login"]["median"]) if "requests_per_login" in s else ""
        tls = ("%d" % s["tls_handshakes_per_login"]["median"]) \
            if "tls_handshakes_per_login" in s else ""
        lines.append("| %s | %s | %s | %.1f | %s | %s |" % (
            label, mmm("wall_ms"), mmm("cpu_ms"), s["maxrss_kib"]["median"] / 1024, reqs, tls))
    mem = r["memory"]
    c = r["concurrency"]
    for key, label in (("baseline", "its CA file"), ("baseline_bundle", "the bundle"),
                       ("baseline_system", "the system store")):
        if key in r:
            now, then = r["module" + key[len("baseline"):]], r[key]
            lines += ["", "This build against the baseline, with %s: wall %.2fx, CPU %.2fx "
                      "(medians %.1f vs %.1f ms, %.1f vs %.1f ms)." % (
                          label, now["wall_ms"]["median"] / then["wall_ms"]["median"],
                          now["cpu_ms"]["median"] / then["cpu_ms"]["median"],
                          now["wall_ms"]["median"], then["wall_ms"]["median"],
                          now["cpu_ms"]["median"], then["cpu_ms"]["median"])]
    lines += ["", "The system-size bundle is Debian's `ca-certificates.crt` (what a host "
              "without `ca_file` parses) plus the fake's CA, given to the module as `ca_file` "
              "and to curl as `--cacert`. The system store rows give neither a CA option: "
              "each runs in a private mount namespace (`unshare -m`) whose `/etc/ssl/certs` "
              "is a copy of the host's plus the fake's CA; only the login's own processes "
              "are measured (bench/measure inside the namespace), not the wrapper's.", "",
              "Resident memory just before `pam_end`: module %.1f MiB anonymous + %.1f MiB "
              "file-backed (shared library pages, shared with every other process using "
              "libcurl and OpenSSL); pam_permit %.1f + %.1f MiB." % (
                  mem["module"]["rss_anon_kib"] / 1024, mem["module"]["rss_file_kib"] / 1024,
                  mem["permit"]["rss_anon_kib"] / 1024, mem["permit"]["rss_file_kib"] / 1024),
              "",
              "Concurrency: %d module logins released at once, the server adding %d ms "
              "to every request: %.0f ms for all (median of %d) vs %.0f ms for one alone: "
              "**%.2fx**. The logins used %.0f ms of CPU (%.1f ms each) and the server %.0f ms; "
              "one uncontended login costs %.1f ms of CPU with its server's share, so on %d "
              "cores the %d logins' CPU work alone takes %.0f ms (%.2fx one login). The server "
              "saw %d requests on %d TLS connections. The floor under the same load: %.0f ms "
              "for all vs %.0f ms for one, %.2fx (%.0f ms of client CPU, server %.0f ms). "
              "Failed logins: module %d, floor %d (of %d each)." % (
                  c["logins"], c["latency_ms"], c["all_wall_ms"], c["reps"], c["one_wall_ms"],
                  c["ratio"], c["client_cpu_ms_total"], c["cpu_ms_per_login"],
                  c["server_cpu_ms_total"], c["one_login_cpu_ms"], c["cores"], c["logins"],
                  c["cpu_bound_ms"],
                  c["cpu_bound_ratio"], c["requests"], c["tls_handshakes"],
                  c["floor_all_wall_ms"], c["floor_one_wall_ms"], c["floor_ratio"],
                  c["floor_client_cpu_ms_total"], c["floor_server_cpu_ms_total"],
                  c["failed"], c["floor_failed"], (c["logins"] + 1) * c["reps"]), "",
              "| target | measured | met |", "|---|---|---|"]
    for t in r["targets"]:
        lines.append("| %s | %s | %s |" % (t["target"], t["measured"],
                                            "yes" if t["met"] else "**no**"))
    lines += ["", "![wall and CPU per login](login.png)", ""]
    return "\n".join(lines)


def plot(r, out):
    gnuplot = shutil.which("gnuplot")
    if gnuplot is None:
        print("bench: gnuplot not found, no plot", file=sys.stderr)
        return
    data = os.path.join(out, "login.dat")
    with open(data, "w") as f:
        f.write("# variant wall_median wall_min wall_max cpu_median cpu_min cpu_max\n")
        for key, label in (("module", "module"), ("floor", "floor"), ("exec", "pam\\\\_exec"),
                           ("module_bundle", "module\\nCA bundle"),
                           ("floor_bundle", "floor\\nCA bundle"),
                           ("module_system", "module\\nsystem store"),
                           ("floor_system", "floor\\nsystem store")):
            if key not in r:
                continue
            s = r[key]
            f.write('"%s" %.3f %.3f %.3f %.3f %.3f %.3f\n' % (
                label, s["wall_ms"]["median"], s["wall_ms"]["min"], s["wall_ms"]["max"],
                s["cpu_ms"]["median"], s["cpu_ms"]["min"], s["cpu_ms"]["max"]))
    subprocess.run([gnuplot, "-e", "datafile='%s'; outfile='%s'" % (
        data, os.path.join(out, "login.png")), os.path.join(HERE, "plot.gp")], check=True)
    os.unlink(data)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--builddir", default=os.path.dirname(HERE))
    ap.add_argument("--login-bin", required=True)
    ap.add_argument("--measure-bin", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--runs", type=int, default=21)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--concurrent", type=int, default=100)
    ap.add_argument("--latency-ms", type=float, default=100)
    ap.add_argument("--reps", type=int, default=3, help="concurrency repetitions")
    ap.add_argument("--command", default="bench/run.sh")
    ap.add_argument("--floor-bin", help="bench/floor (the single-process floor)")
    ap.add_argument("--baseline", metavar="SO",
                    help="another build of pam_okta_session.so to measure alongside")
    args = ap.parse_args()

    module = os.path.join(os.path.abspath(args.builddir), ".libs", "pam_okta_session.so")
    work = subprocess.run(["mktemp", "-d", "/tmp/okta-bench.XXXXXX"], capture_output=True,
                          text=True, check=True).stdout.strip()
    os.chmod(work, 0o700)
    if args.baseline:
        args.command += " --baseline " + args.baseline
    results = {"command": args.command, "runs": args.runs, "warmup": args.warmup,
               "date": time.strftime("%Y-%m-%d %H:%M", time.gmtime()), "machine": machine()}
    fake = BenchOkta(os.path.join(work, "okta"))
    fake.add_user(USER + LOGIN_SUFFIX, PASSWORD, mfa_required=False)
    fake.start()
    try:
        setup = Setup(work, fake, module, os.path.abspath(args.login_bin),
                      os.path.abspath(args.measure_bin),
                      os.path.abspath(args.baseline) if args.baseline else None,
                      os.path.abspath(args.floor_bin) if args.floor_bin else None)
        results.update(measure(setup, fake, args.runs, args.warmup))
        # The concurrency test's hundred processes raise the load average
        # themselves: whether something else ran shows before it.
        results["machine"]["loadavg_before_concurrency"] = os.getloadavg()[0]
        results["memory"] = {k: dict(zip(("rss_anon_kib", "rss_file_kib"), setup.memory(k)))
                             for k in ("module", "permit")}
        results["concurrency"] = concurrency(setup, fake, args.concurrent,
                                             args.latency_ms / 1000, args.reps)
    finally:
        fake.stop()
        shutil.rmtree(work, ignore_errors=True)
    results["machine"]["loadavg_end"] = os.getloadavg()[0]
    if results["machine"]["loadavg_before_concurrency"] > results["machine"]["loadavg_start"] + 0.5:
        print("bench: the load average rose during the run (%.2f -> %.2f): something else "
              "ran; rerun on an idle machine" % (
                  results["machine"]["loadavg_start"],
                  results["machine"]["loadavg_before_concurrency"]), file=sys.stderr)
    results["targets"] = targets(results)
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "results.json"), "w") as f:
        json.dump(results, f, indent=2, sort_keys=True)
        f.write("\n")
    md = markdown(results)
    with open(os.path.join(args.out, "results.md"), "w") as f:
        f.write(md)
    plot(results, args.out)
    print(md)
    return 0


if __name__ == "__main__":
    sys.exit(main())
