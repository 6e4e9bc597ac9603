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
#include "agent_internal.h"

#include "bpfaot/bpfaot.h"
#include "bpfaot/host.h"
#include "bpfaot/objabi.h"
#include "bpfaot/runtime.h"
#include "bpfaot/sandbox.h"
#include "bpfaot/shm.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void ready_free(struct ready_prog *r);

/* The agent whose program this thread runs (for the map symbols). */
static _Thread_local struct bpfaot_agent *running;

/* The agents whose lock this thread holds (agent__lock), innermost last. */
#define HELD_MAX 8
static _Thread_local struct bpfaot_agent *held[HELD_MAX];
static _Thread_local unsigned held_cnt;

void agent__lock(struct bpfaot_agent *a)
{
        pthread_mutex_lock(&a->lock);
        if (held_cnt < HELD_MAX)
                held[held_cnt] = a;
        held_cnt++;
}

void agent__unlock(struct bpfaot_agent *a)
{
        held_cnt--;
        pthread_mutex_unlock(&a->lock);
}

bool agent__holds(const struct bpfaot_agent *a)
{
        for (unsigned i = 0; i < held_cnt && i < HELD_MAX; i++)
                if (held[i] == a)
                        return true;
        return false;
}

int agent__fail(struct bpfaot_error *e, int code, const char *fmt, ...)
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

/*
 * Map `id` of the agent's segment (NULL when it has none), with a->lock
 * held. The table has a slot per possible id, written once: runs read it
 * without the lock.
 */
static struct bpfaot_map *map_locked(struct bpfaot_agent *a, uint32_t id)
{
        struct bpfaot_map *m = NULL;

        if (!id || id > BPFAOT_SHM_MAX_MAPS)
                return NULL;
        if (!a->maps[id - 1] && bpfaot_shm__map(a->shm, id, &m) == 0)
                __atomic_store_n(&a->maps[id - 1], m, __ATOMIC_RELEASE);
        return a->maps[id - 1];
}

static struct bpfaot_map *agent_map(struct bpfaot_agent *a, uint32_t id)
{
        struct bpfaot_map *m;

