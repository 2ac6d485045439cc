#!/usr/bin/env bash
# Starts or stops a private PostgreSQL cluster for shopstream.
#   scripts/pg.sh start DIR PORT [--durable]   initialise if needed, start
#   scripts/pg.sh stop DIR PORT [--immediate]
# PostgreSQL refuses to run as root, so as root the cluster belongs to the
# `postgres` system user. Where that user cannot reach DIR (a checkout under
# /root, say), the cluster lives under /var/tmp and DIR is a link to it.
# Without --durable (the tests) fsync is off: a test never survives a power
# cut, and it makes the suite faster. `stop --immediate` stops as a crash
# would (fault tests); the next start recovers from the write-ahead log.
set -euo pipefail

action=${1:?start|stop}
dir=${2:?directory}
port=${3:?port}
durable=${4:-}
stop_mode=fast
[ "${4:-}" = "--immediate" ] && stop_mode=immediate

pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -x "$pgbin/pg_ctl" ] || { echo "pg.sh: PostgreSQL server binaries not found (install postgresql)" >&2; exit 1; }

as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "$action" in
start)
  mkdir -p "$(dirname "$dir")"
  if [ ! -e "$dir" ]; then
    if [ "$(id -u)" = 0 ] && ! runuser -u postgres -- test -x "$(dirname "$dir")"; then
      real=/var/tmp/shopstream-pg-$(echo -n "$(realpath -m "$dir")" | md5sum | cut -c1-12)
      mkdir -p "$real"
      ln -sfn "$real" "$dir"
    else
      mkdir -p "$dir"
    fi
  fi
  data=$(realpath "$dir")
  [ "$(id -u)" = 0 ] && chown postgres:postgres "$data"
  chmod 700 "$data"
  if [ ! -f "$data/PG_VERSION" ]; then
    as_owner "$pgbin/initdb" -D "$data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >"$data.initdb.log" 2>&1 \
      || { cat "$data.initdb.log" >&2; exit 1; }
    {
      echo "listen_addresses = '127.0.0.1'"
      echo "port = $port"
      echo "unix_socket_directories = ''"
      echo "max_connections = 200"
      echo "shared_buffers = 256MB"
      echo "logging_collector = off"
      if [ "$durable" != "--durable" ]; then echo "fsync = off"; echo "full_page_writes = off"; fi
    } >>"$data/postgresql.conf"
  fi
  if as_owner "$pgbin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
    echo "postgres already running on port $port"
    exit 0
  fi
  as_owner "$pgbin/pg_ctl" -D "$data" -o "-p $port" -l "$data/server.log" -w -t 60 start >/dev/null \
    || { tail -n 30 "$data/server.log" >&2; exit 1; }
  echo "postgres running on 127.0.0.1:$port ($dir)"
  ;;
stop)
  [ -e "$dir" ] || exit 0
  data=$(realpath "$dir")
  if [ -f "$data/postmaster.pid" ]; then
    as_owner "$pgbin/pg_ctl" -D "$data" -m "$stop_mode" -w -t 60 stop >/dev/null || true
  fi
  ;;
*)
  echo "usage: $0 start DIR PORT [--durable] | stop DIR PORT [--immediate]" >&2
  exit 2
  ;;
esac
