#!/usr/bin/env bash
# Configure, build and run this project with bpf-aot's sources (add_subdirectory).
# For an installed bpf-aot instead: cmake -S . -B build -DCMAKE_PREFIX_PATH=<prefix>.
# BPF_AOT_LLVM_VERSION: the LLVM to build bpf-aot with (default: the default LLVM).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${OUT:-$here/../../build/examples/cmake-project}
set -x
cmake -S "$here" -B "$out" -DBPF_AOT_SOURCE_DIR="$here/../.." \
        ${BPF_AOT_LLVM_VERSION:+-DBPF_AOT_LLVM_VERSION=$BPF_AOT_LLVM_VERSION}
cmake --build "$out" -j "$(nproc 2>/dev/null || echo 2)"
"$out/textstats"
