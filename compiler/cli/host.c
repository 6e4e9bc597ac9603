/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE /* strndup, asprintf, open_memstream */
#include "host.h"

#include "bpfaot/maps.h"
#include "bpfaot/runtime.h"

#include <errno.h>
#include <linux/bpf.h>
#include <stdio.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

typedef uint64_t (*entry_fn)(void *ctx, uint64_t ctx_size);

/* The compiler and the runtime agree on where inlined lookups find an array's values. */
_Static_assert(__builtin_offsetof(struct bpfaot_map_inline, values) ==
                   BPFAOT_MAP_INLINE_VALUES_OFFSET,
               "bpfaot.h and bpfaot/maps.h disagree on struct bpfaot_map_inline");

uint64_t host_resolve_symbol(void *ctx, const char *name)
{
        static const struct {
                const char *name;
                void *addr;
        } libc[] = {
            {"memset", (void *)memset},
            {"memcpy", (void *)memcpy},
            {"memmove", (void *)memmove},
            {"memcmp", (void *)memcmp},
        };
        const struct bpfaot_rt_helper *h;
        uint32_t id;

        (void)ctx;
        if (bpfaot_rt_parse_helper_symbol(name, &id) == 0) {
                h = bpfaot_rt_helper_find(id);
                return h ? (uint64_t)(uintptr_t)h->fn : 0;
        }
        if (strcmp(name, BPFAOT_CALLX_SYMBOL) == 0)
                return (uint64_t)(uintptr_t)bpfaot_rt_callx;
        if (strcmp(name, BPFAOT_TAIL_CALL_SYMBOL) == 0)
                return (uint64_t)(uintptr_t)bpfaot_rt_tail_call;
        if (strcmp(name, BPFAOT_CPU_ENTER_SYMBOL) == 0)
                return (uint64_t)(uintptr_t)bpfaot_rt_cpu_enter;
        if (strcmp(name, BPFAOT_CPU_EXIT_SYMBOL) == 0)
                return (uint64_t)(uintptr_t)bpfaot_rt_cpu_exit;
        for (size_t i = 0; i < sizeof(libc) / sizeof(libc[0]); i++)
                if (strcmp(name, libc[i].name) == 0)
                        return (uint64_t)(uintptr_t)libc[i].addr;
        return 0;
}

bpfaot_helper_fn host_helper_lookup(void *ctx, uint32_t id)
{
        const struct bpfaot_rt_helper *h = bpfaot_rt_helper_find(id);
        (void)ctx;
        return h ? h->fn : NULL;
}

/* The object's maps, created by the host into the slots the compiled code reads. */
struct host_maps {
        const struct bpfaot_map_def *defs;
        uint64_t *slots;
        uint32_t cnt;
        struct perf_log *perf; /* one per map; used by PERF_EVENT_ARRAYs */
};

/* Records a program sent to a PERF_EVENT_ARRAY, kept for --dump-maps. */
struct perf_log {
        FILE *out;
        char *text;
        size_t len;
};

static int find_prefix(void *ctx, const char *name)
{
        static const char suffix[] = "__map_defs";
        char **prefix = ctx;
        size_t n = strlen(name), sl = sizeof(suffix) - 1;

        if (!*prefix && n > sl && strcmp(name + n - sl, suffix) == 0)
                *prefix = strndup(name, n - sl);
        return 0;
}

static void *lookup_opt(struct bpfaot_jit *jit, const char *prefix, const char *what)
{
        struct bpfaot_error ignored = {0};
        char name[512];

        snprintf(name, sizeof(name), "%s%s", prefix, what);
        return bpfaot_jit__lookup(jit, name, &ignored);
}

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

static void free_maps(struct host_maps *hm)
{
        bpfaot_maps__free_all((void **)hm->slots, hm->cnt);
        for (uint32_t i = 0; hm->perf && i < hm->cnt; i++) {
                if (hm->perf[i].out)
                        fclose(hm->perf[i].out);
                free(hm->perf[i].text);
        }
        free(hm->perf);
        hm->perf = NULL;
}

