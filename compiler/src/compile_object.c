/* SPDX-License-Identifier: MIT */
/*
 * Compiling programs of an eBPF object together, into one native object
 * whose entries have the skeleton's names, as tail calls between the
 * object's own programs need.
 */
#include "internal.h"
#include "objabi.h"

#include <linux/bpf.h>
#include <stdlib.h>
#include <string.h>

char *bpfaot_elf__entry_name(const struct bpfaot_elf *elf, const char *prog)
{
        return objabi_prog_entry(elf->symbol_prefix, prog);
}

const struct bpfaot_map_desc *bpfaot_elf__prog_array_map(const struct bpfaot_elf *elf)
{
        for (size_t i = 0; elf && i < elf->map_cnt; i++)
                if (elf->maps[i].type == BPF_MAP_TYPE_PROG_ARRAY && elf->maps[i].init_cnt)
                        return &elf->maps[i];
        return NULL;
}

static long prog_index(const struct bpfaot_elf *elf, const char *name)
{
        for (size_t i = 0; i < elf->prog_cnt; i++)
                if (strcmp(elf->progs[i].name, name) == 0)
                        return (long)i;
        return -1;
}

/* Views of the selected programs and their entry names, owned by the caller. */
struct selection {
        struct bpfaot_prog *progs;
        char **entries;
        size_t cnt;
};

static void selection_free(struct selection *s)
{
        for (size_t i = 0; s->entries && i < s->cnt; i++)
                free(s->entries[i]);
        free(s->entries);
        free(s->progs);
}

static int select_progs(const struct bpfaot_elf *elf, const char *const *names, size_t cnt,
                        struct selection *s, struct bpfaot_error *err)
{
        s->cnt = names ? cnt : elf->prog_cnt;
        s->progs = calloc(s->cnt ? s->cnt : 1, sizeof(*s->progs));
        s->entries = calloc(s->cnt ? s->cnt : 1, sizeof(*s->entries));
        if (!s->progs || !s->entries)
                return bpfaot_error_nomem(err);
        for (size_t i = 0; i < s->cnt; i++) {
                long k = names ? prog_index(elf, names[i]) : (long)i;

                if (k < 0)
                        return bpfaot_error_set(err, ENOENT, "%s: no program named '%s'",
                                                elf->input, names[i]);
                bpfaot_elf__prog(elf, (size_t)k, &s->progs[i]);
                s->entries[i] = bpfaot_elf__entry_name(elf, s->progs[i].name);
                if (!s->entries[i])
                        return bpfaot_error_nomem(err);
        }
        return 0;
}

int bpfaot_compile_elf(const struct bpfaot_elf *elf, const char *const *names, size_t cnt,
                       const struct bpfaot_compile_opts *opts, struct bpfaot_buf *out,
                       struct bpfaot_error *err)
{
        struct selection s = {0};
        int ret = select_progs(elf, names, cnt, &s, err);

        if (!ret && !s.cnt && !elf->prog_cnt) {
                /* Maps and data only: their skeleton's object. */
                const struct bpfaot_prog object = {
                    .input = elf->input,
                    .name = elf->symbol_prefix,
                    .btf = elf->btf,
                    .data = elf->data,
                    .data_cnt = elf->data_cnt,
                    .maps = elf->maps,
                    .map_cnt = elf->map_cnt,
                    .symbol_prefix = elf->symbol_prefix,
                };
                ret = compile_object_globals(&object, opts, out, err);
        } else if (!ret)
                ret = bpfaot_compile_progs(s.progs, (const char *const *)s.entries, s.cnt, opts,
                                           out, err);
        selection_free(&s);
        return ret;
}
