#!/usr/bin/env bash
# npm run rotate -- <certificates|tokens|passwords|all> [SERVICE] --stack STACK [pulumi flags]
#
# Raises one rotation generation in the stack's config (edge-security:rotation..., see docs/rotation.md) and
# shows the preview of what `up` will then do. It changes nothing on the node: review, then
#   npm run pulumi -- up --stack STACK
# The raised counter stays in the stack's config: if `up` stops half way, the next `up` finishes the rotation.
# Running this twice raises the counter twice (still one rotation per `up`).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

usage() { echo "usage: npm run rotate -- <certificates|tokens|passwords|all> [SERVICE] --stack STACK [pulumi flags]" >&2; exit 2; }
[ $# -ge 1 ] || usage
kind=$1; shift
service=""
if [ $# -ge 1 ] && [[ $1 != -* ]]; then service=$1; shift; fi
case " $* " in *" --stack "* | *" -s "* | *" --stack="*) ;; *) echo "rotate: --stack is required (rotation is per node stack)" >&2; exit 2 ;; esac

# Node-wide counters are plural (rotation.tokens), a service's singular (rotation.services["svc"].token).
if [ -n "$service" ]; then
  case "$kind" in certificates) field=certificate ;; tokens) field=token ;; passwords) field=password ;; all) field=all ;; *) usage ;; esac
  path="edge-security:rotation.services[\"$service\"].$field"
else
  case "$kind" in certificates | tokens | passwords | all) path="edge-security:rotation.$kind" ;; *) usage ;; esac
fi

if [[ " $* " == *" --stack local "* ]] && [ -z "${PULUMI_CONFIG_PASSPHRASE:-}${PULUMI_CONFIG_PASSPHRASE_FILE:-}" ]; then
  export PULUMI_CONFIG_PASSPHRASE="$EDGE_DEMO_PASSPHRASE"
fi
cd "$EDGE_ROOT"
current=$(pulumi config get --path "$path" "$@" 2>/dev/null || echo 0)
[[ $current =~ ^[0-9]+$ ]] || { echo "rotate: $path is \"$current\", not a whole number" >&2; exit 1; }
next=$((current + 1))
pulumi config set --path "$path" "$next" "$@"
echo "rotate: $path $current -> $next; the preview below is what \`npm run pulumi -- up $*\` will do" >&2
pulumi preview --diff "$@"
