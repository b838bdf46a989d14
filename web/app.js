// The upload page.  startApp() is the one entry point (main.js calls it; a
// login gate can call it once the user is in).  The parts: the upload form
// with its queue, the history, toasts, the circuit banner, and the error
// boundary around them.

import { el, sizeText, countText, msText, timeText } from "./dom.js";
import { applySettings, settings, isDev } from "./config.js";
import { ApiError, breaker, getJson, request, withRetry } from "./api.js";
import { sha256Hex } from "./hash.js";
import { sendOnce, watchProgress, newUploadToken } from "./upload.js";
import { mountToasts, toast, errorTitle } from "./toasts.js";
import { createQueue, checkFile } from "./queue.js";
import { createProgressView, stageLabel } from "./progress.js";
import { createHistory } from "./history.js";
import { createBoundary } from "./boundary.js";

const $ = (id) => document.getElementById(id);
let started = false;

/** Company names are 1-128 printable characters (the server's rule). */
function companyProblem(name) {
  if (!name) return "Enter or choose a company.";
  if (new TextEncoder().encode(name).length > 128) return "A company name has at most 128 bytes.";
  if (/[\u0000-\u001f\u007f]/.test(name)) return "A company name cannot hold control characters.";
  return "";
}

function fillTools(select) {
  const keep = select.value;
  select.replaceChildren();
  for (const t of settings().tool_types || []) {
    select.append(el("option", { value: t.id, text: t.label || t.id }));
  }
  if (keep) select.value = keep;
}

async function loadCompanies(list, known) {
  const data = await getJson("/api/uploads/companies");
  known.clear();
  list.replaceChildren();
  for (const c of data.companies || []) {
    known.add(c.name);
    list.append(el("option", { value: c.name, label: c.uploads + " uploads, last " + timeText(c.last_upload_at) }));
  }
}

/**
 * Say on the page when the breaker is open; once it half-opens, one health
 * request is the trial, so the page recovers without waiting for the user.
 * onClosed() runs when it closes again.
 */
function circuitBanner(banner, onClosed) {
  let timer = 0;
  breaker.subscribe((state) => {
    if (state === "half-open") {
      request("GET", "/api/health", { retry: false, failFast: true }).catch(() => {});
    }
    if (state === "closed" && !banner.hidden) onClosed();
    banner.hidden = state === "closed";
    banner.dataset.state = state;
    banner.textContent = state === "open"
      ? "The server is not answering. Requests are paused and will be tried again in a few seconds."
      : state === "half-open" ? "Trying the server again\u2026" : "";
    clearInterval(timer);
    if (state !== "closed") timer = setInterval(() => breaker.tick(), 1000);
  });
}

/** Upload one queued item through every stage. */
async function runItem(item, ctx) {
  const { queue, company } = ctx;
  const file = item.file;
  const key = "item-" + item.id;
  const t0 = performance.now();
  const view = createProgressView((stage) => {
    if (stage === "done") return;
    toast({ kind: "progress", key, title: stageLabel(stage), message: file.name });
  });
  item.view = view;
  item.result.replaceChildren(view.node);
  queue.setStatus(item, "running", "Working");

  // validating: the checks of the drop, against the settings of now
  view.setStage("validating");
  view.setBar(null, "Checking " + file.name);
  const problem = checkFile(file);
  if (problem) {
    view.end(false, problem.reason);
    queue.setStatus(item, "failed", errorTitle(problem.code));
    toast({ kind: "error", title: errorTitle(problem.code), message: file.name + ": " + problem.reason });
    return;
  }

  // checking for duplicates: hash here, ask the server; no upload when held
  view.setStage("checking_duplicates");
  if (settings().enable_duplicate_check) {
    view.setBar(null, "Computing SHA-256 of " + sizeText(file.size));
    let found = null;
    try {
      const hash = await sha256Hex(file);
      item.sha256 = hash;
      view.setBar(null, "Asking the server about " + hash.slice(0, 12) + "\u2026");
      const ans = await request("GET", "/api/uploads/lookup?company=" + encodeURIComponent(company) +
                                "&sha256=" + hash, { accept: [404] });
      if (ans && ans.status !== 404) found = ans;
    } catch (e) {
      // the server checks again on upload; a failed lookup only costs bytes
      view.setBar(null, "Duplicate check unavailable (" + e.message + "); the server will check");
    }
    if (found) {
      duplicate(item, found, ctx);
      return;
    }
  }

  // uploading, processing, saving: the POST, retried, with the server's progress
  const res = await sendWithRetry(item, view, ctx);
  if (!res) return;
  finish(item, res, t0, ctx);
}

