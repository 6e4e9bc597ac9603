/* SPDX-License-Identifier: MIT */
/* Sandbox range checks in loops, proven before the loop (see check_hoist.cpp). */
#ifndef BPFAOT_CHECK_HOIST_H
#define BPFAOT_CHECK_HOIST_H

#include <llvm-c/Core.h>

#ifdef __cplusplus
extern "C"
#endif
    /*
     * Give each loop of `mod` whose sandbox checks are range checks of
     * induction variables a copy without them, run when a test before the
     * loop proves that every check would pass; returns how many loops were
     * copied. The copies branch on `true` where their checks were: a
     * CFG clean-up removes the dead paths (pipeline.c).
     */
    unsigned
    check_hoist(LLVMModuleRef mod);

#endif
