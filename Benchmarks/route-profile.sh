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
W=$(mktemp -d); export MULTICA_HOME=$W MULTICA_JWT_SECRET=rest-bench-secret-0123456789abcdef012345
port=$((20000 + RANDOM % 20000)); base=http://127.0.0.1:$port
taskset -c 0 "$BIN" serve --listen 127.0.0.1:$port --db "$W/r.db" --log-level error >"$W/log" 2>&1 & pid=$!
trap 'kill -9 $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$W"' EXIT
for i in $(seq 50); do curl -fs "$base/healthz" >/dev/null 2>&1 && break; sleep 0.2; done
tok=$("$BIN" token mint --user bench --ttl 2h -q)
ws=$(curl -fs -X POST "$base/api/workspaces" -H "Authorization: Bearer $tok" -H 'Content-Type: application/json' \
  -d '{"name":"Rest","slug":"rest"}' | python3 -c 'import sys,json; print(json.load(sys.stdin)["id"])')
iss=$(curl -fs -X POST "$base/api/issues" -H "Authorization: Bearer $tok" -H 'Content-Type: application/json' \
  -d "{\"title\":\"bench\",\"workspace_id\":\"$ws\"}" | python3 -c 'import sys,json; print(json.load(sys.stdin)["id"])')
pad=$(printf 'x%.0s' $(seq 200))
printf 'wrk.headers["Authorization"] = "Bearer %s"\n' "$tok" >"$W/get.lua"
cat >"$W/post.lua" <<EOL
wrk.method = "POST"
wrk.body = '{"type":"deploy:done","workspace_id":"$ws","payload":{"v":1,"pad":"$pad"}}'
wrk.headers["Authorization"] = "Bearer $tok"
wrk.headers["Content-Type"] = "application/json"
EOL
cat >"$W/put.lua" <<EOL
local n = 0
request = function()
  n = n + 1
  return wrk.format("PUT", nil, {["Authorization"] = "Bearer $tok", ["Content-Type"] = "application/json"}, '{"title":"bench ' .. n .. '"}')
end
EOL
case $ROUTE in
  healthz) args=("$base/healthz") ;;
  get) args=(-s "$W/get.lua" "$base/api/issues?workspace_id=$ws") ;;
  post) args=(-s "$W/post.lua" "$base/api/events") ;;
  put) args=(-s "$W/put.lua" "$base/api/issues/$iss") ;;
esac
metric() { curl -fs "$base/metrics" | awk '/^hb_requests\{/ {s += $NF} END {printf "%d", s}'; }
taskset -c 1 wrk -t1 -c32 -d$((SECS + 3))s "${args[@]}" >"$W/wrk.out" 2>&1 & wp=$!
sleep 1.5
before=$(metric)
taskset -c 1 perf record -F 2999 -g -p $pid -o "$W/perf.data" -- sleep "$SECS" >/dev/null 2>&1
after=$(metric)
wait $wp
echo $((after - before - 1)) >"$OUT.reqs"
perf script -i "$W/perf.data" 2>/dev/null | swift demangle --simplified | sed "s#($BIN)#(multica)#" >"$OUT.txt"
echo "$ROUTE: $(cat "$OUT.reqs") requests in ${SECS}s under perf"
python3 "$(dirname "$0")/profile-diff.py" "$OUT" --by thread-library --top 12
