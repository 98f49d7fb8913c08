#!/usr/bin/env bash
# FerretDB (MongoDB wire protocol over SQLite) on loopback, for the demo and the tests.
#
#   ferretdb.sh start | stop | status         (the shape of every server script: lib.sh)
#
# Environment:
#   EDGE_FERRETDB_STATE_DIR            SQLite files (data/), FerretDB's state.json, pid, server.log
#                                      (default <EDGE_SERVER_STATE_DIR>/ferretdb; the demo keeps <project>/.demo/ferretdb)
#   EDGE_FERRETDB_PORT                 default 27017 (listens on 127.0.0.1 only)
#   EDGE_FERRETDB_ADMIN_USER           default admin
#   EDGE_FERRETDB_ADMIN_DATABASE       default admin
#   EDGE_FERRETDB_ADMIN_PASSWORD_FILE  required by start: file holding the admin password (first line)
#   EDGE_FERRETDB_BIN                  default <project>/tools/bin/ferretdb (built by npm run setup)
#   EDGE_SERVER_WAIT_SECONDS           how long start waits for the port (600)
#
# SCRAM authentication is FerretDB v1's "new auth" (--test-enable-new-auth). On the first start (empty data folder)
# FerretDB creates the admin database and user (--setup-*); the password reaches it through its environment
# (FERRETDB_SETUP_PASSWORD), not its command line, which any local user can read. Telemetry is off and the debug
# HTTP listener is not started. No TLS: loopback only, and no readiness file to wait for: start returns once the
# server accepts connections (clients still bound their own wait: the MongoDB driver's server selection).
set -euo pipefail
name=ferretdb
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

port="${EDGE_FERRETDB_PORT:-27017}"
bin="${EDGE_FERRETDB_BIN:-$EDGE_TOOLS/bin/ferretdb}"

start() {
  [ -x "$bin" ] || { echo "ferretdb: $bin not found: run npm run setup (or set EDGE_FERRETDB_BIN)" >&2; exit 1; }
  local password_file="${EDGE_FERRETDB_ADMIN_PASSWORD_FILE:?EDGE_FERRETDB_ADMIN_PASSWORD_FILE must name the admin password file}"
  [ -r "$password_file" ] || { echo "ferretdb: cannot read $password_file" >&2; exit 1; }
  case "$port" in '' | *[!0-9]*) echo "ferretdb: EDGE_FERRETDB_PORT must be a port number" >&2; exit 1 ;; esac
  mkdir -p "$data_dir"
  chmod 0700 "$state_dir" "$data_dir"
  local admin_password
  IFS= read -r admin_password <"$password_file" || [ -n "$admin_password" ]
  FERRETDB_SETUP_PASSWORD="$admin_password" launch "$bin" \
    --handler=sqlite --sqlite-url="file:$data_dir/" --state-dir="$state_dir" \
    --listen-addr="127.0.0.1:$port" --debug-addr=- --telemetry=disable \
    --test-enable-new-auth \
    --setup-database="${EDGE_FERRETDB_ADMIN_DATABASE:-admin}" --setup-username="${EDGE_FERRETDB_ADMIN_USER:-admin}"
}

server_main "$@"
