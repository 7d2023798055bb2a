// Counselor console: the live queue over /ws/staff, the conversation with
// flagged messages highlighted, claim, live chat, notes, transfer, close.
import { api, requireLogin, logout, el, ROLE_ZH } from "/static/staff.js";
import { labelBar, loadLabels } from "/static/labels.js";

const $ = (id) => document.getElementById(id);
const LEVEL = { imminent: "紧急 imminent", high: "高 high", medium: "中 medium", low: "低 low", none: "无 none" };
const CANNED = [
  "我是学校的心理老师，我在这里，会一直陪着你。",
  "谢谢你愿意告诉我，这需要很大的勇气。",
  "你现在安全吗？身边有没有可以伤害自己的东西？",
  "你现在在学校的哪个位置？我可以请老师过来陪你。",
  "能多和我说说发生了什么吗？慢慢说，不着急。",
  "如果现在很危险，请马上拨打 110 或 120，或告诉身边的大人。",
];

let me = null;
let sock = null;
let queue = new Map(); // handoff id → handoff
// shownAt is the newest updated_at (ms) this page has taken of each handoff,
// kept after a closed one leaves the queue. The server reads each event's
// row on its own, so frames of one handoff may arrive out of order: one
// older than what the page has (a stale "active" after a newer "waiting",
// or after "closed") is ignored.
const shownAt = new Map();

// fresh records h as the page's newest copy of its handoff, unless the page
// already has a newer one; it reports whether h is to be shown.
function fresh(h) {
  const at = Date.parse(h.updated_at);
  if (Number.isNaN(at)) return true;
  const had = shownAt.get(h.id);
  if (had !== undefined && at < had) return false;
  shownAt.set(h.id, at);
  return true;
}

// take puts a handoff read from a frame or an action's answer in the
// queue, unless it is older than the copy the page has.
function take(h) {
  if (!fresh(h)) return false;
  queue.set(h.id, h);
  if (current && current.handoff.id === h.id) current.handoff = h;
  if (h.state === "closed" && !(current && current.handoff.id === h.id)) queue.delete(h.id);
  return true;
}
let current = null; // {handoff, conv, lastSeq, caseId}
let roster = [];
let typingTimer = 0;
let lastTypingSent = 0;

const clientId = () => (crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random().toString(16).slice(2));

// skew is the server's clock less this computer's, as of the last queue,
// handoff or alert frame (each carries the server's "now"): wait clocks
// count from opened_at on the server's clock, so a computer whose clock
// is behind does not show 0 秒 for minutes.
let skew = 0;
function takeNow(f) {
  const at = Date.parse(f.now);
  if (!Number.isNaN(at)) skew = at - Date.now();
}

function ago(iso) {
  const s = Math.max(0, Math.floor((Date.now() + skew - new Date(iso).getTime()) / 1000));
  if (s < 60) return `${s} 秒`;
  if (s < 3600) return `${Math.floor(s / 60)} 分 ${s % 60} 秒`;
  return `${Math.floor(s / 3600)} 小时 ${Math.floor((s % 3600) / 60)} 分`;
}

// where names the school and the place of the terminal, or says it is unregistered.
function where(h) {
  if (!h.school && !h.place) return "未登记终端 Unregistered";
  return [h.school || "学校未登记", h.place || "地点未登记"].join(" · ");
}

