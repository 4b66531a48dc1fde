"""A local emulator of MX's Platform API (see ``fin_infra/emulators/mx/README.md`` for what it reproduces).

    >>> from fin_infra.emulators.mx import MXBackend, create_app
    >>> backend = MXBackend()
    >>> app = create_app(backend)             # serve it with EmulatorServer over HTTP on 127.0.0.1
"""

from fin_infra.emulators.faults import Fault, Faults
from fin_infra.emulators.mx.app import create_app
from fin_infra.emulators.mx.errors import ConnectError, MXAPIError
from fin_infra.emulators.mx.models import MXBackend
from fin_infra.emulators.mx.webhooks import MXWebhooks, SentWebhook

__all__ = ["ConnectError", "Fault", "Faults", "MXAPIError", "MXBackend", "MXWebhooks", "SentWebhook", "create_app"]
