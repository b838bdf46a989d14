// Toasts: stacked, dismissable notices announced to screen readers.  Each
// has a class (success, error, warning, progress, info) with its icon; its
// duration comes from /api/config by class.

import { el } from "./dom.js";
import { settings } from "./config.js";

const ICONS = { success: "\u2713", error: "\u2715", warning: "\u26a0", progress: "\u21bb",
                info: "i", duplicate: "\u2261" };
/** Toasts shown at once; the oldest goes first. */
const MAX_TOASTS = 5;

let region = null;
const byKey = new Map();

export function mountToasts(container) {
  region = container;
}

function durationFor(kind) {
  const c = settings();
  if (kind === "success" || kind === "info") return c.success_toast_duration;
  if (kind === "progress") return c.progress_toast_duration;
  return c.error_toast_duration;
}

/**
 * Show a toast: {kind, title, message, details: [[label, value]...],
 * link: {text, href, onClick}, action: {text, onClick} (a button), key,
 * duration}.  A toast with the key of a
 * shown one replaces it.  Returns {dismiss}.
 */
export function toast(opts) {
  if (!region) throw new Error("toasts are not mounted");
  const kind = opts.kind || "info";
  if (opts.key && byKey.has(opts.key)) byKey.get(opts.key).dismiss();
  const icon = ICONS[opts.icon || kind] || ICONS.info;
  const body = el("div", { class: "toast-body" }, el("strong", { class: "toast-title", text: opts.title }));
  if (opts.message) body.append(el("p", { class: "toast-msg", text: opts.message }));
  if (opts.details && opts.details.length) {
    const dl = el("dl", { class: "toast-details" });
    for (const [k, v] of opts.details) {
      if (v === undefined || v === null || v === "") continue;
      dl.append(el("dt", { text: k }), el("dd", { text: v }));
    }
    body.append(dl);
  }
  if (opts.link) {
    const a = el("a", { href: opts.link.href || "#", class: "toast-link", text: opts.link.text });
    if (opts.link.onClick) {
      a.addEventListener("click", (e) => {
        e.preventDefault();
        opts.link.onClick();
      });
    }
    body.append(a);
  }
  if (opts.action) {
    const b = el("button", { type: "button", class: "toast-action", text: opts.action.text });
    // onClick may return a promise: the button waits for it, and goes once
    // it resolved true (done)
    b.addEventListener("click", () => {
      b.disabled = true;
      Promise.resolve(opts.action.onClick()).then((done) => {
        if (done) b.remove();
        else b.disabled = false;
      }, () => { b.disabled = false; });
    });
    body.append(b);
  }
  const close = el("button", { type: "button", class: "toast-close", "aria-label": "Dismiss: " + opts.title }, "\u00d7");
  const node = el("div", {
    class: "toast toast-" + kind + (opts.icon ? " toast-" + opts.icon : ""),
    role: kind === "error" || kind === "warning" ? "alert" : "status",
    "data-kind": kind,
  }, el("span", { class: "toast-icon", "aria-hidden": "true", text: icon }), body, close);

  let timer = 0;
  let left = opts.duration !== undefined ? opts.duration : durationFor(kind);
  let started = 0;
  const handle = {
    node,
    dismiss() {
      clearTimeout(timer);
      node.remove();
      if (opts.key && byKey.get(opts.key) === handle) byKey.delete(opts.key);
    },
  };
  const arm = () => {
    if (left <= 0) return;
    started = Date.now();
    timer = setTimeout(handle.dismiss, left);
  };
  const hold = () => {
    clearTimeout(timer);
    left -= Date.now() - started;
    left = Math.max(left, 1000);
  };
  // a toast being read (pointer or keyboard focus on it) stays
  node.addEventListener("mouseenter", hold);
  node.addEventListener("mouseleave", arm);
  node.addEventListener("focusin", hold);
  node.addEventListener("focusout", arm);
  node.addEventListener("keydown", (e) => {
    if (e.key === "Escape") handle.dismiss();
  });
  close.addEventListener("click", handle.dismiss);

  while (region.children.length >= MAX_TOASTS) region.firstElementChild.remove();
  region.append(node);
  if (opts.key) byKey.set(opts.key, handle);
  arm();
  return handle;
}

/** The toast of an error code from the API, titled as the page names it. */
export const ERROR_TITLES = {
  DUPLICATE_FILE: "Duplicate File Detected",
  FILE_TOO_LARGE: "File Too Large",
  CORRUPTED_FILE: "Corrupted File",
  ENCRYPTED_FILE: "Encrypted File",
  ACCESS_DENIED: "Access Denied",
  UNAUTHENTICATED: "Access Denied",
  INVALID_FILE_TYPE: "Invalid File Type",
  EMPTY_FILE: "Empty File",
  LIMIT_EXCEEDED: "File Too Complex",
  RATE_LIMITED: "Too Many Requests",
  STORAGE_FULL: "Server Storage Full",
  UNAVAILABLE: "Server Unavailable",
  NETWORK: "Connection Failed",
  CIRCUIT_OPEN: "Server Not Answering",
  BACKUP_FAILED: "Backup Failed",
};

export function errorTitle(code) {
  return ERROR_TITLES[code] || "Upload Failed";
}
