/* SPDX-License-Identifier: MIT */
/*
 * Shared-memory segments (bpfaot/shm.h). One shm_open object holds a header
 * (identity, a bump allocator, the lock), fixed tables of maps, programs
 * and attach requests
 * and, after them, the maps' blocks (maps_internal.h) and the programs'
 * instructions, 64-byte aligned, found by their offset: every process maps
 * the segment where its kernel likes. The
 * identity (struct bpfaot_shm_prefix) comes first in every layout version,
 * so that an opener tells another version from something else.
 *
 * The table is written only under the header's lock, and in an order that
 * is consistent at every step (the entry first, then the count that makes
 * it visible), so readers take no lock and a process that dies holding it
 * leaves at worst some unused storage behind. Nothing is ever freed: a map
 * lives as long as its segment.
 */
#define _GNU_SOURCE
#include "shm_internal.h"
#include "maps_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define SHM_ALIGN       64
#define SHM_OPEN_WAIT_S 2 /* how long an opener waits for the creator to finish */

struct shm_map_entry {
        uint32_t id;
        uint32_t type, key_size, value_size, max_entries, map_flags, map_extra;
        uint32_t ncpus;
        uint32_t frozen;   /* atomic: bpfaot_shm__freeze_map */
        uint32_t released; /* atomic: bpfaot_shm__release_map */
        uint64_t block_off, block_size;
        char name[BPFAOT_SHM_NAME_LEN];
};

enum shm_prog_state {
        SHM_PROG_LIVE = 1,
        SHM_PROG_RELEASED, /* withdrawn (bpfaot_shm__release_prog) */
};

struct shm_prog_entry {
        uint32_t id;
        uint32_t state; /* enum shm_prog_state */
        uint32_t type, expected_attach_type, insn_cnt;
        uint64_t insns_off; /* the instructions, from the segment's start */
        uint64_t bytecode_hash;
        /* Native code (bpfaot_shm__set_prog_code): offset and size, one atomic word each. */
        uint64_t code_off, code_size;
        char name[BPFAOT_SHM_NAME_LEN];
        char license[BPFAOT_SHM_LICENSE_LEN];
};

/*
 * PROG_ATTACH's fields live where layout version 1 already had room (the
 * padding after pid, always written as zero, and the offset a PROG_ATTACH
 * has not), so that its segments keep their layout.
 */
struct shm_attach_entry {
        uint32_t id;
        uint32_t live; /* atomic: 0 once withdrawn */
        uint32_t prog_id, kind;
        int32_t pid;
        uint32_t target_map_id; /* PROG_ATTACH */
        union {
                uint64_t offset; /* UPROBE, URETPROBE */
                struct {
                        uint32_t type, flags;
                } attach; /* PROG_ATTACH */
        };
        char target[BPFAOT_SHM_TARGET_LEN];
};
_Static_assert(offsetof(struct shm_attach_entry, offset) == 24 &&
                   offsetof(struct shm_attach_entry, target) == 32,
               "the attach entry of layout version 1");

struct shm_header {
        struct bpfaot_shm_prefix pre; /* first in every layout version */
        uint64_t size;
        uint64_t used; /* bytes allocated from the start of the segment */
        uint32_t map_cnt;
        uint32_t map_cap;
        uint32_t prog_cnt;
        uint32_t prog_cap;
        uint32_t attach_cnt;
        uint32_t attach_cap;
        pthread_mutex_t lock; /* the tables and `used` */
        struct shm_map_entry maps[BPFAOT_SHM_MAX_MAPS];
        struct shm_prog_entry progs[BPFAOT_SHM_MAX_PROGS];
        struct shm_attach_entry attaches[BPFAOT_SHM_MAX_ATTACHES];
};

struct bpfaot_shm {
        char *name;
        struct shm_header *hdr;
        size_t len;
        int fd; /* kept to back allocations with storage (segment_alloc) */
        /* The ids PROG_ARRAYs and maps of maps hold, as this process resolves them (ids_miss). */
        struct bpfaot_map_ids ids;
        pthread_mutex_t ids_lock; /* a miss */
        struct bpfaot_shm_resolver resolver;
        struct bpfaot_map **own_maps; /* handles ids_miss attached itself, by id - 1 */
};

static const size_t header_bytes = BPFAOT_ROUND_UP(sizeof(struct shm_header), SHM_ALIGN);

/* Fill `e` (if any) with "<segment>: <reason>" on one line. Returns -code. */
static int fail(struct bpfaot_error *e, const char *name, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int fail(struct bpfaot_error *e, const char *name, int code, const char *fmt, ...)
{
        va_list ap;
        int n;

        if (!e)
                return -code;
        e->code = -code;
        e->insn = -1;
        n = snprintf(e->msg, sizeof(e->msg), "%s: ", name);
        va_start(ap, fmt);
        if (n >= 0 && (size_t)n < sizeof(e->msg))
                vsnprintf(e->msg + n, sizeof(e->msg) - (size_t)n, fmt, ap);
        va_end(ap);
        for (char *c = e->msg; *c; c++)
                if ((unsigned char)*c < 0x20 || *c == 0x7f)
                        *c = '?';
        return -code;
}

const char *bpfaot_shm__default_name(void)
{
        const char *env = getenv(BPFAOT_SHM_ENV);

        return env && *env ? env : BPFAOT_SHM_DEFAULT_NAME;
}

/* shm_open's name for `name`: one leading '/', then one non-empty path component. */
static int full_name(const char *name, char **out)
{
        const char *base;

        if (!name)
                name = bpfaot_shm__default_name();
        base = name[0] == '/' ? name + 1 : name;
        if (!*base || strchr(base, '/'))
                return -EINVAL;
        if (strlen(base) >= NAME_MAX)
                return -ENAMETOOLONG;
        if (asprintf(out, "/%s", base) < 0) {
                *out = NULL;
                return -ENOMEM;
        }
        return 0;
}

static int init_lock(pthread_mutex_t *lock)
{
        pthread_mutexattr_t attr;
        int rc = pthread_mutexattr_init(&attr);

        if (rc)
                return -rc;
        rc = pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
        rc = rc ?: pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST);
        rc = rc ?: pthread_mutex_init(lock, &attr);
        pthread_mutexattr_destroy(&attr);
        return -rc;
}

