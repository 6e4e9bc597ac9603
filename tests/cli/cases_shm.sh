# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# `bpf-aot shm list|dump|remove` (sourced by cli_test.sh) on segments that
# shm_fill.c makes: their maps and values, and every error. Segments are
# named after this shell's pid and removed before the case ends.

shm_build_fill() {
        # shellcheck disable=SC2086
        x "$CLI_CC" -Wall -Wextra -Werror ${CLI_SAN_FLAGS:-} -o shm_fill -I "$CLI_RUNTIME_INC" \
                -I "$CLI_RUNTIME_INC/../src" "$CLI_SRC/shm_fill.c" "$CLI_RUNTIME_LIB" -lpthread
        expect_rc 0 "build shm_fill"
}

# The runtime's CPU count (bpfaot_rt_ncpus): the configured CPUs, at most 1024.
shm_ncpus() {
        local n
        n=$(getconf _NPROCESSORS_CONF)
        echo $((n > 1024 ? 1024 : n < 1 ? 1 : n))
}

shm_list_lines() { # the map lines `shm list` prints for shm_fill's maps
        echo "1: array  name counts  key 4B  value 8B  max_entries 4  flags 0x400"
        echo "2: percpu_array  name per_cpu  key 4B  value 4B  max_entries 2  flags 0x0"
}

shm_dump_counts() { # what `shm dump` prints for map 1, from the values shm_fill wrote
        local k
        echo "1: array  name counts  key 4B  value 8B  max_entries 4  flags 0x400"
        for k in 0 1 2; do
                echo "key: 0$k 00 00 00  value: 0$k 77 66 55 44 33 22 11"
        done
        echo "key: 03 00 00 00  value: 00 00 00 00 00 00 00 00"
        echo "Found 4 elements"
}

shm_dump_per_cpu() { # ... and for map 2: a value per CPU
        local k c v n
        n=$(shm_ncpus)
        echo "2: percpu_array  name per_cpu  key 4B  value 4B  max_entries 2  flags 0x0"
        for k in 0 1; do
                echo "key:"
                echo "0$k 00 00 00"
                for ((c = 0; c < n; c++)); do
                        v=$((16 * k + c + 1))
                        printf 'value (CPU %02d): %02x %02x 00 00\n' "$c" $((v & 255)) $((v >> 8))
                done
        done
        echo "Found 2 elements"
}

# list and dump show what another process put in the segment; remove removes it.
case_shm_inspect() {
        local name="bpfaot-cli-$$-maps" used
        shm_build_fill
        x ./shm_fill "$name" fill
        expect_rc 0 "shm_fill $name fill"

        x "$BPF_AOT" shm list "$name"
        expect_rc 0 "shm list"
        expect_stderr_empty "shm list"
        if [[ $(head -n 1 _out) =~ ^segment\ /$name:\ version\ 1,\ size\ 1048576,\ used\ ([0-9]+),\ 2\ maps$ ]]; then
                used=${BASH_REMATCH[1]}
                if ((used > 0 && used <= 1048576)); then
                        ok "shm list: the segment line (used $used)"
                else
                        bad "shm list: used $used is not within the segment"
                fi
        else
                bad "shm list: the segment line is '$(head -n 1 _out)'"
        fi
        expect_eq "$(tail -n +2 _out)" "$(shm_list_lines)" "shm list: the maps"

        x "$BPF_AOT" shm dump "/$name"
        expect_rc 0 "shm dump /NAME"
        expect_stderr_empty "shm dump"
        expect_stdout "$(shm_dump_counts; echo; shm_dump_per_cpu)" "shm dump: every map's values"
        x "$BPF_AOT" shm dump "$name" --id 2
        expect_rc 0 "shm dump --id 2"
        expect_stdout "$(shm_dump_per_cpu)" "shm dump --id 2: the PERCPU_ARRAY only"

        # Without NAME: $BPFAOT_SHM.
        x env BPFAOT_SHM="$name" "$BPF_AOT" shm dump --id 1
        expect_rc 0 "BPFAOT_SHM=NAME shm dump --id 1"
        expect_stdout "$(shm_dump_counts)" "BPFAOT_SHM=NAME shm dump --id 1: the ARRAY only"

        x "$BPF_AOT" shm dump "$name" --id 3
        expect_rc 1 "shm dump --id 3"
        expect_err_line "^bpf-aot: /$name: map 3: no map with this id$" "shm dump --id 3"
        expect_stdout_empty "shm dump --id 3"

        x "$BPF_AOT" shm remove "$name"
        expect_rc 0 "shm remove"
        expect_stdout_empty "shm remove"
        expect_stderr_empty "shm remove"
        x "$BPF_AOT" shm list "$name"
        expect_rc 1 "shm list after shm remove"
        expect_err_line "^bpf-aot: /$name: no such segment$" "shm list after shm remove"
}

