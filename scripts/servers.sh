#!/usr/bin/env bash
# The local servers the demo and the tests use, each as on a node: started in the background, waiting for its
# service's readiness file where it uses the node PKI, listening on loopback only. Every script in servers/ has
# the same shape (servers/lib.sh): start|stop|status and the same settings.
#   servers.sh start|stop|status [server...]   servers: openbao, etcd, ferretdb, nginx, gateway-auth (the default),
#                                              postgres, demo-upstreams, token-recovery, mosquitto
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
DEFAULT=(openbao etcd ferretdb nginx gateway-auth)
KNOWN=("${DEFAULT[@]}" postgres demo-upstreams token-recovery mosquitto)
cmd="${1:-}"; shift || true
case "$cmd" in start|stop|status) ;; *) echo "usage: servers.sh start|stop|status [${KNOWN[*]}]" >&2; exit 2 ;; esac
servers=("$@"); [ ${#servers[@]} -gt 0 ] || servers=("${DEFAULT[@]}")
status=0
for s in "${servers[@]}"; do
  [[ " ${KNOWN[*]} " == *" $s "* ]] || { echo "servers.sh: unknown server $s (known: ${KNOWN[*]})" >&2; exit 2; }
  # status of a server that is not running exits 3: report every server, then fail.
  bash "$here/servers/$s.sh" "$cmd" || { rc=$?; [ "$cmd" = status ] && [ "$rc" = 3 ] && status=3 || exit "$rc"; }
done
exit "$status"
