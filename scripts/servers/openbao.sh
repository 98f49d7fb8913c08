#!/usr/bin/env bash
# The secret store as it runs on a node: an OpenBao server (file storage, TLS listener on loopback) whose
# certificate is the `secretstore` service's, from the node PKI. Like a container, it waits for that service's
# readiness file before it starts, and it starts sealed (the node stack initializes and unseals it). No api_addr:
# identity tokens then carry iss "/v1/identity/oidc" unless the stack sets an issuer (what EdgeX services accept).
#
#   openbao.sh start | stop | status          (the shape of every server script: lib.sh)
# Environment (defaults for the demo stack):
#   EDGE_SECRETS_ROOT          the node's secrets root                          (/run/edge-security-demo/secrets)
#   EDGE_OPENBAO_STATE_DIR     data/, config.hcl, pid, server.log               (<EDGE_SERVER_STATE_DIR>/openbao)
#   EDGE_SERVER_STATE_DIR      the parent of every server's folder              (<project>/.demo/servers)
#   EDGE_OPENBAO_SERVICE       the service whose folder holds the server's certificate (secretstore)
#   EDGE_OPENBAO_PORT          the loopback port (8200); or EDGE_OPENBAO_LISTEN, a loopback address:port
#   EDGE_SERVER_WAIT_SECONDS   how long to wait for the readiness file, or for the port on a restart (600)
set -euo pipefail
name=openbao
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

secrets_root="${EDGE_SECRETS_ROOT:-/run/edge-security-demo/secrets}"
service="${EDGE_OPENBAO_SERVICE:-secretstore}"
listen="${EDGE_OPENBAO_LISTEN:-127.0.0.1:${EDGE_OPENBAO_PORT:-8200}}"
folder="$secrets_root/$service"
case "$listen" in 127.*:*|localhost:*) ;; *) echo "openbao: EDGE_OPENBAO_LISTEN must be a loopback address:port (got $listen)" >&2; exit 2 ;; esac
port="${listen##*:}"
ready_files=("$folder/ready")

start() {
  command -v bao >/dev/null || { echo "openbao: bao is not in tools/bin: run npm run setup" >&2; exit 1; }
  mkdir -p "$data_dir"
  chmod 0700 "$state_dir" "$data_dir"
  cat >"$state_dir/config.hcl" <<HCL
storage "file" {
  path = "$data_dir"
}
listener "tcp" {
  address       = "$listen"
  tls_cert_file = "$folder/cert.pem"
  tls_key_file  = "$folder/key.pem"
}
disable_mlock = true
ui            = false
HCL
  launch bao server -config="$state_dir/config.hcl" -log-level=warn
}

server_main "$@"
