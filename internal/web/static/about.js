// The about page: the page's language (?lang=en) and the retention the
// server really uses. Opened in its own tab from the chat, "back" closes
// it so the chat, which lives only in that tab, is where it was.
const en = new URLSearchParams(location.search).get("lang") === "en";
document.getElementById(en ? "zh" : "en").classList.add("hidden");
document.getElementById(en ? "en" : "zh").classList.remove("hidden");
document.documentElement.lang = en ? "en" : "zh-CN";
document.title = en ? "About Xinqiao" : "关于心桥";

async function retention() {
  let days;
  try {
    const r = await fetch("/api/about");
    days = (await r.json()).retention_days;
  } catch {
    return; // unknown: say nothing rather than a number that may be wrong
  }
  for (const e of document.querySelectorAll(".days")) e.textContent = String(days);
  for (const e of document.querySelectorAll(".keep-days")) e.classList.toggle("hidden", !(days > 0));
  for (const e of document.querySelectorAll(".keep-forever")) e.classList.toggle("hidden", days > 0);
}
retention();

for (const a of document.querySelectorAll("a.back")) {
  a.addEventListener("click", (ev) => {
    if (history.length > 1) return; // reached by a link in this tab: follow it
    ev.preventDefault();
    window.close();
    setTimeout(() => { location.href = a.href; }, 300); // a tab the script may not close
  });
}
