# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# Choices of the code generator that users can observe (sourced by
# cli_test.sh).

# Without --cpu, x86_64 code is tuned like clang's C: for the x86-64 CPU,
# whose tuning guards a 64-bit division with a 32-bit one (divl) when both
# operands fit; LLVM 14's own "generic" x86 CPU, like k8, has no such tuning.
case_default_cpu() {
        printf '%s\n' 'ldxdw %r0, [%r1+0]' 'ldxdw %r2, [%r1+8]' 'div %r0, %r2' 'exit' >div.s
        x "$BPF_AOT" asm div.s -o div.bin
        expect_rc 0 "assemble div.s"
        x "$BPF_AOT" compile --target x86_64-linux-gnu -S div.bin -o div-default.s
        expect_rc 0 "compile -S without --cpu"
        expect_grep '^[[:space:]]*divl[[:space:]]' div-default.s "x86-64 tuning: a 32-bit fast path"
        x "$BPF_AOT" compile --target x86_64-linux-gnu --cpu generic -S div.bin -o div-generic.s
        expect_rc 0 "compile -S --cpu generic"
        if cmp -s div-default.s div-generic.s; then
                ok "--cpu generic is the default"
        else
                bad "--cpu generic differs from the default"
        fi
        x "$BPF_AOT" compile --target x86_64-linux-gnu --cpu k8 -S div.bin -o div-k8.s
        expect_rc 0 "compile -S --cpu k8"
        expect_no_grep '^[[:space:]]*divl[[:space:]]' div-k8.s "a CPU without that tuning (k8)"
}

# An inlined ARRAY lookup whose map slot the host never filled finds
# nothing, as the runtime's helper would: the program's NULL check (folded
# into the lookup's own test) takes the NULL branch.
case_inline_maps_empty_slot() {
        local m
        m=$(obj maps)
        x "$BPF_AOT" build --inline-maps --program probe_key "$m" -o empty
        expect_rc 0 "build --inline-maps --program probe_key"
        cat >empty_host.c <<'HOST'
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
uint64_t bpf_main(void *ctx, uint64_t ctx_size);
int main(void)
{
        uint32_t key = 0;
        printf("%" PRIu64 "\n", bpf_main(&key, sizeof(key)));
        return 0;
}
HOST
        # shellcheck disable=SC2086
        x "$CLI_CC" -Wall -Wextra -Werror ${CLI_SAN_FLAGS:-} -o empty_host empty_host.c \
                empty/probe_key.o
        expect_rc 0 "link the program without the runtime"
        x ./empty_host
        expect_stdout 0 "no map in the slot: the lookup finds nothing"
}

# -O2 is LLVM's default<O2> without the SLP vectoriser (compiler/src/pipeline.c);
# -O3 keeps it. Four independent 64-bit adds of adjacent words: SLP makes them
# vector adds, and nothing else in the pipeline does.
case_o2_pipeline() {
        printf '%s\n' 'ldxdw %r2, [%r1+0]' 'ldxdw %r3, [%r1+8]' 'ldxdw %r4, [%r1+16]' \
                'ldxdw %r5, [%r1+24]' 'ldxdw %r6, [%r1+32]' 'ldxdw %r7, [%r1+40]' \
                'ldxdw %r8, [%r1+48]' 'ldxdw %r9, [%r1+56]' 'add %r2, %r6' 'add %r3, %r7' \
                'add %r4, %r8' 'add %r5, %r9' 'stxdw [%r1+64], %r2' 'stxdw [%r1+72], %r3' \
                'stxdw [%r1+80], %r4' 'stxdw [%r1+88], %r5' 'ldxdw %r0, [%r1+64]' \
                'ldxdw %r6, [%r1+88]' 'xor %r0, %r6' 'exit' >adds.s
        x "$BPF_AOT" asm adds.s -o adds.bin
        expect_rc 0 "assemble adds.s"
        x "$BPF_AOT" compile --target x86_64-linux-gnu -O3 -e adds.bin -o adds3.ll
        expect_rc 0 "compile -O3 -e"
        expect_grep 'add <[0-9]+ x i64>' adds3.ll "-O3: the SLP vectoriser makes vector adds"
        x "$BPF_AOT" compile --target x86_64-linux-gnu -O2 -e adds.bin -o adds2.ll
        expect_rc 0 "compile -O2 -e"
        case "${CLI_LLVM_MAJOR:-}" in
        14 | 19) expect_no_grep 'x i64>' adds2.ll "-O2 (LLVM $CLI_LLVM_MAJOR): no SLP vectoriser" ;;
        *) ok "-O2 on LLVM ${CLI_LLVM_MAJOR:-?} is default<O2> itself (SLP included)" ;;
        esac
        # The same results at both levels, and in the interpreter.
        head -c 96 /dev/urandom >mem.bin
        local want
        want=$("$BPF_AOT" run --interp adds.bin mem.bin)
        x "$BPF_AOT" run -O2 adds.bin mem.bin
        expect_rc 0 "run -O2"
        expect_stdout "$want" "run -O2: the interpreter's result"
        x "$BPF_AOT" run -O3 adds.bin mem.bin
        expect_rc 0 "run -O3"
        expect_stdout "$want" "run -O3: the interpreter's result"
}

