/* SPDX-License-Identifier: MIT */
/*
 * A loader attaching programs other ways than uprobes, written against
 * libbpf's public API only and run with libbpfaot-syscall-server.so
 * preloaded: tracepoints (bpf_program__attach_tracepoint, and
 * bpf_program__attach from the section, as a skeleton's auto-attach) and
 * bpf_prog_attach/bpf_prog_detach at a map and, given CGROUP, at a cgroup
 * v2 directory. It checks each request in the segment and its withdrawal,
 * feeds the bad inputs (their messages are for the script to check), and
 * leaves one request of each kind for the script's `bpf-aot shm list`.
 * usage: loader_attach OBJECT [CGROUP]
 */
#include "loader_check.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <bpfaot/shm.h>

#include <errno.h>
#include <fcntl.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

/* The segment's id of the program named `name`, or 0. */
static uint32_t prog_id(const char *name)
{
        struct bpfaot_shm_prog_info pi;
        struct bpfaot_shm *shm;
        uint32_t id = 0, found = 0;

        CHECK(bpfaot_shm__open(NULL, NULL, &shm) == 0);
        while (bpfaot_shm__next_prog_id(shm, id, &id) == 0)
                if (bpfaot_shm__prog_info(shm, id, &pi) == 0 && strcmp(pi.name, name) == 0)
                        found = id;
        bpfaot_shm__close(shm);
        return found;
}

/*
 * How many attach requests of kind `kind` for program `name` at `target`
 * the segment has (PROG_ATTACH: of attach type `type`, with `flags`);
 * each is checked to hold the fields of its kind.
 */
static uint32_t requests(uint32_t kind, const char *name, const char *target, uint32_t type,
                         uint32_t flags)
{
        uint32_t id = 0, found = 0, prog = prog_id(name);
        struct bpfaot_shm_attach_info ai;
        struct bpfaot_shm *shm;

        CHECK(prog != 0);
        CHECK(bpfaot_shm__open(NULL, NULL, &shm) == 0);
        while (bpfaot_shm__next_attach_id(shm, id, &id) == 0) {
                CHECK(bpfaot_shm__attach_info(shm, id, &ai) == 0);
                if (ai.kind != kind || ai.prog_id != prog || strcmp(ai.target, target) != 0)
                        continue;
                CHECK(ai.offset == 0 && ai.pid == -1);
                if (kind == BPFAOT_SHM_PROG_ATTACH &&
                    (ai.attach_type != type || ai.attach_flags != flags))
                        continue;
                if (kind != BPFAOT_SHM_PROG_ATTACH)
                        CHECK(ai.attach_type == 0 && ai.attach_flags == 0 && ai.target_map_id == 0);
                else if (strncmp(target, "map ", 4) == 0)
                        CHECK(ai.target_map_id == (uint32_t)atoi(target + 4));
                else
                        CHECK(ai.target_map_id == 0);
                found++;
        }
        bpfaot_shm__close(shm);
        return found;
}

/* The id tracefs gives tracepoint `tp` ("cat/name") under `mount`, or -1 with errno. */
static long tracepoint_id(const char *mount, const char *tp)
{
        char path[1024];
        FILE *f;
        long id = -1;

        snprintf(path, sizeof(path), "%s/events/%s/id", mount, tp);
        f = fopen(path, "r");
        if (!f)
                return -1;
        CHECK(fscanf(f, "%ld", &id) == 1);
        fclose(f);
        return id;
}

static int perf_event_tracepoint(unsigned long long id)
{
        struct perf_event_attr attr = {.size = sizeof(attr), .type = PERF_TYPE_TRACEPOINT};

        attr.config = id;
        return (int)syscall(SYS_perf_event_open, &attr, -1, 0, -1, PERF_FLAG_FD_CLOEXEC);
}

