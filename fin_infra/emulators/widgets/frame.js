// The emulator's connect form, shown in the widget's iframe. It asks the emulator for the session (institutions,
// update mode), logs in, and hands the result to the page that opened it (postMessage to that page's origin).
"use strict";
(function () {
  var params = new URLSearchParams(location.search);
  var parentOrigin = params.get("origin") || "";
  var lastError = null;
  var $ = function (id) { return document.getElementById(id); };

  function tell(message) {
    message.widget = "fin-infra-emulator";
    if (parentOrigin) { window.parent.postMessage(message, parentOrigin); }
  }

  function showError(error) {
    lastError = error;
    $("error").textContent = error ? (error.display_message || error.message || "Something went wrong") : "";
  }

  function exit() { tell({ type: "exit", error: lastError }); }

  function start(session) {
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
      if (!response.ok) { showError(answer.error || { message: "the login failed" }); return; }
      tell({ type: "success", result: answer });
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
      var response = await fetch("session" + location.search);
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
