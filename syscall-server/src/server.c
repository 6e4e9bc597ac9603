/* SPDX-License-Identifier: MIT */
/*
 * The process side of libbpfaot-syscall-server: the interposed syscall(),
 * ioctl(), close(), fopen() and mmap(), the descriptors it hands out, and
 * the segment.
 *
 * libbpf issues every bpf(2) command through the C library's syscall();
 * a library preloaded before libc defines its own syscall(), which answers
 * __NR_bpf and passes every other number on to the C library's. The
 * descriptors it returns are real ones (open on /dev/null), so that the
 * process's own opens never get their numbers; close() of one also drops
 * what it stood for.
 *
 * A RINGBUF map's descriptor is an eventfd, so that libbpf's ring_buffer__*
 * can epoll it as the kernel's. The kernel's is readable while the ring has
 * data; here: while its oldest record is committed. A BPF output event's
 * descriptor (perf_event.c), which libbpf's perf_buffer__* epolls, is an
 * eventfd too, readable while its ring holds a record the reader has not
 * consumed (data_head != data_tail). Two things keep the eventfd's count to
 * that, the same for both (a "watch source": its wakeup word and whether a
 * record is ready). When epoll first watches the descriptor
 * (epoll_ctl, interposed), a watcher thread starts; it sleeps on the ring's
 * wakeup word in the segment (a process-shared futex, bpfaot/shm.h) and, each
 * time a producer in any process commits a record with a wakeup, makes the
 * eventfd readable if a record is ready. And each epoll_wait (interposed)
 * first resets every ring's eventfd to the ring's state: drained, then made
 * readable again only if a record is ready, so a ring the loader consumed
 * does not stay readable (no busy loop) and one that filled meanwhile is
 * seen (no lost wakeup: a commit after the reset wakes the watcher, whose
 * write wakes the epoll_wait).
 *
 * A USER_RINGBUF map's descriptor is an eventfd too, watched the same way
 * the other way round, as the kernel's: writable (EPOLLOUT, what libbpf's
 * user_ring_buffer__reserve_blocking() waits for) while the ring has room.
 * An eventfd is writable while its count is below the maximum: a full
 * ring's is filled up to it, and emptied again once there is room. Its
 * watcher sleeps on the ring's wakeup word, which a program's
 * bpf_user_ringbuf_drain() bumps in whatever process it runs (ring_show).
 */
#define _GNU_SOURCE
#include "server.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

typedef long (*syscall_fn)(long, ...);
typedef int (*close_fn)(int);

/*
 * The one server of this process. A preloaded library has nothing but the
 * process to serve, so its state is process-wide by nature: it lives here
 * and nowhere else.
 */
static struct server the_server = {.lock = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP};

struct server *server_get(void)
{
        return &the_server;
}

void server_log(const char *fmt, ...)
{
        char line[512];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(line, sizeof(line), fmt, ap);
        va_end(ap);
        fprintf(stderr, "bpfaot-syscall-server: %s\n", line);
}

struct bpfaot_shm *server_shm(struct server *s)
{
        struct bpfaot_shm_opts opts = {.sz = sizeof(opts), .create = true};
        int err;

        if (s->shm)
                return s->shm;
        err = bpfaot_shm__open(NULL, &opts, &s->shm);
        if (err) {
                server_log("cannot open segment %s: %s", bpfaot_shm__default_name(),
                           strerror(-err));
                errno = -err;
                return NULL;
        }
        return s->shm;
}

static syscall_fn real_syscall(void)
{
        static syscall_fn fn;

        if (!fn)
                fn = (syscall_fn)dlsym(RTLD_NEXT, "syscall");
        return fn;
}

static close_fn real_close(void)
{
        static close_fn fn;

        if (!fn)
                fn = (close_fn)dlsym(RTLD_NEXT, "close");
        return fn;
}

static bool is_ring(const struct server_fd *obj)
{
        return obj->kind == SERVER_OBJ_MAP && obj->map &&
               (bpfaot_map__def(obj->map)->type == BPF_MAP_TYPE_RINGBUF ||
                bpfaot_map__def(obj->map)->type == BPF_MAP_TYPE_USER_RINGBUF);
}

