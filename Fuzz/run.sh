#!/usr/bin/env bash
# Builds the libFuzzer targets (ASan + libFuzzer) and runs each for SECONDS.
# Usage: Fuzz/run.sh [SECONDS] [TARGET...]   (default 30 s, every target)
# Each target starts from its seed corpus (Fuzz/Corpus/TARGET, in the repository) and
# the regression inputs (Fuzz/Crashes/TARGET: every crash found, kept). New corpus
# entries go to a temporary directory, not the repository. Exits 1 on any crash, leak
# or hang (libFuzzer -timeout per input), printing the reproducer's path.
set -euo pipefail
cd "$(dirname "$0")"
SECONDS_PER_TARGET="${1:-30}"
shift || true
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(FuzzJSON FuzzToken FuzzWebSocket FuzzRequestBody FuzzCLI)

mkdir -p .deps
ln -sfn ../.. .deps/multica
echo "fuzz: building ${TARGETS[*]}"
flock /tmp/swift-build.lock swift build -c debug -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library \
  --build-path .build 2>&1 | grep -E "error|warning: .*Fuzz/Sources|Compiling Fuzz|Build complete" || true
BIN="$(swift build -c debug --build-path .build --show-bin-path)"

WORK="$(mktemp -d /tmp/multica-fuzz.XXXXXX)"
trap 'rm -rf "$WORK"' EXIT
status=0
for target in "${TARGETS[@]}"; do
  [ -x "$BIN/$target" ] || { echo "fuzz: $target was not built"; status=1; continue; }
  mkdir -p "$WORK/$target" "Crashes/$target" "Corpus/$target"
  # Regression inputs first: each must run clean.
  if ls "Crashes/$target"/* >/dev/null 2>&1; then
    if ! "$BIN/$target" -runs=0 "Crashes/$target"/* >"$WORK/$target.regress.log" 2>&1; then
      echo "fuzz: $target fails a kept regression input"; tail -20 "$WORK/$target.regress.log"; status=1; continue
    fi
  fi
  set +e
  "$BIN/$target" "$WORK/$target" "Corpus/$target" "Crashes/$target" \
    -max_total_time="$SECONDS_PER_TARGET" -timeout=10 -rss_limit_mb=2048 -max_len=8192 \
    -artifact_prefix="Crashes/$target/" -print_final_stats=1 >"$WORK/$target.log" 2>&1
  rc=$?
  set -e
  runs="$(grep -E '^stat::number_of_executed_units' "$WORK/$target.log" | awk '{print $2}')"
  cov="$(grep -oE 'cov: [0-9]+' "$WORK/$target.log" | tail -1 | awk '{print $2}')"
  if [ $rc -ne 0 ]; then
    echo "fuzz: $target FAILED after ${runs:-?} executions (exit $rc):"
    grep -E "ERROR|SUMMARY|Test unit written|Deadly signal|leak" "$WORK/$target.log" | head -10
    status=1
  else
    echo "fuzz: $target ok: ${runs:-?} executions in ${SECONDS_PER_TARGET}s, coverage ${cov:-?}"
  fi
done
exit $status
