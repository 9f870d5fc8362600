#!/usr/bin/env bash
# Two `multica serve` nodes on one throw-away PostgreSQL cluster (issue 9):
#
#   Benchmarks/nodes.sh [BIN]        # BIN: a release multica (default .build/release/multica)
#
# 1. single-event publishes per second through both nodes at once: two `bench fanout`
#    runs, each subscribing on one node and publishing pipelined WS frames (one event,
#    one unit of work each) through the other;
# 2. batched appends per second: `--via http`, 100 events per request, through node B;
# 3. publish→receive latency across nodes at 100 events/s, N=100 sockets on A,
#    publishing through B.
# Needs PostgreSQL's server binaries (Debian `postgresql`); as root, the cluster runs as
# the `postgres` user through runuser. Prints one JSON object per run, then a table.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:-.build/release/multica}
BIN=$(readlink -f "$BIN")
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
WORK=$(mktemp -d /tmp/multica-nodes.XXXXXX)
chmod 755 "$WORK"
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$WORK/pg"; [ "$(id -u)" = 0 ] && chown postgres "$WORK/pg"
as_pg "$PGBIN/initdb" -D "$WORK/pg/data" -U multica --auth=trust -E UTF8 --locale=C >/dev/null
as_pg "$PGBIN/pg_ctl" -D "$WORK/pg/data" -l "$WORK/pg/log" -w -o "-p $PORT -k $WORK/pg -c listen_addresses=127.0.0.1 -c max_connections=100" start >/dev/null
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    as_pg "$PGBIN/pg_ctl" -D "$WORK/pg/data" -m fast -w stop >/dev/null 2>&1 || true
    rm -rf "$WORK"
}
trap cleanup EXIT
as_pg "$PGBIN/createdb" -h 127.0.0.1 -p "$PORT" -U multica multica
export MULTICA_DATABASE_URL="postgres://multica:x@127.0.0.1:$PORT/multica"
export MULTICA_HOME="$WORK/home"
export MULTICA_JWT_SECRET
MULTICA_JWT_SECRET=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
ulimit -n 65536 2>/dev/null || true

start_node() {  # $1 port
    "$BIN" serve --listen "127.0.0.1:$1" --log-level warning 2>"$WORK/node-$1.log" &
    PIDS+=($!)
    for _ in $(seq 1 200); do curl -fs "http://127.0.0.1:$1/readyz" >/dev/null 2>&1 && return; sleep 0.05; done
    echo "node on $1 did not start: $(cat "$WORK/node-$1.log")" >&2; exit 1
}
A=18481 B=18482
start_node $A; start_node $B

bench() { "$BIN" bench fanout --json "$@"; }
echo "1/3 single-event publishes through both nodes at once…" >&2
bench --server http://127.0.0.1:$A --publish-server http://127.0.0.1:$B --connections 20 --workspaces 10 --events 30000 >"$WORK/s1.json" &
P1=$!
bench --server http://127.0.0.1:$B --publish-server http://127.0.0.1:$A --connections 20 --workspaces 10 --events 30000 >"$WORK/s2.json" &
P2=$!
wait $P1 $P2
echo "2/3 batched appends through node B…" >&2
bench --server http://127.0.0.1:$A --publish-server http://127.0.0.1:$B --via http --connections 10 --workspaces 10 --events 200000 >"$WORK/batch.json"
echo "3/3 latency across nodes at 100 events/s, N=100…" >&2
bench --server http://127.0.0.1:$A --publish-server http://127.0.0.1:$B --connections 100 --workspaces 1 --events 2000 --rate 100 >"$WORK/paced.json"

python3 - "$WORK" <<'PY'
import json, sys, os
w = sys.argv[1]
r = {k: json.load(open(os.path.join(w, k + ".json"))) for k in ("s1", "s2", "batch", "paced")}
for k, v in r.items(): print(k, json.dumps(v))
rate = lambda v: v["published"] / v["publish_seconds"]
print()
print("| run | result |")
print("|---|---|")
print(f"| single-event publishes, both nodes at once | {rate(r['s1']) + rate(r['s2']):,.0f} events/s total ({rate(r['s1']):,.0f} + {rate(r['s2']):,.0f}), lost {r['s1']['lost'] + r['s2']['lost']} |")
print(f"| batched (100/request) through one node | {rate(r['batch']):,.0f} events/s, lost {r['batch']['lost']} |")
p = r["paced"]
print(f"| publish→receive across nodes, 100/s, N=100 | p50 {p['latency_p50_ms']:.2f} ms, p99 {p['latency_p99_ms']:.2f} ms, max {p['latency_max_ms']:.2f} ms, lost {p['lost']} |")
PY
