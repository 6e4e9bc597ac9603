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
#include "objmerge.h"
#include "objabi.h"
#include "program.h"
#include "sandbox_loops.h"
#include "check_hoist.h"
#include "indvars.h"
#include "split.h"
#include "switches.h"
#include "translate.h"

#include <llvm-c/BitReader.h>
#include <llvm-c/BitWriter.h>
#include <llvm-c/Linker.h>
#include <pthread.h>
#include <stdatomic.h>
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
        char *triple;            /* the target machine's */
        struct split split;      /* the module's parts, when it is cut (split.cpp) */
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
        j->triple = LLVMGetTargetMachineTriple(j->tm);
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

/*
 * What the passes after translation work on: the whole module, or one part
 * of it (split.cpp) in an LLVMContext and on a thread of its own.
 */
struct unit {
        const struct job *j;
        LLVMModuleRef mod;
        LLVMTargetMachineRef tm;
        struct bpfaot_error *err;
};

/* Switches clang lowered to compare trees become LLVM switches again (-O2 and up). */
static int recover_switches(struct unit *u)
{
        if (u->j->level < 2 || !switches_recover(u->mod))
                return 0;
        return emit_verify(u->mod, u->j->progs, "switch recovery made invalid LLVM IR", u->err);
}

/*
 * Loops whose sandbox range checks follow an induction variable get a copy
 * without them, run when a test before the loop proves every iteration's
 * check passes (check_hoist.cpp), before the loop vectoriser.
 */
static int hoist_checks(struct unit *u)
{
        if (!u->j->o.sandbox || u->j->level < 2 || !check_hoist(u->mod))
                return 0;
        return emit_verify(u->mod, u->j->progs, "check hoisting made invalid LLVM IR", u->err)
                   ?: emit_after_check_hoist(u->mod, u->tm, u->j->level, u->err);
}

/* Offsets stepped beside a counter are re-expressed through it, before the loop vectoriser. */
static int rescale_induction(struct unit *u)
{
        if (!emit_has_vectorise(u->j->level) || !indvars_rescale(u->mod))
                return 0;
        return emit_verify(u->mod, u->j->progs, "induction rescaling made invalid LLVM IR", u->err);
}

/* Sandboxed code counts its loop iterations (sandbox_loops.c), after optimisation. */
static int bound_loops(struct unit *u)
{
        bool oom;

        if (!u->j->o.sandbox)
                return 0;
        if (!sandbox_bound_loops(u->mod, &oom))
                return oom ? bpfaot_error_nomem(u->err) : 0;
        if (u->j->o.debug_info)
                debuginfo_fill_calls(u->mod); /* the budget's calls */
        return emit_promote(u->mod, u->tm, u->err)
                   ?: emit_verify(u->mod, u->j->progs, "loop counting made invalid LLVM IR",
                                  u->err);
}

/* Optimisation and the passes around it, on a translated module or part. */
static int optimise(struct unit *u)
{
        int level = u->j->level;
        int ret = emit_optimise(u->mod, u->tm, level, u->err);

        ret = ret ?: hoist_checks(u);
        ret = ret ?: rescale_induction(u);
        ret = ret ?: emit_vectorise(u->mod, u->tm, level, u->err);
        ret = ret ?: recover_switches(u);
        ret = ret ?: bound_loops(u);
        return ret;
}

/*
 * A long program's module is cut into parts, each optimised and
 * code-generated on its own (split.cpp), on up to `threads` threads. The
 * parts depend on the module alone, so the code is the same whatever the
 * thread count. Objects of ELF targets are joined (objmerge.c); IR,
 * assembly and other targets link the optimised parts back into one module.
 */
#define MAX_PARTS 16

struct part {
        const struct job *j;
        size_t index;
        bool object; /* code-generate it; else write it back as bitcode */
        struct bpfaot_buf out;
        struct bpfaot_error err;
        int ret;
};

struct part_queue {
        struct part *parts;
        const size_t *order; /* largest first, so that threads finish together */
        size_t cnt;
        atomic_size_t next;
};

