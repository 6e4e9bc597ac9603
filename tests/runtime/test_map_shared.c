/* SPDX-License-Identifier: MIT */
/*
 * Maps whose state is one block that other processes map (maps_internal.h:
 * bpfaot__map_create_at with a shared place, bpfaot__map_attach). Each
 * family that can be shared is created in one view of a memfd and used
 * through a second view at another address, and from forked processes
 * with views of their own; a process killed while it works on a map must
 * not wedge the others (robust locks).
 */
#define _GNU_SOURCE
#include "check.h"
#include "maps_internal.h"

#include <errno.h>
#include <linux/bpf.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define AREA (8u << 20)

/* One memfd, mapped twice: every block has an address in each view. */
struct area {
        int fd;
        char *a, *b;
        size_t used;
};

static void *area_alloc(void *ctx, size_t size)
{
        struct area *ar = ctx;
        size_t off = BPFAOT_ROUND_UP(ar->used, 64);

        if (size > AREA || off > AREA - size)
                return NULL;
        ar->used = off + size;
        return memset(ar->a + off, 0, size);
}

static char *map_view(int fd)
{
        char *p = mmap(NULL, AREA, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

        CHECK(p != MAP_FAILED);
        return p;
}

static void area_init(struct area *ar)
{
        ar->fd = memfd_create("bpfaot-test", 0);
        CHECK(ar->fd >= 0);
        CHECK(ftruncate(ar->fd, AREA) == 0);
        ar->a = map_view(ar->fd);
        ar->b = map_view(ar->fd);
        CHECK(ar->a != ar->b);
        ar->used = 0;
}

static void area_fini(struct area *ar)
{
        munmap(ar->a, AREA);
        munmap(ar->b, AREA);
        close(ar->fd);
}

static struct bpfaot_map *create(struct area *ar, const struct bpfaot_map_def *def)
{
        struct bpfaot_map_place place = {.alloc = area_alloc, .ctx = ar, .shared = true};
        struct bpfaot_map *m = NULL;

        CHECK_EQ(bpfaot__map_create_at(def, &place, &m), 0);
        return m;
}

/* The same map through view `view` (whose start is `base`). */
static struct bpfaot_map *attach(const struct area *ar, const struct bpfaot_map *m, char *base)
{
        struct bpfaot_map *h = NULL;
        size_t off = (size_t)((char *)m->block - ar->a);

        CHECK_EQ(bpfaot__map_attach(&m->def, m->ncpus, base + off, m->block_size, &h), 0);
        return h;
}

static uint32_t count_keys(struct bpfaot_map *m)
{
        uint64_t key[2] = {0}, next[2];
        uint32_t n = 0;
        const void *prev = NULL;

        while (bpfaot_map__get_next_key(m, prev, next) == 0) {
                n++;
                memcpy(key, next, sizeof(key));
                prev = key;
                CHECK(n <= m->def.max_entries);
        }
        return n;
}

/* Updates through one view are what the other view reads, for each shareable type. */
static void two_views(uint32_t type, uint32_t max)
{
        struct bpfaot_map_def def = {
            .name = "two_views", .type = type, .key_size = 4, .value_size = 8, .max_entries = max};
        struct area ar;
        struct bpfaot_map *m, *v;
        size_t copy;
        uint64_t *vals, *got;
        bool array = type == BPF_MAP_TYPE_ARRAY || type == BPF_MAP_TYPE_PERCPU_ARRAY;
        bool lru = type == BPF_MAP_TYPE_LRU_HASH || type == BPF_MAP_TYPE_LRU_PERCPU_HASH;
        uint32_t inserted = lru ? 3 * max : max;

        area_init(&ar);
        m = create(&ar, &def);
        v = attach(&ar, m, ar.b);
        CHECK(m->block != v->block);
        copy = bpfaot_map__value_copy_size(m);
        CHECK_EQ(copy, bpfaot_map__value_copy_size(v));
        vals = calloc(1, copy);
        got = calloc(1, copy);
        CHECK(vals && got);
        for (uint32_t k = 0; k < inserted; k++) {
                for (size_t i = 0; i < copy / 8; i++)
                        vals[i] = (uint64_t)k * 1000 + i;
                CHECK_EQ(bpfaot_map__update_copy(m, &k, vals, BPF_ANY), 0);
                CHECK_EQ(bpfaot_map__lookup_copy(v, &k, got), 0);
                CHECK(memcmp(vals, got, copy) == 0);
        }
        /* LRU: the map holds `max` of them, whichever view looks. */
        CHECK_EQ(count_keys(m), max);
        CHECK_EQ(count_keys(v), max);
        if (!array) {
                uint32_t k = inserted - 1;

                CHECK_EQ(bpfaot_map__delete_elem(v, &k), 0);
                CHECK_EQ(bpfaot_map__lookup_copy(m, &k, got), -ENOENT);
                CHECK_EQ(count_keys(m), max - 1);
                CHECK_EQ(bpfaot_map__update_copy(m, &k, vals, BPF_NOEXIST), 0);
                CHECK_EQ(bpfaot_map__lookup_copy(v, &k, got), 0);
        }
        /* A pointer from a lookup in one view writes what the other reads. */
        {
                uint32_t k = inserted - 1;
                uint64_t *p = bpfaot_map__lookup_elem(v, &k);

                CHECK(p != NULL);
                *p = 0xfeedf00d;
                CHECK_EQ(bpfaot_map__lookup_copy(m, &k, got), 0);
                CHECK_EQ(got[m->percpu ? bpfaot_map_cpu(m) : 0], 0xfeedf00d);
        }
        free(vals);
        free(got);
        bpfaot_map__free(v);
        bpfaot_map__free(m);
        area_fini(&ar);
}

/* Processes, each with a view of its own, count into one HASH map; nothing is lost. */
static void processes_count(void)
{
        enum { KEYS = 16, PROCS = 4, ROUNDS = 20000 };
        struct bpfaot_map_def def = {.name = "counts",
                                     .type = BPF_MAP_TYPE_HASH,
                                     .key_size = 4,
                                     .value_size = 8,
                                     /*
                                      * Room for every process to hold an element it has not
                                      * linked yet: a preallocated map that is exactly full
                                      * can refuse a racing insert (-E2BIG), as the kernel's.
                                      */
                                     .max_entries = KEYS + PROCS};
        struct area ar;
        struct bpfaot_map *m;
        uint64_t total = 0, v;

        area_init(&ar);
        m = create(&ar, &def);
        for (int p = 0; p < PROCS; p++) {
                pid_t pid = fork();

                CHECK(pid >= 0);
                if (pid == 0) {
                        char *view = map_view(ar.fd);
                        struct bpfaot_map *h = attach(&ar, m, view);
                        uint64_t zero = 0;

                        for (uint32_t i = 0; i < ROUNDS; i++) {
                                uint32_t k = (i * 7 + (uint32_t)p) % KEYS;
                                uint64_t *c = bpfaot_map__lookup_elem(h, &k);

                                if (!c) {
                                        long e = bpfaot_map__update_elem(h, &k, &zero, BPF_NOEXIST);
                                        if (e != 0 && e != -EEXIST)
                                                _exit(2);
                                        c = bpfaot_map__lookup_elem(h, &k);
                                        if (!c)
                                                _exit(3);
                                }
                                __atomic_fetch_add(c, 1, __ATOMIC_RELAXED);
                        }
                        bpfaot_map__free(h);
                        _exit(0);
                }
        }
        for (int p = 0; p < PROCS; p++) {
                int st;

                CHECK(wait(&st) > 0);
                CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
        }
        for (uint32_t k = 0; k < KEYS; k++) {
                CHECK_EQ(bpfaot_map__lookup_copy(m, &k, &v), 0);
                total += v;
        }
        CHECK_EQ(total, (uint64_t)PROCS * ROUNDS);
        bpfaot_map__free(m);
        area_fini(&ar);
}

/*
 * A process killed at a random point of a stream of updates and deletes
 * (so, often, holding a lock) does not wedge the map: each round the
 * parent then updates and reads every key, with an alarm as its deadline.
 */
static void killed_process(uint32_t type)
{
        enum { KEYS = 64, ROUNDS = 30 };
        struct bpfaot_map_def def = {.name = "robust",
                                     .type = type,
                                     .key_size = 4,
                                     .value_size = 8,
                                     .max_entries = KEYS / 2};
        struct area ar;
        struct bpfaot_map *m;
        uint64_t v;

        area_init(&ar);
        m = create(&ar, &def);
        for (int r = 0; r < ROUNDS; r++) {
                struct timespec ts = {0, (long)(1 + r % 7) * 1000000};
                pid_t pid = fork();
                int st;

                CHECK(pid >= 0);
                if (pid == 0) {
                        struct bpfaot_map *h = attach(&ar, m, map_view(ar.fd));

                        for (uint64_t i = 0;; i++) {
                                uint32_t k = (uint32_t)(i * 13) % KEYS;

                                if (i % 3 == 2)
                                        bpfaot_map__delete_elem(h, &k);
                                else
                                        bpfaot_map__update_elem(h, &k, &i, BPF_ANY);
                        }
                }
                nanosleep(&ts, NULL);
                CHECK(kill(pid, SIGKILL) == 0);
                CHECK(waitpid(pid, &st, 0) == pid);
                alarm(20);
                for (uint32_t k = 0; k < KEYS; k++) {
                        uint64_t w = k + 1000u * (uint32_t)r;

                        bpfaot_map__delete_elem(m, &k);
                        if (bpfaot_map__update_elem(m, &k, &w, BPF_ANY) == 0) {
                                CHECK_EQ(bpfaot_map__lookup_copy(m, &k, &v), 0);
                                CHECK_EQ(v, w);
                        }
                }
                alarm(0);
        }
        bpfaot_map__free(m);
        area_fini(&ar);
}

/*
 * QUEUE and STACK: values pushed through one view (and by a forked process)
 * pop through the other in their order; a process killed pushing and
 * popping leaves the lock takeable. BLOOM_FILTER: what one view adds, the
 * other finds, and a value never added is (here) absent.
 */
static void keyless_views(uint32_t type)
{
        struct bpfaot_map_def def = {
            .name = "keyless", .type = type, .value_size = 8, .max_entries = 16};
        bool bloom = type == BPF_MAP_TYPE_BLOOM_FILTER, stack = type == BPF_MAP_TYPE_STACK;
        struct bpfaot_map *m, *v;
        struct area ar;
        uint64_t x;
        pid_t pid;
        int st;

        if (bloom)
                def.map_flags = BPF_F_ZERO_SEED;
        area_init(&ar);
        m = create(&ar, &def);
        v = attach(&ar, m, ar.b);
        for (uint64_t i = 1; i <= 8; i++)
                CHECK_EQ(bpfaot_map__push_elem(m, &i, 0), 0);
        pid = fork();
        CHECK(pid >= 0);
        if (pid == 0) {
                struct bpfaot_map *h = attach(&ar, m, map_view(ar.fd));

                for (uint64_t i = 9; i <= 16; i++)
                        CHECK_EQ(bpfaot_map__push_elem(h, &i, 0), 0);
                _exit(0);
        }
        CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0);
        if (bloom) {
                for (uint64_t i = 1; i <= 16; i++)
                        CHECK_EQ(bpfaot_map__peek_elem(v, &i), 0);
                x = 1000;
                CHECK_EQ(bpfaot_map__peek_elem(v, &x), -ENOENT);
        } else {
                x = 17;
                CHECK_EQ(bpfaot_map__push_elem(v, &x, 0), -E2BIG); /* full: 16 */
                for (uint64_t i = 1; i <= 16; i++) {
                        CHECK_EQ(bpfaot_map__pop_elem(v, &x), 0);
                        CHECK_EQ(x, stack ? 17 - i : i);
                }
                CHECK_EQ(bpfaot_map__pop_elem(m, &x), -ENOENT);
                /* Killed while it pushes and pops: the lock is taken again. */
                pid = fork();
                CHECK(pid >= 0);
                if (pid == 0) {
                        struct bpfaot_map *h = attach(&ar, m, map_view(ar.fd));

                        for (uint64_t i = 0;; i++)
                                if (bpfaot_map__push_elem(h, &i, BPF_EXIST) == 0 && i % 2)
                                        bpfaot_map__pop_elem(h, &x);
                }
                usleep(5000);
                CHECK(kill(pid, SIGKILL) == 0);
                CHECK(waitpid(pid, &st, 0) == pid);
                alarm(20);
                while (bpfaot_map__pop_elem(m, &x) == 0)
                        ;
                x = 5;
                CHECK_EQ(bpfaot_map__push_elem(v, &x, 0), 0);
                CHECK_EQ(bpfaot_map__pop_elem(m, &x), 0);
                CHECK_EQ(x, 5);
                alarm(0);
        }
        bpfaot_map__free(v);
        bpfaot_map__free(m);
        area_fini(&ar);
}

