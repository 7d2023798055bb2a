// Administration page: staff accounts, school terminals, the admin's own
// password and the audit log. Plain ES module, no dependencies. Generated
// passwords are shown once and never stored by the page.
import { api, requireLogin, logout, el, ROLE_ZH } from "/static/staff.js";

const $ = (s) => document.querySelector(s);
const roles = ["counselor", "supervisor", "curator", "admin"];
const roleZh = ROLE_ZH;
const bandZh = { "": "未指定", primary: "小学", junior: "初中", senior: "高中" };
const actionZh = {
  "staff.create": "创建账号", "staff.update": "修改账号", "staff.disable": "停用账号", "staff.enable": "启用账号",
  "staff.reset_password": "重置密码", "staff.password": "修改本人密码", "staff.duty": "值班状态",
  "terminal.register": "登记终端", "audit.read": "查看审计日志", "conversation.read": "查看对话",
  "conversation.watch": "旁听对话", "conversation.preview": "值班台预览学生原话", "case.read": "查看个案", "case.list": "查看个案列表",
  "reports.read": "查看报表", "kb.submit": "提交文档审核", "kb.approve": "批准发布文档", "kb.retire": "下线文档",
  "kb.retire_request": "申请下线文档", "risk_rules.publish": "发布区风险规则", "risk_model.publish": "发布区风险模型",
  "risk_label.set": "标注消息风险", "risk_label.export": "导出风险标注",
};

let self = null;
let users = [];
const byID = new Map();

// cell is a table cell labelled for the phone layout, where each row
// becomes a card of "label: value" lines.
function cell(label, attrs, ...children) {
  return el("td", { ...attrs, "data-label": label }, ...children);
}

function status(text) { $("#status").textContent = text; }

// errorOf returns a message for a failed request; an ended session reloads
// the page to the login form.
function errorOf(e) {
  if (e.status === 401) {
    location.reload();
    return "登录已过期 Session ended";
  }
  return e.message;
}

// suggestPassword returns a random password that is easy to read out:
// three groups of four from an alphabet without look-alike characters.
function suggestPassword() {
  const abc = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
  const v = new Uint32Array(12);
  crypto.getRandomValues(v);
  let s = "";
  v.forEach((n, i) => {
    if (i && i % 4 === 0) s += "-";
    s += abc[n % abc.length];
  });
  return s;
}

// showOnce shows a new password until the admin dismisses it.
function showOnce(title, pw) {
  $("#once-title").textContent = title;
  $("#once-pw").textContent = pw;
  $("#once").classList.remove("hidden");
  $("#once").scrollIntoView({ block: "nearest" });
}

function hideOnce() {
  $("#once-pw").textContent = "";
  $("#once").classList.add("hidden");
}

function roleOptions(select, current) {
  select.innerHTML = "";
  for (const r of roles) {
    const o = el("option", { value: r }, `${roleZh[r]} ${r}`);
    if (r === current) o.selected = true;
    select.append(o);
  }
}

function nameOf(id) {
  const u = byID.get(id);
  return u ? `${u.display_name} (${u.username})` : id;
}

// ---- staff accounts ----

async function loadUsers() {
  const r = await api("GET", "/api/staff/users");
  users = r.users;
  byID.clear();
  for (const u of users) byID.set(u.id, u);
  const tb = $("#users tbody");
  tb.innerHTML = "";
  for (const u of users) {
    const mine = u.id === self.id;
    const actions = el("div", { class: "actions" },
      el("button", { type: "button", class: "edit", onclick: () => openEdit(u) }, "修改 Edit"));
    if (!mine) {
      actions.append(el("button", { type: "button", class: "reset", onclick: () => openReset(u) }, "重置密码 Reset password"));
      actions.append(u.disabled
        ? el("button", { type: "button", class: "enable", onclick: () => setDisabled(u, false) }, "启用 Enable")
        : confirmButton("停用 Disable", "确定停用？ Confirm", "disable danger", () => setDisabled(u, true)));
    }
    actions.append(el("a", { class: "target", href: "#sec-audit", onclick: () => showAudit(u.id) }, "记录 Log"));
    tb.append(el("tr", { class: u.disabled ? "disabled" : "", "data-username": u.username },
      cell("用户名", {}, u.username, mine ? el("span", { class: "muted" }, "（我 me）") : ""),
      cell("姓名", { class: "name" }, u.display_name),
      cell("角色", { class: "role" }, `${roleZh[u.role] || u.role} `, el("span", { class: "en" }, u.role)),
      cell("学校", { class: "school" }, u.school || ""),
      cell("状态", { class: "state" }, u.disabled
        ? el("span", { class: "badge off" }, "已停用 disabled")
        : el("span", { class: "badge on" }, u.on_duty ? "值班中 on duty" : "正常 active")),
      cell("操作", {}, actions)));
  }
}

