// The district risk model on the rules page: which model is in force, a
// check of an uploaded model.bin (the try-it sentences and our reference
// cases, now and with the candidate), publishing by a supervisor with
// lowered-case acceptance and stale-base conflicts as for the rules, going
// back to the built-in model, and the history. The weights travel as base64
// in JSON; nothing of the file is kept in the browser.
import { api, el } from "/static/staff.js";

const $ = (s) => document.querySelector(s);
const MAX_MODEL = 20 << 20; // bytes, as the server counts them
const levelZh = { none: "无", low: "低", medium: "中", high: "高", imminent: "紧急" };
const problemZh = { 400: "内容有误", 401: "登录已过期，请刷新页面重新登录", 403: "没有权限", 413: "文件太大", 503: "服务暂时不可用，请稍后再试" };

let staff = null;
let textsFrom = () => [];
let status = null; // the last GET /api/risk/model
let base = 0; // base_version sent on publish: the version the check was made against
let lowered = false; // the last publish was refused because cases were lowered

const canPublish = () => staff && (staff.role === "supervisor" || staff.role === "admin");
const when = (iso) => (iso ? new Date(iso).toLocaleString("zh-CN", { hour12: false }) : "");
const badge = (level) => el("span", { class: "badge " + level }, (levelZh[level] || level) + " " + level);

function say(sel, text, cls = "") {
  const n = $(sel);
  n.className = cls;
  n.textContent = text;
}

function problem(e, zh) {
  return (zh || problemZh[e.status] || "出错了，请稍后再试") + "。" + (e.message ? " " + e.message : "");
}

function describe(m) {
  if (!m) return "";
  return m.builtin ? "内置模型 built-in" : `阈值 thresholds ${m.threshold_risk.toFixed(3)} / ${m.threshold_high.toFixed(3)}`;
}

function renderStatus(r) {
  status = r;
  if (!r.version) {
    $("#model-status").replaceChildren("现在用的是内置模型 ", el("span", { class: "en" }, "The built-in model is in force"));
    $("#model-note").textContent = "还没有发布过区模型。";
  } else {
    const what = r.bytes ? `区模型第 ${r.version} 版` : `第 ${r.version} 版：改回内置模型`;
    $("#model-status").replaceChildren(what, " ", el("span", { class: "en" }, `Version ${r.version}`),
      el("span", { class: "muted" }, ` · ${r.author_name || r.author || ""} · ${when(r.created_at)} · ${describe(r.model)}`));
    $("#model-note").replaceChildren(el("span", { class: "muted" }, "说明 Note："), r.note || "");
  }
  const warn = $("#model-not-in-force");
  if (r.version && r.in_force === false) {
    warn.classList.remove("hidden");
    warn.replaceChildren(el("strong", {}, `⚠ 已发布的第 ${r.version} 版区模型在这台服务器上没有生效。`), " ",
      el("span", { class: "en" }, "The published model is NOT in force here; the model shown above is."), el("br"),
      el("span", { class: "msg" }, "原因 Reason：" + (r.error || "")));
  } else {
    warn.classList.add("hidden");
  }
}

async function loadStatus() {
  const r = await api("GET", "/api/risk/model");
  renderStatus(r);
  return r;
}

async function loadHistory() {
  const tbody = $("#model-history tbody");
  try {
    const vs = await api("GET", "/api/risk/model/versions");
    tbody.replaceChildren(...(vs.length ? vs.map((v) => el("tr", { "data-version": v.version },
      el("td", {}, `第 ${v.version} 版`, status && v.version === status.version ? el("span", { class: "badge current" }, "现行 current") : ""),
      el("td", {}, v.author_name || v.author || ""),
      el("td", {}, when(v.created_at)),
      el("td", { class: "note" }, v.note || ""),
      el("td", {}, v.bytes ? `${(v.bytes / 1024).toFixed(0)} KB` : "内置 built-in"))) :
      [el("tr", {}, el("td", { colspan: 5, class: "muted" }, "还没有发布过 Nothing published yet"))]));
  } catch (e) {
    tbody.replaceChildren(el("tr", {}, el("td", { colspan: 5, class: "error" }, problem(e))));
  }
}

