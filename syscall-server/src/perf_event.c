/* SPDX-License-Identifier: MIT */
/*
 * perf_event_open of uprobes, uretprobes and tracepoints (tracepoint.c
 * hands out their ids). Uprobes: libbpf's
 * bpf_program__attach_uprobe() reads the uprobe PMU's type and retprobe bit
 * from sysfs, opens an event on it (the binary's path in config1, the
 * function's offset in the file in config2, the retprobe bit in config),
 * then links the program to it (LINK_CREATE, bpf_cmd.c). The server answers
 * those sysfs files itself (server.c's fopen), with a PMU of its own, so the
 * workflow does not depend on the host kernel having uprobes; it remembers
 * the request, and the link makes it an attach request of the segment.
 *
 * BPF output events (PERF_TYPE_SOFTWARE, PERF_COUNT_SW_BPF_OUTPUT), which
 * libbpf's perf_buffer__new() opens one per CPU, mmaps, enables, stores in
 * a PERF_EVENT_ARRAY and epolls: each is an event of the segment
 * (bpfaot/shm.h) whose ring its first mmap() makes; the descriptor is an
 * eventfd, readable while the ring holds a record the reader has not
 * consumed (server.c's watcher). Programs in other processes write into
 * the ring through the array's slots. Only what libbpf asks for is taken:
 * sample_type PERF_SAMPLE_RAW (the records hold nothing else), no group
 * and no flag but PERF_FLAG_FD_CLOEXEC (-EINVAL, logged). Every record
 * wakes the reader (wakeup_events and watermarks are not looked at).
 */
#include "server.h"

#include <errno.h>
#include <linux/perf_event.h>
#include <sys/ioctl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/*
 * The uprobe PMU the server answers for (server_pmu_file): a type no kernel
 * hands out, so that its events are never the kernel's, and return probes
 * in config bit 0, as the kernel's.
 */
#define SERVER_UPROBE_TYPE  0x42504600 /* "BPF\0" */
#define SERVER_RETPROBE_BIT 0

static const struct {
        const char *path, *text;
} pmu_files[] = {
    {"/sys/bus/event_source/devices/uprobe/type", "1112557056\n"}, /* SERVER_UPROBE_TYPE */
    {"/sys/bus/event_source/devices/uprobe/format/retprobe", "config:0\n"},
};

_Static_assert(SERVER_UPROBE_TYPE == 1112557056, "pmu_files says the type in decimal");

const char *server_pmu_file(const char *path)
{
        for (size_t i = 0; path && i < sizeof(pmu_files) / sizeof(pmu_files[0]); i++)
                if (strcmp(path, pmu_files[i].path) == 0)
                        return pmu_files[i].text;
        return NULL;
}

bool server_perf_event_ours(const void *attr_ptr)
{
        const struct perf_event_attr *attr = attr_ptr;

        return attr &&
               (attr->type == SERVER_UPROBE_TYPE || attr->type == PERF_TYPE_TRACEPOINT ||
                (attr->type == PERF_TYPE_SOFTWARE && attr->config == PERF_COUNT_SW_BPF_OUTPUT));
}

/*
 * A BPF output event: one of the segment's. As the kernel, pid and cpu
 * may not both be -1; cpu must be a CPU of this machine.
 */
static long output_event(struct server *s, const struct perf_event_attr *attr, int pid, int cpu,
                         int group_fd, unsigned long flags, struct server_fd *obj)
{
        long ncpus = sysconf(_SC_NPROCESSORS_CONF);
        struct bpfaot_shm *shm = server_shm(s);
        uint64_t ref;
        long err;

        if (!shm)
                return -errno;
        if ((pid == -1 && cpu == -1) || cpu < -1 || (ncpus > 0 && cpu >= ncpus))
                return -EINVAL;
        if (group_fd != -1 || (flags & ~(unsigned long)PERF_FLAG_FD_CLOEXEC)) {
                server_log("perf_event_open: a BPF output event in a group or with flags 0x%lx is "
                           "not supported",
                           flags);
                return -EINVAL;
        }
        if (attr->sample_type != PERF_SAMPLE_RAW) {
                server_log("perf_event_open: a BPF output event's sample_type 0x%llx is not "
                           "supported (only PERF_SAMPLE_RAW)",
                           (unsigned long long)attr->sample_type);
                return -EINVAL;
        }
        err = bpfaot_shm__create_perf_event(shm, attr->disabled, attr->inherit, &ref);
        err = err ?: bpfaot_shm__perf_event(shm, ref, &obj->perf);
        return err;
}

/*
 * A tracepoint event: of an id the server handed out (tracepoint.c). Every
 * tracepoint id this process reads from tracefs is the server's, so
 * another id is a bad one, not the kernel's to answer.
 */
static long tracepoint_event(struct server *s, const struct perf_event_attr *attr,
                             struct server_fd *obj)
{
        const char *name = server_tracepoint_name(s, attr->config);

