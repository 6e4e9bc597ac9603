/* SPDX-License-Identifier: MIT */
/*
 * The LLVM back end: target machines (checked CPU and features), the
 * optimisation pipeline (new pass manager), the IR verifier and output as a
 * native object, assembly or LLVM IR.
 */
#include "internal.h"
#include "emit.h"
#include "dead_slots.h"
#include "inline_once.h"
#include "llvm_compat.h"
#include "codegen.h"
#include "targets.h"

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
 * The CPU and features for "generic" (and no --cpu): the ISA baseline the
 * target's C compilers build for, so that objects run like the host's own C
 * and link with its objects. LLVM's own "generic" x86 CPU lacks x86-64's
 * tuning (64-bit division by a 32-bit fast path, for one). aarch64's
 * "generic" is armv8-a. riscv64 Linux (Debian's riscv64, gcc's default) is
 * rv64gc with the lp64d ABI: without +f,+d the object is soft-float (no
 * double-float ABI flag in its ELF header) and the linker refuses to mix it
 * with gcc's objects; without +m,+a,+c it would multiply by calls and lack
 * atomics. Features given with --features come after these and win. The
 * ABI is the one these features imply (see target_abi()).
 */
struct generic_target {
        const char *arch;     /* the triple's first component */
        const char *cpu;      /* "": the target's own generic CPU */
        const char *features; /* "": none beyond the CPU's */
        const char *abi;      /* "": the target's default */
};

static const struct generic_target *generic_target(const char *triple)
{
        static const struct generic_target targets[] = {
            {"x86_64", "x86-64", "", ""},
            {"aarch64", "generic", "", ""},
            {"riscv64", "generic-rv64", "+m,+a,+f,+d,+c", "lp64d"},
        };
        static const struct generic_target other = {"", "", "", ""};

        for (size_t i = 0; i < sizeof(targets) / sizeof(targets[0]); i++) {
                size_t n = strlen(targets[i].arch);
                if (strncmp(triple, targets[i].arch, n) == 0 && triple[n] == '-')
                        return &targets[i];
        }
        return &other;
}

/* The comma-separated feature list's last word on `name`: 1 "+name", -1 "-name", 0 none. */
static int feature_state(const char *features, const char *name)
{
        size_t n = strlen(name);
        int state = 0;

        for (const char *p = features; *p;) {
                size_t len = strcspn(p, ",");

                if (len == n + 1 && strncmp(p + 1, name, n) == 0)
                        state = p[0] == '+' ? 1 : p[0] == '-' ? -1 : state;
                p += len + (p[len] == ',');
        }
        return state;
}

/*
 * The table's ABI for a target machine made with its generic CPU and
 * features (the float registers it needs still on), or NULL. LLVM 14's C API cannot name an ABI:
 * the module flag "target-abi" makes code generation use it, and set_elf_abi() writes it into the
 * object's header (LLVM before 15 leaves riscv64 objects soft-float there whatever the module
 * says).
 */
static const char *target_abi(LLVMTargetMachineRef tm)
{
        char *triple = LLVMGetTargetMachineTriple(tm);
        char *cpu = LLVMGetTargetMachineCPU(tm);
        char *features = LLVMGetTargetMachineFeatureString(tm);
        const struct generic_target *g = generic_target(triple);
        const char *abi = NULL;

        if (g->abi[0] && strcmp(cpu, g->cpu) == 0 && feature_state(features, "f") > 0 &&
            feature_state(features, "d") > 0)
                abi = g->abi;
        LLVMDisposeMessage(features);
        LLVMDisposeMessage(cpu);
        LLVMDisposeMessage(triple);
        return abi;
}

/* A riscv64 object's float ABI in its ELF header (e_flags), as the lp64d ABI says. */
static void set_elf_abi(struct bpfaot_buf *obj, const char *abi)
{
        enum { EM_RISCV_ = 243, FLOAT_ABI_MASK = 0x6, FLOAT_ABI_DOUBLE = 0x4 };
        uint8_t *h = obj->data;
        uint32_t flags;

        if (strcmp(abi, "lp64d") != 0 || obj->len < 64 || memcmp(h, "\177ELF\2\1", 6) != 0 ||
            (h[18] | h[19] << 8) != EM_RISCV_)
                return;
        memcpy(&flags, h + 48, sizeof(flags)); /* little-endian, as the target */
        flags = (flags & ~(uint32_t)FLOAT_ABI_MASK) | FLOAT_ABI_DOUBLE;
        memcpy(h + 48, &flags, sizeof(flags));
}

