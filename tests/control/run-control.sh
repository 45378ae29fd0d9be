#!/usr/bin/env bash
# The control plane of `vigil run` against the dev broker: the admin API,
# reloads (POST /reload, file edits, the control topic, a restart after a
# change, kill -9 right after a swap) and activations (POST /models, POST
# /rules, the control topic), every output checked row for row
# (tests/control/control_test.py says how). Last line: N passed, N failed.
set -u
BUILD=${BUILD:-build}
cd "$(dirname "$0")/../.." || exit 2
exec /usr/bin/python3 tests/control/control_test.py "$BUILD/vigil"
