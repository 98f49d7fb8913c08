#!/usr/bin/env bash
# npm run pulumi -- <args>: the Pulumi CLI in the project folder with the project's tools PATH, backend and
# settings (scripts/env.sh): `pulumi preview|up|refresh|destroy --stack S`, `stack output`, `config`, ...
# The demo passphrase is used only for the demo stack `local`, when none is set.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
if [[ " $* " == *" --stack local "* || " $* " == *" -s local "* || " $* " == *" --stack=local "* ]] && [ -z "${PULUMI_CONFIG_PASSPHRASE:-}${PULUMI_CONFIG_PASSPHRASE_FILE:-}" ]; then
  export PULUMI_CONFIG_PASSPHRASE="$EDGE_DEMO_PASSPHRASE"
fi
case "$PULUMI_BACKEND_URL" in file://*) backend_dir="${PULUMI_BACKEND_URL#file://}"; mkdir -p "${backend_dir%%\?*}" ;; esac # a shared backend: docs/state-backend.md
cd "$EDGE_ROOT"
exec pulumi "$@"
