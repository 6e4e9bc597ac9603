#!/usr/bin/env bash
# Build and run the seed-style driver. BPF_AOT_BUILD: the bpf-aot build directory.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${BPF_AOT_BUILD:-$here/../../build}
out=${OUT:-$build/examples/seed-driver}
mkdir -p "$out"
set -x
clang -target bpf -O2 -g -c "$here/hello.bpf.c" -o "$out/hello.bpf.o"
"$build/compiler/bpf-aot" build "$out/hello.bpf.o" -o "$out"
cc -O2 "$here/driver.c" "$out/hello.o" -o "$out/driver"
"$out/driver"
