#!/usr/bin/env bash
# HTTP benchmarks with wrk against a real `folio serve`, on SQLite and on PostgreSQL.
#   bench/http/run.sh [sqlite|postgresql|both] [seconds per scenario, default 10]
# Scenarios: update-hot (10 entities, many 409s), update-spread (10,000 entities),
# read, create. Prints requests/s, p50/p99, the status counts and the 409 share.
# Needs a build (scripts/build.sh) and wrk (scripts/install-deps.sh installs it).
set -euo pipefail
cd "$(dirname "$0")/../.."
repo="$(pwd -P)"
backends="${1:-both}"
duration="${2:-10}"
folio="${FOLIO_BUILD_DIR:-build}/cli/folio"
work="$(mktemp -d)"
export FOLIO_BENCH_DIR="$repo/bench/http"
server_pid=""
started_pg=""

cleanup() {
  [[ -n "$server_pid" ]] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null || true
  [[ -n "$started_pg" ]] && scripts/pg-cluster.sh stop >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

run_backend() {
  local name="$1" db="$2" port
  port="$(free_port)"
  echo "== $name: folio serve on 127.0.0.1:$port" >&2
  FOLIO_ADMIN_USERNAME=bench FOLIO_ADMIN_PASSWORD=bench-password \
    "$folio" --db "$db" serve --listen "127.0.0.1:$port" >"$work/$name.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 1 100); do
    curl -sf "127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
    sleep 0.1
  done
  echo "   seeding 10000 resources" >&2
  FOLIO_TOKEN="$(python3 bench/http/seed.py "127.0.0.1:$port" bench bench-password 10000 "$work/ids")"
  export FOLIO_TOKEN FOLIO_IDS_FILE="$work/ids"
  for scenario in update-hot update-spread read create; do
    local script="update.lua"
    unset FOLIO_HOT
    case "$scenario" in
      update-hot) export FOLIO_HOT=10 ;;
      read) script="read.lua" ;;
      create) script="create.lua" ;;
    esac
    echo "-- $name $scenario (wrk -t2 -c32 -d${duration}s)"
    wrk -t2 -c32 -d"${duration}s" -s "bench/http/$script" "http://127.0.0.1:$port" |
      grep -E "Requests/sec|statuses|conflict_share|p50_ms|p99_ms|Non-2xx|Socket errors"
  done
  kill "$server_pid"
  wait "$server_pid" || true
  server_pid=""
}

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), kernel $(uname -r)"
if [[ "$backends" == sqlite || "$backends" == both ]]; then
  run_backend sqlite "sqlite://$work/bench.db"
fi
if [[ "$backends" == postgresql || "$backends" == both ]]; then
  if [[ -z "${FOLIO_TEST_PG_URL:-}" ]]; then
    eval "$(scripts/pg-cluster.sh start)"
    started_pg=1
  fi
  run_backend postgresql "$FOLIO_TEST_PG_URL"
fi
