#!/bin/sh
# SPDX-License-Identifier: MIT
# bench_long_program: the long program (long.bpf.c) gives the same result from the
# interpreter, from -O0 and -O2 in memory, and from the object `build -O2 -j 2` makes
# (in parts, on two threads). Usage: long_test.sh BPF_AOT LONG_BPF_O
set -eu
aot=$1
obj=$2

# 72 bytes, the first 63: every step's bounds check passes.
i=0
while [ $i -lt 72 ]; do
        # shellcheck disable=SC2059 # the byte is an octal escape, which only a format expands
        printf "\\$(printf %03o $(((i * 151 + 63) % 256)))"
        i=$((i + 1))
done >mem.bin

"$aot" build -v -O2 -j 2 "$obj" -o out 2>build.txt
insns=$(sed -n 's/.*long_prog (section xdp, \([0-9]*\) insns.*/\1/p' build.txt)
if [ -z "$insns" ] || [ "$insns" -lt 65536 ]; then
        echo "long_test: expected a program of 65,536 instructions or more, got '$insns'" >&2
        cat build.txt >&2
        exit 1
fi
want=$("$aot" run --interp "$obj" mem.bin)
for how in "-O 0 $obj" "-O 2 $obj" "out/long_prog.o"; do
        # shellcheck disable=SC2086 # the options are words
        got=$("$aot" run $how mem.bin)
        if [ "$got" != "$want" ]; then
                echo "long_test: run $how: $got, the interpreter: $want" >&2
                exit 1
        fi
done
echo "long_test: $insns instructions, $want from each"
