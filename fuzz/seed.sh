#!/bin/sh
# Copy seed inputs for one fuzz target into a directory.
# Usage: fuzz/seed.sh csv|xlsx|xls|detect|multipart SHARED OUTDIR
set -eu
kind=$1 shared=$2 out=$3
c="$shared/corpus"
copy() { for f in "$@"; do [ -f "$f" ] && cp "$f" "$out/" || true; done; }
case "$kind" in
csv) copy "$c"/csv/* "$c"/security/*.csv "$shared"/cases/*/*.csv ;;
xlsx) copy "$c"/xlsx/* "$c"/security/*.xlsx "$shared"/cases/*/*.xlsx ;;
xls) copy "$c"/xls/* "$c"/broken/*.xls ;;
detect) copy "$c"/broken/* "$c"/xls/*.xls "$c"/csv/*.csv ;;
multipart) copy "$shared"/cases/022*/*.http "$shared"/cases/026*/*.http ;;
esac
[ -d tests/fixtures/"$kind" ] && cp tests/fixtures/"$kind"/* "$out/" 2>/dev/null || true
printf 'seeded %s: %s files\n' "$kind" "$(ls "$out" | wc -l)"
