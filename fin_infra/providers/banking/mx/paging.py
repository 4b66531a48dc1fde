"""Reading every page of an MX list (``page`` / ``records_per_page``) without losing or doubling a row.

Page 1 says how many pages there are (``pagination.total_pages``); the others are fetched
concurrently (the connection bounds how many at once). Rows are keyed by ``guid``: a row seen on
two pages counts once. If the list changed while it was read (pages disagree on ``total_entries``,
or fewer distinct rows came back than MX counted), it is read again, up to `ATTEMPTS` times, then
`ProviderUnavailableError` (``list_changed``): a short answer is never returned as complete.

    >>> _pages({"current_page": 1, "per_page": 25, "total_entries": 73, "total_pages": 3})
    (3, 73)
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from fin_infra.banking.exceptions import ProviderUnavailableError
from fin_infra.providers.banking.mx.errors import PROVIDER, invalid_response
from fin_infra.providers.banking.teller.concurrency import gather_all

ATTEMPTS = 3
MAX_PAGES = 10_000

Fetch = Callable[[Mapping[str, Any]], Awaitable[dict[str, Any]]]


def _pages(pagination: Any) -> tuple[int, int]:
    if not isinstance(pagination, Mapping):
        raise invalid_response("a list without pagination")
    pages, total = pagination.get("total_pages"), pagination.get("total_entries")
    if not isinstance(pages, int) or not isinstance(total, int) or isinstance(pages, bool) or pages < 0 or total < 0:
        raise invalid_response("pagination without integer total_pages / total_entries")
    if pages > MAX_PAGES:
        raise invalid_response(f"a list of {pages} pages (more than {MAX_PAGES})")
    return pages, total


def _rows(body: Mapping[str, Any], key: str) -> list[dict[str, Any]]:
    rows = body.get(key)
    if not isinstance(rows, list) or not all(isinstance(r, dict) and isinstance(r.get("guid"), str) for r in rows):
        raise invalid_response(f"a {key} list of the wrong shape")
    return rows


async def read_all(fetch: Fetch, key: str, params: Mapping[str, Any], per_page: int) -> list[dict[str, Any]]:
    """Every row of the list under ``key``: ``fetch(params)`` returns one decoded page."""
    for _ in range(ATTEMPTS):
        first = await fetch({**params, "page": 1, "records_per_page": per_page})
        pages, total = _pages(first.get("pagination"))
        bodies = [first]
        if pages > 1:
            bodies += await gather_all(
                [fetch({**params, "page": n, "records_per_page": per_page}) for n in range(2, pages + 1)]
            )
        rows: dict[str, dict[str, Any]] = {}
        steady = True
        for body in bodies:
            if _pages(body.get("pagination"))[1] != total:
                steady = False
            for row in _rows(body, key):
                rows.setdefault(row["guid"], row)
        if steady and len(rows) == total:
            return list(rows.values())
    raise ProviderUnavailableError(
        f"MX's {key} list kept changing while it was read; retry shortly", code="list_changed", provider=PROVIDER
    )


__all__ = ["ATTEMPTS", "read_all"]
