/* SPDX-License-Identifier: MIT */
/*
 * Programs: the functions of executable sections, which of them are
 * programs, and linking each program — its function, then every function it
 * calls or takes the address of, appended — into one instruction array.
 */
#include "elf_internal.h"
#include "insn.h"
#include "subprog.h"

#include <stdlib.h>
#include <string.h>

static int cmp_func(const void *a, const void *b)
{
        const struct elf_func *x = a, *y = b;
        return x->start < y->start ? -1 : x->start > y->start;
}

/* Sorted by start; a function without a size runs to the next one (or the section's end). */
static void sort_funcs(struct elf_code_sec *cs)
{
        if (cs->func_cnt > 1)
                qsort(cs->funcs, cs->func_cnt, sizeof(*cs->funcs), cmp_func);
        for (size_t k = 0; k < cs->func_cnt; k++)
                if (cs->funcs[k].len == 0)
                        cs->funcs[k].len =
                            (k + 1 < cs->func_cnt ? cs->funcs[k + 1].start : cs->cnt) -
                            cs->funcs[k].start;
}

static bool is_text(const struct elf_code_sec *cs)
{
        return strcmp(cs->name, ".text") == 0;
}

static int add_func(struct elf_reader *r, struct elf_code_sec *cs, const struct elf_sym *s)
{
        struct elf_func *f;

        if (!s->name || !*s->name)
                return elf_fail(r, EINVAL, "function symbol without a name");
        if (s->value % 8 || s->size % 8 || s->value / 8 >= cs->cnt ||
            s->size / 8 > cs->cnt - s->value / 8)
                return elf_fail(r, EINVAL,
                                "function '%s' in section %s: bad offset %llu or size %llu "
                                "(section has %zu bytes)",
                                s->name, cs->name, (unsigned long long)s->value,
                                (unsigned long long)s->size, cs->cnt * 8);
        f = ARRAY_ADD(cs->funcs, cs->func_cnt);
        if (!f)
                return elf_nomem(r);
        *f = (struct elf_func){s->value / 8, s->size / 8, s->name, s->bind != STB_LOCAL};
        return 0;
}

/*
 * Objects from old compilers mark no symbol as a
 * function: a program section's entry is a global symbol without a type,
 * its branch labels local ones. In a section other than .text that holds no
 * function symbol, those global symbols start the functions, as old libbpf
 * and PREVAIL read them.
 */
static bool legacy_entry(const struct elf_sym *s, const struct elf_code_sec *cs)
{
        return s->shndx == cs->shndx && s->type == STT_NOTYPE && s->bind != STB_LOCAL;
}

/* Functions (STT_FUNC symbols, else legacy entries) of each executable section. */
int elf_read_funcs(struct elf_reader *r)
{
        struct elf_code_sec *cs;
        int ret = 0;

        elf_for_each_sym(s, r)
        {
                if (s->type == STT_FUNC && elf_sym_in_section(s) &&
                    (cs = elf_code_sec(r, s->shndx)) && (ret = add_func(r, cs, s)))
                        return ret;
        }
        for (size_t i = 0; i < r->code_sec_cnt; i++) {
                cs = &r->code_secs[i];
                if (cs->func_cnt || is_text(cs))
                        continue;
                elf_for_each_sym(s, r)
                {
                        if (legacy_entry(s, cs) && (ret = add_func(r, cs, s)))
                                return ret;
                }
        }
        for (size_t i = 0; i < r->code_sec_cnt; i++)
                sort_funcs(&r->code_secs[i]);
        return 0;
}

const struct elf_func *elf_func_at(const struct elf_code_sec *cs, size_t insn)
{
        size_t lo = 0, hi = cs->func_cnt;
        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                const struct elf_func *f = &cs->funcs[mid];
                if (insn < f->start)
                        hi = mid;
                else if (insn >= f->start + f->len)
                        lo = mid + 1;
                else
                        return f;
        }
        return NULL;
}

