"""Connections mode: provider tokens kept on the server, encrypted, each connection owned by one app user.

    app = FastAPI()
    add_banking(app, providers=["teller", "plaid"], connections="sqlite:///app.db", current_user=get_user_id)

``POST {prefix}/exchange`` stores the token (AES-256-GCM, keys from ``FIN_INFRA_ENCRYPTION_KEYS``) and
answers ``201 {"connection": {...}}``; data routes take ``connection_id`` (or answer for every
connection of the user); ``{prefix}/connections`` lists, shows, deletes and reconnects. Health follows
every provider call and webhook; every token decryption and identity read is audited (`read_audit`).
Needs the ``connections`` extra.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "Connection": "fin_infra.banking.connections.models",
    "ConnectionService": "fin_infra.banking.connections.service",
    "aprune_audit": "fin_infra.banking.connections.audit",
    "aread_audit": "fin_infra.banking.connections.audit",
    "open_connection_store": "fin_infra.banking.connections.mount",
    "prune_audit": "fin_infra.banking.connections.audit",
    "read_audit": "fin_infra.banking.connections.audit",
    "rotate_keys": "fin_infra.storage.rotation",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    # imported on first use: pass-through apps need neither SQLAlchemy nor cryptography
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
