"""Injected faults for the MX emulator: latency, one-shot error statuses, dropped connections.

The plan itself is the Teller emulator's (`fin_infra.emulators.teller.faults`); only the error body
differs, and `app.py` writes it in MX's shape.

    >>> faults = Faults()
    >>> faults.fail_next(503, times=2, path="/users")
    >>> faults.pending()
    2
"""

from fin_infra.emulators.teller.faults import Fault, Faults

__all__ = ["Fault", "Faults"]
