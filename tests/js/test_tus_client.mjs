// tus-js-client 4.3.1 (the client the page's protocol is proven with)
// against the real `socc serve`: chunked uploads, a duplicate, and a
// connection cut at about half the file followed by a resume that sends
// only the rest.  Prints cmocka-style lines for scripts/run_tests.sh.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tus from 'tus-js-client';

const BIN = process.env.SOCC_BIN || 'build/san/socc';

function check(cond, what) {
  if (!cond) throw new Error(`check failed: ${what}`);
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// The Authorization header of the server started last.
const AUTH = {};

async function startServer() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'socc-js-tus-'));
  const port = await freePort();
  const log = fs.openSync(path.join(dir, 'serve.log'), 'a');
  // socc asks every API call for credentials: an admin and its API token,
  // made with the CLI on the data dir before the server starts
  const cli = { env: { ...process.env, SOCC_DATA_DIR: dir,
                       SOCC_PASSWORD: 'js-tus-admin-password',
                       SOCC_LOG_LEVEL: 'error' } };
  execFileSync(BIN, ['user', 'add', 'js-admin', '--role', 'super_admin'],
               { ...cli, stdio: 'ignore' });
  AUTH.Authorization = 'Bearer ' + execFileSync(BIN, ['token', 'create',
    '--user', 'js-admin', '--all-companies', '--tier', 'unlimited'],
    { ...cli, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
  const proc = spawn(BIN, ['serve'], {
    env: { ...process.env, SOCC_LISTEN: `127.0.0.1:${port}`,
           SOCC_DATA_DIR: dir },
    stdio: ['ignore', 'ignore', log],
  });
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 200; i++) {
    try {
      if ((await fetch(`${base}/api/health`)).status === 200)
        return { proc, dir, base, port };
    } catch { /* not up yet */ }
    await sleep(50);
  }
  proc.kill('SIGKILL');
  throw new Error('socc serve did not start');
}

async function stopServer(s) {
  const gone = new Promise((r) => s.proc.once('exit', r));
  s.proc.kill('SIGTERM');
  await gone;
  fs.rmSync(s.dir, { recursive: true, force: true });
}

// A loopback proxy to port that counts the bytes clients send and, when
// cutAfter is set, drops the connection once that many have passed.
function proxy(port, cutAfter) {
  const st = { sent: 0, cut: false };
  const server = net.createServer((client) => {
    const up = net.connect(port, '127.0.0.1');
    client.on('data', (d) => {
      if (st.cut) return;
      if (cutAfter && st.sent + d.length >= cutAfter) {
        up.write(d.subarray(0, cutAfter - st.sent));
        st.sent = cutAfter;
        st.cut = true;
        client.destroy();
        up.destroy();
        return;
      }
      st.sent += d.length;
      up.write(d);
    });
    up.on('data', (d) => client.write(d));
    up.on('error', () => client.destroy());
    client.on('error', () => up.destroy());
    up.on('close', () => client.destroy());
    client.on('close', () => up.destroy());
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      st.base = `http://127.0.0.1:${server.address().port}`;
      st.close = () => new Promise((r) => server.close(r));
      resolve(st);
    });
  });
}

// A CSV of at least n bytes; its data rows in .rows.
function makeCsv(n, tag) {
  const lines = ['host,ip,severity,finding'];
  let size = lines[0].length + 1;
  let i = 0;
  while (size < n) {
    const l = `${tag}-host${i},10.1.${(i >> 8) & 255}.${i & 255},high,` +
              `finding ${i} from the nightly scan`;
    lines.push(l);
    size += l.length + 1;
    i++;
  }
  const buf = Buffer.from(lines.join('\n') + '\n');
  buf.rows = i;
  return buf;
}

const META = (name, company) => ({ filename: name, company,
                                    tool_type: 'siem' });

// Run one tus upload to the end; resolves { upload } or rejects the error.
function send(buf, opts) {
  return new Promise((resolve, reject) => {
    const upload = new tus.Upload(buf, {
      retryDelays: null,
      headers: { ...AUTH },
      ...opts,
      onSuccess: () => resolve({ upload }),
      onError: (err) => { err.upload = upload; reject(err); },
    });
    upload.start();
  });
}

async function head(url) {
  const r = await fetch(url, { method: 'HEAD',
                               headers: { 'Tus-Resumable': '1.0.0',
                                          ...AUTH } });
  return r.status === 200 ? Number(r.headers.get('upload-offset')) : -r.status;
}