static bool is_perf_output(const struct server_fd *obj)
{
        return obj->kind == SERVER_OBJ_PERF_EVENT && obj->perf;
}

/*
 * What a watcher waits on (`src`): a RINGBUF's ring or a BPF output event's,
 * whose descriptor is readable while `ready` (a record to consume); or a
 * USER_RINGBUF's (`room`), whose descriptor is writable while `ready` (room
 * for a sample).
 */
struct watch_ops {
        uint32_t (*wakeups)(void *src);
        int (*wait)(void *src, uint32_t *seen); /* no time limit */
        void (*wake)(void *src);
        bool (*ready)(void *src);
        bool room;
};

static uint32_t ring_wakeups(void *src)
{
        return bpfaot_ringbuf__wakeups(src);
}

static int ring_wait(void *src, uint32_t *seen)
{
        return bpfaot_ringbuf__wait_wakeup(src, seen, -1);
}

static void ring_wake(void *src)
{
        bpfaot_ringbuf__wake(src);
}

static bool ring_ready(void *src)
{
        return bpfaot_ringbuf__ready(src);
}

static const struct watch_ops ring_ops = {ring_wakeups, ring_wait, ring_wake, ring_ready, false};

static uint32_t user_ring_wakeups(void *src)
{
        return bpfaot_user_ringbuf__wakeups(src);
}

static int user_ring_wait(void *src, uint32_t *seen)
{
        return bpfaot_user_ringbuf__wait_wakeup(src, seen, -1);
}

static void user_ring_wake(void *src)
{
        bpfaot_user_ringbuf__wake(src);
}

static bool user_ring_writable(void *src)
{
        return bpfaot_user_ringbuf__writable(src);
}

static const struct watch_ops user_ring_ops = {user_ring_wakeups, user_ring_wait, user_ring_wake,
                                               user_ring_writable, true};

static uint32_t perf_wakeups(void *src)
{
        return bpfaot_perf_event__wakeups(src);
}

static int perf_wait(void *src, uint32_t *seen)
{
        return bpfaot_perf_event__wait_wakeup(src, seen, -1);
}

static void perf_wake(void *src)
{
        bpfaot_perf_event__wake(src);
}

static bool perf_ready(void *src)
{
        return bpfaot_perf_event__ready(src);
}

static const struct watch_ops perf_ops = {perf_wakeups, perf_wait, perf_wake, perf_ready, false};

/* The watch source of a descriptor epoll may watch; false for the others. */
static bool watch_source(const struct server_fd *obj, const struct watch_ops **ops, void **src)
{
        if (is_ring(obj)) {
                *ops = bpfaot_map__def(obj->map)->type == BPF_MAP_TYPE_USER_RINGBUF ? &user_ring_ops
                                                                                    : &ring_ops;
                *src = obj->map;
                return true;
        }
        if (is_perf_output(obj)) {
                *ops = &perf_ops;
                *src = obj->perf;
                return true;
        }
        return false;
}

int server_fd_new(struct server *s, const struct server_fd *obj)
{
        const struct watch_ops *ops;
        void *src;
        int fd = watch_source(obj, &ops, &src) ? eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)
                                               : open("/dev/null", O_RDONLY | O_CLOEXEC);

        if (fd < 0)
                return -errno;
        if ((size_t)fd >= s->fd_cap) {
                size_t cap = s->fd_cap ? s->fd_cap : 64;
                struct server_fd *n;

                while (cap <= (size_t)fd)
                        cap *= 2;
                n = realloc(s->fds, cap * sizeof(*n));
                if (!n) {
                        real_close()(fd);
                        return -ENOMEM;
                }
                memset(n + s->fd_cap, 0, (cap - s->fd_cap) * sizeof(*n));
                s->fds = n;
                s->fd_cap = cap;
        }
        s->fds[fd] = *obj;
        return fd;
}

struct server_fd *server_fd_get(struct server *s, int fd, enum server_obj kind)
{
        if (fd < 0 || (size_t)fd >= s->fd_cap || s->fds[fd].kind != kind)
                return NULL;
        return &s->fds[fd];
}