// Labels: every code the API sends is shown in Chinese with the English
// beside it; an unknown code is shown as it is.
const OUTCOME = {
  resolved: "已疏导 Resolved", referred: "已转介 Referred", emergency: "已报警/急救 Emergency", false_alarm: "误报 False alarm",
  no_reply: "学生离开 Student left", other: "其他 Other", reviewed: "已阅，无需跟进 Reviewed", follow_up: "转为个案跟进 Follow-up",
};
const REFERRAL = {
  parents_informed: "已告知家长 Parents informed", hospital_green_channel: "医院绿色通道 Hospital green channel",
  police_110: "已拨 110 Police", ambulance_120: "已拨 120 Ambulance", school_leadership: "已报学校 School leadership", other: "其他 Other",
};
const CATEGORY = {
  suicide: "自杀 suicide", self_harm: "自伤 self-harm", abuse: "受虐 abuse", violence: "暴力 violence", bullying: "欺凌 bullying",
  crisis: "危机 crisis", concern_for_other: "担心他人 concern for others",
};
const STAGE = {
  ideation: "想法 ideation", passive: "消极念头 passive wish", plan: "计划 plan", method: "方法 method", means: "工具 means",
  intent: "意图 intent", act: "行为 act", attempt: "尝试 attempt", prep: "准备 preparation", farewell: "告别 farewell",
  giving_away: "送出物品 giving things away", timeframe: "时间 timeframe", burden: "拖累感 burden", mention: "提到 mention",
  marks: "伤痕 marks", signs: "迹象 signs", urge: "冲动 urge", relief: "缓解 relief", starve: "节食 starving", hopeless: "绝望 hopeless",
  threat: "威胁 threat", weapon_carry: "携带凶器 carrying a weapon", weapon_school: "校园凶器 weapon at school",
};
const label = (map, code) => map[code] || code;

// DESC holds each rule id's description from the rules in force
// (GET /api/risk/rules/descriptions), loaded at start and again when a rule
// it does not know shows up (a district rule published since).
let DESC = {};
let RULE_LEVEL = {}; // rule id → the rule's own level
let descAsked = 0;
async function loadDescriptions() {
  descAsked = Date.now();
  try {
    const r = await api("GET", "/api/risk/rules/descriptions");
    DESC = r.descriptions || {};
    RULE_LEVEL = r.levels || {};
  } catch {
    return; // the category fallback below still describes every rule
  }
  if (current) { renderHead(); rerenderRules(); }
}

// REASON describes the reasons a handoff can carry that are no rule of the
// classifier: the student asked for a teacher (chat's ask_counselor).
const REASON = { "student.ask_counselor": "学生请老师来聊 the student asked for a teacher" };

// ruleText describes a rule id for a counselor in the rule's own words
// ("说想死"), the id going in the element's title. A rule without a
// description is named by its category and kind of sign ("自杀 suicide · 计划 plan").
function ruleText(id) {
  id = String(id);
  if (REASON[id]) return REASON[id];
  if (id.startsWith("模型") && DESC["模型"]) {
    // the learned model's entry, "模型 0.87，无规则": its words and its score
    const score = id.match(/^模型 ([0-9.]+)/);
    return score ? DESC["模型"] + "（评分 " + score[1] + "）" : DESC["模型"];
  }
  if (DESC[id]) return DESC[id];
  if (Date.now() - descAsked > 30000) loadDescriptions();
  const parts = id.split(".");
  if (parts[0] === "combo") return "多个信号组合 combined signals";
  const [, cat, stage] = parts;
  if (!CATEGORY[cat]) return "风险说法 risk phrase";
  return CATEGORY[cat] + (STAGE[stage] ? " · " + STAGE[stage] : "");
}

// rerenderRules redraws the rule descriptions of the open conversation's
// messages once the descriptions have arrived.
function rerenderRules() {
  for (const e of document.querySelectorAll("#log .rules[data-rules], #brief [data-rules]")) {
    e.textContent = (e.dataset.prefix || "") + shortRules(JSON.parse(e.dataset.rules));
  }
  for (const m of document.querySelectorAll("#log mark[data-rule]")) m.title = `${ruleText(m.dataset.rule)}\n${m.dataset.rule}`;
}

const rank = { imminent: 4, high: 3, medium: 2, low: 1, none: 0 };
// KIND names why a conversation is in the queue. The queue sorts as the
// server does: urgent first, then level, a request before a review, then wait.
const KIND = { urgent: "立即处理 urgent", requested: "找老师 requested", review: "待阅 review" };
const kindRank = { urgent: 2, requested: 1, review: 0 };
function sorted(state) {
  const urgent = (h) => ((h.kind || "urgent") === "urgent" ? 1 : 0);
  return [...queue.values()]
    .filter((h) => h.state === state)
    .sort((a, b) => (urgent(b) - urgent(a)) || (rank[b.level] - rank[a.level]) ||
      ((kindRank[b.kind] ?? 2) - (kindRank[a.kind] ?? 2)) || (new Date(a.opened_at) - new Date(b.opened_at)));
}

