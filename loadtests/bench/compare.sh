#!/usr/bin/env bash
# compare.sh — maximum sustained rate of campaignkit's runner vs the plain
# `vegeta attack` CLI (and optionally Artillery) against the same bare
# net/http target on 127.0.0.1.
#
# A rate is sustained when, over DURATION: p99 < 10 ms, 100% success and
# achieved ≥ 95% of the asked rate (open-loop generators that fall behind
# hide latency: coordinated omission). Rates are stepped up and the tools
# interleaved at each step so they share the machine's noise.
#
#   loadtests/bench/compare.sh                 # defaults below
#   RATES="2000 4000 8000" DURATION=10s loadtests/bench/compare.sh
#   ARTILLERY=/tmp/art/node_modules/.bin/artillery loadtests/bench/compare.sh
#
# Only 127.0.0.1 is attacked; every attack takes the machine-wide load-test
# lock ($TMPDIR/campaignkit-loadtest.lock) so only one runs at a time.
set -euo pipefail
cd "$(dirname "$0")/../.."
RATES=${RATES:-"500 1000 2000 4000 6000 8000 10000 12000 14000 16000 20000"}
DURATION=${DURATION:-10s}
P99_MS=${P99_MS:-10}
REPEAT=${REPEAT:-1}   # runs per tool and step; a step passes on a majority
WORK=${WORK:-$(mktemp -d /tmp/lt-bench.XXXXXX)}
LOCK=${TMPDIR:-/tmp}/campaignkit-loadtest.lock
VEGETA=${VEGETA:-$WORK/vegeta}

echo "building into $WORK" >&2
go build -o "$WORK/campaignkit" ./cmd/campaignkit
go build -o "$WORK/target" ./loadtests/bench/target
if [ ! -x "$VEGETA" ]; then
  # The module's go.sum lacks vegeta CLI-only deps (prometheus/protobuf), so
  # build the CLI in a scratch module pinned to this module's versions.
  mkdir -p "$WORK/vegmain"
  sed 's#^module .*#module vegmain#' go.mod | grep -v '^tool ' > "$WORK/vegmain/go.mod"
  cp go.sum "$WORK/vegmain/"
  (cd "$WORK/vegmain" && GOFLAGS=-mod=mod GOPROXY=off GOSUMDB=off go build -o "$VEGETA" github.com/tsenart/vegeta/v12)
fi

"$WORK/target" -addr 127.0.0.1:0 > "$WORK/url" &
TPID=$!
trap 'kill $TPID 2>/dev/null || true' EXIT
for _ in $(seq 50); do [ -s "$WORK/url" ] && break; sleep 0.1; done
URL=$(cat "$WORK/url")
echo "target $URL" >&2
secs=${DURATION%s}

# ours RATE → "p99_ms success achieved"
ours() {
  cat > "$WORK/bench.yaml" <<YAML
name: bench
users: {peakConcurrentUsers: $1, thinkTime: 1s}
duration: $DURATION
requests: [{name: get, weight: 1, method: GET, path: /}]
YAML
  "$WORK/campaignkit" loadtest run -scenario "$WORK/bench.yaml" -quiet -no-reconcile -out "$WORK/ours-$1" "$URL" >/dev/null 2>&1 || true
  jq -r '"\(.latencies.p99Ns/1e6) \(.success) \(.achievedRate)"' "$WORK/ours-$1/summary.json"
}

vegeta_cli() {
  echo "GET $URL/" | flock -w 600 "$LOCK" "$VEGETA" attack -rate="$1" -duration="$DURATION" -max-body=0 > "$WORK/vegeta-$1.gob"
  "$VEGETA" report -type=json "$WORK/vegeta-$1.gob" |
    jq -r --argjson d "$secs" '"\(.latencies["99th"]/1e6) \(.success) \(.requests/$d)"'
}

artillery_run() {
  cat > "$WORK/art.yml" <<YAML
config:
  target: "$URL"
  phases: [{duration: $secs, arrivalRate: $1}]
scenarios: [{flow: [{get: {url: "/"}}]}]
YAML
  flock -w 600 "$LOCK" "$ARTILLERY" run -q -o "$WORK/art-$1.json" "$WORK/art.yml" >/dev/null 2>&1 || true
  jq -r --argjson d "$secs" '.aggregate as $a | "\($a.summaries["http.response_time"].p99 // 1e9) \((($a.counters["http.codes.200"] // 0) / (($a.counters["vusers.created"] // 1)))) \((($a.counters["http.requests"] // 0))/$d)"' "$WORK/art-$1.json"
}

ok() { # p99 success achieved rate
  awk -v p="$1" -v s="$2" -v a="$3" -v r="$4" -v lim="$P99_MS" 'BEGIN{exit !(p < lim && s >= 1 && a >= 0.95*r)}'
}

# A tool drops out after two failed steps in a row (one failure can be
# machine noise on a shared host).
declare -A best=([ours]=0 [vegeta]=0 [artillery]=0)
declare -A fails=([ours]=0 [vegeta]=0 [artillery]=0)
[ -n "${ARTILLERY:-}" ] || fails[artillery]=2
printf "%-10s %8s %10s %9s %10s %s\n" tool rate p99_ms success achieved verdict
for r in $RATES; do
  declare -A passes=([ours]=0 [vegeta]=0 [artillery]=0)
  for ((k = 1; k <= REPEAT; k++)); do
    for tool in ours vegeta artillery; do
      [ "${fails[$tool]}" -lt 2 ] || continue
      case $tool in
        ours) read -r p s a < <(ours "$r") ;;
        vegeta) read -r p s a < <(vegeta_cli "$r") ;;
        artillery) read -r p s a < <(artillery_run "$r") ;;
      esac
      if ok "$p" "$s" "$a" "$r"; then v=ok; passes[$tool]=$((passes[$tool] + 1)); else v=miss; fi
      printf "%-10s %8s %10.2f %9.4f %10.1f %s\n" "$tool" "$r" "$p" "$s" "$a" "$v"
    done
  done
  for tool in ours vegeta artillery; do
    [ "${fails[$tool]}" -lt 2 ] || continue
    if [ $((2 * passes[$tool])) -gt "$REPEAT" ]; then best[$tool]=$r; fails[$tool]=0; echo "  $tool sustains $r rps (${passes[$tool]}/$REPEAT)"
    else fails[$tool]=$((fails[$tool] + 1)); echo "  $tool does not sustain $r rps (${passes[$tool]}/$REPEAT)"; fi
  done
  [ "${fails[ours]}${fails[vegeta]}${fails[artillery]}" = 222 ] && break
done
echo
echo "max sustained rate (p99 < ${P99_MS} ms, 100% success, ≥95% of asked; highest passing step), ${DURATION} per step:"
echo "  campaignkit runner: ${best[ours]} rps"
echo "  vegeta attack CLI:  ${best[vegeta]} rps"
awk -v o="${best[ours]}" -v v="${best[vegeta]}" 'BEGIN{ if (v > 0) printf "  ratio ours/vegeta: %.2f (goal ≥ 0.9)\n", o/v }'
if [ -n "${ARTILLERY:-}" ]; then
  echo "  artillery:          ${best[artillery]} rps"
  awk -v o="${best[ours]}" -v a="${best[artillery]}" 'BEGIN{ if (a > 0) printf "  ratio ours/artillery: %.1f\n", o/a }'
fi
