/* SPDX-License-Identifier: MIT */
/*
 * The compile driver: programs in, one native object (or IR, or assembly)
 * out. The whole pipeline is the list in compile_job(); each step is a pass
 * of its own module.
 */
#include "internal.h"
#include "debuginfo.h"
#include "emit.h"
#include "llvm_compat.h"
#include "objabi.h"
#include "program.h"
#include "sandbox_loops.h"
#include "check_hoist.h"
#include "indvars.h"
#include "switches.h"
#include "translate.h"

#include <stdlib.h>
#include <string.h>

/* One compilation and everything it owns. */
struct job {
        const struct bpfaot_prog *progs;
        const char *const *entries; /* entry symbol of each program */
        size_t cnt;
        bool with_table; /* define <prefix>__progs: the programs are one object's */
        /* Without programs: the object (no code) whose maps and data the module holds. */
        const struct bpfaot_prog *object;
        struct bpfaot_compile_opts o;
        int level;               /* 0..3 */
        struct program *checked; /* what validation found in progs[i] */
        LLVMTargetMachineRef tm;
        LLVMContextRef ctx;
        LLVMModuleRef mod;
        LLVMValueRef *defs;      /* each program's <entry>__prog descriptor */
        struct debuginfo *debug; /* with debug_info, for programs with line info */
        struct bpfaot_error *err;
};

static int read_level(struct job *j)
{
        int o = j->o.optimize;

        j->level = o == BPFAOT_O_DEFAULT ? 2 : o - BPFAOT_O0;
        if (j->level < 0 || j->level > 3)
                return bpfaot_error_set(j->err, EINVAL,
                                        "unknown optimisation level %d (enum bpfaot_optimize)", o);
        return 0;
}

/* Validate each program and its entry name. */
static int check_programs(struct job *j)
{
        BPFAOT_OPTS_INIT(bpfaot_validate_opts, vopts, .max_insns = j->o.max_insns,
                         .stack_size = j->o.stack_size);
        int ret = 0;

        if (!j->cnt && !j->object)
                return bpfaot_error_set(j->err, EINVAL, "no programs to compile");
        j->checked = calloc(j->cnt ? j->cnt : 1, sizeof(*j->checked));
        if (!j->checked)
                return bpfaot_error_nomem(j->err);
        for (size_t i = 0; i < j->cnt && !ret; i++) {
                /* LLVM ends the process on a symbol that clashes with a section name. */
                if (!subprog_symbol_name_ok(j->entries[i]))
                        return bpfaot_error_at(j->err, &j->progs[i], -1, EINVAL,
                                               "entry name '%.64s' is not a valid symbol name",
                                               j->entries[i]);
                ret = program_check(&j->progs[i], &vopts, &j->checked[i], j->err);
        }
        return ret;
}

static int make_module(struct job *j)
{
        const char *name = j->progs[0].name ? j->progs[0].name : "bpf";

        compat_init_targets();
        int ret = emit_target_machine(&j->o, j->level, &j->tm, j->err);
        if (ret)
                return ret;
        j->ctx = LLVMContextCreate();
        j->mod = emit_new_module(j->tm, j->ctx, name);
        return 0;
}

/* debug_info: the module's debug info, when a program has line info. */
static int make_debug_info(struct job *j)
{
        bool oom;

        if (!j->o.debug_info)
                return 0;
        j->debug = debuginfo_new(j->mod, j->progs, j->cnt, j->level > 0, &oom);
        return oom ? bpfaot_error_nomem(j->err) : 0;
}

/* Locations for the translator's own code, before the module is verified. */
static int finish_debug_info(struct job *j)
{
        debuginfo_finish(j->debug);
        return 0;
}

/* All programs into one module: they share helpers' declarations, global data and map tables. */
static int translate_all(struct job *j)
{
        struct translate_opts topts = {
            .region_insns = j->o.region_insns ? j->o.region_insns : BPFAOT_DEFAULT_REGION_INSNS,
            .module_entries = j->entries,
            .module_entry_cnt = j->cnt,
            .inline_maps = j->o.inline_maps,
            .maps_by_fd = j->o.maps_by_fd,
            .sandbox = j->o.sandbox,
            .sandbox_max_loops = j->o.sandbox_max_loops,
            .debug = j->debug,
            .whole_object = j->with_table,
            .instances = j->with_table && j->o.instances,
        };
        int ret = 0;

        j->defs = calloc(j->cnt ? j->cnt : 1, sizeof(*j->defs));
        if (!j->defs)
                return bpfaot_error_nomem(j->err);
        for (size_t i = 0; i < j->cnt && !ret; i++) {
                topts.entry_name = j->entries[i];
                ret = translate_prog(&j->checked[i], &topts, j->mod, &j->defs[i], j->err);
        }
        return ret;
}

/* An object without programs still defines its map tables and global data. */
static int add_object_globals(struct job *j)
{
        return j->object ? translate_object_globals(j->object, j->mod, j->err) : 0;
}

static int add_program_table(struct job *j)
{
        const char *prefix = j->object ? j->object->symbol_prefix : j->progs[0].symbol_prefix;

        if (!j->with_table || !prefix)
                return 0;
        return objabi_program_table(j->mod, prefix, j->defs, j->cnt, j->err);
}

