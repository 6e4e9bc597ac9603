/* SPDX-License-Identifier: MIT */
/*
 * Loops of sandboxed code that test the loop budget when they start and count
 * their iterations when they leave (see sandbox_reserve.cpp).
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
class PHINode;
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
 * Loop `l`, entered only through `yes` of a sandbox_reserve_branch whose n
 * bounds its back edges on each entry, says at each of its exits how many
 * iterations it made, and is marked so that the loop budget does not count
 * them again. `iv`, a phi of its header that changes by `step` each time
 * (sandbox_reserve_step_ok), tells its iterations.
 */
void sandbox_reserve_loop(llvm::Loop *l, llvm::PHINode *iv, int64_t step);

/* Steps that tell iterations by a shift: a power of two or its negation, 2^12 at most. */
bool sandbox_reserve_step_ok(int64_t step);

extern "C" {
#endif

/*
 * Turns the entries and exits of `fn`'s loops of sandbox_reserve_loop into
 * tests and updates of the function's count of iterations left, the i64
 * `counter` points at (sandbox_loops.c), asking the run
 * (BPFAOT_SANDBOX_RESERVE_SYMBOL) when it is too small, for `batch` more as
 * well. Returns whether `fn` had any.
 */
bool sandbox_reserve_lower(LLVMValueRef fn, LLVMValueRef counter, uint64_t batch);

/* Does `fn` have loops of sandbox_reserve_loop (before sandbox_reserve_lower)? */
bool sandbox_reserve_used(LLVMValueRef fn);

/*
 * The header blocks of `fn`'s loops of sandbox_reserve_loop, which count
 * their iterations on leaving and need no count of their own: at most `cap`
 * of them in `out`; returns how many. A loop is one only while LLVM still
 * sees a bound on its back edges, and only in reducible code.
 */
size_t sandbox_reserved_headers(LLVMValueRef fn, LLVMBasicBlockRef *out, size_t cap);

#ifdef __cplusplus
}
#endif

#endif
