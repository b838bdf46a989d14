// The files dropped or picked: checked against /api/config before any byte
// is sent (type by extension, size, emptiness); accepted ones wait in the
// queue with name, size and type shown, refused ones are listed with why.

import { el, sizeText } from "./dom.js";
import { settings } from "./config.js";

/** Why file cannot be sent: {code, reason}, or null when it can. */
export function checkFile(file, cfg = settings()) {
  const dot = file.name.lastIndexOf(".");
  const ext = dot > 0 ? file.name.slice(dot + 1).toLowerCase() : "";
  const types = cfg.allowed_file_types || [];
  if (types.length && !types.includes(ext)) {
    return { code: "INVALID_FILE_TYPE",
             reason: (ext ? "." + ext + " files are not accepted" : "the file name has no extension") +
                     "; send " + types.map((t) => "." + t).join(", ") };
  }
  if (cfg.max_file_size && file.size > cfg.max_file_size) {
    return { code: "FILE_TOO_LARGE",
             reason: sizeText(file.size) + " is over the limit of " + sizeText(cfg.max_file_size) };
  }
  if (file.size === 0) return { code: "EMPTY_FILE", reason: "the file is empty (0 bytes)" };
  return null;
}

export function fileKind(file) {
  const dot = file.name.lastIndexOf(".");
  const ext = dot > 0 ? file.name.slice(dot + 1).toUpperCase() : "?";
  return file.type ? ext + " (" + file.type + ")" : ext;
}

let nextId = 1;

/**
 * The queue, rendered into list (accepted) and rejectedList (refused).
 * onChange() after every change; onReject(file, problem) for each refusal.
 */
export function createQueue({ list, rejectedList, onChange, onReject }) {
  const items = [];

  function renderRejected(file, problem) {
    const li = el("li", { class: "rejected", "data-code": problem.code },
      el("span", { class: "file-name", text: file.name }),
      el("span", { class: "file-meta", text: sizeText(file.size) }),
      el("span", { class: "reason", text: problem.reason }));
    const x = el("button", { type: "button", class: "icon-btn", "aria-label": "Remove " + file.name + " from the list" }, "\u00d7");
    x.addEventListener("click", () => li.remove());
    li.append(x);
    rejectedList.prepend(li);
  }

  function remove(item) {
    const i = items.indexOf(item);
    if (i >= 0) items.splice(i, 1);
    item.node.remove();
    onChange();
  }

  /** Check and queue files (a FileList or an array). */
  function add(files) {
    for (const file of files) {
      const problem = checkFile(file);
      if (problem) {
        renderRejected(file, problem);
        onReject(file, problem);
        continue;
      }
      const item = { id: nextId++, file, status: "queued", view: null, node: null };
      const rm = el("button", { type: "button", class: "icon-btn", "aria-label": "Remove " + file.name + " from the queue" }, "\u00d7");
      rm.addEventListener("click", () => remove(item));
      item.removeButton = rm;
      item.status_el = el("span", { class: "item-status", text: "Waiting" });
      item.result = el("div", { class: "item-result" });
      item.node = el("li", { class: "item", "data-status": "queued" },
        el("div", { class: "item-head" },
          el("div", { class: "file-info" },
            el("span", { class: "file-name", text: file.name }),
            el("span", { class: "file-meta", text: sizeText(file.size) + " \u00b7 " + fileKind(file) })),
          item.status_el, rm),
        item.result);
      items.push(item);
      list.append(item.node);
    }
    onChange();
  }

  function setStatus(item, status, text) {
    item.status = status;
    item.node.dataset.status = status;
    item.status_el.textContent = text;
    item.removeButton.hidden = status === "running";
    onChange();
  }

  return {
    add,
    remove,
    setStatus,
    waiting: () => items.filter((i) => i.status === "queued"),
    clearFinished() {
      for (const i of items.slice()) if (i.status !== "queued" && i.status !== "running") remove(i);
    },
    get items() {
      return items;
    },
  };
}
