// A stand-in of Teller Connect's script (connect.js) served by fin-infra's Teller emulator: the same global and
// entry points, `TellerConnect.setup({applicationId, environment, enrollmentId, institution, onSuccess, onExit,
// onInit})` -> handler with open() and destroy(). onSuccess(enrollment): {accessToken, user, enrollment, signatures}.
// Served after overlay.js, in its scope.
var script = document.currentScript;
var base = new URL(".", script.src);

function setup(config) {
  if (!config || !config.applicationId) { throw new Error("TellerConnect.setup needs applicationId"); }
  var shown = null;
  function close() {
    if (shown) { shown.close(); shown = null; }
  }
  function onMessage(data) {
    if (data.type === "success") {
      close();
      config.onSuccess(data.result);
    } else if (data.type === "exit") {
      close();
      if (config.onExit) { config.onExit(); }
    }
  }
  if (config.onInit) { setTimeout(config.onInit, 0); }
  return {
    open: function () {
      if (shown) { return; }
      var query = new URLSearchParams({
        application_id: config.applicationId,
        environment: config.environment || "sandbox",
        origin: location.origin
      });
      if (config.enrollmentId) { query.set("enrollment_id", config.enrollmentId); }
      if (config.institution) { query.set("institution", config.institution); }
      shown = overlay(new URL("frame.html?" + query.toString(), base).href, "Teller Connect (emulator)", base.origin,
        onMessage);
    },
    destroy: close
  };
}

window.TellerConnect = { setup: setup };
