# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# Hostile programs (sourced by cli_test.sh): programs bpf-aot's static
# validation accepts, because the bad offset, address, size or callback
# comes from the context at run time, and that then reach outside the
# memory they may touch (the context, their live stack frames, their global
# data, the map values and ring-buffer records the runtime handed out).
# `run --interp` (the oracle: it checks every access) and `run --sandbox`
# (compiled code with run-time checks) must both end them with exit status 1
# and the same one line, and must give plain `run`'s result for inputs that
# keep them inside, and for ordinary programs.
#
# CLI_SANDBOX_ENGINES (default "--interp --sandbox") picks the engines the
# programs run under besides plain `run`: "--interp" runs the oracle's half
# alone, "--sandbox" the sandbox's.

SANDBOX_ENGINES=${CLI_SANDBOX_ENGINES:---interp --sandbox}

# sandbox_asm NAME LINE...: NAME.bin assembled from the lines; `compile` accepts it
# (what follows is then about run time, not about the static checks).
sandbox_asm() {
        printf '%s\n' "${@:2}" >"$1.s"
        x "$BPF_AOT" asm "$1.s" -o "$1.bin"
        expect_rc 0 "assemble $1"
        x "$BPF_AOT" compile "$1.bin" -o "$1.o"
        expect_rc 0 "compile $1.bin: static validation accepts it"
}

# sandbox_ctx FILE VALUE...: FILE holds each VALUE as 8 little-endian bytes.
sandbox_ctx() {
        local f=$1 i=0 v
        shift
        : >"$f"
        for v in "$@"; do
                poke "$f" $((8 * i)) 8 "$v"
                i=$((i + 1))
        done
}

sandbox_re_quote() { printf '%s' "$1" | sed 's/[][\.*^$+?(){}|/]/\\&/g'; }

# sandbox_fault ENGINE FILE MEM REASON INSN WHAT [OPTION...]: `run ENGINE OPTION... FILE
# [MEM]` (no MEM when empty) ends with exit status 1, not a signal, nothing on
# stdout and one line on stderr: "bpf-aot: FILE: PROGRAM: insn INSN: <insn>: REASON".
# INSN and REASON are extended regular expressions. The line is kept in
# fault.ENGINE (without its leading dashes).
sandbox_fault() {
        local engine=$1 file=$2 mem=$3 reason=$4 insn=$5 what=$6 name a prev=
        shift 6
        # The program's name: --program's, else the file's without its extension.
        name=$(basename "$file")
        name=${name%%.*}
        for a in "$@"; do
                [[ $prev == --program ]] && name=$a
                prev=$a
        done
        x timeout 10 "$BPF_AOT" run "$engine" "$@" "$file" ${mem:+"$mem"}
        expect_rc 1 "run $engine: $what"
        expect_stdout_empty "run $engine: $what"
        expect_err_line "^bpf-aot: $(sandbox_re_quote "$file"): $name: insn $insn: [^:]+: $reason\$" \
                "run $engine: $what"
        cp _err "fault.${engine#--}"
}

# both_engines FILE MEM REASON INSN WHAT [OPTION...]: sandbox_fault under each engine of
# SANDBOX_ENGINES; with both, the sandbox's line is the interpreter's but for addresses.
both_engines() {
        local e
        rm -f fault.interp fault.sandbox
        for e in $SANDBOX_ENGINES; do
                sandbox_fault "$e" "$@"
        done
        if [[ -s fault.interp && -s fault.sandbox ]]; then
                expect_eq "$(sed -E 's/0x[0-9a-f]+/0xADDR/g' fault.sandbox)" \
                        "$(sed -E 's/0x[0-9a-f]+/0xADDR/g' fault.interp)" \
                        "$5: the sandbox's line is the interpreter's (addresses aside)"
        fi
}

# engines_agree WANT WHAT ARG...: `run ARG...` prints WANT (with WANT "-": whatever it
# prints, once it succeeds), and so does `run ENGINE ARG...` for each engine of
# SANDBOX_ENGINES, with nothing on stderr.
# sandbox_refuses WHAT REASON ARGS...: run --sandbox refuses the program when building it.
sandbox_refuses() {
        local what=$1 reason=$2
        shift 2
        x timeout 10 "$BPF_AOT" run --sandbox "$@"
        expect_rc 1 "run --sandbox: $what"
        expect_err_line "insn [0-9]+( \\([^)]*\\))?: [^:]+: $reason\$" "run --sandbox: $what is refused"
}

engines_agree() {
        local want=$1 what=$2 e
        shift 2
        x timeout 10 "$BPF_AOT" run "$@"
        expect_rc 0 "run: $what"
        if [[ $want == - ]]; then
                want=$(cat _out)
                [[ -n $want ]] || bad "run: $what: nothing on stdout"
        else
                expect_stdout "$want" "run: $what"
        fi
        for e in $SANDBOX_ENGINES; do
                x timeout 10 "$BPF_AOT" run "$e" "$@"
                expect_rc 0 "run $e: $what"
                expect_stdout "$want" "run $e: $what"
                expect_stderr_empty "run $e: $what"
        done
}

# u64 as `run` prints it.
sandbox_u64() { printf '%u' "$1"; }

# The context, read and written past its end (and before its start) at an
# offset the context itself gives; atomics too; and a run without MEMORY,
# whose context is empty.
case_sandbox_context() {
        local off
        sandbox_asm ctx_load 'ldxdw %r2, [%r1+0]' 'add %r1, %r2' 'ldxdw %r0, [%r1+0]' 'exit'
        for off in 8 16; do
                sandbox_ctx c.bin "$off" 0x1122334455667788 0x0102030405060708
                engines_agree "$(sandbox_u64 "$(peek c.bin "$off" 8)")" "load at ctx+$off of 24 bytes" \
                        ctx_load.bin c.bin
        done
        for off in 17 24 -8 $((1 << 40)); do
                sandbox_ctx c.bin "$off" 0x1122334455667788 0x0102030405060708
                both_engines ctx_load.bin c.bin "out-of-bounds load of 8 bytes at 0x[0-9a-f]+" 2 \
                        "load at ctx+$off of 24 bytes"
        done

        sandbox_asm ctx_store 'ldxdw %r2, [%r1+0]' 'mov %r3, %r1' 'add %r3, %r2' \
                'stxw [%r3+0], %r2' 'ldxw %r0, [%r1+20]' 'exit'
        sandbox_ctx c.bin 20 0 0
        engines_agree 20 "4-byte store at ctx+20 of 24 bytes" ctx_store.bin c.bin
        for off in 21 24 -4 $((1 << 40)); do
                sandbox_ctx c.bin "$off" 0 0
                both_engines ctx_store.bin c.bin "out-of-bounds store of 4 bytes at 0x[0-9a-f]+" 3 \
                        "4-byte store at ctx+$off of 24 bytes"
        done

        sandbox_asm ctx_atomic 'ldxdw %r2, [%r1+0]' 'add %r1, %r2' 'mov %r3, 1' \
                'lock add [%r1+0], %r3' 'ldxdw %r0, [%r1+0]' 'exit'
        sandbox_ctx c.bin 16 0 41
        engines_agree 42 "atomic add at ctx+16 of 24 bytes" ctx_atomic.bin c.bin
        for off in 20 24; do
                sandbox_ctx c.bin "$off" 0 41
                both_engines ctx_atomic.bin c.bin "out-of-bounds atomic access of 8 bytes at 0x[0-9a-f]+" 3 \
                        "atomic add at ctx+$off of 24 bytes"
        done

        # No MEMORY: r2 = 0, and not one byte of context to read.
        sandbox_asm ctx_first 'ldxb %r0, [%r1+0]' 'exit'
        printf '\x2a' >one.bin
        engines_agree 42 "the one byte of a 1-byte context" ctx_first.bin one.bin
        both_engines ctx_first.bin "" "out-of-bounds load of 1 bytes at 0x[0-9a-f]+" 0 \
                "a byte of the empty context (no MEMORY)"
}

