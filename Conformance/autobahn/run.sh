#!/usr/bin/env bash
# Runs the Autobahn|Testsuite fuzzingclient against `multica serve` in echo mode
# (MULTICA_TEST_ECHO=1: same upgrade channel, frame path and socket handler; no hello,
# every message echoed) and writes docs/conformance.md.
#
# Usage: Conformance/autobahn/run.sh [--sections "1 2 3 4 5 6 7 10"] [--with-9] [--check] [--out FILE]
#   MULTICA_BIN      the multica binary (default .build/debug/multica, built if missing)
#   AUTOBAHN_VENV    the Python 2.7 virtualenv (created when missing)
#   SECTION9_TIMEOUT seconds allowed for section 9 (default 300)
# --check: exit 1 when a case FAILED that Conformance/autobahn/allowed.txt does not list.
# Without Python 2.7 it prints one line and exits 0 (exit 0 too: the caller decides).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
SECTIONS="1 2 3 4 5 6 7 10"
WITH9=0
CHECK=0
OUT="$ROOT/docs/conformance.md"
while [ $# -gt 0 ]; do
  case "$1" in
    --sections) SECTIONS="$2"; shift 2 ;;
    --with-9) WITH9=1; shift ;;
    --check) CHECK=1; shift ;;
    --out) OUT="$2"; shift 2 ;;
    *) echo "usage: $0 [--sections LIST] [--with-9] [--check] [--out FILE]" >&2; exit 2 ;;
  esac
done

PY27=""
if command -v pyenv >/dev/null 2>&1 && pyenv prefix 2.7.18 >/dev/null 2>&1; then
  PY27="$(pyenv prefix 2.7.18)/bin/python2.7"
elif command -v python2.7 >/dev/null 2>&1; then
  PY27="$(command -v python2.7)"
fi
if [ -z "$PY27" ] || [ ! -x "$PY27" ]; then
  echo "autobahn: did not run (no Python 2.7 on this machine)"
  exit 0
fi

VENV="${AUTOBAHN_VENV:-$HOME/.cache/multica/autobahn-venv}"
if [ ! -x "$VENV/bin/wstest" ]; then
  echo "autobahn: creating $VENV"
  "$PY27" -m pip install -q 'virtualenv<20.22' 2>&1 | grep -v DEPRECATION || true
  "$PY27" -m virtualenv -q "$VENV"
  "$VENV/bin/pip" install -q autobahntestsuite 2>&1 | grep -v DEPRECATION || true
fi

BIN="${MULTICA_BIN:-$ROOT/.build/debug/multica}"
if [ ! -x "$BIN" ]; then
  echo "autobahn: building $BIN"
  flock /tmp/swift-build.lock swift build --product multica
fi

WORK="$(mktemp -d /tmp/multica-autobahn.XXXXXX)"
SERVER_PID=""
cleanup() {
  if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

export MULTICA_HOME="$WORK/home"
export MULTICA_JWT_SECRET="autobahn-conformance-secret-at-least-32-bytes"
mkdir -p "$MULTICA_HOME"
PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
MULTICA_TEST_ECHO=1 "$BIN" serve --listen "127.0.0.1:$PORT" --db "$WORK/db.sqlite" --log-level warning 2>"$WORK/serve.log" &
SERVER_PID=$!
for _ in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break
  sleep 0.1
done
grep -q "ECHO MODE" "$WORK/serve.log" || { echo "autobahn: serve did not start in echo mode"; cat "$WORK/serve.log"; exit 1; }

TOKEN="$("$BIN" token mint --user autobahn -q)"
WORKSPACE="$(curl -fsS -H "Authorization: Bearer $TOKEN" -d '{"name":"autobahn"}' "http://127.0.0.1:$PORT/api/workspaces" \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')"
URL="ws://127.0.0.1:$PORT/ws?workspace_id=$WORKSPACE&token=$TOKEN"

run_suite() { # name, cases-json, timeout
  local name="$1" cases="$2" limit="$3"
  cat >"$WORK/$name.json" <<JSON
{"outdir": "$WORK/reports-$name", "servers": [{"agent": "multica", "url": "$URL"}],
 "cases": $cases, "exclude-cases": [], "exclude-agent-cases": {}}
JSON
  echo "autobahn: running $name (cases $cases, at most ${limit}s)"
  (cd "$WORK" && timeout "$limit" "$VENV/bin/wstest" -m fuzzingclient -s "$WORK/$name.json" >"$WORK/$name.log" 2>&1) \
    || echo "autobahn: $name ended with status $? (timeout or crash; partial results reported)"
}

CASES="$(python3 -c 'import sys,json; print(json.dumps([s+".*" for s in sys.argv[1:]]))' $SECTIONS)"
run_suite main "$CASES" 600
REPORTS=("$WORK/reports-main")
if [ "$WITH9" = 1 ]; then
  run_suite section9 '["9.*"]' "${SECTION9_TIMEOUT:-300}"
  REPORTS+=("$WORK/reports-section9")
fi
kill -0 "$SERVER_PID" 2>/dev/null || { echo "autobahn: the server died during the run"; cat "$WORK/serve.log"; exit 1; }

ARGS=(--out "$OUT" --allowed "$ROOT/Conformance/autobahn/allowed.txt" --sections "$SECTIONS")
[ "$WITH9" = 1 ] && ARGS+=(--section9)
[ "$CHECK" = 1 ] && ARGS+=(--check)
python3 "$ROOT/Conformance/autobahn/report.py" "${ARGS[@]}" "${REPORTS[@]}"
