/* SPDX-License-Identifier: MIT */
/* The LLVM back end of a compilation (emit.c); compile.c drives it. */
#ifndef BPFAOT_EMIT_H
#define BPFAOT_EMIT_H

#include "bpfaot/bpfaot.h"

#include <llvm-c/Core.h>
#include <llvm-c/TargetMachine.h>

/*
 * The target machine for o->triple/cpu/features (checked first: LLVM ends
 * the process on some unknown names) at optimisation level 0..3; refuses
 * big-endian targets. With o->targets, an idle one made for the same
 * before, else a new one that the pool keeps.
 */
int emit_target_machine(const struct bpfaot_compile_opts *o, int level, LLVMTargetMachineRef *out,
                        struct bpfaot_error *err);
/* Done with a machine of emit_target_machine: back to o->targets, or disposed of. */
void emit_put_target_machine(const struct bpfaot_compile_opts *o, LLVMTargetMachineRef tm);
/* An empty module with the target machine's triple and data layout, which the optimiser reads. */
LLVMModuleRef emit_new_module(LLVMTargetMachineRef tm, LLVMContextRef ctx, const char *name);
/* The IR verifier: failing is a bug of the compiler, reported as an internal error about `what`. */
int emit_verify(LLVMModuleRef mod, const struct bpfaot_prog *prog, const char *what,
                struct bpfaot_error *err);
/*
 * The optimisation pipeline of level 0..3; where emit_has_vectorise(level),
 * only its part before the loop vectoriser, and emit_vectorise runs the rest.
 */
int emit_optimise(LLVMModuleRef mod, LLVMTargetMachineRef tm, int level, struct bpfaot_error *err);
bool emit_has_vectorise(int level);
/* Clean up after check_hoist.cpp (pipeline.c). */
int emit_after_check_hoist(LLVMModuleRef mod, LLVMTargetMachineRef tm, int level,
                           struct bpfaot_error *err);
int emit_vectorise(LLVMModuleRef mod, LLVMTargetMachineRef tm, int level, struct bpfaot_error *err);
/* Promote allocas a late pass added (mem2reg) and nothing else. */
int emit_promote(LLVMModuleRef mod, LLVMTargetMachineRef tm, struct bpfaot_error *err);
/* Copy `mb` into `out` and dispose of it; -ENOMEM with the message when out of memory. */
int emit_take_buffer(LLVMMemoryBufferRef mb, struct bpfaot_buf *out, struct bpfaot_error *err);

/*
 * The module as `output` (enum bpfaot_output) into `out`; a native object
 * of a module without debug info comes from the pool's code generator of
 * `tm` when `targets` holds it (else from LLVM's C API, as other outputs).
 */
int emit_output(LLVMModuleRef mod, LLVMTargetMachineRef tm, struct bpfaot_targets *targets,
                int output, struct bpfaot_buf *out, struct bpfaot_error *err);

#endif