# r10 plus an offset from the context: a store above the frame is the attack
# that overwrote the native return address; loads there read it. The frame
# is [r10-512, r10).
case_sandbox_stack() {
        local off o
        sandbox_asm stack_store 'ldxdw %r2, [%r1+0]' 'mov %r3, %r10' 'add %r3, %r2' \
                'stxdw [%r3+0], %r2' 'ldxdw %r0, [%r3+0]' 'exit'
        for off in -8 -512; do
                sandbox_ctx s.bin "$off"
                engines_agree "$(sandbox_u64 "$off")" "store at fp$off" stack_store.bin s.bin
        done
        for off in 0 8 16 -4 -513 -520 -4096 $((-(1 << 20))); do
                sandbox_ctx s.bin "$off"
                both_engines stack_store.bin s.bin "out-of-bounds store of 8 bytes at 0x[0-9a-f]+" 3 \
                        "store at fp+($off)"
        done
        # The checks must survive optimisation levels.
        for o in 0 1 3; do
                sandbox_ctx s.bin 8
                both_engines stack_store.bin s.bin "out-of-bounds store of 8 bytes at 0x[0-9a-f]+" 3 \
                        "-O $o: store at fp+8" -O "$o"
        done

        sandbox_asm stack_load 'ldxdw %r2, [%r1+0]' 'mov %r3, %r10' 'add %r3, %r2' \
                'ldxdw %r0, [%r3+0]' 'exit'
        sandbox_ctx s.bin -8
        engines_agree 0 "load at fp-8 (a zeroed frame)" stack_load.bin s.bin
        for off in 0 8 24 -520; do
                sandbox_ctx s.bin "$off"
                both_engines stack_load.bin s.bin "out-of-bounds load of 8 bytes at 0x[0-9a-f]+" 3 \
                        "load at fp+($off)"
        done

        # Atomics, 8 and 4 bytes, above the frame.
        sandbox_asm stack_atomic 'ldxdw %r2, [%r1+0]' 'ldxdw %r4, [%r1+8]' 'mov %r3, %r10' \
                'add %r3, %r2' 'mov %r0, 5' 'jeq %r4, 4, +2' 'lock fetch xchg [%r3+0], %r0' 'exit' \
                'lock fetch add32 [%r3+0], %r0' 'exit'
        sandbox_ctx s.bin -8 8
        engines_agree 0 "xchg at fp-8 (a zeroed frame)" stack_atomic.bin s.bin
        for off in 0 8; do
                sandbox_ctx s.bin "$off" 8
                both_engines stack_atomic.bin s.bin "out-of-bounds atomic access of 8 bytes at 0x[0-9a-f]+" 6 \
                        "xchg at fp+($off)"
        done
        sandbox_ctx s.bin -2 4
        both_engines stack_atomic.bin s.bin "out-of-bounds atomic access of 4 bytes at 0x[0-9a-f]+" 8 \
                "32-bit add at fp-2"

        # The same from a callee's frame: above it is no live frame either.
        sandbox_asm stack_callee 'ldxdw %r1, [%r1+0]' 'call local callee' 'exit' 'callee:' \
                'mov %r3, %r10' 'add %r3, %r1' 'stxdw [%r3+0], %r1' 'ldxdw %r0, [%r3+0]' 'exit'
        sandbox_ctx s.bin -16
        engines_agree "$(sandbox_u64 -16)" "callee: store at fp-16" stack_callee.bin s.bin
        sandbox_ctx s.bin 8
        both_engines stack_callee.bin s.bin "out-of-bounds store of 8 bytes at 0x[0-9a-f]+" 5 \
                "callee: store at fp+8"
}

# Scalars used as addresses: a constant (the analysis lets it through) and
# addresses read from the context, stored to and loaded from.
case_sandbox_forged() {
        local a
        sandbox_asm forged_const 'lddw %r1, 0x12345678' 'ldxdw %r0, [%r1+0]' 'exit'
        both_engines forged_const.bin "" "out-of-bounds load of 8 bytes at 0x12345678" 2 \
                "load at the constant 0x12345678"

        sandbox_asm forged_load 'ldxdw %r1, [%r1+0]' 'ldxdw %r0, [%r1+0]' 'exit'
        sandbox_asm forged_store 'ldxdw %r2, [%r1+8]' 'ldxdw %r1, [%r1+0]' 'stxdw [%r1+0], %r2' \
                'mov %r0, 0' 'exit'
        for a in 0x12345678 0x0 0xffff800000000000 0x7ffffffff000 0xfffffffffffffff8; do
                sandbox_ctx f.bin "$a" 7
                both_engines forged_load.bin f.bin \
                        "out-of-bounds load of 8 bytes at $(printf '0x%x' "$a")" 1 "load at $a from the context"
                both_engines forged_store.bin f.bin \
                        "out-of-bounds store of 8 bytes at $(printf '0x%x' "$a")" 2 "store at $a from the context"
        done
        # A map the program does not have: the context, or a number, handed to map_lookup_elem.
        sandbox_asm forged_map 'mov %r6, %r1' 'ldxdw %r7, [%r1+0]' 'stdw [%r10-8], 0' \
                'mov %r2, %r10' 'add %r2, -8' 'mov %r1, %r6' 'jeq %r7, 0, call' 'mov %r1, %r7' \
                'call:' 'call 1' 'mov %r0, 0' 'exit'
        for a in 0 0x12345678; do
                sandbox_ctx f.bin "$a" 0 0 0 0 0 0 0
                both_engines forged_map.bin f.bin \
                        "helper map_lookup_elem \\(arg 1\\): 0x[0-9a-f]+ is not one of the program's maps" \
                        8 "map_lookup_elem of a map from the context ($a)"
        done
}

