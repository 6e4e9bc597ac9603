/* SPDX-License-Identifier: MIT */
/*
 * Helpers whose use from eBPF matters, run by `bpf-aot run`: callbacks the
 * runtime calls natively (for_each_map_elem, a timer on the runtime's timer
 * thread), bpf_printk with more than three arguments (trace_vprintk),
 * strtol/strtoul on the stack, dynptrs over the stack and a ring buffer,
 * get_stack of the running program.
 */
typedef unsigned int u32;
typedef unsigned long long u64;
typedef long long s64;

#define __uint(name, val)          int(*name)[val]
#define __type(name, val)          typeof(val) *name
#define SEC(s)                     __attribute__((section(s), used))
#define HELPER(ret, name, id, ...) static ret (*const bpf_##name)(__VA_ARGS__) = (void *)id

struct bpf_dynptr {
        u64 opaque[2];
} __attribute__((aligned(8)));
struct bpf_timer {
        u64 opaque[2];
} __attribute__((aligned(8)));

HELPER(void *, map_lookup_elem, 1, void *map, const void *key);
HELPER(long, map_update_elem, 2, void *map, const void *key, const void *value, u64 flags);
HELPER(u64, ktime_get_ns, 5);
HELPER(long, get_stack, 67, void *ctx, void *buf, u32 size, u64 flags);
HELPER(long, strtol, 105, const char *buf, u64 buf_len, u64 flags, s64 *res);
HELPER(long, strtoul, 106, const char *buf, u64 buf_len, u64 flags, u64 *res);
HELPER(u64, ringbuf_query, 134, void *map, u64 flags);
HELPER(long, for_each_map_elem, 164, void *map, void *cb, void *ctx, u64 flags);
HELPER(long, timer_init, 169, struct bpf_timer *t, void *map, u64 flags);
HELPER(long, timer_set_callback, 170, struct bpf_timer *t, void *cb);
HELPER(long, timer_start, 171, struct bpf_timer *t, u64 nsecs, u64 flags);
HELPER(long, trace_vprintk, 177, const char *fmt, u32 fmt_size, const void *data, u32 len);
HELPER(long, loop, 181, u32 nr, void *cb, void *ctx, u64 flags);
HELPER(long, dynptr_from_mem, 197, void *data, u32 size, u64 flags, struct bpf_dynptr *p);
HELPER(long, ringbuf_reserve_dynptr, 198, void *map, u32 size, u64 flags, struct bpf_dynptr *p);
HELPER(void, ringbuf_submit_dynptr, 199, struct bpf_dynptr *p, u64 flags);
HELPER(long, dynptr_read, 201, void *dst, u32 len, const struct bpf_dynptr *src, u32 off,
       u64 flags);
HELPER(long, dynptr_write, 202, const struct bpf_dynptr *dst, u32 off, void *src, u32 len,
       u64 flags);
HELPER(void *, dynptr_data, 203, const struct bpf_dynptr *p, u32 off, u32 len);

struct {
        __uint(type, 1); /* BPF_MAP_TYPE_HASH */
        __uint(max_entries, 16);
        __type(key, u32);
        __type(value, u64);
} squares SEC(".maps");

struct {
        __uint(type, 27); /* BPF_MAP_TYPE_RINGBUF */
        __uint(max_entries, 4096);
} events SEC(".maps");

struct timed {
        u64 fired;
        u64 key_seen;
        struct bpf_timer timer;
};

struct {
        __uint(type, 2); /* BPF_MAP_TYPE_ARRAY */
        __uint(max_entries, 2);
        __type(key, u32);
        __type(value, struct timed);
} timers SEC(".maps");

struct walk {
        u64 sum;
        u64 calls;
        u64 stop_at;
};

static long add_value(void *map, u32 *key, u64 *value, struct walk *w)
{
        (void)map;
        w->sum += *value;
        w->calls++;
        return w->stop_at && w->calls == w->stop_at;
}

/* squares[k] = k * k for k = 1..10; a full walk (sum, count), then one stopped at 3. */
SEC("socket/each") u64 each(void *ctx)
{
        struct walk all = {0, 0, 0}, three = {0, 0, 3};
        long n_all, n_three;

        (void)ctx;
        for (u32 k = 1; k <= 10; k++) {
                u64 v = (u64)k * k;
                bpf_map_update_elem(&squares, &k, &v, 0);
        }
        n_all = bpf_for_each_map_elem(&squares, add_value, &all, 0);
        n_three = bpf_for_each_map_elem(&squares, add_value, &three, 0);
        return (u64)n_all * 1000000 + all.sum * 100 + (u64)n_three * 10 + three.calls +
               (bpf_for_each_map_elem(&squares, add_value, &all, 1) == -22 ? 0 : 1000000000);
}

SEC("socket/vprintk") long vprintk(void *ctx)
{
        static const char fmt[] = "%d %d %d %d %s\n";
        u64 args[5] = {1, 2, 3, 4, (u64)(unsigned long)"five"};

        (void)ctx;
        return bpf_trace_vprintk(fmt, sizeof(fmt), args, sizeof(args));
}

SEC("socket/parse") u64 parse(void *ctx)
{
        char hex[] = "0x1fz", neg[] = " -12,";
        u64 u = 0;
        s64 l = 0;
        long nu, nl;

        (void)ctx;
        nu = bpf_strtoul(hex, sizeof(hex) - 1, 0, &u);
        nl = bpf_strtol(neg, sizeof(neg) - 1, 10, &l);
        return u * 10000 + (u64)nu * 1000 + (u64)(-l) * 10 + (u64)nl;
}

