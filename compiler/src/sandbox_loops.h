/* SPDX-License-Identifier: MIT */
/* The loop budget of sandboxed code (see sandbox_loops.c). */
#ifndef BPFAOT_SANDBOX_LOOPS_H
#define BPFAOT_SANDBOX_LOOPS_H

#include <llvm-c/Core.h>
#include <stdbool.h>

/*
 * Count the loop iterations of every function of sandboxed `mod` but the
 * entries (those that open the run record), after optimisation. Returns
 * whether it changed anything; false with *oom set when out of memory.
 */
bool sandbox_bound_loops(LLVMModuleRef mod, bool *oom);

/*
 * Name the loop whose back edge is `br` (the translator's branch of a
 * backward jump to eBPF instruction `head`): a budget spent in it is then
 * reported at `head`. Kept as a property of the loop's llvm.loop
 * metadata, which LLVM's loop passes carry along (rotation, unrolling,
 * vectorisation).
 */
void sandbox_loops_name(LLVMValueRef br, size_t head);

#endif
