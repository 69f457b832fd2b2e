#!/usr/bin/env bash
# The main job: installs missing Debian packages, builds Folio, and runs it against
# $FOLIO_DB (default: SQLite at <repo>/data/folio.db).
# Arguments go to `folio serve` (see `folio serve --help`).
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$(pwd -P)"

say() { printf '==> %s\n' "$*" >&2; }

say "checking Debian packages (scripts/install-deps.sh)"
scripts/install-deps.sh

scripts/build.sh

build_dir="${FOLIO_BUILD_DIR:-build}"
folio="$build_dir/cli/folio"

mkdir -p "$repo/data"
export FOLIO_DB="${FOLIO_DB:-sqlite://$repo/data/folio.db}"
# Never print a password: postgresql://user:secret@host -> postgresql://user:***@host
say "FOLIO_DB=$(sed -E 's#(://[^:/@]+:)[^/]*@#\1***@#' <<<"$FOLIO_DB")"

# `folio serve` migrates the store up on start, creates the first admin from
# FOLIO_ADMIN_USERNAME / FOLIO_ADMIN_PASSWORD when the store has no users, and prints
# the address it serves at.
say "exec $folio serve $*"
exec "$folio" serve "$@"
