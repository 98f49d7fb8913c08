#!/usr/bin/env bash
# The node's MQTT broker (Debian's mosquitto 2) for the demo and the tests, on loopback (and, when asked, one more
# address, for containers: EDGE_MOSQUITTO_LISTEN_ADDRESS). Like a container, it waits for
# <secrets root>/<service>/ready (the stack wrote the broker's certificate, password file and ACL: the message-bus
# concern), then runs mosquitto with no anonymous access, the stack's password file and ACL, and TLS with the
# broker's certificate from the node's PKI. `reload` (SIGHUP) makes it re-read the password file and ACL; the stack
# sends it itself after a rotation when messageBus.pidFile names this server's pid file.
#
#   mosquitto.sh start | stop | status | reload   (the shape of every server script: lib.sh)
# Settings (environment):
#   EDGE_SECRETS_ROOT              the secrets root (default /run/edge-security-demo/secrets, the demo stack's)
#   EDGE_MOSQUITTO_STATE_DIR       pid, server.log, mosquitto.conf             (<EDGE_SERVER_STATE_DIR>/mosquitto)
#   EDGE_SERVER_STATE_DIR          the parent of every server's folder         (<project>/.demo/servers)
#   EDGE_MOSQUITTO_SERVICE         the broker's service name in the stack (default mqtt-broker)
#   EDGE_MOSQUITTO_PORT            port on 127.0.0.1 (default 8883; 1883 is the system broker's)
#   EDGE_MOSQUITTO_LISTEN_ADDRESS  one more address the broker listens on, besides 127.0.0.1 (e.g. the docker
#                                  bridge's 172.17.0.1): put it in the broker service's certificate (extraSans)
#                                  and give it to the services as messageBus.host (default: none)
#   EDGE_MOSQUITTO_TLS=0           plain MQTT (still with passwords): only for clients that cannot do TLS
#   EDGE_SERVER_WAIT_SECONDS       how long to wait for the readiness file, or for the port (600)
set -euo pipefail
name=mosquitto
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

secrets_root="${EDGE_SECRETS_ROOT:-/run/edge-security-demo/secrets}"
service="${EDGE_MOSQUITTO_SERVICE:-mqtt-broker}"
port="${EDGE_MOSQUITTO_PORT:-8883}"
tls="${EDGE_MOSQUITTO_TLS:-1}"
folder="$secrets_root/$service"
ready_files=("$folder/ready" "$folder/passwd" "$folder/acl")
extra_usage="|reload"

# One listener block per address; TLS settings belong to the listener before them.
listener() {
  echo "listener $port $1"
  if [ "$tls" = 1 ]; then
    printf 'certfile %s\nkeyfile %s\ncafile %s\ntls_version tlsv1.2\n' "$folder/cert.pem" "$folder/key.pem" "$folder/ca.pem"
  fi
}

start() {
  mkdir -p "$state_dir"
  chmod 0700 "$state_dir"
  [ "$tls" = 1 ] || echo "mosquitto: EDGE_MOSQUITTO_TLS=0: passwords cross the network in the clear" >&2
  local conf="$state_dir/mosquitto.conf" extra="${EDGE_MOSQUITTO_LISTEN_ADDRESS:-}"
  {
    echo "# written by scripts/servers/mosquitto.sh"
    echo "user $(id -un)" # the server runs as whoever starts it (mosquitto would switch from root to 'mosquitto')
    echo "persistence false"
    echo "log_dest stderr"
    echo "log_type error"
    echo "log_type warning"
    echo "log_type notice"
    echo "log_type information"
    echo "connection_messages true"
    echo "per_listener_settings false"
    echo "allow_anonymous false"
    echo "password_file $folder/passwd"
    echo "acl_file $folder/acl"
    listener 127.0.0.1
    if [ -n "$extra" ] && [ "$extra" != 127.0.0.1 ]; then listener "$extra"; fi
  } >"$conf"
  chmod 0600 "$conf"
  launch mosquitto -c "$conf"
}

extra_command() {
  [ "$1" = reload ] || return 1
  if ! running; then echo "mosquitto: not running" >&2; return 3; fi
  kill -HUP "$(head -n1 "$pid_file")"
  echo "mosquitto: reloaded its password file and ACL"
}

server_main "$@"
