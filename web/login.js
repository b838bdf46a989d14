// Sign-in for the page (docs/AUTH.md).  Self-contained: it asks the server
// who is signed in, shows a sign-in form when nobody is, shows who is
// signed in with a sign-out button, offers the caller's companies to the
// company field, and adds the session's X-CSRF-Token to every
// state-changing fetch of the page.  Every server string reaches the DOM
// through textContent only.

let csrf = null;
let whoReady;
const ready = new Promise((resolve) => { whoReady = resolve; });

// State-changing requests of a cookie session carry the CSRF token.
const plainFetch = window.fetch.bind(window);
window.fetch = async (input, init = {}) => {
  const method = (init.method || (input && input.method) || "GET").toUpperCase();
  if (method !== "GET" && method !== "HEAD") {
    await ready;
    if (csrf) {
      const headers = new Headers(init.headers || {});
      headers.set("X-CSRF-Token", csrf);
      init = { ...init, headers, credentials: "same-origin" };
    }
  }
  return plainFetch(input, init);
};

// The same for XMLHttpRequest (upload progress, tus-js-client).  A
// request sent before the session is known goes without the token.
const xhrOpen = XMLHttpRequest.prototype.open;
const xhrSend = XMLHttpRequest.prototype.send;
XMLHttpRequest.prototype.open = function (method, ...rest) {
  this.soccMethod = String(method || "GET").toUpperCase();
  return xhrOpen.call(this, method, ...rest);
};
XMLHttpRequest.prototype.send = function (body) {
  if (csrf && this.soccMethod !== "GET" && this.soccMethod !== "HEAD") {
    this.setRequestHeader("X-CSRF-Token", csrf);
  }
  return xhrSend.call(this, body);
};

// For other modules: import { csrfToken, authReady } from "/login.js".
let me = null;
export function csrfToken() { return csrf; }
export const authReady = ready;
/** True once GET /api/auth/me answered a signed-in user. */
export function signedIn() { return me !== null; }
/** The signed-in user's role ("super_admin", "admin", "analyst"), or "". */
export function myRole() { return (me && me.user && me.user.role) || ""; }
/** The companies the signed-in user may use ([] for every company). */
export function myCompanies() { return (me && me.companies) || []; }

function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = String(text);
  if (cls) e.className = cls;
  return e;
}

function errorText(body, status, headers) {
  const e = (body && body.error) || {};
  if (status === 429) {
    const wait = Number(headers.get("Retry-After") || 0);
    return "Too many attempts. Try again in " +
      (wait > 90 ? Math.ceil(wait / 60) + " minutes" : wait + " seconds") + ".";
  }
  return e.message || ("Sign-in failed (HTTP " + status + ")");
}

function showLogin() {
  const main = document.querySelector("main");
  if (main) main.hidden = true;
  const box = el("section", null, "login");
  box.id = "login";
  const form = el("form");
  form.noValidate = true;
  const title = el("h2", "Sign in");
  const nameLabel = el("label", "User name");
  const name = el("input");
  name.id = "login-name";
  name.autocomplete = "username";
  name.required = true;
  nameLabel.append(name);
  const pwLabel = el("label", "Password");
  const pw = el("input");
  pw.id = "login-password";
  pw.type = "password";
  pw.autocomplete = "current-password";
  pw.required = true;
  pwLabel.append(pw);
  const button = el("button", "Sign in");
  button.type = "submit";
  const msg = el("p", null, "login-error");
  msg.id = "login-error";
  msg.setAttribute("role", "alert");
  form.append(title, nameLabel, pwLabel, button, msg);
  box.append(form);
  document.body.append(box);
  name.focus();
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    msg.textContent = "";
    button.disabled = true;
    try {
      const res = await plainFetch("/api/auth/login", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        credentials: "same-origin",
        body: JSON.stringify({ name: name.value.trim(), password: pw.value }),
      });
      if (res.ok) {
        location.reload();
        return;
      }
      let body = null;
      try { body = await res.json(); } catch (e) { body = null; }
      msg.textContent = errorText(body, res.status, res.headers);
      pw.value = "";
    } catch (e) {
      msg.textContent = "The server cannot be reached.";
    }
    button.disabled = false;
  });
}

function showUser(me) {
  const bar = el("div", null, "whoami");
  bar.id = "whoami";
  bar.append(el("span", "Signed in as "), el("strong", me.user.name),
             el("span", " (" + me.user.role.replace("_", " ") + ")"));
  const out = el("button", "Sign out");
  out.id = "signout";
  out.type = "button";
  out.addEventListener("click", async () => {
    await window.fetch("/api/auth/logout", { method: "POST" });
    location.reload();
  });
  bar.append(out);
  const header = document.querySelector("header") || document.body;
  header.append(bar);
}

async function start() {
  try {
    const res = await plainFetch("/api/auth/me", { credentials: "same-origin" });
    if (res.status === 401) {
      showLogin();
    } else if (res.ok) {
      me = await res.json();
      csrf = me.csrf_token || null;
      showUser(me);
    }
  } finally {
    whoReady();
  }
}

if (document.readyState === "loading") {
  document.addEventListener("DOMContentLoaded", start);
} else {
  start();
}
