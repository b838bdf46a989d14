// Upload history of the chosen company (GET /api/uploads?company=), and one
// upload opened: its version chain with the change summaries
// (GET /api/versions), its sheets and first records.

import { el, countText, sizeText, timeText, msText } from "./dom.js";
import { ApiError, getJson } from "./api.js";

/** Records shown per sheet when an upload is opened. */
const FIRST_RECORDS = 10;
/** Columns shown in the records table; the rest are counted. */
const MAX_COLUMNS = 12;

function statusBadge(u) {
  return el("span", { class: "badge " + (u.is_active ? "badge-active" : "badge-superseded"),
                      text: u.is_active ? "active" : "superseded" });
}

function cellText(v) {
  if (v === null || v === undefined) return "";
  return typeof v === "object" ? JSON.stringify(v) : String(v);
}

/**
 * Mount the history into section.  guard(fn) wraps event handlers for the
 * error boundary.  Returns {load(company), open(id), reload()}.
 */
export function createHistory({ section, guard }) {
  const title = section.querySelector("[data-role=title]");
  const body = section.querySelector("tbody");
  const empty = section.querySelector("[data-role=empty]");
  const detail = section.querySelector("[data-role=detail]");
  let company = "";
  let loading = 0;
  let shown = 0;

  async function load(name) {
    company = name || "";
    const mine = ++loading;
    title.textContent = company ? "Uploads of " + company : "Upload history";
    body.replaceChildren();
    if (!company) {
      empty.textContent = "Choose a company to see its uploads.";
      empty.hidden = false;
      return;
    }
    empty.textContent = "Loading\u2026";
    empty.hidden = false;
    let data;
    try {
      data = await getJson("/api/uploads?limit=100&company=" + encodeURIComponent(company));
    } catch (e) {
      if (mine === loading) empty.textContent = "The history cannot be loaded: " + e.message;
      return;
    }
    if (mine !== loading) return;
    const list = data.uploads || [];
    empty.hidden = list.length > 0;
    empty.textContent = list.length ? "" : "No uploads for " + company + " yet.";
    for (const u of list) body.append(row(u));
  }

  function row(u) {
    const open = el("button", { type: "button", class: "link-btn", "aria-label": "Open upload " + u.id + ", " + u.filename }, u.filename);
    open.addEventListener("click", guard(() => open_(u.id)));
    const tr = el("tr", { "data-id": u.id },
      el("td", { "data-label": "Tool", text: u.tool_type }),
      el("td", { class: "cell-file" }, open),
      el("td", { class: "num", "data-label": "Records", text: countText(u.record_count) }),
      el("td", { "data-label": "SHA-256" }, el("code", { title: u.file_hash, text: (u.file_hash || "").slice(0, 10) })),
      el("td", { "data-label": "Version" }, "v" + u.version + " ", statusBadge(u)),
      el("td", { "data-label": "By", text: u.uploaded_by || "\u2014" }),
      el("td", { "data-label": "Time" }, el("time", { datetime: u.created_at, text: timeText(u.created_at) })));
    return tr;
  }

  function recordsTable(sheet, records) {
    const cols = (sheet.column_names || []).slice(0, MAX_COLUMNS);
    const more = (sheet.column_names || []).length - cols.length;
    const head = el("tr", {}, el("th", { scope: "col", text: "Row" }), ...cols.map((c) => el("th", { scope: "col", text: c || "(blank)" })));
    const rows = records.map((r) => el("tr", {}, el("td", { class: "num", text: r.row }),
      ...cols.map((c) => el("td", { text: cellText(r.cells ? r.cells[c] : "") }))));
    const wrap = el("div", { class: "scroll", tabindex: "0", role: "region",
                             "aria-label": "First records of " + (sheet.name || "the file") },
      el("table", { class: "records" }, el("thead", {}, head), el("tbody", {}, ...rows)));
    const note = more > 0 ? el("p", { class: "muted", text: "+ " + more + " more columns" }) : null;
    return [wrap, note];
  }

  function chainTable(u, versions) {
    const head = el("tr", {}, ...["Version", "Status", "Created", "By", "Rows + / \u2212 / =", "Columns"]
      .map((t) => el("th", { scope: "col", text: t })));
    const rows = versions.map((v) => {
      const s = v.summary || {};
      const cols = [...(s.columns_added || []).map((c) => "+" + c), ...(s.columns_removed || []).map((c) => "\u2212" + c)];
      return el("tr", { "data-id": v.id, "data-version": v.version, class: v.id === u.id ? "current" : null,
                        "aria-current": v.id === u.id ? "true" : null },
        el("td", { "data-label": "Version", text: "v" + v.version + (v.id === u.id ? " (this)" : "") }),
        el("td", { "data-label": "Status" }, statusBadge(v)),
        el("td", { "data-label": "Created" }, el("time", { datetime: v.created_at, text: timeText(v.created_at) })),
        el("td", { "data-label": "By", text: v.uploaded_by || "\u2014" }),
        el("td", { class: "rows", "data-label": "Rows",
                   title: countText(s.rows_added) + " added, " + countText(s.rows_removed) + " removed, " +
                          countText(s.rows_unchanged) + " unchanged" },
          el("span", { class: "plus" }, "+", el("span", { "data-role": "added", text: countText(s.rows_added) })), " ",
          el("span", { class: "minus" }, "\u2212", el("span", { "data-role": "removed", text: countText(s.rows_removed) })), " ",
          el("span", { class: "same" }, "=", el("span", { "data-role": "unchanged", text: countText(s.rows_unchanged) }))),
        el("td", { "data-label": "Columns", "data-role": "columns", text: cols.length ? cols.join(", ") : "\u2014" }));
    });
    return el("div", { class: "scroll", tabindex: "0", role: "region",
                       "aria-label": "Versions of " + u.tool_type + " for " + u.company },
      el("table", { class: "chain" }, el("thead", {}, head), el("tbody", {}, ...rows)));
  }

  /**
   * The chain of u's company and tool; a failure is said, not thrown.
   * LIMIT: summary counts only; the diff rows are not shown here.
   */
  async function chain(u) {
    const box = el("section", { class: "versions", "data-role": "versions" },
      el("h4", { text: "Versions of " + u.tool_type + " for " + u.company }));
    try {
      const data = await getJson("/api/versions?company=" + encodeURIComponent(u.company) +
                                 "&tool_type=" + encodeURIComponent(u.tool_type));
      box.append(chainTable(u, data.versions || []),
                 el("p", { class: "muted", text: "Rows + / \u2212 / = compare each version with the one before it." }));
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      box.append(el("p", { class: "note error", text: "The versions cannot be loaded: " + e.message }));
    }
    return box;
  }

  /** Open upload id; a refusal of the server is said in the panel. */
  async function open_(id) {
    shown = id;
    detail.hidden = false;
    detail.replaceChildren(el("p", { class: "muted", text: "Loading upload " + id + "\u2026" }));
    try {
      await show(id);
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      detail.replaceChildren(el("p", { class: "note error", role: "alert",
                                       text: "Upload " + id + " cannot be shown: " + e.message }));
    }
  }

  async function show(id) {
    const u = await getJson("/api/uploads/" + encodeURIComponent(id));
    const close = el("button", { type: "button", class: "icon-btn", "aria-label": "Close upload details" }, "\u00d7");
    close.addEventListener("click", () => {
      shown = 0;
      detail.hidden = true;
      detail.replaceChildren();
    });
    const h = el("h3", { tabindex: "-1" }, u.filename + " ", statusBadge(u));
    const facts = el("dl", { class: "facts" });
    for (const [k, v] of [["Id", u.id], ["Tool", u.tool_type], ["Version", "v" + u.version + (u.previous_id ? " (previous: #" + u.previous_id + ")" : "")],
                          ["Records", countText(u.record_count)], ["Size", sizeText(u.size)], ["Type", u.file_type],
                          ["SHA-256", u.file_hash], ["Uploaded", timeText(u.created_at)], ["By", u.uploaded_by || "\u2014"],
                          ["Processing", msText(u.processing_ms)]]) {
      facts.append(el("dt", { text: k }), el("dd", { text: v }));
    }
    const parts = [el("div", { class: "detail-head" }, h, close), facts, await chain(u)];
    if (Array.isArray(u.warnings) && u.warnings.length) {
      parts.push(el("ul", { class: "warnings" }, ...u.warnings.map((w) => el("li", { text: w }))));
    }
    const sheets = u.sheets || [];
    for (let i = 0; i < sheets.length; i++) {
      const s = sheets[i];
      parts.push(el("h4", { text: (s.name || "Sheet " + (i + 1)) + " \u2014 " + countText(s.rows) + " rows, " + s.columns + " columns" }));
      if (!s.rows) continue;
      const rec = await getJson("/api/uploads/" + u.id + "/records?sheet=" + i + "&limit=" + FIRST_RECORDS);
      parts.push(...recordsTable(s, rec.records || []).filter(Boolean));
    }
    parts.push(el("a", { href: "/api/uploads/" + u.id + "/file", class: "download", text: "Download the original file" }));
    detail.replaceChildren(...parts);
    h.focus();
  }

  return {
    load,
    open: open_,
    /** Load the list again, and the opened upload with its chain. */
    reload: async () => {
      await load(company);
      if (shown && !detail.hidden) await open_(shown);
    },
    get company() {
      return company;
    },
  };
}
