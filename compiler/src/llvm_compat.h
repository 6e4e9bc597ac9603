/* SPDX-License-Identifier: MIT */
/*
 * The one place where LLVM C API differences between versions 14..19 live.
 * Everything else uses these wrappers and is version-neutral.
 */
#ifndef BPFAOT_LLVM_COMPAT_H
#define BPFAOT_LLVM_COMPAT_H

#include <llvm-c/Core.h>
#include <llvm-c/Target.h>
#include <llvm-c/TargetMachine.h>
#include <llvm/Config/llvm-config.h>
#include <stdbool.h>

/*
 * A pointer to `elem`. LLVM 14 has typed pointers, so the element type
 * matters; from LLVM 15 pointers are opaque and the element type is ignored.
 * Code that needs a different pointee casts with compat_cast_ptr.
 */
LLVMTypeRef compat_ptr_type(LLVMContextRef ctx, LLVMTypeRef elem);
/* Cast a pointer to point at `elem` (a no-op with opaque pointers). */
LLVMValueRef compat_cast_ptr(LLVMBuilderRef b, LLVMContextRef ctx, LLVMValueRef p,
                             LLVMTypeRef elem);
/* Initialise every target LLVM was built with (idempotent). */
void compat_init_targets(void);
/* Conditional branch `br` all but always goes to its successor `successor` (0 or 1). */
void compat_set_likely(LLVMValueRef br, unsigned successor);
/* The LLVM major version the library was built against. */
int compat_llvm_major(void);
/*
 * -O2's pass pipeline: LLVM's default<O2> without the SLP vectoriser, cut
 * down (pipeline.c). Where
 * compat_o2_vectorise() is not NULL, it is the part before the loop
 * vectoriser, and that is the rest (run after indvars.c).
 */
const char *compat_o2_without_slp(void);
const char *compat_o2_vectorise(void);
/* The passes that clean up after check_hoist.cpp's unchecked copies of loops. */
const char *compat_after_check_hoist(void);
/*
 * Check a CPU name ("" for the target's generic one) and feature list
 * ("+a,-b") against a target (llvm_target.cpp): 0, or -EINVAL with the
 * reason in `why`. LLVM itself only warns about unknown names, and for some
 * targets then ends the process.
 */
#ifdef __cplusplus
extern "C"
#endif
    int
    compat_check_target(LLVMTargetRef target, const char *triple, const char *cpu,
                        const char *features, char *why, size_t why_len);
/*
 * Align the headers of hot loops to `bytes` in code `tm` generates
 * (llvm_target.cpp): TargetOptions::LoopAlignment, which the C API does not
 * reach.
 */
#ifdef __cplusplus
extern "C"
#endif
    void
    compat_set_loop_alignment(LLVMTargetMachineRef tm, unsigned bytes);

#endif

#include <llvm-c/Orc.h>

/* ORC's symbol-map pair was renamed in LLVM 15. */
#if LLVM_VERSION_MAJOR >= 15
typedef LLVMOrcCSymbolMapPair compat_symbol_pair;
#else
typedef LLVMJITCSymbolMapPair compat_symbol_pair;
#endif

/* Element `idx` of a constant array or vector (LLVMGetElementAsConstant was deprecated in 15). */
LLVMValueRef compat_aggregate_element(LLVMValueRef c, unsigned idx);

/*
 * Whether LLJIT links with RuntimeDyld on this host, which reaches the GOT and
 * data from code with 32-bit displacements while LLVM's SectionMemoryManager
 * maps code and data apart, anywhere in the address space: then jit.c keeps
 * all of an object in one region (jit_memory.h). LLJIT's default on ELF
 * x86-64 and AArch64 was RuntimeDyld up to LLVM 16; LLVM 17 made it JITLink,
 * which allocates an object's segments together. Elsewhere (RISC-V: JITLink
 * or nothing) LLJIT keeps its default.
 */
#if LLVM_VERSION_MAJOR < 17 && (defined(__x86_64__) || defined(__aarch64__))
#define COMPAT_JIT_REGION 1
#else
#define COMPAT_JIT_REGION 0
#endif

/*
 * LLJIT's object linking layer creator (LLVMOrcLLJITBuilderSetObjectLinkingLayerCreator)
 * for COMPAT_JIT_REGION: RuntimeDyld with LLVM's SectionMemoryManager taking
 * its memory from the jit_region `ctx` (jit_rtdyld.cpp).
 */
#ifdef __cplusplus
extern "C"
#endif
    LLVMOrcObjectLayerRef
    compat_rtdyld_layer_in_region(void *ctx, LLVMOrcExecutionSessionRef es, const char *triple);
