/* SPDX-License-Identifier: MIT */
/*
 * Frame-pointer offsets: which registers hold r10 + a known constant before
 * each instruction. Lets the translator turn accesses through copies of r10
 * (`r1 = r10; r1 += -16; *(u64 *)(r1 + 8) = ...`) into frame accesses that
 * LLVM can keep in registers, instead of integer-to-pointer accesses that
 * make the whole frame escape.
 */
#ifndef BPFAOT_FPOFF_H
#define BPFAOT_FPOFF_H

#include "bpfaot/bpfaot.h"

struct fp_state {
        uint16_t known; /* bit r: register r holds r10 + off[r] */
        uint16_t visited;
        int32_t off[BPFAOT_NUM_REGS - 1];
};

struct program;

/*
 * The state on entry to every instruction of every sub-program, in a new
 * array indexed by instruction (*states, the caller's to free). The program's
 * control flow must have been validated.
 */
int fpoff_analyze(const struct program *p, struct fp_state **states, struct bpfaot_error *err);

/* True and *off set when register `reg` holds r10 + *off before `insn`. */
static inline bool fpoff_get(const struct fp_state *s, unsigned reg, int32_t *off)
{
        if (reg == BPFAOT_REG_FP) {
                *off = 0;
                return true;
        }
        if (reg >= BPFAOT_REG_FP || !(s->known & (1u << reg)))
                return false;
        *off = s->off[reg];
        return true;
}

#endif
