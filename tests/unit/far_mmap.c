/* SPDX-License-Identifier: MIT */
/*
 * LD_PRELOAD library for test_jit_memory: an address space in which no two
 * anonymous mappings are near each other. Every mmap of anonymous memory
 * that leaves the address to the kernel (no hint, no MAP_FIXED) is placed
 * 8 GiB below the previous one, so that any two such mappings lie more than
 * 2 GiB apart: what a process holding large address reservations sees some
 * of the time, here every time. A JIT that maps an object's code and data
 * separately and reaches one from the other with 32-bit displacements then
 * fails on its first load; one that keeps an object's memory together does
 * not. glibc's own mappings (malloc, thread stacks) call the kernel directly
 * and are not moved.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#define STRIDE ((uintptr_t)1 << 33)

/* The top of the next placement, and how many mappings were placed. */
static _Atomic uintptr_t next_top;
static _Atomic unsigned long placed;

static void *sys_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
        return (void *)syscall(SYS_mmap, addr, len, prot, flags, fd, off);
}

/* Start 64 strides below where the kernel would map now (just below the shared libraries). */
__attribute__((constructor)) static void far_mmap_init(void)
{
        void *probe = sys_mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

        if (probe == MAP_FAILED)
                return;
        munmap(probe, 4096);
        atomic_store(&next_top, ((uintptr_t)probe & ~(STRIDE - 1)) - 64 * STRIDE);
}

/* For the test: how many mappings this library placed (0: not in effect). */
unsigned long far_mmap_placed(void)
{
        return atomic_load(&placed);
}

void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
        size_t size = (len + 0xfffff) & ~(size_t)0xfffff;

        if (addr || (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) || !(flags & MAP_ANONYMOUS) ||
            !len || size > STRIDE / 2 || !atomic_load(&next_top))
                return sys_mmap(addr, len, prot, flags, fd, off);
        for (int tries = 0; tries < 64; tries++) {
                uintptr_t top = atomic_fetch_sub(&next_top, STRIDE);
                void *want = (void *)(top - size);
                void *p;

                if (top < 64 * STRIDE)
                        break;
                p = sys_mmap(want, len, prot, flags | MAP_FIXED_NOREPLACE, fd, off);
                if (p == want) {
                        atomic_fetch_add(&placed, 1);
                        return p;
                }
                if (p != MAP_FAILED) /* a kernel without MAP_FIXED_NOREPLACE took it as a hint */
                        munmap(p, len);
                else if (errno != EEXIST)
                        break;
        }
        return sys_mmap(NULL, len, prot, flags, fd, off);
}

void *mmap64(void *addr, size_t len, int prot, int flags, int fd, off_t off)
    __attribute__((alias("mmap")));
