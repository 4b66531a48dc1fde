"""A local emulator of Finicity's (Mastercard Open Finance US) HTTP API; see ``fin_infra/emulators/README.md``.

    >>> from fin_infra.emulators.finicity import FinicityBackend, create_app
    >>> app = create_app(FinicityBackend())      # serve it with EmulatorServer
"""

from fin_infra.emulators.finicity.app import create_app
from fin_infra.emulators.finicity.errors import ConnectError, FinicityAPIError
from fin_infra.emulators.finicity.models import FinicityBackend

__all__ = ["ConnectError", "FinicityAPIError", "FinicityBackend", "create_app"]
