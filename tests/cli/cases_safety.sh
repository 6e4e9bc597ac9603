# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# Cases sourced by cli_test.sh: inputs that once ended, hung or corrupted the
# process or the file system, and the one-line messages of bad command lines.

# asm FILE TEXT: assemble TEXT (one instruction per line) into FILE.
asm_to() {
        printf '%s\n' "${@:2}" >"$1.s"
        "$BPF_AOT" asm "$1.s" -o "$1" || bad "asm $1.s"
}

# Reads of registers no path has written: refused where the kernel refuses them.
case_uninit_register() {
        local where
        asm_to r3.bin 'ldxdw %r0, [%r3]' 'exit'
        for where in "compile r3.bin -o r3.o" "run r3.bin" "run --interp r3.bin" "build r3.bin"; do
                # shellcheck disable=SC2086
                x "$BPF_AOT" $where
                [[ $where == build* ]] && continue # 'build' takes ELF only; said elsewhere
                expect_rc 1 "$where"
                expect_err_line '^bpf-aot: r3\.bin: r3: insn 0: ldxdw %r0, \[%r3\+0\]: r3 is read before it is written \(uninitialised register\)$' \
                        "$where names the register and the instruction"
        done
        expect_no_file r3.o "compile of a read of r3"
        asm_to noret.bin 'mov %r1, 1' 'exit'
        x "$BPF_AOT" compile noret.bin -o noret.o
        expect_rc 1 "exit without r0"
        expect_err_line '^bpf-aot: noret\.bin: noret: insn 1: exit: r0 is read before it is written \(uninitialised register\): the program returns r0$' \
                "exit without r0"
        asm_to clobber.bin 'mov %r1, 1' 'call 5' 'add %r0, %r1' 'exit'
        x "$BPF_AOT" compile clobber.bin -o clobber.o
        expect_rc 1 "r1 after a helper call"
        expect_err_line 'insn 2: add %r0, %r1: r1 is read before it is written' "r1 after a helper call"
        # Written on one path only: accepted (the kernel may prove the other path dead).
        asm_to onepath.bin 'jne %r2, 0, +1' 'mov %r3, 7' 'mov %r0, %r3' 'exit'
        x "$BPF_AOT" run onepath.bin
        expect_rc 0 "a register written on one path"
        expect_stdout 7 "run onepath.bin (r2 = 0: no MEMORY)"
}

# A NULL register is an address like any other: no undef, no deleted code.
case_null_read() {
        asm_to null.bin 'mov %r3, 0' 'ldxdw %r0, [%r3]' 'exit'
        x "$BPF_AOT" compile -e -O2 null.bin -o null.ll
        expect_rc 0 "compile -e -O2 of a load through NULL"
        expect_no_grep 'ret i64 undef' null.ll "the load is not folded to undef"
        expect_grep 'null_pointer_is_valid' null.ll "generated functions say address 0 is valid"
        expect_grep 'load i64, (i64\*|ptr) null' null.ll "the load through NULL is kept"
}

# `run` without MEMORY: an empty input whose context reads as zeros.
case_run_empty_context() {
        asm_to ctx.bin 'ldxdw %r0, [%r1+4088]' 'add %r0, %r2' 'add %r0, 5' 'exit'
        x "$BPF_AOT" run ctx.bin
        expect_rc 0 "run of a context read, no MEMORY"
        expect_stdout 5 "run ctx.bin: zeros at r1, r2 = 0"
        x "$BPF_AOT" compile ctx.bin -o ctx.o
        x "$BPF_AOT" run ctx.o
        expect_rc 0 "run of the native object, no MEMORY"
        expect_stdout 5 "run ctx.o"
        # The interpreter checks bounds: an empty input has none to read.
        x "$BPF_AOT" run --interp ctx.bin
        expect_rc 1 "run --interp of a context read past an empty input"
        expect_err_line 'insn 0: ldxdw %r0, \[%r1\+4088\]: .*out-of-bounds load' \
                "run --interp names the out-of-bounds load"
}

