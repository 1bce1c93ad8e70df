#!/usr/bin/python3
"""Runs the Python test suites (fake Okta, PAM through libpam, real clients).

Usage: run_tests.py [SUITE_DIR | TEST_FILE ...]   (default: every suite)
Prints each test's outcome and ends with "python: N passed, N failed,
N skipped"; exits non-zero if anything failed.
"""
import os
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
SUITES = ["fake_okta", "pam", "cli", "sessiond"]   # tests/e2e has its own runner (run.sh)


def main(argv):
    dirs = argv[1:] or [os.path.join(HERE, s) for s in SUITES]
    suite = unittest.TestSuite()
    for d in dirs:
        # A loader per path: one remembers its first top-level directory and
        # refuses a second one (tests/pam and tests/cli in one run).
        loader = unittest.TestLoader()
        if os.path.isfile(d):
            suite.addTests(loader.discover(os.path.dirname(os.path.abspath(d)),
                                           pattern=os.path.basename(d)))
        elif os.path.isdir(d) and any(f.startswith("test_") for f in os.listdir(d)):
            suite.addTests(loader.discover(d, pattern="test_*.py", top_level_dir=d))
    started = time.monotonic()
    result = unittest.TextTestRunner(verbosity=2, stream=sys.stdout).run(suite)
    failed = len(result.failures) + len(result.errors) + len(result.unexpectedSuccesses)
    skipped = len(result.skipped)
    passed = result.testsRun - failed - skipped
    print("python: %d passed, %d failed, %d skipped (%.1fs)"
          % (passed, failed, skipped, time.monotonic() - started))
    return 1 if failed or result.testsRun == 0 else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
