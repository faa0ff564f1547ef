#!/usr/bin/env bash
# engines admits Node 22, while `npm test` runs on the node@26 devDependency. This runs a subset
# that covers what differs between the two (crc32's fallback, worker threads under tsx, the metrics
# server's close, the lock's /proc reads, the runtime's fault handling, statfs and a full disk) on the newest Node 22,
# installed from the npm registry outside the lockfile, at a pinned version. From source, tsx in
# worker threads needs 22.22.3 or later (README).
set -euo pipefail
cd "$(dirname "$0")/../.."
version=22.23.3
prefix="$(mktemp -d)"
trap 'rm -rf "$prefix"' EXIT
# A lock test runs a child as nobody with this same binary.
chmod 755 "$prefix"
npm install --prefix "$prefix" --no-save --no-package-lock --no-audit --no-fund "node@$version" >/dev/null
node22="$prefix/node_modules/.bin/node"
actual="$("$node22" --version)"
if [ "$actual" != "v$version" ]; then
  echo "test-node22: expected Node v$version, got $actual" >&2
  exit 1
fi
echo "test-node22: running on Node $actual"
"$node22" --import tsx --test --test-concurrency=1 --test-reporter=spec \
  test/conformance/file.test.ts \
  test/conformance/runtime-file.test.ts \
  test/faults/runtime-exit.test.ts \
  test/faults/file-disk-full.test.ts \
  test/metrics/server.test.ts \
  test/unit/crc32.test.ts \
  test/unit/file-lock.test.ts \
  test/runtime/provider-parity.test.ts \
  test/runtime/object-snapshot.test.ts
