/* SPDX-License-Identifier: MIT */
/* 64-bit multiplications and divisions of values that fit in 32 bits (see narrow.c). */
#ifndef BPFAOT_NARROW_H
#define BPFAOT_NARROW_H

#include "bpfaot/bpfaot.h"

struct program;
struct absint_pass;

/*
 * The pass (absint_walk) that marks in p->narrow each 64-bit MUL, DIV and
 * MOD (signed or not) both of whose operands the analysis proves to be
 * numbers below 2^32 on every path. Fails only without memory.
 */
int narrow_pass(struct program *p, struct bpfaot_error *err, struct absint_pass *out);
void narrow_free(struct program *p);

#endif