/* Add `id` to the list at `*ids` (of `*cnt`); on failure it stays in the segment: storage only. */
static void orphan_add(uint32_t **ids, size_t *cnt, uint32_t id)
{
        uint32_t *n = realloc(*ids, (*cnt + 1) * sizeof(*n));

        if (!n)
                return;
        *ids = n;
        n[(*cnt)++] = id;
}

/* Release what `release` lets go of; keep in the list what is still busy. */
static void orphans_release(struct server *s, uint32_t *ids, size_t *cnt,
                            int (*release)(struct bpfaot_shm *, uint32_t))
{
        size_t kept = 0;

        for (size_t i = 0; i < *cnt; i++)
                if (release(s->shm, ids[i]) == -EBUSY)
                        ids[kept++] = ids[i];
        *cnt = kept;
}

void server_orphans_retry(struct server *s)
{
        /* Programs first: a map goes once the programs loading it have. */
        orphans_release(s, s->prog_orphans, &s->prog_orphan_cnt, bpfaot_shm__release_prog);
        orphans_release(s, s->orphans, &s->orphan_cnt, bpfaot_shm__release_map);
}

/* A watched descriptor's watcher: sets the eventfd as wakeups move its source. */
struct server_ring {
        const struct watch_ops *ops;
        void *src; /* the descriptor's ring map or perf event handle */
        int efd;
        pid_t owner; /* the process whose thread it is (a forked child has none) */
        pthread_t thread;
        bool stop; /* atomic */
        /*
         * Held to look at the ring and set the eventfd as one step, by the
         * watcher and by rings_sync: a watcher that saw a record ready never
         * sets the eventfd after a reset that saw it consumed.
         */
        pthread_mutex_t lock;
};

static void ring_signal(int efd)
{
        uint64_t one = 1;

        if (write(efd, &one, sizeof(one)) < 0) {
                /* EAGAIN: the count is at its maximum, readable anyway. */
        }
}

static void ring_drain(int efd)
{
        uint64_t count;

        while (read(efd, &count, sizeof(count)) > 0)
                ;
}

/*
 * Under r->lock: the eventfd made to tell the ring's state, from scratch
 * (reset, rings_sync) or as a wakeup moves it (the watcher). A RINGBUF's
 * becomes readable when a record is ready; a USER_RINGBUF's writable when
 * there is room, and only a reset makes it not writable (a full ring).
 */
static void ring_show(struct server_ring *r, bool reset)
{
        const uint64_t full = UINT64_MAX - 1; /* an eventfd's largest count */

        if (!r->ops->room) {
                if (reset)
                        ring_drain(r->efd);
                if (r->ops->ready(r->src))
                        ring_signal(r->efd);
        } else if (r->ops->ready(r->src)) {
                ring_drain(r->efd);
        } else if (reset) {
                ring_drain(r->efd);
                if (write(r->efd, &full, sizeof(full)) < 0) {
                        /* Cannot fail on a drained eventfd; at worst the ring stays writable. */
                }
        }
}

static void *ring_watch(void *arg)
{
        struct server_ring *r = arg;
        uint32_t seen = r->ops->wakeups(r->src);

        while (!__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE)) {
                pthread_mutex_lock(&r->lock);
                ring_show(r, false);
                pthread_mutex_unlock(&r->lock);
                r->ops->wait(r->src, &seen);
        }
        return NULL;
}

/* Start fd's watcher (once). The thread takes no signal: they stay the loader's threads'. */
static int ring_watch_start(struct server *s, int fd, struct server_fd *e)
{
        const struct watch_ops *ops;
        struct server_ring *r;
        sigset_t all, old;
        void *src;
        int err;

        if (!watch_source(e, &ops, &src))
                return 0;
        if (e->ring && e->ring->owner == getpid())
                return 0;
        if (e->ring) { /* a forked child's copy of its parent's: no thread here */
                free(e->ring);
                e->ring = NULL;
                __atomic_sub_fetch(&s->ring_cnt, 1, __ATOMIC_RELAXED);
        }
        r = calloc(1, sizeof(*r));
        if (!r)
                return -ENOMEM;
        r->ops = ops;
        r->src = src;
        r->efd = fd;
        r->owner = getpid();
        pthread_mutex_init(&r->lock, NULL);
        sigfillset(&all);
        pthread_sigmask(SIG_SETMASK, &all, &old);
        err = pthread_create(&r->thread, NULL, ring_watch, r);
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        if (err) {
                pthread_mutex_destroy(&r->lock);
                free(r);
                return -err;
        }
        e->ring = r;
        __atomic_add_fetch(&s->ring_cnt, 1, __ATOMIC_RELAXED);
        return 0;
}

