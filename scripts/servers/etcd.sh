#!/usr/bin/env bash
# The node's etcd (Debian's etcd-server 3.4) for the demo and the tests, on loopback only.
#   etcd.sh start   starts in the background and returns; the background process waits, as a container would,
#                   for <secrets root>/<service>/ready (the PKI wrote the server's certificate), then execs etcd
#                   with https, --client-cert-auth and the node CA as its trusted CA
#   etcd.sh stop    stops the server started from the same pid file
# Settings (environment; not ETCD_*, which etcd itself reads):
#   EDGE_SECRETS_ROOT     the secrets root (default /run/edge-security-demo/secrets, the demo stack's)
#   EDGE_ETCD_SERVICE          the etcd server's service name in the stack (default etcd)
#   EDGE_ETCD_PORT             client port on 127.0.0.1 (default 2379); EDGE_ETCD_PEER_PORT (default EDGE_ETCD_PORT+1)
#   EDGE_ETCD_DATA_DIR         data folder (default $EDGE_ROOT/.demo/etcd); the pid file and log live next to it
#   EDGE_ETCD_READY_TIMEOUT    seconds to wait for the readiness file (default 600)
#   EDGE_ETCD_DEV_MODE=1       DEV_MODE: plain http, no client certificates, no readiness wait
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../env.sh"

SECRETS_ROOT="${EDGE_SECRETS_ROOT:-/run/edge-security-demo/secrets}"
SERVICE="${EDGE_ETCD_SERVICE:-etcd}"
PORT="${EDGE_ETCD_PORT:-2379}"
PEER_PORT="${EDGE_ETCD_PEER_PORT:-$((PORT + 1))}"
DATA_DIR="${EDGE_ETCD_DATA_DIR:-$EDGE_ROOT/.demo/etcd}"
READY_TIMEOUT="${EDGE_ETCD_READY_TIMEOUT:-600}"
PID_FILE="$DATA_DIR.pid"
LOG_FILE="$DATA_DIR.log"
SERVICE_DIR="$SECRETS_ROOT/$SERVICE"
log() { printf '[etcd] %s\n' "$*" >&2; }

start() {
  if [ -f "$PID_FILE" ] && kill -0 "$(cat "$PID_FILE")" 2>/dev/null; then
    log "already running (pid $(cat "$PID_FILE"))"
    return 0
  fi
  mkdir -p "$(dirname "$DATA_DIR")"
  local scheme=https
  local tls=(--client-cert-auth --trusted-ca-file "$SERVICE_DIR/ca.pem" --cert-file "$SERVICE_DIR/cert.pem" --key-file "$SERVICE_DIR/key.pem")
  if [ "${EDGE_ETCD_DEV_MODE:-0}" = 1 ]; then
    log "DEV_MODE: plain http, no client certificates, no authentication: never on a production node"
    scheme=http
    tls=()
  fi
  local url="$scheme://127.0.0.1:$PORT" peer="http://127.0.0.1:$PEER_PORT"
  local args=(--name "$SERVICE" --data-dir "$DATA_DIR" --listen-client-urls "$url" --advertise-client-urls "$url"
    --listen-peer-urls "$peer" --initial-advertise-peer-urls "$peer" --initial-cluster "$SERVICE=$peer" "${tls[@]}")
  # The background process waits for the readiness file (unless DEV_MODE), then becomes etcd (same pid).
  READY="$SERVICE_DIR/ready" WAIT="$READY_TIMEOUT" DEV="${EDGE_ETCD_DEV_MODE:-0}" setsid bash -c '
    if [ "$DEV" != 1 ]; then
      echo "[etcd] waiting up to ${WAIT}s for $READY" >&2
      timeout "$WAIT" bash -c "until [ -f \"\$0\" ]; do sleep 0.5; done" "$READY" || { echo "[etcd] $READY did not appear within ${WAIT}s" >&2; exit 1; }
    fi
    exec etcd "$@"' etcd "${args[@]}" >"$LOG_FILE" 2>&1 </dev/null &
  echo $! >"$PID_FILE"
  log "started (pid $!, $url, log $LOG_FILE)"
}

stop() {
  [ -f "$PID_FILE" ] || { log "not running (no $PID_FILE)"; return 0; }
  local pid
  pid=$(cat "$PID_FILE")
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid"
    # Bounded wait for the process to exit (tail returns when the pid is gone).
    timeout 30 tail --pid="$pid" -f /dev/null || { log "pid $pid did not stop within 30s; sending KILL"; kill -9 "$pid" 2>/dev/null || true; }
  fi
  rm -f "$PID_FILE"
  log "stopped"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: etcd.sh start|stop (settings: see the top of this file)" >&2; exit 2 ;;
esac
