// The student chat page. Nothing is written to localStorage or cookies: the
// session lives in this page's memory only, so "清屏" (or closing the tab)
// leaves nothing behind on a shared terminal.
const T = {
  zh: {
    subtitle: "和我聊聊", clear: "清屏", hotlineTitle: "需要马上和人说话？", send: "发送", placeholder: "在这里输入……",
    intro: "你好，我是心桥的 AI 助手。你可以和我说说学习、朋友、家里或者心情的事。我的回答来自学校心理老师审核过的资料；需要的时候，我会请心理老师来帮你。",
    footer: "AI 生成的内容仅供参考，不能代替老师和医生。清屏后，这台电脑上不会留下你的对话。",
    ai: "AI 生成", counselor: "心理老师", you: "我", system: "提示", sources: "参考资料：", version: "版",
    connecting: "正在连接……", reconnecting: "连接断了，正在重新连接……", offline: "暂时连不上，消息会在连上后自动发送。",
    waiting: "已经请心理老师来，请稍等。", waitingNone: "现在没有值班老师在线，请先拨打上面的热线。",
    joined: (n) => `${n || "心理老师"}来了，现在是老师在和你聊。`, ended: "老师已经离开对话。",
    bandAny: "年级", bandPrimary: "小学", bandJunior: "初中", bandSenior: "高中",
    retry: "重发", typing: "老师正在输入……", closedNow: "现在不在服务时间", other: "English",
  },
  en: {
    subtitle: "Talk with me", clear: "Clear screen", hotlineTitle: "Need to talk to someone now?", send: "Send", placeholder: "Type here…",
    intro: "Hi, I'm Xinqiao's AI helper. You can talk to me about school, friends, family or how you feel. My answers come from material checked by school psychology teachers, and when it matters I will ask a teacher to help you.",
    footer: "AI-generated content is for reference only and does not replace teachers or doctors. After 'Clear screen', nothing of your chat stays on this computer.",
    ai: "AI-generated", counselor: "Psychology teacher", you: "Me", system: "Notice", sources: "Sources: ", version: "v",
    connecting: "Connecting…", reconnecting: "Connection lost, reconnecting…", offline: "Can't connect right now; your messages will be sent once connected.",
    waiting: "A psychology teacher has been asked to join. Please wait.", waitingNone: "No teacher is on duty right now. Please call a hotline above first.",
    joined: (n) => `${n || "A psychology teacher"} has joined and is talking with you now.`, ended: "The teacher has left the chat.",
    bandAny: "Grade", bandPrimary: "Primary", bandJunior: "Junior high", bandSenior: "Senior high",
    retry: "Resend", typing: "The teacher is typing…", closedNow: "Closed now", other: "中文",
  },
};

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
let lang = params.get("lang") === "en" ? "en" : "zh";
let s = null; // the session: {token, conv, lastSeq, pending, streams, ws, tries, closedByUs}

function t(key, ...a) { const v = T[lang][key]; return typeof v === "function" ? v(...a) : v; }

function applyLang() {
  document.documentElement.lang = lang === "en" ? "en" : "zh-CN";
  document.querySelectorAll("[data-i18n]").forEach((e) => { e.textContent = t(e.dataset.i18n); });
  document.querySelectorAll("[data-i18n-placeholder]").forEach((e) => { e.placeholder = t(e.dataset.i18nPlaceholder); });
  $("lang").textContent = t("other");
  loadHotlines();
}

async function loadHotlines() {
  try {
    const r = await fetch(`/api/hotlines?lang=${lang}`);
    const { hotlines } = await r.json();
    const list = $("hotline-list");
    list.replaceChildren(...hotlines.map((h) => {
      const span = document.createElement("span");
      span.className = "line" + (h.open ? "" : " closed") + (h.emergency ? " emergency" : "");
      const num = document.createElement("span");
      num.className = "num";
      num.textContent = h.number;
      span.append(`${h.name} `, num, ` (${h.hours})`);
      return span;
    }));
  } catch { /* the strip keeps what it had */ }
}

function status(text) {
  const el = $("status");
  el.textContent = text || "";
  el.classList.toggle("hidden", !text);
}

