/* SPDX-License-Identifier: MIT */
/*
 * Running programs for `run` and `plugin`: compiled in memory and loaded with
 * the JIT, the object opened through the runtime's loader (bpfaot/host.h), or
 * interpreted with the runtime's maps; --dump-maps shows the maps after.
 */
#define _GNU_SOURCE /* strndup, asprintf, open_memstream */
#include "host.h"
#include "cli.h"

#include "bpfaot/host.h"
#include "bpfaot/maps.h"
#include "bpfaot/runtime.h"
#include "bpfaot/sandbox.h"

#include <errno.h>
#include <inttypes.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef uint64_t (*entry_fn)(void *ctx, uint64_t ctx_size);

uint64_t host_resolve_symbol(void *ctx, const char *name)
{
        (void)ctx;
        return (uint64_t)(uintptr_t)bpfaot_rt_resolve(name);
}

bpfaot_helper_fn host_helper_lookup(void *ctx, uint32_t id)
{
        const struct bpfaot_rt_helper *h = bpfaot_rt_helper_find(id);
        (void)ctx;
        return h ? h->fn : NULL;
}

/* Records a program sent to a PERF_EVENT_ARRAY, kept for --dump-maps. */
struct perf_log {
        FILE *out;
        char *text;
        size_t len;
};

/* An object opened by the runtime, with a log for each of its PERF_EVENT_ARRAYs. */
struct host_object {
        struct bpfaot_object *obj;
        struct perf_log *perf; /* one per map */
};

static void print_hex(FILE *out, const char *label, const void *p, size_t n);

static void on_perf_event(void *ctx, uint32_t cpu, const void *data, uint32_t size)
{
        struct perf_log *log = ctx;

        if (!log->out)
                return;
        fprintf(log->out, "  cpu %u", cpu);
        print_hex(log->out, "record:", data, size);
        fprintf(log->out, "\n");
}

static void host_object_close(struct host_object *ho)
{
        uint32_t cnt = ho->obj ? bpfaot_object__map_cnt(ho->obj) : 0;

        bpfaot_object__close(ho->obj);
        for (uint32_t i = 0; ho->perf && i < cnt; i++) {
                if (ho->perf[i].out)
                        fclose(ho->perf[i].out);
                free(ho->perf[i].text);
        }
        free(ho->perf);
        memset(ho, 0, sizeof(*ho));
}

/* Create the maps; every PERF_EVENT_ARRAY gets a consumer that logs the records (--dump-maps). */
static int host_object_load(struct host_object *ho, struct bpfaot_error *err)
{
        uint32_t cnt = bpfaot_object__map_cnt(ho->obj);
        int rc = bpfaot_object__load(ho->obj, err);

        if (rc)
                return rc;
        ho->perf = calloc(cnt ? cnt : 1, sizeof(*ho->perf));
        if (!ho->perf)
                return cli_fail_nomem(err);
        for (uint32_t i = 0; i < cnt; i++) {
                struct perf_log *log = &ho->perf[i];

                if (bpfaot_object__map_def(ho->obj, i)->type != BPF_MAP_TYPE_PERF_EVENT_ARRAY)
                        continue;
                log->out = open_memstream(&log->text, &log->len);
                if (!log->out)
                        return cli_fail_nomem(err);
                bpfaot_perf_event_array__set_callback(bpfaot_object__map(ho->obj, i), on_perf_event,
                                                      log);
        }
        return 0;
}

static void print_hex(FILE *out, const char *label, const void *p, size_t n)
{
        const uint8_t *b = p;
        fprintf(out, "  %s", label);
        for (size_t i = 0; i < n; i++)
                fprintf(out, " %02x", b[i]);
}

static int print_record(void *ctx, void *data, size_t size)
{
        print_hex(ctx, "record:", data, size);
        fprintf(ctx, "\n");
        return 0;
}

