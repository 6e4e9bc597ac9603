/* SPDX-License-Identifier: MIT */
/*
 * get_stack: the calling thread's stack, unwound by glibc's backtrace(),
 * with the kernel's flags, sizes and results. The program runs in user
 * space, so with or without BPF_F_USER_STACK the stack is that thread's
 * (there is no kernel part). get_stackid needs a STACK_TRACE map, which the
 * runtime does not have: -EOPNOTSUPP.
 */
#include "helpers_internal.h"

#include <errno.h>
#include <execinfo.h>
#include <linux/bpf.h>
#include <stdbool.h>
#include <string.h>

#define MAX_FRAMES 127 /* the kernel's default perf_event_max_stack */

uint64_t _bpf_helper_ext_0067(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5);

/*
 * Frames of this file and the helper symbol's wrapper (when they are not
 * tail calls) are not the program's: the trace starts at the helper's
 * caller. A frame is theirs when it returns into their first bytes (they
 * are a few instructions long).
 */
static bool in_helper(uintptr_t ip)
{
        const uintptr_t starts[] = {(uintptr_t)&bpfaot__h_get_stack,
                                    (uintptr_t)&_bpf_helper_ext_0067};

        for (size_t i = 0; i < sizeof(starts) / sizeof(starts[0]); i++)
                if (ip - starts[i] < 256)
                        return true;
        return false;
}

/*
 * The first frame of the helper's caller: from the one get_stack returns
 * into (found by that address: a sanitizer's interceptor of backtrace()
 * adds frames before it), past the helper's own frames.
 */
static int first_program_frame(void *const *ips, int n, const void *get_stack_ret)
{
        int i = 0;

        while (i < n && ips[i] != get_stack_ret)
                i++;
        if (i == n)
                i = 1;
        while (i < n && in_helper((uintptr_t)ips[i]))
                i++;
        return i;
}

static __attribute__((noinline)) long get_stack(void *buf, uint32_t size, uint64_t flags)
{
        const uint64_t mask = BPF_F_SKIP_FIELD_MASK | BPF_F_USER_STACK | BPF_F_USER_BUILD_ID;
        bool build_id = flags & BPF_F_USER_BUILD_ID;
        uint32_t skip = (uint32_t)(flags & BPF_F_SKIP_FIELD_MASK), elem, nr, first;
        void *ips[MAX_FRAMES + 8];
        int n;

        elem = build_id ? sizeof(struct bpf_stack_build_id) : sizeof(uint64_t);
        if ((flags & ~mask) || (build_id && !(flags & BPF_F_USER_STACK)) || size % elem) {
                memset(buf, 0, size);
                return -EINVAL;
        }
        n = backtrace(ips, (int)(sizeof(ips) / sizeof(ips[0])));
        first = (uint32_t)first_program_frame(ips, n, __builtin_return_address(0));
        nr = (uint32_t)n > first + skip ? (uint32_t)n - first - skip : 0;
        if (nr > MAX_FRAMES)
                nr = MAX_FRAMES;
        if (nr > size / elem)
                nr = size / elem;
        for (uint32_t i = 0; i < nr; i++) {
                uint64_t ip = (uint64_t)(uintptr_t)ips[first + skip + i];

                if (build_id) {
                        /* No build id is looked up: the kernel's fallback, the raw address. */
                        struct bpf_stack_build_id id = {.status = BPF_STACK_BUILD_ID_IP, .ip = ip};

                        memcpy((char *)buf + (size_t)i * elem, &id, sizeof(id));
                } else {
                        memcpy((char *)buf + (size_t)i * elem, &ip, sizeof(ip));
                }
        }
        memset((char *)buf + (size_t)nr * elem, 0, size - nr * elem);
        return (long)(nr * elem);
}

/*
 * get_stack(ctx, buf, size, flags): up to size / entry-size return
 * addresses, innermost first (the first is in the code that called the
 * helper), after skipping flags & BPF_F_SKIP_FIELD_MASK of them; the rest
 * of buf is zeroed. BPF_F_USER_BUILD_ID gives struct bpf_stack_build_id
 * entries with status BPF_STACK_BUILD_ID_IP. Returns the bytes filled, or
 * -EINVAL (bad flags, size not a multiple of the entry size; buf zeroed).
 */
BPFAOT_HELPER(get_stack)(uint64_t ctx, uint64_t buf, uint64_t size, uint64_t flags, uint64_t e)
{
        (void)ctx, (void)e;
        return (uint64_t)get_stack((void *)(uintptr_t)buf, (uint32_t)size, flags);
}

BPFAOT_HELPER(get_stackid)(uint64_t ctx, uint64_t map, uint64_t flags, uint64_t d, uint64_t e)
{
        (void)ctx, (void)map, (void)flags, (void)d, (void)e;
        return (uint64_t)-EOPNOTSUPP;
}