# Helpers handed memory the program may not touch, by a size from the
# context; bpf_loop handed a callback that is not one of the program's
# functions (a number, the stack, the context).
case_sandbox_helpers() {
        local n comm p
        # probe_read(fp-8, size, ctx): 8 bytes copy the context's first 8 (the size itself).
        sandbox_asm probe_stack 'ldxdw %r2, [%r1+0]' 'mov %r3, %r1' 'mov %r1, %r10' 'add %r1, -8' \
                'call 4' 'ldxdw %r0, [%r10-8]' 'exit'
        sandbox_ctx p.bin 8 0 0
        engines_agree 8 "probe_read of 8 bytes to fp-8" probe_stack.bin p.bin
        for n in 9 16 65536; do
                sandbox_ctx p.bin "$n" 0 0
                both_engines probe_stack.bin p.bin \
                        "out-of-bounds write by helper probe_read \\(arg 1\\) of $n bytes at 0x[0-9a-f]+" 4 \
                        "probe_read of $n bytes to fp-8"
        done
        # probe_read(ctx, size, ctx): past the context's end.
        sandbox_asm probe_ctx 'mov %r6, %r1' 'ldxdw %r2, [%r1+0]' 'mov %r3, %r1' 'call 4' \
                'ldxdw %r0, [%r6+8]' 'exit'
        sandbox_ctx p.bin 24 5 6
        engines_agree 5 "probe_read of the whole context onto itself" probe_ctx.bin p.bin
        sandbox_ctx p.bin 25 5 6
        both_engines probe_ctx.bin p.bin \
                "out-of-bounds write by helper probe_read \\(arg 1\\) of 25 bytes at 0x[0-9a-f]+" 3 \
                "probe_read of 25 bytes to a 24-byte context"

        # get_current_comm(fp-16, size): the name's first byte with 16.
        sandbox_asm comm 'ldxdw %r2, [%r1+0]' 'mov %r1, %r10' 'add %r1, -16' 'call 16' \
                'ldxb %r0, [%r10-16]' 'exit'
        comm=$(basename "$BPF_AOT")
        sandbox_ctx p.bin 16
        engines_agree "$(printf '%d' "'${comm:0:1}")" "get_current_comm of 16 bytes to fp-16" comm.bin p.bin
        for n in 17 64; do
                sandbox_ctx p.bin "$n"
                both_engines comm.bin p.bin \
                        "out-of-bounds write by helper get_current_comm \\(arg 1\\) of $n bytes at 0x[0-9a-f]+" 3 \
                        "get_current_comm of $n bytes to fp-16"
        done

        # ringbuf_output of a 16-byte stack buffer {val, val + 1}, idx bytes of it: more would
        # send the native stack to the ring buffer's reader.
        p=$(obj sandbox_hostile)
        if [[ -s $p ]]; then
                sandbox_ctx p.bin 0 16 5
                engines_agree - "ringbuf_output of the 16-byte buffer" --dump-maps --program ringbuf_leak \
                        "$p" p.bin
                expect_grep '^  record: 05 00 00 00 00 00 00 00 06 00 00 00 00 00 00 00$' _out \
                        "the record is the buffer"
                for n in 17 4096; do
                        sandbox_ctx p.bin 0 "$n" 5
                        both_engines "$p" p.bin \
                                "out-of-bounds read by helper ringbuf_output \\(arg 2\\) of $n bytes at 0x[0-9a-f]+" \
                                "[0-9]+" "ringbuf_output of $n bytes of a 16-byte buffer" --program ringbuf_leak
                done
        else
                bad "test input $p is missing"
        fi

        # bpf_loop(1, callback from the context, NULL, 0): NULL is refused by the helper itself.
        sandbox_asm loop_forged 'ldxdw %r2, [%r1+0]' 'mov %r1, 1' 'mov %r3, 0' 'mov %r4, 0' \
                'call 181' 'exit'
        sandbox_ctx p.bin 0
        engines_agree "$(sandbox_u64 -22)" "bpf_loop with a NULL callback: -EINVAL" loop_forged.bin p.bin
        for n in 0x12345678 0x7fffffffe000 0xffffffffffffffff; do
                sandbox_ctx p.bin "$n"
                both_engines loop_forged.bin p.bin \
                        "helper loop \\(arg 2\\): $(printf '0x%x' "$n") is not one of the program's functions" 4 \
                        "bpf_loop with the callback $n"
        done
        # Code planted on the stack, and the context's bytes, as the callback.
        sandbox_asm loop_stack 'lddw %r2, 0xc3c3c3c3c3c3c3c3' 'stxdw [%r10-8], %r2' 'mov %r2, %r10' \
                'add %r2, -8' 'mov %r1, 1' 'mov %r3, 0' 'mov %r4, 0' 'call 181' 'exit'
        both_engines loop_stack.bin "" \
                "helper loop \\(arg 2\\): 0x[0-9a-f]+ is not one of the program's functions" 8 \
                "bpf_loop with a callback on the stack"
        sandbox_asm loop_ctx 'mov %r2, %r1' 'mov %r1, 1' 'mov %r3, 0' 'mov %r4, 0' 'call 181' 'exit'
        sandbox_ctx p.bin 0xc3c3c3c3c3c3c3c3
        both_engines loop_ctx.bin p.bin \
                "helper loop \\(arg 2\\): 0x[0-9a-f]+ is not one of the program's functions" 4 \
                "bpf_loop with the context as the callback"
}

# A pointer into a callee's frame, used after the callee returned: the frame
# is no longer live.
case_sandbox_dangling() {
        sandbox_asm dangle_ret 'call local callee' 'ldxdw %r0, [%r0+0]' 'exit' 'callee:' \
                'stdw [%r10-8], 42' 'mov %r0, %r10' 'add %r0, -8' 'exit'
        both_engines dangle_ret.bin "" "out-of-bounds load of 8 bytes at 0x[0-9a-f]+" 1 \
                "load through the callee's returned fp-8"
        sandbox_asm dangle_store 'call local callee' 'stdw [%r0+0], 1' 'mov %r0, 0' 'exit' 'callee:' \
                'mov %r0, %r10' 'add %r0, -8' 'exit'
        both_engines dangle_store.bin "" "out-of-bounds store of 8 bytes at 0x[0-9a-f]+" 1 \
                "store through the callee's returned fp-8"
        # Handed back through the caller's stack rather than r0.
        sandbox_asm dangle_spill 'mov %r1, %r10' 'add %r1, -8' 'call local callee' \
                'ldxdw %r1, [%r10-8]' 'ldxdw %r0, [%r1+0]' 'exit' 'callee:' 'stdw [%r10-16], 42' \
                'mov %r2, %r10' 'add %r2, -16' 'stxdw [%r1+0], %r2' 'mov %r0, 0' 'exit'
        both_engines dangle_spill.bin "" "out-of-bounds load of 8 bytes at 0x[0-9a-f]+" 4 \
                "load through the callee's fp-16, spilled to the caller's stack"
        # While the callee runs, the caller's frame is live: its callee may use it.
        sandbox_asm live_caller 'stdw [%r10-8], 40' 'mov %r1, %r10' 'add %r1, -8' \
                'call local callee' 'ldxdw %r0, [%r10-8]' 'exit' 'callee:' 'ldxdw %r2, [%r1+0]' \
                'add %r2, 2' 'stxdw [%r1+0], %r2' 'mov %r0, 0' 'exit'
        engines_agree 42 "a callee writes its caller's frame" live_caller.bin
}

