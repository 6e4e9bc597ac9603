/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the eBPF ELF front end: bpfaot_elf__open_mem, then
 * bpfaot_validate of every program and, for small programs (< 200
 * instructions), bpfaot_compile at -O0 to a native object. Every failure
 * must be a clean one: a one-line message that starts with the input name.
 * Built with clang -fsanitize=fuzzer,address,undefined by project/ (see
 * run_fuzz.sh); anything else (crash, leak, hang, a bad message) aborts.
 */
#include "bpfaot/bpfaot.h"

#include <bpf/libbpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define INPUT "fuzz.bpf.o"

static void check_msg(int ret, const struct bpfaot_error *err, const char *stage)
{
        size_t n = strlen(INPUT);

        if (ret < 0 && strncmp(err->msg, INPUT ": ", n + 2) == 0 && err->msg[n + 2] &&
            !strchr(err->msg, '\n'))
                return;
        fprintf(stderr, "%s failed with %d and a malformed message: \"%s\"\n", stage, ret,
                err->msg);
        abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        (void)argc;
        (void)argv;
        libbpf_set_print(NULL);
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct bpfaot_error err = {0};
        struct bpfaot_elf *elf = NULL;
        int ret;

        ret = bpfaot_elf__open_mem(data, size, INPUT, &elf, &err);
        if (ret) {
                check_msg(ret, &err, "open");
                if (elf)
                        abort();
                return 0;
        }
        for (size_t i = 0; i < elf->prog_cnt; i++) {
                BPFAOT_OPTS_INIT(bpfaot_validate_opts, vopts);
                /* The input's last byte chooses plain or sandboxed code (the same checks apply). */
                BPFAOT_OPTS_INIT(bpfaot_compile_opts, copts, .optimize = BPFAOT_O0,
                                 .output = BPFAOT_OUTPUT_OBJECT,
                                 .sandbox = (data[size - 1] & 1) != 0);
                struct bpfaot_buf out = {0};
                struct bpfaot_prog prog;

                bpfaot_elf__prog(elf, i, &prog);
                memset(&err, 0, sizeof(err));
                ret = bpfaot_validate(&prog, &vopts, &err);
                if (ret) {
                        check_msg(ret, &err, "validate");
                        continue;
                }
                if (prog.insn_cnt >= 200)
                        continue;
                ret = bpfaot_compile(&prog, &copts, &out, &err);
                if (ret)
                        check_msg(ret, &err, "compile");
                else if (!out.data || !out.len)
                        abort();
                bpfaot_buf_free(&out);
        }
        bpfaot_elf__free(elf);
        return 0;
}
