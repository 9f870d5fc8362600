#!/usr/bin/env bash
# Benchmarks/connects.sh BIN [N] [PERF_OUT]: WebSocket connects per second, `multica serve` on CPU 0 and
# `multica bench fanout` (N sockets over 10 workspaces, 10 events) on CPU 1. With PERF_OUT, `perf record -g`
# of the server for the run.
BIN=$1; N=${2:-3000}; OUT=$3
W=$(mktemp -d); export MULTICA_HOME=$W MULTICA_JWT_SECRET=conn-bench-secret-0123456789abcdef0123456
. "$(dirname "$0")/serve-pinned.sh"
serve_pinned "$BIN" "$W/log" --db "$W/r.db" --log-level error || exit 1
tok=$($BIN token mint --user bench --ttl 2h -q)
[ -n "$OUT" ] && { taskset -c 1 perf record -g -F 2999 -o $OUT -p $pid >/dev/null 2>&1 & ppid=$!; sleep 0.3; }
taskset -c 1 $BIN bench fanout --server $base --token $tok --server-pid $pid --connections $N --workspaces 10 --events 10 --json 2>$W/err | python3 -c 'import sys,json; d=json.load(sys.stdin); print("connects/s %.0f connect_s %.2f delivered %s loss %s" % (d["connects_per_second"], d["connect_seconds"], d.get("delivered"), d.get("loss")))' || { cat $W/err; echo "--- server log"; tail -20 $W/log; }
[ -n "$OUT" ] && { kill -INT $ppid; sleep 1.5; }
kill -9 $pid