        if (!a || !id || id > BPFAOT_SHM_MAX_MAPS)
                return NULL;
        m = __atomic_load_n(&a->maps[id - 1], __ATOMIC_ACQUIRE);
        if (!m) {
                agent__lock(a);
                m = map_locked(a, id);
                agent__unlock(a);
        }
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

/*
 * The segment's resolver (bpfaot_shm__set_resolver): the ids in a PROG_ARRAY
 * or a map of maps name this agent's maps and programs. A tail call's
 * program is made ready as any other (native code, else compiled here); one
 * the agent interprets or cannot make ready is an empty slot. A thread that
 * holds the agent's lock (a probe hit in code the agent runs while it
 * does) takes a map without it, and a program only when it is ready.
 */
static int resolve_map(void *ctx, uint32_t id, struct bpfaot_map **map)
{
        struct bpfaot_agent *a = ctx;

        *map = agent__holds(a) ? map_locked(a, id) : agent_map(a, id);
        return 0;
}

static int resolve_prog(void *ctx, uint32_t id, bpfaot_prog_fn *fn)
{
        struct bpfaot_agent *a = ctx;
        struct ready_prog *r = NULL;
        agent_entry_fn e;
        int err;

        if (!id || id > BPFAOT_SHM_MAX_PROGS)
                return -ENOENT;
        e = __atomic_load_n(&a->entries[id - 1], __ATOMIC_ACQUIRE);
        if (!e && agent__holds(a))
                return -EAGAIN; /* not now: asked again at the next tail call */
        if (!e) {
                agent__lock(a);
                err = agent__ready(a, id, &r, NULL);
                agent__unlock(a);
                e = err ? NULL : r->entry;
        }
        *fn = (bpfaot_prog_fn)e;
        return 0;
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
                return agent__fail(o.error, ENOMEM, "agent: out of memory");
        err = bpfaot_shm__open(o.shm, &so, &a->shm);
        if (err) {
                free(a);
                return err;
        }
        a->maps = calloc(BPFAOT_SHM_MAX_MAPS, sizeof(*a->maps));
        a->entries = calloc(BPFAOT_SHM_MAX_PROGS, sizeof(*a->entries));
        if (!a->maps || !a->entries) {
                free(a->maps);
                free(a->entries);
                bpfaot_shm__close(a->shm);
                free(a);
                return agent__fail(o.error, ENOMEM, "agent: out of memory");
        }
        pthread_mutex_init(&a->lock, NULL);
        a->engine = o.engine;
        bpfaot_shm__set_resolver(
            a->shm, &(struct bpfaot_shm_resolver){.sz = sizeof(struct bpfaot_shm_resolver),
                                                  .map = resolve_map,
                                                  .prog = resolve_prog,
                                                  .ctx = a});
        *out = a;
        return 0;
}

void bpfaot_agent__close(struct bpfaot_agent *a)
{
        if (!a)
                return;
        agent__detach_all(a);
        for (size_t i = 0; i < a->prog_cnt; i++)
                ready_free(a->progs[i]);
        for (size_t i = 0; i < BPFAOT_SHM_MAX_MAPS; i++)
                bpfaot_map__free(a->maps[i]);
        free(a->progs);
        free(a->maps);
        free(a->entries);
        bpfaot_shm__close(a->shm);
        pthread_mutex_destroy(&a->lock);
        free(a);
}

/* Program r->id's instructions, decoded into r->prog (named for messages). */
static int decode(struct bpfaot_agent *a, struct ready_prog *r,
                  const struct bpfaot_shm_prog_info *pi, struct bpfaot_error *err)
{
        const struct bpf_insn *raw;
        size_t cnt;
        uint32_t n;
        int ret = bpfaot_shm__prog_insns(a->shm, r->id, &raw, &n);

        if (ret)
                return ret;
        snprintf(r->input, sizeof(r->input), "%s program %u", bpfaot_shm__name(a->shm), r->id);
        ret = bpfaot_decode(raw, (size_t)n * sizeof(*raw), &r->insns, &cnt, err);
        if (ret)
                return ret;
        r->prog.input = r->input;
        r->prog.name = r->name;
        r->prog.insns = r->insns;
        r->prog.insn_cnt = cnt;
        snprintf(r->name, sizeof(r->name), "%s", pi->name);
        return 0;
}

/*
 * This process's handles on the maps the program's instructions name, taken
 * now (a->lock held) so that runs never wait for the lock.
 */
static int take_maps(struct bpfaot_agent *a, struct ready_prog *r, struct bpfaot_error *err)
{
        for (size_t i = 0; i < r->prog.insn_cnt; i++) {
                const struct bpfaot_insn *in = &r->prog.insns[i];
                struct bpfaot_map *m;
                void *n;

                if (in->opcode != BPFAOT_OP_LDDW ||
                    (in->src != BPFAOT_LDDW_MAP_FD && in->src != BPFAOT_LDDW_MAP_VAL))
                        continue;
                m = map_locked(a, (uint32_t)in->imm);
                if (!m)
                        return agent__fail(err, ENOENT, "%s: insn %zu: no map %u in the segment",
                                           r->input, i, (unsigned)in->imm);
                n = realloc(r->maps, (r->map_cnt + 1) * sizeof(*r->maps));
                if (!n)
                        return agent__fail(err, ENOMEM, "agent: out of memory");
                r->maps = n;
                r->maps[r->map_cnt++] = m;
        }
        return 0;
}

/* The interpreter's view of the program's maps (map_ctx: the ready program). */
static uint64_t interp_map_by_id(void *ctx, uint32_t id)
{
        (void)ctx;
        return map_by_id(id);
}

static uint64_t interp_map_value(void *ctx, uint64_t map)
{
        (void)ctx;
        return map_value(map);
}

/* What a program may reach besides its context and stack: values of its maps. */
static bool interp_mem_ok(void *ctx, uintptr_t addr, size_t size)
{
        const struct ready_prog *r = ctx;

        for (size_t i = 0; i < r->map_cnt; i++)
                if (bpfaot_map__owns(r->maps[i], (const void *)addr, size))
                        return true;
        return false;
}

static bpfaot_helper_fn runtime_helper(void *ctx, uint32_t id)
{
        const struct bpfaot_rt_helper *h = bpfaot_rt_helper_find(id);

        (void)ctx;
        return h ? h->fn : NULL;
}

/*
 * A program compiled here before from the same instructions (compared, not
 * only hashed): its code serves r too. Compiled code depends on nothing
 * else: maps are named by id in the instructions.
 */
static const struct ready_prog *compiled_twin(const struct bpfaot_agent *a,
                                              const struct ready_prog *r)
{
        for (size_t i = 0; i < a->prog_cnt; i++) {
                const struct ready_prog *o = a->progs[i];

                if (o->entry && !o->code_size && o->bytecode_hash == r->bytecode_hash &&
                    o->prog.insn_cnt == r->prog.insn_cnt &&
                    memcmp(o->insns, r->insns, r->prog.insn_cnt * sizeof(*r->insns)) == 0)
                        return o;
        }
        return NULL;
}

/* r made ready by the engine the agent uses: its native code, compiled here, or interpreted. */
static int prepare(struct bpfaot_agent *a, struct ready_prog *r,
                   const struct bpfaot_shm_prog_info *pi, struct bpfaot_error *err)
{
        BPFAOT_OPTS_INIT(bpfaot_jit_opts, jopts, .resolve = resolve);
        BPFAOT_OPTS_INIT(bpfaot_compile_opts, copts, .maps_by_fd = true);
        BPFAOT_OPTS_INIT(bpfaot_interp_opts, iopts, .helper = runtime_helper,
                         .map_by_fd = interp_map_by_id, .map_value = interp_map_value, .map_ctx = r,
                         .mem_ok = interp_mem_ok, .mem_ok_ctx = r);
        const struct ready_prog *same;
        struct bpfaot_buf obj = {0};
        const void *code;
        size_t size;
        void *entry;
        int ret = decode(a, r, pi, err) ?: take_maps(a, r, err);

        if (ret)
                return ret;
        if (a->engine == BPFAOT_AGENT_INTERPRET)
                return bpfaot_interp__open(&r->prog, &iopts, &r->interp, err);
        if (a->engine != BPFAOT_AGENT_COMPILE && pi->code_size &&
            bpfaot_shm__prog_code(a->shm, r->id, &code, &size) == 0) {
                r->code_size = pi->code_size;
                ret = bpfaot_jit__load(code, size, pi->name, &jopts, &r->jit, err);
        } else if ((same = compiled_twin(a, r))) {
                /* The same instructions (another loader's copy): the same code. */
                r->entry = same->entry;
                r->twin_id = same->id;
                return 0;
        } else {
                ret = bpfaot_compile(&r->prog, &copts, &obj, err);
                ret = ret ?: bpfaot_jit__load(obj.data, obj.len, pi->name, &jopts, &r->jit, err);
                bpfaot_buf_free(&obj);
        }
        if (ret)
                return ret;
        entry = bpfaot_jit__lookup(r->jit, BPFAOT_DEFAULT_ENTRY, err);
        if (!entry)
                return err && err->code ? err->code : -ENOENT;
        r->entry = (agent_entry_fn)entry;
        return 0;
}

static void ready_free(struct ready_prog *r)
{
        bpfaot_jit__free(r->jit);
        bpfaot_interp__free(r->interp);
        free(r->insns);
        free(r->maps);
        free(r);
}

/*
 * The programs in the slots of the PROG_ARRAYs r loads, made ready now (a->lock
 * held), so that its first tail calls do not wait for a compilation. A slot
 * changed later is made ready at its first tail call (resolve_prog). Failures
 * leave the slot to that.
 */
static void ready_tail_calls(struct bpfaot_agent *a, const struct ready_prog *r)
{
        struct ready_prog *t;

        for (size_t i = 0; i < r->map_cnt; i++) {
                const struct bpfaot_map_def *d = bpfaot_map__def(r->maps[i]);

                if (d->type != BPF_MAP_TYPE_PROG_ARRAY)
                        continue;
                for (uint32_t k = 0, id; k < d->max_entries; k++)
                        if (bpfaot_map__lookup_copy(r->maps[i], &k, &id) == 0)
                                agent__ready(a, id, &t, NULL);
        }
}

int agent__ready(struct bpfaot_agent *a, uint32_t id, struct ready_prog **out,
                 struct bpfaot_error *err)
{
        struct bpfaot_shm_prog_info pi;
        struct ready_prog *r, **n;
        uint64_t code_size;
        int ret = bpfaot_shm__prog_info(a->shm, id, &pi);

