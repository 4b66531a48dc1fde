// A stand-in of Plaid Link's script (link-initialize.js) served by fin-infra's Plaid emulator: the same global and
// entry points, `Plaid.create({token, onSuccess, onExit, onEvent, onLoad})` -> handler with open(), exit(),
// destroy(). onSuccess(public_token, metadata); onExit(error or null, metadata). Served after overlay.js, in its scope.
var script = document.currentScript;
var base = new URL(".", script.src);  // the folder of this script on the emulator: frame.html is beside it

function create(config) {
  if (!config || typeof config.token !== "string" || !config.token) {
    throw new Error("Plaid.create needs a link token: {token: ...}");
  }
  var shown = null;
  function close() {
    if (shown) { shown.close(); shown = null; }
  }
  function onMessage(data) {
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
      if (shown) { return; }
      var src = new URL("frame.html?token=" + encodeURIComponent(config.token) +
        "&origin=" + encodeURIComponent(location.origin), base).href;
      shown = overlay(src, "Plaid Link (emulator)", base.origin, onMessage);
    },
    exit: function () { if (shown) { close(); if (config.onExit) { config.onExit(null, {}); } } },
    destroy: close
  };
}

window.Plaid = { create: create, version: "fin-infra-emulator" };
