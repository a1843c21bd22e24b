#!/bin/sh
# Run the web client's end-to-end tests (run.mjs).  Installs the npm
# packages of tests/web with `npm ci` (exactly package-lock.json) when
# they are missing or stale.  The browser is Debian's /usr/bin/chromium
# (scripts/deps --test); nothing downloads one.  LANCHATD picks the
# server binary (default build/lanchatd).
set -eu
cd "$(dirname "$0")"
if ! cmp -s package-lock.json node_modules/.lanchat-lock 2>/dev/null; then
	npm ci --no-audit --no-fund --loglevel=error >&2
	cp package-lock.json node_modules/.lanchat-lock
fi
exec node run.mjs "$@"
