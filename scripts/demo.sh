#!/usr/bin/env bash
# npm run demo: set-up, the local servers (they wait for their readiness files), `up` of the demo stack `local`,
# then its outputs. npm run demo:down: destroy the demo stack, then stop the local servers.
# The servers keep their data in .demo/servers (the store's data survives down/up, like a node's disk); the
# store's custody file is in /var/lib/edge-security-demo/custody.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$EDGE_ROOT"
export PULUMI_CONFIG_PASSPHRASE="${PULUMI_CONFIG_PASSPHRASE:-$EDGE_DEMO_PASSPHRASE}"
export EDGE_SECRETS_ROOT=/run/edge-security-demo/secrets
case "${1:-up}" in
  up)
    bash scripts/setup.sh
    bash scripts/servers.sh start
    tsx bin/edge-node.ts up --stack local
    tsx bin/edge-node.ts outputs --stack local
    ;;
  down)
    tsx bin/edge-node.ts destroy --stack local
    bash scripts/servers.sh stop
    ;;
  *) echo "usage: demo.sh up|down" >&2; exit 2 ;;
esac
