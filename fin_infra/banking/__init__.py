"""Banking: connect users' bank accounts and serve their data.

>>> from fin_infra.banking import easy_banking, add_banking
>>> banking = easy_banking(provider="sandbox")          # scripts and jobs
>>> # add_banking(app)                                   # a FastAPI app, one line
"""

from fin_infra.banking.app import add_banking
from fin_infra.banking.factory import easy_banking

__all__ = ["add_banking", "easy_banking"]