/* --dump-maps: every map's contents, in hex (queues, stacks and ring buffers are drained). */
static void dump_maps(const struct host_object *ho, FILE *out)
{
        for (uint32_t i = 0; i < bpfaot_object__map_cnt(ho->obj); i++) {
                struct bpfaot_map *m = bpfaot_object__map(ho->obj, i);
                const struct bpfaot_map_def *d = bpfaot_object__map_def(ho->obj, i);
                size_t vsize = bpfaot_map__value_copy_size(m);
                uint8_t *key = calloc(1, d->key_size + 1), *next = calloc(1, d->key_size + 1);
                uint8_t *val = calloc(1, vsize + 1);
                bool first = true;

                fprintf(out, "map %s (%s):\n", d->name, bpfaot_map_type__name(d->type));
                if (!key || !next || !val) {
                        fprintf(out, "  (out of memory)\n");
                } else if (d->type == BPF_MAP_TYPE_RINGBUF) {
                        bpfaot_ringbuf__consume(m, print_record, out);
                } else if (d->type == BPF_MAP_TYPE_PERF_EVENT_ARRAY) {
                        fflush(ho->perf[i].out);
                        fputs(ho->perf[i].text ? ho->perf[i].text : "", out);
                } else if (d->type == BPF_MAP_TYPE_PROG_ARRAY) {
                        for (uint32_t k = 0; k < d->max_entries; k++)
                                if (bpfaot_prog_array__lookup(m, k))
                                        fprintf(out, "  key: %u  program\n", k);
                } else if (d->type == BPF_MAP_TYPE_ARRAY_OF_MAPS ||
                           d->type == BPF_MAP_TYPE_HASH_OF_MAPS) {
                        while (bpfaot_map__get_next_key(m, first ? NULL : key, next) == 0) {
                                struct bpfaot_map *inner;

                                first = false;
                                memcpy(key, next, d->key_size);
                                inner = bpfaot_map__lookup_elem(m, key);
                                if (!inner)
                                        continue;
                                print_hex(out, "key:", key, d->key_size);
                                fprintf(out, "  map: %s\n",
                                        bpfaot_map__def(inner)->name ? bpfaot_map__def(inner)->name
                                                                     : "?");
                        }
                } else if (d->type == BPF_MAP_TYPE_QUEUE || d->type == BPF_MAP_TYPE_STACK) {
                        while (bpfaot_map__pop_elem(m, val) == 0) {
                                print_hex(out, "value:", val, d->value_size);
                                fprintf(out, "\n");
                        }
                } else {
                        while (bpfaot_map__get_next_key(m, first ? NULL : key, next) == 0) {
                                first = false;
                                memcpy(key, next, d->key_size);
                                if (bpfaot_map__lookup_copy(m, key, val))
                                        continue;
                                print_hex(out, "key:", key, d->key_size);
                                print_hex(out, "value:", val, vsize);
                                fprintf(out, "\n");
                        }
                }
                free(key);
                free(next);
                free(val);
        }
}

/* --dump-maps: the text, in a string the caller frees. */
static void dump_to(const struct host_object *ho, char **text)
{
        size_t size;
        FILE *out = open_memstream(text, &size);

        if (out) {
                dump_maps(ho, out);
                fclose(out);
        }
}

static void *jit_lookup(void *ctx, const char *name)
{
        struct bpfaot_error ignored = {0};

        return bpfaot_jit__lookup(ctx, name, &ignored);
}

/* Open the JIT-loaded object through the runtime; prefix NULL: the one its symbols name. */
static int open_object(struct bpfaot_jit *jit, const void *obj, size_t len, const char *input,
                       const char *prefix, struct host_object *ho, struct bpfaot_error *err)
{
        struct bpfaot_object_abi abi;
        int rc = bpfaot_object_read_abi(obj, len, input, &abi, err);

        if (!rc) {
                BPFAOT_OPTS_INIT(bpfaot_object_opts, oopts, .input = input,
                                 .prefix = prefix ? prefix : abi.prefix,
                                 .entries = (const char *const *)abi.entries,
                                 .entry_cnt = abi.entry_cnt);
                rc = bpfaot_object__open(jit_lookup, jit, &oopts, &ho->obj, err);
        }
        bpfaot_object_abi__free(&abi);
        return rc;
}

/* "a, b, c": the names of the object's programs. */
static void list_names(const struct bpfaot_object *obj, char *buf, size_t size)
{
        size_t used = 0;

        buf[0] = '\0';
        for (size_t i = 0; i < bpfaot_object__prog_cnt(obj) && used < size; i++)
                used += (size_t)snprintf(
                    buf + used, size - used, "%s%s", i ? ", " : "",
                    bpfaot_object__prog(obj, i)->name ? bpfaot_object__prog(obj, i)->name : "?");
}

/*
 * The entry to call: --entry's symbol; else the program --program names;
 * else bpf_main; else the object's only program.
 */
