/* SPDX-License-Identifier: MIT */
/*
 * Per-CPU maps as programs use them, relying on a CPU running one program at
 * a time: plain `*v += 1` on PERCPU_ARRAY, PERCPU_HASH and LRU_PERCPU_HASH
 * values, a per-CPU scratch buffer that must stay the run's own,
 * bpf_get_smp_processor_id() and bpf_map_lookup_percpu_elem(), and a tail
 * call from one such program into another (the same CPU all along).
 * percpu_host.c runs them from more threads than CPUs, all on one CPU.
 */
typedef unsigned int u32;
typedef unsigned long long u64;

#define __uint(name, val)          int(*name)[val]
#define __type(name, val)          typeof(val) *name
#define __array(name, val)         typeof(val) *name[]
#define SEC(s)                     __attribute__((section(s), used))
#define HELPER(ret, name, id, ...) static ret (*const bpf_##name)(__VA_ARGS__) = (void *)id

HELPER(void *, map_lookup_elem, 1, void *map, const void *key);
HELPER(long, map_update_elem, 2, void *map, const void *key, const void *value, u64 flags);
HELPER(u32, get_smp_processor_id, 8, void);
HELPER(long, tail_call, 12, void *ctx, void *map, u32 index);
HELPER(void *, map_lookup_percpu_elem, 195, void *map, const void *key, u32 cpu);

#define BPF_NOEXIST 1

/* The host's view of one run (percpu_host.c has the same struct). */
struct run {
        u32 id;        /* the host thread's number */
        u32 cpu;       /* bpf_get_smp_processor_id() in count */
        u32 outer_cpu; /* the same in outer, before its tail call */
        u32 bad;       /* the CPU's copies changed under the run, or lookups disagree */
};

#define SCRATCH_WORDS 16
struct scratch {
        u64 owner;
        u64 words[SCRATCH_WORDS];
};

struct {
        __uint(type, 6); /* PERCPU_ARRAY */
        __uint(max_entries, 2);
        __type(key, u32);
        __type(value, u64);
} counts SEC(".maps"); /* [0]: runs of count, [1]: runs of outer */

struct {
        __uint(type, 6); /* PERCPU_ARRAY */
        __uint(max_entries, 1);
        __type(key, u32);
        __type(value, struct scratch);
} scratch SEC(".maps");

struct {
        __uint(type, 5); /* PERCPU_HASH */
        __uint(max_entries, 4);
        __type(key, u32);
        __type(value, u64);
} by_key SEC(".maps");

struct {
        __uint(type, 10); /* LRU_PERCPU_HASH */
        __uint(max_entries, 4);
        __type(key, u32);
        __type(value, u64);
} lru_by_key SEC(".maps");

struct {
        __uint(type, 2); /* ARRAY */
        __uint(max_entries, 1);
        __type(key, u32);
        __type(value, u64);
} hits SEC(".maps");

int count(struct run *r);

struct {
        __uint(type, 3); /* PROG_ARRAY */
        __uint(max_entries, 1);
        __uint(key_size, sizeof(u32));
        __array(values, int(void *));
} jmp SEC(".maps") = {
    .values = {[0] = (void *)&count},
};

/* Add 1 to this CPU's copy of map[key], creating the element if it is missing. */
static __attribute__((noinline)) int bump(void *map, u32 key)
{
        u64 one = 1, *v = bpf_map_lookup_elem(map, &key);

        if (!v) {
                if (bpf_map_update_elem(map, &key, &one, BPF_NOEXIST) == 0)
                        return 0;
                v = bpf_map_lookup_elem(map, &key); /* another run created it meanwhile */
                if (!v)
                        return 1;
        }
        *v += 1;
        return 0;
}

SEC("socket/count") int count(struct run *r)
{
        u32 k = 0, cpu = bpf_get_smp_processor_id(), i;
        struct scratch *s = bpf_map_lookup_elem(&scratch, &k);
        u64 *v = bpf_map_lookup_elem(&counts, &k);

        if (!s || !v)
                return 1;
        if (v != bpf_map_lookup_percpu_elem(&counts, &k, cpu))
                r->bad++;
        /* The scratch buffer is this CPU's: nobody else may write it during the run. */
        s->owner = r->id;
        for (i = 0; i < SCRATCH_WORDS; i++)
                s->words[i] = r->id * 1000 + i;
        *v += 1;
        if (bump(&by_key, 7) || bump(&lru_by_key, 7))
                return 2;
        if (s->owner != r->id)
                r->bad++;
        for (i = 0; i < SCRATCH_WORDS; i++)
                if (s->words[i] != r->id * 1000 + i)
                        r->bad++;
        r->cpu = cpu;
        return 0;
}

/* Counts itself, then becomes count on the same CPU. */
SEC("socket/outer") int outer(struct run *r)
{
        u32 k = 1;
        u64 *v = bpf_map_lookup_elem(&counts, &k);

        if (!v)
                return 1;
        *v += 1;
        r->outer_cpu = bpf_get_smp_processor_id();
        bpf_tail_call(r, &jmp, 0);
        return 3; /* the tail call failed */
}

/* No per-CPU map: its entry holds no CPU (and references no enter/exit symbol). */
SEC("socket/plain") int plain(void *ctx)
{
        u32 k = 0;
        u64 *v = bpf_map_lookup_elem(&hits, &k);

        (void)ctx;
        if (v)
                __sync_fetch_and_add(v, 1);
        return bpf_get_smp_processor_id();
}