/* A stack dynptr: write, read back, a data pointer; then a ring-buffer record. */
SEC("socket/dynptr") u64 dynptr(void *ctx)
{
        char mem[8] = "abcdefg", out[4] = {0};
        struct bpf_dynptr d, r;
        char *p;
        u64 score = 0;

        (void)ctx;
        if (bpf_dynptr_from_mem(mem, sizeof(mem), 0, &d))
                return 1;
        score += bpf_dynptr_write(&d, 1, "XY", 2, 0) == 0;                /* aXYdefg */
        score += bpf_dynptr_read(out, 3, &d, 0, 0) == 0 && out[1] == 'X'; /* "aXY" */
        score += bpf_dynptr_read(out, 3, &d, 6, 0) == -7;                 /* -E2BIG */
        p = bpf_dynptr_data(&d, 4, 2);
        score += p && p[0] == 'e';
        score += bpf_dynptr_data(&d, 7, 2) == 0;
        if (bpf_ringbuf_reserve_dynptr(&events, 5, 0, &r) == 0) {
                score += bpf_dynptr_write(&r, 0, mem, 5, 0) == 0;
                bpf_ringbuf_submit_dynptr(&r, 0);
        }
        /* one record of 5 bytes and its 8-byte header, rounded up to 8 */
        return score * 100 + bpf_ringbuf_query(&events, 0);
}

static int on_timer(void *map, u32 *key, struct timed *t)
{
        (void)map;
        /* Both volatile, so that they stay in this order: the program reads key_seen once it
           sees fired. */
        *(volatile u64 *)&t->key_seen = *key;
        *(volatile u64 *)&t->fired = 7;
        return 0;
}

struct waiting {
        struct timed *t;
        u64 until;
};

static long wait_fired(u32 i, struct waiting *w)
{
        (void)i;
        return *(volatile u64 *)&w->t->fired || bpf_ktime_get_ns() > w->until;
}

/* A timer in element 1 fires on the runtime's thread while the program waits for it. */
SEC("socket/timer") u64 timer(void *ctx)
{
        u32 key = 1;
        struct timed *t = bpf_map_lookup_elem(&timers, &key);
        struct waiting w;
        long err;

        (void)ctx;
        if (!t)
                return 1;
        err = bpf_timer_init(&t->timer, &timers, 1 /* CLOCK_MONOTONIC */);
        err = err ?: bpf_timer_set_callback(&t->timer, on_timer);
        err = err ?: bpf_timer_start(&t->timer, 1000000 /* 1 ms */, 0);
        if (err)
                return 2;
        w.t = t;
        w.until = bpf_ktime_get_ns() + 5000000000ull;
        for (int i = 0; i < 64 && !*(volatile u64 *)&t->fired; i++)
                bpf_loop(1 << 20, wait_fired, &w, 0);
        return *(volatile u64 *)&t->fired * 10 + t->key_seen;
}

/* A timer due in an hour: the map's free at exit cancels it. */
SEC("socket/timer_pending") u64 timer_pending(void *ctx)
{
        u32 key = 0;
        struct timed *t = bpf_map_lookup_elem(&timers, &key);

        (void)ctx;
        if (!t || bpf_timer_init(&t->timer, &timers, 1) ||
            bpf_timer_set_callback(&t->timer, on_timer))
                return 1;
        return bpf_timer_start(&t->timer, 3600000000000ull, 0) == 0 ? 42 : 2;
}

/*
 * Timer callbacks that misbehave: each says it started (key_seen), then
 * stores 8 MiB past its value, or spins without end. Under --sandbox each
 * runs as a sandboxed run of its own, which faults.
 */
static int on_timer_wild(void *map, u32 *key, struct timed *t)
{
        (void)map;
        *(volatile u64 *)&t->key_seen = *key + 100;
        ((volatile u64 *)t)[*(volatile u64 *)&t->fired + (1 << 20)] = 1;
        return 0;
}

static int on_timer_spin(void *map, u32 *key, struct timed *t)
{
        (void)map;
        *(volatile u64 *)&t->key_seen = *key + 100;
        for (;;)
                *(volatile u64 *)&t->fired += 1;
        return 0;
}

static long wait_started(u32 i, struct waiting *w)
{
        (void)i;
        return *(volatile u64 *)&w->t->key_seen || bpf_ktime_get_ns() > w->until;
}

/* Start element 1's timer with callback `cb` and wait (5 s at most) until the callback starts. */
static u64 start_and_wait(void *cb)
{
        u32 key = 1;
        struct timed *t = bpf_map_lookup_elem(&timers, &key);
        struct waiting w;

        if (!t || bpf_timer_init(&t->timer, &timers, 1) || bpf_timer_set_callback(&t->timer, cb) ||
            bpf_timer_start(&t->timer, 1000000 /* 1 ms */, 0))
                return 2;
        w.t = t;
        w.until = bpf_ktime_get_ns() + 5000000000ull;
        for (int i = 0; i < 64 && !*(volatile u64 *)&t->key_seen; i++)
                bpf_loop(1 << 20, wait_started, &w, 0);
        return *(volatile u64 *)&t->key_seen;
}

SEC("socket/timer_wild") u64 timer_wild(void *ctx)
{
        (void)ctx;
        return start_and_wait(on_timer_wild);
}

SEC("socket/timer_spin") u64 timer_spin(void *ctx)
{
        (void)ctx;
        return start_and_wait(on_timer_spin);
}

/* The running program's stack: whole return addresses, the first one not 0. */
SEC("socket/stack") u64 stack(void *ctx)
{
        u64 ips[4] = {0};
        long n = bpf_get_stack(ctx, ips, sizeof(ips), 1 << 8 /* BPF_F_USER_STACK */);

        return n > 0 && n % 8 == 0 && ips[0] != 0 ? 1 : 1000 + (u64)n;
}
