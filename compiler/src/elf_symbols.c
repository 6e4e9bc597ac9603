/* SPDX-License-Identifier: MIT */
/* The symbol table, read once: every later pass walks r->syms (elf_for_each_sym). */
#include "elf_internal.h"

#include <stdlib.h>

static const struct elf_section *find_symtab(struct elf_reader *r)
{
        for (size_t i = 1; i < r->sec_cnt; i++)
                if (r->secs[i].sh.sh_type == SHT_SYMTAB) {
                        r->symtab_shndx = i;
                        return &r->secs[i];
                }
        return NULL;
}

int elf_read_symbols(struct elf_reader *r)
{
        const struct elf_section *symtab = find_symtab(r);
        Elf_Data *data = symtab ? elf_getdata(symtab->scn, NULL) : NULL;
        size_t n;

        if (!symtab)
                return elf_fail(r, EINVAL, "no symbol table");
        /* libbpf's check too: any other entry size would read every symbol askew. */
        if (!data || symtab->sh.sh_entsize != sizeof(Elf64_Sym) ||
            symtab->sh.sh_size / sizeof(Elf64_Sym) * sizeof(Elf64_Sym) > data->d_size)
                return elf_fail(r, EINVAL, "malformed symbol table");
        n = symtab->sh.sh_size / sizeof(Elf64_Sym);
        r->syms = calloc(n ? n : 1, sizeof(*r->syms)); /* syms[0], the null symbol, always */
        if (!r->syms)
                return elf_nomem(r);
        r->sym_cnt = n ? n : 1;
        for (size_t i = 1; i < n; i++) {
                struct elf_sym *s = &r->syms[i];
                GElf_Sym sym;

                if (!gelf_getsym(data, (int)i, &sym))
                        return elf_fail(r, EINVAL, "malformed symbol table");
                s->name = elf_strptr(r->elf, symtab->sh.sh_link, sym.st_name);
                s->shndx = sym.st_shndx;
                s->value = sym.st_value;
                s->size = sym.st_size;
                s->type = GELF_ST_TYPE(sym.st_info);
                s->bind = GELF_ST_BIND(sym.st_info);
                s->section = elf_sym_in_section(s) ? elf_section_name(r, s->shndx) : NULL;
        }
        return 0;
}

const struct elf_sym *elf_sym_at(const struct elf_reader *r, size_t idx)
{
        return idx > 0 && idx < r->sym_cnt ? &r->syms[idx] : NULL;
}
