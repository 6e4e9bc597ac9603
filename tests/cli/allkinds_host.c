/* SPDX-License-Identifier: MIT */
/*
 * Runs the programs of allkinds.bpf.c through its skeleton and checks what
 * they did against what the host knows. Prints one "ok <what>" line per
 * check; on the first failure prints "FAIL <what>: ..." and exits 1.
 */
#define _GNU_SOURCE
#include "allkinds.aot.h"
#include "host_check.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>


static struct allkinds_aot *skel;

/* The sum over CPUs of a per-CPU u64 value (libbpf's layout: 8 bytes per CPU). */
static uint64_t percpu_sum(struct bpfaot_map *m, uint32_t key)
{
        uint64_t buf[1024] = {0}, sum = 0;
        size_t n = bpfaot_map__value_copy_size(m) / 8;

        if (n > 1024 || bpfaot_map__lookup_copy(m, &key, buf))
                return (uint64_t)-1;
        for (size_t i = 0; i < n; i++)
                sum += buf[i];
        return sum;
}

static void percpu(void)
{
        for (int i = 0; i < 5; i++)
                CHECK("percpu", allkinds__percpu(NULL, 0) == 0);
        CHECK("percpu array: 5 runs over all CPUs", percpu_sum(skel->maps.pc_array, 0) == 5);
        CHECK("percpu hash: created, then 4 adds", percpu_sum(skel->maps.pc_hash, 7) == 5);
        /* Created by the second run (the first one created pc_hash's), then 3 adds. */
        CHECK("lru percpu hash", percpu_sum(skel->maps.lru_pc, 7) == 4);
        puts("ok per-CPU ARRAY, HASH and LRU_PERCPU_HASH");
}

static void lru(void)
{
        uint32_t k = 6;
        uint64_t v = 0;

        /* 4 of 8 keys stay; delete gives 0 then -ENOENT: 4 * 10 + 1 + 2. */
        CHECK("lru", (int32_t)allkinds__lru_fill(NULL, 0) == 43);
        CHECK("lru keeps the newest",
              bpfaot_map__lookup_copy(skel->maps.lru, &k, &v) == 0 && v == 600);
        puts("ok LRU_HASH evicts, map_delete_elem");
}

static void queue_stack(void)
{
        uint64_t v;

        /* queue: peek 1, pop 1; stack: peek 3, pop 3 */
        CHECK("queue/stack", allkinds__queue_stack(NULL, 0) == 1133);
        CHECK("queue keeps 2 then 3", bpfaot_map__pop_elem(skel->maps.queue, &v) == 0 && v == 2);
        CHECK("stack keeps 2 then 1", bpfaot_map__pop_elem(skel->maps.stack, &v) == 0 && v == 2);
        puts("ok QUEUE and STACK push/peek/pop");
}

struct records {
        int n;
        uint64_t first[2], second;
};

static int on_record(void *ctx, void *data, size_t size)
{
        struct records *r = ctx;

        if (r->n == 0 && size == 16)
                memcpy(r->first, data, 16);
        if (r->n == 1 && size == 8)
                memcpy(&r->second, data, 8);
        r->n++;
        return 0;
}

static void ringbuf(void)
{
        struct records r = {0};
        /* Waiting: two records with 8-byte headers, 16 + 8 bytes of data, and the discarded one. */
        int64_t avail = (int64_t)allkinds__ringbuf(NULL, 0);

        CHECK("ringbuf", avail == (8 + 16) + (8 + 8) + (8 + 8));
        CHECK("consume", bpfaot_ringbuf__consume(skel->maps.events, on_record, &r) == 2);
        CHECK("records",
              r.n == 2 && r.first[0] == 1111 && r.first[1] == 2222 && r.second == 0xabcdef);
        puts("ok RINGBUF reserve/submit/output/discard/query");
}

