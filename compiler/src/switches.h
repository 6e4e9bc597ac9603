/* SPDX-License-Identifier: MIT */
/* Switch recovery: compare trees on one value become an LLVM switch (see switches.c). */
#ifndef BPFAOT_SWITCHES_H
#define BPFAOT_SWITCHES_H

#include <llvm-c/Core.h>

/* Rewrite the compare trees of `mod`; returns how many switches were rebuilt. */
int switches_recover(LLVMModuleRef mod);

#endif
