#!/usr/bin/env bash
# The secret store as it runs on a node: an OpenBao server (file storage, TLS listener on loopback) whose
# certificate is the `secretstore` service's, from the node PKI. Like a container, it waits for that service's
# readiness file before it starts, and it starts sealed (the node stack initializes and unseals it).
#
#   openbao.sh start | stop | status
# Environment (defaults for the demo stack):
#   EDGE_SECRETS_ROOT          the node's secrets root            (/run/edge-security-demo/secrets)
#   EDGE_SERVER_STATE_DIR      data, config, log and pid live here (<project>/.demo/servers)
#   EDGE_OPENBAO_SERVICE       the service whose folder holds the server's certificate (secretstore)
#   EDGE_OPENBAO_LISTEN        loopback address:port (127.0.0.1:8200)
#   EDGE_SERVER_WAIT_SECONDS   how long to wait for the readiness file (600)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../env.sh"

secrets_root="${EDGE_SECRETS_ROOT:-/run/edge-security-demo/secrets}"
state="${EDGE_SERVER_STATE_DIR:-$EDGE_ROOT/.demo/servers}/openbao"
service="${EDGE_OPENBAO_SERVICE:-secretstore}"
listen="${EDGE_OPENBAO_LISTEN:-127.0.0.1:8200}"
wait_seconds="${EDGE_SERVER_WAIT_SECONDS:-600}"
pidfile="$state/pid"
folder="$secrets_root/$service"

case "$listen" in 127.*:*|localhost:*) ;; *) echo "openbao: EDGE_OPENBAO_LISTEN must be a loopback address:port (got $listen)" >&2; exit 2 ;; esac
running() { [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; }

case "${1:-}" in
  start)
    command -v bao >/dev/null || { echo "openbao: bao is not in tools/bin: run npm run setup" >&2; exit 1; }
    if running; then echo "openbao: already running (pid $(cat "$pidfile"))"; exit 0; fi
    mkdir -p "$state/data"
    chmod 0700 "$state" "$state/data"
    cat >"$state/config.hcl" <<HCL
storage "file" {
  path = "$state/data"
}
listener "tcp" {
  address       = "$listen"
  tls_cert_file = "$folder/cert.pem"
  tls_key_file  = "$folder/key.pem"
}
api_addr      = "https://$listen"
disable_mlock = true
ui            = false
HCL
    # Background: wait for the folder's readiness file (written last by the node stack), then become the server.
    (
      waited=0
      until [ -f "$folder/ready" ]; do
        if [ "$waited" -ge "$wait_seconds" ]; then echo "openbao: $folder/ready did not appear within ${wait_seconds}s" >&2; exit 1; fi
        sleep 1; waited=$((waited + 1))
      done
      exec bao server -config="$state/config.hcl" -log-level=warn
    ) >>"$state/server.log" 2>&1 </dev/null &
    echo $! >"$pidfile"
    echo "openbao: started (pid $!), waiting for $folder/ready; https://$listen; log $state/server.log"
    ;;
  stop)
    if running; then
      pid=$(cat "$pidfile")
      kill "$pid"
      for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
      kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
      echo "openbao: stopped"
    else
      echo "openbao: not running"
    fi
    rm -f "$pidfile"
    ;;
  status)
    if running; then echo "openbao: running (pid $(cat "$pidfile")) on https://$listen"; else echo "openbao: not running"; exit 3; fi
    ;;
  *) echo "usage: openbao.sh start|stop|status" >&2; exit 2 ;;
esac
