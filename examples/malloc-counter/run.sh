#!/usr/bin/env bash
# Build and run the malloc counter: clang → eBPF, bpf-aot → native skeleton, cc → host.
# LDFLAGS: extra link flags (a sanitizer build of the runtime needs its -fsanitize).
# BPF_AOT_BUILD: the bpf-aot build directory (default: <repo>/build, made by examples/quickstart/run.sh).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${BPF_AOT_BUILD:-$here/../../build}
out=${OUT:-$build/examples/malloc-counter}
mkdir -p "$out"
set -x
clang -target bpf -O2 -g -c "$here/malloc_counter.bpf.c" -o "$out/malloc_counter.bpf.o"
"$build/compiler/bpf-aot" build --skeleton "$out/malloc_counter.bpf.o" -o "$out"
cc -O2 -I "$out" -I "$here/../../runtime/include" "$here/main.c" "$out/malloc_counter.aot.o" \
        "$build/runtime/libbpfaot_runtime.a" -lpthread ${LDFLAGS:-} -o "$out/malloc_counter"
"$out/malloc_counter" "${1:-1000}"
