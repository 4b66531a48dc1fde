"""Stand-ins of the providers' connect widgets (Plaid Link, Teller Connect, MX Connect, Finicity Connect), served by
the emulators.

A page loads the stand-in's script exactly as it would load the provider's (same global, same entry points and
callbacks): ``Plaid.create({token, onSuccess, onExit}).open()`` or ``TellerConnect.setup({applicationId,
environment, onSuccess, onExit}).open()`` or ``finicityConnect.launch(url, {success, cancel, error, user})``.
MX's widget has no script: the page embeds the widget URL in its own iframe and reads MX's ``mx/connect/*``
events; the same form plays it (``session.protocol == "mx"``). ``open()`` shows the emulator's login form in an
iframe of the emulator's own origin (as the real widgets do); the form lists the sandbox's institutions and says
the sandbox credentials, and the result comes back to the page through ``postMessage`` and the provider's
callback.

The files are plain JavaScript, HTML and CSS (no inline script or style: they work under a strict
Content-Security-Policy); `asset` serves one of them. A stand-in script is served as one file, in one function
scope, after ``overlay.js`` (what the three share: the frame over the page, its messages), so a page still loads
one script, as it would the provider's, and gets only the provider's global.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

from starlette.responses import Response

MEDIA_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".html": "text/html; charset=utf-8",
}
# the frame is embedded by the page of any origin (as the providers' widgets are); it runs only its own files
FRAME_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; "
    "base-uri 'none'; form-action 'none'"
)
STAND_INS = frozenset({"plaid-link.js", "teller-connect.js", "finicity-connect.js"})
NAMES = frozenset({"frame.html", "frame.js", "frame.css", *STAND_INS})


@cache
def _read(name: str) -> bytes:
    body = resources.files(__package__).joinpath(name).read_bytes()
    if name in STAND_INS:
        shared = _read("overlay.js")
        return b'"use strict";\n(function () {\n' + shared + b"\n" + body + b"})();\n"
    return body


def asset(name: str) -> Response:
    """One of the widget files (404 for any other name)."""
    if name not in NAMES:
        return Response(status_code=404)
    suffix = name[name.rindex("."):]
    headers = {"X-Content-Type-Options": "nosniff", "Cache-Control": "no-cache"}
    if suffix == ".html":
        headers["Content-Security-Policy"] = FRAME_CSP
    return Response(_read(name), media_type=MEDIA_TYPES[suffix], headers=headers)
