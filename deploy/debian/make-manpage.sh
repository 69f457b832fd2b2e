#!/bin/sh
# Writes folio.1.gz for the package: help2man from `folio --help` and `--version`, plus a
# section with every command's own --help.   Usage: make-manpage.sh FOLIO_BINARY OUT_DIR
set -eu
folio=$1
out=$2
extra="$out/folio-commands.h2m"
{
  echo "[COMMANDS IN DETAIL]"
  for command in $("$folio" --help | sed -n '/^Commands:/,/^$/p' | awk 'NR > 1 && NF { print $1 }'); do
    echo ".SS \"folio $command\""
    echo ".nf"
    # User commands print their usage on stdout; roff needs its backslashes and leading dots escaped.
    "$folio" "$command" --help 2>&1 | sed -e 's/\\/\\e/g' -e 's/^\./\\\&./'
    echo ".fi"
  done
  echo "[ENVIRONMENT]"
  echo ".TP"
  echo "FOLIO_DB"
  echo "the database when --db is not given (the package's /etc/default/folio sets it)"
  echo ".TP"
  echo "FOLIO_LISTEN, FOLIO_WEB_ROOT, FOLIO_ADMIN_USERNAME, FOLIO_ADMIN_PASSWORD"
  echo "see folio serve"
  echo "[FILES]"
  echo ".TP"
  echo "/etc/default/folio"
  echo "the service's settings"
  echo ".TP"
  echo "/var/lib/folio"
  echo "the service's SQLite database (by default)"
} > "$extra"
help2man --no-info --section 1 --include "$extra" \
  --name "event-sourced planning back end with optimistic locking" \
  --output "$out/folio.1" "$folio"
gzip -9nf "$out/folio.1"
