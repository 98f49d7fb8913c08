#!/usr/bin/env bash
# The EdgeX demo's real EdgeX services (npm run demo -- edgex): unmodified EdgeX 4 binaries from tools/edgex
# (scripts/edgex/build.sh), started with security on against the demo node, with nothing but what the stack wrote in
# each service's folder (token file, ca.pem) and settings EdgeX reads from its environment; then a curl command
# that answers from the real service with its own JWT. Where the binaries are not built, it says so and does nothing.
#
#   demo-services.sh start|stop <secrets-root> <store-port> <pg-host> <pg-port>     (start: services' pids and logs in
#                                                                                    $EDGE_SERVER_STATE_DIR/edgex-services)
# Each connects to the node's broker (127.0.0.1:$EDGE_MOSQUITTO_PORT, TLS) with the message-bus secret, as compose's
# MESSAGEBUS_* settings say (edgexBusEnv in components/layouts/edgex4.ts). The token
# recovery service (scripts/servers/token-recovery.sh) is EdgeX's security-secretstore-setup :59843 for them.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../env.sh"
bin="${EDGE_EDGEX_BIN:-$EDGE_ROOT/tools/edgex}"
dir="${EDGE_SERVER_STATE_DIR:-$EDGE_ROOT/.demo}/edgex-services"
# service key -> port (EdgeX's own)
declare -A PORTS=([core-keeper]=59890 [core-metadata]=59881 [core-data]=59880)
cmd="${1:-}"; secrets_root="${2:-}"; store_port="${3:-8210}"; pg_host="${4:-127.0.0.1}"; pg_port="${5:-5432}"

start_one() {
  local svc=$1 port=${PORTS[$1]} log="$dir/$1.log" args=()
  if [ -f "$dir/$svc.pid" ] && kill -0 "$(cat "$dir/$svc.pid")" 2>/dev/null; then echo "edgex $svc: already running"; return 0; fi
  # Its own working folder with a fresh copy of its res/ (core-metadata reads ./res/uom.yaml).
  rm -rf "$dir/$svc" && mkdir -p "$dir/$svc" && cp -r "$bin/$svc.res" "$dir/$svc/res"
  [ "$svc" = core-keeper ] || args=(-cc "$bin/common-configuration.yaml")
  : >"$log"
  (
    cd "$dir/$svc"
    EDGEX_SECURITY_SECRET_STORE=true SECRETSTORE_HOST=127.0.0.1 SECRETSTORE_PORT="$store_port" SECRETSTORE_PROTOCOL=https \
      SECRETSTORE_ROOTCACERTPATH="$secrets_root/$svc/ca.pem" SECRETSTORE_TOKENFILE="$secrets_root/$svc/secrets-token.json" \
      SECRETSTORE_SERVERNAME=edgex-secret-store CLIENTS_SECURITY_SECRETSTORE_SETUP_HOST=127.0.0.1 \
      DATABASE_HOST="$pg_host" DATABASE_PORT="$pg_port" SERVICE_HOST=127.0.0.1 SERVICE_PORT="$port" CLIENTS_CORE_METADATA_HOST=127.0.0.1 \
      MESSAGEBUS_TYPE=mqtt MESSAGEBUS_PROTOCOL=tls MESSAGEBUS_HOST=127.0.0.1 MESSAGEBUS_PORT="${EDGE_MOSQUITTO_PORT:-8883}" \
      MESSAGEBUS_AUTHMODE=usernamepassword MESSAGEBUS_SECRETNAME=message-bus \
      EDGEX_STARTUP_DURATION=120 exec setsid "$bin/$svc" -cd "$dir/$svc/res" "${args[@]}"
  ) >>"$log" 2>&1 </dev/null &
  echo $! >"$dir/$svc.pid"
  for _ in $(seq 1 600); do
    grep -q "Service started in:" "$log" && { echo "edgex $svc: running (pid $(cat "$dir/$svc.pid")) on 127.0.0.1:$port; log $log"; return 0; }
    kill -0 "$(cat "$dir/$svc.pid")" 2>/dev/null || break
    sleep 0.2
  done
  echo "edgex $svc: did not start; the end of $log:" >&2
  tail -n 5 "$log" >&2
  return 1
}

case "$cmd" in
  start)
    [ -n "$secrets_root" ] || { echo "usage: demo-services.sh start <secrets-root> <store-port> <pg-host> <pg-port>" >&2; exit 2; }
    if [ ! -x "$bin/core-keeper" ]; then echo "edgex: $bin/core-keeper is not built (scripts/edgex/build.sh needs ../shared/edgex): no EdgeX services in this demo"; exit 0; fi
    mkdir -p "$dir" && chmod 0700 "$dir"
    # core-metadata before core-data (core-data fills its device cache from it at start).
    for svc in core-keeper core-metadata core-data; do start_one "$svc" || true; done
    echo
    echo "# core-keeper's authenticated API, with core-keeper's own JWT (its token file is readable by root only):"
    echo "curl -s -H \"Authorization: Bearer \$(curl -s --cacert $secrets_root/ca.pem -H \"X-Vault-Token: \$(jq -r .auth.client_token $secrets_root/core-keeper/secrets-token.json)\" https://127.0.0.1:$store_port/v1/identity/oidc/token/core-keeper | jq -r .data.token)\" http://127.0.0.1:59890/api/v3/registry/all | jq '.statusCode, (.registrations | length)'"
    echo "curl -s -o /dev/null -w '%{http_code}\n' http://127.0.0.1:59890/api/v3/registry/all     # 401 without a JWT"
    header="${EDGE_SERVER_STATE_DIR:-$EDGE_ROOT/.demo}/gateway-auth-header"
    if [ -f "$header" ]; then
      echo
      echo "# Through the gateway (https://127.0.0.1:8453), as the stack's user operator (its JWT in $header):"
      echo "curl -s -w ' %{http_code}\n' --cacert $secrets_root/ca.pem -H @$header https://127.0.0.1:8453/core-keeper/api/v3/registry/all"
      echo "curl -s -w ' %{http_code}\n' --cacert $secrets_root/ca.pem -H @$header https://127.0.0.1:8453/core-data/api/v3/event/count"
      echo "curl -s -w ' %{http_code}\n' --cacert $secrets_root/ca.pem -H @$header https://127.0.0.1:8453/core-metadata/api/v3/deviceprofile/all"
      echo "curl -s -o /dev/null -w '%{http_code}\n' --cacert $secrets_root/ca.pem https://127.0.0.1:8453/core-metadata/api/v3/deviceprofile/all     # 401 without a token"
    fi
    ;;
  stop)
    for svc in "${!PORTS[@]}"; do
      if [ -f "$dir/$svc.pid" ] && kill -0 "$(cat "$dir/$svc.pid")" 2>/dev/null; then
        pid=$(cat "$dir/$svc.pid"); kill "$pid"; timeout 30 tail --pid="$pid" -f /dev/null || kill -9 "$pid" 2>/dev/null || true
        echo "edgex $svc: stopped"
      fi
      rm -f "$dir/$svc.pid"
    done
    ;;
  *) echo "usage: demo-services.sh start|stop <secrets-root> <store-port> <pg-host> <pg-port>" >&2; exit 2 ;;
esac
