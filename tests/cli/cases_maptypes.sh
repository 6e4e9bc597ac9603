# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# Map types of user-space routers and filters (sourced by cli_test.sh):
# LPM_TRIE, BLOOM_FILTER and USER_RINGBUF from compiled programs, and a map
# type the runtime lacks, named by build and by the skeleton's open.
# maptypes.bpf.c (and its -DUNSUPPORTED variant), maptypes_host.c.

# Through the skeleton: routes by longest prefix, a Bloom filter, requests
# the host sends and a program drains.
case_maptypes_host() {
        local p
        p=$(obj maptypes)
        [[ -s $p ]] || { bad "test input $p is missing"; return; }
        x "$BPF_AOT" build --skeleton "$p" -o sk
        expect_rc 0 "build --skeleton maptypes.bpf.o"
        expect_stderr_empty "build --skeleton maptypes.bpf.o (every map type is supported)"
        # shellcheck disable=SC2086
        x "$CLI_CC" -Wall -Wextra -Werror ${CLI_SAN_FLAGS:-} -o host -I sk -I "$CLI_RUNTIME_INC" \
                "$CLI_SRC/maptypes_host.c" sk/maptypes.aot.o "$CLI_RUNTIME_LIB" -lpthread
        expect_rc 0 "build the host"
        x ./host
        expect_rc 0 "run the host"
        expect_eq "$(tr '\n' '|' <_out)" "ok longest-prefix routes|ok bloom filter|ok user ring buffer drained by a program|" \
                "host checks"
}

# bpf-aot run creates the new map types too (empty here).
case_maptypes_run() {
        local p
        p=$(obj maptypes)
        [[ -s $p ]] || { bad "test input $p is missing"; return; }
        hex2bin ip.bin 0a 01 02 03
        hex2bin value.bin 2a 00 00 00 00 00 00 00
        x "$BPF_AOT" run --program route "$p" ip.bin
        expect_rc 0 "run route"
        expect_stdout 65535 "route: no route in an empty trie"
        x "$BPF_AOT" run --program check "$p" value.bin
        expect_stdout 0 "check: an empty Bloom filter holds nothing"
        x "$BPF_AOT" run --program remember --dump-maps "$p" value.bin
        expect_rc 0 "run remember"
        expect_grep "^map seen \\(bloom_filter\\):$" _out "--dump-maps names the Bloom filter"
        x "$BPF_AOT" run --program drain "$p" value.bin
        expect_stdout 0 "drain: nothing sent"
}

# A map type the runtime lacks: build warns and still builds; opening names it.
case_maptypes_unsupported() {
        local p
        p="$CLI_OBJS/maptypes_UNSUPPORTED.bpf.o"
        [[ -s $p ]] || { bad "test input $p is missing"; return; }
        x "$BPF_AOT" build "$p" -o out
        expect_rc 0 "build with a DEVMAP"
        expect_err_line "^bpf-aot: $p: warning: map 'routes': type devmap is not supported by the runtime$" \
                "build names the map and its type"
        expect_file out/route.o "the object still builds"
        x "$BPF_AOT" run out/route.o
        expect_rc 1 "run route.o"
        expect_err_line "^bpf-aot: out/route\\.o: map 'routes': type devmap is not supported by the runtime$" \
                "run names the map"
        x "$BPF_AOT" build --skeleton "$p" -o sk
        expect_rc 0 "build --skeleton with a DEVMAP"
        expect_err_line "warning: map 'routes': type devmap" "build --skeleton warns too"
        cat >open.c <<'EOC'
#include "maptypes_UNSUPPORTED.aot.h"
#include <stdio.h>
int main(void)
{
        struct maptypes_UNSUPPORTED_aot *skel;
        int err = maptypes_UNSUPPORTED_aot__open(&skel);
        printf("%d %d\n", err, skel == NULL);
        return 0;
}
EOC
        # shellcheck disable=SC2086
        x "$CLI_CC" -Wall -Wextra -Werror ${CLI_SAN_FLAGS:-} -o open -I sk -I "$CLI_RUNTIME_INC" \
                open.c sk/maptypes_UNSUPPORTED.aot.o "$CLI_RUNTIME_LIB" -lpthread
        expect_rc 0 "build a host of the skeleton"
        x ./open
        expect_stdout "-95 1" "open fails with -EOPNOTSUPP"
        expect_err_line "^maptypes_UNSUPPORTED: map 'routes': type devmap is not supported by the runtime$" \
                "open says which map, on one line"
}