        if (!name) {
                server_log("perf_event_open: tracepoint id %llu was not handed out by the server "
                           "(read from tracefs events/<category>/<name>/id)",
                           (unsigned long long)attr->config);
                return -ENOENT;
        }
        obj->attach_kind = BPFAOT_SHM_TRACEPOINT;
        obj->target = strdup(name);
        return obj->target ? 0 : -ENOMEM;
}

long server_perf_event_open(struct server *s, const void *attr_ptr, int pid, int cpu, int group_fd,
                            unsigned long flags)
{
        const struct perf_event_attr *attr = attr_ptr;
        struct server_fd obj = {.kind = SERVER_OBJ_PERF_EVENT};
        long err;
        int fd;

        if (attr->type == PERF_TYPE_SOFTWARE) {
                err = output_event(s, attr, pid, cpu, group_fd, flags, &obj);
                if (err)
                        return err;
                obj.pid = pid;
                fd = server_fd_new(s, &obj);
                if (fd < 0)
                        bpfaot_perf_event__free(obj.perf);
                return fd;
        }
        if (attr->type == PERF_TYPE_TRACEPOINT) {
                err = tracepoint_event(s, attr, &obj);
                if (err)
                        return err;
        } else {
                if (!attr->config1)
                        return -EINVAL;
                obj.attach_kind = (attr->config >> SERVER_RETPROBE_BIT) & 1 ? BPFAOT_SHM_URETPROBE
                                                                            : BPFAOT_SHM_UPROBE;
                obj.target = strdup((const char *)(uintptr_t)attr->config1);
                if (!obj.target)
                        return -ENOMEM;
                obj.offset = attr->config2;
        }
        obj.pid = pid;
        fd = server_fd_new(s, &obj);
        if (fd < 0)
                free(obj.target);
        return fd;
}

long server_attach(struct server *s, int prog_fd, int pe_fd, uint32_t *id)
{
        struct server_fd *prog = server_fd_get(s, prog_fd, SERVER_OBJ_PROG);
        struct server_fd *pe = server_fd_get(s, pe_fd, SERVER_OBJ_PERF_EVENT);
        struct bpfaot_shm_attach_def def = {.sz = sizeof(def)};

        if (!prog || !pe)
                return -EBADF;
        def.prog_id = prog->id;
        def.kind = pe->attach_kind;
        def.target = pe->target;
        def.offset = pe->offset;
        def.pid = pe->pid;
        return bpfaot_shm__create_attach(s->shm, &def, id);
}

long server_perf_event_ioctl(struct server *s, int fd, unsigned long request, unsigned long arg)
{
        struct server_fd *pe;
        uint32_t id;
        long err;

        pe = server_fd_get(s, fd, SERVER_OBJ_PERF_EVENT);
        switch (request) {
        case PERF_EVENT_IOC_ENABLE:
        case PERF_EVENT_IOC_DISABLE:
                bpfaot_perf_event__enable(pe->perf, request == PERF_EVENT_IOC_ENABLE);
                return 0;
        case PERF_EVENT_IOC_SET_BPF:
                if (pe->perf)
                        return -EINVAL; /* a tracing program on a software event */
                if (pe->id)
                        return -EEXIST; /* one program per event, as the kernel */
                err = server_attach(s, (int)arg, fd, &id);
                if (!err)
                        server_fd_get(s, fd, SERVER_OBJ_PERF_EVENT)->id = id;
                return err;
        default:
                server_log("ioctl 0x%lx of a perf event is not supported", request);
                return -ENOTTY;
        }
}

/* The owner of the slots a map descriptor of this process fills: never 0. */
static uint64_t slot_owner(int map_fd)
{
        return (uint64_t)getpid() << 32 | (uint32_t)map_fd;
}

long server_perf_array_update(struct server *s, int map_fd, struct bpfaot_map *map, const void *key,
                              const void *value, uint64_t flags)
{
        struct server_fd *pe;
        uint32_t index;
        int fd;

        memcpy(&index, key, sizeof(index));
        memcpy(&fd, value, sizeof(fd));
        /* The kernel's order: bpf_fd_array_map_update_elem, then perf_event_fd_array_get_ptr. */
        if (flags != BPF_ANY)
                return -EINVAL;
        if (index >= bpfaot_map__def(map)->max_entries)
                return -E2BIG;
        pe = server_fd_get(s, fd, SERVER_OBJ_PERF_EVENT);
        if (!pe)
                return -EBADF; /* perf_event_get(): not a perf event's file */
        if (!pe->perf) {
                server_log("a PERF_EVENT_ARRAY takes BPF output events only, not uprobe or "
                           "tracepoint events");
                return -EINVAL;
        }
        return bpfaot_perf_event_array__set(map, index, pe->perf, flags, slot_owner(map_fd));
}

void server_perf_array_release(struct bpfaot_map *map, int fd)
{
        bpfaot_perf_event_array__release(map, slot_owner(fd));
}
