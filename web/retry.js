// Retry policy: which failures are worth another try, how long to wait
// (exponential backoff with full jitter, or the server's Retry-After).

/** Statuses retried: rate limited, and the server's transient failures. */
export function isRetryableStatus(status) {
  return status === 0 || status === 429 || status === 500 ||
         status === 502 || status === 503 || status === 504;
}

/**
 * Full jitter: a uniform wait in [0, min(max, base * 2^attempt)), attempt
 * counting from 0 for the first retry.
 */
export function backoffDelay(attempt, base, max, random = Math.random) {
  const cap = Math.min(max, base * Math.pow(2, attempt));
  return Math.floor(random() * Math.max(0, cap));
}

/**
 * Retry-After as milliseconds from now: delta-seconds or an HTTP date;
 * null when absent or not understood.
 */
export function retryAfterMs(value, now = Date.now()) {
  if (value === null || value === undefined || value === "") return null;
  const s = String(value).trim();
  if (/^\d+$/.test(s)) return Number(s) * 1000;
  const t = Date.parse(s);
  return Number.isNaN(t) ? null : Math.max(0, t - now);
}

/** Wait ms; rejects with an AbortError when signal aborts. */
export function sleep(ms, signal) {
  return new Promise((resolve, reject) => {
    if (signal && signal.aborted) {
      reject(new DOMException("aborted", "AbortError"));
      return;
    }
    const t = setTimeout(resolve, ms);
    if (signal) {
      signal.addEventListener("abort", () => {
        clearTimeout(t);
        reject(new DOMException("aborted", "AbortError"));
      }, { once: true });
    }
  });
}
