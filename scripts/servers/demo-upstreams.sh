#!/usr/bin/env bash
# Two small HTTP services for the demo gateway to front, on EdgeX's core-data and core-metadata ports (loopback):
# each answers every request with its name and the path it received.
#   demo-upstreams.sh start | stop | status   (the shape of every server script: lib.sh; its folder
#                                             EDGE_DEMO_UPSTREAMS_STATE_DIR, default <EDGE_SERVER_STATE_DIR>/demo-upstreams)
set -euo pipefail
name=demo-upstreams
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
port="59880 59881"

start() {
  launch node -e '
    const http = require("node:http");
    for (const [name, port] of [["core-data", 59880], ["core-metadata", 59881]])
      http.createServer((req, res) => res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ service: name, path: req.url }) + "\n")).listen(port, "127.0.0.1");
  '
}

server_main "$@"