// weights reads the chosen file as base64, or throws a message to show.
async function weights() {
  const f = $("#model-file").files[0];
  if (!f) throw new Error("请先选择模型文件 model.bin。 Choose a model file first.");
  if (f.size > MAX_MODEL) throw new Error(`文件有 ${(f.size / 1048576).toFixed(1)} MB，超过 20 MB 的上限。 The file is over 20 MB.`);
  if (f.size === 0) throw new Error("文件是空的。 The file is empty.");
  const url = await new Promise((resolve, reject) => {
    const rd = new FileReader();
    rd.onload = () => resolve(rd.result);
    rd.onerror = () => reject(new Error("读取文件失败 Could not read the file"));
    rd.readAsDataURL(f);
  });
  return String(url).slice(String(url).indexOf(",") + 1);
}

function renderCheck(r) {
  $("#model-check-out").classList.remove("hidden");
  const low = (r.changed || []).filter((c) => c.lowered).length;
  $("#model-summary").replaceChildren(
    `${r.cases} 条参考用例中，${r.changed_total} 条的等级会变化，其中 ${low} 条降低。 `,
    el("span", { class: "en" }, `${r.changed_total} of ${r.cases} reference cases change, ${low} lowered.`),
    el("span", { class: "muted" }, ` ${describe(r.model)}${r.sha256 ? " · sha256 " + r.sha256.slice(0, 12) : ""}`));
  $("#model-results tbody").replaceChildren(...(r.results || []).map((x) => el("tr", {},
    el("td", {}, x.text), el("td", {}, badge(x.current.level)), el("td", {}, badge(x.draft.level)))));
  const tb = $("#model-changed");
  tb.classList.toggle("hidden", !(r.changed || []).length);
  tb.querySelector("tbody").replaceChildren(...(r.changed || []).map((c) => el("tr", { class: c.lowered ? "lowered" : "" },
    el("td", { class: "mono" }, c.case), el("td", {}, c.text), el("td", {}, c.want),
    el("td", {}, badge(c.current)), el("td", {}, badge(c.draft)))));
}

async function check(b64) {
  return api("POST", "/api/risk/model/check", { weights: b64, texts: textsFrom() });
}

async function onCheck() {
  say("#model-check-msg", "");
  let b64;
  try { b64 = await weights(); } catch (e) { say("#model-check-msg", e.message, "error"); return; }
  $("#do-model-check").disabled = true;
  say("#model-check-msg", "检查中… Checking", "muted");
  try {
    const cur = await loadStatus().catch(() => status);
    const r = await check(b64);
    base = cur ? cur.version : base;
    renderCheck(r);
    say("#model-check-msg", `模型可以使用，检查基于区模型第 ${base} 版。 The model reads; checked against version ${base}.`, "ok");
  } catch (e) {
    say("#model-check-msg", problem(e, "这个文件不能用"), "error");
  } finally {
    $("#do-model-check").disabled = false;
  }
}

function showLowered(r) {
  const box = $("#model-lowered");
  const cases = (r && r.changed ? r.changed : []).filter((c) => c.lowered);
  box.classList.remove("hidden");
  box.replaceChildren(el("strong", {}, `新模型会让 ${cases.length || "一些"} 条参考用例的风险等级降低。`), " ",
    el("span", { class: "en" }, "Reference cases would be graded lower."),
    el("ul", {}, ...cases.slice(0, 20).map((c) => el("li", {}, `${c.case}：“${c.text}” 应为 ${c.want}，现在 ${c.current} → 新模型 ${c.draft}`))),
    el("label", { class: "check" }, el("input", { type: "checkbox", id: "model-accept" }),
      " 我已逐条核对，接受这些等级降低 ", el("span", { class: "en" }, "I accept this")),
    el("p", { class: "muted" }, "勾选后再点“发布模型”。"));
  if (r) renderCheck(r);
}

