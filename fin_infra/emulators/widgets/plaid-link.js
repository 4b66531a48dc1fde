// A stand-in of Plaid Link's script (link-initialize.js) served by fin-infra's Plaid emulator: the same global and
// entry points, `Plaid.create({token, onSuccess, onExit, onEvent, onLoad})` -> handler with open(), exit(),
// destroy(). onSuccess(public_token, metadata); onExit(error or null, metadata).
"use strict";
(function () {
  var script = document.currentScript;
  var base = new URL(".", script.src);  // the folder of this script on the emulator: frame.html is beside it

  function create(config) {
    if (!config || typeof config.token !== "string" || !config.token) {
      throw new Error("Plaid.create needs a link token: {token: ...}");
    }
    var frame = null;
    function close() {
      window.removeEventListener("message", onMessage);
      if (frame) { frame.remove(); frame = null; }
    }
    function onMessage(event) {
      if (!frame || event.source !== frame.contentWindow || event.origin !== base.origin) { return; }
      var data = event.data || {};
      if (data.widget !== "fin-infra-emulator") { return; }
      if (data.type === "ready") {
        if (config.onEvent) { config.onEvent("OPEN", { view_name: "CREDENTIAL" }); }
      } else if (data.type === "success") {
        close();
        config.onSuccess(data.result.public_token, data.result.metadata);
      } else if (data.type === "exit") {
        close();
        if (config.onExit) { config.onExit(data.error || null, { status: data.error ? "requires_credentials" : null }); }
      }
    }
    if (config.onLoad) { setTimeout(config.onLoad, 0); }
    return {
      open: function () {
        if (frame) { return; }
        frame = document.createElement("iframe");
        frame.title = "Plaid Link (emulator)";
        frame.src = new URL("frame.html?token=" + encodeURIComponent(config.token) +
          "&origin=" + encodeURIComponent(location.origin), base).href;
        var s = frame.style;
        s.position = "fixed"; s.inset = "0"; s.width = "100%"; s.height = "100%"; s.border = "0"; s.zIndex = "2147483647";
        window.addEventListener("message", onMessage);
        document.body.appendChild(frame);
        frame.focus();
      },
      exit: function () { if (frame) { close(); if (config.onExit) { config.onExit(null, {}); } } },
      destroy: close
    };
  }

  window.Plaid = { create: create, version: "fin-infra-emulator" };
})();
