/* SPDX-License-Identifier: MIT */
/*
 * LPM_TRIE: longest-prefix match with the kernel's rules (kernel/bpf/lpm_trie.c).
 *
 * A key is struct bpf_lpm_trie_key: a u32 prefixlen, then key_size - 4 bytes
 * of data read most significant bit first (an IPv4 or IPv6 address in network
 * order). Lookups return the value of the longest stored prefix that covers
 * the key's first prefixlen bits; updates and deletes name one prefix
 * exactly. The trie is binary and path-compressed: each node stores a prefix,
 * and a node marked intermediate exists only to split two subtrees, holding
 * no value. BPF_F_NO_PREALLOC is required, as by the kernel.
 *
 * The state is one block (maps_internal.h), so a trie can live in a shared
 * segment: a header, then an array of nodes linked by index. An intermediate
 * node always has two children, so a trie of n prefixes has at most n - 1 of
 * them: 2 * max_entries - 1 nodes are room for any trie the kernel's
 * max_entries rule (-ENOSPC) admits. Nodes are handed out in index order the
 * first time, then from a free list of deleted ones; a node never moves, so a
 * value pointer from a lookup stays readable and writable after a concurrent
 * delete (like the hash maps; the kernel has RCU for this).
 *
 * Locking: a private trie has one writer-preferring read-write lock
 * (lookups, lookup_copy and get_next_key read, updates and deletes write);
 * a shared one a process-shared robust mutex. Every change is made so that
 * the trie reachable from the root stays well formed at each store; a
 * process that dies holding the mutex may leave nodes that are neither
 * linked nor free, or a wrong count, so the next taker rebuilds the free
 * list and the count from what the root reaches.
 */
#define _GNU_SOURCE /* pthread_rwlockattr_setkind_np */
#include "maps_internal.h"

#include <errno.h>
#include <linux/bpf.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define LPM_FLAGS                                                                                  \
        (BPF_F_NO_PREALLOC | BPF_F_NUMA_NODE | BPF_F_RDONLY | BPF_F_WRONLY | BPF_F_RDONLY_PROG |   \
         BPF_F_WRONLY_PROG)
#define LPM_DATA_MIN 1u
#define LPM_DATA_MAX 256u /* bytes after prefixlen: 2048-bit prefixes */
/* The kernel allocates a node with kmalloc: KMALLOC_MAX_SIZE (4 MiB on x86-64) bounds
 * the value with the largest key data and the node header (24 bytes). */
#define LPM_VALUE_MAX ((4u << 20) - LPM_DATA_MAX - 24u)
#define LPM_KEY_HDR   4u /* offsetof(struct bpf_lpm_trie_key, data) */
#define NIL           UINT32_MAX

struct lpm_node {
        uint32_t child[2]; /* node indices or NIL; child[0]: free-list link while unused */
        uint32_t prefixlen;
        uint32_t intermediate; /* splits two subtrees, holds no value */
        uint8_t data[];        /* 8-aligned: key data (rounded to 8), then the value */
};

_Static_assert(sizeof(struct lpm_node) % 8 == 0, "values are 8-byte aligned");

/* The block's header; the nodes follow at LPM_NODES_OFF. */
struct lpm_shared {
        pthread_rwlock_t rwlock; /* a private block's lock */
        pthread_mutex_t mutex;   /* a shared block's lock */
        uint32_t root;           /* NIL: empty */
        uint32_t n_entries;      /* nodes with a value */
        uint32_t n_used;         /* nodes [0, n_used) have been handed out once */
        uint32_t free_list;
};
#define LPM_NODES_OFF BPFAOT_ROUND_UP(sizeof(struct lpm_shared), 64)

/* This process's view of the block. */
struct lpm_trie {
        struct lpm_shared *sh;
        char *nodes;
        bool shared;
        uint32_t n_nodes; /* 2 * max_entries - 1 */
        uint32_t data_size, max_prefixlen;
        size_t node_size, value_off;
};

/* Stores to the trie are made in program order: a process may die between any two. */
#define ORDERED() __atomic_signal_fence(__ATOMIC_SEQ_CST)

static struct lpm_node *node_at(const struct lpm_trie *t, uint32_t i)
{
        return (struct lpm_node *)(t->nodes + (size_t)i * t->node_size);
}

/* Link `i` (fully made) at `link`, in one store. */
static void set_link(uint32_t *link, uint32_t i)
{
        ORDERED();
        *link = i;
        ORDERED();
}

static int bit_at(const uint8_t *data, uint32_t index)
{
        return (data[index / 8] >> (7 - index % 8)) & 1;
}

