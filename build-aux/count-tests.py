#!/usr/bin/env python3
# count-tests.py TESTLOG.json — print "N passed, N failed[, N skipped]" for a meson run,
# counting individual test cases: each TAP "ok"/"not ok" line of a TAP test, and each
# non-TAP test as one case. A TAP test that failed without reporting a failing case
# (crash, timeout, bad plan) counts one failed case more. Exit 1 if anything failed.
import json
import re
import sys

passed = failed = skipped = 0
tap_line = re.compile(r'^(not ok|ok)\b(.*)$')

with open(sys.argv[1], encoding='utf-8', errors='replace') as log:
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
        else:
            if result == 'OK':
                passed += 1
            elif result == 'SKIP':
                skipped += 1
            else:
                failed += 1

line = f'{passed} passed, {failed} failed'
if skipped:
    line += f', {skipped} skipped'
print(line)
sys.exit(1 if failed or passed == 0 else 0)
