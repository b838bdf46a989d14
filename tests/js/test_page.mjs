// The page in a real browser (Debian chromium via playwright-core) against
// the real `socc serve`: drop, stages, duplicate, refusal, retry across a
// server restart, the error boundary.  Screenshots of each state go to
// build/test-output/page/.  Run by scripts/run_tests.sh (make test).

import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { run, assert, assertEqual, skip } from "./lib/harness.mjs";
import { SoccServer } from "./lib/server.mjs";
import { launch } from "./lib/browser.mjs";

const top = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const shots = path.join(top, "build/test-output/page");
const shared = process.env.SOCC_SHARED || path.join(top, "../shared");
const CORPUS_FILE = "security/defectdojo_nessus_new.csv";
const COMPANY = "Acme Security";

/** Data rows EXPECTED.tsv gives for a corpus file, or null. */
function expectedRows(rel) {
  const tsv = fs.readFileSync(path.join(shared, "corpus/EXPECTED.tsv"), "utf8").split("\n");
  const head = tsv[0].split("\t");
  for (const line of tsv.slice(1)) {
    const f = line.split("\t");
    if (f[0] === rel) return Number(f[head.indexOf("rows")]);
  }
  return null;
}

async function shot(page, name) {
  fs.mkdirSync(shots, { recursive: true });
  await page.screenshot({ path: path.join(shots, name + ".png"), fullPage: false });
}

/**
 * Drop files on the drop zone, as a user's drag would.  Each spec is
 * {name, base64} (bytes from here) or {name, zeros: n} or {name, csvRows: n}
 * (made in the page, so no large transfer).
 */
async function dropFiles(page, specs) {
  await page.evaluate((list) => {
    const dt = new DataTransfer();
    for (const s of list) {
      let parts;
      if (s.base64 !== undefined) {
        parts = [Uint8Array.from(atob(s.base64), (c) => c.charCodeAt(0))];
      } else if (s.zeros !== undefined) {
        parts = [new Uint8Array(s.zeros)];
      } else {
        parts = ["id,host,severity,score,seen,note\n"];
        let chunk = "";
        for (let i = 1; i <= s.csvRows; i++) {
          chunk += i + ",host-" + (i % 977) + ".example.lan," + ["low", "medium", "high"][i % 3] + "," +
                   (i % 100) + ",2026-12-0" + (1 + (i % 9)) + "T10:00:00Z,row " + i + " of a generated export\n";
          if (chunk.length > 1 << 20) {
            parts.push(chunk);
            chunk = "";
          }
        }
        parts.push(chunk);
      }
      dt.items.add(new File(parts, s.name, { type: s.type || "" }));
    }
    const zone = document.getElementById("drop");
    zone.dispatchEvent(new DragEvent("dragover", { dataTransfer: dt, bubbles: true, cancelable: true }));
    zone.dispatchEvent(new DragEvent("drop", { dataTransfer: dt, bubbles: true, cancelable: true }));
  }, specs);
}

/** Requests the page makes, by method and path. */
function recordRequests(page) {
  const log = [];
  page.on("request", (r) => {
    const u = new URL(r.url());
    log.push(r.method() + " " + u.pathname + u.search);
  });
  return log;
}

async function toastTitles(page) {
  return page.evaluate(() => window.__toastTitles.slice());
}

/**
 * The next toast whose title contains title: the live one while it is
 * shown, else what the page recorded of it.  A success toast lives 3 s; on
 * a loaded machine it could come and go before this wait began (the
 * previous await still running), and waiting for it to be visible then
 * timed out although the page had shown it.  Each call takes one toast.
 */
