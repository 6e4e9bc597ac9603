/* SPDX-License-Identifier: MIT */
/*
 * Hostile programs that pass bpf-aot's static validation: every bad index,
 * offset or pointer comes from the context, so no analysis can prove it
 * wrong before the run. `run --interp` and `run --sandbox` must end each
 * one with the same located line when the input makes it, or a helper it
 * calls, step outside its regions (stack, global data, map values,
 * ring-buffer records), and give plain `run`'s result when the input keeps
 * it inside.
 */
typedef unsigned int u32;
typedef unsigned long long u64;

#define __uint(name, val)          int(*name)[val]
#define __type(name, val)          typeof(val) *name
#define SEC(s)                     __attribute__((section(s), used))
#define HELPER(ret, name, id, ...) static ret (*const bpf_##name)(__VA_ARGS__) = (void *)id

HELPER(void *, map_lookup_elem, 1, void *map, const void *key);
HELPER(long, map_update_elem, 2, void *map, const void *key, const void *value, u64 flags);
HELPER(long, probe_read_kernel, 113, void *dst, u32 size, const void *src);
HELPER(long, ringbuf_output, 130, void *map, void *data, u64 size, u64 flags);
HELPER(void *, ringbuf_reserve, 131, void *map, u64 size, u64 flags);
HELPER(void, ringbuf_submit, 132, void *data, u64 flags);
HELPER(long, loop, 181, u32 nr, void *cb, void *ctx, u64 flags);

/* The context of every program: what to do, where, and the value to store. */
struct req {
        u64 which;
        u64 idx;
        u64 val;
};

static u64 table[4];                                    /* .bss */
u64 counter = 7;                                        /* .data */
static const volatile u64 limits[4] = {10, 20, 30, 40}; /* .rodata */

struct {
        __uint(type, 2); /* BPF_MAP_TYPE_ARRAY */
        __uint(max_entries, 2);
        __type(key, u32);
        __type(value, u64[4]);
} values SEC(".maps");

struct {
        __uint(type, 27); /* BPF_MAP_TYPE_RINGBUF */
        __uint(max_entries, 4096);
} events SEC(".maps");

/* table[idx] = val, unchecked; returns the table's sum plus counter. */
SEC("socket/bss_store") u64 bss_store(const struct req *r)
{
        table[r->idx] = r->val;
        return table[0] + table[1] + table[2] + table[3] + counter;
}

/* table[idx], unchecked: a read past .bss. */
SEC("socket/bss_load") u64 bss_load(const struct req *r)
{
        return table[r->idx];
}

/*
 * A store through a pointer that is .rodata or .bss as the context says:
 * the analysis refuses only a store that is .rodata on every path, so this
 * one must be stopped at run time.
 */
SEC("socket/rodata_store") u64 rodata_store(const struct req *r)
{
        u64 *p = r->which ? (u64 *)&limits[r->idx & 3] : &table[r->idx & 3];

        /* One store through the joined pointer, not one per branch. */
        __asm__ volatile("" : "+r"(p));
        *p = r->val;
        return limits[0] + limits[1] + limits[2] + limits[3] + table[0] + table[1] + table[2] +
               table[3];
}

/* The same store made by a helper: probe_read_kernel copies val there. */
SEC("socket/rodata_helper") u64 rodata_helper(const struct req *r)
{
        u64 *p = r->which ? (u64 *)&limits[r->idx & 3] : &table[r->idx & 3];

        __asm__ volatile("" : "+r"(p));
        if (bpf_probe_read_kernel(p, sizeof(*p), &r->val))
                return 1000;
        return limits[0] + limits[1] + limits[2] + limits[3] + table[0] + table[1] + table[2] +
               table[3];
}

/* values[0][idx] = val: an element of a map value, unchecked. */
SEC("socket/map_value") u64 map_value(const struct req *r)
{
        u32 key = 0;
        u64 *v = bpf_map_lookup_elem(&values, &key);

        if (!v)
                return 1000;
        v[r->idx] = r->val;
        return v[0] + v[1] + v[2] + v[3];
}

