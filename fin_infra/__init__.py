"""fin-infra: connect users' bank accounts to a FastAPI app through aggregation providers.

>>> from fin_infra.banking import easy_banking
>>> banking = easy_banking(provider="sandbox")
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
