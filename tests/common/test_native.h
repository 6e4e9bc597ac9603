/* SPDX-License-Identifier: MIT */
/* Compile a program and load it into this process for tests. */
#ifndef BPFAOT_TEST_NATIVE_H
#define BPFAOT_TEST_NATIVE_H

#include "bpfaot/bpfaot.h"

#include <stdint.h>

/* A compiled program loaded into this process. */
typedef uint64_t (*test_entry_fn)(void *ctx, uint64_t ctx_size);
struct test_native {
        struct bpfaot_jit *jit;
        test_entry_fn entry;
};

/*
 * Compile `prog` to a native object at `opt_level` (0..3), load it with
 * `resolve` and look up its entry "bpf_main".
 */
int test_native_build(const struct bpfaot_prog *prog, int opt_level, uint32_t stack_size,
                      size_t region_insns, bpfaot_symbol_resolver resolve, void *resolve_ctx, struct test_native *out,
                      struct bpfaot_error *err);
void test_native_free(struct test_native *native);

#endif
