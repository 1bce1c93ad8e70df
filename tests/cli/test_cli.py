"""okta-session, the administrator's command, against the fake Okta org.

Every subcommand runs as built (BUILDDIR/okta-session, or OKTA_TEST_CLI)
under nss_wrapper with the users and the root-only configuration of
tests/pam/harness.py, so it reads the same file the module reads. Every
run asserts that no secret of the test — API token, passwords, session
tokens, session ids (unless --show-id asked for one) — was printed.
"""

import json
import os
import pty
import re
import select
import subprocess
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "pam"))
from harness import (BUILDDIR, PASSWORDS, SESSION_PATH, PamTestCase,  # noqa: E402
                     closed_port_url, login_of)

CLI = os.environ.get("OKTA_TEST_CLI") or os.path.join(BUILDDIR, "okta-session")
PROBE = "/api/v1/sessions/okta-session-check-probe"
CHECKS = ["config-file", "configuration", "dns", "tcp", "tls", "api-token", "pam-stack"]
EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_GONE = 0, 1, 2, 3


class CliRun:
    def __init__(self, proc, requests, duration):
        self.rc = proc.returncode
        self.stdout = proc.stdout.decode("utf-8", "replace")
        self.stderr = proc.stderr.decode("utf-8", "replace")
        self.requests = requests
        self.duration = duration

    def json(self):
        return json.loads(self.stdout)

    def checks(self):
        """{name: (result, detail)} from check's text output."""
        out = {}
        for line in self.stdout.splitlines():
            m = re.match(r"(ok|failed|skipped)\s+(\S+)\s+(.*)", line)
            if m:
                out[m.group(2)] = (m.group(1), m.group(3))
        return out

    def __repr__(self):
        return "<okta-session rc=%s\nstdout:\n%s\nstderr:\n%s\nrequests: %s>" % (
            self.rc, self.stdout, self.stderr,
            [(r.method, r.path, r.status) for r in self.requests])


@unittest.skipUnless(os.path.exists(CLI), "okta-session is not built")
class CliTestCase(PamTestCase):
    def cli(self, *args, stdin="", config=True, conf=None, show_ids=False, timeout=60):
        """Runs okta-session --config <this test's file> ARGS with STDIN."""
        if config:
            self.write_config(conf)
        cmd = [CLI] + (["--config", self.config_path] if config else []) + list(args)
        if os.environ.get("OKTA_TEST_WRAPPER"):
            cmd = os.environ["OKTA_TEST_WRAPPER"].split() + cmd
            timeout *= 10
        env = self.driver_env(os.path.join(self.dir, "syslog.cli"))
        start = len(self.fake.requests)
        before = set(self.fake.sessions())
        started = time.monotonic()
        proc = subprocess.run(cmd, input=stdin.encode(), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, env=env, cwd=self.dir, timeout=timeout)
        run = CliRun(proc, self.fake.requests[start:], time.monotonic() - started)
        run.sessions_before = before
        self.assertNoSecretsPrinted(run.stdout + run.stderr, show_ids)
        return run

    def assertNoSecretsPrinted(self, text, show_ids=False):
        """No secret in TEXT; with SHOW_IDS (--show-id) session ids may be."""
        ids = set(self.fake.sessions())
        for r in self.fake.requests:
            m = re.match(r"/api/v1/sessions/([^/]+)", r.path)
            if m and m.group(1) != PROBE.rsplit("/", 1)[1]:
                ids.add(m.group(1))
            if isinstance(r.json, dict):
                for key in ("password", "sessionToken", "stateToken", "passCode"):
                    if isinstance(r.json.get(key), str):
                        self.secrets.add(r.json[key])
        secrets = set(self.secrets) | ids
        if show_ids:
            secrets -= ids
            secrets -= {s for s in self.secrets if re.fullmatch(r"102[A-Za-z0-9_-]{22}", s)}
        for secret in secrets:
            if secret and len(secret) >= 6:
                self.assertNotIn(secret, text, "a secret (%s…) was printed" % secret[:4])

    def assertNoLiveSessionFrom(self, run):
        """RUN left no new session alive in the fake."""
        self.assertEqual(set(self.fake.sessions()) - run.sessions_before, set(), run)

    def assertCheck(self, run, expected):
        """RUN's check lines: {name: result or (result, regex on detail)}."""
        got = run.checks()
        self.assertEqual(list(got), CHECKS, run)
        for name in CHECKS:
            want = expected.get(name, "ok")
            result, pattern = want if isinstance(want, tuple) else (want, None)
            self.assertEqual(got[name][0], result, "%s\n%r" % (name, run))
            if pattern:
                self.assertRegex(got[name][1], pattern, run)
        all_ok = all(r == "ok" for r, _ in got.values())
        self.assertEqual(run.rc, EXIT_OK if all_ok else EXIT_FAILED, run)
        self.assertIn("all checks passed" if all_ok else "some checks failed", run.stdout)


