/* SPDX-License-Identifier: MIT */
#ifndef BPFAOT_OBJECT_H
#define BPFAOT_OBJECT_H

#include "bpfaot/bpfaot.h"

#include <libelf.h>

/* Open an in-memory ELF file; fails with a message for anything that is not ELF. */
int object_open(const void *obj, size_t len, const char *input, Elf **out,
                struct bpfaot_error *err);

#endif
