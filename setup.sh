#!/usr/bin/env bash
# The two commands of the README, for a fresh Debian 12 machine as root:
#   ./setup.sh run    install what is missing, build, start the platform on its embedded defaults
#   ./setup.sh test   install what is missing, build (ASan+UBSan), run every test
#   ./setup.sh deps   install everything the Makefile's targets need (fuzzing and linting too)
# Only Debian packages are installed, by name; nothing is downloaded at build time.
set -euo pipefail
cd "$(dirname "$0")"

BUILD_PKGS=(build-essential cmake ninja-build ccache pkg-config make python3 unzip
  libtomlplusplus-dev libspdlog-dev libfmt-dev libcli11-dev nlohmann-json3-dev
  libgtest-dev libgmock-dev libbenchmark-dev libssl-dev libsqlite3-dev libpq-dev)
RUN_PKGS=(sip-tester)
TEST_PKGS=(sip-tester baresip-core procps clang-format git prometheus postgresql kamailio)
DEV_PKGS=(clang libclang-rt-14-dev clang-format clang-tidy)  # make fuzz, make format, linting

install_missing() {
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing ${missing[*]}"
    if [ "$(id -u)" != 0 ]; then echo "setup: run as root to install packages" >&2; exit 1; fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    apt-get install -y -q --no-install-recommends "${missing[@]}"
  fi
}

case "${1:-}" in
  run)
    install_missing "${BUILD_PKGS[@]}" "${RUN_PKGS[@]}"
    exec make run
    ;;
  test)
    install_missing "${BUILD_PKGS[@]}" "${TEST_PKGS[@]}"
    exec make test
    ;;
  deps)
    install_missing "${BUILD_PKGS[@]}" "${RUN_PKGS[@]}" "${TEST_PKGS[@]}" "${DEV_PKGS[@]}"
    ;;
  *)
    echo "usage: ./setup.sh run|test|deps" >&2
    exit 2
    ;;
esac