# a - (a / b) * b beside a / b (how eBPF code keeps a remainder with its
# quotient) is compiled as the guarded remainder of the same operands, one
# x86 div for both; results stay eBPF's for every divisor, 0 included.
case_divrem() {
        local dividend divisor want w p
        divrem_prog() { # NAME DIV MUL SUB: q = a / b; r = a - q * b; r0 = q * 1000003 + r
                printf '%s\n' 'mov %r6, %r1' 'ldxdw %r1, [%r6+0]' 'ldxdw %r2, [%r6+8]' \
                        'mov %r3, %r1' "$2 %r3, %r2" 'mov %r4, %r3' "$3 %r4, %r2" "$4 %r1, %r4" \
                        'mov %r0, %r3' 'mul %r0, 1000003' 'add %r0, %r1' 'exit' >"$1.s"
                x "$BPF_AOT" asm "$1.s" -o "$1.bin"
                expect_rc 0 "assemble $1"
        }
        divrem_prog divrem64 div mul sub
        divrem_prog divrem32 div32 mul32 sub32
        x "$BPF_AOT" compile -O2 -S --target x86_64-linux-gnu divrem64.bin -o divrem64.s
        expect_rc 0 "compile -O2 -S divrem64"
        expect_eq "$(grep -cE '^[[:space:]]+divq?[[:space:]]' divrem64.s)" 1 \
                "divrem64: one 64-bit div for quotient and remainder"
        # -1 and -2^63: all ones, and the top bit alone (bash's numbers are signed).
        for dividend in 0 1 100 4294967295 4294967296 -1 -9223372036854775808; do
                for divisor in 0 1 7 4294967296 4294967303 -1; do
                        : >m.bin
                        poke m.bin 0 8 "$dividend"
                        poke m.bin 8 8 "$divisor"
                        for p in divrem64 divrem32; do
                                want=$("$BPF_AOT" run --interp "$p.bin" m.bin)
                                for w in -O0 -O2; do
                                        x "$BPF_AOT" run $w "$p.bin" m.bin
                                        expect_stdout "$want" "$p $w: $dividend / $divisor as the interpreter"
                                done
                        done
                done
        done
}

# Hot loop headers on x86-64 start a 64-byte line at -O2 and -O3 (.p2align 6);
# --align-loops sets another power of two, 1 none; -O0 keeps the target's 16.
case_align_loops() {
        printf '%s\n' 'mov %r0, 0' 'jeq %r2, 0, +5' 'ldxb %r4, [%r1+0]' 'add %r0, %r4' \
                'add %r1, 1' 'add %r2, -1' 'jne %r2, 0, -5' 'exit' >bytesum.s
        x "$BPF_AOT" asm bytesum.s -o bytesum.bin
        expect_rc 0 "assemble bytesum.s"
        local p6='^[[:space:]]*\.p2align[[:space:]]+6\b' p4='^[[:space:]]*\.p2align[[:space:]]+4\b'
        for lvl in 2 3; do
                x "$BPF_AOT" compile --target x86_64-linux-gnu -O "$lvl" -S bytesum.bin -o al$lvl.s
                expect_rc 0 "compile -O$lvl -S"
                expect_grep "$p6" al$lvl.s "-O$lvl: the loop header on a 64-byte boundary"
        done
        x "$BPF_AOT" compile --target x86_64-linux-gnu -O0 -S bytesum.bin -o al0.s
        expect_rc 0 "compile -O0 -S"
        expect_no_grep "$p6" al0.s "-O0: no 64-byte alignment"
        x "$BPF_AOT" compile --target x86_64-linux-gnu --align-loops 16 -S bytesum.bin -o al16.s
        expect_rc 0 "compile --align-loops 16"
        expect_no_grep "$p6" al16.s "--align-loops 16: no 64-byte alignment"
        if [[ $(grep -Ec "$p4" al16.s) -ge 2 ]]; then
                ok "--align-loops 16: the function and its loop header on 16 bytes"
        else
                bad "--align-loops 16: expected .p2align 4 for the function and the loop"
        fi
        x "$BPF_AOT" compile --target x86_64-linux-gnu --align-loops 1 -S bytesum.bin -o al1.s
        expect_rc 0 "compile --align-loops 1"
        if [[ $(grep -Ec "$p4|$p6" al1.s) -eq 1 ]]; then
                ok "--align-loops 1: only the function is aligned"
        else
                bad "--align-loops 1: loop headers still aligned"
        fi
        # The same results with every alignment.
        head -c 200 /dev/urandom >bytes.bin
        local want
        want=$("$BPF_AOT" run --interp bytesum.bin bytes.bin 2>/dev/null)
        for a in 1 64 256; do
                x "$BPF_AOT" compile --align-loops "$a" bytesum.bin -o al$a.o
                expect_rc 0 "compile --align-loops $a"
                x "$BPF_AOT" run al$a.o bytes.bin
                expect_rc 0 "run the --align-loops $a object"
                expect_stdout "$want" "--align-loops $a: the interpreter's result"
        done
        for bad in 0 3 48 512 x -16; do
                x "$BPF_AOT" compile --align-loops "$bad" bytesum.bin -o bad.o
                expect_rc 2 "compile --align-loops $bad"
                expect_err_line "^bpf-aot: compile: --align-loops takes a power of two from 1 to 256$" \
                        "--align-loops $bad refused"
        done
}