/*
 * Hot loop headers on x86-64 start a cache line at -O2 and -O3: where the
 * linker puts a function then no longer decides how a loop's first
 * instructions are fetched and cached, which moved bench kernels by up to
 * 16 % from one build to the next (bench/README, "Loop alignment"). Other
 * targets keep their own alignment; 0: the target's.
 */
static unsigned loop_alignment(const struct bpfaot_compile_opts *o, const char *triple, int level)
{
        if (o->loop_align)
                return o->loop_align;
        return level >= 2 && strncmp(triple, "x86_64", 6) == 0 ? 64 : 0;
}

int emit_target_machine(const struct bpfaot_compile_opts *o, int level, LLVMTargetMachineRef *out,
                        struct bpfaot_error *err)
{
        char *triple = o->triple ? strdup(o->triple) : bpfaot_host_triple();
        char *host_cpu = NULL, *host_features = NULL, *msg = NULL, *joined = NULL, *key = NULL;
        char why[160];
        unsigned align;
        const char *cpu = o->cpu && strcmp(o->cpu, "generic") != 0 ? o->cpu : NULL;
        const char *features = o->features ? o->features : "";
        static const LLVMCodeGenOptLevel codegen_levels[] = {
            LLVMCodeGenLevelNone, LLVMCodeGenLevelLess, LLVMCodeGenLevelDefault,
            LLVMCodeGenLevelAggressive};
        LLVMTargetRef target;
        int ret = 0;

