/* SPDX-License-Identifier: MIT */
/*
 * The validated program: validation as one list of passes, each checking
 * the program or adding a fact to it for the passes after it (and for the
 * translator and the interpreter).
 */
#include "internal.h"
#include "program.h"
#include "absint.h"
#include "insn.h"
#include "nullcheck.h"
#include "memcheck.h"
#include "narrow.h"
#include "rodata.h"
#include "uninit.h"
#include "validate.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int find_lddw_tails(struct program *p, struct bpfaot_error *err)
{
        p->tails = insn_lddw_tails(p->prog->insns, p->prog->insn_cnt);
        return p->tails ? 0 : bpfaot_error_nomem(err);
}

/*
 * One slot per instruction rather than a search of the (sorted) list: every
 * pass looks relocations up by instruction, and programs built by hand need
 * not keep them sorted.
 */
static int index_relocs(struct program *p, struct bpfaot_error *err)
{
        const struct bpfaot_prog *prog = p->prog;

        if (!prog->reloc_cnt)
                return 0;
        p->reloc_idx = calloc(prog->insn_cnt, sizeof(*p->reloc_idx));
        if (!p->reloc_idx)
                return bpfaot_error_nomem(err);
        for (size_t i = 0; i < prog->reloc_cnt; i++) {
                const struct bpfaot_reloc *r = &prog->relocs[i];

                if (r->insn < prog->insn_cnt && !p->reloc_idx[r->insn])
                        p->reloc_idx[r->insn] = r;
        }
        return 0;
}

/*
 * The line record that holds for each instruction: its own, else the last
 * one before it in its sub-program (a record holds up to the next, as in
 * the kernel's line info); NULL before a sub-program's first record. Only
 * for programs with line info.
 */
static int index_lines(struct program *p, struct bpfaot_error *err)
{
        const struct bpfaot_prog *prog = p->prog;
        size_t s = 0;

        if (!prog->line_cnt || !prog->insn_cnt)
                return 0;
        p->lines = calloc(prog->insn_cnt, sizeof(*p->lines));
        if (!p->lines)
                return bpfaot_error_nomem(err);
        for (size_t k = 0; k < prog->line_cnt; k++)
                if (prog->lines[k].insn < prog->insn_cnt)
                        p->lines[prog->lines[k].insn] = &prog->lines[k];
        for (size_t i = 1; i < prog->insn_cnt; i++) {
                while (s + 1 < p->sp.cnt && p->sp.start[s + 1] <= i)
                        s++;
                if (!p->lines[i] && i != p->sp.start[s])
                        p->lines[i] = p->lines[i - 1];
        }
        return 0;
}

int program_check_structure(const struct bpfaot_prog *prog, const struct bpfaot_validate_opts *opts,
                            struct program *p, struct bpfaot_error *err)
{
        struct bpfaot_validate_opts o;
        size_t max_insns;
        int ret;

        memset(p, 0, sizeof(*p));
        ret = OPTS_COPY(bpfaot_validate_opts, o, opts, err);
        if (ret)
                return ret;
        max_insns = o.max_insns ? o.max_insns : BPFAOT_DEFAULT_MAX_INSNS;
        p->prog = prog;
        p->stack_size = o.stack_size ? o.stack_size : BPFAOT_DEFAULT_STACK_SIZE;
        p->analysis_budget = o.analysis_budget;
        /* Checks, and passes that add a fact to p for the passes after them. */
        ret = validate_limits(prog, max_insns, p->stack_size, err);
        ret = ret ?: validate_relocs(prog, err);
        ret = ret ?: find_lddw_tails(p, err);
        ret = ret ?: index_relocs(p, err);
        ret = ret ?: validate_insns(p, err);
        ret = ret ?: subprogs_find(prog, &p->sp, err);
        ret = ret ?: index_lines(p, err);
        ret = ret ?: validate_flow(p, err);
        ret = ret ?: subprogs_check_calls(p, err);
        ret = ret ?: fpoff_analyze(p, &p->fp, err);
        if (ret) {
                program_free(p);
                return ret;
        }
        p->uses_percpu_maps = subprog_uses_percpu_maps(prog);
        return 0;
}

void program_free(struct program *p)
{
        provenance_free(p); /* before the sub-programs: it walks them */
        narrow_free(p);
        subprogs_free(&p->sp);
        free(p->tails);
        free(p->reloc_idx);
        free(p->lines);
        free(p->fp);
        absint_free(p->absint);
        memset(p, 0, sizeof(*p));
}

int bpfaot_validate(const struct bpfaot_prog *prog, const struct bpfaot_validate_opts *opts,
                    struct bpfaot_error *err)
{
        struct program p;
        int ret = program_check(prog, opts, &p, err);

        if (!ret)
                program_free(&p);
        return ret;
}

int program_analyze(struct program *p, struct bpfaot_error *err)
{
        /* The checks and provenance share one walk of the analysis: each costs its visits only. */
        struct absint_pass passes[6] = {{0}};
        int ret = p->absint ? 0 : absint_run(p, &p->absint, err);

        ret = ret ?: uninit_pass(p, err, &passes[0]);
        ret = ret ?: rodata_pass(p, err, &passes[1]);
        ret = ret ?: nullcheck_pass(p, err, &passes[2]);
        ret = ret ?: memcheck_pass(p, err, &passes[3]);
        ret = ret ?: provenance_pass(p, err, &passes[4]);
        ret = ret ?: narrow_pass(p, err, &passes[5]);
        ret = ret ?: absint_walk(p->absint, passes, 6);
        if (ret == -ENOMEM)
                ret = bpfaot_error_nomem(err);
        for (size_t k = 0; k < 6; k++)
                if (passes[k].finish)
                        ret = passes[k].finish(passes[k].ctx, ret);
        return ret;
}

int program_check(const struct bpfaot_prog *prog, const struct bpfaot_validate_opts *opts,
                  struct program *p, struct bpfaot_error *err)
{
        int ret = program_check_structure(prog, opts, p, err);

        if (ret)
                return ret;
        ret = program_analyze(p, err);
        /* Later passes read the facts taken from the analysis: its memory goes now. */
        absint_free(p->absint);
        p->absint = NULL;
        if (ret)
                program_free(p);
        return ret;
}
