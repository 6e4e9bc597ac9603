# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# Skeletons (sourced by cli_test.sh): file names and symbols, headers that
# compile in every host, open/load of .rodata, instances. skeleton_*.bpf.c,
# skeleton_*_host.c.

# skel_host NAME OBJ...: compile skeleton_NAME_host.c against the headers in
# sk/ and link it with OBJ... and the runtime, as ./NAME.
skel_host() {
        local name=$1
        shift
        # shellcheck disable=SC2086
        x "$CLI_CC" -Wall -Wextra -Werror ${CLI_SAN_FLAGS:-} -o "$name" -I sk -I "$CLI_SRC" \
                -I "$CLI_RUNTIME_INC" "$CLI_SRC/skeleton_${name}_host.c" "$@" "$CLI_RUNTIME_LIB" \
                -lpthread
        expect_rc 0 "compile and link skeleton_${name}_host.c"
}

# A file name that is no C identifier: the files keep it, the symbols and the
# skeleton's names take it as one (my-prog.bpf.o: my-prog.aot.o, my_prog__*).
case_skeleton_file_names() {
        cp "$(obj global)" my-prog.bpf.o
        x "$BPF_AOT" build --skeleton my-prog.bpf.o -o sk
        expect_rc 0 "build --skeleton my-prog.bpf.o"
        expect_file sk/my-prog.aot.o "the object keeps the file name"
        expect_file sk/my-prog.aot.h "the header keeps the file name"
        expect_no_file sk/my_prog.aot.o "no object under the identifier's name"
        x "$CLI_NM" sk/my-prog.aot.o
        expect_grep '^[0-9a-f]+ T my_prog__count_calls$' _out "the entry is my_prog__count_calls"
        expect_grep '^struct my_prog_aot \{$' sk/my-prog.aot.h "the skeleton is struct my_prog_aot"
        x "$BPF_AOT" build --skeleton - -o stdin <my-prog.bpf.o
        expect_rc 0 "build --skeleton from standard input"
        expect_file stdin/_stdin_.aot.o "standard input: the files take the symbols' prefix"
}