// shortRules describes the matched rules, each description once: the
// phrase rules first, the gravest first (a time word, no risk alone, comes
// after a method), then the combinations that raised the level (which say
// why it is as high as it is); the ids are in the element's title
// (ruleTitle).
function shortRules(rules) {
  const all = rules || [];
  const grave = (r) => rank[RULE_LEVEL[r]] ?? (r.startsWith("模型") ? 3 : 1);
  const own = all.filter((r) => !r.startsWith("combo.")).map((r, i) => [r, i])
    .sort((a, b) => (grave(b[0]) - grave(a[0])) || (a[1] - b[1])).map(([r]) => r);
  const combos = all.filter((r) => r.startsWith("combo."));
  const texts = [...new Set([...own, ...combos].map(ruleText))];
  const shown = texts.slice(0, 3);
  return shown.join("；") + (texts.length > shown.length ? ` (+${texts.length - shown.length})` : "");
}
const ruleTitle = (rules) => "规则 rules:\n" + (rules || []).join("\n");

// since is a wait clock: a span the ticker updates every second.
const since = (iso) => el("span", { class: "since", "data-since": iso }, ago(iso));
function tick() {
  for (const e of document.querySelectorAll("[data-since]")) e.textContent = ago(e.dataset.since);
}

function renderQueue() {
  for (const state of ["waiting", "active"]) {
    const list = $(state);
    const items = sorted(state);
    $("n-" + state).textContent = items.length;
    // Each item is a button: reachable with Tab, opened with Enter or Space.
    // Focus stays on the same item when the queue is redrawn.
    const focused = document.activeElement && document.activeElement.closest && document.activeElement.closest("#" + state + " .qitem");
    const keep = focused ? focused.dataset.id : "";
    list.replaceChildren(...items.map((h) => {
      const cls = [h.level, current && current.handoff.id === h.id ? "sel" : "", h.escalated > 0 && h.state === "waiting" ? "esc" : ""].join(" ");
      const kind = h.kind || "urgent";
      return el("li", { class: cls },
        el("button", { type: "button", class: "qitem", "data-id": h.id, "aria-current": current && current.handoff.id === h.id ? "true" : "false", onclick: () => select(h.id) },
          el("span", { class: "qhead" },
            el("span", { class: "badge " + h.level }, LEVEL[h.level] || h.level), " ",
            el("span", { class: "badge kind " + kind }, KIND[kind] || kind), " ",
            el("strong", { class: "where" }, where(h))),
          h.preview ? el("span", { class: "preview" }, `“${h.preview}”`) : "",
          el("span", { class: "meta" },
            ...(h.state === "waiting" ? ["已等待 ", since(h.opened_at)] : [`${h.counselor_name || ""} 接手中`]),
            h.escalated > 0 && h.state === "waiting" ? ` · 已升级 ${h.escalated} 级` : "",
            (h.categories || []).length ? ` · ${h.categories.map((c) => label(CATEGORY, c)).join("、")}` : "")));
    }));
    if (keep) {
      const again = list.querySelector(`.qitem[data-id="${CSS.escape(keep)}"]`);
      if (again) again.focus();
    }
  }
  const waiting = sorted("waiting").length;
  document.title = (waiting ? `(${waiting}) ` : "") + "心桥 · 值班台";
}

