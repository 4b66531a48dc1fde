// The connect page: the user's connections with their status; add one through the provider's widget (POST /link,
// the widget, then POST /exchange with what the widget returned); Reconnect (update mode); remove.
// Nothing the widget returns is kept: it goes to /exchange and is dropped (the access token stays on the server).
"use strict";
(function () {
  var P = window.finInfraPages;
  var LABELS = { plaid: "Plaid", teller: "Teller", sandbox: "the sandbox" };
  var loaded = {};
  var busy = false;
  var opener = null;  // the button that opened the widget: keyboard focus goes back there (or to the list)

  function refocus() {
    var target = opener && document.contains(opener) ? opener : document.getElementById("list-title");
    opener = null;
    target.focus();
  }

  function widgetFor(provider) {
    return (P.config.widgets || []).find(function (w) { return w.provider === provider; });
  }

  function loadScript(url) {
    if (!loaded[url]) {
      loaded[url] = new Promise(function (resolve, reject) {
        var s = document.createElement("script");
        s.src = url;
        s.onload = resolve;
        s.onerror = function () { delete loaded[url]; reject(new Error("The bank connection window could not be loaded. Try again later.")); };
        document.head.appendChild(s);
      });
    }
    return loaded[url];
  }

  function setBusy(value) {
    busy = value;
    document.querySelectorAll("button").forEach(function (b) { b.disabled = value; });
  }

  async function exchange(body, connection) {
    try {
      var answer = await P.call("POST", "/exchange", body);
      var name = answer.connection.institution_name || LABELS[answer.connection.provider];
      P.say(connection ? "Reconnected " + name + "." : "Connected " + name + ".");
    } catch (e) {
      P.fail(e.message);
    } finally {
      setBusy(false);
      await refresh();
      refocus();
    }
  }

  function cancelled(connection) {
    setBusy(false);
    P.say(connection ? "Reconnecting was cancelled." : "Connecting was cancelled.");
    refocus();
  }

  // open the provider's widget for a link (create mode) or a reconnect link (update mode: `connection` given)
  async function openWidget(provider, link, connection) {
    var widget = widgetFor(provider);
    if (!widget) { throw new Error("This page can't open " + provider + "'s window."); }
    if (provider === "sandbox") {  // no widget: the sandbox's link already holds a public token
      if (!link.extra || !link.extra.public_token) { throw new Error("The sandbox has nothing to reconnect."); }
      await exchange({ provider: "sandbox", public_token: link.extra.public_token }, connection);
      return;
    }
    await loadScript(widget.script);
    if (provider === "plaid") {
      window.Plaid.create({
        token: link.link_token,
        onSuccess: function (publicToken) { exchange({ provider: "plaid", public_token: publicToken }, connection); },
        onExit: function (error) {
          if (error) {
            setBusy(false); P.say(""); P.fail(P.words(error.error_code, error.display_message || error.error_message)); refocus();
          }
          else { cancelled(connection); }
        }
      }).open();
    } else if (provider === "teller") {
      var options = {
        applicationId: link.application_id,
        environment: link.environment || "sandbox",
        onSuccess: function (enrollment) {
          exchange({ provider: "teller", accessToken: enrollment.accessToken, enrollment: enrollment.enrollment, user: enrollment.user }, connection);
        },
        onExit: function () { cancelled(connection); }
      };
      if (link.products && link.products.length) { options.products = link.products; }
      if (link.enrollment_id) { options.enrollmentId = link.enrollment_id; }
      window.TellerConnect.setup(options).open();
    }
  }

  async function start(provider, connection) {
    if (busy) { return; }
    opener = document.activeElement;
    setBusy(true);
    P.fail("");
    P.say("Opening " + LABELS[provider] + "…");
    try {
      var link = connection
        ? await P.call("POST", "/connections/" + encodeURIComponent(connection.id) + "/reconnect")
        : await P.call("POST", "/link", { provider: provider });
      await openWidget(provider, link, connection);
      if (provider !== "sandbox") {
        P.say(connection ? "Log in again in the " + LABELS[provider] + " window." : "Finish in the " + LABELS[provider] + " window.");
      }
    } catch (e) {
      setBusy(false);
      P.say("");
      P.fail(e.message);
    }
  }

  async function remove(connection) {
    var name = connection.institution_name || LABELS[connection.provider] || "this bank";
    if (!window.confirm("Remove " + name + "? The app stops reading its accounts.")) { return; }
    setBusy(true);
    P.fail("");
    try {
      await P.call("DELETE", "/connections/" + encodeURIComponent(connection.id));
      P.say("Removed " + name + ".");
    } catch (e) {
      P.fail(e.message);
    } finally {
      setBusy(false);
      await refresh();
    }
  }

  function item(connection) {
    var name = connection.institution_name || connection.institution_id || "Bank";
    var status = P.el("span", { class: "status status-" + connection.status, text: P.status[connection.status] || connection.status });
    var accounts = connection.accounts.map(function (a) { return (a.name || a.type || "Account") + (a.mask ? " ••" + a.mask : ""); });
    var buttons = P.el("div", { class: "buttons" });
    var li = P.el("li", { class: "connection", "data-connection-id": connection.id, "data-status": connection.status }, [
      P.el("h3", { text: name }),
      P.el("p", { class: "muted", text: "Through " + (LABELS[connection.provider] || connection.provider) + " · " +
        connection.accounts.length + " account" + (connection.accounts.length === 1 ? "" : "s") + (accounts.length ? ": " + accounts.join(", ") : "") }),
      P.el("p", {}, [P.el("span", { text: "Status: " }), status])
    ]);
    if (connection.status !== "ok" && connection.error) {
      var code = connection.error.code;
      var text = connection.status === "needs_reauth" ? P.words("item_login_required")
        : P.words(code, "The bank reported a problem" + (code ? " (" + code + ")" : "") + ".");
      li.appendChild(P.el("p", { class: "error", text: text }));
    }
    if (["needs_reauth", "pending_expiration"].indexOf(connection.status) >= 0 && widgetFor(connection.provider)) {
      buttons.appendChild(P.el("button", { type: "button", text: "Reconnect", "aria-label": "Reconnect " + name,
        onclick: function () { start(connection.provider, connection); } }));
    }
    buttons.appendChild(P.el("button", { type: "button", class: "danger", text: "Remove", "aria-label": "Remove " + name,
      onclick: function () { remove(connection); } }));
    li.appendChild(buttons);
    return li;
  }

  async function refresh() {
    var list = document.getElementById("connections");
    try {
      var data = await P.call("GET", "/connections");
      list.replaceChildren.apply(list, data.connections.map(item));
      document.getElementById("empty").hidden = data.connections.length > 0;
      document.body.dataset.loaded = "true";
    } catch (e) {
      P.fail(e.message);
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    var buttons = document.getElementById("add-buttons");
    (P.config.widgets || []).forEach(function (w) {
      buttons.appendChild(P.el("button", { type: "button", id: "connect-" + w.provider,
        text: w.provider === "sandbox" ? "Connect a sandbox bank" : "Connect with " + (LABELS[w.provider] || w.provider), onclick: function () { start(w.provider); } }));
    });
    if (!buttons.children.length) {
      buttons.appendChild(P.el("p", { text: "None of this app's providers has a connect window this page can open." }));
    }
    refresh();
  });
})();
