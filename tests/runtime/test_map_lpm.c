/* SPDX-License-Identifier: MIT */
/*
 * LPM_TRIE: creation rules, longest-prefix lookups against a brute-force
 * model under random inserts and deletes, exact-prefix updates and deletes,
 * flags, max_entries, get_next_key order, and lookups racing updates.
 */
#include "check.h"

#include <bpfaot/maps.h>
#include <errno.h>
#include <linux/bpf.h>
#include <pthread.h>
#include <stdbool.h>
#include <string.h>

struct key4 {
        uint32_t prefixlen;
        uint8_t addr[4];
};

static struct key4 k4(uint32_t plen, uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
        struct key4 k = {plen, {a, b, c, d}};
        return k;
}

static struct bpfaot_map *make(uint32_t key_size, uint32_t value_size, uint32_t max, uint32_t flags,
                               int *err)
{
        struct bpfaot_map_def def = {.type = BPF_MAP_TYPE_LPM_TRIE,
                                     .key_size = key_size,
                                     .value_size = value_size,
                                     .max_entries = max,
                                     .map_flags = flags};
        struct bpfaot_map *m = NULL;

        *err = bpfaot_map__create(&def, &m);
        return m;
}

static void test_create(void)
{
        int err;

        CHECK(!make(8, 4, 16, 0, &err));
        CHECK_EQ(err, -EINVAL); /* BPF_F_NO_PREALLOC is required */
        CHECK(!make(4, 4, 16, BPF_F_NO_PREALLOC, &err));
        CHECK_EQ(err, -EINVAL); /* no data bytes */
        CHECK(!make(4 + 257, 4, 16, BPF_F_NO_PREALLOC, &err));
        CHECK_EQ(err, -EINVAL); /* more than 2048-bit prefixes */
        CHECK(!make(8, 0, 16, BPF_F_NO_PREALLOC, &err));
        CHECK_EQ(err, -EINVAL);
        CHECK(!make(8, 4, 0, BPF_F_NO_PREALLOC, &err));
        CHECK_EQ(err, -EINVAL);
        CHECK(!make(8, 4, 16, BPF_F_NO_PREALLOC | BPF_F_NO_COMMON_LRU, &err));
        CHECK_EQ(err, -EINVAL);
        CHECK(!make(8, 4, 16, BPF_F_NO_PREALLOC | BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG, &err));
        CHECK_EQ(err, -EINVAL);
        bpfaot_map__free(make(4 + 256, 4, 16, BPF_F_NO_PREALLOC, &err));
        CHECK_EQ(err, 0);
}

static uint32_t val(struct bpfaot_map *m, struct key4 k)
{
        uint32_t *v = bpfaot_map__lookup_elem(m, &k);
        return v ? *v : 0;
}

