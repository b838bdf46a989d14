// The upload page.  startApp() is the one entry point (main.js calls it; a
// login gate can call it once the user is in).  The parts: the upload form
// with its queue (each file sent by pipeline.js), the history, toasts, the
// circuit banner, and the error boundary around them.

import { el, sizeText, timeText } from "./dom.js";
import { applySettings, settings, isDev } from "./config.js";
import { breaker, getJson, request } from "./api.js";
import { mountToasts, toast, errorTitle } from "./toasts.js";
import { createQueue } from "./queue.js";
import { createHistory } from "./history.js";
import { createBoundary } from "./boundary.js";
import { runItem } from "./pipeline.js";
import { myCompanies } from "./login.js";

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
  // the user's own companies that hold no upload yet
  for (const name of myCompanies()) {
    if (known.has(name)) continue;
    known.add(name);
    list.append(el("option", { value: name, label: "no uploads yet" }));
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