static void ring_watch_stop(struct server *s, struct server_fd *e)
{
        struct server_ring *r = e->ring;

        if (!r)
                return;
        /* A forked child's copy has no thread, and its lock may be copied held: left alone. */
        if (r->owner == getpid()) {
                __atomic_store_n(&r->stop, true, __ATOMIC_RELEASE);
                r->ops->wake(r->src); /* a spurious wakeup for other consumers: harmless */
                pthread_join(r->thread, NULL);
                pthread_mutex_destroy(&r->lock);
        }
        free(r);
        e->ring = NULL;
        __atomic_sub_fetch(&s->ring_cnt, 1, __ATOMIC_RELAXED);
}

/* Each watched ring's eventfd made to tell its ring's state (ring_show). */
static void rings_sync(struct server *s)
{
        pid_t pid;

        if (!__atomic_load_n(&s->ring_cnt, __ATOMIC_RELAXED))
                return;
        pid = getpid();
        pthread_mutex_lock(&s->lock);
        for (size_t fd = 0; fd < s->fd_cap; fd++) {
                struct server_ring *r = s->fds[fd].ring;

                if (!r || r->owner != pid)
                        continue;
                pthread_mutex_lock(&r->lock);
                ring_show(r, true);
                pthread_mutex_unlock(&r->lock);
        }
        pthread_mutex_unlock(&s->lock);
}

/*
 * Forget what `fd` stood for (its map handle goes). While the process runs,
 * closing withdraws from the segment what nobody will use: a program closed
 * without being attached, as libbpf's feature probes close theirs, and a map
 * no program loads. At the process's end everything stays, for the others.
 */
static void fd_drop(struct server *s, int fd)
{
        struct server_fd *e;

        if (fd < 0 || (size_t)fd >= s->fd_cap)
                return;
        e = &s->fds[fd];
        ring_watch_stop(s, e);
        if (e->kind == SERVER_OBJ_MAP && e->map &&
            bpfaot_map__def(e->map)->type == BPF_MAP_TYPE_PERF_EVENT_ARRAY)
                server_perf_array_release(e->map, fd);
        if (e->kind == SERVER_OBJ_MAP)
                bpfaot_map__free(e->map);
        if (e->kind == SERVER_OBJ_MAP && s->shm && !s->exiting &&
            bpfaot_shm__release_map(s->shm, e->id) == -EBUSY)
                orphan_add(&s->orphans, &s->orphan_cnt, e->id);
        if (e->kind == SERVER_OBJ_PERF_EVENT) {
                free(e->target);
                bpfaot_perf_event__free(e->perf); /* the event stays, as long as a slot holds it */
        }
        /* A link (or an event SET_BPF attached) closed: the loader detached its program. */
        if ((e->kind == SERVER_OBJ_LINK || e->kind == SERVER_OBJ_PERF_EVENT) && e->id && s->shm &&
            !s->exiting) {
                bpfaot_shm__release_attach(s->shm, e->id);
                server_orphans_retry(s);
        }
        /* An attached program stays (as the kernel's, held by its attachment) until detached. */
        if (e->kind == SERVER_OBJ_PROG && s->shm && !s->exiting) {
                if (bpfaot_shm__release_prog(s->shm, e->id) == -EBUSY)
                        orphan_add(&s->prog_orphans, &s->prog_orphan_cnt, e->id);
                else
                        server_orphans_retry(s);
        }
        memset(e, 0, sizeof(*e));
}

