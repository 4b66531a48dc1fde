"""Local emulators of the providers' HTTP APIs (like stripe-mock or moto), for offline tests and demos.

Each emulator is an ASGI app in its own package (``fin_infra.emulators.teller``,
``fin_infra.emulators.plaid``, ``fin_infra.emulators.mx``); `EmulatorServer` serves one over real HTTP(S) on 127.0.0.1.
Run one by hand with ``fin-infra emulators teller --port 8443``.
"""

from fin_infra.emulators.server import EmulatorServer, TLSConfig

__all__ = ["EmulatorServer", "TLSConfig"]
