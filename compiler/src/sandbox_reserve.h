/* SPDX-License-Identifier: MIT */
/*
 * Loops of sandboxed code that take their share of the loop budget when they
 * start instead of counting each iteration (see sandbox_reserve.cpp).
 */
#ifndef BPFAOT_SANDBOX_RESERVE_H
#define BPFAOT_SANDBOX_RESERVE_H

#include <llvm-c/Core.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus

namespace llvm
{
class BasicBlock;
class Loop;
class Value;
} // namespace llvm

/*
 * Ends `bb` (which has no terminator yet) with a branch to `yes` when a loop
 * of at most n + 1 iterations may run without counting them one by one (the
 * loop budget has room for them), else to `no`. n: an i64 available at the
 * end of `bb`.
 */
void sandbox_reserve_branch(llvm::BasicBlock *bb, llvm::Value *n, llvm::BasicBlock *yes,
                            llvm::BasicBlock *no);

/*
 * Marks loop `l`, entered only through `yes` of a sandbox_reserve_branch whose
 * n bounds its back edges on each entry, so that the loop budget counts its
 * iterations without testing the count.
 */
void sandbox_reserve_loop(llvm::Loop *l);

extern "C" {
#endif

/*
 * Turns the tests before `fn`'s loops of sandbox_reserve_loop into tests of
 * the function's count of iterations left, the i64 `counter` points at
 * (sandbox_loops.c), asking the run (BPFAOT_SANDBOX_RESERVE_SYMBOL) when it
 * is too small, for `batch` more as well. Returns whether `fn` had any.
 */
bool sandbox_reserve_lower(LLVMValueRef fn, LLVMValueRef counter, uint64_t batch);

/* Does `fn` test its count before loops (before sandbox_reserve_lower)? */
bool sandbox_reserve_used(LLVMValueRef fn);

/*
 * The header blocks of `fn`'s loops of sandbox_reserve_loop, which count
 * without testing the count: at most `cap` of them in `out`; returns how
 * many. A loop is one only while LLVM still sees a bound on its back edges,
 * and only in reducible code.
 */
size_t sandbox_reserved_headers(LLVMValueRef fn, LLVMBasicBlockRef *out, size_t cap);

#ifdef __cplusplus
}
#endif

#endif
