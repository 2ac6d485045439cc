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
#
# Clients need a password (scram-sha-256) and connect over 127.0.0.1 only;
# there is no Unix socket. The password is made when the cluster is made and
# kept in DIR/pgpass (libpq's password file, mode 600 in the owner-only data
# directory), so only the cluster's owner and root can read it; clients add
# `passfile=DIR/pgpass` to their connection string. A cluster made before
# passwords (trust authentication) gets one on its next start.
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

# Gives the superuser a new random password, admits password logins only,
# and writes the password file last, so a cluster without that file is one
# this has not finished. Runs with the server stopped, in single-user mode:
# the cluster never listens while it still trusts everyone.
set_password() {
  local data=$1 password errors
  password=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
  errors=$(printf "ALTER ROLE postgres PASSWORD '%s';\n" "$password" |
    as_owner "$pgbin/postgres" --single -D "$data" -c password_encryption=scram-sha-256 \
      -c log_min_messages=warning postgres 2>&1 >/dev/null) || true
  # Single-user mode exits 0 after a failed statement; its log tells.
  case "$errors" in
  *ERROR:* | *FATAL:* | *PANIC:*)
    echo "pg.sh: cannot set the password of the cluster in $data:" >&2
    echo "$errors" | grep -v STATEMENT >&2 || true
    exit 1
    ;;
  esac
  cat >"$data/pg_hba.conf" <<'HBA'
# scripts/pg.sh: a password (scram-sha-256) over loopback TCP, nothing else.
host all all 127.0.0.1/32 scram-sha-256
HBA
  (umask 077 && printf '*:*:*:postgres:%s\n' "$password" >"$data/pgpass.new")
  mv "$data/pgpass.new" "$data/pgpass"
}

running() { as_owner "$pgbin/pg_ctl" -D "$1" status >/dev/null 2>&1; }

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
  if [ ! -f "$data/pgpass" ]; then
    if running "$data"; then
      echo "pg.sh: the cluster in $dir is running without passwords (made by an older pg.sh);" \
        "stop it with \`$0 stop $dir $port\` and start it again to give it one" >&2
      exit 1
    fi
    set_password "$data"
  fi
  if running "$data"; then
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
