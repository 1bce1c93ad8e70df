"""End-to-end harness: the module under the real sshd, ssh, login, su and sudo.

The real programs read their PAM services from /etc/pam.d, their users from
/etc/passwd and /etc/shadow, sudo its rules from /etc/sudoers, and the
module its configuration from /etc/security.  The tests must not change the
machine, so tests/e2e/run.sh starts them in a private mount namespace
(unshare --mount --propagation private), and PrivateSystem bind-mounts
copies over those paths there only:

  /etc                                   a copy of the machine's, with
    passwd, group, shadow                the system's entries + the test users
    pam.d                                examples/pam.d/ files put in place
    security/pam_okta_session.conf       the module's configuration (fake org)
    sudoers                              + a rule for the sudo tests
    ld.so.preload                        the syslog capture (su and sudo are
                                         set-uid: LD_PRELOAD does not reach them)
  /lib/<multiarch>/security              + the built pam_okta_session.so
  /run, /var/log                         empty tmpfs (sshd's privsep directory,
                                         sudo's timestamps, utmp, wtmp, lastlog)

Processes outside the namespace see none of it, and everything goes away
with the namespace even if a test is killed.  The service files are the
files of examples/, byte for byte: the configuration guide is what is tested.

The users are real accounts (in that view): getpwnam, shadow, homes owned by
them.  The module logs through syslog(3); the programs run with the
syslog_capture shim preloaded, so a test reads the module's lines and the
programs' own (sshd's "Accepted keyboard-interactive/pam ...").
"""

import glob
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
SRCDIR = os.environ.get("OKTA_TEST_SRCDIR") or os.path.dirname(os.path.dirname(HERE))
BUILDDIR = os.environ.get("OKTA_TEST_BUILDDIR") or SRCDIR
sys.path.insert(0, os.path.join(SRCDIR, "tests", "fake_okta"))
sys.path.insert(0, os.path.join(SRCDIR, "tests", "pam"))
from fake_okta import FakeOkta  # noqa: E402
from harness import read_syslog_capture  # noqa: E402

EXAMPLES = os.path.join(SRCDIR, "examples")
MODULE = (os.environ.get("OKTA_TEST_MODULE")
          or os.path.join(BUILDDIR, ".libs/pam_okta_session.so"))
SESSIOND = os.environ.get("OKTA_TEST_SESSIOND") or os.path.join(BUILDDIR, "okta-sessiond")
SYSLOG_SHIM = (os.environ.get("OKTA_TEST_SYSLOG_SHIM")
               or os.path.join(BUILDDIR, "tests/pam/.libs/libsyslog_capture.so"))
SECURITY_DIR = os.path.dirname(sorted(
    glob.glob("/lib/*/security/pam_unix.so") + glob.glob("/usr/lib/*/security/pam_unix.so")
    + glob.glob("/lib/security/pam_unix.so"))[0])
CONFIG_PATH = "/etc/security/pam_okta_session.conf"
SESSION_VAR = "PAM_OKTA_SESSION_ID"
DOMAIN = "example.com"
NAMESPACE_ENV = "OKTA_E2E_PRIVATE_MOUNTS"
# Where set-uid programs (su, sudo) read the capture path from: never from
# their caller's environment (tests/pam/syslog_capture.c).
CAPTURE_PATH_FILE = "/etc/syslog_capture.path"


def _free_id_base(count):
    """The first block of COUNT uids and gids from 61000 that this machine does not use."""
    used = set()
    for path in ("/etc/passwd", "/etc/group"):
        with open(path) as f:
            used |= {int(l.split(":")[2]) for l in f if l.count(":") >= 3
                     and l.split(":")[2].isdigit()}
    for base in range(61000, 65000, 100):
        if not used & set(range(base, base + count)):
            return base
    raise RuntimeError("no free block of uids for the test users")


def _password(tag):
    """A new password each run: nobody can reuse one read in the source."""
    return "%s-%s" % (tag, secrets.token_urlsafe(12))


