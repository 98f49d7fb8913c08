#!/usr/bin/env bash
# The gateway's auth service (components/gateway/auth-service/server.ts), which NGINX asks about every request
# to a route that is not public. It listens on the loopback address the stack wrote to its settings (auth.json
# in the NGINX configuration folder) and, like NGINX, waits for the gateway service's readiness file.
#
#   gateway-auth.sh start | stop | status     (the shape of every server script: lib.sh)
# Environment: as nginx.sh (EDGE_SECRETS_ROOT, EDGE_SERVER_STATE_DIR, EDGE_GATEWAY_SERVICE, EDGE_NGINX_CONF_DIR,
# EDGE_SERVER_WAIT_SECONDS); its own folder EDGE_GATEWAY_AUTH_STATE_DIR (<EDGE_SERVER_STATE_DIR>/gateway-auth).
set -euo pipefail
name=gateway-auth
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

secrets_root="${EDGE_SECRETS_ROOT:-/run/edge-security-demo/secrets}"
service="${EDGE_GATEWAY_SERVICE:-nginx}"
folder="$secrets_root/$service"
conf_dir="${EDGE_NGINX_CONF_DIR:-$folder/nginx}"
ready_files=("$folder/ready" "$conf_dir/auth.json")

start() {
  # node itself (not the tsx wrapper), so signals reach the service: SIGHUP re-reads auth.json.
  cd "$EDGE_ROOT"
  launch node --import tsx components/gateway/auth-service/server.ts "$conf_dir/auth.json"
}

server_main "$@"
