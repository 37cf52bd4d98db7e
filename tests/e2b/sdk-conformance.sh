#!/bin/sh
# Runs E2B's official JavaScript SDK (npm "e2b") against the loopback test
# server. Installs the package into the build folder on first use; skips
# (exit 77) only when node, npm or the package is unavailable.
#
#   sdk-conformance.sh SCRIPT SERVER_EXECUTABLE SDK_PREFIX
script=$1 server=$2 prefix=$3

if ! command -v node >/dev/null 2>&1; then
  echo "1..0 # SKIP node is not installed: E2B's JavaScript SDK cannot run"
  exit 77
fi
if [ ! -f "$prefix/node_modules/e2b/package.json" ]; then
  if ! command -v npm >/dev/null 2>&1; then
    echo "1..0 # SKIP npm is not installed: cannot fetch E2B's JavaScript SDK"
    exit 77
  fi
  mkdir -p "$prefix"
  if ! npm install --prefix "$prefix" --no-audit --no-fund --loglevel=error e2b >&2; then
    echo "1..0 # SKIP the npm package 'e2b' could not be installed (registry unreachable?)"
    exit 77
  fi
fi
exec node "$script" "$server" "$prefix"
