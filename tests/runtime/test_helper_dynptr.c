/* SPDX-License-Identifier: MIT */
/*
 * The dynptr helpers: the kernel's struct bpf_dynptr layout (data, size
 * with type and read-only bits, offset), bounds (-E2BIG), flags (-EINVAL),
 * local memory and ring-buffer records.
 */
#include "check.h"
#include "helper_decls.h"

#include <bpfaot/maps.h>
#include <errno.h>
#include <linux/bpf.h>
#include <string.h>

#define NEG(e) ((uint64_t) - (e))

/* The kernel's struct bpf_dynptr_kern, as a program would see its bytes. */
struct dynptr_kern {
        void *data;
        uint32_t size;
        uint32_t offset;
};

static void test_local(void)
{
        char mem[16] = "0123456789abcdef", out[16];
        struct bpf_dynptr d;
        struct dynptr_kern k;

        CHECK_EQ(sizeof(d), 16);
        CHECK_EQ(_bpf_helper_ext_0197(U(mem), sizeof(mem), 0, U(&d), 0), 0);
        memcpy(&k, &d, sizeof(k));
        CHECK(k.data == mem);
        CHECK_EQ(k.size, 16 | 1u << 28); /* BPF_DYNPTR_TYPE_LOCAL */
        CHECK_EQ(k.offset, 0);

        /* read: bounds are checked against size, offset and len together */
        CHECK_EQ(_bpf_helper_ext_0201(U(out), 4, U(&d), 12, 0), 0);
        CHECK_EQ(memcmp(out, "cdef", 4), 0);
        CHECK_EQ(_bpf_helper_ext_0201(U(out), 5, U(&d), 12, 0), NEG(E2BIG));
        CHECK_EQ(_bpf_helper_ext_0201(U(out), 17, U(&d), 0, 0), NEG(E2BIG));
        CHECK_EQ(_bpf_helper_ext_0201(U(out), 1, U(&d), 0xffffffffu, 0), NEG(E2BIG));
        CHECK_EQ(_bpf_helper_ext_0201(U(out), 0, U(&d), 16, 0), 0);
        CHECK_EQ(_bpf_helper_ext_0201(U(out), 4, U(&d), 0, 1), NEG(EINVAL));
        /* write */
        CHECK_EQ(_bpf_helper_ext_0202(U(&d), 2, U("XY"), 2, 0), 0);
        CHECK_EQ(memcmp(mem, "01XY4", 5), 0);
        CHECK_EQ(_bpf_helper_ext_0202(U(&d), 15, U("XY"), 2, 0), NEG(E2BIG));
        CHECK_EQ(_bpf_helper_ext_0202(U(&d), 0, U("XY"), 2, 1), NEG(EINVAL));
        /* overlapping regions copy as memmove does */
        CHECK_EQ(_bpf_helper_ext_0202(U(&d), 1, U(mem), 4, 0), 0);
        CHECK_EQ(memcmp(mem, "001XY", 5), 0);
        /* data */
        CHECK_EQ(_bpf_helper_ext_0203(U(&d), 4, 12, 0, 0), U(mem + 4));
        CHECK_EQ(_bpf_helper_ext_0203(U(&d), 4, 13, 0, 0), 0);
        /* a read-only dynptr: no writes, no data pointer; reads are fine */
        k.size |= 1u << 31;
        memcpy(&d, &k, sizeof(k));
        CHECK_EQ(_bpf_helper_ext_0202(U(&d), 0, U("Z"), 1, 0), NEG(EINVAL));
        CHECK_EQ(_bpf_helper_ext_0203(U(&d), 0, 1, 0, 0), 0);
        CHECK_EQ(_bpf_helper_ext_0201(U(out), 1, U(&d), 0, 0), 0);
        /* an offset inside the dynptr (as the kernel's adjust would set) shifts the window */
        k.size = 8 | 1u << 28;
        k.offset = 8;
        memcpy(&d, &k, sizeof(k));
        CHECK_EQ(_bpf_helper_ext_0201(U(out), 8, U(&d), 0, 0), 0);
        CHECK_EQ(memcmp(out, "89abcdef", 8), 0);
        CHECK_EQ(_bpf_helper_ext_0201(U(out), 1, U(&d), 8, 0), NEG(E2BIG));

        /* errors make a NULL dynptr, which every use refuses */
        memset(&d, 0xaa, sizeof(d));
        CHECK_EQ(_bpf_helper_ext_0197(U(mem), sizeof(mem), 1, U(&d), 0), NEG(EINVAL));
        memcpy(&k, &d, sizeof(k));
        CHECK(k.data == NULL && k.size == 0 && k.offset == 0);
        CHECK_EQ(_bpf_helper_ext_0197(U(mem), 1u << 24, 0, U(&d), 0), NEG(E2BIG));
        CHECK_EQ(_bpf_helper_ext_0197(U(mem), (1u << 24) - 1, 0, U(&d), 0), 0);
        CHECK_EQ(_bpf_helper_ext_0197(U(mem), 0, 0, U(&d), 0), 0); /* size 0 is fine */
        CHECK_EQ(_bpf_helper_ext_0201(U(out), 1, U(&d), 0, 0), NEG(E2BIG));
        memset(&d, 0, sizeof(d));
        CHECK_EQ(_bpf_helper_ext_0201(U(out), 0, U(&d), 0, 0), NEG(EINVAL));
        CHECK_EQ(_bpf_helper_ext_0202(U(&d), 0, U(out), 0, 0), NEG(EINVAL));
        CHECK_EQ(_bpf_helper_ext_0203(U(&d), 0, 0, 0, 0), 0);
}

