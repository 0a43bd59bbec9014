#!/usr/bin/env bash
# The whole performance run behind `make bench`: microbenchmarks, the memory benchmark, and, when
# ../shared/bench is present, tandem side by side with Kamailio under the same SIPp load (CPU per
# call, CPU per digest-authenticated REGISTER, highest call rate with < 0.1% failed). Prints every
# figure next to its target and the Kamailio figure of the same run, and writes docs/performance.md.
#
# usage: bench/run.sh [BUILD]          BUILD: build folder with tandem and bench/*_bench (default build)
# environment:
#   BENCH_QUICK=1      fewer calls, rounds and rate steps, shorter microbenchmarks (~8 min, not ~25)
#   BENCH_SHARED=DIR   the shared scripts (default: <parent of the repo>/shared/bench)
#   BENCH_NO_SIDE=1    skip the Kamailio comparisons (microbenchmarks and memory only)
#   BENCH_DOC=FILE     where to write the report (default docs/performance.md)
set -uo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(cd "${1:-build}" && pwd) || { echo "no build folder ${1:-build}" >&2; exit 2; }
QUICK=${BENCH_QUICK:-0}
SHARED=${BENCH_SHARED:-$(dirname "$REPO")/shared/bench}
DOC=${BENCH_DOC:-$REPO/docs/performance.md}
WORK=$(mktemp -d /tmp/tandem-bench.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
INFO=$WORK/info.txt
note() { echo "note=$*" >>"$INFO"; echo "note: $*"; }
cmd() { echo "cmd=$*" >>"$INFO"; }

if [ "$QUICK" = 1 ]; then
  MODE=quick MIN_TIME=0.2
  CALL_RATE=800 CALLS=4000 CALL_ROUNDS=1
  REG_RATE=1500 REGS=5000 REG_ROUNDS=1
  RATES="1000 2000 3000 4000" STEP_SECONDS=3 STEP_MIN_CALLS=2000
else
  MODE=full MIN_TIME=0.5
  CALL_RATE=800 CALLS=8000 CALL_ROUNDS=3
  REG_RATE=1500 REGS=10000 REG_ROUNDS=2
  RATES="500 1000 1500 2000 3000 4000" STEP_SECONDS=6 STEP_MIN_CALLS=2000
fi

{
  echo "mode=$MODE"
  echo "date=$(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "nproc=$(nproc)"
  echo "cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
  echo "kernel=$(uname -r)"
  echo "load=$(cut -d' ' -f1-3 /proc/loadavg)"
  echo "tandem_rev=$(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo unknown)$(
    git -C "$REPO" diff --quiet HEAD 2>/dev/null || echo ' (with uncommitted changes)')"
  echo "kamailio=$(kamailio -v 2>/dev/null | sed -n 's/^version: kamailio \([^ ]*\).*/\1/p' | head -1)"
  echo "sipp=$(sipp -v 2>/dev/null | grep -o 'v[0-9][0-9.]*' | head -1)"
  echo "call_rate=$CALL_RATE"
  echo "reg_rate=$REG_RATE"
} >"$INFO"
echo "== tandem bench ($MODE mode), build $BUILD"
sed -n 's/^\(date\|nproc\|cpu\|kernel\|load\)=/  \1: /p' "$INFO"

# ---- microbenchmarks
for name in sip_bench edge_bench digest_bench txn_bench; do
  b=$BUILD/bench/$name
  if [ ! -x "$b" ]; then note "$name not built in $BUILD (configure with -DTANDEM_BENCH=ON)"; continue; fi
  echo "== $name"
  "$b" --benchmark_min_time="$MIN_TIME" --benchmark_out="$WORK/$name.json" \
       --benchmark_out_format=json
  cmd "$b --benchmark_min_time=$MIN_TIME"
done

# ---- memory
if [ -x "$BUILD/bench/memory_bench" ]; then
  echo "== memory_bench"
  "$BUILD/bench/memory_bench" 1000000 100000 | tee "$WORK/memory.txt"
  cmd "$BUILD/bench/memory_bench 1000000 100000"
else
  note "memory_bench not built in $BUILD"
fi

# ---- side by side with Kamailio
side_ok=1
if [ "${BENCH_NO_SIDE:-0}" = 1 ]; then
  note "BENCH_NO_SIDE=1: Kamailio comparisons skipped"; side_ok=0
elif [ ! -f "$SHARED/compare.sh" ] || [ ! -f "$SHARED/compare_register.sh" ]; then
  note "no shared bench scripts at $SHARED: the Kamailio comparisons (CPU per call, per REGISTER, max call rate) are skipped"
  side_ok=0
