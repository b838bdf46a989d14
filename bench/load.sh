#!/bin/sh
# Load test of `socc serve` on loopback (bench/load.c): CLIENTS clients
# upload the accepted corpus files for SECONDS, then SAME clients upload one
# identical file at once; the database is checked against the answers.
# Usage: bench/load.sh   (env: SECONDS_RUN=60 CLIENTS=64 SAME=32,
# SOCC_SHARED=../shared).  Prints figures; exit 0 when every check held.
# The machine is shared: run it once, not in a loop.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
shared=${SOCC_SHARED:-$top/../shared}
secs=${SECONDS_RUN:-60}
clients=${CLIENTS:-64}
same=${SAME:-32}

make -C "$top" --no-print-directory build/rel/socc >/dev/null
mkdir -p "$top/build/rel"
cc -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -o "$top/build/rel/load" \
    "$top/bench/load.c" -lcurl -lsqlite3 -lpthread

dir=$(mktemp -d /tmp/socc-load-XXXXXX)
# accepted corpus files, the first one (smallest name order) is the
# identical file of phase 2
files=$(awk -F'\t' 'NR > 1 && $3 == "accept" { print $1 }' \
        "$shared/corpus/EXPECTED.tsv" | sort | while read -r f; do
            [ -f "$shared/corpus/$f" ] && printf '%s\n' "$shared/corpus/$f"
        done)
# socc asks every upload for credentials: a super admin and an API token
# of the tier "unlimited", made with the CLI on the fresh data dir
SOCC_DATA_DIR=$dir SOCC_PASSWORD=load-admin-password SOCC_LOG_LEVEL=error \
    "$top/build/rel/socc" user add load-admin --role super_admin >/dev/null 2>&1
SOCC_TOKEN=$(SOCC_DATA_DIR=$dir SOCC_LOG_LEVEL=error "$top/build/rel/socc" \
    token create --user load-admin --all-companies --tier unlimited 2>/dev/null)
export SOCC_TOKEN
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
SOCC_LISTEN=127.0.0.1:$port SOCC_DATA_DIR=$dir SOCC_LOG_LEVEL=warn \
    "$top/build/rel/socc" serve 2>"$dir/serve.log" &
pid=$!
i=0
until curl -sf "http://127.0.0.1:$port/api/health" >/dev/null; do
    i=$((i + 1)); [ $i -lt 100 ] || { kill $pid; exit 1; }; sleep 0.1
done
set +e
# shellcheck disable=SC2086
"$top/build/rel/load" "http://127.0.0.1:$port" "$dir" "$secs" "$clients" \
    "$same" $files
rc=$?
set -e
echo "files=$(printf '%s\n' $files | wc -l) bytes=$(cat $files | wc -c)"
echo "server_peak_rss_kb=$(awk '/VmHWM/ { print $2 }' /proc/$pid/status)"
kill -TERM $pid
wait $pid
echo "server_exit=$?"
echo "server_errors=$(grep -c 'level=error' "$dir/serve.log" || true)"
rm -rf "$dir"
exit $rc
