#!/usr/bin/env bash
# The node's etcd (Debian's etcd-server 3.4) for the demo and the tests, on loopback (and, when asked, one more
# address, for containers: EDGE_ETCD_LISTEN_ADDRESS). Like a container, it
# waits for <secrets root>/<service>/ready (the PKI wrote the server's certificate), then runs etcd with https,
# --client-cert-auth and the node CA as its trusted CA.
#
#   etcd.sh start | stop | status             (the shape of every server script: lib.sh)
# Settings (environment; not ETCD_*, which etcd itself reads):
#   EDGE_SECRETS_ROOT          the secrets root (default /run/edge-security-demo/secrets, the demo stack's)
#   EDGE_ETCD_STATE_DIR        pid, server.log and (unless EDGE_ETCD_DATA_DIR) data/  (<EDGE_SERVER_STATE_DIR>/etcd)
#   EDGE_SERVER_STATE_DIR      the parent of every server's folder                    (<project>/.demo/servers)
#   EDGE_ETCD_DATA_DIR         the data folder, when it lives elsewhere (the demo keeps <project>/.demo/etcd)
#   EDGE_ETCD_SERVICE          the etcd server's service name in the stack (default etcd)
#   EDGE_ETCD_PORT             client port on 127.0.0.1 (default 2379); EDGE_ETCD_PEER_PORT (default EDGE_ETCD_PORT+1)
#   EDGE_ETCD_LISTEN_ADDRESS   one more address etcd's clients listen on, besides 127.0.0.1 (e.g. the docker bridge's
#                              172.17.0.1, or 0.0.0.0): put it in the etcd service's certificate (extraSans) and give
#                              it to the services as the stack's configStore.clientEndpoint (default: none)
#   EDGE_SERVER_WAIT_SECONDS   how long to wait for the readiness file, or for the port (600; EDGE_ETCD_READY_TIMEOUT
#                              is still read)
#   EDGE_ETCD_DEV_MODE=1       DEV_MODE: plain http, no client certificates, no readiness file to wait for
set -euo pipefail
EDGE_SERVER_WAIT_SECONDS="${EDGE_SERVER_WAIT_SECONDS:-${EDGE_ETCD_READY_TIMEOUT:-600}}"
name=etcd
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

secrets_root="${EDGE_SECRETS_ROOT:-/run/edge-security-demo/secrets}"
service="${EDGE_ETCD_SERVICE:-etcd}"
port="${EDGE_ETCD_PORT:-2379}"
peer_port="${EDGE_ETCD_PEER_PORT:-$((port + 1))}"
data_dir="${EDGE_ETCD_DATA_DIR:-$data_dir}"
dev_mode="${EDGE_ETCD_DEV_MODE:-0}"
folder="$secrets_root/$service"
if [ "$dev_mode" != 1 ]; then ready_files=("$folder/ready"); fi

start() {
  local scheme=https
  local tls=(--client-cert-auth --trusted-ca-file "$folder/ca.pem" --cert-file "$folder/cert.pem" --key-file "$folder/key.pem")
  if [ "$dev_mode" = 1 ]; then
    echo "etcd: DEV_MODE: plain http, no client certificates, no authentication: never on a production node" >&2
    scheme=http
    tls=()
  fi
  mkdir -p "$(dirname "$data_dir")"
  local url="$scheme://127.0.0.1:$port" peer="http://127.0.0.1:$peer_port" listen="$scheme://127.0.0.1:$port"
  local extra="${EDGE_ETCD_LISTEN_ADDRESS:-}"
  if [ -n "$extra" ] && [ "$extra" != 127.0.0.1 ]; then
    [[ "$extra" == *:* && "$extra" != \[* ]] && extra="[$extra]" # an IPv6 address
    case "$extra" in 0.0.0.0 | "[::]") listen="$scheme://$extra:$port" ;; # every address, loopback included
      *) listen="$listen,$scheme://$extra:$port" ;; esac
  fi
  launch etcd --name "$service" --data-dir "$data_dir" --listen-client-urls "$listen" --advertise-client-urls "$url" \
    --listen-peer-urls "$peer" --initial-advertise-peer-urls "$peer" --initial-cluster "$service=$peer" "${tls[@]}"
}

server_main "$@"
