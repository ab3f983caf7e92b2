"""A function served in-process by functions-framework, for tests that change its environment."""

from __future__ import annotations

import flask
import functions_framework

from scripts.stack_env import REPO_ROOT, StackEnv
from tests.support.stack_secrets import stack_secret


def function_app(target: str) -> flask.Flask:
    """The entry point `target` of py_functions/main.py, as functions-framework serves it."""
    source = str(REPO_ROOT / "py_functions" / "main.py")
    app: flask.Flask = functions_framework.create_app(target, source)  # type: ignore[no-untyped-call]
    return app


OPERATOR_SECRET = "operator-test-secret"
OPERATOR = {"Authorization": f"Bearer {OPERATOR_SECRET}"}
"""Headers of an operator's (or the scheduler's) call; tests set FUNCTIONS_SECRET to match."""


def helius_functions_env(stack: StackEnv, helius_api_key: str) -> dict[str, str]:
    """What the Helius functions (sync, backfill, webhook) read, pointed at this stack: the
    webhook URL is the stack's own helius-webhook, the operator's secret OPERATOR's."""
    return {
        "SUPABASE_URL": stack.supabase_url,
        "SUPABASE_SERVICE_ROLE_KEY": stack.service_role_key,
        "HELIUS_API_KEY": helius_api_key,
        "HELIUS_WEBHOOK_URL": f"{stack.supabase_url}/functions/v1/helius-webhook",
        "HELIUS_WEBHOOK_SECRET": stack_secret("HELIUS_WEBHOOK_SECRET"),
        "FUNCTIONS_SECRET": OPERATOR_SECRET,
    }