static void tracepoints(struct bpf_object *obj)
{
        struct bpf_program *openat = bpf_object__find_program_by_name(obj, "on_openat");
        struct bpf_program *sw = bpf_object__find_program_by_name(obj, "on_switch");
        static struct bpf_link *kept; /* left attached for the script */
        struct bpf_link *link;
        char longname[300];
        long id, id2;

        CHECK(openat && sw);
        /* The server's ids: the same for a name, whichever mount, above any kernel's. */
        id = tracepoint_id("/sys/kernel/tracing", "syscalls/sys_enter_openat");
        CHECK(id > 65535);
        CHECK(tracepoint_id("/sys/kernel/debug/tracing", "syscalls/sys_enter_openat") == id);
        id2 = tracepoint_id("/sys/kernel/tracing", "sched/sched_switch");
        CHECK(id2 > 65535 && id2 != id);
        CHECK(!fopen("/sys/kernel/tracing/events/sched/sched_switch/id", "w") && errno == EACCES);

        link = bpf_program__attach_tracepoint(openat, "syscalls", "sys_enter_openat");
        CHECK(link != NULL);
        CHECK(requests(BPFAOT_SHM_TRACEPOINT, "on_openat", "syscalls/sys_enter_openat", 0, 0) == 1);
        CHECK(bpf_link__destroy(link) == 0);
        CHECK(requests(BPFAOT_SHM_TRACEPOINT, "on_openat", "syscalls/sys_enter_openat", 0, 0) == 0);

        /* From the section's name, as a skeleton's auto-attach does. */
        kept = bpf_program__attach(sw);
        CHECK(kept != NULL);
        CHECK(requests(BPFAOT_SHM_TRACEPOINT, "on_switch", "sched/sched_switch", 0, 0) == 1);

        /* The older way (no link): PERF_EVENT_IOC_SET_BPF; closing the event withdraws it. */
        {
                int pfd = perf_event_tracepoint((unsigned long long)id);

                CHECK(pfd > 2);
                CHECK(ioctl(pfd, PERF_EVENT_IOC_SET_BPF, bpf_program__fd(openat)) == 0);
                CHECK(ioctl(pfd, PERF_EVENT_IOC_ENABLE, 0) == 0);
                CHECK(requests(BPFAOT_SHM_TRACEPOINT, "on_openat", "syscalls/sys_enter_openat", 0,
                               0) == 1);
                CHECK(close(pfd) == 0);
                CHECK(requests(BPFAOT_SHM_TRACEPOINT, "on_openat", "syscalls/sys_enter_openat", 0,
                               0) == 0);
        }

        /* Bad: an id the server never handed out (a kernel's, one past its own), a long name. */
        errno = 0;
        CHECK(perf_event_tracepoint(12345) < 0 && errno == ENOENT);
        CHECK(perf_event_tracepoint((unsigned long long)id2 + 1) < 0 && errno == ENOENT);
        memset(longname, 'x', sizeof(longname) - 1);
        longname[sizeof(longname) - 1] = '\0';
        longname[10] = '/';
        CHECK(tracepoint_id("/sys/kernel/tracing", longname) < 0 && errno == ENAMETOOLONG);
}

/* bpf_prog_attach at a map of the segment (as a sk_skb verdict at a sockmap). */
static void at_map(struct bpf_object *obj)
{
        int prog = bpf_program__fd(bpf_object__find_program_by_name(obj, "verdict"));
        int map = bpf_map__fd(bpf_object__find_map_by_name(obj, "socks"));
        struct bpf_map_info info = {0};
        uint32_t len = sizeof(info);
        char target[32];

        CHECK(prog > 2 && map > 2);
        CHECK(bpf_obj_get_info_by_fd(map, &info, &len) == 0);
        snprintf(target, sizeof(target), "map %u", info.id);
        CHECK(bpf_prog_attach(prog, map, BPF_SK_SKB_STREAM_VERDICT, 0) == 0);
        CHECK(requests(BPFAOT_SHM_PROG_ATTACH, "verdict", target, BPF_SK_SKB_STREAM_VERDICT, 0) ==
              1);
        /* Again: the program takes its own place (one request still). */
        CHECK(bpf_prog_attach(prog, map, BPF_SK_SKB_STREAM_VERDICT, 0) == 0);
        CHECK(requests(BPFAOT_SHM_PROG_ATTACH, "verdict", target, BPF_SK_SKB_STREAM_VERDICT, 0) ==
              1);
        /* A map keeps the requests that target it. */
        CHECK(bpf_prog_detach(map, BPF_SK_SKB_STREAM_VERDICT) == 0);
        CHECK(requests(BPFAOT_SHM_PROG_ATTACH, "verdict", target, BPF_SK_SKB_STREAM_VERDICT, 0) ==
              0);
        /* Bad: detaching what is not there, flags a map does not take, a target that is no map. */
        CHECK(bpf_prog_detach(map, BPF_SK_SKB_STREAM_VERDICT) < 0 && errno == ENOENT);
        CHECK(bpf_prog_attach(prog, map, BPF_SK_SKB_STREAM_VERDICT, BPF_F_ALLOW_MULTI) < 0 &&
              errno == EINVAL);
        CHECK(bpf_prog_attach(prog, prog, BPF_SK_SKB_STREAM_VERDICT, 0) < 0 && errno == EINVAL);
        /* Left attached for the script. */
        CHECK(bpf_prog_attach(prog, map, BPF_SK_SKB_STREAM_VERDICT, 0) == 0);
}

