#!/usr/bin/python3
"""okta-sessiond's costs: one pass over N registered logins (requests, TLS
connections, wall time, CPU, peak memory) and what the running daemon uses
between passes.  Records are written as open_session writes them, all led
by one live process, each for its own session in the fake org.

    sudo bench/sessiond.py [--records 1000] [--out bench/results]
"""

import argparse
import json
import os
import platform
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(TOP, "tests", "fake_okta"))
sys.path.insert(0, os.path.join(TOP, "tests"))
from fake_okta import FakeOkta  # noqa: E402
from registry_records import start_time, write_record  # noqa: E402

DAEMON = os.path.join(TOP, "okta-sessiond")


def cpu_ticks(pid):
    with open("/proc/%d/stat" % pid) as f:
        stat = f.read()
    fields = stat[stat.rindex(")") + 2:].split()
    return int(fields[11]) + int(fields[12])


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", type=int, default=1000)
    ap.add_argument("--idle-seconds", type=float, default=25.0)
    ap.add_argument("--out", default=os.path.join(HERE, "results"))
    args = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("run as root (the daemon wants a root-owned configuration)")
    work = tempfile.mkdtemp(prefix="okta-bench-sessiond-")
    os.chmod(work, 0o700)
    fake = FakeOkta(os.path.join(work, "fake")).start()
    fake.set_rate_limit("sessions", 10 ** 6)
    leader = subprocess.Popen(["sleep", "3600"], start_new_session=True)
    try:
        while start_time(leader.pid) is None:
            time.sleep(0.01)
        fake.add_user("bench@example.com", "Bench-pw-1x")
        state = os.path.join(work, "state")
        os.mkdir(state, 0o700)
        for _ in range(args.records):
            sid = fake.create_session("bench@example.com")
            write_record(state, sid, "bench@example.com", leader.pid, pam_user="bench")
        conf = os.path.join(work, "pam_okta_session.conf")
        with open(conf, "w") as f:
            os.fchmod(f.fileno(), 0o600)
            f.write("org_url = %s\napi_token_file = %s\nca_file = %s\nstate_dir = %s\n"
                    "watch_interval = 10\nwatch_budget = 6000\n"
                    % (fake.url, fake.api_token_file, fake.ca_file, state))
        env = {"PATH": "/usr/bin:/bin", "LANG": "C"}

        # One pass (--once): every record checked once, as fast as the budget allows.
        fake.clear_requests()
        started = time.monotonic()
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run([DAEMON, "--once", "--config", conf], env=env, check=True)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        wall = time.monotonic() - started
        reqs = fake.requests
        once = {
            "records": args.records,
            "requests": len(reqs),
            "gets": sum(1 for r in reqs if r.method == "GET"),
            "tls_connections": len({r.conn_id for r in reqs}),
            "wall_s": round(wall, 2),
            "cpu_s": round((after.ru_utime - before.ru_utime)
                           + (after.ru_stime - before.ru_stime), 3),
            "peak_rss_kib": after.ru_maxrss,
        }
        once["cpu_ms_per_record"] = round(once["cpu_s"] * 1000 / args.records, 3)

        # Running: passes spread over the 10 s interval; CPU per pass, memory,
        # and connections kept between checks.
        fake.clear_requests()
        d = subprocess.Popen([DAEMON, "--foreground", "--config", conf], env=env)
        time.sleep(2)
        fake.clear_requests()
        t0, c0 = time.monotonic(), cpu_ticks(d.pid)
        time.sleep(20)
        t1, c1 = time.monotonic(), cpu_ticks(d.pid)
        hz = os.sysconf("SC_CLK_TCK")
        running = {
            "interval_s": 10,
            "requests_per_pass": round(sum(1 for r in fake.requests
                                           if r.method == "GET") / ((t1 - t0) / 10), 1),
            "cpu_s_per_pass": round((c1 - c0) / hz / ((t1 - t0) / 10), 3),
            "rss_kib": rss_kib(d.pid),
            "tls_connections_in_20s": len({r.conn_id for r in fake.requests}),
        }
        d.send_signal(signal.SIGTERM)
        d.wait(10)

        # Idle: nothing registered, nothing due: no CPU at all.
        for name in os.listdir(state):
            os.unlink(os.path.join(state, name))
        d = subprocess.Popen([DAEMON, "--foreground", "--config", conf], env=env)
        time.sleep(1)
        c0 = cpu_ticks(d.pid)
        time.sleep(args.idle_seconds)
        idle = {"seconds": args.idle_seconds, "cpu_ticks": cpu_ticks(d.pid) - c0,
                "rss_kib": rss_kib(d.pid)}
        d.send_signal(signal.SIGTERM)
        d.wait(10)
    finally:
        leader.kill()
        leader.wait()
        fake.stop()
        shutil.rmtree(work, ignore_errors=True)

    result = {"machine": "%s, %d CPUs, %s" % (platform.platform(), os.cpu_count(),
                                              platform.machine()),
              "load_average": os.getloadavg(), "once": once, "running": running, "idle": idle}
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "sessiond.json"), "w") as f:
        json.dump(result, f, indent=2)
    md = ["# okta-sessiond", "",
          "`sudo bench/sessiond.py --records %d` on %s (load average at the end %.2f)."
          % (args.records, result["machine"], result["load_average"][0]), "",
          "| measure | value |", "|---|---|",
          "| one pass (`--once`, budget 6000/min): records, requests | %d, %d (%d GET) |"
          % (once["records"], once["requests"], once["gets"]),
          "| TLS connections for the pass | %d |" % once["tls_connections"],
          "| wall time of the pass | %.1f s (the budget allows 100 requests a second) |"
          % once["wall_s"],
          "| CPU for the pass | %.2f s (%.2f ms per record) |"
          % (once["cpu_s"], once["cpu_ms_per_record"]),
          "| peak RSS of the pass | %.1f MiB |" % (once["peak_rss_kib"] / 1024),
          "| running, 10 s interval: GETs per pass | %.0f |" % running["requests_per_pass"],
          "| running: CPU per pass | %.3f s |" % running["cpu_s_per_pass"],
          "| running: RSS | %.1f MiB |" % (running["rss_kib"] / 1024),
          "| running: TLS connections in 20 s (two passes) | %d |"
          % running["tls_connections_in_20s"],
          "| idle (nothing registered) for %.0f s: CPU | %d ticks |"
          % (idle["seconds"], idle["cpu_ticks"]),
          "| idle: RSS | %.1f MiB |" % (idle["rss_kib"] / 1024), ""]
    with open(os.path.join(args.out, "sessiond.md"), "w") as f:
        f.write("\n".join(md))
    print("\n".join(md))


if __name__ == "__main__":
    main()