__attribute__((visibility("default"))) long syscall(long number, ...)
{
        long a[6];
        va_list ap;

        va_start(ap, number);
        for (int i = 0; i < 6; i++)
                a[i] = va_arg(ap, long);
        va_end(ap);
        if (number == SYS_perf_event_open && server_perf_event_ours((const void *)a[0])) {
                struct server *s = server_get();
                long ret;

                pthread_mutex_lock(&s->lock);
                ret = server_perf_event_open(s, (const void *)a[0], (int)a[1], (int)a[2], (int)a[3],
                                             (unsigned long)a[4]);
                pthread_mutex_unlock(&s->lock);
                if (ret < 0) {
                        errno = (int)-ret;
                        return -1;
                }
                return ret;
        }
        if (number == SYS_bpf) {
                struct server *s = server_get();
                long ret;

                pthread_mutex_lock(&s->lock);
                ret = server_bpf(s, (int)a[0], (union bpf_attr *)a[1], (unsigned int)a[2]);
                pthread_mutex_unlock(&s->lock);
                if (ret < 0) {
                        errno = (int)-ret;
                        return -1;
                }
                return ret;
        }
        return real_syscall()(number, a[0], a[1], a[2], a[3], a[4], a[5]);
}

typedef FILE *(*fopen_fn)(const char *, const char *);

/*
 * The files the server answers (read-only), whatever the host has: the
 * uprobe PMU's sysfs files and tracefs tracepoint ids. NULL with errno set
 * when it answers with an error; `*ours` false for any other file.
 */
static FILE *server_fopen(const char *path, const char *mode, bool *ours)
{
        const char *text = server_pmu_file(path);
        struct server *s = server_get();
        char id[32];
        FILE *f;
        int ret = 0;

        if (!text) {
                pthread_mutex_lock(&s->lock);
                ret = server_tracepoint_file(s, path, id, sizeof(id));
                pthread_mutex_unlock(&s->lock);
                text = ret > 0 ? id : NULL;
        }
        *ours = text || ret < 0;
        if (!*ours)
                return NULL;
        if (ret < 0 || mode[0] != 'r' || strchr(mode, '+')) {
                errno = ret < 0 ? -ret : EACCES;
                return NULL;
        }
        /* A buffer of the stream's own: `id` does not outlive this call. */
        f = fmemopen(NULL, strlen(text) + 1, "w+");
        if (f && (fputs(text, f) < 0 || fseek(f, 0, SEEK_SET) != 0)) {
                fclose(f);
                f = NULL;
        }
        return f;
}

__attribute__((visibility("default"))) FILE *fopen(const char *path, const char *mode)
{
        bool ours;
        FILE *f = server_fopen(path, mode, &ours);

        return ours ? f : ((fopen_fn)dlsym(RTLD_NEXT, "fopen"))(path, mode);
}

__attribute__((visibility("default"))) FILE *fopen64(const char *path, const char *mode)
{
        bool ours;
        FILE *f = server_fopen(path, mode, &ours);

        return ours ? f : ((fopen_fn)dlsym(RTLD_NEXT, "fopen64"))(path, mode);
}

typedef int (*ioctl_fn)(int, unsigned long, ...);

static ioctl_fn real_ioctl(void)
{
        static ioctl_fn fn;

        if (!fn)
                fn = (ioctl_fn)dlsym(RTLD_NEXT, "ioctl");
        return fn;
}

/*
 * ioctl() of a uprobe perf event the server handed out (perf_event.c); any
 * other descriptor's goes to the C library's.
 */
__attribute__((visibility("default"))) int ioctl(int fd, unsigned long request, ...)
{
        struct server *s = server_get();
        unsigned long arg;
        va_list ap;
        long ret = -ENOENT;

        va_start(ap, request);
        arg = va_arg(ap, unsigned long);
        va_end(ap);
        pthread_mutex_lock(&s->lock);
        if (server_fd_get(s, fd, SERVER_OBJ_PERF_EVENT))
                ret = server_perf_event_ioctl(s, fd, request, arg);
        pthread_mutex_unlock(&s->lock);
        if (ret == -ENOENT)
                return real_ioctl()(fd, request, arg);
        if (ret < 0) {
                errno = (int)-ret;
                return -1;
        }
        return (int)ret;
}

typedef void *(*mmap_fn)(void *, size_t, int, int, int, off_t);

typedef int (*munmap_fn)(void *, size_t);

/* The next munmap() (libc's), looked up once. */
static munmap_fn real_munmap(void)
{
        static munmap_fn fn;
        munmap_fn f = __atomic_load_n(&fn, __ATOMIC_ACQUIRE);

        if (!f) {
                f = (munmap_fn)dlsym(RTLD_NEXT, "munmap");
                __atomic_store_n(&fn, f, __ATOMIC_RELEASE);
        }
        return f;
}

