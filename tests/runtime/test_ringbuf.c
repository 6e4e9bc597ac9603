/* SPDX-License-Identifier: MIT */
/* RINGBUF: record order and sizes, discard, full, wrap-around, query, errors. */
#include "check.h"

#include <bpfaot/maps.h>
#include <errno.h>
#include <linux/bpf.h>
#include <string.h>

struct seen {
        uint32_t n;
        uint32_t sizes[64];
        uint8_t first[64];
        int stop_at; /* return -1 on this record (1-based), 0: never */
};

static int collect(void *ctx, void *data, size_t size)
{
        struct seen *s = ctx;
        size_t i;

        CHECK(((uintptr_t)data % 8) == 0);
        CHECK(s->n < 64);
        s->sizes[s->n] = (uint32_t)size;
        s->first[s->n] = size ? *(uint8_t *)data : 0;
        for (i = 0; i < size; i++) /* every byte of a record is its tag */
                CHECK_EQ(((uint8_t *)data)[i], s->first[s->n]);
        s->n++;
        if (s->stop_at && (int)s->n == s->stop_at)
                return -1;
        return 0;
}

int main(void)
{
        struct bpfaot_map_def def = {.type = BPF_MAP_TYPE_RINGBUF, .max_entries = 4096};
        struct seen s = {0};
        struct bpfaot_map *m, *arr;
        struct bpfaot_map_def adef = {
            .type = BPF_MAP_TYPE_ARRAY, .key_size = 4, .value_size = 4, .max_entries = 1};
        char buf[4096];
        uint8_t *r1, *r2, *r3;
        uint32_t i, k = 0;
        uint64_t total = 0;

        CHECK_EQ(bpfaot_map__create(&def, &m), 0);
        CHECK_EQ(bpfaot_ringbuf__query(m, BPF_RB_RING_SIZE), 4096);
        CHECK_EQ(bpfaot_ringbuf__query(m, BPF_RB_AVAIL_DATA), 0);
        CHECK_EQ(bpfaot_ringbuf__query(m, 12345), 0);
        CHECK_EQ(bpfaot_ringbuf__consume(m, collect, &s), 0);

        /* Three records, the middle one discarded, submitted out of order. */
        r1 = bpfaot_ringbuf__reserve(m, 5, 0);
        r2 = bpfaot_ringbuf__reserve(m, 16, 0);
        r3 = bpfaot_ringbuf__reserve(m, 1, 0);
        CHECK(r1 && r2 && r3);
        CHECK_EQ(r2 - r1, 16); /* 8-byte header + 5 rounded up to 8 */
        CHECK_EQ(r3 - r2, 24);
        CHECK_EQ(bpfaot_ringbuf__query(m, BPF_RB_PROD_POS), 16 + 24 + 16);
        CHECK_EQ(bpfaot_ringbuf__query(m, BPF_RB_AVAIL_DATA), 56);
        memset(r1, 'a', 5);
        memset(r2, 'b', 16);
        memset(r3, 'c', 1);
        bpfaot_ringbuf__submit(r3, 0);
        CHECK_EQ(bpfaot_ringbuf__consume(m, collect, &s), 0); /* r1 still busy */
        bpfaot_ringbuf__submit(r1, BPF_RB_NO_WAKEUP);
        CHECK_EQ(bpfaot_ringbuf__consume(m, collect, &s), 1); /* r2 busy now */
        bpfaot_ringbuf__discard(r2, BPF_RB_FORCE_WAKEUP);
        CHECK_EQ(bpfaot_ringbuf__consume(m, collect, &s), 1);
        CHECK_EQ(s.n, 2);
        CHECK_EQ(s.sizes[0], 5);
        CHECK_EQ(s.first[0], 'a');
        CHECK_EQ(s.sizes[1], 1);
        CHECK_EQ(s.first[1], 'c');
        CHECK_EQ(bpfaot_ringbuf__query(m, BPF_RB_CONS_POS), 56);
        CHECK_EQ(bpfaot_ringbuf__query(m, BPF_RB_AVAIL_DATA), 0);

        /* Errors. */
        CHECK(!bpfaot_ringbuf__reserve(m, 8, 1));
        CHECK(!bpfaot_ringbuf__reserve(m, 4096, 0)); /* record + header > ring */
        CHECK(!bpfaot_ringbuf__reserve(m, 1ull << 40, 0));
        CHECK_EQ(bpfaot_ringbuf__output(m, buf, 8, 4), -EINVAL);
        CHECK_EQ(bpfaot_map__update_elem(m, &k, buf, 0), -ENOTSUP);
        CHECK(!bpfaot_map__lookup_elem(m, &k));
        CHECK_EQ(bpfaot_map__create(&adef, &arr), 0);
        CHECK(!bpfaot_ringbuf__reserve(arr, 8, 0));
        CHECK_EQ(bpfaot_ringbuf__consume(arr, collect, &s), -EINVAL);
        bpfaot_map__free(arr);

        /* Fill up: 4088 bytes of data is the largest record; then full. */
        memset(buf, 'z', sizeof(buf));
        CHECK_EQ(bpfaot_ringbuf__output(m, buf, 4088, 0), 0); /* crosses the end */
        CHECK_EQ(bpfaot_ringbuf__output(m, buf, 1, 0), -EAGAIN);
        CHECK_EQ(bpfaot_ringbuf__query(m, BPF_RB_AVAIL_DATA), 4096);
        s.n = 0;
        CHECK_EQ(bpfaot_ringbuf__consume(m, collect, &s), 1);
        CHECK_EQ(s.sizes[0], 4088);
        CHECK_EQ(s.first[0], 'z');

        /* Wrap around many times with varying sizes; the ring never loses order. */
        for (i = 0; i < 2000; i++) {
                uint32_t sz = (i * 37) % 700;

                memset(buf, 'A' + i % 26, sz);
                CHECK_EQ(bpfaot_ringbuf__output(m, buf, sz, 0), 0);
                total += sz;
                if (i % 3 == 2) {
                        s.n = 0;
                        CHECK_EQ(bpfaot_ringbuf__consume(m, collect, &s), 3);
                        CHECK_EQ(s.sizes[2], sz);
                        CHECK_EQ(s.first[2], sz ? 'A' + i % 26 : 0);
                        CHECK_EQ(s.sizes[0], ((i - 2) * 37) % 700);
                }
        }
        s.n = 0;
        CHECK_EQ(bpfaot_ringbuf__consume(m, collect, &s), 2);
        CHECK(bpfaot_ringbuf__query(m, BPF_RB_PROD_POS) > 4096 * 100);
        CHECK(total > 0);

        /* A callback error stops consumption; that record counts as consumed. */
        for (i = 0; i < 4; i++) {
                memset(buf, '0' + i, 3);
                CHECK_EQ(bpfaot_ringbuf__output(m, buf, 3, 0), 0);
        }
        s.n = 0;
        s.stop_at = 2;
        CHECK_EQ(bpfaot_ringbuf__consume(m, collect, &s), -1);
        s.n = 0;
        s.stop_at = 0;
        CHECK_EQ(bpfaot_ringbuf__consume(m, collect, &s), 2);
        CHECK_EQ(s.first[0], '2');
        bpfaot_map__free(m);
        printf("ok\n");
        return 0;
}
