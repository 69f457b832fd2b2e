#!/usr/bin/env bash
# Installs the Debian packages Folio needs to build, test and benchmark (libjemalloc-dev: the
# server's allocator, cli/CMakeLists.txt; chromium: the
# browser of the web console's end-to-end tests; clang-14 with its sanitizer runtimes and
# libFuzzer: scripts/test-sanitizers.sh; prometheus: its promtool checks deploy/prometheus;
# lintian and help2man: the Debian package and its test (tests/package); nginx: the
# load-balanced test (tests/deploy) and bench/compare.py's reference for the HTTP floor;
# Node.js 20.19+ and npm for the console come with the machine image, see
# scripts/build-web.sh).
# Quiet and fast when everything is already installed: apt-get runs only for
# packages that dpkg does not report as installed. Uses sudo only when not root.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config
  libboost1.81-all-dev libboost-json1.81-dev
  libpq-dev libpqxx-dev libsqlite3-dev libcereal-dev libspdlog-dev
  libgtest-dev libgmock-dev librapidcheck-dev libbenchmark-dev libsodium-dev libjemalloc-dev
  postgresql-15 wrk
  chromium
  clang-14 libclang-rt-14-dev libfuzzer-14-dev
  prometheus
  lintian help2man curl nginx-light
)

missing=()
for pkg in "${packages[@]}"; do
  # The status, not `dpkg -s`'s success (it also succeeds for removed-but-not-purged
  # packages). Not `dpkg -s | grep -q` either: under pipefail, grep's early exit can kill
  # dpkg with SIGPIPE on a long record (prometheus's) and report an installed package missing.
  # A prefix test: a package installed for two architectures prints its status twice.
  if [[ "$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null)" != "install ok installed"* ]]; then
    missing+=("$pkg")
  fi
done

if ((${#missing[@]} == 0)); then
  exit 0
fi

sudo=()
if ((EUID != 0)); then
  if ! command -v sudo >/dev/null 2>&1; then
    echo "install-deps: missing packages (${missing[*]}) and not root; sudo is not available" >&2
    exit 1
  fi
  sudo=(sudo)
fi

echo "==> installing missing Debian packages: ${missing[*]}" >&2
"${sudo[@]}" apt-get update
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}"
