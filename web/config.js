// The client settings of GET /api/config, with the server's defaults until
// they arrive (SPEC 5), and the development mode switch.

const DEFAULTS = Object.freeze({
  max_file_size: 52428800,
  allowed_file_types: ["xlsx", "xls", "csv"],
  tool_types: [],
  enable_duplicate_check: true,
  enable_file_validation: true,
  enable_retry_logic: true,
  success_toast_duration: 3000,
  error_toast_duration: 6000,
  progress_toast_duration: 2000,
  max_retry_attempts: 3,
  retry_base_delay: 1000,
  retry_max_delay: 10000,
});

let current = { ...DEFAULTS };

export function settings() {
  return current;
}

/** Merge what the server sent; unknown or mistyped members are ignored. */
export function applySettings(data) {
  const next = { ...DEFAULTS };
  for (const [k, v] of Object.entries(data || {})) {
    if (!(k in DEFAULTS)) continue;
    if (typeof v === typeof DEFAULTS[k] || (Array.isArray(v) && Array.isArray(DEFAULTS[k]))) {
      next[k] = v;
    }
  }
  current = next;
  return current;
}

/**
 * Development mode: error details on the fallback panel and the
 * window.soccDev test hooks.  On with ?dev=1 in the address (remembered in
 * sessionStorage for the tab), off with ?dev=0.
 */
export function isDev() {
  const q = new URLSearchParams(location.search).get("dev");
  try {
    if (q === "1") sessionStorage.setItem("socc.dev", "1");
    if (q === "0") sessionStorage.removeItem("socc.dev");
    return sessionStorage.getItem("socc.dev") === "1";
  } catch {
    return q === "1";
  }
}
