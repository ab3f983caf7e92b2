"""One exception tree for the functions, mapped to HTTP statuses at the boundary.

A response carries only `public_message`: never a stack trace, an exception's text or a
secret. The full story goes to the log.
"""

from __future__ import annotations


class WalltrackError(Exception):
    status = 500
    public_message = "internal error"

    def __init__(self, detail: str = "") -> None:
        super().__init__(detail or self.public_message)
        self.detail = detail


class Unauthorized(WalltrackError):
    status = 401
    public_message = "unauthorized"


class BadRequest(WalltrackError):
    status = 400

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.public_message = detail


class MethodNotAllowed(WalltrackError):
    status = 405
    public_message = "use POST"


class PayloadTooLarge(BadRequest):
    status = 413


class NotConfigured(WalltrackError):
    """A required environment variable is missing: an operator must set it."""

    public_message = "function not configured"

    def __init__(self, variable: str, problem: str = "is not set") -> None:
        super().__init__(f"environment variable {variable} {problem}")


class StorageUnavailable(WalltrackError):
    """The database did not store the request: 5xx, so that the caller retries."""

    status = 503
    public_message = "storage unavailable, retry later"


class Refused(StorageUnavailable):
    """The database answered and refused this call's content (a rule, a type): retrying the
    same call fails the same way, so a batch records it as a fault and goes on."""

    def __init__(self, detail: str, sqlstate: str, message: str, hint: str | None) -> None:
        super().__init__(detail)
        self.sqlstate = sqlstate
        self.message = message
        self.hint = hint


class UpstreamFailed(WalltrackError):
    """An outside service (Helius, RugCheck, ...) failed; nothing was recorded."""

    status = 502
    public_message = "upstream service failed"
