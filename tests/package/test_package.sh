#!/usr/bin/env bash
# The Debian package as an operator meets it: build it (CPack), lintian finds no errors,
# dpkg installs it, the units pass `systemd-analyze verify`, the installed `folio serve`
# runs with the packaged defaults (/etc/default/folio: SQLite under /var/lib/folio) and
# serves the console, /healthz and the API, and the package removes and purges cleanly.
# Needs root (dpkg); skipped (exit 77) otherwise.   Usage: test_package.sh BUILD_DIR
set -euo pipefail
build_dir=$(cd "$1" && pwd)
if ((EUID != 0)); then
  echo "test_package: needs root to install the package; skipped"
  exit 77
fi
say() { echo "== $*"; }
fail() {
  echo "FAILED: $*" >&2
  exit 1
}
work=$(mktemp -d)
server_pid=""
listener_pid=""
cleanup() {
  [[ -n $server_pid ]] && kill "$server_pid" 2>/dev/null || true
  [[ -n $listener_pid ]] && kill "$listener_pid" 2>/dev/null || true
  dpkg --purge folio >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
dpkg --purge folio >/dev/null 2>&1 || true  # a leftover of an interrupted run

say "building the package"
cmake --build "$build_dir" --target package >"$work/cpack.log" 2>&1 || {
  cat "$work/cpack.log"
  fail "cpack"
}
version=$(dpkg-deb -f "$build_dir"/folio_*_amd64.deb Version)
deb="$build_dir/folio_${version}_amd64.deb"
[[ -f $deb ]] || fail "no $deb"

say "lintian $deb"
lintian --fail-on error "$deb" || fail "lintian reports errors"

say "installing"
dpkg -i "$deb" >"$work/dpkg.log" 2>&1 || {
  cat "$work/dpkg.log"
  fail "dpkg -i"
}
for file in /usr/bin/folio /usr/share/folio/web/index.html /usr/share/man/man1/folio.1.gz \
  /etc/default/folio /lib/systemd/system/folio.service /lib/systemd/system/folio-verify.timer \
  /usr/share/doc/folio/copyright; do
  [[ -e $file ]] || fail "$file is not installed"
done
/usr/bin/folio --version | grep -Eq "^folio $version \(commit [0-9a-f]+" ||
  fail "folio --version: $(/usr/bin/folio --version)"
man -l /usr/share/man/man1/folio.1.gz 2>/dev/null | grep -q "folio serve" || fail "man page"
dpkg-query -W -f='${Conffiles}' folio | grep -q /etc/default/folio || fail "conffile"

say "systemd-analyze verify"
systemd-analyze verify /lib/systemd/system/folio.service /lib/systemd/system/folio-verify.service \
  /lib/systemd/system/folio-verify.timer || fail "systemd-analyze verify"

say "the installed folio serve with the packaged defaults"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p /var/lib/folio
# What systemd would hear from a Type=notify service: a datagram socket in $NOTIFY_SOCKET.
python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(60)
with open(sys.argv[2], "a") as log:
    while True:
        message = s.recv(4096).decode()
        log.write(message + "\n")
        log.flush()
        if message.startswith("STOPPING=1"):
            break
' "$work/notify" "$work/notify.log" &
listener_pid=$!
for _ in $(seq 50); do [[ -S $work/notify ]] && break; sleep 0.1; done
(
  set -a
  # shellcheck source=/dev/null
  . /etc/default/folio
  FOLIO_LISTEN=127.0.0.1:$port  # the one change: a free port
  FOLIO_ADMIN_USERNAME=admin
  FOLIO_ADMIN_PASSWORD=package-test-password
  NOTIFY_SOCKET=$work/notify
  set +a
  cd /
  unset FOLIO_WEB_ROOT
  # shellcheck disable=SC2086
  exec /usr/bin/folio serve $FOLIO_SERVE_ARGS
) >"$work/serve.log" 2>&1 &
server_pid=$!
for _ in $(seq 100); do
  grep -q "Folio is serving" "$work/serve.log" && break
  sleep 0.1
done
for _ in $(seq 50); do grep -qx "READY=1" "$work/notify.log" 2>/dev/null && break; sleep 0.1; done
grep -qx "READY=1" "$work/notify.log" || fail "no READY=1 for systemd once listening"
grep -q "Folio is serving sqlite:///var/lib/folio/folio.db at http://127.0.0.1:$port/" \
  "$work/serve.log" || {
  cat "$work/serve.log"
  fail "the server did not start with the packaged defaults"
}
base="http://127.0.0.1:$port"
[[ $(curl -s -o /dev/null -w '%{http_code}' "$base/healthz") == 200 ]] || fail "/healthz"
curl -s "$base/" | grep -qi "<!doctype html" || fail "the console at / (from /usr/share/folio/web)"
token=$(curl -s "$base/api/v1/auth/token" -H 'Content-Type: application/json' \
  -d '{"username":"admin","password":"package-test-password"}' |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])') || fail "login"
status=$(curl -s -o "$work/created.json" -w '%{http_code}' "$base/api/v1/resources" \
  -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
  -d '{"name":"Crane","resource_type":"non_labor"}')
[[ $status == 201 ]] || fail "create a resource: $status $(cat "$work/created.json")"
kill -TERM "$server_pid"
wait "$server_pid" || fail "folio serve did not exit 0 on SIGTERM"
server_pid=""
wait "$listener_pid" || true
grep -qx "STOPPING=1" "$work/notify.log" || fail "no STOPPING=1 for systemd on SIGTERM"
[[ -s /var/lib/folio/folio.db ]] || fail "no database under /var/lib/folio"
FOLIO_DB=sqlite:///var/lib/folio/folio.db /usr/bin/folio verify >"$work/verify.log" 2>&1 || {
  cat "$work/verify.log"
  fail "folio verify of the packaged database"
}

say "removing and purging"
dpkg -r folio >/dev/null || fail "dpkg -r"
[[ ! -e /usr/bin/folio ]] || fail "/usr/bin/folio left after remove"
[[ -e /etc/default/folio ]] || fail "remove (not purge) must keep the conffile"
[[ -e /var/lib/folio/folio.db ]] || fail "remove (not purge) must keep the database"
dpkg --purge folio >/dev/null || fail "dpkg --purge"
[[ ! -e /etc/default/folio ]] || fail "/etc/default/folio left after purge"
[[ ! -e /var/lib/folio ]] || fail "/var/lib/folio left after purge"
dpkg -s folio >/dev/null 2>&1 && fail "folio still known to dpkg"
say "the package installs, serves and removes cleanly"
