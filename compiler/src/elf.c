/* SPDX-License-Identifier: MIT */
/*
 * eBPF ELF front end, on libelf directly: libbpf's bpf_object__open refuses
 * objects that real projects ship (legacy map sections, static programs in
 * named sections), so programs are found the way the kernel loaders agree on
 * — functions in executable sections other than .text — and BTF is read with
 * libbpf's btf API, which works on any object.
 */
#include "insn.h"
#include "object.h"

#include <bpf/btf.h>
#include <errno.h>
#include <gelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct elf_reader {
        const char *input;
        struct bpfaot_error *err;
        Elf *elf;
        size_t shstrndx;
        Elf_Scn *symtab;
        GElf_Shdr symtab_sh;
        Elf_Data *syms;
        size_t sym_cnt;
        struct bpfaot_elf *out;
};

static int fail(struct elf_reader *r, int code, const char *what)
{
        return bpfaot_error_set(r->err, code, "%s: %s", r->input, what);
}

static const char *section_name(struct elf_reader *r, size_t shndx)
{
        GElf_Shdr sh;
        Elf_Scn *scn = elf_getscn(r->elf, shndx);
        if (!scn || !gelf_getshdr(scn, &sh))
                return NULL;
        return elf_strptr(r->elf, r->shstrndx, sh.sh_name);
}

static char *keep_name(struct elf_reader *r, const char *name)
{
        struct bpfaot_elf *e = r->out;
        char **n = realloc(e->names, (e->name_cnt + 1) * sizeof(*n));
        if (!n)
                return NULL;
        e->names = n;
        n[e->name_cnt] = strdup(name);
        return n[e->name_cnt] ? n[e->name_cnt++] : NULL;
}

static int add_prog(struct elf_reader *r, const char *name, const char *sec, Elf_Data *data,
                    size_t off, size_t size)
{
        struct bpfaot_elf *e = r->out;
        struct bpfaot_elf_prog *p;
        char msg[256];
        int ret;

        if (size % 8 || off > data->d_size || size > data->d_size - off) {
                snprintf(msg, sizeof(msg),
                         "program '%s' in section %s: bad offset %zu or size %zu (section has "
                         "%zu bytes)",
                         name, sec, off, size, (size_t)data->d_size);
                return fail(r, EINVAL, msg);
        }
        p = realloc(e->progs, (e->prog_cnt + 1) * sizeof(*p));
        if (!p)
                return fail(r, ENOMEM, "out of memory");
        e->progs = p;
        p = &e->progs[e->prog_cnt];
        memset(p, 0, sizeof(*p));
        p->name = strdup(name);
        p->section = strdup(sec);
        if (!p->name || !p->section) {
                free(p->name);
                free(p->section);
                return fail(r, ENOMEM, "out of memory");
        }
        e->prog_cnt++;
        ret = bpfaot_decode((const uint8_t *)data->d_buf + off, size, &p->insns, &p->insn_cnt,
                            r->err);
        return ret;
}

/* What a relocated instruction refers to, for messages. */
static const char *reloc_what(struct elf_reader *r, const struct bpfaot_insn *insn,
                              const GElf_Sym *sym)
{
        const char *sec;

        if (insn_is_call(insn))
                return sym->st_shndx == SHN_UNDEF ? "extern function" : "sub-program";
        if (sym->st_shndx == SHN_UNDEF)
                return "extern variable";
        if (sym->st_shndx >= SHN_LORESERVE)
                return "symbol";
        sec = section_name(r, sym->st_shndx);
        if (!sec)
                return "symbol";
        if (strcmp(sec, ".maps") == 0 || strcmp(sec, "maps") == 0 || strncmp(sec, "maps/", 5) == 0)
                return "map";
        if (strncmp(sec, ".data", 5) == 0 || strncmp(sec, ".rodata", 7) == 0 ||
            strncmp(sec, ".bss", 4) == 0)
                return "global data";
        return "function address";
}

