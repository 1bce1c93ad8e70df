"""The registry of logins (DESIGN §10) through real libpam: open_session
records the login after its refresh, close_session removes the record after
its DELETE or marks it ended when Okta could not be reached; the files and
the directory are root-only, atomic, never reached through a symlink."""

import os
import stat
import sys
import unittest

from harness import PamTestCase, REFRESH_PATH, SESSION_PATH, login_of, LOG_WARNING, LOG_ERR

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
from registry_records import boot_id, read_records, record_names  # noqa: E402

OPEN_PAUSE_CLOSE = "authenticate acct_mgmt open_session pause close_session"


class Registry(PamTestCase):
    def setUp(self):
        super().setUp()
        self.state_dir = self.config["state_dir"]
        self.seen = []

    def snapshot(self):
        self.seen.append(read_records(self.state_dir))

    def login(self, steps=OPEN_PAUSE_CLOSE, **kw):
        kw.setdefault("answers", self.credentials())
        kw.setdefault("pauses", [self.snapshot])
        return self.run(steps, **kw)

    def test_open_records_the_login_and_close_removes_it(self):
        r = self.login(rhost="192.0.2.7", tty="/dev/pts/9",
                       steps="authenticate acct_mgmt putenv:XDG_SESSION_ID=c42 open_session "
                             "pause close_session")
        self.assertEqual(r.rc("open_session"), "PAM_SUCCESS")
        self.assertEqual(r.rc("close_session"), "PAM_SUCCESS")
        records = self.seen[0]
        self.assertEqual(len(records), 1, records)
        (name, rec), = records.items()
        sid = self.session_ids(r)[0]
        pid = r.call("open_session")["pid"]
        self.assertEqual(rec["version"], "1")
        self.assertEqual(rec["session_id"], sid)
        self.assertEqual(rec["user_id"], self.user_ids["alice"])
        self.assertEqual(rec["okta_login"], login_of("alice"))
        self.assertEqual(rec["pam_user"], "alice")
        self.assertEqual(rec["service"], "okta-test")
        self.assertEqual(rec["tty"], "/dev/pts/9")
        self.assertEqual(rec["rhost"], "192.0.2.7")
        self.assertEqual(int(rec["leader_pid"]), pid)
        self.assertGreater(int(rec["leader_start"]), 0)
        self.assertEqual(rec["boot_id"], boot_id())
        self.assertEqual(rec["logind_session"], "c42")
        self.assertEqual(rec["ended"], "0")
        # After the DELETE (204) the record is gone.
        self.assertEqual([q.method for q in r.requests][-1], "DELETE")
        self.assertEqual(r.requests[-1].status, 204)
        self.assertEqual(record_names(self.state_dir), [])
        self.assertEqual(os.listdir(self.state_dir), [])   # no temporary left behind
        self.assertNoSecretsLogged(r)

    def test_files_and_directory_are_root_only(self):
        self.login()
        st = os.stat(self.state_dir)
        self.assertEqual((st.st_uid, stat.S_IMODE(st.st_mode)), (0, 0o700))
        # The record as it was during the login: 0600, root.
        name = list(self.seen[0])[0]
        r = self.login("authenticate open_session pause close_session",
                       pauses=[lambda: self.seen.append(
                           {n: os.stat(os.path.join(self.state_dir, n))
                            for n in record_names(self.state_dir)})])
        (n, st), = self.seen[1].items()
        self.assertNotEqual(n, name)
        self.assertEqual((st.st_uid, stat.S_IMODE(st.st_mode)), (0, 0o600))
        self.assertEqual(r.rc("close_session"), "PAM_SUCCESS")

    def test_sshd_split_child_authenticates_monitor_records(self):
        r = self.login("child:authenticate+acct_mgmt open_session pause close_session")
        self.assertEqual(r.rc("open_session"), "PAM_SUCCESS")
        (rec,) = self.seen[0].values()
        self.assertEqual(rec["user_id"], self.user_ids["alice"])
        self.assertEqual(int(rec["leader_pid"]), r.call("open_session")["pid"])
        self.assertEqual(record_names(self.state_dir), [])

    def test_delete_404_removes_the_record(self):
        r = self.login(pauses=[lambda: (self.snapshot(), [self.fake.end_session(s) for s in self.fake.sessions()])])
        self.assertEqual(len(self.seen[0]), 1)
        self.assertEqual(r.requests[-1].status, 404)
        self.assertEqual(r.rc("close_session"), "PAM_SUCCESS")
        self.assertEqual(record_names(self.state_dir), [])

    def test_logout_while_okta_is_down_marks_the_record_ended(self):
        self.fake.inject("DELETE", SESSION_PATH, status=503, count=10)
        r = self.login(conf={"retries": "0"})
        self.assertEqual(r.rc("close_session"), "PAM_SESSION_ERR")
        records = read_records(self.state_dir)
        self.assertEqual(len(records), 1)
        (rec,) = records.values()
        self.assertEqual(rec["ended"], "1")
        self.assertEqual(rec["session_id"], self.session_ids(r)[0])
        self.assertLogged(r, text="watch_left_to_daemon")
        self.assertNoSecretsLogged(r)

    def test_watch_no_records_nothing(self):
        r = self.login(conf={"watch": "no"})
        self.assertEqual(r.rc("open_session"), "PAM_SUCCESS")
        self.assertEqual(self.seen[0], {})
        self.assertFalse(os.path.exists(self.state_dir))

    def test_refresh_failure_records_nothing(self):
        self.fake.inject("POST", REFRESH_PATH, status=404)
        r = self.login()
        self.assertEqual(r.rc("open_session"), "PAM_SESSION_ERR")
        self.assertEqual(self.seen[0], {})

    def unusable_state_dir(self):
        """A state_dir the module must refuse: group-writable."""
        os.mkdir(self.state_dir, 0o770)
        os.chmod(self.state_dir, 0o770)

    def test_watch_yes_logs_and_proceeds_when_the_registry_is_unusable(self):
        self.unusable_state_dir()
        r = self.login()
        self.assertEqual(r.rc("open_session"), "PAM_SUCCESS")
        self.assertLogged(r, severity=LOG_WARNING, text="watch_register_failed")
        self.assertEqual(self.seen[0], {})

    def test_watch_required_fails_open_session_when_the_registry_is_unusable(self):
        self.unusable_state_dir()
        r = self.login(conf={"watch": "required"})
        self.assertEqual(r.rc("open_session"), "PAM_SESSION_ERR")
        self.assertLogged(r, severity=LOG_ERR, text="watch_register_failed")

    def test_a_symlinked_state_dir_is_never_followed(self):
        elsewhere = os.path.join(self.dir, "elsewhere")
        os.mkdir(elsewhere, 0o700)
        os.symlink(elsewhere, self.state_dir)
        r = self.login(conf={"watch": "required"})
        self.assertEqual(r.rc("open_session"), "PAM_SESSION_ERR")
        self.assertEqual(os.listdir(elsewhere), [])

    def test_bad_watch_keys_are_config_errors(self):
        for key, value in (("watch", "maybe"), ("watch_interval", "9"),
                           ("watch_interval", "3601"), ("revoke_grace", "0"),
                           ("revoke_grace", "61"), ("state_dir", "relative"),
                           ("keepalive", "perhaps")):
            with self.subTest(key=key, value=value):
                r = self.run("authenticate", answers=self.credentials(), conf={key: value})
                self.assertEqual(r.rc("authenticate"), "PAM_SERVICE_ERR")
                self.assertLogged(r, text=key)

    def test_corrupt_records_beside_do_not_disturb_a_login(self):
        os.mkdir(self.state_dir, 0o700)
        for i, text in enumerate(("", "version 1\n", "garbage", "version 1\nsession_id %%\n",
                                  "\0" * 100)):
            path = os.path.join(self.state_dir, "%032x.login" % i)
            with open(path, "w") as f:
                f.write(text)
            os.chmod(path, 0o600)
        os.symlink("/etc/passwd", os.path.join(self.state_dir, "%032x.login" % 99))
        r = self.login()
        self.assertEqual(r.rc("close_session"), "PAM_SUCCESS")
        self.assertEqual(len(record_names(self.state_dir)), 6)   # ours removed, others kept


if __name__ == "__main__":
    unittest.main()
