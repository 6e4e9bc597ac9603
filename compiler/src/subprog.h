/* SPDX-License-Identifier: MIT */
/* Sub-programs: the entry at insn 0 plus every local-call target. */
#ifndef BPFAOT_SUBPROG_H
#define BPFAOT_SUBPROG_H

#include "bpfaot/bpfaot.h"

#include <stdbool.h>

struct program;

struct subprogs {
        /* cnt + 1 sorted starts: sub-program s is [start[s], start[s + 1]); start[0] == 0 */
        size_t *start;
        bool *callback; /* by sub-program: its address is taken (lddw src 4), as for bpf_loop */
        bool *packet;   /* by sub-program: runs LD_ABS/LD_IND, itself or through a call */
        bool has_callbacks;
        size_t cnt;
};

/* Collect sub-programs. Local-call targets must be in range (validated first). */
int subprogs_find(const struct bpfaot_prog *prog, struct subprogs *sp, struct bpfaot_error *err);
/* One past the last instruction of sub-program `s`. */
static inline size_t subprogs_end(const struct subprogs *sp, size_t s)
{
        return sp->start[s + 1];
}
/* Index of the sub-program that starts at `insn`, or -1. */
long subprogs_index_of(const struct subprogs *sp, size_t insn);
/* Reject recursion and call chains deeper than BPFAOT_MAX_CALL_DEPTH frames. */
int subprogs_check_calls(const struct program *p, struct bpfaot_error *err);
void subprogs_free(struct subprogs *sp);

/* Name of the kfunc with BTF id `btf_id` in prog->btf, or NULL. */
const char *subprog_kfunc_name(const struct bpfaot_prog *prog, int32_t btf_id);
/*
 * The native function a call at `idx` names: an extern function or kfunc,
 * from its relocation or BTF; NULL for helpers called by id.
 */
const char *subprog_callee_name(const struct program *p, size_t idx);
/*
 * Whether `name` can be a native symbol: a letter or '_', then letters,
 * digits, '_', '.' or '$'. Anything else (".text", "", "a/b") could clash
 * with a section or a local label of the native object, or a path.
 */
bool subprog_symbol_name_ok(const char *name);
/*
 * Does the program load a PERCPU map (an lddw relocated against it), or a
 * map of maps whose inner maps are PERCPU? Then a run holds a virtual CPU of
 * the runtime (bpfaot_rt_cpu_enter). Maps reached otherwise (by fd or index
 * through __lddw_helper_*, a map of maps without a template) are unknown.
 */
bool subprog_uses_percpu_maps(const struct bpfaot_prog *prog);

#endif
