// Shared by the connect and overview pages: the page's settings, calls to the banking JSON routes (with the
// app's cookies and, when the host app provides them, its headers), and errors in plain words.
"use strict";
(function () {
  var config = JSON.parse(document.body.dataset.config || "{}");

  // what a problem code (the banking routes) or a widget error code (the provider) means for a person
  var WORDS = {
    not_authenticated: "Please sign in to this app first.",
    invalid_credentials: "The bank did not accept those login details.",
    item_login_required: "Your bank needs you to log in again: use Reconnect.",
    rate_limited: "Too many requests just now. Wait a minute and try again.",
    provider_unavailable: "The bank can't be reached right now. Try again in a few minutes.",
    provider_error: "The bank answered with an error. Try again later.",
    provider_not_configured: "This app isn't set up for that provider yet.",
    duplicate_connection: "This bank login is already connected (see the list below).",
    connection_not_found: "That connection no longer exists.",
    validation_error: "Something in the request was not accepted.",
    history_unavailable: "Balance history can't be read right now.",
    INVALID_CREDENTIALS: "The username or password was not correct. Check them and try again.",
    INVALID_MFA: "The security code was not correct. Try again.",
    ITEM_LOCKED: "Your account at the bank is locked. Unlock it on the bank's website, then try again.",
    INSTITUTION_DOWN: "The bank isn't responding right now. Try again later.",
    INSTITUTION_NOT_RESPONDING: "The bank isn't responding right now. Try again later.",
    INVALID_LINK_TOKEN: "The connection window expired. Start again.",
    ITEM_LOGIN_REQUIRED: "Your bank needs you to log in again: use Reconnect.",
    USER_SETUP_REQUIRED: "Your bank needs you to finish setting up your account on its website first.",
    NO_ACCOUNTS: "No accounts were found at that bank login."
  };

  var STATUS = {
    ok: "Connected",
    needs_reauth: "Needs you to log in again",
    pending_expiration: "Access expires soon: reconnect",
    revoked: "Access was withdrawn",
    error: "Error"
  };

  function words(code, fallback) {
    return WORDS[code] || fallback || "Something went wrong. Try again.";
  }

  async function headers(extra) {
    var out = Object.assign({ Accept: "application/json" }, extra || {});
    var auth = window.finInfraAuth;
    if (auth && typeof auth.headers === "function") { Object.assign(out, await auth.headers()); }
    return out;
  }

  // Call a banking route; resolves with the JSON body (null for 204), rejects with an Error whose .code is the
  // problem code and whose message is in plain words.
  async function call(method, path, body) {
    var init = { method: method, credentials: "same-origin", headers: await headers(body ? { "Content-Type": "application/json" } : {}) };
    if (body) { init.body = JSON.stringify(body); }
    var response;
    try {
      response = await fetch(config.api + path, init);
    } catch (e) {
      var offline = new Error("This app can't be reached. Check your connection and try again.");
      offline.code = "network";
      throw offline;
    }
    if (response.status === 204) { return null; }
    var data = null;
    try { data = await response.json(); } catch (e) { data = null; }
    if (!response.ok) {
      var code = (data && data.code) || (response.status === 401 ? "not_authenticated" : "http_" + response.status);
      var error = new Error(words(code, "The request failed (" + response.status + ")."));
      error.code = code;
      error.problem = data;
      throw error;
    }
    return data;
  }

  function query(params) {
    var q = new URLSearchParams();
    Object.keys(params).forEach(function (k) { if (params[k] !== "" && params[k] != null) { q.set(k, params[k]); } });
    var s = q.toString();
    return s ? "?" + s : "";
  }

  // exact cents of a decimal string ("-12.3" -> -1230), no floating point
  function cents(value) {
    var s = String(value == null ? "0" : value).trim();
    var negative = s.charAt(0) === "-";
    if (negative || s.charAt(0) === "+") { s = s.slice(1); }
    var parts = s.split(".");
    var frac = ((parts[1] || "") + "00").slice(0, 2);
    var n = parseInt(parts[0] || "0", 10) * 100 + parseInt(frac, 10);
    return negative ? -n : n;
  }

  function decimal(c) {
    var negative = c < 0;
    var a = Math.abs(c);
    var s = Math.floor(a / 100) + "." + String(a % 100).padStart(2, "0");
    return negative ? "-" + s : s;
  }

  // a decimal amount as the JSON routes write it (a number or a string) -> "$1,234.56"
  function money(value, currency) { return moneyCents(cents(value), currency); }

  function moneyCents(c, currency) {
    var whole = decimal(Math.abs(c)).split(".");
    var grouped = whole[0].replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    var symbol = (currency || "USD") === "USD" ? "$" : (currency + " ");
    return (c < 0 ? "-" : "") + symbol + grouped + "." + whole[1];
  }

  function say(text) { document.getElementById("status").textContent = text || ""; }
  function fail(text) { document.getElementById("error").textContent = text || ""; }

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") { node.textContent = attrs[k]; }
      else if (k === "class") { node.className = attrs[k]; }
      else if (k.indexOf("data-") === 0 || k.indexOf("aria-") === 0 || k === "id" || k === "type" || k === "scope" || k === "role") { node.setAttribute(k, attrs[k]); }
      else { node[k] = attrs[k]; }
    });
    (children || []).forEach(function (c) { if (c) { node.appendChild(c); } });
    return node;
  }

  document.addEventListener("DOMContentLoaded", function () {
    var links = config.links || {};
    var c = document.getElementById("nav-connect"); if (c) { c.href = links.connect; }
    var o = document.getElementById("nav-overview"); if (o) { o.href = links.overview; }
  });

  window.finInfraPages = {
    config: config, call: call, query: query, words: words, status: STATUS, cents: cents, decimal: decimal,
    money: money, moneyCents: moneyCents, say: say, fail: fail, el: el
  };
})();
