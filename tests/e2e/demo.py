"""The README's demo: real SSH logins through the module against the fake Okta org.

Run by scripts/demo.sh inside a private mount namespace.  It creates the demo
users and a private sshd (examples/sshd_config, examples/pam.d/sshd), logs in
with the real ssh client, prints every Okta call as the fake org receives it,
and removes everything it made when it ends.
"""

import os
import sys
import threading
import time

import subprocess

from e2e import BUILDDIR, USERS, Sessiond, Sshd, login_of, private_system, session_ids, wait_for
from fake_okta import describe

OUT = threading.Lock()


def say(text=""):
    with OUT:
        print(text, flush=True)


def show_requests(record):
    say("    %s" % describe(record))


def login(sshd, user, answers, command, title):
    say()
    say("== %s" % title)
    say("   $ ssh -p %d %s@127.0.0.1 '%s'" % (sshd.port, user, command))
    sys.stdout.flush()
    r = sshd.ssh(user, command, answers=answers, live=True)
    for line in r.stdout.splitlines():
        say("   | %s" % line)
    say("   ssh exit code: %d" % r.returncode)
    return r


def revocation(system, sshd):
    """okta-sessiond watches the login; an admin ends the session in Okta; the
    SSH connection drops within one watch_interval plus revoke_grace."""
    fake = system.fake
    say()
    say("== an admin ends okta-demo's Okta session while okta-demo is logged in")
    system.write_config(watch_interval=10, revoke_grace=1)
    say("   okta-sessiond --foreground (watch_interval = 10, revoke_grace = 1)")
    daemon = Sessiond(system).start()
    proc = None
    try:
        fake.clear_requests()
        fake.on_request = show_requests
        say("   $ ssh -p %d okta-demo@127.0.0.1 'echo logged in; sleep 300'" % sshd.port)
        proc = sshd.start_ssh("okta-demo", "echo logged in; sleep 300",
                              answers=[USERS["okta-demo"][1]])
        line = proc.stdout.readline().decode().strip()
        say("   | %s" % line)
        sid = session_ids(fake.requests)[0]
        wait_for(lambda: os.path.isdir(system.state_dir) and os.listdir(system.state_dir), 5,
                 "the login's record")
        say("   $ okta-session logins")
        listing = subprocess.run([os.path.join(BUILDDIR, "okta-session"), "logins"],
                                 stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                 env=system.program_env())
        for text in listing.stdout.splitlines():
            say("   | %s" % text)
        say("   admin: ends the session in Okta (as \"Clear user sessions\" does)")
        fake.end_session(sid)
        ended = time.monotonic()
        try:
            proc.wait(15)
        except Exception:
            proc.kill()
            proc.wait()
            say("   => FAILED: still connected")
            return 1
        took = time.monotonic() - ended
        say("   ssh: connection closed by the server, exit code %d, %.1f s after the "
            "admin's action" % (proc.returncode, took))
        say("   (the GET that found it gone is okta-sessiond's; the DELETE is close_session's, "
            "run by sshd on SIGTERM)")
        for line in daemon.log():
            if line.message.split(" ", 1)[0] in ("revoked", "ending_login"):
                say("   okta-sessiond: %s" % line.message)
        say("   => the login ended with its Okta session")
        return 0
    finally:
        fake.on_request = None
        daemon.stop()
        if proc is not None:
            proc.stdout.close()
            proc.stderr.close()
        system.write_config()


def main():
    system = private_system()
    fake = system.fake
    say("== set up (inside a private mount namespace: the machine's /etc is not changed)")
    for name in ("okta-demo", "e2e-bob"):
        say("   user %-10s uid %d, home %s" % (name, USERS[name][0], system.home(name)))
    say("   fake Okta org: %s (test CA %s)" % (fake.url, fake.ca_file))
    sshd = Sshd(system).start()
    say("   sshd: 127.0.0.1 port %d, examples/sshd_config, examples/pam.d/sshd" % sshd.port)
    status = 0
    try:
        fake.on_request = show_requests
        r = login(sshd, "okta-demo", [USERS["okta-demo"][1]],
                  "echo hello from $(id -un); env | grep -c OKTA || true",
                  "okta-demo logs in: password -> authn, create, get (account), "
                  "refresh (session open), end (logout)")
        ok = r.returncode == 0
        if ok:
            ids = session_ids(fake.requests)
            wait_for(lambda: any(q.method == "DELETE" for q in fake.requests), 10,
                     "the session to end")
            ok = len(ids) == 1 and fake.session(ids[0]) is None
        say("   => %s" % ("logged in; the Okta session was ended at logout" if ok
                          else "FAILED"))
        status |= not ok

        status |= revocation(system, sshd)

        fake.on_request = show_requests
        fake.clear_requests()
        r = login(sshd, "okta-demo", ["not-the-password"], "true",
                  "a wrong password: Okta answers 401 E0000004 and sshd refuses")
        ok = r.returncode == 255 and fake.sessions() == []
        say("   => %s" % ("refused" if ok else "FAILED"))
        status |= not ok

        fake.clear_requests()
        fake.push_auto(login_of("e2e-bob"), "approve", after_polls=1)
        r = login(sshd, "e2e-bob", [USERS["e2e-bob"][1], ""], "echo hello from $(id -un)",
                  "e2e-bob needs MFA: password, then Enter to get an Okta Verify push "
                  "(the fake org approves it)")
        ok = r.returncode == 0
        if ok:
            wait_for(lambda: any(q.method == "DELETE" for q in fake.requests), 10,
                     "the session to end")
        say("   => %s" % ("logged in with MFA" if ok else "FAILED"))
        status |= not ok
        fake.on_request = None

        say()
        say("== what the module logged (authpriv), with sshd's verdicts")
        for line in system.log():
            if line.from_module or line.message.startswith(("Accepted", "Failed")):
                say("   %s: %s" % (line.ident, line.message))
    finally:
        fake.on_request = None
        sshd.stop()
        system.teardown()
    say()
    say("== cleaned up: sshd stopped, fake org stopped, users and files gone")
    say("demo: %s" % ("ok" if status == 0 else "FAILED"))
    return status


if __name__ == "__main__":
    sys.exit(main())
