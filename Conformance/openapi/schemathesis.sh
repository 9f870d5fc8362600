#!/usr/bin/env bash
# Runs schemathesis against a live `multica serve` using the served /openapi.json:
# no 5xx, every response conforms to the schema, every error body is {"error": …}.
# Usage: Conformance/openapi/schemathesis.sh [EXAMPLES_PER_ROUTE]   (default 25)
#   MULTICA_BIN        the binary (default .build/debug/multica)
#   SCHEMATHESIS_VENV  the Python 3 virtualenv (created when missing)
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
EXAMPLES="${1:-25}"
VENV="${SCHEMATHESIS_VENV:-$HOME/.cache/multica/schemathesis-venv}"
if [ ! -x "$VENV/bin/st" ]; then
  echo "schemathesis: creating $VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q 'schemathesis>=3.39,<4' 'hypothesis<6.120'
fi
BIN="${MULTICA_BIN:-$ROOT/.build/debug/multica}"
[ -x "$BIN" ] || flock /tmp/swift-build.lock swift build --product multica

WORK="$(mktemp -d /tmp/multica-schemathesis.XXXXXX)"
SERVER_PID=""
cleanup() {
  if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT
export MULTICA_HOME="$WORK/home"
export MULTICA_JWT_SECRET="schemathesis-secret-that-is-at-least-32-bytes"
mkdir -p "$MULTICA_HOME"
PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
"$BIN" serve --listen "127.0.0.1:$PORT" --db "$WORK/db.sqlite" --log-level error 2>"$WORK/serve.log" &
SERVER_PID=$!
for _ in $(seq 1 100); do curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
BASE="http://127.0.0.1:$PORT"
TOKEN="$("$BIN" token mint --user st-user -q)"
WORKSPACE="$(curl -fsS -H "Authorization: Bearer $TOKEN" -d '{"name":"schemathesis"}' "$BASE/api/workspaces" \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')"
curl -fsS -H "Authorization: Bearer $TOKEN" -d '{"title":"seed issue"}' "$BASE/api/issues?workspace_id=$WORKSPACE" >/dev/null

cat >"$WORK/hooks.py" <<'PY'
import json
import schemathesis

@schemathesis.check
def error_body_is_json_error(response, case):
    """Every 4xx/5xx body is a JSON object with a string `error`."""
    if response.status_code >= 400:
        try:
            body = json.loads(response.text)
        except ValueError:
            raise AssertionError("error body is not JSON: %r" % response.text[:200])
        if not (isinstance(body, dict) and isinstance(body.get("error"), str)):
            raise AssertionError("error body is not {\"error\": ...}: %r" % response.text[:200])
PY
export SCHEMATHESIS_HOOKS="hooks"
export PYTHONPATH="$WORK"
set +e
"$VENV/bin/st" run "$BASE/openapi.json" --base-url "$BASE" \
  -H "Authorization: Bearer $TOKEN" -H "X-Workspace-ID: $WORKSPACE" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,error_body_is_json_error \
  --hypothesis-max-examples "$EXAMPLES" --hypothesis-derandomize --experimental=openapi-3.1 \
  --exclude-path /ws --exclude-path /metrics --exclude-path /openapi.json \
  --request-timeout 10000 --workers 1 --no-color >"$WORK/st.log" 2>&1
rc=$?
set -e
sed -n "/FAILURES/,\$p" "$WORK/st.log" | head -80; grep -a -E "passed|failed|errored" "$WORK/st.log" | tail -12
kill -0 "$SERVER_PID" 2>/dev/null || { echo "schemathesis: the server died"; tail -20 "$WORK/serve.log"; exit 1; }
exit $rc