static int part_bitcode(LLVMModuleRef mod, struct bpfaot_buf *out, struct bpfaot_error *err)
{
        LLVMMemoryBufferRef mb = LLVMWriteBitcodeToMemoryBuffer(mod);

        return mb ? emit_take_buffer(mb, out, err) : bpfaot_error_nomem(err);
}

static void compile_part(struct part *p)
{
        LLVMContextRef ctx = LLVMContextCreate();
        struct unit u = {.j = p->j, .err = &p->err};
        int ret;

        if (split_load_part(&p->j->split, p->index, ctx, &u.mod))
                ret = bpfaot_error_set(&p->err, EINVAL, "internal error: a part's bitcode");
        else
                ret = emit_target_machine(&p->j->o, p->j->level, &u.tm, &p->err);
        ret = ret ?: optimise(&u);
        if (!ret && p->object)
                ret = emit_output(u.mod, u.tm, p->j->o.targets, BPFAOT_OUTPUT_OBJECT, &p->out,
                                  &p->err);
        else if (!ret)
                ret = part_bitcode(u.mod, &p->out, &p->err);
        if (u.mod)
                LLVMDisposeModule(u.mod);
        emit_put_target_machine(&p->j->o, u.tm);
        LLVMContextDispose(ctx);
        p->ret = ret;
}

static void *part_worker(void *arg)
{
        struct part_queue *q = arg;

        for (size_t i; (i = atomic_fetch_add(&q->next, 1)) < q->cnt;)
                compile_part(&q->parts[q->order[i]]);
        return NULL;
}

/* Compile every part, on the calling thread and up to threads - 1 more; the first error wins. */
static int compile_parts(struct job *j, struct part *parts, size_t cnt, bool object)
{
        size_t *order = calloc(cnt, sizeof(*order));
        unsigned threads = j->o.threads ? j->o.threads : 1, started = 0;
        pthread_t *tids = calloc(threads, sizeof(*tids));
        struct part_queue q = {.parts = parts, .order = order, .cnt = cnt};

        if (!order || !tids) {
                free(order);
                free(tids);
                return bpfaot_error_nomem(j->err);
        }
        for (size_t i = 0; i < cnt; i++) {
                bpfaot_buf_free(&parts[i].out);
                parts[i] = (struct part){.j = j, .index = i, .object = object};
                order[i] = i;
        }
        for (size_t i = 1; i < cnt; i++) /* insertion sort, largest first; ties: part order */
                for (size_t k = i; k && j->split.insns[order[k]] > j->split.insns[order[k - 1]];
                     k--) {
                        size_t t = order[k];
                        order[k] = order[k - 1];
                        order[k - 1] = t;
                }
        atomic_init(&q.next, 0);
        while (started + 1 < threads && started + 1 < cnt &&
               pthread_create(&tids[started], NULL, part_worker, &q) == 0)
                started++;
        part_worker(&q);
        for (unsigned i = 0; i < started; i++)
                pthread_join(tids[i], NULL);
        free(tids);
        free(order);
        for (size_t i = 0; i < cnt; i++)
                if (parts[i].ret) {
                        *j->err = parts[i].err;
                        return parts[i].ret;
                }
        return 0;
}

/* The optimised parts, linked back into one module that replaces the job's. */
static int link_parts(struct job *j, struct part *parts, size_t cnt)
{
        LLVMModuleRef whole = NULL;

        for (size_t i = 0; i < cnt; i++) {
                LLVMMemoryBufferRef mb = LLVMCreateMemoryBufferWithMemoryRange(
                    (const char *)parts[i].out.data, parts[i].out.len, "part", false);
                LLVMModuleRef m = NULL;
                bool bad = !mb || LLVMParseBitcodeInContext2(j->ctx, mb, &m);

                if (mb)
                        LLVMDisposeMemoryBuffer(mb);
                if (!bad && whole)
                        bad = LLVMLinkModules2(whole, m); /* takes m */
                else if (!bad)
                        whole = m;
                if (bad) {
                        if (whole)
                                LLVMDisposeModule(whole);
                        return bpfaot_error_set(
                            j->err, EINVAL, "internal error: the parts of a module do not link");
                }
        }
        LLVMDisposeModule(j->mod);
        j->mod = whole;
        split_restore_locals(j->mod, &j->split);
        return emit_verify(j->mod, j->progs, "linking the parts made invalid LLVM IR", j->err);
}

