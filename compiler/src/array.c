/* SPDX-License-Identifier: MIT */
/* Allocation idioms: growable arrays and the caller-owned output buffer. */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

/*
 * The capacity is implied by the count, so arrays need no capacity field: an
 * array grown only by bpfaot_array_add() has room for the next power of two.
 */
static bool is_full(size_t cnt)
{
        return cnt == 0 || (cnt & (cnt - 1)) == 0;
}

void *bpfaot_array_add(void **items, size_t *cnt, size_t elem_size)
{
        size_t n = *cnt;
        char *arr = *items;

        if (is_full(n)) {
                size_t cap = n ? n * 2 : 1;

                if (cap > SIZE_MAX / elem_size)
                        return NULL;
                arr = realloc(arr, cap * elem_size);
                if (!arr)
                        return NULL;
                *items = arr;
        }
        memset(arr + n * elem_size, 0, elem_size);
        *cnt = n + 1;
        return arr + n * elem_size;
}

void bpfaot_buf_free(struct bpfaot_buf *buf)
{
        if (!buf)
                return;
        free(buf->data);
        buf->data = NULL;
        buf->len = 0;
}
