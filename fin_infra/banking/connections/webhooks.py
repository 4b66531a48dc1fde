"""Provider webhooks update the health of the connection they are about (found by item / enrollment id)."""

from __future__ import annotations

import logging

from fin_infra.banking.connections.health import status_for_webhook
from fin_infra.banking.connections.service import ConnectionService
from fin_infra.banking.webhooks import WebhookEvent, Webhooks

log = logging.getLogger("fin_infra.banking.connections")


def track_health(webhooks: Webhooks, service: ConnectionService) -> None:
    """Register a handler on ``webhooks`` that records what each verified event says about its connection."""
    store = service.store

    async def on_event(event: WebhookEvent) -> None:
        if not event.item_id:
            return
        change = status_for_webhook(event.provider, event.type, event.code, event.payload)
        if change is None:
            return
        record = await store.find_by_item(event.provider, event.item_id)
        if record is None:
            log.info("%s webhook for an item with no connection here (delivery %s)", event.provider, event.delivery_id)
            return
        status, code, message = change
        await store.set_status(record.id, status, error_code=code, error_message=message)
        service.forget(record.id)

    webhooks.add_handler(on_event, "*")
