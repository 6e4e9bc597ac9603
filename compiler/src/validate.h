/* SPDX-License-Identifier: MIT */
/*
 * The validator's structural checks: everything the translator relies on
 * about each instruction and the program's shape (see validate.c).
 * program_check runs them, in this order, among its passes.
 */
#ifndef BPFAOT_VALIDATE_H
#define BPFAOT_VALIDATE_H

#include "bpfaot/bpfaot.h"

struct program;

/* A program to check at all: not empty, within `max_insns`, a usable frame size. */
int validate_limits(const struct bpfaot_prog *prog, size_t max_insns, uint32_t stack_size,
                    struct bpfaot_error *err);
/* Relocations name instructions and sections that exist; none is left unresolved. */
int validate_relocs(const struct bpfaot_prog *prog, struct bpfaot_error *err);
/* Every instruction: encoding, registers, jump and call targets, constant stack offsets. */
int validate_insns(const struct program *p, struct bpfaot_error *err);
/* Sub-programs end in exit or ja, and no jump leaves its sub-program. */
int validate_flow(const struct program *p, struct bpfaot_error *err);

#endif