static uint64_t now_ns(clockid_t c)
{
        struct timespec ts;
        clock_gettime(c, &ts);
        return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void facts(void)
{
        uint64_t before = now_ns(CLOCK_MONOTONIC), after;
        const struct allkinds__bss *b = skel->bss;

        prctl(PR_SET_NAME, "aot-facts");
        CHECK("facts", allkinds__get_facts(NULL, 0) == 0);
        after = now_ns(CLOCK_MONOTONIC);
        CHECK("pid_tgid",
              b->facts.pid_tgid == ((uint64_t)(uint32_t)getpid() << 32 | (uint32_t)gettid()));
        CHECK("uid_gid",
              b->facts.uid_gid == ((uint64_t)(uint32_t)getgid() << 32 | (uint32_t)getuid()));
        CHECK("ktime_get_ns",
              before <= b->facts.ns1 && b->facts.ns1 <= b->facts.ns2 && b->facts.ns2 <= after);
        CHECK("boot ns", b->facts.boot >= b->facts.ns1);
        CHECK("coarse ns", b->facts.coarse > 0 && b->facts.coarse <= after);
        CHECK("cpu", b->facts.cpu < 4096);
        CHECK("prandom", b->facts.rnd1 != b->facts.rnd2 || b->facts.rnd1 != 0);
        CHECK("numa", b->facts.numa >= 0);
        CHECK("comm", b->facts.comm_rc == 0 && strcmp(b->facts.comm, "aot-facts") == 0);
        puts("ok pid_tgid uid_gid ktime(ns/boot/coarse) cpu prandom numa comm");
}

static void probe(void)
{
        static const uint64_t value = 0x1122334455667788ull;
        struct {
                const uint64_t *value;
                const char *str;
                const void *bad;
        } in = {&value, "probe-me", (const void *)(uintptr_t)8};
        const struct allkinds__bss *b = skel->bss;

        CHECK("probe", allkinds__probe(&in, sizeof(in)) == 0);
        CHECK("probe_read", b->probed.rc[0] == 0); /* v[0] is then zeroed by the bad read */
        CHECK("probe_read_user", b->probed.rc[1] == 0 && b->probed.v[1] == value);
        CHECK("probe_read_kernel", b->probed.rc[2] == 0 && b->probed.v[2] == value);
        /* "probe-me" into 8 bytes: 7 characters and the NUL. */
        CHECK("probe_read_str", b->probed.rc[3] == 8 && strcmp(b->probed.s[0], "probe-m") == 0);
        CHECK("probe_read_user_str",
              b->probed.rc[4] == 8 && strcmp(b->probed.s[1], "probe-m") == 0);
        CHECK("probe_read_kernel_str", b->probed.rc[5] == 4 && strcmp(b->probed.s[2], "pro") == 0);
        CHECK("a bad address", b->probed.rc[6] == -EFAULT && b->probed.v[0] == 0);
        puts("ok probe_read(_user/_kernel)(_str), bad address -EFAULT");
}

static void format(void)
{
        /* strncmp: equal prefix 1, "alpha" < "alphb" 2, "alpha" == "alpha" 4 */
        CHECK("format", allkinds__format(NULL, 0) == 7);
        CHECK("snprintf", strcmp(skel->bss->text, "-5-42-ff") == 0 && skel->bss->text_len == 9);
        puts("ok snprintf strncmp");
}

static void *adder(void *arg)
{
        uint64_t n = 20000;

        (void)arg;
        CHECK("locked_add", allkinds__locked_add(&n, 8) == 0);
        return NULL;
}

static void locks(void)
{
        pthread_t th[4];
        uint32_t k = 0;
        struct {
                uint32_t lock, pad;
                uint64_t count;
        } v;

        for (int i = 0; i < 4; i++)
                CHECK("thread", pthread_create(&th[i], NULL, adder, NULL) == 0);
        for (int i = 0; i < 4; i++)
                pthread_join(th[i], NULL);
        CHECK("counter", bpfaot_map__lookup_copy(skel->maps.counter, &k, &v) == 0);
        CHECK("nothing lost under bpf_spin_lock", v.count == 4 * 20000 && v.lock == 0);
        puts("ok spin_lock/spin_unlock from 4 threads");
}

int main(void)
{
        if (allkinds_aot__open(&skel)) {
                puts("FAIL open");
                return 1;
        }
        percpu();
        lru();
        queue_stack();
        ringbuf();
        facts();
        probe();
        format();
        locks();
        allkinds_aot__destroy(skel);
        return 0;
}
