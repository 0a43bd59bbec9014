#!/usr/bin/env bash
# Fails (listing the files) when a tracked C++ source is not clang-formatted.
set -euo pipefail
CLANG_FORMAT=${1:-clang-format}
files=$(git ls-files 'src/*.cc' 'src/*.h' 'bench/*.cc' 'fuzz/*.cc' 2>/dev/null || find src bench fuzz -name '*.cc' -o -name '*.h')
bad=$(echo "$files" | xargs "$CLANG_FORMAT" --dry-run 2>&1 | grep 'warning:' | cut -d: -f1 | sort -u || true)
if [ -n "$bad" ]; then
  echo "not clang-formatted (run: make format):"
  echo "$bad"
  exit 1
fi
echo "all $(echo "$files" | wc -l) sources clang-formatted"