/* How many leading bits a and b share, at most limit. */
static uint32_t common_bits(const uint8_t *a, const uint8_t *b, uint32_t limit)
{
        uint32_t n = 0;

        for (uint32_t i = 0; n < limit; i++, n += 8) {
                uint8_t diff = a[i] ^ b[i];

                if (diff) {
                        n += (uint32_t)__builtin_clz(diff) - 24;
                        break;
                }
        }
        return n < limit ? n : limit;
}

static uint32_t key_prefixlen(const void *key)
{
        uint32_t plen;

        memcpy(&plen, key, sizeof(plen));
        return plen;
}

static const uint8_t *key_data(const void *key)
{
        return (const uint8_t *)key + LPM_KEY_HDR;
}

static void *node_value(const struct lpm_trie *t, struct lpm_node *n)
{
        return n->data + t->value_off;
}

static size_t node_size(const struct bpfaot_map *map)
{
        size_t data_size = map->def.key_size - LPM_KEY_HDR;

        return sizeof(struct lpm_node) + BPFAOT_ROUND_UP(data_size, 8) + map->value_stride;
}

static int lpm_block_size(const struct bpfaot_map *map, size_t *size)
{
        const struct bpfaot_map_def *def = &map->def;
        uint32_t ro_wo = BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG;
        size_t total;

        if (def->max_entries == 0 || !(def->map_flags & BPF_F_NO_PREALLOC) ||
            (def->map_flags & ~LPM_FLAGS) || (def->map_flags & ro_wo) == ro_wo ||
            def->key_size < LPM_KEY_HDR + LPM_DATA_MIN ||
            def->key_size > LPM_KEY_HDR + LPM_DATA_MAX || def->value_size == 0 ||
            def->value_size > LPM_VALUE_MAX)
                return -EINVAL;
        /* 2 * max_entries - 1 nodes must be indexable below NIL. */
        if (def->max_entries > NIL / 2 ||
            __builtin_mul_overflow(node_size(map), 2 * (size_t)def->max_entries - 1, &total) ||
            __builtin_add_overflow(total, LPM_NODES_OFF, &total) || total > BPFAOT_MAP_MAX_BYTES)
                return -EINVAL;
        *size = total;
        return 0;
}

static int lpm_attach(struct bpfaot_map *map)
{
        struct lpm_trie *t = calloc(1, sizeof(*t));

        if (!t)
                return -ENOMEM;
        t->sh = map->block;
        t->nodes = (char *)map->block + LPM_NODES_OFF;
        t->shared = map->shared;
        t->n_nodes = 2 * map->def.max_entries - 1;
        t->data_size = map->def.key_size - LPM_KEY_HDR;
        t->max_prefixlen = t->data_size * 8;
        t->value_off = BPFAOT_ROUND_UP((size_t)t->data_size, 8);
        t->node_size = node_size(map);
        map->priv = t;
        return 0;
}

static int lpm_alloc(struct bpfaot_map *map)
{
        struct lpm_shared *sh = map->block;
        pthread_rwlockattr_t attr;
        int err;

        if (map->shared) {
                err = bpfaot__map_lock_init(&sh->mutex, true);
                if (err)
                        return err;
        } else {
                /*
                 * Writers first: with glibc's default (readers first) a steady stream
                 * of lookups from a few threads keeps an update waiting indefinitely.
                 */
                if (pthread_rwlockattr_init(&attr))
                        return -ENOMEM;
                pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
                err = pthread_rwlock_init(&sh->rwlock, &attr);
                pthread_rwlockattr_destroy(&attr);
                if (err)
                        return -ENOMEM;
        }
        sh->root = NIL;
        sh->free_list = NIL;
        err = lpm_attach(map);
        if (err && !map->shared)
                pthread_rwlock_destroy(&sh->rwlock);
        return err;
}

/* A shared block's lock belongs to its segment, which other processes may still use. */
static void lpm_free(struct bpfaot_map *map)
{
        struct lpm_trie *t = map->priv;

        if (!t->shared)
                pthread_rwlock_destroy(&t->sh->rwlock);
        free(t);
}

/*
 * The mutex's owner died: it may have left nodes neither linked nor free, or
 * a stale count. Walk what the root reaches (cutting any link that cannot be
 * a node's), count its values, and make every other handed-out node free.
 * Without memory for the walk, the trie is left as it is.
 */
