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
        cp "$(obj global)" 1prog.bpf.o
        x "$BPF_AOT" build --skeleton 1prog.bpf.o -o sk1
        expect_rc 0 "build --skeleton 1prog.bpf.o"
        expect_grep '^struct _1prog_aot \{$' sk1/1prog.aot.h "a leading digit: the identifiers start with _"
        printf '#include "1prog.aot.h"\nint main(void) { return 0; }\n' >h1.c
        # shellcheck disable=SC2086
        x "$CLI_CC" -Wall -Werror ${CLI_SAN_FLAGS:-} -I sk1 -I "$CLI_RUNTIME_INC" -c h1.c -o h1.o
        expect_rc 0 "the header of 1prog.bpf.o compiles"
}

# A program that uses no map and no global data (of an object that has
# them): the header still compiles and links (C, and C++ where there is a
# compiler for it), with and without --instances; a second open is refused
# without a leak (the ASan build runs this host too); a destroyed skeleton
# opens again.
case_skeleton_plain() {
        x "$BPF_AOT" build --skeleton "$(obj skeleton_plain)" -o sk
        expect_rc 0 "build --skeleton skeleton_plain.bpf.o"
        skel_host plain sk/skeleton_plain.aot.o
        x ./plain
        expect_rc 0 "run the host"
        expect_eq "$(tr '\n' '|' <_out)" \
                "second open: Device or resource busy, none|add 42|setting 7, map made|open after destroy: 0|" \
                "one open skeleton at a time; open again after destroy"
        x "$BPF_AOT" build --skeleton --instances "$(obj skeleton_plain)" -o ski
        expect_rc 0 "build --skeleton --instances skeleton_plain.bpf.o"
        # shellcheck disable=SC2086
        x "$CLI_CC" -Wall -Wextra -Werror ${CLI_SAN_FLAGS:-} -o plain_instances -I ski \
                -I "$CLI_RUNTIME_INC" "$CLI_SRC/skeleton_plain_host.c" ski/skeleton_plain.aot.o \
                "$CLI_RUNTIME_LIB" -lpthread
        expect_rc 0 "the instances' header links too"
        if command -v c++ >/dev/null; then
                printf '#include "skeleton_plain.aot.h"\nint main() { return 0; }\n' >plain.cc
                x c++ -Wall -Wextra -Werror -I sk -I "$CLI_RUNTIME_INC" -c plain.cc -o plain_cc.o
                expect_rc 0 "the header compiles as C++"
        fi
}

# Named types of global data: each in its guard, so a host's own header that
# defines them (and their guards) comes first, and two skeletons that share
# them define them once.
case_skeleton_types() {
        x "$BPF_AOT" build --skeleton "$(obj skeleton_types)" -o sk
        expect_rc 0 "build --skeleton skeleton_types.bpf.o"
        expect_grep '^#ifndef BPFAOT_DEFINED_struct_event$' sk/skeleton_types.aot.h "struct event is guarded"
        expect_grep '^#ifndef BPFAOT_DEFINED_event_count$' sk/skeleton_types.aot.h "typedef event_count is guarded"
        expect_grep '^	struct node \*cursor;$' sk/skeleton_types.aot.h "a pointer to struct node"
        expect_no_grep '^struct node \{' sk/skeleton_types.aot.h "struct node itself is not defined"
        cp "$(obj skeleton_types)" types_a.bpf.o
        cp "$(obj skeleton_types)" types_b.bpf.o
        x "$BPF_AOT" build --skeleton types_a.bpf.o -o sk
        x "$BPF_AOT" build --skeleton types_b.bpf.o -o sk
        expect_rc 0 "build --skeleton types_b.bpf.o"
        local want="a: pid 7 total 10 events 2; b: pid 9 total 5"
        skel_host types sk/types_a.aot.o sk/types_b.aot.o
        x ./types
        expect_stdout "$want" "the host's own header first, then both skeletons"
        # shellcheck disable=SC2086
        x "$CLI_CC" -Wall -Wextra -Werror ${CLI_SAN_FLAGS:-} -DNO_OWN_HEADER -o types_alone -I sk \
                -I "$CLI_RUNTIME_INC" "$CLI_SRC/skeleton_types_host.c" sk/types_a.aot.o \
                sk/types_b.aot.o "$CLI_RUNTIME_LIB" -lpthread
        expect_rc 0 "both skeletons alone: the types come from the first"
        x ./types_alone
        expect_stdout "$want" "both skeletons alone"
}

