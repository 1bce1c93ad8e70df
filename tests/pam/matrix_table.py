#!/usr/bin/python3
"""Turns the JSON lines test_fault_matrix.py and test_hostile_input.py write
with OKTA_TEST_MATRIX_OUT=FILE into a Markdown table:
case -> code (failmode=secure / safe) -> time -> test.

    OKTA_TEST_MATRIX_OUT=/tmp/m.jsonl python3 -B tests/run_tests.py \\
        tests/pam/test_fault_matrix.py tests/pam/test_hostile_input.py
    python3 tests/pam/matrix_table.py /tmp/m.jsonl
"""
import collections
import json
import sys


def main(path):
    rows = collections.OrderedDict()
    with open(path) as f:
        for line in f:
            e = json.loads(line)
            key = (e["case"], e["step"], e["test"].split(".", 1)[1])
            rows.setdefault(key, {})[e["failmode"]] = (e["code"], e["ms"])
    print("| case | call | secure | safe | time secure / safe (ms) | test |")
    print("|---|---|---|---|---|---|")
    for (case, step, test), modes in rows.items():
        sec = modes.get("secure", ("-", None))
        safe = modes.get("safe", ("-", None))
        times = " / ".join("-" if m[1] is None else str(m[1]) for m in (sec, safe))
        print("| %s | %s | %s | %s | %s | %s |" % (case.replace("|", "\\|"), step, sec[0],
                                                 safe[0], times, test))


if __name__ == "__main__":
    main(sys.argv[1])