/* Every PERF_EVENT_ARRAY gets a consumer that logs the records (shown by --dump-maps). */
static int consume_perf_events(struct host_maps *hm, struct bpfaot_error *err)
{
        hm->perf = calloc(hm->cnt ? hm->cnt : 1, sizeof(*hm->perf));
        if (!hm->perf)
                return bpfaot_error_set(err, ENOMEM, "out of memory");
        for (uint32_t i = 0; i < hm->cnt; i++) {
                struct perf_log *log = &hm->perf[i];

                if (hm->defs[i].type != BPF_MAP_TYPE_PERF_EVENT_ARRAY)
                        continue;
                log->out = open_memstream(&log->text, &log->len);
                if (!log->out)
                        return bpfaot_error_set(err, ENOMEM, "out of memory");
                bpfaot_perf_event_array__set_callback((struct bpfaot_map *)(uintptr_t)hm->slots[i],
                                                      on_perf_event, log);
        }
        return 0;
}

/* Create maps from `defs` into `slots`; a failure names the map and says why. */
static int create_maps(const struct bpfaot_map_def *defs, uint32_t cnt, uint64_t *slots,
                       const char *input, struct host_maps *hm, struct bpfaot_error *err)
{
        uint32_t failed = 0;
        int rc = bpfaot_maps__create_all(defs, cnt, (void **)slots, &failed);

        if (rc == -ENOTSUP)
                return bpfaot_error_set(
                    err, ENOTSUP, "%s: map '%s': type %s is not supported by the runtime", input,
                    defs[failed].name, bpfaot_map_type__name(defs[failed].type));
        if (rc) {
                const struct bpfaot_map_def *d = &defs[failed];
                return bpfaot_error_set(err, -rc,
                                        "%s: map '%s': cannot create it (%s): key %u, value %u, "
                                        "max_entries %u, flags 0x%x",
                                        input, d->name, strerror(-rc), d->key_size, d->value_size,
                                        d->max_entries, d->map_flags);
        }
        hm->defs = defs;
        hm->slots = slots;
        hm->cnt = cnt;
        return consume_perf_events(hm, err);
}

static int open_maps(struct bpfaot_jit *jit, const char *prefix, const char *input,
                     struct host_maps *hm, struct bpfaot_error *err)
{
        const uint32_t *cnt = prefix ? lookup_opt(jit, prefix, "__map_cnt") : NULL;
        const struct bpfaot_map_def *defs;
        uint64_t *slots;