# const volatile .rodata: set after __open(), read by the programs, frozen by
# __load(); compiled a program at a time (no skeleton) it stays constant and
# its loads are folded.
case_skeleton_rodata() {
        local p
        p=$(obj skeleton_rodata)
        x "$BPF_AOT" build --skeleton "$p" -o sk
        expect_rc 0 "build --skeleton skeleton_rodata.bpf.o"
        expect_grep '^	int limit;$' sk/skeleton_rodata.aot.h "the host's view of limit is writable"
        skel_host rodata sk/skeleton_rodata.aot.o
        x ./rodata
        expect_rc 0 "run the host"
        expect_eq "$(tr '\n' '|' <_out)" \
                "compiled in: 5 3|default 5003|load 0, settings 9004|write after load: exit 42|still 9004|again: load 0, settings 2004|" \
                "values set before load are read; a write after load faults"
        x "$BPF_AOT" build -e "$p" -o ll
        expect_rc 0 "build -e skeleton_rodata.bpf.o"
        expect_grep '^@skeleton_rodata__rodata = weak_odr (local_unnamed_addr )?constant ' ll/settings.ll \
                "a program's own object keeps .rodata constant"
        expect_grep 'ret i64 5003' ll/settings.ll "and folds its loads"
        # .kconfig is the build's kernel config: constant in a skeleton too.
        printf '%s\n' 'CONFIG_HZ=300' >k.config
        x "$BPF_AOT" build --skeleton --kconfig k.config --program hz "$(obj kconfig)" -o sk
        expect_rc 0 "build --skeleton kconfig.bpf.o"
        expect_grep '^extern const (struct kconfig__kconfig|unsigned char) kconfig__kconfig' \
                sk/kconfig.aot.h ".kconfig stays read-only"
}

# --instances: several instances of one object, each with its own maps,
# .bss, .data and .rodata, reached by the program, its bpf_loop callback
# and the program it tail-calls; threads on their own instances at once
# (the TSan build runs this host too).
case_skeleton_instances() {
        x "$BPF_AOT" build --skeleton --instances "$(obj skeleton_instances)" -o sk
        expect_rc 0 "build --skeleton --instances"
        expect_grep '^static inline uint64_t skeleton_instances_aot__run\(' sk/skeleton_instances.aot.h \
                "the header has <name>_aot__run"
        printf '#include "skeleton_instances.aot.h"\nint main(void) { return 0; }\n' >strict.c
        x "$CLI_CC" -std=c11 -Wall -Wextra -Wpedantic -Werror -I sk -I "$CLI_RUNTIME_INC" -c strict.c
        expect_rc 0 "the header compiles as strict C11 (no feature macros)"
        skel_host instances sk/skeleton_instances.aot.o
        x ./instances
        expect_rc 0 "run the host"
        expect_eq "$(tr '\n' '|' <_out)" \
                "a 1000002|b 2000010|hits a 2 b 1; calls a 2 b 10|object's own calls 0|threads: each instance counted its own|" \
                "instances keep their maps and data apart"
        # Sandboxed, each instance's maps and data are its run's regions: the same results.
        rm -rf sk
        x "$BPF_AOT" build --skeleton --instances --sandbox "$(obj skeleton_instances)" -o sk
        expect_rc 0 "build --skeleton --instances --sandbox"
        skel_host instances sk/skeleton_instances.aot.o
        x ./instances
        expect_rc 0 "run the host (sandboxed)"
        expect_eq "$(tr '\n' '|' <_out)" \
                "a 1000002|b 2000010|hits a 2 b 1; calls a 2 b 10|object's own calls 0|threads: each instance counted its own|" \
                "sandboxed instances reach their own maps and data"
        x "$BPF_AOT" build --instances "$(obj skeleton_instances)" -o each
        expect_rc 2 "--instances without --skeleton"
        expect_err_line "build: --instances needs --skeleton$" "the message"
}
