/* SPDX-License-Identifier: MIT */
/*
 * Stores into read-only global data: read-only sections become constant LLVM
 * globals, so a program that stores through an address of one must be
 * rejected before translation (see rodata.c for the rules).
 */
#ifndef BPFAOT_RODATA_H
#define BPFAOT_RODATA_H

#include "bpfaot/bpfaot.h"

struct program;
struct absint_pass;

/*
 * The pass (absint_walk) that refuses the first store or atomic of `p`
 * (analysed: p->absint) whose address is read-only data on every path that
 * reaches it. Programs that refer to no read-only data cost one scan of
 * their relocations, and get a pass without a visit. Fails only without
 * memory.
 */
int rodata_pass(const struct program *p, struct bpfaot_error *err, struct absint_pass *out);

#endif
