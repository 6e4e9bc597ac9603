/* SPDX-License-Identifier: MIT */
/* Prototypes of the helper symbols compiled programs call, for the helper tests. */
#ifndef BPFAOT_TEST_HELPER_DECLS_H
#define BPFAOT_TEST_HELPER_DECLS_H

#include <stdint.h>

#define DECL(pad) uint64_t _bpf_helper_ext_##pad(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t);
DECL(0001)
DECL(0002)
DECL(0004)
DECL(0005)
DECL(0006)
DECL(0007)
DECL(0015)
DECL(0016)
DECL(0027)
DECL(0042)
DECL(0045)
DECL(0067)
DECL(0093)
DECL(0094)
DECL(0105)
DECL(0106)
DECL(0112)
DECL(0113)
DECL(0114)
DECL(0115)
DECL(0118)
DECL(0125)
DECL(0160)
DECL(0164)
DECL(0165)
DECL(0169)
DECL(0170)
DECL(0171)
DECL(0172)
DECL(0177)
DECL(0181)
DECL(0182)
DECL(0197)
DECL(0198)
DECL(0199)
DECL(0200)
DECL(0201)
DECL(0202)
DECL(0203)
DECL(0208)
DECL(0999)
#undef DECL

#define U(p) ((uint64_t)(uintptr_t)(p))

#endif
