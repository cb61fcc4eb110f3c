// The chat page's script, served as a file of its own: the page's Content-Security-Policy allows
// scripts and styles from this server only, never inline ones.
"use strict";
// Everything the page does is a call to the same JSON API a script would use.
const $ = (id) => document.getElementById(id);
// Where the page keeps who is signed in ({id, token}) between visits: this browser's localStorage,
// as the page says. Anyone with this browser profile can read it; "Sign out" removes it.
const SESSION_KEY = "lesson9.session";
let session = null; // {id, token} once signed in
let user = null;

// Calls the API, with the token when signed in; an error status becomes an Error whose message is
// the server's `message`. A 401 means the token is no longer any user's: sign out and say so.
async function api(method, path, body, token) {
  const init = { method, headers: {} };
  const bearer = token || (session && session.token);
  if (bearer) init.headers["Authorization"] = "Bearer " + bearer;
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
  if (response.status === 401) {
    signOut();
    throw new Error("HTTP 401: this token is not valid (mistyped, or its user was deleted). " +
      "Sign in again with your email and token, or create a new user. · " +
      "토큰이 유효하지 않습니다(잘못 입력했거나 사용자가 삭제됨). 이메일과 토큰으로 다시 로그인하거나 새 사용자를 만드세요.");
  }
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

// Signed in as `found` with `token`: remembered in localStorage, shown, and the chat enabled.
async function signIn(found, token) {
  user = found;
  session = { id: found.id, token };
  localStorage.setItem(SESSION_KEY, JSON.stringify(session));
  $("user").textContent = user.name + " <" + user.email + "> (id " + user.id + ")";
  $("signed-out").hidden = true;
  $("signed-in").hidden = false;
  $("send").disabled = false;
  await loadHistory();
}

function signOut() {
  localStorage.removeItem(SESSION_KEY);
  session = null;
  user = null;
  $("signed-in").hidden = true;
  $("new-token").hidden = true;
  $("token-shown").textContent = "";
  $("signed-out").hidden = false;
  $("send").disabled = true;
  $("history").replaceChildren();
}

$("create").addEventListener("click", () => guarded($("create"), async () => {
  const email = $("email").value.trim();
  const name = $("name").value.trim();
  if (!email || !name) throw new Error("Enter an email and a name. · 이메일과 이름을 입력하세요.");
  const created = await api("POST", "/users", { name, email });
  // The token is in this reply only: the server keeps nothing but its hash.
  $("token-shown").textContent = created.token;
  $("new-token").hidden = false;
  await signIn(created, created.token);
}));

$("signin").addEventListener("click", () => guarded($("signin"), async () => {
  const email = $("email").value.trim();
  const token = $("token").value.trim();
  if (!email || !token) throw new Error("Enter your email and your token. · 이메일과 토큰을 입력하세요.");
  const found = await api("GET", "/users?email=" + encodeURIComponent(email), undefined, token);
  $("token").value = "";
  await signIn(found, token);
}));

$("signout").addEventListener("click", () => {
  $("error").textContent = "";
  signOut();
});

$("send").addEventListener("click", () => guarded($("send"), async () => {
  const exchange = await api("POST", "/users/" + user.id + "/chat", { question: $("question").value });
  $("answer").textContent = exchange.answer.content;
  $("question").value = "";
  await loadHistory();
}));

// A token kept from an earlier visit: check it (the user may have been deleted since).
const kept = JSON.parse(localStorage.getItem(SESSION_KEY) || "null");
if (kept && kept.id && kept.token) {
  session = kept;
  guarded($("send"), async () => signIn(await api("GET", "/users/" + kept.id), kept.token));
}
