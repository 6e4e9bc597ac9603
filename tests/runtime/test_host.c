/* SPDX-License-Identifier: MIT */
/*
 * The runtime's loader (bpfaot/host.h) on hand-written objects: C globals
 * laid out as bpfaot/objabi.h says a compiled object's are, found through a
 * lookup callback over a table of their names. Maps are created into the
 * object's slots, programs are found by name and by entry, and an object of
 * another ABI version, an incomplete table or a map the runtime cannot create
 * is refused with a message that says so. Also: what bpfaot_rt_resolve()
 * binds compiled code's imports to.
 */
#include "check.h"

#include <bpfaot/host.h>
#include <bpfaot/runtime.h>
#include <errno.h>
#include <linux/bpf.h>
#include <string.h>

/* ---- The object "fake": two programs in a table, one more by its entry, two maps ---- */

static const struct bpfaot_map_def fake__map_defs[] = {
    {.name = "counts",
     .type = BPF_MAP_TYPE_ARRAY,
     .key_size = 4,
     .value_size = 8,
     .max_entries = 4},
    {.name = "seen", .type = BPF_MAP_TYPE_HASH, .key_size = 8, .value_size = 8, .max_entries = 16},
};
static uint32_t fake__map_cnt = 2;
static void *fake__maps[2];
static uint32_t fake__abi_version = BPFAOT_OBJ_ABI_VERSION;

/* Counts its runs in counts[0], as a compiled program would through its map slot. */
static uint64_t fake__count(void *ctx, uint64_t size)
{
        uint64_t *v = bpfaot_map__lookup_elem(fake__maps[0], &(uint32_t){0});

        (void)ctx, (void)size;
        return v ? ++*v : 0;
}

static uint64_t fake__other(void *ctx, uint64_t size)
{
        (void)ctx;
        return size;
}

static uint64_t solo(void *ctx, uint64_t size)
{
        (void)ctx, (void)size;
        return 7;
}

static struct bpfaot_prog_def fake__progs[] = {
    {BPFAOT_OBJ_ABI_VERSION, "count", "xdp", "fake__count", fake__count},
    {BPFAOT_OBJ_ABI_VERSION, "other", "tc", "fake__other", fake__other},
};
static uint32_t fake__prog_cnt = 2;
static struct bpfaot_prog_def solo__prog = {BPFAOT_OBJ_ABI_VERSION, "solo", NULL, "solo", solo};

/* The symbols the lookup finds; a test hides one by setting its address to NULL. */
struct sym {
        const char *name;
        void *addr;
};
#define SYMS(X)                                                                                    \
        X(fake__map_defs)                                                                          \
        X(fake__map_cnt)                                                                           \
        X(fake__maps) X(fake__abi_version) X(fake__progs) X(fake__prog_cnt) X(solo__prog)
#define SYM(s) {#s, (void *)&s},
static struct sym syms[] = {SYMS(SYM){"fake__count__prog", &fake__progs[0]}};
#define SYM_CNT (sizeof(syms) / sizeof(syms[0]))

static void *lookup(void *ctx, const char *name)
{
        const struct sym *s = ctx;

        for (size_t i = 0; i < SYM_CNT; i++)
                if (strcmp(s[i].name, name) == 0)
                        return s[i].addr;
        return NULL;
}

static int open_fake(const char *const *entries, size_t entry_cnt, struct bpfaot_object **obj,
                     struct bpfaot_error *err)
{
        struct bpfaot_object_opts opts = {.sz = sizeof(opts),
                                          .input = "fake.o",
                                          .prefix = "fake",
                                          .entries = entries,
                                          .entry_cnt = entry_cnt};

        if (err)
                memset(err, 0, sizeof(*err));
        return bpfaot_object__open(lookup, syms, &opts, obj, err);
}

/* Open must fail with `code` and a message holding `text`, leaving *obj NULL. */
static void check_open_fails(int code, const char *text)
{
        struct bpfaot_object *obj = (struct bpfaot_object *)syms;
        struct bpfaot_error err;
        const char *entries[] = {"solo"};

        CHECK_EQ(open_fake(entries, 1, &obj, &err), code);
        CHECK_EQ(err.code, code);
        CHECK(obj == NULL);
        if (!strstr(err.msg, text)) {
                fprintf(stderr, "message \"%s\" lacks \"%s\"\n", err.msg, text);
                exit(1);
        }
}

static struct sym *sym_named(const char *name)
{
        for (size_t i = 0; i < SYM_CNT; i++)
                if (strcmp(syms[i].name, name) == 0)
                        return &syms[i];
        exit(2);
}

