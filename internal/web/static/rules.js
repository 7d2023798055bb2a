// District risk rules page: status of the published version, a form that
// turns phrases into a rule block, a draft editor with line numbers, a
// try-it check against the rules in force and the draft, publishing with
// conflict and lowered-case handling, and the version history.
// Plain ES module, no dependencies; user text only ever goes into
// textContent. Only the draft rule text is kept in localStorage, never the
// try-it sentences.
import { api, requireLogin, logout, el } from "/static/staff.js";
import { initModel } from "/static/rulesmodel.js";

const $ = (s) => document.querySelector(s);

const MAX_SOURCE = 64 * 1024; // bytes, as the server counts them
const MAX_TEXTS = 50;
const MAX_TEXT = 2000; // characters (runes)
const MAX_PHRASES = 50;
const MAX_PHRASE = 100;

const levels = ["none", "low", "medium", "high", "imminent"];
const levelZh = { none: "无", low: "低", medium: "中", high: "高", imminent: "紧急" };
const categoryZh = { suicide: "自杀", self_harm: "自伤", abuse: "受虐待", violence: "暴力", bullying: "欺凌", crisis: "危机", concern_for_other: "担心他人" };
const langZh = { zh: "中文", yue: "粤语", en: "英文", any: "不限" };
const problemZh = { 400: "内容有误", 401: "登录已过期，请刷新页面重新登录", 403: "没有权限", 404: "找不到", 413: "内容太长", 429: "操作太频繁，请稍后再试", 503: "服务暂时不可用，请稍后再试" };

let staff = null;
let published = null; // the last GET /api/risk/rules
let base = 0; // base_version sent on publish: the version the draft builds on
let savedSource = ""; // the published source the editor was last synced with
let undoSource = null; // editor content before the last load into the draft
let lowered = false; // the last publish was refused because cases were lowered

const draft = () => $("#draft");
const canAccept = () => staff && (staff.role === "supervisor" || staff.role === "admin");
const byteLen = (s) => new TextEncoder().encode(s).length;
const runeLen = (s) => Array.from(s).length;
const when = (iso) => (iso ? new Date(iso).toLocaleString("zh-CN", { hour12: false }) : "");

function problem(e, zh) {
  return (zh || problemZh[e.status] || "出错了，请稍后再试") + "。" + (e.message ? " " + e.message : "");
}

function say(sel, text, cls = "") {
  const n = $(sel);
  n.className = cls;
  n.textContent = text;
}

function badge(level) {
  return el("span", { class: "badge " + level }, (levelZh[level] || level) + " " + level);
}

function levelIndex(l) { return levels.indexOf(l); }

// ---- editor: line numbers, cursor, error line ----

let gutterLines = 0;
let errorLine = 0;

function updateGutter() {
  const n = draft().value.split("\n").length;
  if (n !== gutterLines || $("#gutter").dataset.err !== String(errorLine)) {
    const frag = [];
    for (let i = 1; i <= n; i++) frag.push(el("span", { class: i === errorLine ? "err" : "" }, String(i)), "\n");
    $("#gutter").replaceChildren(...frag);
    $("#gutter").dataset.err = String(errorLine);
    gutterLines = n;
  }
  $("#gutter").scrollTop = draft().scrollTop;
}

function updateCursor() {
  const ta = draft();
  const before = ta.value.slice(0, ta.selectionStart);
  const line = before.split("\n").length;
  const col = runeLen(before.slice(before.lastIndexOf("\n") + 1)) + 1;
  const total = ta.value.split("\n").length;
  const kb = (byteLen(ta.value) / 1024).toFixed(1);
  const over = byteLen(ta.value) > MAX_SOURCE;
  $("#cursor").replaceChildren(`第 ${line} 行，第 ${col} 列 · 共 ${total} 行 · `,
    el("span", { class: over ? "error" : "" }, `${kb} KB / 64 KB`),
    el("span", { class: "en" }, ` line ${line}, col ${col}`));
}

function updateDirty() {
  const dirty = isDirty();
  $("#dirty").replaceChildren(dirty ? el("span", { class: "dirty" }, "● 有未发布的修改 ", el("span", { class: "en" }, "Unpublished changes"))
    : el("span", {}, "与已发布版本相同 ", el("span", { class: "en" }, "Same as published")));
  $("#pub-base").textContent = published ? `将作为第 ${(published.version || 0) + 1} 版发布（基于第 ${base} 版）` : "";
}