function newClientID() {
  return crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random().toString(36).slice(2)}`;
}

function scroll() { const log = $("log"); log.scrollTop = log.scrollHeight; }

// bubble renders one message; `m` has role, text, sources, ai_generated.
function bubble(m) {
  const div = document.createElement("div");
  div.className = `msg ${m.role}`;
  const label = document.createElement("span");
  label.className = "label";
  label.textContent = m.role === "student" ? t("you") : m.role === "counselor" ? t("counselor") : m.role === "system" ? t("system") : "";
  if (m.ai_generated) label.textContent = `${t("ai")}`;
  const body = document.createElement("div");
  body.className = "body";
  body.textContent = m.text;
  div.append(label, body);
  if (m.sources && m.sources.length) {
    const src = document.createElement("div");
    src.className = "sources";
    src.textContent = t("sources") + m.sources.map((x, i) => `[${i + 1}] ${x.title}（${t("version")}${x.version}）`).join("；");
    div.append(src);
  }
  return div;
}

function showMessage(f) {
  if (f.seq <= s.lastSeq) return; // already shown (a replay or a second socket)
  s.lastSeq = f.seq;
  if (f.role === "student" && f.client_id && s.mine.has(f.client_id)) {
    // Our own message, already on screen since it was typed.
    s.mine.get(f.client_id).classList.remove("pending", "failed");
    s.pending.delete(f.client_id);
    return;
  }
  if (f.role === "assistant") {
    // The final message replaces any streamed text.
    for (const el of s.streams.values()) el.remove();
    s.streams.clear();
  }
  $("log").append(bubble(f));
  scroll();
}

function showDelta(f) {
  let el = s.streams.get(f.reply_to);
  if (!el) {
    el = bubble({ role: "assistant", text: "", ai_generated: true });
    el.classList.add("streaming");
    s.streams.set(f.reply_to, el);
    $("log").append(el);
  }
  el.querySelector(".body").textContent += f.text;
  scroll();
}

function showCrisis(f) {
  $("crisis-text").textContent = f.text;
  $("crisis-lines").replaceChildren(...f.hotlines.map((h) => {
    const li = document.createElement("li");
    const num = document.createElement("span");
    num.className = "num";
    num.textContent = h.number;
    li.append(`${h.name}：`, num, ` ${h.hours}`);
    return li;
  }));
  $("crisis").classList.remove("hidden");
  $("hotlines").classList.add("hidden"); // the card lists the same lines, first
  $("crisis").scrollTop = 0;
}

function showHandoff(f) {
  const el = $("handoff");
  if (typeof f.on_duty === "boolean") s.onDuty = f.on_duty; // later frames may leave it out
  const text = f.state === "joined" ? t("joined", f.counselor) : f.state === "ended" ? t("ended") : s.onDuty === false ? t("waitingNone") : t("waiting");
  el.textContent = text;
  el.classList.remove("hidden");
}

let typingTimer = 0;
function showTyping() {
  const el = $("typing");
  el.textContent = t("typing");
  el.classList.remove("hidden");
  clearTimeout(typingTimer);
  typingTimer = setTimeout(() => el.classList.add("hidden"), 4000);
}

function showError(f) {
  if (f.client_id && s.pending.has(f.client_id)) {
    const p = s.pending.get(f.client_id);
    p.el.classList.add("failed");
    p.failed = true;
    if (!p.el.querySelector(".retry")) {
      const b = document.createElement("button");
      b.className = "retry";
      b.type = "button";
      b.textContent = t("retry");
      b.addEventListener("click", () => { p.failed = false; p.el.classList.remove("failed"); b.remove(); transmit(f.client_id); });
      p.el.append(b);
    }
    const note = p.el.querySelector(".label");
    note.textContent = `${t("you")} · ${f.message}`;
  } else {
    status(f.message);
    setTimeout(() => status(""), 5000);
  }
}

function onFrame(ev) {
  let f;
  try { f = JSON.parse(ev.data); } catch { return; }
  switch (f.type) {
    case "ack": {
      const p = s.pending.get(f.client_id);
      if (p) { p.el.classList.remove("pending", "failed"); s.pending.delete(f.client_id); }
      else if (s.mine.has(f.client_id)) s.mine.get(f.client_id).classList.remove("pending", "failed");
      break;
    }
    case "message": showMessage(f); break;
    case "delta": showDelta(f); break;
    case "crisis": showCrisis(f); break;
    case "handoff": showHandoff(f); break;
    case "error": showError(f); break;
    case "typing": showTyping(); break;
  }
}

function transmit(id) {
  const p = s.pending.get(id);
  if (p && s.ws && s.ws.readyState === WebSocket.OPEN) {
    s.ws.send(JSON.stringify({ type: "message", client_id: id, text: p.text }));
  }
}

function connect() {
  const session = s;
  const proto = location.protocol === "https:" ? "wss:" : "ws:";
  const ws = new WebSocket(`${proto}//${location.host}/ws/student?token=${encodeURIComponent(session.token)}`);
  session.ws = ws;
  status(session.tries ? t("reconnecting") : t("connecting"));
  ws.onopen = () => {
    session.tries = 0;
    status("");
    ws.send(JSON.stringify({ type: "resume", after_seq: session.lastSeq }));
    for (const [id, p] of session.pending) if (!p.failed) transmit(id);
  };
  ws.onmessage = onFrame;
  ws.onclose = () => {
    if (session !== s || session.closedByUs) return;
    session.tries++;
    status(session.tries > 3 ? t("offline") : t("reconnecting"));
    const wait = Math.min(15000, 500 * 2 ** session.tries) * (0.75 + Math.random() / 2);
    setTimeout(() => { if (session === s) connect(); }, wait);
  };
}

