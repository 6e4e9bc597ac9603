/* SPDX-License-Identifier: MIT */
/* The check of dereferences of possibly-NULL pointers (nullcheck.c). */
#ifndef BPFAOT_NULLCHECK_H
#define BPFAOT_NULLCHECK_H

#include "bpfaot/bpfaot.h"

struct program;
struct absint_pass;

/*
 * The pass (absint_walk) that refuses the first load, store or atomic of
 * `p` (analysed: p->absint) through a map value or ring-buffer record that
 * may still be NULL. Fails only without memory.
 */
int nullcheck_pass(const struct program *p, struct bpfaot_error *err, struct absint_pass *out);

#endif
