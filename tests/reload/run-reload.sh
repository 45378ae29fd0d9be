#!/usr/bin/env bash
# Reload at many points of a replay, for each kind of change (a feature
# added, a filter changed, a window resized, a view removed, a sink added,
# SQL that does not compile), checked exactly: tests/reload/reload_test.py
# says how. Last line: N passed, N failed.
set -u
BUILD=${BUILD:-build}
exec /usr/bin/python3 tests/reload/reload_test.py "$BUILD/vigil"