/* A created segment's permissions: opts.mode, else $BPFAOT_SHM_MODE, else the default. */
static int create_mode(const struct bpfaot_shm_opts *o, const char *name, mode_t *mode)
{
        const char *env = getenv(BPFAOT_SHM_MODE_ENV);
        unsigned long v;
        char *end;

        if (o->mode) {
                v = o->mode;
        } else if (env && *env) {
                errno = 0;
                v = strtoul(env, &end, 8);
                if (errno || *end || env[0] == '-')
                        v = ~0ul;
        } else {
                v = BPFAOT_SHM_DEFAULT_MODE;
        }
        if (v & ~0777ul)
                return o->mode ? fail(o->error, name, EINVAL, "mode %#o is not a permission mode",
                                      o->mode)
                               : fail(o->error, name, EINVAL,
                                      "%s=%s is not a permission mode (an octal number such as "
                                      "0660)",
                                      BPFAOT_SHM_MODE_ENV, env);
        *mode = (mode_t)v;
        return 0;
}

/* Make the segment: only the process whose O_EXCL open succeeds initialises it. */
static int segment_create(struct bpfaot_shm *shm, uint64_t size, mode_t mode,
                          struct bpfaot_error *e)
{
        struct shm_header *h;
        void *p;
        int fd, err = 0;

        fd = shm_open(shm->name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd < 0 && errno == EEXIST)
                return -EEXIST; /* someone else's: the caller opens it */
        if (fd < 0)
                return fail(e, shm->name, errno, "cannot create it: %s", strerror(errno));
        /* shm_open's mode went through the umask: the segment gets the one asked for. */
        if (fchmod(fd, mode) || ftruncate(fd, (off_t)size))
                err = -errno;
        /* The header is written now: its pages must exist (a full /dev/shm: ENOSPC, no SIGBUS). */
        if (!err)
                err = -posix_fallocate(fd, 0, (off_t)header_bytes);
        p = err ? MAP_FAILED : mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (!err && p == MAP_FAILED)
                err = -errno;
        if (!err) {
                h = p;
                h->pre.version = BPFAOT_SHM_VERSION;
                h->size = size;
                h->used = header_bytes;
                h->map_cap = BPFAOT_SHM_MAX_MAPS;
                h->prog_cap = BPFAOT_SHM_MAX_PROGS;
                h->attach_cap = BPFAOT_SHM_MAX_ATTACHES;
                __atomic_store_n(&h->pre.magic, BPFAOT_SHM_MAGIC, __ATOMIC_RELAXED);
                err = init_lock(&h->lock);
        }
        if (err) {
                if (p != MAP_FAILED)
                        munmap(p, size);
                close(fd);
                shm_unlink(shm->name);
                return fail(e, shm->name, -err, "cannot create it: %s", strerror(-err));
        }
        /* Openers wait for this, then read what was written before it. */
        __atomic_store_n(&h->pre.ready, BPFAOT_SHM_READY, __ATOMIC_RELEASE);
        shm->hdr = h;
        shm->len = size;
        shm->fd = fd;
        return 0;
}

/*
 * Wait (boundedly) until the creator of the segment open at fd set its ready
 * word, telling a file that is no segment at all as soon as its magic says so.
 */
static int wait_ready(int fd, const char *name, struct bpfaot_shm_prefix *pre,
                      struct bpfaot_error *e)
{
        struct timespec start, now, nap = {0, 1000000};
        ssize_t n;

        clock_gettime(CLOCK_MONOTONIC, &start);
        for (;;) {
                memset(pre, 0, sizeof(*pre));
                n = pread(fd, pre, sizeof(*pre), 0);
                if (n < 0)
                        return fail(e, name, errno, "cannot read it: %s", strerror(errno));
                if (pre->magic && pre->magic != BPFAOT_SHM_MAGIC)
                        return fail(e, name, EPROTO, "not a bpf-aot shared-memory segment");
                if ((size_t)n == sizeof(*pre) && pre->ready == BPFAOT_SHM_READY)
                        return 0;
                clock_gettime(CLOCK_MONOTONIC, &now);
                if ((now.tv_sec - start.tv_sec) * 1000000000L + (now.tv_nsec - start.tv_nsec) >=
                    SHM_OPEN_WAIT_S * 1000000000L)
                        return fail(e, name, EPROTO,
                                    "not initialised after %d s (its creator may have died; "
                                    "remove it)",
                                    SHM_OPEN_WAIT_S);
                nanosleep(&nap, NULL);
        }
}

/* Map a segment another process made (or is making), once it is ready and if it is ours. */
static int segment_open(struct bpfaot_shm *shm, struct bpfaot_error *e)
{
        struct bpfaot_shm_prefix pre;
        struct shm_header *h;
        struct stat st;
        void *p;
        int fd, err;

        fd = shm_open(shm->name, O_RDWR | O_CLOEXEC, 0);
        if (fd < 0 && errno == ENOENT)
                return -ENOENT; /* the caller creates it again, or says so */
        if (fd < 0)
                return fail(e, shm->name, errno, "cannot open it: %s", strerror(errno));
        err = wait_ready(fd, shm->name, &pre, e);
        if (!err && pre.version != BPFAOT_SHM_VERSION)
                err = fail(e, shm->name, EPROTO, "layout version %u; this bpf-aot reads version %u",
                           pre.version, BPFAOT_SHM_VERSION);
        if (!err && fstat(fd, &st))
                err = fail(e, shm->name, errno, "cannot stat it: %s", strerror(errno));
        if (!err && (uint64_t)st.st_size < header_bytes)
                err = fail(e, shm->name, EPROTO, "%lld bytes, too small for its header",
                           (long long)st.st_size);
        if (err) {
                close(fd);
                return err;
        }
        p = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        err = p == MAP_FAILED ? -errno : 0;
        if (err) {
                close(fd);
                return fail(e, shm->name, -err, "cannot map it: %s", strerror(-err));
        }
        h = p;
        (void)__atomic_load_n(&h->pre.ready, __ATOMIC_ACQUIRE); /* pairs with the creator's store */
        if (h->size != (uint64_t)st.st_size || h->map_cap != BPFAOT_SHM_MAX_MAPS ||
            h->prog_cap != BPFAOT_SHM_MAX_PROGS || h->attach_cap != BPFAOT_SHM_MAX_ATTACHES ||
            h->used > h->size) {
                munmap(p, (size_t)st.st_size);
                close(fd);
                return fail(e, shm->name, EPROTO, "its header does not describe it");
        }
        shm->hdr = h;
        shm->len = (size_t)st.st_size;
        shm->fd = fd;
        return 0;
}

/* Create or open: a racing creator that wins makes the others open; a removal meanwhile retries. */
static int segment_get(struct bpfaot_shm *shm, const struct bpfaot_shm_opts *o)
{
        uint64_t size = o->size ? o->size : BPFAOT_SHM_DEFAULT_SIZE;
        mode_t mode = BPFAOT_SHM_DEFAULT_MODE;
        int err = -ENOENT;

        if (o->create && (err = create_mode(o, shm->name, &mode)))
                return err;
        err = -ENOENT;

        if (o->create && size < header_bytes)
                return fail(o->error, shm->name, EINVAL,
                            "size %llu cannot hold the segment's header (%zu bytes)",
                            (unsigned long long)size, header_bytes);
        /* Removed between our create and open attempts: try again, a few times. */
        for (int tries = 0; tries < 3 && err == -ENOENT; tries++) {
                err = o->create ? segment_create(shm, size, mode, o->error) : -EEXIST;
                if (err == -EEXIST)
                        err = segment_open(shm, o->error);
                if (!o->create)
                        break;
        }
        if (err == -ENOENT)
                return fail(o->error, shm->name, ENOENT, "no such segment");
        return err;
}