async function showConflict(e) {
  const box = $("#model-conflict");
  box.classList.remove("hidden");
  let latest = null;
  try { latest = await loadStatus(); loadHistory(); } catch { latest = null; }
  box.replaceChildren(el("strong", {}, "发布冲突：在你检查之后，已经有人发布了新的区模型。 "),
    el("span", { class: "en" }, "Someone published a model after your check."),
    el("p", {}, latest ? `最新是第 ${latest.version} 版：${latest.author_name || ""}，${when(latest.created_at)}，说明“${latest.note || ""}”。请先重新检查你的模型，再决定是否发布。` : ""),
    el("p", { class: "muted" }, e.message || ""));
  base = -1; // a new check sets it
}

async function publish(b64, builtin) {
  say("#model-pub-msg", "");
  const note = $("#model-pub-note").value.trim();
  if (!note) { say("#model-pub-msg", "请填写发布说明：用什么数据训练、为什么换。 A note is required.", "error"); $("#model-pub-note").focus(); return; }
  if (base < 0) { say("#model-pub-msg", "请先重新检查模型。 Check the model again first.", "error"); return; }
  const acceptBox = $("#model-accept");
  const accept = !!(lowered && acceptBox && acceptBox.checked);
  const body = builtin ? { builtin: true, base_version: base, note, accept_lowered: accept } : { weights: b64, base_version: base, note, accept_lowered: accept };
  $("#do-model-publish").disabled = true;
  say("#model-pub-msg", "发布中… Publishing", "muted");
  try {
    const r = await api("PUT", "/api/risk/model", body);
    lowered = false;
    $("#model-lowered").classList.add("hidden");
    $("#model-conflict").classList.add("hidden");
    $("#model-pub-note").value = "";
    renderStatus(r);
    base = r.version;
    loadHistory();
    say("#model-pub-msg", `已发布区模型第 ${r.version} 版，几秒内在所有服务器生效。 Version ${r.version} published.`, "ok");
  } catch (e) {
    if (e.status === 409 && e.code === "conflict") {
      say("#model-pub-msg", "没有发布：有人先发布了新模型，见上方。 Not published: conflict.", "error");
      await showConflict(e);
    } else if (e.status === 409 && e.code === "lowered") {
      lowered = true;
      say("#model-pub-msg", "没有发布：有参考用例的等级会降低，见上方。 Not published: cases would be lowered.", "error");
      let r = null;
      try { r = builtin ? await api("POST", "/api/risk/model/check", { texts: textsFrom() }) : await check(b64); } catch { r = null; }
      showLowered(r);
    } else {
      say("#model-pub-msg", problem(e, "没有发布"), "error");
    }
  } finally {
    $("#do-model-publish").disabled = !canPublish();
  }
}

// initModel wires the model section: who is logged in, and where the
// try-it sentences come from.
export async function initModel(who, texts) {
  staff = who;
  textsFrom = () => { try { return texts(); } catch { return []; } };
  try {
    const r = await loadStatus();
    base = r.version || 0;
  } catch (e) {
    say("#model-status", problem(e, "读取区模型失败"), "error");
  }
  loadHistory();
  $("#do-model-check").addEventListener("click", onCheck);
  $("#model-file").addEventListener("change", () => { lowered = false; $("#model-lowered").classList.add("hidden"); });
  $("#model-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    let b64;
    try { b64 = await weights(); } catch (e) { say("#model-pub-msg", e.message, "error"); return; }
    publish(b64, false);
  });
  $("#do-model-builtin").addEventListener("click", () => publish("", true));
  if (!canPublish()) {
    $("#do-model-publish").disabled = true;
    $("#do-model-builtin").disabled = true;
    say("#model-pub-msg", "只有主管或管理员可以发布区模型；你可以检查模型。 Only a supervisor publishes a model.", "muted");
  }
}
