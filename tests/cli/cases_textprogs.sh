# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# Objects whose programs live in .text, and objects without code (sourced
# by cli_test.sh). textprogs.bpf.c: two global .text functions calling a
# static one; textstatic: the same with static programs only; mapsonly.bpf.c:
# maps and data only (mapsonly_host.c uses its skeleton); nothing: neither.

# What textprogs' weigh() returns: BYTE... as the digits of base K.
textprogs_weigh() { # textprogs_weigh K BYTE...
        local k=$1 acc=0 b
        shift
        for b in "$@"; do
                acc=$((acc * k + b))
        done
        echo "$acc"
}

# The object's bytes as the bpf_conformance runner writes them on stdin in --elf mode.
textprogs_runner_hex() { # textprogs_runner_hex FILE
        od -An -v -tx1 "$1" | awk '{ for (i = 1; i <= NF; i++) printf "%s  ", $i } END { print "" }'
}

TEXTPROGS_MEM=(01 02 03 fa)

# Each global .text function is a program named by its symbol; the static one is not.
case_textprogs_run() {
        local p first second o
        p=$(obj textprogs)
        [[ -s $p ]] || { bad "test input $p is missing"; return; }
        hex2bin mem.bin "${TEXTPROGS_MEM[@]}"
        first=$(textprogs_weigh 3 1 2 3 250)
        second=$(($(textprogs_weigh 5 1 2 3 250) + 1000))
        x "$BPF_AOT" build "$p" -o out
        expect_rc 0 "build textprogs.bpf.o"
        expect_eq "$(cd out && echo *.o)" "text_first.o text_second.o" \
                "the global .text functions are the programs, the static one a sub-program"
        for o in "-O 0" "-O 2" "--interp"; do
                # shellcheck disable=SC2086
                x "$BPF_AOT" run $o --program text_first "$p" mem.bin
                expect_stdout "$first" "run $o --program text_first"
                # shellcheck disable=SC2086
                x "$BPF_AOT" run $o --program text_second "$p" mem.bin
                expect_stdout "$second" "run $o --program text_second (its static callee, .bss)"
        done
        x "$BPF_AOT" run out/text_second.o mem.bin
        expect_stdout "$second" "run the built text_second.o"
        x "$BPF_AOT" run --program weigh "$p" mem.bin
        expect_rc 1 "run --program weigh (a static function)"
        expect_err_line "^bpf-aot: $p: no program named 'weigh'$" "a static .text function is no program"
        x "$BPF_AOT" build "$(obj textstatic)" -o out_static
        expect_rc 1 "build an object whose .text has static functions only"
        expect_err_line "^bpf-aot: $(obj textstatic): no programs \\(.text has no global function\\)$" \
                "static functions only"
        expect_no_file out_static "nothing written"
}

# The skeleton of a .text object: one entry per global function, the .bss shared.
case_textprogs_skeleton() {
        local p first second
        p=$(obj textprogs)
        [[ -s $p ]] || { bad "test input $p is missing"; return; }
        x "$BPF_AOT" build --skeleton "$p" -o sk
        expect_rc 0 "build --skeleton textprogs.bpf.o"
        x "$CLI_NM" sk/textprogs.aot.o
        expect_grep '^[0-9a-f]+ T textprogs__text_first$' _out "entry textprogs__text_first"
        expect_grep '^[0-9a-f]+ T textprogs__text_second$' _out "entry textprogs__text_second"
        expect_no_grep 'textprogs__weigh' _out "no entry for the static function"
        cat >host.c <<'EOC'
#include <stdio.h>
#include "textprogs.aot.h"
int main(void)
{
        unsigned char mem[] = {0x01, 0x02, 0x03, 0xfa};
        struct textprogs_aot *obj;
        unsigned long long first, second;

        if (textprogs_aot__open(&obj))
                return 1;
        first = textprogs__text_first(mem, sizeof(mem));
        second = textprogs__text_second(mem, sizeof(mem));
        printf("%llu %llu %llu %u\n", first, second, (unsigned long long)obj->bss->runs,
               textprogs__prog_cnt);
        textprogs_aot__destroy(obj);
        return 0;
}
EOC
        # shellcheck disable=SC2086
        x "$CLI_CC" -Wall -Wextra -Werror ${CLI_SAN_FLAGS:-} -o host -I sk -I "$CLI_RUNTIME_INC" \
                host.c sk/textprogs.aot.o "$CLI_RUNTIME_LIB" -lpthread
        expect_rc 0 "a host links the skeleton"
        x ./host
        first=$(textprogs_weigh 3 1 2 3 250)
        second=$(($(textprogs_weigh 5 1 2 3 250) + 2000))
        expect_stdout "$first $second 2 2" "both programs through the skeleton, sharing .bss"
}

