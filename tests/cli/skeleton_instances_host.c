// SPDX-License-Identifier: MIT
/*
 * Several instances of one object (built with --instances): each has its
 * own maps and data, set up differently, and runs programs through
 * skeleton_instances_aot__run(); threads, each on its own instance, run at
 * once and their counts stay apart.
 */
#include <pthread.h>
#include <stdio.h>

#include "skeleton_instances.aot.h"

#define TENANTS 4
#define RUNS    10000

static uint64_t hits(struct skeleton_instances_aot *skel)
{
        uint32_t key = 0;
        uint64_t v = 0;

        bpfaot_map__lookup_copy(skel->maps.hits, &key, &v);
        return v;
}

static void *tenant_thread(void *arg)
{
        struct skeleton_instances_aot *skel = arg;

        for (int i = 0; i < RUNS; i++)
                skeleton_instances_aot__run(skel, skeleton_instances__count, NULL, 0);
        return NULL;
}

int main(void)
{
        struct skeleton_instances_aot *a, *b, *t[TENANTS];
        pthread_t th[TENANTS];
        int ok = 1;

        if (skeleton_instances_aot__open(&a) || skeleton_instances_aot__open(&b)) {
                fprintf(stderr, "open failed\n");
                return 1;
        }
        a->rodata->tenant = 1;
        b->rodata->tenant = 2;
        b->data->step = 10;
        if (skeleton_instances_aot__load(a) || skeleton_instances_aot__load(b)) {
                fprintf(stderr, "load failed\n");
                return 1;
        }
        skeleton_instances_aot__run(a, skeleton_instances__count, NULL, 0);
        printf("a %llu\n", (unsigned long long)skeleton_instances_aot__run(
                               a, skeleton_instances__count, NULL, 0));
        printf("b %llu\n", (unsigned long long)skeleton_instances_aot__run(
                               b, skeleton_instances__count, NULL, 0));
        printf("hits a %llu b %llu; calls a %llu b %llu\n", (unsigned long long)hits(a),
               (unsigned long long)hits(b), (unsigned long long)a->bss->calls,
               (unsigned long long)b->bss->calls);
        /* The object's own data is untouched by the instances. */
        printf("object's own calls %llu\n", (unsigned long long)skeleton_instances__bss.calls);

        for (int i = 0; i < TENANTS; i++) {
                if (skeleton_instances_aot__open(&t[i])) {
                        fprintf(stderr, "open tenant %d failed\n", i);
                        return 1;
                }
                t[i]->data->step = (uint64_t)i + 1;
                pthread_create(&th[i], NULL, tenant_thread, t[i]);
        }
        for (int i = 0; i < TENANTS; i++) {
                pthread_join(th[i], NULL);
                ok &= hits(t[i]) == RUNS && t[i]->bss->calls == (uint64_t)RUNS * (i + 1);
                skeleton_instances_aot__destroy(t[i]);
        }
        printf("threads: %s\n", ok ? "each instance counted its own" : "counts mixed");
        skeleton_instances_aot__destroy(b);
        skeleton_instances_aot__destroy(a);
        return 0;
}
