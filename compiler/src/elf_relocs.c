/* SPDX-License-Identifier: MIT */
/*
 * Relocations of executable sections: read and sorted per section, then
 * resolved instruction by instruction while a program is linked — calls,
 * function addresses, global data, maps, kfuncs and externs — into the
 * program's bpfaot_reloc list, or kept as unresolved with what they name.
 */
#include "elf_internal.h"
#include "insn.h"

#include <stdlib.h>
#include <string.h>

static int cmp_rel(const void *a, const void *b)
{
        const struct elf_rel *x = a, *y = b;
        return x->insn < y->insn ? -1 : x->insn > y->insn;
}

/* The relocations of section `s`, which apply to code section `cs`. */
static int read_code_rels(struct elf_reader *r, const struct elf_section *s,
                          struct elf_code_sec *cs)
{
        Elf_Data *data = elf_getdata(s->scn, NULL);
        const char *name = s->name ? s->name : "?";

        if (s->sh.sh_link != r->symtab_shndx)
                return elf_fail(r, EINVAL,
                                "section %s: relocation section does not use the symbol table",
                                name);
        if (!data || s->sh.sh_entsize == 0)
                return elf_fail(r, EINVAL, "section %s: malformed relocation section", name);
        for (size_t i = 0; i < s->sh.sh_size / s->sh.sh_entsize; i++) {
                struct elf_rel *rel;
                GElf_Rel er;

                if (!gelf_getrel(data, (int)i, &er))
                        return elf_fail(r, EINVAL, "section %s: malformed relocation entry %zu",
                                        name, i);
                if (er.r_offset % 8 || er.r_offset / 8 >= cs->cnt)
                        return elf_fail(
                            r, EINVAL,
                            "section %s: relocation offset %llu is not on an instruction", name,
                            (unsigned long long)er.r_offset);
                if (!elf_sym_at(r, GELF_R_SYM(er.r_info)))
                        return elf_fail(r, EINVAL,
                                        "section %s: relocation names a symbol that does not exist",
                                        name);
                rel = ARRAY_ADD(cs->rels, cs->rel_cnt);
                if (!rel)
                        return elf_nomem(r);
                *rel = (struct elf_rel){er.r_offset / 8, GELF_R_SYM(er.r_info)};
        }
        return 0;
}

int elf_read_relocs(struct elf_reader *r)
{
        for (size_t i = 1; i < r->sec_cnt; i++) {
                const struct elf_section *s = &r->secs[i];
                struct elf_code_sec *cs;
                int ret;

                if (s->sh.sh_type == SHT_RELA)
                        return elf_fail(r, EINVAL,
                                        "section %s: RELA relocations are not used by eBPF objects",
                                        s->name ? s->name : "?");
                if (s->sh.sh_type != SHT_REL || !(cs = elf_code_sec(r, s->sh.sh_info)))
                        continue;
                ret = read_code_rels(r, s, cs);
                if (ret)
                        return ret;
        }
        for (size_t i = 0; i < r->code_sec_cnt; i++)
                if (r->code_secs[i].rel_cnt > 1)
                        qsort(r->code_secs[i].rels, r->code_secs[i].rel_cnt,
                              sizeof(*r->code_secs[i].rels), cmp_rel);
        return 0;
}

const struct elf_rel *elf_rel_at(const struct elf_code_sec *cs, size_t insn)
{
        size_t lo = 0, hi = cs->rel_cnt;
        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (cs->rels[mid].insn == insn)
                        return &cs->rels[mid];
                if (cs->rels[mid].insn < insn)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return NULL;
}

/* ------------------------------------------------------------------ */
/* Resolving one instruction while its program is linked               */
/* ------------------------------------------------------------------ */

struct bpfaot_reloc *elf_add_reloc(struct elf_linker *l, size_t o, const struct elf_sym *sym,
                                   const char *what, int kind)
{
        struct bpfaot_reloc *rel = ARRAY_ADD(l->p->relocs, l->p->reloc_cnt);
        const char *name = sym->name;

        if (sym->type == STT_SECTION || !name || !*name)
                name = sym->section;
        if (!rel || !(rel->name = elf_keep(l->r, name ? name : "?"))) {
                elf_nomem(l->r);
                return NULL;
        }
        rel->insn = o;
        rel->kind = kind;
        rel->what = what;
        return rel;
}