function duplicate(item, existing, ctx) {
  const { queue, history } = ctx;
  item.view.end(false, "Already uploaded as #" + existing.id + " (" + existing.filename + ")", true);
  queue.setStatus(item, "duplicate", "Duplicate");
  const open = () => history.open(existing.id).catch((e) => ctx.boundary.failPart("history", e));
  toast({
    kind: "warning", icon: "duplicate", key: "item-" + item.id,
    title: "Duplicate File Detected",
    message: item.file.name + " is already stored for " + ctx.company + ".",
    details: [["File", existing.filename], ["Uploaded", timeText(existing.uploaded_at)],
              ["Records", countText(existing.record_count)], ["Version", "v" + existing.version]],
    link: { text: "Open upload #" + existing.id, href: "#upload-" + existing.id, onClick: open },
  });
  const link = el("a", { href: "#upload-" + existing.id, class: "toast-link", text: "Open upload #" + existing.id });
  link.addEventListener("click", (e) => {
    e.preventDefault();
    open();
  });
  item.result.append(el("p", { class: "dup-note" }, "Same file as " + existing.filename + ", uploaded " +
    timeText(existing.uploaded_at) + " with " + countText(existing.record_count) + " records. ", link));
}

async function sendWithRetry(item, view, ctx) {
  const { company, toolType, queue } = ctx;
  const file = item.file;
  const token = newUploadToken();
  let began = 0;
  let rows = 0;
  view.setStage("uploading");
  view.setBar(0, "Starting upload");
  const stop = watchProgress(token, (v) => {
    if (v.stage === "processing" || v.stage === "saving") {
      rows = v.rows || rows;
      view.setStage(v.stage);
      view.setBar(null, v.stage === "processing" ? countText(rows) + " rows read so far"
                                                  : "Saving " + countText(rows) + " records");
    }
  });
  let res;
  try {
    res = await withRetry(() => {
      began = performance.now();
      if (view.stage !== "uploading") view.setStage("uploading");
      return sendOnce({
        file, company, toolType, token,
        onBytes: (sent, total) => {
          const secs = (performance.now() - began) / 1000;
          const speed = secs > 0 ? sizeText(Math.round(sent / secs)) + "/s" : "";
          const pct = total ? Math.floor((sent / total) * 100) : 0;
          view.setBar(total ? sent / total : null, sizeText(sent) + " of " + sizeText(total) +
                      " (" + pct + "%)" + (speed ? " \u00b7 " + speed : ""));
          if (total && sent >= total && view.stage === "uploading") {
            view.setStage("processing");
            view.setBar(null, "Reading rows\u2026");
          }
        },
      });
    }, {
      onRetry: ({ attempt, of, waitMs, status }) => {
        const why = status ? "the server answered " + status : "the connection failed";
        queue.setStatus(item, "running", "Retrying " + attempt + "/" + of);
        view.setStage("uploading");
        view.setBar(0, "Retrying in " + msText(waitMs) + " (" + why + ")");
        toast({ kind: "warning", icon: "progress", key: "retry-" + item.id,
                title: "Retrying Upload (" + attempt + "/" + of + ")",
                message: item.file.name + ": " + why + "; next try in " + msText(waitMs) + "." });
      },
    });
  } finally {
    stop();
  }
  if (res.status === 201) return res;
  const err = new ApiError(res.status, res.data, res.error && res.error.message);
  if (err.code === "DUPLICATE_FILE" && err.existing) {
    duplicate(item, err.existing, ctx);
    return null;
  }
  view.end(false, err.message);
  queue.setStatus(item, "failed", errorTitle(err.code));
  toast({ kind: "error", key: "item-" + item.id, title: errorTitle(err.code),
          message: item.file.name + ": " + err.message,
          details: [["Hint", err.hint], ["Request id", err.requestId]] });
  return null;
}

function finish(item, res, t0, ctx) {
  const u = res.data || {};
  const secs = performance.now() - t0;
  item.view.end(true, countText(u.record_count) + " records stored in " + msText(secs));
  ctx.queue.setStatus(item, "done", "Uploaded");
  toast({ kind: "success", key: "item-" + item.id, title: "Uploaded",
          message: item.file.name + ": " + countText(u.record_count) + " records in " + msText(secs) + ".",
          details: [["Upload", "#" + u.id + ", version " + u.version]] });
  if (Array.isArray(u.warnings) && u.warnings.length) {
    item.result.append(el("ul", { class: "warnings" }, ...u.warnings.map((w) => el("li", { text: w }))));
  }
}

