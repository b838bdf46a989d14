// Sending one file: POST /api/uploads by XMLHttpRequest (fetch reports no
// upload progress), tagged with X-Upload-Token so that
// GET /api/uploads/progress/{token} tells the stage and rows while the
// server works.

import { randomId } from "./dom.js";

/** Longest a whole upload POST (sending and processing) may take. */
export const UPLOAD_TIMEOUT_MS = 10 * 60 * 1000;
/** How often the server's progress is asked for. */
export const POLL_MS = 150;

export function newUploadToken() {
  return "u" + randomId(15);
}

/**
 * One attempt: resolves {status, data, retryAfter} for any HTTP answer,
 * rejects on a network failure, timeout or abort.  onBytes(sent, total)
 * follows the request body.
 */
export function sendOnce({ file, company, toolType, token, onBytes, signal }) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    const form = new FormData();
    form.append("company", company);
    form.append("tool_type", toolType);
    form.append("file", file, file.name);
    xhr.open("POST", "/api/uploads");
    xhr.timeout = UPLOAD_TIMEOUT_MS;
    xhr.responseType = "text";
    xhr.setRequestHeader("Accept", "application/json");
    xhr.setRequestHeader("X-Upload-Token", token);
    xhr.upload.addEventListener("progress", (e) => {
      if (onBytes) onBytes(e.loaded, e.lengthComputable ? e.total : file.size);
    });
    xhr.addEventListener("load", () => {
      let data = null;
      try {
        data = JSON.parse(xhr.responseText);
      } catch {
        data = null;
      }
      resolve({ status: xhr.status, data, retryAfter: xhr.getResponseHeader("Retry-After") });
    });
    xhr.addEventListener("error", () => reject(new Error("the connection to the server failed")));
    xhr.addEventListener("timeout", () => reject(new Error("the server took too long to answer")));
    xhr.addEventListener("abort", () => reject(new DOMException("aborted", "AbortError")));
    if (signal) signal.addEventListener("abort", () => xhr.abort(), { once: true });
    xhr.send(form);
  });
}

/**
 * Poll the server's view of the upload tagged token every POLL_MS and call
 * onView(view) with each answer; returns stop().  Polls bypass retry and
 * the breaker: a missed one is simply skipped.
 */
export function watchProgress(token, onView) {
  let stopped = false;
  let timer = 0;
  const once = async () => {
    const ctl = new AbortController();
    const t = setTimeout(() => ctl.abort(), 2000);
    try {
      const res = await fetch("/api/uploads/progress/" + encodeURIComponent(token),
                              { signal: ctl.signal, headers: { Accept: "application/json" } });
      if (res.ok && !stopped) onView(await res.json());
    } catch {
      // the POST reports real failures; a lost poll changes nothing
    } finally {
      clearTimeout(t);
      if (!stopped) timer = setTimeout(once, POLL_MS);
    }
  };
  timer = setTimeout(once, POLL_MS);
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
