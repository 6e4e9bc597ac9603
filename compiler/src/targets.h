/* SPDX-License-Identifier: MIT */
/* A pool of target machines that compiles share (struct bpfaot_targets, targets.c). */
#ifndef BPFAOT_TARGETS_H
#define BPFAOT_TARGETS_H

#include "bpfaot/bpfaot.h"

#include <llvm-c/TargetMachine.h>

struct codegen;

/* An idle machine made for `key` (target, CPU, features, level), now in use; NULL: none. */
LLVMTargetMachineRef targets_take(struct bpfaot_targets *pool, const char *key);
/* Keep `tm`, in use, made for `key`, for later compiles. -ENOMEM: not kept, still the caller's. */
int targets_adopt(struct bpfaot_targets *pool, const char *key, LLVMTargetMachineRef tm);
/* The object code generator of `tm` (taken or adopted), made on first use; NULL: none. */
struct codegen *targets_codegen(struct bpfaot_targets *pool, LLVMTargetMachineRef tm);
/* `tm` (taken or adopted) is idle again. */
void targets_put(struct bpfaot_targets *pool, LLVMTargetMachineRef tm);

#endif
