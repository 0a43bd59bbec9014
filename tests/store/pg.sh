#!/usr/bin/env bash
# A throwaway PostgreSQL server for tests: a fresh data directory under /tmp, a free port on
# 127.0.0.1, trust authentication, no fsync (test data only). PostgreSQL refuses to run as root,
# so as root every server command runs as the postgres user (runuser).
#
#   tests/store/pg.sh start              start a server; prints its URL
#   tests/store/pg.sh stop URL           stop it and delete its data directory
#   tests/store/pg.sh server-stop URL    stop the server, keep its data (an outage)
#   tests/store/pg.sh server-start URL   start it again on the same port
#   tests/store/pg.sh run -- CMD [ARG]   start a server, run CMD with TANDEM_TEST_PG_URL (the URL)
#                                        and TANDEM_TEST_PG_SH (this script) exported, stop it;
#                                        exits with CMD's status
#
# Example: tests/store/pg.sh run -- ctest --test-dir build -R store --output-on-failure
# PG_BIN overrides the directory of initdb/pg_ctl (default: the newest /usr/lib/postgresql/*/bin).
set -euo pipefail

SELF="$(cd "$(dirname "$0")" && pwd)/$(basename "$0")"

die() { echo "pg.sh: $*" >&2; exit 1; }

pg_bin() {
  if [ -n "${PG_BIN:-}" ]; then echo "$PG_BIN"; return; fi
  local d
  d="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)"
  [ -n "$d" ] && [ -x "$d/initdb" ] || die "no PostgreSQL server binaries (apt-get install postgresql)"
  echo "$d"
}

# Runs a server binary as a user PostgreSQL accepts.
as_pg() {
  if [ "$(id -u)" = 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

port_of() {  # URL or port -> port
  local arg="$1"
  if [[ "$arg" =~ ^[0-9]+$ ]]; then echo "$arg"; return; fi
  [[ "$arg" =~ :([0-9]+)/ ]] || die "cannot find a port in \"$arg\""
  echo "${BASH_REMATCH[1]}"
}

dir_of() { echo "/tmp/tandem-pg.$(port_of "$1")"; }

server_start() {
  local dir="$1" port
  port="$(cat "$dir/port")"
  as_pg "$(pg_bin)/pg_ctl" start -w -t 60 -D "$dir/data" -l "$dir/server.log" \
    -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
    >/dev/null || { cat "$dir/server.log" >&2; die "server did not start"; }
}

server_stop() {
  local dir="$1"
  [ -d "$dir/data" ] || die "no server in $dir"
  as_pg "$(pg_bin)/pg_ctl" stop -w -t 60 -m fast -D "$dir/data" >/dev/null
}

cmd_start() {
  local port dir
  port="$(free_port)"
  dir="/tmp/tandem-pg.$port"
  rm -rf "$dir"
  mkdir -p "$dir"
  echo "$port" >"$dir/port"
  if [ "$(id -u)" = 0 ]; then
    id postgres >/dev/null 2>&1 || die "no postgres user (apt-get install postgresql)"
    chown -R postgres: "$dir"
  fi
  as_pg "$(pg_bin)/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --no-sync >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; die "initdb failed"; }
  server_start "$dir"
  echo "postgresql://postgres@127.0.0.1:$port/postgres"
}

cmd_stop() {
  local dir
  dir="$(dir_of "$1")"
  [ -d "$dir" ] || return 0
  if [ -d "$dir/data" ] && [ -f "$dir/data/postmaster.pid" ]; then
    as_pg "$(pg_bin)/pg_ctl" stop -w -t 60 -m immediate -D "$dir/data" >/dev/null 2>&1 || true
  fi
  rm -rf "$dir"
}

cmd_run() {
  [ "${1:-}" = "--" ] && shift
  [ $# -gt 0 ] || die "run: no command"
  local status=0
  RUN_URL="$(cmd_start)"
  trap 'cmd_stop "$RUN_URL"' EXIT
  echo "pg.sh: PostgreSQL at $RUN_URL" >&2
  TANDEM_TEST_PG_URL="$RUN_URL" TANDEM_TEST_PG_SH="$SELF" "$@" || status=$?
  return $status
}

case "${1:-}" in
  start) cmd_start ;;
  stop) [ $# -ge 2 ] || die "stop URL"; cmd_stop "$2" ;;
  server-stop) [ $# -ge 2 ] || die "server-stop URL"; server_stop "$(dir_of "$2")" ;;
  server-start) [ $# -ge 2 ] || die "server-start URL"; server_start "$(dir_of "$2")" ;;
  run) shift; cmd_run "$@" ;;
  *) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac
