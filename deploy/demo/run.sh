#!/usr/bin/env bash
# Starts the demo platform in the foreground: two SIPp answering backends on 127.0.0.1:5071 and
# :5072 and the edge on 127.0.0.1:5060 (UDP and TCP), registrar for demo.tandem with its bindings
# and subscribers in a SQLite file ($TANDEM_DEMO_DB, default ~/.local/share/tandem/demo.db; user
# 1000@demo.tandem, password demo1000). Ctrl-C stops everything.
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
DB=${TANDEM_DEMO_DB:-$HOME/.local/share/tandem/demo.db}
mkdir -p "$(dirname "$DB")"
# The config with absolute paths and the store section.
sed "s|\"dispatcher.list\"|\"$HERE/dispatcher.list\"|" "$HERE/edge.toml" >"$LOGS/edge.toml"
printf '\n[store]\nurl = "sqlite://%s"\n' "$DB" >>"$LOGS/edge.toml"
"$TANDEM" db migrate -c "$LOGS/edge.toml"
"$TANDEM" user list -c "$LOGS/edge.toml" | grep -q '1000' ||
  "$TANDEM" user add 1000@demo.tandem --password demo1000 -c "$LOGS/edge.toml"
for port in 5071 5072; do
  sipp -sf "$HERE/uas.xml" -i 127.0.0.1 -p "$port" -aa -nostdin -trace_err \
       -error_file "$LOGS/backend-$port.err" >"$LOGS/backend-$port.log" 2>&1 &
  pids+=($!)
done
"$TANDEM" edge -c "$LOGS/edge.toml" &
pids+=($!)
sleep 1
cat <<MSG

tandem edge is running on udp/tcp 127.0.0.1:5060 with backends 127.0.0.1:5071 and :5072.
Place test calls from another terminal (10 calls, 2 per second):

    sipp -sf $HERE/uac.xml -m 10 -r 2 127.0.0.1:5060

A phone (or baresip) registers as 1000@demo.tandem, password demo1000, to 127.0.0.1:5060;
then calls to sip:1000@demo.tandem reach it. See the bindings with: tandem ctl ul.dump

Config and backend logs: $LOGS. Database: $DB. Ctrl-C stops the demo.
MSG
wait "${pids[-1]}"