/* ---- Ids in PROG_ARRAYs and maps of maps, resolved in this process ---- */

const char bpfaot__ids_none;

static bool id_known(struct bpfaot_shm *shm, bool prog, uint32_t id)
{
        return id <=
               __atomic_load_n(prog ? &shm->hdr->prog_cnt : &shm->hdr->map_cnt, __ATOMIC_ACQUIRE);
}

/*
 * The first time an id is asked for: the resolver's answer, kept for every
 * later time. Without a resolver, a map is attached here (kept until the
 * segment is closed) and a program is nothing. An id the segment had when
 * it resolved to nothing stays nothing (a withdrawn map, a program that
 * cannot run here); one past the tables' counts, or one the resolver could
 * not answer for now (-EAGAIN), is asked about again.
 */
static void *ids_miss(struct bpfaot_map_ids *ids, bool prog, uint32_t id)
{
        struct bpfaot_shm *shm =
            (struct bpfaot_shm *)((char *)ids - offsetof(struct bpfaot_shm, ids));
        void **tab = prog ? ids->progs : ids->maps;
        struct bpfaot_map *m = NULL;
        bpfaot_prog_fn fn = NULL;
        void *p;
        int rc = 0;

        pthread_mutex_lock(&shm->ids_lock);
        p = tab[id - 1];
        if (!p && prog) {
                if (shm->resolver.prog)
                        rc = shm->resolver.prog(shm->resolver.ctx, id, &fn);
                p = rc ? NULL : (void *)fn;
        } else if (!p && shm->resolver.map) {
                rc = shm->resolver.map(shm->resolver.ctx, id, &m);
                p = rc ? NULL : m;
        } else if (!p && bpfaot_shm__map(shm, id, &m) == 0) {
                shm->own_maps[id - 1] = m;
                p = m;
        }
        if (p || (rc != -EAGAIN && id_known(shm, prog, id)))
                __atomic_store_n(&tab[id - 1], p ? p : BPFAOT_IDS_NONE, __ATOMIC_RELEASE);
        pthread_mutex_unlock(&shm->ids_lock);
        return p ? p : BPFAOT_IDS_NONE;
}

static int ids_init(struct bpfaot_shm *shm)
{
        pthread_mutexattr_t attr;
        struct stat st;

        shm->ids.map_cap = BPFAOT_SHM_MAX_MAPS;
        shm->ids.prog_cap = BPFAOT_SHM_MAX_PROGS;
        shm->ids.maps = calloc(BPFAOT_SHM_MAX_MAPS, sizeof(void *));
        shm->ids.progs = calloc(BPFAOT_SHM_MAX_PROGS, sizeof(void *));
        shm->own_maps = calloc(BPFAOT_SHM_MAX_MAPS, sizeof(*shm->own_maps));
        shm->ids.segment =
            fstat(shm->fd, &st) == 0 ? (uint64_t)st.st_ino : (uint64_t)(uintptr_t)shm;
        shm->ids.miss = ids_miss;
        /* Recursive: code a resolver runs may run a program that meets another new id. */
        pthread_mutexattr_init(&attr);
        pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
        pthread_mutex_init(&shm->ids_lock, &attr);
        pthread_mutexattr_destroy(&attr);
        return shm->ids.maps && shm->ids.progs && shm->own_maps ? 0 : -ENOMEM;
}

static void ids_free(struct bpfaot_shm *shm)
{
        if (!shm->ids.miss)
                return;
        for (uint32_t i = 0; shm->own_maps && i < BPFAOT_SHM_MAX_MAPS; i++)
                bpfaot_map__free(shm->own_maps[i]);
        free(shm->own_maps);
        free(shm->ids.maps);
        free(shm->ids.progs);
        pthread_mutex_destroy(&shm->ids_lock);
}

int bpfaot_shm__set_resolver(struct bpfaot_shm *shm, const struct bpfaot_shm_resolver *r)
{
        struct bpfaot_shm_resolver n = {0};

        if (!shm)
                return -EINVAL;
        if (r)
                memcpy(&n, r, r->sz < sizeof(n) ? r->sz : sizeof(n));
        pthread_mutex_lock(&shm->ids_lock);
        shm->resolver = n;
        /* What the one before answered is forgotten (the handles this file attached stay). */
        for (uint32_t i = 0; i < BPFAOT_SHM_MAX_MAPS; i++)
                __atomic_store_n(&shm->ids.maps[i], NULL, __ATOMIC_RELEASE);
        for (uint32_t i = 0; i < BPFAOT_SHM_MAX_PROGS; i++)
                __atomic_store_n(&shm->ids.progs[i], NULL, __ATOMIC_RELEASE);
        pthread_mutex_unlock(&shm->ids_lock);
        return 0;
}

int bpfaot_shm__open(const char *name, const struct bpfaot_shm_opts *opts, struct bpfaot_shm **out)
{
        struct bpfaot_shm_opts o = {0};
        struct bpfaot_shm *shm;
        int err;

        if (!out)
                return -EINVAL;
        *out = NULL;
        if (opts)
                memcpy(&o, opts, opts->sz < sizeof(o) ? opts->sz : sizeof(o));
        shm = calloc(1, sizeof(*shm));
        if (!shm)
                return fail(o.error, name ? name : "segment", ENOMEM, "out of memory");
        err = full_name(name, &shm->name);
        if (err)
                fail(o.error, name ? name : bpfaot_shm__default_name(), -err,
                     err == -ENOMEM ? "out of memory" : "not a segment name (one path component)");
        err = err ?: segment_get(shm, &o);
        if (err) {
                free(shm->name);
                free(shm);
                return err;
        }
        err = ids_init(shm);
        if (err) {
                bpfaot_shm__close(shm);
                return fail(o.error, name ? name : bpfaot_shm__default_name(), -err,
                            "out of memory");
        }
        *out = shm;
        return 0;
}

void bpfaot_shm__close(struct bpfaot_shm *shm)
{
        if (!shm)
                return;
        ids_free(shm);
        munmap(shm->hdr, shm->len);
        close(shm->fd);
        free(shm->name);
        free(shm);
}

