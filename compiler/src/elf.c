/* SPDX-License-Identifier: MIT */
/*
 * eBPF ELF front end, on libelf directly: libbpf's bpf_object__open refuses
 * objects that real projects ship (legacy map sections, static programs in
 * named sections), so programs are found the way the kernel loaders agree on
 * — functions in executable sections other than .text — and BTF is read with
 * libbpf's btf API, which works on any object. This file runs the passes
 * (elf_*.c, one concern each) and owns the object they fill.
 */
#include "elf_internal.h"
#include "elffile.h"

#include <bpf/btf.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int elf_fail(struct elf_reader *r, int code, const char *fmt, ...)
{
        char msg[BPFAOT_ERROR_MAX];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        return bpfaot_error_set(r->err, code, "%s: %s", r->input, msg);
}

int elf_nomem(struct elf_reader *r)
{
        bpfaot_error_nomem(r->err);
        return bpfaot_error_prefix(r->err, r->input);
}

const char *elf_keep(struct elf_reader *r, const char *s)
{
        char **slot = ARRAY_ADD(r->obj->names, r->obj->name_cnt);

        return slot ? (*slot = strdup(s)) : NULL;
}

/* Only what every later pass relies on: a 64-bit little-endian eBPF object. */
static int check_header(struct elf_reader *r)
{
        GElf_Ehdr eh;

        if (!gelf_getehdr(r->elf, &eh))
                return elf_fail(r, EINVAL, "malformed ELF header");
        if (eh.e_machine != EM_BPF)
                return elf_fail(r, EINVAL, "not an eBPF object (ELF machine %u, expected %u)",
                                eh.e_machine, EM_BPF);
        if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_ident[EI_DATA] != ELFDATA2LSB)
                return elf_fail(r, EINVAL, "only 64-bit little-endian eBPF objects are supported");
        return 0;
}

static int new_object(struct elf_reader *r)
{
        r->obj = calloc(1, sizeof(*r->obj));
        if (!r->obj)
                return elf_nomem(r);
        r->out = &r->obj->pub;
        r->out->input = strdup(r->input);
        r->out->symbol_prefix = elf_symbol_prefix(r->input);
        return r->out->input && r->out->symbol_prefix ? 0 : elf_nomem(r);
}

/* The passes, in order; each may use what the earlier ones read. */
static int read_object(struct elf_reader *r)
{
        int err = 0;

        err = err ?: check_header(r);
        err = err ?: new_object(r);
        err = err ?: elf_read_sections(r);
        err = err ?: elf_read_symbols(r);
        err = err ?: elf_read_btf(r);
        err = err ?: elf_read_core_relos(r);
        err = err ?: elf_read_line_info(r);
        err = err ?: elf_read_code_sections(r);
        err = err ?: elf_read_data_sections(r);
        err = err ?: elf_read_data_vars(r);
        err = err ?: elf_read_btf_maps(r);
        err = err ?: elf_read_legacy_maps(r);
        err = err ?: elf_read_funcs(r);
        err = err ?: elf_read_relocs(r);
        err = err ?: elf_link_progs(r);
        err = err ?: elf_finish_kconfig(r);
        err = err ?: elf_read_map_inits(r);
        err = err ?: elf_check_progs(r);
        return err;
}

/* The reader's own state; the object it filled is the caller's or freed. */
static void reader_free(struct elf_reader *r)
{
        elf_free_code_sections(r);
        free(r->secs);
        free(r->syms);
        free(r->data_shndx);
        free(r->lines);
        free(r->btf_maps);
        free(r->kconfig_vars);
        free(r->kconfig_bytes);
        elf_end(r->elf);
}

int bpfaot_elf__open_mem(const void *data, size_t len, const char *input_name,
                         struct bpfaot_elf **out, struct bpfaot_error *err)
{
        return bpfaot_elf__open_mem_opts(data, len, input_name, NULL, out, err);
}

int bpfaot_elf__open_mem_opts(const void *data, size_t len, const char *input_name,
                              const struct bpfaot_elf_opts *opts, struct bpfaot_elf **out,
                              struct bpfaot_error *err)
{
        struct bpfaot_error scratch; /* passes prefix messages, so they need somewhere to write */
        struct elf_reader r = {.input = input_name ? input_name : "<input>",
                               .err = err ?: &scratch,
                               .kconfig_sec = -1};
        struct bpfaot_elf_opts o;
        int ret;

        *out = NULL;
        ret = OPTS_COPY(bpfaot_elf_opts, o, opts, r.err);
        r.externs = o.externs;
        ret = ret ?: elffile_open(data, len, r.input, &r.elf, r.err);
        ret = ret ?: read_object(&r);
        reader_free(&r);
        if (ret) {
                bpfaot_elf__free(r.out);
                return ret;
        }
        *out = r.out;
        return 0;
}

void bpfaot_elf__free(struct bpfaot_elf *elf)
{
        struct elf_object *obj = (struct elf_object *)elf; /* pub is its first member */

        if (!elf)
                return;
        for (size_t i = 0; i < elf->prog_cnt; i++) {
                free(elf->progs[i].name);
                free(elf->progs[i].section);
                free(elf->progs[i].insns);
                free(elf->progs[i].relocs);
                for (size_t k = 0; k < elf->progs[i].func_cnt; k++)
                        free(elf->progs[i].funcs[k].name);
                free(elf->progs[i].funcs);
                free(elf->progs[i].lines);
        }
        for (size_t i = 0; i < elf->data_cnt; i++) {
                free(elf->data[i].vars);
                free((uint8_t *)elf->data[i].bytes);
                free((char *)elf->data[i].symbol);
        }
        free(elf->data);
        for (size_t i = 0; i < elf->map_cnt; i++) {
                free(elf->maps[i].inner);
                free(elf->maps[i].inits);
        }
        free(elf->maps);
        free(elf->core_relos);
        free(elf->symbol_prefix);
        for (size_t i = 0; i < obj->name_cnt; i++)
                free(obj->names[i]);
        free(obj->names);
        free(elf->progs);
        btf__free(elf->btf);
        free(elf->input);
        free(obj);
}

void bpfaot_elf__prog(const struct bpfaot_elf *elf, size_t idx, struct bpfaot_prog *prog)
{
        const struct bpfaot_elf_prog *p = &elf->progs[idx];

        memset(prog, 0, sizeof(*prog));
        prog->input = elf->input;
        prog->name = p->name;
        prog->section = p->section;
        prog->insns = p->insns;
        prog->insn_cnt = p->insn_cnt;
        prog->relocs = p->relocs;
        prog->reloc_cnt = p->reloc_cnt;
        prog->btf = elf->btf;
        prog->data = elf->data;
        prog->data_cnt = elf->data_cnt;
        prog->maps = elf->maps;
        prog->map_cnt = elf->map_cnt;
        prog->symbol_prefix = elf->symbol_prefix;
        prog->funcs = p->funcs;
        prog->func_cnt = p->func_cnt;
        prog->lines = p->lines;
        prog->line_cnt = p->line_cnt;
}
