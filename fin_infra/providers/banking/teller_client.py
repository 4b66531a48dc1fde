"""The documented import path of the Teller provider.

    >>> from fin_infra.providers.banking.teller_client import TellerClient
    >>> teller = TellerClient(cert_path="./teller_certificate.pem",   # doctest: +SKIP
    ...                       key_path="./teller_private_key.pem", environment="sandbox")
"""

from fin_infra.providers.banking.teller import RetryPolicy, TellerAccountDetails, TellerClient, TellerSettings

__all__ = ["RetryPolicy", "TellerAccountDetails", "TellerClient", "TellerSettings"]
