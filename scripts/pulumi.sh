#!/usr/bin/env bash
# npm run pulumi -- <args>: the Pulumi CLI with the project's tools PATH, backend and (for the demo) passphrase.
# Commands that run the program (up, preview, refresh, destroy) go through `npm run edge` instead: this
# build has no Node.js language-host binary (see README).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
if [ -z "${PULUMI_CONFIG_PASSPHRASE:-}${PULUMI_CONFIG_PASSPHRASE_FILE:-}" ]; then
  export PULUMI_CONFIG_PASSPHRASE="$EDGE_DEMO_PASSPHRASE"
fi
mkdir -p "${PULUMI_BACKEND_URL#file://}"
cd "$EDGE_ROOT"
exec pulumi "$@"
