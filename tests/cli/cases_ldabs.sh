# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# Legacy packet loads, LD_ABS and LD_IND (sourced by cli_test.sh): the
# packet is the program's context, read in network order; a load outside it
# makes the program return 0. Compiled (-O 0, -O 2) and interpreted runs
# must give the values worked out by hand below.

# ldabs_asm NAME LINE...: NAME.bin assembled from the lines.
ldabs_asm() {
        printf '%s\n' "${@:2}" >"$1.s"
        "$BPF_AOT" asm "$1.s" -o "$1.bin" || bad "asm $1.s"
}

# ldabs_expect WANT NAME [MEMORY]: every engine runs NAME.bin and prints WANT.
ldabs_expect() {
        local how
        for how in "-O 0" "-O 2" "--interp"; do
                # shellcheck disable=SC2086
                x "$BPF_AOT" run $how "$2.bin" ${3:-}
                expect_stdout "$1" "$2 (run $how${3:+ $3})"
        done
}

# The 16-byte packet: 11 22 33 44 55 66 77 88 99 aa bb cc dd ee ff 80.
ldabs_packet() {
        printf '\x11\x22\x33\x44\x55\x66\x77\x88\x99\xaa\xbb\xcc\xdd\xee\xff\x80' >"$1"
}

case_ldabs_values() {
        ldabs_packet pkt.bin
        # Every size, big-endian, zero-extended (0xddeeff80 stays positive).
        ldabs_asm abs_b 'ldabsb 0' 'exit'
        ldabs_expect $((0x11)) abs_b pkt.bin
        ldabs_asm abs_h 'ldabsh 1' 'exit'
        ldabs_expect $((0x2233)) abs_h pkt.bin
        ldabs_asm abs_w 'ldabsw 3' 'exit'
        ldabs_expect $((0x44556677)) abs_w pkt.bin
        ldabs_asm abs_w_last 'ldabsw 12' 'exit'
        ldabs_expect $((0xddeeff80)) abs_w_last pkt.bin
        ldabs_asm abs_h_last 'ldabsh 14' 'exit'
        ldabs_expect $((0xff80)) abs_h_last pkt.bin
        ldabs_asm abs_b_last 'ldabsb 15' 'exit'
        ldabs_expect $((0x80)) abs_b_last pkt.bin
        # Several loads in one run; r6-r9 survive them.
        ldabs_asm abs_sum 'mov %r6, 9' 'ldabsb 0' 'mov %r7, %r0' 'ldabsh 2' 'add %r0, %r7' \
                'add %r0, %r6' 'exit'
        ldabs_expect $((0x3344 + 0x11 + 9)) abs_sum pkt.bin
        # LD_IND: offset = (int32_t)(src + imm).
        ldabs_asm ind_h 'mov %r7, 10' 'ldindh %r7, 2' 'exit'
        ldabs_expect $((0xddee)) ind_h pkt.bin
        ldabs_asm ind_neg_imm 'mov %r7, 20' 'ldindb %r7, -10' 'exit'
        ldabs_expect $((0xbb)) ind_neg_imm pkt.bin
        ldabs_asm ind_w 'mov %r8, 1' 'ldindw %r8, 11' 'exit'
        ldabs_expect $((0xddeeff80)) ind_w pkt.bin
        # The 64-bit sum is truncated to 32 bits.
        ldabs_asm ind_trunc 'lddw %r7, 0x100000003' 'ldindb %r7, 0' 'exit'
        ldabs_expect $((0x44)) ind_trunc pkt.bin
        ldabs_asm ind_wrap 'lddw %r7, 0xffffffff' 'ldindw %r7, 5' 'exit'
        ldabs_expect $((0x55667788)) ind_wrap pkt.bin
        ldabs_asm ind_minus1 'mov %r7, -1' 'ldindb %r7, 3' 'exit'
        ldabs_expect $((0x33)) ind_minus1 pkt.bin
}

