/* SPDX-License-Identifier: MIT */
/*
 * A loader of an eBPF object written against libbpf's public API only
 * (bpf_object__open_file, bpf_object__load, the maps' descriptors,
 * bpf_program__attach_uprobe_opts), run with
 * libbpfaot-syscall-server.so preloaded. It checks that the program is in
 * the segment with its map named by the map's id and attached to a uprobe
 * of this binary, and leaves both there (as a
 * loader that runs until killed would) for the script to inspect.
 * usage: loader_object OBJECT
 */
#include "loader_check.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <bpfaot/shm.h>

#include <errno.h>
#include <limits.h>
#include <linux/perf_event.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The function the program is attached to (by name, as libbpf resolves it in this binary). */
__attribute__((noinline, used)) int loader_target_function(int x)
{
        __asm__ volatile("" ::: "memory");
        return x + 1;
}

/* How many attach requests of kind `kind` of program `name` at `path` the segment has. */
static uint32_t attach_count(const char *name, const char *path, uint32_t kind)
{
        struct bpfaot_shm_prog_info pi;
        struct bpfaot_shm_attach_info ai;
        struct bpfaot_shm *shm;
        uint32_t id = 0, found = 0;

        CHECK(bpfaot_shm__open(NULL, NULL, &shm) == 0);
        while (bpfaot_shm__next_attach_id(shm, id, &id) == 0) {
                CHECK(bpfaot_shm__attach_info(shm, id, &ai) == 0);
                CHECK(bpfaot_shm__prog_info(shm, ai.prog_id, &pi) == 0);
                if (strcmp(pi.name, name) == 0 && strcmp(ai.target, path) == 0 && ai.kind == kind &&
                    ai.offset > 0 && ai.pid == -1)
                        found++;
        }
        bpfaot_shm__close(shm);
        return found;
}

static int read_int(const char *path, const char *fmt)
{
        FILE *f = fopen(path, "r");
        int v = -1;

        CHECK(f && fscanf(f, fmt, &v) == 1);
        fclose(f);
        return v;
}

/*
 * The older way of attaching (no link): perf_event_open of a uretprobe
 * and PERF_EVENT_IOC_SET_BPF; closing the event withdraws the request.
 */
static void attach_by_ioctl(int prog_fd, const char *path, uint64_t offset)
{
        struct perf_event_attr attr = {.size = sizeof(attr)};
        int pfd;

        attr.type = (uint32_t)read_int("/sys/bus/event_source/devices/uprobe/type", "%d");
        attr.config =
            1ull << read_int("/sys/bus/event_source/devices/uprobe/format/retprobe", "config:%d");
        attr.config1 = (uint64_t)(uintptr_t)path;
        attr.config2 = offset;
        pfd = (int)syscall(SYS_perf_event_open, &attr, -1, 0, -1, PERF_FLAG_FD_CLOEXEC);
        CHECK(pfd > 2);
        CHECK(ioctl(pfd, PERF_EVENT_IOC_SET_BPF, prog_fd) == 0);
        CHECK(ioctl(pfd, PERF_EVENT_IOC_ENABLE, 0) == 0);
        CHECK(attach_count("count_calls", path, BPFAOT_SHM_URETPROBE) == 1);
        CHECK(ioctl(pfd, PERF_EVENT_IOC_SET_BPF, prog_fd) < 0 && errno == EEXIST);
        CHECK(close(pfd) == 0);
        CHECK(attach_count("count_calls", path, BPFAOT_SHM_URETPROBE) == 0);
}

/* Does program `name` in the segment load map `map_id` (a 64-bit load of the map)? */
static bool prog_loads_map(const char *name, uint32_t map_id)
{
        struct bpfaot_shm_prog_info pi;
        const struct bpf_insn *insns;
        struct bpfaot_shm *shm;
        uint32_t id = 0, cnt, found = 0;

        CHECK(bpfaot_shm__open(NULL, NULL, &shm) == 0);
        while (bpfaot_shm__next_prog_id(shm, id, &id) == 0) {
                CHECK(bpfaot_shm__prog_info(shm, id, &pi) == 0);
                if (strcmp(pi.name, name) != 0)
                        continue;
                CHECK(strcmp(pi.license, "GPL") == 0 && pi.type == BPF_PROG_TYPE_KPROBE);
                CHECK(bpfaot_shm__prog_insns(shm, id, &insns, &cnt) == 0 && cnt == pi.insn_cnt);
                for (uint32_t i = 0; i < cnt; i++)
                        if (insns[i].code == (BPF_LD | BPF_IMM | BPF_DW) &&
                            insns[i].src_reg == BPF_PSEUDO_MAP_FD && insns[i].imm == (int)map_id)
                                found++;
        }
        bpfaot_shm__close(shm);
        return found > 0;
}

/*
 * OBJ_GET_INFO_BY_FD of the program and of its link, as bpftool-like tools
 * ask: the program's maps and instructions in a second call, with buffers.
 */
