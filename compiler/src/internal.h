/* SPDX-License-Identifier: MIT */
/*
 * What every module of the compiler library shares and its users do not see:
 * error constructors and allocation idioms.
 */
#ifndef BPFAOT_INTERNAL_H
#define BPFAOT_INTERNAL_H

#include "bpfaot/bpfaot.h"

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>

/* Fill `err` with a located message for instruction `idx` of `prog`. Returns -code. */
int bpfaot_error_at(struct bpfaot_error *err, const struct bpfaot_prog *prog, long idx, int code,
                    const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* Prepend "<prefix>: " to err->msg (for example an input file name). Returns err->code. */
int bpfaot_error_prefix(struct bpfaot_error *err, const char *prefix);
/* Fill `err` with an unlocated message. Returns -code. */
int bpfaot_error_set(struct bpfaot_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The one out-of-memory message. Returns -ENOMEM. */
int bpfaot_error_nomem(struct bpfaot_error *err);

/*
 * Copy a caller's options struct (NULL, or `sz` 0: all defaults) into the
 * library's `dst` of `dst_size` bytes, zero-filling fields the caller's
 * version lacks; -EINVAL when the caller sets fields this version does not
 * know. `type` names the struct in that message.
 */
int bpfaot_opts_copy(void *dst, size_t dst_size, const void *opts, const char *type,
                     struct bpfaot_error *err);
#define OPTS_COPY(type, dst, opts, err)                                                            \
        bpfaot_opts_copy(&(dst), sizeof(struct type), (opts), #type, (err))

/* The message for an unresolved relocation (validator and bpfaot_prog__report_unresolved). */
int reloc_unresolved_error(struct bpfaot_error *err, const struct bpfaot_prog *prog,
                           const struct bpfaot_reloc *r);

/*
 * Append a zeroed element to the array *items of *cnt elements of elem_size
 * bytes, growing it geometrically; returns the new element, or NULL (the
 * array unchanged) when out of memory. An array must grow only this way.
 */
void *bpfaot_array_add(void **items, size_t *cnt, size_t elem_size);
/* bpfaot_array_add for a typed array `arr` with count `cnt`: `T *x = ARRAY_ADD(a, n);` */
#define ARRAY_ADD(arr, cnt)                                                                        \
        ((__typeof__(arr))bpfaot_array_add((void **)&(arr), &(cnt), sizeof(*(arr))))

/*
 * compile.c: the native object of an eBPF object without programs (maps and
 * global data only, for its skeleton); `object` views it without code.
 */
int compile_object_globals(const struct bpfaot_prog *object, const struct bpfaot_compile_opts *opts,
                           struct bpfaot_buf *out, struct bpfaot_error *err);

#endif /* BPFAOT_INTERNAL_H */