/* A writable mapping of map `id` at [p, p + len) (under s->lock); unmapped again if it cannot be
 * noted, so that no mapping escapes the freeze check. */
static int note_writable(struct server *s, void *p, size_t len, uint32_t id)
{
        if (s->writable_cnt == s->writable_cap) {
                size_t cap = s->writable_cap ? 2 * s->writable_cap : 8;
                struct server_mapping *w = realloc(s->writable, cap * sizeof(*w));
                if (!w) {
                        real_munmap()(p, len);
                        return -ENOMEM;
                }
                s->writable = w;
                s->writable_cap = cap;
        }
        s->writable[s->writable_cnt] =
            (struct server_mapping){(uintptr_t)p, (uintptr_t)p + len, id};
        __atomic_store_n(&s->writable_cnt, s->writable_cnt + 1, __ATOMIC_RELAXED);
        return 0;
}

/*
 * mmap() of a map's descriptor maps the map's values in the segment (a
 * skeleton's global data: bpf_object__load_skeleton maps .data, .bss and
 * .rodata so), shared with every process of the segment; a BPF output
 * event's maps its ring (perf_buffer__new), made by the first; *ours is
 * false for any other descriptor.
 */
static void *server_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off, bool *ours)
{
        struct bpfaot_shm_mmap req = {addr, len, prot, flags, off};
        struct server *s = server_get();
        struct server_fd *e;
        void *p = MAP_FAILED;
        int err = 0;

        pthread_mutex_lock(&s->lock);
        e = fd >= 0 ? server_fd_get(s, fd, SERVER_OBJ_PERF_EVENT) : NULL;
        if (e && e->perf) {
                *ours = true;
                err = bpfaot_perf_event__mmap(e->perf, &req, &p);
                pthread_mutex_unlock(&s->lock);
                if (err)
                        errno = -err;
                return err ? MAP_FAILED : p;
        }
        e = fd >= 0 ? server_fd_get(s, fd, SERVER_OBJ_MAP) : NULL;
        *ours = e != NULL;
        if (e)
                err = bpfaot_shm__mmap_map(s->shm, e->id, &req, &p);
        if (e && !err && (prot & PROT_WRITE))
                err = note_writable(s, p, len, e->id);
        pthread_mutex_unlock(&s->lock);
        if (err)
                errno = -err;
        return err ? MAP_FAILED : p;
}

/* munmap() of the whole of a writable map mapping ends it (only a whole one: the kernel counts
 * what stays mapped). */
__attribute__((visibility("default"))) int munmap(void *addr, size_t len)
{
        struct server *s = server_get();
        uintptr_t lo = (uintptr_t)addr, hi = lo + len;
        int ret = real_munmap()(addr, len);

        if (ret || !__atomic_load_n(&s->writable_cnt, __ATOMIC_RELAXED))
                return ret;
        pthread_mutex_lock(&s->lock);
        for (size_t i = 0; i < s->writable_cnt;) {
                const struct server_mapping *m = &s->writable[i];
                if (m->lo >= lo && m->hi <= hi) {
                        s->writable[i] = s->writable[s->writable_cnt - 1];
                        __atomic_store_n(&s->writable_cnt, s->writable_cnt - 1, __ATOMIC_RELAXED);
                } else
                        i++;
        }
        pthread_mutex_unlock(&s->lock);
        return ret;
}

bool server_map_mapped_writable(struct server *s, uint32_t id)
{
        for (size_t i = 0; i < s->writable_cnt; i++)
                if (s->writable[i].map_id == id)
                        return true;
        return false;
}

__attribute__((visibility("default"))) void *mmap(void *addr, size_t len, int prot, int flags,
                                                  int fd, off_t off)
{
        bool ours;
        void *p = server_mmap(addr, len, prot, flags, fd, off, &ours);

        return ours ? p : ((mmap_fn)dlsym(RTLD_NEXT, "mmap"))(addr, len, prot, flags, fd, off);
}

