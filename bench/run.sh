#!/bin/sh
# Paired benchmark: socc ingest against the peers of ../shared/bench-peers
# (pandas, SheetJS, DuckDB, and the machine's limits), one run after the
# other on the same files.  Usage: bench/run.sh  (env: RUNS, WORKLOADS,
# PEERS, BENCH_WORK as in compare.sh).  Sends nothing off the machine.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
src=${PEERS_SRC:-$top/../shared/bench-peers}
work=${BENCH_WORK:-/tmp/socc-bench}

if [ ! -d "$work" ]; then
    cp -r "$src" "$work"
    chmod -R u+w "$work"
fi
if [ "$(id -u)" = 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-pandas \
        python3-openpyxl python3-xlrd python3-xlsxwriter python3-xlwt \
        sqlite3 >/dev/null
fi
[ -d "$work/node/node_modules" ] || (cd "$work/node" && npm ci --silent)
[ -f "$work/data/manifest.json" ] || (cd "$work" && /usr/bin/python3 gen.py)
make -C "$top" --no-print-directory build/rel/socc

# {db} is a fresh directory for each run: socc's data dir
SOCC_CMD="env SOCC_DATA_DIR={db} $top/build/rel/socc ingest --company acme \
--tool siem {file}" exec "$work/compare.sh" "$@"