static void repair(struct lpm_trie *t)
{
        struct lpm_shared *sh = t->sh;
        uint32_t used = sh->n_used < t->n_nodes ? sh->n_used : t->n_nodes;
        uint8_t *seen = calloc((size_t)used / 8 + 1, 1);
        uint32_t *stack = malloc(((size_t)used + 1) * sizeof(*stack));
        uint32_t depth = 0, entries = 0;

        if (!seen || !stack)
                goto out;
        sh->n_used = used;
        if (sh->root >= used)
                sh->root = NIL;
        if (sh->root != NIL) {
                stack[depth++] = sh->root;
                seen[sh->root / 8] |= (uint8_t)(1u << (sh->root % 8));
        }
        while (depth) {
                struct lpm_node *n = node_at(t, stack[--depth]);

                entries += !n->intermediate;
                for (int c = 0; c < 2; c++) {
                        uint32_t i = n->child[c];

                        if (i == NIL)
                                continue;
                        if (i >= used || (seen[i / 8] >> (i % 8)) & 1) {
                                n->child[c] = NIL;
                                continue;
                        }
                        seen[i / 8] |= (uint8_t)(1u << (i % 8));
                        stack[depth++] = i;
                }
        }
        sh->n_entries = entries;
        sh->free_list = NIL;
        for (uint32_t i = used; i-- > 0;) {
                if ((seen[i / 8] >> (i % 8)) & 1)
                        continue;
                node_at(t, i)->child[1] = NIL;
                node_at(t, i)->child[0] = sh->free_list;
                sh->free_list = i;
        }
out:
        free(seen);
        free(stack);
}

static void lock_write(struct lpm_trie *t)
{
        if (!t->shared) {
                pthread_rwlock_wrlock(&t->sh->rwlock);
        } else if (pthread_mutex_lock(&t->sh->mutex) == EOWNERDEAD) {
                repair(t);
                pthread_mutex_consistent(&t->sh->mutex);
        }
}

static void lock_read(struct lpm_trie *t)
{
        if (t->shared)
                lock_write(t);
        else
                pthread_rwlock_rdlock(&t->sh->rwlock);
}

static void unlock(struct lpm_trie *t)
{
        if (t->shared)
                pthread_mutex_unlock(&t->sh->mutex);
        else
                pthread_rwlock_unlock(&t->sh->rwlock);
}

/* Under the write lock: a node for prefix (plen, data), children empty; NIL if none is left. */
static uint32_t node_new(struct lpm_trie *t, uint32_t plen, const uint8_t *data)
{
        struct lpm_shared *sh = t->sh;
        struct lpm_node *n;
        uint32_t i = sh->free_list;

        if (i != NIL)
                sh->free_list = node_at(t, i)->child[0];
        else if (sh->n_used < t->n_nodes)
                i = sh->n_used++;
        else
                return NIL;
        ORDERED();
        n = node_at(t, i);
        n->child[0] = n->child[1] = NIL;
        n->prefixlen = plen;
        n->intermediate = 0;
        memcpy(n->data, data, t->data_size);
        return i;
}

/* Under the write lock: node i, linked nowhere now, is free. */
static void node_release(struct lpm_trie *t, uint32_t i)
{
        struct lpm_node *n = node_at(t, i);

        ORDERED();
        n->child[1] = NIL;
        n->child[0] = t->sh->free_list;
        ORDERED();
        t->sh->free_list = i;
}

/* Under a lock: the node with the longest prefix covering the key, or NULL. */
static struct lpm_node *longest_match(const struct lpm_trie *t, const void *key)
{
        uint32_t plen = key_prefixlen(key);
        const uint8_t *data = key_data(key);
        uint32_t i = t->sh->root;
        struct lpm_node *found = NULL;

        if (plen > t->max_prefixlen)
                return NULL;
        while (i != NIL) {
                struct lpm_node *n = node_at(t, i);

                if (n->prefixlen > plen || common_bits(n->data, data, n->prefixlen) != n->prefixlen)
                        break;
                if (!n->intermediate)
                        found = n;
                if (n->prefixlen == t->max_prefixlen)
                        break;
                i = n->child[bit_at(data, n->prefixlen)];
        }
        return found;
}

static void *lpm_lookup(struct bpfaot_map *map, const void *key)
{
        struct lpm_trie *t = map->priv;
        struct lpm_node *n;
        void *v;

        lock_read(t);
        n = longest_match(t, key);
        v = n ? node_value(t, n) : NULL;
        unlock(t);
        return v;
}