/* The kernel's example routes, and a default route. */
static void test_routes(void)
{
        struct bpfaot_map *m;
        struct key4 k, next;
        uint32_t v, seen = 0;
        int err;

        m = make(sizeof(struct key4), 4, 16, BPF_F_NO_PREALLOC, &err);
        CHECK(m);
        k = k4(32, 1, 2, 3, 4);
        CHECK(!bpfaot_map__lookup_elem(m, &k));
        CHECK_EQ(bpfaot_map__get_next_key(m, NULL, &next), -ENOENT);
        struct {
                struct key4 k;
                uint32_t v;
        } routes[] = {
            {k4(16, 192, 168, 0, 0), 1}, {k4(24, 192, 168, 0, 0), 2}, {k4(24, 192, 168, 128, 0), 3},
            {k4(24, 192, 168, 1, 0), 5}, {k4(8, 10, 0, 0, 0), 7},     {k4(0, 0, 0, 0, 0), 9},
        };
        for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++)
                CHECK_EQ(bpfaot_map__update_elem(m, &routes[i].k, &routes[i].v, BPF_NOEXIST), 0);
        CHECK_EQ(val(m, k4(32, 192, 168, 0, 5)), 2);
        CHECK_EQ(val(m, k4(32, 192, 168, 1, 9)), 5);
        CHECK_EQ(val(m, k4(32, 192, 168, 2, 1)), 1);
        CHECK_EQ(val(m, k4(32, 192, 168, 128, 1)), 3);
        CHECK_EQ(val(m, k4(32, 10, 1, 2, 3)), 7);
        CHECK_EQ(val(m, k4(32, 8, 8, 8, 8)), 9);
        /* A key's prefixlen bounds the match: /16 sees no /24. */
        CHECK_EQ(val(m, k4(16, 192, 168, 0, 5)), 1);
        k = k4(33, 192, 168, 0, 5);
        CHECK(!bpfaot_map__lookup_elem(m, &k));
        CHECK(bpfaot_map__owns(m, bpfaot_map__lookup_elem(m, &routes[0].k), 4));
        /* Host copy: the same longest match. */
        k = k4(32, 192, 168, 77, 1);
        CHECK_EQ(bpfaot_map__lookup_copy(m, &k, &v), 0);
        CHECK_EQ(v, 1);

        /* Updates and deletes name a prefix exactly. */
        v = 20;
        CHECK_EQ(bpfaot_map__update_elem(m, &routes[1].k, &v, BPF_NOEXIST), -EEXIST);
        CHECK_EQ(bpfaot_map__update_elem(m, &routes[1].k, &v, BPF_EXIST), 0);
        CHECK_EQ(val(m, k4(32, 192, 168, 0, 5)), 20);
        k = k4(23, 192, 168, 0, 0); /* the split of /24s 0 and 1: intermediate, no element */
        CHECK_EQ(bpfaot_map__update_elem(m, &k, &v, BPF_EXIST), -ENOENT);
        CHECK_EQ(bpfaot_map__delete_elem(m, &k), -ENOENT);
        CHECK_EQ(bpfaot_map__update_elem(m, &k, &v, 3), -EINVAL);
        k = k4(33, 192, 168, 0, 0);
        CHECK_EQ(bpfaot_map__update_elem(m, &k, &v, BPF_ANY), -EINVAL);
        CHECK_EQ(bpfaot_map__delete_elem(m, &k), -EINVAL);
        k = k4(24, 192, 168, 0, 9); /* bits past the prefix do not matter */
        v = 21;
        CHECK_EQ(bpfaot_map__update_elem(m, &k, &v, BPF_EXIST), 0);
        CHECK_EQ(val(m, k4(32, 192, 168, 0, 5)), 21);

        /* Post-order, more specific first, every key once. */
        CHECK_EQ(bpfaot_map__get_next_key(m, NULL, &next), 0);
        CHECK(!memcmp(&next, &routes[4].k, sizeof(next))); /* 10.0.0.0/8: the leftmost leaf */
        k = k4(32, 1, 1, 1, 1);                            /* missing: the first again */
        CHECK_EQ(bpfaot_map__get_next_key(m, &k, &k), 0);
        CHECK(!memcmp(&k, &next, sizeof(k)));
        do {
                seen++;
                k = next;
        } while (bpfaot_map__get_next_key(m, &k, &next) == 0);
        CHECK_EQ(seen, 6);
        CHECK_EQ(k.prefixlen, 0); /* the least specific comes last */

        CHECK_EQ(bpfaot_map__delete_elem(m, &routes[0].k), 0);
        CHECK_EQ(val(m, k4(32, 192, 168, 2, 1)), 9); /* falls back to the default route */
        CHECK_EQ(val(m, k4(32, 192, 168, 1, 1)), 5);
        CHECK_EQ(bpfaot_map__lookup_and_delete_elem(m, &routes[1].k, &v, 0), -ENOTSUP);
        bpfaot_map__free(m);
}

/* After /24 0, its /24 sibling comes before the /16 that holds both. */
static void test_next_key_order(void)
{
        struct key4 a = k4(24, 192, 168, 0, 0), b = k4(24, 192, 168, 1, 0),
                    c = k4(16, 192, 168, 0, 0);
        struct key4 next;
        struct bpfaot_map *m;
        uint32_t v = 1;
        int err;

        m = make(sizeof(struct key4), 4, 16, BPF_F_NO_PREALLOC, &err);
        CHECK(m);
        CHECK_EQ(bpfaot_map__update_elem(m, &c, &v, 0) | bpfaot_map__update_elem(m, &b, &v, 0) |
                     bpfaot_map__update_elem(m, &a, &v, 0),
                 0);
        CHECK_EQ(bpfaot_map__get_next_key(m, NULL, &next), 0);
        CHECK(!memcmp(&next, &a, sizeof(a)));
        CHECK_EQ(bpfaot_map__get_next_key(m, &a, &next), 0);
        CHECK(!memcmp(&next, &b, sizeof(b)));
        CHECK_EQ(bpfaot_map__get_next_key(m, &b, &next), 0);
        CHECK(!memcmp(&next, &c, sizeof(c)));
        CHECK_EQ(bpfaot_map__get_next_key(m, &c, &next), -ENOENT);
        bpfaot_map__free(m);
}

