#!/bin/sh
# Copy seed inputs for one fuzz target into a directory.
# Usage: fuzz/seed.sh csv|xlsx|xls|detect|multipart|json|base64|journal SHARED OUTDIR
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
json) printf '{"name":"a\\u00e9","password":"x","n":[1,{"k":"\\ud83d\\ude00"}]}' >"$out/obj.json"
      printf '["a",1,true,null]' >"$out/arr.json" ;;
base64) printf 'YWJjZGVm' >"$out/plain"; printf 'Zm9vYg==' >"$out/padded" ;;
journal) printf '1\t1764871234567\tingest\tacme\tsiem\t%064d\t\n' 0 >"$out/one" ;;
esac
[ -d tests/fixtures/"$kind" ] && cp tests/fixtures/"$kind"/* "$out/" 2>/dev/null || true
printf 'seeded %s: %s files\n' "$kind" "$(ls "$out" | wc -l)"
