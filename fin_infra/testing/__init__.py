"""Helpers for testing apps built on fin-infra offline: provider emulators on real local servers.

    from fin_infra.testing import serve_teller_emulator, serve_plaid_emulator, serve_mx_emulator
    from fin_infra.testing import serve_finicity_emulator

Pytest fixtures (``teller_emulator``, ``plaid_emulator``, ``mx_emulator``, ``finicity_emulator``) are
registered automatically through the ``pytest11`` entry point (`fin_infra.testing.plugin`).
"""

from __future__ import annotations

import importlib
from typing import Any

# public name -> module that defines it (imported lazily: emulators need the 'emulators' extra)
_LAZY = {
    "serve_teller_emulator": "fin_infra.testing.teller",
    "serve_plaid_emulator": "fin_infra.testing.plaid",
    "serve_mx_emulator": "fin_infra.testing.mx",
    "serve_finicity_emulator": "fin_infra.testing.finicity",
}

_EXTRA_MODULES = {"uvicorn", "cryptography"}  # what the 'emulators' extra installs

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'fin_infra.testing' has no attribute {name!r}")
    try:
        loaded = importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name not in _EXTRA_MODULES:
            raise
        raise ModuleNotFoundError(
            f"{name} needs the 'emulators' extra, and {exc.name} is not installed: "
            "pip install 'fin-infra[emulators]' (from a checkout: pip install -e '.[emulators]')",
            name=exc.name,
        ) from exc
    return getattr(loaded, name)
