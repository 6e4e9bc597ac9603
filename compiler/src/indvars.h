/* SPDX-License-Identifier: MIT */
/* Offsets stepped beside a counter, re-expressed through it (see indvars.c). */
#ifndef BPFAOT_INDVARS_H
#define BPFAOT_INDVARS_H

#include <llvm-c/Core.h>

/* Rewrite the loops of `mod`; returns how many induction variables went. */
int indvars_rescale(LLVMModuleRef mod);

#endif