/* A 16-byte ring-buffer record written at rec[idx], unchecked. */
SEC("socket/ringbuf_record") u64 ringbuf_record(const struct req *r)
{
        u64 *rec = bpf_ringbuf_reserve(&events, 16, 0);
        u64 sum;

        if (!rec)
                return 1000;
        rec[0] = 1;
        rec[1] = 2;
        rec[r->idx] = r->val;
        sum = rec[0] + rec[1];
        bpf_ringbuf_submit(rec, 0);
        return sum;
}

/* values[0] = the 32 bytes at idx bytes into a 32-byte stack buffer: past 0, past the frame. */
SEC("socket/map_update") u64 map_update(const struct req *r)
{
        u64 buf[4] = {1, 2, 3, r->val};
        u32 key = 0;
        const char *p = (const char *)buf + r->idx;
        u64 *v;

        __asm__ volatile("" : "+r"(p));
        if (bpf_map_update_elem(&values, &key, p, 0))
                return 1000;
        v = bpf_map_lookup_elem(&values, &key);
        return v ? v[0] + v[3] : 2000;
}

/*
 * A record submitted, then, as `which` says: 1 written after submit, 2
 * submitted again, 3 a pointer into the context submitted in its place.
 */
SEC("socket/ringbuf_misuse") u64 ringbuf_misuse(const struct req *r)
{
        u64 *rec = bpf_ringbuf_reserve(&events, 16, 0);
        u64 *other = (u64 *)r + 1;

        if (!rec)
                return 1000;
        rec[0] = r->val;
        rec[1] = 0;
        __asm__ volatile("" : "+r"(other));
        bpf_ringbuf_submit(r->which == 3 ? other : rec, 0);
        if (r->which == 1)
                rec[1] = r->val;
        if (r->which == 2)
                bpf_ringbuf_submit(rec, 0);
        return 7;
}

/*
 * The first idx bytes of a 16-byte stack buffer sent to the ring buffer: more
 * than 16 would send the native stack beyond it. Returns the bytes waiting.
 */
SEC("socket/ringbuf_leak") u64 ringbuf_leak(const struct req *r)
{
        u64 buf[2] = {r->val, r->val + 1};

        if (bpf_ringbuf_output(&events, buf, r->idx, 0))
                return 1000;
        return 0;
}

/* A bpf_loop callback that hands itself to bpf_loop again, `left` more times. */
struct nest {
        u64 left;
        u64 calls;
};

static long nest_cb(u32 i, void *ctx)
{
        struct nest *n = ctx;

        (void)i;
        n->calls++;
        if (n->left) {
                n->left--;
                bpf_loop(1, nest_cb, n, 0);
        }
        return 0;
}

/* idx + 1 callbacks nested in one another: calls * 1000 + the outer loop's result. */
SEC("socket/nest") u64 nest(const struct req *r)
{
        struct nest n = {r->idx, 0};
        long rc = bpf_loop(1, nest_cb, &n, 0);

        return n.calls * 1000 + (u64)rc;
}

/* A bpf_loop callback that hands itself to bpf_loop again, without end. */
static long again(u32 i, void *ctx)
{
        (void)i;
        bpf_loop(1, again, ctx, 0);
        return 0;
}

SEC("socket/recurse") u64 recurse(void *ctx)
{
        (void)ctx;
        return (u64)bpf_loop(1, again, 0, 0);
}

/* Spin locks inside map values: at most one held, released by its holder only. */
struct bpf_spin_lock {
        u32 val;
};
struct counted {
        struct bpf_spin_lock lock;
        u32 pad;
        u64 n;
};

struct {
        __uint(type, 2); /* BPF_MAP_TYPE_ARRAY */
        __uint(max_entries, 2);
        __type(key, u32);
        __type(value, struct counted);
} counters SEC(".maps");

HELPER(void, spin_lock, 93, struct bpf_spin_lock *lock);
HELPER(void, spin_unlock, 94, struct bpf_spin_lock *lock);

/*
 * which = 0: a's count under its lock; 1: a's lock taken twice; 2: a's then
 * b's; 3: a's released unheld; 4: a's still held at exit; 5: a's taken, b's
 * released.
 */
