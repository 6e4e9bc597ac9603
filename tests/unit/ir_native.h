/* SPDX-License-Identifier: MIT */
/*
 * Hand-written LLVM IR compiled to native code and loaded, for the tests of
 * the compiler's IR passes: the same IR is built with and without a pass and
 * the two run on the same inputs.
 */
#ifndef BPFAOT_UNIT_IR_NATIVE_H
#define BPFAOT_UNIT_IR_NATIVE_H

#include "bpfaot/bpfaot.h"

#include <llvm-c/Core.h>
#include <llvm-c/TargetMachine.h>
#include <stdint.h>

/* What a test does to the parsed module before code generation: 0, or -1 (said on stderr). */
typedef int (*ir_native_transform)(LLVMModuleRef mod, LLVMTargetMachineRef tm, void *arg);

/*
 * `ir` (valid IR for the host, typed or opaque pointers) parsed, checked,
 * given `transform` (may be NULL), checked again, compiled at -O2's code
 * generation and loaded; *fn is its function `fn_name`. 0, or -1 with one
 * line on stderr naming `name`. Free *jit with bpfaot_jit__free.
 */
int ir_native_build(const char *name, const char *ir, ir_native_transform transform, void *arg,
                    const char *fn_name, struct bpfaot_jit **jit, void **fn);

/* The same function built as written (`plain`) and given `transform` (`fn`). */
struct ir_native_pair {
        struct bpfaot_jit *plain_jit, *jit;
        void *plain, *fn;
};

/* Both builds of `ir` (see ir_native_build): 0, or -1 with nothing left to free. */
int ir_native_build_pair(const char *name, const char *ir, ir_native_transform transform, void *arg,
                         const char *fn_name, struct ir_native_pair *out);
void ir_native_pair_free(struct ir_native_pair *pair);

/* A function `i64 f(i64 x, i64 y)`. */
typedef uint64_t (*ir_native_xy_fn)(uint64_t x, uint64_t y);

/*
 * Both builds of such a function called with the same few (x, y), edge
 * values among them: how many calls returned differently, each said on
 * stderr naming `name`.
 */
int ir_native_differ_xy(const char *name, const struct ir_native_pair *pair);

#endif