# The interpreter's instruction budget: endless loops end with a message.
case_interp_budget() {
        echo '05 00 ff ff 00 00 00 00 95 00 00 00 00 00 00 00' >spin.hex
        xin spin.hex timeout 120 "$BPF_AOT" plugin --interp
        expect_rc 1 "plugin --interp of ja -1 (default budget)"
        expect_err_line '^bpf-aot: <stdin>: insn 0: ja -1: exceeded the limit of 100000000 steps$' \
                "plugin --interp: the default budget"
        xin spin.hex "$BPF_AOT" plugin --interp --max-steps 1000
        expect_rc 1 "plugin --interp --max-steps 1000"
        expect_err_line 'exceeded the limit of 1000 steps$' "plugin --max-steps"
        x "$BPF_AOT" run --interp --max-steps 50 spin.hex
        expect_rc 1 "run --interp --max-steps 50"
        expect_err_line '^bpf-aot: spin\.hex: spin: insn 0: ja -1: exceeded the limit of 50 steps$' \
                "run --max-steps"
        asm_to count.bin 'mov %r0, 0' 'mov %r1, 100' 'add %r0, 1' 'sub %r1, 1' 'jne %r1, 0, -3' 'exit'
        x "$BPF_AOT" run --interp --max-steps 303 count.bin
        expect_stdout 100 "303 steps are enough for 2 + 3 * 100 + 1 instructions"
        x "$BPF_AOT" run --interp --max-steps 302 count.bin
        expect_rc 1 "302 steps are not"
        x "$BPF_AOT" run --interp --max-steps 0 count.bin
        expect_rc 2 "--max-steps 0"
        expect_err_line '^bpf-aot: run: --max-steps takes a positive number$' "--max-steps 0"
}

# Symbols LLVM cannot take (a section's name) are refused before LLVM sees them.
case_symbol_names() {
        local k=$CLI_OBJS/kfunc.bpf.o
        [[ -s $k ]] || { bad "test input $k is missing"; return; }
        # Same lengths, so the ELF layout is unchanged.
        perl -0777 -pe 's/bpf_test_kfunc\0/.debug_abbrev\0\0/g' "$k" >kf_section.bpf.o
        perl -0777 -pe 's/call_kfunc\0/.text\0xxxx\0/g' "$k" >prog_section.bpf.o
        perl -0777 -pe 's/call_kfunc\0/..\/..\/x\/yy\0/g' "$k" >prog_path.bpf.o
        x "$BPF_AOT" build kf_section.bpf.o -o kf_out
        expect_rc 1 "build of a kfunc named .debug_abbrev"
        expect_err_line "^bpf-aot: kf_section\\.bpf\\.o: call_kfunc: insn [0-9]+: call kfunc 0: called function name '\\.debug_abbrev' is not a valid symbol name$" \
                "a kfunc named like a section"
        expect_no_files_in kf_out "build of a kfunc named .debug_abbrev"
        x "$BPF_AOT" run kf_section.bpf.o
        expect_rc 1 "run of a kfunc named .debug_abbrev"
        x "$BPF_AOT" build prog_section.bpf.o -o p_out
        expect_rc 1 "build of a program named .text"
        expect_err_line "^bpf-aot: prog_section\\.bpf\\.o: program in section tc: name '\\.text' is not a valid symbol name$" \
                "a program named like a section"
        x "$BPF_AOT" build prog_path.bpf.o -o p_out
        expect_rc 1 "build of a program named like a path"
        expect_err_line "name '\\.\\./\\.\\./x/yy' is not a valid symbol name$" "a program named like a path"
        expect_no_files_in p_out "build of badly named programs"
        [[ -e ../x ]] && bad "a program's name made a file outside the output directory"
        asm_to ok.bin 'mov %r0, 1' 'exit'
        x "$BPF_AOT" compile --entry .text ok.bin -o ok.o
        expect_rc 1 "compile --entry .text"
        expect_err_line "^bpf-aot: ok\\.bin: ok: entry name '\\.text' is not a valid symbol name$" \
                "compile --entry .text"
}

