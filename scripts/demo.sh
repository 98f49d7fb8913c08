#!/usr/bin/env bash
# npm run demo: set-up, then `up` of the demo stack `local`, then its outputs.
# npm run demo:down: destroy the demo stack.
# (This step has no local servers yet: the secret store, databases and etcd add theirs to this script.)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$EDGE_ROOT"
export PULUMI_CONFIG_PASSPHRASE="${PULUMI_CONFIG_PASSPHRASE:-$EDGE_DEMO_PASSPHRASE}"
case "${1:-up}" in
  up)
    bash scripts/setup.sh
    tsx bin/edge-node.ts up --stack local
    tsx bin/edge-node.ts outputs --stack local
    ;;
  down)
    tsx bin/edge-node.ts destroy --stack local
    ;;
  *) echo "usage: demo.sh up|down" >&2; exit 2 ;;
esac
