"""The body of ``GET {prefix}/transactions``: the page, its totals, and links to the neighbouring pages.

Only the page's transactions are serialised (each once per cached range: `TransactionIndex.json_of`).
Links are relative (path and query string), keep every other parameter, pin the resolved dates, and
never carry the access token.

    >>> page_link("/banking/transactions", TransactionQuery.build("2025-01-01", "2025-01-31", page=1), 2)
    '/banking/transactions?start_date=2025-01-01&end_date=2025-01-31&sort_by=date&sort_order=desc&page_size=50&page=2'
"""

from __future__ import annotations

import re
from urllib.parse import urlencode

from fin_infra._json import dumpb
from fin_infra.banking.query.service import QueryResult
from fin_infra.banking.query.value import TransactionQuery
from fin_infra.banking.recent import Recent


def page_link(path: str, q: TransactionQuery, page: int) -> str:
    """The relative URL of page ``page`` of ``q``."""
    key = (id(q), path)
    known = _STEMS.get(key)
    if known is not None and known[0] is q:
        return f"{known[1]}{page}"
    params = q.to_params()
    del params["page"]  # always the last parameter: the stem ends where its value starts
    stem = f"{path}?{_urlencode(params)}&page="
    _STEMS.remember(key, (q, stem))
    return f"{stem}{page}"


# The link stems (all but the page number) of queries linked lately, by identity: the route's query for a
# query string is one object (`TransactionQueryParams.to_query`), so its links are written once.
_STEMS: Recent[tuple[int, str], tuple[TransactionQuery, str]] = Recent(512)


_UNRESERVED = re.compile(r"[A-Za-z0-9_.~-]*")


def _urlencode(params: dict[str, str]) -> str:
    """``urlencode(params)``, text for text: a value made only of characters it never escapes (dates,
    numbers, sort names: most of them) is written as it is, the rest through ``urlencode``."""
    safe = _UNRESERVED.fullmatch
    return "&".join(f"{k}={v}" if safe(k) and safe(v) else urlencode({k: v}) for k, v in params.items())


def page_body(result: QueryResult, path: str) -> bytes:
    """The JSON of the response for ``result``; ``path`` is the route's path, for the links."""
    q = result.query
    pages = result.total_pages
    has_next = q.page < pages
    previous = min(q.page - 1, max(pages, 1)) if q.page > 1 else None
    rest = {
        "count": len(result.positions),
        "total": result.total,
        "page": q.page,
        "page_size": q.page_size,
        "total_pages": pages,
        "has_next": has_next,
        "has_previous": q.page > 1,
        "next": page_link(path, q, q.page + 1) if has_next else None,
        "previous": page_link(path, q, previous) if previous is not None else None,
        "start_date": q.start_date,
        "end_date": q.end_date,
    }
    items = result.index.json_array_items(result.positions)
    return b'{"transactions":[' + items + b"]," + dumpb(rest)[1:]
