/* SPDX-License-Identifier: MIT */
/* Impossible definitions are -EINVAL, kernel-only types -ENOTSUP, names printable. */
#include "check.h"

#include <bpfaot/maps.h>
#include <errno.h>
#include <linux/bpf.h>
#include <string.h>

static int create(uint32_t type, uint32_t ks, uint32_t vs, uint32_t n, uint32_t flags)
{
        struct bpfaot_map_def def = {.name = "m",
                                     .type = type,
                                     .key_size = ks,
                                     .value_size = vs,
                                     .max_entries = n,
                                     .map_flags = flags};
        struct bpfaot_map *m = (struct bpfaot_map *)&def; /* must be reset to NULL on failure */
        int err = bpfaot_map__create(&def, &m);

        if (err)
                CHECK(m == NULL);
        else
                bpfaot_map__free(m);
        return err;
}

int main(void)
{
        static const uint32_t hashes[] = {BPF_MAP_TYPE_HASH, BPF_MAP_TYPE_PERCPU_HASH,
                                          BPF_MAP_TYPE_LRU_HASH, BPF_MAP_TYPE_LRU_PERCPU_HASH};
        static const uint32_t kernel_only[] = {
            BPF_MAP_TYPE_CGROUP_ARRAY, BPF_MAP_TYPE_STACK_TRACE, BPF_MAP_TYPE_DEVMAP,
            BPF_MAP_TYPE_XSKMAP,       BPF_MAP_TYPE_CPUMAP,      BPF_MAP_TYPE_SOCKMAP,
            BPF_MAP_TYPE_SOCKHASH,     BPF_MAP_TYPE_SK_STORAGE,  BPF_MAP_TYPE_STRUCT_OPS,
            BPF_MAP_TYPE_TASK_STORAGE, BPF_MAP_TYPE_UNSPEC,      1000};
        size_t i;

        for (i = 0; i < sizeof(hashes) / sizeof(hashes[0]); i++) {
                uint32_t t = hashes[i];

                CHECK_EQ(create(t, 4, 8, 16, 0), 0);
                CHECK_EQ(create(t, 0, 8, 16, 0), -EINVAL);
                CHECK_EQ(create(t, 4, 0, 16, 0), -EINVAL);
                CHECK_EQ(create(t, 4, 8, 0, 0), -EINVAL);
                CHECK_EQ(create(t, 4, 8, 16, 1u << 31), -EINVAL);
                CHECK_EQ(create(t, UINT32_MAX, UINT32_MAX, UINT32_MAX, 0), -EINVAL);
                CHECK_EQ(create(t, 8, 1u << 30, 1u << 20, 0), -EINVAL);
                CHECK_EQ(create(t, 4, 8, UINT32_MAX, 0), -EINVAL);
        }
        CHECK_EQ(create(BPF_MAP_TYPE_HASH, 4, 8, 16, BPF_F_NO_PREALLOC), 0);
        CHECK_EQ(create(BPF_MAP_TYPE_LRU_HASH, 4, 8, 16, BPF_F_NO_PREALLOC), -EINVAL);
        CHECK_EQ(create(BPF_MAP_TYPE_LRU_HASH, 4, 8, 16, BPF_F_NO_COMMON_LRU), 0);
        CHECK_EQ(create(BPF_MAP_TYPE_HASH, 4, 8, 16, BPF_F_NO_COMMON_LRU), -EINVAL);

        CHECK_EQ(create(BPF_MAP_TYPE_ARRAY, 4, 8, 16, BPF_F_MMAPABLE), 0);
        CHECK_EQ(create(BPF_MAP_TYPE_ARRAY, 8, 8, 16, 0), -EINVAL);
        CHECK_EQ(create(BPF_MAP_TYPE_ARRAY, 4, 0, 16, 0), -EINVAL);
        CHECK_EQ(create(BPF_MAP_TYPE_ARRAY, 4, 8, 0, 0), -EINVAL);
        CHECK_EQ(create(BPF_MAP_TYPE_ARRAY, 4, UINT32_MAX, UINT32_MAX, 0), -EINVAL);
        CHECK_EQ(create(BPF_MAP_TYPE_PERCPU_ARRAY, 4, 1u << 30, 1u << 10, 0), -EINVAL);
        CHECK_EQ(create(BPF_MAP_TYPE_PERCPU_ARRAY, 4, 8, 16, BPF_F_MMAPABLE), -EINVAL);
        CHECK_EQ(create(BPF_MAP_TYPE_RINGBUF, 0, 0, 4096, 0), 0);
        CHECK_EQ(create(BPF_MAP_TYPE_RINGBUF, 0, 0, 0, 0), -EINVAL);
        CHECK_EQ(create(BPF_MAP_TYPE_RINGBUF, 0, 0, 3 * 4096, 0), -EINVAL);
        CHECK_EQ(create(BPF_MAP_TYPE_RINGBUF, 0, 0, 64, 0), -EINVAL);
        CHECK_EQ(create(BPF_MAP_TYPE_RINGBUF, 4, 0, 4096, 0), -EINVAL);
        CHECK_EQ(create(BPF_MAP_TYPE_RINGBUF, 0, 8, 4096, 0), -EINVAL);

        for (i = 0; i < sizeof(kernel_only) / sizeof(kernel_only[0]); i++)
                CHECK_EQ(create(kernel_only[i], 4, 4, 16, 0), -ENOTSUP);
        CHECK(strcmp(bpfaot_map_type__name(BPF_MAP_TYPE_CGROUP_ARRAY), "cgroup_array") == 0);
        CHECK(strcmp(bpfaot_map_type__name(BPF_MAP_TYPE_XSKMAP), "xskmap") == 0);
        CHECK(strcmp(bpfaot_map_type__name(BPF_MAP_TYPE_HASH), "hash") == 0);
        CHECK(strcmp(bpfaot_map_type__name(1000), "unknown") == 0);

        CHECK_EQ(bpfaot_map__create(NULL, NULL), -EINVAL);
        bpfaot_map__free(NULL);
        printf("ok\n");
        return 0;
}