async function start() {
  // pending: typed, not yet acknowledged; mine: every message typed here, by
  // client_id, so the server's copy of it is not shown twice.
  s = { token: "", lastSeq: 0, pending: new Map(), mine: new Map(), streams: new Map(), ws: null, tries: 0, closedByUs: false };
  const session = s;
  for (let attempt = 0; session === s; attempt++) {
    try {
      const r = await fetch("/api/student/sessions", {
        method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ lang, band: $("band").value, terminal: params.get("t") || "" }),
      });
      if (!r.ok) throw new Error(String(r.status));
      const j = await r.json();
      session.token = j.token;
      session.conv = j.conversation_id;
      break;
    } catch {
      status(t("offline"));
      await new Promise((res) => setTimeout(res, Math.min(15000, 1000 * 2 ** attempt)));
    }
  }
  if (session === s) connect();
}

function send(text) {
  $("band").disabled = true; // the conversation keeps the band it started in
  const id = newClientID();
  const el = bubble({ role: "student", text });
  el.classList.add("pending");
  $("log").append(el);
  scroll();
  s.pending.set(id, { text, el, failed: false });
  s.mine.set(id, el);
  transmit(id);
}

function clearScreen() {
  if (s) {
    s.closedByUs = true;
    if (s.ws) s.ws.close(1000, "cleared");
  }
  $("log").replaceChildren();
  const intro = document.createElement("p");
  intro.className = "intro muted";
  intro.dataset.i18n = "intro";
  intro.textContent = t("intro");
  $("log").append(intro);
  $("crisis").classList.add("hidden");
  $("hotlines").classList.remove("hidden");
  $("handoff").classList.add("hidden");
  $("input").value = "";
  $("band").disabled = false;
  updateCount();
  start();
}

function updateCount() { $("count").textContent = `${[...$("input").value].length}/2000`; }

$("composer").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const text = $("input").value.trim();
  if (!text) return;
  $("input").value = "";
  updateCount();
  send(text);
});
$("input").addEventListener("keydown", (ev) => {
  if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing) { ev.preventDefault(); $("composer").requestSubmit(); }
});
let lastTyping = 0;
$("input").addEventListener("input", () => {
  updateCount();
  // While a teacher is in the chat, let them see that the student is typing.
  const now = Date.now();
  if (s && s.ws && s.ws.readyState === WebSocket.OPEN && !$("handoff").classList.contains("hidden") && now - lastTyping > 2000) {
    lastTyping = now;
    s.ws.send(JSON.stringify({ type: "typing" }));
  }
});
$("clear").addEventListener("click", clearScreen);
// The grade band picks material written for the student's age. Chosen before
// the first message it starts the conversation over in that band; a
// registered terminal's band applies when none is chosen.
$("band").addEventListener("change", () => {
  if (s && s.lastSeq === 0 && s.pending.size === 0) clearScreen();
});
$("lang").addEventListener("click", () => {
  lang = lang === "zh" ? "en" : "zh";
  applyLang();
  // Before the first message, the conversation itself switches language;
  // after it, answers follow the language of each message.
  if (s && s.lastSeq === 0 && s.pending.size === 0) clearScreen();
});

applyLang();
start();