# The temporary file of an output is created exclusively: a planted symlink is never followed.
case_output_symlink() {
        asm_to ok.bin 'mov %r0, 1' 'exit'
        echo precious >victim
        # A subshell that execs bpf-aot: $BASHPID is bpf-aot's pid, so the names it would
        # pick for its temporary file can be planted first (<out>.tmp.<pid>[.<n>]).
        (
                for t in "out.o.tmp.$BASHPID" "out.o.tmp.$BASHPID.0" "out.o.tmp.$BASHPID.1"; do
                        ln -s victim "$t"
                done
                exec "$BPF_AOT" compile ok.bin -o out.o
        ) >_out 2>_err
        RC=$?
        LAST="compile with symlinks planted at the temporary names"
        expect_rc 0 "$LAST"
        expect_eq "$(cat victim)" precious "the symlinks' target is untouched"
        if [[ -f out.o && ! -L out.o ]] && [[ $(head -c 4 out.o | od -An -c | tr -d ' ') == '177ELF' ]]; then
                ok "out.o is a regular ELF file"
        else
                bad "out.o is not a regular ELF file"
        fi
        rm -f out.o.tmp.*
}

# A failed build leaves nothing behind; a successful one publishes every output.
case_atomic_outputs() {
        local k=$CLI_OBJS/kconfig.bpf.o
        [[ -s $k ]] || { bad "test input $k is missing"; return; }
        x "$BPF_AOT" build /nonexistent.bpf.o -o newdir
        expect_rc 1 "build of a missing input"
        [[ -e newdir ]] && bad "build of a missing input created newdir" ||
                ok "build of a missing input creates no directory"
        : >empty.config
        # kconfig.bpf.o: hz is refused (no CONFIG_HZ), the others compile.
        x "$BPF_AOT" build --kconfig empty.config "$k" -o fresh
        expect_rc 1 "build with one program refused"
        [[ -e fresh ]] && bad "a failed build left fresh/ behind" ||
                ok "a failed build removes the directory it made"
        mkdir old && echo keep >old/kernel_version.o
        x "$BPF_AOT" build --kconfig empty.config "$k" -o old
        expect_rc 1 "build into an existing directory, one program refused"
        expect_eq "$(cat old/kernel_version.o)" keep "an existing output is not replaced by a failed build"
        leftovers old "failed build"
        x "$BPF_AOT" build --skeleton --kconfig empty.config "$k" -o skel
        expect_rc 1 "build --skeleton with one program refused"
        expect_no_files_in skel "build --skeleton that fails"
        x "$BPF_AOT" build --skeleton "$(obj progs)" -o skel
        expect_rc 0 "build --skeleton"
        expect_file skel/progs.aot.o "build --skeleton"
        expect_file skel/progs.aot.h "build --skeleton"
        leftovers skel "build --skeleton"
        # Parallel make jobs build into one directory that none of them finds made.
        local i round fails=0
        for round in 1 2 3 4 5; do
                local pids=()
                for i in 1 2 3 4 5 6; do
                        "$BPF_AOT" build "$(obj progs)" -o "par$round" >/dev/null 2>"par$round.$i.err" &
                        pids+=($!)
                done
                for i in "${pids[@]}"; do wait "$i" || fails=$((fails + 1)); done
        done
        expect_eq "$fails" 0 "concurrent builds into one new directory all succeed"
        expect_eq "$(cat par*.err)" "" "concurrent builds into one new directory print nothing"
}

