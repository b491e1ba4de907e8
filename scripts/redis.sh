#!/usr/bin/env bash
# The Redis the Redis LimitStore tests start (one server per test file, on a free loopback port):
# Debian's redis-server, installed once with apt-get when missing (needs root, as on CI; ~10 s).
# Prints the binary's path.
set -euo pipefail
if [ ! -x /usr/bin/redis-server ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "redis-server is missing: run 'sudo apt-get install redis-server' (the Redis store tests need /usr/bin/redis-server)" >&2
		exit 1
	fi
	apt-get update -qq >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >&2
fi
echo /usr/bin/redis-server
