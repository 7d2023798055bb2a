// Curator pages: document list and workflow, Markdown editor with preview
// and chunk view, hit test, gap report. Plain ES module, no dependencies.
import { api, requireLogin, logout, el } from "/static/staff.js";

const $ = (s) => document.querySelector(s);
const stateName = { draft: "草稿 draft", review: "待审 review", approved: "已发布 approved", retired: "已下线 retired" };

function showTab(name) {
  for (const p of document.querySelectorAll(".tab-panel")) p.classList.toggle("hidden", p.id !== "tab-" + name);
  for (const b of document.querySelectorAll(".tab")) b.classList.toggle("active", b.dataset.tab === name);
  if (name === "list") loadList();
  if (name === "gaps") loadGaps();
  if (name === "feedback") loadFeedback();
}

// problem says in Chinese first what went wrong, then the server's detail.
const problemZh = { 400: "内容有误，请修改后再试", 401: "登录已过期，请刷新页面重新登录", 403: "没有权限", 404: "找不到", 409: "状态已变化（可能已有同事处理），请刷新" };
function problem(e, zh) {
  return (zh || problemZh[e.status] || "出错了，请稍后再试") + "。" + (e.message ? " " + e.message : "");
}

function badge(state) { return el("span", { class: "badge " + state }, stateName[state] || state); }

// listQuery returns the list's filters as query parameters.
function listQuery() {
  const q = new URLSearchParams();
  for (const [k, sel] of [["q", "#f-q"], ["topic", "#f-topic"], ["band", "#f-band"], ["lang", "#f-lang"], ["state", "#f-state"]]) {
    const v = $(sel).value.trim();
    if (v) q.set(k, v);
  }
  if ($("#f-due").checked) q.set("due", "1");
  return q;
}

let listSeq = 0; // a newer listing wins over a slower older one
let openID = ""; // the document open beside the list

async function loadList() {
  const seq = ++listSeq;
  const tbody = $("#docs tbody");
  let r;
  try { r = await api("GET", "/api/kb/documents?" + listQuery()); }
  catch (e) {
    if (seq === listSeq) tbody.replaceChildren(el("tr", {}, el("td", { class: "error", colspan: "6" }, problem(e))));
    return;
  }
  if (seq !== listSeq) return;
  const topic = $("#f-topic");
  if (topic.dataset.n !== String(r.topics.length)) {
    const keep = topic.value;
    topic.replaceChildren(el("option", { value: "" }, "全部 all"), ...r.topics.map((t) => el("option", { value: t }, t)));
    topic.value = keep;
    topic.dataset.n = r.topics.length;
  }
  tbody.replaceChildren(...r.documents.map((d) => el("tr", { class: "pick" + (d.id === openID ? " selected" : ""), "data-id": d.id, onclick: () => openDoc(d.id) },
    el("td", {},
      el("button", { type: "button", class: "open link", onclick: (ev) => { ev.stopPropagation(); openDoc(d.id); } }, d.title),
      el("br"), el("span", { class: "muted" }, d.id + (d.kind === "card" ? " · 卡片 card" : "")),
      d.match ? el("div", { class: "match muted" }, d.match) : ""),
    el("td", {}, d.lang),
    el("td", {}, (d.audience || []).join(", ")),
    el("td", {}, d.current ? "v" + d.current : (d.retired ? badge("retired") : "—")),
    el("td", {}, "v" + d.latest + " ", badge(d.latest_state)),
    el("td", {}, d.due_for_review ? el("span", { class: "badge due" }, "需复审 due") : (d.review_due ? d.review_due.slice(0, 10) : "")))));
  if (!r.documents.length) tbody.append(el("tr", {}, el("td", { class: "muted", colspan: "6" }, "没有符合条件的文档 No documents match")));
  $("#doc-count").textContent = `${r.documents.length} 份文档 documents`;
}

