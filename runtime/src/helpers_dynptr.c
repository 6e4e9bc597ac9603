/* SPDX-License-Identifier: MIT */
/*
 * The dynptr helpers over local memory (dynptr_from_mem) and ring-buffer
 * records (ringbuf_reserve_dynptr): the kernel's struct bpf_dynptr_kern in
 * the program's 16-byte struct bpf_dynptr, so a program sees the kernel's
 * layout, bounds checks and error codes.
 */
#include "helpers_internal.h"
#include "dynptr_internal.h"
#include "sandbox_internal.h"
#include "bpfaot/maps.h"

#include <errno.h>
#include <linux/bpf.h>
#include <string.h>

#define DYNPTR(x) ((struct bpfaot_dynptr *)(uintptr_t)(x))

/* [offset, offset + len) inside the dynptr: else -E2BIG. */
static int dynptr_check_off_len(const struct bpfaot_dynptr *p, uint32_t offset, uint32_t len)
{
        uint32_t size = bpfaot_dynptr_size(p);

        return len > size || offset > size - len ? -E2BIG : 0;
}

/* dynptr_from_mem(data, size, flags, ptr): a local dynptr; flags must be 0. */
BPFAOT_HELPER(dynptr_from_mem)
(uint64_t data, uint64_t size, uint64_t flags, uint64_t ptr, uint64_t e)
{
        struct bpfaot_dynptr *p = DYNPTR(ptr);

        (void)e;
        if (!bpfaot__sandbox_dynptr(p, BPF_FUNC_dynptr_from_mem, 4, BPFAOT_DYNPTR_MAKE))
                return (uint64_t)-EINVAL;
        if (bpfaot_dynptr_check_size((uint32_t)size)) {
                bpfaot_dynptr_set_null(p);
                return (uint64_t)-E2BIG;
        }
        if (flags) {
                bpfaot_dynptr_set_null(p);
                return (uint64_t)-EINVAL;
        }
        bpfaot_dynptr_init(p, (void *)(uintptr_t)data, BPFAOT_DYNPTR_LOCAL, 0, (uint32_t)size);
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
        struct bpfaot_dynptr *p = DYNPTR(ptr);
        void *rec;

        (void)e;
        if (!bpfaot__sandbox_dynptr(p, BPF_FUNC_ringbuf_reserve_dynptr, 4, BPFAOT_DYNPTR_MAKE))
                return (uint64_t)-EINVAL;
        if (flags) {
                bpfaot_dynptr_set_null(p);
                return (uint64_t)-EINVAL;
        }
        if (bpfaot_dynptr_check_size((uint32_t)size)) {
                bpfaot_dynptr_set_null(p);
                return (uint64_t)-E2BIG;
        }
        rec = map ? bpfaot_ringbuf__reserve((struct bpfaot_map *)(uintptr_t)map, (uint32_t)size, 0)
                  : NULL;
        /* A sandboxed run holds at most so many records: past them the ring is "full". */
        if (rec && !bpfaot__sandbox_record_reserved(rec, size)) {
                bpfaot_ringbuf__discard(rec, BPF_RB_NO_WAKEUP);
                rec = NULL;
        }
        if (!rec) {
                bpfaot_dynptr_set_null(p);
                return (uint64_t)-EINVAL;
        }
        bpfaot_dynptr_init(p, rec, BPFAOT_DYNPTR_RINGBUF, 0, (uint32_t)size);
        return 0;
}

/* ringbuf_submit_dynptr and ringbuf_discard_dynptr(ptr, flags): a NULL dynptr is a no-op. */
BPFAOT_HELPER(ringbuf_submit_dynptr)
(uint64_t ptr, uint64_t flags, uint64_t c, uint64_t d, uint64_t e)
{
        struct bpfaot_dynptr *p = DYNPTR(ptr);

        (void)c, (void)d, (void)e;
        if (!bpfaot__sandbox_dynptr(p, BPF_FUNC_ringbuf_submit_dynptr, 1, BPFAOT_DYNPTR_RELEASE) ||
            !p->data)
                return 0;
        bpfaot_ringbuf__submit(p->data, flags);
        bpfaot_dynptr_set_null(p);
        return 0;
}

BPFAOT_HELPER(ringbuf_discard_dynptr)
(uint64_t ptr, uint64_t flags, uint64_t c, uint64_t d, uint64_t e)
{
        struct bpfaot_dynptr *p = DYNPTR(ptr);

        (void)c, (void)d, (void)e;
        if (!bpfaot__sandbox_dynptr(p, BPF_FUNC_ringbuf_discard_dynptr, 1, BPFAOT_DYNPTR_RELEASE) ||
            !p->data)
                return 0;
        bpfaot_ringbuf__discard(p->data, flags);
        bpfaot_dynptr_set_null(p);
        return 0;
}

/* dynptr_read(dst, len, src, offset, flags): copy out; flags must be 0. */
BPFAOT_HELPER(dynptr_read)
(uint64_t dst, uint64_t len, uint64_t src, uint64_t offset, uint64_t flags)
{
        const struct bpfaot_dynptr *p = DYNPTR(src);
        int err;

        if (!bpfaot__sandbox_dynptr(p, BPF_FUNC_dynptr_read, 3, BPFAOT_DYNPTR_READ))
                return (uint64_t)-EINVAL;
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
        const struct bpfaot_dynptr *p = DYNPTR(dst);
        int err;

        if (!bpfaot__sandbox_dynptr(p, BPF_FUNC_dynptr_write, 1, BPFAOT_DYNPTR_WRITE))
                return (uint64_t)-EINVAL;
        if (!p->data || bpfaot_dynptr_is_rdonly(p))
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
        const struct bpfaot_dynptr *p = DYNPTR(ptr);

        (void)d, (void)e;
        if (!bpfaot__sandbox_dynptr(p, BPF_FUNC_dynptr_data, 1, BPFAOT_DYNPTR_WRITE) || !p->data ||
            dynptr_check_off_len(p, (uint32_t)offset, (uint32_t)len) || bpfaot_dynptr_is_rdonly(p))
                return 0;
        return (uint64_t)(uintptr_t)((char *)p->data + p->offset + (uint32_t)offset);
}
