/* SPDX-License-Identifier: MIT */
/*
 * Random IR of the shapes switch recovery (switches.c) works on: a compare
 * tree over one value, leaves that compare and compute, joins with phis,
 * blocks after them. Integer-only textual IR that parses on LLVM 14 and 19.
 */
#ifndef BPFAOT_UNIT_SWITCH_GEN_H
#define BPFAOT_UNIT_SWITCH_GEN_H

#include <stddef.h>
#include <stdint.h>

struct switch_gen {
        char *ir;     /* defines i64 @f(i64 %v, i64 %a, i64 %b); malloc'd */
        uint64_t *vs; /* values of %v to run it on: every constant compared, +-1, extremes */
        size_t nvs;
};

/* The function of `seed`: 0, or -1 when out of memory. */
int switch_gen_make(uint64_t seed, struct switch_gen *g);
void switch_gen_free(struct switch_gen *g);

#endif
