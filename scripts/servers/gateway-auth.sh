#!/usr/bin/env bash
# The gateway's auth service (components/gateway/auth-service/server.ts), which NGINX asks about every request
# to a route that is not public. It listens on the loopback address the stack wrote to its settings (auth.json
# in the NGINX configuration folder) and, like NGINX, waits for the gateway service's readiness file.
#
#   gateway-auth.sh start | stop | status
# Environment: as nginx.sh (EDGE_SECRETS_ROOT, EDGE_SERVER_STATE_DIR, EDGE_GATEWAY_SERVICE, EDGE_NGINX_CONF_DIR,
# EDGE_SERVER_WAIT_SECONDS).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../env.sh"

secrets_root="${EDGE_SECRETS_ROOT:-/run/edge-security-demo/secrets}"
state="${EDGE_SERVER_STATE_DIR:-$EDGE_ROOT/.demo/servers}/gateway-auth"
service="${EDGE_GATEWAY_SERVICE:-nginx}"
folder="$secrets_root/$service"
conf_dir="${EDGE_NGINX_CONF_DIR:-$folder/nginx}"
wait_seconds="${EDGE_SERVER_WAIT_SECONDS:-600}"
pidfile="$state/pid"

name=gateway-auth
source "$(dirname "${BASH_SOURCE[0]}")/pidfile.sh"

case "${1:-}" in
  start)
    if running; then echo "gateway-auth: already running (pid $(cat "$pidfile"))"; exit 0; fi
    mkdir -p "$state"
    chmod 0700 "$state"
    (
      wait_for_files "$folder/ready" "$conf_dir/auth.json" || exit 1
      # node itself (not the tsx wrapper), so signals reach the service: SIGHUP re-reads auth.json.
      cd "$EDGE_ROOT"
      exec node --import tsx components/gateway/auth-service/server.ts "$conf_dir/auth.json"
    ) >>"$state/server.log" 2>&1 </dev/null &
    echo $! >"$pidfile"
    echo "gateway-auth: started (pid $!), waiting for $folder/ready; settings $conf_dir/auth.json; log $state/server.log"
    ;;
  stop) stop_server ;;
  status)
    if running; then echo "gateway-auth: running (pid $(cat "$pidfile"))"; else echo "gateway-auth: not running"; exit 3; fi
    ;;
  *) echo "usage: gateway-auth.sh start|stop|status" >&2; exit 2 ;;
esac
