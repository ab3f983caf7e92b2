# WallTrack — local developer commands. `make` alone lists them.
# The stack's ports and paths come from env vars: see scripts/stack.sh.
.DEFAULT_GOAL := help
.PHONY: help setup up down status demo test check-schema migration lint bench replay clean

help: ## list the targets
	@awk -F':.*## ' '/^[a-z-]+:.*## / { printf "  make %-13s %s\n", $$1, $$2 }' $(MAKEFILE_LIST)

setup: ## install apt packages, .venv and node_modules when missing or stale
	scripts/setup.sh

up: setup ## start (or refresh) the local stack: Postgres, migrations, PostgREST, functions, gateway
	scripts/stack.sh up

down: ## stop the local stack (data is kept)
	scripts/stack.sh down

status: ## show what runs and where
	scripts/stack.sh status

demo: setup ## the offline demo: a fresh local stack, the market simulator, a scenario played end to end
	.venv/bin/python -m scripts.demo

test: setup ## run the test suite (scripts/test.sh)
	scripts/test.sh

check-schema: setup ## prove supabase/migrations and supabase/schemas build the same database
	.venv/bin/python -m scripts.check_schema

# NAME comes from the command line (make exports it): the script checks it, not the shell.
migration: ## start a migration, e.g. make migration NAME=add_wallet_label
	@.venv/bin/python -m scripts.new_migration "$$NAME"

lint: ## run the linters (scripts/lint.sh)
	scripts/lint.sh

bench: ## run the benchmarks
	.venv/bin/python -m bench

replay: setup ## what-if replay, e.g. make replay ARGS='run log.json --exit-strategy scalper'
	.venv/bin/python -m scripts.replay $(or $(ARGS),--help)

clean: down ## stop every stack under .local, then delete .local (all local data)
	@for m in .local/*/.walltrack-stack; do \
	  [ -e "$$m" ] || continue; STACK_DIR="$${m%/.walltrack-stack}" scripts/stack.sh down || exit 1; \
	done
	rm -rf .local