_BASE = _free_id_base(20)
# name: (uid, Okta password or None, local password or None, Okta factors or None)
USERS = {
    "e2e-alice": (_BASE + 1, _password("Alice-okta"), None, None),
    "e2e-bob": (_BASE + 2, _password("Bob-okta"), None, ("push",)),
    "e2e-carol": (_BASE + 3, _password("Carol-okta"), None, ("totp",)),
    # Same password in Okta and locally: the failmode=safe fallback to pam_unix.
    "e2e-dave": (_BASE + 4,) + (_password("Dave"),) * 2 + (None,),
    "e2e-breakglass": (_BASE + 5, None, _password("Breakglass-local"), None),
    # Different passwords in Okta and locally: Okta's "no" is never overruled
    # by the local password (default=die).
    "e2e-erin": (_BASE + 6, _password("Erin-okta"), _password("Erin-local"), None),
    "okta-demo": (_BASE + 10, _password("Demo-okta"), None, None),   # scripts/demo.sh
}
BREAKGLASS_GROUP = ("okta-breakglass", _BASE + 19)


def login_of(user):
    return "%s@%s" % (user, DOMAIN)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("timed out after %.0f s waiting for %s" % (timeout, what))
        time.sleep(0.05)


def _run(args, **kw):
    return subprocess.run(args, check=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True, **kw)


def _sha512_crypt(password):
    return _run(["openssl", "passwd", "-6", "-stdin"], input=password + "\n").stdout.strip()


