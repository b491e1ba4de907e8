#!/usr/bin/env bash
# Installs the dev dependencies when a fresh clone has none (or package-lock.json changed since),
# so `npm start` and `npm test` work as the first command after `git clone`.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
	npm ci --no-audit --no-fund >&2
fi
# Better Auth's SCIM plugin, for test/support/scim/betterAuthServer.mjs, has a package of its own
# (its peer jose@^6 clashes with the root's jose@5.10.0; it brings zod 4): same rule.
if [ ! -f test/support/scim/node_modules/.package-lock.json ] || [ test/support/scim/package-lock.json -nt test/support/scim/node_modules/.package-lock.json ]; then
	npm ci --prefix test/support/scim --no-audit --no-fund >&2
fi
