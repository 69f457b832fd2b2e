#!/usr/bin/env bash
# The main job: installs missing Debian packages, builds Folio, and runs it against
# $FOLIO_DB (default: SQLite at <repo>/data/folio.db).
#   - Once `folio serve` exists, this execs `folio serve "$@"`.
#   - Until then, it migrates the store up and prints the migration status.
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

# ---------------------------------------------------------------------------
# SERVER: once the HTTP server lands, `folio serve --help` exits 0 and this
# branch takes over (`folio serve` migrates the store up on start itself).
# When that is true, the migrate-only fallback below can be deleted.
# ---------------------------------------------------------------------------
if "$folio" serve --help >/dev/null 2>&1; then
  say "exec $folio serve $*"
  exec "$folio" serve "$@"
fi

# Fallback until the server exists: migrate and report.
if (($# > 0)); then
  say "ignoring arguments ($*): they are for 'folio serve', which does not exist yet"
fi
say "$folio migrate up"
"$folio" migrate up
say "$folio migrate status"
"$folio" migrate status
say "store is migrated; 'folio serve' (the HTTP server) arrives with the HTTP issue"
