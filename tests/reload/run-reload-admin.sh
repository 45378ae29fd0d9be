#!/usr/bin/env bash
# POST /reload and `vigil reload` against a held replay over real HTTP:
# tests/reload/reload_admin.py says what is checked. Last line: N passed,
# N failed.
set -u
BUILD=${BUILD:-build}
exec /usr/bin/python3 tests/reload/reload_admin.py "$BUILD/vigil"
