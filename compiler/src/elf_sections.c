/* SPDX-License-Identifier: MIT */
/* Sections: the header table read once, what each section holds, and the executable ones' code. */
#include "elf_internal.h"
#include "insn.h"

#include <stdlib.h>
#include <string.h>

int elf_read_sections(struct elf_reader *r)
{
        size_t n;

        if (elf_getshdrstrndx(r->elf, &r->shstrndx))
                return elf_fail(r, EINVAL, "malformed section header string table");
        if (elf_getshdrnum(r->elf, &n))
                return elf_fail(r, EINVAL, "malformed section header table");
        r->secs = calloc(n ? n : 1, sizeof(*r->secs));
        if (!r->secs)
                return elf_nomem(r);
        r->sec_cnt = n;
        for (size_t i = 1; i < n; i++) {
                struct elf_section *s = &r->secs[i];

                s->scn = elf_getscn(r->elf, i);
                if (!s->scn || !gelf_getshdr(s->scn, &s->sh))
                        return elf_fail(r, EINVAL, "malformed section header");
                s->name = elf_strptr(r->elf, r->shstrndx, s->sh.sh_name);
        }
        return 0;
}

const char *elf_section_name(const struct elf_reader *r, size_t shndx)
{
        return shndx < r->sec_cnt ? r->secs[shndx].name : NULL;
}

/* Section names by what they hold: libbpf's conventions. */
static const struct {
        const char *name;
        bool prefix; /* any name that starts with it */
        enum elf_section_kind kind;
} section_kinds[] = {
    {".data", true, ELF_SEC_DATA},        {".rodata", true, ELF_SEC_DATA},
    {".bss", true, ELF_SEC_DATA},         {".maps", false, ELF_SEC_BTF_MAPS},
    {"maps", false, ELF_SEC_LEGACY_MAPS}, {"maps/", true, ELF_SEC_LEGACY_MAPS},
};

enum elf_section_kind elf_section_kind(const char *name)
{
        for (size_t i = 0; name && i < sizeof(section_kinds) / sizeof(section_kinds[0]); i++) {
                size_t n = strlen(section_kinds[i].name);
                if (strncmp(name, section_kinds[i].name, n) == 0 &&
                    (section_kinds[i].prefix || name[n] == '\0'))
                        return section_kinds[i].kind;
        }
        return ELF_SEC_OTHER;
}

Elf_Data *elf_section_bytes(const struct elf_reader *r, const char *name)
{
        for (size_t i = 1; i < r->sec_cnt; i++) {
                Elf_Data *data;

                if (!r->secs[i].name || strcmp(r->secs[i].name, name) != 0)
                        continue;
                data = elf_getdata(r->secs[i].scn, NULL);
                return data && data->d_buf && data->d_size ? data : NULL;
        }
        return NULL;
}

struct elf_code_sec *elf_code_sec(const struct elf_reader *r, size_t shndx)
{
        for (size_t i = 0; i < r->code_sec_cnt; i++)
                if (r->code_secs[i].shndx == shndx)
                        return &r->code_secs[i];
        return NULL;
}

/* Executable sections: their instructions (functions and relocations come later). */
int elf_read_code_sections(struct elf_reader *r)
{
        for (size_t i = 1; i < r->sec_cnt; i++) {
                const struct elf_section *s = &r->secs[i];
                struct elf_code_sec *cs;
                Elf_Data *data;
                int ret;

                if (s->sh.sh_type != SHT_PROGBITS || !(s->sh.sh_flags & SHF_EXECINSTR) ||
                    !s->sh.sh_size)
                        continue;
                data = elf_getdata(s->scn, NULL);
                if (!s->name || !data || data->d_size != s->sh.sh_size || s->sh.sh_size % 8)
                        return elf_fail(r, EINVAL, "section %s: cannot read its instructions (%s)",
                                        s->name ? s->name : "?",
                                        s->sh.sh_size % 8 ? "size is not a multiple of 8"
                                                          : elf_errmsg(-1));
                cs = ARRAY_ADD(r->code_secs, r->code_sec_cnt);
                if (!cs)
                        return elf_nomem(r);
                cs->shndx = i;
                cs->name = s->name;
                ret = bpfaot_decode(data->d_buf, data->d_size, &cs->insns, &cs->cnt, r->err);
                if (ret)
                        return ret;
        }
        return 0;
}

void elf_free_code_sections(struct elf_reader *r)
{
        for (size_t i = 0; i < r->code_sec_cnt; i++) {
                free(r->code_secs[i].insns);
                free(r->code_secs[i].funcs);
                free(r->code_secs[i].rels);
        }
        free(r->code_secs);
}