/* Switches clang lowered to compare trees become LLVM switches again (-O2 and up). */
static int recover_switches(struct job *j)
{
        if (j->level < 2 || !switches_recover(j->mod))
                return 0;
        return emit_verify(j->mod, j->progs, "switch recovery made invalid LLVM IR", j->err);
}

/*
 * Loops whose sandbox range checks follow an induction variable get a copy
 * without them, run when a test before the loop proves every iteration's
 * check passes (check_hoist.cpp), before the loop vectoriser.
 */
static int hoist_checks(struct job *j)
{
        if (!j->o.sandbox || j->level < 2 || !check_hoist(j->mod))
                return 0;
        return emit_verify(j->mod, j->progs, "check hoisting made invalid LLVM IR", j->err)
                   ?: emit_after_check_hoist(j->mod, j->tm, j->level, j->err);
}

/* Offsets stepped beside a counter are re-expressed through it, before the loop vectoriser. */
static int rescale_induction(struct job *j)
{
        if (!emit_has_vectorise(j->level) || !indvars_rescale(j->mod))
                return 0;
        return emit_verify(j->mod, j->progs, "induction rescaling made invalid LLVM IR", j->err);
}

/* Sandboxed code counts its loop iterations (sandbox_loops.c), after optimisation. */
static int bound_loops(struct job *j)
{
        bool oom;

        if (!j->o.sandbox)
                return 0;
        if (!sandbox_bound_loops(j->mod, &oom))
                return oom ? bpfaot_error_nomem(j->err) : 0;
        debuginfo_fill_calls(j->debug); /* the budget's calls */
        return emit_promote(j->mod, j->tm, j->err)
                   ?: emit_verify(j->mod, j->progs, "loop counting made invalid LLVM IR", j->err);
}

static int compile_job(struct job *j, const struct bpfaot_compile_opts *opts,
                       struct bpfaot_buf *out)
{
        int ret = OPTS_COPY(bpfaot_compile_opts, j->o, opts, j->err);

        ret = ret ?: read_level(j);
        ret = ret ?: check_programs(j);
        ret = ret ?: make_module(j);
        ret = ret ?: make_debug_info(j);
        ret = ret ?: translate_all(j);
        ret = ret ?: add_object_globals(j);
        ret = ret ?: add_program_table(j);
        ret = ret ?: finish_debug_info(j);
        /* A translator bug, never the user's: emit_verify says so plainly. */
        ret = ret ?: emit_verify(j->mod, j->progs, "generated invalid LLVM IR", j->err);
        ret = ret ?: emit_optimise(j->mod, j->tm, j->level, j->err);
        ret = ret ?: hoist_checks(j);
        ret = ret ?: rescale_induction(j);
        ret = ret ?: emit_vectorise(j->mod, j->tm, j->level, j->err);
        ret = ret ?: recover_switches(j);
        ret = ret ?: bound_loops(j);
        ret = ret ?: emit_output(j->mod, j->tm, j->o.output, out, j->err);
        return ret;
}

static void job_free(struct job *j)
{
        for (size_t i = 0; j->checked && i < j->cnt; i++)
                program_free(&j->checked[i]);
        free(j->checked);
        free(j->defs);
        debuginfo_free(j->debug);
        if (j->mod)
                LLVMDisposeModule(j->mod);
        if (j->ctx)
                LLVMContextDispose(j->ctx);
        if (j->tm)
                LLVMDisposeTargetMachine(j->tm);
}

/* Run the job (its inputs set) and free what it made. */
static int run_job(struct job *j, const struct bpfaot_compile_opts *opts, struct bpfaot_buf *out)
{
        int ret;

        out->data = NULL;
        out->len = 0;
        ret = compile_job(j, opts, out);
        job_free(j);
        return ret;
}

static int compile(const struct bpfaot_prog *progs, const char *const *entries, size_t cnt,
                   bool with_table, const struct bpfaot_compile_opts *opts, struct bpfaot_buf *out,
                   struct bpfaot_error *err)
{
        struct job j = {
            .progs = progs, .entries = entries, .cnt = cnt, .with_table = with_table, .err = err};

        return run_job(&j, opts, out);
}

int bpfaot_compile(const struct bpfaot_prog *prog, const struct bpfaot_compile_opts *opts,
                   struct bpfaot_buf *out, struct bpfaot_error *err)
{
        struct bpfaot_compile_opts o;
        const char *entry;
        int ret;

        out->data = NULL;
        out->len = 0;
        ret = OPTS_COPY(bpfaot_compile_opts, o, opts, err);
        if (ret)
                return ret;
        entry = o.entry_name ? o.entry_name : BPFAOT_DEFAULT_ENTRY;
        /* No table: objects of single programs of one eBPF object link together. */
        return compile(prog, &entry, 1, false, &o, out, err);
}

int compile_object_globals(const struct bpfaot_prog *object, const struct bpfaot_compile_opts *opts,
                           struct bpfaot_buf *out, struct bpfaot_error *err)
{
        struct job j = {.progs = object, .with_table = true, .object = object, .err = err};

        return run_job(&j, opts, out);
}

int bpfaot_compile_progs(const struct bpfaot_prog *progs, const char *const *entries, size_t cnt,
                         const struct bpfaot_compile_opts *opts, struct bpfaot_buf *out,
                         struct bpfaot_error *err)
{
        return compile(progs, entries, cnt, true, opts, out, err);
}
