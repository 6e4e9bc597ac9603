/* SPDX-License-Identifier: MIT */
/*
 * libbpfaot-syscall-server: preloaded into a libbpf-based loader, it answers
 * the loader's bpf(2) calls from a shared-memory segment (bpfaot/shm.h)
 * instead of the kernel.
 */
#ifndef BPFAOT_SERVER_H
#define BPFAOT_SERVER_H

#include <bpfaot/shm.h>

#include <linux/bpf.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

/* What a descriptor the server handed out stands for. */
enum server_obj {
        SERVER_OBJ_NONE,
        SERVER_OBJ_MAP,
        SERVER_OBJ_PROG,
        SERVER_OBJ_BTF,
        SERVER_OBJ_PERF_EVENT, /* a uprobe or tracepoint perf event (with SET_BPF: also the attach
                                  request, id), or a BPF output event (`perf`) */
        SERVER_OBJ_LINK,       /* an attach request in the segment (id) */
};

struct server_fd {
        enum server_obj kind;
        uint32_t id; /* the map's or program's id in the segment (BTF: 0) */
        /* SERVER_OBJ_PERF_EVENT: what perf_event_open asked for. */
        uint32_t attach_kind; /* enum bpfaot_shm_attach_kind */
        char *target;         /* owned */
        uint64_t offset;
        int32_t pid;
        struct bpfaot_map *map; /* SERVER_OBJ_MAP: this process's handle */
        /*
         * A RINGBUF's, USER_RINGBUF's or BPF output event's descriptor (an eventfd) once epoll
         * watches it: its watcher (server.c).
         */
        struct server_ring *ring;
        /* SERVER_OBJ_PERF_EVENT of PERF_COUNT_SW_BPF_OUTPUT (attach_kind 0): the segment's event.
         */
        struct bpfaot_perf_event *perf;
};

/*
 * The process's server: a preloaded library serves the one process it is
 * loaded into, so this is the library's only state, made on first use.
 * Every field is guarded by `lock`, which is recursive: the server's own
 * work closes descriptors, and close() is interposed too.
 */
struct server {
        pthread_mutex_t lock;
        struct bpfaot_shm *shm; /* NULL until the first command that needs it */
        struct server_fd *fds;  /* indexed by descriptor */
        size_t fd_cap;
        bool exiting;    /* the process is ending */
        size_t ring_cnt; /* descriptors with a ring watcher */
        /*
         * Maps this process closed while a program loaded them or an attach
         * request targeted them, and programs it closed while attached:
         * released once that is over.
         */
        uint32_t *orphans;
        size_t orphan_cnt;
        uint32_t *prog_orphans;
        size_t prog_orphan_cnt;
        /* The tracepoints whose ids it handed out (tracepoint.c): "cat/name", by id. */
        char **tp_names;
        size_t tp_cnt;
        /*
         * This process's writable mappings of maps: a map mapped writable
         * cannot be frozen (-EBUSY), as the kernel's writecnt has it, until
         * munmap() takes the whole mapping away. `writable_cnt` is read
         * without the lock by munmap(), which most calls leave alone.
         */
        struct server_mapping *writable;
        size_t writable_cnt, writable_cap;
};

struct server_mapping {
        uintptr_t lo, hi;
        uint32_t map_id;
};

/* Is map `id` mapped writable by this process? (Under s->lock.) */
bool server_map_mapped_writable(struct server *s, uint32_t id);

/* The server, or NULL when it could not be made (a message was logged). */
struct server *server_get(void);

/* One log line on stderr: "bpfaot-syscall-server: ...". */
void server_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The segment, opened (created if missing) on first use; NULL with errno set. */
struct bpfaot_shm *server_shm(struct server *s);

/*
 * A new real descriptor (reserved: open on /dev/null, so the process's own
 * opens never get its number) standing for `obj`; negative errno on failure.
 * A RINGBUF map's is an eventfd instead, which epoll can watch: it is
 * readable while the ring holds a committed record (see server.c); so is a
 * BPF output event's, while its ring holds a record not consumed; a USER_RINGBUF map's,
 * writable while the ring has room.
 */
