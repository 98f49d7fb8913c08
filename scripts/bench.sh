#!/usr/bin/env bash
# npm run bench: the set-up it needs, then the benchmark table (not part of npm test).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$EDGE_ROOT"
bash scripts/setup.sh
source scripts/env.sh # again, after the set-up
tsx bench/cli.ts     # pulumi up/preview in a project folder against the floor program (ratios)
tsx bench/full-node.ts # every per-service concern against the floor (ratios)
tsx bench/pki.ts
tsx bench/secret-store.ts
tsx bench/config-store.ts
tsx bench/databases.ts
tsx bench/gateway-nginx.ts
tsx bench/fleet.ts     # the fleet command over 1, 10 and 50 PKI-only node stacks
