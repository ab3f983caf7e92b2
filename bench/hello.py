"""The baseline function: functions-framework doing nothing but answering."""

from __future__ import annotations

import flask
import functions_framework


@functions_framework.http
def hello(_request: flask.Request) -> tuple[str, int]:
    return '{"hello": "world"}', 200
