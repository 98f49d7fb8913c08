#!/usr/bin/env bash
# A private PostgreSQL cluster for the demo, from Debian's PostgreSQL binaries, when no PostgreSQL answers at the
# demo's configured address. It never touches the machine's own clusters (pg_lsclusters): its data, socket, log
# and pid live in its own folder, it listens on 127.0.0.1 only, on a port that was free at its first start (kept
# in <folder>/port and reused afterwards).
#
#   postgres.sh start | stop | status | port  (the shape of every server script: lib.sh; port prints the port)
#
# Environment:
#   EDGE_POSTGRES_STATE_DIR   the cluster's folder: data/, port, server.log (default <EDGE_SERVER_STATE_DIR>/postgres;
#                             EDGE_PG_DIR is still read; the demo keeps <project>/.demo/postgres)
#   EDGE_PG_BIN               default: the newest /usr/lib/postgresql/<version>/bin
#
# Authentication: trust for the superuser `postgres` on 127.0.0.1 and its private socket, as the demo expects of
# a local PostgreSQL (see docs/databases.md). For demos only: a node's PostgreSQL is its own, set up by its admin.
# Readiness: pg_ctl's own wait (-w), which asks the server itself; the pid file is PostgreSQL's postmaster.pid.
set -euo pipefail
if [ -n "${EDGE_PG_DIR:-}" ]; then EDGE_POSTGRES_STATE_DIR="${EDGE_POSTGRES_STATE_DIR:-$EDGE_PG_DIR}"; fi
name=postgres
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

pid_file="$data_dir/postmaster.pid"
bin="${EDGE_PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)}"
as_postgres() { if [ "$(id -un)" = postgres ]; then "$@"; else runuser -u postgres -- "$@"; fi; }
if [ -s "$state_dir/port" ]; then port="$(cat "$state_dir/port")"; fi

start() {
  [ -x "$bin/initdb" ] || { echo "postgres: PostgreSQL server binaries not found (run npm run setup as root)" >&2; exit 1; }
  if [ ! -f "$data_dir/PG_VERSION" ]; then
    mkdir -p "$state_dir"
    chown postgres: "$state_dir" && chmod 0700 "$state_dir"
    as_postgres "$bin/initdb" -D "$data_dir" -U postgres --auth=trust -E UTF8 >"$state_dir/initdb.log"
  fi
  if [ -z "$port" ]; then
    # A port free now, kept for the cluster's life: the stack's config names it.
    port=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
    echo "$port" >"$state_dir/port"
  fi
  as_postgres "$bin/pg_ctl" -D "$data_dir" -l "$log_file" -w -t "$wait_seconds" \
    -o "-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories=$state_dir" start >/dev/null
  echo "postgres: private cluster running on 127.0.0.1:$port (data $data_dir; log $log_file)" >&2
}

stop() {
  if running; then
    as_postgres "$bin/pg_ctl" -D "$data_dir" -m fast -w stop >/dev/null
    echo "postgres: private cluster stopped" >&2
  else
    echo "postgres: not running" >&2
  fi
}

extra_usage="|port"
extra_command() {
  [ "$1" = port ] || return 1
  cat "$state_dir/port"
}

server_main "$@"
