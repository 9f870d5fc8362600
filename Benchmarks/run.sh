#!/usr/bin/env bash
# Runs the benchmarks and regenerates docs/benchmarks.md: first ../shared/bench's compare.sh and
# rest.sh (the workloads users have, against nats-server, redis and the framework's floor), then
# issue 10's overload case and connect rate, then the fan-out scenarios of issue 5.
#
#   Benchmarks/run.sh            # from anywhere in the repository; about 15-20 minutes
#
# Builds release (scratch path .build-release, so a debug .build stays warm), then for
# each scenario starts a fresh server pinned to CPU 0 and runs `multica bench fanout
# --json` pinned to CPU 1 (on a 1-CPU machine both share CPU 0). Needs bash, taskset
# (util-linux) and python3 (to write the table). Raw JSON is kept in $RESULTS
# (default: a temporary directory, printed at the end).
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)
SCRATCH=${SCRATCH:-$ROOT/.build-release}
RESULTS=${RESULTS:-$(mktemp -d /tmp/multica-bench.XXXXXX)}
PAYLOAD=200
mkdir -p "$RESULTS"

echo "building release (scratch path $SCRATCH)…" >&2
swift build -c release --scratch-path "$SCRATCH" --product multica >&2
swift build -c release --scratch-path "$SCRATCH" --product multica-floor >&2
BIN=$(swift build -c release --scratch-path "$SCRATCH" --show-bin-path)

CPUS=$(nproc)
if [ "$CPUS" -ge 2 ]; then SERVER_CPU=0; BENCH_CPU=1; else SERVER_CPU=0; BENCH_CPU=0; fi
HARD=$(ulimit -Hn)
if [ "$HARD" = unlimited ] || [ "$HARD" -gt 65536 ]; then ulimit -n 65536; else ulimit -n "$HARD"; fi
export MULTICA_JWT_SECRET
MULTICA_JWT_SECRET=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')

SERVER_PID=""
SERVER_URL=""
WORK=$(mktemp -d /tmp/multica-bench-work.XXXXXX)
stop_server() {
    if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill "$SERVER_PID" 2>/dev/null || true
        for _ in $(seq 1 100); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.05; done
        kill -9 "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    SERVER_PID=""
}
cleanup() { stop_server; rm -rf "$WORK"; }
trap cleanup EXIT

# start_server multica|floor: starts it pinned to $SERVER_CPU on a free port; sets
# SERVER_PID and SERVER_URL from its "listening on http://…" line.
start_server() {
    local kind=$1 log="$WORK/$1.log"
    rm -rf "$WORK/db" && mkdir -p "$WORK/db"
    : > "$log"
    if [ "$kind" = multica ]; then
        MULTICA_HOME="$WORK/db" taskset -c "$SERVER_CPU" "$BIN/multica" serve --listen 127.0.0.1:0 \
            --db "$WORK/db/bench.db" --log-level warning 2>"$log" &
    else
        taskset -c "$SERVER_CPU" "$BIN/multica-floor" --listen 127.0.0.1:0 2>"$log" &
    fi
    SERVER_PID=$!
    for _ in $(seq 1 600); do
        SERVER_URL=$(grep -o 'listening on http://[0-9.:]*' "$log" | head -1 | sed 's/listening on //') || true
        [ -n "$SERVER_URL" ] && return 0
        kill -0 "$SERVER_PID" 2>/dev/null || { cat "$log" >&2; echo "$kind exited" >&2; exit 1; }
        sleep 0.05
    done
    echo "$kind did not start" >&2
    exit 1
}

# scenario NAME KIND ARGS…: one bench run against a fresh server, JSON to $RESULTS/NAME.json.
scenario() {
    local name=$1 kind=$2
    shift 2
    start_server "$kind"
    echo "[$name] $kind $*" >&2
    if ! taskset -c "$BENCH_CPU" "$BIN/multica" bench fanout --server "$SERVER_URL" --server-pid "$SERVER_PID" \
        --payload-bytes "$PAYLOAD" --json "$@" > "$RESULTS/$name.json"; then
        echo "[$name] bench reported a failure (kept in $RESULTS/$name.json)" >&2
    fi
    stop_server
}

# The neutral yardsticks of ../shared/bench first: the workloads users have, against nats-server
# and redis (compare.sh) and against the framework's own floor (rest.sh), each in one run.
SHARED=${SHARED:-$ROOT/../shared/bench}
if [ -x "$SHARED/compare.sh" ]; then
    echo "[compare] ../shared/bench/compare.sh (${COMPARE_ROUNDS:-2} rounds)" >&2
    bash "$SHARED/compare.sh" "$BIN/multica" "${COMPARE_ROUNDS:-2}" > "$RESULTS/compare.md" 2>&1 || true
    echo "[rest] ../shared/bench/rest.sh" >&2
    bash "$SHARED/rest.sh" "$BIN/multica" 5 > "$RESULTS/rest.md" 2>&1 || true
else
    echo "no $SHARED/compare.sh: skipping the shared yardsticks" >&2
fi
# Issue 10's overload case over 20,000 events (the steady state) and 3,000 (where the start weighs),
# then the connect rate, three runs (it is the noisiest figure here). Both need compare.sh's venv.
if [ -x "$SHARED/compare.sh" ]; then
    for k in 20000 3000; do
        echo "[overload] Benchmarks/overload.sh 1000 $k 128" >&2
        SHARED_BENCH=$SHARED bash "$ROOT/Benchmarks/overload.sh" "$BIN/multica" 1000 "$k" 128 \
            > "$RESULTS/overload-$k.json" 2>&1 || true
    done
fi
: > "$RESULTS/connects.txt"
for _ in 1 2 3; do
    echo "[connects] Benchmarks/connects.sh 3000" >&2
    bash "$ROOT/Benchmarks/connects.sh" "$BIN/multica" 3000 >> "$RESULTS/connects.txt" 2>&1 || true
done

scenario a multica --connections 100 --workspaces 1 --events 10000
scenario a-batch multica --connections 100 --workspaces 1 --events 10000 --via http
scenario b multica --connections 1000 --workspaces 1 --events 1000
scenario c multica --connections 1000 --workspaces 10 --events 10000
scenario d1 multica --connections 100 --workspaces 1 --events 1000 --rate 100
scenario d2 multica --connections 1000 --workspaces 1 --events 200 --rate 20
scenario e multica --connections 10000 --workspaces 10 --events 10
scenario ga floor --connections 100 --workspaces 1 --events 10000
scenario gb floor --connections 1000 --workspaces 1 --events 1000
scenario gc floor --connections 1000 --workspaces 10 --events 10000
echo "[f] event-log append" >&2
(cd "$WORK" && taskset -c "$SERVER_CPU" "$BIN/multica" bench fanout --append-only --events 200000 \
    --payload-bytes "$PAYLOAD" --json > "$RESULTS/f.json")

MODEL=$(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //' || echo unknown)
python3 "$ROOT/Benchmarks/report.py" "$RESULTS" "$CPUS" "$MODEL" "$(date -u '+%Y-%m-%d %H:%M UTC')" \
    "$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)" > "$ROOT/docs/benchmarks.md"
echo "wrote docs/benchmarks.md (raw JSON in $RESULTS)" >&2
