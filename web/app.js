// The plain upload page: no build step, no external resources.  Every
// string from the server reaches the DOM through textContent only.

const $ = (id) => document.getElementById(id);
let settings = { max_file_size: 0, allowed_file_types: [] };
let chosen = null;

function el(tag, text) {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = String(text);
  return e;
}

function sizeText(n) {
  if (n < 1024) return n + " B";
  if (n < 1048576) return (n / 1024).toFixed(1) + " KiB";
  return (n / 1048576).toFixed(1) + " MiB";
}

function showResult(kind, title, rows) {
  const box = $("result");
  box.replaceChildren();
  box.className = "result " + kind;
  box.append(el("strong", title));
  const dl = el("dl");
  for (const [k, v] of rows) {
    if (v === undefined || v === null || v === "") continue;
    dl.append(el("dt", k), el("dd", v));
  }
  box.append(dl);
  box.hidden = false;
}

function showError(err, status) {
  const e = (err && err.error) || {};
  const rows = [["Code", e.code || "HTTP " + status], ["Message", e.message],
                ["Hint", e.hint], ["Request id", e.request_id]];
  if (e.existing) {
    rows.push(["Existing upload", "#" + e.existing.id + " " +
               e.existing.filename + " (" + e.existing.record_count +
               " records, version " + e.existing.version + ")"]);
  }
  showResult("err", "Upload refused", rows);
}

function sheetsText(u) {
  if (Array.isArray(u.sheets)) {
    return u.sheets.map((s) => (s.name || "(csv)") + ": " +
                        (s.rows !== undefined ? s.rows : "?")).join(", ");
  }
  return u.sheet_count;
}

function showUpload(u) {
  const rows = [["Id", u.id], ["File", u.filename], ["Records", u.record_count],
                ["Sheets", sheetsText(u)], ["Version", u.version],
                ["SHA-256", u.file_hash]];
  if (Array.isArray(u.warnings) && u.warnings.length) {
    rows.push(["Warnings", u.warnings.join("; ")]);
  }
  showResult("ok", "Upload stored", rows);
}

// Check a file before sending it: extension and size from /api/config.
function checkFile(f) {
  const dot = f.name.lastIndexOf(".");
  const ext = dot >= 0 ? f.name.slice(dot + 1).toLowerCase() : "";
  if (settings.allowed_file_types.length &&
      !settings.allowed_file_types.includes(ext)) {
    return "only " + settings.allowed_file_types.join(", ") + " files are accepted";
  }
  if (settings.max_file_size && f.size > settings.max_file_size) {
    return "the file is larger than " + sizeText(settings.max_file_size);
  }
  if (f.size === 0) return "the file is empty";
  return "";
}

function choose(f) {
  chosen = f || null;
  const label = $("chosen");
  if (!chosen) {
    label.textContent = "No file chosen";
    return;
  }
  const problem = checkFile(chosen);
  label.textContent = chosen.name + " - " + sizeText(chosen.size) +
                      (chosen.type ? " - " + chosen.type : "") +
                      (problem ? " - " + problem : "");
}

async function loadConfig() {
  const res = await fetch("/api/config");
  settings = await res.json();
  const sel = $("tool_type");
  sel.replaceChildren();
  for (const t of settings.tool_types || []) {
    const o = el("option", t.label);
    o.value = t.id;
    sel.append(o);
  }
}

async function loadRecent() {
  const res = await fetch("/api/uploads?limit=10");
  if (!res.ok) return;
  const data = await res.json();
  const body = $("recent").querySelector("tbody");
  body.replaceChildren();
  for (const u of data.uploads || []) {
    const tr = el("tr");
    for (const v of [u.id, u.company, u.tool_type, u.filename, u.record_count,
                     u.version, u.created_at || u.uploaded_at]) {
      tr.append(el("td", v));
    }
    body.append(tr);
  }
}

async function upload(ev) {
  ev.preventDefault();
  const company = $("company").value.trim();
  if (!company) {
    showResult("err", "Enter a company", []);
    return;
  }
  if (!chosen) {
    showResult("err", "Choose a file", []);
    return;
  }
  const problem = checkFile(chosen);
  if (problem) {
    showResult("err", "File refused", [["Reason", problem]]);
    return;
  }
  const form = new FormData();
  form.append("company", company);
  form.append("tool_type", $("tool_type").value);
  form.append("file", chosen, chosen.name);
  $("send").disabled = true;
  showResult("", "Uploading " + chosen.name + "...", []);
  try {
    const res = await fetch("/api/uploads", { method: "POST", body: form });
    const data = await res.json().catch(() => null);
    if (res.status === 201) showUpload(data);
    else showError(data, res.status);
    loadRecent();
  } catch (e) {
    showResult("err", "Network error", [["Detail", e.message]]);
  } finally {
    $("send").disabled = false;
  }
}

function wireDrop() {
  const drop = $("drop");
  drop.addEventListener("dragover", (e) => {
    e.preventDefault();
    drop.classList.add("over");
  });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (e) => {
    e.preventDefault();
    drop.classList.remove("over");
    if (e.dataTransfer.files.length) choose(e.dataTransfer.files[0]);
  });
  $("file").addEventListener("change", (e) => choose(e.target.files[0]));
}

wireDrop();
$("upload").addEventListener("submit", upload);
loadConfig().catch(() => showResult("err", "Cannot load settings", []));
loadRecent().catch(() => {});
