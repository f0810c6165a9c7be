"""The placeholder home page: sign in, see who you are, list the associations (the dashboard comes later)."""

from __future__ import annotations

HOME_PAGE = """<!doctype html>
<html lang="ja">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>ouen（応援）災害時相互応援調整</title>
<style>
body { font-family: "Noto Sans CJK JP", "Hiragino Sans", sans-serif; margin: 2rem auto; max-width: 48rem;
       padding: 0 1rem; color: #222; }
h1 { font-size: 1.5rem; } .en { color: #666; font-size: .9em; }
form { display: grid; gap: .5rem; max-width: 22rem; }
label { display: grid; gap: .2rem; } input, button { font-size: 1rem; padding: .4rem; }
#error { color: #b00020; } table { border-collapse: collapse; width: 100%; }
td, th { border-bottom: 1px solid #ddd; padding: .3rem; text-align: left; font-size: .9rem; }
</style>
</head>
<body>
<h1>ouen（応援）<span class="en">Disaster-time mutual aid</span></h1>
<p>ダッシュボードは準備中です。<span class="en">The dashboard is coming.</span>
   API: <a href="/docs">/docs</a></p>
<section id="signin">
  <h2>サインイン <span class="en">Sign in</span></h2>
  <form id="login-form">
    <label>ログイン名 <span class="en">Login</span><input name="login" autocomplete="username" required></label>
    <label>パスワード <span class="en">Password</span>
      <input name="password" type="password" autocomplete="current-password" required></label>
    <button type="submit">サインイン / Sign in</button>
    <p id="error" role="alert"></p>
  </form>
</section>
<section id="signed-in" hidden>
  <p>サインイン中 <span class="en">Signed in as</span>: <strong id="who"></strong>
     <button id="logout">サインアウト / Sign out</button></p>
  <h2>地域国際化協会 <span class="en">Associations</span></h2>
  <table><thead><tr><th>ID</th><th>名称</th><th>Name</th><th>ブロック / Block</th></tr></thead>
  <tbody id="associations"></tbody></table>
</section>
<script>
const $ = (id) => document.getElementById(id);
function cell(text) { const td = document.createElement("td"); td.textContent = text ?? ""; return td; }
async function showUser() {
  const me = await fetch("/api/v1/auth/me");
  if (!me.ok) { $("signin").hidden = false; $("signed-in").hidden = true; return; }
  const user = await me.json();
  $("who").textContent = `${user.display_name} (${user.login}, ${user.role})`;
  $("signin").hidden = true; $("signed-in").hidden = false;
  const rows = await (await fetch("/api/v1/associations")).json();
  const body = $("associations"); body.replaceChildren();
  for (const row of rows) {
    const tr = document.createElement("tr");
    tr.append(cell(row.id), cell(row.name_ja), cell(row.name_en), cell(row.block));
    body.append(tr);
  }
}
$("login-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = new FormData(event.target);
  const response = await fetch("/api/v1/auth/login", {method: "POST",
    headers: {"Content-Type": "application/json"},
    body: JSON.stringify({login: form.get("login"), password: form.get("password")})});
  if (!response.ok) {
    const problem = await response.json();
    $("error").textContent = `${problem.error.message.ja} / ${problem.error.message.en}`;
    return;
  }
  $("error").textContent = ""; event.target.reset(); showUser();
});
$("logout").addEventListener("click", async () => {
  await fetch("/api/v1/auth/logout", {method: "POST"}); showUser();
});
showUser();
</script>
</body>
</html>
"""
