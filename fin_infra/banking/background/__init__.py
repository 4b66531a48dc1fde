"""Background work: where fin-infra sends what it does outside a request (ledger syncs after an exchange, on
webhooks, on ``POST /connections/{id}/sync``, and the periodic work).

`BackgroundJobs` is the small protocol the banking services call; two implementations:

- `InProcessJobs` (the default, no engine): syncs run as tasks of the web process's event loop.
- `ProcrastinateJobs` (``add_banking(..., jobs="postgresql://...")`` or ``FIN_INFRA_JOBS_URL``; the ``jobs``
  extra): syncs are queued in PostgreSQL and run by ``python -m fin_infra worker`` processes on any machine,
  which also run the periodic work (`JobSettings`: nightly sync, daily balances, retention).

    >>> add_banking(app, providers=["plaid"], connections=URL, current_user=get_user_id, jobs=URL)  # doctest: +SKIP
"""

from fin_infra.banking.background.protocol import BackgroundJobs
from fin_infra.banking.background.settings import JOBS_URL_ENV, JobSettings

__all__ = ["JOBS_URL_ENV", "BackgroundJobs", "JobSettings"]