/* An LPM_TRIE key: prefixlen, then an IPv4 address. */
struct lpm_key {
        uint32_t plen;
        uint8_t a[4];
};

static struct lpm_key lk(uint32_t plen, uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
        struct lpm_key k = {plen, {a, b, c, d}};
        return k;
}

/* The value of the longest prefix covering address a.b.c.d, 0 if none. */
static uint64_t lpm_match(struct bpfaot_map *m, uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
        struct lpm_key k = lk(32, a, b, c, d);
        uint64_t v = 0;

        return bpfaot_map__lookup_copy(m, &k, &v) == 0 ? v : 0;
}

/*
 * Sixteen /32 prefixes 10.0.0.(16 * i): a full binary trie, 15 intermediate
 * nodes besides them, so 2 * 16 - 1 nodes, all a trie of 16 can have. Each is
 * added, found and counted; a 17th prefix is -ENOSPC; then all are deleted.
 */
static void lpm_fill(struct bpfaot_map *add, struct bpfaot_map *look)
{
        struct lpm_key k;
        uint64_t v;

        for (uint32_t i = 0; i < 16; i++) {
                k = lk(32, 10, 0, 0, (uint8_t)(16 * i));
                v = 100 + i;
                CHECK_EQ(bpfaot_map__update_elem(add, &k, &v, BPF_NOEXIST), 0);
        }
        for (uint32_t i = 0; i < 16; i++)
                CHECK_EQ(lpm_match(look, 10, 0, 0, (uint8_t)(16 * i)), 100 + i);
        CHECK_EQ(lpm_match(look, 10, 0, 0, 1), 0);
        CHECK_EQ(count_keys(look), 16);
        k = lk(32, 10, 0, 0, 1);
        CHECK_EQ(bpfaot_map__update_elem(add, &k, &v, BPF_ANY), -ENOSPC);
        k = lk(28, 10, 0, 0, 0); /* an intermediate node's prefix: a new entry too */
        CHECK_EQ(bpfaot_map__update_elem(look, &k, &v, BPF_ANY), -ENOSPC);
        k = lk(32, 10, 0, 0, 32); /* replacing needs no room */
        v = 7;
        CHECK_EQ(bpfaot_map__update_elem(look, &k, &v, BPF_EXIST), 0);
        CHECK_EQ(lpm_match(add, 10, 0, 0, 32), 7);
        for (uint32_t i = 0; i < 16; i++) {
                k = lk(32, 10, 0, 0, (uint8_t)(16 * i));
                CHECK_EQ(bpfaot_map__delete_elem(look, &k), 0);
        }
        CHECK_EQ(count_keys(add), 0);
}

