# Sourced by the gateway's server scripts: the pid-file handling they share (set `name` and `pidfile` first).
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