# Callbacks that hand themselves to bpf_loop: without end (raw bytecode and
# C), and nested a number of times the context gives.
case_sandbox_recurse() {
        local p n
        p=$(obj sandbox_hostile)
        [[ -s $p ]] || { bad "test input $p is missing"; return; }
        # main: bpf_loop(1, cb, 0, 0); cb (insn 7): the same with itself.
        sandbox_asm recurse 'mov %r1, 1' 'lddw %r2, code_addr 5' 'mov %r3, 0' 'mov %r4, 0' \
                'call 181' 'exit' 'mov %r1, 1' 'lddw %r2, code_addr -2' 'mov %r3, 0' 'mov %r4, 0' \
                'call 181' 'mov %r0, 0' 'exit'
        both_engines recurse.bin "" "call chain deeper than 8 frames" 12 \
                "a callback passing itself to bpf_loop"
        both_engines "$p" "" "call chain deeper than 8 frames" "[0-9]+ \\(again\\+[0-9]+\\)" \
                "C: a callback passing itself to bpf_loop" --program recurse
        # The entry's frame and 7 callbacks' fit in 8 frames; 8 callbacks do not.
        for n in 0 3 6; do
                sandbox_ctx n.bin 0 "$n" 0
                engines_agree $(((n + 1) * 1000 + 1)) "$((n + 1)) nested callbacks" \
                        --program nest "$p" n.bin
        done
        for n in 7 20; do
                sandbox_ctx n.bin 0 "$n" 0
                both_engines "$p" n.bin "call chain deeper than 8 frames" "[0-9]+ \\(nest_cb\\+[0-9]+\\)" \
                        "$((n + 1)) nested callbacks" --program nest
        done
}

# The loop budget: loops that never end, and callbacks that multiply, end the run.
case_sandbox_budget() {
        sandbox_asm spin 'mov %r0, 0' 'add %r0, 1' 'ja -2' 'exit'
        # The fault names the loop's head (the backward jump's target), optimised or not.
        for o in 2 0; do
                x timeout 60 "$BPF_AOT" run --sandbox --max-loops 100000 -O $o spin.bin
                expect_rc 1 "run --sandbox --max-loops 100000 -O $o of an endless loop"
                expect_err_line '^bpf-aot: spin\.bin: spin: insn 1: add %r0, 1: exceeded the limit of 100000 loop iterations$' \
                        "an endless loop ends with the budget, at its head (-O $o)"
        done
        # Nested loops: the inner one (insn 4) never ends; in a sub-program (insn 10) too.
        sandbox_asm nest 'mov %r0, 0' 'mov %r1, 3' 'add %r0, 1' 'mov %r2, 0' 'add %r2, 1' \
                'jne %r1, 0, -2' 'add %r1, -1' 'jne %r1, 0, -6' 'call local +1' 'exit' \
                'mov %r3, 0' 'add %r3, 1' 'jne %r1, 7, -2' 'mov %r0, %r3' 'exit'
        x timeout 60 "$BPF_AOT" run --sandbox --max-loops 100000 nest.bin
        expect_rc 1 "run --sandbox of an endless inner loop"
        expect_err_line '^bpf-aot: nest\.bin: nest: insn 4: add %r2, 1: exceeded the limit of 100000 loop iterations$' \
                "the inner loop's head is named"
        sandbox_asm nestsub 'mov %r1, 0' 'call local +1' 'exit' 'mov %r3, 0' 'add %r3, 1' \
                'jne %r1, 7, -2' 'mov %r0, %r3' 'exit'
        x timeout 60 "$BPF_AOT" run --sandbox --max-loops 100000 nestsub.bin
        expect_rc 1 "run --sandbox of an endless loop in a sub-program"
        expect_err_line '^bpf-aot: nestsub\.bin: nestsub: insn 4: add %r3, 1: exceeded the limit of 100000 loop iterations$' \
                "a sub-program's loop head is named"
        x timeout 60 "$BPF_AOT" run --sandbox spin.bin
        expect_rc 1 "run --sandbox of an endless loop: the default budget"
        expect_err_line 'exceeded the limit of 100000000 loop iterations$' "the default budget"
        # 100 iterations are well inside a budget of 100000: the result is the loop's.
        sandbox_asm count 'mov %r0, 0' 'mov %r1, 100' 'add %r0, 1' 'sub %r1, 1' \
                'jne %r1, 0, -3' 'exit'
        x "$BPF_AOT" run --sandbox --max-loops 100000 count.bin
        expect_rc 0 "a loop of 100 iterations"
        expect_stdout 100 "a loop of 100 iterations"
        # bpf_loop(2^23, cb) where cb runs bpf_loop(2^23, cb2): 2^46 calls, each one counted.
        sandbox_asm nested 'mov %r1, 8388608' 'lddw %r2, code_addr 5' 'mov %r3, 0' 'mov %r4, 0' \
                'call 181' 'exit' 'mov %r1, 8388608' 'lddw %r2, code_addr 6' 'mov %r3, 0' \
                'mov %r4, 0' 'call 181' 'mov %r0, 0' 'exit' 'mov %r0, 0' 'exit'
        x timeout 60 "$BPF_AOT" run --sandbox --max-loops 1000000 nested.bin
        expect_rc 1 "run --sandbox of 2^46 callback calls"
        expect_err_line '^bpf-aot: nested\.bin: nested: insn 12: call 181: exceeded the limit of 1000000 loop iterations$' \
                "callback calls count against the budget, at the bpf_loop call running them"
        x "$BPF_AOT" build --max-loops 5 "$(obj progs)" -o budget
        expect_rc 2 "build --max-loops without --sandbox"
        expect_err_line '^bpf-aot: build: --max-loops is the budget of --sandbox: give both$' \
                "--max-loops without --sandbox"
        x "$BPF_AOT" run --sandbox --max-loops 0 count.bin
        expect_rc 2 "run --max-loops 0"
        expect_err_line '^bpf-aot: run: --max-loops takes a positive number$' "run --max-loops 0"
}

