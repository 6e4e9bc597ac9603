/* SPDX-License-Identifier: MIT */
/* LLVM C API differences between versions, and the fatal-error handler of the public API. */
#include "llvm_compat.h"

#include "bpfaot/bpfaot.h"

#include <llvm-c/Core.h>
#include <llvm-c/ErrorHandling.h>
#include <llvm/Config/llvm-config.h>
#include <pthread.h>

LLVMTypeRef compat_ptr_type(LLVMContextRef ctx, LLVMTypeRef elem)
{
#if LLVM_VERSION_MAJOR >= 15
        (void)elem;
        return LLVMPointerTypeInContext(ctx, 0);
#else
        (void)ctx;
        return LLVMPointerType(elem, 0);
#endif
}

LLVMValueRef compat_cast_ptr(LLVMBuilderRef b, LLVMContextRef ctx, LLVMValueRef p, LLVMTypeRef elem)
{
#if LLVM_VERSION_MAJOR >= 15
        (void)b, (void)ctx, (void)elem;
        return p;
#else
        return LLVMBuildBitCast(b, p, compat_ptr_type(ctx, elem), "");
#endif
}

static void init_targets_once(void)
{
        LLVMInitializeAllTargetInfos();
        LLVMInitializeAllTargets();
        LLVMInitializeAllTargetMCs();
        LLVMInitializeAllAsmPrinters();
        LLVMInitializeAllAsmParsers();
}

/* Once per process: LLVM's target registry is not safe to fill from two threads at once. */
void compat_init_targets(void)
{
        static pthread_once_t once = PTHREAD_ONCE_INIT;

        pthread_once(&once, init_targets_once);
}

void compat_set_likely(LLVMValueRef br, unsigned successor)
{
        LLVMContextRef ctx = LLVMGetTypeContext(LLVMTypeOf(br));
        LLVMTypeRef i32 = LLVMInt32TypeInContext(ctx);
        LLVMMetadataRef md[3] = {
            LLVMMDStringInContext2(ctx, "branch_weights", 14),
            LLVMValueAsMetadata(LLVMConstInt(i32, successor == 0 ? 1u << 20 : 1, false)),
            LLVMValueAsMetadata(LLVMConstInt(i32, successor == 0 ? 1 : 1u << 20, false)),
        };

        LLVMSetMetadata(br, LLVMGetMDKindIDInContext(ctx, "prof", 4),
                        LLVMMetadataAsValue(ctx, LLVMMDNodeInContext2(ctx, md, 3)));
}

int compat_llvm_major(void)
{
        return LLVM_VERSION_MAJOR;
}

void bpfaot_set_fatal_error_handler(bpfaot_fatal_error_handler handler)
{
        if (handler)
                LLVMInstallFatalErrorHandler(handler);
        else
                LLVMResetFatalErrorHandler();
}

LLVMValueRef compat_aggregate_element(LLVMValueRef c, unsigned idx)
{
#if LLVM_VERSION_MAJOR >= 15
        return LLVMGetAggregateElement(c, idx);
#else
        return LLVMGetElementAsConstant(c, idx);
#endif
}
