/* SPDX-License-Identifier: MIT */
/*
 * Every runtime map type and helper not covered by the other test programs,
 * used from eBPF C as programs use them; allkinds_host.c runs each program
 * through the skeleton and checks the results.
 */
typedef unsigned char u8;
typedef unsigned int u32;
typedef int s32;
typedef unsigned long long u64;
typedef long long s64;

#define __uint(name, val)          int(*name)[val]
#define __type(name, val)          typeof(val) *name
#define SEC(s)                     __attribute__((section(s), used))
#define HELPER(ret, name, id, ...) static ret (*const bpf_##name)(__VA_ARGS__) = (void *)id

HELPER(void *, map_lookup_elem, 1, void *map, const void *key);
HELPER(long, map_update_elem, 2, void *map, const void *key, const void *value, u64 flags);
HELPER(long, map_delete_elem, 3, void *map, const void *key);
HELPER(long, probe_read, 4, void *dst, u32 size, const void *src);
HELPER(u64, ktime_get_ns, 5, void);
HELPER(u32, get_prandom_u32, 7, void);
HELPER(u32, get_smp_processor_id, 8, void);
HELPER(u64, get_current_pid_tgid, 14, void);
HELPER(u64, get_current_uid_gid, 15, void);
HELPER(long, get_current_comm, 16, void *buf, u32 size);
HELPER(long, get_numa_node_id, 42, void);
HELPER(long, probe_read_str, 45, void *dst, u32 size, const void *src);
HELPER(long, map_push_elem, 87, void *map, const void *value, u64 flags);
HELPER(long, map_pop_elem, 88, void *map, void *value);
HELPER(long, map_peek_elem, 89, void *map, void *value);
HELPER(long, spin_lock, 93, void *lock);
HELPER(long, spin_unlock, 94, void *lock);
HELPER(long, probe_read_user, 112, void *dst, u32 size, const void *src);
HELPER(long, probe_read_kernel, 113, void *dst, u32 size, const void *src);
HELPER(long, probe_read_user_str, 114, void *dst, u32 size, const void *src);
HELPER(long, probe_read_kernel_str, 115, void *dst, u32 size, const void *src);
HELPER(u64, ktime_get_boot_ns, 125, void);
HELPER(long, ringbuf_output, 130, void *map, void *data, u64 size, u64 flags);
HELPER(void *, ringbuf_reserve, 131, void *map, u64 size, u64 flags);
HELPER(void, ringbuf_submit, 132, void *data, u64 flags);
HELPER(void, ringbuf_discard, 133, void *data, u64 flags);
HELPER(u64, ringbuf_query, 134, void *map, u64 flags);
HELPER(u64, ktime_get_coarse_ns, 160, void);
HELPER(long, snprintf, 165, char *str, u32 str_size, const char *fmt, u64 *data, u32 data_len);
HELPER(long, strncmp, 182, const char *s1, u32 s1_sz, const char *s2);

struct {
        __uint(type, 6); /* PERCPU_ARRAY */
        __uint(max_entries, 1);
        __type(key, u32);
        __type(value, u64);
} pc_array SEC(".maps");

struct {
        __uint(type, 5); /* PERCPU_HASH */
        __uint(max_entries, 8);
        __type(key, u32);
        __type(value, u64);
} pc_hash SEC(".maps");

struct {
        __uint(type, 9); /* LRU_HASH */
        __uint(max_entries, 4);
        __type(key, u32);
        __type(value, u64);
} lru SEC(".maps");

struct {
        __uint(type, 10); /* LRU_PERCPU_HASH */
        __uint(max_entries, 4);
        __type(key, u32);
        __type(value, u64);
} lru_pc SEC(".maps");

struct {
        __uint(type, 22); /* QUEUE */
        __uint(max_entries, 8);
        __type(value, u64);
} queue SEC(".maps");

struct {
        __uint(type, 23); /* STACK */
        __uint(max_entries, 8);
        __type(value, u64);
} stack SEC(".maps");

struct {
        __uint(type, 27); /* RINGBUF */
        __uint(max_entries, 4096);
} events SEC(".maps");

struct locked {
        u32 lock; /* struct bpf_spin_lock */
        u32 pad;
        u64 count;
};

struct {
        __uint(type, 2); /* ARRAY */
        __uint(max_entries, 1);
        __type(key, u32);
        __type(value, struct locked);
} counter SEC(".maps");

/* Per-CPU maps: each run adds 1 to this CPU's copies; the host sums the copies. */
SEC("socket/percpu") int percpu(void *ctx)
{
        u32 k = 0, h = 7;
        u64 one = 1, *v = bpf_map_lookup_elem(&pc_array, &k);

        (void)ctx;
        if (!v)
                return 1;
        *v += 1;
        v = bpf_map_lookup_elem(&pc_hash, &h);
        if (!v)
                return bpf_map_update_elem(&pc_hash, &h, &one, 0) ? 2 : 0;
        *v += 1;
        v = bpf_map_lookup_elem(&lru_pc, &h);
        if (!v)
                return bpf_map_update_elem(&lru_pc, &h, &one, 0) ? 3 : 0;
        *v += 1;
        return 0;
}

