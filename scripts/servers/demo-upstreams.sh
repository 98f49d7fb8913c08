#!/usr/bin/env bash
# Two small HTTP services for the demo gateway to front, on EdgeX's core-data and core-metadata ports (loopback):
# each answers every request with its name and the path it received.
#   demo-upstreams.sh start | stop | status      (state in EDGE_SERVER_STATE_DIR, default <project>/.demo/servers)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../env.sh"
state="${EDGE_SERVER_STATE_DIR:-$EDGE_ROOT/.demo/servers}/demo-upstreams"
pidfile="$state/pid"
name=demo-upstreams
source "$(dirname "${BASH_SOURCE[0]}")/pidfile.sh"
case "${1:-}" in
  start)
    if running; then echo "demo-upstreams: already running (pid $(cat "$pidfile"))"; exit 0; fi
    mkdir -p "$state"
    node -e '
      const http = require("node:http");
      for (const [name, port] of [["core-data", 59880], ["core-metadata", 59881]])
        http.createServer((req, res) => res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ service: name, path: req.url }) + "\n")).listen(port, "127.0.0.1");
    ' >>"$state/server.log" 2>&1 </dev/null &
    echo $! >"$pidfile"
    echo "demo-upstreams: core-data on 127.0.0.1:59880, core-metadata on 127.0.0.1:59881 (pid $!)"
    ;;
  stop) stop_server ;;
  status) if running; then echo "demo-upstreams: running"; else echo "demo-upstreams: not running"; exit 3; fi ;;
  *) echo "usage: demo-upstreams.sh start|stop|status" >&2; exit 2 ;;
esac
