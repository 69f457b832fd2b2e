#!/usr/bin/env bash
# Configures and builds Folio with CMake + Ninja (RelWithDebInfo), then the web console
# (scripts/build-web.sh: web/ -> web/dist, when Node.js 20.19+ is installed).
# Build directory: $FOLIO_BUILD_DIR (relative paths are relative to the repo root),
# default build/. Extra arguments are passed to `cmake --build`.
set -euo pipefail
cd "$(dirname "$0")/.."

build_dir="${FOLIO_BUILD_DIR:-build}"
# Timed, as scripts/test.sh's stages: a CI log shows where its minutes went.
say() { printf '==> %(%H:%M:%S)T %s\n' -1 "$*" >&2; }

say "configuring: cmake -S . -B $build_dir -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo"
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
say "building: cmake --build $build_dir $*"
cmake --build "$build_dir" "$@"

scripts/build-web.sh
