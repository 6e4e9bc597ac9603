/* SPDX-License-Identifier: MIT */
/*
 * Loading compiled objects (bpfaot/host.h): what compiled code imports from
 * the runtime, and an object's tables found through the host's symbol
 * lookup, checked against the object ABI (bpfaot/objabi.h), its maps created.
 */
#include "bpfaot/host.h"
#include "bpfaot/runtime.h"
#include "bpfaot/sandbox.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct bpfaot_object {
        char *input;
        const struct bpfaot_map_def *map_defs;
        void **maps;
        uint32_t map_cnt;
        bool loaded;
        const struct bpfaot_prog_def **progs;
        size_t prog_cnt;
};

/* What compiled code imports by a fixed name (the helpers go by their ids). */
static const struct {
        const char *name;
        void *addr;
} imports[] = {
    {BPFAOT_CALLX_SYMBOL, (void *)bpfaot_rt_callx},
    {BPFAOT_TAIL_CALL_SYMBOL, (void *)bpfaot_rt_tail_call},
    {BPFAOT_CPU_ENTER_SYMBOL, (void *)bpfaot_rt_cpu_enter},
    {BPFAOT_CPU_EXIT_SYMBOL, (void *)bpfaot_rt_cpu_exit},
    {BPFAOT_SANDBOX_ENTER_SYMBOL, (void *)bpfaot_rt_sandbox_enter},
    {BPFAOT_SANDBOX_LEAVE_SYMBOL, (void *)bpfaot_rt_sandbox_leave},
    {BPFAOT_SANDBOX_PUSH_SYMBOL, (void *)bpfaot_rt_sandbox_push},
    {BPFAOT_SANDBOX_POP_SYMBOL, (void *)bpfaot_rt_sandbox_pop},
    {BPFAOT_SANDBOX_CHECK_SYMBOL, (void *)bpfaot_rt_sandbox_check},
    {BPFAOT_SANDBOX_LOCATE_SYMBOL, (void *)bpfaot_rt_sandbox_locate},
    {BPFAOT_SANDBOX_BUDGET_SYMBOL, (void *)bpfaot_rt_sandbox_budget},
    {BPFAOT_SANDBOX_RESERVE_SYMBOL, (void *)bpfaot_rt_sandbox_reserve},
    /* Code generators call these for copies and fills of their own. */
    {"memset", (void *)memset},
    {"memcpy", (void *)memcpy},
    {"memmove", (void *)memmove},
    {"memcmp", (void *)memcmp},
};

void *bpfaot_rt_resolve(const char *name)
{
        const struct bpfaot_rt_helper *h;
        uint32_t id;

        if (bpfaot_rt_parse_helper_symbol(name, &id) == 0) {
                h = bpfaot_rt_helper_find(id);
                return h ? (void *)h->fn : NULL;
        }
        for (size_t i = 0; i < sizeof(imports) / sizeof(imports[0]); i++)
                if (strcmp(name, imports[i].name) == 0)
                        return imports[i].addr;
        return NULL;
}