async function uploadsOf(base, company) {
  const r = await fetch(`${base}/api/uploads?company=${company}`,
                        { headers: AUTH });
  return (await r.json()).uploads;
}

const tests = [];
const test = (name, fn) => tests.push({ name, fn });

test('tus_js_chunked_upload_and_duplicate', async (srv) => {
  const buf = makeCsv(700 * 1024, 'chunks');
  await send(buf, { endpoint: `${srv.base}/api/tus/`,
                    chunkSize: 128 * 1024,
                    metadata: META('chunks.csv', 'JsChunks') });
  const ups = await uploadsOf(srv.base, 'JsChunks');
  check(ups.length === 1, `one upload, got ${ups.length}`);
  check(ups[0].record_count === buf.rows,
        `records ${ups[0].record_count} != ${buf.rows}`);
  check(ups[0].size === buf.length, 'size');

  let err = null;
  try {
    await send(buf, { endpoint: `${srv.base}/api/tus/`,
                      metadata: META('again.csv', 'JsChunks') });
  } catch (e) { err = e; }
  check(err && err.originalResponse, 'the duplicate is an error');
  check(err.originalResponse.getStatus() === 409, 'duplicate is 409');
  const body = JSON.parse(err.originalResponse.getBody());
  check(body.error.code === 'DUPLICATE_FILE', 'DUPLICATE_FILE');
  check(body.error.existing.id === ups[0].id, 'existing names the first');
});

test('tus_js_cut_at_half_then_resume_sends_the_rest', async (srv) => {
  const buf = makeCsv(2 * 1024 * 1024, 'cut');
  // the creation POST and the PATCH headers pass too: about 1 KiB
  const cut = await proxy(srv.port, Math.floor(buf.length / 2) + 1024);
  let err = null;
  try {
    await send(buf, { endpoint: `${cut.base}/api/tus/`,
                      metadata: META('cut.csv', 'JsCut') });
  } catch (e) { err = e; }
  await cut.close();
  check(err !== null, 'the cut upload fails');
  check(cut.cut, 'the proxy cut the connection');
  const url = err.upload.url;
  check(url && url.includes('/api/tus/'), `the upload has a URL (${url})`);
  const direct = srv.base + new URL(url).pathname;

  // the server keeps what arrived before the cut
  let offset = 0;
  for (let i = 0; i < 100 && offset <= 0; i++) {
    offset = await head(direct);
    if (offset <= 0) await sleep(50);
  }
  check(offset > buf.length * 0.4 && offset < buf.length * 0.6,
        `offset ${offset} is about half of ${buf.length}`);

  const count = await proxy(srv.port, 0);
  const resumeUrl = count.base + new URL(url).pathname;
  await send(buf, { uploadUrl: resumeUrl, endpoint: `${count.base}/api/tus/`,
                    metadata: META('cut.csv', 'JsCut') });
  await count.close();
  const rest = buf.length - offset;
  console.log(`# file=${buf.length} kept=${offset} rest=${rest} ` +
              `resume_sent=${count.sent}`);
  // HEAD and PATCH headers on top of the body: well under 2 KiB
  check(count.sent >= rest && count.sent < rest + 2048,
        `resume sent ${count.sent} bytes for a rest of ${rest}`);

  const ups = await uploadsOf(srv.base, 'JsCut');
  check(ups.length === 1 && ups[0].record_count === buf.rows,
        `one upload with ${buf.rows} records`);
  check(ups[0].size === buf.length, 'whole file stored');
});

async function main() {
  let passed = 0;
  const failed = [];
  const srv = await startServer();
  console.log(`[==========] Running ${tests.length} test(s).`);
  for (const t of tests) {
    console.log(`[ RUN      ] ${t.name}`);
    try {
      await t.fn(srv);
      console.log(`[       OK ] ${t.name}`);
      passed++;
    } catch (e) {
      console.log(`[  ERROR   ] ${e && e.message}`);
      console.log(`[  FAILED  ] ${t.name}`);
      failed.push(t.name);
    }
  }
  await stopServer(srv);
  console.log(`[==========] ${tests.length} test(s) run.`);
  console.log(`[  PASSED  ] ${passed} test(s).`);
  if (failed.length) {
    console.log(`[  FAILED  ] ${failed.length} test(s), listed below:`);
    for (const n of failed) console.log(`[  FAILED  ] ${n}`);
  }
  process.exit(failed.length ? 1 : 0);
}

main().catch((e) => {
  console.log(`[  FAILED  ] 1 test(s): harness: ${e && e.stack}`);
  process.exit(1);
});
