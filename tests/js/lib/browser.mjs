// Debian's chromium, headless, kept off the network: every host but
// loopback goes to a dead proxy and resolves to nothing.

import { chromium } from "playwright-core";

export const CHROMIUM = process.env.SOCC_CHROMIUM || "/usr/bin/chromium";

export const ARGS = [
  "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
  "--disable-default-apps", "--disable-extensions", "--metrics-recording-only",
  "--disable-quic", "--disable-domain-reliability", "--no-pings",
  "--proxy-server=127.0.0.1:9", "--proxy-bypass-list=127.0.0.1;localhost",
  "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost",
];

export function launch() {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS, timeout: 60000 });
}
