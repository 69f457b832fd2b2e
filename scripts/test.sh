#!/usr/bin/env bash
# The whole suite: installs missing Debian packages, builds Folio, starts a private
# PostgreSQL 15 cluster (stopped again on exit, including on failure or Ctrl-C), and
# runs every test through ctest. Extra arguments are passed to ctest, e.g.
#   scripts/test.sh -R Conformance
# Exits with ctest's status.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '==> %s\n' "$*" >&2; }

say "checking Debian packages (scripts/install-deps.sh)"
scripts/install-deps.sh

scripts/build.sh

build_dir="${FOLIO_BUILD_DIR:-build}"

# shellcheck disable=SC2317  # invoked by the EXIT trap
cleanup() {
  if [[ -n "${FOLIO_TEST_PG_DIR:-}" ]]; then
    scripts/pg-cluster.sh stop || true
  fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

say "starting a private PostgreSQL 15 cluster (scripts/pg-cluster.sh start)"
pg_env="$(scripts/pg-cluster.sh start)"
eval "$pg_env"
export FOLIO_TEST_PG_URL FOLIO_TEST_PG_DIR
say "FOLIO_TEST_PG_URL=$FOLIO_TEST_PG_URL"

say "ctest --test-dir $build_dir --output-on-failure -j2 $*"
status=0
ctest --test-dir "$build_dir" --output-on-failure -j2 "$@" || status=$?
exit "$status"
