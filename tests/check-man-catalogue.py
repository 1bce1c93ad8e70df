#!/usr/bin/python3
"""The man pages cannot drift from the source.

man-catalogue: every line the module can log is in the SYSLOG MESSAGES
section of pam_okta_session(8) — the constant text of every pam_syslog
format, every outcome name (okta_log_outcome, okta_finish's status names,
codes.c's own) with the level the source logs it at, every debug text, and
every detail text the library and the PAM layer set (okta_result_set).
man-keys: every key of the options table in lib/config.c is described in
pam_okta_session.conf(5).
"""
import glob
import os
import re
import sys

SRCDIR = os.environ.get("OKTA_TEST_SRCDIR") or os.path.dirname(
    os.path.dirname(os.path.abspath(__file__)))
LEVELS = {"LOG_CRIT": "crit", "LOG_ERR": "err", "LOG_WARNING": "warning",
          "LOG_NOTICE": "notice", "LOG_INFO": "info", "LOG_DEBUG": "debug"}
LITERAL = r'((?:"(?:[^"\\]|\\.)*"\s*)+)'


def read(path):
    with open(os.path.join(SRCDIR, path), encoding="utf-8") as f:
        return f.read()


def c_string(lit):
    """The text of adjacent C string literals."""
    return "".join(bytes(s, "utf-8").decode("unicode_escape")
                   for s in re.findall(r'"((?:[^"\\]|\\.)*)"', lit))


def constant_fragments(fmt):
    """The pieces of a printf format between its conversions."""
    pieces = re.split(r"%[-+ #0]*\d*(?:\.\d+|\.\*)?(?:hh|h|ll|l|z|j|t)?[diouxXscpfeEgG%]", fmt)
    out = []
    for p in pieces:
        p = re.sub(r"\s+", " ", p).strip(" :=\"")
        if len(p) >= 3:
            out.append(p)
    return out


def roff_text(path):
    """The man page's words with font escapes removed, on one line."""
    t = read(path)
    t = re.sub(r"^\.\\\".*$", "", t, flags=re.M)
    t = re.sub(r"^\.(?:B|I|BR|RB|BI|IB|IR|RI|TP|IP|PP|RS|RE|nf|fi|SS|SH|TH|br)\b ?", "", t,
               flags=re.M)
    t = re.sub(r"\\f[BIRP]", "", t)
    t = t.replace("\\-", "-").replace("\\(dq", '"').replace("\\(em", "-").replace("\\&", "")
    t = t.replace("\\(aq", "'").replace("\\e", "\\").replace("\\c\n", "")
    t = t.replace('"', " ")
    return re.sub(r"\s+", " ", t)


def catalogue_section(man):
    start = man.index("SYSLOG MESSAGES")
    end = man.index(" FILES ", start)
    return man[start:end]


