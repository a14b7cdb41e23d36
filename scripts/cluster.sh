#!/usr/bin/env bash
# The cluster check: three `notes` instances behind HAProxy, their data in PostgreSQL and
# their write throttle in Redis, every component on 127.0.0.1 and started here. Under a
# mixed load (reads and paced writes through the balancer) it
#   1. restarts each instance in turn (SIGTERM, drain, start again, wait until ready):
#      no request may fail;
#   2. kills one instance with SIGKILL: only requests it had in flight may fail, within a
#      second of the kill, and the balancer routes around it;
#   3. then checks that every write answered 201 is in PostgreSQL, and that a burst of
#      writes with one token through all three instances is let through at the per-token
#      rate (one budget in Redis), not three times it.
# Prints a summary table (also written to target/cluster/summary.md) and fails when a
# check does. Installs haproxy, redis-server and postgresql (Debian) when missing.
#
#   scripts/cluster.sh            CLUSTER_RATE=300 (writes per minute per token)
#   CLUSTER_STORE=memory scripts/cluster.sh   throttles counted per instance: must fail
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian puts haproxy in /usr/sbin, which a normal user's PATH lacks.
export PATH="$PATH:/usr/sbin:/sbin"
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
need() { # COMMAND PACKAGE
  command -v "$1" >/dev/null && return
  echo "installing $2 (Debian package)"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null
  command -v "$1" >/dev/null || { echo "$1 is still missing after installing $2" >&2; exit 1; }
}
need curl curl
need python3 python3
need haproxy haproxy
need redis-server redis-server
need psql postgresql-client

