# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# Stores into read-only data (sourced by cli_test.sh): the check refuses a
# store only when its address is .rodata on every path, so clang's shapes
# that the kernel accepts build and run, and a real store into .rodata
# through a sub-program's argument is still refused. rodata_*.bpf.c.

# rodata_refers OBJ: the object's programs refer to .rodata (else the check
# never runs on them and the case proves nothing).
rodata_refers() {
        x "$BPF_AOT" build -v "$1" -o refers
        expect_grep "data \\.rodata: [0-9]+ bytes, read-only" _err "$(basename "$1") has .rodata"
}

# rodata_run WANT WHAT ARGS...: `run ARGS` prints WANT, and so does
# `run --interp ARGS` (callbacks included: the interpreter runs them too).
rodata_run() {
        local want=$1 what=$2
        shift 2
        x "$BPF_AOT" run "$@"
        expect_rc 0 "run $what"
        expect_stdout "$want" "run $what"
        x "$BPF_AOT" run --interp "$@"
        expect_rc 0 "run --interp $what"
        expect_stdout "$want" "run --interp $what"
}

# squares_printk: prints "squares below N" and returns (sum of i*i, i < N) * 1000 + N.
rodata_squares_want() {
        local n=$1 i sum=0
        for ((i = 0; i < n; i++)); do
                sum=$((sum + i * i))
        done
        printf 'squares below %u\n%u' "$n" $((sum * 1000 + n))
}

# A bpf_loop callback that writes through its context, in a program whose
# bpf_printk format is in .rodata.
case_rodata_loop_printk() {
        local p o n
        p=$(obj rodata_loop_printk)
        [[ -s $p ]] || { bad "test input $p is missing"; return; }
        rodata_refers "$p"
        x "$BPF_AOT" build "$p" -o out
        expect_rc 0 "build rodata_loop_printk.bpf.o"
        expect_stderr_empty "build rodata_loop_printk.bpf.o"
        for o in 0 2; do
                rodata_run "$(rodata_squares_want 10)" "-O $o (no context: 10)" -O $o "$p"
        done
        for n in 0 1 5 200; do
                hex2bin n.bin "$(printf %02x "$n")"
                rodata_run "$(rodata_squares_want "$n")" "context $n" "$p" n.bin
        done
}

# prime_walk: sum of primes[i % 16] for i < 40, stopping once it reaches LIMIT; sum * 1000 + steps.
rodata_primes_want() {
        local limit=$1 i sum=0 steps=0
        local -a primes=(2 3 5 7 11 13 17 19 23 29 31 37 41 43 47 53)
        for ((i = 0; i < 40; i++)); do
                sum=$((sum + primes[i % 16]))
                steps=$((steps + 1))
                ((sum >= limit)) && break
        done
        echo $((sum * 1000 + steps))
}

# A bpf_loop callback writing its context, a struct on the caller's stack that
# holds a .rodata table's address.
case_rodata_loop_stack() {
        local p o n
        p=$(obj rodata_loop_stack)
        [[ -s $p ]] || { bad "test input $p is missing"; return; }
        rodata_refers "$p"
        x "$BPF_AOT" build "$p" -o out
        expect_rc 0 "build rodata_loop_stack.bpf.o"
        expect_stderr_empty "build rodata_loop_stack.bpf.o"
        for o in 0 2; do
                rodata_run "$(rodata_primes_want $((1 << 62)))" "-O $o (no limit: 40 steps)" \
                        -O $o "$p"
        done
        for n in 1 100 255; do
                hex2bin n.bin "$(printf %02x "$n")"
                rodata_run "$(rodata_primes_want "$n")" "limit $n" "$p" n.bin
        done
}

# weigh, with acc starting at REPEAT - 1 earlier runs' values: the sum of acc
# after acc[i] += table[i] * (data[i], or 1 past the data), table = weights
# for more than 4 bytes, else bias.
rodata_weigh_want() { # rodata_weigh_want REPEAT BYTE...
        local repeat=$1 i total=0 size
        shift
        local -a data=("$@") table
        size=${#data[@]}
        if ((size > 4)); then
                table=(3 1 4 1 5 9 2 6)
        else
                table=(10 20 30 40 50 60 70 80)
        fi
        for ((i = 0; i < 8; i++)); do
                total=$((total + repeat * table[i] * (i < size ? data[i] : 1)))
        done
        echo "$total"
}

# A .rodata table indexed in a loop next to loads and stores through map values.
case_rodata_table_map() {
        local p o
        p=$(obj rodata_table_map)
        [[ -s $p ]] || { bad "test input $p is missing"; return; }
        rodata_refers "$p"
        x "$BPF_AOT" build "$p" -o out
        expect_rc 0 "build rodata_table_map.bpf.o"
        expect_stderr_empty "build rodata_table_map.bpf.o"
        for o in 0 2; do
                rodata_run "$(rodata_weigh_want 1)" "-O $o (no context: bias)" -O $o "$p"
        done
        hex2bin c3.bin 07 08 09
        rodata_run "$(rodata_weigh_want 1 7 8 9)" "3 bytes (bias)" "$p" c3.bin
        hex2bin c5.bin 01 02 03 04 05
        rodata_run "$(rodata_weigh_want 1 1 2 3 4 5)" "5 bytes (weights)" "$p" c5.bin
        hex2bin c10.bin 0a 14 1e 28 32 3c 46 50 5a 64
        rodata_run "$(rodata_weigh_want 1 10 20 30 40 50 60 70 80 90 100)" "10 bytes (weights)" "$p" c10.bin
        rodata_run "$(rodata_weigh_want 3 1 2 3 4 5)" "--repeat 3: the map values add up" \
                --repeat 3 "$p" c5.bin
}

# .rodata addresses passed to a sub-program that stores through them: still
# refused, at the store; the program whose sub-program only reads builds.
case_rodata_param_store() {
        local p msg
        p=$(obj rodata_param)
        [[ -s $p ]] || { bad "test input $p is missing"; return; }
        # At the store in bump, an appended function: named with the offset inside it
        # (clang 19 may specialise it as bump.specialized.N).
        msg="bump_limit: insn [0-9]+ \\(bump(\\.specialized\\.[0-9]+)?\\+[0-9]+\\): stxw \\[%r1\\+0\\], %r[0-9]+: store into read-only data \\(\\.rodata\\)$"
        x "$BPF_AOT" build "$p" -o out
        expect_rc 1 "build rodata_param.bpf.o"
        expect_err_line "^bpf-aot: $p: $msg" "build names the store in the sub-program"
        expect_no_file out/bump_limit.o "bump_limit refused"
        expect_no_file out/twice_limit.o "a failed build publishes nothing"
        x "$BPF_AOT" build --program twice_limit "$p" -o out
        expect_file out/twice_limit.o "twice_limit (loads only) built"
        x "$BPF_AOT" run --interp --program bump_limit "$p"
        expect_rc 1 "run --interp --program bump_limit"
        expect_err_line "$msg" "the interpreter refuses the same program"
        rodata_run 24 "twice_limit: 2 * 5 + 2 * 7" --program twice_limit "$p"
}