/*
 * LPM_TRIE: prefixes a forked process adds (with a view of its own) match
 * longest-first through a second view; deletes, a full trie (-ENOSPC), and
 * processes killed while they add and delete prefixes: the lock is taken
 * again, and a trie needing every node fits once more afterwards.
 */
static void lpm_views(void)
{
        enum { ROUNDS = 30 };
        struct bpfaot_map_def def = {.name = "lpm",
                                     .type = BPF_MAP_TYPE_LPM_TRIE,
                                     .key_size = sizeof(struct lpm_key),
                                     .value_size = 8,
                                     .max_entries = 16,
                                     .map_flags = BPF_F_NO_PREALLOC};
        struct bpfaot_map *m, *v;
        struct lpm_key k;
        struct area ar;
        uint64_t *p;
        pid_t pid;
        int st;

        area_init(&ar);
        m = create(&ar, &def);
        v = attach(&ar, m, ar.b);
        CHECK(m->block != v->block);
        pid = fork();
        CHECK(pid >= 0);
        if (pid == 0) {
                struct bpfaot_map *h = attach(&ar, m, map_view(ar.fd));
                struct lpm_key add[] = {lk(8, 10, 0, 0, 0), lk(16, 10, 1, 0, 0),
                                        lk(24, 10, 1, 2, 0), lk(16, 192, 168, 0, 0),
                                        lk(0, 0, 0, 0, 0)};

                for (uint64_t i = 0; i < sizeof(add) / sizeof(add[0]); i++) {
                        uint64_t x = i + 1;

                        CHECK_EQ(bpfaot_map__update_elem(h, &add[i], &x, BPF_NOEXIST), 0);
                }
                bpfaot_map__free(h);
                _exit(0);
        }
        CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0);
        CHECK_EQ(lpm_match(v, 10, 1, 2, 3), 3);
        CHECK_EQ(lpm_match(v, 10, 1, 9, 9), 2);
        CHECK_EQ(lpm_match(v, 10, 9, 9, 9), 1);
        CHECK_EQ(lpm_match(v, 192, 168, 1, 1), 4);
        CHECK_EQ(lpm_match(v, 8, 8, 8, 8), 5);
        CHECK_EQ(count_keys(v), 5);
        /* A value pointer from one view writes what the other reads. */
        k = lk(32, 10, 1, 2, 3);
        p = bpfaot_map__lookup_elem(v, &k);
        CHECK(p != NULL);
        *p = 0xfeedf00d;
        CHECK_EQ(lpm_match(m, 10, 1, 2, 200), 0xfeedf00d);
        k = lk(16, 10, 1, 0, 0);
        CHECK_EQ(bpfaot_map__delete_elem(m, &k), 0);
        CHECK_EQ(bpfaot_map__delete_elem(v, &k), -ENOENT);
        CHECK_EQ(lpm_match(v, 10, 1, 9, 9), 1);
        CHECK_EQ(lpm_match(v, 10, 1, 2, 3), 0xfeedf00d);
        k = lk(0, 0, 0, 0, 0);
        CHECK_EQ(bpfaot_map__delete_elem(v, &k), 0);
        CHECK_EQ(lpm_match(m, 8, 8, 8, 8), 0);
        CHECK_EQ(count_keys(m), 3);
        k = lk(8, 10, 0, 0, 0);
        CHECK_EQ(bpfaot_map__delete_elem(v, &k), 0);
        k = lk(24, 10, 1, 2, 0);
        CHECK_EQ(bpfaot_map__delete_elem(m, &k), 0);
        k = lk(16, 192, 168, 0, 0);
        CHECK_EQ(bpfaot_map__delete_elem(v, &k), 0);
        CHECK_EQ(count_keys(m), 0);
        lpm_fill(m, v);
        for (int r = 0; r < ROUNDS; r++) {
                struct timespec ts = {0, (long)(1 + r % 7) * 1000000};

                pid = fork();
                CHECK(pid >= 0);
                if (pid == 0) {
                        struct bpfaot_map *h = attach(&ar, m, map_view(ar.fd));

                        for (uint64_t i = 0;; i++) {
                                uint32_t n = (uint32_t)(i * 13) % 64;
                                struct lpm_key key =
                                    lk(n % 2 ? 32 : 30 - n % 3, 10, 0, 0, (uint8_t)(n * 4));

                                if (i % 3 == 2)
                                        bpfaot_map__delete_elem(h, &key);
                                else
                                        bpfaot_map__update_elem(h, &key, &i, BPF_ANY);
                        }
                }
                nanosleep(&ts, NULL);
                CHECK(kill(pid, SIGKILL) == 0);
                CHECK(waitpid(pid, &st, 0) == pid);
                alarm(20);
                for (uint32_t n = 0; n < 64; n++)
                        for (uint32_t plen = 28; plen <= 32; plen++) {
                                k = lk(plen, 10, 0, 0, (uint8_t)(n * 4));
                                bpfaot_map__delete_elem(m, &k);
                        }
                CHECK_EQ(count_keys(v), 0);
                lpm_fill(v, m);
                alarm(0);
        }
        bpfaot_map__free(v);
        bpfaot_map__free(m);
        area_fini(&ar);
}

