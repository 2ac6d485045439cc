#!/usr/bin/env bash
# Prints the Debian packages that hold the shared libraries the given
# binaries load, one per line, sorted. The Dockerfile's runtime stage
# installs exactly this list, so it follows the binaries' real linkage
# instead of a second hand-kept list.
#   scripts/runtime-packages.sh build/bin/shopstream-gateway ...
set -euo pipefail
[ $# -gt 0 ] || { echo "usage: $0 BINARY..." >&2; exit 2; }
declare -A packages=()
for binary in "$@"; do
  [ -x "$binary" ] || { echo "runtime-packages: $binary: not an executable" >&2; exit 1; }
  deps=$(ldd "$binary") || { echo "runtime-packages: ldd $binary failed" >&2; exit 1; }
  if grep -q 'not found' <<<"$deps"; then
    echo "runtime-packages: $binary: $(grep 'not found' <<<"$deps" | tr -s ' \t' ' ')" >&2
    exit 1
  fi
  # "libx.so.1 => /path (0x...)" and the loader's "/lib64/ld-linux... (0x...)"
  while read -r path; do
    owner=""
    # With merged /usr a file may be registered under /lib or /usr/lib.
    for candidate in "$path" "$(readlink -f "$path")" "${path#/usr}" "/usr$path"; do
      owner=$(dpkg-query -S "$candidate" 2>/dev/null | head -n1 | cut -d: -f1) && [ -n "$owner" ] && break
    done
    [ -n "$owner" ] || { echo "runtime-packages: $binary: no Debian package holds $path" >&2; exit 1; }
    packages[$owner]=1
  done < <(awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}' <<<"$deps")
done
printf '%s\n' "${!packages[@]}" | sort
