// The chat page's script, served as a file of its own: the page's Content-Security-Policy allows
// scripts and styles from this server only, never inline ones.
"use strict";
// Everything the page does is a call to the same JSON API a script would use.
const $ = (id) => document.getElementById(id);
let user = null;

// Calls the API; an error status becomes an Error whose message is the server's `message`.
async function api(method, path, body) {
  const init = { method, headers: {} };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (err) {
    throw new Error("the server cannot be reached (" + err.message + ")");
  }
  const text = await response.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch (_) { /* not JSON: shown as text below */ }
  if (!response.ok) {
    const detail = data && data.message ? data.error + ": " + data.message : text;
    throw new Error("HTTP " + response.status + " " + detail);
  }
  return data;
}

// Runs `action`, showing its error on the page (never only in the console).
async function guarded(button, action) {
  $("error").textContent = "";
  button.disabled = true;
  try {
    await action();
  } catch (err) {
    $("error").textContent = err.message;
  } finally {
    button.disabled = button === $("send") && user === null;
  }
}

// textContent, never innerHTML: a message is shown as text, whatever it holds.
function showHistory(messages) {
  const list = $("history");
  list.replaceChildren();
  for (const m of messages.slice().reverse()) { // the API sends newest first; read top to bottom
    const item = document.createElement("li");
    item.className = m.role;
    item.textContent = m.content;
    const when = document.createElement("small");
    when.textContent = "  " + m.created_at;
    item.append(when);
    list.append(item);
  }
}

async function loadHistory() {
  showHistory(await api("GET", "/users/" + user.id + "/conversations?limit=20"));
}

$("login").addEventListener("click", () => guarded($("login"), async () => {
  const email = $("email").value.trim();
  const name = $("name").value.trim();
  if (!email) throw new Error("Enter an email. · 이메일을 입력하세요.");
  try {
    user = await api("GET", "/users?email=" + encodeURIComponent(email));
  } catch (err) {
    if (!err.message.startsWith("HTTP 404") || !name) throw err;
    user = await api("POST", "/users", { name, email });
  }
  $("user").textContent = user.name + " <" + user.email + "> (id " + user.id + ")";
  $("send").disabled = false;
  await loadHistory();
}));

$("send").addEventListener("click", () => guarded($("send"), async () => {
  const exchange = await api("POST", "/users/" + user.id + "/chat", { question: $("question").value });
  $("answer").textContent = exchange.answer.content;
  $("question").value = "";
  await loadHistory();
}));
