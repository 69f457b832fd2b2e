#!/usr/bin/env bash
# Configures and builds Folio with CMake + Ninja (RelWithDebInfo), then the web console
# (scripts/build-web.sh: web/ -> web/dist, when Node.js 20.19+ is installed).
# Build directory: $FOLIO_BUILD_DIR (relative paths are relative to the repo root),
# default build/. Extra arguments are passed to `cmake --build`.
set -euo pipefail
cd "$(dirname "$0")/.."

build_dir="${FOLIO_BUILD_DIR:-build}"

printf '==> %(%H:%M:%S)T %s\n' -1 "configuring: cmake -S . -B $build_dir -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo" >&2
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
printf '==> %(%H:%M:%S)T %s\n' -1 "building: cmake --build $build_dir $*" >&2
cmake --build "$build_dir" "$@"

scripts/build-web.sh