async function waitToast(page, title, timeout = 30000) {
  const t = page.locator(".toast", { has: page.locator(".toast-title", { hasText: title }) }).last();
  const until = Date.now() + timeout;
  for (;;) {
    const text = await page.evaluate((want) => {
      const taken = (window.__toastTaken[want] = window.__toastTaken[want] || 0);
      let n = 0;
      for (let i = 0; i < window.__toastTitles.length; i++) {
        if (!window.__toastTitles[i].includes(want)) continue;
        if (n++ === taken) {
          window.__toastTaken[want] = taken + 1;
          return window.__toastTexts[i];
        }
      }
      return null;
    }, title);
    if (text !== null) {
      if (await t.isVisible()) return t;
      return { recorded: true, textContent: async () => text };
    }
    if (Date.now() > until) throw new Error("no toast '" + title + "' within " + timeout + " ms");
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function openPage(ctx, query = "", viewport = { width: 1280, height: 800 }) {
  const page = await ctx.browser.newPage({ viewport });
  // file chooser interception is switched on asynchronously: ask for it
  // before any key press may open one
  page.on("filechooser", () => {});
  page.on("pageerror", (e) => ctx.pageErrors.push(String(e)));
  page.on("console", (m) => {
    // the sign-in gate asks /api/auth/me, which answers 401 until someone
    // signs in: that is its answer, not a fault of the page
    const signedOut = m.location().url.endsWith("/api/auth/me") && m.text().includes("401");
    if (m.type() === "error" && !signedOut) ctx.consoleErrors.push(m.text());
  });
  // every toast title ever shown, even one replaced a moment later
  await page.addInitScript(() => {
    window.__toastTitles = [];
    window.__toastTexts = [];
    window.__toastTaken = {};
    window.__barLabels = [];
    new MutationObserver((muts) => {
      for (const m of muts) {
        // each textContent write adds a new text node: its data is that write
        if (m.target.nodeType === 1 && m.target.classList.contains("bar-label")) {
          for (const t of m.addedNodes) window.__barLabels.push(t.data);
        }
        for (const n of m.addedNodes) {
          if (n.nodeType === 1 && n.classList.contains("toast")) {
            window.__toastTitles.push(n.querySelector(".toast-title").textContent);
            window.__toastTexts.push(n.textContent);
          }
        }
      }
    }).observe(document, { childList: true, subtree: true });
  });
  await page.goto(ctx.server.base + "/" + query);
  await signIn(page);
  await page.locator("#tool_type option").first().waitFor({ state: "attached" });
  return page;
}

/** Sign in through the page's form as the test's super admin. */
async function signIn(page) {
  await page.locator("#login-name").waitFor();
  await page.fill("#login-name", SoccServer.USER);
  await page.fill("#login-password", SoccServer.PASSWORD);
  await Promise.all([page.waitForNavigation(), page.click("#login button[type=submit]")]);
  await page.locator("#whoami").waitFor();
}

/** Close every toast shown (so a screenshot shows what lies under them). */
async function dismissToasts(page) {
  await page.evaluate(() => document.querySelectorAll(".toast .toast-close").forEach((b) => b.click()));
  assertEqual(await page.locator(".toast").count(), 0, "toasts closed");
}

async function chooseCompany(page, name, tool = "siem") {
  await page.fill("#company", name);
  await page.selectOption("#tool_type", tool);
}

const tests = [
  ["page_loads_settings_without_csp_errors", async (ctx) => {
    const page = await openPage(ctx);
    const cfg = await (await fetch(ctx.server.base + "/api/config")).json();
    const opts = await page.$$eval("#tool_type option", (os) => os.map((o) => o.value));
    assertEqual(opts.join(","), cfg.tool_types.map((t) => t.id).join(","), "tool types from /api/config");
    const limits = await page.textContent("#limits");
    assert(limits.includes(".xlsx") && limits.includes("50.0 MiB"), "limits shown: " + limits);
    await shot(page, "01-empty");
    assertEqual(ctx.consoleErrors.length, 0, "console errors (CSP, missing files): " + ctx.consoleErrors.join(" | "));
    assertEqual(ctx.pageErrors.length, 0, "page errors: " + ctx.pageErrors.join(" | "));
    await page.close();
  }],

  ["corpus_file_goes_through_every_stage", async (ctx) => {
    if (!fs.existsSync(path.join(shared, "corpus", CORPUS_FILE))) {
      skip("the shared corpus is not at " + shared + " (set SOCC_SHARED)");
    }
    const rows = expectedRows(CORPUS_FILE);
    const bytes = fs.readFileSync(path.join(shared, "corpus", CORPUS_FILE));
    const page = await openPage(ctx);
    const reqs = recordRequests(page);
    await chooseCompany(page, COMPANY);
    await dropFiles(page, [{ name: path.basename(CORPUS_FILE), base64: bytes.toString("base64"), type: "text/csv" }]);
    const item = page.locator("#queue .item").first();
    await item.waitFor();
    const meta = await item.locator(".file-meta").textContent();
    assert(meta.includes((bytes.length / 1024).toFixed(1) + " KiB") && meta.includes("CSV"), "size and type shown: " + meta);
    await shot(page, "02-queued");
    await page.click("#send");
    const ok = await waitToast(page, "Uploaded");
    const msg = await ok.locator(".toast-msg").textContent();
    assert(msg.includes(rows + " records"), "success toast names " + rows + " records: " + msg);
    const done = await item.locator(".stage.done").evaluateAll((ls) => ls.map((l) => l.dataset.stage));
    assertEqual(done.join(","), "validating,checking_duplicates,uploading,processing,saving,done", "stages done");
    const titles = await toastTitles(page);
    for (const t of ["Validating", "Checking for duplicates", "Uploading", "Processing", "Saving", "Uploaded"]) {
      assert(titles.includes(t), "toast " + t + " shown (seen: " + titles.join(", ") + ")");
    }
    assertEqual(reqs.filter((r) => r === "POST /api/uploads").length, 1, "one upload POST");
    assert(reqs.some((r) => r.startsWith("GET /api/uploads/lookup?")), "lookup asked first");
    // the history shows it, active, version 1
    const row = page.locator("#history tbody tr").first();
    await row.waitFor();
    assert((await row.textContent()).includes("active"), "history row active");
    assert((await row.textContent()).includes("v1"), "history row v1");
    await shot(page, "03-uploaded");
    ctx.firstUpload = { name: path.basename(CORPUS_FILE), bytes, rows };
    await page.close();
  }],

  ["same_file_is_a_duplicate_without_upload", async (ctx) => {
    if (!ctx.firstUpload) skip("needs the corpus upload of the previous test");
    const { name, bytes, rows } = ctx.firstUpload;
    const page = await openPage(ctx);
    const reqs = recordRequests(page);
    await chooseCompany(page, COMPANY);
    await dropFiles(page, [{ name: "copy-of-" + name, base64: bytes.toString("base64") }]);
    await page.click("#send");
    const t = await waitToast(page, "Duplicate File Detected");
    const text = await t.textContent();
    assert(text.includes(name), "toast names the existing file: " + text);
    assert(text.includes(String(rows)), "toast gives its records: " + text);
    assert(/Uploaded\s*\d{4}-\d\d-\d\d \d\d:\d\d/.test(text), "toast gives its date: " + text);
    assertEqual(reqs.filter((r) => r.startsWith("POST /api/uploads")).length, 0, "no upload POST");
    assert(reqs.some((r) => r.startsWith("GET /api/uploads/lookup?")), "lookup made");
    await shot(page, "04-duplicate");
    // the link opens the existing upload: sheets and first records
    await t.locator(".toast-link").click();
    const detail = page.locator("#history [data-role=detail]");
    await detail.locator("table.records tbody tr").first().waitFor();
    const recs = await detail.locator("table.records tbody tr").count();
    assertEqual(recs, Math.min(10, rows), "first records shown");
    assert((await detail.textContent()).includes(rows + " rows"), "sheet rows shown");
    await page.locator("#history").scrollIntoViewIfNeeded();
    await shot(page, "05-upload-detail");
    await page.close();
  }],

  ["several_files_queued_and_sent_in_turn", async (ctx) => {
    const page = await openPage(ctx);
    const reqs = recordRequests(page);
    await chooseCompany(page, "Queue Co", "mdm");
    await dropFiles(page, [{ name: "first.csv", csvRows: 30 }]);
    await dropFiles(page, [{ name: "second.csv", csvRows: 40 }, { name: "third.csv", csvRows: 50 }]);
    assertEqual(await page.locator("#queue .item").count(), 3, "three queued");
    assertEqual((await page.textContent("#send")).trim(), "Upload 3 files", "button counts them");
    const names = await page.$$eval("#queue .item .file-name", (ns) => ns.map((n) => n.textContent));
    assertEqual(names.join(","), "first.csv,second.csv,third.csv", "in drop order");
    await page.click("#send");
    await page.locator("#queue .item[data-status=done]").nth(2).waitFor({ timeout: 60000 });
    assertEqual(reqs.filter((r) => r === "POST /api/uploads").length, 3, "three POSTs");
    const list = await (await fetch(ctx.server.base + "/api/uploads?company=Queue%20Co",
                                       { headers: ctx.server.auth })).json();
    assertEqual(list.uploads.map((u) => u.filename + ":" + u.record_count + ":v" + u.version + ":" + u.is_active).join(","),
                "third.csv:50:v3:true,second.csv:40:v2:false,first.csv:30:v1:false", "stored in turn, versions");
    await page.locator("#history tbody tr").nth(2).waitFor();
    const hist = await page.$$eval("#history tbody tr", (rs) => rs.map((r) => r.textContent));
    assert(hist[0].includes("v3") && hist[0].includes("active"), "newest active: " + hist[0]);
    assert(hist[1].includes("v2") && hist[1].includes("superseded"), "older superseded: " + hist[1]);
    await page.click("#clear");
    assertEqual(await page.locator("#queue .item").count(), 0, "finished ones cleared");
    await page.close();
  }],

  ["corrupted_file_refused_once_not_retried", async (ctx) => {
    const page = await openPage(ctx);
    const reqs = recordRequests(page);
    await chooseCompany(page, COMPANY);
    const broken = Buffer.concat([Buffer.from("PK\x03\x04", "latin1"), Buffer.alloc(300)]);
    await dropFiles(page, [{ name: "broken.xlsx", base64: broken.toString("base64") }]);
    await page.click("#send");
    const t = await waitToast(page, "Corrupted File");
    const text = await t.textContent();
    assert(text.includes("broken.xlsx") && text.includes("damaged"), "the server's message: " + text);
    assert(text.includes("export the file again"), "the server's hint: " + text);
    await page.locator("#queue .item[data-status=failed]").waitFor();
    await page.waitForTimeout(500);
    assertEqual(reqs.filter((r) => r === "POST /api/uploads").length, 1, "a 422 is not retried");
    const titles = await toastTitles(page);
    assert(!titles.some((x) => x.startsWith("Retrying")), "no retry toast");
    await shot(page, "06-corrupted");
    await page.close();
  }],

  ["file_over_the_limit_refused_on_drop", async (ctx) => {
    const page = await openPage(ctx);
    // the history follows the company field: let that request go first
    const history = page.waitForResponse((r) => r.url().includes("/api/uploads?limit=100&company="));
    await chooseCompany(page, COMPANY);
    await history;
    const reqs = recordRequests(page);
    await dropFiles(page, [{ name: "huge.csv", zeros: 60 * 1024 * 1024 },
                           { name: "notes.txt", base64: Buffer.from("hello").toString("base64") },
                           { name: "empty.csv", base64: "" }]);
    const t = await waitToast(page, "File Too Large");
    assert((await t.textContent()).includes("60.0 MiB"), "size in the toast");
    await waitToast(page, "Invalid File Type");
    await waitToast(page, "Empty File");
    const reasons = await page.$$eval("#rejected .rejected", (ls) => ls.map((l) => l.dataset.code + ":" + l.textContent));
    assertEqual(reasons.length, 3, "three files refused");
    assert(reasons.some((r) => r.startsWith("FILE_TOO_LARGE:huge.csv") && r.includes("over the limit of 50.0 MiB")), reasons.join(" | "));
    assert(reasons.some((r) => r.startsWith("INVALID_FILE_TYPE:notes.txt")), reasons.join(" | "));
    assert(reasons.some((r) => r.startsWith("EMPTY_FILE:empty.csv")), reasons.join(" | "));
    assertEqual(await page.locator("#queue .item").count(), 0, "nothing queued");
    assert(await page.isDisabled("#send"), "upload button disabled");
    await page.waitForTimeout(300);
    assertEqual(reqs.length, 0, "no request after the drop: " + reqs.join(", "));
    await shot(page, "06-too-large-refused");
    await page.close();
  }],

  ["server_killed_mid_upload_is_retried", async (ctx) => {
    // this one is about the single POST: keep the file below the tus threshold
    const page = await openPage(ctx, "?dev=1&tus_threshold=1000000000");
    const reqs = recordRequests(page);
    // what the server said while the page polled its progress
    const polled = [];
    page.on("response", async (r) => {
      if (r.url().includes("/api/uploads/progress/") && r.status() === 200) {
        polled.push(await r.json().catch(() => ({})));
      }
    });
    const nrows = 400000;
    await chooseCompany(page, "Retry Co", "edr");
    await dropFiles(page, [{ name: "big-export.csv", csvRows: nrows }]);
    await page.click("#send");
    // the server is reading the rows (or receiving them): stop it there
    await page.locator("#queue .progress[data-stage=processing], #queue .progress[data-stage=uploading]")
      .first().waitFor({ timeout: 60000 });
    await ctx.server.stop("SIGKILL");
    await waitToast(page, "Retrying Upload", 30000);
    await shot(page, "07-retrying");
    await ctx.server.start();
    const ok = await waitToast(page, "Uploaded", 120000);
    assert((await ok.textContent()).includes(nrows.toLocaleString("en-US") + " records"), "all rows stored");
    assert(reqs.filter((r) => r === "POST /api/uploads").length >= 2, "the POST was sent again");
    const titles = await toastTitles(page);
    assert(titles.some((t) => /^Retrying Upload \(1\/\d+\)$/.test(t)), "retry toast n/N: " + titles.join(", "));
    // Uploading showed bytes, percent and speed; Processing the server's rows
    const labels = await page.evaluate(() => window.__barLabels.slice());
    assert(labels.some((l) => /^[\d.]+ (KiB|MiB) of 3\d\.\d MiB \(\d+%\) \u00b7 [\d.]+ (B|KiB|MiB|GiB)\/s$/.test(l)),
           "bytes, percent, speed: " + labels.filter((l) => l.includes("%")).slice(0, 3).join(" | "));
    assert(polled.length > 0, "the page polled the server's progress");
    const seen = polled.filter((v) => v.stage === "processing" && v.rows > 0);
    // every row count the server reported while parsing reached the bar
    for (const v of seen) {
      assert(labels.includes(v.rows.toLocaleString("en-US") + " rows read so far"),
             v.rows + " rows shown: " + labels.filter((l) => l.includes("rows")).join(" | "));
    }
    if (!seen.length) console.log("note: no poll landed while the server parsed (" + polled.length + " polls)");
    const list = await (await fetch(ctx.server.base + "/api/uploads?company=Retry%20Co",
                                       { headers: ctx.server.auth })).json();
    assertEqual(list.total, 1, "one stored upload");
    assertEqual(list.uploads[0].record_count, nrows, "records stored");
    await shot(page, "08-retried-ok");
    await page.close();
  }],

  ["backoff_retry_after_and_breaker_rules", async (ctx) => {
    const page = await openPage(ctx);
    const got = await page.evaluate(async () => {
      const r = await import("/retry.js");
      const { CircuitBreaker } = await import("/breaker.js");
      let now = 0;
      const b = new CircuitBreaker({ threshold: 2, pauseMs: 1000, now: () => now });
      const states = [b.state()];
      b.failure();
      states.push(b.state());
      b.failure();
      states.push(b.state(), b.acquire(), b.waitMs());
      now = 1000;
      states.push(b.state(), b.acquire(), b.acquire());
      b.failure();
      states.push(b.state());
      now = 2000;
      b.acquire();
      b.success();
      states.push(b.state(), b.acquire());
      return {
        top: [0, 1, 2, 3, 4, 5].map((n) => r.backoffDelay(n, 1000, 10000, () => 0.9999)),
        low: r.backoffDelay(3, 1000, 10000, () => 0),
        after: [r.retryAfterMs("7"), r.retryAfterMs("Thu, 01 Jan 1970 00:00:05 GMT", 0),
                r.retryAfterMs(""), r.retryAfterMs("soon")],
        retryable: [0, 400, 404, 409, 413, 422, 429, 500, 501, 503, 507].map(r.isRetryableStatus),
        states,
      };
    });
    // full jitter: uniform below min(max, base * 2^n)
    assertEqual(got.top.join(","), "999,1999,3999,7999,9999,9999", "backoff caps");
    assertEqual(got.low, 0, "jitter reaches 0");
    assertEqual(got.after.join(","), "7000,5000,,", "Retry-After seconds and date");
    assertEqual(got.retryable.join(","), "true,false,false,false,false,false,true,true,false,true,false",
                "only network, 429, 500, 502-504 are retried");
    assertEqual(got.states.join(","), "closed,closed,open,false,1000,half-open,true,false,open,closed,true",
                "breaker opens, half-opens with one trial, reopens, closes");
    await page.close();
  }],

  ["breaker_opens_on_the_page_and_recovers", async (ctx) => {
    const page = await openPage(ctx);
    await chooseCompany(page, "Retry Co", "edr");
    await page.locator("#history tbody tr").first().waitFor();
    await ctx.server.stop("SIGKILL");
    // the history's requests fail, are retried, and open the breaker
    await page.fill("#company", "Nobody Home");
    const banner = page.locator("#circuit");
    await banner.waitFor({ state: "visible", timeout: 30000 });
    assert((await banner.textContent()).includes("not answering"), "banner says so");
    assertEqual(await banner.getAttribute("data-state"), "open", "open");
    await shot(page, "09-circuit-open");
    await ctx.server.start();
    // after the pause one trial request closes it again, without the user
    await banner.waitFor({ state: "hidden", timeout: 40000 });
    await page.locator("[data-role=empty]", { hasText: "No uploads for Nobody Home yet." }).waitFor();
    await page.close();
  }],

  ["page_error_shows_fallback_and_is_reported", async (ctx) => {
    const page = await openPage(ctx, "?dev=1");
    await page.evaluate(() => window.soccDev.crash("global"));
    const panel = page.locator(".fallback");
    await panel.waitFor();
    const id = await panel.getAttribute("data-error-id");
    assert(/^e-[0-9a-f]{20}$/.test(id), "error id " + id);
    assertEqual(await panel.locator(".error-id").textContent(), id, "id shown");
    for (const b of ["Retry", "Go home", "Report bug"]) {
      assert(await panel.locator("button", { hasText: b }).isVisible(), b + " button");
    }
    assert((await panel.locator(".dev-details").textContent()).includes("forced error"), "details in dev mode");
    await panel.locator(".report-status[data-state=sent]").waitFor();
    await shot(page, "10-error-boundary");
    const r = await fetch(ctx.server.base + "/api/client-errors/" + id,
                          { headers: ctx.server.auth });
    assertEqual(r.status, 200, "the server holds the report");
    const rep = await r.json();
    assertEqual(rep.id, id, "report id");
    assert(rep.message.includes("soccDev: forced error in global"), "message: " + rep.message);
    assert(rep.page.includes("dev=1"), "page: " + rep.page);
    assert(rep.user_agent.length > 0 && rep.stack.length > 0 && rep.occurred_at.length > 0, "ua, stack, time");
    // Retry brings the page back
    await panel.locator("button", { hasText: "Retry" }).click();
    await page.locator("#upload-part").waitFor();
    assertEqual(await page.locator(".fallback").count(), 0, "fallback gone");
    // a part's own error replaces only that part; no details outside dev mode
    await page.evaluate(() => window.soccDev.crash("history"));
    await page.locator("#history .fallback").waitFor();
    assert(await page.locator("#upload-part #drop").isVisible(), "the upload part stays");
    await page.close();
    const plain = await openPage(ctx);
    assertEqual(await plain.evaluate(() => typeof window.soccDev), "undefined", "no dev hooks without ?dev=1");
    await plain.close();
  }],

  ["status_view_for_admin", async (ctx) => {
    // an upload first, so the last 24 hours show a tool
    const page = await openPage(ctx);
    await chooseCompany(page, "Status Co", "siem");
    await dropFiles(page, [{ name: "status-export.csv", csvRows: 20 }]);
    await page.click("#send");
    await waitToast(page, "Uploaded");
    await page.click("a.st-link");
    await page.locator("text=Overall: ok").waitFor({ timeout: 15000 });
    const html = await page.content();
    for (const want of ["<h2>Server status</h2>", "<td>database</td><td class=\"st-ok\">ok</td>",
                        "<h3>Alerts</h3>", "<h3>Uploads, last 24 hours</h3>", "<td>siem</td>"]) {
      assert(html.includes(want), "status view shows " + want);
    }
    await shot(page, "13-status");
    await page.close();
  }],

  ["large_file_goes_through_tus", async (ctx) => {
    // TEST ONLY sizes (dev mode): over 1 MiB goes by tus, in 512 KiB chunks
    const chunk = 512 * 1024;
    const page = await openPage(ctx, "?dev=1&tus_threshold=1048576&tus_chunk=" + chunk);
    const reqs = recordRequests(page);
    const patches = [];
    page.on("request", (r) => {
      if (r.method() === "PATCH") {
        const h = r.headers();
        patches.push({ offset: Number(h["upload-offset"]), bytes: (r.postDataBuffer() || Buffer.alloc(0)).length,
                       type: h["content-type"], tus: h["tus-resumable"], sum: h["upload-checksum"] || "",
                       token: h["x-upload-token"] || "" });
      }
    });
    // Chromium hands Blob bodies to the request event only for intercepted
    // requests: pass them through a route that changes nothing
    await page.route("**/api/tus/*", (route) => route.continue());
    const nrows = 30000;
    await chooseCompany(page, "Tus Co", "edr");
    await dropFiles(page, [{ name: "tus-export.csv", csvRows: nrows }]);
    await page.click("#send");
    const ok = await waitToast(page, "Uploaded", 60000);
    assert((await ok.textContent()).includes(nrows.toLocaleString("en-US") + " records"), "all rows stored");
    assertEqual(reqs.filter((r) => r === "POST /api/tus/").length, 1, "one tus creation");
    assertEqual(reqs.filter((r) => r.startsWith("POST /api/uploads")).length, 0, "no multipart POST");
    const list = await (await fetch(ctx.server.base + "/api/uploads?company=Tus%20Co", { headers: ctx.server.auth })).json();
    assertEqual(list.total, 1, "one stored upload");
    assertEqual(list.uploads[0].record_count, nrows, "records stored");
    const size = list.uploads[0].size;
    assert(size > 1048576, "file over the threshold: " + size);
    assertEqual(patches.length, Math.ceil(size / chunk), "one PATCH per chunk");
    assertEqual(patches.map((p) => p.offset).join(","),
                patches.map((_, i) => i * chunk).join(","), "offsets in order");
    assertEqual(patches.reduce((n, p) => n + p.bytes, 0), size, "PATCH bodies add up to the file");
    for (const p of patches) {
      assertEqual(p.type, "application/offset+octet-stream", "PATCH content type");
      assertEqual(p.tus, "1.0.0", "Tus-Resumable");
      assert(/^sha256 [A-Za-z0-9+/]{43}=$/.test(p.sum), "checksum header: " + p.sum);
      assert(p.token.length > 8 && p.token === patches[0].token, "one X-Upload-Token on every PATCH: " + p.token);
    }
    // the stages ran as for the POST, and the history shows it
    const done = await page.locator("#queue .item").first().locator(".stage.done").evaluateAll((ls) => ls.map((l) => l.dataset.stage));
    assertEqual(done.join(","), "validating,checking_duplicates,uploading,processing,saving,done", "stages done");
    await page.locator("#history tbody tr").first().waitFor();
    assert((await page.locator("#history tbody tr").first().textContent()).includes("tus-export.csv"), "in the history");
    await shot(page, "14-tus-uploaded");
    await page.close();
  }],

  ["tus_duplicate_answer_is_final_not_retried", async (ctx) => {
    // the lookup is made to miss, so the server's 409 DUPLICATE_FILE comes
    // from the last PATCH: shown as the duplicate, never retried or resumed
    const chunk = 512 * 1024;
    const page = await openPage(ctx, "?dev=1&tus_threshold=1048576&tus_chunk=" + chunk);
    const reqs = recordRequests(page);
    await page.route("**/api/uploads/lookup?*", (route) => route.fulfill({
      status: 404, contentType: "application/json",
      body: JSON.stringify({ error: { code: "NOT_FOUND", message: "no such file" } }) }));
    await chooseCompany(page, "Tus Co", "edr");
    await dropFiles(page, [{ name: "tus-export-again.csv", csvRows: 30000 }]);
    await page.click("#send");
    const t = await waitToast(page, "Duplicate File Detected", 60000);
    assert((await t.textContent()).includes("tus-export.csv"), "names the stored file: " + (await t.textContent()));
    assertEqual(await t.locator("button.toast-action").count(), 0, "the active version is not offered again");
    await page.locator("#queue .item[data-status=duplicate]").waitFor();
    await page.waitForTimeout(500);
    const list = await (await fetch(ctx.server.base + "/api/uploads?company=Tus%20Co", { headers: ctx.server.auth })).json();
    assertEqual(list.total, 1, "nothing new stored");
    const size = list.uploads[0].size;
    assertEqual(reqs.filter((r) => r.startsWith("PATCH /api/tus/")).length, Math.ceil(size / chunk), "one PATCH per chunk, none again");
    assertEqual(reqs.filter((r) => r.startsWith("HEAD ")).length, 0, "no HEAD: a 409 that is no offset mismatch is final");
    const titles = await toastTitles(page);
    assert(!titles.some((x) => x.startsWith("Retrying")), "no retry toast: " + titles.join(", "));
    // the sizes: 8 MiB / 4 MiB unless a dev-mode address lowers them
    const sizes = await page.evaluate(async () => (await import("/tus.js")).tusSizes());
    assertEqual(sizes.threshold + "/" + sizes.chunk, "1048576/524288", "test sizes in dev mode");
    await page.close();
    const plain = await openPage(ctx, "?tus_threshold=5&tus_chunk=5");
    const got = await plain.evaluate(async () => {
      const m = await import("/tus.js");
      const s = m.tusSizes();
      return [m.TUS_THRESHOLD, m.TUS_CHUNK, s.threshold, s.chunk, m.usesTus(8 * 1024 * 1024), m.usesTus(8 * 1024 * 1024 + 1),
              m.metadataHeader({ filename: "r\u00e9sum\u00e9.csv", company: "Acme" })];
    });
    assertEqual(JSON.stringify(got), JSON.stringify([8388608, 4194304, 8388608, 4194304, false, true,
      "filename " + Buffer.from("r\u00e9sum\u00e9.csv").toString("base64") + ",company " + Buffer.from("Acme").toString("base64")]),
      "defaults hold outside dev mode; metadata is base64 of UTF-8");
    await plain.close();
  }],

  ["tus_upload_resumes_after_server_restart", async (ctx) => {
    const chunk = 512 * 1024;
    const page = await openPage(ctx, "?dev=1&tus_threshold=1048576&tus_chunk=" + chunk);
    const reqs = recordRequests(page);
    const patches = [];
    let heads = [];
    let length = 0;
    page.on("request", (r) => {
      const h = r.headers();
      if (r.method() === "POST" && r.url().endsWith("/api/tus/")) length = Number(h["upload-length"]);
      if (r.method() === "PATCH") {
        patches.push({ offset: Number(h["upload-offset"]), bytes: (r.postDataBuffer() || Buffer.alloc(0)).length });
      }
    });
    page.on("response", (r) => {
      if (r.request().method() === "HEAD" && r.status() === 200) heads.push(Number(r.headers()["upload-offset"]));
    });
    // the third PATCH finds the server gone (killed as it is sent).  The
    // PATCHes are counted here, in the route, not by the request event:
    // the two are not ordered, and under load the count lagged
    let killedAt = -1, routed = 0;
    await page.route("**/api/tus/*", async (route) => {
      const r = route.request();
      if (r.method() === "PATCH") routed++;
      if (r.method() === "PATCH" && killedAt < 0 && routed === 3) {
        killedAt = routed - 1;
        await ctx.server.stop("SIGKILL");
      }
      await route.continue().catch(() => {});
    });
    const nrows = 70000;
    await chooseCompany(page, "Resume Co", "edr");
    await dropFiles(page, [{ name: "resume-export.csv", csvRows: nrows }]);
    await page.click("#send");
    await waitToast(page, "Retrying Upload", 30000);
    assertEqual(killedAt, 2, "killed at the third PATCH");
    await shot(page, "15-tus-retrying");
    await ctx.server.start();
    await waitToast(page, "Resuming Upload", 60000);
    const ok = await waitToast(page, "Uploaded", 120000);
    assert((await ok.textContent()).includes(nrows.toLocaleString("en-US") + " records"), "all rows stored");
    await page.unroute("**/api/tus/*");
    assertEqual(heads.length, 1, "one HEAD learned the offset: " + heads.join(","));
    const offset = heads[0];
    assertEqual(offset, 2 * chunk, "the server kept the two chunks it acknowledged");
    const before = patches.slice(0, killedAt + 1);
    const after = patches.slice(killedAt + 1);
    assertEqual(before.reduce((n, p) => n + p.bytes, 0), 3 * chunk, "bytes sent before the kill");
    assertEqual(after[0].offset, offset, "the resume starts at the server's offset");
    assertEqual(after.reduce((n, p) => n + p.bytes, 0), length - offset, "only the rest was sent after the restart");
    assertEqual(reqs.filter((r) => r === "POST /api/tus/").length, 1, "no second creation");
    assertEqual(reqs.filter((r) => r.startsWith("POST /api/uploads")).length, 0, "no multipart POST");
    const list = await (await fetch(ctx.server.base + "/api/uploads?company=Resume%20Co", { headers: ctx.server.auth })).json();
    assertEqual(list.total, 1, "one stored upload");
    assertEqual(list.uploads[0].record_count, nrows, "records stored");
    assertEqual(list.uploads[0].size, length, "the whole file stored");
    await shot(page, "16-tus-resumed-ok");
    await page.close();
  }],

  ["version_chain_and_reactivating_a_duplicate", async (ctx) => {
    const v1 = "id,host,sev\n1,alpha,low\n2,bravo,mid\n3,charlie,high\n4,delta,low\n5,echo,mid\n";
    // a renamed column (sev -> severity); rows 1-3 stay, 4-5 go, 6-9 come
    const v2 = "id,host,severity\n1,alpha,low\n2,bravo,mid\n3,charlie,high\n6,foxtrot,high\n7,golf,low\n8,hotel,mid\n9,india,low\n";
    const b64 = (t) => Buffer.from(t).toString("base64");
    const page = await openPage(ctx);
    await chooseCompany(page, "Version Co", "siem");
    await dropFiles(page, [{ name: "v1.csv", base64: b64(v1) }]);
    await page.click("#send");
    await page.locator("#queue .item[data-status=done]").first().waitFor({ timeout: 30000 });
    await dropFiles(page, [{ name: "v2.csv", base64: b64(v2) }]);
    await page.click("#send");
    await page.locator("#queue .item[data-status=done]").nth(1).waitFor({ timeout: 30000 });
    // open v2 from the history: its chain, newest first
    const first = page.locator("#history tbody tr").first();
    await first.locator("button", { hasText: "v2.csv" }).waitFor();
    await first.locator("button", { hasText: "v2.csv" }).click();
    const chain = page.locator("#history [data-role=detail] table.chain tbody tr");
    await chain.nth(1).waitFor();
    const rows = await chain.evaluateAll((trs) => trs.map((tr) => ({
      v: tr.dataset.version, current: tr.getAttribute("aria-current") === "true",
      status: tr.querySelector(".badge").textContent,
      added: tr.querySelector("[data-role=added]").textContent,
      removed: tr.querySelector("[data-role=removed]").textContent,
      unchanged: tr.querySelector("[data-role=unchanged]").textContent,
      columns: tr.querySelector("[data-role=columns]").textContent,
      by: tr.querySelector("[data-label=By]").textContent })));
    assertEqual(rows.length, 2, "two versions");
    assertEqual(JSON.stringify(rows[0]), JSON.stringify({ v: "2", current: true, status: "active", added: "4", removed: "2",
      unchanged: "3", columns: "+severity, \u2212sev", by: SoccServer.USER }), "v2 against v1");
    assertEqual(JSON.stringify(rows[1]), JSON.stringify({ v: "1", current: false, status: "superseded", added: "5", removed: "0",
      unchanged: "0", columns: "+host, +id, +sev", by: SoccServer.USER }), "v1, the first");
    await dismissToasts(page);
    await page.locator("#history [data-role=versions]").scrollIntoViewIfNeeded();
    await shot(page, "17-version-chain");

    // v1's bytes again: a duplicate of an inactive version, offered back
    await dropFiles(page, [{ name: "v1-again.csv", base64: b64(v1) }]);
    await page.click("#send");
    const t = await waitToast(page, "Duplicate File Detected");
    const action = t.locator("button.toast-action");
    assertEqual(await action.textContent(), "Make version 1 active again", "the toast offers activation");
    await shot(page, "18-duplicate-offers-activation");
    // a failed backup refuses it: said as an error, nothing changes
    await page.route("**/api/uploads/*/activate", (route) => route.fulfill({
      status: 503, contentType: "application/json",
      body: JSON.stringify({ error: { code: "BACKUP_FAILED", message: "the backup before the change failed",
                                      hint: "check the backup directory", request_id: "r-test" } }) }));
    await action.click();
    const bad = await waitToast(page, "Backup Failed");
    assert((await bad.textContent()).includes("the backup before the change failed"), "the server's message");
    await page.unroute("**/api/uploads/*/activate");
    await page.waitForFunction(() => !document.querySelector(".toast button.toast-action").disabled);
    let list = await (await fetch(ctx.server.base + "/api/uploads?company=Version%20Co", { headers: ctx.server.auth })).json();
    assertEqual(list.uploads.map((u) => "v" + u.version + ":" + u.is_active).join(","), "v2:true,v1:false", "nothing changed");
    // the note in the queue offers it too: now for real
    const again = page.locator("#queue .item[data-status=duplicate] button.activate");
    assertEqual(await again.textContent(), "Make version 1 active again", "the queue note offers it");
    await again.click();
    await waitToast(page, "Version 1 Active Again");
    await again.waitFor({ state: "detached" });
    list = await (await fetch(ctx.server.base + "/api/uploads?company=Version%20Co", { headers: ctx.server.auth })).json();
    assertEqual(list.uploads.map((u) => "v" + u.version + ":" + u.is_active).join(","), "v2:false,v1:true", "v1 active");
    // the history and the opened chain follow
    await page.locator("#history [data-role=detail] table.chain tbody tr[data-version='1'] .badge-active").waitFor();
    const hist = await page.$$eval("#history tbody tr", (rs) => rs.map((r) => r.textContent));
    assert(hist[0].includes("v2") && hist[0].includes("superseded"), "v2 superseded: " + hist[0]);
    assert(hist[1].includes("v1") && hist[1].includes("active"), "v1 active: " + hist[1]);
    await shot(page, "19-version-active-again");
    // the chain at phone width
    await page.setViewportSize({ width: 390, height: 844 });
    await dismissToasts(page);
    await page.locator("#history [data-role=versions]").scrollIntoViewIfNeeded();
    const w = await page.evaluate(() => document.documentElement.scrollWidth);
    assert(w <= 390, "no sideways scrolling at 390 px: " + w);
    await shot(page, "20-phone-version-chain");
    await page.close();
  }],

  ["keyboard_and_phone_width", async (ctx) => {
    const page = await openPage(ctx, "", { width: 390, height: 844 });
    await chooseCompany(page, "Retry Co", "edr");
    await page.locator("#history tbody tr").first().waitFor();
    // the drop zone is reached by Tab and opens the picker with Enter
    await page.focus("#tool_type");
    await page.keyboard.press("Tab");
    assertEqual(await page.evaluate(() => document.activeElement.id), "drop", "Tab reaches the drop zone");
    const [chooser] = await Promise.all([page.waitForEvent("filechooser"), page.keyboard.press("Enter")]);
    assert(chooser.isMultiple(), "several files may be picked");
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    assert(width <= 390, "no sideways scrolling at 390 px: " + width);
    await shot(page, "11-phone");
    // an upload at this width: queue, stages and toast fit
    await dropFiles(page, [{ name: "phone-export.csv", csvRows: 50 }]);
    await page.click("#send");
    await waitToast(page, "Uploaded");
    const w2 = await page.evaluate(() => document.documentElement.scrollWidth);
    assert(w2 <= 390, "no sideways scrolling with a toast: " + w2);
    await shot(page, "12-phone-uploaded");
    await page.close();
  }],
];

// PAGE_ONLY=substring runs only the tests whose names hold it (for work on one)
const only = process.env.PAGE_ONLY || "";
const code = await run("page", tests.filter(([name]) => name.includes(only)), {
  async setup() {
    const server = new SoccServer({
      MAX_RETRY_ATTEMPTS: "6", RETRY_BASE_DELAY: "400", RETRY_MAX_DELAY: "1500", SOCC_LOG_LEVEL: "warn",
    });
    await server.start();
    const browser = await launch();
    return { server, browser, pageErrors: [], consoleErrors: [] };
  },
  async teardown(ctx) {
    await ctx.browser.close();
    await ctx.server.stop();
    ctx.server.cleanup();
  },
});
process.exit(code);
