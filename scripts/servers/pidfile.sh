# Sourced by the gateway's server scripts: the pid-file handling and readiness wait they share (set `name`,
# `pidfile` and, for the wait, `wait_seconds` first).
running() { [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; }

# Stops the server (TERM, then KILL after 10 s) and forgets its pid.
stop_server() {
  if running; then
    local pid
    pid=$(cat "$pidfile")
    kill "$pid"
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    if kill -0 "$pid" 2>/dev/null; then kill -9 "$pid"; fi
    echo "$name: stopped"
  else
    echo "$name: not running"
  fi
  rm -f "$pidfile"
}

# Waits until every named file exists (the readiness file the node stack writes last, and the server's own
# configuration), at most `wait_seconds`; then returns, or fails naming the first file (for the server's log).
wait_for_files() {
  local waited=0
  while true; do
    local missing=""
    for f in "$@"; do [ -f "$f" ] || { missing=$f; break; }; done
    [ -z "$missing" ] && return 0
    if [ "$waited" -ge "$wait_seconds" ]; then echo "$name: $missing did not appear within ${wait_seconds}s" >&2; return 1; fi
    sleep 1; waited=$((waited + 1))
  done
}
