# Sourced by route-cpu.sh and route-profile.sh: starts `$BIN serve` on CPU 0 against a fresh database
# in a temporary $W, with one workspace ($ws) and one issue ($iss) owned by a minted token ($tok), and
# writes wrk scripts for the routes of ../shared/bench/rest.sh. `route_args ROUTE` sets the array
# ARGS to wrk's arguments for healthz, get, post or put. The caller kills $pid when done.
export MULTICA_HOME=$W MULTICA_JWT_SECRET=rest-bench-secret-0123456789abcdef012345
. "$(dirname "${BASH_SOURCE[0]}")/serve-pinned.sh"
serve_pinned "$BIN" "$W/log" --db "$W/r.db" --log-level error || exit 1
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
route_args() {
  case $1 in
    healthz) ARGS=("$base/healthz") ;;
    get) ARGS=(-s "$W/get.lua" "$base/api/issues?workspace_id=$ws") ;;
    post) ARGS=(-s "$W/post.lua" "$base/api/events") ;;
    put) ARGS=(-s "$W/put.lua" "$base/api/issues/$iss") ;;
  esac
}