/* A second cgroup_skb program, loaded without an object, named "second". */
static int second_prog(void)
{
        struct bpf_insn insns[] = {
            {.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 1},
            {.code = BPF_JMP | BPF_EXIT},
        };
        int fd = bpf_prog_load(BPF_PROG_TYPE_CGROUP_SKB, "second", "GPL", insns, 2, NULL);

        CHECK(fd > 2);
        return fd;
}

/* bpf_prog_attach at a cgroup v2 directory, with BPF_F_ALLOW_MULTI. */
static void at_cgroup(struct bpf_object *obj, const char *cgroup)
{
        int prog = bpf_program__fd(bpf_object__find_program_by_name(obj, "ingress"));
        int cg = open(cgroup, O_RDONLY | O_DIRECTORY | O_CLOEXEC), second = second_prog();
        const int multi = BPF_F_ALLOW_MULTI;
        LIBBPF_OPTS(bpf_prog_attach_opts, opts);

        CHECK(prog > 2 && cg > 2);
        CHECK(bpf_prog_attach(prog, cg, BPF_CGROUP_INET_INGRESS, multi) == 0);
        CHECK(bpf_prog_attach(second, cg, BPF_CGROUP_INET_INGRESS, multi) == 0);
        CHECK(requests(BPFAOT_SHM_PROG_ATTACH, "ingress", cgroup, BPF_CGROUP_INET_INGRESS, multi) ==
              1);
        CHECK(requests(BPFAOT_SHM_PROG_ATTACH, "second", cgroup, BPF_CGROUP_INET_INGRESS, multi) ==
              1);
        /* Bad: two programs there and none named; other flags than theirs; the same one twice. */
        CHECK(bpf_prog_detach(cg, BPF_CGROUP_INET_INGRESS) < 0 && errno == EINVAL);
        CHECK(bpf_prog_attach(prog, cg, BPF_CGROUP_INET_INGRESS, 0) < 0 && errno == EPERM);
        CHECK(bpf_prog_attach(prog, cg, BPF_CGROUP_INET_INGRESS, multi) < 0 && errno == EEXIST);
        /* BPF_F_REPLACE: "second" takes the place of "ingress", and back. */
        opts.flags = multi | BPF_F_REPLACE;
        opts.replace_prog_fd = prog;
        CHECK(bpf_prog_attach_opts(second, cg, BPF_CGROUP_INET_INGRESS, &opts) < 0 &&
              errno == EEXIST);
        CHECK(bpf_prog_detach2(second, cg, BPF_CGROUP_INET_INGRESS) == 0);
        CHECK(bpf_prog_attach_opts(second, cg, BPF_CGROUP_INET_INGRESS, &opts) == 0);
        CHECK(requests(BPFAOT_SHM_PROG_ATTACH, "ingress", cgroup, BPF_CGROUP_INET_INGRESS, multi) ==
              0);
        CHECK(requests(BPFAOT_SHM_PROG_ATTACH, "second", cgroup, BPF_CGROUP_INET_INGRESS, multi) ==
              1);
        opts.replace_prog_fd = prog; /* "ingress" is not there now */
        CHECK(bpf_prog_attach_opts(prog, cg, BPF_CGROUP_INET_INGRESS, &opts) < 0 &&
              errno == ENOENT);
        /* Closing the program does not detach it (the kernel's attachment holds it)... */
        CHECK(close(second) == 0);
        CHECK(requests(BPFAOT_SHM_PROG_ATTACH, "second", cgroup, BPF_CGROUP_INET_INGRESS, multi) ==
              1);
        /* ...the only program there, detached without being named, goes with its request. */
        CHECK(bpf_prog_detach(cg, BPF_CGROUP_INET_INGRESS) == 0);
        CHECK(prog_id("second") == 0);
        CHECK(bpf_prog_detach(cg, BPF_CGROUP_INET_INGRESS) < 0 && errno == ENOENT);
        /* Bad: a program of another type; a target that is no cgroup; an unknown attach type. */
        CHECK(bpf_prog_attach(bpf_program__fd(bpf_object__find_program_by_name(obj, "on_openat")),
                              cg, BPF_CGROUP_INET_INGRESS, 0) < 0 &&
              errno == EINVAL);
        {
                int dir = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

                CHECK(dir > 2);
                CHECK(bpf_prog_attach(prog, dir, BPF_CGROUP_INET_INGRESS, 0) < 0 && errno == EBADF);
                CHECK(close(dir) == 0);
        }
        CHECK(bpf_prog_attach(prog, cg, (enum bpf_attach_type)200, 0) < 0 && errno == EINVAL);
        /* Left attached for the script (with BPF_F_ALLOW_MULTI). */
        CHECK(bpf_prog_attach(prog, cg, BPF_CGROUP_INET_INGRESS, multi) == 0);
        CHECK(close(cg) == 0);
}

