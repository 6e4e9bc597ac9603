# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# Per-CPU maps (sourced by cli_test.sh): a program run that uses them holds
# one of the runtime's virtual CPUs, so plain `*v += 1` from many threads
# loses nothing. percpu.bpf.c, percpu_host.c.

# The sum of the 8-byte per-CPU counters on a --dump-maps line whose key is
# KEY (hex bytes "07 00 00 00"), each counter below 256.
percpu_dump_sum() { # percpu_dump_sum FILE MAP KEY
        awk -v map="$2" -v key="key: $3  value:" '
                function nibble(c) { return index("0123456789abcdef", c) - 1 }
                function hex(b) { return nibble(substr(b, 1, 1)) * 16 + nibble(substr(b, 2, 1)) }
                /^map / { in_map = ($2 == map) }
                in_map && index($0, key) {
                        sub(/.*value: /, "")
                        for (i = 1; i <= NF; i += 8) s += hex($i)
                }
                END { print s + 0 }' "$1"
}

# The runtime's CPU count (bpfaot_rt_ncpus): the configured CPUs, at most 1024.
percpu_ncpus() {
        local n
        n=$(getconf _NPROCESSORS_CONF)
        echo $((n > 1024 ? 1024 : n < 1 ? 1 : n))
}

# Many threads on one CPU through the skeleton: exact sums, the per-CPU
# scratch buffer stays each run's own, smp_processor_id in range, a tail call
# keeps its CPU.
case_percpu_host() {
        local p
        p=$(obj percpu)
        [[ -s $p ]] || { bad "test input $p is missing"; return; }
        x "$BPF_AOT" build --skeleton "$p" -o sk
        expect_rc 0 "build --skeleton percpu.bpf.o"
        # shellcheck disable=SC2086
        x "$CLI_CC" -Wall -Wextra -Werror ${CLI_SAN_FLAGS:-} -o host -I sk -I "$CLI_RUNTIME_INC" \
                "$CLI_SRC/percpu_host.c" sk/percpu.aot.o "$CLI_RUNTIME_LIB" -lpthread
        expect_rc 0 "build the host"
        x ./host
        expect_rc 0 "run the host"
        expect_eq "$(tr '\n' '|' <_out)" "ok every run had its CPU's copies to itself|ok exact sums of plain increments from $(($(percpu_ncpus) + 3)) threads on one CPU|ok program without per-CPU maps|" \
                "host checks"
}

# Only entries of programs with per-CPU maps reference the enter/exit
# symbols; the others still link into a host without the runtime.
case_percpu_entry() {
        local p f
        p=$(obj percpu)
        [[ -s $p ]] || { bad "test input $p is missing"; return; }
        x "$BPF_AOT" build "$p" -o out
        expect_rc 0 "build percpu.bpf.o"
        for f in count outer; do
                "$CLI_NM" "out/$f.o" >"nm_$f"
                expect_grep '^ +U bpfaot_rt_cpu_enter$' "nm_$f" "$f (per-CPU maps) holds a CPU"
                expect_grep '^ +U bpfaot_rt_cpu_exit$' "nm_$f" "$f (per-CPU maps) releases it"
        done
        x "$BPF_AOT" build "$(obj progs)" -o out_progs
        expect_rc 0 "build progs.bpf.o"
        x "$BPF_AOT" build "$(obj maps)" -o out_maps
        expect_rc 0 "build maps.bpf.o"
        for f in out/plain.o out_progs/*.o out_maps/*.o; do
                "$CLI_NM" "$f" >nm_other
                expect_no_grep 'bpfaot_rt_cpu_' nm_other "$f (no per-CPU map) holds no CPU"
        done
        # plain.o with the host's own helpers and no runtime: it links and runs
        # (it defines its map slots itself; this host leaves them empty).
        cat >nort.c <<'EOF'
#include <stdint.h>
#include <stdio.h>
uint64_t bpf_main(void *ctx, uint64_t size);
static uint64_t hits;
uint64_t _bpf_helper_ext_0001(uint64_t m, uint64_t k, uint64_t c, uint64_t d, uint64_t e)
{
        (void)m, (void)k, (void)c, (void)d, (void)e;
        return (uint64_t)(uintptr_t)&hits;
}
uint64_t _bpf_helper_ext_0008(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e)
{
        (void)a, (void)b, (void)c, (void)d, (void)e;
        return 3;
}
int main(void)
{
        uint64_t r = bpf_main(0, 0);
        printf("%llu %llu\n", (unsigned long long)r, (unsigned long long)hits);
        return 0;
}
EOF
        x "$CLI_CC" -Wall -Wextra -Werror -o nort nort.c out/plain.o
        expect_rc 0 "plain.o links without the runtime"
        x ./nort
        expect_stdout "3 1" "plain.o runs with the host's helpers"
}

# bpf-aot run (ORC) and --interp hold a CPU too; the sums over CPUs are the runs.
case_percpu_run() {
        local p n mode what
        p=$(obj percpu)
        [[ -s $p ]] || { bad "test input $p is missing"; return; }
        mkmem ctx.bin 16 1
        for mode in "" --interp; do
                what="run${mode:+ $mode}"
                # shellcheck disable=SC2086
                x "$BPF_AOT" run $mode --program count --repeat 5 --dump-maps "$p" ctx.bin
                expect_rc 0 "$what --program count --repeat 5"
                expect_eq "$(head -n 1 _out)" 0 "$what: count returns 0"
                expect_eq "$(percpu_dump_sum _out counts "00 00 00 00")" 5 "$what: PERCPU_ARRAY sum"
                expect_eq "$(percpu_dump_sum _out by_key "07 00 00 00")" 5 "$what: PERCPU_HASH sum"
                expect_eq "$(percpu_dump_sum _out lru_by_key "07 00 00 00")" 5 \
                        "$what: LRU_PERCPU_HASH sum"
        done
        # A tail call from one entry holding a CPU into another: nested, same CPU.
        x "$BPF_AOT" run --program outer --repeat 3 --dump-maps "$p" ctx.bin
        expect_rc 0 "run --program outer"
        expect_eq "$(head -n 1 _out)" 0 "outer: the tail call ran count"
        expect_eq "$(percpu_dump_sum _out counts "01 00 00 00")" 3 "outer counted itself"
        expect_eq "$(percpu_dump_sum _out counts "00 00 00 00")" 3 "count ran from outer"
        n=$(percpu_ncpus)
        x "$BPF_AOT" run --program plain "$p"
        expect_rc 0 "run --program plain"
        if [[ $(cat _out) =~ ^[0-9]+$ ]] && (($(cat _out) < n)); then
                ok "plain: smp_processor_id $(cat _out) < $n"
        else
                bad "plain: smp_processor_id '$(cat _out)' is not below $n"
        fi
}
