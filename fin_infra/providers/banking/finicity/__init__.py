"""The Finicity (Mastercard Open Finance US) provider: settings, partner token, connection, errors, normalize, client.

    >>> from fin_infra.providers.banking.finicity import FinicityClient, FinicitySettings
"""

from fin_infra.providers.banking.finicity.client import FinicityClient
from fin_infra.providers.banking.finicity.settings import FinicitySettings
from fin_infra.providers.banking.finicity.tokens import make_access_token, read_access_token

__all__ = ["FinicityClient", "FinicitySettings", "make_access_token", "read_access_token"]
