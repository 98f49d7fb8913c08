#!/usr/bin/env bash
# A private PostgreSQL cluster for the demo, from Debian's PostgreSQL binaries, when no PostgreSQL answers at the
# demo's configured address. It never touches the machine's own clusters (pg_lsclusters): its data, socket, log
# and pid live under EDGE_PG_DIR, it listens on 127.0.0.1 only, on a port that was free at its first start (kept
# in EDGE_PG_DIR/port and reused afterwards).
#
#   postgres.sh start|stop|port
#
# Environment:
#   EDGE_PG_DIR    required: the cluster's folder (data/, port, server.log)
#   EDGE_PG_BIN    default: the newest /usr/lib/postgresql/<version>/bin
#
# Authentication: trust for the superuser `postgres` on 127.0.0.1 and its private socket, as the demo expects of
# a local PostgreSQL (see README, Quick start). For demos only: a node's PostgreSQL is its own, set up by its admin.
set -euo pipefail
dir="${EDGE_PG_DIR:?EDGE_PG_DIR must name the cluster folder}"
bin="${EDGE_PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)}"
[ -x "$bin/initdb" ] || { echo "postgres: PostgreSQL server binaries not found (run npm run setup as root)" >&2; exit 1; }
as_postgres() { if [ "$(id -un)" = postgres ]; then "$@"; else runuser -u postgres -- "$@"; fi; }

case "${1:-}" in
start)
	if [ ! -f "$dir/data/PG_VERSION" ]; then
		mkdir -p "$dir"
		chown postgres: "$dir" && chmod 0700 "$dir"
		as_postgres "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 >"$dir/initdb.log"
	fi
	if [ ! -s "$dir/port" ]; then
		# A port free now, kept for the cluster's life: the stack's config names it.
		node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})' >"$dir/port"
	fi
	port="$(cat "$dir/port")"
	if as_postgres "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
		echo "postgres: already running on 127.0.0.1:$port" >&2
		exit 0
	fi
	as_postgres "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
		-o "-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories=$dir" start >/dev/null
	echo "postgres: private cluster started on 127.0.0.1:$port (data $dir/data)" >&2
	;;
stop)
	if [ -f "$dir/data/PG_VERSION" ]; then as_postgres "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true; fi
	echo "postgres: private cluster stopped" >&2
	;;
port)
	cat "$dir/port"
	;;
*)
	echo "usage: postgres.sh start|stop|port (EDGE_PG_DIR names the cluster folder)" >&2
	exit 2
	;;
esac
