"""fin-infra's background work on Procrastinate workers (the ``jobs`` extra): the tasks, the worker, its
retry policy and the status command. The web side only queues (`fin_infra.banking.background`).

    python -m fin_infra db upgrade --url postgresql://app@db/app     # fin-infra's tables and the queue's
    python -m fin_infra worker --url postgresql://app@db/app --concurrency 8
    python -m fin_infra jobs status --url postgresql://app@db/app
"""

from fin_infra.banking.background.settings import JobSettings

__all__ = ["JobSettings"]
