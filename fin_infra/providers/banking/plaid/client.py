"""`PlaidCaller`: runs the official, synchronous plaid-python client off the event loop.

One ``PlaidApi`` (and its urllib3 connection pool) per provider, built once; calls run on a bounded
thread pool of its own, so the event loop keeps serving while Plaid answers. Responses are read raw
(``_preload_content=False``) and parsed with ``json.loads(parse_float=Decimal)``: amounts arrive as
the exact digits Plaid sent, never through a binary float (plaid-python's own models deserialize
numbers to ``float``); it is also many times faster than building plaid-python's typed models, and
plaid-python never logs a body it didn't read, so tokens and PII in responses stay out of DEBUG logs.
Small responses are normalised on the worker thread too; ``/transactions/sync`` pages are normalised on
the loop in slices (see `fin_infra.providers.banking.plaid.provider`). Reads retry with exponential
backoff on rate limits and 5xx, a bounded number of times; writes never do.

    >>> caller = PlaidCaller(PlaidSettings.build(client_id="id", secret="secret"))  # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import importlib
import json
import logging
import random
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any, TypeVar, overload

from fin_infra.banking.exceptions import (
    BankingProviderError,
    ProviderConfigurationError,
    ProviderUnavailableError,
    invalid_response,
)
from fin_infra.providers.banking.plaid.errors import PROVIDER, error_from_plaid, is_retryable
from fin_infra.providers.banking.plaid.settings import PlaidSettings

T = TypeVar("T")
log = logging.getLogger("fin_infra.plaid")
_MAX_DELAY = 8.0
_GRACE = 1.0  # seconds past the budget a worker gets to report its own timeout before the caller stops waiting


def _transport_code(exc: BaseException) -> str:
    import urllib3

    timeouts = (urllib3.exceptions.TimeoutError, TimeoutError)
    return "timeout" if isinstance(exc, timeouts) or isinstance(exc.__context__, timeouts) else "connection_error"


def _timed_out(operation: str) -> ProviderUnavailableError:
    return ProviderUnavailableError(
        f"Plaid {operation} did not answer within the call's time budget", provider=PROVIDER, code="timeout"
    )


def import_plaid() -> Any:
    """The ``plaid`` package, or a clear error saying how to install it."""
    try:
        return importlib.import_module("plaid")
    except ImportError:
        raise ProviderConfigurationError(
            "the Plaid provider needs the official plaid-python client: pip install 'fin-infra[plaid]'"
        ) from None


def model(name: str) -> Any:
    """A plaid-python model class by module name, e.g. ``model("accounts_get_request")``."""
    module = importlib.import_module(f"plaid.model.{name}")
    return getattr(module, "".join(part.capitalize() for part in name.split("_")))


class PlaidCaller:
    """The policy around plaid-python: thread pool, raw JSON, error mapping, retries."""

    def __init__(self, settings: PlaidSettings) -> None:
        plaid = import_plaid()
        from plaid.api import plaid_api

        config = plaid.Configuration(
            host=settings.host,
            api_key={"clientId": settings.client_id, "secret": settings.secret.get_secret_value()},
        )
        config.connection_pool_maxsize = settings.max_workers
        self.settings = settings
        self._api_exception: type[Exception] = plaid.ApiException
        self._input_errors: tuple[type[Exception], ...] = (plaid.ApiTypeError, plaid.ApiValueError)
        self.api = plaid_api.PlaidApi(plaid.ApiClient(config))
        self._executor: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()

    def build(self, name: str, **fields: Any) -> Any:
        """A plaid-python request model; its own validation errors become a clear `ValueError`."""
        try:
            return model(name)(**{k: v for k, v in fields.items() if v is not None})
        except self._input_errors as exc:
            raise ValueError(f"invalid Plaid request ({name}): {exc}") from None

    def enum(self, name: str, value: str) -> Any:
        """A plaid-python enum value (``Products``, ``CountryCode``); a bad value is a clear `ValueError`."""
        cls = model(name)
        allowed = set(cls.allowed_values.get(("value",), {}).values())
        if not isinstance(value, str) or (allowed and value not in allowed):
            # plaid-python doesn't check enum values itself; Plaid would refuse the whole request
            raise ValueError(f"{str(value)[:40]!r} is not a valid Plaid {name.replace('_', ' ')}")
        return cls(value)

    def _pool(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(self.settings.max_workers, thread_name_prefix="fin-infra-plaid")
            return self._executor

    @overload
    async def call(self, operation: str, request: Any, *, read: bool = ..., parse: None = None) -> dict[str, Any]: ...

    @overload
    async def call(
        self, operation: str, request: Any, *, read: bool = ..., parse: Callable[[dict[str, Any]], T]
    ) -> T: ...

    async def call(
        self, operation: str, request: Any, *, read: bool = True, parse: Callable[[dict[str, Any]], Any] | None = None
    ) -> Any:
        """Call ``PlaidApi.<operation>(request)`` on the pool; returns ``parse(json)`` (or the JSON dict).

        Reads (``read=True``) are retried on rate limits, 5xx and lost connections; writes never are
        (an exchange or a removal must not run twice). The whole call, retries and waits included,
        takes at most ``settings.total_timeout`` seconds. An answer ``parse`` can't read is a 502
        ``invalid_response``, never an empty success."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.settings.total_timeout
        attempt = 0
        while True:
            remaining = deadline - loop.time()
            try:
                if remaining <= 0:
                    raise _timed_out(operation)
                per_try = min(self.settings.timeout, remaining)
                work = loop.run_in_executor(self._pool(), self._blocking, operation, request, parse, per_try)
                try:
                    # The worker's own socket timeouts end it soon after; the caller is never held longer.
                    return await asyncio.wait_for(work, remaining + _GRACE)
                except TimeoutError:
                    raise _timed_out(operation) from None
            except BankingProviderError as exc:
                if not read or attempt >= self.settings.max_retries or not is_retryable(exc):
                    raise
                delay = min(_MAX_DELAY, self.settings.retry_backoff * 2**attempt) * (0.5 + random.random() / 2)  # noqa: S311
                retry_after = getattr(exc, "retry_after", None)
                if retry_after:
                    delay = max(delay, min(float(retry_after), _MAX_DELAY))
                if loop.time() + delay >= deadline:
                    raise  # the next try could not finish within the call's time budget
                attempt += 1
                log.info(
                    "plaid %s failed (%s, request_id=%s); retry %d in %.2fs",
                    operation,
                    exc.code,
                    exc.request_id,
                    attempt,
                    delay,
                )
                await asyncio.sleep(delay)

    def _blocking(
        self, operation: str, request: Any, parse: Callable[[dict[str, Any]], Any] | None, timeout: float
    ) -> Any:
        import urllib3

        try:
            response = getattr(self.api, operation)(request, _preload_content=False, _request_timeout=timeout)
        except self._api_exception as exc:
            raise self._map_api_exception(exc, operation) from None
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise ProviderUnavailableError(
                f"Plaid {operation} failed before an answer: {type(exc).__name__}",
                provider=PROVIDER,
                code=_transport_code(exc),
            ) from None
        try:
            # The body is read here, lazily: a connection cut mid-body fails now, not inside plaid-python.
            raw = response.data
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise ProviderUnavailableError(
                f"Plaid {operation}: the connection failed mid-answer ({type(exc).__name__})",
                provider=PROVIDER,
                code=_transport_code(exc),
            ) from None
        finally:
            response.release_conn()
        try:
            data = json.loads(raw, parse_float=Decimal)
        except (ValueError, RecursionError):
            raise invalid_response(
                PROVIDER, f"Plaid {operation} answered HTTP {response.status} with a body that is not JSON"
            ) from None
        if not isinstance(data, dict):
            raise invalid_response(PROVIDER, f"Plaid {operation} answered with JSON that is not an object")
        if parse is None:
            return data
        try:
            return parse(data)
        except BankingProviderError:
            raise
        except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
            # pydantic's ValidationError is a ValueError: our models refused what Plaid sent.
            raise invalid_response(
                PROVIDER, f"Plaid {operation} answered with JSON of an unexpected shape ({type(exc).__name__})"
            ) from None

    def _map_api_exception(self, exc: Any, operation: str) -> BankingProviderError:
        status = exc.status or None  # 0: no HTTP answer (e.g. a TLS failure)
        body = None
        if exc.body:
            try:
                body = json.loads(exc.body)
            except (ValueError, RecursionError):
                body = None
        if status is None:
            return ProviderUnavailableError(f"Plaid {operation} failed before an answer", provider=PROVIDER)
        return error_from_plaid(
            body if isinstance(body, dict) else None, status=status, headers=dict(exc.headers or {})
        )

    def close(self) -> None:
        """Stop the pool's threads and drop pooled connections; later calls start them again."""
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=False, cancel_futures=True)
        self.api.api_client.rest_client.pool_manager.clear()
