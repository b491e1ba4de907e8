#!/usr/bin/env bash
# The browser the editor tests drive: Debian's chromium (playwright-core never downloads one).
# Installed once with apt-get when missing (needs root, as on CI; about 40 s).
set -euo pipefail
if [ ! -x /usr/bin/chromium ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "Chromium is missing: run 'sudo apt-get install chromium' (the editor tests need /usr/bin/chromium)" >&2
		exit 1
	fi
	apt-get update -qq >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >&2
fi
echo /usr/bin/chromium
