# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# Choices of the code generator that users can observe (sourced by
# cli_test.sh).

# Without --cpu, x86_64 code is tuned like clang's C: for the x86-64 CPU,
# whose tuning guards a 64-bit division with a 32-bit one (divl) when both
# operands fit; LLVM 14's own "generic" x86 CPU, like k8, has no such tuning.
case_default_cpu() {
        printf '%s\n' 'ldxdw %r0, [%r1+0]' 'ldxdw %r2, [%r1+8]' 'div %r0, %r2' 'exit' >div.s
        x "$BPF_AOT" asm div.s -o div.bin
        expect_rc 0 "assemble div.s"
        x "$BPF_AOT" compile --target x86_64-linux-gnu -S div.bin -o div-default.s
        expect_rc 0 "compile -S without --cpu"
        expect_grep '^[[:space:]]*divl[[:space:]]' div-default.s "x86-64 tuning: a 32-bit fast path"
        x "$BPF_AOT" compile --target x86_64-linux-gnu --cpu generic -S div.bin -o div-generic.s
        expect_rc 0 "compile -S --cpu generic"
        if cmp -s div-default.s div-generic.s; then
                ok "--cpu generic is the default"
        else
                bad "--cpu generic differs from the default"
        fi
        x "$BPF_AOT" compile --target x86_64-linux-gnu --cpu k8 -S div.bin -o div-k8.s
        expect_rc 0 "compile -S --cpu k8"
        expect_no_grep '^[[:space:]]*divl[[:space:]]' div-k8.s "a CPU without that tuning (k8)"
}

# An inlined ARRAY lookup whose map slot the host never filled finds
# nothing, as the runtime's helper would: the program's NULL check (folded
# into the lookup's own test) takes the NULL branch.
case_inline_maps_empty_slot() {
        local m
        m=$(obj maps)
        x "$BPF_AOT" build --inline-maps --program probe_key "$m" -o empty
        expect_rc 0 "build --inline-maps --program probe_key"
        cat >empty_host.c <<'HOST'
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
uint64_t bpf_main(void *ctx, uint64_t ctx_size);
int main(void)
{
        uint32_t key = 0;
        printf("%" PRIu64 "\n", bpf_main(&key, sizeof(key)));
        return 0;
}
HOST
        # shellcheck disable=SC2086
        x "$CLI_CC" -Wall -Wextra -Werror ${CLI_SAN_FLAGS:-} -o empty_host empty_host.c \
                empty/probe_key.o
        expect_rc 0 "link the program without the runtime"
        x ./empty_host
        expect_stdout 0 "no map in the slot: the lookup finds nothing"
}
