#!/usr/bin/env bash
# The PostgreSQL the queue-mode tests start (a throwaway cluster per test file, on a free loopback
# port, owned by the postgres user): Debian's postgresql, installed once with apt-get when missing
# (needs root, as on CI; ~10 s with redis-server). Prints the server's bin directory
# (initdb, postgres), e.g. /usr/lib/postgresql/15/bin.
set -euo pipefail
find_bin() {
	local dir
	dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
	if [ -n "$dir" ] && [ -x "$dir/postgres" ] && [ -x "$dir/initdb" ] && [ -x /usr/bin/psql ]; then
		echo "$dir"
	fi
}
bin=$(find_bin)
if [ -z "$bin" ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "PostgreSQL is missing: run 'sudo apt-get install postgresql' (the queue-mode tests need initdb, postgres and psql)" >&2
		exit 1
	fi
	apt-get update -qq >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
	bin=$(find_bin)
fi
if [ -z "$bin" ]; then
	echo "PostgreSQL was installed but no /usr/lib/postgresql/*/bin/postgres was found" >&2
	exit 1
fi
if ! id postgres >/dev/null 2>&1; then
	echo "PostgreSQL is installed but there is no 'postgres' user to run it as" >&2
	exit 1
fi
echo "$bin"