        if (ret)
                return ret;
        /* The code it would be made from: new native code replaces what was compiled here. */
        code_size = a->engine == BPFAOT_AGENT_AUTO ? pi.code_size : 0;
        for (size_t i = 0; i < a->prog_cnt; i++) {
                r = a->progs[i];
                if (r->id == id && r->code_size == code_size) {
                        *out = r;
                        return 0;
                }
        }
        n = realloc(a->progs, (a->prog_cnt + 1) * sizeof(*n));
        if (!n)
                return agent__fail(err, ENOMEM, "agent: out of memory");
        a->progs = n;
        r = calloc(1, sizeof(*r));
        if (!r)
                return agent__fail(err, ENOMEM, "agent: out of memory");
        r->id = id;
        r->bytecode_hash = pi.bytecode_hash;
        ret = prepare(a, r, &pi, err);
        if (ret) {
                ready_free(r);
                return ret;
        }
        a->progs[a->prog_cnt++] = r;
        *out = r;
        if (r->entry)
                __atomic_store_n(&a->entries[id - 1], r->entry, __ATOMIC_RELEASE);
        ready_tail_calls(a, r);
        return 0;
}

uint64_t agent__call(struct bpfaot_agent *a, const struct ready_prog *r, void *ctx, size_t ctx_size)
{
        struct bpfaot_agent *outer = running;
        uint64_t r0 = 0;

        running = a;
        if (r->entry)
                r0 = r->entry(ctx, ctx_size);
        else {
                /* Helpers' reads of pointers in the program's data stay in its memory. */
                bpfaot_sandbox_set_readable(bpfaot_interp_readable, NULL);
                if (bpfaot_interp__run(r->interp, ctx, ctx_size, &r0, NULL) != 0)
                        r0 = 0;
                bpfaot_sandbox_set_readable(NULL, NULL);
        }
        running = outer;
        return r0;
}

const char *agent__how(const struct ready_prog *r, char *buf, size_t size)
{
        if (r->interp)
                return "interpreted";
        if (r->code_size)
                return "native code";
        if (!r->twin_id)
                return "compiled here";
        snprintf(buf, size, "compiled here as program %u", r->twin_id);
        return buf;
}

/* Run program `id` (named `name` in messages) on ctx: 1, or a negative errno. */
static int run_one(struct bpfaot_agent *a, uint32_t id, const char *name, void *ctx,
                   size_t ctx_size, uint64_t *ret, struct bpfaot_error *error)
{
        struct bpfaot_error local = {0};
        struct ready_prog *r = NULL;
        uint64_t r0;
        int err;

        agent__lock(a);
        err = agent__ready(a, id, &r, &local);
        agent__unlock(a);
        if (err)
                return agent__fail(error, -err, "%s program %u (%s): %s", bpfaot_shm__name(a->shm),
                                   id, name, local.msg);
        r0 = agent__call(a, r, ctx, ctx_size);
        if (ret)
                *ret = r0;
        return 1;
}

int bpfaot_agent__run(struct bpfaot_agent *a, const char *name, void *ctx, size_t ctx_size,
                      uint64_t *ret, struct bpfaot_error *error)
{
        struct bpfaot_shm_attach_info ai;
        struct bpfaot_shm_prog_info pi;
        uint32_t id = 0;
        int ran = 0, err;

        if (!a || !name)
                return -EINVAL;
        while (bpfaot_shm__next_prog_id(a->shm, id, &id) == 0) {
                if (bpfaot_shm__prog_info(a->shm, id, &pi) || strcmp(pi.name, name) != 0)
                        continue;
                err = run_one(a, id, name, ctx, ctx_size, ret, error);
                if (err < 0)
                        return err;
                ran++;
        }
        /* A tracepoint ("category/name"; no program name has a '/'): the programs attached to it.
         */
        for (id = 0; strchr(name, '/') && bpfaot_shm__next_attach_id(a->shm, id, &id) == 0;) {
                if (bpfaot_shm__attach_info(a->shm, id, &ai) || ai.kind != BPFAOT_SHM_TRACEPOINT ||
                    strcmp(ai.target, name) != 0 || (ai.pid != -1 && ai.pid != getpid()))
                        continue;
                err = run_one(a, ai.prog_id, name, ctx, ctx_size, ret, error);
                if (err < 0)
                        return err;
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
