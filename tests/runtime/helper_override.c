/* SPDX-License-Identifier: MIT */
/* A host's own helpers: replaces get_prandom_u32 (7) and adds id 999. */
#include "helper_decls.h"

uint64_t _bpf_helper_ext_0007(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e)
{
        return 0xdeadbeef00000007ull + a + b + c + d + e;
}

uint64_t _bpf_helper_ext_0999(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e)
{
        (void)c, (void)d, (void)e;
        return a + b;
}