struct got {
        char data[64];
        size_t size;
        int n;
};

static int on_record(void *ctx, void *data, size_t size)
{
        struct got *g = ctx;

        memcpy(g->data, data, size < sizeof(g->data) ? size : sizeof(g->data));
        g->size = size;
        g->n++;
        return 0;
}

static void test_ringbuf(void)
{
        struct bpfaot_map_def def = {.type = BPF_MAP_TYPE_RINGBUF, .max_entries = 4096};
        struct bpf_dynptr d, d2;
        struct dynptr_kern k;
        struct bpfaot_map *rb;
        struct got g = {0};

        CHECK_EQ(bpfaot_map__create(&def, &rb), 0);
        CHECK_EQ(_bpf_helper_ext_0198(U(rb), 10, 0, U(&d), 0), 0);
        memcpy(&k, &d, sizeof(k));
        CHECK(k.data != NULL);
        CHECK_EQ(k.size, 10 | 2u << 28); /* BPF_DYNPTR_TYPE_RINGBUF */
        CHECK_EQ(_bpf_helper_ext_0202(U(&d), 0, U("ring bytes"), 10, 0), 0);
        CHECK_EQ(_bpf_helper_ext_0202(U(&d), 1, U("ring bytes"), 10, 0), NEG(E2BIG));
        /* nothing is visible before the submit */
        CHECK_EQ(bpfaot_ringbuf__consume(rb, on_record, &g), 0);
        CHECK_EQ(g.n, 0);
        CHECK_EQ(_bpf_helper_ext_0199(U(&d), 0, 0, 0, 0), 0);
        memcpy(&k, &d, sizeof(k));
        CHECK(k.data == NULL && k.size == 0);                 /* released: NULL */
        CHECK_EQ(_bpf_helper_ext_0199(U(&d), 0, 0, 0, 0), 0); /* a NULL dynptr is a no-op */
        CHECK_EQ(bpfaot_ringbuf__consume(rb, on_record, &g), 1);
        CHECK(g.n == 1 && g.size == 10 && memcmp(g.data, "ring bytes", 10) == 0);

        /* discarded records are never seen */
        CHECK_EQ(_bpf_helper_ext_0198(U(rb), 8, 0, U(&d), 0), 0);
        CHECK_EQ(_bpf_helper_ext_0200(U(&d), 0, 0, 0, 0), 0);
        memcpy(&k, &d, sizeof(k));
        CHECK(k.data == NULL);
        CHECK_EQ(bpfaot_ringbuf__consume(rb, on_record, &g), 0);
        CHECK_EQ(g.n, 1);

        /* errors: flags, sizes, a full buffer; the dynptr is NULL after each */
        memset(&d, 0xaa, sizeof(d));
        CHECK_EQ(_bpf_helper_ext_0198(U(rb), 8, 1, U(&d), 0), NEG(EINVAL));
        memcpy(&k, &d, sizeof(k));
        CHECK(k.data == NULL && k.size == 0);
        CHECK_EQ(_bpf_helper_ext_0198(U(rb), 1u << 24, 0, U(&d), 0), NEG(E2BIG));
        CHECK_EQ(_bpf_helper_ext_0198(U(rb), 5000, 0, U(&d), 0), NEG(EINVAL)); /* > the buffer */
        CHECK_EQ(_bpf_helper_ext_0198(U(rb), 3000, 0, U(&d), 0), 0);
        CHECK_EQ(_bpf_helper_ext_0198(U(rb), 3000, 0, U(&d2), 0), NEG(EINVAL)); /* full */
        memcpy(&k, &d2, sizeof(k));
        CHECK(k.data == NULL);
        CHECK_EQ(_bpf_helper_ext_0200(U(&d), 0, 0, 0, 0), 0);
        CHECK_EQ(_bpf_helper_ext_0198(0, 8, 0, U(&d), 0), NEG(EINVAL)); /* no map */
        bpfaot_map__free(rb);
}

int main(void)
{
        test_local();
        test_ringbuf();
        printf("ok\n");
        return 0;
}