# Out of the packet: the program returns 0 at once, whatever comes after.
case_ldabs_bounds() {
        local load
        ldabs_packet pkt.bin
        for load in 'ldabsw 12' 'ldabsh 14' 'ldabsb 15' 'ldabsb 0'; do
                ldabs_asm inside "$load" 'mov %r0, 77' 'exit'
                ldabs_expect 77 inside pkt.bin
        done
        # One byte past the end, a negative offset, an offset negative as int32.
        for load in 'ldabsw 13' 'ldabsh 15' 'ldabsb 16' 'ldabsb -1' 'ldabsw 2147483647'; do
                ldabs_asm outside 'mov %r0, 77' "$load" 'mov %r0, 77' 'exit'
                ldabs_expect 0 outside pkt.bin
        done
        ldabs_asm ind_neg 'mov %r7, 5' 'ldindb %r7, -6' 'mov %r0, 77' 'exit'
        ldabs_expect 0 ind_neg pkt.bin
        ldabs_asm ind_int32 'mov32 %r7, 0x7fffffff' 'ldindb %r7, 1' 'mov %r0, 77' 'exit'
        ldabs_expect 0 ind_int32 pkt.bin
        ldabs_asm ind_past 'mov %r7, 13' 'ldindw %r7, 0' 'mov %r0, 77' 'exit'
        ldabs_expect 0 ind_past pkt.bin
        # No MEMORY: an empty packet.
        ldabs_asm empty 'ldabsb 0' 'mov %r0, 77' 'exit'
        ldabs_expect 0 empty
        # A load out of bounds on one path only, in a loop: sum bytes until the end.
        ldabs_asm loop 'mov %r6, 0' 'mov %r7, 0' 'loop:' 'ldindb %r7, 0' 'add %r6, %r0' \
                'add %r7, 1' 'jlt %r7, 100, loop' 'mov %r0, %r6' 'exit'
        ldabs_expect 0 loop pkt.bin
        ldabs_asm loop_stop 'mov %r6, 0' 'mov %r7, 0' 'loop:' 'ldindb %r7, 0' 'add %r6, %r0' \
                'add %r7, 1' 'jlt %r7, 16, loop' 'mov %r0, %r6' 'exit'
        ldabs_expect $((0x11 + 0x22 + 0x33 + 0x44 + 0x55 + 0x66 + 0x77 + 0x88 + 0x99 + 0xaa + \
                0xbb + 0xcc + 0xdd + 0xee + 0xff + 0x80)) loop_stop pkt.bin
}

# A sub-program longer than a region (1024 instructions) is split into
# functions: loads and early exits there see the same packet.
case_ldabs_regions() {
        local i lines=()
        ldabs_packet pkt.bin
        for ((i = 0; i < 1200; i++)); do
                lines+=('add %r6, 1')
                ((i % 100 == 99)) && lines+=('ja +0')
        done
        ldabs_asm big_in 'ldabsb 0' 'mov %r6, %r0' "${lines[@]}" 'ldabsh 14' 'add %r0, %r6' 'exit'
        ldabs_expect $((0x11 + 1200 + 0xff80)) big_in pkt.bin
        ldabs_asm big_out 'ldabsb 0' 'mov %r6, %r0' "${lines[@]}" 'ldabsh 15' 'mov %r0, %r6' \
                'exit'
        ldabs_expect 0 big_out pkt.bin
}

