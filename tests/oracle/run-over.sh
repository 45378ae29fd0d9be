#!/usr/bin/env bash
# OVER aggregates over seeded random event logs, against SQLite's own window
# functions (tests/oracle/over_oracle.py). Last line: N passed, N failed.
set -u
BUILD=${BUILD:-build}
cd "$(dirname "$0")/../.." || exit 2
exec /usr/bin/python3 tests/oracle/over_oracle.py "$BUILD/vigil" "${SEED:-20240501}"