class Check(CliTestCase):
    def test_everything_ok(self):
        run = self.cli("check")
        self.assertCheck(run, {"config-file": ("ok", r"mode 0600"),
                               "api-token": ("ok", r"404 E0000007")})
        # One request, the one acct_mgmt makes, with the module's headers.
        self.assertRequests(run.requests, [("GET", PROBE, 404)])
        self.assertStandardHeaders(run.requests[0])
        self.assertNoLiveSessionFrom(run)

    def test_json(self):
        run = self.cli("--json", "check")
        doc = run.json()
        self.assertTrue(doc["ok"])
        self.assertEqual([c["name"] for c in doc["checks"]], CHECKS)
        self.assertEqual({c["result"] for c in doc["checks"]}, {"ok"})
        self.assertEqual(run.rc, EXIT_OK)

    def test_unknown_key_is_a_configuration_failure(self):
        run = self.cli("check", conf={"no_such_key": "1"})
        self.assertCheck(run, {"configuration": ("failed", r"unknown key 'no_such_key'"),
                               "dns": "skipped", "tcp": "skipped", "tls": "skipped",
                               "api-token": "skipped"})
        self.assertRequests(run.requests, [])

    def test_malformed_value_names_the_key(self):
        run = self.cli("check", conf={"timeout": "soon"})
        self.assertCheck(run, {"configuration": ("failed", r"line \d+: timeout: 'soon' is not"),
                               "dns": "skipped", "tcp": "skipped", "tls": "skipped",
                               "api-token": "skipped"})

    def test_missing_file(self):
        os.unlink(self.write_config())
        run = self.cli("check", config=False)
        # Without --config the module's default path is read.
        self.assertIn("/etc/security/pam_okta_session.conf", run.stdout)
        run = self.run_check_with(os.path.join(self.dir, "absent.conf"))
        self.assertCheck(run, {"config-file": ("failed", r"cannot open: No such file"),
                               "configuration": "skipped", "dns": "skipped", "tcp": "skipped",
                               "tls": "skipped", "api-token": "skipped"})

    def run_check_with(self, path):
        return self.cli("--config", path, "check", config=False)

    def test_group_writable_file(self):
        self.write_config(mode=0o620)
        run = self.run_check_with(self.config_path)
        self.assertCheck(run, {"config-file": ("failed", r"writable by group or other"),
                               "configuration": "skipped", "dns": "skipped", "tcp": "skipped",
                               "tls": "skipped", "api-token": "skipped"})

    def test_file_not_owned_by_root(self):
        self.write_config(uid=1001)
        run = self.run_check_with(self.config_path)
        self.assertCheck(run, {"config-file": ("failed", r"not owned by root"),
                               "configuration": "skipped", "dns": "skipped", "tcp": "skipped",
                               "tls": "skipped", "api-token": "skipped"})

    def test_symlink_is_refused(self):
        self.write_config()
        link = os.path.join(self.dir, "link.conf")
        os.symlink(self.config_path, link)
        run = self.run_check_with(link)
        self.assertCheck(run, {"config-file": ("failed", r"symbolic link"),
                               "configuration": "skipped", "dns": "skipped", "tcp": "skipped",
                               "tls": "skipped", "api-token": "skipped"})

    def test_token_file_readable_by_others(self):
        os.chmod(self.api_token_file, 0o644)
        run = self.cli("check")
        self.assertCheck(run, {"configuration": ("failed", r"readable by group or other"),
                               "dns": "skipped", "tcp": "skipped", "tls": "skipped",
                               "api-token": "skipped"})
        self.assertRequests(run.requests, [])

    def test_inline_token_in_a_world_readable_file(self):
        self.write_config({"api_token_file": None, "api_token": self.fake.api_token},
                          mode=0o644)
        run = self.run_check_with(self.config_path)
        self.assertCheck(run, {"config-file": ("ok", r"mode 0644"),
                               "configuration": ("failed", r"holds api_token but is readable"),
                               "dns": "skipped", "tcp": "skipped", "tls": "skipped",
                               "api-token": "skipped"})

    def test_unreachable(self):
        url = closed_port_url()
        run = self.cli("check", conf={"org_url": url})
        self.assertCheck(run, {"dns": ("ok", r"127\.0\.0\.1 resolves to 127\.0\.0\.1"),
                               "tcp": ("failed", r"port \d+: Connection refused"),
                               "tls": "skipped", "api-token": "skipped"})

    def test_tls_unknown_ca(self):
        run = self.cli("check", conf={"ca_file": self.other_ca_file()})
        self.assertCheck(run, {"tls": ("failed", r"tls/protocol failure: .*certificate.*"
                                                 r"trust anchors: .*other\.pem"),
                               "api-token": ("skipped", r"no answer")})
        # The handshake failed: no request reached the fake's HTTP layer.
        self.assertRequests(run.requests, [])

    def test_token_rejected(self):
        self.write_private(self.api_token_file, "00NotTheRightToken-0123456789abcdefghijklm\n")
        self.secrets.add("00NotTheRightToken-0123456789abcdefghijklm")
        run = self.cli("check")
        self.assertCheck(run, {"api-token": ("failed", r"rejected: 401 E0000011")})
        self.assertRequests(run.requests, [("GET", PROBE, 401)])

    def test_token_without_permission(self):
        self.fake.inject("GET", PROBE, status=403,
                         body=self.fake._error_body("E0000006"))
        run = self.cli("check")
        self.assertCheck(run, {"api-token": ("failed", r"403 E0000006: .*may not read sessions")})

    def test_okta_failing(self):
        self.fake.inject("GET", PROBE, status=503, count=None)
        run = self.cli("check", conf={"retries": "0"})
        self.assertCheck(run, {"tls": "ok", "api-token": ("failed", r"Okta answered 503")})

    def test_trust_anchor_others_may_change(self):
        d = os.path.join(self.dir, "certs")
        os.mkdir(d)
        ca = os.path.join(d, "ca.pem")
        with open(self.fake.ca_file) as src, open(ca, "w") as dst:
            dst.write(src.read())
        os.chmod(ca, 0o644)
        os.chmod(d, 0o777)
        run = self.cli("check", conf={"ca_file": ca})
        self.assertCheck(run, {"configuration": ("failed", r"ca_file: .*certs: writable by "
                                                           r"group or other"),
                               "dns": "skipped", "tcp": "skipped", "tls": "skipped",
                               "api-token": "skipped"})
        self.assertRequests(run.requests, [])
        os.chmod(d, 0o755)
        os.chmod(ca, 0o666)
        run = self.cli("check", conf={"ca_file": ca})
        self.assertCheck(run, {"configuration": ("failed", r"ca_file: .*ca\.pem: writable by "
                                                           r"group or other"),
                               "dns": "skipped", "tcp": "skipped", "tls": "skipped",
                               "api-token": "skipped"})

    def test_json_failure(self):
        run = self.cli("--json", "check", conf={"ca_file": self.other_ca_file()})
        doc = run.json()
        self.assertFalse(doc["ok"])
        results = {c["name"]: c["result"] for c in doc["checks"]}
        self.assertEqual(results["tls"], "failed")
        self.assertEqual(results["api-token"], "skipped")
        self.assertEqual(run.rc, EXIT_FAILED)


