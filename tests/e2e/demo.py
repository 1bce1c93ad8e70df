"""The README's demo: real SSH logins through the module against the fake Okta org.

Run by scripts/demo.sh inside a private mount namespace.  It creates the demo
users and a private sshd (examples/sshd_config, examples/pam.d/sshd), logs in
with the real ssh client, prints every Okta call as the fake org receives it,
and removes everything it made when it ends.
"""

import os
import sys
import threading

from e2e import USERS, Sshd, login_of, private_system, session_ids, wait_for
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
