// The student chat page. Nothing is written to localStorage or cookies: the
// session lives in this page's memory only, so "清屏" (or closing the tab)
// leaves nothing behind on a shared terminal.
const T = {
  zh: {
    subtitle: "和我聊聊", clear: "清屏", hotlineTitle: "需要马上和人说话？", send: "发送", placeholder: "在这里输入……", inputLabel: "输入消息",
    intro: "你好，我是心桥的 AI 助手。你可以和我说说学习、朋友、家里或者心情的事。我的回答来自学校心理老师审核过的资料，可能由 AI 写成。如果对话看起来有危险，或者你请老师来，学校的心理老师会读到这段对话。",
    footer: "AI 生成的内容仅供参考，不能代替老师和医生。清屏后，这台电脑上不会留下你的对话。", about: "关于心桥",
    ai: "AI 生成", counselor: "心理老师", you: "我", system: "提示", sources: "参考资料：", sourcesSep: "；",
    source: (n, title, v) => `[${n}] ${title}（版${v}）`,
    connecting: "正在连接……", reconnecting: "连接断了，正在重新连接……", offline: "暂时连不上，消息会在连上后自动发送。",
    waiting: "已经请心理老师来，请稍等。", waitingNone: "现在没有值班老师在线，请先拨打热线。",
    requested: "已经请心理老师来，老师会尽快来。", requestedNone: "现在没有值班老师在线，老师会在值班时间看到你的请求。",
    joined: (n) => `${n || "心理老师"}来了，现在是老师在和你聊。`, ended: "老师已经离开对话。",
    bandAny: "年级", bandPrimary: "小学", bandJunior: "初中", bandSenior: "高中",
    retry: "重发", retrying: "没发出去，正在重试……", typing: "老师正在输入……", other: "English",
    notSent: "没有发出", tooLong: (max, n) => `这条消息有 ${n} 个字，最多只能发 ${max} 个字。它已经放回输入框：删短一点，或者分几次发送。`,
    editBack: (why) => `${why} 这条消息已经放回输入框，改一改再发送。`,
    ask: "找老师聊聊", asked: "已经请老师了",
    endedText: "这次对话已经结束了。想继续聊，可以开始一段新的对话。", restart: "开始新的对话",
    closedLines: (n) => `现在不在服务时间的热线（${n}）`,
    fbWrong: "不对", fbUpsetting: "让我难受", fbHelpful: "有帮助", fbLabel: "这条回答怎么样？",
    fbThanks: "谢谢你告诉我们。", fbUpsetNote: "谢谢你告诉我们，对不起让你难受了。想和真人聊聊，可以点“找老师聊聊”，或者找身边信任的大人。",
    rest: "我们已经聊了一段时间了。休息一下吧：站起来走走，喝点水，也可以和身边的同学、老师或家里人说说话。",
  },
  en: {
    subtitle: "Talk with me", clear: "Clear screen", hotlineTitle: "Need to talk to someone now?", send: "Send", placeholder: "Type here…", inputLabel: "Your message",
    intro: "Hi, I'm Xinqiao's AI helper. You can talk to me about school, friends, family or how you feel. My answers come from material checked by school psychology teachers and may be written by AI. If the chat looks risky, or if you ask for a teacher, the school's psychology teacher will read it.",
    footer: "AI-generated content is for reference only and does not replace teachers or doctors. After 'Clear screen', nothing of your chat stays on this computer.", about: "About Xinqiao",
    ai: "AI-generated", counselor: "Psychology teacher", you: "Me", system: "Notice", sources: "Sources: ", sourcesSep: "; ",
    source: (n, title, v) => `[${n}] ${title} (v${v})`,
    connecting: "Connecting…", reconnecting: "Connection lost, reconnecting…", offline: "Can't connect right now; your messages will be sent once connected.",
    waiting: "A psychology teacher has been asked to join. Please wait.", waitingNone: "No teacher is on duty right now. Please call a hotline first.",
    requested: "A psychology teacher has been asked and will come soon.", requestedNone: "No teacher is on duty right now; a teacher will see your request in duty hours.",
    joined: (n) => `${n || "A psychology teacher"} has joined and is talking with you now.`, ended: "The teacher has left the chat.",
    bandAny: "Grade", bandPrimary: "Primary", bandJunior: "Junior high", bandSenior: "Senior high",
    retry: "Resend", retrying: "Not sent yet, trying again…", typing: "The teacher is typing…", other: "中文",
    notSent: "Not sent", tooLong: (max, n) => `This message has ${n} characters; at most ${max} can be sent. It is back in the box: shorten it, or send it in parts.`,
    editBack: (why) => `${why} The message is back in the box: change it and send it again.`,
    ask: "Talk to a teacher", asked: "A teacher has been asked",
    endedText: "This conversation has ended. To keep talking, start a new one.", restart: "Start a new conversation",
    closedLines: (n) => `Lines closed right now (${n})`,
    fbWrong: "Wrong", fbUpsetting: "Upsetting", fbHelpful: "Helpful", fbLabel: "How was this answer?",
    fbThanks: "Thank you for telling us.", fbUpsetNote: "Thank you for telling us, and sorry it upset you. To talk with a person, tap “Talk to a teacher”, or find an adult you trust nearby.",
    rest: "We've been talking for a while. Take a break: stand up, walk a little, drink some water, and maybe talk with a classmate, a teacher or someone at home.",
  },
};

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
// The terminal's own language (a link may set ?lang=en); 清屏 returns to it.
const homeLang = params.get("lang") === "en" ? "en" : "zh";
let lang = homeLang;
let s = null; // the session: see start()

