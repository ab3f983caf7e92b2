"""`walltrack deploy`: WallTrack in production, planned from the project's own registries.

The plan (docs/production.md says why each step):

1. `supabase db push` of supabase/migrations/ to the hosted database ($SUPABASE_DB_URL);
2. each secret of py_functions/environment.tsv pushed to Google Secret Manager
   (walltrack-<variable>, created when missing) from the deployer's environment;
3. one `gcloud functions deploy --gen2` per function of py_functions/functions.tsv, its entry
   point, its plain variables and its secrets (environment.tsv);
4. the schedules of py_functions/schedules.tsv as pg_cron jobs calling the functions' URLs
   with `net.http_post`, the shared secret read from Supabase Vault (the SQL is written to
   .local/deploy/schedules.sql and applied with psql);
5. `helius-sync` called once: it creates the Helius webhook.

`--dry-run` prints the plan: variables appear by name ($SUPABASE_DB_URL), never by value.
Without it, each step runs when its tool and variables are there; the first failure stops
the deploy, which then says what was done and what was not.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from scripts.stack_env import REPO_ROOT

FUNCTIONS = REPO_ROOT / "py_functions"
RUNTIME = "python311"
SCHEDULES_SQL = REPO_ROOT / ".local" / "deploy" / "schedules.sql"
JOB_PREFIX = "walltrack-fn-"
VARIABLE = re.compile(r"\$([A-Z][A-Z0-9_]*)")
# The Supabase CLI's update check and telemetry stay off.
QUIET_TOOLS = {"SUPABASE_NO_UPDATE_NOTIFIER": "1", "SUPABASE_TELEMETRY_DISABLED": "1"}


class DeployError(Exception):
    """A step that cannot run or failed: the deploy stops there."""


@dataclass(frozen=True)
class Function:
    name: str
    target: str


@dataclass(frozen=True)
class Variable:
    name: str
    secret: bool
    optional: bool
    functions: tuple[str, ...]  # ("*",) = every function
    value: str | None = None  # a template ($FUNCTIONS_BASE_URL/...), else $NAME itself

    def serves(self, function: str) -> bool:
        return self.functions == ("*",) or function in self.functions

    @property
    def secret_name(self) -> str:
        return "walltrack-" + self.name.removeprefix("WALLTRACK_").lower().replace("_", "-")


def rows(path: Path) -> list[list[str]]:
    lines = path.read_text().splitlines()
    return [line.split("\t") for line in lines if line.strip() and not line.startswith("#")]


def functions() -> list[Function]:
    return [Function(name, target) for name, target, _port in rows(FUNCTIONS / "functions.tsv")]


def schedules() -> list[tuple[str, int]]:
    return [(name, int(seconds)) for name, seconds in rows(FUNCTIONS / "schedules.tsv")]


def variables() -> list[Variable]:
    found = []
    for name, kind, served, *value in rows(FUNCTIONS / "environment.tsv"):
        found.append(
            Variable(
                name,
                secret=kind.startswith("secret"),
                optional=kind.endswith("?"),
                functions=tuple(served.split(",")),
                value=value[0] if value else None,
            )
        )
    return found


def cron_schedule(seconds: int) -> str:
    """pg_cron's schedule for "every `seconds`": its seconds syntax under a minute, else
    whole minutes (schedules.tsv's 60, 300 and 600)."""
    if seconds < 60:
        return f"{seconds} seconds"
    minutes, rest = divmod(seconds, 60)
    if rest or 60 % minutes:
        raise DeployError(f"schedules.tsv: every {seconds} s is not a pg_cron schedule")
    return "* * * * *" if minutes == 1 else f"*/{minutes} * * * *"


# A job's command: the function's URL replaces <URL>; the secret is read from Vault when the
# job runs, so it never sits in cron.job.
JOB_COMMAND = (
    "select net.http_post(url := '<URL>', body := '{}'::jsonb, headers := jsonb_build_object("
    "'Content-Type', 'application/json', 'Authorization', 'Bearer ' || (select s.decrypted_secret"
    " from vault.decrypted_secrets as s where s.name = 'walltrack_functions_secret')),"
    " timeout_milliseconds := 30000)"
)
VAULT_AND_OLD_JOBS = """\
-- Written by `walltrack deploy` from py_functions/schedules.tsv: apply with
-- psql -v functions_secret=... (the secret never appears in this file).
select vault.create_secret(:'functions_secret', 'walltrack_functions_secret')
where not exists (select from vault.secrets where name = 'walltrack_functions_secret');
select vault.update_secret(s.id, :'functions_secret')
from vault.secrets as s where s.name = 'walltrack_functions_secret';
select cron.unschedule(j.jobid) from cron.job as j where j.jobname like 'walltrack-fn-%';
-- A production database: nothing can set its clock again (config.production stays on).
update walltrack.config set production = true where not production;
"""


def schedules_sql(functions_base_url: str) -> str:
    """The production schedules: the shared secret into Vault (psql variable
    :functions_secret, never written here), then one pg_cron job per schedules.tsv row that
    posts to the function with that secret, read from Vault when the job runs."""
    base = functions_base_url.rstrip("/")
    jobs = []
    for name, seconds in schedules():
        command = JOB_COMMAND.replace("<URL>", f"{base}/{name}").replace("'", "''")
        jobs.append(
            f"select cron.schedule('{JOB_PREFIX}{name}', '{cron_schedule(seconds)}', '{command}');"
        )
    return VAULT_AND_OLD_JOBS + "\n".join(jobs) + "\n"


@dataclass
class Step:
    what: str
    command: list[str]  # $VARIABLES are filled in when it runs, shown by name in the plan
    tools: tuple[str, ...] = ()
    run: Callable[[Mapping[str, str]], None] | None = None  # instead of the command
    stdin_variable: str | None = None  # its value goes to the command's standard input
    needs: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.needs |= {m for part in self.command for m in VARIABLE.findall(part)}
        if self.stdin_variable:
            self.needs.add(self.stdin_variable)

    def shown(self) -> str:
        text = " ".join(quote(part) for part in self.command)
        return text + (f" < ${self.stdin_variable}" if self.stdin_variable else "")


def quote(part: str) -> str:
    return f'"{part}"' if re.search(r"[\s']", part) else part


def fill(part: str, env: Mapping[str, str]) -> str:
    return VARIABLE.sub(lambda m: env[m.group(1)], part)


def supabase_cli() -> str:
    local = REPO_ROOT / "node_modules" / ".bin" / "supabase"
    return str(local) if local.exists() else "supabase"


def plan(env: Mapping[str, str]) -> list[Step]:
    """Every step, in order; optional variables count when set in `env`."""
    steps = [
        Step(
            "apply supabase/migrations/ to the hosted database",
            ["supabase", "db", "push", "--db-url", "$SUPABASE_DB_URL", "--yes"],
            tools=("supabase",),
        )
    ]
    used = [v for v in variables() if not v.optional or v.name in env]
    for variable in (v for v in used if v.secret):
        steps.append(
            Step(
                f"push {variable.name} to Secret Manager (created when missing)",
                [
                    "gcloud",
                    "secrets",
                    "versions",
                    "add",
                    variable.secret_name,
                    "--project=$GCP_PROJECT",
                    "--data-file=-",
                ],
                tools=("gcloud",),
                stdin_variable=variable.name,
            )
        )
    for function in functions():
        mine = [v for v in used if v.serves(function.name)]
        plain = ",".join(f"{v.name}={v.value or '$' + v.name}" for v in mine if not v.secret)
        secrets = ",".join(f"{v.name}={v.secret_name}:latest" for v in mine if v.secret)
        steps.append(
            Step(
                f"deploy {function.name}",
                [
                    "gcloud",
                    "functions",
                    "deploy",
                    function.name,
                    "--gen2",
                    f"--runtime={RUNTIME}",
                    "--project=$GCP_PROJECT",
                    "--region=$GCP_REGION",
                    f"--source={FUNCTIONS.relative_to(REPO_ROOT)}",
                    f"--entry-point={function.target}",
                    "--trigger-http",
                    "--allow-unauthenticated",
                    f"--set-env-vars={plain}",
                    f"--set-secrets={secrets}",
                ],
                tools=("gcloud",),
            )
        )
    steps.append(
        Step(
            "schedule the functions with pg_cron + pg_net (the secret from Vault)",
            [
                "psql",
                "$SUPABASE_DB_URL",
                "-v",
                "ON_ERROR_STOP=1",
                "-v",
                "functions_secret=$FUNCTIONS_SECRET",
                "-f",
                str(SCHEDULES_SQL.relative_to(REPO_ROOT)),
            ],
            tools=("psql",),
            needs={"FUNCTIONS_BASE_URL"},
        )
    )
    steps.append(
        Step(
            "create the Helius webhook (helius-sync)",
            [
                "curl",
                "-X",
                "POST",
                "-H",
                "Authorization: Bearer $FUNCTIONS_SECRET",
                "$FUNCTIONS_BASE_URL/helius-sync",
            ],
            run=call_helius_sync,
        )
    )
    return steps


def call_helius_sync(env: Mapping[str, str]) -> None:
    url = f"{env['FUNCTIONS_BASE_URL'].rstrip('/')}/helius-sync"
    try:
        response = httpx.post(
            url, json={}, headers={"Authorization": f"Bearer {env['FUNCTIONS_SECRET']}"}, timeout=60
        )
    except httpx.HTTPError as failed:
        raise DeployError(f"helius-sync unreachable ({type(failed).__name__})") from None
    if response.status_code != 200:
        raise DeployError(f"helius-sync answered {response.status_code}")


def run_step(step: Step, env: Mapping[str, str]) -> None:
    missing = sorted(n for n in step.needs if not env.get(n))
    if missing:
        raise DeployError(f"{', '.join('$' + n for n in missing)} not set")
    for tool in step.tools:
        if tool != "supabase" and shutil.which(tool) is None:
            raise DeployError(f"{tool} not found: install it (docs/production.md)")
    if step.run is not None:
        step.run(env)
        return
    if step.command[0] == "psql":
        SCHEDULES_SQL.parent.mkdir(parents=True, exist_ok=True)
        SCHEDULES_SQL.write_text(schedules_sql(env["FUNCTIONS_BASE_URL"]))
    command = [fill(part, env) for part in step.command]
    if command[0] == "supabase":
        command[0] = supabase_cli()
    if command[:3] == ["gcloud", "secrets", "versions"]:
        ensure_secret(command)
    try:
        done = subprocess.run(  # noqa: S603 (the plan's own commands)
            command,
            input=env[step.stdin_variable] if step.stdin_variable else None,
            capture_output=True,
            text=True,
            check=False,
            cwd=REPO_ROOT,  # the Supabase CLI reads supabase/ from here
            env=dict(env) | QUIET_TOOLS,
        )
    except FileNotFoundError:
        raise DeployError(f"{command[0]} not found: install it (docs/production.md)") from None
    if done.returncode != 0:
        # The tool's own last line says why; the command (it may hold a URL) is not shown.
        reason = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
        raise DeployError(f"exit status {done.returncode}: {reason[0][:300]}")


def ensure_secret(command: list[str]) -> None:
    """`versions add` needs the secret to exist: create it first when it does not."""
    name, project = command[4], command[5]
    described = subprocess.run(  # noqa: S603
        ["gcloud", "secrets", "describe", name, project],  # noqa: S607 (from the PATH)
        capture_output=True,
        check=False,
    )
    if described.returncode == 0:
        return
    created = subprocess.run(  # noqa: S603
        ["gcloud", "secrets", "create", name, project, "--replication-policy=automatic"],  # noqa: S607
        capture_output=True,
        text=True,
        check=False,
    )
    if created.returncode != 0:
        reason = created.stderr.strip().splitlines()[-1:] or ["no output"]
        raise DeployError(f"gcloud secrets create {name}: {reason[0][:300]}")


def deploy(dry_run: bool, say: Callable[[str], None], env: Mapping[str, str] | None = None) -> int:
    """Prints the plan, or runs it; returns the exit status."""
    env = dict(os.environ if env is None else env)
    steps = plan(env)
    if dry_run:
        for number, step in enumerate(steps, 1):
            say(f"{number}. {step.what}\n   {step.shown()}")
        say(f"\n-- {SCHEDULES_SQL.relative_to(REPO_ROOT)}, written when it runs:")
        say(schedules_sql(env.get("FUNCTIONS_BASE_URL", "$FUNCTIONS_BASE_URL")))
        return 0
    for number, step in enumerate(steps, 1):
        try:
            run_step(step, env)
        except DeployError as failed:
            say(f"step {number} of {len(steps)} failed: {step.what}: {failed}")
            say(f"done: steps 1 to {number - 1}" if number > 1 else "done: nothing")
            return 1
        say(f"{number}. done: {step.what}")
    return 0
