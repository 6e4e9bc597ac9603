/* SPDX-License-Identifier: MIT */
/* Reads of registers that no path has written (see uninit.c). */
#ifndef BPFAOT_UNINIT_H
#define BPFAOT_UNINIT_H

#include "bpfaot/bpfaot.h"

struct program;

/* 0, or -EINVAL with the first such read located in `err`. Control flow validated first. */
int uninit_check(const struct program *p, struct bpfaot_error *err);

#endif