# Free loopback ports, so a leftover from an earlier run cannot answer for this one.
read -r lb p0 p1 p2 pg_port redis_port < <(python3 -c '
import socket
socks = [socket.socket() for _ in range(6)]
for s in socks: s.bind(("127.0.0.1", 0))
print(*(s.getsockname()[1] for s in socks))')
ports=("$p0" "$p1" "$p2")
rate=${CLUSTER_RATE:-300}
out=target/cluster
work=$(mktemp -d /tmp/ninja-cluster.XXXXXX)
chmod 755 "$work" # PostgreSQL runs as its own user and must reach its data
pids=()
haproxy_pid=
redis_pid=
load_pid=

cleanup() {
  exec 2>/dev/null # no "Killed" notices for the servers
  for p in "${pids[@]}" "$haproxy_pid" "$redis_pid" "$load_pid"; do
    [ -n "$p" ] && kill -9 "$p" 2>/dev/null || true
  done
  scripts/postgres.sh stop "$work/pg" || true
  rm -rf "$work"
}
trap cleanup EXIT

now_ms() { date +%s%3N; }
wait_http() { # URL SECONDS PID: until URL answers 2xx, while PID lives
  for _ in $(seq $(($2 * 10))); do
    kill -0 "$3" 2>/dev/null || { echo "the process for $1 exited" >&2; return 1; }
    curl -fsS -o /dev/null "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "no answer from $1 within $2 s" >&2
  return 1
}

echo "== building the notes example and the load generator (release)"
cargo build --quiet --release -p examples --example notes
cargo build --quiet --release -p benches --bin cluster-load
notes=target/release/examples/notes
load=target/release/cluster-load
rm -rf "$out"
mkdir -p "$out"

echo "== PostgreSQL on 127.0.0.1:$pg_port"
admin=$(PG_DURABLE=1 scripts/postgres.sh start "$work/pg" "$pg_port" 2>"$out/postgres.log")
psql "$admin" -qc "CREATE DATABASE notes"
db="postgres://postgres@127.0.0.1:$pg_port/notes"

echo "== Redis on 127.0.0.1:$redis_port"
redis-server --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no >"$out/redis.log" 2>&1 &
redis_pid=$!
redis_up=
for _ in $(seq 50); do
  kill -0 "$redis_pid" 2>/dev/null || break
  (exec 3<>"/dev/tcp/127.0.0.1/$redis_port") 2>/dev/null && { redis_up=1; break; }
  sleep 0.1
done
[ -n "$redis_up" ] || { echo "redis-server did not start; see $out/redis.log" >&2; exit 1; }

start() { # INDEX
  local i=$1
  local redis="redis://127.0.0.1:$redis_port/"
  # CLUSTER_STORE=memory: each instance counts alone (the throttle check then fails).
  [ "${CLUSTER_STORE:-redis}" = memory ] && redis=
  env NINJA_ADDR="127.0.0.1:${ports[$i]}" DATABASE_URL="$db" ${redis:+REDIS_URL="$redis"} \
    NOTES_TOKEN="load-token,burst-token" NOTES_WRITE_RATE="$rate/m" \
    NINJA_DRAIN_DELAY=2 NINJA_SHUTDOWN_TIMEOUT=10 NINJA_WORKERS=1 RUST_LOG=warn \
    "$notes" >>"$out/notes-$i.log" 2>&1 &
  pids[$i]=$!
  wait_http "http://127.0.0.1:${ports[$i]}/health/ready" 30 "${pids[$i]}"
}

echo "== three notes instances on ports ${ports[*]}"
# The first one migrates the database; the others find it done.
for i in 0 1 2; do start "$i"; done

echo "== HAProxy on 127.0.0.1:$lb (health checks on /health/ready every 200 ms)"
cat >"$work/haproxy.cfg" <<EOF
global
  maxconn 4096
defaults
  mode http
  timeout connect 1s
  timeout client 30s
  timeout server 30s
  # Only a connection that could not be made is retried elsewhere: it never reached a
  # server, so even a POST is safe to send again.
  retries 3
  option redispatch
  retry-on conn-failure
listen notes
  bind 127.0.0.1:$lb
  balance roundrobin
  option httpchk GET /health/ready
  http-check expect status 200
  default-server inter 200ms fall 2 rise 2
  server n0 127.0.0.1:${ports[0]} check
  server n1 127.0.0.1:${ports[1]} check
  server n2 127.0.0.1:${ports[2]} check
EOF
haproxy -f "$work/haproxy.cfg" -db >"$out/haproxy.log" 2>&1 &
haproxy_pid=$!
wait_http "http://127.0.0.1:$lb/health/ready" 10 "$haproxy_pid"

echo "== mixed load: 16 clients, reads and 4 writes/s"
"$load" mixed "http://127.0.0.1:$lb" --token load-token -c 16 --writes-per-s 4 \
  --until "$work/stop" --out "$out/load" >"$out/load.json" &
load_pid=$!
sleep 5

echo "== rolling restart: SIGTERM, wait, start, ready; one instance at a time"
roll_from=$(now_ms)
for i in 0 1 2; do
  kill -TERM "${pids[$i]}"
  wait "${pids[$i]}" || true
  start "$i"
  sleep 1 # two health checks: the balancer sends it traffic again
done
roll_to=$(now_ms)
sleep 3

echo "== SIGKILL of instance 1"
kill_at=$(now_ms)
kill -KILL "${pids[1]}"
wait "${pids[1]}" 2>/dev/null || true
sleep 3
start 1
sleep 1
kill_to=$(now_ms)
sleep 3
touch "$work/stop"
wait "$load_pid"
load_pid=

echo "== throttle: $((rate * 2)) writes with one token, as fast as possible, through the balancer"
"$load" burst "http://127.0.0.1:$lb" --token burst-token -c 16 -n $((rate * 2)) >"$out/burst.json"

echo "== every committed write in PostgreSQL"
missing=$(psql "$db" -v ON_ERROR_STOP=1 -qAt <<SQL
CREATE TEMP TABLE expected (title text);
\copy expected FROM '$out/load/committed.txt'
SELECT count(*) FROM expected e WHERE NOT EXISTS (SELECT 1 FROM notes n WHERE n.title = e.title);
SQL
)
missing=$(tail -1 <<<"$missing")
rows=$(psql "$db" -At -c "SELECT count(*) FROM notes")

# The checks, from the load's record of failures (unix ms, what, why).
python3 - "$out" "$roll_from" "$roll_to" "$kill_at" "$kill_to" "$rate" "$missing" "$rows" <<'PY'
import json, sys
out, roll_from, roll_to, kill_at, kill_to, rate, missing, rows = sys.argv[1:]
roll_from, roll_to, kill_at, kill_to, rate = map(int, (roll_from, roll_to, kill_at, kill_to, rate))
missing, rows = int(missing), int(rows)
load = json.load(open(f"{out}/load.json"))
burst = json.load(open(f"{out}/burst.json"))
failures = [l.rstrip("\n").split("\t") for l in open(f"{out}/load/failures.tsv") if l.strip()]
during_roll = [f for f in failures if roll_from <= int(f[0]) <= roll_to]
during_kill = [f for f in failures if kill_at <= int(f[0]) <= kill_to]
late_kill = [f for f in during_kill if int(f[0]) > kill_at + 1000]
elsewhere = [f for f in failures if f not in during_roll and f not in during_kill]
# GCRA: a burst of `rate`, then rate/60 a second; +2 for requests at the edges of a second.
allowed_max = rate + int(rate / 60 * burst["seconds"]) + 2
checks = [
    ("rolling restart of 3 instances", len(during_roll) == 0, f"{len(during_roll)} failed requests (must be 0)"),
    # With 16 clients at most 16 requests can be in flight: the telling part is that none
    # fails later than 1 s after the kill (the balancer has taken the instance out).
    ("SIGKILL of 1 instance", not late_kill,
     f"{len(during_kill)} failed, all within 1 s of the kill: {not late_kill}"),
    ("no failures outside those", not elsewhere, f"{len(elsewhere)} failed"),
    ("committed writes in PostgreSQL", missing == 0 and load["committed"] > 0,
     f"{load['committed']} answered 201, {missing} missing; {rows} rows in all"),
    ("throttle across 3 instances (Redis)", rate <= burst["allowed"] <= allowed_max,
     f"{burst['allowed']} of {burst['sent']} let through in {burst['seconds']:.2f} s; "
     f"the per-token rate allows {rate} + {rate}/min ≈ {rate}..{allowed_max} (three separate budgets: {min(3 * rate, burst['sent'])})"),
]
lines = [
    f"Load: {load['requests']} requests in {load['seconds']:.1f} s ({load['per_second']:.0f}/s) "
    f"through HAProxy to 3 instances; {load['committed']} writes committed.",
    "",
    "| check | result | figures |",
    "|---|---|---|",
]
lines += [f"| {name} | {'pass' if ok else 'FAIL'} | {detail} |" for name, ok, detail in checks]
text = "\n".join(lines)
print(text)
open(f"{out}/summary.md", "w").write(text + "\n")
if failures:
    print("\nfailed requests (unix ms, request, error):")
    for f in failures[:40]:
        print("  " + "  ".join(f))
sys.exit(0 if all(ok for _, ok, _ in checks) else 1)
PY
