"""The supabase client the functions share: one per process, talking to the `api` schema."""

from __future__ import annotations

from contextvars import ContextVar
from functools import lru_cache
from typing import Any, cast

import httpx
from postgrest.exceptions import APIError
from supabase import Client, ClientOptions, create_client

from walltrack.errors import Refused, StorageUnavailable
from walltrack.settings import DatabaseSettings

# Helius waits about a second for our answer; a slower database means a retry anyway.
RPC_TIMEOUT = httpx.Timeout(5.0, connect=1.0)


@lru_cache(maxsize=4)
def client_for(settings: DatabaseSettings) -> Client:
    return create_client(
        settings.supabase_url,
        settings.service_role_key,
        options=ClientOptions(
            schema="api",
            postgrest_client_retry=False,  # the caller (Helius, a schedule) retries instead
            httpx_client=httpx.Client(timeout=RPC_TIMEOUT),
        ),
    )


# The time a request runs at, when its caller sets one (X-WallTrack-Clock: the demo's
# scenario time). Each database call of the request carries it on, and the database runs
# the call at that time or refuses (walltrack.clock_from_request, walltrack.set_clock).
CLOCK_HEADER = "X-WallTrack-Clock"
REQUEST_CLOCK: ContextVar[str | None] = ContextVar("request_clock", default=None)


# SQLSTATE classes of an error in the call's content: data (22), integrity (23), a rule
# raised by WallTrack (P0). Anything else (connection, PostgREST) is the database away.
REFUSAL_CLASSES = ("22", "23", "P0")


def rpc(function: str, params: dict[str, Any]) -> Any:
    """Call an `api` function in one round trip; any failure means nothing was stored."""
    try:
        call = client_for(DatabaseSettings.from_env()).rpc(function, params)
        clock = REQUEST_CLOCK.get()
        if clock is not None:
            call.request.headers[CLOCK_HEADER] = clock
        return call.execute().data
    except APIError as failure:
        detail = f"rpc {function} failed: {describe(failure)}"
        code = failure.code or ""
        if code[:2] in REFUSAL_CLASSES:
            raise Refused(detail, code, failure.message or "", failure.hint) from failure
        raise StorageUnavailable(detail) from failure
    except (httpx.HTTPError, ValueError) as failure:
        raise StorageUnavailable(f"rpc {function} failed: {describe(failure)}") from failure


def describe(failure: Exception) -> str:
    """A log line for a database failure: the error code and message, nothing else."""
    if isinstance(failure, APIError):
        return f"{failure.code}: {failure.message}"
    return type(failure).__name__


def rpc_object(function: str, params: dict[str, Any]) -> dict[str, Any]:
    return cast(dict[str, Any], rpc(function, params))


def record_fault(source: str, subject: str, message: str, input_: Any = None) -> None:
    """Tells the operator (walltrack.faults, seen in Studio) what a run could not do for one
    subject; the run goes on with the others."""
    rpc(
        "record_fault",
        {
            "source": source,
            "subject": subject,
            "sqlstate": None,
            "message": message,
            "hint": None,
            "input": input_,
        },
    )
