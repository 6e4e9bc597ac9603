/* SPDX-License-Identifier: MIT */
/* Reads of registers that no path has written (see uninit.c). */
#ifndef BPFAOT_UNINIT_H
#define BPFAOT_UNINIT_H

#include "bpfaot/bpfaot.h"

struct program;

/*
 * Refuse the first read of `p` (analysed: p->absint) of a register no path
 * has written: 0, or -EINVAL with that read located in `err`.
 */
int uninit_run(const struct program *p, struct bpfaot_error *err);

#endif
