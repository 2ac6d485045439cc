#!/usr/bin/env bash
# Runs one libFuzzer target for a bounded time from the seed corpus in the
# repository; new inputs go to a scratch corpus in the build tree. A crash,
# a leak, a timeout or a sanitizer report fails (non-zero exit) and leaves
# the input as <work>/crash-*, leak-*, timeout-* or oom-* to reproduce with:
# <fuzzer> <that file>.
#   fuzz/run_fuzzer.sh FUZZER SEED_DIR WORK_DIR [SECONDS]
set -uo pipefail
fuzzer=$1 seeds=$2 work=$3 seconds=${4:-60}
mkdir -p "$work/corpus"
started=$(mktemp "$work/.started.XXXXXX")
trap 'rm -f "$started"' EXIT
"$fuzzer" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
  -max_len=65536 -print_final_stats=1 -artifact_prefix="$work/" \
  "$work/corpus" "$seeds"
status=$?
if [[ $status -ne 0 ]]; then
  find "$work" -maxdepth 1 -newer "$started" \
    \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' \) \
    -printf "reproduce with: $fuzzer %p\n"
fi
exit $status
