#!/usr/bin/env bash
# The runtime image's package list (scripts/runtime-packages.sh, what the
# Dockerfile's runtime stage installs) is enough to run every binary:
# builds a root holding only the files of those packages, runs each binary
# in it with chroot, and checks that dropping a needed package breaks it.
# Exit 77 (skipped) when chroot is not permitted (not root).
#   runtime-image-test.sh BIN_DIR
set -euo pipefail
bin_dir=$1
root_dir=$(cd "$(dirname "$0")/../.." && pwd)
binaries=(shopstream-gateway shopstream-ingest shopstream-query shopstream-processor shopstream-health-probe
  shopstream-admin)
for b in "${binaries[@]}"; do
  [ -x "$bin_dir/$b" ] || { echo "$bin_dir/$b is missing: build it first" >&2; exit 1; }
done
if [ "$(id -u)" != 0 ]; then
  echo "SKIPPED: chroot needs root"
  exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

mapfile -t packages < <("$root_dir/scripts/runtime-packages.sh" "${binaries[@]/#/$bin_dir/}")
echo "runtime packages: ${packages[*]}"
# A loop, not printf | grep -q: under pipefail, grep quitting at its first
# match can kill printf with SIGPIPE and fail the check at random.
has_package() {
  local p
  for p in "${packages[@]}"; do [ "$p" = "$1" ] && return 0; done
  return 1
}
for want in libc6 libgrpc++1.51 libpqxx-6.4 libre2-9 libyaml-cpp0.7; do
  has_package "$want" || { echo "runtime packages lack $want, which the binaries link" >&2; exit 1; }
done

# A root like debian:bookworm-slim's merged /usr, with only these packages'
# libraries and the binaries.
make_root() {
  local dir=$1; shift
  mkdir -p "$dir/usr/lib" "$dir/usr/lib64" "$dir/usr/bin" "$dir/usr/local/bin"
  ln -s usr/lib "$dir/lib"
  ln -s usr/lib64 "$dir/lib64"
  ln -s usr/bin "$dir/bin"
  local pkg file dest
  for pkg in "$@"; do
    while IFS= read -r file; do
      case $file in
        /lib/*|/lib64/*) dest=/usr$file ;;
        /usr/lib/*|/usr/lib64/*) dest=$file ;;
        *) continue ;;
      esac
      [ -f "$file" ] || [ -L "$file" ] || continue
      mkdir -p "$(dirname "$dir$dest")"
      cp -a "$file" "$dir$dest"
    done < <(dpkg-query -L "$pkg")
  done
  cp "${binaries[@]/#/$bin_dir/}" "$dir/usr/local/bin/"
}

# --version makes each binary load every library, print and exit 0.
run_all() {
  local dir=$1 b out failed=0
  for b in "${binaries[@]}"; do
    if ! out=$(chroot "$dir" "/usr/local/bin/$b" --version 2>&1); then
      echo "$b: $out"
      failed=1
    fi
  done
  return $failed
}

make_root "$tmp/full" "${packages[@]}"
if ! chroot "$tmp/full" /usr/local/bin/shopstream-health-probe --version >/dev/null 2>"$tmp/err"; then
  if grep -qi "operation not permitted" "$tmp/err"; then
    echo "SKIPPED: chroot is not permitted here"
    exit 77
  fi
fi
if ! run_all "$tmp/full"; then
  echo "the runtime package list does not cover the binaries' libraries" >&2
  exit 1
fi
echo "every binary runs with only the runtime packages"

# Without libpqxx the processor must fail to load: the check can fail.
make_root "$tmp/short" $(printf '%s\n' "${packages[@]}" | grep -vx 'libpqxx-6.4')
if out=$(chroot "$tmp/short" /usr/local/bin/shopstream-processor --version 2>&1); then
  echo "shopstream-processor ran without libpqxx-6.4; the check proves nothing" >&2
  exit 1
fi
grep -q "libpqxx" <<<"$out" || { echo "unexpected failure without libpqxx: $out" >&2; exit 1; }
echo "without libpqxx-6.4 the processor fails as expected: $out"
