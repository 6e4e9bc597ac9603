/* SPDX-License-Identifier: MIT */
/*
 * Emission: target machine, optimisation (new pass manager) and output as a
 * native object, assembly or LLVM IR.
 */
#include "internal.h"
#include "insn.h"
#include "llvm_compat.h"
#include "objabi.h"
#include "program.h"
#include "switches.h"
#include "translate.h"

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
static bool triple_is_little_endian(LLVMTargetDataRef td)
{
        return LLVMByteOrder(td) == LLVMLittleEndian;
}

static int make_target_machine(const struct bpfaot_compile_opts *o, LLVMTargetMachineRef *out,
                               struct bpfaot_error *err)
{
        char *triple = o->triple ? strdup(o->triple) : bpfaot_host_triple();
        char *host_cpu = NULL, *host_features = NULL, *msg = NULL, why[160];
        /* "" is each target's own generic CPU ("generic", "generic-rv64", ...). */
        const char *cpu = o->cpu && strcmp(o->cpu, "generic") != 0 ? o->cpu : "";
        const char *features = o->features ? o->features : "";
        LLVMCodeGenOptLevel level;
        LLVMTargetRef target;
        int ret = 0;

        if (!triple)
                return bpfaot_error_nomem(err);
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
        switch (o->opt_level) {
        case 0:
                level = LLVMCodeGenLevelNone;
                break;
        case 1:
                level = LLVMCodeGenLevelLess;
                break;
        case 3:
                level = LLVMCodeGenLevelAggressive;
                break;
        default:
                level = LLVMCodeGenLevelDefault;
                break;
        }
        *out = LLVMCreateTargetMachine(target, triple, cpu, features, level, LLVMRelocPIC,
                                       LLVMCodeModelDefault);
        if (!*out)
                ret = bpfaot_error_set(
                    err, EINVAL, "cannot create a target machine for '%s' (cpu %s)", triple, cpu);
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

static int optimise(LLVMModuleRef mod, LLVMTargetMachineRef tm, int level, struct bpfaot_error *err)
{
        static const char *const pipelines[] = {"default<O0>", "default<O1>", "default<O2>",
                                                "default<O3>"};
        LLVMPassBuilderOptionsRef pbo = LLVMCreatePassBuilderOptions();
        const char *pipeline = pipelines[level];
        LLVMErrorRef e;
        int ret = 0;

        LLVMPassBuilderOptionsSetLoopVectorization(pbo, level >= 2);
        LLVMPassBuilderOptionsSetSLPVectorization(pbo, level >= 2);
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

static int emit_output(LLVMModuleRef mod, LLVMTargetMachineRef tm, int output,
                       struct bpfaot_buf *out, struct bpfaot_error *err)
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

static int verify(LLVMModuleRef mod, const struct bpfaot_prog *prog, const char *what,
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

/*
 * const struct bpfaot_prog_def <prefix>__progs[cnt] and const uint32_t
 * <prefix>__prog_cnt (bpfaot/objabi.h): the programs of a module that holds
 * them together.
 */
static int program_table(LLVMModuleRef mod, const char *prefix, LLVMValueRef *defs, size_t cnt,
                         struct bpfaot_error *err)
{
        LLVMContextRef ctx = LLVMGetModuleContext(mod);
        LLVMTypeRef ty = objabi_type(ctx, OBJABI_PROG_DEF), i32 = LLVMInt32TypeInContext(ctx);
        char *progs = objabi_symbol(prefix, BPFAOT_SYM_PROGS);
        char *cnt_name = objabi_symbol(prefix, BPFAOT_SYM_PROG_CNT);
        LLVMValueRef g;

        if (!progs || !cnt_name) {
                free(progs);
                free(cnt_name);
                return bpfaot_error_nomem(err);
        }
        g = LLVMAddGlobal(mod, LLVMArrayType(ty, (unsigned)cnt), progs);
        LLVMSetInitializer(g, LLVMConstArray(ty, defs, (unsigned)cnt));
        LLVMSetGlobalConstant(g, true);
        LLVMSetAlignment(g, 8);
        g = LLVMAddGlobal(mod, i32, cnt_name);
        LLVMSetInitializer(g, LLVMConstInt(i32, cnt, false));
        LLVMSetGlobalConstant(g, true);
        free(progs);
        free(cnt_name);
        return 0;
}

static int compile_module(const struct bpfaot_prog *progs, const char *const *entries, size_t cnt,
                          bool with_table, const struct bpfaot_compile_opts *opts,
                          struct bpfaot_buf *out, struct bpfaot_error *err);

int bpfaot_compile(const struct bpfaot_prog *prog, const struct bpfaot_compile_opts *opts,
                   struct bpfaot_buf *out, struct bpfaot_error *err)
{
        const char *entry = opts && opts->entry_name ? opts->entry_name : "bpf_main";

        /* No table: objects of single programs of one eBPF object link together. */
        return compile_module(prog, &entry, 1, false, opts, out, err);
}

int bpfaot_compile_progs(const struct bpfaot_prog *progs, const char *const *entries, size_t cnt,
                         const struct bpfaot_compile_opts *opts, struct bpfaot_buf *out,
                         struct bpfaot_error *err)
{
        return compile_module(progs, entries, cnt, true, opts, out, err);
}

/* Validate each program and its entry name; checked[i] is what validation found in progs[i]. */
static int check_programs(const struct bpfaot_prog *progs, const char *const *entries, size_t cnt,
                          const struct bpfaot_validate_opts *vopts, struct program *checked,
                          struct bpfaot_error *err)
{
        int ret = 0;

        for (size_t i = 0; i < cnt && !ret; i++) {
                /* LLVM ends the process on a symbol that clashes with a section name. */
                if (!subprog_symbol_name_ok(entries[i]))
                        return bpfaot_error_at(err, &progs[i], -1, EINVAL,
                                               "entry name '%.64s' is not a valid symbol name",
                                               entries[i]);
                ret = program_check(&progs[i], vopts, &checked[i], err);
        }
        return ret;
}

static int compile_module(const struct bpfaot_prog *progs, const char *const *entries, size_t cnt,
                          bool with_table, const struct bpfaot_compile_opts *opts,
                          struct bpfaot_buf *out, struct bpfaot_error *err)
{
        LLVMValueRef *defs = NULL;
        struct program *checked = NULL; /* progs[i], validated */
        const struct bpfaot_prog *prog = cnt ? &progs[0] : NULL;
        struct bpfaot_compile_opts o = {0};
        BPFAOT_OPTS_INIT(bpfaot_validate_opts, vopts);
        struct translate_opts topts;
        LLVMTargetMachineRef tm = NULL;
        LLVMTargetDataRef td = NULL;
        LLVMContextRef ctx = NULL;
        LLVMModuleRef mod = NULL;
        char *layout = NULL, *triple = NULL;
        int ret;

        out->data = NULL;
        out->len = 0;
        if (opts)
                memcpy(&o, opts, opts->sz < sizeof(o) ? opts->sz : sizeof(o));
        if (o.opt_level == BPFAOT_OPT_DEFAULT)
                o.opt_level = 2;
        if (o.opt_level < 0 || o.opt_level > 3)
                return bpfaot_error_set(err, EINVAL, "optimisation level %d is not 0..3",
                                        o.opt_level);
        vopts.max_insns = o.max_insns;
        vopts.stack_size = o.stack_size;
        if (!cnt)
                return bpfaot_error_set(err, EINVAL, "no programs to compile");
        checked = calloc(cnt, sizeof(*checked));
        if (!checked)
                return bpfaot_error_nomem(err);
        ret = check_programs(progs, entries, cnt, &vopts, checked, err);
        if (ret)
                goto out;

        compat_init_targets();
        ret = make_target_machine(&o, &tm, err);
        if (ret)
                goto out;
        td = LLVMCreateTargetDataLayout(tm);
        if (!triple_is_little_endian(td)) {
                ret = bpfaot_error_set(err, ENOTSUP, "big-endian targets are not supported");
                goto out;
        }
        ctx = LLVMContextCreate();
        mod = LLVMModuleCreateWithNameInContext(prog->name ? prog->name : "bpf", ctx);
        /* Triple and layout first: the optimiser's decisions depend on them. */
        triple = LLVMGetTargetMachineTriple(tm);
        LLVMSetTarget(mod, triple);
        layout = LLVMCopyStringRepOfTargetData(td);
        LLVMSetDataLayout(mod, layout);

        topts.region_insns = o.region_insns ? o.region_insns : BPFAOT_DEFAULT_REGION_INSNS;
        topts.module_entries = entries;
        topts.inline_maps = o.inline_maps;
        topts.module_entry_cnt = cnt;
        defs = calloc(cnt, sizeof(*defs));
        if (!defs) {
                ret = bpfaot_error_nomem(err);
                goto out;
        }
        /* All programs in one module: they share helpers, global data and map tables. */
        for (size_t i = 0; i < cnt && !ret; i++) {
                topts.entry_name = entries[i];
                ret = translate_prog(&checked[i], &topts, mod, &defs[i], err);
        }
        if (!ret && with_table && prog->symbol_prefix)
                ret = program_table(mod, prog->symbol_prefix, defs, cnt, err);
        if (ret)
                goto out;
        /* A translator bug, never the user's: say so plainly. */
        ret = verify(mod, prog, "generated invalid LLVM IR", err);
        if (ret)
                goto out;
        ret = optimise(mod, tm, o.opt_level, err);
        if (ret)
                goto out;
        if (o.opt_level >= 2 && switches_recover(mod))
                ret = verify(mod, prog, "switch recovery made invalid LLVM IR", err);
        if (ret)
                goto out;
        ret = emit_output(mod, tm, o.output, out, err);
out:
        for (size_t i = 0; i < cnt; i++)
                program_free(&checked[i]);
        free(checked);
        free(defs);
        if (layout)
                LLVMDisposeMessage(layout);
        if (triple)
                LLVMDisposeMessage(triple);
        if (mod)
                LLVMDisposeModule(mod);
        if (ctx)
                LLVMContextDispose(ctx);
        if (td)
                LLVMDisposeTargetData(td);
        if (tm)
                LLVMDisposeTargetMachine(tm);
        return ret;
}