class ExampleConfig(CliTestCase):
    def test_example_names_every_key_and_parses(self):
        """examples/pam_okta_session.conf shows every key (commented defaults
        included), and with its defaults uncommented it passes check."""
        from harness import SRCDIR
        with open(os.path.join(SRCDIR, "examples", "pam_okta_session.conf")) as f:
            text = f.read()
        with open(os.path.join(SRCDIR, "lib", "config.c")) as f:
            table = re.search(r"options\[\] = \{(.*?)\};", f.read(), re.S).group(1)
        keys = set(re.findall(r"OPT(?:_RANGE)?\((\w+)", table)) | {"factors"}
        shown = set(re.findall(r"(?m)^#?(\w+) = ", text))
        self.assertEqual(keys - shown, set())
        lines, seen = [], set()
        for line in text.splitlines():
            m = re.match(r"#?(\w+) = (.*)", line)
            if not m or m.group(1) in ("api_token", "proxy", "ca_path", "try_first_pass"):
                continue
            key, value = m.groups()
            if key in seen:
                continue  # an alternative shown in a comment: a key is set once
            seen.add(key)
            value = {"org_url": self.fake.url, "api_token_file": self.api_token_file,
                     "ca_file": self.fake.ca_file}.get(key, value)
            lines.append("%s = %s\n" % (key, value))
        self.write_private(self.config_path, "".join(lines))
        run = self.run_check(self.config_path)
        self.assertEqual(run.rc, EXIT_OK, run)

    def run_check(self, path):
        return self.cli("--config", path, "check", config=False)


