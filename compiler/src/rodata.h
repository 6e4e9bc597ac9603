/* SPDX-License-Identifier: MIT */
/*
 * Stores into read-only global data: read-only sections become constant LLVM
 * globals, so a program that stores through an address derived from one
 * must be rejected before translation (see rodata.c for the rules).
 */
#ifndef BPFAOT_RODATA_H
#define BPFAOT_RODATA_H

#include "bpfaot/bpfaot.h"

struct program;

/*
 * Reject a program with a store whose address is read-only data on every
 * path that reaches it; never one whose store the analysis cannot pin on
 * read-only data. Costs a scan of the relocations for programs that refer to
 * no read-only data. Reads the sub-programs and frame-pointer offsets of `p`;
 * the program must otherwise be valid.
 */
int rodata_check(const struct program *p, struct bpfaot_error *err);

#endif
