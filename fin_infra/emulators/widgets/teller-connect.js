// A stand-in of Teller Connect's script (connect.js) served by fin-infra's Teller emulator: the same global and
// entry points, `TellerConnect.setup({applicationId, environment, enrollmentId, institution, onSuccess, onExit,
// onInit})` -> handler with open() and destroy(). onSuccess(enrollment): {accessToken, user, enrollment, signatures}.
"use strict";
(function () {
  var script = document.currentScript;
  var base = new URL(".", script.src);

  function setup(config) {
    if (!config || !config.applicationId) { throw new Error("TellerConnect.setup needs applicationId"); }
    var frame = null;
    function close() {
      window.removeEventListener("message", onMessage);
      if (frame) { frame.remove(); frame = null; }
    }
    function onMessage(event) {
      if (!frame || event.source !== frame.contentWindow || event.origin !== base.origin) { return; }
      var data = event.data || {};
      if (data.widget !== "fin-infra-emulator") { return; }
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
        if (frame) { return; }
        var query = new URLSearchParams({
          application_id: config.applicationId,
          environment: config.environment || "sandbox",
          origin: location.origin
        });
        if (config.enrollmentId) { query.set("enrollment_id", config.enrollmentId); }
        if (config.institution) { query.set("institution", config.institution); }
        frame = document.createElement("iframe");
        frame.title = "Teller Connect (emulator)";
        frame.src = new URL("frame.html?" + query.toString(), base).href;
        var s = frame.style;
        s.position = "fixed"; s.inset = "0"; s.width = "100%"; s.height = "100%"; s.border = "0"; s.zIndex = "2147483647";
        window.addEventListener("message", onMessage);
        document.body.appendChild(frame);
        frame.focus();
      },
      destroy: close
    };
  }

  window.TellerConnect = { setup: setup };
})();