# A known helper is passed only the registers it reads (poison in the
# others, so that -O0 loads nothing to pass along); trace_printk reads its
# format arguments in r3-r5 too. The registers cross a block boundary first,
# so that -O0 passes them through their slots.
case_helper_unread_args() {
        printf '%s\n' 'lddw %r1, 0x6425206425206425' 'stxdw [%r10-16], %r1' 'mov %r1, 10' \
                'stxh [%r10-8], %r1' 'mov %r1, %r10' 'add %r1, -16' 'mov %r2, 10' 'mov %r3, 7' \
                'mov %r4, 8' 'mov %r5, 9' 'ja +0' 'call 6' 'mov %r6, %r0' 'mov %r1, 1' 'mov %r2, 2' \
                'mov %r3, 3' 'mov %r4, 4' 'mov %r5, 5' 'call 5' 'mov %r0, %r6' 'exit' >printk.s
        x "$BPF_AOT" asm printk.s -o printk.bin
        expect_rc 0 "assemble printk.s"
        local want w
        want="7 8 9"$'\n'"6"
        x "$BPF_AOT" run --interp printk.bin
        expect_stdout "$want" "run --interp: trace_printk prints r3-r5"
        for w in -O0 -O2; do
                x "$BPF_AOT" run $w printk.bin
                expect_stdout "$want" "run $w: trace_printk prints r3-r5"
        done
        x "$BPF_AOT" compile -O0 -e printk.bin -o printk.ll
        expect_rc 0 "compile -O0 -e printk.bin"
        expect_grep '@_bpf_helper_ext_0005\((i64 poison(, )?){5}\)' printk.ll \
                "ktime_get_ns (no arguments) is passed none of r1-r5"
        expect_grep '@_bpf_helper_ext_0006\((i64 %[0-9]+(, )?){5}\)' printk.ll \
                "trace_printk is passed r1-r5, loaded from their slots"
        # A helper the table does not know (a host's own) may read any of them.
        printf '%s\n' 'mov %r1, 1' 'mov %r2, 2' 'mov %r3, 3' 'mov %r4, 4' 'mov %r5, 5' 'ja +0' \
                'call 5000' 'exit' >own.s
        x "$BPF_AOT" asm own.s -o own.bin
        expect_rc 0 "assemble own.s"
        x "$BPF_AOT" compile -O0 -e own.bin -o own.ll
        expect_rc 0 "compile -O0 -e own.bin (helper 5000)"
        expect_grep '@_bpf_helper_ext_5000\((i64 %[0-9]+(, )?){5}\)' own.ll \
                "an unknown helper is passed r1-r5"
}

# Frame bytes never written read as 0 at every level, whatever an earlier
# call left on the native stack: `dirty` fills its frame, then `reader` reads
# its own unwritten parts of 8, 12, 7 and 1 bytes (-O0 zeroes parts this
# small with stores, larger ones with memset).
case_zeroed_frame() {
        {
                printf '%s\n' 'call local dirty' 'call local reader' 'exit' 'dirty:' \
                        'lddw %r1, 0x0101010101010101'
                for off in 8 16 24 32 40 48 56 64; do echo "stxdw [%r10-$off], %r1"; done
                printf '%s\n' 'mov %r0, 0' 'exit' 'reader:' 'ldxdw %r0, [%r10-16]'
                for a in 'ldxdw %r1, [%r10-12]' 'ldxw %r1, [%r10-23]' 'ldxw %r1, [%r10-20]' \
                        'ldxb %r1, [%r10-40]' 'ldxdw %r1, [%r10-64]'; do
                        printf '%s\n' "$a" 'add %r0, %r1'
                done
                echo exit
        } >zeroed.s
        x "$BPF_AOT" asm zeroed.s -o zeroed.bin
        expect_rc 0 "assemble zeroed.s"
        local w
        for w in --interp -O0 -O2; do
                x "$BPF_AOT" run $w zeroed.bin
                expect_stdout 0 "run $w: unwritten frame bytes read as 0"
        done
}