function isDirty() { return draft().value !== savedSource; }

function onEdit() {
  updateGutter();
  updateCursor();
  updateDirty();
  saveLocal();
}

// onInput marks what was worked out from an earlier draft as possibly stale.
function onInput() {
  onEdit();
  const box = $("#draft-error");
  if (!box.classList.contains("hidden") && !box.querySelector(".stale")) {
    box.append(el("p", { class: "stale" }, "草稿已修改，请点“检查草稿”重新检查。 Changed since: check again."));
  }
  if (!$("#check-out").classList.contains("hidden")) {
    say("#check-msg", "草稿已修改，下面的结果可能已过时，请重新检查。 The draft changed: check again.", "warn");
  }
}

// selectLine selects line n of the draft and scrolls it into view.
function selectLine(n) {
  const ta = draft();
  const lines = ta.value.split("\n");
  if (n < 1 || n > lines.length) return;
  let start = 0;
  for (let i = 0; i < n - 1; i++) start += lines[i].length + 1;
  ta.focus();
  ta.setSelectionRange(start, start + lines[n - 1].length);
  const lh = parseFloat(getComputedStyle(ta).lineHeight) || 20;
  ta.scrollTop = Math.max(0, (n - 1) * lh - ta.clientHeight / 3);
  updateGutter();
  updateCursor();
}

function showDraftError(line, message) {
  errorLine = line || 0;
  const box = $("#draft-error");
  box.classList.remove("hidden");
  box.replaceChildren(
    el("strong", {}, line ? `草稿第 ${line} 行有错误 ` : "草稿有错误 "),
    el("span", { class: "en" }, line ? `Error on line ${line}` : "Error"), el("br"),
    el("span", { class: "msg" }, message || ""));
  if (line) {
    box.append(" ", el("button", { type: "button", onclick: () => selectLine(line) }, "跳到这一行 Go to line"));
    selectLine(line);
  }
  updateGutter();
}

function clearDraftError() {
  errorLine = 0;
  $("#draft-error").classList.add("hidden");
  $("#draft-error").replaceChildren();
  updateGutter();
}

// setEditor replaces the draft; with undo, the previous text can be put back.
function setEditor(text, undo) {
  undoSource = undo ? draft().value : null;
  $("#undo-wrap").classList.toggle("hidden", undoSource === null);
  draft().value = text;
  clearDraftError();
  onEdit();
}

// ---- localStorage: the draft rule text only ----

const localKey = () => "xinqiao.rules.draft." + (staff ? staff.id : "");
let saveTimer = 0;

function saveLocal(now) {
  clearTimeout(saveTimer);
  const save = () => {
    try {
      if (isDirty()) localStorage.setItem(localKey(), JSON.stringify({ source: draft().value, base, at: new Date().toISOString() }));
      else localStorage.removeItem(localKey());
    } catch { /* storage full or disabled: the guard still warns */ }
  };
  if (now || !isDirty()) save();
  else saveTimer = setTimeout(save, 400);
}

function offerRestore() {
  let kept = null;
  try { kept = JSON.parse(localStorage.getItem(localKey()) || "null"); } catch { kept = null; }
  const box = $("#restore");
  if (!kept || typeof kept.source !== "string" || kept.source === savedSource) {
    box.classList.add("hidden");
    return;
  }
  const stale = kept.base !== published.version;
  box.classList.remove("hidden");
  box.replaceChildren(
    el("span", {}, `这台电脑上有你 ${when(kept.at)} 未发布的草稿（基于第 ${kept.base} 版）` +
      (stale ? `，之后已有第 ${published.version} 版发布，恢复后发布时会提示冲突。` : "。")),
    el("span", { class: "en" }, " An unpublished draft was kept on this computer. "),
    el("button", { type: "button", id: "do-restore", onclick: () => { base = Number.isInteger(kept.base) ? kept.base : published.version; setEditor(kept.source, true); box.classList.add("hidden"); } }, "恢复 Restore"),
    " ",
    el("button", { type: "button", onclick: () => { try { localStorage.removeItem(localKey()); } catch { /* ignore */ } box.classList.add("hidden"); } }, "丢弃 Discard"));
}