        memset(hm, 0, sizeof(*hm));
        if (!cnt)
                return 0; /* no maps */
        defs = lookup_opt(jit, prefix, "__map_defs");
        slots = lookup_opt(jit, prefix, "__maps");
        if (!defs || !slots)
                return bpfaot_error_set(err, EINVAL, "%s: incomplete map table for '%s'", input,
                                        prefix);
        return create_maps(defs, *cnt, slots, input, hm, err);
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
static void dump_maps(const struct host_maps *hm, FILE *out)
{
        for (uint32_t i = 0; i < hm->cnt; i++) {
                struct bpfaot_map *m = (struct bpfaot_map *)(uintptr_t)hm->slots[i];
                const struct bpfaot_map_def *d = &hm->defs[i];
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
                        fflush(hm->perf[i].out);
                        fputs(hm->perf[i].text ? hm->perf[i].text : "", out);
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
static void dump_to(const struct host_maps *hm, char **text)
{
        size_t size;
        FILE *out = open_memstream(text, &size);

        if (out) {
                dump_maps(hm, out);
                fclose(out);
        }
}

/* The programs an object describes (<entry>__prog descriptors), for picking one by name. */
struct prog_list {
        struct bpfaot_jit *jit;
        const struct bpfaot_prog_def *defs[64];
        size_t cnt, total;
};

static int collect_prog(void *ctx, const char *name)
{
        static const char suffix[] = "__prog";
        struct prog_list *l = ctx;
        size_t n = strlen(name), sl = sizeof(suffix) - 1;
        struct bpfaot_error ignored = {0};
        const struct bpfaot_prog_def *d;

        if (n <= sl || strcmp(name + n - sl, suffix) != 0)
                return 0;
        d = bpfaot_jit__lookup(l->jit, name, &ignored);
        if (d && l->cnt < sizeof(l->defs) / sizeof(l->defs[0]))
                l->defs[l->cnt++] = d;
        l->total += d != NULL;
        return 0;
}

static void list_names(const struct prog_list *l, char *buf, size_t size)
{
        size_t used = 0;

        buf[0] = '\0';
        for (size_t i = 0; i < l->cnt && used < size; i++)
                used += (size_t)snprintf(buf + used, size - used, "%s%s", i ? ", " : "",
                                         l->defs[i]->name);
        if (l->total > l->cnt && used < size)
                snprintf(buf + used, size - used, ", ...");
}

/*
 * The entry to call: --entry's symbol; else the program --program names;
 * else bpf_main; else the object's only program.
 */
static entry_fn pick_entry(struct bpfaot_jit *jit, const void *obj, size_t len, const char *input,
                           const char *entry, const char *program, struct bpfaot_error *err)
{
        struct prog_list l = {.jit = jit};
        struct bpfaot_error ignored = {0};
        char names[512];
        entry_fn fn;

        if (entry)
                return (entry_fn)bpfaot_jit__lookup(jit, entry, err);
        if (bpfaot_object_defined_symbols(obj, len, input, collect_prog, &l, err))
                return NULL;
        list_names(&l, names, sizeof(names));
        if (program) {
                for (size_t i = 0; i < l.cnt; i++)
                        if (l.defs[i]->name && strcmp(l.defs[i]->name, program) == 0)
                                return l.defs[i]->fn;
                bpfaot_error_set(err, ENOENT, "%s: no program '%s' in the object (it has: %s)",
                                 input, program, l.cnt ? names : "none described");
                return NULL;
        }
        fn = (entry_fn)bpfaot_jit__lookup(jit, "bpf_main", &ignored);
        if (fn)
                return fn;
        if (l.total == 1)
                return l.defs[0]->fn;
        if (l.total > 1)
                bpfaot_error_set(err, ENOENT,
                                 "%s: the object has %zu programs (%s): choose one with --program",
                                 input, l.total, names);
        else
                bpfaot_error_set(err, ENOENT,
                                 "%s: no entry symbol 'bpf_main' in the object (built with "
                                 "--entry? then run with --entry)",
                                 input);
        return NULL;
}

int host_exec_object(const void *obj, size_t len, const char *input, const char *entry,
                     const char *program, const char *prefix, const struct host_exec_opts *o,
                     void *mem, size_t mem_len, uint64_t *ret, struct bpfaot_error *err)
{
        BPFAOT_OPTS_INIT(bpfaot_jit_opts, jopts, .resolve = host_resolve_symbol);
        uint64_t repeat = o->repeat ? o->repeat : 1;
        struct host_maps hm;
        struct bpfaot_jit *jit;
        char *found = NULL;
        entry_fn fn;
        int rc = bpfaot_jit__load(obj, len, input, &jopts, &jit, err);

        if (rc)
                return rc;
        fn = pick_entry(jit, obj, len, input, entry, program, err);
        if (!fn) {
                bpfaot_jit__free(jit);
                if (entry)
                        return bpfaot_error_set(
                            err, ENOENT, "%s: no entry symbol '%s' in the object", input, entry);
                return -ENOENT;
        }
        if (!prefix) {
                rc = bpfaot_object_defined_symbols(obj, len, input, find_prefix, &found, err);
                prefix = found;
        }
        if (!rc)
                rc = open_maps(jit, prefix, input, &hm, err);
        if (!rc) {
                for (uint64_t i = 0; i < repeat; i++)
                        *ret = fn(mem, mem_len);
                if (o->dump_maps)
                        dump_to(&hm, o->dump_maps);
                free_maps(&hm);
        }
        free(found);
        bpfaot_jit__free(jit);
        return rc;
}

/*
 * The interpreter's maps: definitions made from the program's map
 * descriptions as the compiler makes <obj>__map_defs (without PROG_ARRAY
 * contents, which name native functions), created by the runtime.
 */
struct interp_maps {
        struct bpfaot_map_def *defs;
        struct bpfaot_map_def *inner; /* templates of maps of maps */
        uint32_t **inits;             /* their initial contents */
        uint64_t *slots;
        struct host_maps hm;
};

static void def_of(struct bpfaot_map_def *d, const struct bpfaot_map_desc *m)
{
        d->name = m->name;
        d->type = m->type;
        d->key_size = m->key_size;
        d->value_size = m->value_size;
        d->max_entries = m->max_entries;
        d->map_flags = m->map_flags;
}

static void interp_maps_free(struct interp_maps *im, size_t cnt)
{
        free_maps(&im->hm);
        for (size_t i = 0; im->inits && i < cnt; i++)
                free(im->inits[i]);
        free(im->inits);
        free(im->defs);
        free(im->inner);
        free(im->slots);
}

static int interp_maps_open(const struct bpfaot_prog *prog, struct interp_maps *im,
                            struct bpfaot_error *err)
{
        size_t n = prog->map_cnt;

        memset(im, 0, sizeof(*im));
        if (!n)
                return 0;
        im->defs = calloc(n, sizeof(*im->defs));
        im->inner = calloc(n, sizeof(*im->inner));
        im->inits = calloc(n, sizeof(*im->inits));
        im->slots = calloc(n, sizeof(*im->slots));
        if (!im->defs || !im->inner || !im->inits || !im->slots)
                return bpfaot_error_set(err, ENOMEM, "out of memory");
        for (size_t i = 0; i < n; i++) {
                const struct bpfaot_map_desc *m = &prog->maps[i];
                size_t slots = m->init_cnt ? m->inits[m->init_cnt - 1].slot + 1 : 0;

                def_of(&im->defs[i], m);
                if (m->inner) {
                        def_of(&im->inner[i], m->inner);
                        im->defs[i].inner = &im->inner[i];
                }
                if (!slots || m->type == BPF_MAP_TYPE_PROG_ARRAY)
                        continue;
                im->inits[i] = calloc(slots, sizeof(uint32_t));
                if (!im->inits[i])
                        return bpfaot_error_set(err, ENOMEM, "out of memory");
                for (size_t k = 0; k < m->init_cnt; k++)
                        im->inits[i][m->inits[k].slot] = m->inits[k].map + 1;
                im->defs[i].init_value = im->inits[i];
                im->defs[i].init_size = slots * sizeof(uint32_t);
        }
        return create_maps(im->defs, (uint32_t)n, im->slots, prog->input, &im->hm, err);
}

/* Map values and ring buffer records the runtime handed out are the program's to access. */
static bool interp_mem_ok(void *ctx, uintptr_t addr, size_t size)
{
        const struct host_maps *hm = ctx;

        for (uint32_t i = 0; i < hm->cnt; i++)
                if (bpfaot_map__owns((struct bpfaot_map *)(uintptr_t)hm->slots[i],
                                     (const void *)addr, size))
                        return true;
        return false;
}

/* Interpret `n` runs; global data and maps keep their state from one run to the next. */
static int interp_repeat(const struct bpfaot_prog *prog, const struct host_exec_opts *o, void *mem,
                         size_t mem_len, uint64_t *ret, struct bpfaot_error *err)
{
        uint8_t **data = calloc(prog->data_cnt ? prog->data_cnt : 1, sizeof(*data));
        int rc = data ? 0 : bpfaot_error_set(err, ENOMEM, "out of memory");
        uint64_t n = o->repeat ? o->repeat : 1;
        struct interp_maps im = {0};

        for (size_t d = 0; d < prog->data_cnt && !rc; d++) {
                data[d] = calloc(1, prog->data[d].size ? prog->data[d].size : 1);
                if (!data[d])
                        rc = bpfaot_error_set(err, ENOMEM, "out of memory");
                else if (prog->data[d].bytes)
                        memcpy(data[d], prog->data[d].bytes, prog->data[d].size);
        }
        if (!rc)
                rc = interp_maps_open(prog, &im, err);
        if (!rc) {
                BPFAOT_OPTS_INIT(bpfaot_interp_opts, iopts, .helper = host_helper_lookup,
                                 .data = data, .maps = (void *const *)im.slots,
                                 .max_steps = o->max_steps, .cpu_enter = bpfaot_rt_cpu_enter,
                                 .cpu_exit = bpfaot_rt_cpu_exit, .mem_ok = interp_mem_ok,
                                 .mem_ok_ctx = &im.hm);
                for (uint64_t i = 0; i < n && !rc; i++)
                        rc = bpfaot_interp_run(prog, mem, mem_len, &iopts, ret, err);
        }
        if (!rc && o->dump_maps)
                dump_to(&im.hm, o->dump_maps);
        interp_maps_free(&im, prog->map_cnt);
        for (size_t d = 0; data && d < prog->data_cnt; d++)
                free(data[d]);
        free(data);
        return rc;
}

int host_exec_prog(const struct bpfaot_prog *progs, size_t cnt, size_t sel,
                   const struct host_exec_opts *o, void *mem, size_t mem_len, uint64_t *ret,
                   struct bpfaot_error *err)
{
        BPFAOT_OPTS_INIT(bpfaot_compile_opts, copts, .opt_level = o->opt_level, .cpu = o->cpu);
        const struct bpfaot_prog *prog = &progs[sel];
        struct bpfaot_buf obj = {0};
        char **entries;
        int rc = 0;

        if (o->interp) {
                /* Unknown helpers are reported before anything runs, as for compiled code. */
                for (size_t i = 0; i < prog->insn_cnt; i++) {
                        const struct bpfaot_insn *in = &prog->insns[i];
                        if (in->opcode == (BPFAOT_CLASS_JMP | BPFAOT_JMP_CALL) &&
                            in->src == BPFAOT_CALL_HELPER &&
                            !host_helper_lookup(NULL, (uint32_t)in->imm))
                                return bpfaot_error_at(err, prog, (long)i, ENOENT,
                                                       "unknown helper id %u", (unsigned)in->imm);
                }
                return interp_repeat(prog, o, mem, mem_len, ret, err);
        }
        if (cnt == 1) {
                rc = bpfaot_compile(prog, &copts, &obj, err);
                if (!rc)
                        rc = host_exec_object(obj.data, obj.len, prog->input, NULL, NULL,
                                              prog->symbol_prefix, o, mem, mem_len, ret, err);
                bpfaot_buf_free(&obj);
                return rc;
        }
        /* Several programs: one module with the skeleton's entry names, as tail calls need. */
        entries = calloc(cnt, sizeof(*entries));
        for (size_t i = 0; entries && i < cnt && !rc; i++)
                if (asprintf(&entries[i], "%s__%s", prog->symbol_prefix, progs[i].name) < 0) {
                        entries[i] = NULL;
                        rc = -1;
                }
        if (!entries || rc)
                rc = bpfaot_error_set(err, ENOMEM, "out of memory");
        if (!rc)
                rc = bpfaot_compile_progs(progs, (const char *const *)entries, cnt, &copts, &obj,
                                          err);
        if (!rc)
                rc = host_exec_object(obj.data, obj.len, prog->input, entries[sel], NULL,
                                      prog->symbol_prefix, o, mem, mem_len, ret, err);
        for (size_t i = 0; entries && i < cnt; i++)
                free(entries[i]);
        free(entries);
        bpfaot_buf_free(&obj);
        return rc;
}
