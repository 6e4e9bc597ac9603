/* SPDX-License-Identifier: MIT */
/*
 * The LLVM back end: target machines (checked CPU and features), the
 * optimisation pipeline (new pass manager), the IR verifier and output as a
 * native object, assembly or LLVM IR.
 */
#include "internal.h"
#include "emit.h"
#include "llvm_compat.h"

#include <errno.h>
#include <llvm-c/Analysis.h>
#include <llvm-c/Transforms/PassBuilder.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *bpfaot_host_triple(void)
{
        char *t = LLVMGetDefaultTargetTriple();
        char *copy = strdup(t);
        LLVMDisposeMessage(t);
        return copy;
}

/* Only little-endian targets keep eBPF's byte order without swapping every access. */
static bool is_little_endian(LLVMTargetMachineRef tm)
{
        LLVMTargetDataRef td = LLVMCreateTargetDataLayout(tm);
        bool little = LLVMByteOrder(td) == LLVMLittleEndian;

        LLVMDisposeTargetData(td);
        return little;
}

/*
 * The CPU for "generic" (and no --cpu): the baseline clang compiles C for,
 * so that objects run like the host's own C. LLVM's own "generic" x86 CPU
 * lacks x86-64's tuning (64-bit division by a 32-bit fast path, for one);
 * other targets' generic CPUs are clang's default.
 */
static const char *generic_cpu(const char *triple)
{
        static const struct {
                const char *arch; /* the triple's first component */
                const char *cpu;
        } cpus[] = {{"x86_64", "x86-64"}};

        for (size_t i = 0; i < sizeof(cpus) / sizeof(cpus[0]); i++) {
                size_t n = strlen(cpus[i].arch);
                if (strncmp(triple, cpus[i].arch, n) == 0 && triple[n] == '-')
                        return cpus[i].cpu;
        }
        return ""; /* the target's own generic CPU ("generic", "generic-rv64", ...) */
}

int emit_target_machine(const struct bpfaot_compile_opts *o, int level, LLVMTargetMachineRef *out,
                        struct bpfaot_error *err)
{
        char *triple = o->triple ? strdup(o->triple) : bpfaot_host_triple();
        char *host_cpu = NULL, *host_features = NULL, *msg = NULL, why[160];
        const char *cpu = o->cpu && strcmp(o->cpu, "generic") != 0 ? o->cpu : NULL;
        const char *features = o->features ? o->features : "";
        static const LLVMCodeGenOptLevel codegen_levels[] = {
            LLVMCodeGenLevelNone, LLVMCodeGenLevelLess, LLVMCodeGenLevelDefault,
            LLVMCodeGenLevelAggressive};
        LLVMTargetRef target;
        int ret = 0;

        if (!triple)
                return bpfaot_error_nomem(err);
        if (!cpu)
                cpu = generic_cpu(triple);
        if (LLVMGetTargetFromTriple(triple, &target, &msg)) {
                ret = bpfaot_error_set(err, EINVAL, "unsupported target '%s': %s", triple,
                                       msg ? msg : "unknown");
                goto out;
        }
        if (strcmp(cpu, "native") == 0) {
                host_cpu = LLVMGetHostCPUName();
                cpu = host_cpu;
                if (!o->features) {
                        host_features = LLVMGetHostCPUFeatures();
                        features = host_features;
                }
        }
        if (compat_check_target(target, triple, cpu, features, why, sizeof(why))) {
                ret = bpfaot_error_set(err, EINVAL, "target %s: %s", triple, why);
                goto out;
        }
        *out = LLVMCreateTargetMachine(target, triple, cpu, features, codegen_levels[level],
                                       LLVMRelocPIC, LLVMCodeModelDefault);
        if (!*out)
                ret = bpfaot_error_set(
                    err, EINVAL, "cannot create a target machine for '%s' (cpu %s)", triple, cpu);
        else if (!is_little_endian(*out))
                ret = bpfaot_error_set(err, ENOTSUP, "big-endian targets are not supported");
        if (ret && *out) {
                LLVMDisposeTargetMachine(*out);
                *out = NULL;
        }
out:
        if (msg)
                LLVMDisposeMessage(msg);
        if (host_cpu)
                LLVMDisposeMessage(host_cpu);
        if (host_features)
                LLVMDisposeMessage(host_features);
        free(triple);
        return ret;
}

