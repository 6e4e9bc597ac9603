// SPDX-License-Identifier: MIT
//
// Checks of a CPU name and feature list against a target, before a target
// machine is made. LLVM's C API has none: given an unknown CPU, LLVM prints a
// warning and goes on with no features, and for x86-64 then ends the process
// ("64-bit code requested on a subtarget that doesn't support it!"). The
// subtarget tables answer the question silently. With jit_rtdyld.cpp, one
// of the two uses of LLVM beyond its C API.
#include "llvm_compat.h"

#include <llvm/MC/MCSubtargetInfo.h>
#include <llvm/MC/TargetRegistry.h>
#include <llvm/Target/TargetMachine.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

namespace
{

// llvm-c's LLVMTargetRef is a `const llvm::Target *` (TargetMachineC.cpp).
const llvm::Target *unwrap_target(LLVMTargetRef t)
{
        return reinterpret_cast<const llvm::Target *>(t);
}

#if LLVM_VERSION_MAJOR >= 18
// Each "+name" / "-name" of a comma-separated list names a feature of the target.
int check_features(const llvm::MCSubtargetInfo &sti, const char *features, char *why,
                   size_t why_len)
{
        for (const char *p = features; *p;) {
                const char *end = std::strchr(p, ',');
                size_t len = end ? (size_t)(end - p) : std::strlen(p);
                llvm::StringRef name(p, len);
                bool known = false;

                if (name.starts_with("+") || name.starts_with("-"))
                        name = name.drop_front();
                for (const llvm::SubtargetFeatureKV &kv : sti.getAllProcessorFeatures())
                        known = known || name == kv.Key;
                if (!known && len) {
                        std::snprintf(why, why_len, "'%.*s' is not a feature of this target",
                                      (int)len, p);
                        return -EINVAL;
                }
                p = end ? end + 1 : p + len;
        }
        return 0;
}
#else
int check_features(const llvm::MCSubtargetInfo &, const char *, char *, size_t)
{
        return 0; // before LLVM 18 a target's features cannot be listed silently
}
#endif

} // namespace

extern "C" int compat_check_target(LLVMTargetRef target, const char *triple, const char *cpu,
                                   const char *features, char *why, size_t why_len)
{
        const llvm::Target *t = unwrap_target(target);
        std::unique_ptr<llvm::MCSubtargetInfo> base(t->createMCSubtargetInfo(triple, "", ""));
        std::unique_ptr<llvm::MCSubtargetInfo> sti;
        int ret;

        if (!base)
                return 0; // a target without subtarget tables has no CPU names to check
        if (*cpu && !base->isCPUStringValid(cpu)) {
                std::snprintf(why, why_len, "'%s' is not a CPU of this target", cpu);
                return -EINVAL;
        }
        ret = check_features(*base, features, why, why_len);
        if (ret)
                return ret;
        // x86-64 code needs the 64bit feature, which 32-bit CPUs (or -64bit) take away.
        if (std::strncmp(triple, "x86_64", 6) == 0) {
                sti.reset(t->createMCSubtargetInfo(triple, cpu, features));
                if (sti && !sti->checkFeatures("+64bit")) {
                        std::snprintf(why, why_len, "CPU '%s'%s%s cannot run 64-bit code",
                                      *cpu ? cpu : "generic", *features ? " with " : "", features);
                        return -EINVAL;
                }
        }
        return 0;
}

extern "C" void compat_set_loop_alignment(LLVMTargetMachineRef tm, unsigned bytes)
{
        // llvm-c's LLVMTargetMachineRef is a `llvm::TargetMachine *` (TargetMachineC.cpp).
        reinterpret_cast<llvm::TargetMachine *>(tm)->Options.LoopAlignment = bytes;
}