function renderHead() {
  if (!current) return;
  const h = current.handoff;
  $("c-level").className = "badge " + h.level;
  $("c-level").textContent = LEVEL[h.level] || h.level;
  $("c-where").textContent = " " + where(h);
  const state = { waiting: "等待接手 waiting", active: `由 ${h.counselor_name} 接手 active`, closed: `已结束 closed · ${label(OUTCOME, h.outcome || "other")}` }[h.state];
  $("c-state").textContent = " · " + (KIND[h.kind || "urgent"] || h.kind) + " · " + state +
    ((h.categories || []).length ? " · " + h.categories.map((c) => label(CATEGORY, c)).join("、") : "") +
    ((h.reason || []).length ? " · 信号 signs: " + shortRules(h.reason) : "");
  $("c-state").title = ruleTitle(h.reason);
  const mine = h.state === "active" && h.counselor === me.id;
  const sup = me.role === "supervisor" || me.role === "admin";
  $("b-claim").disabled = h.state !== "waiting";
  $("b-release").disabled = !(h.state === "active" && (mine || sup));
  $("b-transfer").disabled = !(h.state === "active" && (mine || sup));
  $("text").disabled = $("b-send").disabled = !mine;
  $("text").placeholder = !mine ? "接手后才能回复（主管只读观察）Claim to reply; supervisors observe read-only"
    : h.kind === "review" ? "待阅对话：发出第一句即加入对话，学生会看到你加入 Writing joins the chat; the student is told"
      : "回复学生（Enter 发送，Shift+Enter 换行）Reply to the student";
  $("close-form").querySelector("button").disabled = !(h.state !== "closed" && (mine || sup));
}

// highlight wraps the matched spans (rune offsets) of a flagged message in <mark>.
function highlight(text, spans) {
  const runes = Array.from(text);
  if (!spans || !spans.length) return [text];
  const out = [];
  let at = 0;
  for (const sp of [...spans].sort((a, b) => a.start - b.start)) {
    if (sp.start < at) continue;
    out.push(runes.slice(at, sp.start).join(""));
    out.push(el("mark", { title: `${ruleText(sp.rule)}\n${sp.rule}`, "data-rule": sp.rule }, runes.slice(sp.start, sp.end).join("")));
    at = sp.end;
  }
  out.push(runes.slice(at).join(""));
  return out;
}

const WHO = { student: "学生", assistant: "心桥 AI", counselor: "老师", system: "系统" };
function appendMessage(m) {
  if (!current || m.conversation_id !== current.conv || m.seq <= current.lastSeq) return;
  current.lastSeq = m.seq;
  const flagged = m.risk && rank[m.risk.level] >= 3;
  const node = el("div", { class: `msg ${m.role}${flagged ? " flagged" : ""}`, id: "m" + m.seq },
    el("span", { class: "who" }, `${WHO[m.role] || m.role} · ${new Date(m.created_at).toLocaleTimeString()}`),
    ...(m.risk ? highlight(m.text, m.risk.spans) : [m.text]));
  if (m.risk && m.risk.level !== "none" && (m.risk.rules || []).length) {
    const prefix = `${LEVEL[m.risk.level] || m.risk.level} · `;
    node.append(el("span", { class: "rules", title: ruleTitle(m.risk.rules), "data-rules": JSON.stringify(m.risk.rules), "data-prefix": prefix }, prefix + shortRules(m.risk.rules)));
  }
  if (m.role === "student") node.append(labelBar(m));
  const log = $("log");
  const atBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 40;
  log.append(node);
  if (atBottom || m.role === "counselor") log.scrollTop = log.scrollHeight;
  if (m.role === "student") $("typing").classList.add("hidden");
}

function renderBrief(b) {
  const written = b.ai_summary
    ? [el("div", { class: "ai-brief" }, el("span", { class: "badge" }, "AI 生成摘要 AI-generated"), " ", b.ai_summary,
        el("span", { class: "muted" }, "（仅供参考，以原始对话为准）"))]
    : [];
  $("brief").replaceChildren(
    el("strong", {}, "摘要 Brief: "), b.summary, ...written,
    ...b.flagged.map((f) => el("div", { class: "flag" },
      el("span", { class: "badge " + f.level }, LEVEL[f.level] || f.level), " ", f.excerpt,
      el("span", { class: "muted", title: ruleTitle(f.rules), "data-rules": JSON.stringify(f.rules || []), "data-prefix": "  " }, "  " + shortRules(f.rules)))));
}

