#!/usr/bin/python3
"""skippers.py FILE MODULE

Prints each line of a PAM file's auth stack that comes before MODULE's first
auth line and can, on some return code, pass control beyond it (a jump
[value=N] that lands past it, "done", "sufficient", an include): the lines
that would let a login through without MODULE.  Exits 0 when there is none,
1 when there is, 2 when MODULE is not in the auth stack at all.
"""
import re
import sys

LINE = re.compile(r'^\s*-?auth\s+(\[[^\]]*\]|\S+)\s+(\S+)')


def auth_lines(path):
    with open(path, encoding='utf-8') as f:
        text = f.read().replace('\\\n', ' ')
    for raw in text.splitlines():
        line = raw.split('#', 1)[0]
        if re.match(r'^\s*@include\b', line):
            yield raw.strip(), 'include', ''
            continue
        m = LINE.match(line)
        if m:
            yield raw.strip(), m.group(1), m.group(2)


def can_pass(control, index, target):
    if control in ('include', 'substack', 'sufficient'):
        return True
    if not control.startswith('['):
        return False  # required, requisite, optional: no jump
    for pair in control[1:-1].split():
        _, _, action = pair.partition('=')
        if action == 'done':
            return True
        if action.isdigit() and index + int(action) >= target:
            return True
    return False


def main():
    path, module = sys.argv[1], sys.argv[2]
    lines = list(auth_lines(path))
    target = next((i for i, (_, _, mod) in enumerate(lines)
                   if mod.rsplit('/', 1)[-1] == module), None)
    if target is None:
        print(f'{path}: no auth line names {module}')
        return 2
    found = [raw for i, (raw, control, _) in enumerate(lines[:target])
             if can_pass(control, i, target)]
    for raw in found:
        print(f'{path}: can skip {module}: {raw}')
    return 1 if found else 0


if __name__ == '__main__':
    sys.exit(main())
