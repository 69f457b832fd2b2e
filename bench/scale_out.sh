#!/usr/bin/env bash
# One vs three `folio serve` on one PostgreSQL behind nginx (deploy/nginx): GET by id and
# PATCH with wrk -t2 -c32 -d10s, and GET direct to one server. docs/scaling.md has results.
# Usage: bench/scale_out.sh (after scripts/build.sh; FOLIO_TEST_PG_URL from
# scripts/pg-cluster.sh start, e.g. `source <(scripts/pg-cluster.sh start)`). Ports 18181-18191.
set -euo pipefail
: "${FOLIO_TEST_PG_URL:?start a cluster: scripts/pg-cluster.sh start}"
cd "$(dirname "$0")/.."
W=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; wait; rm -rf "$W"' EXIT
DB=${FOLIO_TEST_PG_URL%/postgres}/scale
psql "$FOLIO_TEST_PG_URL" -qc "DROP DATABASE IF EXISTS scale" -c "CREATE DATABASE scale" 2>/dev/null
build/cli/folio --db $DB migrate up >/dev/null
echo "admin-password-1" | build/cli/folio --db $DB user create-admin --username admin >/dev/null
pids=()
for p in 18181 18182 18183; do
  build/cli/folio --db $DB serve --no-migrate --listen 127.0.0.1:$p --trusted-proxies 127.0.0.1 > $W/s$p.log 2>&1 &
  pids+=($!)
done
sleep 2
mkconf() { # name ports...
  local name=$1; shift; local ups=""
  for p in "$@"; do ups="$ups server 127.0.0.1:$p;"; done
  mkdir -p $W/$name
  cat > $W/$name/nginx.conf <<CONF
daemon off; worker_processes 2; pid $W/$name/pid; error_log $W/$name/err.log warn;
events { worker_connections 4096; }
http { access_log off; client_body_temp_path $W/$name/b; proxy_temp_path $W/$name/p;
 fastcgi_temp_path $W/$name/f; uwsgi_temp_path $W/$name/u; scgi_temp_path $W/$name/s;
 include $PWD/deploy/nginx/folio-maps.conf;
 upstream folio { $ups keepalive 64; }
 server { listen 127.0.0.1:$PORT; include $PWD/deploy/nginx/folio-proxy.conf; } }
CONF
}
PORT=18190 mkconf one 18181; PORT=18191 mkconf three 18181 18182 18183
/usr/sbin/nginx -c $W/one/nginx.conf -p $W/one & n1=$!
/usr/sbin/nginx -c $W/three/nginx.conf -p $W/three & n3=$!
sleep 1
TOKEN=$(python3 bench/http/seed.py 127.0.0.1:18190 admin admin-password-1 2000 $W/ids)
export FOLIO_TOKEN=$TOKEN FOLIO_IDS_FILE=$W/ids FOLIO_BENCH_DIR=bench/http
for kind in read update; do
  for name in one three; do
    port=$([[ $name == one ]] && echo 18190 || echo 18191)
    echo "== $kind via nginx to $name server(s)"
    wrk -t2 -c32 -d10s -s bench/http/$kind.lua http://127.0.0.1:$port 2>&1 | grep -E "Requests/sec|Latency|status" | head -5
  done
done
echo "== read direct to one server (no nginx)"
wrk -t2 -c32 -d10s -s bench/http/read.lua http://127.0.0.1:18181 2>&1 | grep -E "Requests/sec|Latency" | head -3