function t(key, ...a) { const v = T[lang][key]; return typeof v === "function" ? v(...a) : v; }

function applyLang() {
  document.documentElement.lang = lang === "en" ? "en" : "zh-CN";
  document.querySelectorAll("[data-i18n]").forEach((e) => { e.textContent = t(e.dataset.i18n); });
  document.querySelectorAll("[data-i18n-placeholder]").forEach((e) => { e.placeholder = t(e.dataset.i18nPlaceholder); });
  document.querySelectorAll("[data-i18n-aria]").forEach((e) => { e.setAttribute("aria-label", t(e.dataset.i18nAria)); });
  $("lang").textContent = t("other");
  $("about").href = `/about?lang=${lang}`;
  if (s) updateAsk();
  loadHotlines();
}

// dial is the tel: link of a number as shown ("020-86812121").
function dial(number) {
  const a = document.createElement("a");
  a.className = "num";
  a.href = "tel:" + number.replace(/[^0-9+]/g, "");
  a.textContent = number;
  return a;
}

// numbers matches the hotline numbers (from the registry, through the
// strip) in a text, so that every one the page shows is a tel: link.
let numbers = null;

// withLinks fills el with text, every hotline number in it a tel: link.
function withLinks(el, text) {
  if (!numbers) { el.textContent = text; return el; }
  const parts = text.split(numbers);
  el.replaceChildren(...parts.map((part, i) => (i % 2 ? dial(part) : part)));
  return el;
}

