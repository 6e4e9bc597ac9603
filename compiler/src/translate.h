/* SPDX-License-Identifier: MIT */
/* eBPF → LLVM IR. */
#ifndef BPFAOT_TRANSLATE_H
#define BPFAOT_TRANSLATE_H

#include "bpfaot/bpfaot.h"

#include <llvm-c/Core.h>

struct translate_opts {
        const char *entry_name;
        uint32_t stack_size;
        size_t region_insns; /* split longer sub-programs into regions; 0: never */
};

/*
 * Add the program's functions to `mod` (whose triple and data layout are
 * already set). The program must have passed bpfaot_validate.
 */
int translate_prog(const struct bpfaot_prog *prog, const struct translate_opts *opts,
                   LLVMModuleRef mod, struct bpfaot_error *err);

#endif
