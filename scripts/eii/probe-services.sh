#!/usr/bin/env bash
# Runs EII's ConfigMgr library (tools/eii/bin/configmgr-probe, built by scripts/eii/build.sh) for every service of
# an EII-layout stack, each with ONLY its env file (<secrets root>/<App>/configmgr.env, as compose's env_file
# would give it), and prints one line per service: what the library read, or its error.
#
#   probe-services.sh <secrets root>          exit: 0 when every service initialized, 1 otherwise
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../env.sh"
root="${1:?usage: probe-services.sh <secrets root>}"
probe="$EDGE_TOOLS/eii/bin/configmgr-probe"
if [ ! -x "$probe" ]; then echo "eii: $probe is missing (scripts/eii/build.sh builds it from ../shared/eii)" >&2; exit 1; fi
failed=0 found=0
for env_file in "$root"/*/configmgr.env; do
  [ -e "$env_file" ] || continue
  found=$((found + 1))
  app=$(basename "$(dirname "$env_file")")
  # Nothing of this shell's environment but PATH: the env file's KEY=VALUE lines only (no spaces or quotes in them).
  # EII's library aborts on its own double free in about 1 start in 11 of a publisher with an AllowedClients list
  # (docs/config-store.md, "EII's double free"); EII's compose restarts such a service, and so does this, up to 8 times.
  starts=0
  while :; do
    starts=$((starts + 1))
    rc=0; out=$(env -i PATH="$PATH" bash -c 'set -a; source "$1"; set +a; exec "$2"' probe "$env_file" "$probe" 2>&1) || rc=$?
    if [ "$rc" = 134 ] && grep -q 'double free detected' <<<"$out" && [ "$starts" -lt 8 ]; then sleep 0.2; continue; fi
    break
  done
  restarted=""; if [ "$starts" -gt 1 ]; then restarted=" (started $starts times: EII's library aborted on its double free)"; fi
  if [ "$rc" = 0 ]; then
    interfaces=$(grep -c '^--- ' <<<"$out" || true)
    keys=$(grep -c '^curve_keys: FILLED' <<<"$out" || true)
    echo "eii: $app: ConfigMgr initialized ($(grep '^dev_mode:' <<<"$out")); config and interfaces read; $interfaces interface(s), CURVE keys filled in $keys$restarted"
  else
    failed=1
    echo "eii: $app: ConfigMgr FAILED: $(grep -v '^\s*$' <<<"$out" | tail -n 2 | tr '\n' ' ')"
  fi
done
if [ "$found" = 0 ]; then echo "eii: no configmgr.env under $root (is the stack's layout eii3?)" >&2; exit 1; fi
exit "$failed"
