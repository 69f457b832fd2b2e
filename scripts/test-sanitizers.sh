#!/usr/bin/env bash
# The C++ test suite under sanitizers (issue 11), built with clang-14, each in a build
# directory of its own:
#   scripts/test-sanitizers.sh address   # AddressSanitizer + UndefinedBehaviorSanitizer
#                                        # (LeakSanitizer included): the whole C++ suite, and
#                                        # each libFuzzer target in fuzz/ for
#                                        # $FOLIO_FUZZ_SECONDS (default 20) from its corpus
#   scripts/test-sanitizers.sh thread    # ThreadSanitizer, the concurrency suites
# Every target is instrumented, the `folio` binary the HTTP tests start included, so a report
# in a server fails its test (the fixture expects exit 0). Any report fails the run; the one
# suppression is a named leak inside libpqxx 6.4 (scripts/sanitizers/lsan.supp says why). Needs FOLIO_TEST_PG_URL (scripts/test.sh sets it; or start a cluster
# with scripts/pg-cluster.sh start). Extra arguments go to ctest, e.g. -R Store.
# Build directories: build-asan, build-tsan ($FOLIO_SANITIZER_BUILD_DIR overrides).
# FOLIO_TEST_JOBS: ctest's parallelism (default: one test per CPU).
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '==> %(%H:%M:%S)T %s\n' -1 "$*" >&2; }

kind="${1:-}"
case "$kind" in
  address)
    sanitize="address,undefined"
    build_dir="${FOLIO_SANITIZER_BUILD_DIR:-build-asan}"
    # The web console's suites test JavaScript, the package and deploy tests other programs;
    # the C++ suite is what the sanitizer sees.
    selection=(-LE 'web|package|deploy')
    extra_cmake=(-DFOLIO_FUZZ=ON "-DFOLIO_FUZZ_SECONDS=${FOLIO_FUZZ_SECONDS:-20}")
    targets=()
    ;;
  thread)
    sanitize="thread"
    build_dir="${FOLIO_SANITIZER_BUILD_DIR:-build-tsan}"
    # The suites whose tests run threads against each other: the store's (group commit and
    # its merged statements, pipes, followers, SQLite's commit syncer), the commands'
    # concurrency, catch-up, and the server's.
    extra_cmake=()
    # Only what those suites need is built (the rest would only cost CI time).
    targets=(--target folio folio_store_tests folio_commands_tests folio_projections_tests
      folio_http_tests)
    selection=(-LE 'web|fuzz' -R 'Concurren|GroupCommit|Merged|CommitSyncer|SqliteWal|Pipe|Piped|Follower|CatchUp|Shutdown|Conflict|Rebuild|EventFeed')
    ;;
  -h | --help)
    sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'
    exit 0
    ;;
  *)
    echo "usage: scripts/test-sanitizers.sh address|thread [ctest arguments]" >&2
    exit 2
    ;;
esac
shift

if [[ -z "${FOLIO_TEST_PG_URL:-}" ]]; then
  echo "scripts/test-sanitizers.sh: FOLIO_TEST_PG_URL is not set (scripts/pg-cluster.sh start)" >&2
  exit 2
fi

say "configuring $build_dir with -fsanitize=$sanitize"
# -O1: the sanitizers' own advice (usable speed, exact reports); no benchmarks. Line tables
# are all a report's stack needs (file:line:function, inlined frames too) and build ~7 %
# faster than full debug information (rebuild with -g to step through one in gdb).
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_CXX_COMPILER=clang++-14 -DCMAKE_BUILD_TYPE=Debug \
  -DCMAKE_CXX_FLAGS_DEBUG="-O1 -gline-tables-only" -DFOLIO_SANITIZE="$sanitize" -DFOLIO_BUILD_BENCH=OFF \
  "${extra_cmake[@]}" >/dev/null
say "building (cmake --build $build_dir ${targets[*]})"
cmake --build "$build_dir" "${targets[@]}"

# halt_on_error / abort: the first report fails the process and so its test.
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:detect_stack_use_after_return=1:strict_init_order=1"
export LSAN_OPTIONS="suppressions=$PWD/scripts/sanitizers/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1"

# One test per CPU (scripts/test.sh runs twice that): instrumented, the suites are CPU-bound
# (ASan gained 7 % at twice the CPUs, 588 against 628 s), and servers slowed by ASan or, many
# times over, by TSan would stretch the lock-wait tests toward their timeouts.
say "ctest --test-dir $build_dir ${selection[*]} $*"
ctest --test-dir "$build_dir" --output-on-failure -j"${FOLIO_TEST_JOBS:-$(nproc)}" \
  "${selection[@]}" "$@"
