/* SPDX-License-Identifier: MIT */
/*
 * -O0's one IR pass: stores to register slots that nothing reads again
 * (dead_slots.cpp).
 */
#ifndef BPFAOT_DEAD_SLOTS_H
#define BPFAOT_DEAD_SLOTS_H

#include <llvm-c/Core.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * In every function of `mod`, delete the stores to its i64 stack slots
 * (entry-block allocas used only by plain loads and stores of the whole
 * slot) that no load can read: overwritten, or the function returns, on
 * every path first. What only such a store used goes with it.
 */
void dead_slot_stores(LLVMModuleRef mod);

#ifdef __cplusplus
}
#endif

#endif
