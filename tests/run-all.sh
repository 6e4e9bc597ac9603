#!/usr/bin/env bash
# The whole test suite: builds and tests with LLVM 14 and LLVM 19, then
# with AddressSanitizer + UndefinedBehaviorSanitizer, and the runtime's
# multi-threaded tests with ThreadSanitizer. This is what CI runs.
# Usage: tests/run-all.sh [ctest arguments...]
set -euo pipefail
cd "$(dirname "$0")/.."
cmake/install-deps.sh

jobs=$(nproc 2>/dev/null || echo 2)
# name ; CMake flags ; ctest filter (ThreadSanitizer: the multi-threaded tests, runtime and compiler)
# The LLVM 19 build uses CMake's default generator (Unix Makefiles), the others Ninja.
configs=(
  "llvm14;-G Ninja -DBPF_AOT_LLVM_VERSION=14;"
  "llvm19;-DBPF_AOT_LLVM_VERSION=19 -DCMAKE_BUILD_TYPE=Release;"
  "sanitize;-G Ninja -DBPF_AOT_LLVM_VERSION=14 -DBPF_AOT_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug;"
  "tsan;-G Ninja -DBPF_AOT_LLVM_VERSION=14 -DBPF_AOT_SANITIZE_THREAD=ON -DCMAKE_BUILD_TYPE=Debug;-L runtime|threads"
)
status=0
for c in "${configs[@]}"; do
  IFS=';' read -r name flags filter <<<"$c"
  dir=build-test/$name
  echo "=== $name: cmake $flags"
  # A build tree made with another generator cannot be reconfigured: start it anew.
  gen=Ninja
  [[ " $flags " == *" -G Ninja "* ]] || gen="Unix Makefiles"
  if [ -f "$dir/CMakeCache.txt" ] && ! grep -qx "CMAKE_GENERATOR:INTERNAL=$gen" "$dir/CMakeCache.txt"; then
    rm -rf "$dir"
  fi
  # shellcheck disable=SC2086
  cmake -S . -B "$dir" $flags >/dev/null
  cmake --build "$dir" -j "$jobs"
  # shellcheck disable=SC2086
  if ! ctest --test-dir "$dir" --output-on-failure -j "$jobs" $filter "$@"; then
    status=1
  fi
done
exit $status