int bpfaot_shm__remove(const char *name)
{
        char *full;
        int err = full_name(name, &full);

        if (err)
                return err;
        if (shm_unlink(full))
                err = -errno;
        free(full);
        return err;
}

const char *bpfaot_shm__name(const struct bpfaot_shm *shm)
{
        return shm->name;
}

int bpfaot_shm__info(struct bpfaot_shm *shm, struct bpfaot_shm_info *info)
{
        if (!shm || !info)
                return -EINVAL;
        memset(info, 0, sizeof(*info));
        info->version = shm->hdr->pre.version;
        info->size = shm->len;
        info->used = __atomic_load_n(&shm->hdr->used, __ATOMIC_RELAXED);
        for (uint32_t id = 0; bpfaot_shm__next_map_id(shm, id, &id) == 0;)
                info->map_cnt++;
        for (uint32_t id = 0; bpfaot_shm__next_prog_id(shm, id, &id) == 0;)
                info->prog_cnt++;
        return 0;
}

int bpfaot__shm_lock(struct bpfaot_shm *shm)
{
        int rc = pthread_mutex_lock(&shm->hdr->lock);

        /* Its holder died; what it left is consistent (see the top of this file). */
        if (rc == EOWNERDEAD)
                rc = pthread_mutex_consistent(&shm->hdr->lock);
        return -rc;
}

void bpfaot__shm_unlock(struct bpfaot_shm *shm)
{
        pthread_mutex_unlock(&shm->hdr->lock);
}

/*
 * The place of a map's block: the segment's bump allocator (the lock is
 * held). The bytes get their storage now, so that a full /dev/shm is a
 * failed allocation (-ENOSPC) rather than a SIGBUS at the first write.
 */
static void *segment_alloc(void *ctx, size_t size)
{
        struct bpfaot_shm *shm = ctx;
        uint64_t off = BPFAOT_ROUND_UP(shm->hdr->used, SHM_ALIGN);

        if (off > shm->len || size > shm->len - off)
                return NULL;
        if (size && posix_fallocate(shm->fd, (off_t)off, (off_t)size))
                return NULL;
        __atomic_store_n(&shm->hdr->used, off + size, __ATOMIC_RELAXED);
        return (char *)shm->hdr + off;
}

/*
 * The place of an mmapable array's block: whole pages of its own, so that a
 * loader's mmap() of the map (bpfaot_shm__mmap_map) shows the values at the
 * start of its first page and nothing of the segment's other contents.
 */
static void *segment_alloc_pages(void *ctx, size_t size)
{
        struct bpfaot_shm *shm = ctx;
        size_t page = bpfaot__page_size();
        uint64_t start = shm->hdr->used;
        char *block;

        __atomic_store_n(&shm->hdr->used, BPFAOT_ROUND_UP(start, page), __ATOMIC_RELAXED);
        block = segment_alloc(ctx, BPFAOT_ROUND_UP(size, page));
        if (!block)
                __atomic_store_n(&shm->hdr->used, start, __ATOMIC_RELAXED);
        return block;
}

void *bpfaot__shm_alloc(struct bpfaot_shm *shm, size_t size, bool pages)
{
        return pages ? segment_alloc_pages(shm, size) : segment_alloc(shm, size);
}

void *bpfaot__shm_base(const struct bpfaot_shm *shm, size_t *len, int *fd)
{
        if (len)
                *len = shm->len;
        if (fd)
                *fd = shm->fd;
        return shm->hdr;
}

/* Record `map`, made in the segment, as entry `idx`; the count is raised after, by the caller. */
static void record_map(struct bpfaot_shm *shm, uint32_t idx, const struct bpfaot_map *map)
{
        const struct bpfaot_map_def *def = bpfaot_map__def(map);
        struct shm_map_entry *ent = &shm->hdr->maps[idx];

        memset(ent, 0, sizeof(*ent));
        ent->id = idx + 1;
        ent->type = def->type;
        ent->key_size = def->key_size;
        ent->value_size = def->value_size;
        ent->max_entries = def->max_entries;
        ent->map_flags = def->map_flags;
        ent->map_extra = def->map_extra;
        ent->ncpus = bpfaot_map__ncpus(map);
        ent->block_off = (uint64_t)((char *)map->block - (char *)shm->hdr);
        ent->block_size = map->block_size;
        if (def->name)
                memcpy(ent->name, def->name, strnlen(def->name, sizeof(ent->name) - 1));
}

int bpfaot_shm__create_map(struct bpfaot_shm *shm, const struct bpfaot_map_def *def, uint32_t *id)
{
        struct bpfaot_map_place place = {.alloc = segment_alloc, .ctx = shm, .shared = true};
        struct bpfaot_map *map = NULL;
        uint64_t start;
        uint32_t cnt;
        int err;

        if (!shm || !def || !id)
                return -EINVAL;
        /* Maps a loader may mmap(): pages of their own. */
        if ((def->map_flags & BPF_F_MMAPABLE) || def->type == BPF_MAP_TYPE_RINGBUF ||
            def->type == BPF_MAP_TYPE_USER_RINGBUF)
                place.alloc = segment_alloc_pages;
        err = bpfaot__shm_lock(shm);
        if (err)
                return err;
        start = shm->hdr->used;
        cnt = shm->hdr->map_cnt;
        err = cnt < BPFAOT_SHM_MAX_MAPS ? 0 : -ENOSPC;
        err = err ?: bpfaot__map_create_at(def, &place, &map);
        if (!err) {
                record_map(shm, cnt, map);
                __atomic_store_n(&shm->hdr->map_cnt, cnt + 1, __ATOMIC_RELEASE);
                *id = cnt + 1;
        } else if (shm->hdr->used > start) {
                /* Give back what the failed creation took, zeroed as the allocator hands it out. */
                memset((char *)shm->hdr + start, 0, shm->hdr->used - start);
                __atomic_store_n(&shm->hdr->used, start, __ATOMIC_RELAXED);
        }
        bpfaot__shm_unlock(shm);
        /* This handle goes; the map stays in the segment (bpfaot_shm__map makes others). */
        bpfaot_map__free(map);
        return err;
}

/* A copy of map `id`'s entry, checked against the segment: 0, -ENOENT or -EPROTO. */
static int map_entry(struct bpfaot_shm *shm, uint32_t id, struct shm_map_entry *ent)
{
        uint32_t cnt = __atomic_load_n(&shm->hdr->map_cnt, __ATOMIC_ACQUIRE);

        if (id == 0 || id > cnt || id > BPFAOT_SHM_MAX_MAPS)
                return -ENOENT;
        *ent = shm->hdr->maps[id - 1];
        ent->name[sizeof(ent->name) - 1] = '\0';
        if (ent->id != id || ent->block_off < header_bytes || ent->block_off > shm->len ||
            ent->block_size > shm->len - ent->block_off)
                return -EPROTO;
        return __atomic_load_n(&shm->hdr->maps[id - 1].released, __ATOMIC_ACQUIRE) ? -ENOENT : 0;
}