static int add_reloc(struct elf_reader *r, struct bpfaot_elf_prog *p, size_t insn_idx,
                     size_t sym_idx)
{
        const struct bpfaot_insn *insn;
        struct bpfaot_reloc *rel;
        const char *name;
        GElf_Sym sym;
        char msg[128];

        if (sym_idx == 0 || sym_idx >= r->sym_cnt || !gelf_getsym(r->syms, (int)sym_idx, &sym)) {
                snprintf(msg, sizeof(msg),
                         "program '%s': relocation at insn %zu names symbol %zu, "
                         "which does not exist",
                         p->name, insn_idx, sym_idx);
                return fail(r, EINVAL, msg);
        }
        if (insn_idx >= p->insn_cnt)
                return fail(r, EINVAL, "relocation past the end of a program");
        insn = &p->insns[insn_idx];
        name = elf_strptr(r->elf, r->symtab_sh.sh_link, sym.st_name);
        if (GELF_ST_TYPE(sym.st_info) == STT_SECTION || !name || !*name)
                name = section_name(r, sym.st_shndx);
        if (!name)
                name = "?";
        rel = realloc(p->relocs, (p->reloc_cnt + 1) * sizeof(*rel));
        if (!rel)
                return fail(r, ENOMEM, "out of memory");
        p->relocs = rel;
        rel = &rel[p->reloc_cnt++];
        rel->insn = insn_idx;
        rel->name = keep_name(r, name);
        if (!rel->name)
                return fail(r, ENOMEM, "out of memory");
        rel->what = reloc_what(r, insn, &sym);
        /*
         * A call of an extern function is a kfunc call by name. clang encodes
         * it as a pseudo call (src 1, imm -1) whose relocation names the
         * function; rewrite it as libbpf does, so that it is not mistaken
         * for a local call.
         */
        if (insn_is_call(insn) && !insn_is_reg_src(insn) && sym.st_shndx == SHN_UNDEF) {
                rel->kind = BPFAOT_RELOC_KFUNC;
                p->insns[insn_idx].src = BPFAOT_CALL_KFUNC;
                p->insns[insn_idx].imm = 0;
        } else
                rel->kind = BPFAOT_RELOC_UNRESOLVED;
        return 0;
}

static int cmp_reloc(const void *a, const void *b)
{
        const struct bpfaot_reloc *x = a, *y = b;
        return x->insn < y->insn ? -1 : x->insn > y->insn;
}

struct prog_range {
        size_t shndx, off, size;
};

static int read_section_relocs(struct elf_reader *r, const struct prog_range *ranges,
                               size_t nranges)
{
        Elf_Scn *scn = NULL;
        GElf_Shdr sh;

        while ((scn = elf_nextscn(r->elf, scn)) != NULL) {
                Elf_Data *data;

                if (!gelf_getshdr(scn, &sh))
                        return fail(r, EINVAL, "malformed section header");
                if (sh.sh_type == SHT_RELA)
                        return fail(r, EINVAL, "RELA relocations are not used by eBPF objects");
                if (sh.sh_type != SHT_REL)
                        continue;
                if (sh.sh_link != elf_ndxscn(r->symtab))
                        return fail(r, EINVAL, "relocation section does not use the symbol table");
                data = elf_getdata(scn, NULL);
                if (!data || sh.sh_entsize == 0)
                        return fail(r, EINVAL, "malformed relocation section");
                for (size_t i = 0; i < sh.sh_size / sh.sh_entsize; i++) {
                        GElf_Rel rel;
                        if (!gelf_getrel(data, (int)i, &rel))
                                return fail(r, EINVAL, "malformed relocation entry");
                        for (size_t p = 0; p < nranges; p++) {
                                const struct prog_range *pr = &ranges[p];
                                int ret;
                                if (pr->shndx != sh.sh_info || rel.r_offset < pr->off ||
                                    rel.r_offset >= pr->off + pr->size)
                                        continue;
                                if ((rel.r_offset - pr->off) % 8)
                                        return fail(r, EINVAL,
                                                    "relocation offset is not on an instruction");
                                ret = add_reloc(r, &r->out->progs[p], (rel.r_offset - pr->off) / 8,
                                                GELF_R_SYM(rel.r_info));
                                if (ret)
                                        return ret;
                        }
                }
        }
        for (size_t p = 0; p < r->out->prog_cnt; p++)
                if (r->out->progs[p].reloc_cnt > 1)
                        qsort(r->out->progs[p].relocs, r->out->progs[p].reloc_cnt,
                              sizeof(struct bpfaot_reloc), cmp_reloc);
        return 0;
}

static bool is_prog_section(struct elf_reader *r, size_t shndx, Elf_Data **data, const char **name)
{
        GElf_Shdr sh;
        Elf_Scn *scn = elf_getscn(r->elf, shndx);

        if (!scn || !gelf_getshdr(scn, &sh) || sh.sh_type != SHT_PROGBITS ||
            !(sh.sh_flags & SHF_EXECINSTR))
                return false;
        *name = elf_strptr(r->elf, r->shstrndx, sh.sh_name);
        if (!*name || strcmp(*name, ".text") == 0)
                return false;
        *data = elf_getdata(scn, NULL);
        return true; /* read_progs reports a section whose data cannot be read */
}

