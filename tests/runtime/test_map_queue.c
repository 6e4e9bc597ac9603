/* SPDX-License-Identifier: MIT */
/* QUEUE and STACK: order, full behaviour, BPF_EXIST overwrite, errors. */
#include "check.h"

#include <bpfaot/maps.h>
#include <errno.h>
#include <linux/bpf.h>
#include <stdbool.h>

static void run(uint32_t type)
{
        struct bpfaot_map_def def = {.type = type, .value_size = 4, .max_entries = 3};
        bool stack = type == BPF_MAP_TYPE_STACK;
        struct bpfaot_map *m;
        uint32_t v, i;

        CHECK_EQ(bpfaot_map__create(&def, &m), 0);
        CHECK_EQ(bpfaot_map__pop_elem(m, &v), -ENOENT);
        CHECK_EQ(bpfaot_map__peek_elem(m, &v), -ENOENT);
        for (i = 1; i <= 3; i++)
                CHECK_EQ(bpfaot_map__push_elem(m, &i, BPF_ANY), 0);
        v = 4;
        CHECK_EQ(bpfaot_map__push_elem(m, &v, BPF_ANY), -E2BIG);
        CHECK_EQ(bpfaot_map__push_elem(m, &v, BPF_NOEXIST), -EINVAL);
        CHECK_EQ(bpfaot_map__peek_elem(m, &v), 0);
        CHECK_EQ(v, stack ? 3 : 1);
        CHECK_EQ(bpfaot_map__lookup_copy(m, NULL, &v), 0); /* host lookup peeks */
        CHECK_EQ(v, stack ? 3 : 1);
        v = 4; /* full: BPF_EXIST drops the oldest (1) */
        CHECK_EQ(bpfaot_map__push_elem(m, &v, BPF_EXIST), 0);
        if (stack) {
                for (i = 4; i >= 2; i--) {
                        CHECK_EQ(bpfaot_map__pop_elem(m, &v), 0);
                        CHECK_EQ(v, i);
                }
        } else {
                for (i = 2; i <= 4; i++) {
                        CHECK_EQ(bpfaot_map__pop_elem(m, &v), 0);
                        CHECK_EQ(v, i);
                }
        }
        CHECK_EQ(bpfaot_map__pop_elem(m, &v), -ENOENT);
        /* Wrap the ring a few times. */
        for (i = 0; i < 20; i++) {
                CHECK_EQ(bpfaot_map__push_elem(m, &i, 0), 0);
                CHECK_EQ(bpfaot_map__pop_elem(m, &v), 0);
                CHECK_EQ(v, i);
        }
        /* Not a key/value map. */
        i = 0;
        CHECK(!bpfaot_map__lookup_elem(m, &i));
        CHECK_EQ(bpfaot_map__update_elem(m, &i, &v, 0), -EINVAL);
        CHECK_EQ(bpfaot_map__delete_elem(m, &i), -EINVAL);
        CHECK_EQ(bpfaot_map__get_next_key(m, NULL, &v), -EINVAL);
        /* Host update with a NULL key pushes, like BPF_MAP_UPDATE_ELEM. */
        v = 77;
        CHECK_EQ(bpfaot_map__update_copy(m, NULL, &v, 0), 0);
        CHECK_EQ(bpfaot_map__pop_elem(m, &v), 0);
        CHECK_EQ(v, 77);
        bpfaot_map__free(m);

        def.key_size = 4;
        CHECK_EQ(bpfaot_map__create(&def, &m), -EINVAL);
        def.key_size = 0;
        def.value_size = 0;
        CHECK_EQ(bpfaot_map__create(&def, &m), -EINVAL);
        def.value_size = 4;
        def.max_entries = 0;
        CHECK_EQ(bpfaot_map__create(&def, &m), -EINVAL);
        def.max_entries = UINT32_MAX;
        def.value_size = UINT32_MAX;
        CHECK_EQ(bpfaot_map__create(&def, &m), -EINVAL);
}

int main(void)
{
        run(BPF_MAP_TYPE_QUEUE);
        run(BPF_MAP_TYPE_STACK);
        printf("ok\n");
        return 0;
}
