// The error boundary: an uncaught error or rejected promise swaps the part
// of the page it broke (or the whole app when it cannot tell) for a fallback
// panel with a unique error id and Retry, Go home and Report bug.  The
// report goes to POST /api/client-errors at once; the details are shown only
// in development mode (?dev=1).

import { el, randomId } from "./dom.js";
import { postJson } from "./api.js";

/** Longest stack sent (the server keeps 8000 bytes). */
const STACK_MAX = 7000;

export function createBoundary({ dev, appRoot }) {
  const parts = new Map();
  let failing = false;

  function reportOf(err, id) {
    const e = err instanceof Error ? err : new Error(typeof err === "string" ? err : JSON.stringify(err));
    return {
      id,
      message: String(e.message || e.name || "error").slice(0, 1900),
      stack: String(e.stack || "").slice(0, STACK_MAX),
      page: location.href.slice(0, 1900),
      user_agent: navigator.userAgent.slice(0, 500),
      time: new Date().toISOString(),
    };
  }

  async function send(report, status) {
    status.textContent = "Sending the report\u2026";
    try {
      await postJson("/api/client-errors", report);
      status.textContent = "Reported to the server with id " + report.id + ".";
      status.dataset.state = "sent";
    } catch (e) {
      status.textContent = "The report could not be sent (" + e.message + "); quote the id above.";
      status.dataset.state = "failed";
    }
  }

  function fallback(container, err, retry) {
    const id = "e-" + randomId(10);
    const report = reportOf(err, id);
    const saved = Array.from(container.childNodes);
    const status = el("p", { class: "report-status", "aria-live": "polite" });
    const retryBtn = el("button", { type: "button" }, "Retry");
    const home = el("button", { type: "button", class: "secondary" }, "Go home");
    const bug = el("button", { type: "button", class: "secondary" }, "Report bug");
    const panel = el("div", { class: "fallback", role: "alert", "data-error-id": id },
      el("h2", { text: "Something went wrong here" }),
      el("p", {}, "This part of the page stopped working. Error id: ", el("code", { class: "error-id", text: id })),
      el("div", { class: "actions" }, retryBtn, home, bug),
      status);
    if (dev) {
      panel.append(el("details", { open: true, class: "dev-details" },
        el("summary", { text: "Details (development mode)" }),
        el("pre", { text: report.message + "\n\n" + report.stack })));
    }
    retryBtn.addEventListener("click", () => {
      container.replaceChildren(...saved);
      failing = false;
      if (retry) Promise.resolve().then(retry).catch((e) => fail(container, e, retry));
    });
    home.addEventListener("click", () => {
      location.assign("/" + (dev ? "?dev=1" : ""));
    });
    bug.addEventListener("click", () => send(report, status));
    container.replaceChildren(panel);
    send(report, status);
    retryBtn.focus();
    return id;
  }

  function fail(container, err, retry) {
    if (failing) {
      console.error("socc: error while showing an error", err);
      return null;
    }
    failing = true;
    try {
      return fallback(container, err, retry);
    } catch (e) {
      container.textContent = "Something went wrong. Reload the page.";
      console.error("socc: fallback failed", e, err);
      return null;
    } finally {
      failing = false;
    }
  }

  /** Register a part: its container and how to bring it back (reload). */
  function part(name, container, reload) {
    parts.set(name, { container, reload });
  }

  /** Swap part name (or the app) for the fallback; the error id. */
  function failPart(name, err) {
    const p = parts.get(name);
    return p ? fail(p.container, err, p.reload) : fail(appRoot, err, null);
  }

  /** Wrap an event handler of part name: its errors (sync or async) land here. */
  function guard(name, fn) {
    return (...args) => {
      try {
        const r = fn(...args);
        if (r && typeof r.then === "function") {
          return r.catch((e) => {
            failPart(name, e);
          });
        }
        return r;
      } catch (e) {
        failPart(name, e);
        return undefined;
      }
    };
  }

  function installGlobal() {
    window.addEventListener("error", (ev) => {
      // a resource that failed to load also fires "error", without .error
      if (!ev.error && !ev.message) return;
      failPart("app", ev.error || new Error(ev.message));
    });
    window.addEventListener("unhandledrejection", (ev) => {
      failPart("app", ev.reason);
    });
  }

  return { part, guard, failPart, installGlobal };
}
