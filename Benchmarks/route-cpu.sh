#!/usr/bin/env bash
# Benchmarks/route-cpu.sh BIN [SECS]: server CPU per request (perf stat task-clock) for the four routes of
# ../shared/bench/rest.sh, server on CPU 0 and wrk on CPU 1. Less noisy than requests/s on a shared VM.
BIN=$1; SECS=${2:-4}
W=$(mktemp -d)
. "$(dirname "$0")/rest-routes.sh"
one() { # name, wrk args
  local name=$1; shift
  taskset -c 1 perf stat -x, -e task-clock -p $pid -o $W/stat -- sleep $SECS >/dev/null 2>&1 &
  local sp=$!
  local out=$(taskset -c 1 wrk -t1 -c32 -d${SECS}s "$@" 2>&1)
  wait $sp
  local n=$(echo "$out" | awk '/requests in/ {print $1}')
  local non=$(echo "$out" | awk '/Non-2xx/ {print $4}')
  local ms=$(awk -F, '/task-clock/ {print $1}' $W/stat)
  python3 -c "import sys; n=int(sys.argv[2]); ms=float(sys.argv[3]); print('%-12s %7.0f req/s  %6.1f us CPU/req  cpu %.2f %s' % (sys.argv[1], n/$SECS, ms*1000/n, ms/1000/$SECS, ('non2xx '+sys.argv[4]) if sys.argv[4] else ''))" "$name" "$n" "$ms" "$non"
}
taskset -c 1 wrk -t1 -c32 -d1s $base/healthz >/dev/null
for route in healthz get post put; do route_args $route; one $route "${ARGS[@]}"; done
kill -9 $pid