static int lpm_lookup_copy(struct bpfaot_map *map, const void *key, void *value)
{
        struct lpm_trie *t = map->priv;
        struct lpm_node *n;

        lock_read(t);
        n = longest_match(t, key);
        if (n)
                memcpy(value, node_value(t, n), map->def.value_size);
        unlock(t);
        return n ? 0 : -ENOENT;
}

/*
 * Under a lock: walk towards the node holding exactly the key's prefix. *slot
 * receives the link where the walk stopped (at that node, or where it would
 * go), *matched how many bits of the stopping node match the key; path (if
 * not NULL) the links followed, *depth their count. Returns the stopping
 * node's index, NIL if the walk ended at an empty link.
 */
static uint32_t walk_exact(struct lpm_trie *t, const void *key, uint32_t **slot, uint32_t *matched,
                           uint32_t **path, size_t *depth)
{
        uint32_t plen = key_prefixlen(key);
        const uint8_t *data = key_data(key);
        uint32_t *link = &t->sh->root, i;

        *matched = 0;
        while ((i = *link) != NIL) {
                struct lpm_node *n = node_at(t, i);
                uint32_t lim = n->prefixlen < plen ? n->prefixlen : plen;

                *matched = common_bits(n->data, data, lim);
                if (path)
                        path[(*depth)++] = link;
                if (*matched != n->prefixlen || n->prefixlen == plen ||
                    n->prefixlen == t->max_prefixlen)
                        break;
                link = &n->child[bit_at(data, n->prefixlen)];
        }
        *slot = link;
        return i;
}

/* An element is added: BPF_EXIST wants an existing one, max_entries bounds the count. */
static long admit(struct lpm_trie *t, uint32_t max_entries, uint64_t flags)
{
        if (flags == BPF_EXIST)
                return -ENOENT;
        if (t->sh->n_entries >= max_entries)
                return -ENOSPC;
        return 0;
}

static long lpm_update_locked(struct bpfaot_map *map, struct lpm_trie *t, const void *key,
                              const void *value, uint64_t flags)
{
        uint32_t plen = key_prefixlen(key), matched, *slot, ni, nodei, spliti;
        const uint8_t *data = key_data(key);
        struct lpm_node *n, *node, *split;
        long rc;

        ni = walk_exact(t, key, &slot, &matched, NULL, NULL);
        n = ni != NIL ? node_at(t, ni) : NULL;
        if (n && matched == n->prefixlen && n->prefixlen == plen) { /* this very prefix */
                if (!n->intermediate && flags == BPF_NOEXIST)
                        return -EEXIST;
                if (n->intermediate) {
                        rc = admit(t, map->def.max_entries, flags);
                        if (rc)
                                return rc;
                        n->intermediate = 0;
                        t->sh->n_entries++;
                }
                /* The kernel replaces the node: the key's bits past the prefix are kept too. */
                memcpy(n->data, data, t->data_size);
                memcpy(node_value(t, n), value, map->def.value_size);
                return 0;
        }
        rc = admit(t, map->def.max_entries, flags);
        if (rc)
                return rc;
        nodei = node_new(t, plen, data);
        if (nodei == NIL)
                return -ENOMEM;
        node = node_at(t, nodei);
        memcpy(node_value(t, node), value, map->def.value_size);
        if (!n) {
                set_link(slot, nodei);
        } else if (matched == plen) { /* the new prefix covers n: it becomes n's parent */
                node->child[bit_at(n->data, matched)] = ni;
                set_link(slot, nodei);
        } else { /* they part after `matched` bits: an intermediate node splits them */
                spliti = node_new(t, matched, n->data);
                if (spliti == NIL) {
                        node_release(t, nodei);
                        return -ENOMEM;
                }
                split = node_at(t, spliti);
                split->intermediate = 1;
                split->child[bit_at(data, matched)] = nodei;
                split->child[!bit_at(data, matched)] = ni;
                set_link(slot, spliti);
        }
        t->sh->n_entries++;
        return 0;
}

static long lpm_update(struct bpfaot_map *map, const void *key, const void *value, uint64_t flags,
                       bool allcpus)
{
        struct lpm_trie *t = map->priv;
        long rc;

        (void)allcpus;
        if (flags > BPF_EXIST || key_prefixlen(key) > t->max_prefixlen)
                return -EINVAL;
        lock_write(t);
        rc = lpm_update_locked(map, t, key, value, flags);
        unlock(t);
        return rc;
}