static int join_objects(struct job *j, struct part *parts, size_t cnt, struct bpfaot_buf *out)
{
        struct objmerge_input *in = calloc(cnt, sizeof(*in));
        const char **names = calloc(j->split.local_cnt + 1, sizeof(*names));
        char why[160] = "";
        int ret;

        if (!in || !names) {
                free(in);
                free(names);
                return bpfaot_error_nomem(j->err);
        }
        for (size_t i = 0; i < cnt; i++)
                in[i] = (struct objmerge_input){parts[i].out.data, parts[i].out.len};
        for (size_t i = 0; i < j->split.local_cnt; i++)
                names[i] = j->split.locals[i].name;
        ret = objmerge(in, cnt, names, j->split.local_cnt, out, why, sizeof(why));
        free(in);
        free(names);
        if (ret == -ENOMEM)
                return bpfaot_error_nomem(j->err);
        if (ret && ret != -ENOTSUP)
                return bpfaot_error_set(j->err, -ret, "internal error: joining objects: %s", why);
        return ret;
}

static int compile_split(struct job *j, struct bpfaot_buf *out)
{
        size_t cnt = j->split.cnt;
        struct part *parts = calloc(cnt, sizeof(*parts));
        bool object = j->o.output == BPFAOT_OUTPUT_OBJECT && split_target_is_elf(j->triple);
        int ret;

        if (!parts)
                return bpfaot_error_nomem(j->err);
        ret = compile_parts(j, parts, cnt, object);
        if (!ret && object) {
                ret = join_objects(j, parts, cnt, out);
                /* Objects the join does not know: compile the parts again, to link them. */
                if (ret == -ENOTSUP) {
                        object = false;
                        ret = compile_parts(j, parts, cnt, object);
                }
        }
        if (!ret && !object)
                ret = link_parts(j, parts, cnt)
                          ?: emit_output(j->mod, j->tm, j->o.targets, j->o.output, out, j->err);
        for (size_t i = 0; i < cnt; i++)
                bpfaot_buf_free(&parts[i].out);
        free(parts);
        return ret;
}

/*
 * Cut a long program's module into parts (split.cpp), unless the job is
 * small, or unoptimised: -O0's code generation costs less than a part's
 * trip through bitcode (a 65,536-instruction program: 0.42 s whole, 0.66 s
 * in parts on one thread, 0.44 s on two).
 */
static int split_job(struct job *j)
{
        size_t part_insns = j->o.part_insns ? j->o.part_insns : BPFAOT_DEFAULT_PART_INSNS;

        if (!j->level)
                return 0;
        /*
         * The module stays until the job ends, though the parts load from
         * the split's bitcode: freed now, its memory fragmented the heap the
         * parts allocate from, and a 1,000,000-instruction program took 127 s
         * to compile in parts on one thread instead of 89 s.
         */
        return split_module(j->mod, part_insns, MAX_PARTS, &j->split) ? bpfaot_error_nomem(j->err)
                                                                      : 0;
}

/* Optimise and generate code, for the whole module or its parts. */
static int generate(struct job *j, struct bpfaot_buf *out)
{
        struct unit whole = {.j = j, .mod = j->mod, .tm = j->tm, .err = j->err};

        if (j->split.cnt)
                return compile_split(j, out);
        return optimise(&whole)
                   ?: emit_output(j->mod, j->tm, j->o.targets, j->o.output, out, j->err);
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
        ret = ret ?: split_job(j);
        ret = ret ?: generate(j, out);
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
        emit_put_target_machine(&j->o, j->tm);
        split_free(&j->split);
        if (j->triple)
                LLVMDisposeMessage(j->triple);
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
