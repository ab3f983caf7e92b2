"""The boundary between functions-framework and WallTrack: JSON in, JSON out, errors mapped."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

import flask

from walltrack.database import CLOCK_HEADER, REQUEST_CLOCK
from walltrack.errors import MethodNotAllowed, WalltrackError

logger = logging.getLogger("walltrack")

JsonHandler = Callable[[flask.Request], tuple[dict[str, Any], int]]


def json_endpoint(handler: JsonHandler) -> Callable[[flask.Request], flask.Response]:
    """Run a handler; turn every failure into a JSON error with its status, never a trace."""

    @functools.wraps(handler)
    def endpoint(request: flask.Request) -> flask.Response:
        # The caller's clock, if it sent one, for every database call this request makes.
        clock = REQUEST_CLOCK.set(request.headers.get(CLOCK_HEADER))
        try:
            if request.method != "POST":
                # Probes and browsers get an answer without side effects.
                raise MethodNotAllowed(f"{request.method} is not POST")
            body, status = handler(request)
        except WalltrackError as error:
            logger.warning("%s: %s %s", handler.__name__, error.status, error.detail)
            body, status = {"error": error.public_message}, error.status
        except Exception:
            logger.exception("%s: unexpected failure", handler.__name__)
            body, status = {"error": "internal error"}, 500
        finally:
            REQUEST_CLOCK.reset(clock)
        response = flask.jsonify(body)
        response.status_code = status
        return response

    return endpoint