int bpfaot_shm__map(struct bpfaot_shm *shm, uint32_t id, struct bpfaot_map **map)
{
        struct shm_map_entry ent;
        struct bpfaot_map_def def = {0};
        int err;

        if (!shm || !map)
                return -EINVAL;
        *map = NULL;
        err = map_entry(shm, id, &ent);
        if (err)
                return err;
        def.name = ent.name[0] ? ent.name : NULL;
        def.type = ent.type;
        def.key_size = ent.key_size;
        def.value_size = ent.value_size;
        def.max_entries = ent.max_entries;
        def.map_flags = ent.map_flags;
        def.map_extra = ent.map_extra;
        err = bpfaot__map_attach(&def, ent.ncpus, (char *)shm->hdr + ent.block_off, ent.block_size,
                                 map);
        if (!err) {
                (*map)->shm_id = id;
                (*map)->ids = &shm->ids;
        }
        return err;
}

int bpfaot_shm__freeze_map(struct bpfaot_shm *shm, uint32_t id)
{
        struct shm_map_entry ent;
        int err;

        if (!shm)
                return -EINVAL;
        err = map_entry(shm, id, &ent);
        if (!err)
                __atomic_store_n(&shm->hdr->maps[id - 1].frozen, 1, __ATOMIC_RELEASE);
        return err;
}

/* The kernel's ENOTSUPP (not in userspace headers): mmap() of a map type that has no mmap. */
#define KERNEL_ENOTSUPP 524

/*
 * mmap() of a RINGBUF (the kernel's ringbuf_map_mmap_kern after bpf_map_mmap)
 * or a USER_RINGBUF (ringbuf_map_mmap_user): the block's user view, from its
 * consumer page. A read-only mapping comes from a read-only descriptor of
 * the segment, so that mprotect() cannot make it writable (the kernel clears
 * VM_MAYWRITE).
 */
static int mmap_ringbuf(struct bpfaot_shm *shm, uint32_t id, const struct shm_map_entry *ent,
                        const struct bpfaot_shm_mmap *req, void **out)
{
        bool produce = ent->type == BPF_MAP_TYPE_USER_RINGBUF; /* user space produces */
        size_t page = bpfaot__page_size(), view;
        size_t user = produce ? bpfaot__user_ringbuf_user_offset() : bpfaot__ringbuf_user_offset();
        int fd = shm->fd;
        void *p;

        if ((req->flags & MAP_TYPE) != MAP_SHARED)
                return -EINVAL;
        if (req->prot & PROT_WRITE) {
                if (__atomic_load_n(&shm->hdr->maps[id - 1].frozen, __ATOMIC_ACQUIRE))
                        return -EPERM;
                if (ent->map_flags & (BPF_F_RDONLY_PROG | BPF_F_RDONLY))
                        return -EACCES;
                /* A producer writes all but the consumer position, a consumer only that. */
                if (produce ? req->offset == 0
                            : req->offset != 0 || req->len == 0 ||
                                  BPFAOT_ROUND_UP(req->len, page) != page)
                        return -EPERM;
        }
        /* Made by segment_alloc_pages: page-aligned, and the block's pages are the map's alone. */
        view = (size_t)ent->block_size - user;
        if (ent->block_size < user || req->offset < 0 || (size_t)req->offset % page ||
            req->len == 0 || (size_t)req->offset > view ||
            BPFAOT_ROUND_UP(req->len, page) > view - (size_t)req->offset || ent->block_off % page)
                return -EINVAL;
        if (!(req->prot & PROT_WRITE)) {
                char path[64];

                /* The same object even if its name was removed; without /proc, the one we hold. */
                snprintf(path, sizeof(path), "/proc/self/fd/%d", shm->fd);
                fd = open(path, O_RDONLY | O_CLOEXEC);
                if (fd < 0)
                        fd = shm->fd;
        }
        p = mmap(req->addr, req->len, req->prot, req->flags, fd,
                 (off_t)(ent->block_off + user) + req->offset);
        if (fd != shm->fd)
                close(fd);
        if (p == MAP_FAILED)
                return -errno;
        *out = p;
        return 0;
}

int bpfaot_shm__mmap_map(struct bpfaot_shm *shm, uint32_t id, const struct bpfaot_shm_mmap *req,
                         void **out)
{
        size_t page = bpfaot__page_size(), values;
        struct shm_map_entry ent;
        void *p;
        int err;

        if (!shm || !req || !out)
                return -EINVAL;
        *out = MAP_FAILED;
        err = map_entry(shm, id, &ent);
        if (err)
                return err;
        if (ent.type == BPF_MAP_TYPE_RINGBUF || ent.type == BPF_MAP_TYPE_USER_RINGBUF)
                return mmap_ringbuf(shm, id, &ent, req, out);
        /* The kernel's checks, in its order (bpf_map_mmap, then array_map_mmap). */
        if (ent.type != BPF_MAP_TYPE_ARRAY)
                return -KERNEL_ENOTSUPP;
        if ((req->flags & MAP_TYPE) != MAP_SHARED)
                return -EINVAL;
        if (req->prot & PROT_WRITE) {
                if (__atomic_load_n(&shm->hdr->maps[id - 1].frozen, __ATOMIC_ACQUIRE))
                        return -EPERM;
                if (ent.map_flags & (BPF_F_RDONLY_PROG | BPF_F_RDONLY))
                        return -EACCES;
        }
        if (!(ent.map_flags & BPF_F_MMAPABLE))
                return -EINVAL;
        /* Made by segment_alloc_pages: page-aligned, and the block's pages are the map's alone. */
        values = BPFAOT_ROUND_UP((size_t)ent.block_size, page);
        if (req->offset < 0 || (size_t)req->offset % page || req->len == 0 ||
            (size_t)req->offset > values || req->len > values - (size_t)req->offset ||
            ent.block_off % page)
                return -EINVAL;
        p = mmap(req->addr, req->len, req->prot, req->flags, shm->fd,
                 (off_t)ent.block_off + req->offset);
        if (p == MAP_FAILED)
                return -errno;
        *out = p;
        return 0;
}

int bpfaot_shm__next_map_id(struct bpfaot_shm *shm, uint32_t id, uint32_t *next)
{
        uint32_t cnt;

        if (!shm || !next)
                return -EINVAL;
        cnt = __atomic_load_n(&shm->hdr->map_cnt, __ATOMIC_ACQUIRE);
        for (uint32_t i = id; i < cnt && i < BPFAOT_SHM_MAX_MAPS; i++) {
                if (!__atomic_load_n(&shm->hdr->maps[i].released, __ATOMIC_ACQUIRE)) {
                        *next = i + 1;
                        return 0;
                }
        }
        return -ENOENT;
}