static void test_max_entries(void)
{
        struct bpfaot_map *m = NULL;
        struct key4 k;
        uint32_t v = 1;
        int err;

        m = make(sizeof(struct key4), 4, 2, BPF_F_NO_PREALLOC, &err);
        CHECK(m);
        k = k4(24, 10, 0, 0, 0);
        CHECK_EQ(bpfaot_map__update_elem(m, &k, &v, 0), 0);
        k = k4(24, 10, 0, 1, 0);
        CHECK_EQ(bpfaot_map__update_elem(m, &k, &v, 0), 0);
        k = k4(24, 10, 0, 2, 0);
        CHECK_EQ(bpfaot_map__update_elem(m, &k, &v, 0), -ENOSPC);
        k = k4(23, 10, 0, 0, 0); /* the intermediate node would become an element */
        CHECK_EQ(bpfaot_map__update_elem(m, &k, &v, 0), -ENOSPC);
        k = k4(24, 10, 0, 1, 0); /* replacing a value needs no room */
        v = 2;
        CHECK_EQ(bpfaot_map__update_elem(m, &k, &v, 0), 0);
        CHECK_EQ(bpfaot_map__delete_elem(m, &k), 0);
        k = k4(23, 10, 0, 0, 0);
        CHECK_EQ(bpfaot_map__update_elem(m, &k, &v, 0), 0);
        bpfaot_map__free(m);
}

/* ---- against a brute-force model ---- */

#define MODEL_MAX 300

struct model {
        bool used[MODEL_MAX];
        struct key4 key[MODEL_MAX];
        uint32_t value[MODEL_MAX];
};

static _Thread_local uint64_t rng = 88172645463325252ull; /* each thread its own */

static uint32_t rnd(void)
{
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        return (uint32_t)rng;
}

static bool covers(const struct key4 *p, const struct key4 *addr)
{
        uint32_t a, b, mask;

        if (p->prefixlen > addr->prefixlen)
                return false;
        if (p->prefixlen == 0)
                return true;
        a = (uint32_t)p->addr[0] << 24 | p->addr[1] << 16 | p->addr[2] << 8 | p->addr[3];
        b = (uint32_t)addr->addr[0] << 24 | addr->addr[1] << 16 | addr->addr[2] << 8 |
            addr->addr[3];
        mask = p->prefixlen == 32 ? UINT32_MAX : ~(UINT32_MAX >> p->prefixlen);
        return (a & mask) == (b & mask);
}

static bool same_prefix(const struct key4 *a, const struct key4 *b)
{
        return a->prefixlen == b->prefixlen && covers(a, b);
}

/* Addresses in a small space (10.0.x.y with few x, y) so that prefixes nest often. */
static struct key4 random_key(uint32_t plen)
{
        return k4(plen, 10, (uint8_t)(rnd() % 4), (uint8_t)(rnd() % 3 * 64 + rnd() % 4), 0);
}

static void test_model(void)
{
        static struct model md;
        struct bpfaot_map *m;
        int err;

        m = make(sizeof(struct key4), 4, MODEL_MAX, BPF_F_NO_PREALLOC, &err);
        CHECK(m);
        for (int step = 0; step < 20000; step++) {
                struct key4 k = random_key(rnd() % 33);
                int found = -1, free_slot = -1;
                uint32_t v = rnd();

                for (int i = 0; i < MODEL_MAX; i++) {
                        if (md.used[i] && same_prefix(&md.key[i], &k))
                                found = i;
                        if (!md.used[i] && free_slot < 0)
                                free_slot = i;
                }
                if (rnd() % 3 == 0) {
                        long rc = bpfaot_map__delete_elem(m, &k);
                        CHECK_EQ(rc, found >= 0 ? 0 : -ENOENT);
                        if (found >= 0)
                                md.used[found] = false;
                } else if (found >= 0 || free_slot >= 0) {
                        /* The element takes the key as given, bits past the prefix too. */
                        CHECK_EQ(bpfaot_map__update_elem(m, &k, &v, BPF_ANY), 0);
                        if (found < 0)
                                found = free_slot;
                        md.used[found] = true;
                        md.key[found] = k;
                        md.value[found] = v;
                }
                /* Probe the longest match of a few addresses. */
                for (int p = 0; p < 4; p++) {
                        struct key4 a = random_key(rnd() % 4 == 0 ? rnd() % 33 : 32);
                        uint32_t *got = bpfaot_map__lookup_elem(m, &a);
                        int best = -1;

                        for (int i = 0; i < MODEL_MAX; i++)
                                if (md.used[i] && covers(&md.key[i], &a) &&
                                    (best < 0 || md.key[i].prefixlen > md.key[best].prefixlen))
                                        best = i;
                        if (best < 0) {
                                CHECK(!got);
                        } else {
                                CHECK(got);
                                CHECK_EQ(*got, md.value[best]);
                        }
                }
        }
        /* get_next_key visits exactly the model's keys. */
        {
                struct key4 k, next;
                int n = 0, want = 0;

                for (int i = 0; i < MODEL_MAX; i++)
                        want += md.used[i];
                for (int rc = bpfaot_map__get_next_key(m, NULL, &next); rc == 0;
                     rc = bpfaot_map__get_next_key(m, &k, &next)) {
                        int hits = 0;

                        for (int i = 0; i < MODEL_MAX; i++)
                                hits += md.used[i] && !memcmp(&md.key[i], &next, sizeof(next));
                        CHECK_EQ(hits, 1);
                        k = next;
                        n++;
                        CHECK(n <= want);
                }
                CHECK_EQ(n, want);
        }
        bpfaot_map__free(m);
}

