#!/usr/bin/env bash
# The local servers the demo and the tests use, each as on a node: started in the background, waiting for its
# service's readiness file where it uses the node PKI, listening on loopback only.
#   servers.sh start|stop [server...]            servers: openbao, etcd, ferretdb, nginx, gateway-auth (default: all)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ALL=(openbao etcd ferretdb nginx gateway-auth)
cmd="${1:-}"; shift || true
case "$cmd" in start|stop) ;; *) echo "usage: servers.sh start|stop [${ALL[*]}]" >&2; exit 2 ;; esac
servers=("$@"); [ ${#servers[@]} -gt 0 ] || servers=("${ALL[@]}")
for s in "${servers[@]}"; do
  [ -f "$here/servers/$s.sh" ] || { echo "servers.sh: unknown server $s (known: ${ALL[*]})" >&2; exit 2; }
  bash "$here/servers/$s.sh" "$cmd"
done
