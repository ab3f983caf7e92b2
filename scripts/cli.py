"""`walltrack`: the operator's command, a thin client of the `api` RPCs and the functions,
through the stack's gateway.

    walltrack status                          the stack, the breaker, open positions, deliveries
    walltrack wallets list | add | pause | resume | retire
    walltrack breaker reset --note "why"
    walltrack candidates | promote ID         wallet discovery's ranking, and a promotion
    walltrack discover [--address A]...       wallet-discovery runs until its walk is done
    walltrack backfill [--every-wallet]       helius-backfill on demand
    walltrack report [--out PATH]             the HTML report
    walltrack replay ...                      the what-if replay (python -m scripts.replay)

Where the stack is: SUPABASE_URL, SUPABASE_SERVICE_ROLE_KEY and FUNCTIONS_SECRET from the
environment, else from the env file `make up` writes ($ENV_FILE, default .env). Errors say
what to do and exit 1 (2 for a wrong command line); no trace and no key is ever printed.
"""

from __future__ import annotations

import getpass
import os
import sys
from collections.abc import Callable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from scripts.stack_env import REPO_ROOT, env_file_path, read_env_file

TIMEOUT_SECONDS = 120.0  # a discovery or backfill run may take a while
DISCOVERY_RUNS = 10
DEFAULT_REPORT = REPO_ROOT / "reports" / "report.html"

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="WallTrack's operator command: the stack named by $ENV_FILE (default .env), or by"
    " SUPABASE_URL, SUPABASE_SERVICE_ROLE_KEY and FUNCTIONS_SECRET.",
)
wallets_app = typer.Typer(no_args_is_help=True, help="The watchlist.")
breaker_app = typer.Typer(no_args_is_help=True, help="The circuit breaker.")
app.add_typer(wallets_app, name="wallets")
app.add_typer(breaker_app, name="breaker")
out = Console(highlight=False)
err = Console(stderr=True, highlight=False)


class CliError(Exception):
    """What went wrong and what to do: printed on one line, exit status 1."""