long elf_link_target(struct elf_linker *l, const struct elf_code_sec *cs, size_t t)
{
        const struct elf_func *f = t < cs->cnt ? elf_func_at(cs, t) : NULL;
        struct bpfaot_elf_prog *p = l->p;
        struct elf_chunk *c;

        if (!f)
                return -1;
        for (size_t i = 0; i < l->chunk_cnt; i++)
                if (l->chunks[i].cs == cs && l->chunks[i].start == f->start)
                        return (long)(l->chunks[i].out + (t - f->start));
        c = ARRAY_ADD(l->chunks, l->chunk_cnt);
        if (!c)
                return -2;
        *c = (struct elf_chunk){cs, f->start, f->len, p->insn_cnt};
        for (size_t i = 0; i < f->len; i++) {
                struct bpfaot_insn *insn = ARRAY_ADD(p->insns, p->insn_cnt);
                if (!insn)
                        return -2;
                *insn = cs->insns[f->start + i];
        }
        return (long)(c->out + (t - f->start));
}

/* Where each linked function starts, for messages. */
static int keep_funcs(struct elf_linker *l)
{
        struct bpfaot_elf_prog *p = l->p;

        p->funcs = calloc(l->chunk_cnt, sizeof(*p->funcs));
        if (!p->funcs)
                return elf_nomem(l->r);
        p->func_cnt = l->chunk_cnt;
        for (size_t k = 0; k < l->chunk_cnt; k++) {
                const struct elf_func *f = elf_func_at(l->chunks[k].cs, l->chunks[k].start);

                p->funcs[k].start = l->chunks[k].out;
                p->funcs[k].name = strdup(f && f->name ? f->name : "?");
                if (!p->funcs[k].name)
                        return elf_nomem(l->r);
        }
        return 0;
}

/* The first line record of section `sec` at or after instruction `insn` (r->lines is sorted). */
static size_t first_line(const struct elf_reader *r, const char *sec, size_t insn)
{
        size_t lo = 0, hi = r->line_cnt;

        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                int c = strcmp(r->lines[mid].section, sec);

                if (c < 0 || (c == 0 && r->lines[mid].insn < insn))
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return lo;
}

static int cmp_line(const void *a, const void *b)
{
        const struct bpfaot_line *x = a, *y = b;
        return x->insn < y->insn ? -1 : x->insn > y->insn;
}

/* The line info of each linked function, at its instructions' places in the program. */
static int keep_lines(struct elf_linker *l)
{
        struct elf_reader *r = l->r;
        struct bpfaot_elf_prog *p = l->p;

        for (size_t k = 0; k < l->chunk_cnt; k++) {
                const struct elf_chunk *c = &l->chunks[k];

                for (size_t i = first_line(r, c->cs->name, c->start);
                     i < r->line_cnt && strcmp(r->lines[i].section, c->cs->name) == 0 &&
                     r->lines[i].insn < c->start + c->len;
                     i++) {
                        const struct elf_line *e = &r->lines[i];
                        struct bpfaot_line *line = ARRAY_ADD(p->lines, p->line_cnt);

                        if (!line)
                                return elf_nomem(r);
                        *line = (struct bpfaot_line){c->out + (e->insn - c->start), e->file,
                                                     e->text, e->line, e->col};
                }
        }
        if (p->line_cnt > 1)
                qsort(p->lines, p->line_cnt, sizeof(*p->lines), cmp_line);
        return 0;
}

static int cmp_reloc(const void *a, const void *b)
{
        const struct bpfaot_reloc *x = a, *y = b;
        return x->insn < y->insn ? -1 : x->insn > y->insn;
}

/* Every instruction of every function appended so far, which may append more. */
static int link_chunks(struct elf_linker *l)
{
        int ret = 0;

        for (size_t k = 0; k < l->chunk_cnt && !ret; k++) {
                const struct elf_chunk c = l->chunks[k]; /* a copy: linking grows l->chunks */

                for (size_t i = 0; i < c.len && !ret; i++) {
                        ret = elf_link_insn(l, &c, c.start + i, c.out + i);
                        if (insn_is_lddw(&c.cs->insns[c.start + i]))
                                i++;
                }
        }
        return ret;
}

