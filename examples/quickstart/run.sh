#!/usr/bin/env bash
# Quick start: installs what is missing, builds bpf-aot, then compiles an eBPF
# program ahead of time and runs it two ways (bpf-aot run, and linked into a C program).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
"$top/cmake/install-deps.sh"

build=$top/build
cmake -S "$top" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" --target bpf-aot bpfaot_runtime
bpfaot=$build/compiler/bpf-aot
out=$build/quickstart
mkdir -p "$out"

set -x
clang -target bpf -O2 -c "$here/adler32.bpf.c" -o "$out/adler32.bpf.o"
"$bpfaot" build "$out/adler32.bpf.o" -o "$out" -v
printf 'Wikipedia' > "$out/input.txt"
"$bpfaot" run --hex "$out/adler32.o" "$out/input.txt"
"$bpfaot" build "$out/adler32.bpf.o" -o "$out/linked" --entry adler32
cc -O2 "$here/main.c" "$out/linked/adler32.o" -o "$out/adler32"
"$out/adler32" "$out/input.txt"
