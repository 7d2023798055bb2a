// Reports page: date range and school filters, summary tiles, tables and
// small inline SVG bar charts. Plain ES module, no dependencies; counts only.
import { api, requireLogin, logout, el, ROLE_ZH } from "/static/staff.js";

const $ = (s) => document.querySelector(s);
const SVG = "http://www.w3.org/2000/svg";
const levels = ["none", "low", "medium", "high", "imminent"];
const levelZh = { none: "无", low: "低", medium: "中", high: "高", imminent: "紧急" };
const outcomeZh = { resolved: "已疏导", referred: "已转介", emergency: "紧急处置", false_alarm: "误报", no_reply: "学生未回应", other: "其他",
  reviewed: "已阅无需跟进", follow_up: "转为个案跟进" };
// kindZh names the handoff kinds, in queue order.
const kinds = ["urgent", "requested", "review"];
const kindZh = { urgent: "立即处理", requested: "找老师", review: "待阅" };
// beijing shows an instant as Beijing wall time, whatever the browser's zone.
const beijing = (iso) => new Date(iso).toLocaleString("zh-CN", { timeZone: "Asia/Shanghai", hour12: false });
const actionZh = { duty: "通知值班", oncall: "通知区值班", supervisor: "通知主管" };
const langZh = { zh: "中文", en: "英文" };
const roleZh = ROLE_ZH;
const problemZh = { 400: "查询条件有误", 401: "登录已过期，请刷新页面重新登录", 403: "没有权限查看", 503: "暂时无法读取" };

function bi(zh, en) { return [zh + " ", el("span", { class: "en" }, en)]; }

function svg(tag, attrs = {}, ...children) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return e;
}

// duration says how long in Chinese: 45秒, 3分12秒, 2小时5分.
function duration(sec) {
  sec = Math.round(sec);
  if (sec < 60) return sec + "秒";
  if (sec < 3600) return Math.floor(sec / 60) + "分" + (sec % 60 ? (sec % 60) + "秒" : "");
  const h = Math.floor(sec / 3600), m = Math.floor((sec % 3600) / 60);
  return h + "小时" + (m ? m + "分" : "");
}

// stackedBars draws one bar per day, stacked by risk level.
function stackedBars(days) {
  const w = 600, h = 150, pad = 18;
  const totals = days.map((d) => levels.reduce((n, l) => n + (d.student_messages[l] || 0), 0));
  const top = Math.max(1, ...totals);
  const bw = w / days.length;
  const g = svg("svg", { viewBox: `0 0 ${w} ${h + pad}`, role: "img", "aria-label": "学生消息每日柱状图 student messages per day", class: "bars" });
  days.forEach((d, i) => {
    let y = h;
    for (const l of levels) {
      const n = d.student_messages[l] || 0;
      if (!n) continue;
      const bh = (n / top) * (h - 4);
      y -= bh;
      g.append(svg("rect", { x: i * bw + 1, y, width: Math.max(1, bw - 2), height: bh, class: "lv-" + l },
        svg("title", {}, `${d.day} ${levelZh[l]} ${l}: ${n}`)));
    }
  });
  g.append(svg("text", { x: 2, y: h + pad - 4, class: "axis" }, days[0] ? days[0].day : ""));
  g.append(svg("text", { x: w - 2, y: h + pad - 4, class: "axis", "text-anchor": "end" }, days.length ? days[days.length - 1].day : ""));
  g.append(svg("text", { x: 2, y: 12, class: "axis" }, "最高 max " + top));
  return g;
}

// hbars draws labelled horizontal bars: rows of {label, n}.
function hbars(rows, label) {
  if (!rows.length) return el("p", { class: "muted" }, "无数据 none");
  const rh = 24, w = 380, lw = 190;
  const top = Math.max(1, ...rows.map((r) => r.n));
  const g = svg("svg", { viewBox: `0 0 ${w} ${rows.length * rh}`, role: "img", "aria-label": label, class: "hbars" });
  rows.forEach((r, i) => {
    const bw = ((w - lw - 40) * r.n) / top;
    g.append(svg("text", { x: 0, y: i * rh + 16, class: "label" }, r.label));
    g.append(svg("rect", { x: lw, y: i * rh + 4, width: Math.max(1, bw), height: rh - 8, class: "bar" }));
    g.append(svg("text", { x: lw + bw + 4, y: i * rh + 16, class: "label" }, r.n));
  });
  return g;
}

