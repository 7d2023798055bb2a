// Risk labels in the counselor console: under each student's message, three
// one-click buttons 风险 / 无风险 / 不确定 (risk / no risk / unsure). A click
// stores the label at once (PUT /api/conversations/{id}/messages/{seq}/label);
// closing a handoff gives its flagged messages a default from the outcome,
// shown as such until a counselor clicks. The district exports the labels
// to measure and retrain the risk model. Self-contained: the console calls
// labelBar for each student message and loadLabels when it opens or closes
// a conversation.
import { api, el } from "/static/staff.js";

const CHOICES = [
  ["risk", "风险", "Risk"],
  ["none", "无风险", "No risk"],
  ["unsure", "不确定", "Unsure"],
];

let conv = ""; // the conversation whose labels are shown
let labels = new Map(); // seq → label

function paint(bar) {
  const l = labels.get(Number(bar.dataset.seq));
  for (const b of bar.querySelectorAll("button")) {
    const on = !!l && b.dataset.label === l.label;
    b.setAttribute("aria-pressed", on ? "true" : "false");
  }
  const how = bar.querySelector(".label-how");
  how.textContent = !l ? "" : l.source === "outcome" ? "（结案默认 default from the outcome）" : "✓";
}

function paintAll() {
  for (const bar of document.querySelectorAll(".label-bar")) if (bar.dataset.conv === conv) paint(bar);
}

async function choose(bar, label) {
  const seq = Number(bar.dataset.seq);
  const msg = bar.querySelector(".label-msg");
  msg.textContent = "";
  for (const b of bar.querySelectorAll("button")) b.disabled = true;
  try {
    const r = await api("PUT", `/api/conversations/${encodeURIComponent(bar.dataset.conv)}/messages/${seq}/label`, { label });
    if (bar.dataset.conv === conv) labels.set(seq, r.label);
    paint(bar);
  } catch (e) {
    msg.textContent = `没有保存 Not saved：${e.message}`;
  } finally {
    for (const b of bar.querySelectorAll("button")) b.disabled = false;
  }
}

// labelBar returns the buttons for a student's message m.
export function labelBar(m) {
  const bar = el("div", { class: "label-bar", role: "group", "aria-label": `标注第 ${m.seq} 条 Label message ${m.seq}`,
    "data-seq": String(m.seq), "data-conv": m.conversation_id });
  for (const [label, zh, en] of CHOICES) {
    bar.append(el("button", { type: "button", class: "label-" + label, "data-label": label, "aria-pressed": "false",
      title: en, onclick: () => choose(bar, label) }, zh));
  }
  bar.append(el("span", { class: "label-how muted" }), el("span", { class: "label-msg error", role: "status" }));
  if (m.conversation_id === conv) paint(bar);
  return bar;
}

// loadLabels shows the stored labels of conversation id.
export async function loadLabels(id) {
  if (id !== conv) labels = new Map();
  conv = id;
  try {
    const r = await api("GET", `/api/conversations/${encodeURIComponent(id)}/labels`);
    if (conv !== id) return;
    labels = new Map(r.labels.map((l) => [l.seq, l]));
    paintAll();
  } catch {
    // the buttons still work; the stored labels show on the next load
  }
}
