#!/usr/bin/env bash
# Every test and lint, against a fresh local stack of its own (other ports and folder than
# the demo's, so `make test` never touches the demo's data). Stops the stack on exit.
set -euo pipefail
cd "$(dirname "$0")/.."

export STACK_DIR=.local/test PG_PORT=55322 GATEWAY_PORT=55321 PGRST_PORT=55329
export FUNCTIONS_PORT_BASE=55340 ENV_FILE=.local/test/env STACK_FAST=1 STACK_SCHEDULER=0 STACK_SIMULATOR=0
export PGHOST=127.0.0.1 PGPORT=$PG_PORT PGUSER=postgres PGDATABASE=postgres

scripts/stack.sh reset
trap 'scripts/stack.sh down' EXIT
scripts/stack.sh up
PGPASSWORD=$(cat "$STACK_DIR/db_password") # TCP logins want it (psql, pg_prove)
export PGPASSWORD

echo "== schema check (throwaway clusters of its own, not this stack)"
make --no-print-directory check-schema

echo "== pgTAP (tests/sql)"
psql -q -v ON_ERROR_STOP=1 -f tests/sql/setup.sql
pg_prove --failures tests/sql/*.test.sql

echo "== pytest (tests/py)"
psql -q -v ON_ERROR_STOP=1 -f tests/sql/breaker_off.sql
.venv/bin/pytest -q tests/py

scripts/lint.sh