// ---- status, rules in force, history ----

function renderStatus(r) {
  published = r;
  const v = $("#status-version");
  if (!r.version) {
    v.replaceChildren("还没有发布过区规则 ", el("span", { class: "en" }, "No district rules published yet"));
    $("#status-note").textContent = "现在只有内置规则在起作用。";
  } else {
    v.replaceChildren(`已发布第 ${r.version} 版`, " ", el("span", { class: "en" }, `Version ${r.version}`),
      el("span", { class: "muted" }, ` · ${r.author_name || r.author || ""} · ${when(r.created_at)}`));
    $("#status-note").replaceChildren(el("span", { class: "muted" }, "说明 Note："), r.note || "");
  }
  const n = (r.rules || []).length;
  $("#status-counts").replaceChildren(`区规则 ${n} 条 · 内置规则 ${r.builtin_rules ?? "?"} 条 `,
    el("span", { class: "en" }, `${n} district rules, ${r.builtin_rules ?? "?"} built-in`));

  const warn = $("#not-in-force");
  if (r.version && r.in_force === false) {
    warn.classList.remove("hidden");
    warn.replaceChildren(
      el("strong", {}, `⚠ 已发布的第 ${r.version} 版区规则在这台服务器上没有生效！`), " ",
      el("span", { class: "en" }, "The published district rules are NOT in force here."), el("br"),
      "刚发布的版本几秒内生效，可以稍后刷新；如果下面说它无法编译，现在只有内置规则和规则文件夹在起作用，请在草稿中修正后重新发布。", el("br"),
      el("span", { class: "msg" }, "原因 Reason：" + (r.error || "")));
  } else {
    warn.classList.add("hidden");
    warn.replaceChildren();
  }

  $("#rules-n").textContent = `${n} 条`;
  const tbody = $("#rules tbody");
  tbody.replaceChildren(...(n ? r.rules.map(ruleRow) :
    [el("tr", {}, el("td", { colspan: 7, class: "muted" }, "还没有区规则 None yet"))]));
  updateDirty();
}

function ruleRow(x) {
  return el("tr", {},
    el("td", { class: "mono" }, x.id),
    el("td", {}, langZh[x.lang] || x.lang || ""),
    el("td", {}, categoryZh[x.category] || x.category || ""),
    el("td", {}, badge(x.level)),
    el("td", { class: "pats" }, (x.patterns || []).join(" | ")),
    el("td", {}, x.note || ""),
    el("td", { class: "mono" }, x.source || ""));
}

async function loadStatus() {
  const r = await api("GET", "/api/risk/rules");
  renderStatus(r);
  return r;
}

async function loadHistory() {
  const tbody = $("#history tbody");
  say("#history-msg", "");
  try {
    const vs = await api("GET", "/api/risk/rules/versions");
    tbody.replaceChildren(...(vs && vs.length ? vs.map((v) => el("tr", { "data-version": v.version },
      el("td", {}, `第 ${v.version} 版`, published && v.version === published.version ? el("span", { class: "badge current" }, "现行 current") : ""),
      el("td", {}, v.author_name || v.author || ""),
      el("td", {}, when(v.created_at)),
      el("td", { class: "note" }, v.note || ""),
      el("td", {}, el("button", { type: "button", class: "act-load", onclick: () => loadVersion(v.version) }, "载入草稿 ", el("span", { class: "en" }, "Load into draft"))))) :
      [el("tr", {}, el("td", { colspan: 5, class: "muted" }, "还没有发布过 Nothing published yet"))]));
  } catch (e) {
    say("#history-msg", problem(e), "error");
  }
}

async function loadVersion(n) {
  say("#history-msg", "");
  try {
    const v = await api("GET", "/api/risk/rules/versions/" + encodeURIComponent(n));
    setEditor(v.source || "", true);
    say("#draft-msg", `已把第 ${n} 版载入草稿（发布人 ${v.author_name || v.author || ""}）。检查后填写说明再发布，就恢复到了这一版。可以点“撤销载入”找回之前的草稿。`, "ok");
    $("#sec-draft").scrollIntoView({ block: "start" });
  } catch (e) {
    say("#history-msg", problem(e), "error");
  }
}

// ---- add a pattern ----

