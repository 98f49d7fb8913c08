#!/usr/bin/env bash
# The NGINX gateway as it runs on a node: a private NGINX (Debian's binary; never the system service nor
# /etc/nginx) on the configuration the node stack writes (gateway.nginx.configDir), on loopback. Like a container,
# it waits for the gateway service's readiness file, which the stack writes after the configuration.
#
#   nginx.sh start | stop | status            (the shape of every server script: lib.sh)
# Environment (defaults for the demo stack):
#   EDGE_SECRETS_ROOT          the node's secrets root                         (/run/edge-security-demo/secrets)
#   EDGE_NGINX_STATE_DIR       the server's pid and server.log                 (<EDGE_SERVER_STATE_DIR>/nginx)
#   EDGE_SERVER_STATE_DIR      the parent of every server's folder             (<project>/.demo/servers)
#   EDGE_GATEWAY_SERVICE       the gateway's service (its folder holds ready)  (nginx)
#   EDGE_NGINX_CONF_DIR        the folder the stack writes nginx.conf to       (<secrets root>/<service>/nginx)
#   EDGE_NGINX_BIN             the NGINX binary                                (nginx)
#   EDGE_SERVER_WAIT_SECONDS   how long to wait for the readiness file          (600)
# Its port is the stack's (gateway.nginx.listen, in nginx.conf), so the readiness file is the wait.
set -euo pipefail
name=nginx
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

secrets_root="${EDGE_SECRETS_ROOT:-/run/edge-security-demo/secrets}"
service="${EDGE_GATEWAY_SERVICE:-nginx}"
folder="$secrets_root/$service"
conf_dir="${EDGE_NGINX_CONF_DIR:-$folder/nginx}"
nginx_bin="${EDGE_NGINX_BIN:-nginx}"
ready_files=("$folder/ready" "$conf_dir/nginx.conf")

start() {
  command -v "$nginx_bin" >/dev/null || { echo "nginx: $nginx_bin is not installed: run npm run setup (apt-get install nginx-light)" >&2; exit 1; }
  # The listen address is loopback: the stack's config allows nothing else.
  launch "$nginx_bin" -p "$conf_dir/run/" -e "$conf_dir/run/error.log" -c "$conf_dir/nginx.conf" -g 'daemon off;'
}

stop() {
  stop_server
  # NGINX's own runtime files (error log, temp folders) live beside the configuration; once the stack has
  # destroyed the gateway (no readiness file), remove them too, so the service's folder does not linger.
  if [ ! -e "$folder/ready" ] && [ -d "$conf_dir" ]; then
    rm -rf -- "$conf_dir/run"
    rmdir -- "$conf_dir/tls" "$conf_dir" "$folder" 2>/dev/null || true # only if empty
  fi
}

server_main "$@"