/* ---- lookups racing updates and deletes (run under TSan too) ---- */

static struct bpfaot_map *shared;
static int stop_flag;

static void *reader(void *arg)
{
        (void)arg;
        while (!__atomic_load_n(&stop_flag, __ATOMIC_RELAXED)) {
                struct key4 a = random_key(32);
                uint32_t *v = bpfaot_map__lookup_elem(shared, &a);

                /* The default route is never deleted: some value always matches. */
                CHECK(v);
        }
        return NULL;
}

static void test_concurrent(void)
{
        struct key4 dflt = k4(0, 0, 0, 0, 0);
        pthread_t thr[3];
        uint32_t v = 1;
        int err;

        shared = make(sizeof(struct key4), 4, 64, BPF_F_NO_PREALLOC, &err);
        CHECK_EQ(bpfaot_map__update_elem(shared, &dflt, &v, 0), 0);
        for (int i = 0; i < 3; i++)
                CHECK_EQ(pthread_create(&thr[i], NULL, reader, NULL), 0);
        for (int i = 0; i < 20000; i++) {
                struct key4 k = random_key(8 + rnd() % 25);

                if (i % 2)
                        bpfaot_map__delete_elem(shared, &k);
                else
                        bpfaot_map__update_elem(shared, &k, &v, BPF_ANY);
        }
        __atomic_store_n(&stop_flag, 1, __ATOMIC_RELAXED);
        for (int i = 0; i < 3; i++)
                pthread_join(thr[i], NULL);
        bpfaot_map__free(shared);
}

/*
 * Full tries, over and over: 32 prefixes that need 31 intermediate nodes
 * (all the nodes a trie of 32 can have), then rounds of random prefixes
 * until 32 are stored; each time a 33rd is -ENOSPC and deleting every key
 * get_next_key names empties the trie. Nodes freed by one round serve the
 * next without running out.
 */
static void test_full_rounds(void)
{
        struct bpfaot_map *m;
        struct key4 k, next;
        uint32_t v = 5, n;
        int err;

        m = make(sizeof(struct key4), 4, 32, BPF_F_NO_PREALLOC, &err);
        CHECK(m);
        for (int r = 0; r < 40; r++) {
                for (n = 0; n < 32;) {
                        long rc;

                        k = r == 0 ? k4(32, 10, 0, 0, (uint8_t)(8 * n))
                                   : k4(16 + rnd() % 17, 10, (uint8_t)rnd(), (uint8_t)rnd(),
                                        (uint8_t)rnd());
                        rc = bpfaot_map__update_elem(m, &k, &v, BPF_NOEXIST);
                        CHECK(rc == 0 || rc == -EEXIST);
                        n += rc == 0;
                }
                k = k4(32, 11, 0, 0, (uint8_t)r);
                CHECK_EQ(bpfaot_map__update_elem(m, &k, &v, BPF_ANY), -ENOSPC);
                for (n = 0; bpfaot_map__get_next_key(m, NULL, &next) == 0; n++) {
                        CHECK_EQ(val(m, next), 5);
                        CHECK_EQ(bpfaot_map__delete_elem(m, &next), 0);
                }
                CHECK_EQ(n, 32);
        }
        bpfaot_map__free(m);
}

int main(void)
{
        test_create();
        test_routes();
        test_next_key_order();
        test_max_entries();
        test_model();
        test_concurrent();
        test_full_rounds();
        return 0;
}
