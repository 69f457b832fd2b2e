#!/usr/bin/env bash
# A private, throwaway PostgreSQL 15 cluster for the test suite.
#
#   eval "$(scripts/pg-cluster.sh start)"   # prints export lines on stdout:
#                                           #   FOLIO_TEST_PG_URL=postgresql://postgres@127.0.0.1:PORT/postgres
#                                           #   FOLIO_TEST_PG_DIR=<cluster directory>
#   scripts/pg-cluster.sh stop              # stops the cluster in $FOLIO_TEST_PG_DIR and removes it
#   scripts/pg-cluster.sh crash             # SIGKILL to the server and all its processes (a crash)
#   scripts/pg-cluster.sh restart           # starts the cluster in $FOLIO_TEST_PG_DIR again, same
#                                           # port (after a crash: PostgreSQL's crash recovery)
#
# Layout of $FOLIO_TEST_PG_DIR: data/ (PGDATA), log (server log), initdb.log, the Unix
# socket, and a marker file so `stop` never removes a directory it did not create.
# The server listens on 127.0.0.1 only, trusts local connections and allows 200
# connections. fsync stays on (benchmarks measure against it) unless FOLIO_PG_FSYNC=off at
# `start`: scripts/test.sh sets that for the suite's shared cluster, whose tests spent most
# of their time waiting for WAL flushes (3 ms each on CI's disk) and none of which needs
# them: that cluster is never killed (the crash test starts its own, with fsync on). The
# setting is written into postgresql.conf, so `restart` keeps it.
# Progress messages go to stderr.
# When run as root, initdb/pg_ctl run as the `postgres` user.
set -euo pipefail

PG_BIN="${FOLIO_PG_BIN:-/usr/lib/postgresql/15/bin}"
MARKER=folio-pg-cluster