function existingIDs() {
  const ids = new Set();
  for (const m of draft().value.matchAll(/^\s*(?:rule|combo)\s+(\S+)/gm)) ids.add(m[1]);
  for (const r of (published && published.rules) || []) ids.add(r.id);
  return ids;
}

// phrasesFrom cleans the phrases of the form, or throws a message.
function phrasesFrom(raw) {
  const out = [];
  const seen = new Set();
  const bad = [];
  for (let p of raw.split(/\r?\n/)) {
    p = p.replace(/[\s\u3000]+/g, " ").trim();
    if (!p) continue;
    if (/[|{}#]/.test(p)) { bad.push(`“${p}”含有 | { } # 这类符号（规则文件里有特殊含义），请去掉`); continue; }
    if (/^\*|\*$|\*\s*\*/.test(p.replace(/\$$/, ""))) { bad.push(`“${p}”的 * 两边都要有字`); continue; }
    if (p.slice(0, -1).includes("$")) { bad.push(`“${p}”里的 $ 只能放在最后（表示句末）`); continue; }
    if (runeLen(p) > MAX_PHRASE) { bad.push(`“${p.slice(0, 20)}…”太长（最多 ${MAX_PHRASE} 字），请只写关键的说法`); continue; }
    const key = p.toLowerCase();
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(p);
  }
  if (bad.length) throw new Error(bad.join("；"));
  if (!out.length) throw new Error("请至少写一个说法 Write at least one phrase");
  if (out.length > MAX_PHRASES) throw new Error(`一次最多 ${MAX_PHRASES} 个说法（现在 ${out.length} 个），请分几次添加`);
  return out;
}

function addPattern(ev) {
  ev.preventDefault();
  let phrases;
  try { phrases = phrasesFrom($("#add-phrases").value); }
  catch (e) { say("#add-msg", e.message, "error"); return; }
  const lang = $("#add-lang").value, category = $("#add-category").value, level = $("#add-level").value;
  const note = $("#add-note").value.replace(/\s+/g, " ").trim();
  const desc = $("#add-desc").value.replace(/\s+/g, " ").trim();
  const ids = existingIDs();
  let n = 1;
  while (ids.has(`district.${category}.${n}`)) n++;
  const id = `district.${category}.${n}`;
  const today = new Date().toLocaleDateString("sv-SE"); // YYYY-MM-DD
  const lines = [
    `# ${staff.display_name || staff.username} 添加于 ${today}`,
    `rule ${id}`,
    ...(desc ? [`desc: ${desc}`] : []),
    `lang: ${lang}`,
    `category: ${category}`,
    `level: ${level}`,
    `match: ${phrases.join(" | ")}`,
  ];
  if ($("#add-neg").checked) lines.push(`unless: neg before ${lang === "en" ? 8 : 1}`);
  if (note) lines.push(`note: ${note}`);
  const block = lines.join("\n") + "\n";
  let cur = draft().value;
  if (cur && !cur.endsWith("\n")) cur += "\n";
  if (cur.trim()) cur += "\n";
  const next = cur + block;
  if (byteLen(next) > MAX_SOURCE) { say("#add-msg", "加入后草稿会超过 64 KB，请先删减草稿", "error"); return; }
  undoSource = null;
  $("#undo-wrap").classList.add("hidden");
  draft().value = next;
  clearDraftError();
  onEdit();
  const startLine = next.split("\n").length - lines.length;
  const ta = draft();
  const start = next.length - block.length;
  ta.setSelectionRange(start, next.length - 1);
  const lh = parseFloat(getComputedStyle(ta).lineHeight) || 20;
  ta.scrollTop = Math.max(0, (startLine - 1) * lh - ta.clientHeight / 3);
  updateGutter();
  updateCursor();
  $("#add-phrases").value = "";
  $("#add-desc").value = "";
  say("#add-msg", `已加入草稿：规则 ${id}（${phrases.length} 个说法，${levelZh[level]} ${level}）。请在下面“试一试”检查，再发布。 Added to the draft.`, "ok");
}

// ---- try it ----

function textsFrom() {
  const texts = $("#try-texts").value.split(/\r?\n/).map((s) => s.trim()).filter(Boolean);
  if (texts.length > MAX_TEXTS) throw new Error(`最多检查 ${MAX_TEXTS} 句（现在 ${texts.length} 句） At most ${MAX_TEXTS} sentences`);
  const long = texts.findIndex((t) => runeLen(t) > MAX_TEXT);
  if (long >= 0) throw new Error(`第 ${long + 1} 句超过 ${MAX_TEXT} 字（${runeLen(texts[long])} 字） Sentence ${long + 1} is too long`);
  return texts;
}

function checkSource() {
  const src = draft().value;
  const n = byteLen(src);
  if (n > MAX_SOURCE) throw new Error(`草稿有 ${(n / 1024).toFixed(1)} KB，超过 64 KB 的上限，请删减 The draft is over 64 KB`);
  return src;
}

// highlighted shows text with the spans matched now and by the draft
// marked; offsets are runes (code points), as the server counts them.
function highlighted(text, cur, dr) {
  const runes = Array.from(text);
  const flag = new Uint8Array(runes.length);
  const who = runes.map(() => new Set());
  const mark = (ms, bit) => {
    for (const m of ms || []) {
      for (let i = Math.max(0, m.start); i < Math.min(runes.length, m.end); i++) { flag[i] |= bit; who[i].add(m.rule); }
    }
  };
  mark(cur && cur.matches, 1);
  mark(dr && dr.matches, 2);
  const out = el("span", { class: "sentence" });
  let i = 0;
  while (i < runes.length) {
    let j = i;
    while (j < runes.length && flag[j] === flag[i]) j++;
    const piece = runes.slice(i, j).join("");
    if (flag[i]) {
      const rules = new Set();
      for (let k = i; k < j; k++) for (const r of who[k]) rules.add(r);
      out.append(el("mark", { class: ["", "hl-cur", "hl-draft", "hl-both"][flag[i]], title: [...rules].join(", ") }, piece));
    } else out.append(piece);
    i = j;
  }
  return out;
}

function resultCell(res, missing) {
  if (!res) return el("td", { class: "muted" }, missing);
  const rules = res.rules || [];
  return el("td", {}, badge(res.level),
    rules.length ? el("div", { class: "mono small" }, rules.join(", ")) : "",
    (res.categories || []).length ? el("div", { class: "muted small" }, res.categories.map((c) => categoryZh[c] || c).join("、")) : "");
}

function sameRules(a, b) {
  const x = [...(a || [])].sort().join(","), y = [...(b || [])].sort().join(",");
  return x === y;
}

function renderCheck(r) {
  $("#check-out").classList.remove("hidden");
  const rows = (r.results || []).map((x) => {
    const cur = x.current, dr = r.ok ? x.draft : null;
    let tag = null, cls = "";
    if (dr && cur) {
      const d = levelIndex(dr.level) - levelIndex(cur.level);
      if (d > 0) { tag = el("span", { class: "delta up" }, "▲ 草稿升高 raised"); cls = "differs"; }
      else if (d < 0) { tag = el("span", { class: "delta down" }, "▼ 草稿降低 lowered"); cls = "differs lowered"; }
      else if (!sameRules(cur.rules, dr.rules)) { tag = el("span", { class: "delta" }, "≠ 命中规则不同 other rules"); cls = "differs"; }
    }
    return el("tr", { class: cls },
      el("td", {}, highlighted(x.text, cur, dr), tag ? el("div", {}, tag) : ""),
      resultCell(cur, "—"),
      resultCell(dr, "草稿无法编译 draft does not compile"));
  });
  $("#results tbody").replaceChildren(...(rows.length ? rows :
    [el("tr", {}, el("td", { colspan: 3, class: "muted" }, "没有输入句子：只检查了草稿能否编译和参考用例。 No sentences given."))]));

  // Lowered first (the server lists them first), then look-alikes the draft would raise above their label.
  const rank = (c) => (c.lowered ? 2 : c.raised ? 1 : 0);
  const changed = [...(r.changed || [])].sort((a, b) => rank(b) - rank(a));
  const nLow = changed.filter((c) => c.lowered).length;
  const nRaised = changed.filter((c) => c.raised).length;
  const total = Math.max(r.changed_total || 0, changed.length);
  const sum = $("#cases-summary");
  if (!r.ok) sum.replaceChildren(el("span", { class: "muted" }, "草稿无法编译，参考用例没有运行。"));
  else if (!changed.length) sum.replaceChildren(`共运行 ${r.cases ?? 0} 条参考用例，结果都没有变化。 `, el("span", { class: "en" }, `${r.cases ?? 0} reference cases run, none changed.`));
  else sum.replaceChildren(`共运行 ${r.cases ?? 0} 条参考用例，${total} 条结果有变化`,
    nLow ? el("strong", { class: "error" }, `，其中${total > changed.length && nLow === changed.length ? "至少" : ""} ${nLow} 条等级降低`) : "",
    nRaised ? `，${nRaised} 条本应不报警的相似句会被升到警报等级` : "",
    total > changed.length ? `（只列出前 ${changed.length} 条，降低的在最前）` : "", "。 ",
    el("span", { class: "en" }, `${r.cases ?? 0} cases run, ${total} changed, ${nLow} lowered, ${nRaised} look-alikes raised above their label.`));
  $("#changed").classList.toggle("hidden", !changed.length);
  $("#changed tbody").replaceChildren(...changed.map((c) => el("tr", { class: c.lowered ? "lowered" : "" },
    el("td", { class: "mono small" }, c.case || ""),
    el("td", {}, c.text || ""),
    el("td", {}, c.want || ""),
    el("td", {}, badge(c.current)),
    el("td", {}, badge(c.draft), c.lowered ? el("div", { class: "delta down" }, "▼ 降低 lowered")
      : c.raised ? el("div", { class: "delta up" }, "▲ 误报 false alarm") : ""))));

  const dr = r.rules || [];
  $("#draft-rules-n").textContent = `（${dr.length} 条）`;
  $("#draft-rules tbody").replaceChildren(...dr.map((x) => el("tr", {},
    el("td", { class: "mono" }, x.id), el("td", {}, langZh[x.lang] || x.lang || ""),
    el("td", {}, categoryZh[x.category] || x.category || ""), el("td", {}, badge(x.level)),
    el("td", { class: "pats" }, (x.patterns || []).join(" | ")), el("td", { class: "mono" }, x.source || ""))));
}

// check runs the draft and the sentences through POST /check.
async function check(texts) {
  const source = checkSource();
  const r = await api("POST", "/api/risk/rules/check", { source, texts });
  if (r.ok) clearDraftError();
  else showDraftError(r.error && r.error.line, r.error && r.error.message);
  return r;
}

async function onCheck() {
  let texts, r;
  try { texts = textsFrom(); } catch (e) { say("#check-msg", e.message, "error"); return; }
  say("#check-msg", "检查中… Checking", "muted");
  $("#do-check").disabled = true;
  try {
    r = await check(texts);
  } catch (e) {
    say("#check-msg", e.status ? problem(e) : e.message, "error");
    return;
  } finally { $("#do-check").disabled = false; }
  renderCheck(r);
  say("#check-msg", r.ok ? "草稿可以编译。 The draft compiles." : `草稿第 ${r.error && r.error.line} 行有错误，见上方。 The draft does not compile.`, r.ok ? "ok" : "error");
}

// ---- publish ----

function showLowered(r) {
  const box = $("#lowered");
  const cases = (r && r.changed ? r.changed : []).filter((c) => c.lowered);
  const atLeast = r && (r.changed_total || 0) > r.changed.length && cases.length === r.changed.length ? "至少" : "";
  box.classList.remove("hidden");
  const list = el("ul", {}, ...cases.slice(0, 20).map((c) => el("li", {}, `${c.case}：“${c.text}” 应为 ${c.want}，现在 ${c.current} → 草稿 ${c.draft}`)));
  box.replaceChildren(
    el("strong", {}, `这份草稿会让${atLeast} ${cases.length || "一些"} 条参考用例的风险等级降低。`), " ",
    el("span", { class: "en" }, "Reference cases would be graded lower."), list);
  if (cases.length > 20) box.append(el("p", {}, `……还有 ${cases.length - 20} 条，见“试一试”中的参考用例。`));
  if (canAccept()) {
    box.append(el("label", { class: "check" }, el("input", { type: "checkbox", id: "accept-lowered" }),
      " 我已逐条核对，接受这些等级降低 ", el("span", { class: "en" }, "I accept this")),
      el("p", { class: "muted" }, "勾选后再点“发布草稿”。"));
  } else {
    box.append(el("p", {}, "降低参考用例的等级需要主管或管理员确认后发布。请修改草稿（例如加上 unless 条件），或请主管审核这份草稿。 ",
      el("span", { class: "en" }, "A supervisor must accept lowering.")));
  }
  if (r) renderCheck(r);
}

async function showConflict(e) {
  const box = $("#conflict");
  box.classList.remove("hidden");
  box.replaceChildren(el("strong", {}, "发布冲突：在你编辑期间，已经有人发布了新版本。 "),
    el("span", { class: "en" }, "Someone published after the version your draft is based on."),
    el("p", {}, "你的草稿还在编辑器里，没有丢失。 Your draft is kept."),
    el("p", { class: "muted" }, e.message || ""));
  let latest;
  try { latest = await loadStatus(); loadHistory(); } catch { latest = null; }
  if (!latest) return;
  const mine = draft().value;
  box.append(
    el("p", {}, `最新是第 ${latest.version} 版：${latest.author_name || latest.author || ""}，${when(latest.created_at)}，说明“${latest.note || ""}”。`),
    el("div", { class: "row" },
      el("button", { type: "button", id: "conflict-load", onclick: () => {
        base = latest.version;
        savedSource = latest.source || "";
        setEditor(savedSource, true);
        box.replaceChildren(el("p", {}, `已载入第 ${latest.version} 版。你原来的草稿在下面，可以把需要的部分复制进编辑器，或点“撤销载入”换回。`),
          el("textarea", { readonly: "", rows: 8, class: "mine", "aria-label": "你的草稿 Your draft" }));
        box.querySelector("textarea").value = mine;
      } }, "载入最新版本，我来合并 Load latest and merge"),
      el("button", { type: "button", id: "conflict-keep", onclick: () => {
        base = latest.version;
        box.classList.add("hidden");
        updateDirty();
        say("#pub-msg", `下次发布将以第 ${latest.version} 版为基础，用你的草稿替换它。请先确认同事在第 ${latest.version} 版里的修改没有被你删掉。`, "warn");
      } }, "保留我的草稿 Keep mine")));
  updateDirty();
}

async function publish(ev) {
  ev.preventDefault();
  say("#pub-msg", "");
  const note = $("#pub-note").value.trim();
  if (!note) { say("#pub-msg", "请填写发布说明：改了什么、为什么。 A note is required.", "error"); $("#pub-note").focus(); return; }
  let source;
  try { source = checkSource(); } catch (e) { say("#pub-msg", e.message, "error"); return; }
  if (published && published.version && source === published.source && published.in_force !== false) {
    say("#pub-msg", "草稿和已发布的版本一样，不需要发布。 Nothing changed.", "error");
    return;
  }
  const acceptBox = $("#accept-lowered");
  const accept = !!(lowered && acceptBox && acceptBox.checked);
  $("#do-publish").disabled = true;
  say("#pub-msg", "发布中… Publishing", "muted");
  try {
    const v = await api("PUT", "/api/risk/rules", { source, base_version: base, note, accept_lowered: accept });
    lowered = false;
    $("#lowered").classList.add("hidden");
    $("#conflict").classList.add("hidden");
    $("#pub-note").value = "";
    const r = await loadStatus().catch(() => v);
    if (r !== v) renderStatus(r);
    base = r.version;
    savedSource = r.source ?? source;
    setEditor(draft().value === source ? savedSource : draft().value, false);
    try { localStorage.removeItem(localKey()); } catch { /* ignore */ }
    loadHistory();
    say("#pub-msg", `已发布第 ${v.version} 版，几秒内在所有服务器生效。 Version ${v.version} published.`, "ok");
  } catch (e) {
    await publishFailed(e, source, accept);
  } finally {
    $("#do-publish").disabled = false;
  }
}

async function publishFailed(e, source, accept) {
  if (e.status === 409 && e.code === "conflict") {
    say("#pub-msg", "没有发布：有人先发布了新版本，见上方。 Not published: conflict.", "error");
    await showConflict(e);
    return;
  }
  if (e.status === 409 && e.code === "lowered") {
    lowered = true;
    say("#pub-msg", "没有发布：有参考用例的等级会降低，见上方。 Not published: cases would be lowered.", "error");
    let r = null;
    try { r = await api("POST", "/api/risk/rules/check", { source, texts: textsFrom() }); } catch { r = null; }
    showLowered(r);
    return;
  }
  if (e.status === 403) {
    // A counselor's draft that lowers reference cases is refused with 403:
    // show which cases, so that they can change the draft or ask a supervisor.
    let r = null;
    try { r = await api("POST", "/api/risk/rules/check", { source, texts: textsFrom() }); } catch { r = null; }
    if (r && r.ok && (r.changed || []).some((c) => c.lowered)) {
      lowered = true;
      say("#pub-msg", "没有发布：这份草稿会降低参考用例的等级，需要主管或管理员审核发布。 Not published: a supervisor must publish a change that lowers cases.", "error");
      showLowered(r);
      return;
    }
    say("#pub-msg", accept ? "没有发布：只有主管或管理员可以接受参考用例等级降低。 Only a supervisor can accept lowering." : problem(e), "error");
    return;
  }
  if (e.status === 400) {
    say("#pub-msg", problem(e, "没有发布：草稿无法编译"), "error");
    if (e.line) showDraftError(e.line, e.message); // a compile error; other 400s (the note) have no line
    return;
  }
  say("#pub-msg", problem(e, "没有发布"), "error");
}

// ---- start ----

function deny(text) {
  $("#app").classList.add("hidden");
  const d = $("#denied");
  d.classList.remove("hidden");
  d.replaceChildren(el("strong", {}, text), el("br"),
    el("span", { class: "en" }, "The district risk rules are for counselors, supervisors and admins."));
}

async function main() {
  staff = await requireLogin($("#login"));
  $("#who").textContent = staff.display_name;
  $("#logout").classList.remove("hidden");
  $("#logout").addEventListener("click", logout);
  if (!["counselor", "supervisor", "admin"].includes(staff.role)) {
    deny("风险规则只对心理老师、主管和管理员开放。你的账号没有这个权限（教研员请使用知识库页面）。");
    return;
  }
  say("#load-msg", "加载中… Loading", "muted");
  let r;
  try {
    r = await loadStatus();
  } catch (e) {
    if (e.status === 403) deny("你的账号没有查看风险规则的权限。");
    else say("#load-msg", problem(e, "读取规则失败"), "error");
    return;
  }
  say("#load-msg", "");
  $("#app").classList.remove("hidden");
  base = r.version || 0;
  savedSource = r.source || "";
  setEditor(savedSource, false);
  // Point at the broken line of a published version that no longer compiles.
  if (r.version && r.in_force === false && r.error) {
    const m = /:(\d+):/.exec(r.error);
    if (m) { errorLine = Number(m[1]); updateGutter(); }
  }
  offerRestore();
  loadHistory();
  initModel(staff, textsFrom);

  const ta = draft();
  ta.addEventListener("input", onInput);
  ta.addEventListener("scroll", () => { $("#gutter").scrollTop = ta.scrollTop; });
  for (const ev of ["keyup", "click", "select", "focus"]) ta.addEventListener(ev, updateCursor);
  ta.addEventListener("keydown", (ev) => {
    if (ev.key === "Tab" && !ev.shiftKey && !ev.ctrlKey && !ev.metaKey) { // indent instead of leaving the editor
      ev.preventDefault();
      ta.setRangeText("  ", ta.selectionStart, ta.selectionEnd, "end");
      onInput();
    }
  });
  $("#add-form").addEventListener("submit", addPattern);
  $("#do-check").addEventListener("click", onCheck);
  $("#pub-form").addEventListener("submit", publish);
  $("#do-reset").addEventListener("click", () => {
    if (!published) return;
    base = published.version || 0;
    savedSource = published.source || "";
    setEditor(savedSource, true);
    say("#draft-msg", "草稿已恢复为已发布版本。可以点“撤销载入”找回之前的草稿。", "ok");
  });
  $("#do-undo").addEventListener("click", () => {
    if (undoSource === null) return;
    const prev = undoSource;
    setEditor(prev, false);
    say("#draft-msg", "已换回之前的草稿。", "ok");
  });
  window.addEventListener("pagehide", () => { if (published) saveLocal(true); });
  window.addEventListener("beforeunload", (ev) => {
    if (!isDirty()) return;
    ev.preventDefault();
    ev.returnValue = "";
  });
}

main();
