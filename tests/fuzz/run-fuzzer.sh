#!/bin/sh
# run-fuzzer.sh FUZZER NAME SEED_DIR... — runs one libFuzzer target for a bounded time
# (MOONCHAT_FUZZ_SECONDS, default 60) as one TAP test case.
#
# The working corpus grows in $MOONCHAT_FUZZ_ROOT/corpus/NAME (kept between local runs,
# so later runs start where earlier ones stopped); the committed seeds are read only.
# A finding (crash, leak, hang, broken invariant) fails the test: its input is saved in
# $MOONCHAT_FUZZ_ROOT/findings/NAME/ and must become a regression input in
# tests/fuzz/regressions/NAME/ (replayed by every normal test run) once it is fixed.
# Prints the executions and the corpus size; stats/NAME.txt keeps the same line.
#
# SPDX-License-Identifier: GPL-3.0-or-later
set -eu
fuzzer=$1
name=$2
shift 2
seconds=${MOONCHAT_FUZZ_SECONDS:-60}
root=${MOONCHAT_FUZZ_ROOT:?}
corpus=$root/corpus/$name
findings=$root/findings/$name
mkdir -p "$corpus" "$findings" "$root/stats" "$root/logs" "$root/earlier-findings/$name"
# Findings of an earlier run are kept aside, not mistaken for new ones.
find "$findings" -type f -exec mv -t "$root/earlier-findings/$name" {} +
log=$root/logs/$name.log
dict=$(dirname "$0")/$name.dict

seeds=
for dir in "$@"; do
  # regressions/NAME exists only once NAME had a finding.
  [ -d "$dir" ] && seeds="$seeds $dir"
done
# shellcheck disable=SC2086
set -- "$corpus" $seeds
[ -f "$dict" ] && set -- "-dict=$dict" "$@"

echo "TAP version 13"
echo "1..1"
status=0
# -timeout: one input may take 10 s at most; -rss_limit_mb: a leak or a blow-up is a
# finding long before the machine suffers; -max_len: as big as the biggest seed.
timeout -k 10 $((seconds + 120)) "$fuzzer" \
  -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=4096 \
  -print_final_stats=1 -artifact_prefix="$findings/" "$@" > "$log" 2>&1 || status=$?

runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
size=$(ls "$corpus" | wc -l)
found=$(ls "$findings" | wc -l)
summary="fuzz-$name: ${runs:-0} executions in ${seconds} s, corpus $size inputs, $found findings"
echo "$summary" > "$root/stats/$name.txt"

if [ "$status" -eq 0 ] && [ "$found" -eq 0 ] && [ -n "$runs" ]; then
  echo "ok 1 - $summary"
  exit 0
fi

echo "not ok 1 - $summary (exit status $status)"
echo "# last lines of $log:"
tail -n 60 "$log" | sed 's/^/# /'
echo "# reproduce: $fuzzer $findings/<file>; once fixed, copy the file to tests/fuzz/regressions/$name/"
exit 1
