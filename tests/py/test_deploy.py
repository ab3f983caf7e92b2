"""`walltrack deploy` (issue 18): its plan matches the registries (py_functions/functions.tsv,
schedules.tsv, environment.tsv), shows variables by name only, the production schedules
SQL runs on the local database (with local/shim.sql's stand-ins for pg_net and Vault), and a
real run stops at the first step it cannot do, saying what was done."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from scripts import deploy
from scripts.stack_env import REPO_ROOT, StackEnv

WALLTRACK = str(REPO_ROOT / ".venv" / "bin" / "walltrack")
Db = psycopg.Connection[tuple[Any, ...]]
SECRETS = {  # values a plan must never show
    "SUPABASE_SERVICE_ROLE_KEY": "service-key-VALUE",
    "FUNCTIONS_SECRET": "functions-secret-VALUE",
    "HELIUS_WEBHOOK_SECRET": "webhook-secret-VALUE",
    "HELIUS_API_KEY": "helius-key-VALUE",
    "WALLTRACK_KEYPAIR": "keypair-VALUE",
    "JUPITER_API_KEY": "jupiter-key-VALUE",
    "TELEGRAM_BOT_TOKEN": "telegram-token-VALUE",
}


def walltrack_deploy(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [WALLTRACK, "deploy", *args],
        env={"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/root")} | env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=REPO_ROOT,
    )


def deploy_lines(plan: str) -> dict[str, str]:
    """function name -> its gcloud command."""
    found = re.findall(r"(?m)^ +(gcloud functions deploy (\S+) .*)$", plan)
    names = [name for _, name in found]
    assert len(names) == len(set(names)), "each function deployed once"
    return {name: command for command, name in found}


def flag(command: str, name: str) -> dict[str, str]:
    value = re.search(rf"--{name}=(\S*)", command)
    assert value is not None, name
    return dict(pair.split("=", 1) for pair in value.group(1).split(",") if pair)


def test_the_plan_deploys_every_function_of_the_registry_with_its_entry_point() -> None:
    done = walltrack_deploy("--dry-run", env=SECRETS | {"TELEGRAM_CHAT_ID": "-100"})
    assert done.returncode == 0, done.stderr
    plan = done.stdout
    commands = deploy_lines(plan)
    registry = dict(
        line.split("\t")[:2]
        for line in (REPO_ROOT / "py_functions" / "functions.tsv").read_text().splitlines()
        if line and not line.startswith("#")
    )
    assert set(commands) == set(registry)
    for name, target in registry.items():
        command = commands[name]
        assert f"--entry-point={target} " in command
        for part in ("--gen2", "--runtime=python311", "--source=py_functions", "--trigger-http"):
            assert part in command
        assert "--region=$GCP_REGION" in command and "--project=$GCP_PROJECT" in command
        secrets, plain = flag(command, "set-secrets"), flag(command, "set-env-vars")
        assert secrets["SUPABASE_SERVICE_ROLE_KEY"] == "walltrack-supabase-service-role-key:latest"
        assert plain["SUPABASE_URL"] == "$SUPABASE_URL"
        assert not set(secrets) & set(plain), "a secret is never a plain variable"
        assert ("WALLTRACK_KEYPAIR" in secrets) == (
            name
            in {
                "helius-webhook",
                "token-lookup",
                "price-refresh",
                "execute-orders",
                "confirm-orders",
                "reconcile-wallet",
            }
        ), f"only what signs holds the trading key ({name})"
    assert flag(commands["helius-sync"], "set-env-vars")["HELIUS_WEBHOOK_URL"] == (
        "$FUNCTIONS_BASE_URL/helius-webhook"
    )
    notify = commands["notify"]
    assert (
        flag(notify, "set-secrets")["TELEGRAM_BOT_TOKEN"] == "walltrack-telegram-bot-token:latest"
    )
    assert flag(notify, "set-env-vars")["TELEGRAM_CHAT_ID"] == "$TELEGRAM_CHAT_ID"
    # Discord is optional and not set here: not passed.
    assert "DISCORD_WEBHOOK_URL" not in notify
    steps = re.findall(r"(?m)^\d+\. (.*)$", plan)
    assert steps[0] == "apply supabase/migrations/ to the hosted database"
    assert "supabase db push --db-url $SUPABASE_DB_URL --yes" in plan
    assert steps[-2].startswith("schedule the functions with pg_cron")
    assert steps[-1] == "create the Helius webhook (helius-sync)"
    for value in SECRETS.values():
        assert value not in plan


def test_every_schedule_of_the_registry_is_one_pg_cron_job() -> None:
    text = deploy.schedules_sql("https://region-project.cloudfunctions.net")
    jobs = re.findall(r"select cron\.schedule\('walltrack-fn-([\w-]+)', '([^']+)'", text)
    expected = {"5 seconds", "10 seconds", "15 seconds", "* * * * *", "*/5 * * * *"}
    assert {schedule for _, schedule in jobs} <= expected | {"*/10 * * * *"}
    assert dict(jobs) == {
        name: deploy.cron_schedule(seconds) for name, seconds in deploy.schedules()
    }
    assert deploy.cron_schedule(60) == "* * * * *" and deploy.cron_schedule(300) == "*/5 * * * *"
    assert re.findall(r":'(\w+)'", text) == ["functions_secret", "functions_secret"]


def test_the_variables_registry_covers_what_the_functions_require() -> None:
    source = "\n".join(p.read_text() for p in (REPO_ROOT / "py_functions").rglob("*.py"))
    required = set(re.findall(r"required\(\s*[\"']([A-Z_]+)[\"']", source))
    listed = {variable.name for variable in deploy.variables()}
    assert required <= listed
    read = set(re.findall(r"[\"']([A-Z][A-Z0-9_]+)[\"']", source))
    assert listed <= read, "every variable the registry passes is one a function reads"
    functions = {function.name for function in deploy.functions()}
    for variable in deploy.variables():
        assert variable.functions == ("*",) or set(variable.functions) <= functions


def test_the_production_schedules_run_on_the_local_database(db: Db, stack: StackEnv) -> None:
    """Applied in a transaction rolled back: the jobs, then one job's command, which posts
    to the function with the secret read from Vault (the shim's stand-ins record it). Hosted
    Supabase's pg_cron (1.6) takes "N seconds"; Debian's 1.4 here does not, so those
    schedules run every minute here (their text is checked above)."""
    base = "https://europe-west1-walltrack.cloudfunctions.net"
    text = deploy.schedules_sql(base)
    version = db.execute("select extversion from pg_extension where extname = 'pg_cron'")
    if str((version.fetchone() or ("",))[0]) < "1.5":
        text = re.sub(r"'\d+ seconds'", "'* * * * *'", text)
    secret = sql.Literal("s3cret-from-vault").as_string(db)
    db.autocommit = False
    try:
        db.execute(text.replace(":'functions_secret'", secret))
        jobs = db.execute(
            "select jobname, schedule, command from cron.job"
            " where jobname like 'walltrack-fn-%' order by jobname"
        ).fetchall()
        assert [name for name, _, _ in jobs] == sorted(
            f"walltrack-fn-{name}" for name, _ in deploy.schedules()
        )
        assert "s3cret" not in " ".join(command for _, _, command in jobs)
        # Marked production: its clock can no longer be set.
        assert db.execute("select production from walltrack.config").fetchone() == (True,)
        notify = next(command for name, _, command in jobs if name == "walltrack-fn-notify")
        db.execute(notify)
        request = db.execute(
            "select url, headers from net.local_requests order by id desc limit 1"
        ).fetchone()
        assert request == (
            f"{base}/notify",
            {"Content-Type": "application/json", "Authorization": "Bearer s3cret-from-vault"},
        )
        # Applied again (a redeploy): the same jobs, the secret replaced, not duplicated.
        db.execute(text.replace(":'functions_secret'", sql.Literal("rotated").as_string(db)))
        assert db.execute(
            "select count(*) from cron.job where jobname like 'walltrack-fn-%'"
        ).fetchone() == (len(deploy.schedules()),)
        assert db.execute(
            "select array_agg(decrypted_secret) from vault.decrypted_secrets"
            " where name = 'walltrack_functions_secret'"
        ).fetchone() == (["rotated"],)
    finally:
        db.rollback()
        db.autocommit = True


def test_a_real_run_stops_at_the_first_step_it_cannot_do_and_says_what_was_done(
    stack: StackEnv, tmp_path: Path
) -> None:
    nothing = walltrack_deploy(env=SECRETS)
    assert nothing.returncode == 1
    assert "step 1 of" in nothing.stdout and "$SUPABASE_DB_URL not set" in nothing.stdout
    assert "done: nothing" in nothing.stdout
    # With the local database as the target, the push runs for real (it has every
    # migration already); no gcloud on this machine stops the next step.
    # A PATH with node (the Supabase CLI's launcher runs on it) and no gcloud.
    node = shutil.which("node")
    assert node is not None
    (tmp_path / "node").symlink_to(node)
    path = str(tmp_path)
    # The local server has no TLS (a hosted one requires it).
    local_url = stack.database_url + ("&" if "?" in stack.database_url else "?") + "sslmode=disable"
    pushed = walltrack_deploy(
        env=SECRETS | {"SUPABASE_DB_URL": local_url, "GCP_PROJECT": "walltrack", "PATH": path}
    )
    assert pushed.returncode == 1, pushed.stdout
    assert "1. done: apply supabase/migrations/ to the hosted database" in pushed.stdout
    assert "step 2 of" in pushed.stdout and "gcloud not found" in pushed.stdout
    assert "done: steps 1 to 1" in pushed.stdout
    for value in [*SECRETS.values(), local_url]:
        assert value not in pushed.stdout + pushed.stderr
