"""The registry of logins as the tests see it: read the records the module
writes (one "key value" line per field, values percent-encoded) and write
synthetic ones for the daemon, in the format of lib/record.c."""

import os
import secrets
import urllib.parse

FIELDS = ("version", "session_id", "user_id", "okta_login", "pam_user", "service", "tty",
          "rhost", "leader_pid", "leader_start", "boot_id", "logind_session", "opened", "ended")


def boot_id():
    with open("/proc/sys/kernel/random/boot_id") as f:
        return f.read().strip()


def start_time(pid):
    """Field 22 of /proc/PID/stat (None when the process is gone)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            stat = f.read()
    except OSError:
        return None
    return int(stat[stat.rindex(")") + 2:].split()[19])


def record_names(state_dir):
    try:
        return sorted(n for n in os.listdir(state_dir) if n.endswith(".login"))
    except FileNotFoundError:
        return []


def parse(text):
    """The fields of a record; a line that is not "key value" marks it corrupt."""
    fields = {}
    for line in text.splitlines():
        key, sep, value = line.partition(" ")
        if not sep:
            fields["corrupt"] = True
            continue
        fields[key] = urllib.parse.unquote(value)
    return fields


def read_records(state_dir):
    """{name: {field: value}} of every record."""
    out = {}
    for name in record_names(state_dir):
        try:
            with open(os.path.join(state_dir, name), errors="replace") as f:
                out[name] = parse(f.read())
        except OSError:
            out[name] = {"corrupt": True}
    return out


def encode(value):
    return "".join(c if 0x20 < ord(c) < 0x7f and c != "%" else "%%%02X" % ord(c)
                   for c in str(value))


def format_record(fields):
    return "".join("%s %s\n" % (k, encode(fields[k])) for k in FIELDS
                   if fields.get(k) not in (None, ""))


def write_record(state_dir, session_id, okta_login, pid, *, start=None, user_id=None,
                 pam_user="alice", service="sshd", tty="ssh", rhost="127.0.0.1",
                 boot=None, ended=False, opened=None, logind_session=None, name=None):
    """A record as open_session would write it for a login led by PID."""
    os.makedirs(state_dir, mode=0o700, exist_ok=True)
    fields = {"version": 1, "session_id": session_id, "user_id": user_id,
              "okta_login": okta_login, "pam_user": pam_user, "service": service, "tty": tty,
              "rhost": rhost, "leader_pid": pid,
              "leader_start": start if start is not None else start_time(pid),
              "boot_id": boot or boot_id(), "logind_session": logind_session,
              "opened": opened if opened is not None else 1700000000,
              "ended": 1 if ended else 0}
    name = name or secrets.token_hex(16) + ".login"
    path = os.path.join(state_dir, name)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(format_record(fields))
    return name