static entry_fn pick_entry(struct bpfaot_jit *jit, const struct bpfaot_object *obj,
                           const char *input, const char *entry, const char *program,
                           struct bpfaot_error *err)
{
        size_t cnt = bpfaot_object__prog_cnt(obj);
        const struct bpfaot_prog_def *d;
        char names[512];
        entry_fn fn;

        if (entry) {
                fn = (entry_fn)jit_lookup(jit, entry);
                if (!fn)
                        cli_fail(err, ENOENT, "%s: no entry symbol '%s' in the object", input,
                                 entry);
                return fn;
        }
        list_names(obj, names, sizeof(names));
        if (program) {
                d = bpfaot_object__find_prog(obj, program);
                if (!d)
                        cli_fail(err, ENOENT, "%s: no program '%s' in the object (it has: %s)",
                                 input, program, cnt ? names : "none described");
                return d ? d->fn : NULL;
        }
        fn = (entry_fn)jit_lookup(jit, BPFAOT_DEFAULT_ENTRY);
        if (fn)
                return fn;
        if (cnt == 1)
                return bpfaot_object__prog(obj, 0)->fn;
        if (cnt > 1)
                cli_fail(err, ENOENT,
                         "%s: the object has %zu programs (%s): choose one with --program", input,
                         cnt, names);
        else
                cli_fail(err, ENOENT,
                         "%s: no entry symbol '" BPFAOT_DEFAULT_ENTRY
                         "' in the object (built with --entry? then run with --entry)",
                         input);
        return NULL;
}

/* A sandboxed run that faulted: -EFAULT, and `err` says where and why. */
static int sandbox_fault(const char *input, struct bpfaot_error *err)
{
        struct bpfaot_sandbox_fault f;
        char reason[200];

        if (!bpfaot_sandbox_fault(&f))
                return 0;
        bpfaot_sandbox_fault_str(&f, reason, sizeof(reason));
        if (err) {
                err->code = -EFAULT;
                err->insn = f.insn;
                if (f.insn == BPFAOT_SANDBOX_NO_INSN)
                        snprintf(err->msg, sizeof(err->msg), "%s: %s: %s", input,
                                 f.prog[0] ? f.prog : "?", reason);
                else
                        snprintf(err->msg, sizeof(err->msg), "%s: %s: insn %" PRIu32 ": %s", input,
                                 f.prog[0] ? f.prog : "?", f.insn, reason);
        }
        return -EFAULT;
}

/*
 * A sandboxed program's timer callbacks run on the runtime's threads, each a
 * run of its own (bpfaot_map__timer_faults): the first map whose callbacks
 * faulted makes the run fail as its own fault would, after the fact.
 */
static int timer_fault(const struct host_object *ho, const char *input, struct bpfaot_error *err)
{
        for (uint32_t i = 0; i < bpfaot_object__map_cnt(ho->obj); i++) {
                struct bpfaot_sandbox_fault f;
                char reason[200];
                uint64_t n = bpfaot_map__timer_faults(bpfaot_object__map(ho->obj, i), &f);

                if (!n)
                        continue;
                bpfaot_sandbox_fault_str(&f, reason, sizeof(reason));
                err->code = -EFAULT;
                err->insn = f.insn;
                snprintf(err->msg, sizeof(err->msg),
                         "%s: %s: insn %" PRIu32 ": %s (in a callback of a timer of map %s%s)",
                         input, f.prog[0] ? f.prog : "?", f.insn, reason,
                         bpfaot_object__map_def(ho->obj, i)->name,
                         n > 1 ? ", and others after it" : "");
                return -EFAULT;
        }
        return 0;
}

/* The fault of a sandboxed run of `prog` located as the compiler locates errors. */
static int locate_fault(const struct bpfaot_prog *prog, int rc, struct bpfaot_error *err)
{
        struct bpfaot_sandbox_fault f;
        char reason[200];

        if (rc != -EFAULT || !bpfaot_sandbox_fault(&f) || !prog)
                return rc;
        bpfaot_sandbox_fault_str(&f, reason, sizeof(reason));
        return bpfaot_prog__error(prog, f.insn == BPFAOT_SANDBOX_NO_INSN ? -1 : (long)f.insn,
                                  EFAULT, reason, err);
}

