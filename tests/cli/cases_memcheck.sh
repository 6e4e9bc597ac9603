# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# Accesses outside their object (sourced by cli_test.sh): a store through a
# copy of r10 moved outside the frame by a variable, and helpers given too
# little memory in the frame or in a map value, are refused in one located
# line, as the kernel refuses them; what may fit on some path is accepted.

# Assemble $1 (text) to $2.bin.
memcheck_asm() {
        printf '%s\n' "$1" >"$2.s"
        x "$BPF_AOT" asm "$2.s" -o "$2.bin"
        expect_rc 0 "assemble $2"
}

case_memcheck_stack() {
        # r2 in [600, 632]: r1 = fp-632 .. fp-600, below the 512-byte frame on every path.
        memcheck_asm 'ldxdw %r2, [%r1+0]
and %r2, 32
add %r2, 600
mov %r1, %r10
sub %r1, %r2
stxdw [%r1+0], %r2
mov %r0, 0
exit' below
        x "$BPF_AOT" compile below.bin -o below.o
        expect_rc 1 "a store below the frame at every offset"
        expect_err_line '^bpf-aot: below.bin: below: insn 5: stxdw \[%r1\+0\], %r2: stack access \[r1\+0\] of 8 bytes is outside the 512-byte frame \(r1 = fp\[-632, -600\]\)$' \
                "names the store, the range and the frame"
        expect_no_file below.o "nothing written"
        # r2 in [480, 512]: fits for r2 <= 504, so it is not refused.
        memcheck_asm 'ldxdw %r2, [%r1+0]
and %r2, 32
add %r2, 480
mov %r1, %r10
sub %r1, %r2
stxdw [%r1+0], %r2
mov %r0, 0
exit' straddle
        x "$BPF_AOT" compile straddle.bin -o straddle.o
        expect_rc 0 "a store that fits for some offsets is accepted"
        # probe_read_kernel writes 8 bytes at fp-4: past the frame's top.
        memcheck_asm 'mov %r1, %r10
add %r1, -4
mov %r2, 8
mov %r3, 0
call 113
mov %r0, 0
exit' small
        x "$BPF_AOT" compile small.bin -o small.o
        expect_rc 1 "a helper buffer past the frame's top"
        expect_err_line '^bpf-aot: small.bin: small: insn 4: call 113: probe_read_kernel.s r1 \(pointer to writable memory\) needs 8 bytes at fp-4, outside the 512-byte frame$' \
                "names the helper, the argument, the size and where"
        memcheck_asm 'mov %r1, %r10
add %r1, -8
mov %r2, 8
mov %r3, 0
call 113
mov %r0, 0
exit' fits
        x "$BPF_AOT" compile fits.bin -o fits.o
        expect_rc 0 "8 bytes at fp-8 fit"
}

case_memcheck_map_value() {
        local p=$CLI_OBJS/memcheck.bpf.o
        [[ -s $p ]] || { bad "test input $p is missing"; return; }
        x "$BPF_AOT" build "$p" -o out
        expect_rc 1 "build memcheck.bpf.o"
        expect_err_line "^bpf-aot: $p: value_too_small: insn [0-9]+: call 113: probe_read_kernel's r1 \\(pointer to writable memory\\) needs 16 bytes at offset 0, outside a value of map 'counts' \\(8 bytes\\)$" \
                "names the call and the map value's size"
        expect_no_file out/value_fits.o "a failed build publishes nothing"
        x "$BPF_AOT" build --program value_fits "$p" -o out
        expect_rc 0 "build --program value_fits"
        expect_file out/value_fits.o "8 bytes into an 8-byte value built"
}