// openDoc shows a document beside the list (below it on a narrow screen),
// scrolls it into view and moves the focus to its heading, with the
// workflow actions right under the heading.
async function openDoc(id, from, to) {
  const box = $("#detail");
  openID = id;
  for (const tr of document.querySelectorAll("#docs tr.pick")) tr.classList.toggle("selected", tr.dataset.id === id);
  box.classList.remove("hidden");
  box.replaceChildren(el("p", { class: "muted" }, "…"));
  const q = new URLSearchParams();
  if (from && to) { q.set("from", from); q.set("to", to); }
  let r;
  try { r = await api("GET", "/api/kb/documents/" + encodeURIComponent(id) + "?" + q); }
  catch (e) { box.replaceChildren(el("p", { class: "error" }, problem(e))); return; }
  if (openID !== id) return;
  const d = r.document;
  const msg = el("p", { class: "error", role: "alert" });
  const act = async (action, version) => {
    msg.textContent = "";
    try {
      const res = await api("POST", `/api/kb/documents/${encodeURIComponent(id)}/${action}`, action === "retire" ? undefined : { version });
      if (res && res.retire_requested) alert(res.message); // a card: a second curator confirms
      await openDoc(id); loadList();
    } catch (e) {
      msg.textContent = problem(e, action === "approve" && e.status === 403 ? "作者不能批准自己写的版本，请另一位教研员批准" : "");
    }
  };
  const who = (id) => (r.names && r.names[id]) || id;
  const latest = r.versions[r.versions.length - 1];
  const actions = el("div", { class: "row actions" },
    ...r.versions.filter((v) => v.state === "draft").map((v) =>
      el("button", { type: "button", class: "primary act-submit", onclick: () => act("submit", v.version) }, `提交审核 Submit v${v.version}`)),
    ...r.versions.filter((v) => v.state === "review").map((v) =>
      el("button", { type: "button", class: "primary act-approve", onclick: () => act("approve", v.version) }, `批准发布 Approve v${v.version}`)),
    latest ? el("button", { type: "button", class: "act-edit", onclick: () => editFrom(latest) }, `编辑新版本 Edit (from v${latest.version})`) : "",
    d.current ? el("button", { type: "button", onclick: () => { if (confirm("下线后学生将检索不到此文档。Retire?")) act("retire"); } }, "下线 Retire") : "");
  const rows = r.versions.map((v) => el("tr", {},
    el("td", {}, "v" + v.version + (v.current ? " ★" : "")),
    el("td", {}, badge(v.state)),
    el("td", {}, who(v.author) + (v.reviewer ? " → " + who(v.reviewer) : "")),
    el("td", {}, v.updated_at.slice(0, 16).replace("T", " ")),
    el("td", {}, el("button", { type: "button", onclick: () => editFrom(v) }, `基于 v${v.version} 编辑 Edit`))));
  const last = r.versions.length;
  const diffForm = el("div", { class: "row" });
  if (last > 1) {
    const fromSel = el("select", { "aria-label": "从版本 From" }, ...r.versions.map((v) => el("option", { value: v.version }, "v" + v.version)));
    const toSel = el("select", { "aria-label": "到版本 To" }, ...r.versions.map((v) => el("option", { value: v.version }, "v" + v.version)));
    fromSel.value = from || String(last - 1); toSel.value = to || String(last);
    diffForm.append("比较 Diff ", fromSel, " → ", toSel, el("button", { type: "button", onclick: () => openDoc(id, fromSel.value, toSel.value) }, "显示 Show"));
  }
  const diff = el("div", { class: "diff card" + (r.diff ? "" : " hidden") },
    ...(r.diff || []).map((l) => el("div", { class: l.op === "+" ? "add" : l.op === "-" ? "del" : "" }, l.op + " " + l.text)));
  const h2 = el("h2", { tabindex: "-1" }, d.title, " ", el("span", { class: "muted" }, d.id));
  box.replaceChildren(
    el("div", { class: "detail-head" }, h2,
      el("button", { type: "button", class: "close", "aria-label": "关闭 Close", onclick: closeDoc }, "×")),
    el("p", { class: "muted" }, `主题 topics: ${(d.topics || []).join(", ")} · 复审日期 review due: ${d.review_due ? d.review_due.slice(0, 10) : "—"}`),
    actions,
    msg,
    el("div", { class: "scroll", tabindex: "0" }, el("table", {}, el("thead", {}, el("tr", {}, el("th", {}, "版本"), el("th", {}, "状态"), el("th", {}, "作者 → 审核"), el("th", {}, "更新"), el("th", {}, "操作"))), el("tbody", {}, ...rows))),
    diffForm, diff);
  box.scrollIntoView({ block: "nearest" });
  h2.focus({ preventScroll: true });
}