class PrivateSystem:
    """The bind mounts described in the module docstring (one per process)."""

    def __init__(self):
        if os.environ.get(NAMESPACE_ENV) != "1":
            raise RuntimeError("the e2e tests bind-mount over /etc: run them through "
                               "tests/e2e/run.sh (private mount, network and pid namespaces)")
        self.mounts = []
        self.fake = None
        # Everything lives on a tmpfs of the namespace: it is gone when the
        # namespace ends, however the run ends (copies of shadow, host keys,
        # the fake org's CA key).  The private network namespace has only its
        # own loopback: nobody outside can reach the test sshd.
        _run(["ip", "link", "set", "lo", "up"])
        self._tmpfs("/run")
        self.root = tempfile.mkdtemp(prefix="okta-e2e-", dir="/run")
        os.chmod(self.root, 0o755)    # the test users reach their homes through it
        self.homes = os.path.join(self.root, "home")
        os.mkdir(self.homes, 0o755)
        self.syslog = os.path.join(self.root, "syslog")
        self.state_dir = os.path.join(self.root, "state")

    # ---- mounts ------------------------------------------------------------

    def _bind(self, source, target):
        _run(["mount", "--bind", source, target])
        self.mounts.append(target)

    def _tmpfs(self, target):
        _run(["mount", "-t", "tmpfs", "-o", "mode=755", "e2e", target])
        self.mounts.append(target)

    def _copy_tree(self, source, name):  # noqa: D401
        copy = os.path.join(self.root, name)
        shutil.copytree(source, copy, symlinks=True)
        os.chmod(copy, 0o755)
        return copy

    def _append(self, path, extra, mode):
        """Adds EXTRA to the private copy of /etc/PATH."""
        copy = os.path.join(self.etc, path)
        text = ""
        if os.path.exists(copy):
            with open(copy) as f:
                text = f.read()
        if text and not text.endswith("\n"):
            text += "\n"
        with open(copy, "w") as f:
            f.write(text + extra)
        os.chown(copy, 0, 0)
        os.chmod(copy, mode)

    def _add_group_member(self, group, member):
        """Adds MEMBER to GROUP (name, gid), creating the group if the machine has none."""
        path = os.path.join(self.etc, "group")
        with open(path) as f:
            lines = f.read().splitlines()
        for i, line in enumerate(lines):
            fields = line.split(":")
            if fields[0] == group[0] and len(fields) == 4:
                fields[3] = ",".join([m for m in fields[3].split(",") if m] + [member])
                lines[i] = ":".join(fields)
                break
        else:
            lines.append("%s:x:%d:%s" % (group[0], group[1], member))
        with open(path, "w") as f:
            f.write("\n".join(lines) + "\n")

    def setup(self):
        # One private copy of /etc: files can be added (ld.so.preload) as
        # well as changed, and a package installed meanwhile changes nothing.
        self.etc = os.path.join(self.root, "etc")
        _run(["cp", "-a", "/etc", self.etc])
        with open(os.path.join(self.etc, "passwd")) as f:
            taken = {l.split(":")[0] for l in f}
        clash = taken & set(USERS)
        if clash:
            raise RuntimeError("this machine already has users named %s" % ", ".join(clash))
        passwd, group, shadow = "", "", ""
        for name, (uid, _okta, local, _factors) in USERS.items():
            home = os.path.join(self.homes, name)
            os.mkdir(home, 0o755)
            os.chown(home, uid, uid)
            passwd += "%s:x:%d:%d:e2e test user:%s:/bin/bash\n" % (name, uid, uid, home)
            group += "%s:x:%d:\n" % (name, uid)
            crypt = _sha512_crypt(local) if local else "*"
            shadow += "%s:%s:19000:0:99999:7:::\n" % (name, crypt)
        self._append("passwd", passwd, 0o644)
        self._append("group", group, 0o644)
        self._add_group_member(BREAKGLASS_GROUP, "e2e-breakglass")
        self._append("shadow", shadow, 0o640)
        self._append("sudoers", "e2e-dave ALL=(e2e-alice) ALL\n"
                     "e2e-breakglass ALL=(ALL) ALL\n", 0o440)
        # su and sudo are set-uid: the dynamic loader ignores LD_PRELOAD for
        # them, not /etc/ld.so.preload.
        self._append("ld.so.preload", SYSLOG_SHIM + "\n", 0o644)
        self.pam_d = os.path.join(self.etc, "pam.d")
        self.security = os.path.join(self.etc, "security")
        self._append(os.path.basename(CAPTURE_PATH_FILE), self.syslog, 0o644)
        self._bind(self.etc, "/etc")

        modules = self._copy_tree(SECURITY_DIR, "modules")
        shutil.copy(MODULE, os.path.join(modules, "pam_okta_session.so"))
        # The direct transport the module loads from beside itself.
        shutil.copy(os.path.join(os.path.dirname(MODULE), "pam_okta_session_direct.so"), modules)
        self._bind(modules, SECURITY_DIR)
        os.mkdir("/run/sshd", 0o755)
        self._tmpfs("/var/log")
        for name, mode in (("wtmp", 0o664), ("btmp", 0o600), ("lastlog", 0o664)):
            path = os.path.join("/var/log", name)
            open(path, "w").close()
            os.chmod(path, mode)

        self.fake = FakeOkta(os.path.join(self.root, "fake")).start()
        for name, (_uid, okta, _local, factors) in USERS.items():
            if okta is None:
                continue
            if factors:
                self.fake.add_user(login_of(name), okta, mfa_required=True, factors=factors)
            else:
                self.fake.add_user(login_of(name), okta)
        self.write_config()
        for service in ("sshd", "login", "su", "sudo"):
            self.install_example_service(service)
        return self

    def teardown(self):
        if self.fake is not None:
            self.fake.stop()
        for target in reversed(self.mounts):
            subprocess.run(["umount", "-l", target], check=False)
        self.mounts = []
        shutil.rmtree(self.root, ignore_errors=True)

    # ---- what the tests change ---------------------------------------------

    def write_config(self, **keys):
        """The module's configuration for the fake org, plus KEYS."""
        config = {"org_url": self.fake.url, "api_token_file": self.fake.api_token_file,
                  "ca_file": self.fake.ca_file, "login_format": "%u@" + DOMAIN,
                  "push_timeout": "20",
                  # The registry of logins: on the namespace's tmpfs, never the machine's.
                  "state_dir": self.state_dir}
        config.update({k: str(v) for k, v in keys.items()})
        path = os.path.join(self.security, os.path.basename(CONFIG_PATH))
        with open(path, "w") as f:
            os.fchmod(f.fileno(), 0o600)
            f.write("# written by tests/e2e\n")
            f.write("".join("%s = %s\n" % kv for kv in config.items() if kv[1] != "None"))

    def install_example_service(self, service, text=None):
        """examples/pam.d/SERVICE (or TEXT) as /etc/pam.d/SERVICE."""
        if text is None:
            with open(os.path.join(EXAMPLES, "pam.d", service)) as f:
                text = f.read()
        with open(os.path.join(self.pam_d, service), "w") as f:
            f.write(text)

    def reset(self):
        """Before each test: the example config and services, a quiet fake."""
        self.write_config()
        for service in ("sshd", "login", "su", "sudo"):
            self.install_example_service(service)
        self.fake.clear_faults()
        self.fake.clear_requests()
        self.fake.reset_rate_limits()
        for sid in self.fake.sessions():   # left by a test whose fault kept them
            self.fake.end_session(sid)
        for name, (_uid, okta, _local, factors) in USERS.items():
            if okta is not None:
                self.fake.update_user(login_of(name), password=okta, locked_out=False)
            if factors and "push" in factors:
                self.fake.push_auto(login_of(name), None)   # pushes wait for the test
        self.fake.session_idle_lifetime = None
        self.fake.session_max_lifetime = None
        for name, (_uid, okta, _local, _factors) in USERS.items():
            if okta is not None:
                self.fake.activate_user(login_of(name))
        shutil.rmtree(self.state_dir, ignore_errors=True)
        open(self.syslog, "w").close()
        shutil.rmtree("/run/sudo", ignore_errors=True)

    def log(self):
        return read_syslog_capture(self.syslog)

    def module_log(self):
        return [line for line in self.log() if line.from_module]

    def program_env(self):
        """The environment the real programs start with: the syslog capture."""
        env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C",
               "SYSLOG_CAPTURE_FILE": self.syslog}
        return env

    def home(self, user):
        return os.path.join(self.homes, user)


