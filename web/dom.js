// Small DOM and formatting helpers.  Text from the server reaches the page
// through textContent only, never as HTML.

/**
 * Make an element: el("p", {class: "x", "aria-live": "polite"}, "text", child)
 * Attributes whose value is null/undefined/false are left out; "on" handlers
 * are not accepted here (use addEventListener so the CSP stays strict).
 */
export function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "text") e.textContent = String(v);
    else e.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

export function sizeText(n) {
  if (!Number.isFinite(n)) return "?";
  if (n < 1024) return n + " B";
  if (n < 1048576) return (n / 1024).toFixed(1) + " KiB";
  if (n < 1073741824) return (n / 1048576).toFixed(1) + " MiB";
  return (n / 1073741824).toFixed(2) + " GiB";
}

export function countText(n) {
  return Number.isFinite(n) ? n.toLocaleString("en-US") : "?";
}

/** "2026-12-04 18:16" in the browser's time zone, from an ISO time. */
export function timeText(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso || "";
  const p = (x) => String(x).padStart(2, "0");
  return d.getFullYear() + "-" + p(d.getMonth() + 1) + "-" + p(d.getDate()) +
         " " + p(d.getHours()) + ":" + p(d.getMinutes());
}

export function msText(ms) {
  if (!Number.isFinite(ms)) return "?";
  return ms < 1000 ? Math.round(ms) + " ms" : (ms / 1000).toFixed(1) + " s";
}

/** A random id of 2*bytes lowercase hex digits. */
export function randomId(bytes = 12) {
  const a = new Uint8Array(bytes);
  crypto.getRandomValues(a);
  return Array.from(a, (b) => b.toString(16).padStart(2, "0")).join("");
}