int host_exec_object(const void *obj, size_t len, const char *input, const char *entry,
                     const char *program, const char *prefix, const struct host_exec_opts *o,
                     void *mem, size_t mem_len, uint64_t *ret, struct bpfaot_error *err)
{
        BPFAOT_OPTS_INIT(bpfaot_jit_opts, jopts, .resolve = host_resolve_symbol);
        uint64_t repeat = o->repeat ? o->repeat : 1;
        struct host_object ho = {0};
        struct bpfaot_jit *jit;
        entry_fn fn = NULL;
        int rc = bpfaot_jit__load(obj, len, input, &jopts, &jit, err);

        if (rc)
                return rc;
        rc = open_object(jit, obj, len, input, prefix, &ho, err);
        if (!rc) {
                fn = pick_entry(jit, ho.obj, input, entry, program, err);
                rc = fn ? host_object_load(&ho, err) : -ENOENT;
        }
        if (!rc) {
                for (uint64_t i = 0; i < repeat && !rc; i++) {
                        bpfaot_sandbox_fault_clear();
                        *ret = fn(mem, mem_len);
                        rc = sandbox_fault(input, err);
                }
                rc = rc ?: timer_fault(&ho, input, err);
                if (o->dump_maps)
                        dump_to(&ho, o->dump_maps);
        }
        host_object_close(&ho);
        bpfaot_jit__free(jit);
        return rc;
}

/*
 * The interpreter's maps: the runtime's definitions of the program's maps
 * (bpfaot_prog__map_defs()), created by the runtime into slots of its own.
 */
struct interp_maps {
        struct bpfaot_map_def *defs;
        void **slots;
        struct host_object ho;
};

static void interp_maps_free(struct interp_maps *im)
{
        host_object_close(&im->ho);
        free(im->defs);
        free(im->slots);
}

static int interp_maps_open(const struct bpfaot_prog *prog, struct interp_maps *im,
                            struct bpfaot_error *err)
{
        struct bpfaot_object_tables t = {.map_cnt = (uint32_t)prog->map_cnt};
        int rc = bpfaot_prog__map_defs(prog, &im->defs, err);

        if (rc)
                return rc;
        im->slots = calloc(prog->map_cnt ? prog->map_cnt : 1, sizeof(*im->slots));
        if (!im->slots)
                return cli_fail_nomem(err);
        t.map_defs = im->defs;
        t.maps = im->slots;
        rc = bpfaot_object__open_tables(&t, prog->input, &im->ho.obj, err);
        return rc ? rc : host_object_load(&im->ho, err);
}

/* Map values and ring buffer records the runtime handed out are the program's to access. */
static bool interp_mem_ok(void *ctx, uintptr_t addr, size_t size)
{
        const struct bpfaot_object *obj = ctx;

        for (uint32_t i = 0; i < bpfaot_object__map_cnt(obj); i++)
                if (bpfaot_map__owns(bpfaot_object__map(obj, i), (const void *)addr, size))
                        return true;
        return false;
}

/* Interpret `n` runs; global data and maps keep their state from one run to the next. */
static int interp_repeat(const struct bpfaot_prog *prog, const struct host_exec_opts *o, void *mem,
                         size_t mem_len, uint64_t *ret, struct bpfaot_error *err)
{
        uint8_t **data = calloc(prog->data_cnt ? prog->data_cnt : 1, sizeof(*data));
        int rc = data ? 0 : cli_fail_nomem(err);
        uint64_t n = o->repeat ? o->repeat : 1;
        struct interp_maps im = {0};

        for (size_t d = 0; d < prog->data_cnt && !rc; d++) {
                data[d] = calloc(1, prog->data[d].size ? prog->data[d].size : 1);
                if (!data[d])
                        rc = cli_fail_nomem(err);
                else if (prog->data[d].bytes)
                        memcpy(data[d], prog->data[d].bytes, prog->data[d].size);
        }
        if (!rc)
                rc = interp_maps_open(prog, &im, err);
        if (!rc) {
                BPFAOT_OPTS_INIT(bpfaot_interp_opts, iopts, .helper = host_helper_lookup,
                                 .data = data, .maps = im.slots, .max_steps = o->max_steps,
                                 .cpu_enter = bpfaot_rt_cpu_enter, .cpu_exit = bpfaot_rt_cpu_exit,
                                 .mem_ok = interp_mem_ok, .mem_ok_ctx = im.ho.obj);
                /* Helpers' reads of pointers in the program's data stay in its memory. */
                bpfaot_sandbox_set_readable(bpfaot_interp_readable, NULL);
                for (uint64_t i = 0; i < n && !rc; i++)
                        rc = bpfaot_interp_run(prog, mem, mem_len, &iopts, ret, err);
                bpfaot_sandbox_set_readable(NULL, NULL);
        }
        if (!rc && o->dump_maps)
                dump_to(&im.ho, o->dump_maps);
        interp_maps_free(&im);
        for (size_t d = 0; data && d < prog->data_cnt; d++)
                free(data[d]);
        free(data);
        return rc;
}

