#!/usr/bin/env bash
# The whole test suite: builds and tests with LLVM 14 and LLVM 19, then
# with AddressSanitizer + UndefinedBehaviorSanitizer, and the runtime's
# multi-threaded tests with ThreadSanitizer. This is what CI runs.
# Usage: tests/run-all.sh [ctest arguments...]
set -euo pipefail
cd "$(dirname "$0")/.."
cmake/install-deps.sh

jobs=$(nproc 2>/dev/null || echo 2)
# name | CMake flags | ctest filter (ThreadSanitizer: the multi-threaded runtime tests)
configs=(
  "llvm14|-DBPF_AOT_LLVM_VERSION=14|"
  "llvm19|-DBPF_AOT_LLVM_VERSION=19 -DCMAKE_BUILD_TYPE=Release|"
  "sanitize|-DBPF_AOT_LLVM_VERSION=14 -DBPF_AOT_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug|"
  "tsan|-DBPF_AOT_LLVM_VERSION=14 -DBPF_AOT_SANITIZE_THREAD=ON -DCMAKE_BUILD_TYPE=Debug|-L runtime"
)
status=0
for c in "${configs[@]}"; do
  IFS='|' read -r name flags filter <<<"$c"
  dir=build-test/$name
  echo "=== $name: cmake $flags"
  # shellcheck disable=SC2086
  cmake -S . -B "$dir" -G Ninja $flags >/dev/null
  cmake --build "$dir" -j "$jobs"
  # shellcheck disable=SC2086
  if ! ctest --test-dir "$dir" --output-on-failure -j "$jobs" $filter "$@"; then
    status=1
  fi
done
exit $status
