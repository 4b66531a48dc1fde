// A stand-in of Finicity Connect's web SDK (finicity-connect.min.js) served by fin-infra's Finicity emulator: the
// same global and entry points, `finicityConnect.launch(connectUrl, {success, cancel, error, loaded, route, user},
// {overlay})` and `finicityConnect.destroy()`. The Connect URL (from /connect/v2/generate[/fix]) opens in an iframe
// of the emulator's origin; success(event) {code: 200, reason: "complete", ...}, cancel(event) {code: 100, reason:
// "exit"}, error(event) {code, reason}, user(event) for what the user did (AddAccounts with success/errorCode).
// Served after overlay.js, in its scope.
var shown = null;

function destroy() {
  if (shown) { shown.close(); shown = null; }
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
  function onMessage(data) {
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
  }
  shown = overlay(target.href, "Finicity Connect (emulator)", target.origin, onMessage, options && options.overlay);
}

window.finicityConnect = { launch: launch, destroy: destroy, version: "fin-infra-emulator" };
