/* SPDX-License-Identifier: MIT */
/* The CLI's inputs: an eBPF ELF object, raw bytecode or hex text, as programs to compile or run. */
#include "input.h"
#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int single_prog(struct input *in, const uint8_t *bytes, size_t len, const char *input_name,
                       struct bpfaot_error *err)
{
        static const char *const suffixes[] = {".bin", ".hex", ".o", NULL};
        size_t cnt;
        int ret = bpfaot_decode(bytes, len, &in->insns, &cnt, err);

        if (ret)
                return cli_fail_in(err, input_name);
        in->name = cli_basename_without(input_name, suffixes);
        in->progs = calloc(1, sizeof(*in->progs));
        if (!in->name || !in->progs)
                return cli_fail_nomem(err);
        in->progs[0].input = input_name;
        in->progs[0].name = in->name;
        in->progs[0].insns = in->insns;
        in->progs[0].insn_cnt = cnt;
        in->cnt = 1;
        return 0;
}

int input_from_hex(struct input *in, const char *text, size_t len, const char *input_name,
                   struct bpfaot_error *err)
{
        uint8_t *bytes;
        size_t n;
        int ret = cli_parse_hex(text, len, &bytes, &n, err);

        if (ret)
                return cli_fail_in(err, input_name);
        ret = single_prog(in, bytes, n, input_name, err);
        free(bytes);
        return ret;
}

int input_from_elf_bytes(struct input *in, const uint8_t *data, size_t len, const char *input_name,
                         const char *program, struct bpfaot_error *err)
{
        BPFAOT_OPTS_INIT(bpfaot_elf_opts, eopts);
        struct bpfaot_kconfig *kconfig;
        int ret = bpfaot_kconfig__new(in->kconfig, &kconfig, err);
        size_t n = 0;

        if (ret)
                return ret;
        /* .kconfig values: --kconfig FILE, else the build host's config. */
        eopts.externs = bpfaot_kconfig__provider(kconfig);
        ret = bpfaot_elf__open_mem_opts(data, len, input_name, &eopts, &in->elf, err);
        bpfaot_kconfig__free(kconfig);
        if (ret)
                return ret;
        in->progs = calloc(in->elf->prog_cnt ? in->elf->prog_cnt : 1, sizeof(*in->progs));
        if (!in->progs)
                return cli_fail_nomem(err);
        for (size_t i = 0; i < in->elf->prog_cnt; i++) {
                if (program && strcmp(program, in->elf->progs[i].name) != 0)
                        continue;
                bpfaot_elf__prog(in->elf, i, &in->progs[n++]);
        }
        in->cnt = n;
        if (n == 0 && program)
                return cli_fail(err, ENOENT, "%s: no program named '%s'", input_name, program);
        if (n == 0 && !in->maps_only_ok)
                return cli_fail(err, ENOENT,
                                "%s: no programs, only maps and global data (build --skeleton "
                                "makes their skeleton)",
                                input_name);
        return 0;
}

int input_from_bytes(struct input *in, const uint8_t *data, size_t len, const char *input_name,
                     const char *program, struct bpfaot_error *err)
{
        if (bpfaot_elf_kind(data, len) != BPFAOT_ELF_NONE)
                return input_from_elf_bytes(in, data, len, input_name, program, err);
        if (program)
                return cli_fail(err, EINVAL,
                                "%s: --program needs an ELF input; this is raw bytecode",
                                input_name);
        if (cli_looks_like_hex(data, len))
                return input_from_hex(in, (const char *)data, len, input_name, err);
        return single_prog(in, data, len, input_name, err);
}

void input_free(struct input *in)
{
        /* kconfig is the caller's. */
        bpfaot_elf__free(in->elf);
        free(in->insns);
        free(in->progs);
        free(in->name);
        memset(in, 0, sizeof(*in));
}
