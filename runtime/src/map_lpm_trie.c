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
 * Nodes are allocated on demand in chunks and never returned to the system
 * before the map is freed: a deleted node goes to a free list and may be
 * reused. So a value pointer from a lookup stays readable and writable after
 * a concurrent delete (like the hash maps; the kernel has RCU for this).
 *
 * Locking: one read-write lock; lookups, lookup_copy and get_next_key read,
 * updates and deletes write.
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
#define CHUNK_MIN     16u
#define CHUNK_MAX     4096u

struct lpm_node {
        struct lpm_node *child[2]; /* child[0]: free-list link while unused */
        uint32_t prefixlen;
        uint32_t intermediate; /* splits two subtrees, holds no value */
        uint8_t data[];        /* 8-aligned: key data (rounded to 8), then the value */
};

_Static_assert(sizeof(struct lpm_node) % 8 == 0, "values are 8-byte aligned");

struct lpm_trie {
        pthread_rwlock_t lock;
        struct lpm_node *root;
        uint32_t n_entries; /* nodes with a value */
        uint32_t data_size, max_prefixlen;
        size_t node_size, value_off;
        struct lpm_node *free_list;
        char **chunks; /* every node lives in one: freed with the map */
        size_t *chunk_len, n_chunks, chunk_cap;
};

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

static int lpm_alloc(struct bpfaot_map *map)
{
        const struct bpfaot_map_def *def = &map->def;
        uint32_t ro_wo = BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG;
        struct lpm_trie *t;
        pthread_rwlockattr_t attr;
        int err;

        if (def->max_entries == 0 || !(def->map_flags & BPF_F_NO_PREALLOC) ||
            (def->map_flags & ~LPM_FLAGS) || (def->map_flags & ro_wo) == ro_wo ||
            def->key_size < LPM_KEY_HDR + LPM_DATA_MIN ||
            def->key_size > LPM_KEY_HDR + LPM_DATA_MAX || def->value_size == 0 ||
            def->value_size > LPM_VALUE_MAX)
                return -EINVAL;
        t = calloc(1, sizeof(*t));
        if (!t)
                return -ENOMEM;
        /*
         * Writers first: with glibc's default (readers first) a steady stream
         * of lookups from a few threads keeps an update waiting indefinitely.
         */
        if (pthread_rwlockattr_init(&attr)) {
                free(t);
                return -ENOMEM;
        }
        pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
        err = pthread_rwlock_init(&t->lock, &attr);
        pthread_rwlockattr_destroy(&attr);
        if (err) {
                free(t);
                return -ENOMEM;
        }
        t->data_size = def->key_size - LPM_KEY_HDR;
        t->max_prefixlen = t->data_size * 8;
        t->value_off = BPFAOT_ROUND_UP((size_t)t->data_size, 8);
        t->node_size = sizeof(struct lpm_node) + t->value_off + map->value_stride;
        map->priv = t;
        return 0;
}

static void lpm_free(struct bpfaot_map *map)
{
        struct lpm_trie *t = map->priv;

        for (size_t i = 0; i < t->n_chunks; i++)
                free(t->chunks[i]);
        free(t->chunks);
        free(t->chunk_len);
        pthread_rwlock_destroy(&t->lock);
        free(t);
}

/* Under the write lock: a fresh chunk of nodes onto the free list. */
static int grow(struct lpm_trie *t)
{
        size_t n = t->n_chunks ? t->chunk_len[t->n_chunks - 1] * 2 : CHUNK_MIN;
        char *chunk;

        if (n > CHUNK_MAX)
                n = CHUNK_MAX;
        if (t->n_chunks == t->chunk_cap) {
                size_t cap = t->chunk_cap ? t->chunk_cap * 2 : 8;
                char **chunks = realloc(t->chunks, cap * sizeof(*chunks));
                size_t *lens;

                if (!chunks)
                        return -ENOMEM;
                t->chunks = chunks;
                lens = realloc(t->chunk_len, cap * sizeof(*lens));
                if (!lens)
                        return -ENOMEM;
                t->chunk_len = lens;
                t->chunk_cap = cap;
        }
        chunk = calloc(n, t->node_size);
        if (!chunk)
                return -ENOMEM;
        t->chunks[t->n_chunks] = chunk;
        t->chunk_len[t->n_chunks++] = n;
        for (size_t i = n; i-- > 0;) {
                struct lpm_node *node = (struct lpm_node *)(chunk + i * t->node_size);

                node->child[0] = t->free_list;
                t->free_list = node;
        }
        return 0;
}

