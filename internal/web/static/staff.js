// Shared helpers for the staff pages: login, the CSRF header on every
// state-changing request, JSON errors shown as text.
let csrf = "";

// A box that scrolls a wide table sideways takes the keyboard focus, so
// that it can be scrolled without a mouse (the pages' own boxes; a box a
// page adds later sets tabindex itself).
for (const box of document.querySelectorAll(".scroll:not([tabindex])")) box.tabIndex = 0;

// ROLE_ZH names each staff role in Chinese, for every staff page.
export const ROLE_ZH = { admin: "管理员", supervisor: "主管", counselor: "心理老师", curator: "教研员" };

export async function api(method, path, body) {
  const opts = { method, headers: {}, credentials: "same-origin" };
  if (method !== "GET" && method !== "HEAD") opts.headers["X-CSRF-Token"] = csrf;
  if (body !== undefined) {
    opts.headers["Content-Type"] = "application/json";
    opts.body = JSON.stringify(body);
  }
  const res = await fetch(path, opts);
  const text = await res.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = null; }
  if (!res.ok) {
    const err = new Error((data && data.error && data.error.message) || res.statusText);
    err.status = res.status;
    err.code = data && data.error && data.error.code;
    err.line = data && data.error && data.error.line; // the line of a text the user wrote, when the error is about one
    throw err;
  }
  return data;
}

// me returns the logged-in staff member, or null.
export async function me() {
  try {
    const r = await api("GET", "/api/staff/me");
    csrf = r.csrf;
    return r.staff;
  } catch (e) {
    if (e.status === 401) return null;
    throw e;
  }
}

// requireLogin shows the login form in `root` until a login succeeds and,
// for an account whose password someone else knows (printed at the first
// start or set by an admin), the form to choose its own; then it resolves
// with the staff member. The server refuses everything else until then.
export async function requireLogin(root) {
  let st = await me();
  let typed = "";
  if (!st) [st, typed] = await loginForm(root);
  if (st.must_change_password) st = await firstPasswordForm(root, typed);
  return withNav(st);
}

function loginForm(root) {
  return new Promise((resolve) => {
    root.innerHTML = "";
    const form = document.createElement("form");
    form.className = "login card";
    form.innerHTML = `<h2>心桥 · 教师登录 <span class="muted">Staff login</span></h2>
      <label>用户名 <span class="muted">Username</span> <input name="username" autocomplete="username" required></label>
      <label>密码 <span class="muted">Password</span> <input name="password" type="password" autocomplete="current-password" required></label>
      <button class="primary" type="submit">登录 Log in</button>
      <p class="error" role="alert"></p>`;
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const fd = new FormData(form);
      try {
        const r = await api("POST", "/api/staff/login", { username: fd.get("username"), password: fd.get("password") });
        csrf = r.csrf;
        root.innerHTML = "";
        resolve([r.staff, fd.get("password")]);
      } catch (e) {
        const zh = { 401: "用户名或密码不对", 429: "尝试次数太多，请一分钟后再试", 400: "请填写用户名和密码" }[e.status];
        form.querySelector(".error").textContent = zh ? `${zh}（${e.message}）` : e.message;
      }
    });
    root.appendChild(form);
  });
}

// firstPasswordForm asks for a password of the account's own before
// anything else, and resolves with the staff member once it is changed.
// current is the password just typed at the login, if any.
function firstPasswordForm(root, current) {
  return new Promise((resolve) => {
    root.innerHTML = "";
    const form = document.createElement("form");
    form.className = "login card first-password";
    form.innerHTML = `<h2>请设置你自己的密码 <span class="muted">Choose your own password</span></h2>
      <p>这个账号现在的密码是别人告诉你的（启动时打印，或由管理员设置）。继续之前，请换成只有你知道的密码。
        <span class="muted">Someone else knows this account's password: change it before anything else.</span></p>
      <label class="current">当前密码 <span class="muted">Current password</span> <input name="current" type="password" autocomplete="current-password" required></label>
      <label>新密码（至少 10 个字符） <span class="muted">New password, 10 characters or more</span> <input name="new" type="password" autocomplete="new-password" minlength="10" required></label>
      <label>再输一次 <span class="muted">New password again</span> <input name="again" type="password" autocomplete="new-password" minlength="10" required></label>
      <button class="primary" type="submit">保存新密码 Save</button>
      <button type="button" class="out">退出 Log out</button>
      <p class="error" role="alert"></p>`;
    const cur = form.querySelector('input[name="current"]');
    if (current) { cur.value = current; form.querySelector("label.current").hidden = true; }
    form.querySelector("button.out").addEventListener("click", logout);
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const fd = new FormData(form);
      const err = form.querySelector(".error");
      if (fd.get("new") !== fd.get("again")) { err.textContent = "两次输入的新密码不一样 The new passwords differ"; return; }
      try {
        await api("POST", "/api/staff/password", { current: fd.get("current"), new: fd.get("new") });
        const st = await me();
        root.innerHTML = "";
        resolve(st);
      } catch (e) {
        if (e.status === 403) form.querySelector("label.current").hidden = false; // the current password was wrong
        const zh = { 400: "新密码不符合要求", 403: "当前密码不对", 429: "尝试次数太多，请一分钟后再试" }[e.status];
        err.textContent = zh ? `${zh}（${e.message}）` : e.message;
      }
    });
    root.appendChild(form);
    form.querySelector(current ? 'input[name="new"]' : 'input[name="current"]').focus();
  });
}

export async function logout() {
  await api("POST", "/api/staff/logout");
  location.reload();
}

// el builds an element: el("td", {class: "x"}, "text", child).
export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") e.className = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(String(c ?? "")));
  return e;
}

// withNav adds links to the other staff pages this account may use to the
// page's header, and returns the staff member.
function withNav(st) {
  const bar = document.querySelector("header.bar");
  if (!bar || bar.querySelector("nav.pages")) return st;
  const can = (role) => st.role === "admin" || st.role === role || (role === "counselor" && st.role === "supervisor");
  const pages = [
    ["/counselor", "值班台", can("counselor")],
    ["/curator", "知识库", can("curator")],
    ["/reports", "报表", true],
    ["/rules", "风险规则", can("counselor")],
    ["/admin", "管理", st.role === "admin"],
  ].filter(([href, , ok]) => ok && href !== location.pathname);
  if (pages.length === 0) return st;
  const nav = el("nav", { class: "pages" }, ...pages.map(([href, name]) => el("a", { href }, name)));
  const h1 = bar.querySelector("h1");
  if (h1) h1.after(nav); else bar.prepend(nav);
  return st;
}
