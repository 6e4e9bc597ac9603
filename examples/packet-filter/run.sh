#!/usr/bin/env bash
# Build and run the packet filter on generated traffic, or on a pcap file:
#   run.sh [PCAP|-] [BLOCKED_PORT]
# LDFLAGS: extra link flags (a sanitizer build of the runtime needs its -fsanitize).
# BPF_AOT_BUILD: the bpf-aot build directory (default: <repo>/build).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${BPF_AOT_BUILD:-$here/../../build}
out=${OUT:-$build/examples/packet-filter}
mkdir -p "$out"
set -x
clang -target bpf -O2 -g -c "$here/filter.bpf.c" -o "$out/filter.bpf.o"
"$build/compiler/bpf-aot" build --skeleton "$out/filter.bpf.o" -o "$out"
cc -O2 -I "$out" -I "$here/../../runtime/include" "$here/main.c" "$out/filter.aot.o" \
        "$build/runtime/libbpfaot_runtime.a" -lpthread ${LDFLAGS:-} -o "$out/filter"
"$out/filter" "$@"