/* Under the write lock: a node for prefix (plen, data), children empty. */
static struct lpm_node *node_new(struct lpm_trie *t, uint32_t plen, const uint8_t *data)
{
        struct lpm_node *n;

        if (!t->free_list && grow(t))
                return NULL;
        n = t->free_list;
        t->free_list = n->child[0];
        n->child[0] = n->child[1] = NULL;
        n->prefixlen = plen;
        n->intermediate = 0;
        memcpy(n->data, data, t->data_size);
        return n;
}

static void node_release(struct lpm_trie *t, struct lpm_node *n)
{
        n->child[1] = NULL;
        n->child[0] = t->free_list;
        t->free_list = n;
}

/* Under a lock: the node with the longest prefix covering the key, or NULL. */
static struct lpm_node *longest_match(const struct lpm_trie *t, const void *key)
{
        uint32_t plen = key_prefixlen(key);
        const uint8_t *data = key_data(key);
        struct lpm_node *n = t->root, *found = NULL;

        if (plen > t->max_prefixlen)
                return NULL;
        while (n && n->prefixlen <= plen &&
               common_bits(n->data, data, n->prefixlen) == n->prefixlen) {
                if (!n->intermediate)
                        found = n;
                if (n->prefixlen == t->max_prefixlen)
                        break;
                n = n->child[bit_at(data, n->prefixlen)];
        }
        return found;
}

static void *lpm_lookup(struct bpfaot_map *map, const void *key)
{
        struct lpm_trie *t = map->priv;
        struct lpm_node *n;
        void *v;

        pthread_rwlock_rdlock(&t->lock);
        n = longest_match(t, key);
        v = n ? node_value(t, n) : NULL;
        pthread_rwlock_unlock(&t->lock);
        return v;
}

static int lpm_lookup_copy(struct bpfaot_map *map, const void *key, void *value)
{
        struct lpm_trie *t = map->priv;
        struct lpm_node *n;

        pthread_rwlock_rdlock(&t->lock);
        n = longest_match(t, key);
        if (n)
                memcpy(value, node_value(t, n), map->def.value_size);
        pthread_rwlock_unlock(&t->lock);
        return n ? 0 : -ENOENT;
}

/*
 * Under a lock: walk towards the node holding exactly the key's prefix. *slot
 * receives the link where the walk stopped (at that node, or where it would
 * go), *matched how many bits of the stopping node match the key; path (if
 * not NULL) the links followed, *depth their count.
 */
