// The staged progress of one file: a track of stages (done, current, to
// come) and a bar with its label.

import { el } from "./dom.js";

export const STAGES = [
  ["validating", "Validating"],
  ["checking_duplicates", "Checking for duplicates"],
  ["uploading", "Uploading"],
  ["processing", "Processing"],
  ["saving", "Saving"],
  ["done", "Done"],
];

export function stageLabel(stage) {
  const s = STAGES.find(([k]) => k === stage);
  return s ? s[1] : stage;
}

/**
 * A progress view.  onStage(stage) is called once for every stage entered,
 * in order (a stage the server went through too fast to be seen is still
 * entered).  Returns {node, stage, setStage, setBar, end}.
 */
export function createProgressView(onStage) {
  const items = new Map();
  const track = el("ol", { class: "stages", "aria-label": "Stages" });
  for (const [key, label] of STAGES) {
    const li = el("li", { class: "stage", "data-stage": key }, label);
    items.set(key, li);
    track.append(li);
  }
  const bar = el("progress", { max: "1", value: "0", "aria-label": "Progress" });
  const label = el("span", { class: "bar-label", "aria-live": "polite" });
  const node = el("div", { class: "progress" }, track, el("div", { class: "bar" }, bar, label));
  const view = { node, stage: "", seen: [] };

  const index = (s) => STAGES.findIndex(([k]) => k === s);

  /** Enter stage (and every stage between the current one and it). */
  view.setStage = (stage) => {
    const to = index(stage);
    const from = index(view.stage);
    if (to < 0 || to === from) return;
    node.classList.remove("failed", "warned");
    const path = to > from ? STAGES.slice(from + 1, to + 1).map(([k]) => k) : [stage];
    for (const s of path) {
      view.stage = s;
      node.dataset.stage = s;
      view.seen.push(s);
      STAGES.forEach(([k], i) => {
        const li = items.get(k);
        li.classList.toggle("done", i < index(s) || s === "done");
        li.classList.toggle("current", k === s && s !== "done");
        if (k === s) li.setAttribute("aria-current", "step");
        else li.removeAttribute("aria-current");
      });
      if (onStage) onStage(s);
    }
  };

  /** fraction in [0, 1], or null for "working, amount unknown". */
  view.setBar = (fraction, text) => {
    if (fraction === null) bar.removeAttribute("value");
    else bar.value = Math.max(0, Math.min(1, fraction));
    label.textContent = text || "";
  };

  /**
   * The end: ok true (done) or false (stopped, with the reason); warn marks
   * a stop that is no failure (a duplicate).
   */
  view.end = (ok, text, warn = false) => {
    if (ok) {
      view.setStage("done");
      view.setBar(1, text);
    } else {
      node.classList.add(warn ? "warned" : "failed");
      const cur = items.get(view.stage);
      if (cur) cur.classList.add("stopped");
      if (cur && warn) cur.classList.add("warned");
      view.setBar(bar.value || 0, text);
    }
  };
  return view;
}
