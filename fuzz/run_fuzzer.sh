#!/usr/bin/env bash
# Runs one libFuzzer target for a bounded time from the seed corpus in the
# repository; new inputs go to a scratch corpus in the build tree. A crash,
# a leak or a sanitizer report fails (non-zero exit) and leaves the input
# as <work>/crash-* to reproduce with: <fuzzer> <that file>.
#   fuzz/run_fuzzer.sh FUZZER SEED_DIR WORK_DIR [SECONDS]
set -euo pipefail
fuzzer=$1 seeds=$2 work=$3 seconds=${4:-60}
mkdir -p "$work/corpus"
exec "$fuzzer" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
  -max_len=65536 -print_final_stats=1 -artifact_prefix="$work/" \
  "$work/corpus" "$seeds"
