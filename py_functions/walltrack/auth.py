"""Who may call a function: the caller shows a shared secret in `Authorization`, compared in
constant time. Helius echoes its webhook secret verbatim; the scheduler and operators send
`Bearer <FUNCTIONS_SECRET>`."""

from __future__ import annotations

import hmac

import flask

from walltrack import settings
from walltrack.errors import Unauthorized


def require(request: flask.Request, expected: str) -> None:
    presented = request.headers.get("Authorization", "").encode()
    if not hmac.compare_digest(presented, expected.encode()):
        raise Unauthorized("missing or wrong Authorization header")


def require_helius(request: flask.Request) -> None:
    require(request, settings.required("HELIUS_WEBHOOK_SECRET"))


def require_operator(request: flask.Request) -> None:
    """The scheduler's and operators' calls (sync, lookups, price refresh)."""
    require(request, f"Bearer {settings.required('FUNCTIONS_SECRET')}")