/* Does program `prog`'s bytecode load map `map_id`? */
static bool prog_loads_map(struct bpfaot_shm *shm, uint32_t prog, uint32_t map_id)
{
        const struct bpf_insn *insns;
        uint32_t cnt;

        if (bpfaot_shm__prog_insns(shm, prog, &insns, &cnt))
                return false;
        for (uint32_t i = 0; i + 1 < cnt; i++) {
                if (insns[i].code != (BPF_LD | BPF_IMM | BPF_DW))
                        continue;
                if ((insns[i].src_reg == BPF_PSEUDO_MAP_FD ||
                     insns[i].src_reg == BPF_PSEUDO_MAP_VALUE) &&
                    insns[i].imm == (int32_t)map_id)
                        return true;
                i++;
        }
        return false;
}

int bpfaot_shm__next_map_user(struct bpfaot_shm *shm, uint32_t map_id, uint32_t id, uint32_t *next)
{
        while (bpfaot_shm__next_prog_id(shm, id, &id) == 0)
                if (prog_loads_map(shm, id, map_id)) {
                        *next = id;
                        return 0;
                }
        return -ENOENT;
}

/* Does a program of the segment that is not withdrawn load map `id`? */
static bool map_in_use(struct bpfaot_shm *shm, uint32_t id)
{
        uint32_t prog;

        return bpfaot_shm__next_map_user(shm, id, 0, &prog) == 0;
}

/*
 * Does a slot of a map of maps of the segment, not withdrawn, hold map `id`?
 * (It keeps the map, as the kernel's outer map holds its inner maps.)
 */
static bool map_in_slot(struct bpfaot_shm *shm, uint32_t id)
{
        struct bpfaot_shm_map_info mi;
        struct bpfaot_map *outer;
        bool held = false;

        for (uint32_t o = 0; !held && bpfaot_shm__next_map_id(shm, o, &o) == 0;) {
                uint8_t *key, *next;
                uint32_t v;

                if (bpfaot_shm__map_info(shm, o, &mi) ||
                    (mi.type != BPF_MAP_TYPE_ARRAY_OF_MAPS &&
                     mi.type != BPF_MAP_TYPE_HASH_OF_MAPS) ||
                    bpfaot_shm__map(shm, o, &outer))
                        continue;
                key = malloc(mi.key_size);
                next = malloc(mi.key_size);
                /* Without memory to look, the map is taken as held: it stays. */
                held = !key || !next;
                for (const void *prev = NULL;
                     !held && bpfaot_map__get_next_key(outer, prev, next) == 0; prev = key) {
                        memcpy(key, next, mi.key_size);
                        held = bpfaot_map__lookup_copy(outer, key, &v) == 0 && v == id;
                }
                free(key);
                free(next);
                bpfaot_map__free(outer);
        }
        return held;
}

int bpfaot_shm__release_map(struct bpfaot_shm *shm, uint32_t id)
{
        struct shm_map_entry ent;
        int err;

        if (!shm)
                return -EINVAL;
        err = map_entry(shm, id, &ent);
        if (err)
                return err;
        if (map_in_use(shm, id) || map_in_slot(shm, id))
                return -EBUSY;
        for (uint32_t a = 0; bpfaot_shm__next_attach_id(shm, a, &a) == 0;)
                if (shm->hdr->attaches[a - 1].kind == BPFAOT_SHM_PROG_ATTACH &&
                    shm->hdr->attaches[a - 1].target_map_id == id)
                        return -EBUSY;
        __atomic_store_n(&shm->hdr->maps[id - 1].released, 1, __ATOMIC_RELEASE);
        return 0;
}

int bpfaot_shm__map_info(struct bpfaot_shm *shm, uint32_t id, struct bpfaot_shm_map_info *info)
{
        struct shm_map_entry ent;
        int err;

        if (!shm || !info)
                return -EINVAL;
        err = map_entry(shm, id, &ent);
        if (err)
                return err;
        memset(info, 0, sizeof(*info));
        info->id = ent.id;
        info->type = ent.type;
        info->key_size = ent.key_size;
        info->value_size = ent.value_size;
        info->max_entries = ent.max_entries;
        info->map_flags = ent.map_flags;
        info->ncpus = ent.ncpus;
        info->frozen = __atomic_load_n(&shm->hdr->maps[id - 1].frozen, __ATOMIC_ACQUIRE) != 0;
        memcpy(info->name, ent.name, sizeof(info->name));
        return 0;
}

/* ---- Programs ---- */

/* Does every map a 64-bit load names exist in the segment? */
static bool maps_known(struct bpfaot_shm *shm, const struct bpf_insn *insns, uint32_t cnt)
{
        uint32_t maps = __atomic_load_n(&shm->hdr->map_cnt, __ATOMIC_ACQUIRE);

        for (uint32_t i = 0; i < cnt; i++) {
                if (insns[i].code != (BPF_LD | BPF_IMM | BPF_DW))
                        continue;
                if ((insns[i].src_reg == BPF_PSEUDO_MAP_FD ||
                     insns[i].src_reg == BPF_PSEUDO_MAP_VALUE) &&
                    (insns[i].imm <= 0 || (uint32_t)insns[i].imm > maps))
                        return false;
                i++; /* its second half */
        }
        return true;
}

int bpfaot_shm__create_prog(struct bpfaot_shm *shm, const struct bpfaot_shm_prog_def *def,
                            uint32_t *id)
{
        struct shm_prog_entry *ent;
        size_t bytes;
        void *at;
        uint32_t cnt;
        int err;

        if (!shm || !def || def->sz < sizeof(*def) || !def->insns || !def->insn_cnt || !id ||
            def->insn_cnt > UINT32_MAX / sizeof(struct bpf_insn))
                return -EINVAL;
        if (!maps_known(shm, def->insns, def->insn_cnt))
                return -EINVAL;
        bytes = (size_t)def->insn_cnt * sizeof(struct bpf_insn);
        err = bpfaot__shm_lock(shm);
        if (err)
                return err;
        cnt = shm->hdr->prog_cnt;
        at = cnt < BPFAOT_SHM_MAX_PROGS ? segment_alloc(shm, bytes) : NULL;
        if (!at) {
                bpfaot__shm_unlock(shm);
                return -ENOSPC;
        }
        memcpy(at, def->insns, bytes);
        ent = &shm->hdr->progs[cnt];
        memset(ent, 0, sizeof(*ent));
        ent->id = cnt + 1;
        ent->state = SHM_PROG_LIVE;
        ent->type = def->type;
        ent->expected_attach_type = def->expected_attach_type;
        ent->insn_cnt = def->insn_cnt;
        ent->insns_off = (uint64_t)((char *)at - (char *)shm->hdr);
        ent->bytecode_hash = bpfaot_bytecode_hash(def->insns, bytes);
        if (def->name)
                memcpy(ent->name, def->name, strnlen(def->name, sizeof(ent->name) - 1));
        if (def->license)
                memcpy(ent->license, def->license, strnlen(def->license, sizeof(ent->license) - 1));
        __atomic_store_n(&shm->hdr->prog_cnt, cnt + 1, __ATOMIC_RELEASE);
        bpfaot__shm_unlock(shm);
        *id = cnt + 1;
        return 0;
}