static int read_progs(struct elf_reader *r, struct prog_range **ranges)
{
        struct prog_range *pr = NULL;
        size_t n = 0;

        for (size_t i = 1; i < r->sym_cnt; i++) {
                const char *name, *sec;
                Elf_Data *data;
                GElf_Sym sym;
                int ret;

                if (!gelf_getsym(r->syms, (int)i, &sym))
                        return fail(r, EINVAL, "malformed symbol table");
                if (GELF_ST_TYPE(sym.st_info) != STT_FUNC || sym.st_shndx == SHN_UNDEF ||
                    sym.st_shndx >= SHN_LORESERVE || !is_prog_section(r, sym.st_shndx, &data, &sec))
                        continue;
                name = elf_strptr(r->elf, r->symtab_sh.sh_link, sym.st_name);
                if (!name || !*name)
                        return fail(r, EINVAL, "program symbol without a name");
                if (!data) {
                        char msg[256];
                        snprintf(msg, sizeof(msg), "section %s: cannot read its data: %s", sec,
                                 elf_errmsg(-1));
                        free(pr);
                        return fail(r, EINVAL, msg);
                }
                struct prog_range *np = realloc(pr, (n + 1) * sizeof(*np));
                if (!np) {
                        free(pr);
                        return fail(r, ENOMEM, "out of memory");
                }
                pr = np;
                pr[n].shndx = sym.st_shndx;
                pr[n].off = sym.st_value;
                pr[n].size = sym.st_size ? sym.st_size : data->d_size - sym.st_value;
                ret = add_prog(r, name, sec, data, pr[n].off, pr[n].size);
                n++;
                if (ret) {
                        free(pr);
                        return ret;
                }
        }
        *ranges = pr;
        return 0;
}

static void read_btf(struct elf_reader *r)
{
        Elf_Scn *scn = NULL;
        GElf_Shdr sh;

        while ((scn = elf_nextscn(r->elf, scn)) != NULL) {
                const char *name;
                Elf_Data *data;
                if (!gelf_getshdr(scn, &sh))
                        return;
                name = elf_strptr(r->elf, r->shstrndx, sh.sh_name);
                if (!name || strcmp(name, ".BTF") != 0)
                        continue;
                data = elf_getdata(scn, NULL);
                if (data && data->d_size) {
                        struct btf *btf = btf__new(data->d_buf, data->d_size);
                        /* A broken .BTF only loses kfunc names: not fatal. */
                        r->out->btf = btf; /* libbpf 1.x returns NULL on error */
                }
                return;
        }
}

int bpfaot_elf__open_mem(const void *data, size_t len, const char *input_name,
                         struct bpfaot_elf **out, struct bpfaot_error *err)
{
        struct elf_reader r = {.input = input_name ? input_name : "<input>", .err = err};
        struct prog_range *ranges = NULL;
        GElf_Ehdr eh;
        int ret;

        *out = NULL;
        ret = object_open(data, len, r.input, &r.elf, err);
        if (ret)
                return ret;
        gelf_getehdr(r.elf, &eh);
        if (eh.e_machine != EM_BPF) {
                ret = bpfaot_error_set(err, EINVAL,
                                       "%s: not an eBPF object (ELF machine %u, expected %u)",
                                       r.input, eh.e_machine, EM_BPF);
                goto out;
        }
        if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_ident[EI_DATA] != ELFDATA2LSB) {
                ret = fail(&r, EINVAL, "only 64-bit little-endian eBPF objects are supported");
                goto out;
        }
        if (elf_getshdrstrndx(r.elf, &r.shstrndx)) {
                ret = fail(&r, EINVAL, "malformed section header string table");
                goto out;
        }
        r.out = calloc(1, sizeof(*r.out));
        if (!r.out || !(r.out->input = strdup(r.input))) {
                ret = fail(&r, ENOMEM, "out of memory");
                goto out;
        }
        while ((r.symtab = elf_nextscn(r.elf, r.symtab)) != NULL)
                if (gelf_getshdr(r.symtab, &r.symtab_sh) && r.symtab_sh.sh_type == SHT_SYMTAB)
                        break;
        if (!r.symtab) {
                ret = fail(&r, EINVAL, "no symbol table");
                goto out;
        }
        r.syms = elf_getdata(r.symtab, NULL);
        if (!r.syms || r.symtab_sh.sh_entsize == 0 ||
            r.symtab_sh.sh_size / r.symtab_sh.sh_entsize * r.symtab_sh.sh_entsize >
                r.syms->d_size) {
                ret = fail(&r, EINVAL, "malformed symbol table");
                goto out;
        }
        r.sym_cnt = r.symtab_sh.sh_size / r.symtab_sh.sh_entsize;
        ret = read_progs(&r, &ranges);
        if (!ret)
                ret = read_section_relocs(&r, ranges, r.out->prog_cnt);
        if (!ret && r.out->prog_cnt == 0)
                ret = fail(&r, ENOENT, "no programs (no functions in executable sections)");
        if (!ret)
                read_btf(&r);
out:
        free(ranges);
        elf_end(r.elf);
        if (ret) {
                bpfaot_elf__free(r.out);
                return ret;
        }
        *out = r.out;
        return 0;
}

void bpfaot_elf__free(struct bpfaot_elf *elf)
{
        if (!elf)
                return;
        for (size_t i = 0; i < elf->prog_cnt; i++) {
                free(elf->progs[i].name);
                free(elf->progs[i].section);
                free(elf->progs[i].insns);
                free(elf->progs[i].relocs);
        }
        for (size_t i = 0; i < elf->name_cnt; i++)
                free(elf->names[i]);
        free(elf->names);
        free(elf->progs);
        btf__free(elf->btf);
        free(elf->input);
        free(elf);
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
}
