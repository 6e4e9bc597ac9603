# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# Source-level debug info, build -g (sourced by cli_test.sh): the object's
# .BTF.ext line info becomes DWARF that llvm-dwarfdump, addr2line and gdb
# read. debuginfo.bpf.c marks its lines: FUNC:<name> opens a function,
# END:<name> closes it, LINE:<name> is a statement.

# The source the markers are looked up in (a case sets DBG_SOURCE for another).
dbg_src() { echo "$CLI_SRC/${DBG_SOURCE:-debuginfo.bpf.c}"; }

# Line number of marker $1 in debuginfo.bpf.c.
dbg_line() { grep -n -- "$1 \*/" "$(dbg_src)" | head -1 | cut -d: -f1; }

# The tools a case needs; a missing one fails the case, saying which.
dbg_need() {
        local t
        for t in "$@"; do
                case $t in
                dwarfdump)
                        if [[ -z ${CLI_DWARFDUMP:-} || ! -x ${CLI_DWARFDUMP:-} ]]; then
                                bad "llvm-dwarfdump was not found at configure time (package llvm-N)"
                                return 1
                        fi
                        ;;
                *)
                        if ! command -v "$t" >/dev/null; then
                                bad "$t is not installed (cmake/install-deps.sh installs it)"
                                return 1
                        fi
                        ;;
                esac
        done
}

# A host that runs the program on 100 bytes and prints what it returns (dbg_host.c).
dbg_host() { # dbg_host OUT OBJECT
        # shellcheck disable=SC2086
        x "$CLI_CC" -g ${CLI_SAN_FLAGS:-} -o "$1" "$CLI_SRC/dbg_host.c" "$2"
        expect_rc 0 "link a host with $2"
}

# Is line $2 inside function $1 of debuginfo.bpf.c (FUNC:$1 .. END:$1)?
dbg_in_func() {
        local lo hi
        lo=$(dbg_line "FUNC:$1")
        hi=$(dbg_line "END:$1")
        [[ -n $lo && -n $hi && $2 -ge $lo && $2 -le $hi ]]
}