class Sshd:
    """A private sshd on 127.0.0.1: its own port, host key and sshd_config.

    The config is the test's own lines followed by "Include
    examples/sshd_config" (sshd keeps the first value of a keyword, so the
    test's lines win where they overlap)."""

    def __init__(self, system, lines=()):
        self.system = system
        self.dir = tempfile.mkdtemp(prefix="sshd-", dir=system.root)
        os.chmod(self.dir, 0o755)
        self.port = free_port()
        self.host_key = os.path.join(self.dir, "host_ed25519")
        _run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", self.host_key])
        with open(self.host_key + ".pub") as f:
            pub = f.read().split()
        self.known_hosts = os.path.join(self.dir, "known_hosts")
        with open(self.known_hosts, "w") as f:
            f.write("[127.0.0.1]:%d %s %s\n" % (self.port, pub[0], pub[1]))
        self.config = os.path.join(self.dir, "sshd_config")
        with open(self.config, "w") as f:
            f.write("Port %d\nListenAddress 127.0.0.1\nHostKey %s\nPidFile %s/sshd.pid\n"
                    % (self.port, self.host_key, self.dir))
            f.write("LogLevel VERBOSE\n")
            for line in lines:
                f.write(line + "\n")
            f.write("Include %s\n" % os.path.join(EXAMPLES, "sshd_config"))
        os.chmod(self.config, 0o644)
        self.proc = None

    def start(self):
        _run(["/usr/sbin/sshd", "-t", "-f", self.config])
        self.stderr = open(os.path.join(self.dir, "stderr"), "w+")
        self.proc = subprocess.Popen(["/usr/sbin/sshd", "-D", "-f", self.config],
                                     env=self.system.program_env(), stdin=subprocess.DEVNULL,
                                     stdout=self.stderr, stderr=self.stderr)

        def listening():
            # Read the socket table: a probe connection would be logged.
            if self.proc.poll() is not None:
                raise AssertionError("sshd exited: %s" % self.read_stderr())
            with open("/proc/net/tcp") as f:
                return any(int(row.split()[1].rsplit(":", 1)[1], 16) == self.port
                           and row.split()[3] == "0A" for row in f.read().splitlines()[1:])
        wait_for(listening, 10, "sshd to listen")
        return self

    def read_stderr(self):
        self.stderr.seek(0)
        return self.stderr.read()

    def stop(self):
        """Stops the listener and waits for every sshd of the namespace (the
        per-connection monitors end the sessions after the client left)."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.stderr.close()
        deadline = time.monotonic() + 10
        while _live_sshds():
            if time.monotonic() > deadline:
                subprocess.run(["pkill", "-KILL", "-x", "sshd"])
                break
            time.sleep(0.05)
        self.proc = None

    def ssh(self, user, command=None, answers=(), methods="keyboard-interactive",
            identity=None, tty=False, stdin_text=None, live=False, timeout=60):
        """Runs the real ssh client non-interactively; prompts are answered from
        ANSWERS in order by an SSH_ASKPASS program, which also records them.
        LIVE: ssh's messages and each prompt go to this process's stderr as
        they happen (the demo) instead of into the result."""
        args, env, ask = self._ssh_command(user, command, answers, methods, identity, tty, live)
        start = time.monotonic()
        stdin = {"input": stdin_text.encode()} if stdin_text is not None else \
            {"stdin": subprocess.DEVNULL}
        proc = subprocess.run(args, env=env, **stdin, stdout=subprocess.PIPE,
                              stderr=None if live else subprocess.PIPE, timeout=timeout,
                              start_new_session=True)
        result = SshResult(proc, time.monotonic() - start)
        try:
            with open(os.path.join(ask, "prompts")) as f:
                result.prompts = [json.loads(line) for line in f]
        except FileNotFoundError:
            result.prompts = []
        return result

    def start_ssh(self, user, command, answers=(), methods="keyboard-interactive", tty=False):
        """The real ssh client as a running process (subprocess.Popen, stdout
        and stderr piped, stdin closed): for logins the test ends from outside."""
        args, env, _ask = self._ssh_command(user, command, answers, methods, None, tty, False)
        return subprocess.Popen(args, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, start_new_session=True)

    def _ssh_command(self, user, command, answers, methods, identity, tty, live):
        ask = tempfile.mkdtemp(prefix="askpass-", dir=self.dir)
        with open(os.path.join(ask, "answers"), "w") as f:
            json.dump(list(answers), f)
        args = ["ssh", "-F", "/dev/null", "-p", str(self.port), "-l", user,
                "-o", "UserKnownHostsFile=" + self.known_hosts,
                "-o", "StrictHostKeyChecking=yes", "-o", "ConnectTimeout=10",
                "-o", "PreferredAuthentications=" + methods,
                "-o", "NumberOfPasswordPrompts=1", "-o", "ServerAliveInterval=0",
                "-o", "IdentitiesOnly=yes", "-o", "IdentityFile=" + (identity or "none")]
        if tty:
            args.append("-tt")
        args.append("127.0.0.1")
        if command is not None:
            args.append(command)
        env = {"PATH": "/usr/bin:/bin", "LANG": "C", "HOME": self.dir,
               "SSH_ASKPASS": os.path.join(HERE, "askpass.py"), "SSH_ASKPASS_REQUIRE": "force",
               "DISPLAY": ":e2e", "E2E_ASKPASS_DIR": ask}
        if live:
            env["E2E_ASKPASS_SHOW"] = "1"
        return args, env, ask


class Sessiond:
    """okta-sessiond --foreground in the namespace, on the module's
    configuration file (the default path, in the private /etc)."""

    def __init__(self, system):
        self.system = system
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen([SESSIOND, "--foreground"], env=self.system.program_env(),
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE)
        wait_for(lambda: self.proc.poll() is not None or any(
            l.ident.startswith("okta-sessiond") and l.message.startswith("started")
            for l in self.system.log()), 10, "okta-sessiond to start")
        if self.proc.poll() is not None:
            raise AssertionError("okta-sessiond exited: %s" % self.proc.stderr.read().decode())
        return self

    def stop(self):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc.stderr.close()
        rc, self.proc = self.proc.returncode, None
        if rc != 0:
            raise AssertionError("okta-sessiond exited with %d" % rc)

    def log(self):
        return [l for l in self.system.log() if l.ident.startswith("okta-sessiond")]


def _live_sshds():
    """sshd processes of the namespace still running.  Orphaned monitors
    become children of this process (pid 1 of the namespace): reap them."""
    live = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry) as f:
                stat = f.read()
        except OSError:
            continue
        comm = stat[stat.index("(") + 1:stat.rindex(")")]
        state, ppid = stat[stat.rindex(")") + 2:].split()[:2]
        if comm != "sshd":
            continue
        if state == "Z":
            if int(ppid) == os.getpid():
                try:
                    os.waitpid(int(entry), os.WNOHANG)
                except ChildProcessError:
                    pass
            continue
        live.append(int(entry))
    return live


class SshResult:
    def __init__(self, proc, duration):
        self.returncode = proc.returncode
        self.stdout = proc.stdout.decode("utf-8", "replace")
        self.stderr = (proc.stderr or b"").decode("utf-8", "replace")
        self.duration = duration
        self.prompts = []

    def __repr__(self):
        return "<ssh rc=%d %.1fs prompts=%r\nstdout=%s\nstderr=%s>" % (
            self.returncode, self.duration, self.prompts, self.stdout, self.stderr)


def session_ids(requests):
    """Session ids named in the paths of REQUESTS, in order of first use."""
    ids = []
    for r in requests:
        m = re.match(r"/api/v1/sessions/([^/]+)", r.path)
        if m and m.group(1) not in ids:
            ids.append(m.group(1))
    return ids


def request_shape(requests):
    """(method, path with the session id as {id}, status) of each request."""
    return [(r.method, re.sub(r"^/api/v1/sessions/[^/]+", "/api/v1/sessions/{id}", r.path),
             r.status) for r in requests]


FULL_LOGIN = [("POST", "/api/v1/authn", 200), ("POST", "/api/v1/sessions", 200),
              ("GET", "/api/v1/sessions/{id}", 200),
              ("POST", "/api/v1/sessions/{id}/lifecycle/refresh", 200),
              ("DELETE", "/api/v1/sessions/{id}", 204)]


def fake_socket_inodes(port):
    """Inodes of the TCP sockets on this machine that talk to PORT."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as f:
                rows = f.read().splitlines()[1:]
        except FileNotFoundError:
            continue
        for row in rows:
            cols = row.split()
            local_port = int(cols[1].rsplit(":", 1)[1], 16)
            remote_port = int(cols[2].rsplit(":", 1)[1], 16)
            if port in (local_port, remote_port):
                inodes.add(cols[9])
    return inodes


