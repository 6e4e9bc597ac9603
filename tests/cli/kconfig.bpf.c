/* SPDX-License-Identifier: MIT */
/*
 * .kconfig externs: LINUX_KERNEL_VERSION resolves (to the build host's
 * kernel version); other values must be refused by name. And a kernel-only
 * map type, which builds but which the runtime refuses when it creates the
 * object's maps.
 */
#define __uint(name, val) int(*name)[val]
#define __type(name, val) typeof(val) *name

extern unsigned int LINUX_KERNEL_VERSION __attribute__((section(".kconfig")));
extern int CONFIG_HZ __attribute__((section(".kconfig")));

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

__attribute__((section("socket/hz"), used)) int hz(void *ctx)
{
        (void)ctx;
        return CONFIG_HZ;
}

__attribute__((section("socket/stacks"), used)) int use_stacks(void *ctx)
{
        unsigned int key = 0;
        (void)ctx;
        return bpf_map_lookup_elem(&stacks, &key) != 0;
}