# The bpf_conformance runner's --elf protocol with a .text object of several
# programs: hex text on stdin, MEMORY first, options, --elf last.
case_textprogs_plugin() {
        local p plugin
        p=$(obj textprogs)
        plugin="$(dirname "$BPF_AOT")/bpf-aot-plugin"
        [[ -s $p ]] || { bad "test input $p is missing"; return; }
        textprogs_runner_hex "$p" >elf.hex
        for o in -O0 --interp; do
                xin elf.hex "$plugin" "01  02  03  fa  " $o --program text_second --elf
                expect_rc 0 "bpf-aot-plugin $o --program text_second --elf < hex"
                expect_stdout "$(printf %x $(($(textprogs_weigh 5 1 2 3 250) + 1000)))" \
                        "bpf-aot-plugin $o: text_second's r0 in hex"
        done
        xin elf.hex "$plugin" "01  02  03  fa  " --elf
        expect_stdout "$(printf %x "$(textprogs_weigh 3 1 2 3 250)")" "the first program by default"
        xin "$p" "$BPF_AOT" plugin "01  02  03  fa  " --elf
        expect_stdout "$(printf %x "$(textprogs_weigh 3 1 2 3 250)")" "raw ELF bytes still work"
        printf 'b7 00 00 00 2a 00 00 00 95 00 00 00 00 00 00 00\n' >prog.hex
        xin prog.hex "$plugin" --elf
        expect_rc 1 "--elf with hex bytecode"
        expect_err_line '^bpf-aot: <stdin>: --elf: the hex text is not an ELF object$' \
                "--elf with hex bytecode"
        printf 'not hex\n' >junk.txt
        xin junk.txt "$plugin" --elf
        expect_rc 1 "--elf with text that is not hex"
        expect_err_line '^bpf-aot: <stdin>: --elf: neither an ELF object nor hex text of one$' \
                "--elf with text that is not hex"
        xin prog.hex "$plugin" -O2 "" --interp
        expect_rc 0 "empty arguments (the runner's plugin options split at each space) are none"
        expect_stdout 2a "bytecode as hex, with an empty argument among the options"
}

# Maps and data only: a skeleton (no programs) that a host opens and uses.
case_mapsonly_skeleton() {
        local p
        p=$(obj mapsonly)
        [[ -s $p ]] || { bad "test input $p is missing"; return; }
        x "$BPF_AOT" build --skeleton "$p" -o sk
        expect_rc 0 "build --skeleton mapsonly.bpf.o"
        expect_file sk/mapsonly.aot.o "skeleton object"
        expect_grep 'struct bpfaot_map \*totals;' sk/mapsonly.aot.h "the map in the skeleton"
        # shellcheck disable=SC2086
        x "$CLI_CC" -Wall -Wextra -Werror ${CLI_SAN_FLAGS:-} -o host -I sk -I "$CLI_RUNTIME_INC" \
                "$CLI_SRC/mapsonly_host.c" sk/mapsonly.aot.o "$CLI_RUNTIME_LIB" -lpthread
        expect_rc 0 "a host links the skeleton of maps and data"
        x ./host
        expect_rc 0 "run the host"
        expect_stdout "generation 7 totals[3] 42 programs 0" "the host uses the map and the data"
}

# Without --skeleton there is nothing to compile: one line says so; an object
# with neither code nor maps nor data is refused as before.
case_mapsonly_build() {
        local p n
        p=$(obj mapsonly)
        n=$(obj nothing)
        [[ -s $p && -s $n ]] || { bad "test inputs $p, $n are missing"; return; }
        x "$BPF_AOT" build "$p" -o out
        expect_rc 1 "build mapsonly.bpf.o"
        expect_err_line "^bpf-aot: $p: no programs, only maps and global data \\(build --skeleton makes their skeleton\\)$" \
                "build of maps and data only"
        expect_no_file out "nothing written"
        x "$BPF_AOT" run "$p"
        expect_rc 1 "run mapsonly.bpf.o"
        expect_err_line "^bpf-aot: $p: no programs, only maps and global data" "run of maps and data only"
        x "$BPF_AOT" build --skeleton "$n" -o sk
        expect_rc 1 "build --skeleton of an object with nothing"
        expect_err_line "^bpf-aot: $n: no programs, maps or global data$" "an object with nothing"
}
