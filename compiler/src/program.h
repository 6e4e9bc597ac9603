/* SPDX-License-Identifier: MIT */
/*
 * A validated program: a bpfaot_prog that passed every check, with the
 * facts validation established about it. Validation (program_check) builds
 * it once; the translator and the interpreter read it instead of computing
 * those facts again. Each fact has one producer, named next to it.
 */
#ifndef BPFAOT_PROGRAM_H
#define BPFAOT_PROGRAM_H

#include "bpfaot/bpfaot.h"
#include "fpoff.h"
#include "provenance.h"
#include "subprog.h"

#include <stdbool.h>

struct absint;

struct program {
        const struct bpfaot_prog *prog;
        uint32_t stack_size;    /* bytes of each frame (the option, or its default) */
        size_t analysis_budget; /* instruction visits the analysis may make (0: its own budget) */

        /* Facts about the whole program. */
        struct subprogs sp;    /* sub-programs and which are callbacks (subprog.c) */
        bool uses_percpu_maps; /* a run holds a virtual CPU (subprog_uses_percpu_maps) */

        /*
         * Facts about each instruction: arrays indexed by instruction, one
         * per analysis whose results later passes read. A new analysis (for
         * example per-register facts) adds its array here and its pass to
         * program_check.
         */
        bool *tails;                           /* second slot of an lddw (insn_lddw_tails) */
        const struct bpfaot_reloc **reloc_idx; /* its relocation: read with program_reloc */
        const struct bpfaot_line **lines; /* its source line, or NULL (index_lines); may be NULL */
        struct fp_state *fp;              /* registers holding r10 + constant (fpoff.c) */
        struct absint *absint;            /* what each register and slot holds (absint.c) */
        struct mem_prov *mem; /* the region each load and store addresses (provenance.c) */
        bool *narrow;         /* a 64-bit MUL/DIV/MOD of values below 2^32 (narrow.c) */

        /* Facts about each sub-program. */
        struct frame_layout *frames;  /* private frames and their parts (provenance.c) */
        struct frame_arg *frame_args; /* frame addresses helpers get, by call (provenance.c) */
        size_t frame_arg_cnt;
};

/*
 * Validate `prog` and fill `p` with its facts; the pass list of validation:
 * the structural checks (program_check_structure), then the register
 * analysis and the checks and facts built on it (program_analyze). The
 * analysis itself is freed again (p->absint is NULL): later passes read
 * only the facts. On success
 * free `p` with program_free; on failure `p` holds nothing.
 */
int program_check(const struct bpfaot_prog *prog, const struct bpfaot_validate_opts *opts,
                  struct program *p, struct bpfaot_error *err);
/* The checks before the analysis, and the facts they leave; as program_check otherwise. */
int program_check_structure(const struct bpfaot_prog *prog, const struct bpfaot_validate_opts *opts,
                            struct program *p, struct bpfaot_error *err);
/*
 * The register analysis (kept in p->absint), the checks built on it
 * (reads of unwritten registers, uninit.c; stores into read-only data,
 * rodata.c; dereferences of possibly-NULL pointers, nullcheck.c; accesses
 * outside their object, memcheck.c) and the
 * facts the translator takes from it (provenance.c, narrow.c). On failure
 * `p` still holds the analysis, for bpf-aot verify's log.
 */
int program_analyze(struct program *p, struct bpfaot_error *err);
void program_free(struct program *p);

/* The relocation that applies to instruction `idx` (the first, if several), or NULL. */
static inline const struct bpfaot_reloc *program_reloc(const struct program *p, size_t idx)
{
        return p->reloc_idx ? p->reloc_idx[idx] : NULL;
}

#endif
