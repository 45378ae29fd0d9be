#!/usr/bin/env bash
# Kafka integration tests: `vigil dev-broker` in its own process, kcat and
# Python's kafka package as independent clients, `vigil run` end to end
# (tests/kafka/kafka_test.py says what each test checks).
# Last line: N passed, N failed.
set -u
BUILD=${BUILD:-build}
cd "$(dirname "$0")/../.." || exit 2
exec /usr/bin/python3 tests/kafka/kafka_test.py "$BUILD/vigil"
