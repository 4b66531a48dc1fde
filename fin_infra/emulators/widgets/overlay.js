// What the stand-in scripts share, served in front of each of them in one file (see `asset`: the page loads one
// script, as it would load the provider's, and no name of this reaches the page's globals): the emulator's frame
// opened over the whole page, and the frame's messages handed on.
//
// overlay(src, title, origin, handle, background) shows `src` in a full-window iframe titled `title`; `handle` gets
// the data of every message the frame posts from `origin` in the stand-ins' own dialect; close() removes it all.
function overlay(src, title, origin, handle, background) {
  var frame = document.createElement("iframe");
  function onMessage(event) {
    if (event.source !== frame.contentWindow || event.origin !== origin) { return; }
    var data = event.data || {};
    if (data.widget === "fin-infra-emulator") { handle(data); }
  }
  frame.title = title;
  frame.src = src;
  var s = frame.style;
  s.position = "fixed"; s.inset = "0"; s.width = "100%"; s.height = "100%"; s.border = "0"; s.zIndex = "2147483647";
  if (background) { s.background = background; }
  window.addEventListener("message", onMessage);
  document.body.appendChild(frame);
  frame.focus();
  return {
    close: function () {
      window.removeEventListener("message", onMessage);
      frame.remove();
    }
  };
}
