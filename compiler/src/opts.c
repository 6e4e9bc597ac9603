/* SPDX-License-Identifier: MIT */
/*
 * The options idiom of the public API: every options struct starts with
 * `size_t sz`, the caller's sizeof; fields the caller's struct lacks, and
 * every field of a zeroed struct or a NULL pointer, mean the documented
 * defaults.
 */
#include "internal.h"

#include <string.h>

int bpfaot_opts_copy(void *dst, size_t dst_size, const void *opts, const char *type,
                     struct bpfaot_error *err)
{
        const unsigned char *src = opts;
        size_t sz;

        memset(dst, 0, dst_size);
        if (!opts)
                return 0;
        memcpy(&sz, opts, sizeof(sz));
        /* A newer caller's struct: fields this library does not know must be unset. */
        for (size_t i = dst_size; i < sz; i++)
                if (src[i])
                        return bpfaot_error_set(err, EINVAL,
                                                "struct %s: field at offset %zu is not known to "
                                                "this version of the library",
                                                type, i);
        memcpy(dst, opts, sz < dst_size ? sz : dst_size);
        /* The copy is a whole struct of this version now. */
        memcpy(dst, &dst_size, sizeof(dst_size));
        return 0;
}