# Messages: one line each, saying what is wrong.
case_messages() {
        local c
        # An ELF identification libelf does not know: its reason, not "no error".
        printf '\177ELF\002\007\001' >badid.o
        head -c 57 /dev/zero >>badid.o
        x "$BPF_AOT" build badid.o
        expect_rc 1 "build of an unknown ELF byte order"
        expect_err_line '^bpf-aot: badid\.o: malformed ELF file: unknown class 2 or byte order 7 in the ELF identification$' \
                "unknown ELF byte order"
        # Standard input is named once.
        echo '05 00 00 00 00 00 00 00' >jump.hex
        xin jump.hex "$BPF_AOT" plugin
        expect_err_line '^bpf-aot: <stdin>: insn 0: ja \+0: jump target 1 is outside the program \(0\.\.0\)$' \
                "plugin names <stdin> once"
        xin jump.hex "$BPF_AOT" compile - -o j.o
        expect_err_line '^bpf-aot: <stdin>: insn 0: ' "compile - names <stdin> once"
        xin jump.hex "$BPF_AOT" compile -
        expect_rc 2 "compile - without -o"
        expect_err_line '^bpf-aot: compile: the program comes from standard input; name the output with -o FILE' \
                "compile - without -o"
        # A big-endian eBPF object is an eBPF object: 'run' says why, not "use build".
        if [[ -n ${CLI_CLANG:-} ]] || command -v clang >/dev/null; then
                echo 'int f(void *c) { return 1; }' >be.c
                "${CLI_CLANG:-clang}" -target bpfeb -O2 -c be.c -o be.o 2>/dev/null
                x "$BPF_AOT" run be.o
                expect_rc 1 "run of a big-endian eBPF object"
                expect_err_line '^bpf-aot: be\.o: only 64-bit little-endian eBPF objects are supported$' \
                        "run of a big-endian eBPF object"
        else
                bad "no clang to make a big-endian eBPF object"
        fi
        # -o naming a directory.
        asm_to ok.bin 'mov %r0, 1' 'exit'
        mkdir -p adir
        for c in adir adir/ nodir/; do
                x "$BPF_AOT" compile ok.bin -o "$c"
                expect_rc 1 "compile -o $c"
                expect_err_line "^bpf-aot: $c: is a directory; the output must be a file$" "compile -o $c"
        done
        # CPUs and features LLVM does not know: our one line, none of LLVM's.
        x "$BPF_AOT" compile --cpu no-such-cpu ok.bin -o ok.o
        expect_rc 1 "compile --cpu no-such-cpu"
        expect_err_line "^bpf-aot: target [^:]+: 'no-such-cpu' is not a CPU of this target$" \
                "compile --cpu no-such-cpu"
        if [[ $(uname -m) == x86_64 ]]; then
                x "$BPF_AOT" compile --cpu i386 ok.bin -o ok.o
                expect_rc 1 "compile --cpu i386"
                expect_err_line "^bpf-aot: target x86_64[^:]*: CPU 'i386' cannot run 64-bit code$" \
                        "compile --cpu i386 (LLVM would end the process)"
                x "$BPF_AOT" compile --features=-64bit ok.bin -o ok.o
                expect_rc 1 "compile --features=-64bit"
                expect_err_line "cannot run 64-bit code$" "compile --features=-64bit"
        fi
        x "$BPF_AOT" compile --target aarch64-linux-gnu --cpu skylake ok.bin -o ok.o
        expect_rc 1 "compile --target aarch64 --cpu skylake"
        expect_err_line "^bpf-aot: target aarch64-linux-gnu: 'skylake' is not a CPU of this target$" \
                "an x86 CPU for aarch64"
        # Bad options: one line and a hint, never the whole usage.
        for c in build compile run plugin asm disasm; do
                x "$BPF_AOT" "$c" --no-such-option
                expect_rc 2 "$c --no-such-option"
                expect_err_line "^bpf-aot: $c: unknown option '--no-such-option' \\(see 'bpf-aot $c --help'\\)$" \
                        "$c --no-such-option"
        done
        for c in build compile run; do
                x "$BPF_AOT" "$c" -Z
                expect_err_line "^bpf-aot: $c: unknown option '-Z' \\(see 'bpf-aot $c --help'\\)$" "$c -Z"
        done
        x "$BPF_AOT" build ok.bin -o
        expect_rc 2 "build -o without a value"
        expect_err_line "^bpf-aot: build: option '-o' needs a value \\(see 'bpf-aot build --help'\\)$" \
                "build -o without a value"
        x "$BPF_AOT" run
        expect_err_line "^bpf-aot: run: no program file \\(see 'bpf-aot run --help'\\)$" "run alone"
        x "$BPF_AOT" build
        expect_err_line "^bpf-aot: build: no input file \\(see 'bpf-aot build --help'\\)$" "build alone"
}