// closeDoc hides the document and returns the focus to its row.
function closeDoc() {
  const id = openID;
  openID = "";
  $("#detail").classList.add("hidden");
  const tr = [...document.querySelectorAll("#docs tr.pick")].find((t) => t.dataset.id === id);
  if (tr) { tr.classList.remove("selected"); tr.querySelector("button.open").focus(); }
}

// ---- the editor: front matter as fields ----

const words = (s) => s.split(/[,，、\s]+/).map((x) => x.trim()).filter(Boolean);

// setFields fills the editor from a version (its next version is written)
// or empties it for a new document.
function setFields(v) {
  $("#e-id").value = v ? v.doc_id : "";
  $("#e-id").readOnly = !!v;
  $("#e-title").value = v ? v.title : "";
  $("#e-lang").value = v ? v.lang : "zh";
  $("#e-kind").value = v ? v.kind : "article";
  for (const c of document.querySelectorAll('input[name="audience"]')) c.checked = v ? (v.audience || []).includes(c.value) : c.value !== "primary";
  $("#e-topics").value = v ? (v.topics || []).join(", ") : "";
  $("#e-pinned").value = v ? (v.pinned_for || []).join(", ") : "";
  $("#e-trans").value = v ? v.translation_of || "" : "";
  $("#e-due").value = v && v.review_due && !v.review_due.startsWith("0001") ? v.review_due.slice(0, 10) : "";
  $("#md").value = v ? v.body : "## 小标题\n\n正文……";
  $("#edit-base").textContent = v ? `基于 ${v.doc_id} v${v.version}，保存后成为新版本。 Saving makes a new version of ${v.doc_id}.` : "新文档 New document";
  showKind();
  showErrors({}, false);
}

function showKind() { document.querySelector('[data-field="pinned_for"]').classList.toggle("hidden", $("#e-kind").value !== "card"); }

// draft returns the editor's fields as a draft for the server.
function draft() {
  return {
    id: $("#e-id").value.trim(), title: $("#e-title").value.trim(), lang: $("#e-lang").value, kind: $("#e-kind").value,
    audience: [...document.querySelectorAll('input[name="audience"]:checked')].map((c) => c.value),
    topics: words($("#e-topics").value),
    pinned_for: $("#e-kind").value === "card" ? words($("#e-pinned").value) : [],
    translation_of: $("#e-trans").value.trim(),
    review_due: $("#e-due").value,
    body: $("#md").value.trim(),
  };
}