/* A copy of program `id`'s entry, checked against the segment: 0, -ENOENT or -EPROTO. */
static int prog_entry(struct bpfaot_shm *shm, uint32_t id, struct shm_prog_entry *ent)
{
        uint32_t cnt = __atomic_load_n(&shm->hdr->prog_cnt, __ATOMIC_ACQUIRE);

        if (id == 0 || id > cnt || id > BPFAOT_SHM_MAX_PROGS)
                return -ENOENT;
        *ent = shm->hdr->progs[id - 1];
        ent->name[sizeof(ent->name) - 1] = '\0';
        ent->license[sizeof(ent->license) - 1] = '\0';
        if (ent->id != id || ent->insns_off < header_bytes || ent->insns_off > shm->len ||
            (uint64_t)ent->insn_cnt * sizeof(struct bpf_insn) > shm->len - ent->insns_off)
                return -EPROTO;
        return ent->state == SHM_PROG_LIVE ? 0 : -ENOENT;
}

int bpfaot_shm__release_prog(struct bpfaot_shm *shm, uint32_t id)
{
        struct shm_prog_entry ent;
        int err;

        if (!shm)
                return -EINVAL;
        err = prog_entry(shm, id, &ent);
        if (err)
                return err;
        for (uint32_t a = 0; bpfaot_shm__next_attach_id(shm, a, &a) == 0;)
                if (shm->hdr->attaches[a - 1].prog_id == id)
                        return -EBUSY;
        __atomic_store_n(&shm->hdr->progs[id - 1].state, SHM_PROG_RELEASED, __ATOMIC_RELEASE);
        return 0;
}

int bpfaot_shm__next_prog_id(struct bpfaot_shm *shm, uint32_t id, uint32_t *next)
{
        uint32_t cnt;

        if (!shm || !next)
                return -EINVAL;
        cnt = __atomic_load_n(&shm->hdr->prog_cnt, __ATOMIC_ACQUIRE);
        for (uint32_t i = id; i < cnt && i < BPFAOT_SHM_MAX_PROGS; i++) {
                if (__atomic_load_n(&shm->hdr->progs[i].state, __ATOMIC_ACQUIRE) == SHM_PROG_LIVE) {
                        *next = i + 1;
                        return 0;
                }
        }
        return -ENOENT;
}

int bpfaot_shm__prog_info(struct bpfaot_shm *shm, uint32_t id, struct bpfaot_shm_prog_info *info)
{
        struct shm_prog_entry ent;
        int err;

        if (!shm || !info)
                return -EINVAL;
        err = prog_entry(shm, id, &ent);
        if (err)
                return err;
        memset(info, 0, sizeof(*info));
        info->id = ent.id;
        info->type = ent.type;
        info->expected_attach_type = ent.expected_attach_type;
        info->insn_cnt = ent.insn_cnt;
        info->bytecode_hash = ent.bytecode_hash;
        info->code_size = ent.code_size;
        memcpy(info->name, ent.name, sizeof(info->name));
        memcpy(info->license, ent.license, sizeof(info->license));
        return 0;
}

int bpfaot_shm__prog_insns(struct bpfaot_shm *shm, uint32_t id, const struct bpf_insn **insns,
                           uint32_t *cnt)
{
        struct shm_prog_entry ent;
        int err;

        if (!shm || !insns || !cnt)
                return -EINVAL;
        err = prog_entry(shm, id, &ent);
        if (err)
                return err;
        *insns = (const struct bpf_insn *)((const char *)shm->hdr + ent.insns_off);
        *cnt = ent.insn_cnt;
        return 0;
}

int bpfaot_shm__set_prog_code(struct bpfaot_shm *shm, uint32_t id, const void *obj, size_t size,
                              uint64_t bytecode_hash)
{
        struct shm_prog_entry ent, *live;
        void *at;
        int err;

        if (!shm || !obj || !size)
                return -EINVAL;
        err = prog_entry(shm, id, &ent);
        if (err)
                return err;
        if (bytecode_hash != ent.bytecode_hash)
                return -EINVAL;
        err = bpfaot__shm_lock(shm);
        if (err)
                return err;
        at = segment_alloc(shm, size);
        if (at) {
                memcpy(at, obj, size);
                live = &shm->hdr->progs[id - 1];
                /* Size 0 first: a reader never pairs the new offset with the old size. */
                __atomic_store_n(&live->code_size, 0, __ATOMIC_RELEASE);
                __atomic_store_n(&live->code_off, (uint64_t)((char *)at - (char *)shm->hdr),
                                 __ATOMIC_RELEASE);
                __atomic_store_n(&live->code_size, (uint64_t)size, __ATOMIC_RELEASE);
        }
        bpfaot__shm_unlock(shm);
        return at ? 0 : -ENOSPC;
}

int bpfaot_shm__prog_code(struct bpfaot_shm *shm, uint32_t id, const void **obj, size_t *size)
{
        struct shm_prog_entry ent;
        uint64_t off, len;
        int err;

        if (!shm || !obj || !size)
                return -EINVAL;
        err = prog_entry(shm, id, &ent);
        if (err)
                return err;
        /*
         * An offset read between two equal sizes belongs with them: a
         * replacement zeroes the size before it moves the offset, and no
         * code is ever freed, so an old offset still holds its old code.
         */
        for (uint64_t again;;) {
                len = __atomic_load_n(&shm->hdr->progs[id - 1].code_size, __ATOMIC_ACQUIRE);
                off = __atomic_load_n(&shm->hdr->progs[id - 1].code_off, __ATOMIC_ACQUIRE);
                again = __atomic_load_n(&shm->hdr->progs[id - 1].code_size, __ATOMIC_ACQUIRE);
                if (again == len)
                        break;
        }
        if (!len)
                return -ENOENT;
        if (off < header_bytes || off > shm->len || len > shm->len - off)
                return -EPROTO;
        *obj = (const char *)shm->hdr + off;
        *size = (size_t)len;
        return 0;
}

/* ---- Attach requests ---- */

/*
 * The smallest def->sz taken: a def of the fields before PROG_ATTACH's
 * (whose sizeof, padded, reaches into attach_type), which has them 0.
 */
