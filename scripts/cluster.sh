#!/usr/bin/env bash
# Three replicas of the shop behind nginx, on Postgres and Redis, on loopback.
#
#   scripts/cluster.sh up      # start everything (installs what is missing)
#   scripts/cluster.sh test    # up, the checks of tests/py/cluster_checks.py, down
#   scripts/cluster.sh down    # stop everything `up` started, remove its files
#   scripts/cluster.sh status  # what runs, with its pid
#
# Used by the checks while they run:
#   scripts/cluster.sh kill-replica N [HANG_SECS] | start-replica N | restart-redis
#
# Everything lives in one directory, $MCP_CLUSTER_DIR (default
# ${TMPDIR:-/tmp}/mcp-cluster): Postgres's data directory (run as the
# `postgres` user), Redis, the replicas' logs, nginx's prefix and config,
# the pid files, and `cluster.env` (ports, URLs and keys, K=V lines) for the
# checks. Every port is a free loopback port picked at `up`. `down` stops
# each process by the pid it recorded and removes the directory.
#
# Debian packages installed when missing (apt-get, as root): postgresql and
# redis-server (by scripts/postgres.sh and scripts/redis.sh), nginx. The shop is the dev-profile binary the tests build
# (`cargo build -p shop --bin shop --features otel`: the same
# target/debug/shop, so CI builds it once), unless SHOP_BIN names one.
#
# Settings (environment): MCP_CLUSTER_REPLICAS (3), MCP_CLUSTER_RATE
# (per-tenant limit, 300/min), MCP_CLUSTER_LOAD_SECS (the fault test's
# load, 60).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DIR="${MCP_CLUSTER_DIR:-${TMPDIR:-/tmp}/mcp-cluster}"
REPLICAS="${MCP_CLUSTER_REPLICAS:-3}"
RATE="${MCP_CLUSTER_RATE:-300/min}"
# The keys of the shop's test fixtures (examples/shop/tests/python_client.rs):
# the hub's (any tenant) and one bound to acme.
HUB_SECRET="hub-7c1e94a05bd2f36e81a9c04d2b5f"
ACME_SECRET="acme-3f8b0d6a92e1c47b5d0e8a13f6c"

