#!/usr/bin/env bash
# Builds the web console: web/ (TypeScript) -> web/dist, which `folio serve` serves at /.
# Needs Node.js 20.19+ and npm; without them it says so and exits 0 (the API still works,
# and / explains how to build the console). `npm ci` runs only when web/package-lock.json
# changed since the last install.
set -euo pipefail
cd "$(dirname "$0")/../web"

say() { printf '==> %s\n' "$*" >&2; }

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1 ||
  ! node -e 'const [a, b] = process.versions.node.split(".").map(Number);
             process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)'; then
  say "web console: skipped (needs Node.js 20.19+ and npm; found node $(node --version 2>/dev/null || echo none))"
  exit 0
fi

stamp=node_modules/.folio-package-lock
if [[ ! -f "$stamp" ]] || ! cmp -s package-lock.json "$stamp"; then
  say "web console: npm ci"
  npm ci --no-audit --no-fund
  cp package-lock.json "$stamp"
fi
say "web console: npm run build (web/dist)"
npm run --silent build
