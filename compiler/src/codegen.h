/* SPDX-License-Identifier: MIT */
/*
 * A target machine's code generator for native objects, built once and run
 * on module after module (codegen.cpp): LLVM's C API builds its pass
 * pipeline anew for every module it emits.
 */
#ifndef BPFAOT_CODEGEN_H
#define BPFAOT_CODEGEN_H

#include <llvm-c/Core.h>
#include <llvm-c/TargetMachine.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct codegen;

/* The object pipeline of `tm`, which must outlive it; NULL: out of memory, or no such pipeline. */
struct codegen *codegen_new(LLVMTargetMachineRef tm);
/*
 * `mod` (of tm's data layout, without debug info) as a native object in a
 * malloc'ed *data of *len bytes. -ENOMEM: out of memory. One run at a time.
 */
int codegen_run(struct codegen *cg, LLVMModuleRef mod, uint8_t **data, size_t *len);
void codegen_free(struct codegen *cg);

#ifdef __cplusplus
}
#endif

#endif
