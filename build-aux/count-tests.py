#!/usr/bin/env python3
# count-tests.py [NAME=]TESTLOG.json... — counts individual test cases of one or more
# meson runs: each TAP "ok"/"not ok" line of a TAP test, and each non-TAP test as one
# case. A TAP test that failed without reporting a failing case (crash, timeout, bad
# plan) counts one failed case more; a run whose log is missing (it did not get to run
# its tests, e.g. a build failed) counts one failed case.
#
# With several logs it prints "NAME: N passed, N failed" per run, then the total; the
# last line is always "N passed, N failed[, N skipped]". Exit 1 if anything failed or
# nothing passed.
import json
import os
import re
import sys

tap_line = re.compile(r'^(not ok|ok)\b(.*)$')


def count(path):
    passed = failed = skipped = 0
    with open(path, encoding='utf-8', errors='replace') as log:
        for line in log:
            line = line.strip()
            if not line:
                continue
            entry = json.loads(line)
            result = entry.get('result', 'FAIL')
            stdout = entry.get('stdout') or ''
            # testlog.json does not record the protocol: a TAP test announces itself.
            if re.search(r'^(TAP version \d+|1\.\.\d+)$', stdout, re.M):
                p = f = s = 0
                for out in stdout.splitlines():
                    m = tap_line.match(out)
                    if not m:
                        continue
                    directive = m.group(2).upper()
                    if '# SKIP' in directive:
                        s += 1
                    elif m.group(1) == 'ok' or '# TODO' in directive:
                        p += 1
                    else:
                        f += 1
                if result not in ('OK', 'EXPECTEDFAIL', 'SKIP') and f == 0:
                    f = 1
                passed, failed, skipped = passed + p, failed + f, skipped + s
            elif result == 'OK':
                passed += 1
            elif result == 'SKIP':
                skipped += 1
            else:
                failed += 1
    return passed, failed, skipped


def summary(passed, failed, skipped):
    line = f'{passed} passed, {failed} failed'
    if skipped:
        line += f', {skipped} skipped'
    return line


def main(args):
    total = [0, 0, 0]
    several = len(args) > 1
    for arg in args:
        name, sep, path = arg.partition('=')
        if not sep:
            name, path = os.path.basename(os.path.dirname(os.path.dirname(arg))), arg
        if os.path.exists(path):
            counts = count(path)
        else:
            print(f'{name}: no test log ({path}): the stage did not get to run its tests')
            counts = (0, 1, 0)
        if several:
            print(f'{name}: {summary(*counts)}')
        total = [t + c for t, c in zip(total, counts)]
    print(summary(*total))
    return 1 if total[1] or total[0] == 0 else 0


if __name__ == '__main__':
    if len(sys.argv) < 2:
        sys.exit('usage: count-tests.py [NAME=]TESTLOG.json...')
    sys.exit(main(sys.argv[1:]))