static void test_open_and_run(void)
{
        const char *entries[] = {"fake__count", "solo"}; /* fake__count is in the table too */
        struct bpfaot_object *obj;
        struct bpfaot_error err;
        const struct bpfaot_prog_def *p;

        CHECK_EQ(open_fake(entries, 2, &obj, &err), 0);
        CHECK_EQ(bpfaot_object__map_cnt(obj), 2);
        CHECK(strcmp(bpfaot_object__map_def(obj, 1)->name, "seen") == 0);
        CHECK(bpfaot_object__map(obj, 0) == NULL); /* not loaded yet */
        CHECK_EQ(bpfaot_object__prog_cnt(obj), 3);
        CHECK(bpfaot_object__prog(obj, 0) == &fake__progs[0]);
        CHECK(bpfaot_object__prog(obj, 2) == &solo__prog);
        CHECK(bpfaot_object__find_prog(obj, "other") == &fake__progs[1]);
        CHECK(bpfaot_object__find_prog(obj, "fake__other") == NULL); /* an entry, not a name */
        CHECK(bpfaot_object__find_entry(obj, "fake__other") == &fake__progs[1]);
        CHECK(bpfaot_object__find_entry(obj, "solo") == &solo__prog);
        CHECK(bpfaot_object__find_prog(obj, "nosuch") == NULL);

        CHECK_EQ(bpfaot_object__load(obj, &err), 0);
        CHECK(fake__maps[0] && fake__maps[1]);
        CHECK(bpfaot_object__map(obj, 1) == fake__maps[1]);
        CHECK(bpfaot_object__find_map(obj, "counts") == fake__maps[0]);
        CHECK(bpfaot_object__find_map(obj, "nosuch") == NULL);
        CHECK_EQ(bpfaot_map__def(fake__maps[1])->type, BPF_MAP_TYPE_HASH);
        p = bpfaot_object__find_prog(obj, "count");
        CHECK_EQ(p->fn(NULL, 0), 1);
        CHECK_EQ(p->fn(NULL, 0), 2);
        CHECK_EQ(bpfaot_object__load(obj, &err), -EBUSY);
        bpfaot_object__close(obj);
        CHECK(fake__maps[0] == NULL && fake__maps[1] == NULL);
}

/* Without a prefix: an object of raw bytecode, its programs by entry only. */
static void test_no_prefix(void)
{
        const char *entries[] = {"solo"};
        struct bpfaot_object_opts opts = {.sz = sizeof(opts), .entries = entries, .entry_cnt = 1};
        struct bpfaot_object *obj;
        struct bpfaot_error err = {0};

        CHECK_EQ(bpfaot_object__open(lookup, syms, &opts, &obj, &err), 0);
        CHECK_EQ(bpfaot_object__map_cnt(obj), 0);
        CHECK_EQ(bpfaot_object__prog_cnt(obj), 1);
        CHECK_EQ(bpfaot_object__load(obj, &err), 0);
        CHECK_EQ(bpfaot_object__find_prog(obj, "solo")->fn(NULL, 0), 7);
        bpfaot_object__close(obj);
        bpfaot_object__close(NULL);
}

static void test_refused(void)
{
        struct sym *defs = sym_named("fake__map_defs"), *version = sym_named("fake__abi_version");
        struct sym *progs = sym_named("fake__progs");
        void *saved;

        saved = defs->addr;
        defs->addr = NULL;
        check_open_fails(-EINVAL, "fake.o: incomplete map table for 'fake'");
        defs->addr = saved;

        saved = progs->addr;
        progs->addr = NULL;
        check_open_fails(-EINVAL, "fake.o: incomplete program table for 'fake'");
        progs->addr = saved;

        saved = version->addr;
        version->addr = NULL;
        check_open_fails(-ENOEXEC, "fake.o: no symbol 'fake__abi_version'");
        version->addr = saved;

        fake__abi_version = BPFAOT_OBJ_ABI_VERSION + 1;
        check_open_fails(-ENOEXEC, "'fake' is of object ABI version");
        fake__abi_version = BPFAOT_OBJ_ABI_VERSION;

        solo__prog.abi_version = 0;
        check_open_fails(-ENOEXEC, "'solo__prog' is of object ABI version 0");
        solo__prog.abi_version = BPFAOT_OBJ_ABI_VERSION;

        fake__progs[1].abi_version = 99;
        check_open_fails(-ENOEXEC, "program 1 of the program table is of object ABI version 99");
        fake__progs[1].abi_version = BPFAOT_OBJ_ABI_VERSION;

        {
                struct bpfaot_object *obj;
                struct bpfaot_error err;
                const char *entries[] = {"nosuch"};

                CHECK_EQ(open_fake(entries, 1, &obj, &err), -ENOENT);
                CHECK(strstr(err.msg, "no program descriptor 'nosuch__prog'"));
                CHECK_EQ(open_fake(NULL, 0, &obj, NULL), 0); /* no err: fine too */
                bpfaot_object__close(obj);
        }
}