// confirmButton asks for a second click within five seconds before fn runs.
function confirmButton(label, confirmLabel, cls, fn) {
  const b = el("button", { type: "button", class: cls }, label);
  let timer = 0;
  b.addEventListener("click", () => {
    if (!timer) {
      b.textContent = confirmLabel;
      b.classList.add("confirm");
      timer = setTimeout(() => { timer = 0; b.textContent = label; b.classList.remove("confirm"); }, 5000);
      return;
    }
    clearTimeout(timer);
    timer = 0;
    fn();
  });
  return b;
}

async function setDisabled(u, disabled) {
  try {
    await api("POST", `/api/staff/users/${encodeURIComponent(u.id)}`, { disabled });
    status(disabled ? `已停用 ${u.username}，其登录已全部退出。 Disabled; signed out everywhere.` : `已启用 ${u.username}。 Enabled.`);
    await loadUsers();
    changed();
  } catch (e) {
    status(errorOf(e));
  }
}

function openEdit(u) {
  const f = $("#user-edit");
  $("#edit-id").value = u.id;
  $("#edit-who").textContent = u.username;
  $("#edit-name").value = u.display_name;
  $("#edit-school").value = u.school || "";
  roleOptions($("#edit-role"), u.role);
  $("#edit-role").disabled = u.id === self.id; // no self-demotion
  f.querySelector(".error").textContent = "";
  f.classList.remove("hidden");
  $("#edit-name").focus();
}

async function saveEdit(ev) {
  ev.preventDefault();
  const f = $("#user-edit");
  const id = $("#edit-id").value;
  const body = { display_name: $("#edit-name").value, school: $("#edit-school").value };
  if (id !== self.id) body.role = $("#edit-role").value;
  try {
    await api("POST", `/api/staff/users/${encodeURIComponent(id)}`, body);
    f.classList.add("hidden");
    status("已保存 Saved");
    await loadUsers();
    changed();
  } catch (e) {
    f.querySelector(".error").textContent = errorOf(e);
  }
}

function openReset(u) {
  const f = $("#user-reset");
  $("#reset-id").value = u.id;
  $("#reset-who").textContent = u.username;
  $("#reset-pw").value = suggestPassword();
  f.querySelector(".error").textContent = "";
  f.classList.remove("hidden");
}

async function saveReset(ev) {
  ev.preventDefault();
  const f = $("#user-reset");
  const id = $("#reset-id").value, pw = $("#reset-pw").value;
  try {
    await api("POST", `/api/staff/users/${encodeURIComponent(id)}/password`, { password: pw });
    $("#reset-pw").value = "";
    f.classList.add("hidden");
    showOnce(`已重置 ${nameOf(id)} 的密码 Password reset`, pw);
    changed();
  } catch (e) {
    f.querySelector(".error").textContent = errorOf(e);
  }
}

async function createUser(ev) {
  ev.preventDefault();
  const f = $("#user-create");
  const pw = $("#new-pw").value;
  const body = {
    username: $("#new-username").value.trim(), password: pw, role: $("#new-role").value,
    display_name: $("#new-name").value.trim(), school: $("#new-school").value.trim(),
  };
  try {
    const st = await api("POST", "/api/staff/users", body);
    f.reset();
    roleOptions($("#new-role"), "counselor");
    $("#new-pw").value = suggestPassword();
    f.querySelector(".error").textContent = "";
    await loadUsers();
    showOnce(`已创建账号 ${st.username}（${roleZh[st.role]}） Account created`, pw);
    changed();
  } catch (e) {
    f.querySelector(".error").textContent = errorOf(e);
  }
}

// ---- terminals ----

function terminalURL(code) {
  return `${location.origin}/?t=${encodeURIComponent(code)}`;
}

async function loadTerminals() {
  const r = await api("GET", "/api/terminals");
  const tb = $("#terminals tbody");
  tb.innerHTML = "";
  for (const t of r.terminals) {
    const url = terminalURL(t.code);
    tb.append(el("tr", { "data-code": t.code },
      cell("编号", {}, el("code", {}, t.code)),
      cell("学校", {}, t.school),
      cell("位置", {}, t.place || ""),
      cell("学段", {}, `${bandZh[t.band || ""]} `, el("span", { class: "en" }, t.band || "any")),
      cell("地址", {}, el("a", { class: "url", href: url, target: "_blank", rel: "noopener" }, url)),
      cell("", {}, el("button", { type: "button", onclick: () => editTerminal(t) }, "修改 Edit"))));
  }
  if (!r.terminals.length) tb.append(el("tr", {}, el("td", { colspan: "6", class: "muted" }, "还没有登记终端 No terminals yet")));
}

function editTerminal(t) {
  $("#t-code").value = t.code;
  $("#t-school").value = t.school;
  $("#t-place").value = t.place || "";
  $("#t-band").value = t.band || "";
  $("#terminal-form").scrollIntoView({ block: "nearest" });
  $("#t-school").focus();
}

async function saveTerminal(ev) {
  ev.preventDefault();
  const f = $("#terminal-form");
  const body = { code: $("#t-code").value.trim(), school: $("#t-school").value.trim(), place: $("#t-place").value.trim(), band: $("#t-band").value };
  try {
    const t = await api("POST", "/api/terminals", body);
    f.reset();
    f.querySelector(".error").textContent = "";
    status(`已保存终端 ${t.code}；在该终端打开 ${terminalURL(t.code)} Saved`);
    await loadTerminals();
    changed();
  } catch (e) {
    f.querySelector(".error").textContent = errorOf(e);
  }
}

