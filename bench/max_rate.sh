#!/usr/bin/env bash
# Highest call rate with < 0.1% failed calls, Kamailio and the candidate side by side: steps the
# rate of ../shared/bench/compare.sh (one round per step, both proxies in the same step) and
# reports, for each proxy, the highest step below its first failing one. A failed call is any
# call SIPp did not complete successfully (failed, timed out, or never finished).
#
# usage: bench/max_rate.sh --candidate 'CMD' --candidate-comm NAME
#                          [--rates "500 1000 1500 2000 3000 4000"] [--seconds 6] [--min-calls 2000]
#                          [--compare /work/shared/bench/compare.sh]
# Each step places max(rate * seconds, min-calls) calls. Prints one line per proxy and step:
#   step proxy=kamailio rate=R calls=N ok=X failed=F failed_pct=P cpu_us_per_call=C pass=1|0
# and at the end:
#   max_rate proxy=kamailio rate=R          (0 when even the first step failed)
#   max_rate proxy=candidate rate=R
#   max_rate_ceiling rate=R                 (the highest step tried: a proxy at it may go higher)
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
RATES="500 1000 1500 2000 3000 4000"
SECONDS_PER_STEP=6
MIN_CALLS=2000
CAND=""
CAND_COMM=""
COMPARE="$(dirname "$(dirname "$HERE")")/shared/bench/compare.sh"
while [ $# -gt 0 ]; do
  case "$1" in
    --candidate) CAND=$2; shift 2;;
    --candidate-comm) CAND_COMM=$2; shift 2;;
    --rates) RATES=$2; shift 2;;
    --seconds) SECONDS_PER_STEP=$2; shift 2;;
    --min-calls) MIN_CALLS=$2; shift 2;;
    --compare) COMPARE=$2; shift 2;;
    *) echo "unknown argument $1" >&2; exit 2;;
  esac
done
[ -n "$CAND" ] && [ -n "$CAND_COMM" ] || { echo "need --candidate and --candidate-comm" >&2; exit 2; }
[ -x "$COMPARE" ] || [ -f "$COMPARE" ] || { echo "no compare.sh at $COMPARE" >&2; exit 2; }

REF_MAX=0; CAND_MAX=0; REF_DONE=0; CAND_DONE=0; LAST=0
for rate in $RATES; do
  calls=$((rate * SECONDS_PER_STEP))
  [ "$calls" -lt "$MIN_CALLS" ] && calls=$MIN_CALLS
  for attempt in 1 2; do
    # SIPp can run far past its -timeout when a proxy drops calls; a watchdog interrupts the
    # caller SIPp (only the one this compare.sh started) after the load's length plus 90 s.
    # An interrupted SIPp leaves no statistics: that side counts every call as failed.
    tmp=$(mktemp)
    bash "$COMPARE" --candidate "$CAND" --candidate-comm "$CAND_COMM" \
         --rate "$rate" --calls "$calls" --rounds 1 >"$tmp" 2>&1 &
    cpid=$!
    limit=$((calls / rate + 90))
    started=$(date +%s); uac=""
    while kill -0 $cpid 2>/dev/null; do
      sleep 2
      now_uac=$(pgrep -P $cpid -x sipp | head -1)
      if [ "$now_uac" != "$uac" ]; then uac=$now_uac; started=$(date +%s); fi
      if [ -n "$uac" ] && [ $(( $(date +%s) - started )) -gt $limit ]; then
        echo "watchdog: rate=$rate SIPp ran over ${limit}s, interrupted"
        kill -INT "$uac" 2>/dev/null; uac=""
      fi
    done
    wait $cpid
    out=$(cat "$tmp"); rm -f "$tmp"
    # ok=0: a proxy that did not start (port still held by the previous one); run the step again
    printf '%s\n' "$out" | grep -q ' ok=0 ' || break
    [ $attempt = 1 ] && echo "retry rate=$rate (a proxy answered no call at all)"
  done
  LAST=$rate
  for side in reference candidate; do
    line=$(printf '%s\n' "$out" | grep "^$side(" | tail -1)
    ok=$(printf '%s\n' "$line" | sed -n 's/.* ok=\([0-9]*\).*/\1/p')
    cpu=$(printf '%s\n' "$line" | sed -n 's/.*cpu_us_per_call=\([0-9.]*\).*/\1/p')
    ok=${ok:-0}
    failed=$((calls - ok))
    # < 0.1%: failed * 1000 < calls
    if [ $((failed * 1000)) -lt "$calls" ]; then pass=1; else pass=0; fi
    pct=$(awk -v f="$failed" -v c="$calls" 'BEGIN { printf "%.3f", 100 * f / c }')
    name=$([ $side = reference ] && echo kamailio || echo candidate)
    echo "step proxy=$name rate=$rate calls=$calls ok=$ok failed=$failed failed_pct=$pct cpu_us_per_call=${cpu:-?} pass=$pass"
    if [ $side = reference ]; then
      if [ $REF_DONE = 0 ]; then
        if [ $pass = 1 ]; then REF_MAX=$rate; else REF_DONE=1; fi
      fi
    else
      if [ $CAND_DONE = 0 ]; then
        if [ $pass = 1 ]; then CAND_MAX=$rate; else CAND_DONE=1; fi
      fi
    fi
  done
  # Both have failed: higher steps cannot change the answer.
  [ $REF_DONE = 1 ] && [ $CAND_DONE = 1 ] && break
done
echo "max_rate proxy=kamailio rate=$REF_MAX"
echo "max_rate proxy=candidate rate=$CAND_MAX"
echo "max_rate_ceiling rate=$LAST"
