#!/usr/bin/env bash
# Runs every test suite: unit + simulator (release), unit + simulator under
# ASan/UBSan, then the black-box integration tests. Called by `make test`.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
ASAN_BUILD=${ASAN_BUILD:-build-asan}
JOBS=${JOBS:-$(nproc)}

echo "== release build: unit tests and simulator"
ctest --test-dir "$BUILD" --output-on-failure -j"$JOBS" -LE asan-only

echo "== sanitizer build (ASan+UBSan): unit tests and simulator"
ctest --test-dir "$ASAN_BUILD" --output-on-failure -j"$JOBS" -L 'unit|asan'

if compgen -G "tests/integration/test_*.py" >/dev/null; then
  # Against the sanitizer build, so a memory error in any node fails the run.
  echo "== integration tests (real cairn processes on loopback, ASan+UBSan binary)"
  CAIRN_BIN="$PWD/$ASAN_BUILD/cairn" /usr/bin/python3 -m pytest -q -p no:cacheprovider tests/integration
fi
