# Sourced by every server script in this folder, so that they all have one shape:
#
#   <server>.sh start | stop | status
#
# The script sets `name` (its server's name, e.g. openbao) and sources this file, which sets from the environment:
#   state_dir     the server's folder: EDGE_<NAME>_STATE_DIR, else $EDGE_SERVER_STATE_DIR/<name>
#                 (EDGE_SERVER_STATE_DIR defaults to <project>/.demo/servers)
#   data_dir      $state_dir/data          the server's data
#   pid_file      $state_dir/pid
#   log_file      $state_dir/server.log
#   wait_seconds  EDGE_SERVER_WAIT_SECONDS (600): the bound of every wait below
# The script then sets `port` (the loopback port(s) it serves, when it knows them) and `ready_files` (what must
# exist before the server starts: its service's readiness file, which the node stack writes last, and its
# configuration), defines `start` (which ends with `launch <command...>`), and calls `server_main "$@"`.

: "${name:?the server script sets name before sourcing lib.sh}"
source "$(dirname "${BASH_SOURCE[0]}")/../env.sh"

upper_name=$(tr 'a-z-' 'A-Z_' <<<"$name")
state_override="EDGE_${upper_name}_STATE_DIR"
state_dir="${!state_override:-${EDGE_SERVER_STATE_DIR:-$EDGE_ROOT/.demo/servers}/$name}"
data_dir="$state_dir/data"
pid_file="$state_dir/pid"
log_file="$state_dir/server.log"
wait_seconds="${EDGE_SERVER_WAIT_SECONDS:-600}"
port=""
ready_files=()

running() { [ -f "$pid_file" ] && kill -0 "$(head -n1 "$pid_file")" 2>/dev/null; }

# The first of the files that does not exist yet (none: returns 1).
first_missing() {
  local f
  for f in "$@"; do [ -f "$f" ] || { echo "$f"; return 0; }; done
  return 1
}

# Waits until every named file exists, at most `wait_seconds`; fails naming the first missing file.
wait_for_files() {
  local deadline=$((SECONDS + wait_seconds)) missing
  while missing=$(first_missing "$@"); do
    if [ "$SECONDS" -ge "$deadline" ]; then echo "$name: $missing did not appear within ${wait_seconds}s" >&2; return 1; fi
    sleep 0.5
  done
}

# Waits until the server accepts TCP connections on every port in `port` (127.0.0.1), at most `wait_seconds`.
# Fails at once, with the end of its log, when the process ends first (a bad configuration, a port in use).
wait_for_port() {
  local deadline=$((SECONDS + wait_seconds)) p
  for p in $port; do
    until (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; do
      if ! running; then
        echo "$name: exited before it accepted connections on 127.0.0.1:$p; the end of $log_file:" >&2
        tail -n 5 "$log_file" >&2 || true
        return 1
      fi
      if [ "$SECONDS" -ge "$deadline" ]; then echo "$name: 127.0.0.1:$p did not accept connections within ${wait_seconds}s (log $log_file)" >&2; return 1; fi
      sleep 0.2
    done
  done
}

# The one readiness wait of `start`: a server whose readiness files are not there yet starts later, by itself
# (the background process waits for them, as a container would), so `start` returns at once; otherwise (a
# restart, or a server without a readiness file) `start` returns once the server accepts connections.
wait_ready() {
  local missing
  if missing=$(first_missing "${ready_files[@]}"); then
    echo "$name: started (pid $(cat "$pid_file")), waiting for $missing; log $log_file"
  elif [ -n "$port" ]; then
    wait_for_port || return 1
    echo "$name: running (pid $(cat "$pid_file")) on 127.0.0.1:${port// /, 127.0.0.1:}; log $log_file"
  else
    echo "$name: running (pid $(cat "$pid_file")); log $log_file"
  fi
}

# launch <command...>: runs the command in the background, in a session of its own (a closed terminal or its
# Ctrl-C does not stop it), once the readiness files exist; records its pid (the same process throughout: the
# waiting shell execs the server); then waits as `wait_ready` says.
launch() {
  local p
  # A port someone else serves would pass the wait below for a server that could not bind it.
  for p in $port; do
    if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$name: 127.0.0.1:$p is already in use by another process" >&2; return 1; fi
  done
  mkdir -p "$state_dir"
  chmod 0700 "$state_dir"
  (
    wait_for_files "${ready_files[@]}" || exit 1
    exec setsid "$@"
  ) >>"$log_file" 2>&1 </dev/null &
  echo $! >"$pid_file"
  wait_ready
}

# TERM, a bounded wait for the process to end (tail --pid returns when it is gone), then KILL; forgets the pid.
stop_server() {
  if running; then
    local pid
    pid=$(head -n1 "$pid_file")
    kill "$pid"
    timeout 30 tail --pid="$pid" -f /dev/null || { echo "$name: pid $pid did not stop within 30s; sending KILL" >&2; kill -9 "$pid" 2>/dev/null || true; }
    echo "$name: stopped"
  else
    echo "$name: not running"
  fi
  rm -f "$pid_file"
}

server_status() {
  local missing
  if ! running; then echo "$name: not running"; return 3; fi
  if missing=$(first_missing "${ready_files[@]}"); then
    echo "$name: waiting for $missing (pid $(head -n1 "$pid_file"))"
  else
    echo "$name: running (pid $(head -n1 "$pid_file"))${port:+ on 127.0.0.1:${port// /, 127.0.0.1:}}"
  fi
}

# Dispatches the subcommand; `start` says "already running" rather than starting a second server. A script may
# define `stop` (to tidy up after stop_server) and `extra_command` (other subcommands, e.g. postgres.sh port).
server_main() {
  case "${1:-}" in
    start)
      if running; then echo "$name: already running (pid $(head -n1 "$pid_file"))"; return 0; fi
      start
      ;;
    stop) if declare -F stop >/dev/null; then stop; else stop_server; fi ;;
    status) server_status ;;
    *)
      if declare -F extra_command >/dev/null && extra_command "$@"; then return 0; fi
      echo "usage: $name.sh start|stop|status${extra_usage:-} (settings: see the top of the script)" >&2
      return 2
      ;;
  esac
}