// validate returns what is wrong with a draft, by field.
function validate(d) {
  const bad = {};
  if (d.id && /[\s/\\?#%]/.test(d.id)) bad.id = "编号不能有空格或 / \\ ? # %。 No spaces or / \\ ? # % in an id.";
  if (!d.title) bad.title = "请填写标题。 The title is missing.";
  if (!d.audience.length) bad.audience = "至少选一个学段。 Choose at least one band.";
  if (!d.topics.length) bad.topics = "至少写一个主题。 Write at least one topic.";
  if (d.kind === "card" && !d.pinned_for.length) bad.pinned_for = "卡片需要写明适用情境。 A card needs the situations it is pinned for.";
  if ($("#e-due").validity.badInput) bad.review_due = "日期不完整。 The date is incomplete.";
  if (!d.body) bad.body = "正文是空的。 The text is empty.";
  return bad;
}

const fieldInput = { id: "#e-id", title: "#e-title", lang: "#e-lang", kind: "#e-kind", audience: 'input[name="audience"]', topics: "#e-topics", pinned_for: "#e-pinned", review_due: "#e-due", translation_of: "#e-trans", body: "#md" };

// showErrors marks the fields in bad with their message (and focuses the
// first when focus is set); the values stay as they were typed.
function showErrors(bad, focus = true) {
  let first = null;
  for (const [f, sel] of Object.entries(fieldInput)) {
    document.querySelector(`[data-field="${f}"] .field-error`).textContent = bad[f] || "";
    const input = $(sel);
    if (bad[f]) { input.setAttribute("aria-invalid", "true"); first = first || input; }
    else input.removeAttribute("aria-invalid");
  }
  if (first && focus) first.focus();
}

// serverField finds the field a server error is about, or "".
function serverField(message) {
  const m = /front matter: (id|title|lang|kind|audience|topics|pinned_for|review_due|translation_of)\b/.exec(message || "");
  if (m) return m[1];
  if (/card needs pinned_for/.test(message || "")) return "pinned_for";
  if (/no text/.test(message || "")) return "body";
  return "";
}

function editFrom(v) {
  setFields(v);
  showTab("edit");
  preview();
  $("#e-title").focus();
}

// renderMarkdown renders the small Markdown subset of the material into
// DOM nodes (never innerHTML): headings, lists, paragraphs, bold.
function renderMarkdown(md) {
  const out = [];
  let list = null;
  const inline = (t) => {
    const parts = t.split(/\*\*(.+?)\*\*/g);
    return parts.map((p, i) => (i % 2 ? el("strong", {}, p) : p));
  };
  for (const block of md.split(/\n\s*\n/)) {
    for (const line of block.split("\n")) {
      const h = line.match(/^(#{1,6})\s+(.*)$/);
      const li = line.match(/^\s*(?:[-*+]|\d+[.)])\s+(.*)$/);
      if (h) { list = null; out.push(el("h" + Math.min(6, h[1].length + 1), {}, h[2])); }
      else if (li) { if (!list) { list = el("ul"); out.push(list); } list.append(el("li", {}, ...inline(li[1]))); }
      else if (line.trim()) { list = null; out.push(el("p", {}, ...inline(line))); }
    }
    list = null;
  }
  return out;
}

async function preview() {
  const d = draft();
  $("#preview").replaceChildren(...renderMarkdown(d.body));
  try {
    const r = await api("POST", "/api/kb/preview", { title: d.title, body: d.body });
    $("#chunks").replaceChildren(...r.chunks.map((c) => el("li", {},
      el("div", { class: "meta" }, (c.heading || "（无标题 no heading）") + ` · ${[...c.text].length} 字`), c.text)));
  } catch (e) { $("#chunks").replaceChildren(el("li", { class: "error" }, problem(e))); }
}

// save validates the fields, shows what to fix beside each one (keeping
// every value), and stores a draft.
async function save(ev) {
  ev.preventDefault();
  const msg = $("#edit-msg");
  msg.replaceChildren();
  msg.className = "";
  const d = draft();
  const bad = validate(d);
  showErrors(bad);
  if (Object.keys(bad).length) {
    msg.className = "error";
    msg.textContent = "有几处需要修改，见各字段下的说明；已填写的内容都还在。 Some fields need fixing; nothing was lost.";
    return;
  }
  try {
    const r = await api("POST", "/api/kb/documents", d);
    const v = r.version;
    setFields(v);
    msg.append(`已保存草稿 saved: ${v.doc_id} v${v.version}。请提交审核并由另一位教研员批准。 `,
      el("button", { type: "button", class: "primary", onclick: () => { showTab("list"); openDoc(v.doc_id); } }, "打开并提交审核 Open to submit"));
  } catch (e) {
    const f = e.status === 400 ? serverField(e.message) : "";
    if (f) showErrors({ [f]: e.message });
    msg.className = "error";
    msg.textContent = problem(e) + " 已填写的内容都还在。 Nothing was lost.";
  }
}

async function hitTest(ev) {
  ev.preventDefault();
  const tbody = $("#hits tbody");
  tbody.replaceChildren();
  try {
    const r = await api("POST", "/api/kb/search", { query: $("#hit-q").value, k: 8, lang: $("#hit-lang").value, band: $("#hit-band").value, mode: $("#hit-mode").value });
    const v = $("#hit-verdict");
    v.className = r.confident ? "verdict-yes" : "verdict-no";
    v.textContent = (r.confident ? "有可靠材料 confident" : "没有足够可靠的材料：学生会被引导去找心理老师 not confident") + ` · 主题 topic: ${r.topic}` + (r.degraded ? " · 仅关键词 keywords only" : "");
    r.hits.forEach((h, i) => tbody.append(el("tr", {},
      el("td", {}, i + 1),
      el("td", {}, h.title, el("br"), el("span", { class: "muted" }, `${h.doc_id} v${h.version}`)),
      el("td", { class: "text" }, (h.heading ? "【" + h.heading + "】" : "") + h.text),
      el("td", {}, h.vector_rank ? `${h.vector.toFixed(3)} (#${h.vector_rank})` : "—"),
      el("td", {}, h.keyword_rank ? `${h.keyword.toFixed(3)} (#${h.keyword_rank})` : "—"),
      el("td", {}, h.fused.toFixed(4)))));
  } catch (e) { tbody.append(el("tr", {}, el("td", { class: "error" }, problem(e)))); }
}

async function loadGaps() {
  const tbody = $("#gaps tbody");
  tbody.replaceChildren();
  try {
    const r = await api("GET", "/api/kb/gaps?days=" + encodeURIComponent($("#gap-days").value));
    for (const t of r.topics) tbody.append(el("tr", {}, el("td", {}, t.topic), el("td", {}, t.count)));
    if (!r.topics.length) tbody.append(el("tr", {}, el("td", { class: "muted" }, "暂无 none")));
  } catch (e) { tbody.append(el("tr", {}, el("td", { class: "error" }, problem(e)))); }
}

async function loadFeedback() {
  const tbody = $("#feedback tbody");
  tbody.replaceChildren();
  try {
    const r = await api("GET", "/api/kb/feedback?days=" + encodeURIComponent($("#fb-days").value));
    for (const v of r.versions) tbody.append(el("tr", { "data-doc": v.doc_id, "data-version": v.version },
      el("td", {}, ...(v.doc_id ? [v.title, el("br"), el("span", { class: "muted" }, `${v.doc_id} v${v.version}`)] : [el("span", { class: "muted" }, "未引用资料的回答 answers citing nothing")])),
      el("td", { class: "wrong" }, v.wrong), el("td", { class: "upsetting" }, v.upsetting), el("td", { class: "helpful" }, v.helpful)));
    if (!r.versions.length) tbody.append(el("tr", {}, el("td", { class: "muted" }, "暂无 none")));
  } catch (e) { tbody.append(el("tr", {}, el("td", { class: "error" }, problem(e)))); }
}

async function main() {
  const st = await requireLogin($("#root").appendChild(el("div")));
  $("#who").textContent = st.display_name || st.username;
  $("#tabs").classList.remove("hidden");
  $("#logout").classList.remove("hidden");
  $("#logout").addEventListener("click", logout);
  for (const b of document.querySelectorAll(".tab")) b.addEventListener("click", () => showTab(b.dataset.tab));
  let typing = 0;
  $("#filters").addEventListener("submit", (ev) => { ev.preventDefault(); loadList(); });
  $("#f-q").addEventListener("input", () => { clearTimeout(typing); typing = setTimeout(loadList, 250); });
  for (const id of ["#f-topic", "#f-band", "#f-lang", "#f-state", "#f-due"]) $(id).addEventListener("change", loadList);
  $("#do-preview").addEventListener("click", preview);
  $("#doc-form").addEventListener("submit", save);
  $("#do-new").addEventListener("click", () => { setFields(null); $("#e-id").focus(); });
  $("#e-kind").addEventListener("change", showKind);
  $("#hit-form").addEventListener("submit", hitTest);
  $("#gap-go").addEventListener("click", loadGaps);
  $("#fb-go").addEventListener("click", loadFeedback);
  setFields(null);
  showTab("list");
}

main();
