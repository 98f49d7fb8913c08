#!/usr/bin/env bash
# The token recovery service (components/secret-store/token-recovery-service/server.ts): EdgeX 4's token
# regeneration endpoint (PUT /api/v3/token/entityId/<id>, EdgeX's security-secretstore-setup :59843). It listens
# where the stack's settings file says (edgex.tokenRecovery: 127.0.0.1:59843 by default) and waits for that file.
#
#   token-recovery.sh start | stop | status     (the shape of every server script: lib.sh)
# Environment: EDGE_SECRETS_ROOT (the stack's secretsRoot), EDGE_TOKEN_RECOVERY_CONFIG (default
# <EDGE_SECRETS_ROOT>/security-secretstore-setup/token-recovery.json), EDGE_TOKEN_RECOVERY_PORT (59843: the port it
# waits on), EDGE_SERVER_STATE_DIR, EDGE_SERVER_WAIT_SECONDS; its own folder EDGE_TOKEN_RECOVERY_STATE_DIR.
set -euo pipefail
name=token-recovery
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

secrets_root="${EDGE_SECRETS_ROOT:-/run/edge-security-demo/secrets}"
config="${EDGE_TOKEN_RECOVERY_CONFIG:-$secrets_root/security-secretstore-setup/token-recovery.json}"
port="${EDGE_TOKEN_RECOVERY_PORT:-59843}"
ready_files=("$config")

start() {
  # node itself (not the tsx wrapper), so signals reach the service: SIGHUP re-reads its settings.
  cd "$EDGE_ROOT"
  launch node --import tsx components/secret-store/token-recovery-service/server.ts "$config"
}

server_main "$@"
