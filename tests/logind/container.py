"""A booted systemd for the logind tests: systemd-nspawn over a throw-away
overlay of this machine's own root.

tests/logind/run.sh starts the tests in private mount, network and pid
namespaces, in cgroups of their own.  Here:

  BASE (a tmpfs)        upper/ and work/ of the overlay, and root/: the
                        overlay of / that the container boots; every write
                        (the module, the daemon, users, configuration, the
                        registry, the journal) lands in the tmpfs
  the network           the namespace's own: lo only, brought up here; the
                        container shares it, so the fake Okta org and the ssh
                        client of the tests (outside) and sshd and the daemon
                        (inside) meet on 127.0.0.1 and nobody else can
  the container         systemd as its pid 1, booted to a target of its own
                        (dbus, logind, ssh, okta-sessiond; the machine's other
                        services are not started, a few are masked)

Commands run inside with nsenter into every namespace of the container's
pid 1.  When the tests end, however they end, the pid namespace takes the
container with it and the mount namespace the overlay; terminate() and
unmount() do it in order first.
"""

import os
import signal
import subprocess
import time

TARGET = "okta-logind-test.target"
# Started by the machine's own targets, not needed here (the default target
# is ours, so most never start; these are pulled by sysinit or basic).
MASKED = ("systemd-timesyncd.service", "systemd-pstore.service", "e2scrub_reap.service",
          "getty@tty1.service", "console-getty.service", "systemd-networkd-wait-online.service",
          "networking.service", "ifupdown-pre.service", "apt-daily.timer",
          "apt-daily-upgrade.timer", "dpkg-db-backup.timer", "e2scrub_all.timer",
          "fstrim.timer", "man-db.timer", "systemd-tmpfiles-clean.timer", "cron.service",
          "systemd-binfmt.service", "systemd-hwdb-update.service", "ldconfig.service")


class BootError(AssertionError):
    pass


def _run(args, **kw):
    return subprocess.run(args, check=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True, **kw)


def _ns_pids(pid):
    """The NSpid line of PID: its pid in each pid namespace, outermost first."""
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("NSpid:"):
                    return [int(x) for x in line.split()[1:]]
    except OSError:
        pass
    return []


def _children(pid):
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry) as f:
                stat = f.read()
        except OSError:
            continue
        if int(stat[stat.rindex(")") + 2:].split()[1]) == pid:
            out.append(int(entry))
    return out


