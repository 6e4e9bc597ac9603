/* SPDX-License-Identifier: MIT */
/*
 * The layout of a dynptr as programs hold it: the 16 bytes of the kernel's
 * struct bpf_dynptr are its struct bpf_dynptr_kern, a data pointer, a size
 * whose high bits carry the type and a read-only bit, and an offset into the
 * data. Every part of the runtime that makes or reads a dynptr (the dynptr
 * helpers, user_ringbuf_drain) goes through these. Not installed.
 */
#ifndef BPFAOT_DYNPTR_INTERNAL_H
#define BPFAOT_DYNPTR_INTERNAL_H

#include <errno.h>
#include <linux/bpf.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

struct bpfaot_dynptr {
        void *data;
        uint32_t size; /* bits 0-23 size, 28-30 type, 31 read-only */
        uint32_t offset;
};
_Static_assert(sizeof(struct bpfaot_dynptr) == sizeof(struct bpf_dynptr), "the kernel's size");
_Static_assert(_Alignof(struct bpf_dynptr) == 8, "the kernel's alignment");

/* The upper 8 bits of size are reserved: 2^24 - 1 bytes at most. */
#define BPFAOT_DYNPTR_MAX_SIZE   ((1u << 24) - 1)
#define BPFAOT_DYNPTR_SIZE_MASK  0xffffffu
#define BPFAOT_DYNPTR_TYPE_SHIFT 28
#define BPFAOT_DYNPTR_TYPE_MASK  0x7u
#define BPFAOT_DYNPTR_RDONLY_BIT (1u << 31)

/* The kernel's enum bpf_dynptr_type. */
enum bpfaot_dynptr_type {
        BPFAOT_DYNPTR_INVALID,
        BPFAOT_DYNPTR_LOCAL,
        BPFAOT_DYNPTR_RINGBUF,
        BPFAOT_DYNPTR_SKB,
        BPFAOT_DYNPTR_XDP,
};

static inline int bpfaot_dynptr_check_size(uint64_t size)
{
        return size > BPFAOT_DYNPTR_MAX_SIZE ? -E2BIG : 0;
}

/* size must pass bpfaot_dynptr_check_size(). */
static inline void bpfaot_dynptr_init(struct bpfaot_dynptr *p, void *data,
                                      enum bpfaot_dynptr_type type, uint32_t offset, uint32_t size)
{
        p->data = data;
        p->offset = offset;
        p->size = (size & BPFAOT_DYNPTR_SIZE_MASK) | (uint32_t)type << BPFAOT_DYNPTR_TYPE_SHIFT;
}

static inline void bpfaot_dynptr_set_null(struct bpfaot_dynptr *p)
{
        memset(p, 0, sizeof(*p));
}

static inline void bpfaot_dynptr_set_rdonly(struct bpfaot_dynptr *p)
{
        p->size |= BPFAOT_DYNPTR_RDONLY_BIT;
}

static inline bool bpfaot_dynptr_is_rdonly(const struct bpfaot_dynptr *p)
{
        return p->size & BPFAOT_DYNPTR_RDONLY_BIT;
}

static inline uint32_t bpfaot_dynptr_size(const struct bpfaot_dynptr *p)
{
        return p->size & BPFAOT_DYNPTR_SIZE_MASK;
}

static inline enum bpfaot_dynptr_type bpfaot_dynptr_type(const struct bpfaot_dynptr *p)
{
        return (enum bpfaot_dynptr_type)((p->size >> BPFAOT_DYNPTR_TYPE_SHIFT) &
                                         BPFAOT_DYNPTR_TYPE_MASK);
}

#endif