# "FILE LINE" for each row of a --debug-line dump on stdin (FILE: the base name).
dbg_rows() {
        awk '/^file_names\[/ { idx = $0; gsub(/[^0-9]/, "", idx) }
             /^ *name: / { n = $2; gsub(/"/, "", n); sub(/.*\//, "", n); name[idx] = n }
             $1 ~ /^0x[0-9a-f]+$/ && NF >= 4 { print name[$4], $2 }' | sort -u
}

# dbg_functions OBJECT ENTRY MIN: addr2line on every function symbol of OBJECT
# gives a line of the function it names in the source (the entry, bpf_main:
# ENTRY's lines; a region: its function's); at least MIN functions.
dbg_functions() {
        local obj=$1 entry=$2 min=$3 src addr sym f file line n=0
        src=$(basename "$(dbg_src)")
        while read -r addr _ sym; do
                addr2line -f -e "$obj" "0x$addr" >a2l.txt
                f=$(sed -n 1p a2l.txt)
                file=$(sed -n 2p a2l.txt)
                line=${file##*:}
                n=$((n + 1))
                [[ $f == bpf_main ]] && f=$entry # the entry: the program's lines
                f=${f%%.region_*}
                if [[ ${file%:*} == */$src ]] && dbg_in_func "$f" "$line"; then
                        ok "addr2line $sym: $(sed -n 1p a2l.txt) at $src:$line"
                else
                        bad "addr2line $sym (0x$addr): '$(tr '\n' ' ' <a2l.txt)', not a line of $f"
                fi
        done < <("$CLI_NM" "$obj" | awk '$2 == "t" || $2 == "T"')
        [[ $n -ge $min ]] && ok "addr2line: $n functions looked up" || bad "only $n function symbols in $obj"
}

# The line table names debuginfo.bpf.c and the lines of its statements; every
# line it gives is one of a function of the source (no stray numbers); the
# inline function of another file (debuginfo_inc.h) has that file's line.
case_debuginfo_lines() {
        local o line rows l stray
        dbg_need dwarfdump || return
        for o in 0 2; do
                x "$BPF_AOT" build -g -O $o "$(obj debuginfo)" -o out$o
                expect_rc 0 "build -g -O $o debuginfo.bpf.o"
                expect_stderr_empty "build -g -O $o"
                x "$CLI_DWARFDUMP" --verify out$o/dbg_main.o
                expect_rc 0 "-O $o: llvm-dwarfdump --verify"
                "$CLI_DWARFDUMP" --debug-line out$o/dbg_main.o >lines$o.txt
                expect_grep 'name: "debuginfo\.bpf\.c"' lines$o.txt "-O $o: the line table's file"
                dbg_rows <lines$o.txt >rows$o.txt
                if grep -qx 'debuginfo_inc.h 3' rows$o.txt; then
                        ok "-O $o: debuginfo_inc.h:3, the inline function of another file"
                else
                        bad "-O $o: no row for debuginfo_inc.h:3:" $(grep -v '^debuginfo\.bpf\.c ' rows$o.txt)
                fi
                rows=$(sed -n 's/^debuginfo\.bpf\.c //p' rows$o.txt | sort -un)
                # At -O2 dbg_sum is inlined into dbg_main: its call's line is only the call site's.
                for l in mix sum big $([[ $o == 0 ]] && echo main); do
                        line=$(dbg_line "LINE:$l")
                        if grep -qx "$line" <<<"$rows"; then
                                ok "-O $o: line $line (LINE:$l) is in the line table"
                        else
                                bad "-O $o: line $line (LINE:$l) is not in the line table:" $rows
                        fi
                done
                stray=""
                for l in $rows; do
                        [[ $l -eq 0 ]] && continue
                        dbg_in_func dbg_mix "$l" || dbg_in_func dbg_sum "$l" ||
                                dbg_in_func dbg_big "$l" || dbg_in_func dbg_main "$l" ||
                                stray+=" $l"
                done
                expect_eq "$stray" "" "-O $o: every line of the table is in a function of the source"
        done
}

# The functions: a subprogram per eBPF function, the region of the long one,
# and the entry; addr2line gives each native function's name and a line of it.
# The entry's first sub-program is the entry's own body, an inlined function.
case_debuginfo_functions() {
        local names f
        dbg_need dwarfdump addr2line || return
        x "$BPF_AOT" build -g -O 0 "$(obj debuginfo)" -o out
        expect_rc 0 "build -g -O 0 debuginfo.bpf.o"
        "$CLI_DWARFDUMP" --debug-info out/dbg_main.o >info.txt
        names=$(sed -n 's/.*DW_AT_name[[:space:]]*("\(.*\)")$/\1/p' info.txt | sort)
        for f in dbg_mix dbg_sum dbg_big dbg_main bpf_main; do
                if grep -qx "$f" <<<"$names"; then
                        ok "--debug-info names $f"
                else
                        bad "--debug-info does not name $f:" $names
                fi
        done
        if grep -q '^dbg_big\.region_[0-9]*$' <<<"$names"; then
                ok "the region of dbg_big (split: longer than a region) is named after it"
        else
                bad "no subprogram dbg_big.region_N:" $names
        fi
        # Every function symbol of the object, through addr2line: dbg_mix, dbg_sum, dbg_big and
        # its region, and bpf_main, whose body dbg_main is (inlined into the entry at -O0 too).
        dbg_functions out/dbg_main.o dbg_main 5
}

# gdb stops at a line of the .bpf.c, with the eBPF functions in the backtrace.
case_debuginfo_gdb() {
        local o line frames
        dbg_need gdb || return
        line=$(dbg_line LINE:mix)
        for o in 0 2; do
                x "$BPF_AOT" build -g -O $o "$(obj debuginfo)" -o out$o
                expect_rc 0 "build -g -O $o"
                dbg_host host$o out$o/dbg_main.o
                x timeout 60 gdb -batch -nx -ex "break debuginfo.bpf.c:$line" -ex run -ex bt \
                        -ex continue ./host$o
                expect_rc 0 "gdb -batch on host$o"
                expect_grep "^Breakpoint 1, dbg_mix \(.*\) at .*debuginfo\.bpf\.c:$line$" _out \
                        "-O $o: stops in dbg_mix at line $line"
                frames=$(sed -n 's/^#[0-9]\+ \+\(0x[0-9a-f]\+ in \)\?\([A-Za-z_][A-Za-z0-9_.]*\) .*/\2/p' _out |
                        head -5 | tr '\n' ' ')
                expect_eq "$frames" "dbg_mix dbg_sum dbg_main bpf_main main " \
                        "-O $o: the backtrace names the eBPF functions"
                expect_grep "^#2 .* dbg_main \(.*\) at .*debuginfo\.bpf\.c:$(dbg_line LINE:main)$" _out \
                        "-O $o: dbg_main's frame is at the call's line"
        done
}

# -g changes no code: the same .text and the same results, also with
# --sandbox and --skeleton; -e shows the debug info in the IR.
case_debuginfo_same_code() {
        local o v want
        dbg_need dwarfdump || return
        mkmem mem.bin 200 9
        x "$BPF_AOT" run --interp "$(obj debuginfo)" mem.bin
        expect_rc 0 "run --interp debuginfo.bpf.o"
        want=$(cat _out)
        for o in 0 2; do
                for v in plain:"" g:-g sandbox:"--sandbox -g"; do
                        # shellcheck disable=SC2086
                        x "$BPF_AOT" build -O $o ${v#*:} "$(obj debuginfo)" -o "${v%%:*}$o"
                        expect_rc 0 "build -O $o ${v#*:}"
                        x "$BPF_AOT" run "${v%%:*}$o/dbg_main.o" mem.bin
                        expect_stdout "$want" "-O $o ${v#*:}: the interpreter's result"
                done
                "$CLI_OBJCOPY" -O binary --only-section=.text plain$o/dbg_main.o plain$o.text
                "$CLI_OBJCOPY" -O binary --only-section=.text g$o/dbg_main.o g$o.text
                if [[ -s plain$o.text ]] && cmp -s plain$o.text g$o.text; then
                        ok "-O $o: -g leaves the code as it is ($(wc -c <g$o.text) bytes of .text)"
                else
                        bad "-O $o: the .text with -g differs from the one without"
                fi
                "$CLI_READELF" -S plain$o/dbg_main.o >sec_plain$o.txt
                "$CLI_READELF" -S g$o/dbg_main.o >sec_g$o.txt
                expect_no_grep '\.debug_line' sec_plain$o.txt "-O $o: no line table without -g"
                expect_grep '\.debug_line' sec_g$o.txt "-O $o: a line table with -g"
                expect_grep '\.debug_line' <("$CLI_READELF" -S sandbox$o/dbg_main.o) \
                        "-O $o --sandbox -g: a line table"
        done
        x "$BPF_AOT" build -g --skeleton "$(obj debuginfo)" -o sk
        expect_rc 0 "build -g --skeleton"
        "$CLI_DWARFDUMP" --debug-info sk/debuginfo.aot.o >sk_info.txt
        expect_grep 'DW_AT_name[[:space:]]*\("debuginfo__dbg_main"\)' sk_info.txt \
                "--skeleton: the entry's subprogram"
        expect_grep 'DW_AT_name[[:space:]]*\("dbg_mix"\)' sk_info.txt "--skeleton: dbg_mix"
        x "$BPF_AOT" compile -g "$(obj debuginfo)" -o compiled.o
        expect_rc 0 "compile -g debuginfo.bpf.o"
        expect_stderr_empty "compile -g debuginfo.bpf.o"
        expect_grep 'DW_AT_name[[:space:]]*\("dbg_mix"\)' <("$CLI_DWARFDUMP" --debug-info compiled.o) \
                "compile -g: dbg_mix"
        x "$BPF_AOT" build -g -e "$(obj debuginfo)" -o ir
        expect_rc 0 "build -g -e"
        expect_grep 'DISubprogram\(name: "dbg_sum"' ir/dbg_main.ll "-e: the IR's subprograms"
        expect_grep "DILocation\\(line: $(dbg_line LINE:sum)," ir/dbg_main.ll "-e: the IR's locations"
}

# With -g, a program compiled in parts on two threads (its objects joined,
# a compile unit per part) is -j 1's object: its DWARF verifies, every
# function maps to a line of its own, gdb stops at a line of a region, and
# it returns what the interpreter does.
case_debuginfo_parts() {
        local o units line DBG_SOURCE=debuginfo_parts.bpf.c
        dbg_need dwarfdump addr2line gdb || return
        o=$(obj debuginfo_parts)
        x "$BPF_AOT" build -g -O2 "$o" -o one -j 1
        expect_rc 0 "build -g -O2 -j 1 debuginfo_parts.bpf.o"
        x "$BPF_AOT" build -g -O2 "$o" -o two -j 2
        expect_rc 0 "build -g -O2 -j 2"
        cmp -s one/parts_main.o two/parts_main.o && ok "-g -j 2: the object of -j 1" ||
                bad "-g -j 2: the object differs from -j 1's"
        units=$("$CLI_READELF" -s two/parts_main.o | grep -c ' FILE ')
        [[ $units -ge 2 ]] && ok "compiled in $units parts" || bad "compiled in $units part(s), not several"
        x "$CLI_DWARFDUMP" --verify two/parts_main.o
        expect_rc 0 "llvm-dwarfdump --verify of the joined object"
        expect_eq "$("$CLI_DWARFDUMP" --debug-info two/parts_main.o | grep -c 'DW_TAG_compile_unit')" \
                "$units" "a compile unit per part"
        dbg_functions two/parts_main.o parts_main 8

        line=$(dbg_line LINE:flip)
        dbg_host host two/parts_main.o
        x timeout 60 gdb -batch -nx -ex "break debuginfo_parts.bpf.c:$line" -ex run -ex bt ./host
        expect_rc 0 "gdb -batch on the host"
        expect_grep "^Breakpoint 1(\.[0-9]+)?, parts_long\.region_[0-9]* \(.*\) at .*debuginfo_parts\.bpf\.c:$line$" \
                _out "gdb stops in a region of parts_long at line $line"
        # The region, its dispatcher and the entry come from different parts.
        expect_eq "$(sed -n 's/^#[1-9] \+\(0x[0-9a-f]\+ in \)\?\([A-Za-z_][A-Za-z0-9_.]*\) .*/\2/p' _out |
                head -4 | tr '\n' ' ')" "parts_long parts_main bpf_main main " \
                "the backtrace names the eBPF functions"

        mkmem mem.bin 100 5
        x "$BPF_AOT" run --interp "$o" mem.bin
        expect_rc 0 "run --interp debuginfo_parts.bpf.o"
        local want
        want=$(cat _out)
        x "$BPF_AOT" run two/parts_main.o mem.bin
        expect_stdout "$want" "the -j 2 object returns the interpreter's result"
}

# Input without line info builds with -g, says so, and has no debug info.
case_debuginfo_no_line_info() {
        local o
        o=$(obj oldsample)
        x "$BPF_AOT" build -g "$o" -o old
        expect_rc 0 "build -g oldsample.bpf.o (no BTF)"
        # One warning per program (two).
        expect_eq "$(grep -cE "^bpf-aot: .*oldsample\.bpf\.o: warning: program [a-z_]+ has no line info \(no \.BTF\.ext line info; build the \.bpf\.c with clang -g\): -g adds no debug info to it$" _err)/$(wc -l <_err)" \
                "2/2" "build -g without .BTF.ext: a warning for each program, nothing else"
        for f in old/*.o; do
                expect_no_grep '\.debug_' <("$CLI_READELF" -S "$f") "$f: no debug sections"
        done
        printf '%s\n' 'mov %r0, 7' 'exit' >seven.s
        x "$BPF_AOT" asm seven.s -o seven.bin
        expect_rc 0 "assemble seven.s"
        x "$BPF_AOT" compile -g seven.bin -o seven.o
        expect_rc 0 "compile -g raw bytecode"
        expect_err_line "^bpf-aot: seven\.bin: warning: program .* has no line info \(raw bytecode carries none\): -g adds no debug info to it$" \
                "compile -g raw bytecode"
        x "$BPF_AOT" run seven.o
        expect_stdout 7 "run seven.o"
        # Without -g, no such warning.
        x "$BPF_AOT" build "$o" -o old2
        expect_stderr_empty "build oldsample.bpf.o without -g"
}

# bpf-aot.mk passes -g when BPF_CFLAGS builds the .bpf.c with -g (its
# default), and not with BPF_AOT_DEBUG_INFO=0 or BPF_CFLAGS without -g;
# bpf_aot_add_object does by default, and not with DEBUG_INFO OFF or -g0.
case_debuginfo_build_rules() {
        local mk="$CLI_SRC/../../make/bpf-aot.mk" v d
        dbg_need make clang cmake || return
        mkdir -p cm
        cp "$(dbg_src)" cm/debuginfo.bpf.c
        cat >cm/CMakeLists.txt <<EOF
cmake_minimum_required(VERSION 3.20)
project(debuginfo_rules C)
include("$CLI_SRC/../../cmake/BpfAot.cmake")
bpf_aot_add_object(on_bpf SOURCES debuginfo.bpf.c OUTPUT_DIRECTORY dbg_on)
bpf_aot_add_object(off_bpf SOURCES debuginfo.bpf.c DEBUG_INFO OFF OUTPUT_DIRECTORY dbg_off)
bpf_aot_add_object(g0_bpf SOURCES debuginfo.bpf.c CLANG_FLAGS -g0 OUTPUT_DIRECTORY dbg_g0)
EOF
        x cmake -S cm -B cm/b -DBPF_AOT_EXECUTABLE="$BPF_AOT" -DBPF_AOT_CLANG="$(command -v clang)"
        expect_rc 0 "cmake: configure bpf_aot_add_object with DEBUG_INFO"
        x cmake --build cm/b
        expect_rc 0 "cmake --build"
        for d in dbg_on dbg_off dbg_g0; do
                if [[ ! -s cm/b/$d/debuginfo.aot.o ]]; then
                        bad "bpf_aot_add_object ($d): no cm/b/$d/debuginfo.aot.o"
                elif [[ $d == dbg_on ]]; then
                        expect_grep '\.debug_line' <("$CLI_READELF" -S cm/b/$d/debuginfo.aot.o) \
                                "bpf_aot_add_object: a line table by default"
                else
                        expect_no_grep '\.debug_line' <("$CLI_READELF" -S cm/b/$d/debuginfo.aot.o) \
                                "bpf_aot_add_object ($d): no line table"
                fi
        done
        mkdir -p mk
        cp "$(dbg_src)" mk/debuginfo.bpf.c
        printf 'include %s\nall: debuginfo.aot.o\n' "$mk" >mk/Makefile
        for v in default:"" off:"BPF_AOT_DEBUG_INFO=0" nog:"BPF_CFLAGS=-O2" on:"BPF_CFLAGS=-O2 BPF_AOT_DEBUG_INFO=1"; do
                rm -f mk/debuginfo.bpf.o mk/debuginfo.aot.o mk/debuginfo.aot.h
                # shellcheck disable=SC2086
                x make -C mk --no-print-directory BPF_AOT="$BPF_AOT" BPF_CLANG=clang ${v#*:}
                expect_rc 0 "make (${v%%:*}: ${v#*:})"
                case ${v%%:*} in
                default)
                        expect_grep 'bpf-aot build --skeleton +-g ' _out "default: bpf-aot -g"
                        expect_grep '\.debug_line' <("$CLI_READELF" -S mk/debuginfo.aot.o) \
                                "default: a line table"
                        ;;
                on)
                        expect_grep 'bpf-aot build --skeleton +-g ' _out "BPF_AOT_DEBUG_INFO=1: -g"
                        ;;
                *)
                        expect_no_grep 'bpf-aot build .* -g ' _out "${v#*:}: no -g"
                        expect_no_grep '\.debug_line' <("$CLI_READELF" -S mk/debuginfo.aot.o) \
                                "${v#*:}: no line table"
                        ;;
                esac
        done
}
