/* SPDX-License-Identifier: MIT */
/*
 * bpfaot runtime: what natively compiled eBPF programs link against.
 * No LLVM inside. Helpers are plain C functions with the eBPF helper ABI
 * (five 64-bit arguments, one 64-bit result), found by their helper id.
 *
 * Each built-in helper is also defined as the weak symbol compiled code
 * calls, _bpf_helper_ext_NNNN. A host that defines one of these symbols
 * replaces the runtime's helper (its strong definition wins at link time),
 * and the table below then holds the host's function, so lookups and
 * bpfaot_rt_callx() use it too. A host adds helpers with ids of its own by
 * defining their symbols; the table keeps no mutable state and does not list
 * them. See README.md, "Runtime helpers".
 */
#ifndef BPFAOT_RUNTIME_H
#define BPFAOT_RUNTIME_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef uint64_t (*bpfaot_rt_helper_fn)(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4,
                                        uint64_t r5);

struct bpfaot_rt_helper {
        uint32_t id;      /* kernel helper id (enum bpf_func_id) */
        const char *name; /* kernel name without the bpf_ prefix */
        bpfaot_rt_helper_fn fn;
};

/* The built-in helper with this id (fn: the linked _bpf_helper_ext_NNNN), or NULL. */
const struct bpfaot_rt_helper *bpfaot_rt_helper_find(uint32_t id);
/* All built-in helpers, sorted by id; *cnt receives the count. */
const struct bpfaot_rt_helper *bpfaot_rt_helpers(uint32_t *cnt);

/*
 * Parse a symbol name of the form _bpf_helper_ext_NNNN. Returns 0 and the id,
 * or -1 when the name is not a helper symbol.
 */
int bpfaot_rt_parse_helper_symbol(const char *name, uint32_t *id);

/*
 * Dispatch `call %reg` (callx) by helper id. An id without a built-in helper
 * returns (uint64_t)-ENOENT.
 */
uint64_t bpfaot_rt_callx(uint64_t id, uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4,
                         uint64_t r5);

/*
 * bpf_tail_call(ctx, prog_array, index), as compiled code calls it: r1-r3
 * of the helper call. When slot `index` of the PROG_ARRAY holds a program and
 * fewer than BPFAOT_MAX_TAIL_CALLS tail calls are under way on this thread,
 * runs it as prog(ctx, 0) and returns {1, its r0}: the caller then returns
 * that value at once, which is the kernel's semantics (the tail-called
 * program replaces the current frame). Otherwise returns {0, -ENOENT} (or
 * {0, -EINVAL} for a map that is not a PROG_ARRAY) and the caller goes on
 * with the next instruction, as after a failed tail call.
 *
 * The chain's length is kept in one thread-local counter: a tail call is a
 * nested native call here, so the counter is the nesting depth. Unlike the
 * kernel, an attempt on an empty slot does not count.
 */
#define BPFAOT_MAX_TAIL_CALLS 33
struct bpfaot_tail_call_result {
        uint64_t done;
        uint64_t ret;
};
struct bpfaot_tail_call_result bpfaot_rt_tail_call(uint64_t ctx, uint64_t map, uint64_t index);

#ifdef __cplusplus
}
#endif
#endif
