"""A local emulator of Plaid's HTTP API (the parts a bank-data app uses), for offline tests and demos.

What it reproduces: Link tokens (create and update mode), sandbox public tokens, public-token
exchange, ``/accounts/get``, ``/accounts/balance/get``, ``/transactions/sync`` (stateful cursors,
pages, pending->posted, removals, mutation during pagination), ``/transactions/get``,
``/transactions/refresh``, ``/identity/get``, ``/item/get``, ``/item/remove``,
``/item/webhook/update``, ``/institutions/get_by_id``, ``/sandbox/item/reset_login``,
``/sandbox/item/fire_webhook``, ``/sandbox/transactions/create`` and ``/webhook_verification_key/get``,
in Plaid's JSON and error shapes, with client id / secret checks and ES256-signed webhooks.
What it does not: Link's UI, OAuth institutions, MFA, products other than transactions, identity
and balance, rate limits by count (inject them as faults), webhook retries.

    >>> from fin_infra.emulators.plaid import PlaidBackend, create_app
    >>> app = create_app(PlaidBackend())
"""

from fin_infra.emulators.plaid.app import create_app
from fin_infra.emulators.plaid.models import DEFAULT_CLIENT_ID, DEFAULT_SECRET, Fault, PlaidBackend
from fin_infra.emulators.plaid.webhooks import SentWebhook, WebhookKeys

__all__ = ["DEFAULT_CLIENT_ID", "DEFAULT_SECRET", "Fault", "PlaidBackend", "SentWebhook", "WebhookKeys", "create_app"]