# Global data, map values and ring-buffer records indexed from the context
# (sandbox_hostile.bpf.c), and a store into .rodata through a pointer that
# is .rodata or .bss as the context says.
case_sandbox_globals() {
        local p i o
        p=$(obj sandbox_hostile)
        [[ -s $p ]] || { bad "test input $p is missing"; return; }
        x "$BPF_AOT" build "$p" -o out
        expect_rc 0 "build sandbox_hostile.bpf.o: static validation accepts every program"

        # table[2] = 5: 5 + counter 7.
        sandbox_ctx g.bin 0 2 5
        engines_agree 12 "bss_store: table[2] = 5" --program bss_store "$p" g.bin
        for i in 4 -1 $((1 << 20)); do
                sandbox_ctx g.bin 0 "$i" 5
                both_engines "$p" g.bin "out-of-bounds store of 8 bytes at 0x[0-9a-f]+" "[0-9]+" \
                        "bss_store: table[$i] of 4" --program bss_store
                both_engines "$p" g.bin "out-of-bounds load of 8 bytes at 0x[0-9a-f]+" "[0-9]+" \
                        "bss_load: table[$i] of 4" --program bss_load
        done
        sandbox_ctx g.bin 0 4 5
        both_engines "$p" g.bin "out-of-bounds store of 8 bytes at 0x[0-9a-f]+" "[0-9]+" \
                "-O 0: bss_store: table[4] of 4" --program bss_store -O 0
        sandbox_ctx g.bin 0 3 0
        engines_agree 0 "bss_load: table[3]" --program bss_load "$p" g.bin

        # .rodata {10, 20, 30, 40} stays; .bss table[1] = 5.
        sandbox_ctx g.bin 0 1 5
        engines_agree 105 "rodata_store: the pointer is .bss" --program rodata_store "$p" g.bin
        sandbox_ctx g.bin 1 1 5
        for o in 0 2; do
                both_engines "$p" g.bin "store to read-only global data \\(\\.rodata\\)" "[0-9]+" \
                        "-O $o: rodata_store: the pointer is .rodata" --program rodata_store -O "$o"
        done

        # The same stores made by probe_read_kernel.
        sandbox_ctx g.bin 0 1 5
        engines_agree 105 "rodata_helper: the pointer is .bss" --program rodata_helper "$p" g.bin
        sandbox_ctx g.bin 1 1 5
        both_engines "$p" g.bin \
                "write by helper probe_read_kernel \\(arg 1\\) to read-only global data \\(\\.rodata\\)" \
                "[0-9]+" "rodata_helper: the pointer is .rodata" --program rodata_helper

        # An array map of two u64[4] values: values[0][3] = 5.
        sandbox_ctx g.bin 0 3 5
        engines_agree 5 "map_value: v[3] = 5" --program map_value "$p" g.bin
        for i in -1 $((1 << 20)); do
                sandbox_ctx g.bin 0 "$i" 5
                both_engines "$p" g.bin "out-of-bounds store of 8 bytes at 0x[0-9a-f]+" "[0-9]+" \
                        "map_value: v[$i] past the map's values" --program map_value
        done

        # A map's value read by map_update_elem from the stack: 32 bytes (the value's size).
        sandbox_ctx g.bin 0 0 5
        engines_agree 6 "map_update: the whole 32-byte buffer" --program map_update "$p" g.bin
        sandbox_ctx g.bin 0 $((1 << 16)) 5
        both_engines "$p" g.bin \
                "out-of-bounds read by helper map_update_elem \\(arg 3\\) of 32 bytes at 0x[0-9a-f]+" \
                "[0-9]+" "map_update: a value read from past the frame" --program map_update

        # A 16-byte record {1, 2}: rec[1] = 5 gives 6.
        sandbox_ctx g.bin 0 1 5
        engines_agree 6 "ringbuf_record: rec[1] = 5" --program ringbuf_record "$p" g.bin
        sandbox_ctx g.bin 0 $((1 << 20)) 5
        both_engines "$p" g.bin "out-of-bounds store of 8 bytes at 0x[0-9a-f]+" "[0-9]+" \
                "ringbuf_record: rec[1 << 20] past the ring buffer" --program ringbuf_record
        # In a sandbox a record is the program's from reserve to submit or discard, no longer
        # (the interpreter lets a program touch the whole ring).
        sandbox_ctx g.bin 0 0 5
        engines_agree 7 "ringbuf_misuse: reserve, submit" --program ringbuf_misuse "$p" g.bin
        sandbox_ctx g.bin 1 0 5
        SANDBOX_ENGINES=--sandbox both_engines "$p" g.bin \
                "out-of-bounds store of 8 bytes at 0x[0-9a-f]+" "[0-9]+" \
                "ringbuf_misuse: a record written after submit" --program ringbuf_misuse
        sandbox_ctx g.bin 2 0 5
        both_engines "$p" g.bin \
                "helper ringbuf_submit \\(arg 1\\): 0x[0-9a-f]+ is not a ring-buffer record the program holds \\(reserved, not yet submitted or discarded\\)" \
                "[0-9]+" "ringbuf_misuse: a record submitted twice" --program ringbuf_misuse
        sandbox_ctx g.bin 3 0 5
        both_engines "$p" g.bin \
                "helper ringbuf_submit \\(arg 1\\): 0x[0-9a-f]+ is not a ring-buffer record .*" \
                "[0-9]+" "ringbuf_misuse: the context submitted as a record" --program ringbuf_misuse
}

# Correct programs: the sandbox refuses none of them and changes no result.
case_sandbox_benign() {
        local m
        mkmem mem.bin 200 11
        # Bytes summed up to r2, the bound checked on every iteration.
        sandbox_asm sum 'mov %r0, 0' 'mov %r3, 0' 'loop:' 'jge %r3, %r2, done' 'mov %r4, %r1' \
                'add %r4, %r3' 'ldxb %r5, [%r4+0]' 'add %r0, %r5' 'add %r3, 1' 'ja loop' 'done:' 'exit'
        engines_agree "$(bytes_sum mem.bin)" "sum of 200 bytes up to r2" sum.bin mem.bin
        engines_agree 0 "sum of no bytes (no MEMORY)" sum.bin
        engines_agree "$(bytes_sum mem.bin)" "sum_bytes.bpf.o" --program sum_bytes "$(obj progs)" mem.bin
        engines_agree "$(mix_expect 200 "$(first_byte mem.bin)")" "mix (a helper, r2)" \
                --program mix "$(obj progs)" mem.bin
        # The whole 512-byte frame, written and summed: 0 + 1 + ... + 63.
        sandbox_asm frame 'mov %r1, 0' 'mov %r2, %r10' 'fill:' 'add %r2, -8' 'stxdw [%r2+0], %r1' \
                'add %r1, 1' 'jlt %r1, 64, fill' 'mov %r0, 0' 'mov %r2, %r10' 'add %r2, -512' 'sum:' \
                'ldxdw %r3, [%r2+0]' 'add %r0, %r3' 'add %r2, 8' 'jne %r2, %r10, sum' 'exit'
        engines_agree $((63 * 64 / 2)) "every slot of the frame" frame.bin
        engines_agree - "local calls passing the context" --program subprogs_main "$(obj subprogs)" mem.bin
        # bpf_loop's callback writing the caller's stack: sum of squares below 100.
        engines_agree $((328350 * 1000 + 100)) "a bpf_loop callback on the caller's stack" \
                "$CLI_OBJS/loop.bpf.o"
        engines_agree - "a .rodata table read by a callback" --program prime_walk \
                "$CLI_OBJS/rodata_loop_stack.bpf.o" mem.bin
        for m in each parse; do
                engines_agree - "helpers.bpf.o $m: map values and stack buffers through helpers" \
                        --program "$m" "$CLI_OBJS/helpers.bpf.o"
        done
        # format: bpf_snprintf and bpf_strncmp with formats in .rodata.
        for m in lru_fill queue_stack ringbuf format; do
                engines_agree - "allkinds.bpf.o $m" --program "$m" "$CLI_OBJS/allkinds.bpf.o"
        done
        # What the checks do not cover is refused when the program is built, by call.
        sandbox_asm sk_release 'mov %r1, 0' 'call 86' 'mov %r0, 0' 'exit'
        sandbox_refuses "sk_release" "helper sk_release is not allowed in a sandbox: its argument 1, a kernel object, is not checked" \
                sk_release.bin
        # bpf_send_signal would signal the host (SIGKILL ends it): refused.
        sandbox_asm send_signal 'mov %r1, 9' 'call 109' 'mov %r0, 0' 'exit'
        sandbox_refuses "send_signal" "helper send_signal is not allowed in a sandbox: it signals the host process" \
                send_signal.bin
        x "$BPF_AOT" compile --sandbox send_signal.bin -o refused.o
        expect_rc 1 "compile --sandbox of a program calling send_signal"
        expect_err_line 'insn 1: call 109: helper send_signal is not allowed in a sandbox: .*' \
                "compile --sandbox names the call"
        expect_no_file refused.o "compile --sandbox of a refused program"
}

