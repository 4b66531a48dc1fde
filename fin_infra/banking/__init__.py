"""Banking: connect users' bank accounts and serve their data.

>>> from fin_infra.banking import easy_banking, add_banking
>>> banking = easy_banking(provider="sandbox")          # scripts and jobs
>>> # add_banking(app)                                   # a FastAPI app, one line
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fin_infra.banking.app import add_banking
    from fin_infra.banking.factory import easy_banking

__all__ = ["add_banking", "easy_banking"]


def __getattr__(name: str) -> Any:
    # Imported on first use, so that importing fin_infra.banking.exceptions (which every provider
    # does) doesn't pull in FastAPI routes and, through them, the providers themselves.
    if name == "add_banking":
        from fin_infra.banking.app import add_banking

        return add_banking
    if name == "easy_banking":
        from fin_infra.banking.factory import easy_banking

        return easy_banking
    raise AttributeError(f"module 'fin_infra.banking' has no attribute {name!r}")
