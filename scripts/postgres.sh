#!/usr/bin/env bash
# A throwaway PostgreSQL server on loopback, for the tests and the cluster check.
#
#   scripts/postgres.sh start DIR PORT   installs Debian's postgresql when missing, creates a
#                                        cluster in DIR (trust auth; no fsync unless
#                                        PG_DURABLE=1)
#                                        and starts it on 127.0.0.1:PORT; prints its admin URL
#   scripts/postgres.sh stop DIR         stops it and removes DIR
#
# PostgreSQL refuses to run as root: as root, the server runs as the `postgres` user the
# package creates.
set -euo pipefail

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
as_owner() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

bin() {
  local d
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
  [ -n "$d" ] || { echo "no PostgreSQL binaries under /usr/lib/postgresql" >&2; exit 1; }
  echo "$d"
}

case "${1:-}" in
  start)
    dir=$2 port=$3
    if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
      echo "installing postgresql (Debian package)" >&2
      as_root apt-get update -qq >&2
      as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
      # The package starts its own cluster on 5432; ours runs on its own port.
      as_root service postgresql stop >/dev/null 2>&1 || true
    fi
    # Test data: no waiting for the disk, unless PG_DURABLE=1 (the cluster check's writes).
    fast="-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    [ "${PG_DURABLE:-0}" = 1 ] && fast=""
    b=$(bin)
    rm -rf "$dir"
    mkdir -p "$dir"
    [ "$(id -u)" = 0 ] && chown postgres: "$dir"
    as_owner "$b/initdb" -D "$dir/data" -U postgres -A trust --no-sync >"$dir/initdb.log" 2>&1 \
      || { cat "$dir/initdb.log" >&2; exit 1; }
    as_owner "$b/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 start \
      -o "-p $port -c listen_addresses=127.0.0.1 -k $dir -c max_connections=200 $fast" \
      >/dev/null || { cat "$dir/server.log" >&2; exit 1; }
    echo "postgres://postgres@127.0.0.1:$port/postgres"
    ;;
  stop)
    dir=$2
    if [ -d "$dir/data" ]; then
      as_owner "$(bin)/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$dir"
    ;;
  *)
    echo "usage: $0 start DIR PORT | stop DIR" >&2
    exit 2
    ;;
esac
