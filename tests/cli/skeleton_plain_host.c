// SPDX-License-Identifier: MIT
/*
 * The skeleton of an object whose program uses none of its maps and global
 * data compiles and links, and reaches them; a second open while one is
 * open is refused (-EBUSY) and leaks nothing; a destroyed skeleton can be
 * opened again.
 */
#include <stdio.h>
#include <string.h>

#include "skeleton_plain.aot.h"

int main(void)
{
        struct skeleton_plain_aot *skel, *again = NULL;
        unsigned long long ctx[2] = {40, 2};
        int err;

        if ((err = skeleton_plain_aot__open(&skel)) != 0) {
                fprintf(stderr, "open: %s\n", strerror(-err));
                return 1;
        }
        err = skeleton_plain_aot__open(&again);
        printf("second open: %s, %s\n", strerror(-err), again ? "a skeleton" : "none");
        printf("add %llu\n", (unsigned long long)skeleton_plain__add(ctx, sizeof(ctx)));
        printf("setting %d, map %s\n", skel->data->unused_setting,
               bpfaot_map__lookup_elem(skel->maps.unused_map, &(uint32_t){0}) ? "made" : "missing");
        skeleton_plain_aot__destroy(skel);
        err = skeleton_plain_aot__open_and_load(&skel);
        printf("open after destroy: %d\n", err);
        skeleton_plain_aot__destroy(skel);
        return 0;
}
