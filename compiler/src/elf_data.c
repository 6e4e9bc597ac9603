/* SPDX-License-Identifier: MIT */
/* Global data: .data, .rodata, .bss (and their .<name>.* variants), their variables, their native
 * names. */
#define _GNU_SOURCE /* asprintf */
#include "elf_internal.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void sanitize(char *p)
{
        for (; *p; p++)
                if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                      (*p >= '0' && *p <= '9') || *p == '_'))
                        *p = '_';
}

/* The object's symbol prefix: its file name without .bpf.o / .o, C-identifier safe. */
char *elf_symbol_prefix(const char *input)
{
        static const char *const suffixes[] = {".bpf.o", ".o"};
        const char *base = strrchr(input, '/');
        size_t blen;
        char *out;

        base = base ? base + 1 : input;
        blen = strlen(base);
        for (size_t i = 0; i < 2; i++) {
                size_t l = strlen(suffixes[i]);
                if (blen > l && strcmp(base + blen - l, suffixes[i]) == 0) {
                        blen -= l;
                        break;
                }
        }
        /* An identifier starts with no digit (1prog.bpf.o: _1prog__...). */
        if (asprintf(&out, "%s%.*s", blen && isdigit((unsigned char)*base) ? "_" : "", (int)blen,
                     base) < 0)
                return NULL;
        sanitize(out);
        return out;
}

/* Name of the native global for a data section: <prefix>__<section>. */
static char *data_symbol(const char *prefix, const char *sec)
{
        char *out;

        if (asprintf(&out, "%s" BPFAOT_SYM_SEP "%s", prefix, sec[0] == '.' ? sec + 1 : sec) < 0)
                return NULL;
        sanitize(out);
        return out;
}

struct bpfaot_data_sec *elf_add_data_section(struct elf_reader *r, const char *name, size_t shndx,
                                             size_t size, bool readonly)
{
        struct bpfaot_elf *e = r->out;
        size_t *src = ARRAY_ADD(r->data_shndx, r->data_shndx_cnt);
        struct bpfaot_data_sec *d = src ? ARRAY_ADD(e->data, e->data_cnt) : NULL;

        if (!d) {
                elf_nomem(r);
                return NULL;
        }
        *src = shndx;
        d->size = size;
        d->readonly = readonly;
        d->name = elf_keep(r, name);
        d->symbol = data_symbol(e->symbol_prefix, name);
        if (!d->name || !d->symbol) {
                elf_nomem(r);
                return NULL;
        }
        return d;
}

long elf_data_index(const struct elf_reader *r, size_t shndx)
{
        if (shndx == SHN_UNDEF) /* the synthesized .kconfig has no section */
                return -1;
        for (size_t i = 0; i < r->out->data_cnt; i++)
                if (r->data_shndx[i] == shndx)
                        return (long)i;
        return -1;
}

int elf_read_data_sections(struct elf_reader *r)
{
        for (size_t i = 1; i < r->sec_cnt; i++) {
                const struct elf_section *s = &r->secs[i];
                struct bpfaot_data_sec *d;
                Elf_Data *data;

                if ((s->sh.sh_type != SHT_PROGBITS && s->sh.sh_type != SHT_NOBITS) ||
                    !(s->sh.sh_flags & SHF_ALLOC) || (s->sh.sh_flags & SHF_EXECINSTR) ||
                    elf_section_kind(s->name) != ELF_SEC_DATA)
                        continue;
                d = elf_add_data_section(r, s->name, i, s->sh.sh_size,
                                         !(s->sh.sh_flags & SHF_WRITE));
                if (!d)
                        return -ENOMEM;
                if (s->sh.sh_type == SHT_NOBITS || s->sh.sh_size == 0)
                        continue;
                data = elf_getdata(s->scn, NULL);
                if (!data || data->d_size != s->sh.sh_size)
                        return elf_fail(r, EINVAL, "section %s: cannot read a data section",
                                        s->name);
                d->bytes = malloc(s->sh.sh_size);
                if (!d->bytes)
                        return elf_nomem(r);
                memcpy((uint8_t *)d->bytes, data->d_buf, s->sh.sh_size);
        }
        return 0;
}

static int cmp_var(const void *a, const void *b)
{
        const struct bpfaot_data_var *x = a, *y = b;
        return x->offset < y->offset ? -1 : x->offset > y->offset;
}

/* The variables (STT_OBJECT symbols) of each data section. */
int elf_read_data_vars(struct elf_reader *r)
{
        struct bpfaot_elf *e = r->out;

        elf_for_each_sym(s, r)
        {
                struct bpfaot_data_sec *d;
                struct bpfaot_data_var *v;
                long di;

                if (s->type != STT_OBJECT || !elf_sym_in_section(s) ||
                    (di = elf_data_index(r, s->shndx)) < 0)
                        continue;
                d = &e->data[di];
                if (!s->name || !*s->name || s->value > d->size || s->size > d->size - s->value)
                        continue; /* not describable: the skeleton leaves it out */
                v = ARRAY_ADD(d->vars, d->var_cnt);
                if (!v)
                        return elf_nomem(r);
                v->name = elf_keep(r, s->name);
                v->offset = s->value;
                v->size = s->size;
                v->btf_type = elf_btf_var_type(e->btf, d->name, s->name);
                if (!v->name)
                        return elf_nomem(r);
        }
        for (size_t k = 0; k < e->data_cnt; k++)
                if (e->data[k].var_cnt > 1)
                        qsort(e->data[k].vars, e->data[k].var_cnt, sizeof(*e->data[k].vars),
                              cmp_var);
        return 0;
}