static int add_reloc(struct elf_linker *l, size_t o, const struct elf_sym *sym, const char *what,
                     int kind)
{
        return elf_add_reloc(l, o, sym, what, kind) ? 0 : -ENOMEM;
}

static int link_error(struct elf_linker *l, size_t o, const char *why)
{
        struct bpfaot_prog view = {.input = l->r->input,
                                   .name = l->p->name,
                                   .insns = l->p->insns,
                                   .insn_cnt = l->p->insn_cnt};
        return bpfaot_error_at(l->r->err, &view, (long)o, EINVAL, "%s", why);
}

/* Point instruction `o` at section instruction `t` of `cs` (linked in if needed): imm = delta. */
static int link_jump(struct elf_linker *l, size_t o, const struct elf_code_sec *cs, long t,
                     const char *outside)
{
        long target = t < 0 ? -1 : elf_link_target(l, cs, (size_t)t);

        if (target == -2)
                return elf_nomem(l->r);
        if (target < 0)
                return link_error(l, o, outside);
        l->p->insns[o].imm = (int32_t)(target - (long)o - 1);
        return 0;
}

static bool is_call(const struct bpfaot_insn *insn)
{
        return insn->opcode == (BPFAOT_CLASS_JMP | BPFAOT_JMP_CALL);
}

/* A resolver's answer for a relocation that is not of its kind. */
#define NOT_MINE 1

/*
 * A call of an extern function is a kfunc call by name. clang encodes it as
 * a pseudo call (src 1, imm -1); rewrite it as libbpf does, so that it is
 * not mistaken for a local call.
 */
static int link_kfunc(struct elf_linker *l, size_t o, const struct elf_sym *sym)
{
        struct bpfaot_insn *insn = &l->p->insns[o];

        if (!is_call(insn) || sym->shndx != SHN_UNDEF)
                return NOT_MINE;
        insn->src = BPFAOT_CALL_KFUNC;
        insn->imm = 0;
        return add_reloc(l, o, sym, "extern function", BPFAOT_RELOC_KFUNC);
}

static int link_extern(struct elf_linker *l, size_t o, const struct elf_sym *sym)
{
        int ret;

        if (!insn_is_lddw(&l->p->insns[o]) || sym->shndx != SHN_UNDEF)
                return NOT_MINE;
        ret = elf_link_extern_var(l, o, sym);
        return ret == -ENOENT ? NOT_MINE : ret;
}

/*
 * The address of a function (a callback, as for bpf_loop): like libbpf, a
 * code_addr (src 4) relative to this instruction. The relocation's addend
 * in imm is in bytes.
 */
static int link_func_addr(struct elf_linker *l, size_t o, const struct elf_sym *sym)
{
        const struct elf_code_sec *cs = elf_code_sec(l->r, sym->shndx);
        const struct bpfaot_insn *insn = &l->p->insns[o];
        int64_t t = ((int64_t)sym->value + insn->imm) / 8;
        int ret;

        if (!insn_is_lddw(insn) || !elf_sym_in_section(sym) || !cs)
                return NOT_MINE;
        if (o + 1 >= l->p->insn_cnt)
                return link_error(l, o, "function address outside every function");
        ret = link_jump(l, o, cs, (long)t, "function address outside every function");
        if (!ret) {
                l->p->insns[o].src = BPFAOT_LDDW_CODE_ADDR;
                l->p->insns[o + 1].imm = 0;
        }
        return ret;
}

/* A bpf-to-bpf call into another section: the target is sym + imm + 1 slots. */
static int link_call(struct elf_linker *l, size_t o, const struct elf_sym *sym)
{
        const struct elf_code_sec *cs = elf_code_sec(l->r, sym->shndx);
        const struct bpfaot_insn *insn = &l->p->insns[o];
        long t = (long)(sym->value / 8) + insn->imm + 1;
        int ret;

        if (!is_call(insn) || !elf_sym_in_section(sym) || !cs)
                return NOT_MINE;
        ret = link_jump(l, o, cs, t, "call target is outside every function");
        if (!ret)
                l->p->insns[o].src = BPFAOT_CALL_LOCAL;
        return ret;
}

