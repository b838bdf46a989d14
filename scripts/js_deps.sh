#!/bin/sh
# Install the pinned npm packages of tests/js (playwright-core, tus-js-client)
# from its package-lock.json, when node_modules is missing or older than the
# lock.  The browser is Debian's chromium; no browser is ever downloaded.
set -eu
cd "$(dirname "$0")/../tests/js"
stamp=node_modules/.socc-installed
if [ -f "$stamp" ] && [ "$stamp" -nt package-lock.json ]; then
    exit 0
fi
echo "socc: installing tests/js npm packages (package-lock.json)"
PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error
touch "$stamp"