# What the tests run in the user's shell: its environment (the process's own,
# not the shell's variables), its open file descriptors and every TCP socket.
SHELL_PROBE = ("echo ==environ; tr '\\0' '\\n' < /proc/$$/environ; "
               "echo ==fds; for f in /proc/$$/fd/*; do echo \"$f $(readlink $f)\"; done; "
               "echo ==end")


def parse_probe(stdout):
    env, fds, section = {}, {}, None
    for line in stdout.splitlines():
        line = line.rstrip("\r")
        if line.startswith("=="):
            section = line[2:]
            continue
        if section == "environ" and "=" in line:
            k, v = line.split("=", 1)
            env[k] = v
        elif section == "fds" and " " in line:
            f, target = line.split(" ", 1)
            fds[f.rsplit("/", 1)[1]] = target
    return env, fds


_SYSTEM = None


def private_system():
    """The process's PrivateSystem, set up on first use, torn down at exit."""
    global _SYSTEM
    if _SYSTEM is None:
        import atexit
        _SYSTEM = PrivateSystem().setup()
        atexit.register(_SYSTEM.teardown)
    return _SYSTEM


class E2ETestCase(unittest.TestCase):
    """A test with the private system reset to the examples' configuration."""

    maxDiff = None

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if os.geteuid() != 0:
            raise unittest.SkipTest("the e2e tests run as root")
        missing = [p for p in (MODULE, SYSLOG_SHIM) if not os.path.exists(p)]
        if missing:
            raise RuntimeError("not built: %s" % ", ".join(missing))
        cls.system = private_system()
        cls.fake = cls.system.fake

    def setUp(self):
        super().setUp()
        self.system.reset()

    def secrets(self):
        """Every secret of the run: passwords, the API token, session ids and tokens."""
        out = {self.fake.api_token}
        for _uid, okta, local, _f in USERS.values():
            out |= {s for s in (okta, local) if s}
        out |= set(session_ids(self.fake.requests))
        for r in self.fake.requests:
            if r.json and isinstance(r.json, dict):
                for key in ("sessionToken", "stateToken", "passCode"):
                    if isinstance(r.json.get(key), str):
                        out.add(r.json[key])
        return out

    def assertNoSecrets(self, *texts):
        for secret in self.secrets():
            for text in texts + tuple(str(line) for line in self.system.log()):
                self.assertNotIn(secret, text)

    def assertLogged(self, phase, outcome, user, **fields):
        """A module line "PHASE: OUTCOME user=USER ..." with FIELDS."""
        lines = [l for l in self.system.module_log()
                 if l.message.split(": ", 1)[-1].startswith("%s: %s " % (phase, outcome))
                 and l.fields.get("user") == user]
        for line in lines:
            if all(line.fields.get(k) == v for k, v in fields.items()):
                return line
        self.fail("no module log line %s: %s user=%s %r in:\n%s" % (
            phase, outcome, user, fields, "\n".join(map(str, self.system.log()))))

    def assertRequests(self, expected, timeout=10):
        """The fake saw exactly EXPECTED (see request_shape), waiting for late ones."""
        try:
            wait_for(lambda: len(self.fake.requests) >= len(expected), timeout,
                     "%d requests" % len(expected))
        except AssertionError:
            pass
        time.sleep(0.2)
        self.assertEqual(request_shape(self.fake.requests), expected)