/* Global data: section + symbol value + the addend clang puts in imm. */
static int link_data(struct elf_linker *l, size_t o, const struct elf_sym *sym)
{
        const struct bpfaot_insn *insn = &l->p->insns[o];
        long d = elf_sym_in_section(sym) ? elf_data_index(l->r, sym->shndx) : -1;
        int64_t off = (int64_t)sym->value + insn->imm;
        struct bpfaot_reloc *rel;

        if (!insn_is_lddw(insn) || d < 0)
                return NOT_MINE;
        if (off < 0 || (uint64_t)off > l->r->out->data[d].size)
                return link_error(l, o, "global data offset outside its section");
        rel = elf_add_reloc(l, o, sym, "global data", BPFAOT_RELOC_DATA);
        if (!rel)
                return -ENOMEM;
        rel->data_sec = (size_t)d;
        rel->offset = (uint64_t)off;
        return 0;
}

static int link_map(struct elf_linker *l, size_t o, const struct elf_sym *sym)
{
        enum elf_section_kind kind = elf_section_kind(sym->section);
        struct bpfaot_reloc *rel;
        long m;

        if (!insn_is_lddw(&l->p->insns[o]) ||
            (kind != ELF_SEC_BTF_MAPS && kind != ELF_SEC_LEGACY_MAPS))
                return NOT_MINE;
        m = elf_map_index(l->r, sym->name);
        if (m < 0 && kind == ELF_SEC_BTF_MAPS && !elf_btf_describes_maps(l->r)) {
                rel = elf_add_reloc(l, o, sym, "map", BPFAOT_RELOC_UNRESOLVED);
                if (rel)
                        rel->why = "no BTF describes the .maps section: build the object with -g";
                return rel ? 0 : -ENOMEM;
        }
        if (m < 0)
                return add_reloc(l, o, sym, "map", BPFAOT_RELOC_UNRESOLVED);
        rel = elf_add_reloc(l, o, sym, "map", BPFAOT_RELOC_MAP);
        if (!rel)
                return -ENOMEM;
        rel->data_sec = (size_t)m;
        return 0;
}

/* Relocation kinds in the order they are tried: the first that recognises it resolves it. */
static int (*const resolvers[])(struct elf_linker *l, size_t o, const struct elf_sym *sym) = {
    link_kfunc, link_extern, link_func_addr, link_call, link_data, link_map,
};

/* What an unresolved relocation refers to, for messages. */
static const char *reloc_what(const struct bpfaot_insn *insn, const struct elf_sym *sym)
{
        static const char *const by_section[] = {
            [ELF_SEC_OTHER] = "function address",
            [ELF_SEC_DATA] = "global data",
            [ELF_SEC_BTF_MAPS] = "map",
            [ELF_SEC_LEGACY_MAPS] = "map",
        };

        if (insn_is_call(insn))
                return sym->shndx == SHN_UNDEF ? "extern function" : "sub-program";
        if (sym->shndx == SHN_UNDEF)
                return "extern variable";
        return sym->section ? by_section[elf_section_kind(sym->section)] : "symbol";
}

/* A call of a function elsewhere in the same section, resolved by the assembler. */
static int link_local_call(struct elf_linker *l, const struct elf_chunk *c, size_t gi, size_t o)
{
        const struct bpfaot_insn *insn = &l->p->insns[o];
        long t = (long)gi + 1 + insn->imm;

        if (!insn_is_local_call(insn))
                return 0;
        if (t >= (long)c->start && t < (long)(c->start + c->len))
                return 0;
        return link_jump(l, o, c->cs, t, "local call target is outside every function");
}

int elf_link_insn(struct elf_linker *l, const struct elf_chunk *c, size_t gi, size_t o)
{
        const struct elf_rel *rel = elf_rel_at(c->cs, gi);
        const struct elf_sym *sym;

        if (!rel)
                return link_local_call(l, c, gi, o);
        sym = &l->r->syms[rel->sym]; /* elf_read_relocs checked the index */
        for (size_t i = 0; i < sizeof(resolvers) / sizeof(resolvers[0]); i++) {
                int ret = resolvers[i](l, o, sym);
                if (ret != NOT_MINE)
                        return ret;
        }
        return add_reloc(l, o, sym, reloc_what(&l->p->insns[o], sym), BPFAOT_RELOC_UNRESOLVED);
}
