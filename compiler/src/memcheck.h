/* SPDX-License-Identifier: MIT */
/* The check of accesses outside their object (memcheck.c). */
#ifndef BPFAOT_MEMCHECK_H
#define BPFAOT_MEMCHECK_H

#include "bpfaot/bpfaot.h"

struct program;
struct absint_pass;

/*
 * The pass (absint_walk) that refuses the first load, store or atomic of
 * `p` (analysed: p->absint) that
 * is outside the frame at every offset its base may have, and the first
 * helper call given memory (its own frame, a map value, global data) too
 * small for what the helper reads or writes there. Fails only without
 * memory.
 */
int memcheck_pass(const struct program *p, struct bpfaot_error *err, struct absint_pass *out);

#endif
