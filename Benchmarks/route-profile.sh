#!/usr/bin/env bash
# Benchmarks/route-profile.sh BIN ROUTE OUT [SECS]: where one REST route's CPU goes, per request.
# ROUTE is healthz, get, post or put (the routes of ../shared/bench/rest.sh). The server runs on
# CPU 0 and wrk (32 connections) on CPU 1; `perf record -g` samples the server for SECS (5) after
# a warm-up. Writes OUT.txt (the demangled `perf script`) and OUT.reqs (requests in the sampled
# span), then prints microseconds per request by thread and library. Compare two such profiles
# (two builds, or two routes) with Benchmarks/profile-diff.py. Needs perf, wrk, swift (demangle).
set -u
BIN=$(realpath "$1"); ROUTE=$2; OUT=$3; SECS=${4:-5}
case $ROUTE in healthz | get | post | put) ;; *) echo "route-profile.sh: unknown route '$ROUTE' (healthz, get, post or put)" >&2; exit 2 ;; esac
W=$(mktemp -d)
. "$(dirname "$0")/rest-routes.sh"
trap 'kill -9 $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$W"' EXIT
route_args "$ROUTE"
metric() { curl -fs "$base/metrics" | awk '/^hb_requests\{/ {s += $NF} END {printf "%d", s}'; }
taskset -c 1 wrk -t1 -c32 -d$((SECS + 3))s "${ARGS[@]}" >"$W/wrk.out" 2>&1 & wp=$!
sleep 1.5
before=$(metric)
taskset -c 1 perf record -F 2999 -g -p $pid -o "$W/perf.data" -- sleep "$SECS" >/dev/null 2>&1
after=$(metric)
wait $wp
echo $((after - before - 1)) >"$OUT.reqs"
perf script -i "$W/perf.data" 2>/dev/null | swift demangle --simplified | sed "s#($BIN)#(multica)#" >"$OUT.txt"
echo "$ROUTE: $(cat "$OUT.reqs") requests in ${SECS}s under perf"
python3 "$(dirname "$0")/profile-diff.py" "$OUT" --by thread-library --top 12
