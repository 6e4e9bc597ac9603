/* SPDX-License-Identifier: MIT */
/*
 * perf_event_open of uprobes and uretprobes: libbpf's
 * bpf_program__attach_uprobe() opens one on the kernel's uprobe PMU (the
 * binary's path in config1, the function's offset in the file in
 * config2, the retprobe bit in config), then links the program to it
 * (LINK_CREATE, bpf_cmd.c). The server remembers the request; the link
 * makes it an attach request of the segment.
 */
#include "server.h"

#include <errno.h>
#include <linux/perf_event.h>
#include <sys/ioctl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define UPROBE_PMU "/sys/bus/event_source/devices/uprobe/"

/* The kernel's uprobe PMU: its type and the config bit of a return probe; false without one. */
static bool uprobe_pmu(int *type, int *retprobe_bit)
{
        FILE *f = fopen(UPROBE_PMU "type", "r");
        bool ok = f && fscanf(f, "%d", type) == 1;

        if (f)
                fclose(f);
        f = ok ? fopen(UPROBE_PMU "format/retprobe", "r") : NULL;
        ok = f && fscanf(f, "config:%d", retprobe_bit) == 1 && *retprobe_bit >= 0 &&
             *retprobe_bit < 64;
        if (f)
                fclose(f);
        return ok;
}

long server_perf_event_open(struct server *s, const void *attr_ptr, int pid, int cpu, int group_fd,
                            unsigned long flags)
{
        const struct perf_event_attr *attr = attr_ptr;
        struct server_fd obj = {.kind = SERVER_OBJ_PERF_EVENT};
        int type, retprobe_bit, fd;

        (void)cpu, (void)group_fd, (void)flags;
        if (!attr || !uprobe_pmu(&type, &retprobe_bit) || attr->type != (uint32_t)type)
                return -ENOENT;
        if (!attr->config1)
                return -EINVAL;
        obj.attach_kind =
            (attr->config >> retprobe_bit) & 1 ? BPFAOT_SHM_URETPROBE : BPFAOT_SHM_UPROBE;
        obj.target = strdup((const char *)(uintptr_t)attr->config1);
        if (!obj.target)
                return -ENOMEM;
        obj.offset = attr->config2;
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
        long err;

        if (!prog || !pe)
                return -EBADF;
        def.prog_id = prog->id;
        def.kind = pe->attach_kind;
        def.target = pe->target;
        def.offset = pe->offset;
        def.pid = pe->pid;
        err = bpfaot_shm__create_attach(s->shm, &def, id);
        if (!err)
                prog->attached = true;
        return err;
}

long server_perf_event_ioctl(struct server *s, int fd, unsigned long request, unsigned long arg)
{
        struct server_fd *pe;
        uint32_t id;
        long err;

        switch (request) {
        case PERF_EVENT_IOC_ENABLE:
        case PERF_EVENT_IOC_DISABLE:
                return 0;
        case PERF_EVENT_IOC_SET_BPF:
                pe = server_fd_get(s, fd, SERVER_OBJ_PERF_EVENT);
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
