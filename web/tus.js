// Resumable uploads (tus 1.0.0, docs/API.md "/api/tus/") for files above
// a size threshold: one POST creates the upload, PATCHes of CHUNK bytes
// (each with its SHA-256) send it, by XMLHttpRequest for byte progress.
// A lost connection, a 5xx, 423 or 429, or a 409 OFFSET_MISMATCH is
// followed by a HEAD that tells the server's offset, and the upload goes on
// from there under the page's retry and breaker rules (api.js withRetry).
// The last PATCH answers like POST /api/uploads, so the caller treats both
// the same way.

import { isDev } from "./config.js";
import { withRetry } from "./api.js";
import { isRetryableStatus } from "./retry.js";

/** Files of more bytes than this go through tus; smaller ones by one POST. */
export const TUS_THRESHOLD = 8 * 1024 * 1024;
/** Bytes per PATCH. */
export const TUS_CHUNK = 4 * 1024 * 1024;
/** Longest one PATCH (a chunk, or the last one with the processing) may take. */
const PATCH_TIMEOUT_MS = 10 * 60 * 1000;
/** Offset mismatches in a row before the upload gives up. */
const MAX_MISMATCHES = 5;

/**
 * The threshold and chunk size in force.  TEST ONLY: in development mode
 * (?dev=1) the address may lower them with ?tus_threshold=BYTES and
 * ?tus_chunk=BYTES, so browser tests need no large files.
 */
export function tusSizes() {
  const sizes = { threshold: TUS_THRESHOLD, chunk: TUS_CHUNK };
  if (!isDev()) return sizes;
  const q = new URLSearchParams(location.search);
  const num = (k) => (/^\d+$/.test(q.get(k) || "") ? Number(q.get(k)) : null);
  if (num("tus_threshold") !== null) sizes.threshold = num("tus_threshold");
  if (num("tus_chunk") !== null && num("tus_chunk") > 0) sizes.chunk = num("tus_chunk");
  return sizes;
}

/** Whether a file of this size goes through tus. */
export function usesTus(size) {
  return size > tusSizes().threshold;
}

function b64(bytes) {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    s += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  }
  return btoa(s);
}

/** Upload-Metadata: key base64(UTF-8 value), comma separated. */
export function metadataHeader(fields) {
  return Object.entries(fields)
    .map(([k, v]) => k + " " + b64(new TextEncoder().encode(String(v))))
    .join(",");
}

async function checksum(blob) {
  const digest = await crypto.subtle.digest("SHA-256", await blob.arrayBuffer());
  return "sha256 " + b64(new Uint8Array(digest));
}

/**
 * One request: resolves {status, data, retryAfter, header(name)} for any
 * HTTP answer; rejects on a network failure, timeout or abort.
 */
function xhrRequest(method, url, { headers = {}, body = null, onBytes, signal, timeoutMs = 30000 } = {}) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(method, url);
    xhr.timeout = timeoutMs;
    xhr.responseType = "text";
    xhr.setRequestHeader("Tus-Resumable", "1.0.0");
    xhr.setRequestHeader("Accept", "application/json");
    for (const [k, v] of Object.entries(headers)) xhr.setRequestHeader(k, v);
    if (onBytes) xhr.upload.addEventListener("progress", (e) => onBytes(e.loaded));
    xhr.addEventListener("load", () => {
      let data = null;
      try {
        data = JSON.parse(xhr.responseText);
      } catch {
        data = null;
      }
      resolve({ status: xhr.status, data, retryAfter: xhr.getResponseHeader("Retry-After"),
                header: (n) => xhr.getResponseHeader(n) });
    });
    xhr.addEventListener("error", () => reject(new Error("the connection to the server failed")));
    xhr.addEventListener("timeout", () => reject(new Error("the server took too long to answer")));
    xhr.addEventListener("abort", () => reject(new DOMException("aborted", "AbortError")));
    if (signal) signal.addEventListener("abort", () => xhr.abort(), { once: true });
    xhr.send(body);
  });
}

const errCode = (res) => (res.data && res.data.error && res.data.error.code) || "";

/**
 * Send file by tus.  opts: {file, company, toolType, token (X-Upload-Token
 * of the PATCHes), onBytes(sent, total), onRetry (as withRetry's), onResume
 * (offset) after a HEAD, signal}.  Resolves the final answer
 * {status, data, retryAfter}: 201 with the upload, or the refusal (of the
 * creation or of the last PATCH), or the last failure once retries ran out.
 */
// LIMIT: the upload's address lives only in this call; a reloaded page
// starts the file again (no resume across page loads).
export async function tusSend({ file, company, toolType, token, onBytes, onRetry, onResume, signal }) {
  const { chunk } = tusSizes();
  const size = file.size;

  // creation; LIMIT: a POST whose answer is lost is sent again and leaves
  // the first upload to the server's expiry sweep
  const created = await withRetry(() => xhrRequest("POST", "/api/tus/", {
    headers: { "Upload-Length": String(size),
               "Upload-Metadata": metadataHeader({ filename: file.name, company, tool_type: toolType }) },
    signal,
  }), { onRetry, signal });
  if (created.status !== 201 || !created.header("Location")) return created;
  const url = new URL(created.header("Location"), location.href).pathname;

  let offset = 0;
  let needHead = false;
  let mismatches = 0;
  // LIMIT: withRetry's attempts count per chunk, so each acknowledged chunk
  // starts with the full MAX_RETRY_ATTEMPTS again
  for (;;) {
    let mismatch = false;
    const res = await withRetry(async () => {
      mismatch = false;
      try {
        if (needHead) {
          const h = await xhrRequest("HEAD", url, { signal });
          if (h.status !== 200) return h;
          offset = Number(h.header("Upload-Offset"));
          needHead = false;
          if (onResume) onResume(offset);
        }
        const end = Math.min(size, offset + chunk);
        const piece = file.slice(offset, end);
        const headers = { "Content-Type": "application/offset+octet-stream",
                          "Upload-Offset": String(offset), "X-Upload-Token": token };
        // an empty PATCH at the end asks again for the answer of the last byte
        if (end > offset) headers["Upload-Checksum"] = await checksum(piece);
        const base = offset;
        const r = await xhrRequest("PATCH", url, {
          headers, body: piece, signal, timeoutMs: PATCH_TIMEOUT_MS,
          onBytes: onBytes ? (n) => onBytes(base + n, size) : null,
        });
        mismatch = r.status === 409 && errCode(r) === "OFFSET_MISMATCH";
        if (isRetryableStatus(r.status) || r.status === 423 || mismatch) needHead = true;
        return r;
      } catch (e) {
        needHead = true;
        throw e;
      }
    }, {
      onRetry, signal,
      retryable: (s) => isRetryableStatus(s) || s === 423 || (s === 409 && mismatch),
    });
    if (res.status === 204) {
      offset = Number(res.header("Upload-Offset"));
      mismatches = 0;
      if (onBytes) onBytes(offset, size);
      continue;
    }
    if (mismatch && ++mismatches < MAX_MISMATCHES) {
      needHead = true;
      continue;
    }
    // 201, a refusal of the file, or a failure once the retries ran out
    return res;
  }
}
