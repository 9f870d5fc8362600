#!/usr/bin/env bash
# Benchmarks/route-cpu.sh BIN [SECS]: server CPU per request (perf stat task-clock) for the four routes of
# ../shared/bench/rest.sh, server on CPU 0 and wrk on CPU 1. Less noisy than requests/s on a shared VM.
BIN=$1; SECS=${2:-4}
W=$(mktemp -d); export MULTICA_HOME=$W MULTICA_JWT_SECRET=rest-bench-secret-0123456789abcdef012345
port=$((20000 + RANDOM % 20000)); base=http://127.0.0.1:$port
taskset -c 0 $BIN serve --listen 127.0.0.1:$port --db $W/r.db --log-level error > $W/log 2>&1 & pid=$!
for i in $(seq 50); do curl -fs "$base/healthz" >/dev/null 2>&1 && break; sleep 0.2; done
tok=$($BIN token mint --user bench --ttl 2h -q)
ws=$(curl -fs -X POST "$base/api/workspaces" -H "Authorization: Bearer $tok" -H 'Content-Type: application/json' -d '{"name":"Rest","slug":"rest"}' | python3 -c 'import sys,json; print(json.load(sys.stdin)["id"])')
iss=$(curl -fs -X POST "$base/api/issues" -H "Authorization: Bearer $tok" -H 'Content-Type: application/json' -d "{\"title\":\"bench\",\"workspace_id\":\"$ws\"}" | python3 -c 'import sys,json; print(json.load(sys.stdin)["id"])')
pad=$(printf 'x%.0s' $(seq 200))
printf 'wrk.headers["Authorization"] = "Bearer %s"\n' "$tok" > $W/auth.lua
cat > $W/post.lua <<EOL
wrk.method = "POST"
wrk.body = '{"type":"deploy:done","workspace_id":"$ws","payload":{"v":1,"pad":"$pad"}}'
wrk.headers["Authorization"] = "Bearer $tok"
wrk.headers["Content-Type"] = "application/json"
EOL
cat >"$W/update.lua" <<EOL
local n = 0
request = function()
  n = n + 1
  return wrk.format("PUT", nil, {["Authorization"] = "Bearer $tok", ["Content-Type"] = "application/json"}, '{"title":"bench ' .. n .. '"}')
end
EOL
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
one healthz $base/healthz
one get -s $W/auth.lua "$base/api/issues?workspace_id=$ws"
one post -s $W/post.lua $base/api/events
one put -s $W/update.lua $base/api/issues/$iss
kill -9 $pid
