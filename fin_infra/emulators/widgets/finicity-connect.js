// A stand-in of Finicity Connect's web SDK (finicity-connect.min.js) served by fin-infra's Finicity emulator: the
// same global and entry points, `finicityConnect.launch(connectUrl, {success, cancel, error, loaded, route, user},
// {overlay})` and `finicityConnect.destroy()`. The Connect URL (from /connect/v2/generate[/fix]) opens in an iframe
// of the emulator's origin; success(event) {code: 200, reason: "complete", ...}, cancel(event) {code: 100, reason:
// "exit"}, error(event) {code, reason}, user(event) for what the user did (AddAccounts with success/errorCode).
"use strict";
(function () {
  var frame = null;
  var listener = null;

  function destroy() {
    if (listener) { window.removeEventListener("message", listener); listener = null; }
    if (frame) { frame.remove(); frame = null; }
  }

  function launch(url, handlers, options) {
    handlers = handlers || {};
    if (typeof url !== "string" || !/^https?:\/\//.test(url)) {
      throw new Error("finicityConnect.launch needs the Connect URL from /connect/v2/generate");
    }
    destroy();
    var target = new URL(url);
    target.searchParams.set("parent", location.origin);  // where the Connect frame posts its events
    function call(name, event) { if (typeof handlers[name] === "function") { handlers[name](event); } }
    listener = function (event) {
      if (!frame || event.source !== frame.contentWindow || event.origin !== target.origin) { return; }
      var data = event.data || {};
      if (data.widget !== "fin-infra-emulator") { return; }
      if (data.type === "ready") {
        call("loaded");
        call("route", { screen: "Credentials", params: {} });
      } else if (data.type === "user") {
        call("user", data.result);
      } else if (data.type === "success") {
        destroy();
        call("success", data.result);
      } else if (data.type === "exit") {
        destroy();
        if (data.error && data.error.fatal) { call("error", { code: data.error.code, reason: "error" }); }
        else { call("cancel", { code: 100, reason: "exit" }); }
      }
    };
    frame = document.createElement("iframe");
    frame.title = "Finicity Connect (emulator)";
    frame.src = target.href;
    var s = frame.style;
    s.position = "fixed"; s.inset = "0"; s.width = "100%"; s.height = "100%"; s.border = "0"; s.zIndex = "2147483647";
    if (options && options.overlay) { s.background = options.overlay; }
    window.addEventListener("message", listener);
    document.body.appendChild(frame);
    frame.focus();
  }

  window.finicityConnect = { launch: launch, destroy: destroy, version: "fin-infra-emulator" };
})();
