// One queued file through every stage: Validating, Checking for duplicates
// (SHA-256 here, lookup there), Uploading (retried), Processing and Saving
// (the server's progress), Done; with its toasts.

import { el, sizeText, countText, msText, timeText } from "./dom.js";
import { settings } from "./config.js";
import { ApiError, request, withRetry } from "./api.js";
import { sha256Hex } from "./hash.js";
import { sendOnce, watchProgress, newUploadToken } from "./upload.js";
import { tusSend, usesTus } from "./tus.js";
import { toast, errorTitle } from "./toasts.js";
import { checkFile } from "./queue.js";
import { createProgressView, stageLabel } from "./progress.js";

/**
 * Upload one queued item through every stage.  ctx: {queue, history,
 * company, toolType, boundary}.  Resolves when the item is done, a
 * duplicate, or failed; never rejects for a refusal of the server.
 */
export async function runItem(item, ctx) {
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
    action: existing.is_active === false ? { text: activateText(existing), onClick: () => activate(existing, ctx) } : null,
  });
  const link = el("a", { href: "#upload-" + existing.id, class: "toast-link", text: "Open upload #" + existing.id });
  link.addEventListener("click", (e) => {
    e.preventDefault();
    open();
  });
  const note = el("p", { class: "dup-note" }, "Same file as " + existing.filename + ", uploaded " +
    timeText(existing.uploaded_at) + " with " + countText(existing.record_count) + " records" +
    (existing.is_active === false ? ", now an inactive older version. " : ". "), link);
  if (existing.is_active === false) {
    const b = el("button", { type: "button", class: "secondary activate", text: activateText(existing) });
    b.addEventListener("click", () => {
      b.disabled = true;
      activate(existing, ctx).then((done) => {
        if (done) b.remove();
        else b.disabled = false;
      });
    });
    note.append(" ", b);
  }
  item.result.append(note);
}

function activateText(existing) {
  return "Make version " + existing.version + " active again";
}

/**
 * The duplicate is an older, inactive version: make it the active one
 * (POST /api/uploads/{id}/activate; the server takes a backup first).
 * Resolves whether it worked.
 */
async function activate(existing, ctx) {
  let done = false;
  try {
    const v = await request("POST", "/api/uploads/" + encodeURIComponent(existing.id) + "/activate",
                            { retry: false });
    toast({ kind: "success", key: "activate-" + existing.id, title: "Version " + v.version + " Active Again",
            message: existing.filename + " (#" + v.id + ") is the active version of " + v.tool_type + " again." });
    done = true;
  } catch (e) {
    if (!(e instanceof ApiError)) throw e;
    toast({ kind: "error", key: "activate-" + existing.id, title: errorTitle(e.code),
            message: "Version " + existing.version + " could not be made active: " + e.message,
            details: [["Hint", e.hint], ["Request id", e.requestId]] });
  }
  await ctx.history.reload().catch((err) => ctx.boundary.failPart("history", err));
  return done;
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
  // bytes sent in this attempt (a tus resume starts at the server's offset)
  let from = 0;
  const tus = usesTus(file.size);
  // what the bar shows while a retry waits: a resumable upload keeps its bytes
  let kept = 0;
  const onBytes = (sent, total) => {
    if (tus && total) kept = sent / total;
    const secs = (performance.now() - began) / 1000;
    const speed = secs > 0 && sent > from ? sizeText(Math.round((sent - from) / secs)) + "/s" : "";
    const pct = total ? Math.floor((sent / total) * 100) : 0;
    view.setBar(total ? sent / total : null, sizeText(sent) + " of " + sizeText(total) +
                " (" + pct + "%)" + (speed ? " \u00b7 " + speed : ""));
    if (total && sent >= total && view.stage === "uploading") {
      view.setStage("processing");
      view.setBar(null, "Reading rows\u2026");
    }
  };
  const onRetry = ({ attempt, of, waitMs, status }) => {
    const why = status ? "the server answered " + status : "the connection failed";
    queue.setStatus(item, "running", "Retrying " + attempt + "/" + of);
    view.setStage("uploading");
    view.setBar(tus ? kept : 0, "Retrying in " + msText(waitMs) + " (" + why + ")" +
                (tus ? "; the upload goes on from where the server stopped" : ""));
    toast({ kind: "warning", icon: "progress", key: "retry-" + item.id,
            title: "Retrying Upload (" + attempt + "/" + of + ")",
            message: item.file.name + ": " + why + "; next try in " + msText(waitMs) + "." });
  };
  let res;
  try {
    if (tus) {
      // resumable: a retry goes on from the server's offset
      began = performance.now();
      res = await tusSend({
        file, company, toolType, token, onBytes, onRetry,
        onResume: (offset) => {
          began = performance.now();
          from = offset;
          queue.setStatus(item, "running", "Resuming");
          toast({ kind: "info", key: "retry-" + item.id, title: "Resuming Upload",
                  message: file.name + ": the server holds " + sizeText(offset) + " of " +
                           sizeText(file.size) + "; sending the rest." });
        },
      });
    } else {
      res = await withRetry(() => {
        began = performance.now();
        if (view.stage !== "uploading") view.setStage("uploading");
        return sendOnce({ file, company, toolType, token, onBytes });
      }, { onRetry });
    }
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
