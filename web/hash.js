// SHA-256 of a file in the browser (Web Crypto), as lowercase hex.

/** Resolves the hex digest; rejects when Web Crypto is unavailable. */
export async function sha256Hex(file) {
  if (!globalThis.crypto || !crypto.subtle) {
    throw new Error("Web Crypto is not available on this page");
  }
  // LIMIT: digest() takes the whole file in memory (at most MAX_FILE_SIZE).
  const buf = await file.arrayBuffer();
  const digest = await crypto.subtle.digest("SHA-256", buf);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}