/* Fill `err` with "<input>: <message>" on one line. Returns -code. */
static int fail(struct bpfaot_error *err, const char *input, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int fail(struct bpfaot_error *err, const char *input, int code, const char *fmt, ...)
{
        va_list ap;
        int n;

        if (!err)
                return -code;
        err->code = -code;
        err->insn = -1;
        n = snprintf(err->msg, sizeof(err->msg), "%s: ", input ? input : "object");
        va_start(ap, fmt);
        if (n >= 0 && (size_t)n < sizeof(err->msg))
                vsnprintf(err->msg + n, sizeof(err->msg) - (size_t)n, fmt, ap);
        va_end(ap);
        /* Names come from objects: keep the message one printable line. */
        for (char *c = err->msg; *c; c++)
                if ((unsigned char)*c < 0x20 || *c == 0x7f)
                        *c = '?';
        return -code;
}

static int check_version(struct bpfaot_error *err, const struct bpfaot_object *obj,
                         const char *what, uint32_t version)
{
        if (version == BPFAOT_OBJ_ABI_VERSION)
                return 0;
        return fail(err, obj->input, ENOEXEC,
                    "%s is of object ABI version %u, the runtime reads version %u (rebuild the "
                    "object)",
                    what, version, BPFAOT_OBJ_ABI_VERSION);
}

static int add_prog(struct bpfaot_object *obj, const struct bpfaot_prog_def *d, const char *what,
                    struct bpfaot_error *err)
{
        const struct bpfaot_prog_def **progs;
        int rc = check_version(err, obj, what, d->abi_version);

        if (rc)
                return rc;
        if (d->entry && bpfaot_object__find_entry(obj, d->entry))
                return 0; /* <obj>__progs listed it already */
        progs = realloc(obj->progs, (obj->prog_cnt + 1) * sizeof(*progs));
        if (!progs)
                return fail(err, obj->input, ENOMEM, "out of memory");
        obj->progs = progs;
        obj->progs[obj->prog_cnt++] = d;
        return 0;
}

static int add_progs(struct bpfaot_object *obj, const struct bpfaot_prog_def *progs, uint32_t cnt,
                     struct bpfaot_error *err)
{
        char what[128];
        int rc = 0;

        for (uint32_t i = 0; i < cnt && !rc; i++) {
                snprintf(what, sizeof(what), "program %u of the program table", i);
                rc = add_prog(obj, &progs[i], what, err);
        }
        return rc;
}

static struct bpfaot_object *object_new(const char *input)
{
        struct bpfaot_object *obj = calloc(1, sizeof(*obj));

        if (obj)
                obj->input = strdup(input ? input : "object");
        if (obj && !obj->input) {
                free(obj);
                obj = NULL;
        }
        return obj;
}

static int object_add_tables(struct bpfaot_object *obj, const struct bpfaot_object_tables *t,
                             struct bpfaot_error *err)
{
        obj->map_defs = t->map_defs;
        obj->maps = t->maps;
        obj->map_cnt = t->map_cnt;
        if (obj->map_cnt && (!obj->map_defs || !obj->maps))
                return fail(err, obj->input, EINVAL, "incomplete map table");
        return add_progs(obj, t->progs, t->prog_cnt, err);
}

int bpfaot_object__open_tables(const struct bpfaot_object_tables *tables, const char *input,
                               struct bpfaot_object **out, struct bpfaot_error *err)
{
        struct bpfaot_object *obj = object_new(input);
        int rc =
            obj ? object_add_tables(obj, tables, err) : fail(err, input, ENOMEM, "out of memory");

        *out = NULL;
        if (rc) {
                bpfaot_object__close(obj);
                return rc;
        }
        *out = obj;
        return 0;
}

/* <prefix><suffix> of the object, or NULL when it has no such symbol. */
static void *lookup_sym(bpfaot_symbol_lookup lookup, void *ctx, const char *prefix,
                        const char *suffix)
{
        char name[512];
        int n = snprintf(name, sizeof(name), "%s%s", prefix, suffix);

        return n >= 0 && (size_t)n < sizeof(name) ? lookup(ctx, name) : NULL;
}

/* The tables of the object with prefix `p`, after checking its ABI version. */
static int find_tables(bpfaot_symbol_lookup lookup, void *ctx, const char *p,
                       struct bpfaot_object *obj, struct bpfaot_object_tables *t,
                       struct bpfaot_error *err)
{
        const uint32_t *version = lookup_sym(lookup, ctx, p, BPFAOT_SYM_ABI_VERSION);
        const uint32_t *map_cnt = lookup_sym(lookup, ctx, p, BPFAOT_SYM_MAP_CNT);
        const uint32_t *prog_cnt = lookup_sym(lookup, ctx, p, BPFAOT_SYM_PROG_CNT);
        char what[512];
        int rc;

        if (!version)
                return fail(err, obj->input, ENOEXEC,
                            "no symbol '%s" BPFAOT_SYM_ABI_VERSION
                            "': not an object of bpf-aot's object ABI %u (rebuild it)",
                            p, BPFAOT_OBJ_ABI_VERSION);
        snprintf(what, sizeof(what), "'%s'", p);
        rc = check_version(err, obj, what, *version);
        if (rc)
                return rc;
        if (map_cnt) {
                t->map_defs = lookup_sym(lookup, ctx, p, BPFAOT_SYM_MAP_DEFS);
                t->maps = lookup_sym(lookup, ctx, p, BPFAOT_SYM_MAPS);
                t->map_cnt = *map_cnt;
                if (!t->map_defs || !t->maps)
                        return fail(err, obj->input, EINVAL, "incomplete map table for '%s'", p);
        }
        if (prog_cnt) {
                t->progs = lookup_sym(lookup, ctx, p, BPFAOT_SYM_PROGS);
                t->prog_cnt = *prog_cnt;
                if (!t->progs)
                        return fail(err, obj->input, EINVAL, "incomplete program table for '%s'",
                                    p);
        }
        return 0;
}

static int add_entries(bpfaot_symbol_lookup lookup, void *ctx, const struct bpfaot_object_opts *o,
                       struct bpfaot_object *obj, struct bpfaot_error *err)
{
        char what[512];
        int rc = 0;

        for (size_t i = 0; i < o->entry_cnt && !rc; i++) {
                const struct bpfaot_prog_def *d =
                    lookup_sym(lookup, ctx, o->entries[i], BPFAOT_SYM_PROG);

                snprintf(what, sizeof(what), "'%s" BPFAOT_SYM_PROG "'", o->entries[i]);
                rc = d ? add_prog(obj, d, what, err)
                       : fail(err, obj->input, ENOENT, "no program descriptor %s", what);
        }
        return rc;
}

int bpfaot_object__open(bpfaot_symbol_lookup lookup, void *ctx,
                        const struct bpfaot_object_opts *opts, struct bpfaot_object **out,
                        struct bpfaot_error *err)
{
        struct bpfaot_object_opts o = {0};
        struct bpfaot_object_tables t = {0};
        struct bpfaot_object *obj;
        int rc;

        *out = NULL;
        if (opts)
                memcpy(&o, opts, opts->sz < sizeof(o) ? opts->sz : sizeof(o));
        obj = object_new(o.input);
        if (!obj)
                return fail(err, o.input, ENOMEM, "out of memory");
        rc = o.prefix ? find_tables(lookup, ctx, o.prefix, obj, &t, err) : 0;
        rc = rc ?: object_add_tables(obj, &t, err);
        rc = rc ?: add_entries(lookup, ctx, &o, obj, err);
        if (rc) {
                bpfaot_object__close(obj);
                return rc;
        }
        *out = obj;
        return 0;
}

int bpfaot_object__load(struct bpfaot_object *obj, struct bpfaot_error *err)
{
        char why[BPFAOT_ERROR_MAX];
        uint32_t failed = 0;
        int rc;

        if (obj->loaded)
                return fail(err, obj->input, EBUSY, "the maps are created already");
        rc = bpfaot_maps__create_all(obj->map_defs, obj->map_cnt, obj->maps, &failed);
        if (!rc) {
                obj->loaded = true;
                return 0;
        }
        bpfaot_map_def__describe_error(&obj->map_defs[failed], rc, why, sizeof(why));
        return fail(err, obj->input, -rc, "%s", why);
}

void bpfaot_object__close(struct bpfaot_object *obj)
{
        if (!obj)
                return;
        if (obj->loaded)
                bpfaot_maps__free_all(obj->maps, obj->map_cnt);
        free(obj->progs);
        free(obj->input);
        free(obj);
}

uint32_t bpfaot_object__map_cnt(const struct bpfaot_object *obj)
{
        return obj->map_cnt;
}

const struct bpfaot_map_def *bpfaot_object__map_def(const struct bpfaot_object *obj, uint32_t idx)
{
        return &obj->map_defs[idx];
}

struct bpfaot_map *bpfaot_object__map(const struct bpfaot_object *obj, uint32_t idx)
{
        return obj->loaded ? obj->maps[idx] : NULL;
}

struct bpfaot_map *bpfaot_object__find_map(const struct bpfaot_object *obj, const char *name)
{
        for (uint32_t i = 0; i < obj->map_cnt; i++)
                if (obj->map_defs[i].name && strcmp(obj->map_defs[i].name, name) == 0)
                        return bpfaot_object__map(obj, i);
        return NULL;
}

size_t bpfaot_object__prog_cnt(const struct bpfaot_object *obj)
{
        return obj->prog_cnt;
}

const struct bpfaot_prog_def *bpfaot_object__prog(const struct bpfaot_object *obj, size_t idx)
{
        return obj->progs[idx];
}

/* The program whose name (or entry) is `s`, or NULL. */
static const struct bpfaot_prog_def *find(const struct bpfaot_object *obj, const char *s,
                                          bool by_entry)
{
        for (size_t i = 0; i < obj->prog_cnt; i++) {
                const char *v = by_entry ? obj->progs[i]->entry : obj->progs[i]->name;

                if (v && strcmp(v, s) == 0)
                        return obj->progs[i];
        }
        return NULL;
}

const struct bpfaot_prog_def *bpfaot_object__find_prog(const struct bpfaot_object *obj,
                                                       const char *name)
{
        return find(obj, name, false);
}

const struct bpfaot_prog_def *bpfaot_object__find_entry(const struct bpfaot_object *obj,
                                                        const char *entry)
{
        return find(obj, entry, true);
}
