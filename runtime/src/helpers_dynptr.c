/* SPDX-License-Identifier: MIT */
/*
 * The dynptr helpers over local memory (dynptr_from_mem) and ring-buffer
 * records (ringbuf_reserve_dynptr): the kernel's struct bpf_dynptr_kern in
 * the program's 16-byte struct bpf_dynptr, so a program sees the kernel's
 * layout, bounds checks and error codes.
 */
#include "helpers_internal.h"
#include "bpfaot/maps.h"

#include <errno.h>
#include <linux/bpf.h>
#include <string.h>

/* struct bpf_dynptr_kern: the 8-byte aligned, 16-byte struct bpf_dynptr. */
struct dynptr {
        void *data;
        uint32_t size; /* bits 0-23 size, 28-30 type, 31 read-only */
        uint32_t offset;
};
_Static_assert(sizeof(struct dynptr) == sizeof(struct bpf_dynptr), "the kernel's dynptr size");
_Static_assert(_Alignof(struct bpf_dynptr) == 8, "the kernel's dynptr alignment");

#define DYNPTR_MAX_SIZE   ((1u << 24) - 1)
#define DYNPTR_SIZE_MASK  0xffffffu
#define DYNPTR_TYPE_SHIFT 28
#define DYNPTR_RDONLY_BIT (1u << 31)

enum dynptr_type { DYNPTR_INVALID, DYNPTR_LOCAL, DYNPTR_RINGBUF };

#define DYNPTR(x) ((struct dynptr *)(uintptr_t)(x))

static uint32_t dynptr_size(const struct dynptr *p)
{
        return p->size & DYNPTR_SIZE_MASK;
}

static void dynptr_init(struct dynptr *p, void *data, enum dynptr_type type, uint32_t size)
{
        p->data = data;
        p->offset = 0;
        p->size = size | (uint32_t)type << DYNPTR_TYPE_SHIFT;
}

static void dynptr_set_null(struct dynptr *p)
{
        memset(p, 0, sizeof(*p));
}

/* [offset, offset + len) inside the dynptr: else -E2BIG. */
static int dynptr_check_off_len(const struct dynptr *p, uint32_t offset, uint32_t len)
{
        uint32_t size = dynptr_size(p);

        return len > size || offset > size - len ? -E2BIG : 0;
}

/* dynptr_from_mem(data, size, flags, ptr): a local dynptr; flags must be 0. */
BPFAOT_HELPER(dynptr_from_mem)
(uint64_t data, uint64_t size, uint64_t flags, uint64_t ptr, uint64_t e)
{
        struct dynptr *p = DYNPTR(ptr);

        (void)e;
        if ((uint32_t)size > DYNPTR_MAX_SIZE) {
                dynptr_set_null(p);
                return (uint64_t)-E2BIG;
        }
        if (flags) {
                dynptr_set_null(p);
                return (uint64_t)-EINVAL;
        }
        dynptr_init(p, (void *)(uintptr_t)data, DYNPTR_LOCAL, (uint32_t)size);
        return 0;
}

/*
 * ringbuf_reserve_dynptr(map, size, flags, ptr): a record of the ring
 * buffer behind a dynptr. flags must be 0; a full buffer (or a size it can
 * never hold) is -EINVAL, as in the kernel. The dynptr is NULL on failure.
 */
BPFAOT_HELPER(ringbuf_reserve_dynptr)
(uint64_t map, uint64_t size, uint64_t flags, uint64_t ptr, uint64_t e)
{
        struct dynptr *p = DYNPTR(ptr);
        void *rec;

        (void)e;
        if (flags) {
                dynptr_set_null(p);
                return (uint64_t)-EINVAL;
        }
        if ((uint32_t)size > DYNPTR_MAX_SIZE) {
                dynptr_set_null(p);
                return (uint64_t)-E2BIG;
        }
        rec = map ? bpfaot_ringbuf__reserve((struct bpfaot_map *)(uintptr_t)map, (uint32_t)size, 0)
                  : NULL;
        if (!rec) {
                dynptr_set_null(p);
                return (uint64_t)-EINVAL;
        }
        dynptr_init(p, rec, DYNPTR_RINGBUF, (uint32_t)size);
        return 0;
}

/* ringbuf_submit_dynptr and ringbuf_discard_dynptr(ptr, flags): a NULL dynptr is a no-op. */
BPFAOT_HELPER(ringbuf_submit_dynptr)
(uint64_t ptr, uint64_t flags, uint64_t c, uint64_t d, uint64_t e)
{
        struct dynptr *p = DYNPTR(ptr);

        (void)c, (void)d, (void)e;
        if (!p->data)
                return 0;
        bpfaot_ringbuf__submit(p->data, flags);
        dynptr_set_null(p);
        return 0;
}

BPFAOT_HELPER(ringbuf_discard_dynptr)
(uint64_t ptr, uint64_t flags, uint64_t c, uint64_t d, uint64_t e)
{
        struct dynptr *p = DYNPTR(ptr);

        (void)c, (void)d, (void)e;
        if (!p->data)
                return 0;
        bpfaot_ringbuf__discard(p->data, flags);
        dynptr_set_null(p);
        return 0;
}

/* dynptr_read(dst, len, src, offset, flags): copy out; flags must be 0. */
BPFAOT_HELPER(dynptr_read)
(uint64_t dst, uint64_t len, uint64_t src, uint64_t offset, uint64_t flags)
{
        const struct dynptr *p = DYNPTR(src);
        int err;

        if (!p->data || flags)
                return (uint64_t)-EINVAL;
        err = dynptr_check_off_len(p, (uint32_t)offset, (uint32_t)len);
        if (err)
                return (uint64_t)err;
        /* The regions may overlap: two dynptrs may cover the same memory. */
        memmove((void *)(uintptr_t)dst, (char *)p->data + p->offset + (uint32_t)offset,
                (uint32_t)len);
        return 0;
}

/* dynptr_write(dst, offset, src, len, flags): copy in; not into a read-only dynptr. */
BPFAOT_HELPER(dynptr_write)
(uint64_t dst, uint64_t offset, uint64_t src, uint64_t len, uint64_t flags)
{
        const struct dynptr *p = DYNPTR(dst);
        int err;

        if (!p->data || (p->size & DYNPTR_RDONLY_BIT))
                return (uint64_t)-EINVAL;
        err = dynptr_check_off_len(p, (uint32_t)offset, (uint32_t)len);
        if (err)
                return (uint64_t)err;
        if (flags)
                return (uint64_t)-EINVAL;
        memmove((char *)p->data + p->offset + (uint32_t)offset, (const void *)(uintptr_t)src,
                (uint32_t)len);
        return 0;
}

/* dynptr_data(ptr, offset, len): a pointer to [offset, offset + len), or NULL. */
BPFAOT_HELPER(dynptr_data)(uint64_t ptr, uint64_t offset, uint64_t len, uint64_t d, uint64_t e)
{
        const struct dynptr *p = DYNPTR(ptr);

        (void)d, (void)e;
        if (!p->data || dynptr_check_off_len(p, (uint32_t)offset, (uint32_t)len) ||
            (p->size & DYNPTR_RDONLY_BIT))
                return 0;
        return (uint64_t)(uintptr_t)((char *)p->data + p->offset + (uint32_t)offset);
}