function tile(zh, en, value, cls = "") {
  return el("div", { class: "tile card " + cls }, el("div", { class: "num" }, value), el("div", {}, ...bi(zh, en)));
}

function fillTable(sel, rows) {
  const tbody = $(sel + " tbody");
  tbody.replaceChildren(...rows);
}

function render(r) {
  $("#scope").replaceChildren(...bi(`${r.from} 至 ${r.to}（北京时间）` + (r.school ? ` · ${r.school}` : "") +
    (r.scope === "gaps" ? " · 仅知识缺口" : ""), `${r.from} to ${r.to}, ${r.zone}` + (r.scope === "gaps" ? ", knowledge gaps only" : "")));
  $("#f-from").value = r.from;
  $("#f-to").value = r.to;
  if (r.schools) {
    const sel = $("#f-school"), cur = r.school || "";
    sel.replaceChildren(el("option", { value: "" }, "全部学校 all"), ...r.schools.map((s) => el("option", { value: s }, s)));
    sel.value = cur;
  }
  const q = new URLSearchParams({ from: r.from, to: r.to });
  if (r.school && r.scope === "all") q.set("school", r.school);
  $("#csv").href = "/api/reports.csv?" + q;

  const full = r.scope !== "gaps";
  for (const id of ["#sec-now", "#sec-summary", "#sec-daily", "#sec-handoffs"]) $(id).classList.toggle("hidden", !full);
  $("#sec-gaps").classList.remove("hidden");
  if (full) {
    const h = r.handoffs, f = r.follow_ups;
    fillTable("#roster", r.roster.on_duty.length ? r.roster.on_duty.map((s) => el("tr", {},
      el("td", {}, s.name, " ", el("span", { class: "muted" }, roleZh[s.role] || s.role)),
      el("td", {}, s.school || "全区 district"),
      el("td", {}, s.last_seen ? beijing(s.last_seen) : "—"))) :
      [el("tr", {}, el("td", { colspan: 3, class: "error" }, ...bi("现在没有老师在值班", "Nobody is on duty")))]);
    fillTable("#waiting", h.waiting.length ? h.waiting.map((w) => el("tr", { class: w.waited_seconds > 300 ? "late" : "" },
      el("td", {}, el("span", { class: "badge " + w.level }, levelZh[w.level] + " " + w.level)),
      el("td", {}, w.school || "未登记终端"),
      el("td", {}, duration(w.waited_seconds)),
      el("td", {}, w.escalated ? "第 " + w.escalated + " 级" : "—"))) :
      [el("tr", {}, el("td", { colspan: 4, class: "muted" }, ...bi("没有等待中的求助", "None waiting")))]);

    $("#tiles").replaceChildren(
      tile("新对话", "Chats", r.totals.conversations),
      tile("学生消息", "Student messages", r.totals.student_messages),
      tile("转介", "Handoffs opened", h.opened),
      tile("已接手", "Claimed", h.claimed),
      tile("已结案", "Closed", h.closed),
      tile("无人值班时转介", "Opened with nobody on duty", h.opened_no_duty, h.opened_no_duty ? "warn" : ""),
      tile("到期回访", "Follow-ups due", f.due),
      tile("已完成回访", "Follow-ups done", f.done),
      tile("逾期回访", "Follow-ups overdue", f.overdue, f.overdue ? "warn" : ""));

    $("#chart-messages").replaceChildren(stackedBars(r.days));
    $("#legend").replaceChildren(...levels.map((l) => el("span", { class: "key" }, el("i", { class: "sw lv-" + l }), levelZh[l] + " " + l)));
    // The table lists the days with activity only; the quiet days are
    // folded into one line (the chart above still shows every day).
    const active = r.days.filter((d) => d.conversations || d.handoffs_opened || levels.some((l) => d.student_messages[l]));
    const quiet = r.days.length - active.length;
    fillTable("#daily", [...active.reverse().map((d) => el("tr", { class: "day" },
      el("td", {}, d.day), el("td", {}, d.conversations),
      ...levels.map((l) => el("td", { class: d.student_messages[l] && (l === "high" || l === "imminent") ? "hot" : "" }, d.student_messages[l])),
      el("td", {}, d.handoffs_opened))),
      ...(quiet ? [el("tr", { class: "quiet" }, el("td", { colspan: 8, class: "muted" },
        ...bi(active.length ? `其余 ${quiet} 天没有活动` : `这 ${quiet} 天都没有活动`, active.length ? `${quiet} other days without activity` : `No activity on any of the ${quiet} days`)))] : [])]);

    const t = h.time_to_claim;
    fillTable("#claim", [
      el("tr", {}, el("th", {}, ...bi("已接手", "claimed")), el("td", {}, t.count)),
      el("tr", {}, el("th", {}, "中位数 p50"), el("td", {}, t.count ? duration(t.p50_seconds) : "—")),
      el("tr", {}, el("th", {}, "90% p90"), el("td", {}, t.count ? duration(t.p90_seconds) : "—")),
      el("tr", {}, el("th", {}, ...bi("最长", "max")), el("td", {}, t.count ? duration(t.max_seconds) : "—")),
      ...levels.slice(3).map((l) => el("tr", {}, el("th", {}, ...bi("转介·" + levelZh[l], l)), el("td", {}, h.opened_by_level[l] || 0)))]);
    const kf = h.kinds || {};
    fillTable("#kinds", [...kinds, ...Object.keys(kf).filter((k) => !kinds.includes(k))].map((k) => {
      const f = kf[k] || { opened: 0, claimed: 0, closed: 0, time_to_claim: { count: 0 } };
      const d = f.time_to_claim || { count: 0 };
      const dur = (v) => (d.count ? duration(v) : "—");
      return el("tr", { "data-kind": k }, el("th", {}, ...bi(kindZh[k] || k, k)), el("td", {}, f.opened), el("td", {}, f.claimed), el("td", {}, f.closed),
        el("td", {}, dur(d.p50_seconds)), el("td", {}, dur(d.p90_seconds)), el("td", {}, dur(d.max_seconds)));
    }));
    $("#chart-escalations").replaceChildren(hbars(h.escalations.map((s) => ({ label: `第${s.step}级 ${actionZh[s.action] || ""} ${s.action}`, n: s.count })), "升级次数 escalations"));
    $("#chart-outcomes").replaceChildren(hbars(Object.entries(h.outcomes).sort((a, b) => b[1] - a[1]).map(([k, n]) => ({ label: `${outcomeZh[k] || ""} ${k}`, n })), "结案结果 outcomes"));
  }
  const g = r.gaps;
  $("#chart-gaps").replaceChildren(hbars(g.topics.slice(0, 12).map((t) => ({ label: `${t.topic} (${langZh[t.lang] || t.lang})`, n: t.count })), "知识缺口 gaps"));
  fillTable("#gaps", g.topics.length ? g.topics.map((t) => el("tr", {}, el("td", {}, t.topic), el("td", {}, `${langZh[t.lang] || ""} ${t.lang}`), el("td", {}, t.count))) :
    [el("tr", {}, el("td", { colspan: 3, class: "muted" }, ...bi("这段时间没有记录到缺口", "No gaps in this period")))]);
}

async function load(params) {
  $("#status").textContent = "加载中… Loading";
  try {
    const r = await api("GET", "/api/reports?" + new URLSearchParams(params));
    render(r);
    $("#status").textContent = "";
  } catch (e) {
    $("#status").replaceChildren(el("span", { class: "error" }, (problemZh[e.status] || "出错了，请稍后再试") + "。 " + e.message));
  }
}

async function main() {
  const st = await requireLogin($("#login"));
  $("#who").textContent = st.display_name;
  $("#logout").classList.remove("hidden");
  $("#logout").addEventListener("click", logout);
  $("#filters").classList.remove("hidden");
  if (st.role === "counselor" || st.role === "curator") $("#f-school-label").classList.add("hidden");
  $("#filters").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const p = { from: $("#f-from").value, to: $("#f-to").value };
    if ($("#f-school").value) p.school = $("#f-school").value;
    load(p);
  });
  const q = new URLSearchParams(location.search);
  const p = {};
  for (const k of ["from", "to", "school"]) if (q.get(k)) p[k] = q.get(k);
  load(p);
}

main();
