#!/usr/bin/env bash
# Runs every libFuzzer target of a fuzz build for SECONDS each, seeded from
# ../shared/testdata/fuzzseeds (read in place; said clearly when absent) and the in-tree RFC 4475
# messages. Crashes, leaks and timeouts are written to fuzz-artifacts/ and fail the run.
# usage: fuzz/run.sh BUILD_DIR SECONDS
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build-fuzz}
SECONDS_EACH=${2:-600}
SEEDS=../shared/testdata/fuzzseeds
WORK=$(mktemp -d /tmp/tandem-fuzz.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
mkdir -p fuzz-artifacts

seed() { # seed TARGET ZIP...
  local dir="$WORK/$1"
  mkdir -p "$dir"
  shift
  for z in "$@"; do
    if [ -f "$SEEDS/$z" ]; then
      unzip -q -o "$SEEDS/$z" -d "$dir"
    else
      echo "fuzz: $SEEDS/$z not found: running without that seed corpus" >&2
    fi
  done
  cp src/sip/testdata/rfc4475/*.dat "$dir"/ 2>/dev/null || true
  echo "$dir"
}

status=0
for target in sip_parser_fuzz; do
  bin="$BUILD/fuzz/$target"
  [ -x "$bin" ] || { echo "fuzz: $bin not built" >&2; exit 1; }
  corpus=$(seed "$target" fuzz-sip_seed_corpus.zip fuzz-uri_seed_corpus.zip)
  echo "== $target for ${SECONDS_EACH}s on $(ls "$corpus" | wc -l) seeds"
  if ! "$bin" "$corpus" -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 \
       -max_len=65536 -artifact_prefix=fuzz-artifacts/ -print_final_stats=1; then
    echo "fuzz: $target FAILED (see fuzz-artifacts/)" >&2
    status=1
  fi
done
exit $status