class Login(CliTestCase):
    def test_short_name_login(self):
        """login_format=%u: Okta accepts the short name; the session is the
        transaction's user even though its login is the full one."""
        run = self.cli("login", "alice", stdin=PASSWORDS["alice"] + "\n",
                       conf={"login_format": "%u"})
        self.assertEqual(run.rc, EXIT_OK, run)
        self.assertEqual(run.requests[0].json["username"], "alice")
        self.assertRegex(run.stdout, r"login:\s+alice@example\.com")

    def test_password_login_prints_the_session_without_its_id_and_ends_it(self):
        run = self.cli("login", "alice", stdin=PASSWORDS["alice"] + "\n")
        self.assertEqual(run.rc, EXIT_OK, run)
        self.assertIn("Password: ", run.stderr)
        self.assertRegex(run.stdout, r"login:\s+alice@example\.com")
        self.assertRegex(run.stdout, r"status:\s+ACTIVE")
        self.assertRegex(run.stdout, r"amr:\s+pwd")
        self.assertNotRegex(run.stdout, r"(?m)^id:")
        self.assertRequests(run.requests, [("POST", "/api/v1/authn", 200),
                                           ("POST", "/api/v1/sessions", 200),
                                           ("DELETE", SESSION_PATH, 204)])
        self.assertEqual(run.requests[0].json["username"], login_of("alice"))
        for r in run.requests:
            self.assertStandardHeaders(r)
        self.assertNoLiveSessionFrom(run)

    def test_show_id_keeps_the_session(self):
        run = self.cli("--json", "--show-id", "login", "alice",
                       stdin=PASSWORDS["alice"] + "\n", show_ids=True)
        self.assertEqual(run.rc, EXIT_OK, run)
        doc = run.json()
        self.assertIn(doc["session"]["id"], self.fake.sessions())
        self.assertEqual(doc["session"]["login"], login_of("alice"))
        self.assertRequests(run.requests, [("POST", "/api/v1/authn", 200),
                                           ("POST", "/api/v1/sessions", 200)])

    def test_wrong_password(self):
        run = self.cli("login", "alice", stdin="not-the-password\n")
        self.assertEqual(run.rc, EXIT_FAILED, run)
        self.assertRegex(run.stderr, r"denied: authentication failed \(http=401 code=E0000004")
        self.assertRequests(run.requests, [("POST", "/api/v1/authn", 401)])

    def test_unknown_local_user_sends_nothing(self):
        run = self.cli("login", "mallory", stdin="whatever\n")
        self.assertEqual(run.rc, EXIT_FAILED, run)
        self.assertIn("PAM_USER_UNKNOWN", run.stderr)
        self.assertRequests(run.requests, [])

    def test_below_minimum_uid(self):
        run = self.cli("login", "lowuid", stdin=PASSWORDS["lowuid"] + "\n",
                       conf={"minimum_uid": "1000"})
        self.assertEqual(run.rc, EXIT_FAILED, run)
        self.assertIn("below minimum_uid", run.stderr)
        self.assertRequests(run.requests, [])

    def test_empty_password_is_not_sent(self):
        run = self.cli("login", "alice", stdin="\n")
        self.assertEqual(run.rc, EXIT_FAILED, run)
        self.assertRequests(run.requests, [])

    def test_no_input_is_a_conversation_failure(self):
        run = self.cli("--json", "login", "alice", stdin="")
        self.assertEqual(run.rc, EXIT_FAILED, run)
        self.assertEqual(run.json()["error"]["status"], "conversation_error")
        self.assertRequests(run.requests, [])

    def test_push(self):
        self.fake.add_user(login_of("bob"), PASSWORDS["bob"], mfa_required=True,
                           factors=("push",))
        self.fake.push_auto(login_of("bob"), "approve", after_polls=1)
        run = self.cli("--json", "login", "bob", stdin=PASSWORDS["bob"] + "\n\n")
        self.assertEqual(run.rc, EXIT_OK, run)
        self.assertIn("Okta Verify: press Enter to get a push to Bob's iPhone: ", run.stderr)
        self.assertIn("mfa", run.json()["session"]["amr"])
        self.assertNotIn("id", run.json()["session"])
        self.assertEqual(self.fake.push_polls(login_of("bob")), 1)

    def test_totp(self):
        self.fake.add_user(login_of("bob"), PASSWORDS["bob"], mfa_required=True,
                           factors=("totp",))
        code = self.fake.totp_code(login_of("bob"))
        run = self.cli("login", "bob", stdin=PASSWORDS["bob"] + "\n" + code + "\n")
        self.assertEqual(run.rc, EXIT_OK, run)
        self.assertIn("Okta Verify code: ", run.stderr)
        self.assertRegex(run.stdout, r"amr:.*\bmfa\b")

    def test_push_rejected_is_cancelled(self):
        self.fake.add_user(login_of("bob"), PASSWORDS["bob"], mfa_required=True,
                           factors=("push",))
        self.fake.push_auto(login_of("bob"), "reject", after_polls=1)
        run = self.cli("login", "bob", stdin=PASSWORDS["bob"] + "\n\n")
        self.assertEqual(run.rc, EXIT_FAILED, run)
        self.assertNoLiveSessionFrom(run)

    def test_token_source_prompt_with_require_mfa_refuses_and_ends(self):
        token = self.mint_token("alice", amr=["pwd"])
        run = self.cli("login", "alice", stdin=" %s \n" % token,
                       conf={"token_source": "prompt", "require_mfa": "yes"})
        self.assertEqual(run.rc, EXIT_FAILED, run)
        self.assertIn("Okta session token: ", run.stderr)
        self.assertIn("require_mfa", run.stderr)
        # As the module does: the refused session is ended at once.
        self.assertRequests(run.requests, [("POST", "/api/v1/sessions", 200),
                                           ("DELETE", SESSION_PATH, 204)])
        self.assertNoLiveSessionFrom(run)

    def test_session_of_another_user_is_refused(self):
        token = self.mint_token("bob")
        run = self.cli("login", "alice", stdin=token + "\n", conf={"token_source": "prompt"})
        self.assertEqual(run.rc, EXIT_FAILED, run)
        self.assertIn("belongs to another Okta user", run.stderr)
        self.assertNoLiveSessionFrom(run)

    def test_password_is_not_echoed_on_a_terminal(self):
        """On a terminal the password prompt turns echo off (and back on)."""
        self.write_config()
        env = self.driver_env(os.path.join(self.dir, "syslog.cli"))
        master, slave = pty.openpty()
        proc = subprocess.Popen([CLI, "--config", self.config_path, "login", "alice"],
                                stdin=slave, stdout=slave, stderr=slave, env=env,
                                cwd=self.dir, close_fds=True)
        os.close(slave)
        out = b""
        sent = False
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(master, 4096)
                except OSError:
                    break
                if not chunk:
                    break
                out += chunk
            if not sent and b"Password: " in out:
                time.sleep(0.2)  # let the terminal settle with echo off
                os.write(master, (PASSWORDS["alice"] + "\n").encode())
                sent = True
            if proc.poll() is not None and not ready:
                break
        proc.wait(timeout=10)
        os.close(master)
        text = out.decode("utf-8", "replace")
        self.assertEqual(proc.returncode, EXIT_OK, text)
        self.assertNotIn(PASSWORDS["alice"], text)
        self.assertIn("alice@example.com", text)


class Sessions(CliTestCase):
    def test_get_reads_the_id_from_stdin(self):
        sid = self.create_session("alice")
        run = self.cli("get", "-", stdin=sid + "\n")
        self.assertEqual(run.rc, EXIT_OK, run)
        self.assertRegex(run.stdout, r"status:\s+ACTIVE")
        self.assertRequests(run.requests, [("GET", "/api/v1/sessions/" + sid, 200)])
        self.assertStandardHeaders(run.requests[0])

    def test_get_from_argv_and_show_id(self):
        sid = self.create_session("alice")
        run = self.cli("--json", "--show-id", "get", sid, show_ids=True)
        self.assertEqual(run.rc, EXIT_OK, run)
        self.assertEqual(run.json()["session"]["id"], sid)

    def test_get_gone(self):
        sid = self.create_session("alice")
        self.fake.end_session(sid)
        run = self.cli("--json", "get", "-", stdin=sid)
        self.assertEqual(run.rc, EXIT_GONE, run)
        err = run.json()["error"]
        self.assertEqual((err["status"], err["http"], err["code"]),
                         ("session_gone", 404, "E0000007"))

    def test_get_not_active(self):
        sid = self.create_session("alice", status="MFA_REQUIRED")
        run = self.cli("get", "-", stdin=sid)
        self.assertEqual(run.rc, EXIT_GONE, run)
        self.assertIn("not ACTIVE", run.stdout)

    def test_refresh_extends_the_session(self):
        sid = self.create_session("alice", lifetime=600)
        before = self.fake.session(sid)["expiresAt"]
        run = self.cli("--json", "refresh", "-", stdin=sid + "\n")
        self.assertEqual(run.rc, EXIT_OK, run)
        after = run.json()["session"]["expiresAt"]
        self.assertGreater(after, before)
        self.assertRequests(run.requests,
                            [("POST", "/api/v1/sessions/%s/lifecycle/refresh" % sid, 200)])

    def test_end_then_end_again(self):
        sid = self.create_session("alice")
        run = self.cli("end", "-", stdin=sid + "\n")
        self.assertEqual(run.rc, EXIT_OK, run)
        self.assertEqual(run.stdout.strip(), "ended")
        self.assertNoLiveSessionFrom(run)
        run = self.cli("--json", "end", "-", stdin=sid + "\n")
        self.assertEqual(run.rc, EXIT_OK, run)
        self.assertTrue(run.json()["ok"])
        self.assertRequests(run.requests, [("DELETE", "/api/v1/sessions/" + sid, 404)])

    def test_malformed_id_is_not_sent_or_echoed(self):
        bad = "abc/../../users/me"
        self.secrets.add(bad)
        run = self.cli("get", "-", stdin=bad + "\n")
        self.assertEqual(run.rc, EXIT_USAGE, run)
        self.assertRequests(run.requests, [])

    def test_token_rejected(self):
        sid = self.create_session("alice")
        self.write_private(self.api_token_file, "00NotTheRightToken-0123456789abcdefghijklm\n")
        run = self.cli("get", "-", stdin=sid)
        self.assertEqual(run.rc, EXIT_FAILED, run)
        self.assertIn("service_error: API token rejected (401)", run.stderr)
        self.assertIn("okta-session check", run.stderr)

    def test_bad_configuration(self):
        run = self.cli("get", "-", stdin="x", conf={"org_url": "http://example.com"})
        self.assertEqual(run.rc, EXIT_USAGE, run)
        self.assertIn("org_url: must start with https://", run.stderr)


