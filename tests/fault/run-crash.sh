#!/usr/bin/env bash
# Exactly-once through crashes: `vigil run` killed at every crash point and
# from outside, the broker going down and up, request errors, a producer's
# fatal error (vigil restarts itself in process); every restart's output
# checked row for row against a fault-free run
# (tests/fault/crash_test.py says what each scenario does).
#   tests/fault/run-crash.sh             the make-test set (35 crash scenarios, two at a time,
#                                        then 6 that change the broker, one by one)
#   tests/fault/run-crash.sh --soak 500  500 random scenarios (make soak)
# Last line: N passed, N failed.
set -u
BUILD=${BUILD:-build}
cd "$(dirname "$0")/../.." || exit 2
exec /usr/bin/python3 tests/fault/crash_test.py "$BUILD/vigil" "$@"
