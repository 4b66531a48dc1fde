// The emulator's connect form, shown in the widget's iframe. It asks the emulator for the session (institutions,
// update mode), logs in, and hands the result to the page that opened it (postMessage to that page's origin).
// Two dialects: the stand-in scripts' own messages ({widget: "fin-infra-emulator", type, result}), which the
// script turns into the provider's callbacks (Plaid, Teller, Finicity), and MX Connect's (session.protocol "mx"):
// the page embeds the widget URL itself and reads MX's events ({mx: true, type: "mx/connect/...", metadata}).
"use strict";
(function () {
  var params = new URLSearchParams(location.search);
  // the opener's origin: `parent` (Finicity's stand-in: its link's own `origin` is a mode), else `origin`
  var parentOrigin = params.get("parent") || params.get("origin") || "";
  if (!/^https?:\/\/[^/]+$/.test(parentOrigin)) { parentOrigin = ""; }
  // MX's widget URL names its session in the path (/md/connect/<token>)
  if (!params.has("token") && !/\.html$/.test(location.pathname)) {
    params.set("token", decodeURIComponent(location.pathname.split("/").pop()));
  }
  var protocol = "";
  var lastError = null;
  var $ = function (id) { return document.getElementById(id); };

  function post(message) {
    // MX's widget is embedded by URL and told no origin: its events carry GUIDs only (no secret), as MX's do
    var target = parentOrigin || (protocol === "mx" ? "*" : "");
    if (target && window.parent !== window) { window.parent.postMessage(message, target); }
  }

  function tell(message) {
    if (protocol === "mx") {  // MX speaks its own events; the form's ready/exit have MX counterparts
      if (message.type === "ready") { post({ mx: true, type: "mx/connect/loaded", metadata: {} }); }
      return;
    }
    message.widget = "fin-infra-emulator";
    post(message);
  }

  function showError(error) {
    lastError = error;
    $("error").textContent = error ? (error.display_message || error.message || "Something went wrong") : "";
  }

  function exit() { tell({ type: "exit", error: lastError }); }

  function start(session) {
    protocol = session.protocol || "";
    if (session.exit === false) { $("exit").hidden = true; }  // MX's widget has no exit: the page closes it
    $("loading").hidden = true;
    $("login").hidden = false;
    $("title").textContent = session.title;
    if (session.institution) {
      $("institution-row").hidden = true;
      $("fixed-institution").hidden = false;
      $("fixed-institution").textContent = "Bank: " + session.institution.name;
    }
    session.institutions.forEach(function (inst) {
      var option = document.createElement("option");
      option.value = inst.id;
      option.textContent = inst.name;
      $("institution").appendChild(option);
    });
    $("hint").textContent = session.hint;
    (session.institution ? $("username") : $("institution")).focus();
    tell({ type: "ready" });
  }

  async function login(event) {
    event.preventDefault();
    var body = Object.fromEntries(params.entries());
    body.username = $("username").value;
    body.password = $("password").value;
    body.institution = $("institution").value;
    $("submit").disabled = true;
    showError(null);
    try {
      var response = await fetch("login", {
        method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body)
      });
      var answer = await response.json();
      if (answer.event) { post(answer.event); }  // MX: memberConnected, or memberStatusUpdate after a refusal
      if (answer.user) { tell({ type: "user", result: answer.user }); }  // Finicity's user event
      if (!response.ok) { showError(answer.error || { message: "the login failed" }); return; }
      if (!answer.event) { tell({ type: "success", result: answer }); }
    } catch (e) {
      showError({ message: "The bank could not be reached. Try again." });
    } finally {
      $("submit").disabled = false;
    }
  }

  document.addEventListener("DOMContentLoaded", async function () {
    $("login").addEventListener("submit", login);
    $("exit").addEventListener("click", exit);
    document.addEventListener("keydown", function (e) { if (e.key === "Escape") { exit(); } });
    try {
      var response = await fetch("session?" + params.toString());
      var session = await response.json();
      if (!response.ok) {
        $("loading").textContent = (session.error && (session.error.display_message || session.error.message)) ||
          "This session can't be opened.";
        lastError = session.error || null;
        tell({ type: "exit", error: lastError });
        return;
      }
      start(session);
    } catch (e) {
      $("loading").textContent = "The bank could not be reached.";
    }
  });
})();