# bpf_timer under --sandbox: the callback runs on the runtime's timer thread as a sandboxed run of
# its own (the timer's key its context); a fault there fails `run`, named with the timer's map.
case_sandbox_timers() {
        local p o
        p="$CLI_OBJS/helpers.bpf.o"
        for o in 0 2; do
                x timeout 30 "$BPF_AOT" run -O $o --sandbox --program timer "$p"
                expect_rc 0 "-O $o run --sandbox: a timer"
                expect_stdout $((7 * 10 + 1)) "-O $o run --sandbox: the timer callback ran with its key"
                expect_stderr_empty "-O $o run --sandbox: a timer"
                x timeout 30 "$BPF_AOT" run -O $o --sandbox --program timer_wild "$p"
                expect_rc 1 "-O $o run --sandbox: a timer callback storing far past its value"
                expect_err_line 'timer_wild: insn [0-9]+: out-of-bounds store of 8 bytes at 0x[0-9a-f]+ \(in a callback of a timer of map timers\)' \
                        "-O $o run --sandbox: the callback's store faults, named with its timer's map"
                # The program's own wait for the callback spends the same budget (about 2 s of it).
                x timeout 30 "$BPF_AOT" run -O $o --sandbox --max-loops 50000000 --program timer_spin "$p"
                expect_rc 1 "-O $o run --sandbox: a timer callback that never returns"
                expect_err_line 'timer_spin: insn [0-9]+: exceeded the limit of 50000000 loop iterations \(in a callback of a timer of map timers\)' \
                        "-O $o run --sandbox: the callback's run has a loop budget of its own"
        done
}

# Maps and global data kept across runs: the sandbox's state and dump are plain run's.
case_sandbox_maps() {
        local key
        engines_agree - "maps.bpf.o count_hits, 3 runs, maps dumped" --repeat 3 --dump-maps \
                --program count_hits "$(obj maps)"
        expect_grep '^  key: 00 00 00 00  value: 03 00 00 00 00 00 00 00$' _out \
                "run --sandbox: hits[0] counted 3 runs"
        for key in 00000000 03000000 04000000; do
                hex2bin key.bin ${key:0:2} ${key:2:2} ${key:4:2} ${key:6:2}
                engines_agree - "maps.bpf.o probe_key 0x$key" --program probe_key "$(obj maps)" key.bin
        done
        engines_agree - "global.bpf.o count_calls, 4 runs, maps dumped" --repeat 4 --dump-maps \
                --program count_calls "$(obj global)"
}

# trace_printk's %s follows a pointer the program hands over as a number: in
# a sandbox the runtime reads it only inside the run's memory, so a string
# outside the context, or one the context does not end, prints as the kernel
# prints an unreadable one (nothing). The interpreter bounds them the same way.
case_sandbox_printk() {
        local off want
        # fmt "s=%s\n" at fp-8; %s = ctx + ctx[0].
        sandbox_asm printk_str 'mov %r6, %r1' 'ldxdw %r3, [%r1+0]' 'add %r3, %r6' \
                'lddw %r2, 0x0a73253d73' 'stxdw [%r10-8], %r2' 'mov %r1, %r10' 'add %r1, -8' \
                'mov %r2, 6' 'call 6' 'exit'
        printf 'hello\0\0\0' >str.bin
        sandbox_ctx p.bin 8
        cat str.bin >>p.bin
        for e in "" $SANDBOX_ENGINES; do
                x timeout 10 "$BPF_AOT" run $e printk_str.bin p.bin
                expect_rc 0 "run $e: %s of a string in the context"
                expect_stdout $'s=hello\n8' "run $e: the string is printed"
        done
        # A string the context does not end, one past its end, one before its start.
        printf 'abcdefgh' >str.bin
        for off in 8 16 -4096; do
                sandbox_ctx p.bin "$off"
                cat str.bin >>p.bin
                for e in $SANDBOX_ENGINES; do
                        x timeout 10 "$BPF_AOT" run $e printk_str.bin p.bin
                        expect_rc 0 "run $e: %s at context + $off"
                        expect_stdout $'s=\n3' "run $e: %s at context + $off prints nothing"
                done
        done
        # bpf_printk in a sandboxed build: allowed now (it was refused).
        x "$BPF_AOT" build --sandbox "$(obj helpers)" --program vprintk -o vp
        expect_rc 0 "build --sandbox of a bpf_printk program"
}

# Constant strings (bpf_snprintf's format, bpf_strncmp's third argument) must
# be NUL-terminated in read-only global data, as the kernel's verifier asks:
# anything else could make the helper read past the program's memory, or
# change under it. Both engines end the run at the call, in the same words.
case_sandbox_strings() {
        local p which what
        p=$(obj sandbox_hostile)
        # "42" and its NUL: 3 bytes, '4' first.
        sandbox_ctx s.bin 0 0 42
        engines_agree $((3 * 1000 + 52)) "strings: a format in .rodata" --program strings "$p" s.bin
        for which in 1 2 3 4; do
                what=("" "on the stack" "not NUL-terminated in .rodata" "at an address from the context" "in .bss")
                sandbox_ctx s.bin "$which" 4096 42
                both_engines "$p" s.bin \
                        "helper snprintf \\(arg 3\\): 0x[0-9a-f]+ is not a NUL-terminated string in read-only global data" \
                        "[0-9]+" "strings: a format ${what[$which]}" --program strings
        done
        sandbox_ctx s.bin 5 0 42
        both_engines "$p" s.bin \
                "helper strncmp \\(arg 3\\): 0x[0-9a-f]+ is not a NUL-terminated string in read-only global data" \
                "[0-9]+" "strings: strncmp with a string on the stack" --program strings
        # The address the context gives is the one named.
        sandbox_ctx s.bin 3 4096 42
        sandbox_fault --sandbox "$p" s.bin "helper snprintf \\(arg 3\\): 0x1000 is not .*" "[0-9]+" \
                "strings: the context's address is named" --program strings
}

# bpf_probe_write_user writes where its first argument points: in a sandbox
# and under --interp only into the program's own memory.
case_sandbox_write_user() {
        # dst = ctx[0] ? ctx[0] : ctx + 8; *dst = 0x1122334455667788; return ctx[1].
        sandbox_asm write_user 'mov %r7, %r1' 'ldxdw %r6, [%r1+0]' 'jne %r6, 0, go' 'mov %r6, %r1' \
                'add %r6, 8' 'go:' 'lddw %r2, 0x1122334455667788' 'stxdw [%r10-8], %r2' \
                'mov %r1, %r6' 'mov %r2, %r10' 'add %r2, -8' 'mov %r3, 8' 'call 36' \
                'ldxdw %r0, [%r7+8]' 'exit'
        sandbox_ctx w.bin 0 0
        engines_agree "$(sandbox_u64 0x1122334455667788)" "write_user: into the context" \
                write_user.bin w.bin
        sandbox_ctx w.bin 4096 0
        both_engines write_user.bin w.bin \
                "out-of-bounds write by helper probe_write_user \\(arg 1\\) of 8 bytes at 0x1000" \
                "[0-9]+" "write_user: to an address from the context"
}