say() { printf 'pg-cluster: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

# Runs a command as the cluster owner: `postgres` when we are root, else ourselves.
# Runs from / so the postgres user never trips over an unreadable working directory.
as_owner() {
  if ((EUID == 0)); then
    (cd / && runuser -u postgres -- "$@")
  else
    (cd / && "$@")
  fi
}

# Prints a TCP port on 127.0.0.1 that nothing listens on. Picks from 20000-32767,
# below Linux's default ephemeral range, so outgoing connections rarely collide.
pick_port() {
  local port i
  for ((i = 0; i < 200; i++)); do
    port=$((20000 + RANDOM % 12768))
    if [[ -z "$(ss -Htln "sport = :$port" 2>/dev/null)" ]]; then
      echo "$port"
      return 0
    fi
  done
  return 1
}

# Stops the server in $1 (if running) and removes the directory.
teardown() {
  local dir=$1 pid
  if [[ -f "$dir/data/postmaster.pid" ]]; then
    say "stopping server in $dir"
    if ! as_owner "$PG_BIN/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >&2; then
      say "fast shutdown failed; trying immediate"
      as_owner "$PG_BIN/pg_ctl" -D "$dir/data" -m immediate -w -t 30 stop >&2 || true
    fi
    # Last resort: the postmaster we started, by the pid it recorded.
    if [[ -f "$dir/data/postmaster.pid" ]]; then
      pid="$(head -n1 "$dir/data/postmaster.pid" 2>/dev/null || true)"
      if [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null; then
        say "killing postmaster $pid"
        kill -KILL "$pid" 2>/dev/null || true
        sleep 1
      fi
    fi
  fi
  rm -rf -- "$dir"
}

start() {
  [[ -x "$PG_BIN/initdb" && -x "$PG_BIN/pg_ctl" ]] ||
    die "PostgreSQL 15 binaries not found in $PG_BIN (run scripts/install-deps.sh)"
  local fsync="${FOLIO_PG_FSYNC:-on}"
  [[ "$fsync" == on || "$fsync" == off ]] || die "FOLIO_PG_FSYNC must be on or off, not '$fsync'"

  # The postgres user must be able to reach the directory; fall back to /tmp if $TMPDIR
  # is somewhere it cannot enter (e.g. under /root).
  local parent="${TMPDIR:-/tmp}"
  if ((EUID == 0)) && ! (cd / && runuser -u postgres -- test -x "$parent" -a -w "$parent"); then
    parent=/tmp
  fi
  local dir
  dir="$(mktemp -d "$parent/folio-pg.XXXXXX")"
  : >"$dir/$MARKER"
  if ((EUID == 0)); then
    chown -R postgres:postgres "$dir"
  fi

  say "initdb in $dir/data"
  if ! as_owner "$PG_BIN/initdb" -D "$dir/data" --auth=trust -U postgres \
    --encoding=UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1; then
    cat "$dir/initdb.log" >&2
    rm -rf -- "$dir"
    die "initdb failed"
  fi
  if [[ "$fsync" == off ]]; then
    echo "fsync = off" >>"$dir/data/postgresql.conf"
  fi

  local port attempt
  for attempt in 1 2 3 4 5; do
    port="$(pick_port)" || { teardown "$dir"; die "no free TCP port found"; }
    say "starting PostgreSQL 15 on 127.0.0.1:$port (attempt $attempt)"
    if as_owner "$PG_BIN/pg_ctl" -w -t 60 -D "$dir/data" \
      -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=200" \
      -l "$dir/log" start >/dev/null 2>"$dir/pg_ctl.err"; then
      say "ready: $dir"
      echo "$port" >"$dir/port"
      printf 'export FOLIO_TEST_PG_URL=%q\n' "postgresql://postgres@127.0.0.1:$port/postgres"
      printf 'export FOLIO_TEST_PG_DIR=%q\n' "$dir"
      return 0
    fi
    # Another process grabbed the port between the check and the bind: try another.
    if grep -qs 'could not bind\|Address already in use' "$dir/log" && ((attempt < 5)); then
      say "port $port was taken; retrying"
      : >"$dir/log"
      continue
    fi
    break
  done

  say "server failed to start; pg_ctl said:"
  cat "$dir/pg_ctl.err" >&2 || true
  say "server log ($dir/log):"
  cat "$dir/log" >&2 || true
  teardown "$dir"
  exit 1
}

stop() {
  local dir="${FOLIO_TEST_PG_DIR:-}"
  [[ -n "$dir" ]] || die "FOLIO_TEST_PG_DIR is not set (did you eval \"\$(scripts/pg-cluster.sh start)\"?)"
  [[ -d "$dir" ]] || { say "$dir does not exist; nothing to stop"; return 0; }
  [[ -f "$dir/$MARKER" ]] || die "$dir was not created by scripts/pg-cluster.sh; refusing to remove it"
  teardown "$dir"
  say "stopped and removed $dir"
}

# The cluster directory of `crash` and `restart`: $FOLIO_TEST_PG_DIR, made by `start`.
own_dir() {
  local dir="${FOLIO_TEST_PG_DIR:-}"
  [[ -n "$dir" && -f "$dir/$MARKER" ]] || die "FOLIO_TEST_PG_DIR does not name a cluster made by this script"
  echo "$dir"
}

crash() {
  local dir pid
  dir="$(own_dir)"
  pid="$(head -n1 "$dir/data/postmaster.pid" 2>/dev/null || true)"
  [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null || die "no server running in $dir"
  say "SIGKILL to postmaster $pid and its processes"
  pkill -KILL -P "$pid" 2>/dev/null || true
  kill -KILL "$pid" 2>/dev/null || true
  while kill -0 "$pid" 2>/dev/null || pgrep -P "$pid" >/dev/null; do sleep 0.05; done
}

restart() {
  local dir port
  dir="$(own_dir)"
  port="$(cat "$dir/port")"
  say "starting PostgreSQL 15 again on 127.0.0.1:$port"
  as_owner "$PG_BIN/pg_ctl" -w -t 60 -D "$dir/data" \
    -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=200" \
    -l "$dir/log" start >/dev/null || die "restart failed (server log: $dir/log)"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  crash) crash ;;
  restart) restart ;;
  *)
    echo "usage: $0 start|stop|crash|restart" >&2
    exit 2
    ;;
esac
