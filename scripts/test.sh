#!/usr/bin/env bash
# npm test: the set-up it needs (idempotent, cached), then every test: unit (mocks, plain clients) and
# integration (the real Pulumi CLI, real files, checked with openssl).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$EDGE_ROOT"
bash scripts/setup.sh
source scripts/env.sh # again, after the set-up
tsc -p tsconfig.json
exec vitest run "$@"
