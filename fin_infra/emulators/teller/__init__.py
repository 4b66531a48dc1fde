"""A local emulator of Teller's HTTP API (see ``fin_infra/emulators/README.md`` for what it reproduces).

    >>> from fin_infra.emulators.teller import TellerBackend, create_app
    >>> backend = TellerBackend()
    >>> app = create_app(backend)             # serve it with EmulatorServer over mTLS
"""

from fin_infra.emulators.faults import Fault, Faults
from fin_infra.emulators.teller.app import create_app
from fin_infra.emulators.teller.errors import EnrollmentError, TellerAPIError
from fin_infra.emulators.teller.models import TellerBackend

__all__ = ["EnrollmentError", "Fault", "Faults", "TellerAPIError", "TellerBackend", "create_app"]
