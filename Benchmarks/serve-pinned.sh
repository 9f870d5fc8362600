# Sourced by the benchmark scripts: `serve_pinned BIN LOG [serve args...]` starts `BIN serve` on CPU 0
# on a port the kernel picks (--listen 127.0.0.1:0, so no two runs collide on a random port), its output
# in LOG, and waits until it listens. Sets pid, port and base (http://127.0.0.1:PORT); returns 1, with
# the log's tail on stderr, when it does not listen within 10 s.
serve_pinned() {
  local bin=$1 log=$2; shift 2
  taskset -c 0 "$bin" serve --listen 127.0.0.1:0 "$@" >"$log" 2>&1 & pid=$!
  port=
  for _ in $(seq 100); do
    port=$(sed -n 's#.*listening on http://127\.0\.0\.1:\([0-9][0-9]*\).*#\1#p' "$log" | head -1)
    [ -n "$port" ] && break
    kill -0 $pid 2>/dev/null || break
    sleep 0.1
  done
  [ -n "$port" ] || { echo "serve did not listen:" >&2; tail -5 "$log" >&2; return 1; }
  base=http://127.0.0.1:$port
}
