/* SPDX-License-Identifier: MIT */
/*
 * The concrete meaning of ALU operations and jump conditions on 64-bit
 * register values (RFC 9669, with the kernel's division and shift rules).
 * One definition, used by the interpreter to run programs and by the
 * analysis to fold operations on known constants, so that both agree.
 */
#ifndef BPFAOT_EVAL_H
#define BPFAOT_EVAL_H

#include "bpfaot/bpfaot.h"

#include <stdbool.h>
#include <stdint.h>

/* Sign-extend the low `bits` bits (1..64) of v to 64 bits. */
static inline uint64_t eval_sext(uint64_t v, unsigned bits)
{
        uint64_t sign = 1ull << (bits - 1);
        uint64_t mask = bits == 64 ? ~0ull : (1ull << bits) - 1;

        v &= mask;
        return (v ^ sign) - sign;
}

/*
 * The new value of dst after the ALU or ALU64 instruction `insn` (any op,
 * also byte order), given dst's value and the source register's value `src`
 * (ignored when the instruction takes its immediate). 32-bit results are
 * zero-extended.
 */
uint64_t eval_alu(const struct bpfaot_insn *insn, uint64_t dst, uint64_t src);

/* Whether the JMP or JMP32 conditional jump `insn` is taken (`src` as for eval_alu). */
bool eval_jump(const struct bpfaot_insn *insn, uint64_t dst, uint64_t src);

#endif