__attribute__((visibility("default"))) void *mmap64(void *addr, size_t len, int prot, int flags,
                                                    int fd, off_t off)
{
        bool ours;
        void *p = server_mmap(addr, len, prot, flags, fd, off, &ours);

        return ours ? p : ((mmap_fn)dlsym(RTLD_NEXT, "mmap64"))(addr, len, prot, flags, fd, off);
}

typedef int (*epoll_ctl_fn)(int, int, int, struct epoll_event *);
typedef int (*epoll_wait_fn)(int, struct epoll_event *, int, int);
typedef int (*epoll_pwait_fn)(int, struct epoll_event *, int, int, const sigset_t *);
typedef int (*epoll_pwait2_fn)(int, struct epoll_event *, int, const struct timespec *,
                               const sigset_t *);

/*
 * epoll watching a RINGBUF's or USER_RINGBUF's descriptor or a BPF output event's starts its
 * watcher, then the real epoll_ctl().
 */
__attribute__((visibility("default"))) int epoll_ctl(int epfd, int op, int fd,
                                                     struct epoll_event *event)
{
        struct server *s = server_get();
        struct server_fd *e;
        int err = 0;

        if (op == EPOLL_CTL_ADD || op == EPOLL_CTL_MOD) {
                pthread_mutex_lock(&s->lock);
                e = fd >= 0 && (size_t)fd < s->fd_cap ? &s->fds[fd] : NULL;
                if (e)
                        err = ring_watch_start(s, fd, e);
                pthread_mutex_unlock(&s->lock);
                if (err) {
                        errno = -err;
                        return -1;
                }
                rings_sync(s);
        }
        return ((epoll_ctl_fn)dlsym(RTLD_NEXT, "epoll_ctl"))(epfd, op, fd, event);
}

__attribute__((visibility("default"))) int epoll_wait(int epfd, struct epoll_event *events,
                                                      int maxevents, int timeout)
{
        rings_sync(server_get());
        return ((epoll_wait_fn)dlsym(RTLD_NEXT, "epoll_wait"))(epfd, events, maxevents, timeout);
}

__attribute__((visibility("default"))) int epoll_pwait(int epfd, struct epoll_event *events,
                                                       int maxevents, int timeout,
                                                       const sigset_t *sigmask)
{
        rings_sync(server_get());
        return ((epoll_pwait_fn)dlsym(RTLD_NEXT, "epoll_pwait"))(epfd, events, maxevents, timeout,
                                                                 sigmask);
}

__attribute__((visibility("default"))) int epoll_pwait2(int epfd, struct epoll_event *events,
                                                        int maxevents,
                                                        const struct timespec *timeout,
                                                        const sigset_t *sigmask)
{
        epoll_pwait2_fn fn = (epoll_pwait2_fn)dlsym(RTLD_NEXT, "epoll_pwait2");

        if (!fn) {
                errno = ENOSYS;
                return -1;
        }
        rings_sync(server_get());
        return fn(epfd, events, maxevents, timeout, sigmask);
}

__attribute__((visibility("default"))) int close(int fd)
{
        struct server *s = server_get();

        pthread_mutex_lock(&s->lock);
        fd_drop(s, fd);
        pthread_mutex_unlock(&s->lock);
        return real_close()(fd);
}

/* The process ends: handles go, the segment stays for the others. */
__attribute__((destructor)) static void server_fini(void)
{
        struct server *s = server_get();

        pthread_mutex_lock(&s->lock);
        s->exiting = true; /* what the loader leaves open at its end stays for the others */
        for (size_t fd = 0; fd < s->fd_cap; fd++)
                fd_drop(s, (int)fd);
        free(s->fds);
        free(s->orphans);
        free(s->prog_orphans);
        s->fds = NULL;
        s->fd_cap = 0;
        s->orphans = NULL;
        s->orphan_cnt = 0;
        s->prog_orphans = NULL;
        s->prog_orphan_cnt = 0;
        free(s->writable);
        s->writable = NULL;
        __atomic_store_n(&s->writable_cnt, 0, __ATOMIC_RELAXED);
        s->writable_cap = 0;
        server_tracepoints_free(s);
        if (s->shm)
                bpfaot_shm__close(s->shm);
        s->shm = NULL;
        pthread_mutex_unlock(&s->lock);
}
