// SPDX-License-Identifier: MIT
/* A host that opens the skeleton of an object of maps and data only and uses them. */
#include <stdio.h>

#include "mapsonly.aot.h"

int main(void)
{
        struct mapsonly_aot *obj;
        uint32_t key = 3;
        uint64_t value = 0;
        int err = mapsonly_aot__open(&obj);

        if (err) {
                fprintf(stderr, "open failed: %d\n", err);
                return 1;
        }
        if (bpfaot_map__lookup_copy(obj->maps.totals, &key, &value) == 0) {
                fprintf(stderr, "a new hash map has key 3\n");
                return 1;
        }
        value = obj->data->generation * 6;
        if (bpfaot_map__update_copy(obj->maps.totals, &key, &value, 0)) {
                fprintf(stderr, "update failed\n");
                return 1;
        }
        value = 0;
        if (bpfaot_map__lookup_copy(obj->maps.totals, &key, &value)) {
                fprintf(stderr, "lookup failed\n");
                return 1;
        }
        printf("generation %llu totals[3] %llu programs %u\n",
               (unsigned long long)obj->data->generation, (unsigned long long)value,
               mapsonly__prog_cnt);
        mapsonly_aot__destroy(obj);
        return 0;
}
