// The client of socc's JSON API: every request has a timeout; network
// errors, 429 and transient 5xx are retried (retry.js) while the circuit
// breaker (breaker.js) allows; other 4xx answers are never retried.

import { settings } from "./config.js";
import { backoffDelay, isRetryableStatus, retryAfterMs, sleep } from "./retry.js";
import { CircuitBreaker } from "./breaker.js";

/** Milliseconds a JSON request may take before it counts as failed. */
export const REQUEST_TIMEOUT_MS = 15000;
/** Longest Retry-After honoured; a longer one is cut to this. */
const RETRY_AFTER_CAP_MS = 120000;

export const breaker = new CircuitBreaker({ threshold: 5, pauseMs: 15000 });

/** A refusal or failure, with the server's error object when it sent one. */
export class ApiError extends Error {
  constructor(status, body, fallback) {
    const e = (body && body.error) || {};
    super(e.message || fallback || (status ? "HTTP " + status : "network error"));
    this.name = "ApiError";
    this.status = status;
    this.code = e.code || (status === 0 ? "NETWORK" : "HTTP_" + status);
    this.hint = e.hint || "";
    this.requestId = e.request_id || "";
    this.existing = e.existing || null;
  }
}

function counts(status) {
  // what the breaker hears: the server (or the way to it) failing
  return status === 0 || status >= 500;
}

/** Wait until the breaker lets a request go; fail fast when asked to. */
async function passBreaker(failFast, signal) {
  for (;;) {
    if (breaker.acquire()) return;
    if (failFast) {
      throw new ApiError(0, { error: { code: "CIRCUIT_OPEN",
        message: "the server is not answering; requests are paused" } });
    }
    await sleep(Math.max(100, breaker.waitMs()), signal);
  }
}

/**
 * Run send() (one attempt: resolves {status, data, retryAfter}, or rejects
 * on a network failure) until it succeeds, fails for good, or the attempts
 * from /api/config run out.  onRetry({attempt, of, waitMs, status}) is
 * called before each wait.  retryable(status) says which answers are tried
 * again (default: isRetryableStatus).  Resolves with the last answer.
 */
export async function withRetry(send, { onRetry, signal, retry = true, failFast = false,
  retryable = isRetryableStatus } = {}) {
  const cfg = settings();
  const attempts = retry && cfg.enable_retry_logic ? Math.max(0, cfg.max_retry_attempts) : 0;
  for (let n = 0; ; n++) {
    await passBreaker(failFast, signal);
    let res;
    try {
      res = await send();
    } catch (e) {
      if (signal && signal.aborted) throw e;
      res = { status: 0, data: null, retryAfter: null, error: e };
    }
    if (counts(res.status)) breaker.failure();
    else breaker.success();
    if (!retryable(res.status) || n >= attempts) return res;
    let wait = retryAfterMs(res.retryAfter);
    if (wait === null) wait = backoffDelay(n, cfg.retry_base_delay, cfg.retry_max_delay);
    wait = Math.min(wait, RETRY_AFTER_CAP_MS);
    if (onRetry) onRetry({ attempt: n + 1, of: attempts, waitMs: wait, status: res.status });
    await sleep(wait, signal);
  }
}

/** One fetch with a timeout: {status, data, retryAfter}; rejects on network failure. */
async function fetchOnce(method, path, body, timeoutMs, signal) {
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(), timeoutMs);
  const relay = () => ctl.abort();
  if (signal) signal.addEventListener("abort", relay, { once: true });
  try {
    const init = { method, signal: ctl.signal, headers: { Accept: "application/json" } };
    if (body !== undefined) {
      init.body = JSON.stringify(body);
      init.headers["Content-Type"] = "application/json";
    }
    const res = await fetch(path, init);
    const data = await res.json().catch(() => null);
    return { status: res.status, data, retryAfter: res.headers.get("Retry-After") };
  } finally {
    clearTimeout(timer);
    if (signal) signal.removeEventListener("abort", relay);
  }
}

/**
 * A JSON request with retry.  Resolves the body of a 2xx answer, or
 * {status, data} for a status listed in `accept` (e.g. 404 of a lookup);
 * rejects with ApiError otherwise.
 */
export async function request(method, path, { body, accept = [], timeoutMs = REQUEST_TIMEOUT_MS,
  retry = true, failFast = false, onRetry, signal } = {}) {
  const res = await withRetry(() => fetchOnce(method, path, body, timeoutMs, signal),
                              { retry, failFast, onRetry, signal });
  if (res.status >= 200 && res.status < 300) return res.data;
  if (accept.includes(res.status)) return { status: res.status, data: res.data };
  throw new ApiError(res.status, res.data, res.error && res.error.message);
}

export const getJson = (path, opts) => request("GET", path, { failFast: true, ...opts });
export const postJson = (path, body, opts) => request("POST", path, { body, ...opts });