# Dynptrs: a helper gets only dynptrs on the program's stack (as the kernel's
# verifier asks: no other thread can change them) whose memory is the
# program's own or a record it holds, so a forged one ends the run at the
# call instead of reaching the host; both engines, in the same words.
case_sandbox_dynptrs() {
        local p
        p=$(obj sandbox_hostile)
        sandbox_ctx d.bin 0 0 5
        engines_agree 8 "dynptrs: a record written through a dynptr" --program dynptrs "$p" d.bin
        sandbox_ctx d.bin 1 0 5
        both_engines "$p" d.bin \
                "helper ringbuf_submit_dynptr \\(arg 1\\): 0x[0-9a-f]+ is not a ring-buffer record the program holds .*" \
                "[0-9]+" "dynptrs: a copy of a submitted record's dynptr submitted" --program dynptrs
        sandbox_ctx d.bin 2 4096 5
        both_engines "$p" d.bin \
                "helper dynptr_read \\(arg 3\\): the dynptr at 0x[0-9a-f]+ points outside the program's memory" \
                "[0-9]+" "dynptrs: a local dynptr's data pointer forged" --program dynptrs
        sandbox_ctx d.bin 3 0 5
        both_engines "$p" d.bin \
                "helper dynptr_from_mem \\(arg 4\\): 0x[0-9a-f]+ is not a dynptr on the stack" \
                "[0-9]+" "dynptrs: a dynptr made in .bss" --program dynptrs
        # The kernel's own example shape: a local dynptr over a stack buffer, read back.
        engines_agree - "helpers.bpf.o dynptr" --program dynptr "$CLI_OBJS/helpers.bpf.o"
        # Forged from the start: dynptr_write through a dynptr whose pointer was overwritten.
        sandbox_asm dyn_forged 'mov %r1, %r10' 'add %r1, -32' 'mov %r2, 8' 'mov %r3, 0' \
                'mov %r4, %r10' 'add %r4, -16' 'call 197' 'lddw %r1, 0x1000' 'stxdw [%r10-16], %r1' \
                'mov %r1, %r10' 'add %r1, -16' 'mov %r2, 0' 'mov %r3, %r10' 'add %r3, -32' \
                'mov %r4, 8' 'mov %r5, 0' 'call 202' 'exit'
        both_engines dyn_forged.bin "" \
                "helper dynptr_write \\(arg 1\\): the dynptr at 0x[0-9a-f]+ points outside the program's memory" \
                17 "dynptr_write through a forged dynptr"
}

# Spin locks: a run holds at most one, releases only the one it holds, and
# may not end holding it (the kernel's verifier rules; here each ends the run,
# and a lock still held is released, so that nothing waits for it for ever).
case_sandbox_locks() {
        local p which e
        p=$(obj sandbox_hostile)
        sandbox_ctx l.bin 0 0 0
        engines_agree 1 "locks: a count under its lock" --program locks "$p" l.bin
        for which in 1 2; do
                sandbox_ctx l.bin "$which" 0 0
                both_engines "$p" l.bin \
                        "helper spin_lock \\(arg 1\\): 0x[0-9a-f]+ is not a spin lock the program may take or release \\(it may hold one, and release only that one\\)" \
                        "[0-9]+" "locks: a second lock taken (which $which)" --program locks
        done
        for which in 3 5; do
                sandbox_ctx l.bin "$which" 0 0
                both_engines "$p" l.bin \
                        "helper spin_unlock \\(arg 1\\): 0x[0-9a-f]+ is not a spin lock the program may take or release .*" \
                        "[0-9]+" "locks: a lock released that is not held (which $which)" --program locks
        done
        # Ending with the lock held: the interpreter names the exit, the sandbox no instruction.
        sandbox_ctx l.bin 4 0 0
        for e in $SANDBOX_ENGINES; do
                x timeout 10 "$BPF_AOT" run "$e" --program locks --repeat 2 "$p" l.bin
                expect_rc 1 "run $e: locks: the run ends holding its lock"
                if [[ $e == --interp ]]; then
                        expect_err_line "^bpf-aot: .*: locks: insn [0-9]+: exit: ended holding the spin lock at 0x[0-9a-f]+ \\(released\\)$" \
                                "run $e: locks: ended holding the lock"
                else
                        expect_err_line "^bpf-aot: .*: locks: ended holding the spin lock at 0x[0-9a-f]+ \\(released\\)$" \
                                "run $e: locks: ended holding the lock"
                fi
        done
        # A sandboxed build of a program taking spin locks: allowed now (it was refused).
        x "$BPF_AOT" build --sandbox "$p" --program locks -o lk
        expect_rc 0 "build --sandbox of a spin-lock program"
}

# Context accesses the size checks before them prove inside the context go unchecked
# (`compile -e` shows no check); those they do not prove are still checked, and fault.
case_sandbox_rooms() {
        local f
        # if (len < 34) return 0; return ctx[33] (or ctx[34], one past what the check proves)
        sandbox_asm room33 'jlt %r2, 34, +2' 'ldxb %r0, [%r1+33]' 'exit' 'mov %r0, 0' 'exit'
        sandbox_asm room34 'jlt %r2, 34, +2' 'ldxb %r0, [%r1+34]' 'exit' 'mov %r0, 0' 'exit'
        # for (off = 0; off + 8 <= len; off += 8) sum += *(u64 *)(ctx + off)
        sandbox_asm roomloop 'mov %r0, 0' 'mov %r3, 0' 'mov %r4, %r3' 'add %r4, 8' \
                'jgt %r4, %r2, +5' 'mov %r5, %r1' 'add %r5, %r3' 'ldxdw %r6, [%r5+0]' \
                'add %r0, %r6' 'ja +1' 'exit' 'add %r3, 8' 'ja -11'
        for f in room33 roomloop; do
                x "$BPF_AOT" compile --sandbox -O0 -e "$f.bin" -o "$f.ll"
                expect_rc 0 "compile --sandbox -e $f.bin"
                expect_no_grep 'sandbox_refused|sandbox_fault|ctx_group' "$f.ll" \
                        "$f: the context access is proven, not checked"
        done
        x "$BPF_AOT" compile --sandbox -O0 -e room34.bin -o room34.ll
        expect_grep 'sandbox_refused|sandbox_fault' room34.ll "room34: one byte past the proof: checked"
        printf '%034d' 0 | tr 0 '\001' >c34.bin
        poke c34.bin 33 1 0x2a
        engines_agree 42 "ctx[33] of a 34-byte context" room33.bin c34.bin
        sandbox_ctx c40.bin 1 2 3 4 5
        engines_agree 15 "the sum of five words" roomloop.bin c40.bin
        # Seven bytes past the tenth word: a word that does not fit is not read.
        head -c 47 /dev/zero >>c40.bin
        engines_agree 15 "ten words and seven bytes" roomloop.bin c40.bin
        x "$BPF_AOT" run --sandbox room34.bin c34.bin
        expect_rc 1 "run --sandbox of ctx[34] on a 34-byte context"
        expect_err_line '^bpf-aot: room34\.bin: room34: insn 1: ldxb %r0, \[%r1\+34\]: out-of-bounds load of 1 bytes at 0x[0-9a-f]+$' \
                "the access the size check does not prove still faults"
}