/* Descriptors that are no program: a map's, and one not open. */
static void not_programs(struct bpf_object *obj, int target)
{
        int map = bpf_map__fd(bpf_object__find_map_by_name(obj, "hits"));
        int none =
            open("/dev/null", O_RDONLY | O_CLOEXEC); /* a number no descriptor has, once closed */

        CHECK(map > 2 && none > 2 && close(none) == 0);
        CHECK(bpf_prog_attach(map, target, BPF_SK_SKB_STREAM_VERDICT, 0) < 0 && errno == EINVAL);
        CHECK(bpf_prog_attach(none, target, BPF_SK_SKB_STREAM_VERDICT, 0) < 0 && errno == EBADF);
        CHECK(bpf_prog_detach2(map, target, BPF_SK_SKB_STREAM_VERDICT) < 0 && errno == EINVAL);
}

/* A program of `type` loaded without an object: "r0 = 0; exit". */
static int raw_prog(enum bpf_prog_type type, const char *name)
{
        struct bpf_insn insns[] = {
            {.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0},
            {.code = BPF_JMP | BPF_EXIT},
        };
        int fd = bpf_prog_load(type, name, "GPL", insns, 2, NULL);

        CHECK(fd > 2);
        return fd;
}

/*
 * The other targets: the network namespace (BPF_FLOW_DISSECTOR: no
 * target_fd, as the kernel's), a device (BPF_LIRC_MODE2: a file that is
 * none is refused); attributes past PROG_ATTACH's set.
 */
static void other_targets(void)
{
        int flow = raw_prog(BPF_PROG_TYPE_FLOW_DISSECTOR, "flow");
        int lirc = raw_prog(BPF_PROG_TYPE_LIRC_MODE2, "lirc");
        int file = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
        char netns[64];
        ssize_t n = readlink("/proc/self/ns/net", netns, sizeof(netns) - 1);
        union bpf_attr attr;

        CHECK(file > 2 && n > 0);
        netns[n] = '\0';
        CHECK(bpf_prog_attach(flow, 0, BPF_FLOW_DISSECTOR, 0) == 0);
        CHECK(requests(BPFAOT_SHM_PROG_ATTACH, "flow", netns, BPF_FLOW_DISSECTOR, 0) == 1);
        CHECK(bpf_prog_detach2(flow, 0, BPF_FLOW_DISSECTOR) == 0);
        CHECK(requests(BPFAOT_SHM_PROG_ATTACH, "flow", netns, BPF_FLOW_DISSECTOR, 0) == 0);
        CHECK(bpf_prog_attach(flow, file, BPF_FLOW_DISSECTOR, 0) < 0 && errno == EINVAL);
        CHECK(bpf_prog_attach(lirc, file, BPF_LIRC_MODE2, 0) < 0 && errno == EINVAL);
        /* A program's descriptor is no device (though the server's are open on /dev/null). */
        CHECK(bpf_prog_attach(lirc, flow, BPF_LIRC_MODE2, 0) < 0 && errno == EINVAL);
        memset(&attr, 0, sizeof(attr));
        attr.target_fd = 0;
        attr.attach_bpf_fd = (uint32_t)flow;
        attr.attach_type = BPF_FLOW_DISSECTOR;
        ((char *)&attr)[offsetof(union bpf_attr, replace_bpf_fd) + sizeof(attr.replace_bpf_fd)] = 1;
        CHECK(syscall(SYS_bpf, BPF_PROG_ATTACH, &attr, sizeof(attr)) < 0 && errno == EINVAL);
        CHECK(close(flow) == 0 && close(lirc) == 0 && close(file) == 0);
        CHECK(prog_id("flow") == 0 && prog_id("lirc") == 0);
}

static struct bpf_object *obj; /* kept to the end, as a loader that runs until killed keeps it */

int main(int argc, char **argv)
{
        CHECK(argc == 2 || argc == 3);
        obj = bpf_object__open_file(argv[1], NULL);
        CHECK(obj != NULL);
        CHECK(bpf_object__load(obj) == 0);
        tracepoints(obj);
        at_map(obj);
        not_programs(obj, bpf_map__fd(bpf_object__find_map_by_name(obj, "socks")));
        other_targets();
        if (argc == 3)
                at_cgroup(obj, argv[2]);
        /* A command the server does not answer: EINVAL (and its line). */
        {
                uint32_t cnt = 0;

                CHECK(bpf_prog_query(bpf_map__fd(bpf_object__find_map_by_name(obj, "socks")),
                                     BPF_SK_SKB_STREAM_VERDICT, 0, NULL, NULL, &cnt) < 0 &&
                      errno == EINVAL);
        }
        printf("loader_attach: ok\n");
        return 0;
}