/* run and plugin compile under the default time limit (cli.h) too. */
struct overdue_compile {
        const char *input, *program; /* program may be NULL */
};

static void report_overdue(void *arg, unsigned seconds)
{
        const struct overdue_compile *c = arg;

        cli_error("%s%s%s: compiling did not finish within %u s (LLVM's optimiser can loop on rare "
                  "inputs): try a lower -O, or --interp",
                  c->input, c->program ? ": " : "", c->program ? c->program : "", seconds);
}

int host_exec_prog(const struct bpfaot_prog *prog, const struct host_exec_opts *o, void *mem,
                   size_t mem_len, uint64_t *ret, struct bpfaot_error *err)
{
        BPFAOT_OPTS_INIT(bpfaot_compile_opts, copts, .optimize = BPFAOT_O(o->opt_level),
                         .cpu = o->cpu, .sandbox = o->sandbox, .sandbox_max_loops = o->max_loops);
        struct overdue_compile overdue = {.input = prog->input, .program = prog->name};
        struct bpfaot_buf obj = {0};
        struct cli_deadline deadline;
        int rc;

        if (o->interp)
                return interp_repeat(prog, o, mem, mem_len, ret, err);
        if (cli_deadline_start(&deadline, cli_default_time_limit(prog->insn_cnt), report_overdue,
                               &overdue))
                return cli_fail(err, EAGAIN, "cannot start the compile time limit's thread");
        rc = bpfaot_compile(prog, &copts, &obj, err);
        cli_deadline_stop(&deadline);
        if (!rc)
                rc = locate_fault(prog,
                                  host_exec_object(obj.data, obj.len, prog->input, NULL, NULL,
                                                   prog->symbol_prefix, o, mem, mem_len, ret, err),
                                  err);
        bpfaot_buf_free(&obj);
        return rc;
}

int host_exec_elf(const struct bpfaot_elf *elf, const char *program, const struct host_exec_opts *o,
                  void *mem, size_t mem_len, uint64_t *ret, struct bpfaot_error *err)
{
        BPFAOT_OPTS_INIT(bpfaot_compile_opts, copts, .optimize = BPFAOT_O(o->opt_level),
                         .cpu = o->cpu, .sandbox = o->sandbox, .sandbox_max_loops = o->max_loops);
        char *entry = bpfaot_elf__entry_name(elf, program);
        struct overdue_compile overdue = {.input = elf->input};
        struct bpfaot_buf obj = {0};
        struct cli_deadline deadline;
        size_t insns = 0;
        int rc = entry ? 0 : cli_fail_nomem(err);

        for (size_t i = 0; i < elf->prog_cnt; i++) {
                struct bpfaot_prog p;

                bpfaot_elf__prog(elf, i, &p);
                insns += p.insn_cnt;
        }
        if (!rc &&
            cli_deadline_start(&deadline, cli_default_time_limit(insns), report_overdue, &overdue))
                rc = cli_fail(err, EAGAIN, "cannot start the compile time limit's thread");
        else if (!rc) {
                rc = bpfaot_compile_elf(elf, NULL, 0, &copts, &obj, err);
                cli_deadline_stop(&deadline);
        }
        rc = rc
                 ?: host_exec_object(obj.data, obj.len, elf->input, entry, NULL, elf->symbol_prefix,
                                     o, mem, mem_len, ret, err);
        if (rc == -EFAULT && o->sandbox) {
                struct bpfaot_sandbox_fault f;

                /* The fault names the program it happened in: a tail call's target, maybe. */
                for (size_t i = 0; i < elf->prog_cnt && bpfaot_sandbox_fault(&f); i++) {
                        struct bpfaot_prog p;

                        bpfaot_elf__prog(elf, i, &p);
                        if (p.name && strcmp(p.name, f.prog) == 0) {
                                rc = locate_fault(&p, rc, err);
                                break;
                        }
                }
        }
        free(entry);
        bpfaot_buf_free(&obj);
        return rc;
}
