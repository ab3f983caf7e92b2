#!/usr/bin/env bash
# Linters: ruff and mypy on the Python, sqlfluff (postgres dialect) on the schema, the
# migrations and the seed.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== ruff"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
echo "== mypy"
.venv/bin/mypy
echo "== sqlfluff"
.venv/bin/sqlfluff lint --processes 2 supabase/schemas supabase/migrations supabase/seed.sql
