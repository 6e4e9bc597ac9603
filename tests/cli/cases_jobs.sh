# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# -j: programs compiled at once (sourced by cli_test.sh).

# Many programs on several threads give the objects one thread gives, and
# the same messages in the same order.
case_build_jobs() {
        local o f
        o=$(obj sandbox_hostile)
        x "$BPF_AOT" build "$o" -o one -j 1
        expect_rc 0 "build -j 1"
        x "$BPF_AOT" build "$o" -o four -j 4
        expect_rc 0 "build -j 4"
        expect_eq "$(cd four && ls | tr '\n' ' ')" "$(cd one && ls | tr '\n' ' ')" "build -j 4: files"
        [ "$(cd one && ls | wc -l)" -ge 8 ] || bad "sandbox_hostile has fewer programs than expected"
        for f in one/*.o; do
                if cmp -s "$f" "four/${f#one/}"; then
                        ok "build -j 4: ${f#one/} is -j 1's"
                else
                        bad "build -j 4: ${f#one/} differs from -j 1's"
                fi
        done
        # The programs of one build share target machines; each built on its own makes its own.
        for f in one/*.o; do
                f=${f#one/}
                x "$BPF_AOT" build "$o" --program "${f%.o}" -o alone -O2
                if [[ $RC -eq 0 ]] && cmp -s "one/$f" "alone/$f"; then
                        ok "build --program ${f%.o}: the object of the whole build"
                else
                        bad "build --program ${f%.o}: differs from the whole build's object (rc $RC)"
                fi
        done
        x "$BPF_AOT" build "$o" -o cpus --jobs 0 -e
        expect_rc 0 "build --jobs 0 -e (one per CPU)"
        expect_eq "$(cd cpus && ls | wc -l)" "$(cd one && ls | wc -l)" "build --jobs 0: as many files"

        # Every failing program is reported, in program order, and nothing is written.
        local p
        p=$(obj progs)
        x "$BPF_AOT" build "$p" --max-insns 5 -o one_fail -j 1
        expect_rc 1 "build --max-insns 5 -j 1"
        mv _err one_fail.err
        x "$BPF_AOT" build "$p" --max-insns 5 -o four_fail -j 4
        expect_rc 1 "build --max-insns 5 -j 4"
        expect_eq "$(wc -l <_err)" 2 "build -j 4: both programs reported"
        expect_eq "$(sed -n 's/^bpf-aot: .*: \([a-z_]*\): program has [0-9]* instructions, more than the limit of 5$/\1/p' _err | tr '\n' ' ')" \
                "sum_bytes mix " "build -j 4: each program's error, in program order"
        if cmp -s _err one_fail.err; then
                ok "build -j 4: the messages of -j 1, in the same order"
        else
                bad "build -j 4: messages differ from -j 1's"
        fi
        expect_no_files_in four_fail "build -j 4 with failures"

        # Bad values.
        x "$BPF_AOT" build "$p" -o bad -j x
        expect_rc 2 "build -j x"
        expect_err_line "^bpf-aot: build: -j takes a number of threads to compile on \(0-1024; 0: one per CPU\)$" \
                "build -j x"
        x "$BPF_AOT" build "$p" -o bad -j -3
        expect_rc 2 "build -j -3"
        x "$BPF_AOT" compile "$p" --program mix -o mix.o -j 2
        expect_rc 0 "compile -j 2 (one program)"
}

# A program of ROUNDS * 8 + 74 instructions: straight-line arithmetic, stack
# traffic and forward branches, in OUT.bin.
mid_program() { # mid_program ROUNDS OUT
        awk -v rounds="$1" 'BEGIN {
                for (r = 0; r <= 9; r++) if (r != 1) print "mov %r" r ", " r
                for (k = 1; k <= 64; k++) print "stxdw [%r10-" 8 * k "], %r" (k % 8 + 2)
                for (i = 0; i < rounds; i++) {
                        k = 1 + (i * 7) % 64; j = 1 + (i * 13) % 64
                        print "ldxdw %r2, [%r10-" 8 * k "]"
                        print "mul %r2, " (i * 2654435761) % 100000 + 3
                        print "xor %r3, %r2"
                        print "stxdw [%r10-" 8 * j "], %r3"
                        print "jgt %r3, " (i * 40503) % 65536 ", +2"
                        print "add %r4, %r3"
                        print "rsh %r4, " i % 7 + 1
                        print "add %r0, %r4"
                }
                print "exit"
        }' >"$2.s"
        "$BPF_AOT" asm "$2.s" -o "$2.bin"
}

# A long program compiles in parts (bpfaot_compile_opts.threads, part_insns)
# on -j threads: the output is the same for any -j, and it runs as the
# interpreter does.
case_build_parts() {
        mid_program 750 mid
        local j
        x "$BPF_AOT" compile -O2 mid.bin -o mid1.o -j 1
        expect_rc 0 "compile -O2 -j 1 of 6,074 instructions"
        for j in 2 3 0; do
                x "$BPF_AOT" compile -O2 mid.bin -o "mid$j.o" -j "$j"
                expect_rc 0 "compile -O2 -j $j"
                cmp -s mid1.o "mid$j.o" && ok "compile -O2 -j $j: the object of -j 1" ||
                        bad "compile -O2 -j $j: the object differs from -j 1's"
        done
        # One object: its regions are local functions, as a whole module's.
        x "$CLI_NM" mid2.o
        expect_eq "$(grep -c ' t bpf_main\.sub_0\.region_' _out)" 6 "nm: six local regions"
        expect_eq "$(grep -c ' T ' _out)" 1 "nm: one global function, the entry"
        x "$CLI_READELF" -S mid2.o
        expect_eq "$(grep -c ' \.text ' _out)" 1 "readelf: one .text"
        x "$CLI_READELF" -s mid2.o
        expect_eq "$(grep -c ' FILE ' _out)" 4 "readelf: four parts' file symbols"
        x "$BPF_AOT" run --interp mid.bin
        expect_rc 0 "run --interp"
        local want
        want=$(cat _out)
        x "$BPF_AOT" run mid2.o
        expect_rc 0 "run the -j 2 object"
        expect_eq "$(cat _out)" "$want" "the -j 2 object returns the interpreter's r0"
        x "$BPF_AOT" run mid.bin
        expect_rc 0 "run mid.bin (compiled in memory)"
        expect_eq "$(cat _out)" "$want" "compiled in memory: the interpreter's r0"

        # IR and assembly: the parts linked back into one module, symbols as they were.
        x "$BPF_AOT" compile -O2 mid.bin -e -o mid2.ll -j 2
        expect_rc 0 "compile -e -j 2"
        x "$BPF_AOT" compile -O2 mid.bin -e -o mid1.ll -j 1
        cmp -s mid1.ll mid2.ll && ok "compile -e: -j 2 gives -j 1's IR" || bad "compile -e: IR differs"
        expect_eq "$(grep -c '^define internal .*@bpf_main\.sub_0\.region_' mid2.ll)" 6 \
                "IR: six internal regions"
        grep -q 'bpfaot\.local\|hidden' mid2.ll && bad "IR: the split's names or visibility remain" ||
                ok "IR: none of the split's names or visibility remain"
        x "$BPF_AOT" compile -O2 mid.bin -S -o mid1.s -j 1
        x "$BPF_AOT" compile -O2 mid.bin -S -o mid2.s -j 2
        expect_rc 0 "compile -S -j 2"
        cmp -s mid1.s mid2.s && ok "compile -S: -j 2 gives -j 1's assembly" ||
                bad "compile -S: assembly differs"

        # -O0 compiles whole: its code generation costs less than the parts' bitcode.
        x "$BPF_AOT" compile -O0 mid.bin -o mid0.o -j 2
        expect_rc 0 "compile -O0 -j 2"
        x "$CLI_READELF" -s mid0.o
        expect_eq "$(grep -c ' FILE ' _out)" 1 "-O0: one module's file symbol"
        x "$BPF_AOT" run mid0.o
        expect_eq "$(cat _out)" "$want" "-O0: the interpreter's r0"
}

# A long straight-line program LLVM takes many seconds to optimise at -O2
# (40,000 instructions of loads, multiplies, stores and forward branches).
long_program() { mid_program 5000 long; }

# --time-limit: a compile that does not finish in time ends the command with
# one line naming the program, exit 1, and nothing written (LLVM's optimiser
# can loop for ever on rare inputs; the command cannot stop it otherwise).
case_time_limit() {
        long_program
        expect_eq "$(($(wc -c <long.bin) / 8))" 40074 "the long program's instructions"
        local t0 t1
        t0=$(date +%s)
        x "$BPF_AOT" compile -O2 long.bin -o long.o --time-limit 1
        t1=$(date +%s)
        expect_rc 1 "compile --time-limit 1"
        expect_err_line "^bpf-aot: long\.bin: long: compiling did not finish within 1 s \(LLVM's optimiser can loop on rare inputs\): try a lower -O, or --time-limit SEC$" \
                "compile --time-limit 1"
        [ $((t1 - t0)) -le 10 ] && ok "compile --time-limit 1 ended in $((t1 - t0)) s" ||
                bad "compile --time-limit 1 took $((t1 - t0)) s"
        [ ! -e long.o ] && ok "compile --time-limit 1: no long.o" || bad "compile --time-limit 1 left long.o"
        ls -A | grep -q '^\.long\.o' && bad "a temporary file is left" || ok "no temporary file left"

        # 0: no limit; a limit long enough lets the compile finish.
        x "$BPF_AOT" build "$(obj progs)" -o newdir --time-limit 0 -j 2
        expect_rc 0 "build --time-limit 0 (no limit)"
        x "$BPF_AOT" compile -O0 long.bin -o long0.o --time-limit 600
        expect_rc 0 "compile -O0 of the long program within the limit"

        x "$BPF_AOT" compile long.bin -o long.o --time-limit -1
        expect_rc 2 "compile --time-limit -1"
        expect_err_line "^bpf-aot: compile: --time-limit takes seconds \(0-86400; 0: no limit\)$" \
                "compile --time-limit -1"
}