elif ! command -v kamailio >/dev/null || ! command -v sipp >/dev/null || ! command -v bc >/dev/null; then
  note "kamailio, sipp or bc missing (apt-get install -y kamailio kamailio-sqlite-modules sip-tester bc): comparisons skipped"
  side_ok=0
elif [ ! -x "$BUILD/tandem" ]; then
  note "no $BUILD/tandem: comparisons skipped"; side_ok=0
fi

port_free() { ! ss -Hlun 2>/dev/null | awk '{print $4}' | grep -qE '(^|:)5060$'; }
wait_port() { # the shared scripts need 127.0.0.1:5060; someone else's run may hold it
  for _ in $(seq 30); do port_free && return 0; sleep 10; done
  return 1
}

if [ $side_ok = 1 ]; then
  # A copy under its own name: CPU is counted per process name, and other tandem processes on a
  # shared machine (tests, demos) must not be counted.
  TANDEM=$WORK/tandem-bench
  cp "$BUILD/tandem" "$TANDEM"
  COMM=tandem-bench
  others=$(pgrep -x kamailio | wc -l)
  [ "$others" -gt 0 ] && note "$others kamailio processes of someone else were running at start; their CPU would count as the reference's"
  CALL_CAND="$TANDEM edge --config $REPO/bench/edge-bench.toml"
  REG_CAND="$TANDEM edge --config $REPO/bench/register-bench.toml"

  if wait_port; then
    echo "== calls: Kamailio and tandem, $CALL_RATE calls/s, $CALLS calls, $CALL_ROUNDS rounds"
    for attempt in 1 2; do
      bash "$SHARED/compare.sh" --candidate "$CALL_CAND" --candidate-comm $COMM \
           --rate $CALL_RATE --calls $CALLS --rounds $CALL_ROUNDS | tee "$WORK/calls.txt"
      # ok=0 is a proxy that did not start (port still held by the previous one), not a load result
      grep -q ' ok=0 ' "$WORK/calls.txt" || break
      [ $attempt = 1 ] && note "a proxy did not answer at all in the call comparison; ran it again"
    done
    cmd "$SHARED/compare.sh --candidate '$CALL_CAND' --candidate-comm $COMM --rate $CALL_RATE --calls $CALLS --rounds $CALL_ROUNDS"
  else
    note "127.0.0.1:5060 busy for 5 minutes: call comparison skipped"
  fi

  if wait_port; then
    echo "== REGISTER with digest auth: Kamailio and tandem, $REG_RATE/s, $REGS registrations, $REG_ROUNDS rounds"
    for attempt in 1 2; do
      bash "$SHARED/compare_register.sh" --candidate "$REG_CAND" --candidate-comm $COMM \
           --candidate-setup "$REPO/bench/register_setup.sh $TANDEM" \
           --rate $REG_RATE --regs $REGS --rounds $REG_ROUNDS | tee "$WORK/register.txt"
      grep -q ' ok=0 ' "$WORK/register.txt" || break
      [ $attempt = 1 ] && note "a registrar did not answer at all in the REGISTER comparison; ran it again"
    done
    cmd "$SHARED/compare_register.sh --candidate '$REG_CAND' --candidate-comm $COMM --candidate-setup '$REPO/bench/register_setup.sh $TANDEM' --rate $REG_RATE --regs $REGS --rounds $REG_ROUNDS"
  else
    note "127.0.0.1:5060 busy for 5 minutes: REGISTER comparison skipped"
  fi

  if wait_port; then
    echo "== highest call rate with < 0.1% failed: steps $RATES calls/s"
    bash "$REPO/bench/max_rate.sh" --candidate "$CALL_CAND" --candidate-comm $COMM \
         --rates "$RATES" --seconds $STEP_SECONDS --min-calls $STEP_MIN_CALLS \
         --compare "$SHARED/compare.sh" | tee "$WORK/maxrate.txt"
    cmd "$REPO/bench/max_rate.sh --candidate '$CALL_CAND' --candidate-comm $COMM --rates '$RATES' --seconds $STEP_SECONDS --min-calls $STEP_MIN_CALLS --compare $SHARED/compare.sh"
  else
    note "127.0.0.1:5060 busy for 5 minutes: call rate search skipped"
  fi
fi

echo "load=$(cut -d' ' -f1-3 /proc/loadavg)" | sed 's/^load=/load_end=/' >>"$INFO"
mkdir -p "$(dirname "$DOC")"
python3 "$REPO/bench/report.py" "$WORK" "$DOC"