async function loadHotlines() {
  const want = lang;
  try {
    const r = await fetch(`/api/hotlines?lang=${want}`);
    const { hotlines } = await r.json();
    const forms = new Set(hotlines.flatMap((h) => [h.number, h.number.split("-").pop()]));
    const alts = [...forms].sort((a, b) => b.length - a.length).map((n) => n.replace(/[^0-9-]/g, ""));
    numbers = new RegExp(`(?<![0-9])(${alts.join("|")})(?![0-9])`);
    if (want !== lang) return; // switched again meanwhile: a later call fills the strip
    const list = $("hotline-list");
    list.replaceChildren(...hotlines.map((h) => {
      const span = document.createElement("span");
      span.className = "line" + (h.open ? "" : " closed") + (h.emergency ? " emergency" : "");
      span.append(`${h.name} `, dial(h.number), ` (${h.hours})`);
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
  const body = withLinks(document.createElement("div"), m.text);
  body.className = "body";
  div.append(label, body);
  if (m.sources && m.sources.length) {
    const src = document.createElement("div");
    src.className = "sources";
    src.textContent = t("sources") + m.sources.map((x, i) => t("source", i + 1, x.title, x.version)).join(t("sourcesSep"));
    div.append(src);
  }
  return div;
}

// feedbackBar adds the 反馈 buttons under an assistant answer: each kind is
// sent once; the server keeps one of each kind per answer.
function feedbackBar(seq) {
  const bar = document.createElement("div");
  bar.className = "feedback";
  bar.setAttribute("role", "group");
  bar.setAttribute("aria-label", t("fbLabel"));
  const note = document.createElement("p");
  note.className = "fb-note muted hidden";
  note.setAttribute("role", "status");
  for (const [kind, key] of [["wrong", "fbWrong"], ["upsetting", "fbUpsetting"], ["helpful", "fbHelpful"]]) {
    const b = document.createElement("button");
    b.type = "button";
    b.dataset.kind = kind;
    b.textContent = t(key);
    b.setAttribute("aria-pressed", "false");
    b.addEventListener("click", async () => {
      if (b.getAttribute("aria-pressed") === "true") return;
      b.setAttribute("aria-pressed", "true");
      b.disabled = true;
      const session = s;
      try {
        const r = await fetch("/api/student/feedback", {
          method: "POST",
          headers: { "Content-Type": "application/json", Authorization: `Bearer ${session.token}` },
          body: JSON.stringify({ seq, kind }),
        });
        if (!r.ok) throw new Error(String(r.status));
        note.textContent = kind === "upsetting" ? t("fbUpsetNote") : t("fbThanks");
        note.classList.remove("hidden");
      } catch {
        b.setAttribute("aria-pressed", "false");
        b.disabled = false;
      }
    });
    bar.append(b);
  }
  bar.append(note);
  return bar;
}

function showMessage(f) {
  if (f.seq <= s.lastSeq) return; // already shown (a replay or a second socket)
  s.lastSeq = f.seq;
  noteActivity();
  if (f.role === "student" && f.client_id && s.mine.has(f.client_id)) {
    // Our own message, already on screen since it was typed.
    settle(f.client_id);
    s.mine.get(f.client_id).dataset.seq = f.seq;
    return;
  }
  if (f.role === "assistant") {
    // The final message replaces any streamed text.
    for (const el of s.streams.values()) el.remove();
    s.streams.clear();
  }
  if (f.role === "system") {
    // One notice per handoff: the same words again (another risky message
    // while the teacher is on the way or in the chat) add nothing.
    if (s.notices.has(f.text)) return;
    s.notices.add(f.text);
  }
  const el = bubble(f);
  el.dataset.seq = f.seq;
  if (f.role === "assistant") el.append(feedbackBar(f.seq));
  $("log").append(el);
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

// showCrisis puts the card's advice first, then the lines open now (each
// a tel: link), and folds the lines closed now away, so that on a phone
// the advice is seen without scrolling inside the card.
function showCrisis(f) {
  const text = $("crisis-text");
  text.replaceChildren(...f.text.split(/\n\s*\n/).map((para) => withLinks(document.createElement("p"), para.trim())));
  const line = (h) => {
    const li = document.createElement("li");
    li.className = h.emergency ? "emergency" : "";
    li.append(`${h.name}：`, dial(h.number), ` ${h.hours}`);
    return li;
  };
  const open = f.hotlines.filter((h) => h.open !== false);
  const closed = f.hotlines.filter((h) => h.open === false);
  $("crisis-lines").replaceChildren(...open.map(line));
  const fold = $("crisis-closed");
  fold.querySelector("summary").textContent = t("closedLines", closed.length);
  fold.querySelector("ul").replaceChildren(...closed.map(line));
  fold.classList.toggle("hidden", closed.length === 0);
  $("crisis").classList.remove("hidden");
  document.body.classList.add("in-crisis");
  $("hotlines").classList.add("hidden"); // the card lists the same lines, first
  $("crisis").scrollTop = 0;
}

// showHandoff keeps one short line per state in the banner (a phone has
// no room for more beside the crisis card) and puts the server's full
// sentence (who will come and when, the lines open now) in the chat, once:
// a frame repeating what the page already shows changes nothing, and a
// "waiting" sent while a teacher is in the chat does not replace them.
function showHandoff(f) {
  if (typeof f.on_duty === "boolean") s.onDuty = f.on_duty; // later frames may leave it out
  if (f.state === "waiting" && s.handoff === "joined" && typeof f.on_duty === "boolean") return;
  const requested = f.kind === "requested";
  const text = f.state === "joined" ? t("joined", f.counselor) : f.state === "ended" ? t("ended")
    : s.onDuty === false ? t(requested ? "requestedNone" : "waitingNone") : t(requested ? "requested" : "waiting");
  if (f.state === "ended") s.notices.clear(); // a later handoff tells its own story
  s.handoff = f.state;
  s.asking = false;
  if (f.state === "ended" && f.mode === "ended") showEnded();
  const el = $("handoff");
  if (el.textContent !== text) el.textContent = text;
  el.classList.remove("hidden");
  if (f.text && !s.notices.has(f.text)) {
    s.notices.add(f.text); // the same words stored as a notice are not shown again
    $("log").append(bubble({ role: "system", text: f.text }));
    scroll();
  }
  updateAsk();
}

// showEnded replaces the composer with an offer to start over; a message
// the server refused is put back in the box so nothing typed is lost.
function showEnded() {
  s.ended = true;
  $("composer").classList.add("hidden");
  $("ended").classList.remove("hidden");
  updateAsk();
  $("restart").focus();
}

// updateAsk shows 找老师聊聊 while no teacher is asked for, and says so
// once the server confirms a handoff is open.
function updateAsk() {
  const b = $("ask");
  const open = s.handoff === "waiting" || s.handoff === "joined";
  b.disabled = open || s.asking || s.ended;
  b.textContent = open ? t("asked") : t("ask");
  // While a teacher is asked for or in the chat, the banner says so.
  b.parentElement.classList.toggle("hidden", open || s.ended);
}

let typingTimer = 0;
function showTyping() {
  const el = $("typing");
  el.textContent = t("typing");
  el.classList.remove("hidden");
  clearTimeout(typingTimer);
  typingTimer = setTimeout(() => el.classList.add("hidden"), 4000);
}

// settle marks a message as stored: no longer pending, no retry left.
function settle(id) {
  const p = s.pending.get(id);
  if (p) { clearTimeout(p.timer); s.pending.delete(id); }
  const el = s.mine.get(id);
  if (el) {
    el.classList.remove("pending", "failed", "retrying");
    const r = el.querySelector(".retry");
    if (r) r.remove();
    el.querySelector(".label").textContent = t("you");
  }
}

// Errors about a message the server could not store (the database is
// down) or could not take yet are retried by themselves, with backoff and
// the same client_id, until acked. A message the server will never take
// as it is (too long, or not a message it accepts) goes back into the box
// to be edited, with what to change: sending the same words again could
// only fail again. Other errors keep a 重发 button for the student.
const autoRetry = new Set(["not_stored", "rate_limited", "unavailable", "busy"]);
const editable = new Set(["too_long", "invalid"]);

// maxLen is the longest message the server takes, in characters; a
// too_long error tells the page the server's own limit.
let maxLen = 2000;

// editAgain takes a refused message off the log and puts its text back in
// the box (before anything typed since), saying why under the box.
function editAgain(id, p, f) {
  clearTimeout(p.timer);
  s.pending.delete(id);
  s.mine.delete(id);
  p.el.remove();
  if (f.code === "too_long" && f.max > 0) maxLen = f.max;
  const box = $("input");
  box.maxLength = Math.max(maxLen, 1);
  box.value = box.value ? `${p.text}\n${box.value}` : p.text;
  updateCount();
  const n = [...p.text].length;
  hint(f.code === "too_long" ? t("tooLong", maxLen, n) : t("editBack", f.message));
  box.focus();
}

// hint shows (or, with "", clears) a line about the box, under it.
function hint(text) {
  const el = $("hint");
  el.textContent = text;
  el.classList.toggle("hidden", !text);
}

function showError(f) {
  const p = f.client_id && s.pending.get(f.client_id);
  if (f.code === "ended" && !p) { // asked for a teacher in a closed conversation
    s.asking = false;
    showEnded();
    return;
  }
  if (!f.client_id && s.asking) {
    // The request for a teacher was refused (too often, say): let the
    // student try again, and say why.
    s.asking = false;
    updateAsk();
  }
  if (!p) {
    status(f.message);
    setTimeout(() => status(""), 5000);
    return;
  }
  const label = p.el.querySelector(".label");
  if (f.code === "ended" || f.code === "conflict") {
    // The conversation was closed: this message can never be sent here.
    s.pending.delete(f.client_id);
    p.el.classList.remove("pending");
    p.el.classList.add("failed");
    s.carry.push(p.text);
    showEnded();
    return;
  }
  if (editable.has(f.code)) {
    editAgain(f.client_id, p, f);
    return;
  }
  if (autoRetry.has(f.code)) {
    p.tries = (p.tries || 0) + 1;
    p.el.classList.add("retrying");
    label.textContent = `${t("you")} · ${t("retrying")}`;
    clearTimeout(p.timer);
    const backoff = Math.max(1000 * (f.retry_after || 0), 1000 * 2 ** (p.tries - 1));
    const wait = Math.min(15000, backoff) * (0.75 + Math.random() / 2);
    p.timer = setTimeout(() => { if (s.pending.get(f.client_id) === p) transmit(f.client_id); }, wait);
    return;
  }
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
  label.textContent = `${t("you")} · ${f.message}`;
}

function onFrame(ev) {
  let f;
  try { f = JSON.parse(ev.data); } catch { return; }
  switch (f.type) {
    case "ack": settle(f.client_id); break;
    case "message": showMessage(f); break;
    case "delta": showDelta(f); break;
    case "crisis": showCrisis(f); break;
    case "handoff": showHandoff(f); break;
    case "error": showError(f); break;
    case "typing": showTyping(); break;
    case "notice": status(f.text); setTimeout(() => status(""), 8000); break;
  }
}

function open() { return s.ws && s.ws.readyState === WebSocket.OPEN; }

function transmit(id) {
  const p = s.pending.get(id);
  if (p && open()) s.ws.send(JSON.stringify({ type: "message", client_id: id, text: p.text }));
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
    if (session.askQueued) { session.askQueued = false; ws.send(JSON.stringify({ type: "ask_counselor" })); }
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
  // client_id, so the server's copy of it is not shown twice; notices: the
  // system lines shown since the last handoff ended; carry: text a
  // closed conversation refused, for the next one.
  s = {
    token: "", lastSeq: 0, pending: new Map(), mine: new Map(), streams: new Map(), notices: new Set(), carry: [],
    ws: null, tries: 0, closedByUs: false, handoff: "", asking: false, askQueued: false, ended: false,
    started: Date.now(), rested: false,
  };
  updateAsk();
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
  noteActivity();
  transmit(id);
}

function askTeacher() {
  if (s.asking || s.ended) return;
  s.asking = true;
  updateAsk();
  if (open()) s.ws.send(JSON.stringify({ type: "ask_counselor" }));
  else s.askQueued = true;
}

// noteActivity shows, once per conversation, a gentle reminder to rest
// after a long session.
function noteActivity() {
  const minutes = Number(document.querySelector('meta[name="xinqiao-rest-minutes"]').content);
  if (s.rested || !(minutes >= 0) || Date.now() - s.started < minutes * 60000) return;
  s.rested = true;
  const p = document.createElement("p");
  p.className = "rest";
  p.setAttribute("role", "status");
  p.textContent = t("rest");
  $("log").append(p);
  scroll();
}
setInterval(() => { if (s && s.lastSeq > 0) noteActivity(); }, 60000);

// restart starts a new conversation on a clean screen, in the current
// language and band.
function restart() {
  if (s) {
    s.closedByUs = true;
    for (const p of s.pending.values()) clearTimeout(p.timer);
    if (s.ws) s.ws.close(1000, "cleared");
  }
  $("log").replaceChildren();
  const intro = document.createElement("p");
  intro.className = "intro muted";
  intro.dataset.i18n = "intro";
  intro.textContent = t("intro");
  $("log").append(intro);
  $("crisis").classList.add("hidden");
  document.body.classList.remove("in-crisis");
  $("hotlines").classList.remove("hidden");
  $("handoff").classList.add("hidden");
  $("handoff").textContent = "";
  $("ended").classList.add("hidden");
  $("composer").classList.remove("hidden");
  $("input").value = "";
  hint("");
  $("band").disabled = false;
  updateCount();
  start();
}

// clearScreen is 清屏: the next student finds the page as it first was,
// in the terminal's own language and with no grade chosen.
function clearScreen() {
  $("band").value = "";
  if (lang !== homeLang) {
    lang = homeLang;
    applyLang();
  }
  restart();
}

function updateCount() {
  const n = [...$("input").value].length;
  $("count").textContent = `${n}/${maxLen}`;
  $("count").classList.toggle("over", n > maxLen);
}

$("composer").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const text = $("input").value.trim();
  if (!text || s.ended) return;
  if ([...text].length > maxLen) { // the server said so once: no need to ask again
    hint(t("tooLong", maxLen, [...text].length));
    return;
  }
  $("input").value = "";
  hint("");
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
  if (s && open() && (s.handoff === "waiting" || s.handoff === "joined") && now - lastTyping > 2000) {
    lastTyping = now;
    s.ws.send(JSON.stringify({ type: "typing" }));
  }
});
$("clear").addEventListener("click", clearScreen);
$("ask").addEventListener("click", askTeacher);
$("restart").addEventListener("click", () => {
  const carry = s.carry.join("\n");
  restart();
  $("input").value = carry;
  updateCount();
  $("input").focus();
});
// The grade band picks material written for the student's age. Chosen before
// the first message it starts the conversation over in that band; a
// registered terminal's band applies when none is chosen.
$("band").addEventListener("change", () => {
  if (s && s.lastSeq === 0 && s.pending.size === 0) restart();
});
$("lang").addEventListener("click", () => {
  lang = lang === "zh" ? "en" : "zh";
  applyLang();
  // Before the first message, the conversation itself switches language;
  // after it, answers follow the language of each message.
  if (s && s.lastSeq === 0 && s.pending.size === 0) restart();
});

applyLang();
start();
