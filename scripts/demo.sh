#!/usr/bin/env bash
# npm run demo [-- eii-node]: set-up, the stack's local servers (each waits for its readiness file), `up` of the
# demo stack, then its outputs. npm run demo:down [-- eii-node]: destroy it, then stop its servers.
#   local     (default) the EdgeX-style node: PKI + secret store (OpenBao)      secrets in /run/edge-security-demo
#   eii-node  the EII-style node: PKI + config store (etcd)                      secrets in /run/edge-security-eii
# Server data lives in .demo/ (it survives down/up, like a node's disk); the secret store's custody file is in
# /var/lib/edge-security-demo/custody. The demo passphrase is for demos only (see README).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$EDGE_ROOT"
export PULUMI_CONFIG_PASSPHRASE="${PULUMI_CONFIG_PASSPHRASE:-$EDGE_DEMO_PASSPHRASE}"
stack="${2:-local}"
case "$stack" in
  local) servers=(openbao); export EDGE_SECRETS_ROOT=/run/edge-security-demo/secrets ;;
  eii-node) servers=(etcd); export EDGE_SECRETS_ROOT=/run/edge-security-eii/secrets ;;
  *) echo "demo.sh: unknown demo stack $stack (local or eii-node)" >&2; exit 2 ;;
esac
case "${1:-up}" in
  up)
    bash scripts/setup.sh
    bash scripts/servers.sh start "${servers[@]}"
    tsx bin/edge-node.ts up --stack "$stack"
    tsx bin/edge-node.ts outputs --stack "$stack"
    ;;
  down)
    tsx bin/edge-node.ts destroy --stack "$stack"
    bash scripts/servers.sh stop "${servers[@]}"
    ;;
  *) echo "usage: demo.sh up|down [local|eii-node]" >&2; exit 2 ;;
esac