# A scan of the context up to a length the context gives, stopping early at
# a zero byte: -O2 gives the loop a copy without the check
# (compiler/src/check_hoist.cpp), run when the whole range lies inside; a
# length past the end runs the checked loop, which fails at the first byte
# outside, and a zero before the end stops it without a fault.
case_sandbox_hoisted() {
        sandbox_asm scan 'ldxdw %r2, [%r1+0]' 'mov %r0, 0' 'mov %r3, 0' 'jge %r3, %r2, +7' \
                'mov %r4, %r1' 'add %r4, %r3' 'ldxb %r5, [%r4+8]' 'jeq %r5, 0, +3' \
                'add %r0, %r5' 'add %r3, 1' 'ja -8' 'mul %r0, 1000' 'add %r0, %r3' 'exit'
        x "$BPF_AOT" compile --sandbox -O2 -e scan.bin -o scan.ll
        expect_rc 0 "compile --sandbox -O2 -e scan.bin"
        expect_grep '\.unchecked:' scan.ll "the scan loop has an unchecked copy"
        scan_ctx() { # scan_ctx LENGTH [ZERO_AT]: 64 bytes of 2 after the length
                sandbox_ctx c.bin "$1"
                head -c 64 /dev/zero | tr '\0' '\2' >>c.bin
                [[ -z ${2:-} ]] || poke c.bin $((8 + $2)) 1 0
        }
        scan_ctx 64
        engines_agree 128064 "a scan of the whole context" scan.bin c.bin
        scan_ctx 0
        engines_agree 0 "a scan of nothing" scan.bin c.bin
        scan_ctx 1000 30
        engines_agree 60030 "a scan past the end that a zero byte stops first" scan.bin c.bin
        scan_ctx 63 63
        engines_agree 126063 "a scan that ends just before the zero byte" scan.bin c.bin
        for n in 65 1000 $((1 << 62)); do
                scan_ctx "$n"
                both_engines scan.bin c.bin "out-of-bounds load of 1 bytes at 0x[0-9a-f]+" 6 \
                        "a scan of $n bytes of a 64-byte context"
        done
        # The copy tests the loop budget once, on entry, for the iterations it may make, and
        # counts them on leaving: only the checked loop counts and tests at each iteration.
        expect_eq "$(grep -c '^loop_batch' scan.ll)" 1 "only the checked scan loop tests the budget"
        expect_eq "$(grep -c '^loop_count' scan.ll)" 1 "only the checked scan loop counts at its head"
        expect_grep "call i64 @bpfaot_rt_sandbox_reserve" scan.ll \
                "a copy too long for the function's count asks the run"
        # 5000 bytes: more than the function's own count (4096), so the run is asked.
        sandbox_ctx c.bin 5000
        head -c 5000 /dev/zero | tr '\0' '\2' >>c.bin
        engines_agree 10005000 "a scan longer than a batch of the budget" scan.bin c.bin
        # The run has no room for 5001 iterations and a batch: the checked loop runs, counting.
        x "$BPF_AOT" run --sandbox --max-loops 6000 scan.bin c.bin
        expect_rc 0 "a scan that fits the budget only when counted one by one"
        expect_stdout 10005000 "a scan that fits the budget only when counted one by one"
        x "$BPF_AOT" run --sandbox --max-loops 4000 scan.bin c.bin
        expect_rc 1 "a scan longer than the budget"
        expect_err_line '^bpf-aot: scan\.bin: scan: insn 3: jge %r3, %r2, \+7: exceeded the limit of 4000 loop iterations$' \
                "a scan longer than the budget fails at its head"
        # 65 iterations in the copy, counted exactly: within 100, past 50 (told on return,
        # named: the function's loops are one eBPF loop).
        scan_ctx 64
        x "$BPF_AOT" run --sandbox --max-loops 100 scan.bin c.bin
        expect_rc 0 "a scan of 65 iterations within a budget of 100"
        expect_stdout 128064 "a scan of 65 iterations within a budget of 100"
        x "$BPF_AOT" run --sandbox --max-loops 50 scan.bin c.bin
        expect_rc 1 "a scan of 65 iterations past a budget of 50"
        expect_err_line '^bpf-aot: scan\.bin: scan: insn 3: jge %r3, %r2, \+7: exceeded the limit of 50 loop iterations$' \
                "a scan of 65 iterations past a budget of 50"
        # Copies in copies: rows of 64 bytes (count at ctx[0]), each summed over its first
        # ctx[8] bytes from byte 16. Both loops get unchecked copies, which count exactly
        # what they ran: 10 rows of 40 make 400 iterations, as the interpreter counts them.
        sandbox_asm rows 'ldxdw %r2, [%r1+0]' 'ldxdw %r3, [%r1+8]' 'mov %r0, 0' 'mov %r4, 0' \
                'jge %r4, %r2, +15' 'mov %r7, %r4' 'lsh %r7, 6' 'add %r7, %r1' \
                'ldxb %r8, [%r7+16]' 'add %r0, %r8' 'mov %r5, 1' 'jge %r5, %r3, +6' \
                'mov %r6, %r7' 'add %r6, %r5' 'ldxb %r8, [%r6+16]' 'add %r0, %r8' 'add %r5, 1' \
                'ja -7' 'add %r4, 1' 'ja -16' 'exit'
        x "$BPF_AOT" compile --sandbox -O2 -e rows.bin -o rows.ll
        expect_rc 0 "compile --sandbox -O2 -e rows.bin"
        expect_grep '^insn5\.unchecked:' rows.ll "the row loop has an unchecked copy"
        expect_grep '^insn12\.unchecked\.unchecked:' rows.ll "so has the copy's column loop"
        sandbox_ctx c.bin 10 40
        head -c 640 /dev/zero | tr '\0' '\3' >>c.bin
        engines_agree 1200 "10 rows of 40 bytes" rows.bin c.bin
        x "$BPF_AOT" run --sandbox --max-loops 400 rows.bin c.bin
        expect_rc 0 "copies in copies: 400 iterations within a budget of 400"
        expect_stdout 1200 "copies in copies: 400 iterations within a budget of 400"
        x "$BPF_AOT" run --sandbox --max-loops 399 rows.bin c.bin
        expect_rc 1 "copies in copies: 400 iterations past a budget of 399"
        expect_err_line '^bpf-aot: rows\.bin: rows: exceeded the limit of 399 loop iterations$' \
                "copies in copies: 400 iterations past a budget of 399"
        sandbox_ctx c.bin 11 40
        head -c 640 /dev/zero | tr '\0' '\3' >>c.bin
        both_engines rows.bin c.bin "out-of-bounds load of 1 bytes at 0x[0-9a-f]+" 8 \
                "an 11th row past the context"
}