class Container:
    def __init__(self, base):
        self.base = base
        self.root = os.path.join(base, "root")
        self.mounts = []
        self.nspawn = None
        self.init = None
        self.console = None
        self.boot_seconds = None

    def path(self, inside):
        """Where the container's INSIDE is, seen from here."""
        return os.path.join(self.root, inside.lstrip("/"))

    # ---- the overlay ---------------------------------------------------------

    def make_root(self):
        _run(["ip", "link", "set", "lo", "up"])
        _run(["mount", "-t", "tmpfs", "-o", "mode=0755,size=2g", "okta-logind", self.base])
        self.mounts.append(self.base)
        for d in ("upper", "work", "root"):
            os.mkdir(os.path.join(self.base, d), 0o755)
        _run(["mount", "-t", "overlay", "okta-logind", "-o",
              "lowerdir=/,upperdir=%s/upper,workdir=%s/work" % (self.base, self.base),
              self.root])
        self.mounts.append(self.root)
        return self

    def write(self, inside, text, mode=0o644):
        path = self.path(inside)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)
        os.chown(path, 0, 0)
        os.chmod(path, mode)

    def read(self, inside):
        with open(self.path(inside)) as f:
            return f.read()

    def install(self, source, inside, mode=0o644):
        with open(source, "rb") as f:
            data = f.read()
        path = self.path(inside)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        tmp = path + ".new"
        with open(tmp, "wb") as f:
            f.write(data)
        os.chmod(tmp, mode)
        os.rename(tmp, path)

    def prepare_units(self, wants):
        """The default target: basic.target and WANTS; MASKED masked."""
        unit_dir = "/etc/systemd/system"
        self.write(os.path.join(unit_dir, TARGET),
                   "[Unit]\nDescription=pam_okta_session logind test\n"
                   "Requires=basic.target\nAfter=basic.target\n"
                   "Wants=%s\nAllowIsolate=yes\n" % " ".join(wants))
        default = self.path(os.path.join(unit_dir, "default.target"))
        if os.path.lexists(default):
            os.unlink(default)
        os.symlink(TARGET, default)
        for unit in MASKED:
            link = self.path(os.path.join(unit_dir, unit))
            if os.path.lexists(link):
                os.unlink(link)
            os.symlink("/dev/null", link)

    # ---- boot and run --------------------------------------------------------

    def boot(self, ready_units, port, timeout=60):
        """Boots systemd and waits until READY_UNITS are active and something
        listens on 127.0.0.1:PORT (at most TIMEOUT seconds: a hung boot
        fails, it never hangs)."""
        def listening():
            # The container shares this network namespace.
            with open("/proc/net/tcp") as f:
                return any(row.split()[1] == "0100007F:%04X" % port and row.split()[3] == "0A"
                           for row in f.read().splitlines()[1:])

        started = time.monotonic()
        self.console = open(os.path.join(self.base, "console"), "w+")
        # --keep-unit --register=no: no systemd on this machine to ask for a
        # scope; the container's cgroups go below run.sh's own.
        self.nspawn = subprocess.Popen(
            ["systemd-nspawn", "--quiet", "--boot", "--directory=" + self.root,
             "--machine=okta-logind", "--keep-unit", "--register=no"],
            stdin=subprocess.DEVNULL, stdout=self.console, stderr=subprocess.STDOUT,
            start_new_session=True)
        deadline = started + timeout

        def container_init():
            # nspawn's payload: the process that is pid 1 in a namespace below ours.
            todo = [self.nspawn.pid]
            while todo:
                pid = todo.pop()
                ns = _ns_pids(pid)
                if len(ns) >= 2 and ns[-1] == 1:
                    return pid
                todo.extend(_children(pid))
            return None

        while self.init is None:
            if self.nspawn.poll() is not None:
                raise BootError("systemd-nspawn exited with %d:\n%s"
                                % (self.nspawn.returncode, self.console_text()))
            if time.monotonic() > deadline:
                raise BootError("no container init after %d s:\n%s"
                                % (timeout, self.console_text()))
            self.init = container_init()
            if self.init is None:
                time.sleep(0.05)
        while True:
            if self.nspawn.poll() is not None:
                raise BootError("systemd-nspawn exited with %d:\n%s"
                                % (self.nspawn.returncode, self.console_text()))
            # (is-active exits 0 when any one of them is active.)
            r = self.run(["systemctl", "is-active"] + list(ready_units), check=False,
                         timeout=max(1, deadline - time.monotonic()))
            if r.stdout.split() == ["active"] * len(ready_units) and listening():
                break
            if time.monotonic() > deadline:
                raise BootError("not booted after %d s (%s):\n%s\n%s" % (
                    timeout, r.stdout.split(), self.run(
                        ["systemctl", "--failed", "--no-pager"], check=False).stdout,
                    self.console_text()))
            time.sleep(0.1)
        self.boot_seconds = time.monotonic() - started
        return self

    def run(self, args, check=True, timeout=30, input=None):
        """ARGS inside the container (all its namespaces), as root."""
        r = subprocess.run(["nsenter", "-t", str(self.init), "-a", "--"] + list(args),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           timeout=timeout, input=input,
                           stdin=None if input is not None else subprocess.DEVNULL)
        if check and r.returncode != 0:
            raise AssertionError("in the container: %s: exit %d\n%s%s"
                                 % (" ".join(args), r.returncode, r.stdout, r.stderr))
        return r

    def console_text(self):
        if self.console is None:
            return ""
        self.console.flush()
        self.console.seek(0)
        return self.console.read()[-6000:]

    # ---- the end ---------------------------------------------------------------

    def terminate(self, timeout=10):
        """Ends the container: SIGKILL to its pid 1 takes its whole pid
        namespace (a throw-away machine needs no clean power-off, which would
        wait for what ignores SIGTERM); then nspawn exits."""
        if self.nspawn is None:
            return
        if self.init is not None:
            try:
                os.kill(self.init, signal.SIGKILL)
            except ProcessLookupError:
                pass
        try:
            self.nspawn.wait(timeout)
        except subprocess.TimeoutExpired:
            self.nspawn.kill()
            self.nspawn.wait(timeout)
        if self.init is not None:
            deadline = time.monotonic() + timeout
            while os.path.exists("/proc/%d" % self.init) and time.monotonic() < deadline:
                time.sleep(0.05)
        self.console.close()
        self.nspawn = None

    def unmount(self):
        for target in reversed(self.mounts):
            subprocess.run(["umount", target], check=False)
        self.mounts = []