# In a sub-program, as in the kernel: the packet is still the entry's
# context, and a load outside it returns 0 from that sub-program.
case_ldabs_subprogs() {
        local i lines=()
        ldabs_packet pkt.bin
        ldabs_asm sub_in 'mov %r6, 100' 'call local f' 'add %r0, %r6' 'exit' 'f:' 'ldabsh 14' 'exit'
        ldabs_expect $((100 + 0xff80)) sub_in pkt.bin
        ldabs_asm sub_out 'mov %r6, 100' 'call local f' 'add %r0, %r6' 'exit' 'f:' 'ldabsh 15' \
                'mov %r0, 77' 'exit'
        ldabs_expect 100 sub_out pkt.bin
        # Through a sub-program that loads nothing itself; the offset is an argument.
        ldabs_asm nested_in 'mov %r1, 12' 'call local g' 'add %r0, 1' 'exit' 'g:' 'call local f' \
                'add %r0, 5' 'exit' 'f:' 'ldindw %r1, 0' 'exit'
        ldabs_expect $((0xddeeff80 + 6)) nested_in pkt.bin
        ldabs_asm nested_out 'mov %r1, 13' 'call local g' 'add %r0, 1' 'exit' 'g:' 'call local f' \
                'add %r0, 5' 'exit' 'f:' 'ldindw %r1, 0' 'mov %r0, 9' 'exit'
        ldabs_expect 6 nested_out pkt.bin
        # A sub-program split into regions.
        for ((i = 0; i < 1200; i++)); do
                lines+=('add %r6, 1')
                ((i % 100 == 99)) && lines+=('ja +0')
        done
        ldabs_asm sub_big 'mov %r1, 14' 'call local f' 'exit' 'f:' 'mov %r6, 0' 'ldindb %r1, 0' \
                'add %r6, %r0' "${lines[@]}" 'ldabsh 14' 'add %r0, %r6' 'exit'
        ldabs_expect $((0xff + 1200 + 0xff80)) sub_big pkt.bin
        # The caller must expect 0 from the sub-program: r9 is read on that path.
        ldabs_asm early 'call local f' 'jne %r0, 0, +1' 'mov %r0, %r9' 'mov %r0, 0' 'exit' 'f:' \
                'ldabsw 0' 'mov %r0, 1' 'exit'
        x "$BPF_AOT" run early.bin pkt.bin
        expect_rc 1 "r9 where the sub-program's load failed"
        expect_err_line '^bpf-aot: early\.bin: early: insn 2: mov %r0, %r9: r9 is read before it is written \(uninitialised register\)$' \
                "r9 where the sub-program's load failed"
}

# r1-r5 are unwritten after LD_ABS/LD_IND, as after a call: reading them is refused.
case_ldabs_clobbered() {
        local r how
        for r in 1 2 3 4 5; do
                ldabs_asm clob$r "mov %r$r, 1" 'ldabsw 0' "mov %r0, %r$r" 'exit'
                for how in "run" "run --interp" "compile -o clob.o"; do
                        # shellcheck disable=SC2086
                        x "$BPF_AOT" $how clob$r.bin
                        expect_rc 1 "$how: r$r after ldabsw"
                        expect_err_line "^bpf-aot: clob$r\.bin: clob$r: insn 2: mov %r0, %r$r: r$r is read before it is written \(uninitialised register\): a call leaves r1-r5 unwritten \(so does LD_ABS/LD_IND\)$" \
                                "$how: r$r after ldabsw"
                done
        done
        ldabs_asm unset 'ldindh %r8, 0' 'exit'
        x "$BPF_AOT" run unset.bin
        expect_rc 1 "ldindh through an unset r8"
        expect_err_line '^bpf-aot: unset\.bin: unset: insn 0: ldindh %r8, 0: r8 is read before it is written \(uninitialised register\)$' \
                "ldindh through an unset r8"
}

