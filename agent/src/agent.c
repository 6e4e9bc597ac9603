/* SPDX-License-Identifier: MIT */
/*
 * The agent (bpfaot/agent.h): programs of a segment made ready to run once
 * each (native code from `bpf-aot load`, else compiled here), their map
 * loads resolved to the segment's maps.
 *
 * Compiled programs name a map by its id in the segment, through
 * __lddw_helper_map_by_fd(id) (bpfaot/objabi.h); the agent resolves that
 * symbol to a function that answers from the agent running the program on
 * this thread (set around each run), so one process may hold several agents.
 */
#define _GNU_SOURCE
#include "bpfaot/agent.h"

#include "bpfaot/bpfaot.h"
#include "bpfaot/host.h"
#include "bpfaot/objabi.h"
#include "bpfaot/shm.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef uint64_t (*agent_entry_fn)(void *ctx, uint64_t ctx_size);

/* A program made ready: its code linked into this process. */
struct ready_prog {
        uint32_t id;
        uint64_t bytecode_hash;
        uint64_t code_size; /* of the native code it came from; 0: compiled here */
        struct bpfaot_jit *jit;
        agent_entry_fn entry;
};

struct bpfaot_agent {
        pthread_mutex_t lock; /* the fields below */
        struct bpfaot_shm *shm;
        struct bpfaot_map **maps; /* by id - 1: this process's handles, attached on first use */
        size_t map_cap;
        struct ready_prog *progs;
        size_t prog_cnt;
};

/* The agent whose program this thread runs (for the map symbols). */
static _Thread_local struct bpfaot_agent *running;

