"""A function served in-process by functions-framework, for tests that change its environment."""

from __future__ import annotations

import flask
import functions_framework

from scripts.stack_env import REPO_ROOT


def function_app(target: str) -> flask.Flask:
    """The entry point `target` of py_functions/main.py, as functions-framework serves it."""
    source = str(REPO_ROOT / "py_functions" / "main.py")
    app: flask.Flask = functions_framework.create_app(target, source)  # type: ignore[no-untyped-call]
    return app


OPERATOR_SECRET = "operator-test-secret"
OPERATOR = {"Authorization": f"Bearer {OPERATOR_SECRET}"}
"""Headers of an operator's (or the scheduler's) call; tests set FUNCTIONS_SECRET to match."""
