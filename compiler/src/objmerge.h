/* SPDX-License-Identifier: MIT */
/*
 * Relocatable ELF objects merged into one (objmerge.c): a program compiled
 * as several LLVM modules, one object each, becomes the one object a
 * single module would have given.
 */
#ifndef BPFAOT_OBJMERGE_H
#define BPFAOT_OBJMERGE_H

#include "bpfaot/bpfaot.h"

#include <stddef.h>

struct objmerge_input {
        const void *data;
        size_t len;
};

/*
 * Merge relocatable ELF objects (ELFCLASS64, little-endian, RELA
 * relocations, all of one machine and e_flags) into one, as `ld -r` does:
 * same-named sections are concatenated in input order, each piece aligned
 * as its input section was; symbols and relocations are rewritten to match.
 * localize: names of global symbols (hidden visibility) that are defined in
 * exactly one input and must become STB_LOCAL (STV_DEFAULT) in the result;
 * references to them from other inputs resolve to that definition.
 * Returns 0 with *out filled (malloc'd data; caller frees with free()/bpfaot_buf_free),
 * -ENOTSUP for input it cannot merge exactly (the caller then compiles another way;
 * `why` says what), -ENOMEM, or -EINVAL for malformed input. why/why_len: a short
 * reason on failure (may be NULL).
 */
int objmerge(const struct objmerge_input *in, size_t cnt, const char *const *localize,
             size_t localize_cnt, struct bpfaot_buf *out, char *why, size_t why_len);

#endif /* BPFAOT_OBJMERGE_H */