/** Start the page in document (once). */
export async function startApp() {
  if (started) return;
  started = true;
  const dev = isDev();
  const appRoot = $("app");
  const boundary = createBoundary({ dev, appRoot });
  boundary.installGlobal();
  mountToasts($("toasts"));

  const form = $("upload-form");
  const companyInput = $("company");
  const companyNote = $("company-note");
  const toolSelect = $("tool_type");
  const sendBtn = $("send");
  const known = new Set();
  const history = createHistory({ section: $("history"), guard: (fn) => boundary.guard("history", fn) });
  let running = false;

  circuitBanner($("circuit"), () => history.reload().catch(() => {}));

  const queue = createQueue({
    list: $("queue"),
    rejectedList: $("rejected"),
    onChange: () => updateButton(),
    onReject: (file, p) => toast({ kind: "error", title: errorTitle(p.code), message: file.name + ": " + p.reason }),
  });

  function updateButton() {
    const n = queue.waiting().length;
    sendBtn.disabled = running || n === 0;
    sendBtn.textContent = running ? "Uploading\u2026" : n > 1 ? "Upload " + n + " files" : "Upload";
  }

  function companyValue() {
    return companyInput.value.trim();
  }

  function showCompanyNote() {
    const name = companyValue();
    const p = name ? companyProblem(name) : "";
    companyNote.textContent = p || (name && !known.has(name) ? "New company: " + name + " will be created with its first upload." : "");
    companyNote.classList.toggle("error", !!p);
  }

  async function refresh() {
    applySettings(await getJson("/api/config"));
    fillTools(toolSelect);
    $("limits").textContent = settings().allowed_file_types.map((t) => "." + t).join(", ") +
                              " \u00b7 up to " + sizeText(settings().max_file_size);
    await loadCompanies($("companies"), known).catch(() => {});
    showCompanyNote();
    await history.load(companyValue());
  }

  async function sendAll(ev) {
    ev.preventDefault();
    const company = companyValue();
    const problem = companyProblem(company);
    if (problem) {
      companyNote.textContent = problem;
      companyNote.classList.add("error");
      companyInput.focus();
      return;
    }
    if (running) return;
    running = true;
    updateButton();
    const ctx = { queue, history, company, toolType: toolSelect.value, boundary };
    try {
      for (const item of queue.waiting()) await runItem(item, ctx);
    } finally {
      running = false;
      updateButton();
    }
    await loadCompanies($("companies"), known).catch(() => {});
    showCompanyNote();
    if (companyValue() === company) await history.load(company);
  }

  // the drop zone: drop, click or Enter/Space to pick
  const drop = $("drop");
  const picker = $("file");
  drop.addEventListener("dragover", (e) => {
    e.preventDefault();
    drop.classList.add("over");
  });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", boundary.guard("upload", (e) => {
    e.preventDefault();
    drop.classList.remove("over");
    if (e.dataTransfer && e.dataTransfer.files.length) queue.add(e.dataTransfer.files);
  }));
  drop.addEventListener("click", (e) => {
    if (!e.target.closest("label, input")) picker.click();
  });
  drop.addEventListener("keydown", (e) => {
    if (e.key === "Enter" || e.key === " ") {
      e.preventDefault();
      picker.click();
    }
  });
  picker.addEventListener("change", boundary.guard("upload", () => {
    queue.add(Array.from(picker.files));
    picker.value = "";
  }));
  // a file dropped beside the zone must not replace the page
  window.addEventListener("dragover", (e) => e.preventDefault());
  window.addEventListener("drop", (e) => e.preventDefault());

  form.addEventListener("submit", boundary.guard("upload", sendAll));
  $("clear").addEventListener("click", () => queue.clearFinished());
  let typing = 0;
  companyInput.addEventListener("input", () => {
    showCompanyNote();
    clearTimeout(typing);
    typing = setTimeout(boundary.guard("history", () => history.load(companyValue())), 300);
  });

  boundary.part("upload", $("upload-part"), refresh);
  boundary.part("history", $("history"), () => history.reload());
  boundary.part("app", appRoot, refresh);

  if (dev) {
    // test and debugging hooks, development mode only
    window.soccDev = {
      crash(where = "global") {
        const err = new Error("soccDev: forced error in " + where);
        if (where === "global") setTimeout(() => { throw err; }, 0);
        else if (where === "rejection") Promise.reject(err);
        else boundary.guard(where, () => { throw err; })();
      },
      breaker,
    };
  }
  updateButton();
  await boundary.guard("app", refresh)();
}
