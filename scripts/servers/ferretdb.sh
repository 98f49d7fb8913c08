#!/usr/bin/env bash
# FerretDB (MongoDB wire protocol over SQLite) on loopback, for the demo and the tests.
#
#   ferretdb.sh start|stop
#
# Environment:
#   EDGE_FERRETDB_STATE_DIR            required: SQLite files (data/), FerretDB's state.json, ferretdb.pid, ferretdb.log
#   EDGE_FERRETDB_PORT                 default 27017 (listens on 127.0.0.1 only)
#   EDGE_FERRETDB_ADMIN_USER           default admin
#   EDGE_FERRETDB_ADMIN_DATABASE       default admin
#   EDGE_FERRETDB_ADMIN_PASSWORD_FILE  required by start: file holding the admin password (first line)
#   EDGE_FERRETDB_BIN                  default <project>/tools/bin/ferretdb (built by npm run setup)
#
# SCRAM authentication is FerretDB v1's "new auth" (--test-enable-new-auth). On the first start (empty data folder)
# FerretDB creates the admin database and user (--setup-*); the password reaches it through its environment
# (FERRETDB_SETUP_PASSWORD), not its command line, which any local user can read. Telemetry is off and the debug
# HTTP listener is not started. No TLS: loopback only. Start returns once the process runs; clients wait for it to
# accept connections with their own retry options (the MongoDB driver's server selection timeout).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../env.sh"

state="${EDGE_FERRETDB_STATE_DIR:?EDGE_FERRETDB_STATE_DIR must name the state folder}"
port="${EDGE_FERRETDB_PORT:-27017}"
pid_file="$state/ferretdb.pid"
bin="${EDGE_FERRETDB_BIN:-$EDGE_TOOLS/bin/ferretdb}"

running_pid() {
	local pid
	[ -f "$pid_file" ] || return 1
	pid="$(cat "$pid_file")"
	[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && echo "$pid"
}

case "${1:-}" in
start)
	if pid="$(running_pid)"; then
		echo "ferretdb: already running (pid $pid)" >&2
		exit 0
	fi
	[ -x "$bin" ] || { echo "ferretdb: $bin not found: run npm run setup (or set EDGE_FERRETDB_BIN)" >&2; exit 1; }
	password_file="${EDGE_FERRETDB_ADMIN_PASSWORD_FILE:?EDGE_FERRETDB_ADMIN_PASSWORD_FILE must name the admin password file}"
	[ -r "$password_file" ] || { echo "ferretdb: cannot read $password_file" >&2; exit 1; }
	case "$port" in '' | *[!0-9]*) echo "ferretdb: EDGE_FERRETDB_PORT must be a port number" >&2; exit 1 ;; esac
	mkdir -p "$state/data"
	chmod 0700 "$state" "$state/data"
	IFS= read -r admin_password <"$password_file" || [ -n "$admin_password" ]
	FERRETDB_SETUP_PASSWORD="$admin_password" nohup "$bin" \
		--handler=sqlite --sqlite-url="file:$state/data/" --state-dir="$state" \
		--listen-addr="127.0.0.1:$port" --debug-addr=- --telemetry=disable \
		--test-enable-new-auth \
		--setup-database="${EDGE_FERRETDB_ADMIN_DATABASE:-admin}" --setup-username="${EDGE_FERRETDB_ADMIN_USER:-admin}" \
		>>"$state/ferretdb.log" 2>&1 </dev/null &
	echo $! >"$pid_file"
	echo "ferretdb: started on 127.0.0.1:$port (pid $!, log $state/ferretdb.log)" >&2
	;;
stop)
	if pid="$(running_pid)"; then
		kill "$pid"
		# Waits for the process to exit, bounded (no polling loop of our own).
		timeout "${EDGE_FERRETDB_STOP_TIMEOUT:-20}" tail --pid="$pid" -f /dev/null || { echo "ferretdb: pid $pid did not stop" >&2; exit 1; }
		echo "ferretdb: stopped (pid $pid)" >&2
	fi
	rm -f "$pid_file"
	;;
*)
	echo "usage: ferretdb.sh start|stop (configured by EDGE_FERRETDB_* variables)" >&2
	exit 2
	;;
esac