static int link_prog(struct elf_reader *r, const struct elf_code_sec *cs, const struct elf_func *f)
{
        struct bpfaot_elf_prog *p = ARRAY_ADD(r->out->progs, r->out->prog_cnt);
        struct elf_linker l = {.r = r, .p = p};
        int ret;

        if (!p)
                return elf_nomem(r);
        /* Its name becomes a native symbol and an output file name. */
        if (!subprog_symbol_name_ok(f->name))
                return elf_fail(r, EINVAL,
                                "program in section %s: name '%.64s' is not a valid symbol name",
                                cs->name, f->name);
        p->name = strdup(f->name);
        p->section = strdup(cs->name);
        if (!p->name || !p->section)
                return elf_nomem(r);
        ret = elf_link_target(&l, cs, f->start) < 0 ? elf_nomem(r) : 0;
        ret = ret ?: link_chunks(&l);
        ret = ret ?: keep_funcs(&l);
        ret = ret ?: keep_lines(&l);
        if (!ret && p->reloc_cnt > 1)
                qsort(p->relocs, p->reloc_cnt, sizeof(*p->relocs), cmp_reloc);
        free(l.chunks);
        return ret;
}

/* Mark the functions of `cs` that calls inside `cs` target. */
static void mark_called(const struct elf_reader *r, const struct elf_code_sec *cs, bool *called)
{
        for (size_t i = 0; i < cs->cnt; i += insn_is_lddw(&cs->insns[i]) ? 2 : 1) {
                const struct bpfaot_insn *insn = &cs->insns[i];
                const struct elf_rel *rel = elf_rel_at(cs, i);
                long t = (long)i + 1 + insn->imm;
                const struct elf_func *f;

                if (!insn_is_local_call(insn))
                        continue;
                if (rel) {
                        const struct elf_sym *sym = &r->syms[rel->sym]; /* checked when read */
                        if (sym->shndx != cs->shndx)
                                continue;
                        t = (long)(sym->value / 8) + insn->imm + 1;
                }
                f = t >= 0 ? elf_func_at(cs, (size_t)t) : NULL;
                if (f)
                        called[f - cs->funcs] = true;
        }
}

/* Every function of `cs` that is a program: global ones, and static ones no code of `cs` calls. */
static int link_section_progs(struct elf_reader *r, const struct elf_code_sec *cs)
{
        bool *called = calloc(cs->func_cnt ? cs->func_cnt : 1, sizeof(*called));
        int ret = 0;

        if (!called)
                return elf_nomem(r);
        mark_called(r, cs, called);
        for (size_t k = 0; k < cs->func_cnt && !ret; k++)
                if (cs->funcs[k].global || !called[k])
                        ret = link_prog(r, cs, &cs->funcs[k]);
        free(called);
        return ret;
}

/* Every global function of `cs`; its static functions stay sub-programs. */
static int link_global_progs(struct elf_reader *r, const struct elf_code_sec *cs)
{
        int ret = 0;

        for (size_t k = 0; k < cs->func_cnt && !ret; k++)
                if (cs->funcs[k].global)
                        ret = link_prog(r, cs, &cs->funcs[k]);
        return ret;
}

/* An object whose only executable section is .text keeps its programs there. */
static bool programs_in_text(const struct elf_reader *r)
{
        for (size_t s = 0; s < r->code_sec_cnt; s++)
                if (!is_text(&r->code_secs[s]))
                        return false;
        return r->code_sec_cnt > 0;
}

/*
 * Programs: the functions of executable sections other than .text (whose
 * functions are sub-programs). A static function that other code of its
 * section calls is a sub-program too; one nothing calls is a program, as in
 * objects that declare their programs static. An object with no executable
 * section but .text (older toolchains, the bpf_conformance runner's `main`)
 * has a program for each global function of .text, named by its symbol, as
 * libbpf opens it; its static functions stay sub-programs.
 */
int elf_link_progs(struct elf_reader *r)
{
        int ret = 0;

        if (programs_in_text(r))
                return link_global_progs(r, &r->code_secs[0]);
        for (size_t s = 0; s < r->code_sec_cnt && !ret; s++)
                if (!is_text(&r->code_secs[s]))
                        ret = link_section_progs(r, &r->code_secs[s]);
        return ret;
}

/*
 * An object without programs is refused, unless it has no code at all and
 * has maps or global data: those make a skeleton of their own.
 */
int elf_check_progs(struct elf_reader *r)
{
        const struct bpfaot_elf *e = r->out;

        if (e->prog_cnt)
                return 0;
        if (programs_in_text(r))
                return elf_fail(r, ENOENT, "no programs (.text has no global function)");
        if (r->code_sec_cnt)
                return elf_fail(r, ENOENT, "no programs (no functions in executable sections)");
        if (!e->map_cnt && !e->data_cnt)
                return elf_fail(r, ENOENT, "no programs, maps or global data");
        return 0;
}
