#!/usr/bin/env python3
"""A real SSH login at 0, 20 and 80 ms of round-trip time to the fake org:
Debian's sshd with examples/pam.d/sshd and examples/sshd_config (keyboard-
interactive), the real ssh client, timed from its start to its exit
(`ssh user true`), for

  permit  the sshd service with pam_permit.so instead of the module
  direct  the example service, agent = no
  agent   the example service, agent = required, the built okta-sessiond

The setup is the e2e tests' (tests/e2e/e2e.py: private mount, network and
pid namespaces, a private /etc), so it runs through bench/run.sh, which
starts it the way tests/e2e/run.sh starts the tests.  The delay line
(bench/delay_line.py) sits between the module (or the daemon) and the fake
org; ssh reaches sshd over loopback without delay.  Round trips per login
are the slope of wall time over round-trip time.
"""

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRCDIR = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(SRCDIR, "tests", "e2e"))
sys.path.insert(0, HERE)
from e2e import BUILDDIR, CONFIG_PATH, USERS, Sshd, private_system  # noqa: E402
from agent_bench import DelayLine, slope  # noqa: E402

SOCKET = "/run/pam_okta_session/agent.sock"
USER = "e2e-alice"
PERMIT = "".join("%s required pam_permit.so\n" % k
                 for k in ("auth", "account", "session"))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--runs", type=int, default=11)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--rtts", type=lambda s: [float(x) for x in s.split(",")],
                    default=[0.0, 20.0, 80.0])
    ap.add_argument("--command", default="bench/run.sh")
    ap.add_argument("--settle", type=float, default=300,
                    help="seconds to wait at most for the load average to fall under 0.5")
    args = ap.parse_args()

    # After the other parts' hundred concurrent logins the load average is
    # theirs: let it settle (at most five minutes) so that it says whether
    # the machine was otherwise idle.
    deadline = time.monotonic() + args.settle
    while os.getloadavg()[0] >= 0.5 and time.monotonic() < deadline:
        time.sleep(5)
    loadavg_start = os.getloadavg()[0]
    system = private_system()
    fake = system.fake
    sshd = Sshd(system).start()
    password = USERS[USER][1]
    variants = ("permit", "direct", "agent")
    walls = {v: [] for v in variants}
    requests = {v: [] for v in variants}
    try:
        for rtt in args.rtts:
            line = DelayLine(fake.port, rtt)
            url = "https://127.0.0.1:%d" % line.port
            system.write_config(org_url=url, agent="required", agent_socket=SOCKET,
                                watch_interval=3600)
            daemon = subprocess.Popen([os.path.join(BUILDDIR, "okta-sessiond"), "--foreground",
                                       "--config", CONFIG_PATH],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            deadline = time.monotonic() + 10
            while not os.path.exists(SOCKET):
                if daemon.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("okta-sessiond: %r" % daemon.stderr.read())
                time.sleep(0.01)
            samples = {v: [] for v in variants}
            try:
                for i in range(args.warmup + args.runs):
                    for v in variants:
                        if v == "permit":
                            system.install_example_service("sshd", PERMIT)
                        else:
                            system.install_example_service("sshd")
                            system.write_config(org_url=url, agent="no" if v == "direct"
                                                else "required", agent_socket=SOCKET,
                                                watch_interval=3600)
                        fake.clear_requests()
                        r = sshd.ssh(USER, "true", answers=[] if v == "permit" else [password])
                        if r.returncode != 0:
                            raise RuntimeError("%s login failed: %r" % (v, r))
                        # close_session's DELETE comes after ssh exits (sshd's
                        # monitor ends the session then): wait until it is in.
                        seen = -1
                        while seen != len(fake.requests):
                            seen = len(fake.requests)
                            time.sleep(0.2 + rtt / 1000 * 3)
                        if i >= args.warmup:
                            samples[v].append(r.duration * 1000)
                            requests[v].append(seen)
            finally:
                daemon.send_signal(signal.SIGTERM)
                daemon.wait(30)
                line.stop()
            for v in variants:
                walls[v].append(statistics.median(samples[v]))
    finally:
        sshd.stop()
    r = {"command": args.command, "runs": args.runs, "rtt_ms": args.rtts,
         "date": time.strftime("%Y-%m-%d %H:%M", time.gmtime()),
         "loadavg_start": loadavg_start, "loadavg_end": os.getloadavg()[0],
         "cores": os.cpu_count(),
         "variants": {v: {"wall_ms": walls[v], "round_trips": slope(args.rtts, walls[v]),
                          "requests_per_login": max(requests[v]) if requests[v] else 0}
                      for v in variants}}
    labels = {"permit": "pam_permit (no Okta)", "direct": "module, direct (`agent = no`)",
              "agent": "module through okta-sessiond (`agent = required`)"}
    lines = ["# A real SSH login at each round-trip time to Okta", "",
             "Produced by `%s` on %s UTC (load average %.2f at start, %.2f at end, %d "
             "cores): `ssh %s true` with keyboard-interactive against "
             "Debian's sshd and the example PAM service, median of %d runs each, "
             "interleaved. ssh exits when the session ends, before sshd's monitor runs "
             "close_session, so the time is what the user waits for; round trips = slope "
             "of wall time over round-trip time (requests: all of the login's, the DELETE "
             "included)." % (
                 args.command, r["date"], r["loadavg_start"], r["loadavg_end"], r["cores"],
                 USER, args.runs), "",
             "| variant | " + " | ".join("%d ms RTT" % x for x in args.rtts)
             + " | round trips | requests |", "|---|" + "---|" * (len(args.rtts) + 2)]
    for v in variants:
        o = r["variants"][v]
        lines.append("| %s | %s | %.1f | %d |" % (
            labels[v], " | ".join("%.0f" % x for x in o["wall_ms"]), o["round_trips"] or 0,
            o["requests_per_login"]))
    md = "\n".join(lines) + "\n"
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "sshd.json"), "w") as f:
        json.dump(r, f, indent=2, sort_keys=True)
        f.write("\n")
    with open(os.path.join(args.out, "sshd.md"), "w") as f:
        f.write(md)
    print(md)
    return 0


if __name__ == "__main__":
    sys.exit(main())
