/* SPDX-License-Identifier: MIT */
/* One address reservation per JIT-loaded object, bump-allocated (jit_memory.h). */
#include "jit_memory.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

struct jit_region {
        uint8_t *base;
        size_t size;
        size_t used; /* allocations take [base, base + used) */
        size_t page;
};

static size_t page_round(size_t n, size_t page, int *overflow)
{
        if (n > SIZE_MAX - (page - 1)) {
                *overflow = 1;
                return 0;
        }
        return (n + page - 1) & ~(page - 1);
}

int jit_region_create(size_t size, struct jit_region **out)
{
        long pg = sysconf(_SC_PAGESIZE);
        struct jit_region *r;
        int overflow = 0;
        void *p;

        *out = NULL;
        if (pg <= 0)
                return -EINVAL;
        size = page_round(size ? size : 1, (size_t)pg, &overflow);
        if (overflow || size > JIT_REGION_MAX)
                return -E2BIG;
        r = calloc(1, sizeof(*r));
        if (!r)
                return -ENOMEM;
        p = mmap(NULL, size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (p == MAP_FAILED) {
                int e = errno;

                free(r);
                return -e;
        }
        r->base = p;
        r->size = size;
        r->page = (size_t)pg;
        *out = r;
        return 0;
}

void jit_region_free(struct jit_region *r)
{
        if (!r)
                return;
        munmap(r->base, r->size);
        free(r);
}

void *jit_region_alloc(struct jit_region *r, size_t *size_io)
{
        int overflow = 0;
        size_t size = page_round(*size_io ? *size_io : 1, r->page, &overflow);
        uint8_t *p;

        if (overflow || size > r->size - r->used) {
                errno = ENOMEM;
                return NULL;
        }
        p = r->base + r->used;
        if (mprotect(p, size, PROT_READ | PROT_WRITE))
                return NULL;
        r->used += size;
        *size_io = size;
        return p;
}

int jit_region_contains(const struct jit_region *r, const void *addr, size_t size)
{
        uintptr_t a = (uintptr_t)addr, b = (uintptr_t)r->base;

        return a >= b && a - b <= r->size && size <= r->size - (a - b);
}

void jit_region_release(struct jit_region *r, void *addr, size_t size)
{
        if (!jit_region_contains(r, addr, size) || !size)
                return;
        /* A fresh inaccessible mapping in its place: its pages go back to the system. */
        mmap(addr, size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0);
}

void jit_region_used(const struct jit_region *r, uintptr_t *lo, uintptr_t *hi)
{
        *lo = (uintptr_t)r->base;
        *hi = (uintptr_t)r->base + r->used;
}

size_t jit_region_page(const struct jit_region *r)
{
        return r->page;
}

size_t jit_region_size(const struct jit_region *r)
{
        return r->size;
}
