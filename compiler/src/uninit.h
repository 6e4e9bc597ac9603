/* SPDX-License-Identifier: MIT */
/* Reads of registers that no path has written (see uninit.c). */
#ifndef BPFAOT_UNINIT_H
#define BPFAOT_UNINIT_H

#include "bpfaot/bpfaot.h"

struct program;
struct absint_pass;

/*
 * The pass (absint_walk) that refuses the first read of `p` (analysed:
 * p->absint) of a register no path has written: its walk ends in -EINVAL
 * with that read located in `err`. Fails only without memory.
 */
int uninit_pass(const struct program *p, struct bpfaot_error *err, struct absint_pass *out);

#endif