        if (!triple)
                return bpfaot_error_nomem(err);
        if (!cpu) {
                const struct generic_target *g = generic_target(triple);

                cpu = g->cpu;
                if (g->features[0] && features[0]) {
                        size_t n = strlen(g->features) + strlen(features) + 2;

                        joined = malloc(n);
                        if (!joined) {
                                free(triple);
                                return bpfaot_error_nomem(err);
                        }
                        snprintf(joined, n, "%s,%s", g->features, features);
                        features = joined;
                } else if (g->features[0]) {
                        features = g->features;
                }
        }
        if (o->loop_align > BPFAOT_MAX_LOOP_ALIGN || (o->loop_align & (o->loop_align - 1))) {
                ret = bpfaot_error_set(err, EINVAL,
                                       "loop alignment %u is not a power of two from 1 to %u",
                                       o->loop_align, BPFAOT_MAX_LOOP_ALIGN);
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
        align = loop_alignment(o, triple, level);
        if (o->targets) {
                size_t n = strlen(triple) + strlen(cpu) + strlen(features) + 32;

                if (!(key = malloc(n))) {
                        ret = bpfaot_error_nomem(err);
                        goto out;
                }
                snprintf(key, n, "%s|%s|%s|O%d|%u", triple, cpu, features, level, align);
                if ((*out = targets_take(o->targets, key)))
                        goto out;
        }
        if (LLVMGetTargetFromTriple(triple, &target, &msg)) {
                ret = bpfaot_error_set(err, EINVAL, "unsupported target '%s': %s", triple,
                                       msg ? msg : "unknown");
                goto out;
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
        else
                compat_set_loop_alignment(*out, align);
        if (!ret && o->targets && targets_adopt(o->targets, key, *out))
                ret = bpfaot_error_nomem(err);
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
        free(key);
        free(joined);
        free(triple);
        return ret;
}

void emit_put_target_machine(const struct bpfaot_compile_opts *o, LLVMTargetMachineRef tm)
{
        if (tm && o->targets)
                targets_put(o->targets, tm);
        else if (tm)
                LLVMDisposeTargetMachine(tm);
}

static int run_pipeline(LLVMModuleRef mod, LLVMTargetMachineRef tm, int level, const char *pipeline,
                        struct bpfaot_error *err)
{
        LLVMPassBuilderOptionsRef pbo = LLVMCreatePassBuilderOptions();
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

/*
 * The pass pipeline of each level (-O2: pipeline.c). -O0 runs no pipeline:
 * default<O0> only inlines always_inline functions, instruments and lowers
 * coroutines, none of which translated code has, and building it cost 5 %
 * of a small program's -O0 compile. It gives each entry wrapper the body
 * of the sub-program it calls (inline_once.cpp) and drops the register
 * stores nothing reads (dead_slots.cpp) instead.
 */
int emit_optimise(LLVMModuleRef mod, LLVMTargetMachineRef tm, int level, struct bpfaot_error *err)
{
        const char *const pipelines[] = {NULL, "default<O1>", compat_o2_without_slp(),
                                         "default<O3>"};

        if (!level) {
                inline_once(mod);
                dead_slot_stores(mod);
                return 0;
        }
        return run_pipeline(mod, tm, level, pipelines[level], err);
}

int emit_after_check_hoist(LLVMModuleRef mod, LLVMTargetMachineRef tm, int level,
                           struct bpfaot_error *err)
{
        return run_pipeline(mod, tm, level, compat_after_check_hoist(), err);
}

bool emit_has_vectorise(int level)
{
        return level == 2 && compat_o2_vectorise();
}

int emit_vectorise(LLVMModuleRef mod, LLVMTargetMachineRef tm, int level, struct bpfaot_error *err)
{
        return emit_has_vectorise(level) ? run_pipeline(mod, tm, level, compat_o2_vectorise(), err)
                                         : 0;
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

int emit_take_buffer(LLVMMemoryBufferRef mb, struct bpfaot_buf *out, struct bpfaot_error *err)
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

/* An object from the pool's code generator of `tm`, when it has one for this module. */
static bool pooled_object(LLVMModuleRef mod, LLVMTargetMachineRef tm,
                          struct bpfaot_targets *targets, struct bpfaot_buf *out, int *ret,
                          struct bpfaot_error *err)
{
        struct codegen *cg;

        if (!targets || LLVMGetNamedMetadataNumOperands(mod, "llvm.dbg.cu"))
                return false;
        if (!(cg = targets_codegen(targets, tm)))
                return false;
        *ret = codegen_run(cg, mod, &out->data, &out->len) ? bpfaot_error_nomem(err) : 0;
        return true;
}

int emit_output(LLVMModuleRef mod, LLVMTargetMachineRef tm, struct bpfaot_targets *targets,
                int output, struct bpfaot_buf *out, struct bpfaot_error *err)
{
        LLVMMemoryBufferRef mb = NULL;
        char *msg = NULL;
        int ret;

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
        if (output == BPFAOT_OUTPUT_ASM || !pooled_object(mod, tm, targets, out, &ret, err)) {
                if (LLVMTargetMachineEmitToMemoryBuffer(
                        tm, mod, output == BPFAOT_OUTPUT_ASM ? LLVMAssemblyFile : LLVMObjectFile,
                        &msg, &mb)) {
                        ret = bpfaot_error_set(err, EINVAL, "LLVM code generation failed: %s",
                                               msg ? msg : "unknown");
                        if (msg)
                                LLVMDisposeMessage(msg);
                        return ret;
                }
                ret = emit_take_buffer(mb, out, err);
        }
        const char *abi = target_abi(tm);

        if (!ret && output != BPFAOT_OUTPUT_ASM && abi)
                set_elf_abi(out, abi);
        return ret;
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

        const char *abi = target_abi(tm);

        LLVMSetTarget(mod, triple);
        LLVMSetDataLayout(mod, layout);
        if (abi)
                LLVMAddModuleFlag(mod, LLVMModuleFlagBehaviorError, "target-abi",
                                  strlen("target-abi"),
                                  LLVMMDStringInContext2(ctx, abi, strlen(abi)));
        LLVMDisposeMessage(layout);
        LLVMDisposeMessage(triple);
        LLVMDisposeTargetData(td);
        return mod;
}
