#!/usr/bin/env bash
# Starts the demo platform in the foreground: two SIPp answering backends on 127.0.0.1:5071 and
# :5072 and the edge on 127.0.0.1:5060 (UDP and TCP). Ctrl-C stops everything.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
TANDEM=${1:-build/tandem}
LOGS=$(mktemp -d /tmp/tandem-demo.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM
for port in 5071 5072; do
  sipp -sf "$HERE/uas.xml" -i 127.0.0.1 -p "$port" -aa -nostdin -trace_err \
       -error_file "$LOGS/backend-$port.err" >"$LOGS/backend-$port.log" 2>&1 &
  pids+=($!)
done
"$TANDEM" edge -c "$HERE/edge.toml" &
pids+=($!)
sleep 1
cat <<MSG

tandem edge is running on udp/tcp 127.0.0.1:5060 with backends 127.0.0.1:5071 and :5072.
Place test calls from another terminal (10 calls, 2 per second):

    sipp -sf $HERE/uac.xml -m 10 -r 2 127.0.0.1:5060

Backend logs: $LOGS. Ctrl-C stops the demo.
MSG
wait "${pids[-1]}"
