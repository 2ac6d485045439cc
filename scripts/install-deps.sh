#!/usr/bin/env bash
# Installs the Debian packages of scripts/debian-packages.txt that are
# missing, then the npm packages of deploy/ (the manifest checks). Needs root
# (or sudo) when something is missing; does nothing when all are there.
#   --build-only  only the packages a build needs (the Dockerfile): no
#                 "# tests" lines, no npm
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build_only=false
[ "${1:-}" = --build-only ] && build_only=true

# "name  # tests" -> name, or nothing with --build-only; comments dropped.
wanted_packages() {
  local line name
  while IFS= read -r line; do
    name=$(sed -e 's/#.*//' -e 's/[[:space:]]//g' <<<"$line")
    [ -n "$name" ] || continue
    if $build_only && grep -Eq '#[[:space:]]*tests[[:space:]]*$' <<<"$line"; then
      continue
    fi
    echo "$name"
  done <"$here/debian-packages.txt"
}

sudo=""
if [ "$(id -u)" != 0 ]; then sudo=sudo; fi
apt_install() {
  if [ -n "$sudo" ] && ! command -v sudo >/dev/null; then
    echo "install-deps: need root or sudo to install $*" >&2
    exit 1
  fi
  echo "installing: $*"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

mapfile -t wanted < <(wanted_packages)
missing=()
for pkg in "${wanted[@]}"; do
  [ "$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null)" = "install ok installed" ] || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] || apt_install "${missing[@]}"
$build_only && exit 0

# npm for deploy/ and dashboard/ (the build runs the dashboard's npm ci).
# Node.js builds that bundle npm conflict with Debian's npm package: ask
# for it only when no npm is there.
command -v npm >/dev/null || apt_install nodejs npm

# deploy/node_modules from deploy/package-lock.json, again whenever the lock
# file is newer than the last install.
deploy_dir="$here/../deploy"
if [ -f "$deploy_dir/package-lock.json" ]; then
  stamp="$deploy_dir/node_modules/.package-lock.json"
  if [ ! -f "$stamp" ] || [ "$deploy_dir/package-lock.json" -nt "$stamp" ]; then
    (cd "$deploy_dir" && npm ci --no-audit --no-fund --loglevel=error)
  fi
fi
