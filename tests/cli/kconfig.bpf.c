/* SPDX-License-Identifier: MIT */
/*
 * Still unsupported: an extern variable (.kconfig), which bpf-aot must
 * refuse by name; and a kernel-only map type, which builds but which the
 * runtime refuses when the object's maps are created.
 */
#define __uint(name, val) int(*name)[val]
#define __type(name, val) typeof(val) *name

extern int LINUX_KERNEL_VERSION __attribute__((section(".kconfig")));

struct {
        __uint(type, 7); /* BPF_MAP_TYPE_STACK_TRACE */
        __uint(max_entries, 16);
        __type(key, unsigned int);
        __uint(value_size, 64);
} stacks __attribute__((section(".maps"), used));

static void *(*const bpf_map_lookup_elem)(void *map, const void *key) = (void *)1;

__attribute__((section("socket/version"), used)) int kernel_version(void *ctx)
{
        (void)ctx;
        return LINUX_KERNEL_VERSION;
}

__attribute__((section("socket/stacks"), used)) int use_stacks(void *ctx)
{
        unsigned int key = 0;
        (void)ctx;
        return bpf_map_lookup_elem(&stacks, &key) != 0;
}
