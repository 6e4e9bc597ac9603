/* SPDX-License-Identifier: MIT */
/*
 * The runtime's _bpf_helper_ext_NNNN are weak. Built twice: alone it must
 * get the runtime's helpers; with helper_override.c (HOST_OVERRIDE defined)
 * the host's _bpf_helper_ext_0007 must replace the runtime's — for direct
 * calls, the helper table and callx — and its own id 999 must link.
 */
#include "check.h"
#include "helper_decls.h"

#include "bpfaot/runtime.h"

#include <errno.h>
#include <time.h>

#define MAGIC 0xdeadbeef00000007ull

int main(void)
{
        struct timespec ts;
        uint64_t t0, t1;

        /* not overridden in either build: the runtime's */
        clock_gettime(CLOCK_MONOTONIC, &ts);
        t0 = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
        t1 = _bpf_helper_ext_0005(0, 0, 0, 0, 0);
        CHECK(t1 >= t0);
        CHECK(bpfaot_rt_helper_find(5)->fn == _bpf_helper_ext_0005);
#ifdef HOST_OVERRIDE
        CHECK_EQ(_bpf_helper_ext_0007(1, 2, 3, 4, 5), MAGIC + 15);
        CHECK(bpfaot_rt_helper_find(7)->fn == _bpf_helper_ext_0007);
        CHECK_EQ(bpfaot_rt_helper_find(7)->fn(0, 0, 0, 0, 0), MAGIC);
        CHECK_EQ(bpfaot_rt_callx(7, 0, 0, 0, 0, 1), MAGIC + 1);
        CHECK_EQ(_bpf_helper_ext_0999(40, 2, 0, 0, 0), 42);
        /* an id of the host's own is not in the runtime's table or callx */
        CHECK(bpfaot_rt_helper_find(999) == NULL);
        CHECK_EQ(bpfaot_rt_callx(999, 0, 0, 0, 0, 0), (uint64_t)-ENOENT);
        printf("helper_override (host helpers): ok\n");
#else
        for (int i = 0; i < 8; i++)
                CHECK(_bpf_helper_ext_0007(0, 0, 0, 0, 0) <= UINT32_MAX); /* get_prandom_u32 */
        CHECK(bpfaot_rt_helper_find(7)->fn == _bpf_helper_ext_0007);
        printf("helper_override (runtime helpers): ok\n");
#endif
        return 0;
}