say() { printf 'cluster: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

# ------------------------------------------------------------------ helpers

install_missing() {
    # The test services' own installers (as root, apt-get when missing).
    bash "$ROOT/scripts/redis.sh" >/dev/null
    PG_BINDIR=$(bash "$ROOT/scripts/postgres.sh" | tail -1)
    if ! command -v nginx >/dev/null || ! command -v psql >/dev/null; then
        [[ $(id -u) == 0 ]] || die "nginx or psql missing; install them (apt-get needs root)"
        say "installing nginx and the Postgres client"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends nginx postgresql-client >/dev/null
        # The package starts a system nginx; this cluster runs its own.
        if command -v systemctl >/dev/null; then systemctl stop nginx 2>/dev/null || true; fi
    fi
}

# N free loopback ports, all distinct.
free_ports() {
    python3 - "$1" <<'EOF'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
EOF
}

# Wait until `curl URL` answers 200, at most $2 seconds.
wait_http() {
    local url=$1 secs=$2 i
    for ((i = 0; i < secs * 10; i++)); do
        curl -fsS -o /dev/null --max-time 1 "$url" 2>/dev/null && return 0
        sleep 0.1
    done
    return 1
}

alive() { [[ -f $1 ]] && kill -0 "$(cat "$1")" 2>/dev/null; }

# Stop the process of pid file $1 (TERM, then KILL after 10 s).
stop_pid() {
    local file=$1 pid i
    [[ -f $file ]] || return 0
    pid=$(cat "$file")
    if kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid" 2>/dev/null || true
        for ((i = 0; i < 100; i++)); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$file"
}

load_env() {
    [[ -f $DIR/cluster.env ]] || die "not up ($DIR/cluster.env missing); run: scripts/cluster.sh up"
    # shellcheck disable=SC1091
    set -a; source "$DIR/cluster.env"; set +a
}

# ------------------------------------------------------------------ parts

start_postgres() {
    local initdb=$PG_BINDIR/initdb pg_ctl=$PG_BINDIR/pg_ctl
    install -d -o postgres -g postgres -m 700 "$DIR/pg" "$DIR/pg-socket"
    runuser -u postgres -- "$initdb" -D "$DIR/pg/data" -U postgres --auth=trust \
        --encoding=UTF8 --locale=C.UTF-8 >"$DIR/pg/initdb.log" 2>&1 \
        || { cat "$DIR/pg/initdb.log" >&2; die "initdb failed"; }
    runuser -u postgres -- "$pg_ctl" -D "$DIR/pg/data" -l "$DIR/pg/server.log" -w -t 30 \
        -o "-p $PG_PORT -c listen_addresses=127.0.0.1 -k $DIR/pg-socket -c fsync=off -c max_connections=200" \
        start >/dev/null || { cat "$DIR/pg/server.log" >&2; die "Postgres did not start"; }
    psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -qAt -c "CREATE DATABASE shop" >/dev/null
    say "postgres on 127.0.0.1:$PG_PORT ($DIR/pg/data)"
}

stop_postgres() {
    [[ -f $DIR/pg/data/postmaster.pid ]] || return 0
    local pg_ctl
    pg_ctl=$(ls -d /usr/lib/postgresql/*/bin/pg_ctl 2>/dev/null | sort -V | tail -1)
    [[ -n $pg_ctl ]] || return 0
    runuser -u postgres -- "$pg_ctl" -D "$DIR/pg/data" -m fast -w -t 30 stop >/dev/null 2>&1 || true
}

start_redis() {
    redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save "" --appendonly no \
        --daemonize yes --pidfile "$DIR/redis.pid" --logfile "$DIR/redis.log" --dir "$DIR" \
        || die "redis-server did not start"
    local i
    for ((i = 0; i < 100; i++)); do
        alive "$DIR/redis.pid" && redis-cli -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG && return 0
        sleep 0.1
    done
    die "Redis did not answer on 127.0.0.1:$REDIS_PORT"
}

# Replica N (1-based) on its port, in the background, pid in shop-N.pid.
start_replica() {
    local n=$1 port metrics
    port=$(echo "$SHOP_PORTS" | cut -d' ' -f"$n")
    metrics=$(echo "$METRICS_PORTS" | cut -d' ' -f"$n")
    [[ -n $port ]] || die "no replica $n (replicas: $REPLICAS)"
    alive "$DIR/shop-$n.pid" && die "replica $n runs already (pid $(cat "$DIR/shop-$n.pid"))"
    # In the cluster's directory: nothing is written beside the caller.
    cd "$DIR"
    env -u MCP_API_KEYS_FILE -u MCP_OAUTH_ISSUER -u MCP_OAUTH_AUDIENCE -u RUST_LOG \
        MCP_ADDR="127.0.0.1:$port" \
        MCP_API_KEYS="hub:$HUB_SECRET,acme-only:$ACME_SECRET:acme" \
        MCP_STATE_URL="$REDIS_URL" \
        MCP_RATE_LIMIT_PER_TENANT="$RATE" \
        MCP_METRICS_ADDR="127.0.0.1:$metrics" \
        MCP_LOG=warn \
        SHOP_DATABASE_URL="$DATABASE_URL" \
        setsid "$SHOP_BIN" </dev/null >>"$DIR/shop-$n.log" 2>&1 &
    echo $! >"$DIR/shop-$n.pid"
    # Not this shell's job: its SIGKILL is the test's doing, not news.
    disown
    wait_http "http://127.0.0.1:$port/healthz" 60 \
        || { tail -20 "$DIR/shop-$n.log" >&2; die "replica $n did not answer /healthz"; }
    say "replica $n on 127.0.0.1:$port (pid $(cat "$DIR/shop-$n.pid"), metrics :$metrics)"
}

start_nginx() {
    local n port
    mkdir -p "$DIR/nginx/tmp" "$DIR/nginx/logs"
    {
        echo "worker_processes 1;"
        echo "pid $DIR/nginx/nginx.pid;"
        echo "error_log $DIR/nginx/logs/error.log warn;"
        echo "events { worker_connections 1024; }"
        echo "http {"
        echo "    access_log $DIR/nginx/logs/access.log;"
        for t in client_body proxy fastcgi uwsgi scgi; do
            echo "    ${t}_temp_path $DIR/nginx/tmp/$t;"
        done
        echo "    upstream mcp_replicas {"
        for ((n = 1; n <= REPLICAS; n++)); do
            port=$(echo "$SHOP_PORTS" | cut -d' ' -f"$n")
            echo "        server 127.0.0.1:$port max_fails=1 fail_timeout=5s;"
        done
        echo "        keepalive 32;"
        echo "        keepalive_timeout 60s;"
        echo "    }"
        echo "    server {"
        echo "        listen 127.0.0.1:$NGINX_PORT;"
        echo "        server_name localhost 127.0.0.1;"
        echo "        include $ROOT/deploy/nginx/mcp-locations.inc;"
        echo "    }"
        echo "}"
    } >"$DIR/nginx/nginx.conf"
    # The temp directories are written by the worker (user nobody).
    chmod 755 "$DIR" "$DIR/nginx"
    chown nobody "$DIR/nginx/tmp" 2>/dev/null || true
    nginx -t -q -p "$DIR/nginx" -e "$DIR/nginx/logs/error.log" -c "$DIR/nginx/nginx.conf" \
        || die "nginx refused its config ($DIR/nginx/nginx.conf)"
    nginx -p "$DIR/nginx" -e "$DIR/nginx/logs/error.log" -c "$DIR/nginx/nginx.conf"
    wait_http "http://127.0.0.1:$NGINX_PORT/healthz" 10 || die "nginx did not answer"
    say "nginx on 127.0.0.1:$NGINX_PORT (pid $(cat "$DIR/nginx/nginx.pid")) -> ${SHOP_PORTS}"
}

build_shop() {
    if [[ -n ${SHOP_BIN:-} ]]; then
        [[ -x $SHOP_BIN ]] || die "SHOP_BIN=$SHOP_BIN is not an executable"
        return
    fi
    say "building the shop (cargo build -p shop --bin shop --features otel)"
    (cd "$ROOT" && cargo build -q -p shop --bin shop --features otel)
    SHOP_BIN="${CARGO_TARGET_DIR:-$ROOT/target}/debug/shop"
}

# ------------------------------------------------------------------ commands

up() {
    if [[ -f $DIR/cluster.env ]]; then
        die "$DIR holds a cluster already; run: scripts/cluster.sh down"
    fi
    install_missing
    build_shop
    "$SHOP_BIN" --help | grep -q SHOP_DATABASE_URL \
        || die "$SHOP_BIN has no SHOP_DATABASE_URL (the shop on Postgres); rebuild it"
    rm -rf "$DIR"
    mkdir -p "$DIR"
    chmod 755 "$DIR"
    local ports
    read -r -a ports <<<"$(free_ports $((3 + 2 * REPLICAS)))"
    PG_PORT=${ports[0]}
    REDIS_PORT=${ports[1]}
    NGINX_PORT=${ports[2]}
    SHOP_PORTS="${ports[*]:3:REPLICAS}"
    METRICS_PORTS="${ports[*]:$((3 + REPLICAS)):REPLICAS}"
    DATABASE_URL="postgres://postgres@127.0.0.1:$PG_PORT/shop"
    REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0"
    cat >"$DIR/cluster.env" <<EOF
CLUSTER_DIR=$DIR
CLUSTER_SCRIPT=$ROOT/scripts/cluster.sh
REPLICAS=$REPLICAS
SHOP_BIN=$SHOP_BIN
PG_PORT=$PG_PORT
REDIS_PORT=$REDIS_PORT
NGINX_PORT=$NGINX_PORT
SHOP_PORTS="$SHOP_PORTS"
METRICS_PORTS="$METRICS_PORTS"
DATABASE_URL=$DATABASE_URL
REDIS_URL=$REDIS_URL
MCP_URL=http://127.0.0.1:$NGINX_PORT/mcp
RATE=$RATE
HUB_SECRET=$HUB_SECRET
ACME_SECRET=$ACME_SECRET
EOF
    start_postgres
    start_redis
    say "redis on 127.0.0.1:$REDIS_PORT (pid $(cat "$DIR/redis.pid"))"
    local n
    for ((n = 1; n <= REPLICAS; n++)); do start_replica "$n"; done
    start_nginx
    say "up: http://127.0.0.1:$NGINX_PORT/mcp (env: $DIR/cluster.env)"
}

down() {
    [[ -d $DIR ]] || { say "nothing to stop ($DIR absent)"; return 0; }
    stop_pid "$DIR/nginx/nginx.pid"
    local f
    for f in "$DIR"/shop-*.pid; do [[ -e $f ]] && stop_pid "$f"; done
    stop_pid "$DIR/redis.pid"
    stop_postgres
    rm -rf "$DIR"
    say "down ($DIR removed)"
}

status() {
    load_env
    local f
    for f in "$DIR"/nginx/nginx.pid "$DIR"/shop-*.pid "$DIR"/redis.pid "$DIR"/pg/data/postmaster.pid; do
        [[ -e $f ]] || continue
        local pid
        pid=$(head -1 "$f")
        if kill -0 "$pid" 2>/dev/null; then echo "$(basename "$f" .pid) $pid running"; else echo "$(basename "$f" .pid) $pid gone"; fi
    done
}

run_test() {
    local started=$SECONDS rc=0
    trap 'down' EXIT
    up
    load_env
    local py
    py=$(bash "$ROOT/scripts/py-venv.sh" | tail -1)
    "$py" "$ROOT/tests/py/cluster_checks.py" --env "$DIR/cluster.env" \
        --load-seconds "${MCP_CLUSTER_LOAD_SECS:-60}" || rc=$?
    if ((rc != 0)); then
        say "FAILED (exit $rc); the replicas' last log lines:"
        for f in "$DIR"/shop-*.log; do echo "--- $f" >&2; tail -15 "$f" >&2; done
        echo "--- nginx error.log" >&2; tail -15 "$DIR/nginx/logs/error.log" >&2 || true
    fi
    trap - EXIT
    down
    say "test took $((SECONDS - started)) s"
    return "$rc"
}

case "${1:-}" in
    up) up ;;
    down) down ;;
    status) status ;;
    test) run_test ;;
    kill-replica)
        load_env
        [[ -n ${2:-} ]] || die "kill-replica N"
        alive "$DIR/shop-$2.pid" || die "replica $2 is not running"
        # With a hang (seconds): stopped first (SIGSTOP), so that requests
        # nginx hands it meanwhile are in flight when it dies.
        if [[ -n ${3:-} ]]; then
            kill -STOP "$(cat "$DIR/shop-$2.pid")"
            sleep "$3"
        fi
        kill -KILL "$(cat "$DIR/shop-$2.pid")"
        say "replica $2 killed (SIGKILL, pid $(cat "$DIR/shop-$2.pid")${3:+, after hanging $3 s})"
        rm -f "$DIR/shop-$2.pid"
        ;;
    start-replica)
        load_env
        [[ -n ${2:-} ]] || die "start-replica N"
        start_replica "$2"
        ;;
    restart-redis)
        load_env
        redis-cli -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
        for ((i = 0; i < 100; i++)); do alive "$DIR/redis.pid" || break; sleep 0.1; done
        alive "$DIR/redis.pid" && die "Redis did not stop"
        start_redis
        say "redis restarted (pid $(cat "$DIR/redis.pid"))"
        ;;
    *)
        sed -n '2,25p' "$0" | sed 's/^# \{0,1\}//' >&2
        exit 64
        ;;
esac
