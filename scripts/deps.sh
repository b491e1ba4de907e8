#!/usr/bin/env bash
# Installs the dev dependencies when a fresh clone has none (or package-lock.json changed since),
# so `npm start` and `npm test` work as the first command after `git clone`.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
	npm ci --no-audit --no-fund >&2
fi
