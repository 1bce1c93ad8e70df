"""Harness of the PAM-level tests: the built module through real Linux-PAM.

Each test class gets one fake Okta org (tests/fake_okta); each test gets a
fresh temporary directory with

  passwd, group          nss_wrapper users: root 0, alice 1001, bob 1002,
                         carol 1003, lowuid 500 (home /tmp, shell /bin/sh)
  pam_okta_session.conf  root-owned, mode 0600: org_url, api_token_file,
                         ca_file, login_format, plus the test's keys
  api_token              root-owned, mode 0600
  pam.d/okta-test        the service file (auth, account, session)

and PamTestCase.run() runs tests/pam/pam_driver (a PAM application built on
pam_start_confdir) under nss_wrapper and the syslog capture shim, and returns
a PamRun: the PAM calls and their codes, the conversation, the captured
syslog lines and the requests the fake saw.

Built files are found through OKTA_TEST_DRIVER, OKTA_TEST_SYSLOG_SHIM and
OKTA_TEST_MODULE, by default under OKTA_TEST_BUILDDIR (default: the source
tree): tests/pam/pam_driver, tests/pam/.libs/libsyslog_capture.so and
.libs/pam_okta_session.so.

Why the service file is not simply "auth required pam_okta_session.so":
Linux-PAM turns a stack whose only module answered PAM_IGNORE into
PAM_PERM_DENIED, which would hide the module's own PAM_IGNORE. So each
stack is

    auth [success=done ignore=ignore default=die] pam_okta_session.so config=…
    auth requisite pam_debug.so auth=authtok_disable_aging …

which returns the module's code unchanged, except that PAM_IGNORE lets the
call reach pam_debug, whose PAM_AUTHTOK_DISABLE_AGING the harness reports
as PAM_IGNORE (the module never returns that code). The raw code stays in
each call's "raw_rc_name". pamtester (test_pamtester.py) uses the plain
"required" stack an administrator would write.
"""

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
SRCDIR = os.environ.get("OKTA_TEST_SRCDIR") or os.path.dirname(os.path.dirname(HERE))
BUILDDIR = os.environ.get("OKTA_TEST_BUILDDIR") or SRCDIR

sys.path.insert(0, os.path.join(SRCDIR, "tests", "fake_okta"))
from fake_okta import FakeOkta, make_ca  # noqa: E402

DRIVER = os.environ.get("OKTA_TEST_DRIVER") or os.path.join(BUILDDIR, "tests/pam/pam_driver")
SYSLOG_SHIM = (os.environ.get("OKTA_TEST_SYSLOG_SHIM")
               or os.path.join(BUILDDIR, "tests/pam/.libs/libsyslog_capture.so"))
MODULE = (os.environ.get("OKTA_TEST_MODULE")
          or os.path.join(BUILDDIR, ".libs/pam_okta_session.so"))

LIBDIR = "/usr/lib/x86_64-linux-gnu"
NSS_WRAPPER = os.path.join(LIBDIR, "libnss_wrapper.so")
PAM_WRAPPER = os.path.join(LIBDIR, "libpam_wrapper.so")
PAM_SET_ITEMS = os.path.join(LIBDIR, "pam_wrapper/pam_set_items.so")

SERVICE = "okta-test"
DOMAIN = "example.com"

# The code pam_debug answers when the module said PAM_IGNORE (see above).
IGNORE_SENTINEL = "PAM_AUTHTOK_DISABLE_AGING"
_SENTINEL_ARG = "authtok_disable_aging"
_SENTINEL_MESSAGES = {"%s=%s" % (k, _SENTINEL_ARG)
                      for k in ("auth", "cred", "acct", "open_session", "close_session")}

# Local users (name, uid) and their Okta passwords.
LOCAL_USERS = [("root", 0), ("alice", 1001), ("bob", 1002), ("carol", 1003),
               ("lowuid", 500)]
PASSWORDS = {
    "root": "Root-pw-Zq81vKe3",
    "alice": "Alice-pw-T4mW9xRb",
    "bob": "Bob-pw-Hh27LpQs",
    "carol": "Carol-pw-Nf55GyUe",
    "lowuid": "Low-pw-Pk03DsWa",
}

