/* SPDX-License-Identifier: MIT */
/*
 * A loader of an eBPF object written against libbpf's public API only
 * (bpf_object__open_file, bpf_object__load, the maps' descriptors), run with
 * libbpfaot-syscall-server.so preloaded. It checks that the program is in
 * the segment with its map named by the map's id, and leaves it there (as a
 * loader that runs until killed would) for the script to inspect.
 * usage: loader_object OBJECT
 */
#include "loader_check.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <bpfaot/shm.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

int main(int argc, char **argv)
{
        struct bpf_map_info info = {0};
        uint32_t len = sizeof(info), k = 7;
        uint64_t v = 42, got = 0;
        struct bpf_object *obj;
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
        printf("loader_object: count_calls loads map %u\n", info.id);
        return 0; /* without bpf_object__close: the program stays, as a running loader's */
}
