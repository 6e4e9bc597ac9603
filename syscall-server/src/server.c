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

int server_fd_new(struct server *s, const struct server_fd *obj)
{
        int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

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
        if (e->kind == SERVER_OBJ_MAP)
                bpfaot_map__free(e->map);
        if (e->kind == SERVER_OBJ_MAP && s->shm && !s->exiting &&
            bpfaot_shm__release_map(s->shm, e->id) == -EBUSY)
                orphan_add(&s->orphans, &s->orphan_cnt, e->id);
        if (e->kind == SERVER_OBJ_PERF_EVENT)
                free(e->target);
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

/*
 * mmap() of a map's descriptor maps the map's values in the segment (a
 * skeleton's global data: bpf_object__load_skeleton maps .data, .bss and
 * .rodata so), shared with every process of the segment; *ours is false
 * for any other descriptor.
 */
static void *server_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off, bool *ours)
{
        struct bpfaot_shm_mmap req = {addr, len, prot, flags, off};
        struct server *s = server_get();
        struct server_fd *e;
        void *p = MAP_FAILED;
        int err = 0;

        pthread_mutex_lock(&s->lock);
        e = fd >= 0 ? server_fd_get(s, fd, SERVER_OBJ_MAP) : NULL;
        *ours = e != NULL;
        if (e)
                err = bpfaot_shm__mmap_map(s->shm, e->id, &req, &p);
        pthread_mutex_unlock(&s->lock);
        if (err)
                errno = -err;
        return p;
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
        server_tracepoints_free(s);
        if (s->shm)
                bpfaot_shm__close(s->shm);
        s->shm = NULL;
        pthread_mutex_unlock(&s->lock);
}
