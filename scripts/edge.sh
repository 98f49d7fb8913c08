#!/usr/bin/env bash
# npm run edge -- <preview|up|refresh|destroy|outputs> --stack NAME: the node stack through the Automation API.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
if [[ " $* " == *" --stack local "* || " $* " == *" -s local "* ]] && [ -z "${PULUMI_CONFIG_PASSPHRASE:-}${PULUMI_CONFIG_PASSPHRASE_FILE:-}" ]; then
  export PULUMI_CONFIG_PASSPHRASE="$EDGE_DEMO_PASSPHRASE"
fi
exec tsx "$EDGE_ROOT/bin/edge-node.ts" "$@"
