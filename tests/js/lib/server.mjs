// Start the real `socc serve` (SOCC_BIN, else build/san/socc) on a free
// loopback port with a temp data dir; kill it and start it again on the same
// port and data dir.

import { execFileSync, spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const top = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function healthy(base) {
  try {
    const ctl = new AbortController();
    const t = setTimeout(() => ctl.abort(), 1000);
    const r = await fetch(base + "/api/health", { signal: ctl.signal });
    clearTimeout(t);
    return r.status === 200;
  } catch {
    return false;
  }
}

export class SoccServer {
  static USER = "page-admin";
  static PASSWORD = "page-admin-password-1";

  constructor(env = {}) {
    this.bin = process.env.SOCC_BIN || path.join(top, "build/san/socc");
    this.env = env;
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), "i4-page-"));
    this.proc = null;
    this.port = 0;
    // socc asks every API call for credentials: a super admin made with the
    // CLI on the data dir (the page signs in as it) and its API token (for
    // the test's own requests)
    const cli = { env: { ...process.env, SOCC_DATA_DIR: this.dir,
                         SOCC_PASSWORD: SoccServer.PASSWORD, SOCC_LOG_LEVEL: "error" } };
    execFileSync(this.bin, ["user", "add", SoccServer.USER, "--role", "super_admin"],
                 { ...cli, stdio: "ignore" });
    this.token = execFileSync(this.bin, ["token", "create", "--user", SoccServer.USER,
                                         "--all-companies", "--tier", "unlimited"],
                              { ...cli, stdio: ["ignore", "pipe", "ignore"] }).toString().trim();
  }

  /** Headers that authenticate the test's own requests. */
  get auth() {
    return { Authorization: "Bearer " + this.token };
  }

  get base() {
    return "http://127.0.0.1:" + this.port;
  }

  /** Start (on this.port when set); resolves once /api/health answers. */
  async start() {
    if (!this.port) this.port = await freePort();
    const log = fs.openSync(path.join(this.dir, "serve.log"), "a");
    this.proc = spawn(this.bin, ["serve"], {
      env: { ...process.env, ...this.env, SOCC_LISTEN: "127.0.0.1:" + this.port, SOCC_DATA_DIR: this.dir },
      stdio: ["ignore", log, log],
    });
    fs.closeSync(log);
    const until = Date.now() + 15000;
    while (Date.now() < until) {
      if (this.proc.exitCode !== null) break;
      if (await healthy(this.base)) return;
      await sleep(50);
    }
    throw new Error("socc serve did not start on port " + this.port + "; log: " +
                    fs.readFileSync(path.join(this.dir, "serve.log"), "utf8").slice(-2000));
  }

  /** Stop it the hard way (SIGKILL) or gently (SIGTERM); resolves when gone. */
  async stop(signal = "SIGTERM") {
    const p = this.proc;
    if (!p || p.exitCode !== null || p.signalCode) return;
    const gone = new Promise((r) => p.once("exit", r));
    p.kill(signal);
    const t = setTimeout(() => p.kill("SIGKILL"), 10000);
    await gone;
    clearTimeout(t);
    this.proc = null;
  }

  cleanup() {
    if (!process.env.SOCC_E2E_KEEP) fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
