#!/usr/bin/env bash
# Prints the Debian packages that hold the shared libraries the given
# binaries load, one per line, sorted. The Dockerfile's runtime stage
# installs exactly this list, so it follows the binaries' real linkage
# instead of a second hand-kept list.
#   scripts/runtime-packages.sh build/bin/shopstream-gateway ...
set -euo pipefail
[ $# -gt 0 ] || { echo "usage: $0 BINARY..." >&2; exit 2; }
libs=()
for binary in "$@"; do
  [ -x "$binary" ] || { echo "runtime-packages: $binary: not an executable" >&2; exit 1; }
  deps=$(ldd "$binary") || { echo "runtime-packages: ldd $binary failed" >&2; exit 1; }
  if grep -q 'not found' <<<"$deps"; then
    echo "runtime-packages: $binary: $(grep 'not found' <<<"$deps" | tr -s ' \t' ' ')" >&2
    exit 1
  fi
  # "libx.so.1 => /path (0x...)" and the loader's "/lib64/ld-linux... (0x...)"
  mapfile -t -O ${#libs[@]} libs < <(awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}' <<<"$deps")
done
mapfile -t libs < <(printf '%s\n' "${libs[@]}" | sort -u)

# With merged /usr a file may be registered under /lib or /usr/lib, or only
# under its real name. One dpkg-query for every candidate: it is slow per call.
declare -A candidates_of=()
all=()
for lib in "${libs[@]}"; do
  c=$(printf '%s\n' "$lib" "$(readlink -f "$lib")" "${lib#/usr}" "/usr$lib" | sort -u)
  candidates_of[$lib]=$c
  mapfile -t -O ${#all[@]} all <<<"$c"
done
declare -A owner_of=()
while IFS= read -r line; do
  # "pkg:arch: /path" or "pkg: /path"
  path=${line##*: }
  owner=${line%%: *}
  owner_of[$path]=${owner%%:*}
done < <(dpkg-query -S $(printf '%s\n' "${all[@]}" | sort -u) 2>/dev/null || true)

declare -A packages=()
for lib in "${libs[@]}"; do
  owner=""
  while IFS= read -r c; do
    [ -n "${owner_of[$c]:-}" ] && { owner=${owner_of[$c]}; break; }
  done <<<"${candidates_of[$lib]}"
  [ -n "$owner" ] || { echo "runtime-packages: no Debian package holds $lib" >&2; exit 1; }
  packages[$owner]=1
done
printf '%s\n' "${!packages[@]}" | sort
