/* SPDX-License-Identifier: MIT */
/*
 * The runtime's helper list, shared by the helper table (helpers.c), the
 * weak _bpf_helper_ext_NNNN definitions generated from it and the files that
 * implement the helpers. Not installed.
 */
#ifndef BPFAOT_HELPERS_INTERNAL_H
#define BPFAOT_HELPERS_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * X(NNNN, name): NNNN is the four-digit helper id exactly as it appears in
 * the symbol _bpf_helper_ext_NNNN (the numeric id is 1NNNN - 10000, so the
 * leading zeros are never read as octal); name is the kernel name without
 * bpf_, implemented by bpfaot__h_<name>(). Sorted by id.
 */
#define BPFAOT_RT_HELPER_LIST(X)                                                                   \
        X(0001, map_lookup_elem)                                                                   \
        X(0002, map_update_elem)                                                                   \
        X(0003, map_delete_elem)                                                                   \
        X(0004, probe_read)                                                                        \
        X(0005, ktime_get_ns)                                                                      \
        X(0006, trace_printk)                                                                      \
        X(0007, get_prandom_u32)                                                                   \
        X(0008, get_smp_processor_id)                                                              \
        X(0014, get_current_pid_tgid)                                                              \
        X(0015, get_current_uid_gid)                                                               \
        X(0016, get_current_comm)                                                                  \
        X(0025, perf_event_output)                                                                 \
        X(0027, get_stackid)                                                                       \
        X(0036, probe_write_user)                                                                  \
        X(0042, get_numa_node_id)                                                                  \
        X(0045, probe_read_str)                                                                    \
        X(0067, get_stack)                                                                         \
        X(0087, map_push_elem)                                                                     \
        X(0088, map_pop_elem)                                                                      \
        X(0089, map_peek_elem)                                                                     \
        X(0093, spin_lock)                                                                         \
        X(0094, spin_unlock)                                                                       \
        X(0105, strtol)                                                                            \
        X(0106, strtoul)                                                                           \
        X(0109, send_signal)                                                                       \
        X(0112, probe_read_user)                                                                   \
        X(0113, probe_read_kernel)                                                                 \
        X(0114, probe_read_user_str)                                                               \
        X(0115, probe_read_kernel_str)                                                             \
        X(0117, send_signal_thread)                                                                \
        X(0118, jiffies64)                                                                         \
        X(0120, get_ns_current_pid_tgid)                                                           \
        X(0125, ktime_get_boot_ns)                                                                 \
        X(0130, ringbuf_output)                                                                    \
        X(0131, ringbuf_reserve)                                                                   \
        X(0132, ringbuf_submit)                                                                    \
        X(0133, ringbuf_discard)                                                                   \
        X(0134, ringbuf_query)                                                                     \
        X(0148, copy_from_user)                                                                    \
        X(0160, ktime_get_coarse_ns)                                                               \
        X(0164, for_each_map_elem)                                                                 \
        X(0165, snprintf)                                                                          \
        X(0169, timer_init)                                                                        \
        X(0170, timer_set_callback)                                                                \
        X(0171, timer_start)                                                                       \
        X(0172, timer_cancel)                                                                      \
        X(0177, trace_vprintk)                                                                     \
        X(0181, loop)                                                                              \
        X(0182, strncmp)                                                                           \
        X(0195, map_lookup_percpu_elem)                                                            \
        X(0197, dynptr_from_mem)                                                                   \
        X(0198, ringbuf_reserve_dynptr)                                                            \
        X(0199, ringbuf_submit_dynptr)                                                             \
        X(0200, ringbuf_discard_dynptr)                                                            \
        X(0201, dynptr_read)                                                                       \
        X(0202, dynptr_write)                                                                      \
        X(0203, dynptr_data)                                                                       \
        X(0208, ktime_get_tai_ns)                                                                  \
        X(0209, user_ringbuf_drain)

#define BPFAOT_RT_HELPER_ID(pad) (1##pad - 10000)

#define BPFAOT_RT_DECLARE_HELPER(pad, name)                                                        \
        __attribute__((visibility("hidden"))) uint64_t bpfaot__h_##name(                           \
            uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5);
BPFAOT_RT_HELPER_LIST(BPFAOT_RT_DECLARE_HELPER)

/* Helper definitions: BPFAOT_HELPER(name)(r1, ..., r5) with named arguments. */
#define BPFAOT_HELPER(name) uint64_t bpfaot__h_##name

/* A callback a program passes to a helper: a compiled sub-program, r1-r5 in, r0 out. */
typedef uint64_t (*bpfaot_callback_fn)(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4,
                                       uint64_t r5);

/*
 * Checked reads of memory that may be unmapped (probe_read semantics).
 * bpfaot__read_mem copies exactly n bytes or returns -EFAULT (dst then
 * holds unspecified bytes). bpfaot__read_str copies a string of at most
 * size - 1 characters plus NUL and returns the length including the NUL,
 * or -EFAULT (dst[0] is then NUL); bytes past the NUL are not written.
 */
__attribute__((visibility("hidden"))) int bpfaot__read_mem(void *dst, const void *src, size_t n);
__attribute__((visibility("hidden"))) long bpfaot__read_str(char *dst, const void *src,
                                                            size_t size);

/*
 * The format engine of trace_printk and snprintf. Formats fmt (NUL
 * terminated within fmt_size bytes) with args[0..nargs) into out (at most
 * out_size bytes including the NUL; out may be NULL when out_size is 0).
 * The whole format is validated before anything is written. Returns the
 * length the output would have without truncation, excluding the NUL, or
 * -EINVAL (out untouched).
 */
__attribute__((visibility("hidden"))) long bpfaot__format(char *out, size_t out_size,
                                                          const char *fmt, size_t fmt_size,
                                                          const uint64_t *args, uint32_t nargs);

/*
 * Helpers that call a program's callbacks (bpf_loop, for_each_map_elem,
 * user_ringbuf_drain) nest at most this deep on a thread: the kernel's
 * verifier allows 8 call frames (MAX_CALL_FRAMES), so no program it accepts
 * nests deeper, and deeper (a callback that hands itself to bpf_loop again)
 * would recurse until the stack overflows. bpfaot__callback_enter() is false
 * at the limit (the helper then returns -ELOOP); else pair it with
 * bpfaot__callback_exit().
 */
#define BPFAOT_MAX_CALLBACK_DEPTH 8
__attribute__((visibility("hidden"))) bool bpfaot__callback_enter(void);
__attribute__((visibility("hidden"))) void bpfaot__callback_exit(void);

#endif