static int fail(struct bpfaot_error *e, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(struct bpfaot_error *e, int code, const char *fmt, ...)
{
        va_list ap;

        if (e) {
                e->code = -code;
                e->insn = -1;
                va_start(ap, fmt);
                vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
                va_end(ap);
        }
        return -code;
}

/* Map `id` of the running agent's segment (NULL when it has none). */
static struct bpfaot_map *agent_map(struct bpfaot_agent *a, uint32_t id)
{
        struct bpfaot_map *m = NULL;

        if (!a || !id)
                return NULL;
        pthread_mutex_lock(&a->lock);
        if (id > a->map_cap) {
                size_t cap = a->map_cap ? a->map_cap : 16;
                struct bpfaot_map **n;

                while (cap < id)
                        cap *= 2;
                n = realloc(a->maps, cap * sizeof(*n));
                if (n) {
                        memset(n + a->map_cap, 0, (cap - a->map_cap) * sizeof(*n));
                        a->maps = n;
                        a->map_cap = cap;
                }
        }
        if (id <= a->map_cap) {
                if (!a->maps[id - 1])
                        bpfaot_shm__map(a->shm, id, &a->maps[id - 1]);
                m = a->maps[id - 1];
        }
        pthread_mutex_unlock(&a->lock);
        return m;
}

/* __lddw_helper_map_by_fd: a 64-bit load of map `id` (the id in the segment). */
static uint64_t map_by_id(uint32_t id)
{
        return (uint64_t)(uintptr_t)agent_map(running, id);
}

/* __lddw_helper_map_val: the address of a map's value, as BPF_PSEUDO_MAP_VALUE means it. */
static uint64_t map_value(uint64_t map)
{
        uint32_t key = 0;

        return map ? (uint64_t)(uintptr_t)bpfaot_map__lookup_elem((struct bpfaot_map *)map, &key)
                   : 0;
}

static uint64_t resolve(void *ctx, const char *name)
{
        (void)ctx;
        if (strcmp(name, BPFAOT_LDDW_MAP_BY_FD_SYMBOL) == 0)
                return (uint64_t)(uintptr_t)map_by_id;
        if (strcmp(name, BPFAOT_LDDW_MAP_VAL_SYMBOL) == 0)
                return (uint64_t)(uintptr_t)map_value;
        return (uint64_t)(uintptr_t)bpfaot_rt_resolve(name);
}

int bpfaot_agent__open(const struct bpfaot_agent_opts *opts, struct bpfaot_agent **out)
{
        struct bpfaot_agent_opts o = {0};
        struct bpfaot_shm_opts so = {.sz = sizeof(so)};
        struct bpfaot_agent *a;
        int err;

        if (!out)
                return -EINVAL;
        *out = NULL;
        if (opts)
                memcpy(&o, opts, opts->sz < sizeof(o) ? opts->sz : sizeof(o));
        so.error = o.error;
        a = calloc(1, sizeof(*a));
        if (!a)
                return fail(o.error, ENOMEM, "agent: out of memory");
        err = bpfaot_shm__open(o.shm, &so, &a->shm);
        if (err) {
                free(a);
                return err;
        }
        pthread_mutex_init(&a->lock, NULL);
        *out = a;
        return 0;
}

void bpfaot_agent__close(struct bpfaot_agent *a)
{
        if (!a)
                return;
        for (size_t i = 0; i < a->prog_cnt; i++)
                bpfaot_jit__free(a->progs[i].jit);
        for (size_t i = 0; i < a->map_cap; i++)
                bpfaot_map__free(a->maps[i]);
        free(a->progs);
        free(a->maps);
        bpfaot_shm__close(a->shm);
        pthread_mutex_destroy(&a->lock);
        free(a);
}

/* Program `id`'s instructions, compiled here into an object. */
static int compile_here(struct bpfaot_agent *a, uint32_t id, const struct bpfaot_shm_prog_info *pi,
                        struct bpfaot_buf *obj, struct bpfaot_error *err)
{
        BPFAOT_OPTS_INIT(bpfaot_compile_opts, copts, .maps_by_fd = true);
        const struct bpf_insn *raw;
        struct bpfaot_insn *insns;
        struct bpfaot_prog prog = {0};
        char input[96];
        size_t cnt;
        uint32_t n;
        int ret = bpfaot_shm__prog_insns(a->shm, id, &raw, &n);

        if (ret)
                return ret;
        snprintf(input, sizeof(input), "%s program %u", bpfaot_shm__name(a->shm), id);
        ret = bpfaot_decode(raw, (size_t)n * sizeof(*raw), &insns, &cnt, err);
        if (ret)
                return ret;
        prog.input = input;
        prog.name = pi->name;
        prog.insns = insns;
        prog.insn_cnt = cnt;
        ret = bpfaot_compile(&prog, &copts, obj, err);
        free(insns);
        return ret;
}

/* Program `id` ready to run (under a->lock): linked from its native code, or compiled here. */
static int make_ready(struct bpfaot_agent *a, uint32_t id, struct ready_prog **out,
                      struct bpfaot_error *err)
{
        BPFAOT_OPTS_INIT(bpfaot_jit_opts, jopts, .resolve = resolve);
        struct bpfaot_shm_prog_info pi;
        struct ready_prog *r, *n;
        struct bpfaot_buf obj = {0};
        const void *code;
        size_t size;
        void *entry;
        int ret = bpfaot_shm__prog_info(a->shm, id, &pi);

        if (ret)
                return ret;
        for (size_t i = 0; i < a->prog_cnt; i++) {
                r = &a->progs[i];
                /* The same code: ready already. New native code replaces compiled code. */
                if (r->id == id && r->code_size == pi.code_size) {
                        *out = r;
                        return 0;
                }
        }
        n = realloc(a->progs, (a->prog_cnt + 1) * sizeof(*n));
        if (!n)
                return fail(err, ENOMEM, "agent: out of memory");
        a->progs = n;
        r = &a->progs[a->prog_cnt];
        memset(r, 0, sizeof(*r));
        r->id = id;
        r->bytecode_hash = pi.bytecode_hash;
        r->code_size = pi.code_size;
        if (pi.code_size && bpfaot_shm__prog_code(a->shm, id, &code, &size) == 0) {
                ret = bpfaot_jit__load(code, size, pi.name, &jopts, &r->jit, err);
        } else {
                r->code_size = 0;
                ret = compile_here(a, id, &pi, &obj, err);
                ret = ret ?: bpfaot_jit__load(obj.data, obj.len, pi.name, &jopts, &r->jit, err);
                bpfaot_buf_free(&obj);
        }
        if (ret)
                return ret;
        entry = bpfaot_jit__lookup(r->jit, BPFAOT_DEFAULT_ENTRY, err);
        if (!entry) {
                bpfaot_jit__free(r->jit);
                return err && err->code ? err->code : -ENOENT;
        }
        r->entry = (agent_entry_fn)entry;
        a->prog_cnt++;
        *out = r;
        return 0;
}

int bpfaot_agent__run(struct bpfaot_agent *a, const char *name, void *ctx, size_t ctx_size,
                      uint64_t *ret, struct bpfaot_error *error)
{
        struct bpfaot_error local = {0};
        struct bpfaot_shm_prog_info pi;
        struct bpfaot_agent *outer = running;
        uint32_t id = 0;
        int ran = 0;

        if (!a || !name)
                return -EINVAL;
        while (bpfaot_shm__next_prog_id(a->shm, id, &id) == 0) {
                struct ready_prog *r = NULL;
                agent_entry_fn entry;
                int err;

                if (bpfaot_shm__prog_info(a->shm, id, &pi) || strcmp(pi.name, name) != 0)
                        continue;
                pthread_mutex_lock(&a->lock);
                err = make_ready(a, id, &r, &local);
                entry = err ? NULL : r->entry;
                pthread_mutex_unlock(&a->lock);
                if (err)
                        return fail(error, -err, "%s program %u (%s): %s", bpfaot_shm__name(a->shm),
                                    id, name, local.msg);
                running = a;
                {
                        uint64_t r0 = entry(ctx, ctx_size);

                        if (ret)
                                *ret = r0;
                }
                running = outer;
                ran++;
        }
        return ran;
}

/* The hook points' agent: one per process, on the default segment, made on first use. */
static pthread_once_t hook_once = PTHREAD_ONCE_INIT;
static struct bpfaot_agent *hook_agent;

static void hook_agent_open(void)
{
        bpfaot_agent__open(NULL, &hook_agent);
}

int bpfaot_agent_hook(const char *name, void *ctx, size_t ctx_size)
{
        pthread_once(&hook_once, hook_agent_open);
        if (!hook_agent)
                return 0;
        return bpfaot_agent__run(hook_agent, name, ctx, ctx_size, NULL, NULL);
}