# Every refusal: one line naming the segment and the reason.
case_shm_errors() {
        local missing="bpfaot-cli-$$-missing" old="bpfaot-cli-$$-old"
        local junk="bpfaot-cli-$$-junk" cmd
        shm_build_fill
        for cmd in list dump remove; do
                x "$BPF_AOT" shm $cmd "$missing"
                expect_rc 1 "shm $cmd of a missing segment"
                expect_err_line "^bpf-aot: /$missing: no such segment$" "shm $cmd $missing"
                expect_stdout_empty "shm $cmd $missing"
        done

        x ./shm_fill "$old" fill
        expect_rc 0 "shm_fill $old fill"
        x ./shm_fill "$old" version 7
        expect_rc 0 "shm_fill $old version 7"
        for cmd in list dump; do
                x "$BPF_AOT" shm $cmd "$old"
                expect_rc 1 "shm $cmd of a version 7 segment"
                expect_err_line "^bpf-aot: /$old: layout version 7; this bpf-aot reads version 1$" \
                        "shm $cmd $old"
        done
        x "$BPF_AOT" shm remove "$old"
        expect_rc 0 "shm remove of a version 7 segment"
        x "$BPF_AOT" shm list "$old"
        expect_err_line "^bpf-aot: /$old: no such segment$" "shm list after removing $old"

        x ./shm_fill "$junk" garbage
        expect_rc 0 "shm_fill $junk garbage"
        x "$BPF_AOT" shm dump "$junk"
        expect_rc 1 "shm dump of a file that is no segment"
        expect_err_line "^bpf-aot: /$junk: not a bpf-aot shared-memory segment$" "shm dump $junk"
        x "$BPF_AOT" shm remove "$junk"
        expect_rc 0 "shm remove of a file that is no segment"

        x "$BPF_AOT" shm list a/b
        expect_rc 1 "shm list a/b"
        expect_err_line "^bpf-aot: a/b: not a segment name \(one path component\)$" "shm list a/b"
        x "$BPF_AOT" shm remove a/b
        expect_rc 1 "shm remove a/b"
        expect_err_line "^bpf-aot: a/b: not a segment name \(one path component\)$" \
                "shm remove a/b"

        # Bad command lines: exit status 2.
        x "$BPF_AOT" shm
        expect_rc 2 "shm without an action"
        expect_err_line "^bpf-aot: shm: no action: list, dump or remove \(see 'bpf-aot shm --help'\)$" \
                "shm without an action"
        x "$BPF_AOT" shm show "$missing"
        expect_rc 2 "shm show"
        expect_err_line "^bpf-aot: shm: unknown action 'show': list, dump or remove" "shm show"
        x "$BPF_AOT" shm list one two
        expect_rc 2 "shm list one two"
        expect_err_line "^bpf-aot: shm list: one segment name at most, not 'two' too" \
                "shm list one two"
        x "$BPF_AOT" shm list --id 1 "$missing"
        expect_rc 2 "shm list --id 1"
        expect_err_line "^bpf-aot: shm list: --id goes with 'shm dump' only$" "shm list --id 1"
        for cmd in 0 x -1 4294967296; do
                x "$BPF_AOT" shm dump --id "$cmd" "$missing"
                expect_rc 2 "shm dump --id $cmd"
                expect_err_line "^bpf-aot: shm: --id takes a map id \(1, 2, \.\.\.\), not '$cmd'$" \
                        "shm dump --id $cmd"
        done
        x "$BPF_AOT" shm dump --id
        expect_rc 2 "shm dump --id without a value"
        expect_err_line "^bpf-aot: shm: option '--id' needs a value" "shm dump --id"
        x "$BPF_AOT" shm dump --help
        expect_rc 0 "shm dump --help"
        expect_eq "$(head -n 1 _out)" "Usage: bpf-aot shm dump [NAME] [--id N]" "shm dump --help"
        for cmd in "$old" "$junk"; do # left behind only if a check above failed
                "$BPF_AOT" shm remove "$cmd" >/dev/null 2>&1
        done
}