async function loadCase() {
  if (!current || !current.handoff.case_id) return;
  try {
    const v = await api("GET", `/api/cases/${current.handoff.case_id}`);
    $("notes").replaceChildren(...v.notes.map((n) => el("li", {}, `${n.author_name || ""} ${new Date(n.at).toLocaleString()}：`, n.text)),
      ...v.referrals.map((r) => el("li", {}, `转介 Referral：${label(REFERRAL, r.kind)} ${r.detail || ""}`)));
    $("fus").replaceChildren(...v.follow_ups.map((f) => {
      const li = el("li", {}, `${f.due.slice(0, 10)} ${f.task} `);
      if (!f.done_at) li.append(el("button", { onclick: async () => { await api("POST", `/api/follow-ups/${f.id}/done`); loadCase(); } }, "完成 Done"));
      else li.append(el("span", { class: "muted" }, "✓"));
      return li;
    }));
  } catch (e) {
    showErr(e);
  }
}

async function select(id) {
  const h = queue.get(id);
  if (!h) return;
  current = { handoff: h, conv: h.conversation_id, lastSeq: 0 };
  $("empty").classList.add("hidden");
  $("conv-body").classList.remove("hidden");
  $("side").classList.remove("hidden");
  $("log").replaceChildren();
  $("err").textContent = "";
  renderHead();
  renderQueue();
  try {
    const t = await api("GET", `/api/conversations/${h.conversation_id}`);
    if (!current || current.conv !== h.conversation_id) return;
    renderBrief(t.brief);
    for (const m of t.messages) appendMessage(m);
    loadLabels(h.conversation_id);
    $("log").scrollTop = $("log").scrollHeight;
    send({ type: "watch", conversation_id: h.conversation_id, after_seq: current.lastSeq });
  } catch (e) {
    showErr(e);
  }
  loadCase();
}

let alertTimer = 0;
// showAlert puts an escalation at the top of the page until it is claimed,
// clicked or 60 seconds pass.
function showAlert(id) {
  const h = queue.get(id);
  if (!h || h.state !== "waiting") return;
  const bar = $("alertbar");
  bar.replaceChildren(el("button", { type: "button", class: "alert-open", onclick: () => { bar.classList.add("hidden"); select(id); } },
    `⚠ ${LEVEL[h.level] || h.level} 求助已等待 `, since(h.opened_at), `，仍无人接手：${where(h)}${h.preview ? `（“${h.preview}”）` : ""}。点此查看 Open`));
  bar.classList.remove("hidden");
  clearTimeout(alertTimer);
  alertTimer = setTimeout(() => bar.classList.add("hidden"), 60000);
}

// UNAVAILABLE is what a counselor reads when the database cannot be reached
// just now (code "unavailable", HTTP 503): nothing they did is wrong, and
// the same action will work again in a moment.
const UNAVAILABLE = "系统暂时连不上数据库，请稍等几秒后再试一次。(The system cannot reach its database just now; please try again in a few seconds.)";

// showErr shows an error of an action (REST) or of the staff socket.
function showErr(e) {
  $("err").textContent = e.code === "unavailable" ? UNAVAILABLE : e.message || String(e);
}

async function act(method, path, body) {
  $("err").textContent = "";
  try {
    const r = await api(method, path, body);
    if (r && r.handoff) {
      take(r.handoff);
      renderHead();
      renderQueue();
    }
    return r;
  } catch (e) {
    showErr(e);
    return null;
  }
}

function send(frame) {
  if (sock && sock.readyState === WebSocket.OPEN) sock.send(JSON.stringify(frame));
}