static long lpm_delete(struct bpfaot_map *map, const void *key)
{
        struct lpm_trie *t = map->priv;
        uint32_t plen = key_prefixlen(key), matched = 0;
        uint32_t *slot, *parent_slot = NULL, *link, ni, parenti = NIL;
        struct lpm_node *n = NULL, *parent = NULL;
        long rc = 0;

        if (plen > t->max_prefixlen)
                return -EINVAL;
        lock_write(t);
        /* The walk of walk_exact, keeping the parent. */
        for (link = &t->sh->root; (ni = *link) != NIL;
             link = &n->child[bit_at(key_data(key), n->prefixlen)]) {
                uint32_t lim;

                n = node_at(t, ni);
                lim = n->prefixlen < plen ? n->prefixlen : plen;
                matched = common_bits(n->data, key_data(key), lim);
                if (matched != n->prefixlen || n->prefixlen == plen)
                        break;
                parent_slot = link;
                parent = n;
                parenti = ni;
        }
        slot = link;
        if (ni == NIL || n->prefixlen != plen || matched != plen || n->intermediate) {
                rc = -ENOENT;
        } else if (n->child[0] != NIL && n->child[1] != NIL) { /* still splits its subtrees */
                n->intermediate = 1;
                t->sh->n_entries--;
        } else if (parent && parent->intermediate && n->child[0] == NIL && n->child[1] == NIL) {
                /* the split parent is pointless without n: its other child replaces it */
                set_link(parent_slot, parent->child[parent->child[0] == ni]);
                node_release(t, parenti);
                node_release(t, ni);
                t->sh->n_entries--;
        } else {
                set_link(slot, n->child[0] != NIL ? n->child[0] : n->child[1]);
                node_release(t, ni);
                t->sh->n_entries--;
        }
        unlock(t);
        return rc;
}

/* The first node in post-order under i: more specific prefixes before less specific ones. */
static struct lpm_node *first_postorder(const struct lpm_trie *t, uint32_t i)
{
        struct lpm_node *n = node_at(t, i);

        while (n->child[0] != NIL || n->child[1] != NIL)
                n = node_at(t, n->child[0] != NIL ? n->child[0] : n->child[1]);
        return n; /* a leaf, never intermediate (those have two children) */
}

static void copy_key(const struct lpm_trie *t, const struct lpm_node *n, void *next_key)
{
        memcpy(next_key, &n->prefixlen, sizeof(n->prefixlen));
        memcpy((uint8_t *)next_key + LPM_KEY_HDR, n->data, t->data_size);
}

/* Post-order, like the kernel: a missing or NULL key starts from the first. */
static int lpm_get_next_key(struct bpfaot_map *map, const void *key, void *next_key)
{
        struct lpm_trie *t = map->priv;
        uint32_t *path[LPM_DATA_MAX * 8 + 1], *slot, matched, ni;
        struct lpm_node *n, *next = NULL;
        size_t depth = 0;
        int rc = 0;

        lock_read(t);
        if (t->sh->root == NIL) {
                rc = -ENOENT;
                goto out;
        }
        if (key && key_prefixlen(key) <= t->max_prefixlen) {
                ni = walk_exact(t, key, &slot, &matched, path, &depth);
                n = ni != NIL ? node_at(t, ni) : NULL;
                if (n && n->prefixlen == key_prefixlen(key) && matched == n->prefixlen &&
                    !n->intermediate) {
                        /* After n: the next subtree to its right, else the first ancestor with a
                         * value. */
                        for (size_t i = depth - 1; i > 0 && !next; i--) {
                                struct lpm_node *parent = node_at(t, *path[i - 1]);

                                ni = *path[i];
                                if (parent->child[0] == ni && parent->child[1] != NIL)
                                        next = first_postorder(t, parent->child[1]);
                                else if (!parent->intermediate)
                                        next = parent;
                        }
                        if (!next)
                                rc = -ENOENT;
                        goto out;
                }
        }
        next = first_postorder(t, t->sh->root);
out:
        if (next)
                copy_key(t, next, next_key);
        unlock(t);
        return rc;
}

static bool lpm_owns(const struct bpfaot_map *map, uintptr_t p, size_t size)
{
        const struct lpm_trie *t = map->priv;

        return bpfaot_range_inside(p, size, t->nodes, (size_t)t->n_nodes * t->node_size);
}

const struct bpfaot_map_ops bpfaot_lpm_trie_ops = {
    .alloc = lpm_alloc,
    .free = lpm_free,
    .lookup = lpm_lookup,
    .update = lpm_update,
    .delete = lpm_delete,
    .lookup_copy = lpm_lookup_copy,
    .get_next_key = lpm_get_next_key,
    .owns = lpm_owns,
    .block_size = lpm_block_size,
    .attach = lpm_attach,
};