int server_fd_new(struct server *s, const struct server_fd *obj);
/* The object behind `fd` of `kind`, or NULL. */
struct server_fd *server_fd_get(struct server *s, int fd, enum server_obj kind);

/*
 * What the server answers for sysfs file `path` of the uprobe PMU (its own
 * PMU's type, the retprobe bit), or NULL for any other file.
 */
const char *server_pmu_file(const char *path);

/*
 * A tracefs tracepoint id file, <tracefs>/events/<cat>/<name>/id (either
 * mount): 1 and the id the server hands out for cat/name (the same each
 * time) as text in `text`; 0 for any other file; a negative errno when it
 * cannot answer (-ENAMETOOLONG, -ENOSPC, -ENOMEM; logged).
 */
int server_tracepoint_file(struct server *s, const char *path, char *text, size_t size);
/* The "cat/name" of tracepoint id `id`, or NULL when the server never handed it out. */
const char *server_tracepoint_name(struct server *s, uint64_t id);
void server_tracepoints_free(struct server *s);

/* Is the event perf_event_open() asks for the server's (uprobe PMU, tracepoint, BPF output)? */
bool server_perf_event_ours(const void *attr);
/*
 * perf_event_open(attr, pid, cpu, group_fd, flags) of such an event: a
 * descriptor standing for it, or a negative errno (a tracepoint id the
 * server did not hand out: -ENOENT, as the kernel's for an unknown id; a
 * BPF output event's attributes libbpf does not use: -EINVAL).
 */
long server_perf_event_open(struct server *s, const void *attr, int pid, int cpu, int group_fd,
                            unsigned long flags);

/*
 * ioctl() of such a descriptor: PERF_EVENT_IOC_ENABLE and _DISABLE (the
 * attach request's own state is its link; a BPF output event takes samples
 * only while enabled), PERF_EVENT_IOC_SET_BPF (an attach request, when the
 * loader does not use links; -EINVAL on a BPF output event). Other
 * requests: -ENOTTY.
 */
long server_perf_event_ioctl(struct server *s, int fd, unsigned long request, unsigned long arg);

/*
 * BPF_MAP_UPDATE_ELEM of PERF_EVENT_ARRAY `map` (descriptor map_fd) with
 * *value a perf event's descriptor, as the kernel answers it: flags other
 * than BPF_ANY -EINVAL, an index past max_entries -E2BIG, a descriptor
 * that is no perf event -EBADF; the server's uprobe and tracepoint events
 * are refused (-EINVAL), BPF output events stored.
 */
long server_perf_array_update(struct server *s, int map_fd, struct bpfaot_map *map, const void *key,
                              const void *value, uint64_t flags);
/*
 * PERF_EVENT_ARRAY `map` (descriptor fd) is released: the events stored
 * through that descriptor leave its slots, as the kernel's map releases
 * them when the descriptor's file goes.
 */
void server_perf_array_release(struct bpfaot_map *map, int fd);

/*
 * An attach request of program descriptor `prog_fd` at perf event
 * descriptor `pe_fd` (both the server's, else -EBADF): its id in *id.
 */
long server_attach(struct server *s, int prog_fd, int pe_fd, uint32_t *id);

/*
 * An attach request went (a link closed, a PROG_DETACH): the maps and
 * programs this process closed that it kept may go now.
 */
void server_orphans_retry(struct server *s);

/* PROG_ATTACH and PROG_DETACH (prog_attach.c). */
long server_prog_attach(struct server *s, union bpf_attr *attr, unsigned int size);
long server_prog_detach(struct server *s, union bpf_attr *attr, unsigned int size);

/* bpf(cmd, attr, size) as the kernel answers it: >= 0, or a negative errno. */
long server_bpf(struct server *s, int cmd, union bpf_attr *attr, unsigned int size);

#endif
