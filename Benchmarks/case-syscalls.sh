#!/usr/bin/env bash
# Benchmarks/case-syscalls.sh BIN CASE [N K RATE] [--record OUT]: what one compare.sh case costs the
# server in system calls, per delivered message.
#
# CASE is http (one event per POST /api/events, 4 keep-alive connections), wsp (pipelined publish
# frames on a publish-only socket) or nats (nats-server over WebSocket, the reference), each driven by
# ../shared/bench/wsfanout_bench.py with compare.sh's command line; N sockets (100), K events (1000)
# at RATE events/s (100: compare.sh's paced case; 0 = as fast as possible). The server runs on CPU 0,
# the generator on CPU 1. `perf stat` counts the server's write, writev, read and epoll calls, futex
# waits and context switches over the whole run; with --record OUT it instead samples
# the server (`perf record -g`, 2999 Hz) into OUT.txt and OUT.reqs (the deliveries), for
# Benchmarks/profile-diff.py. For multica it also prints its commits, units and loop drains (/metrics).
# Needs perf, nats-server and compare.sh's venv ($BENCH_VENV).
set -u
BIN=$(realpath "$1"); CASE=$2; shift 2
N=100; K=1000; RATE=100; RECORD=
[ $# -ge 3 ] && [ "${1#--}" = "$1" ] && { N=$1; K=$2; RATE=$3; shift 3; }
[ "${1:-}" = --record ] && { RECORD=$2; shift 2; }
case $CASE in http | wsp | nats) ;; *) echo "case-syscalls.sh: unknown case '$CASE' (http, wsp or nats)" >&2; exit 2 ;; esac
bench=$(cd "$(dirname "$0")/../../shared/bench" 2>/dev/null && pwd) || { echo "case-syscalls.sh: ../shared/bench not found" >&2; exit 2; }
PY=${BENCH_VENV:-$HOME/.cache/multica-bench-venv}/bin/python
"$PY" -c 'import picows, uvloop' 2>/dev/null || { echo "case-syscalls.sh: run ../shared/bench/compare.sh once to make its venv" >&2; exit 2; }
W=$(mktemp -d)
if [ "$CASE" = nats ]; then
  taskset -c 0 nats-server -c "$bench/nats.conf" >"$W/nats.log" 2>&1 & pid=$!
  sleep 1
else
  . "$(dirname "$0")/rest-routes.sh"
fi
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$W"' EXIT
G=("$PY" "$bench/wsfanout_bench.py" --sub-cpus 1 --pub-cpu 1 --json "$W/run.jsonl" -n "$N" -k "$K" -r "$RATE" --label "$CASE")
[ "$CASE" = nats ] || SUB="ws://127.0.0.1:$port/ws?token=$tok&workspace_id={room}"
case $CASE in
  http) "${G[@]}" --sub-url "$SUB" --pub "$base/api/events" --pub-header "Authorization: Bearer $tok" \
          --pub-body '{"type":"issue:updated","workspace_id":"{room}","payload":{event}}' \
          --room-ids "$ws" --rooms 1 --server-pid $pid >"$W/gen.log" 2>&1 & gp=$! ;;
  wsp) "${G[@]}" --sub-url "$SUB" --pub "ws://127.0.0.1:$port/ws?token=$tok&workspace_id={room}&subscribe=false" \
          --pub-frame '{"type":"publish","ref":"{seq}","event":{"type":"issue:updated","payload":{event}}}' \
          --room-ids "$ws" --rooms 1 --server-pid $pid >"$W/gen.log" 2>&1 & gp=$! ;;
  nats) "${G[@]}" --proto nats --sub-url ws://127.0.0.1:8222 --pub nats://127.0.0.1:4222 --subject 'ws.{room}' \
          --server-pid $pid >"$W/gen.log" 2>&1 & gp=$! ;;
esac
# Counted from the generator's start to its end, the sockets' connects included (a hundred
# upgrades are a few hundred calls against the run's tens of thousands of writes).
until_done=(tail --pid=$gp -f /dev/null)
if [ -n "$RECORD" ]; then
  taskset -c 1 perf record -F 2999 -g -p $pid -o "$W/perf.data" -- "${until_done[@]}" >/dev/null 2>&1
else
  events=write,writev,read,epoll_wait,futex
  taskset -c 1 perf stat -x, -o "$W/stat" -e "$(echo $events | sed 's/\([a-z_]*\)/syscalls:sys_enter_\1/g'),context-switches,task-clock" \
    -p $pid -- "${until_done[@]}" >/dev/null 2>&1
fi
wait $gp
[ -s "$W/run.jsonl" ] || { echo "case-syscalls.sh: the generator wrote no result:" >&2; tail -5 "$W/gen.log" >&2; exit 1; }
: >"$W/metrics"
[ "$CASE" = nats ] || curl -fs "$base/metrics" >"$W/metrics" 2>/dev/null
python3 - "$W/run.jsonl" "$W/stat" "$CASE" "$RECORD" "$W/metrics" <<'PY'
import json, sys
run, stat, case, record, metrics = sys.argv[1:]
r = json.loads(open(run).read().splitlines()[-1])
print(f"{case}: {r['delivered']:,} delivered, loss {r['loss']}, {r['server_cpu_s'] / max(1, r['delivered']) * 1e6:.2f} us of server CPU"
      f" per delivery, p50 {r['lat_ms_p50']:.2f} ms, p99 {r['lat_ms_p99']:.2f} ms")
# multica's own counters (setup's workspace and sockets included): how well the events were coalesced.
counts = {}
for line in open(metrics):
    parts = line.split()
    if len(parts) == 2 and parts[0] in ("multica_commits_total", "multica_units_committed_total", "multica_loop_drains_total"):
        counts[parts[0]] = float(parts[1])
if counts:
    events = max(1, r.get("events") or 1)
    print(f"  {counts.get('multica_commits_total', 0):,.0f} commits of {counts.get('multica_units_committed_total', 0):,.0f} units,"
          f" {counts.get('multica_loop_drains_total', 0):,.0f} loop drains, for {events:,} events")
span = max(1, r["delivered"])
if record:
    open(record + ".reqs", "w").write(f"{int(span)}\n")
    sys.exit(0)
print("the server, over the whole run:")
for line in open(stat):
    parts = line.strip().split(",")
    if len(parts) < 3 or not parts[0].replace(".", "").isdigit():
        continue
    value, name = float(parts[0]), parts[2].replace("syscalls:sys_enter_", "")
    if name == "task-clock":  # milliseconds of CPU
        print(f"  {name:16} {value:10,.0f} ms  {value * 1e3 / span:8.2f} us per delivery")
    else:
        print(f"  {name:16} {value:10,.0f}     {value / span:8.3f} per delivery")
PY
[ -n "$RECORD" ] && perf script -i "$W/perf.data" 2>/dev/null | swift demangle --simplified | sed "s#($BIN)#(multica)#" >"$RECORD.txt"
exit 0