static void check_prog_and_link_info(struct bpf_program *prog, struct bpf_link *link)
{
        struct bpf_prog_info info = {0};
        struct bpf_link_info li = {0};
        uint32_t len = sizeof(info), map_ids[8] = {0}, one_id = 0;
        struct bpf_insn insns[256];
        struct bpfaot_shm_prog_info pi;
        const struct bpf_insn *stored;
        struct bpfaot_shm *shm;
        uint32_t cnt, nmaps;
        char path[] = "/tmp/bpfaot-info-XXXXXX";
        int fd;

        CHECK(bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &len) == 0);
        CHECK(len == sizeof(info));
        CHECK(info.type == BPF_PROG_TYPE_KPROBE && strcmp(info.name, "count_calls") == 0);
        CHECK(info.gpl_compatible && info.nr_map_ids == 3); /* counts, .bss, .rodata */
        CHECK(bpfaot_shm__open(NULL, NULL, &shm) == 0);
        CHECK(bpfaot_shm__prog_info(shm, info.id, &pi) == 0 && strcmp(pi.name, "count_calls") == 0);
        CHECK(bpfaot_shm__prog_insns(shm, info.id, &stored, &cnt) == 0);
        CHECK(info.xlated_prog_len == cnt * sizeof(struct bpf_insn) && cnt <= 256);
        nmaps = info.nr_map_ids;

        /* Again with buffers: the instructions as stored, and every map's id, each a map of the
         * segment. A shorter buffer gets what fits and the whole length. */
        memset(&info, 0, sizeof(info));
        info.xlated_prog_len = sizeof(insns);
        info.xlated_prog_insns = (uintptr_t)insns;
        info.nr_map_ids = 8;
        info.map_ids = (uintptr_t)map_ids;
        CHECK(bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &len) == 0);
        CHECK(memcmp(insns, stored, cnt * sizeof(*insns)) == 0 && info.nr_map_ids == nmaps);
        for (uint32_t i = 0; i < nmaps; i++) {
                struct bpfaot_shm_map_info mi;

                CHECK(map_ids[i] != 0 && bpfaot_shm__map_info(shm, map_ids[i], &mi) == 0);
        }
        memset(&info, 0, sizeof(info));
        info.nr_map_ids = 1;
        info.map_ids = (uintptr_t)&one_id;
        CHECK(bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &len) == 0);
        CHECK(info.nr_map_ids == nmaps && one_id == map_ids[0]);

        /* The link: a perf event link of the program. */
        len = sizeof(li);
        CHECK(bpf_obj_get_info_by_fd(bpf_link__fd(link), &li, &len) == 0);
        CHECK(li.type == BPF_LINK_TYPE_PERF_EVENT && li.prog_id == pi.id && li.id != 0);
        bpfaot_shm__close(shm);

        /* Not BPF objects: another file, a closed descriptor (the kernel's errnos). */
        fd = mkstemp(path);
        CHECK(fd >= 0);
        unlink(path);
        len = sizeof(info);
        CHECK(bpf_obj_get_info_by_fd(fd, &info, &len) < 0 && errno == EINVAL);
        close(fd);
        CHECK(bpf_obj_get_info_by_fd(fd, &info, &len) < 0 && errno == EBADF);
}

/* Kept to the end, as a loader that runs until it is killed keeps them (not closed). */
static struct bpf_object *obj;
static struct bpf_link *uprobe_link;

int main(int argc, char **argv)
{
        struct bpf_map_info info = {0};
        uint32_t len = sizeof(info), k = 7;
        uint64_t v = 42, got = 0;
        struct bpf_program *prog;
        struct bpf_map *map;
        int fd;

        CHECK(argc == 2);
        obj = bpf_object__open_file(argv[1], NULL);
        CHECK(obj != NULL);
        CHECK(bpf_object__load(obj) == 0);
        prog = bpf_object__find_program_by_name(obj, "count_calls");
        CHECK(prog && bpf_program__fd(prog) > 2);
        map = bpf_object__find_map_by_name(obj, "counts");
        CHECK(map);
        fd = bpf_map__fd(map);
        CHECK(bpf_map_update_elem(fd, &k, &v, BPF_ANY) == 0);
        CHECK(bpf_map_lookup_elem(fd, &k, &got) == 0 && got == 42);
        CHECK(bpf_obj_get_info_by_fd(fd, &info, &len) == 0);
        CHECK(strcmp(info.name, "counts") == 0);
        CHECK(prog_loads_map("count_calls", info.id));

        /* A uprobe on a function of this binary, as any libbpf tool attaches one. */
        {
                LIBBPF_OPTS(bpf_uprobe_opts, uopts, .func_name = "loader_target_function");
                char self[PATH_MAX];
                ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

                CHECK(n > 0);
                self[n] = '\0';
                uprobe_link = bpf_program__attach_uprobe_opts(prog, -1, self, 0, &uopts);
                CHECK(uprobe_link != NULL);
                CHECK(attach_count("count_calls", self, BPFAOT_SHM_UPROBE) == 1);
                CHECK(loader_target_function(41) == 42);
                attach_by_ioctl(bpf_program__fd(prog), self, 0x1000);
                check_prog_and_link_info(prog, uprobe_link);
        }
        printf("loader_object: count_calls loads map %u\n", info.id);
        return 0; /* without bpf_object__close: the program stays, as a running loader's */
}
