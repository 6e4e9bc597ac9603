/* SPDX-License-Identifier: MIT */
/*
 * Cost of bpf_map_lookup_elem on an ARRAY map inside compiled code: the
 * histogram of bench/maps/histo.bpf.c built by bpf-aot with a helper call
 * per lookup (histo.aot.o) and with --inline-maps (histo_inline.aot.o),
 * against the same loop in C over a plain array. Prints ns per input byte;
 * exits 1 if the three histograms differ. Usage: map_lookup [--quick]
 */
#include "histo.aot.h"
#include "histo_inline.aot.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#define HISTO_MAX 4096
struct histo_input {
        uint64_t len;
        unsigned char data[HISTO_MAX];
};
void histo_native(uint64_t counts[256], const struct histo_input *in);

static double now(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void read_counts(struct bpfaot_map *m, uint64_t out[256])
{
        for (uint32_t k = 0; k < 256; k++)
                bpfaot_map__lookup_copy(m, &k, &out[k]);
}

int main(int argc, char **argv)
{
        int reps = argc > 1 && strcmp(argv[1], "--quick") == 0 ? 3 : 20000;
        static struct histo_input in;
        static uint64_t native[256], helper[256], inlined[256];
        struct histo_aot *h;
        struct histo_inline_aot *hi;
        uint32_t x = 12345;
        double t0, t_native, t_helper, t_inline;

        in.len = HISTO_MAX;
        for (int i = 0; i < HISTO_MAX; i++) {
                x = x * 1103515245u + 12345u;
                in.data[i] = (unsigned char)(x >> 16);
        }
        if (histo_aot__open(&h) || histo_inline_aot__open(&hi)) {
                fprintf(stderr, "map_lookup: cannot create the maps\n");
                return 1;
        }
        t0 = now();
        for (int r = 0; r < reps; r++)
                histo_native(native, &in);
        t_native = now() - t0;
        t0 = now();
        for (int r = 0; r < reps; r++)
                histo__histo(&in, sizeof(in));
        t_helper = now() - t0;
        t0 = now();
        for (int r = 0; r < reps; r++)
                histo_inline__histo(&in, sizeof(in));
        t_inline = now() - t0;
        read_counts(h->maps.counts, helper);
        read_counts(hi->maps.counts, inlined);
        histo_aot__destroy(h);
        histo_inline_aot__destroy(hi);
        if (memcmp(native, helper, sizeof(native)) || memcmp(native, inlined, sizeof(native))) {
                fprintf(stderr, "map_lookup: the histograms differ\n");
                return 1;
        }
        printf("ARRAY lookup per byte, %d x %d bytes:\n", reps, HISTO_MAX);
        printf("  native C (plain array)     %6.2f ns\n", t_native / reps / HISTO_MAX);
        printf("  bpf-aot, helper call       %6.2f ns\n", t_helper / reps / HISTO_MAX);
        printf("  bpf-aot, --inline-maps     %6.2f ns\n", t_inline / reps / HISTO_MAX);
        return 0;
}
