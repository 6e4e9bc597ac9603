/* SPDX-License-Identifier: MIT */
/* ELF files of either kind (elffile.c). */
#ifndef BPFAOT_ELFFILE_H
#define BPFAOT_ELFFILE_H

#include "bpfaot/bpfaot.h"

#include <libelf.h>

/* Open an in-memory ELF file; fails with a message for anything that is not ELF. */
int elffile_open(const void *obj, size_t len, const char *input, Elf **out,
                 struct bpfaot_error *err);

#endif
