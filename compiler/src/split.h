/* SPDX-License-Identifier: MIT */
/*
 * A module cut into parts that are optimised and code-generated on their
 * own, on several threads at once (split.cpp).
 */
#ifndef BPFAOT_SPLIT_H
#define BPFAOT_SPLIT_H

#include <llvm-c/Core.h>
#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A module's local symbol, made a hidden global so that other parts can reach it. */
struct split_symbol {
        char *name;
        LLVMLinkage linkage; /* before the split */
        bool unnamed;        /* had no name: the split gave it one */
};

struct split {
        size_t cnt;                  /* parts; 0: the module stays whole */
        size_t *insns;               /* LLVM instructions of each part's definitions */
        struct split_symbol *locals; /* to be made local again once the parts are one */
        size_t local_cnt;
        void *impl; /* the module's bitcode and each function's part */
};

/*
 * Cut `mod` into parts of at least `part_insns` LLVM instructions each, at
 * most `max_parts`, when it holds that much code in functions that can go
 * apart: a callee that may be inlined (not noinline) stays with its caller
 * when one function alone calls it; one that several call is copied, available_externally, into the
 * other parts that call it (when short enough to be inlined), so that inlining is as in the whole
 * module. Never-inlined functions (a sub-program's regions) go apart
 * freely. The parts depend on the module alone,
 * never on how many threads compile them. Local symbols become hidden
 * globals (`mod` is changed): `locals` lists them. The module is kept as
 * bitcode, from which split_load_part reads each part. Returns 0 (out->cnt
 * 0 when the module is not worth cutting, and then `mod` is unchanged) or
 * -ENOMEM.
 */
int split_module(LLVMModuleRef mod, size_t part_insns, size_t max_parts, struct split *out);

/*
 * Part `k` as a module of its own in `ctx`: the part's functions defined,
 * its imports available_externally, the others declared. Global variables are defined in part 0;
 * other parts get constants as available_externally copies, so that loads from them still fold.
 * Reads only `s`: parts load on several threads at once. Returns 0 or -EINVAL (a bitcode reader's
 * error).
 */
int split_load_part(const struct split *s, size_t k, LLVMContextRef ctx, LLVMModuleRef *out);

/* Undo what split_module did to the symbols of `mod`, the parts linked back together. */
void split_restore_locals(LLVMModuleRef mod, const struct split *s);

/* True for targets whose objects objmerge.c can join: ELF. */
bool split_target_is_elf(const char *triple);

void split_free(struct split *s);

#ifdef __cplusplus
}
#endif
#endif
