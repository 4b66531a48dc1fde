// The connect page: the user's connections with their status; add one through the provider's widget (POST /link,
// the widget, then POST /exchange with what the widget returned); Reconnect (update / fix mode); remove.
// Nothing the widget returns is kept: it goes to /exchange and is dropped (the access token stays on the server).
// Widgets: Plaid Link (Plaid.create), Teller Connect (TellerConnect.setup), Finicity Connect
// (finicityConnect.launch), and MX Connect: a widget URL framed here, whose mx/connect/* events are read.
"use strict";
(function () {
  var P = window.finInfraPages;
  var LABELS = { plaid: "Plaid", teller: "Teller", mx: "MX", finicity: "Finicity", sandbox: "the sandbox" };
  // what MX's connection_status and Finicity's aggregation status codes mean, as WORDS codes (api.js)
  var MX_STATUS = { DENIED: "INVALID_CREDENTIALS", REJECTED: "INVALID_MFA", LOCKED: "ITEM_LOCKED",
    IMPEDED: "USER_SETUP_REQUIRED", PREVENTED: "ITEM_LOCKED", FAILED: "INSTITUTION_DOWN", IMPAIRED: "INSTITUTION_DOWN",
    EXPIRED: "ITEM_LOGIN_REQUIRED", CHALLENGED: "INVALID_MFA" };
  var FINICITY_CODES = { 103: "INVALID_CREDENTIALS", 185: "INVALID_MFA", 187: "INVALID_MFA", 108: "USER_SETUP_REQUIRED",
    109: "USER_SETUP_REQUIRED", 106: "INSTITUTION_NOT_RESPONDING", 102: "INSTITUTION_DOWN" };
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
      var name = answer.connection.institution_name || "a bank through " + LABELS[answer.connection.provider];
      P.say(connection ? "Reconnected " + name + "." : "Connected " + name + ".");
    } catch (e) {
      P.fail(e.message);
    } finally {
      // the list first, then the buttons: a click between the two would open a widget whose opener the
      // refocus below would take (and the next widget would return focus to the list instead)
      await refresh();
      setBusy(false);
      refocus();
    }
  }

  function cancelled(connection) {
    setBusy(false);
    P.say(connection ? "Reconnecting was cancelled." : "Connecting was cancelled.");
    refocus();
  }

  // the provider gave up with an error (`code` a WORDS code): say it in words
  function failed(code, fallback) {
    setBusy(false); P.say(""); P.fail(P.words(code, fallback)); refocus();
  }

  // MX Connect: the widget URL in this page's own dialog; its events arrive by postMessage from the widget's origin
  function openMX(widget, link, connection) {
    var url = link.extra && link.extra.widget_url;
    if (!url) { throw new Error("MX did not give a connection window."); }
    var origin = new URL(url).origin;
    if (widget.frame && origin !== widget.frame) { throw new Error("The MX window is not on the expected host."); }
    var refused = null;  // MX's status of a refused login, shown when the user closes the widget
    var frame = P.el("iframe", { title: "MX Connect", src: url });
    var close = P.el("button", { type: "button", class: "secondary", text: "Close", "aria-label": "Close the MX window" });
    var overlay = P.el("div", { class: "widget-overlay" }, [
      P.el("div", { class: "widget-dialog", role: "dialog", "aria-modal": "true", "aria-label": "MX Connect" }, [
        P.el("div", { class: "buttons" }, [close]), frame])
    ]);
    function shut() {
      window.removeEventListener("message", onMessage);
      overlay.remove();
    }
    function onMessage(event) {
      if (event.source !== frame.contentWindow || event.origin !== origin) { return; }
      var data = event.data;
      if (typeof data === "string") { try { data = JSON.parse(data); } catch (e) { return; } }
      if (!data || typeof data.type !== "string" || data.type.indexOf("mx/connect/") !== 0) { return; }
      var metadata = data.metadata || {};
      if (data.type === "mx/connect/memberConnected") {
        shut();
        exchange({ provider: "mx", type: data.type, metadata: { user_guid: metadata.user_guid, member_guid: metadata.member_guid,
          session_guid: metadata.session_guid } }, connection);
      } else if (data.type === "mx/connect/memberStatusUpdate" && MX_STATUS[metadata.connection_status]) {
        refused = metadata.connection_status;
        P.fail(P.words(MX_STATUS[refused]));
      }
    }
    close.onclick = function () {
      shut();
      if (refused) { failed(MX_STATUS[refused]); } else { cancelled(connection); }
    };
    overlay.addEventListener("keydown", function (e) { if (e.key === "Escape") { close.onclick(); } });
    window.addEventListener("message", onMessage);
    document.body.appendChild(overlay);
    frame.focus();
  }

  // Finicity Connect: the web SDK opens the Connect URL; success sends its event with the customer (and in fix
  // mode the bank login) /link named: ids only, Finicity gives the page no token
  function openFinicity(link, connection) {
    var extra = link.extra || {};
    var refusal = null;  // the last AddAccounts failure's code, shown when the user leaves
    function ids() {
      var out = { provider: "finicity", customerId: extra.customer_id };
      if (extra.institution_login_id) { out.institutionLoginId = extra.institution_login_id; }
      return out;
    }
    window.finicityConnect.launch(link.link_token || extra.connect_url, {
      success: function (event) {
        exchange(Object.assign({ code: event && event.code, reason: event && event.reason }, ids()), connection);
      },
      cancel: function () {
        if (refusal) { failed(FINICITY_CODES[refusal], "The bank refused the login (code " + refusal + ")."); }
        else { cancelled(connection); }
      },
      error: function (event) {
        var code = event && event.code;
        failed(FINICITY_CODES[code], "Finicity reported a problem" + (code ? " (" + code + ")" : "") + ". Try again later.");
      },
      user: function (event) {
        if (event && event.action === "AddAccounts" && event.success === false && event.errorCode != null) {
          refusal = String(event.errorCode);
          P.fail(P.words(FINICITY_CODES[refusal], "The bank refused the login (code " + refusal + ")."));
        } else if (event && event.success) { refusal = null; P.fail(""); }
      }
    });
  }

  // open the provider's widget for a link (create mode) or a reconnect link (update mode: `connection` given)
  async function openWidget(provider, link, connection) {
    var widget = widgetFor(provider);
    if (!widget) { throw new Error("This page can't open " + provider + "'s window."); }
    if (provider === "mx") { openMX(widget, link, connection); return; }
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
    } else if (provider === "finicity") {
      openFinicity(link, connection);
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
