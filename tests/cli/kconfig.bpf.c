/* SPDX-License-Identifier: MIT */
/*
 * .kconfig externs: LINUX_KERNEL_VERSION (the build host's kernel version)
 * and CONFIG_* values from a kernel config (--kconfig FILE), typed as libbpf
 * types them: int, bool, libbpf_tristate, char array; a weak missing one is 0.
 * .ksyms: a weak kernel symbol is NULL, a strong one is refused by name. And
 * a kernel-only map type, which builds but which the runtime refuses when it
 * creates the object's maps.
 */
#define __uint(name, val) int(*name)[val]
#define __type(name, val) typeof(val) *name
#define __kconfig __attribute__((section(".kconfig")))
#define __ksym __attribute__((section(".ksyms")))
#define __weak __attribute__((weak))

enum libbpf_tristate { TRI_NO = 0, TRI_YES = 1, TRI_MODULE = 2 };

extern unsigned int LINUX_KERNEL_VERSION __kconfig;
extern int CONFIG_HZ __kconfig;
extern _Bool CONFIG_BPF_SYSCALL __kconfig;
extern enum libbpf_tristate CONFIG_XFS_FS __kconfig;
extern char CONFIG_DEFAULT_HOSTNAME[16] __kconfig;
extern int CONFIG_NOT_IN_ANY_CONFIG __kconfig __weak;
extern const void bpf_prog_active __ksym __weak;
extern const void init_task __ksym;

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

/* 1 + 10 * tristate + 100 * (hostname starts with '(') + 1000 * missing + 10000 * (NULL ksym) */
__attribute__((section("socket/features"), used)) int features(void *ctx)
{
        (void)ctx;
        return CONFIG_BPF_SYSCALL + 10 * CONFIG_XFS_FS +
               100 * (CONFIG_DEFAULT_HOSTNAME[0] == '(' && CONFIG_DEFAULT_HOSTNAME[5] == ')') +
               1000 * CONFIG_NOT_IN_ANY_CONFIG + 10000 * (&bpf_prog_active == 0);
}

__attribute__((section("socket/ksym"), used)) long ksym(void *ctx)
{
        (void)ctx;
        return (long)&init_task;
}

__attribute__((section("socket/stacks"), used)) int use_stacks(void *ctx)
{
        unsigned int key = 0;
        (void)ctx;
        return bpf_map_lookup_elem(&stacks, &key) != 0;
}
