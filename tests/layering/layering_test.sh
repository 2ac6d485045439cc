#!/usr/bin/env bash
# The folders' dependencies follow tests/layering/layers.txt, and the check
# refuses a project that breaks its layers (testdata/), naming each edge.
#   tests/layering/layering_test.sh SOURCE_DIR WORK_DIR
set -euo pipefail
source_dir=$1
work_dir=$2
here=$source_dir/tests/layering
check() {
  cmake -DSOURCE_DIR="$1" -DWORK_DIR="$2" -DLAYERS="$3" -DCONFIGURE_ARGS="${4:-}" \
    -P "$here/check_layering.cmake" 2>&1
}

# Fuzzing is off: its targets are built by a project of their own.
check "$source_dir" "$work_dir/source" "$here/layers.txt" "-DSHOPSTREAM_FUZZ=OFF"

set +e
out=$(check "$here/testdata" "$work_dir/testdata" "$here/testdata/layers.txt")
rc=$?
set -e
expected=(
  "gateway -> ingest: gateway_lib -> ingest_lib (gateway/CMakeLists.txt:2, add_dependencies)"
  "extra_lib is in extra/, which layers.txt has no line for"
)
for want in "${expected[@]}"; do
  grep -qF "$want" <<<"$out" || { echo "testdata: missing report \"$want\":"; echo "$out"; exit 1; }
done
[ $rc -ne 0 ] || { echo "testdata: the check passed a forbidden dependency"; echo "$out"; exit 1; }
[ "$(grep -c -- ' -> \| is in ' <<<"$out")" -eq ${#expected[@]} ] ||
  { echo "testdata: expected exactly ${#expected[@]} reports:"; echo "$out"; exit 1; }
echo "layering holds; a forbidden dependency is refused"
