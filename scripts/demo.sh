#!/usr/bin/env bash
# npm run demo [-- eii-node|edgex]: set-up, the stack's local servers (each waits for its readiness file), `up` of the
# demo stack, then its outputs. npm run demo:down [-- eii-node|edgex]: destroy it, then stop its servers.
#   local     (default) the EdgeX-style node: PKI + secret store (OpenBao) + databases (the PostgreSQL at the
#             stack's address, 127.0.0.1:5432, or a private cluster in .demo/postgres when none answers there; its
#             port is then written to stacks/Pulumi.local.yaml; FerretDB)        secrets in /run/edge-security-demo
#   eii-node  the EII-style node: PKI + config store (etcd), layout eii3; then EII's ConfigMgr library (configmgr-probe)
#             starts each service from its env file                              secrets in /run/edge-security-eii
#   edgex     the EdgeX 4 layout (docs/edgex.md): PKI + secret store in EdgeX's shape (its own OpenBao on
#             127.0.0.1:8210, data in .demo/edgex), PostgreSQL as for local, the token recovery service on
#             127.0.0.1:59843, then real EdgeX services where built (scripts/edgex/demo-services.sh)
#                                                                                 secrets in /run/edge-security-edgex
# Server data lives in .demo/ (it survives down/up, like a node's disk); the secret store's custody file is in
# /var/lib/edge-security-demo/custody. The demo passphrase is for demos only (see README).
# Each server's pid and log: .demo/servers/<server>/ (scripts/servers/lib.sh).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$EDGE_ROOT"
export PULUMI_CONFIG_PASSPHRASE="${PULUMI_CONFIG_PASSPHRASE:-$EDGE_DEMO_PASSPHRASE}"
stack="${2:-local}"
case "$stack" in
  local)
    # The NGINX gateway (and its auth service) fronts two small demo services.
    servers=(openbao ferretdb nginx gateway-auth demo-upstreams)
    export EDGE_SECRETS_ROOT=/run/edge-security-demo/secrets
    # FerretDB's admin password is the one the stack holds (a secret in stacks/Pulumi.local.yaml).
    export EDGE_FERRETDB_STATE_DIR="$EDGE_ROOT/.demo/ferretdb" EDGE_FERRETDB_ADMIN_PASSWORD_FILE="$EDGE_ROOT/.demo/ferretdb-admin-password"
    # A private PostgreSQL (scripts/servers/postgres.sh) when none answers at the stack's address.
    export EDGE_POSTGRES_STATE_DIR="$EDGE_ROOT/.demo/postgres"
    ;;
  eii-node)
    servers=(etcd)
    export EDGE_SECRETS_ROOT=/run/edge-security-eii/secrets
    export EDGE_ETCD_DATA_DIR="$EDGE_ROOT/.demo/etcd" # where earlier demos kept it
    ;;
  edgex)
    # The token recovery service (EdgeX's security-secretstore-setup :59843) waits for the settings file `up` writes.
    servers=(openbao token-recovery mosquitto nginx gateway-auth)
    export EDGE_SECRETS_ROOT=/run/edge-security-edgex/secrets
    # Its own store beside the local demo's (which has 8200).
    export EDGE_SERVER_STATE_DIR="$EDGE_ROOT/.demo/edgex" EDGE_OPENBAO_PORT=8210 EDGE_MOSQUITTO_PORT=8893
    # PostgreSQL as for the local demo: the one at the stack's address, or the same private cluster.
    export EDGE_POSTGRES_STATE_DIR="$EDGE_ROOT/.demo/postgres"
    ;;
  *) echo "demo.sh: unknown demo stack $stack (local, eii-node or edgex)" >&2; exit 2 ;;
esac
case "${1:-up}" in
  up)
    bash scripts/setup.sh
    source scripts/env.sh # again, after the set-up
    # A demo stack's first run: create it in the local backend (its file holds the demo passphrase's salt).
    bash scripts/pulumi.sh stack select --create "$stack" --secrets-provider passphrase >/dev/null
    if [ "$stack" = local ]; then
      mkdir -p "$EDGE_FERRETDB_STATE_DIR"
      (umask 077; bash scripts/pulumi.sh config get --path --stack local 'edge-security:databases.mongo.adminPassword' >"$EDGE_FERRETDB_ADMIN_PASSWORD_FILE")
    fi
    if [ "$stack" = local ] || [ "$stack" = edgex ]; then
      # The demo's PostgreSQL: the one at the stack's address if it answers, else a private cluster of its own.
      pg_host=$(bash scripts/pulumi.sh config get --path --stack "$stack" edge-security:databases.postgres.host 2>/dev/null || echo 127.0.0.1)
      pg_port=$(bash scripts/pulumi.sh config get --path --stack "$stack" edge-security:databases.postgres.port 2>/dev/null || echo 5432)
      if [ -f "$EDGE_POSTGRES_STATE_DIR/data/PG_VERSION" ] || ! pg_isready -q -h "$pg_host" -p "$pg_port" -t 5; then
        bash scripts/servers/postgres.sh start
        port=$(bash scripts/servers/postgres.sh port)
        [ "$pg_port" = "$port" ] || bash scripts/pulumi.sh config set --path --stack "$stack" edge-security:databases.postgres.port "$port" --type int
      fi
    fi
    bash scripts/servers.sh start "${servers[@]}"
    bash scripts/pulumi.sh up --stack "$stack" --yes --skip-preview --suppress-outputs
    bash scripts/pulumi.sh stack output --stack "$stack" --json
    if [ "$stack" = local ]; then tsx scripts/demo-gateway.ts "$stack" "$EDGE_ROOT/.demo/gateway-auth-header"; fi
    # EII's own ConfigMgr library starts each service from what the stack wrote (its env file only).
    if [ "$stack" = eii-node ]; then bash scripts/eii/probe-services.sh "$EDGE_SECRETS_ROOT"; fi
    # Unmodified EdgeX services (where tools/edgex is built) on the node, and a curl command each answers.
    if [ "$stack" = edgex ]; then EDGE_DEMO_ROUTE=core-keeper tsx scripts/demo-gateway.ts "$stack" "$EDGE_SERVER_STATE_DIR/gateway-auth-header"; fi
    if [ "$stack" = edgex ]; then bash scripts/edgex/demo-services.sh start "$EDGE_SECRETS_ROOT" "$EDGE_OPENBAO_PORT" "$(bash scripts/pulumi.sh config get --path --stack edgex edge-security:databases.postgres.host)" "$(bash scripts/pulumi.sh config get --path --stack edgex edge-security:databases.postgres.port)"; fi
    ;;
  down)
    if [ "$stack" = edgex ]; then bash scripts/edgex/demo-services.sh stop; fi
    bash scripts/pulumi.sh destroy --stack "$stack" --yes --skip-preview
    bash scripts/servers.sh stop "${servers[@]}"
    # The private cluster is shared by the local and edgex demos: stopped by whichever goes down last.
    if [ "$stack" = local ] || [ "$stack" = edgex ]; then
      other=$([ "$stack" = local ] && echo edgex || echo local)
      if ! bash scripts/pulumi.sh stack output --stack "$other" --json 2>/dev/null | grep -q '"services"'; then bash scripts/servers/postgres.sh stop; fi
    fi
    ;;
  *) echo "usage: demo.sh up|down [local|eii-node|edgex]" >&2; exit 2 ;;
esac
