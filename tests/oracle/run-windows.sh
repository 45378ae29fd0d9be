#!/usr/bin/env bash
# Window TVF aggregates (TUMBLE, HOP, CUMULATE, SESSION) over seeded random
# event logs, against an independent computation in Python
# (tests/oracle/windows_oracle.py). Last line: N passed, N failed.
set -u
BUILD=${BUILD:-build}
cd "$(dirname "$0")/../.." || exit 2
exec /usr/bin/python3 tests/oracle/windows_oracle.py "$BUILD/vigil" "${SEED:-20240501}"