function connect(delay = 500) {
  const proto = location.protocol === "https:" ? "wss:" : "ws:";
  sock = new WebSocket(`${proto}//${location.host}/ws/staff`);
  sock.onopen = () => {
    $("conn").textContent = "已连接 Live";
    $("conn").className = "badge ok";
    delay = 500;
    if (current) send({ type: "watch", conversation_id: current.conv, after_seq: current.lastSeq });
  };
  sock.onclose = () => {
    $("conn").textContent = "已断开，重连中… Reconnecting";
    $("conn").className = "badge down";
    setTimeout(() => connect(Math.min(delay * 2, 10000)), delay);
  };
  sock.onmessage = (ev) => {
    const f = JSON.parse(ev.data);
    if (f.now) takeNow(f);
    switch (f.type) {
      case "queue": {
        // The queue is the list; of a handoff the page already has newer,
        // the newer copy stands (and a newer close keeps it out).
        const next = new Map();
        for (const h of f.handoffs) {
          if (fresh(h)) next.set(h.id, h);
          else if (queue.has(h.id)) next.set(h.id, queue.get(h.id));
        }
        queue = next;
        if (current && queue.has(current.handoff.id)) current.handoff = queue.get(current.handoff.id);
        renderQueue();
        renderHead();
        break;
      }
      case "handoff":
        if (!take(f.handoff)) break;
        renderQueue();
        renderHead();
        break;
      case "alert":
        showAlert(f.handoff_id);
        renderQueue();
        break;
      case "message":
        appendMessage(f.message);
        break;
      case "typing":
        if (current && f.conversation_id === current.conv && f.role === "student") {
          $("typing").classList.remove("hidden");
          clearTimeout(typingTimer);
          typingTimer = setTimeout(() => $("typing").classList.add("hidden"), 4000);
        }
        break;
      case "roster":
        loadRoster();
        break;
      case "error":
        showErr(f);
        break;
    }
  };
}

async function loadRoster() {
  try {
    roster = (await api("GET", "/api/staff/roster")).staff;
  } catch {
    roster = [];
  }
  $("transfer-to").replaceChildren(el("option", { value: "" }, "转交给… Transfer to…"),
    ...roster.filter((s) => s.id !== me.id).map((s) => el("option", { value: s.id }, `${s.display_name}${s.on_duty ? "（在岗）" : ""}`)));
}

async function sendText() {
  const text = $("text").value.trim();
  if (!text || !current) return;
  const r = await act("POST", `/api/handoffs/${current.handoff.id}/messages`, { text, client_id: clientId() });
  if (r) $("text").value = "";
}

function wire() {
  $("logout").addEventListener("click", logout);
  $("duty").addEventListener("change", async (ev) => {
    const r = await act("POST", "/api/staff/duty", { on: ev.target.checked });
    if (!r) ev.target.checked = !ev.target.checked;
  });
  $("b-claim").addEventListener("click", () => act("POST", `/api/handoffs/${current.handoff.id}/claim`));
  $("b-release").addEventListener("click", () => act("POST", `/api/handoffs/${current.handoff.id}/release`));
  $("b-transfer").addEventListener("click", () => {
    const to = $("transfer-to").value;
    if (to) act("POST", `/api/handoffs/${current.handoff.id}/transfer`, { to });
  });
  $("send").addEventListener("submit", (ev) => { ev.preventDefault(); sendText(); });
  $("text").addEventListener("keydown", (ev) => {
    if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing) { ev.preventDefault(); sendText(); }
  });
  $("text").addEventListener("input", () => {
    if (current && Date.now() - lastTypingSent > 2000) {
      lastTypingSent = Date.now();
      send({ type: "typing", handoff_id: current.handoff.id });
    }
  });
  $("canned").replaceChildren(...CANNED.map((c, i) => el("button", { type: "button", title: `${c}（快捷键 ${i + 1}）`, "aria-keyshortcuts": String(i + 1), onclick: () => insertCanned(i) }, `${i + 1} ${c.slice(0, 12)}…`)));
  document.addEventListener("keydown", onKey);
  $("keys-open").addEventListener("click", () => $("keys").showModal());
  $("note-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const text = $("note").value.trim();
    if (!text || !current) return;
    if (await act("POST", `/api/handoffs/${current.handoff.id}/notes`, { text })) { $("note").value = ""; loadCase(); }
  });
  $("close-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    if (!current) return;
    const r = await act("POST", `/api/handoffs/${current.handoff.id}/close`, { outcome: $("outcome").value, note: $("close-note").value, mode: $("mode").value, level: $("close-level").value || undefined });
    if (r) { $("close-note").value = ""; loadLabels(current.conv); }
  });
  $("ref-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    if (!current || !current.handoff.case_id) return;
    if (await act("POST", `/api/cases/${current.handoff.case_id}/referrals`, { kind: $("ref-kind").value, detail: $("ref-detail").value, handoff_id: current.handoff.id })) {
      $("ref-detail").value = "";
      loadCase();
    }
  });
  $("fu-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    if (!current || !current.handoff.case_id) return;
    const due = new Date($("fu-due").value + "T09:00:00").toISOString();
    if (await act("POST", `/api/cases/${current.handoff.case_id}/follow-ups`, { task: $("fu-task").value, due })) {
      $("fu-task").value = "";
      loadCase();
    }
  });
  setInterval(tick, 1000);
}

