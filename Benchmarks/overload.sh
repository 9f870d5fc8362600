#!/usr/bin/env bash
# Benchmarks/overload.sh BIN [N] [K] [CONNS] [extra serve args...]: issue 10's overload case, one event per POST,
# CONNS keep-alive publishers, N subscribers, server on CPU 0, generator on CPU 1. Prints the JSON line.
# SAMPLE=1 also samples the summed Recv-Q/Send-Q of the server and client sockets (ss) every 0.5 s.
set -u
BIN=$(realpath "$1"); N=${2:-1000}; K=${3:-3000}; C=${4:-128}; shift 4 2>/dev/null || shift $#
here=${SHARED_BENCH:-$(cd "$(dirname "$0")/../../shared/bench" && pwd)}
V=$HOME/.cache/multica-bench-venv; PY=$V/bin/python
W=$(mktemp -d); OUT=$W/o.jsonl
ulimit -n 65536 2>/dev/null || true
export MULTICA_HOME=$W MULTICA_JWT_SECRET=compare-secret-0123456789abcdef0123456789
. "$(dirname "$0")/serve-pinned.sh"
serve_pinned "$BIN" "$W/serve.log" --db "$W/p.db" --log-level error "$@" || exit 1
mpid=$pid mport=$port
trap 'kill $mpid 2>/dev/null; wait 2>/dev/null' EXIT
tok=$("$BIN" token mint --user bench --ttl 2h -q)
ws=$(curl -fs -X POST "$base/api/workspaces" -H "Authorization: Bearer $tok" -H 'Content-Type: application/json' \
     -d '{"name":"Bench","slug":"bench-o"}' | python3 -c 'import sys,json; print(json.load(sys.stdin)["id"])')
if [ -n "${SAMPLE:-}" ]; then (while kill -0 $mpid 2>/dev/null; do ss -tnH state established "( sport = :$mport )" | awk -v t=srv '{r+=$1;s+=$2;n++} END{printf "%s n=%d recvq=%d sendq=%d  ", t,n,r,s}'; ss -tnH state established "( dport = :$mport )" | awk '{r+=$1;s+=$2;n++} END{printf "cli n=%d recvq=%d sendq=%d\n",n,r,s}'; sleep 0.5; done) > $W/ss.log 2>&1 & fi
SUB="ws://127.0.0.1:$mport/ws?token=$tok&workspace_id={room}"
$PY $here/wsfanout_bench.py --sub-cpus 1 --pub-cpu 1 --sub-url "$SUB" --pub "$base/api/events" --pub-header "Authorization: Bearer $tok" \
  --pub-body '{"type":"issue:updated","workspace_id":"{room}","payload":{event}}' \
  --room-ids "$ws" --rooms 1 --server-pid $mpid --json $OUT -n $N -k $K --http-conns $C --lat-sample 10 --label overload >/dev/null 2>$W/gen.err
python3 - "$OUT" <<'PY'
import json,sys
for l in open(sys.argv[1]):
    r=json.loads(l)
    print(json.dumps({k:r.get(k) for k in ("delivered","loss","lat_ms_p50","lat_ms_p90","lat_ms_p99","lat_ms_max","server_cpu_s","span_s","events_per_s","deliv_per_s","gen_sub_cpu_s","gen_pub_cpu_s") if k in r} | {"us_per_msg": round(r["server_cpu_s"]/max(1,r["delivered"])*1e6,3)}))
PY
[ -n "${SAMPLE:-}" ] && cat $W/ss.log
curl -fs $base/metrics 2>/dev/null | grep -E "^multica_(slow|delivery|replay)" | head