// ---- own password ----

async function changePassword(ev) {
  ev.preventDefault();
  const f = $("#pw-form");
  const err = f.querySelector(".error"), ok = f.querySelector(".ok");
  err.textContent = ok.textContent = "";
  if ($("#pw-new").value !== $("#pw-again").value) {
    err.textContent = "两次输入的新密码不一样 The new passwords differ";
    return;
  }
  try {
    await api("POST", "/api/staff/password", { current: $("#pw-current").value, new: $("#pw-new").value });
    f.reset();
    ok.textContent = "密码已修改 Password changed";
    changed();
  } catch (e) {
    err.textContent = errorOf(e);
  }
}

// ---- audit log ----

function showAudit(target) {
  $("#a-target").value = target;
  loadAudit().catch((e) => status(errorOf(e)));
}

async function loadAudit() {
  const q = new URLSearchParams({ limit: $("#a-limit").value });
  const target = $("#a-target").value.trim();
  if (target) q.set("target", target);
  const r = await api("GET", "/api/audit?" + q);
  const tb = $("#audit tbody");
  tb.innerHTML = "";
  for (const e of r.events) {
    const target = e.target
      ? el("a", { class: "target", href: "#sec-audit", title: e.target, onclick: (ev) => { ev.preventDefault(); showAudit(e.target); } }, byID.has(e.target) ? nameOf(e.target) : e.target)
      : "";
    tb.append(el("tr", { "data-action": e.action },
      cell("时间", {}, new Date(e.at).toLocaleString("zh-CN", { hour12: false })),
      cell("操作人", { title: e.actor }, byID.has(e.actor) ? nameOf(e.actor) : e.actor),
      cell("动作", { class: "action" }, `${actionZh[e.action] || ""} `, el("span", { class: "en" }, e.action)),
      cell("对象", {}, target),
      cell("详情", { class: "detail" }, e.detail || "")));
  }
  if (!r.events.length) tb.append(el("tr", {}, el("td", { colspan: "5", class: "muted" }, "没有记录 No entries")));
  $("#audit-live").textContent = `有新记录时自动更新，上次更新 ${new Date().toLocaleTimeString("zh-CN", { hour12: false })} · Updates itself when something happens`;
}

// The log reloads itself after the page's own changes and, by polling the
// id of the newest change (a cheap request that reads no event), when
// anyone else changes something; a reload records a read of the log, a
// poll does not.
const auditPollMS = 5000;
let shownChange = -1; // the newest change the table shows

async function refreshAudit() {
  const { latest } = await api("GET", "/api/audit/latest");
  await loadAudit();
  shownChange = latest;
}

// changed reloads the log after a change made on this page.
function changed() { refreshAudit().catch((e) => status(errorOf(e))); }

async function pollAudit() {
  if (document.visibilityState !== "visible") return;
  try {
    const { latest } = await api("GET", "/api/audit/latest");
    if (latest !== shownChange) await refreshAudit();
  } catch (e) {
    if (e.status === 401) location.reload();
  }
}

// ---- start ----

async function main() {
  self = await requireLogin($("#login"));
  $("#who").textContent = `${self.display_name} (${roleZh[self.role] || self.role})`;
  $("#logout").classList.remove("hidden");
  $("#logout").addEventListener("click", logout);
  if (self.role !== "admin") {
    $("#denied").classList.remove("hidden");
    return;
  }
  for (const id of ["#nav", "#sec-users", "#sec-terminals", "#sec-password", "#sec-audit"]) $(id).classList.remove("hidden");
  roleOptions($("#new-role"), "counselor");
  $("#new-pw").value = suggestPassword();
  $("#new-gen").addEventListener("click", () => { $("#new-pw").value = suggestPassword(); });
  $("#reset-gen").addEventListener("click", () => { $("#reset-pw").value = suggestPassword(); });
  $("#once-done").addEventListener("click", hideOnce);
  $("#user-create").addEventListener("submit", createUser);
  $("#user-edit").addEventListener("submit", saveEdit);
  $("#edit-cancel").addEventListener("click", () => $("#user-edit").classList.add("hidden"));
  $("#user-reset").addEventListener("submit", saveReset);
  $("#reset-cancel").addEventListener("click", () => { $("#reset-pw").value = ""; $("#user-reset").classList.add("hidden"); });
  $("#terminal-form").addEventListener("submit", saveTerminal);
  $("#pw-form").addEventListener("submit", changePassword);
  $("#audit-filter").addEventListener("submit", (ev) => { ev.preventDefault(); loadAudit().catch((e) => status(errorOf(e))); });
  $("#a-all").addEventListener("click", () => showAudit(""));
  setInterval(pollAudit, auditPollMS);
  document.addEventListener("visibilitychange", pollAudit);
  try {
    await loadUsers();
    await loadTerminals();
    await refreshAudit();
  } catch (e) {
    status(errorOf(e));
  }
}

main().catch((e) => status(e.message));
