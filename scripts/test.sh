#!/usr/bin/env bash
# The whole suite: installs missing Debian packages, builds Folio, starts a private
# PostgreSQL 15 cluster (stopped again on exit, including on failure or Ctrl-C), and
# runs every test through ctest; then the C++ suite again under AddressSanitizer +
# UndefinedBehaviorSanitizer with a short run of every fuzz target, and the concurrency
# suites under ThreadSanitizer (scripts/test-sanitizers.sh, docs/fuzzing.md).
# Extra arguments are passed to ctest (the normal suite only), e.g.
#   scripts/test.sh -R Conformance
# FOLIO_SKIP_SANITIZERS=1 skips the sanitizer runs (a quick local run; CI runs them).
# FOLIO_TEST_JOBS sets ctest's parallelism (default: twice the CPUs, see below).
# Exits non-zero when any run failed.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '==> %(%H:%M:%S)T %s\n' -1 "$*" >&2; }

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
# Without WAL flushes (FOLIO_PG_FSYNC=off, see scripts/pg-cluster.sh): the PostgreSQL tests ran
# 2.3x faster one at a time and were 70 % of the suite's test time.
pg_env="$(FOLIO_PG_FSYNC=off scripts/pg-cluster.sh start)"
eval "$pg_env"
export FOLIO_TEST_PG_URL FOLIO_TEST_PG_DIR
say "FOLIO_TEST_PG_URL=$FOLIO_TEST_PG_URL"

# Many tests wait on sockets, child servers and PostgreSQL rather than a CPU: twice the CPUs
# keeps both busy (2 vCPUs, web/package/deploy/fuzz left out: 314 s at -j4; the whole suite
# took 420 s at -j2 in CI; with the cluster's fsync off the stage is CPU-bound at -j4). The sanitizer runs choose their own default.
jobs="${FOLIO_TEST_JOBS:-$(($(nproc) * 2))}"
say "ctest --test-dir $build_dir --output-on-failure -j$jobs $*"
status=0
ctest --test-dir "$build_dir" --output-on-failure -j"$jobs" "$@" || status=$?
if [[ "${FOLIO_SKIP_SANITIZERS:-0}" != 1 ]]; then
  for kind in address thread; do
    say "scripts/test-sanitizers.sh $kind"
    scripts/test-sanitizers.sh "$kind" || status=1
  done
fi
say "finished: exit status $status"
exit "$status"