/* A map the runtime cannot create: the message names it and says why; nothing stays created. */
static void check_load_fails(const struct bpfaot_map_def *defs, uint32_t cnt, int code,
                             const char *text)
{
        void *slots[2] = {0};
        struct bpfaot_object_tables t = {.map_defs = defs, .maps = slots, .map_cnt = cnt};
        struct bpfaot_object *obj;
        struct bpfaot_error err = {0};

        CHECK_EQ(bpfaot_object__open_tables(&t, "tables.o", &obj, &err), 0);
        CHECK_EQ(bpfaot_object__load(obj, &err), code);
        CHECK_EQ(err.code, code);
        if (strcmp(err.msg, text) != 0) {
                fprintf(stderr, "message \"%s\", expected \"%s\"\n", err.msg, text);
                exit(1);
        }
        CHECK(slots[0] == NULL && slots[1] == NULL);
        bpfaot_object__close(obj);
}

static void test_tables(void)
{
        const struct bpfaot_map_def bad_type[] = {
            {.name = "ok",
             .type = BPF_MAP_TYPE_ARRAY,
             .key_size = 4,
             .value_size = 4,
             .max_entries = 1},
            {.name = "stacks",
             .type = BPF_MAP_TYPE_STACK_TRACE,
             .key_size = 4,
             .value_size = 8,
             .max_entries = 8},
        };
        const struct bpfaot_map_def bad_size[] = {
            {.name = "h\n",
             .type = BPF_MAP_TYPE_HASH,
             .key_size = 0,
             .value_size = 8,
             .max_entries = 8},
        };
        struct bpfaot_prog_def old = {0, "old", NULL, "old", solo};
        struct bpfaot_object_tables t = {.progs = &old, .prog_cnt = 1};
        struct bpfaot_object *obj;
        struct bpfaot_error err = {0};

        check_load_fails(
            bad_type, 2, -ENOTSUP,
            "tables.o: map 'stacks': type stack_trace is not supported by the runtime");
        check_load_fails(bad_size, 1, -EINVAL,
                         "tables.o: map 'h?': cannot create it (Invalid argument): key 0, value 8, "
                         "max_entries 8, flags 0x0");
        CHECK_EQ(bpfaot_object__open_tables(&t, NULL, &obj, &err), -ENOEXEC);
        CHECK(strstr(err.msg, "object: program 0 of the program table is of object ABI version 0"));
        t.map_cnt = 1;
        old.abi_version = BPFAOT_OBJ_ABI_VERSION;
        CHECK_EQ(bpfaot_object__open_tables(&t, "x", &obj, &err), -EINVAL);
        CHECK(strcmp(err.msg, "x: incomplete map table") == 0);
}

static void test_resolve(void)
{
        char name[32];

        snprintf(name, sizeof(name), BPFAOT_HELPER_SYMBOL_FMT, 1u);
        CHECK(strcmp(name, "_bpf_helper_ext_0001") == 0);
        CHECK(bpfaot_rt_resolve(name) == (void *)bpfaot_rt_helper_find(1)->fn);
        CHECK(bpfaot_rt_resolve("_bpf_helper_ext_5") == (void *)bpfaot_rt_helper_find(5)->fn);
        CHECK(bpfaot_rt_resolve("_bpf_helper_ext_9999") == NULL);
        CHECK(bpfaot_rt_resolve("_bpf_helper_ext_") == NULL);
        CHECK(bpfaot_rt_resolve(BPFAOT_CALLX_SYMBOL) == (void *)bpfaot_rt_callx);
        CHECK(bpfaot_rt_resolve(BPFAOT_TAIL_CALL_SYMBOL) == (void *)bpfaot_rt_tail_call);
        CHECK(bpfaot_rt_resolve(BPFAOT_CPU_ENTER_SYMBOL) == (void *)bpfaot_rt_cpu_enter);
        CHECK(bpfaot_rt_resolve(BPFAOT_CPU_EXIT_SYMBOL) == (void *)bpfaot_rt_cpu_exit);
        CHECK(bpfaot_rt_resolve("memset") == (void *)memset);
        CHECK(bpfaot_rt_resolve("memcpy") == (void *)memcpy);
        CHECK(bpfaot_rt_resolve("memmove") == (void *)memmove);
        CHECK(bpfaot_rt_resolve("memcmp") == (void *)memcmp);
        CHECK(bpfaot_rt_resolve(BPFAOT_LDDW_MAP_BY_FD_SYMBOL) == NULL);
        CHECK(bpfaot_rt_resolve("strlen") == NULL);
}

int main(void)
{
        test_open_and_run();
        test_no_prefix();
        test_refused();
        test_tables();
        test_resolve();
        printf("host: ok\n");
        return 0;
}
