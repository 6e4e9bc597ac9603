# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# Cases sourced by cli_test.sh: `bpf-aot verify`, the register analysis'
# per-instruction view of a program and its verdict.

# verify_asm FILE TEXT...: assemble TEXT (one instruction per line) into FILE.
verify_asm() {
        printf '%s\n' "${@:2}" >"$1.s"
        "$BPF_AOT" asm "$1.s" -o "$1" || bad "asm $1.s"
}

# What the analysis knows, instruction by instruction, and the verdict.
case_verify_log() {
        verify_asm bound.bin 'mov %r0, 0' 'ldxdw %r2, [%r1+0]' 'jgt %r2, 10, +2' \
                'add %r0, %r2' 'ja +1' 'mov %r0, 99' 'exit'
        x "$BPF_AOT" verify bound.bin
        expect_rc 0 "verify bound.bin"
        expect_stderr_empty "verify bound.bin"
        expect_grep '^program bound:$' _out "the program is named"
        expect_grep '^0: R1=ctx\(\) R2=scalar\(\)<=size R10=fp0$' _out "the entry state: r2 is the size"
        expect_grep '^2: jgt %r2, 10, \+2$' _out "each instruction follows its state"
        expect_grep '^3: R0=0 R1=ctx\(\) R2=scalar\(smin=smin32=0,smax=umax=smax32=umax32=10,var_off=\(0x0; 0xf\)\) R10=fp0$' \
                _out "r2 <= 10 on the fall-through edge"
        expect_grep '^5: R0=0 R1=ctx\(\) R2=scalar\(umin=11\) R10=fp0$' _out "r2 > 10 on the taken edge"
        expect_grep '^verdict: accepted \(7 instructions, 0 unreachable\)$' _out "the verdict"

        # Rooms: a value plus N is at most the context's size; the size's least value.
        verify_asm room.bin 'jlt %r2, 34, +3' 'mov %r3, %r1' 'add %r3, %r2' 'ldxb %r0, [%r1+33]' \
                'exit'
        x "$BPF_AOT" verify room.bin
        expect_rc 0 "verify room.bin"
        expect_grep '^1: R1=ctx\(\)<=size-34 R2=scalar\(umin=34\)<=size R10=fp0 size>=34$' _out \
                "after a size check: the context's least size, and what the context pointer has before it"
        expect_grep '^3: R1=ctx\(\)<=size-34 R2=scalar\(umin=34\)<=size R3=ctx\(off=scalar\(smin=umin=34,smax=umax=0x4000000000000000,var_off=\(0x0; 0x7fffffffffffffff\)\)\)<=size R10=fp0 size>=34$' \
                _out "ctx + size: the context's end"

        verify_asm dead.bin 'mov %r0, 1' 'ja +2' 'mov %r0, 2' 'mov %r0, 3' 'exit'
        x "$BPF_AOT" verify dead.bin
        expect_rc 0 "verify dead.bin"
        expect_grep '^2-3: unreachable$' _out "a run of unreachable instructions in one line"
        expect_grep '^verdict: accepted \(5 instructions, 2 unreachable\)$' _out "unreachable ones counted"
}

# Maps: a lookup's result may be NULL until it is checked.
case_verify_maps() {
        x "$BPF_AOT" verify --program count_hits "$(obj maps)"
        expect_rc 0 "verify --program count_hits maps.bpf.o"
        expect_grep '^program count_hits in section socket/hits:$' _out "program and section"
        expect_grep '^6: R1=map_ptr\(map=0,off=0\) R2=fp-4 ' _out "the map and the key on the stack"
        expect_grep '^7: R0=map_value_or_null\(map=0,off=0\) ' _out "after map_lookup_elem: maybe NULL"
        expect_grep '^8: R0=map_value\(map=0,off=0\) ' _out "after the NULL check: a map value"
        expect_no_grep '^program probe_key' _out "--program: only that program"
        x "$BPF_AOT" verify "$(obj maps)"
        expect_rc 0 "verify maps.bpf.o"
        expect_grep '^program probe_key ' _out "every program without --program"
}

# Refusals and bad command lines: one line each, the right exit status.
case_verify_errors() {
        verify_asm r3.bin 'ldxdw %r0, [%r3]' 'exit'
        x "$BPF_AOT" verify r3.bin
        expect_rc 1 "verify of a refused program"
        expect_err_line '^bpf-aot: r3\.bin: r3: insn 0: ldxdw %r0, \[%r3\+0\]: r3 is read before it is written \(uninitialised register\)$' \
                "the analysis' message"
        expect_grep '^0: R1=ctx\(\) R2=scalar\(\)<=size R10=fp0$' _out "the log shows r3 unwritten"
        expect_grep '^verdict: refused \(see the message\)$' _out "the verdict of a refused read"
        verify_asm far.bin 'ja +7' 'exit'
        x "$BPF_AOT" verify far.bin
        expect_rc 1 "verify of a structurally invalid program"
        expect_err_line 'insn 0: ja \+7: jump target 8 is outside the program' "the validator's message"
        expect_no_grep '^verdict' _out "no verdict for a program the analysis cannot run on"
        x "$BPF_AOT" verify
        expect_rc 2 "verify without input"
        expect_err_line '^bpf-aot: verify: no input file \(see .bpf-aot verify --help.\)$' "no input"
        x "$BPF_AOT" verify --nosuch r3.bin
        expect_rc 2 "verify --nosuch"
        expect_err_line "verify.*--nosuch" "unknown option"
        x "$BPF_AOT" verify --program nosuch "$(obj maps)"
        expect_rc 1 "verify --program nosuch"
        expect_err_line "no program named 'nosuch'" "--program names a missing program"
        "$BPF_AOT" build "$(obj hello)" -o vout >/dev/null 2>&1 || bad "build hello"
        x "$BPF_AOT" verify vout/*.o
        expect_rc 1 "verify of a native object"
        expect_err_line 'is a native object; verify takes an eBPF program$' "native object"
        x "$BPF_AOT" verify --help
        expect_rc 0 "verify --help"
        expect_grep '^Usage: bpf-aot verify ' _out "verify --help"
}
