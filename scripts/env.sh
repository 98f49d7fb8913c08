# Sourced by the other scripts: the project's tool PATH and Pulumi settings. Nothing here downloads anything.
EDGE_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export EDGE_ROOT
export EDGE_TOOLS="$EDGE_ROOT/tools"
export PATH="$EDGE_TOOLS/bin:$EDGE_ROOT/node_modules/.bin:$PATH"
# Pulumi: no update check, no plugin download, state and plugins kept inside the project.
export PULUMI_SKIP_UPDATE_CHECK=true
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
export PULUMI_HOME="${PULUMI_HOME:-$EDGE_TOOLS/pulumi-home}"
export PULUMI_BACKEND_URL="${PULUMI_BACKEND_URL:-file://$EDGE_ROOT/.state}"
case "$PULUMI_BACKEND_URL" in postgres*) export PULUMI_DIY_BACKEND_PARALLEL="${PULUMI_DIY_BACKEND_PARALLEL:-1}" ;; esac # below 10: Pulumi's postgres backend deadlocks listing stacks on <6 cores (docs/state-backend.md)
# Every Node process the CLI starts (the program, the dynamic-provider host) loads tsx: the program and the
# clients the providers require are TypeScript, with no build step. Only once npm has installed it: before the
# first set-up a --require of a missing file would stop every node process, the set-up's own included (scripts
# that run the set-up source this file again afterwards).
# Another checkout's tsx (a shell that sourced a second copy of this project) is dropped first: two tsx copies,
# each with its own esbuild, answer every esbuild call twice and every TypeScript load fails with esbuild's
# "Internal error: Expected id 1 but got id 0" (seen here; cypress-io/cypress#34076 is the same collision).
if [ -f "$EDGE_ROOT/node_modules/tsx/dist/cjs/index.cjs" ]; then
  edge_node_options=""
  for edge_word in ${NODE_OPTIONS:-}; do
    case "$edge_word" in */node_modules/tsx/dist/cjs/index.cjs) edge_node_options="${edge_node_options% --require}" ;;
      *) edge_node_options="$edge_node_options $edge_word" ;; esac
  done
  export NODE_OPTIONS="${edge_node_options# } --require $EDGE_ROOT/node_modules/tsx/dist/cjs/index.cjs"
  export NODE_OPTIONS="${NODE_OPTIONS# }"
  unset edge_node_options edge_word
fi
# Go builds (scripts/go/*/build.sh set these too): only the module proxy is reachable; the go.sum files in
# scripts/go pin every module.
export GOTOOLCHAIN=local
export GOSUMDB=off
export GOFLAGS=-mod=readonly # the committed go.sum is the pin: a missing or different entry fails the build
# The demo stack's passphrase. Demo use only: a real node sets PULUMI_CONFIG_PASSPHRASE(_FILE) itself.
EDGE_DEMO_PASSPHRASE="edge-security-demo-only"