static struct lpm_node *walk_exact(struct lpm_trie *t, const void *key, struct lpm_node ***slot,
                                   uint32_t *matched, struct lpm_node ***path, size_t *depth)
{
        uint32_t plen = key_prefixlen(key);
        const uint8_t *data = key_data(key);
        struct lpm_node **link = &t->root, *n;

        *matched = 0;
        while ((n = *link)) {
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
        return n;
}

/* An element is added: BPF_EXIST wants an existing one, max_entries bounds the count. */
static long admit(struct lpm_trie *t, uint32_t max_entries, uint64_t flags)
{
        if (flags == BPF_EXIST)
                return -ENOENT;
        if (t->n_entries >= max_entries)
                return -ENOSPC;
        return 0;
}

static long lpm_update_locked(struct bpfaot_map *map, struct lpm_trie *t, const void *key,
                              const void *value, uint64_t flags)
{
        uint32_t plen = key_prefixlen(key), matched;
        const uint8_t *data = key_data(key);
        struct lpm_node **slot, *n, *node, *split;
        long rc;

        n = walk_exact(t, key, &slot, &matched, NULL, NULL);
        if (n && matched == n->prefixlen && n->prefixlen == plen) { /* this very prefix */
                if (!n->intermediate && flags == BPF_NOEXIST)
                        return -EEXIST;
                if (n->intermediate) {
                        rc = admit(t, map->def.max_entries, flags);
                        if (rc)
                                return rc;
                        n->intermediate = 0;
                        t->n_entries++;
                }
                /* The kernel replaces the node: the key's bits past the prefix are kept too. */
                memcpy(n->data, data, t->data_size);
                memcpy(node_value(t, n), value, map->def.value_size);
                return 0;
        }
        rc = admit(t, map->def.max_entries, flags);
        if (rc)
                return rc;
        node = node_new(t, plen, data);
        if (!node)
                return -ENOMEM;
        memcpy(node_value(t, node), value, map->def.value_size);
        if (!n) {
                *slot = node;
        } else if (matched == plen) { /* the new prefix covers n: it becomes n's parent */
                node->child[bit_at(n->data, matched)] = n;
                *slot = node;
        } else { /* they part after `matched` bits: an intermediate node splits them */
                split = node_new(t, matched, n->data);
                if (!split) {
                        node_release(t, node);
                        return -ENOMEM;
                }
                split->intermediate = 1;
                split->child[bit_at(data, matched)] = node;
                split->child[!bit_at(data, matched)] = n;
                *slot = split;
        }
        t->n_entries++;
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
        pthread_rwlock_wrlock(&t->lock);
        rc = lpm_update_locked(map, t, key, value, flags);
        pthread_rwlock_unlock(&t->lock);
        return rc;
}

static long lpm_delete(struct bpfaot_map *map, const void *key)
{
        struct lpm_trie *t = map->priv;
        uint32_t plen = key_prefixlen(key), matched = 0;
        struct lpm_node **slot, **parent_slot = NULL, *n, *parent = NULL, **link;
        long rc = 0;

        if (plen > t->max_prefixlen)
                return -EINVAL;
        pthread_rwlock_wrlock(&t->lock);
        /* The walk of walk_exact, keeping the parent. */
        for (link = &t->root; (n = *link); link = &n->child[bit_at(key_data(key), n->prefixlen)]) {
                uint32_t lim = n->prefixlen < plen ? n->prefixlen : plen;

                matched = common_bits(n->data, key_data(key), lim);
                if (matched != n->prefixlen || n->prefixlen == plen)
                        break;
                parent_slot = link;
                parent = n;
        }
        slot = link;
        if (!n || n->prefixlen != plen || matched != plen || n->intermediate) {
                rc = -ENOENT;
        } else if (n->child[0] && n->child[1]) { /* still needed to split its subtrees */
                n->intermediate = 1;
                t->n_entries--;
        } else if (parent && parent->intermediate && !n->child[0] && !n->child[1]) {
                /* the split parent is pointless without n: its other child replaces it */
                *parent_slot = parent->child[parent->child[0] == n];
                node_release(t, parent);
                node_release(t, n);
                t->n_entries--;
        } else {
                *slot = n->child[0] ? n->child[0] : n->child[1];
                node_release(t, n);
                t->n_entries--;
        }
        pthread_rwlock_unlock(&t->lock);
        return rc;
}

/* The first node in post-order under n: more specific prefixes before less specific ones. */
static struct lpm_node *first_postorder(struct lpm_node *n)
{
        while (n->child[0] || n->child[1])
                n = n->child[0] ? n->child[0] : n->child[1];
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
        struct lpm_node **path[LPM_DATA_MAX * 8 + 1], **slot, *n, *next = NULL;
        uint32_t matched;
        size_t depth = 0;
        int rc = 0;

        pthread_rwlock_rdlock(&t->lock);
        if (!t->root) {
                rc = -ENOENT;
                goto out;
        }
        if (key && key_prefixlen(key) <= t->max_prefixlen) {
                n = walk_exact(t, key, &slot, &matched, path, &depth);
                if (n && n->prefixlen == key_prefixlen(key) && matched == n->prefixlen &&
                    !n->intermediate) {
                        /* After n: the next subtree to its right, else the first ancestor with a
                         * value. */
                        for (size_t i = depth - 1; i > 0 && !next; i--) {
                                struct lpm_node *parent = *path[i - 1];

                                n = *path[i];
                                if (parent->child[0] == n && parent->child[1])
                                        next = first_postorder(parent->child[1]);
                                else if (!parent->intermediate)
                                        next = parent;
                        }
                        if (!next)
                                rc = -ENOENT;
                        goto out;
                }
        }
        next = first_postorder(t->root);
out:
        if (next)
                copy_key(t, next, next_key);
        pthread_rwlock_unlock(&t->lock);
        return rc;
}

static bool lpm_owns(const struct bpfaot_map *map, uintptr_t p, size_t size)
{
        struct lpm_trie *t = map->priv;
        bool inside = false;

        pthread_rwlock_rdlock(&t->lock);
        for (size_t i = 0; i < t->n_chunks && !inside; i++)
                inside = bpfaot_range_inside(p, size, t->chunks[i], t->chunk_len[i] * t->node_size);
        pthread_rwlock_unlock(&t->lock);
        return inside;
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
};
