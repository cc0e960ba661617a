#!/usr/bin/env bash
# make demo, after synth + validate: run the charity event on the local stack
# (embedded queue and store in a fresh data dir), drive a short Vegeta load
# at it through the bundled scenario, check that every accepted donation was
# stored, and stop the stack cleanly. Everything stays on 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DEMO_DURATION:-20s}
SCALE=${DEMO_SCALE:-0.003}          # 0.003 × 33,333 rps ≈ 100 rps
DATA=.build/demo/charityevent
OUT=.build/demo/loadtest
BIN=.build/bin/campaignkit

mkdir -p .build/bin
go build -o "$BIN" ./cmd/campaignkit
rm -rf "$DATA" "$OUT" && mkdir -p "$DATA"

echo "demo: starting the charity event locally (data: $DATA)"
"$BIN" local -addr 127.0.0.1:0 -data "$DATA" charityevent > .build/demo/local.log 2>&1 &
pid=$!
stop() {
  if kill -0 "$pid" 2>/dev/null; then
    kill -INT "$pid" && wait "$pid" || true
    echo "demo: local stack stopped (log: .build/demo/local.log)"
  fi
}
trap stop EXIT
for _ in $(seq 1 100); do
  [ -f "$DATA/endpoint.json" ] && break
  kill -0 "$pid" 2>/dev/null || { cat .build/demo/local.log; exit 1; }
  sleep 0.1
done
[ -f "$DATA/endpoint.json" ] || { echo "demo: the local stack did not start"; cat .build/demo/local.log; exit 1; }
sed -n '1,8p' .build/demo/local.log

echo "demo: ${DURATION} of the charity-event scenario at scale ${SCALE}"
"$BIN" loadtest run -scenario loadtests/scenarios/charityevent.yaml -local -data-dir "$DATA" \
  -scale "$SCALE" -duration "$DURATION" -out "$OUT"
echo "demo: report $OUT/report.html, summary $OUT/summary.json"
