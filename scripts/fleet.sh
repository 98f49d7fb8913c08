#!/usr/bin/env bash
# npm run fleet -- <preview|up|refresh> (--stacks a,b,c | --all) [--concurrency N] [--resume] [--json] [--cwd DIR] [--policy-pack DIR ...]:
# one command over many node stacks through the Automation API (docs/fleet.md). The passphrase comes from
# PULUMI_CONFIG_PASSPHRASE(_FILE): a fleet has no demo default.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
exec tsx "$EDGE_ROOT/bin/fleet.ts" "$@"
