// SPDX-License-Identifier: MIT
/*
 * A valid eBPF object with everything the ELF front end reads: BTF-defined
 * maps (a PROG_ARRAY and an ARRAY_OF_MAPS filled by the object), .data/.rodata/.bss, a global and a static sub-program in .text, a
 * static function in a program's own section, and two programs. The badobj
 * test breaks copies of it in memory.
 */
typedef unsigned int u32;
typedef unsigned long long u64;

#define __uint(name, val) int(*name)[val]
#define __type(name, val) typeof(val) *name
#define NOINLINE          __attribute__((noinline))

static void *(*const bpf_map_lookup_elem)(void *map, const void *key) = (void *)1;
static long (*const bpf_map_update_elem)(void *map, const void *key, const void *value,
                                         u64 flags) = (void *)2;

struct {
        __uint(type, 1); /* BPF_MAP_TYPE_HASH */
        __uint(max_entries, 64);
        __type(key, u32);
        __type(value, u64);
} seen __attribute__((section(".maps"), used));

struct {
        __uint(type, 2); /* BPF_MAP_TYPE_ARRAY */
        __uint(max_entries, 4);
        __type(key, u32);
        __type(value, u64);
} totals __attribute__((section(".maps"), used));

/* Contents the object sets itself: relocations in .maps (.rel.maps). */
int count(const unsigned char *data, u64 size);

struct {
        __uint(type, 3); /* BPF_MAP_TYPE_PROG_ARRAY */
        __uint(max_entries, 2);
        __uint(key_size, sizeof(u32));
        typeof(int(void *)) *values[];
} jumps __attribute__((section(".maps"), used)) = {.values = {[1] = (void *)&count}};

struct {
        __uint(type, 12); /* BPF_MAP_TYPE_ARRAY_OF_MAPS */
        __uint(max_entries, 2);
        __type(key, u32);
        typeof(totals) *values[];
} outer __attribute__((section(".maps"), used)) = {.values = {[0] = &totals}};

u64 counter = 7;                    /* .data */
u64 scratch[4];                     /* .bss */
const u64 table[4] = {3, 5, 7, 11}; /* .rodata */

NOINLINE u64 mix(u64 x)
{
        x ^= x >> 31;
        x *= 0x9e3779b97f4a7c15ull;
        return x ^ (x >> 29);
}

static NOINLINE u64 fold(u64 a, u64 b)
{
        return mix(a ^ b) + table[b & 3];
}

static NOINLINE __attribute__((section("socket/count"))) u64 step(u64 acc, unsigned char c)
{
        return (acc << 5) + acc + c;
}

__attribute__((section("socket/count"), used)) int count(const unsigned char *data, u64 size)
{
        u32 key = (u32)size;
        u64 acc = counter, *v;

        for (u64 i = 0; i < size && i < 64; i++)
                acc = step(acc, data[i]);
        scratch[size & 3] = acc;
        v = bpf_map_lookup_elem(&seen, &key);
        if (v)
                *v += 1;
        else
                bpf_map_update_elem(&seen, &key, &acc, 0);
        return (int)fold(acc, size);
}

__attribute__((section("socket/total"), used)) int total(const unsigned char *data, u64 size)
{
        u32 key = 0;
        u64 *v = bpf_map_lookup_elem(&totals, &key);

        if (v)
                __sync_fetch_and_add(v, size);
        counter++;
        return (int)mix(size ? data[0] : scratch[1]);
}