static void *no_room(void *ctx, size_t size)
{
        (void)ctx, (void)size;
        return NULL;
}

static void bad_inputs(void)
{
        struct bpfaot_map_def hash = {
            .type = BPF_MAP_TYPE_HASH, .key_size = 4, .value_size = 8, .max_entries = 8};
        /* Every family of the runtime lives in a segment: a type it lacks is refused. */
        struct bpfaot_map_def unshared = {
            .type = BPF_MAP_TYPE_SOCKMAP, .key_size = 4, .value_size = 4, .max_entries = 8};
        struct bpfaot_map_place full = {.alloc = no_room, .shared = true};
        struct bpfaot_map *m = (struct bpfaot_map *)&hash, *h;
        struct area ar;

        /* A segment without room, and a type the runtime lacks. */
        CHECK_EQ(bpfaot__map_create_at(&hash, &full, &m), -ENOSPC);
        CHECK(m == NULL);
        CHECK_EQ(bpfaot__map_create_at(&unshared, &full, &m), -EOPNOTSUPP);
        area_init(&ar);
        m = create(&ar, &hash);
        /* A block of another size than the definition makes, or no block. */
        h = m;
        CHECK_EQ(bpfaot__map_attach(&m->def, 1, m->block, m->block_size - 64, &h), -EINVAL);
        CHECK(h == NULL);
        CHECK_EQ(bpfaot__map_attach(&m->def, 1, NULL, m->block_size, &h), -EINVAL);
        CHECK_EQ(bpfaot__map_attach(&unshared, 1, m->block, m->block_size, &h), -EOPNOTSUPP);
        bpfaot_map__free(m);
        area_fini(&ar);
}

int main(void)
{
        static const uint32_t types[] = {BPF_MAP_TYPE_ARRAY,    BPF_MAP_TYPE_PERCPU_ARRAY,
                                         BPF_MAP_TYPE_HASH,     BPF_MAP_TYPE_PERCPU_HASH,
                                         BPF_MAP_TYPE_LRU_HASH, BPF_MAP_TYPE_LRU_PERCPU_HASH};

        for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
                two_views(types[i], 64);
        processes_count();
        killed_process(BPF_MAP_TYPE_HASH);
        killed_process(BPF_MAP_TYPE_LRU_HASH);
        keyless_views(BPF_MAP_TYPE_QUEUE);
        keyless_views(BPF_MAP_TYPE_STACK);
        keyless_views(BPF_MAP_TYPE_BLOOM_FILTER);
        lpm_views();
        bad_inputs();
        printf("map_shared: ok\n");
        return 0;
}
