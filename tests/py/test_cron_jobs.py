"""pg_cron really runs the every-minute jobs in the local stack (they fire on the minute,
so this waits for the next one)."""

from __future__ import annotations

import time
from typing import Any

import psycopg

Db = psycopg.Connection[tuple[Any, ...]]


def test_every_minute_jobs_run_and_succeed(db: Db) -> None:
    jobs = ("walltrack-breaker-check", "walltrack-release-leases")
    succeeded: set[str] = set()
    deadline = time.monotonic() + 75
    while time.monotonic() < deadline and len(succeeded) < len(jobs):
        rows = db.execute(
            """
            select j.jobname, d.status, d.return_message
            from cron.job_run_details as d join cron.job as j on j.jobid = d.jobid
            where j.jobname = any(%s)
            """,
            (list(jobs),),
        ).fetchall()
        failed = [row for row in rows if row[1] == "failed"]
        assert failed == [], failed
        succeeded = {str(row[0]) for row in rows if row[1] == "succeeded"}
        time.sleep(1)
    assert succeeded == set(jobs)
