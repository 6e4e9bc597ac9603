/* SPDX-License-Identifier: MIT */
/*
 * Memory for one JIT-loaded object where RuntimeDyld links it (LLVM < 17 on
 * x86-64 and AArch64, see COMPAT_JIT_REGION): one contiguous reservation,
 * from which every section of the object (code, data, read-only data, and
 * RuntimeDyld's stubs and GOT) is carved. RuntimeDyld reaches the GOT and data
 * from code with 32-bit displacements; LLVM's SectionMemoryManager maps code
 * and data separately, and in a process holding a large address reservation
 * the two can land more than 2 GiB apart (the relocation is then truncated
 * without a word). Inside one region below 2 GiB every displacement reaches.
 */
#ifndef BPFAOT_JIT_MEMORY_H
#define BPFAOT_JIT_MEMORY_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct bpfaot_jit;
struct jit_region;

/* The largest region: every displacement inside it must fit in 32 bits. */
#define JIT_REGION_MAX ((size_t)1 << 30)

/*
 * Reserve `size` bytes (rounded up to pages) of address space, inaccessible
 * and without backing memory. 0, or -errno.
 */
int jit_region_create(size_t size, struct jit_region **out);
/* Unmap the region; NULL is ignored. */
void jit_region_free(struct jit_region *r);
/*
 * `*size` bytes, rounded up to pages (so that the block's protection is its
 * own; `*size` is set to the rounded size), read-write, at the region's next
 * free page; NULL when they do not fit (errno ENOMEM) or cannot be made
 * accessible.
 */
void *jit_region_alloc(struct jit_region *r, size_t *size);
/* The page size the region rounds to. */
size_t jit_region_page(const struct jit_region *r);
/* Whether [addr, addr + size) lies inside the region. */
int jit_region_contains(const struct jit_region *r, const void *addr, size_t size);
/* Back to inaccessible, dropping its pages (its address range is not reused). */
void jit_region_release(struct jit_region *r, void *addr, size_t size);
/* The range allocations have used so far: [*lo, *hi), empty when none. */
void jit_region_used(const struct jit_region *r, uintptr_t *lo, uintptr_t *hi);
size_t jit_region_size(const struct jit_region *r);

/*
 * For tests: the address range holding all of the memory the JIT allocated
 * for its object (code, data, stubs, GOT): 0, or -ENOTSUP when the JIT does not
 * track it (JITLink, which allocates an object's segments together).
 */
int bpfaot_jit__memory_range(const struct bpfaot_jit *jit, uintptr_t *lo, uintptr_t *hi);

#ifdef __cplusplus
}
#endif

#endif
