"""The MX provider, split by concern: settings, tokens, connection, errors, paging, normalize, link, client.

    >>> from fin_infra.providers.banking.mx import MXClient, MXSettings
"""

from fin_infra.providers.banking.mx.client import MXClient
from fin_infra.providers.banking.mx.settings import MXSettings, RetryPolicy
from fin_infra.providers.banking.mx.tokens import MemberRef

__all__ = ["MXClient", "MXSettings", "MemberRef", "RetryPolicy"]