/* The pass pipeline of each level (-O2: pipeline.c). */
int emit_optimise(LLVMModuleRef mod, LLVMTargetMachineRef tm, int level, bool sandbox,
                  struct bpfaot_error *err)
{
        const char *const pipelines[] = {"default<O0>", "default<O1>",
                                         compat_o2_without_slp(sandbox), "default<O3>"};
        LLVMPassBuilderOptionsRef pbo = LLVMCreatePassBuilderOptions();
        const char *pipeline = pipelines[level];
        LLVMErrorRef e;
        int ret = 0;

        LLVMPassBuilderOptionsSetLoopVectorization(pbo, level >= 2);
        LLVMPassBuilderOptionsSetSLPVectorization(pbo, level >= 3);
        LLVMPassBuilderOptionsSetLoopUnrolling(pbo, level >= 2);
        e = LLVMRunPasses(mod, pipeline, tm, pbo);
        if (e) {
                char *m = LLVMGetErrorMessage(e);
                ret = bpfaot_error_set(err, EINVAL, "LLVM optimisation failed: %s", m);
                LLVMDisposeErrorMessage(m);
        }
        LLVMDisposePassBuilderOptions(pbo);
        return ret;
}

int emit_promote(LLVMModuleRef mod, LLVMTargetMachineRef tm, struct bpfaot_error *err)
{
        LLVMPassBuilderOptionsRef pbo = LLVMCreatePassBuilderOptions();
        LLVMErrorRef e = LLVMRunPasses(mod, "function(mem2reg)", tm, pbo);
        int ret = 0;

        if (e) {
                char *m = LLVMGetErrorMessage(e);
                ret = bpfaot_error_set(err, EINVAL, "LLVM mem2reg failed: %s", m);
                LLVMDisposeErrorMessage(m);
        }
        LLVMDisposePassBuilderOptions(pbo);
        return ret;
}

static int take_buffer(LLVMMemoryBufferRef mb, struct bpfaot_buf *out, struct bpfaot_error *err)
{
        size_t len = LLVMGetBufferSize(mb);

        out->data = malloc(len ? len : 1);
        if (!out->data) {
                LLVMDisposeMemoryBuffer(mb);
                return bpfaot_error_nomem(err);
        }
        memcpy(out->data, LLVMGetBufferStart(mb), len);
        out->len = len;
        LLVMDisposeMemoryBuffer(mb);
        return 0;
}

int emit_output(LLVMModuleRef mod, LLVMTargetMachineRef tm, int output, struct bpfaot_buf *out,
                struct bpfaot_error *err)
{
        LLVMMemoryBufferRef mb = NULL;
        char *msg = NULL;

        if (output == BPFAOT_OUTPUT_LLVM_IR) {
                char *text = LLVMPrintModuleToString(mod);
                size_t len = strlen(text);
                out->data = malloc(len + 1);
                if (!out->data) {
                        LLVMDisposeMessage(text);
                        return bpfaot_error_nomem(err);
                }
                memcpy(out->data, text, len + 1);
                out->len = len;
                LLVMDisposeMessage(text);
                return 0;
        }
        if (LLVMTargetMachineEmitToMemoryBuffer(
                tm, mod, output == BPFAOT_OUTPUT_ASM ? LLVMAssemblyFile : LLVMObjectFile, &msg,
                &mb)) {
                int ret = bpfaot_error_set(err, EINVAL, "LLVM code generation failed: %s",
                                           msg ? msg : "unknown");
                if (msg)
                        LLVMDisposeMessage(msg);
                return ret;
        }
        return take_buffer(mb, out, err);
}

int emit_verify(LLVMModuleRef mod, const struct bpfaot_prog *prog, const char *what,
                struct bpfaot_error *err)
{
        char *msg = NULL;
        int ret = 0;

        if (LLVMVerifyModule(mod, LLVMReturnStatusAction, &msg))
                ret = bpfaot_error_at(err, prog, -1, EINVAL, "internal error: %s: %.300s", what,
                                      msg ? msg : "");
        if (msg)
                LLVMDisposeMessage(msg); /* allocated even when the module is valid */
        return ret;
}

LLVMModuleRef emit_new_module(LLVMTargetMachineRef tm, LLVMContextRef ctx, const char *name)
{
        LLVMModuleRef mod = LLVMModuleCreateWithNameInContext(name, ctx);
        LLVMTargetDataRef td = LLVMCreateTargetDataLayout(tm);
        char *triple = LLVMGetTargetMachineTriple(tm);
        char *layout = LLVMCopyStringRepOfTargetData(td);

        LLVMSetTarget(mod, triple);
        LLVMSetDataLayout(mod, layout);
        LLVMDisposeMessage(layout);
        LLVMDisposeMessage(triple);
        LLVMDisposeTargetData(td);
        return mod;
}