PASSWORD_PROMPT = "Password: "
TOKEN_PROMPT = "Okta session token: "

# Syslog: authpriv facility and the severities of <syslog.h>.
LOG_AUTHPRIV = 10 << 3
LOG_CRIT, LOG_ERR, LOG_WARNING, LOG_NOTICE, LOG_INFO, LOG_DEBUG = 2, 3, 4, 5, 6, 7

SESSION_VAR = "PAM_OKTA_SESSION_ID"
SESSION_PATH = r"/api/v1/sessions/[A-Za-z0-9_-]+"
REFRESH_PATH = SESSION_PATH + "/lifecycle/refresh"

_FIELD_RE = re.compile(r'(?<![\w.-])([a-z_]+)=("(?:[^"\\]|\\.)*"|[^\s,;]*)')


def login_of(user):
    """The Okta login the tests map a local user to (login_format %u@example.com)."""
    return "%s@%s" % (user, DOMAIN)


def closed_port_url():
    """An https URL on a loopback port nobody listens on (connection refused)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return "https://127.0.0.1:%d" % port


def parse_fields(message):
    """key=value fields of a log message ("quoted values" unquoted)."""
    fields = {}
    for key, value in _FIELD_RE.findall(message):
        if len(value) >= 2 and value[0] == '"' and value[-1] == '"':
            value = value[1:-1]
        fields.setdefault(key, value)
    return fields


class LogLine:
    """One captured syslog message."""

    def __init__(self, priority, ident, message):
        self.priority = priority
        self.severity = priority & 7
        self.facility = priority & ~7
        self.ident = ident
        self.message = message
        self.fields = parse_fields(message)

    @property
    def from_module(self):
        return "pam_okta_session" in self.message

    def __repr__(self):
        return "<%d %s: %s>" % (self.priority, self.ident, self.message)

    def __str__(self):
        return "%d %s" % (self.priority, self.message)


def read_syslog_capture(path):
    """Lines written by syslog_capture.c, with its escapes (\\n, \\\\) undone."""
    lines = []
    try:
        with open(path, encoding="utf-8", errors="surrogateescape") as f:
            raw = f.read().split("\n")
    except FileNotFoundError:
        return lines
    for text in raw:
        if not text:
            continue
        m = re.match(r"(\d+) ([^:]*): (.*)\Z", text, re.S)
        if m is None:
            lines.append(LogLine(-1, "", text))
            continue
        message = re.sub(r"\\(.)", lambda mm: "\n" if mm.group(1) == "n" else mm.group(1),
                         m.group(3))
        lines.append(LogLine(int(m.group(1)), m.group(2), message))
    return lines


class PamRun:
    """What one run of the driver produced."""

    def __init__(self, events, stdout, stderr, returncode, log, requests, duration):
        self.events = events
        self.stdout = stdout
        self.stderr = stderr
        self.returncode = returncode
        self.log_lines = log
        self.requests = requests
        self.duration = duration
        for e in events:
            if e.get("event") == "call" and e.get("rc_name") == IGNORE_SENTINEL:
                e["raw_rc_name"] = e["rc_name"]
                e["rc_name"] = "PAM_IGNORE"
        self.calls = [e for e in events if e.get("event") == "call" and e["step"] != "end"]
        self.prompts = [e for e in events if e.get("event") == "prompt"]
        self.messages = [e for e in events if e.get("event") in ("info", "error")
                         and e.get("text") not in _SENTINEL_MESSAGES]

    @property
    def log(self):
        """The captured syslog lines as "<priority> <message>" strings."""
        return [str(line) for line in self.log_lines]

    @property
    def module_log(self):
        """The captured syslog lines that the module wrote."""
        return [line for line in self.log_lines if line.from_module]

    def call(self, step, n=0):
        matches = [c for c in self.calls if c["step"] == step]
        if len(matches) <= n:
            raise AssertionError("no call #%d of %s in %s" % (n, step, self.rcs()))
        return matches[n]

    def rc(self, step, n=0):
        """The PAM code name of the (first) call of STEP."""
        return self.call(step, n)["rc_name"]

    def rcs(self):
        """[(step, rc_name)] of every PAM call in order (pam_end excluded)."""
        return [(c["step"], c["rc_name"]) for c in self.calls]

    def env(self, n=-1):
        """The PAM environment printed by the (last) "env" step."""
        envs = [e["vars"] for e in self.events if e.get("event") == "env"]
        return envs[n]

    def describe(self):
        out = ["calls:"]
        out += ["  %s -> %s (pid %s)" % (c["step"], c["rc_name"], c["pid"]) for c in self.calls]
        out.append("conversation:")
        out += ["  %s" % json.dumps(e) for e in self.events
                if e.get("event") in ("prompt", "info", "error")]
        out.append("requests:")
        out += ["  %s %s -> %s %s conn=%s" % (r.method, r.path, r.status, r.note or "", r.conn_id)
                for r in self.requests]
        out.append("log:")
        out += ["  %s" % line for line in self.log]
        if self.stderr:
            out.append("stderr:\n" + self.stderr)
        return "\n".join(out)

    def __repr__(self):
        return "<PamRun\n%s>" % self.describe()


class PamTestCase(unittest.TestCase):
    """Base class: one FakeOkta per class, a fresh directory per test."""

    maxDiff = None
    fake = None
    token_source = "authn"
    # Keys every test's config file starts with (besides org_url, token, CA).
    base_config = {"login_format": "%u@" + DOMAIN}

    # ---- class and test set-up --------------------------------------------

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if os.geteuid() != 0:
            raise unittest.SkipTest("the PAM tests run as root (the module wants a "
                                    "root-owned configuration)")
        missing = [p for p in (DRIVER, SYSLOG_SHIM, MODULE, NSS_WRAPPER) if not os.path.exists(p)]
        if missing:
            raise RuntimeError("not built (run make, or set OKTA_TEST_BUILDDIR / "
                               "OKTA_TEST_DRIVER / OKTA_TEST_SYSLOG_SHIM / "
                               "OKTA_TEST_MODULE): %s" % ", ".join(missing))
        cls._class_dir = tempfile.mkdtemp(prefix="okta-pam-class-")
        try:
            cls.fake = FakeOkta(os.path.join(cls._class_dir, "fake")).start()
        except BaseException:
            shutil.rmtree(cls._class_dir, ignore_errors=True)
            raise

    @classmethod
    def tearDownClass(cls):
        if cls.fake is not None:
            cls.fake.stop()
        shutil.rmtree(cls._class_dir, ignore_errors=True)
        super().tearDownClass()

    @classmethod
    def other_ca_file(cls):
        """A CA that did not sign the fake's certificate (made once per class)."""
        path = os.path.join(cls._class_dir, "other-ca", "other.pem")
        if not os.path.exists(path):
            make_ca(os.path.dirname(path), "other")
        return path

    def setUp(self):
        super().setUp()
        fake = self.fake
        reset = getattr(fake, "reset", None)
        if callable(reset):
            reset()
        fake.clear_faults()
        fake.clear_requests()
        fake.reset_rate_limits()
        fake.clock_offset = 0.0
        fake.lowercase_headers = False
        fake.on_request = None
        fake.session_token_error_code = "E0000004"
        self.user_ids = {}
        for name, _uid in LOCAL_USERS:
            self.user_ids[name] = fake.add_user(login_of(name), PASSWORDS[name])

        self.dir = tempfile.mkdtemp(prefix="okta-pam-")
        os.chmod(self.dir, 0o755)
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.passwd_file = os.path.join(self.dir, "passwd")
        self.group_file = os.path.join(self.dir, "group")
        with open(self.passwd_file, "w") as f:
            for name, uid in LOCAL_USERS:
                f.write("%s:x:%d:%d:%s:/tmp:/bin/sh\n" % (name, uid, uid, name))
        with open(self.group_file, "w") as f:
            for name, uid in LOCAL_USERS:
                f.write("%s:x:%d:\n" % (name, uid))
        os.chmod(self.passwd_file, 0o644)
        os.chmod(self.group_file, 0o644)

        self.api_token_file = os.path.join(self.dir, "api_token")
        self.write_private(self.api_token_file, fake.api_token + "\n")
        self.config_path = os.path.join(self.dir, "pam_okta_session.conf")
        self.confdir = os.path.join(self.dir, "pam.d")
        os.mkdir(self.confdir)
        self.config = dict(self.base_config)
        self.config.update({"org_url": fake.url, "api_token_file": self.api_token_file,
                            "ca_file": fake.ca_file, "token_source": self.token_source,
                            # The registry of logins: never the machine's.
                            "state_dir": os.path.join(self.dir, "state"),
                            # Nor its okta-sessiond: a daemon serving the
                            # default socket would carry every test's requests.
                            "agent_socket": os.path.join(self.dir, "agent", "agent.sock")})
        self.secrets = {fake.api_token} | set(PASSWORDS.values())
        self._run_count = 0

    # ---- files ------------------------------------------------------------

    @staticmethod
    def write_private(path, text, mode=0o600, uid=0, gid=0):
        with open(path, "w") as f:
            f.write(text)
        os.chown(path, uid, gid)
        os.chmod(path, mode)
        return path

    @staticmethod
    def config_text(config):
        return "".join("%s = %s\n" % (k, v) for k, v in config.items() if v is not None)

    def write_config(self, conf=None, path=None, mode=0o600, uid=0, extra_lines=""):
        """Writes the config file: self.config updated with CONF (None removes a key)."""
        config = dict(self.config)
        config.update(conf or {})
        path = path or self.config_path
        return self.write_private(path, "# written by the test harness\n"
                                  + self.config_text(config) + extra_lines, mode, uid)

    def write_service(self, args="", config_path=None, authtok=False, plain=False,
                      name=SERVICE, module=MODULE):
        """Writes pam.d/NAME for the module with ARGS (see the module docstring)."""
        cfg = "config=%s" % (config_path or self.config_path)
        margs = (cfg + " " + args).strip()
        lines = []
        kinds = (("auth", "auth=%s cred=%s" % (_SENTINEL_ARG, _SENTINEL_ARG)),
                 ("account", "acct=%s" % _SENTINEL_ARG),
                 ("session", "open_session=%s close_session=%s" % (_SENTINEL_ARG, _SENTINEL_ARG)))
        for kind, sentinel in kinds:
            if kind == "auth" and authtok:
                # Applications can not set PAM_AUTHTOK; this module copies
                # it from the driver's environment (--authtok-file).
                lines.append("auth optional %s" % PAM_SET_ITEMS)
            if plain:
                lines.append("%s required %s %s" % (kind, module, margs))
            else:
                lines.append("%s [success=done ignore=ignore default=die] %s %s"
                             % (kind, module, margs))
                lines.append("%s requisite pam_debug.so %s" % (kind, sentinel))
        path = os.path.join(self.confdir, name)
        with open(path, "w") as f:
            f.write("\n".join(lines) + "\n")
        other = os.path.join(self.confdir, "other")
        if not os.path.exists(other):
            with open(other, "w") as f:
                for kind in ("auth", "account", "password", "session"):
                    f.write("%s required pam_deny.so\n" % kind)
        return path

    # ---- Okta-side helpers ------------------------------------------------

    def mint_token(self, user="alice", amr=None):
        """A one-time session token for USER's Okta login (remembered as a secret)."""
        token = self.fake.mint_session_token(login_of(user), amr=amr)
        self.secrets.add(token)
        return token

    def create_session(self, user="alice", **kw):
        """A session created directly in the fake (remembered as a secret)."""
        sid = self.fake.create_session(login_of(user), **kw)
        self.secrets.add(sid)
        return sid

    def session_body(self, user="alice", drop=(), **changes):
        """The JSON of a real session of USER, changed: for injected answers."""
        sid = self.create_session(user, status=changes.pop("status", "ACTIVE"),
                                  amr=changes.pop("amr", None))
        body = self.fake.session(sid)
        body.update(changes)
        for key in drop:
            body.pop(key, None)
        return sid, body

    def credentials(self, user="alice", amr=None):
        """The answers that authenticate USER with this class's token_source."""
        if self.token_source == "prompt":
            return [self.mint_token(user, amr=amr)]
        return [PASSWORDS[user]]

    def wrong_credentials(self):
        if self.token_source == "prompt":
            return ["20111" + "x" * 37]
        return ["not-the-password"]

    @property
    def credential_prompt(self):
        return TOKEN_PROMPT if self.token_source == "prompt" else PASSWORD_PROMPT

    def auth_requests(self, create_status=200):
        """The requests a successful credential check makes, as assertRequests wants."""
        reqs = []
        if self.token_source == "authn":
            reqs.append(("POST", "/api/v1/authn", 200))
        reqs.append(("POST", "/api/v1/sessions", create_status))
        return reqs

    # ---- running the driver -----------------------------------------------

    def run(self, steps=None, *args, **kwargs):
        """run(steps, ...) runs the driver (see run_pam); called by unittest
        with a result object (or nothing) it runs the test as usual."""
        if isinstance(steps, (str, list, tuple)):
            return self.run_pam(steps, *args, **kwargs)
        return super().run(steps, *args, **kwargs)

    def run_pam(self, steps, user="alice", answers=(), args="", conf=None, rhost=None,
                tty=None, silent=False, authtok=None, env=None, timeout=30, pauses=(),
                config_path=None, write_config=True, as_uid=None, service=SERVICE):
        """Runs pam_driver with STEPS (list or space-separated string).

        ANSWERS are the conversation's answers in order ("!abort" hangs up);
        CONF updates this test's config file keys (None removes one); ARGS
        are module arguments; AUTHTOK presets PAM_AUTHTOK; PAUSES are
        callables run at each "pause" step; ENV adds process environment.
        """
        if isinstance(steps, str):
            steps = steps.split()
        self._run_count += 1
        n = self._run_count
        if write_config and config_path is None:
            self.write_config(conf)
        driver, module, shim = DRIVER, MODULE, SYSLOG_SHIM
        if as_uid is not None:
            # Another user may not be able to reach the build tree (a clone
            # under /root): run copies from this test's world-readable dir.
            driver, module, shim = self.world_readable_copies()
        self.write_service(args, config_path=config_path, authtok=authtok is not None,
                           name=service, module=module)

        log_file = os.path.join(self.dir, "syslog.%d" % n)
        with open(log_file, "w"):
            pass
        os.chmod(log_file, 0o666)
        answers = list(answers)
        self.secrets.update(a for a in answers if a and a != "!abort")
        answers_file = os.path.join(self.dir, "answers.%d" % n)
        with open(answers_file, "w") as f:
            f.write("".join(a + "\n" for a in answers))
        os.chmod(answers_file, 0o644)

        cmd = [driver, "--confdir", self.confdir, "--service", service, "--user", user,
               "--answers", answers_file]
        if rhost is not None:
            cmd += ["--rhost", rhost]
        if tty is not None:
            cmd += ["--tty", tty]
        if silent:
            cmd.append("--silent")
        if authtok is not None:
            self.secrets.add(authtok)
            authtok_file = self.write_private(os.path.join(self.dir, "authtok.%d" % n),
                                              authtok + "\n")
            cmd += ["--authtok-file", authtok_file]
        cmd += steps
        if as_uid is not None:
            cmd = ["setpriv", "--reuid=%d" % as_uid, "--regid=%d" % as_uid,
                   "--clear-groups", "--"] + cmd

        if os.environ.get("OKTA_TEST_WRAPPER"):
            # e.g. valgrind for the long tier: it runs the driver and so the module.
            cmd = os.environ["OKTA_TEST_WRAPPER"].split() + cmd
            timeout *= 10
        proc_env = self.driver_env(log_file, shim=shim)
        proc_env.update(env or {})
        return self._execute(cmd, proc_env, log_file, timeout, list(pauses))

    def world_readable_copies(self):
        bindir = os.path.join(self.dir, "bin")
        os.makedirs(bindir, exist_ok=True)
        os.chmod(bindir, 0o755)
        copies = []
        for path in (DRIVER, MODULE, SYSLOG_SHIM):
            copy = os.path.join(bindir, os.path.basename(path))
            shutil.copy2(path, copy)
            os.chmod(copy, 0o755)
            copies.append(copy)
        return tuple(copies)

    def driver_env(self, log_file, shim=None):
        """A minimal environment: nothing of the caller's may steer the module.
        Sanitizer options pass through; OKTA_TEST_PRELOAD (e.g. a sanitizer
        runtime) goes first in LD_PRELOAD."""
        preload = [NSS_WRAPPER, shim or SYSLOG_SHIM]
        if os.environ.get("OKTA_TEST_PRELOAD"):
            preload.insert(0, os.environ["OKTA_TEST_PRELOAD"])
        env = {
            "PATH": "/usr/sbin:/usr/bin:/sbin:/bin",
            "LANG": "C",
            "HOME": "/tmp",
            "LD_PRELOAD": ":".join(preload),
            "NSS_WRAPPER_PASSWD": self.passwd_file,
            "NSS_WRAPPER_GROUP": self.group_file,
            "SYSLOG_CAPTURE_FILE": log_file,
            # RTLD_DEEPBIND, which the wrappers use by default, breaks ASan.
            "NSS_WRAPPER_DISABLE_DEEPBIND": "1",
            "PAM_WRAPPER_DISABLE_DEEPBIND": "1",
        }
        for name in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"):
            if name in os.environ:
                env[name] = os.environ[name]
        return env

    def _execute(self, cmd, proc_env, log_file, timeout, pauses):
        start_index = len(self.fake.requests)
        started = time.monotonic()
        proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, env=proc_env, cwd=self.dir)
        timed_out = []

        def kill():
            timed_out.append(True)
            proc.kill()

        timer = threading.Timer(timeout, kill)
        timer.start()
        stderr_chunks = []
        reader = threading.Thread(target=lambda: stderr_chunks.append(proc.stderr.read()))
        reader.start()
        events, garbage, out_lines = [], [], []
        try:
            for raw in proc.stdout:
                line = raw.decode("utf-8", "replace")
                out_lines.append(line)
                try:
                    event = json.loads(line)
                except ValueError:
                    garbage.append(line)
                    continue
                events.append(event)
                if event.get("event") == "pause":
                    if not pauses:
                        raise AssertionError("driver paused but the test gave no action")
                    pauses.pop(0)()
                    proc.stdin.write(b"\n")
                    proc.stdin.flush()
            proc.wait()
        finally:
            timer.cancel()
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            reader.join()
            proc.stdin.close()
            proc.stdout.close()
            proc.stderr.close()
        duration = time.monotonic() - started
        stderr = b"".join(stderr_chunks).decode("utf-8", "replace")
        requests = self.fake.requests[start_index:]
        run = PamRun(events, "".join(out_lines), stderr, proc.returncode,
                     read_syslog_capture(log_file), requests, duration)
        for r in requests:
            self._remember_request_secrets(r)
        if timed_out:
            self.fail("driver timed out after %ss\n%s" % (timeout, run.describe()))
        if garbage:
            self.fail("something wrote to the driver's stdout (the module must not):\n%s\n%s"
                      % ("".join(garbage), run.describe()))
        if proc.returncode != 0:
            self.fail("driver failed (exit %s)\n%s" % (proc.returncode, run.describe()))
        if any("ms" not in c or "fds" not in c for c in run.calls):
            self.fail("%s is older than harness.py: rebuild it (make check)" % DRIVER)
        # Every run of every test: no secret of this test reached syslog,
        # the user's screen or stderr, and every log line is escaped.
        self.assertNoSecretsLogged(run)
        self.assertNoSecretsElsewhere(run)
        self.assertLogClean(run)
        return run

    def _remember_request_secrets(self, r):
        m = re.match(r"/api/v1/sessions/([^/]+)", r.path)
        if m:
            self.secrets.add(m.group(1))
        if isinstance(r.json, dict):
            for key in ("password", "sessionToken", "stateToken", "passCode"):
                value = r.json.get(key)
                if isinstance(value, str) and value:
                    self.secrets.add(value)
        for sid in self.fake.sessions():
            self.secrets.add(sid)

    # ---- assertions -------------------------------------------------------

    def assertCalls(self, run, expected):
        """The PAM calls of RUN, in order, returned EXPECTED [(step, rc_name)]."""
        self.assertEqual(run.rcs(), list(expected), run.describe())

    def assertRc(self, run, step, rc_name, n=0):
        self.assertEqual(run.rc(step, n), rc_name, run.describe())

    def assertRequests(self, run_or_requests, expected):
        """The fake saw exactly EXPECTED: (METHOD, path regex, status) in order;
        status None matches anything (e.g. an answer the module gave up on)."""
        requests = getattr(run_or_requests, "requests", run_or_requests)
        seen = [(r.method, r.path, r.status) for r in requests]
        context = "\nexpected: %s\nseen:     %s" % (list(expected), seen)
        if isinstance(run_or_requests, PamRun):
            context += "\n" + run_or_requests.describe()
        self.assertEqual(len(seen), len(expected), "request count" + context)
        for (method, path, status), (emethod, epath, estatus) in zip(seen, expected):
            self.assertEqual(method, emethod, context)
            self.assertRegex(path, "^(?:%s)$" % epath, context)
            if estatus is not None:
                self.assertEqual(status, estatus, context)

    def assertNoRequests(self, run):
        self.assertRequests(run, [])

    def assertStandardHeaders(self, request):
        """DESIGN §6: SSWS token, JSON both ways, our User-Agent, Content-Length
        0 on a body-less POST."""
        h = request.headers
        what = "%s %s: %r" % (request.method, request.path, h.raw)
        self.assertEqual(h.get_all("Authorization"), ["SSWS " + self.fake.api_token], what)
        self.assertEqual(h.get("Accept"), "application/json", what)
        self.assertEqual(h.get("Content-Type"), "application/json", what)
        self.assertTrue((h.get("User-Agent") or "").startswith("pam_okta_session/"), what)
        if request.method == "POST" and not request.body:
            self.assertEqual(h.get_all("Content-Length"), ["0"], what)
        if request.method in ("GET", "DELETE"):
            self.assertEqual(request.body, b"", what)

    def assertAllHeaders(self, run):
        for r in run.requests:
            self.assertStandardHeaders(r)

    def assertOneConnection(self, requests):
        ids = {r.conn_id for r in requests}
        self.assertEqual(len(ids), 1, "expected one connection: %r" % (requests,))

    def assertNoNewFds(self, run, step, n=0):
        """After STEP nothing the module opened is still open (DESIGN §6)."""
        call = run.call(step, n)
        new = [fd for fd in call["new_fds"] if not self._nss_wrapper_fd(fd)]
        self.assertEqual(new, [], "%s left fds open\n%s" % (step, run.describe()))
        sockets = [fd for fd in call["fds"] if fd["target"].startswith("socket:")]
        self.assertEqual(sockets, [], "%s left sockets open\n%s" % (step, run.describe()))

    def _nss_wrapper_fd(self, fd):
        """nss_wrapper keeps its passwd/group files open: not the module's."""
        return fd["target"] in (self.passwd_file, self.group_file)

    def assertFdsCloexec(self, run):
        """Every fd a call left open is close-on-exec."""
        for call in run.calls:
            for fd in call["new_fds"]:
                self.assertTrue(fd["cloexec"], "%s left fd %r without FD_CLOEXEC\n%s"
                                % (call["step"], fd, run.describe()))

    def assertEnvNeverInProcess(self, run):
        """The module never setenv()s (DESIGN §5.5)."""
        for call in run.calls:
            self.assertFalse(call["process_env_has_session_id"], run.describe())
            self.assertEqual(call["process_env_okta"], [], run.describe())

    def find_log(self, run, severity=None, text=None, **fields):
        """Module log lines whose fields include FIELDS (values: str or compiled
        regex) and whose message contains TEXT."""
        found = []
        for line in run.module_log:
            if severity is not None and line.severity != severity:
                continue
            if text is not None and text not in line.message:
                continue
            ok = True
            for key, want in fields.items():
                have = line.fields.get(key)
                if have is None:
                    ok = False
                elif hasattr(want, "search"):
                    ok = ok and want.fullmatch(have) is not None
                else:
                    ok = ok and have == str(want)
            if ok:
                found.append(line)
        return found

    def assertLogged(self, run, severity=None, text=None, **fields):
        """Some module log line carries FIELDS (key=value) and TEXT."""
        found = self.find_log(run, severity, text, **fields)
        self.assertTrue(found, "no module log line with severity=%s text=%r fields=%r\n%s"
                        % (severity, text, fields, run.describe()))
        for line in found:
            self.assertEqual(line.facility, LOG_AUTHPRIV, "not authpriv: %r" % line)
        return found[0]

    def assertNotLogged(self, run, severity=None, text=None, **fields):
        found = self.find_log(run, severity, text, **fields)
        self.assertFalse(found, "unexpected log line(s): %r" % found)

    def assertNoSecretsLogged(self, run):
        """No password, token, state token, session id or API token of this test
        is in the captured syslog, the conversation or the driver's stderr."""
        for sid in self.fake.sessions():
            self.secrets.add(sid)
        shown = [line.message for line in run.log_lines]
        shown += [e.get("text") or "" for e in run.events
                  if e.get("event") in ("prompt", "info", "error")]
        shown.append(run.stderr)
        for secret in sorted(s for s in self.secrets if s and len(s) >= 6):
            for text in shown:
                self.assertNotIn(secret, text, "a secret (%s…) leaked into %r"
                                 % (secret[:4], text))

    # Variables that carry a session id by design (DESIGN §3 export_env, §5).
    SESSION_ID_VARS = (SESSION_VAR, "OKTA_SESSION_ID")

    def assertNoSecretsElsewhere(self, run):
        """No secret of this test is in the login (PAM) environment after any
        call, nor in a header other than Authorization of any request the
        fake saw, nor in a request path except a session id where the
        Session API puts it."""
        sids = set(self.fake.sessions()) | set(self.session_ids(run))
        for e in run.events:
            if e.get("event") in ("env", "pam_env_after"):
                for k, v in e.get("vars", {}).items():
                    sids.update([v] if k in self.SESSION_ID_VARS else [])
        secrets = sorted(s for s in self.secrets if s and len(s) >= 6)
        not_sids = [s for s in secrets if s not in sids]
        for e in run.events:
            if e.get("event") not in ("env", "pam_env_after"):
                continue
            for name, value in e.get("vars", {}).items():
                for secret in (not_sids if name in self.SESSION_ID_VARS else secrets):
                    self.assertNotIn(secret, name + "=" + value,
                                     "a secret (%s…) is in the login environment"
                                     % secret[:4])
        for r in run.requests:
            for name, value in r.headers.raw:
                if name.lower() == "authorization":
                    continue
                for secret in secrets:
                    self.assertNotIn(secret, "%s: %s" % (name, value),
                                     "a secret (%s…) was sent in header %s"
                                     % (secret[:4], name))
            for secret in not_sids:
                self.assertNotIn(secret, r.raw_path, "a secret (%s…) was sent in the URL"
                                 % secret[:4])

    def assertLogClean(self, run):
        """Every module log line is one line of printable ASCII (escaped)."""
        for line in run.module_log:
            bad = [c for c in line.message if ord(c) < 0x20 or ord(c) >= 0x7f]
            self.assertEqual(bad, [], "unescaped bytes logged: %r" % line.message)

    # ---- small conveniences -----------------------------------------------

    def session_ids(self, run):
        """Session ids seen in the paths of RUN's requests, in order, unique."""
        ids = []
        for r in run.requests:
            m = re.match(r"/api/v1/sessions/([^/]+)", r.path)
            if m and m.group(1) not in ids:
                ids.append(m.group(1))
        return ids