class Usage(CliTestCase):
    def test_usage_errors(self):
        for args in ([], ["frobnicate"], ["get"], ["check", "extra"], ["--nope", "check"]):
            run = self.cli(*args)
            self.assertEqual(run.rc, EXIT_USAGE, (args, run))
            self.assertIn("usage: okta-session", run.stderr)
            self.assertRequests(run.requests, [])

    def test_help(self):
        run = self.cli("--help", config=False)
        self.assertEqual(run.rc, EXIT_OK, run)
        self.assertIn("visible", run.stdout)


sys.path.insert(0, os.path.dirname(HERE))
from registry_records import start_time, write_record  # noqa: E402


class Logins(CliTestCase):
    """okta-session logins: the registry, without session ids unless --show-id."""

    def setUp(self):
        super().setUp()
        self.state_dir = self.config["state_dir"]
        self.leader = subprocess.Popen(["sleep", "600"], start_new_session=True)
        self.addCleanup(lambda: (self.leader.kill(), self.leader.wait()))
        while start_time(self.leader.pid) is None:
            time.sleep(0.01)

    def records(self):
        live = self.create_session("alice")
        ended = self.create_session("bob")
        orphan = self.create_session("carol")
        write_record(self.state_dir, live, login_of("alice"), self.leader.pid,
                     user_id=self.user_ids["alice"], tty="pts/1", rhost="192.0.2.1",
                     opened=1764624000, name="%032x.login" % 1)
        write_record(self.state_dir, ended, login_of("bob"), self.leader.pid, pam_user="bob",
                     service="su", tty="pts/\x1b[2J", rhost=None, ended=True,
                     name="%032x.login" % 2)
        write_record(self.state_dir, orphan, login_of("carol"), self.leader.pid,
                     pam_user="carol", start=start_time(self.leader.pid) + 1,
                     name="%032x.login" % 3)
        return live, ended, orphan

    def test_text(self):
        ids = self.records()
        r = self.cli("logins")
        self.assertEqual(r.rc, EXIT_OK, r)
        lines = r.stdout.splitlines()
        self.assertEqual(lines[0].split()[:3], ["USER", "OKTA", "LOGIN"])
        self.assertRegex(lines[1], r"^alice +alice@example.com +sshd +pts/1 +192\.0\.2\.1 +"
                                   r"2025-12-01T21:20:00Z +%d +live$" % self.leader.pid)
        self.assertRegex(lines[2], r"^bob .* su .*pts/\\x1b\[2J .* ended, waiting for Okta$")
        self.assertRegex(lines[3], r"^carol .* orphan$")
        self.assertEqual(r.requests, [])
        for sid in ids:
            self.assertNotIn(sid, r.stdout)

    def test_json(self):
        self.records()
        r = self.cli("--json", "logins")
        self.assertEqual(r.rc, EXIT_OK, r)
        logins = r.json()["logins"]
        self.assertEqual([(l["user"], l["state"]) for l in logins],
                         [("alice", "live"), ("bob", "ended, waiting for Okta"),
                          ("carol", "orphan")])
        self.assertEqual(logins[0]["login"], login_of("alice"))
        self.assertEqual(logins[0]["leader"], self.leader.pid)
        self.assertEqual(logins[0]["since"], "2025-12-01T21:20:00Z")
        self.assertIsNone(logins[1]["rhost"])
        self.assertNotIn("sessionId", logins[0])

    def test_show_id(self):
        live, ended, orphan = self.records()
        r = self.cli("--json", "--show-id", "logins", show_ids=True)
        self.assertEqual([l["sessionId"] for l in r.json()["logins"]], [live, ended, orphan])
        r = self.cli("--show-id", "logins", show_ids=True)
        self.assertIn(live, r.stdout)

    def test_nothing_registered(self):
        r = self.cli("logins")
        self.assertEqual(r.rc, EXIT_OK, r)
        self.assertIn("no logins registered", r.stdout)
        r = self.cli("--json", "logins")
        self.assertEqual(r.json(), {"logins": []})

    def test_unreadable_record_is_reported(self):
        self.records()
        path = os.path.join(self.state_dir, "%032x.login" % 9)
        with open(path, "w") as f:
            f.write("version 1\nsession_id")
        os.chmod(path, 0o600)
        r = self.cli("logins")
        self.assertEqual(r.rc, EXIT_FAILED, r)
        self.assertIn("unreadable", r.stderr)
        self.assertEqual(len(r.stdout.splitlines()), 4)

    def test_state_dir_open_to_others_is_refused(self):
        os.makedirs(self.state_dir, 0o755)
        os.chmod(self.state_dir, 0o755)
        r = self.cli("logins")
        self.assertEqual(r.rc, EXIT_FAILED, r)


if __name__ == "__main__":
    unittest.main()
