"""The Teller provider, split by concern: settings, certificates, connection, errors, normalize, client.

    >>> from fin_infra.providers.banking.teller import TellerClient, TellerSettings
"""

from fin_infra.providers.banking.teller.client import TellerClient
from fin_infra.providers.banking.teller.normalize import TellerAccountDetails
from fin_infra.providers.banking.teller.settings import RetryPolicy, TellerSettings

__all__ = ["RetryPolicy", "TellerAccountDetails", "TellerClient", "TellerSettings"]
