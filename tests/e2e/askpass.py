#!/usr/bin/python3 -I
"""SSH_ASKPASS for the e2e tests: records each prompt ssh shows and answers
it with the next entry of $E2E_ASKPASS_DIR/answers (a JSON list).  With no
answer left it exits 1, which ssh takes as the user giving up."""
import json
import os
import sys

d = os.environ["E2E_ASKPASS_DIR"]
with open(os.path.join(d, "prompts"), "a") as f:
    f.write(json.dumps(sys.argv[1] if len(sys.argv) > 1 else "") + "\n")
with open(os.path.join(d, "prompts")) as f:
    n = sum(1 for _ in f) - 1
with open(os.path.join(d, "answers")) as f:
    answers = json.load(f)
if os.environ.get("E2E_ASKPASS_SHOW"):
    what = "nothing left: gives up" if n >= len(answers) else \
        "types %s" % ("Enter" if answers[n] == "" else "the answer (not shown)")
    sys.stderr.write("   ssh asks %r; the demo %s\n" % (sys.argv[1] if len(sys.argv) > 1 else "",
                                                       what))
if n >= len(answers):
    sys.exit(1)
sys.stdout.write(answers[n] + "\n")
