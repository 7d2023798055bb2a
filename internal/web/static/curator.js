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

async function loadList() {
  const q = new URLSearchParams({ lang: $("#f-lang").value, state: $("#f-state").value });
  const tbody = $("#docs tbody");
  tbody.replaceChildren();
  try {
    const r = await api("GET", "/api/kb/documents?" + q);
    for (const d of r.documents) {
      const tr = el("tr", { class: "pick", "data-id": d.id, onclick: () => openDoc(d.id) },
        el("td", {}, d.title, el("br"), el("span", { class: "muted" }, d.id + (d.kind === "card" ? " · 卡片 card" : ""))),
        el("td", {}, d.lang),
        el("td", {}, (d.audience || []).join(", ")),
        el("td", {}, d.current ? "v" + d.current : (d.retired ? badge("retired") : "—")),
        el("td", {}, "v" + d.latest + " ", badge(d.latest_state)),
        el("td", {}, d.due_for_review ? el("span", { class: "badge due" }, "需复审 due") : (d.review_due ? d.review_due.slice(0, 10) : "")));
      tbody.append(tr);
    }
  } catch (e) { tbody.append(el("tr", {}, el("td", { class: "error" }, problem(e)))); }
}

async function openDoc(id, from, to) {
  const box = $("#detail");
  box.classList.remove("hidden");
  box.replaceChildren(el("p", { class: "muted" }, "…"));
  const q = new URLSearchParams();
  if (from && to) { q.set("from", from); q.set("to", to); }
  let r;
  try { r = await api("GET", "/api/kb/documents/" + encodeURIComponent(id) + "?" + q); }
  catch (e) { box.replaceChildren(el("p", { class: "error" }, problem(e))); return; }
  const d = r.document;
  const msg = el("p", { class: "error", role: "alert" });
  const act = async (action, version) => {
    msg.textContent = "";
    try {
      const res = await api("POST", `/api/kb/documents/${encodeURIComponent(id)}/${action}`, action === "retire" ? undefined : { version });
      if (res && res.retire_requested) alert(res.message); // a card: a second curator confirms
      openDoc(id); loadList();
    } catch (e) {
      msg.textContent = problem(e, action === "approve" && e.status === 403 ? "作者不能批准自己写的版本，请另一位教研员批准" : "");
    }
  };
  const who = (id) => (r.names && r.names[id]) || id;
  const rows = r.versions.map((v) => el("tr", {},
    el("td", {}, "v" + v.version + (v.current ? " ★" : "")),
    el("td", {}, badge(v.state)),
    el("td", {}, who(v.author) + (v.reviewer ? " → " + who(v.reviewer) : "")),
    el("td", {}, v.updated_at.slice(0, 16).replace("T", " ")),
    el("td", {},
      v.state === "draft" ? el("button", { class: "act-submit", onclick: () => act("submit", v.version) }, "提交审核 Submit") : "",
      v.state === "review" ? el("button", { class: "primary act-approve", onclick: () => act("approve", v.version) }, "批准发布 Approve") : "",
      el("button", { onclick: () => editFrom(d, v) }, "基于此版编辑 Edit"))));
  const last = r.versions.length;
  const diffForm = el("div", { class: "row" });
  if (last > 1) {
    const fromSel = el("select", {}, ...r.versions.map((v) => el("option", { value: v.version }, "v" + v.version)));
    const toSel = el("select", {}, ...r.versions.map((v) => el("option", { value: v.version }, "v" + v.version)));
    fromSel.value = from || String(last - 1); toSel.value = to || String(last);
    diffForm.append("比较 Diff ", fromSel, " → ", toSel, el("button", { onclick: () => openDoc(id, fromSel.value, toSel.value) }, "显示 Show"));
  }
  const diff = el("div", { class: "diff card" + (r.diff ? "" : " hidden") },
    ...(r.diff || []).map((l) => el("div", { class: l.op === "+" ? "add" : l.op === "-" ? "del" : "" }, l.op + " " + l.text)));
  box.replaceChildren(
    el("h2", {}, d.title, " ", el("span", { class: "muted" }, d.id)),
    el("p", { class: "muted" }, `主题 topics: ${(d.topics || []).join(", ")} · 复审日期 review due: ${d.review_due ? d.review_due.slice(0, 10) : "—"}`),
    d.current ? el("button", { onclick: () => { if (confirm("下线后学生将检索不到此文档。Retire?")) act("retire"); } }, "下线 Retire") : "",
    msg,
    el("div", { class: "scroll" }, el("table", {}, el("thead", {}, el("tr", {}, el("th", {}, "版本"), el("th", {}, "状态"), el("th", {}, "作者 → 审核"), el("th", {}, "更新"), el("th", {}, ""))), el("tbody", {}, ...rows))),
    diffForm, diff);
}

function editFrom(d, v) {
  const fm = ["---", "id: " + d.id, "title: " + v.title, "lang: " + v.lang, "kind: " + v.kind,
    "audience: [" + (v.audience || []).join(", ") + "]", "topics: [" + (v.topics || []).join(", ") + "]"];
  if (v.pinned_for && v.pinned_for.length) fm.push("pinned_for: [" + v.pinned_for.join(", ") + "]");
  fm.push("version: " + (v.version + 1));
  if (v.review_due && !v.review_due.startsWith("0001")) fm.push("review_due: " + v.review_due.slice(0, 10));
  fm.push("---", "", v.body);
  $("#md").value = fm.join("\n");
  showTab("edit");
  preview();
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
  const md = $("#md").value;
  const body = md.replace(/^---\n[\s\S]*?\n---\n?/, "");
  $("#preview").replaceChildren(...renderMarkdown(body));
  $("#edit-msg").textContent = "";
  try {
    const r = await api("POST", "/api/kb/preview", { markdown: md });
    $("#chunks").replaceChildren(...r.chunks.map((c) => el("li", {},
      el("div", { class: "meta" }, (c.heading || "（无标题 no heading）") + ` · ${[...c.text].length} 字`), c.text)));
  } catch (e) { $("#edit-msg").textContent = problem(e); $("#chunks").replaceChildren(); }
}

async function save() {
  try {
    const r = await api("POST", "/api/kb/documents", { markdown: $("#md").value });
    $("#edit-msg").textContent = `已保存草稿 saved: ${r.version.doc_id} v${r.version.version}。请提交审核并由另一位教研员批准。`;
  } catch (e) { $("#edit-msg").textContent = problem(e); }
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
  $("#f-go").addEventListener("click", loadList);
  $("#do-preview").addEventListener("click", preview);
  $("#do-save").addEventListener("click", save);
  $("#hit-form").addEventListener("submit", hitTest);
  $("#gap-go").addEventListener("click", loadGaps);
  $("#fb-go").addEventListener("click", loadFeedback);
  $("#md").value = "---\nid: \ntitle: \nlang: zh\nkind: article\naudience: [junior, senior]\ntopics: []\nversion: 1\nreview_due: \n---\n\n## 小标题\n\n正文……\n";
  showTab("list");
}

main();