class Gateway:
    """The api RPCs (PostgREST) and the functions, as the stack's gateway serves them."""

    def __init__(self) -> None:
        values = self.settings()
        missing = [n for n in ("SUPABASE_URL", "SUPABASE_SERVICE_ROLE_KEY") if not values.get(n)]
        if missing:
            raise CliError(
                f"{', '.join(missing)} not set: start the local stack with `make up`, or set them"
                " in the environment"
            )
        self.url = values["SUPABASE_URL"].rstrip("/")
        self.key = values["SUPABASE_SERVICE_ROLE_KEY"]
        self.functions_secret = values.get("FUNCTIONS_SECRET", "")
        self.client = httpx.Client(timeout=TIMEOUT_SECONDS)

    @staticmethod
    def settings() -> dict[str, str]:
        path = env_file_path()
        values = read_env_file(path) if path.exists() else {}
        names = ("SUPABASE_URL", "SUPABASE_SERVICE_ROLE_KEY", "FUNCTIONS_SECRET")
        return values | {n: os.environ[n] for n in names if os.environ.get(n)}

    def rpc(self, name: str, params: dict[str, Any] | None = None) -> Any:
        headers = {
            "apikey": self.key,
            "Authorization": f"Bearer {self.key}",
            "Content-Profile": "api",
            "Accept-Profile": "api",
        }
        response = self.post(f"/rest/v1/rpc/{name}", params or {}, headers)
        answer = json_of(response)
        if response.status_code >= 400:
            message = answer.get("message") if isinstance(answer, dict) else None
            hint = answer.get("hint") if isinstance(answer, dict) else None
            raise CliError(
                f"{message or f'HTTP {response.status_code}'}" + (f" ({hint})" if hint else "")
            )
        return answer

    def function(self, name: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        if not self.functions_secret:
            raise CliError("FUNCTIONS_SECRET not set: `make up` writes one in the env file")
        headers = {"Authorization": f"Bearer {self.functions_secret}"}
        response = self.post(f"/functions/v1/{name}", body or {}, headers)
        answer = json_of(response)
        if response.status_code >= 400 or not isinstance(answer, dict):
            detail = answer.get("error") if isinstance(answer, dict) else None
            raise CliError(f"{name} answered {response.status_code}: {detail or 'no detail'}")
        return answer

    def post(self, path: str, body: Any, headers: dict[str, str]) -> httpx.Response:
        try:
            return self.client.post(f"{self.url}{path}", json=body, headers=headers)
        except httpx.HTTPError as failed:
            raise CliError(
                f"cannot reach the stack at {self.url} ({type(failed).__name__}): is it up?"
                " `make up` starts it, `make status` shows it"
            ) from None


def json_of(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float | Decimal):
        return f"{Decimal(str(value)):f}"
    if isinstance(value, list):
        return " ".join(str(v) for v in value)
    return str(value)


def table(title: str, columns: Sequence[str], rows: Sequence[dict[str, Any]]) -> Table:
    shown = Table(title=title, title_justify="left")
    for column in columns:
        shown.add_column(column.replace("_", " "))
    for row in rows:
        shown.add_row(*(cell(row.get(column)) for column in columns))
    return shown


def operator_name() -> str:
    return os.environ.get("WALLTRACK_OPERATOR") or getpass.getuser()


# --- commands --------------------------------------------------------------------------------


@app.command()
def status() -> None:
    """The stack at a glance: switches, the breaker, open positions, deliveries, alerts."""
    state = Gateway().rpc("operator_status")
    overview, breaker = state["overview"], state["breaker"]
    trading = "on" if overview["trading_enabled"] else "OFF"
    live = "on" if overview["live_trading_enabled"] else "off"
    out.print(
        f"trading {trading}, live trading {live}; {overview['active_wallets']} active wallet(s),"
        f" {overview['open_positions']} open position(s), {overview['signals']} signal(s),"
        f" {state['alerts_pending']} alert(s) waiting to be sent"
    )
    if breaker["active"]:
        out.print(
            f"[bold red]circuit breaker TRIPPED[/] since {breaker['since']} ({breaker['trigger']}:"
            f" {breaker['observed']} vs {breaker['threshold']}): new buys stopped, exits run."
            ' `walltrack breaker reset --note "..."` resumes them'
        )
    else:
        out.print("circuit breaker armed")
    columns = ["id", "wallet", "token", "mode", "status", "cost_basis_sol", "unrealized_pnl_sol"]
    out.print(table("Open positions", columns, state["open_positions"]))
    columns = ["wallet", "last_delivery_at", "last_backfill_at", "flagged"]
    out.print(table("Deliveries (active wallets)", columns, state["deliveries"]))


@wallets_app.command("list")
def wallets_list() -> None:
    """The watchlist, with each wallet's all-time results."""
    columns = ["label", "address", "status", "mode", "exit_strategy", "trades", "win_rate_pct"]
    rows = Gateway().rpc("wallet_list")
    out.print(table("Watchlist", [*columns, "realized_pnl_sol"], rows))


@wallets_app.command("add")
def wallets_add(
    address: str,
    label: Annotated[str, typer.Option(help="A name for it")] = "",
    mode: Annotated[str, typer.Option(help="simulation or live")] = "simulation",
    exit_strategy: Annotated[str | None, typer.Option(help="By name; default strategy")] = None,
    size: Annotated[float | None, typer.Option(help="SOL per copy; default: config")] = None,
    notes: str = "",
) -> None:
    """Watch a wallet (in simulation unless --mode live)."""
    added = Gateway().rpc(
        "add_wallet",
        {
            "address": address,
            "label": label,
            "mode": mode,
            "exit_strategy": exit_strategy,
            "position_size_sol": None if size is None else str(size),
            "notes": notes,
        },
    )
    out.print(f"watching {added['address']} ({added['label'] or 'no label'}), {added['mode']}")


def set_status(wallet: str, new_status: str) -> None:
    changed = Gateway().rpc("set_wallet_status", {"wallet": wallet, "status": new_status})
    out.print(f"{changed['label'] or changed['address']} is {changed['status']}")


@wallets_app.command("pause")
def wallets_pause(wallet: Annotated[str, typer.Argument(help="Address or label")]) -> None:
    """Stop copying a wallet's buys (its open positions keep their exits)."""
    set_status(wallet, "paused")


@wallets_app.command("resume")
def wallets_resume(wallet: Annotated[str, typer.Argument(help="Address or label")]) -> None:
    """Copy a paused wallet again."""
    set_status(wallet, "active")


@wallets_app.command("retire")
def wallets_retire(wallet: Annotated[str, typer.Argument(help="Address or label")]) -> None:
    """Stop watching a wallet for good (its history stays)."""
    set_status(wallet, "retired")


@breaker_app.command("reset")
def breaker_reset(
    note: Annotated[str, typer.Option(help="Why it is safe to resume (required)")],
    operator: Annotated[str | None, typer.Option(help="Who resets it")] = None,
) -> None:
    """Reset a tripped circuit breaker: new buys resume."""
    Gateway().rpc("reset_circuit_breaker", {"operator": operator or operator_name(), "note": note})
    out.print("circuit breaker reset: new buys resume")


@app.command()
def candidates(limit: Annotated[int, typer.Option(help="How many")] = 20) -> None:
    """Wallet discovery's ranking: unflagged first, on expectancy after copy decay."""
    rows = Gateway().rpc("candidate_list", {"max_rows": limit})
    columns = ["id", "rank", "address", "status", "trades", "win_rate_pct", "realized_pnl_sol"]
    out.print(table("Candidates", [*columns, "expectancy_after_decay_pct", "flags"], rows))


@app.command()
def promote(
    candidate_id: int, operator: Annotated[str | None, typer.Option(help="Who")] = None
) -> None:
    """Put a discovery candidate on the watchlist, in simulation, with its measured baseline."""
    promoted = Gateway().rpc(
        "promote_candidate",
        {"candidate_id": candidate_id, "operator": operator or operator_name()},
    )
    out.print(f"{promoted['address']} is on the watchlist (wallet {promoted['wallet_id']})")


def until_done(
    name: str, run: Callable[[], dict[str, Any]], left: Callable[[dict[str, Any]], int]
) -> list[dict[str, Any]]:
    """Calls a budgeted function until nothing is left (or DISCOVERY_RUNS), with a bar."""
    answers: list[dict[str, Any]] = []
    with Progress(console=err, transient=True) as progress:
        task = progress.add_task(name, total=DISCOVERY_RUNS)
        for _ in range(DISCOVERY_RUNS):
            answers.append(run())
            progress.advance(task)
            if not left(answers[-1]):
                break
    return answers


@app.command()
def discover(
    address: Annotated[list[str] | None, typer.Option(help="An address to evaluate")] = None,
    note: str = "",
) -> None:
    """Run wallet-discovery until its walk is done (each run spends its credit budget)."""
    gateway = Gateway()
    first: dict[str, Any] = {"addresses": address, "note": note} if address else {}
    bodies = iter([first])
    answers = until_done(
        "wallet-discovery",
        lambda: gateway.function("wallet-discovery", next(bodies, {})),
        lambda answer: len(answer.get("left") or []),
    )
    out.print(
        f"{len(answers)} run(s): {sum(a['new_candidates'] for a in answers)} new candidate(s),"
        f" {sum(a['credits_spent'] for a in answers)} credits; `walltrack candidates` ranks them"
    )


@app.command()
def backfill(
    every_wallet: Annotated[bool, typer.Option(help="Read every wallet, due or not")] = False,
) -> None:
    """Run helius-backfill until every due wallet is read."""
    gateway = Gateway()
    body = {"every_wallet": True} if every_wallet else {}
    answers = until_done(
        "helius-backfill",
        lambda: gateway.function("helius-backfill", body),
        lambda answer: len(answer.get("left") or []),
    )
    out.print(
        f"{len(answers)} run(s): {sum(a['pages'] for a in answers)} page(s),"
        f" {sum(a['new_signals'] for a in answers)} swap(s) the webhook never delivered"
    )


@app.command()
def report(
    out_path: Annotated[Path, typer.Option("--out", help="Where")] = DEFAULT_REPORT,
) -> None:
    """Write the HTML report of the stack's database."""
    from scripts.report import main as report_main

    report_main(["--out", str(out_path)])


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def replay(context: typer.Context) -> None:
    """The what-if replay: `walltrack replay export|run ...` (see its --help)."""
    from scripts.replay import main as replay_main

    code = replay_main(context.args)
    if code:
        raise typer.Exit(code)


@app.command()
def deploy(
    dry_run: Annotated[bool, typer.Option(help="Print the plan, run nothing")] = False,
) -> None:
    """Deploy to production (docs/production.md): the database, the functions, the
    schedules, the Helius webhook. Stops at the first failure and says what was done."""
    from scripts.deploy import deploy as run_deploy

    # Plain lines, never wrapped: a plan is read and copied as it is.
    code = run_deploy(dry_run, typer.echo)
    if code:
        raise typer.Exit(code)


def main(argv: Sequence[str] | None = None) -> None:
    try:
        code = app(args=list(argv) if argv is not None else None, standalone_mode=False)
    except CliError as failed:
        err.print(f"walltrack: {failed}")
        sys.exit(1)
    except typer.Exit as done:
        sys.exit(done.exit_code)
    except typer.Abort:
        err.print("walltrack: aborted")
        sys.exit(1)
    except Exception as failed:  # click's usage errors have their own exit code
        code = getattr(failed, "exit_code", None)
        if code is not None and hasattr(failed, "show"):
            failed.show()
            sys.exit(code)
        err.print(f"walltrack: unexpected failure ({type(failed).__name__})")
        sys.exit(1)
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