/* LRU: 8 keys into 4 entries; returns how many are left, times 10, plus delete results. */
SEC("socket/lru") int lru_fill(void *ctx)
{
        u32 found = 0;
        long d1, d2;

        (void)ctx;
        for (u32 k = 0; k < 8; k++) {
                u64 v = k * 100;
                if (bpf_map_update_elem(&lru, &k, &v, 0))
                        return -1;
        }
        for (u32 k = 0; k < 8; k++)
                found += bpf_map_lookup_elem(&lru, &k) != 0;
        {
                u32 k = 7;
                d1 = bpf_map_delete_elem(&lru, &k);
                d2 = bpf_map_delete_elem(&lru, &k);
        }
        return (int)found * 10 + (d1 == 0) + 2 * (d2 == -2 /* ENOENT */);
}

/* QUEUE and STACK: push 1, 2, 3; peek and pop. Returns the digits q_peek q_pop s_peek s_pop. */
SEC("socket/queue") int queue_stack(void *ctx)
{
        u64 qp = 0, qo = 0, sp = 0, so = 0;

        (void)ctx;
        for (u64 i = 1; i <= 3; i++)
                if (bpf_map_push_elem(&queue, &i, 0) || bpf_map_push_elem(&stack, &i, 0))
                        return -1;
        if (bpf_map_peek_elem(&queue, &qp) || bpf_map_pop_elem(&queue, &qo) ||
            bpf_map_peek_elem(&stack, &sp) || bpf_map_pop_elem(&stack, &so))
                return -2;
        return (int)(qp * 1000 + qo * 100 + sp * 10 + so);
}

/* RINGBUF: a reserved record, an output record, a discarded one; returns bytes waiting. */
SEC("socket/ringbuf") long ringbuf(void *ctx)
{
        u64 *r = bpf_ringbuf_reserve(&events, 16, 0), *d;
        u64 word = 0xabcdef;

        (void)ctx;
        if (!r)
                return -1;
        r[0] = 1111;
        r[1] = 2222;
        bpf_ringbuf_submit(r, 0);
        if (bpf_ringbuf_output(&events, &word, sizeof(word), 0))
                return -2;
        d = bpf_ringbuf_reserve(&events, 8, 0);
        if (!d)
                return -3;
        bpf_ringbuf_discard(d, 0);
        return (long)bpf_ringbuf_query(&events, 0 /* BPF_RB_AVAIL_DATA */);
}

/* What the host compares: ids, clocks, the thread's name. */
struct facts {
        u64 pid_tgid, uid_gid, ns1, ns2, boot, coarse;
        u32 cpu, rnd1, rnd2;
        s32 numa;
        char comm[16];
        long comm_rc;
};
struct facts facts;

SEC("socket/facts") int get_facts(void *ctx)
{
        (void)ctx;
        facts.pid_tgid = bpf_get_current_pid_tgid();
        facts.uid_gid = bpf_get_current_uid_gid();
        facts.ns1 = bpf_ktime_get_ns();
        facts.ns2 = bpf_ktime_get_ns();
        facts.boot = bpf_ktime_get_boot_ns();
        facts.coarse = bpf_ktime_get_coarse_ns();
        facts.cpu = bpf_get_smp_processor_id();
        facts.rnd1 = bpf_get_prandom_u32();
        facts.rnd2 = bpf_get_prandom_u32();
        facts.numa = (s32)bpf_get_numa_node_id();
        facts.comm_rc = bpf_get_current_comm(facts.comm, sizeof(facts.comm));
        return 0;
}

/* Checked reads from addresses the host passes: a value, a string, and a bad address. */
struct probe_in {
        const u64 *value;
        const char *str;
        const void *bad;
};
struct probe_out {
        u64 v[3];
        long rc[7];
        char s[3][8];
};
struct probe_out probed;

SEC("socket/probe") int probe(struct probe_in *in)
{
        probed.rc[0] = bpf_probe_read(&probed.v[0], 8, in->value);
        probed.rc[1] = bpf_probe_read_user(&probed.v[1], 8, in->value);
        probed.rc[2] = bpf_probe_read_kernel(&probed.v[2], 8, in->value);
        probed.rc[3] = bpf_probe_read_str(probed.s[0], 8, in->str);
        probed.rc[4] = bpf_probe_read_user_str(probed.s[1], 8, in->str);
        probed.rc[5] = bpf_probe_read_kernel_str(probed.s[2], 4, in->str);
        probed.rc[6] = bpf_probe_read(&probed.v[0], 8, in->bad);
        return 0;
}

/* bpf_snprintf and bpf_strncmp. */
char text[32];
long text_len;

SEC("socket/format") int format(void *ctx)
{
        static const char fmt[] = "%d-%u-%x";
        static const char word[] = "alpha";
        u64 args[3] = {(u64)-5, 42, 255};

        (void)ctx;
        text_len = bpf_snprintf(text, sizeof(text), fmt, args, sizeof(args));
        return (int)(bpf_strncmp(text, 3, "-5-") == 0) + 2 * (bpf_strncmp(word, 5, "alphb") < 0) +
               4 * (bpf_strncmp(word, 5, "alpha") == 0);
}

/* bpf_spin_lock: several threads add to one counter under the lock. */
SEC("socket/locked") int locked_add(u64 *n)
{
        u32 k = 0;
        struct locked *l = bpf_map_lookup_elem(&counter, &k);

        if (!l)
                return 1;
        for (u64 i = 0; i < *n && i < 100000; i++) {
                bpf_spin_lock(&l->lock);
                l->count += 1;
                bpf_spin_unlock(&l->lock);
        }
        return 0;
}
