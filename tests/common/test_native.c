/* SPDX-License-Identifier: MIT */
/* Compile and load programs for tests (see test_native.h). */
#include "test_native.h"

#include <errno.h>
#include <stddef.h>

int test_native_build(const struct bpfaot_prog *prog, int opt_level, uint32_t stack_size,
                      size_t region_insns, bpfaot_symbol_resolver resolve, void *resolve_ctx,
                      struct test_native *out, struct bpfaot_error *err)
{
        BPFAOT_OPTS_INIT(bpfaot_compile_opts, copts, .optimize = BPFAOT_O(opt_level),
                         .stack_size = stack_size, .region_insns = region_insns,
                         .output = BPFAOT_OUTPUT_OBJECT);
        BPFAOT_OPTS_INIT(bpfaot_jit_opts, jopts, .resolve = resolve, .resolve_ctx = resolve_ctx);
        struct bpfaot_buf obj = {0};
        void *sym;
        int ret;

        out->jit = NULL;
        out->entry = NULL;
        ret = bpfaot_compile(prog, &copts, &obj, err);
        if (ret)
                return ret;
        ret = bpfaot_jit__load(obj.data, obj.len, prog->input, &jopts, &out->jit, err);
        bpfaot_buf_free(&obj);
        if (ret)
                return ret;
        sym = bpfaot_jit__lookup(out->jit, BPFAOT_DEFAULT_ENTRY, err);
        if (!sym) {
                test_native_free(out);
                return err && err->code ? err->code : -ENOENT;
        }
        out->entry = (test_entry_fn)sym;
        return 0;
}

void test_native_free(struct test_native *native)
{
        if (native->jit)
                bpfaot_jit__free(native->jit);
        native->jit = NULL;
        native->entry = NULL;
}
