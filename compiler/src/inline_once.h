/* SPDX-License-Identifier: MIT */
/*
 * -O0's entry wrappers, given the body of the function they call
 * (inline_once.cpp).
 */
#ifndef BPFAOT_INLINE_ONCE_H
#define BPFAOT_INLINE_ONCE_H

#include <llvm-c/Core.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Every function of `mod` that only forwards to another (casts, the call,
 * the return of its result) takes the callee's body, when nothing else calls
 * it and it is internal and not noinline; the callee goes. Its lines become
 * those of a function inlined at the call.
 */
void inline_once(LLVMModuleRef mod);

#ifdef __cplusplus
}
#endif

#endif
