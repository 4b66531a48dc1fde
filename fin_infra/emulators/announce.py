"""What an emulator's command prints, then serving until Ctrl-C: the same for every provider's ``cli.py``."""

from __future__ import annotations

import shlex
import threading
from collections.abc import Mapping, Sequence


def serve_until_interrupted(about: Sequence[str], env: Mapping[str, str], try_it: Sequence[str] = ()) -> None:
    """Print ``about`` (what runs where), the ``export`` lines that point `easy_banking()` at the emulator and
    ``try_it`` (a command to try), then wait until Ctrl-C."""
    lines = [
        *about,
        "",
        "Point easy_banking() at it:",
        *(f"export {k}={shlex.quote(v)}" for k, v in env.items()),
        *(["", *try_it] if try_it else []),
        "Ctrl-C to stop.",
    ]
    print("\n".join(lines), flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        print("stopping", flush=True)


__all__ = ["serve_until_interrupted"]
