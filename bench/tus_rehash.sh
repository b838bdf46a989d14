#!/bin/bash
# What a server restart costs a tus resume: the whole-file SHA-256 lives
# in memory between PATCHes, so after a restart the next chunk re-reads
# the bytes already stored.  Times the last 10-byte PATCH of a ~50 MB
# upload without and with a restart before it.  The content is random, so
# the pipeline refuses it at once (415) and the difference is the re-hash.
#   usage: bench/tus_rehash.sh [SOCC_BIN] [PORT]
# Measured 2026-12-04 (build/san, 2 shared cores, page cache warm):
#   restart=0 0.004-0.031 s, restart=1 0.043-0.094 s: 35-60 ms per 50 MB.
set -eu
BIN=${1:-build/rel/socc}; PORT=${2:-18950}; N=$((50 * 1024 * 1024 - 100))
D=$(mktemp -d /tmp/socc-bench-tus-XXXXXX)
trap 'kill $(cat $D/pid) 2>/dev/null || true; rm -rf "$D"' EXIT
head -c $N /dev/urandom > "$D/f.csv"
head -c $((N - 10)) "$D/f.csv" > "$D/a"
tail -c 10 "$D/f.csv" > "$D/b"
URL=http://127.0.0.1:$PORT
start() {
    SOCC_LISTEN=127.0.0.1:$PORT SOCC_DATA_DIR=$D/data "$BIN" serve \
        2>>"$D/log" & echo $! > "$D/pid"
    for _ in $(seq 100); do
        curl -sf -o /dev/null $URL/api/health && return; sleep 0.05
    done
}
b64() { printf %s "$1" | base64; }
mkdir -p "$D/data"; start
for restart in 0 1; do
    meta="filename $(b64 f.csv),company $(b64 bench$restart),tool_type $(b64 siem)"
    loc=$(curl -si -X POST -H 'Tus-Resumable: 1.0.0' -H "Upload-Length: $N" \
          -H "Upload-Metadata: $meta" $URL/api/tus/ |
          tr -d '\r' | sed -n 's/^[Ll]ocation: //p')
    curl -s -o /dev/null -X PATCH -H 'Tus-Resumable: 1.0.0' \
        -H 'Content-Type: application/offset+octet-stream' \
        -H 'Upload-Offset: 0' --data-binary @"$D/a" $URL$loc
    if [ $restart = 1 ]; then
        kill "$(cat "$D/pid")"; sleep 1; start
    fi
    t=$(curl -s -o /dev/null -w '%{time_total}s status=%{http_code}' \
        -X PATCH -H 'Tus-Resumable: 1.0.0' \
        -H 'Content-Type: application/offset+octet-stream' \
        -H "Upload-Offset: $((N - 10))" --data-binary @"$D/b" $URL$loc)
    echo "restart=$restart last_patch=$t"
done
