#!/usr/bin/env bash
# The NGINX gateway as it runs on a node: a private NGINX (Debian's binary; never the system service nor
# /etc/nginx) on the configuration the node stack writes (gateway.nginx.configDir), on loopback. Like a container,
# it waits for the gateway service's readiness file, which the stack writes after the configuration.
#
#   nginx.sh start | stop | status
# Environment (defaults for the demo stack):
#   EDGE_SECRETS_ROOT          the node's secrets root                         (/run/edge-security-demo/secrets)
#   EDGE_SERVER_STATE_DIR      the server's log and pid live here              (<project>/.demo/servers)
#   EDGE_GATEWAY_SERVICE       the gateway's service (its folder holds ready)  (nginx)
#   EDGE_NGINX_CONF_DIR        the folder the stack writes nginx.conf to       (<secrets root>/<service>/nginx)
#   EDGE_NGINX_BIN             the NGINX binary                                (nginx)
#   EDGE_SERVER_WAIT_SECONDS   how long to wait for the readiness file          (600)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../env.sh"

secrets_root="${EDGE_SECRETS_ROOT:-/run/edge-security-demo/secrets}"
state="${EDGE_SERVER_STATE_DIR:-$EDGE_ROOT/.demo/servers}/nginx"
service="${EDGE_GATEWAY_SERVICE:-nginx}"
folder="$secrets_root/$service"
conf_dir="${EDGE_NGINX_CONF_DIR:-$folder/nginx}"
nginx_bin="${EDGE_NGINX_BIN:-nginx}"
wait_seconds="${EDGE_SERVER_WAIT_SECONDS:-600}"
pidfile="$state/pid"

name=nginx
source "$(dirname "${BASH_SOURCE[0]}")/pidfile.sh"

case "${1:-}" in
  start)
    command -v "$nginx_bin" >/dev/null || { echo "nginx: $nginx_bin is not installed: run npm run setup (apt-get install nginx-light)" >&2; exit 1; }
    if running; then echo "nginx: already running (pid $(cat "$pidfile"))"; exit 0; fi
    mkdir -p "$state"
    chmod 0700 "$state"
    # Background: wait for the readiness file (written last by the node stack), then become the master process.
    # The listen address is loopback: the stack's config allows nothing else.
    (
      wait_for_files "$folder/ready" "$conf_dir/nginx.conf" || exit 1
      exec "$nginx_bin" -p "$conf_dir/run/" -e "$conf_dir/run/error.log" -c "$conf_dir/nginx.conf" -g 'daemon off;'
    ) >>"$state/server.log" 2>&1 </dev/null &
    echo $! >"$pidfile"
    echo "nginx: started (pid $!), waiting for $folder/ready; config $conf_dir/nginx.conf; log $state/server.log"
    ;;
  stop)
    stop_server
    # NGINX's own runtime files (error log, temp folders) live beside the configuration; once the stack has
    # destroyed the gateway (no readiness file), remove them too, so the service's folder does not linger.
    if [ ! -e "$folder/ready" ] && [ -d "$conf_dir" ]; then
      rm -rf -- "$conf_dir/run"
      rmdir -- "$conf_dir/tls" "$conf_dir" "$folder" 2>/dev/null || true # only if empty
    fi
    ;;
  status)
    if running; then echo "nginx: running (pid $(cat "$pidfile")), config $conf_dir/nginx.conf"; else echo "nginx: not running"; exit 3; fi
    ;;
  *) echo "usage: nginx.sh start|stop|status" >&2; exit 2 ;;
esac