def main():
    failures = []
    man8 = roff_text("doc/pam_okta_session.8")
    cat = catalogue_section(man8)
    pam_sources = {p: read(p) for p in sorted(glob.glob(os.path.join(SRCDIR, "pam", "*.c")))}
    pam_sources = {os.path.relpath(p, SRCDIR): t for p, t in pam_sources.items()}
    lib_sources = {os.path.relpath(p, SRCDIR): read(os.path.relpath(p, SRCDIR))
                   for p in sorted(glob.glob(os.path.join(SRCDIR, "lib", "*.c")))}
    checked = 0

    def need(text, why):
        nonlocal checked
        checked += 1
        if re.sub(r"\s+", " ", text) not in cat:
            failures.append("%s: %r is not in the SYSLOG MESSAGES section" % (why, text))

    def need_level(name, level, why):
        nonlocal checked
        checked += 1
        if not re.search(r"(?:^| )%s \(%s\)" % (re.escape(name), level), cat):
            failures.append("%s: %s is not catalogued as (%s)" % (why, name, level))

    # pam_syslog formats (with the level they are logged at).
    for path, text in pam_sources.items():
        for m in re.finditer(r"pam_syslog\(\s*[^,]+,\s*(LOG_[A-Z]+|[a-z_]+),\s*" + LITERAL,
                             text, re.S):
            fmt = c_string(m.group(2))
            for frag in constant_fragments(fmt):
                need(frag, "%s pam_syslog" % path)
            if m.group(1) in LEVELS and fmt.startswith("%s: ") and fmt != "%s: %s":
                first = constant_fragments(fmt)[0]
                name = re.match(r"[a-z_]+(?:: [a-z ]+)?", first).group(0)
                if first.startswith("ignoring a malformed"):
                    name = "ignoring a malformed PAM_OKTA_SESSION_ID in the PAM environment"
                if "config_error" in first:
                    name = "config_error"
                need_level(name, LEVELS[m.group(1)], "%s pam_syslog" % path)
    # okta_log_outcome(ctx, LEVEL, "outcome", ...)
    for path, text in pam_sources.items():
        for m in re.finditer(r"okta_log_outcome\(\s*[^,]+,\s*(LOG_[A-Z]+),\s*\"([a-z_]+)\"",
                             text):
            need_level(m.group(2), LEVELS[m.group(1)], "%s okta_log_outcome" % path)
    # okta_finish: the status names at okta_log_priority's levels.
    codes = pam_sources["pam/codes.c"]
    prio = re.search(r"int okta_log_priority.*?\n}", codes, re.S).group(0)
    level_of, pending = {}, []
    for line in prio.splitlines():
        for st in re.findall(r"case (OKTA_[A-Z_]+):", line):
            pending.append(st)
        m = re.search(r"return (LOG_[A-Z]+);", line)
        if m:
            for st in pending:
                level_of[st] = LEVELS[m.group(1)]
            pending = []
        m = re.search(r"default: return (LOG_[A-Z]+);", line)
        if m:
            level_of["default"] = LEVELS[m.group(1)]
    names = re.findall(r"case (OKTA_[A-Z_]+): return \"([a-z_]+)\"", read("lib/result.c"))
    if len(names) < 10:
        failures.append("could not read okta_status_name from lib/result.c")
    for status, name in names:
        need_level(name, level_of.get(status, level_of.get("default")), "okta_status_name")
    for name in re.findall(r"outcome = \"([a-z_]+)\"", codes):
        need_level(name, level_of.get("OKTA_ERR_UNREACHABLE", level_of.get("default")),
                   "pam/codes.c outcome")
    # okta_log_debug texts.
    for path, text in pam_sources.items():
        for m in re.finditer(r"okta_log_debug\(\s*[^,]+,\s*" + LITERAL, text, re.S):
            for frag in constant_fragments(c_string(m.group(1))):
                need(frag, "%s okta_log_debug" % path)
    # detail="..." texts.
    for path, text in list(lib_sources.items()) + list(pam_sources.items()):
        for m in re.finditer(r"okta_result_set\(\s*[^,]+,\s*[^,]+,\s*" + LITERAL, text, re.S):
            fmt = c_string(m.group(1))
            if fmt == "%s":
                continue
            for frag in constant_fragments(fmt):
                need(frag, "%s detail" % path)

    # okta-sessiond's lines in okta-sessiond(8).
    dcat = catalogue_section(roff_text("doc/okta-sessiond.8"))
    for path in sorted(glob.glob(os.path.join(SRCDIR, "sessiond", "*.c"))):
        text = read(os.path.relpath(path, SRCDIR))
        rel = os.path.relpath(path, SRCDIR)
        for m in re.finditer(r"\bsyslog\(\s*(LOG_[A-Z]+),\s*" + LITERAL, text, re.S):
            for frag in constant_fragments(c_string(m.group(2))):
                checked += 1
                if re.sub(r"\s+", " ", frag) not in dcat:
                    failures.append("%s syslog: %r is not in okta-sessiond(8)" % (rel, frag))
        for m in re.finditer(r"sessiond_log_(?:record|result)\(\s*(LOG_[A-Z]+),\s*\"([a-z_]+)\"",
                             text):
            checked += 1
            if not re.search(r"(?:^| )%s \(%s\)" % (m.group(2), LEVELS[m.group(1)]), dcat):
                failures.append("%s: %s is not catalogued as (%s) in okta-sessiond(8)"
                                % (rel, m.group(2), LEVELS[m.group(1)]))

    if failures:
        print("\n".join(failures))
        print("man-catalogue: FAILED (%d of %d)" % (len(failures), checked))
        return 1
    print("man-catalogue: ok (%d messages, levels and details)" % checked)

    # Every configuration key in pam_okta_session.conf(5).
    man5 = read("doc/pam_okta_session.conf.5")
    table = re.search(r"static const struct opt_def options\[\] = \{(.*?)\};",
                      read("lib/config.c"), re.S).group(1)
    keys = re.findall(r'OPT(?:_RANGE)?\((\w+)', table) + re.findall(r'\{ "(\w+)"', table)
    missing = [k for k in keys
               if not re.search(r"^\.B[IR]? %s\b" % re.escape(k), man5, re.M)]
    if len(keys) < 20 or missing:
        print("keys without a .B entry in pam_okta_session.conf.5: %s" % missing)
        print("man-keys: FAILED")
        return 1
    print("man-keys: ok (%d keys)" % len(keys))
    return 0


if __name__ == "__main__":
    sys.exit(main())