#define ATTACH_DEF_OFFSETOFEND(f)                                                                  \
        (offsetof(struct bpfaot_shm_attach_def, f) + sizeof(((struct bpfaot_shm_attach_def *)0)->f))
#define ATTACH_DEF_MIN_SZ ATTACH_DEF_OFFSETOFEND(pid)

/* "category/name": two non-empty parts. */
static bool tracepoint_name_ok(const char *t)
{
        const char *slash = strchr(t, '/');

        return slash && slash != t && slash[1] && !strchr(slash + 1, '/');
}

/* The fields `d` has for its kind, and no others; the target it names, in `target`. */
static int attach_def_check(struct bpfaot_shm *shm, const struct bpfaot_shm_attach_def *d,
                            char target[BPFAOT_SHM_TARGET_LEN])
{
        bool prog_attach = d->kind == BPFAOT_SHM_PROG_ATTACH;
        struct bpfaot_shm_map_info mi;
        int err, n;

        if (d->kind < BPFAOT_SHM_UPROBE || d->kind > BPFAOT_SHM_PROG_ATTACH)
                return -EINVAL;
        if (!prog_attach && (d->attach_type || d->attach_flags || d->target_map_id))
                return -EINVAL;
        if ((d->kind == BPFAOT_SHM_TRACEPOINT || prog_attach) && d->offset)
                return -EINVAL;
        if (d->target_map_id) {
                if (d->target)
                        return -EINVAL; /* the map is the target: named once */
                err = bpfaot_shm__map_info(shm, d->target_map_id, &mi);
                if (err)
                        return err;
                snprintf(target, BPFAOT_SHM_TARGET_LEN, "map %" PRIu32, d->target_map_id);
                return 0;
        }
        if (!d->target || !d->target[0])
                return -EINVAL;
        n = snprintf(target, BPFAOT_SHM_TARGET_LEN, "%s", d->target);
        if (n >= BPFAOT_SHM_TARGET_LEN)
                return -ENAMETOOLONG;
        if (d->kind == BPFAOT_SHM_TRACEPOINT && !tracepoint_name_ok(target))
                return -EINVAL;
        return 0;
}

int bpfaot_shm__create_attach(struct bpfaot_shm *shm, const struct bpfaot_shm_attach_def *def,
                              uint32_t *id)
{
        struct bpfaot_shm_attach_def d = {0};
        char target[BPFAOT_SHM_TARGET_LEN];
        struct bpfaot_shm_prog_info pi;
        struct shm_attach_entry *ent;
        uint32_t cnt;
        int err;

        if (!shm || !def || def->sz < ATTACH_DEF_MIN_SZ || !id)
                return -EINVAL;
        memcpy(&d, def,
               def->sz >= ATTACH_DEF_OFFSETOFEND(target_map_id) ? sizeof(d) : ATTACH_DEF_MIN_SZ);
        err = attach_def_check(shm, &d, target);
        err = err ?: bpfaot_shm__prog_info(shm, d.prog_id, &pi);
        err = err ?: bpfaot__shm_lock(shm);
        if (err)
                return err;
        cnt = shm->hdr->attach_cnt;
        if (cnt >= BPFAOT_SHM_MAX_ATTACHES) {
                bpfaot__shm_unlock(shm);
                return -ENOSPC;
        }
        ent = &shm->hdr->attaches[cnt];
        memset(ent, 0, sizeof(*ent));
        ent->id = cnt + 1;
        ent->live = 1;
        ent->prog_id = d.prog_id;
        ent->kind = d.kind;
        ent->pid = d.pid;
        if (d.kind == BPFAOT_SHM_PROG_ATTACH) {
                ent->target_map_id = d.target_map_id;
                ent->attach.type = d.attach_type;
                ent->attach.flags = d.attach_flags;
        } else {
                ent->offset = d.offset;
        }
        memcpy(ent->target, target, strlen(target));
        __atomic_store_n(&shm->hdr->attach_cnt, cnt + 1, __ATOMIC_RELEASE);
        bpfaot__shm_unlock(shm);
        *id = cnt + 1;
        return 0;
}

/* A copy of attach request `id`, checked: 0, -ENOENT (none, or withdrawn). */
static int attach_entry(struct bpfaot_shm *shm, uint32_t id, struct shm_attach_entry *ent)
{
        uint32_t cnt = __atomic_load_n(&shm->hdr->attach_cnt, __ATOMIC_ACQUIRE);

        if (id == 0 || id > cnt || id > BPFAOT_SHM_MAX_ATTACHES)
                return -ENOENT;
        *ent = shm->hdr->attaches[id - 1];
        ent->target[sizeof(ent->target) - 1] = '\0';
        if (ent->id != id)
                return -EPROTO;
        return __atomic_load_n(&shm->hdr->attaches[id - 1].live, __ATOMIC_ACQUIRE) ? 0 : -ENOENT;
}

int bpfaot_shm__release_attach(struct bpfaot_shm *shm, uint32_t id)
{
        struct shm_attach_entry ent;
        int err;

        if (!shm)
                return -EINVAL;
        err = attach_entry(shm, id, &ent);
        if (!err)
                __atomic_store_n(&shm->hdr->attaches[id - 1].live, 0, __ATOMIC_RELEASE);
        return err;
}

int bpfaot_shm__next_attach_id(struct bpfaot_shm *shm, uint32_t id, uint32_t *next)
{
        uint32_t cnt;

        if (!shm || !next)
                return -EINVAL;
        cnt = __atomic_load_n(&shm->hdr->attach_cnt, __ATOMIC_ACQUIRE);
        for (uint32_t i = id; i < cnt && i < BPFAOT_SHM_MAX_ATTACHES; i++) {
                if (__atomic_load_n(&shm->hdr->attaches[i].live, __ATOMIC_ACQUIRE)) {
                        *next = i + 1;
                        return 0;
                }
        }
        return -ENOENT;
}

int bpfaot_shm__attach_info(struct bpfaot_shm *shm, uint32_t id,
                            struct bpfaot_shm_attach_info *info)
{
        struct shm_attach_entry ent;
        int err;

        if (!shm || !info)
                return -EINVAL;
        err = attach_entry(shm, id, &ent);
        if (err)
                return err;
        memset(info, 0, sizeof(*info));
        info->id = ent.id;
        info->prog_id = ent.prog_id;
        info->kind = ent.kind;
        info->pid = ent.pid;
        if (ent.kind == BPFAOT_SHM_PROG_ATTACH) {
                info->attach_type = ent.attach.type;
                info->attach_flags = ent.attach.flags;
                info->target_map_id = ent.target_map_id;
        } else {
                info->offset = ent.offset;
        }
        memcpy(info->target, ent.target, sizeof(info->target));
        return 0;
}
