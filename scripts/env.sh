# Sourced by the other scripts: the project's tool PATH and Pulumi settings. Nothing here downloads anything.
EDGE_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export EDGE_ROOT
export EDGE_TOOLS="$EDGE_ROOT/tools"
export PATH="$EDGE_TOOLS/bin:$EDGE_ROOT/node_modules/.bin:$PATH"
# Pulumi: no update check, no plugin download, state and plugins kept inside the project.
export PULUMI_SKIP_UPDATE_CHECK=true
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
export PULUMI_HOME="${PULUMI_HOME:-$EDGE_TOOLS/pulumi-home}"
# ?metadata=skip: no fileblob `.attrs` sidecars, which are rewritten in place and left empty (the stack then
# unreadable, "failed to load checkpoint: EOF") by a CLI killed at the wrong moment (docs/operations.md#recovery).
export PULUMI_BACKEND_URL="${PULUMI_BACKEND_URL:-file://$EDGE_ROOT/.state?metadata=skip}"
# A shared backend's settings, unless set (the runners apply the same rule: sharedBackendCliEnv in
# components/fleet/state-backend.ts): checkpoints compressed by the CLI with zstd; for postgres, stacks listed one
# read at a time (with the default 10, Pulumi's postgres backend deadlocks listing stacks on <6 cores).
case "$PULUMI_BACKEND_URL" in
  postgres*|s3*)
    if [ -z "${PULUMI_DIY_BACKEND_ZSTD:-}${PULUMI_DIY_BACKEND_GZIP:-}${PULUMI_SELF_MANAGED_STATE_GZIP:-}" ]; then export PULUMI_DIY_BACKEND_ZSTD=true; fi ;;
esac
case "$PULUMI_BACKEND_URL" in postgres*) export PULUMI_DIY_BACKEND_PARALLEL="${PULUMI_DIY_BACKEND_PARALLEL:-1}" ;; esac
# No NODE_OPTIONS: the CLI needs none. Pulumi.yaml gives the program tsx (`nodeargs`) and names the project's
# dynamic-provider host (`plugins.providers`), which loads tsx itself; vitest loads it for the tests
# (vitest.config.ts), the runner for its CLI (bin/automation.ts).
# Go builds (scripts/go/*/build.sh set these too): only the module proxy is reachable; the go.sum files in
# scripts/go pin every module.
export GOTOOLCHAIN=local
export GOSUMDB=off
export GOFLAGS=-mod=readonly # the committed go.sum is the pin: a missing or different entry fails the build
# The demo stack's passphrase. Demo use only: a real node sets PULUMI_CONFIG_PASSPHRASE(_FILE) itself.
EDGE_DEMO_PASSPHRASE="edge-security-demo-only"