// ---- keyboard ----
// Shortcuts (listed in the ? dialog) act only when no field has the focus,
// so typing a reply never triggers one; Esc leaves a field.

const typingIn = (e) => e && (e.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(e.tagName));

// step opens the next (+1) or previous (-1) item of the queue, waiting
// first then active, and puts the focus on it.
function step(dir) {
  const ids = [...sorted("waiting"), ...sorted("active")].map((h) => h.id);
  if (!ids.length) return;
  const at = current ? ids.indexOf(current.handoff.id) : -1;
  const next = ids[at < 0 ? (dir > 0 ? 0 : ids.length - 1) : Math.min(ids.length - 1, Math.max(0, at + dir))];
  if (!current || current.handoff.id !== next) select(next);
  const b = document.querySelector(`.qitem[data-id="${CSS.escape(next)}"]`);
  if (b) b.focus();
}

// insertCanned puts canned phrase i at the reply's caret and focuses it.
function insertCanned(i) {
  const t = $("text");
  if (!CANNED[i] || t.disabled) return;
  const at = t.selectionStart ?? t.value.length;
  t.value = t.value.slice(0, at) + CANNED[i] + t.value.slice(t.selectionEnd ?? at);
  t.focus();
  t.selectionStart = t.selectionEnd = at + CANNED[i].length;
}

function focusIf(id) {
  const e = $(id);
  if (e && !e.disabled && e.offsetParent !== null) e.focus();
}

function onKey(ev) {
  if (ev.ctrlKey || ev.metaKey || ev.altKey || ev.isComposing) return;
  const keys = $("keys");
  if (typingIn(ev.target)) {
    if (ev.key === "Escape" && !keys.open) ev.target.blur();
    return;
  }
  if (keys.open && ev.key !== "?") return;
  const k = ev.key;
  let done = true;
  if (k === "?") keys.open ? keys.close() : keys.showModal();
  else if (k === "j") step(1);
  else if (k === "k") step(-1);
  else if (!current) done = false;
  else if (k === "c") { if (!$("b-claim").disabled) $("b-claim").click(); }
  else if (k === "r") focusIf("text");
  else if (k === "n") focusIf("note");
  else if (k === "x") focusIf("outcome");
  else if (k >= "1" && k <= String(CANNED.length)) insertCanned(Number(k) - 1);
  else done = false;
  if (done) ev.preventDefault();
}

async function main() {
  me = await requireLogin($("root"));
  if (!["counselor", "supervisor", "admin"].includes(me.role)) {
    $("root").replaceChildren(el("p", { class: "card" }, "值班台需要心理老师或主管账号。The console needs a counselor or supervisor account."));
    return;
  }
  if (!$("console")) location.reload(); // the login form replaced the page body
  $("who").textContent = `${me.display_name}（${ROLE_ZH[me.role] || me.role} ${me.role}）`;
  $("duty").checked = me.on_duty;
  $("duty-wrap").classList.remove("hidden");
  $("logout").classList.remove("hidden");
  $("keys-open").classList.remove("hidden");
  $("console").classList.remove("hidden");
  wire();
  loadDescriptions();
  loadRoster();
  connect();
}

main();