# Forms the kernel refuses, and loads in a callback: one located line.
case_ldabs_refused() {
        local how
        # bpf_loop(1, cb, 0, 0) where cb loads from the packet, itself or through a call.
        ldabs_asm cb 'mov %r1, 1' 'lddw %r2, code_addr 6' 'mov %r3, 0' 'mov %r4, 0' 'call 181' \
                'mov %r0, 0' 'exit' 'ldabsb 0' 'exit'
        ldabs_asm cb_call 'mov %r1, 1' 'lddw %r2, code_addr 6' 'mov %r3, 0' 'mov %r4, 0' \
                'call 181' 'mov %r0, 0' 'exit' 'call local f' 'exit' 'f:' 'ldabsb 0' 'exit'
        for how in "run" "run --interp"; do
                # shellcheck disable=SC2086
                x "$BPF_AOT" $how cb.bin
                expect_rc 1 "$how: ldabsb in a callback"
                expect_err_line '^bpf-aot: cb\.bin: cb: insn 8: ldabsb 0: LD_ABS/LD_IND cannot be used within a callback$' \
                        "$how: ldabsb in a callback"
                # shellcheck disable=SC2086
                x "$BPF_AOT" $how cb_call.bin
                expect_rc 1 "$how: ldabsb below a callback"
                expect_err_line '^bpf-aot: cb_call\.bin: cb_call: insn 8: call local \+1: LD_ABS/LD_IND cannot be used within a callback$' \
                        "$how: ldabsb below a callback"
        done
        printf '\x38\x00\x00\x00\x04\x00\x00\x00\x95\x00\x00\x00\x00\x00\x00\x00' >dw.bin
        x "$BPF_AOT" run dw.bin
        expect_rc 1 "64-bit LD_ABS"
        expect_err_line '^bpf-aot: dw\.bin: dw: insn 0: .*unknown opcode 0x38 \(no 64-bit LD_ABS/LD_IND\)$' \
                "64-bit LD_ABS"
}

# asm and disasm agree on the legacy load forms.
case_ldabs_roundtrip() {
        printf '%s\n' 'ldabsb 23' 'ldabsh -1' 'ldabsw 2147483647' 'ldindb %r7, 0' \
                'ldindh %r10, -4' 'ldindw %r1, 65536' 'exit' >rt.s
        x "$BPF_AOT" asm rt.s -o rt.bin
        expect_rc 0 "asm of the LD_ABS/LD_IND forms"
        x "$BPF_AOT" disasm rt.bin
        expect_rc 0 "disasm of the LD_ABS/LD_IND forms"
        expect_eq "$(cat _out)" "$(cat rt.s)" "disasm gives back the source"
}

# ldabs.bpf.c: clang's load_byte/load_half/load_word builtins in a socket
# filter, as the kernel's samples write them.
case_ldabs_object() {
        local p how
        p=$(obj ldabs)
        [[ -s $p ]] || { bad "test input $p is missing"; return; }
        # 64 bytes; ethertype 0x0800 at 12, 0x46 at 14 (IHL 6: 24 bytes), word 0x12345678 at 38.
        mkmem frame.bin 64 5
        printf '\x08\x00\x46' | dd of=frame.bin bs=1 seek=12 conv=notrunc status=none
        printf '\x12\x34\x56\x78' | dd of=frame.bin bs=1 seek=38 conv=notrunc status=none
        x "$BPF_AOT" build "$p" -o out
        expect_rc 0 "build ldabs.bpf.o"
        for how in "-O 0" "-O 2" "--interp"; do
                # shellcheck disable=SC2086
                x "$BPF_AOT" run $how --program ldabs_fields "$p" frame.bin
                expect_stdout $((0x0800 + 6 + 0x123456)) "ldabs_fields (run $how)"
                # shellcheck disable=SC2086
                x "$BPF_AOT" run $how --program ldabs_tail "$p" frame.bin
                expect_stdout 0 "ldabs_tail past the end (run $how)"
                # shellcheck disable=SC2086
                x "$BPF_AOT" run $how --program ldabs_sub "$p" frame.bin
                expect_stdout $((6 * 100 + 0x0800)) "ldabs_sub (run $how)"
        done
        printf '\xab\xcd' >>frame.bin
        for how in "-O 2" "--interp"; do
                # shellcheck disable=SC2086
                x "$BPF_AOT" run $how --program ldabs_tail "$p" frame.bin
                expect_stdout $((0xabcd + 1)) "ldabs_tail at the end (run $how)"
        done
        x "$BPF_AOT" run out/ldabs_fields.o frame.bin
        expect_stdout $((0x0800 + 6 + 0x123456)) "ldabs_fields, built"
}