SEC("socket/locks") u64 locks(const struct req *r)
{
        u32 ka = 0, kb = 1;
        struct counted *a = bpf_map_lookup_elem(&counters, &ka);
        struct counted *b = bpf_map_lookup_elem(&counters, &kb);
        u64 n;

        if (!a || !b)
                return 0;
        if (r->which == 3) {
                bpf_spin_unlock(&a->lock);
                return 3;
        }
        bpf_spin_lock(&a->lock);
        if (r->which == 1)
                bpf_spin_lock(&a->lock);
        if (r->which == 2)
                bpf_spin_lock(&b->lock);
        if (r->which == 5)
                bpf_spin_unlock(&b->lock);
        n = ++a->n;
        if (r->which == 4)
                return n;
        bpf_spin_unlock(&a->lock);
        return n;
}

HELPER(long, snprintf, 165, char *str, u32 str_size, const char *fmt, u64 *data, u32 data_len);
HELPER(long, strncmp, 182, const char *s1, u32 s1_sz, const char *s2);

/* Not NUL-terminated: the only bytes of a read-only section of their own. */
static const char unterminated[4] SEC(".rodata.unterminated") = {'%', 'l', 'l', 'u'};

/*
 * bpf_snprintf of val with the format `which` picks: 0, one in .rodata; 1,
 * one on the stack; 2, one not NUL-terminated in .rodata; 3, the address
 * idx; 4, one in .bss (written, so not read-only). 5: bpf_strncmp of the
 * output with the stack's format. Formats must be constant strings, as the
 * kernel's verifier asks: in read-only global data, NUL-terminated there.
 */
SEC("socket/strings") u64 strings(const struct req *r)
{
        static const char fmt[] = "%llu";
        char stack_fmt[8] = "%llu";
        char out[24] = "";
        u64 args[1] = {r->val};
        const char *f = fmt;
        long n;

        table[0] = 0x756c6c25; /* "%llu" */
        if (r->which == 1 || r->which == 5)
                f = stack_fmt;
        else if (r->which == 2)
                f = unterminated;
        else if (r->which == 3)
                f = (const char *)r->idx;
        else if (r->which == 4)
                f = (const char *)table;
        __asm__ volatile("" : "+r"(f));
        if (r->which == 5)
                return (u64)bpf_strncmp(out, sizeof(out), f);
        n = bpf_snprintf(out, sizeof(out), f, args, sizeof(args));
        return (u64)n * 1000 + (u64)out[0];
}

struct bpf_dynptr {
        u64 opaque[2];
} __attribute__((aligned(8)));

HELPER(long, dynptr_from_mem, 197, void *data, u32 size, u64 flags, struct bpf_dynptr *ptr);
HELPER(long, ringbuf_reserve_dynptr, 198, void *map, u32 size, u64 flags, struct bpf_dynptr *ptr);
HELPER(void, ringbuf_submit_dynptr, 199, struct bpf_dynptr *ptr, u64 flags);
HELPER(long, dynptr_read, 201, void *dst, u32 len, const struct bpf_dynptr *src, u32 offset,
       u64 flags);
HELPER(long, dynptr_write, 202, const struct bpf_dynptr *dst, u32 offset, void *src, u32 len,
       u64 flags);

/*
 * Dynptrs, which the helpers trust: which = 0, a record reserved, written
 * and submitted through one; 1, a copy of it submitted after it; 2, a local
 * dynptr whose data pointer is overwritten with idx before a read; 3, one
 * made in .bss instead of on the stack. Returns the bytes written (8).
 */
SEC("socket/dynptrs") u64 dynptrs(const struct req *r)
{
        struct bpf_dynptr a, b;
        u64 buf = r->val, out = 0;

        if (r->which == 3)
                return (u64)bpf_dynptr_from_mem(&buf, 8, 0, (struct bpf_dynptr *)table);
        if (r->which == 2) {
                bpf_dynptr_from_mem(&buf, 8, 0, &a);
                a.opaque[0] = r->idx;
                __asm__ volatile("" ::: "memory");
                bpf_dynptr_read(&out, 8, &a, 0, 0);
                return out;
        }
        if (bpf_ringbuf_reserve_dynptr(&events, 16, 0, &a))
                return 1000;
        b = a;
        __asm__ volatile("" ::: "memory");
        bpf_dynptr_write(&a, 0, &buf, 8, 0);
        bpf_ringbuf_submit_dynptr(&a, 0);
        if (r->which == 1)
                bpf_ringbuf_submit_dynptr(&b, 0);
        return 8;
}
