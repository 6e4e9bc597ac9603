// SPDX-License-Identifier: MIT
/*
 * An object in the shape of old kernel samples (samples/bpf, ebpf-samples'
 * linux/ directory): maps as `struct bpf_map_def` in SEC("maps"), programs
 * in named sections, `license` and `version` sections, built without BTF.
 * cli_test.sh also rewrites its program symbols as untyped, as compilers of
 * that time wrote them (legacy_syms.c).
 */
typedef unsigned int u32;
typedef unsigned long long u64;

struct bpf_map_def {
        u32 type, key_size, value_size, max_entries, map_flags;
};

static void *(*const bpf_map_lookup_elem)(void *map, const void *key) = (void *)1;

struct bpf_map_def __attribute__((section("maps"), used))
counts = {.type = 2, .key_size = 4, .value_size = 8, .max_entries = 4}; /* ARRAY */

/* Count the runs in slot 0; return the count so far. */
__attribute__((section("socket/count"), used)) int count_runs(void *ctx)
{
        u32 key = 0;
        u64 *v = bpf_map_lookup_elem(&counts, &key);

        (void)ctx;
        if (!v)
                return -1;
        return (int)++*v;
}

/* The first byte of the context, doubled. */
__attribute__((section("socket/first"), used)) int first_byte(unsigned char *ctx)
{
        return ctx[0] * 2;
}

char _license[] __attribute__((section("license"), used)) = "GPL";
u32 _version __attribute__((section("version"), used)) = 0x041000;
