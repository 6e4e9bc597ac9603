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

#endif
