/* SPDX-License-Identifier: MIT */
/*
 * The runtime's side of sandboxed code (bpfaot/sandbox.h), called here as
 * compiled code calls it: a run's regions, frames, maps, faults and their
 * text, tail calls' nesting, the frame limit and the loop budget.
 */
#include "check.h"

#include "bpfaot/maps.h"
#include "bpfaot/runtime.h"
#include "bpfaot/sandbox.h"
#include "dynptr_internal.h"
#include "sandbox_internal.h"

#include <errno.h>
#include <inttypes.h>
#include <linux/bpf.h>
#include <stdint.h>
#include <string.h>

#define HOW(insn, kind, arg, helper) BPFAOT_SANDBOX_HOW(insn, kind, arg, helper)
/* The count of a loop whose head is not known. */
#define UNNAMED_LOOP HOW(BPFAOT_SANDBOX_NO_INSN, BPFAOT_SANDBOX_BUDGET, 0, 0)
#define U(p)         ((uint64_t)(uintptr_t)(p))

static char reason[256];

static const char *why(void)
{
        struct bpfaot_sandbox_fault f;

        CHECK(bpfaot_sandbox_fault(&f));
        bpfaot_sandbox_fault_str(&f, reason, sizeof(reason));
        return reason;
}

static void enter(struct bpfaot_sandbox_run *run, void *ctx, size_t len,
                  const struct bpfaot_sandbox_region *data, size_t data_cnt, void *const *maps,
                  size_t map_cnt, uint64_t max_loops)
{
        bpfaot_rt_sandbox_enter(run, "prog", U(ctx), len, data, data_cnt, maps, map_cnt, max_loops);
}

int main(void)
{
        uint8_t ctx[64], frame[512], bss[32], rodata[16], outer_frame[64];
        const struct bpfaot_sandbox_region data[] = {
            {U(bss), sizeof(bss), 0, ".bss"},
            {U(rodata), sizeof(rodata), 1, ".rodata"},
        };
        struct bpfaot_map_def def = {.name = "arr",
                                     .type = BPF_MAP_TYPE_ARRAY,
                                     .key_size = 4,
                                     .value_size = 16,
                                     .max_entries = 4};
        struct bpfaot_map *map;
        struct bpfaot_sandbox_run run, tail;
        struct bpfaot_sandbox_fault f;
        uint32_t key = 1;
        uint8_t *value;
        void *maps[1];

        CHECK_EQ(bpfaot_map__create(&def, &map), 0);
        maps[0] = map;
        value = bpfaot_map__lookup_elem(map, &key);
        CHECK(value);

        /* Regions: the context, live frames, data (read-only ones read only), map values. */
        enter(&run, ctx, sizeof(ctx), data, 2, maps, 1, 1000);
        CHECK(!bpfaot_sandbox_fault(NULL));
        CHECK(bpfaot_rt_sandbox_push(U(frame), U(frame) + sizeof(frame), 0) == &run);
        CHECK_EQ(bpfaot_rt_sandbox_check(&run, U(ctx) + 56, 8, HOW(1, BPFAOT_SANDBOX_LOAD, 0, 0)),
                 1);
        CHECK_EQ(bpfaot_rt_sandbox_check(&run, U(frame), 512, HOW(1, BPFAOT_SANDBOX_STORE, 0, 0)),
                 1);
        CHECK_EQ(bpfaot_rt_sandbox_check(&run, U(bss) + 24, 8, HOW(1, BPFAOT_SANDBOX_STORE, 0, 0)),
                 1);
        CHECK_EQ(bpfaot_rt_sandbox_check(&run, U(rodata), 8, HOW(1, BPFAOT_SANDBOX_LOAD, 0, 0)), 1);
        CHECK_EQ(
            bpfaot_rt_sandbox_check(&run, U(value) + 8, 8, HOW(1, BPFAOT_SANDBOX_ATOMIC, 0, 0)), 1);
        /* A helper given 0 bytes touches none; the map as an argument is the program's. */
        CHECK_EQ(bpfaot_rt_sandbox_check(&run, 16, 0, HOW(2, BPFAOT_SANDBOX_HELPER_WRITE, 1, 4)),
                 1);
        CHECK_EQ(bpfaot_rt_sandbox_check(&run, U(map), 0, HOW(2, BPFAOT_SANDBOX_MAP, 1, 1)), 1);
        /* Memory sized by the map's value size: 16 bytes at value are fine, at value + 8 not. */
        CHECK_EQ(bpfaot_rt_sandbox_check(
                     &run, U(value), U(map),
                     HOW(2, BPFAOT_SANDBOX_HELPER_READ, 2 | BPFAOT_SANDBOX_ARG_VALUE_SIZED, 2)),
                 1);
        CHECK_EQ(bpfaot_rt_sandbox_check(&run, U(ctx), 0, HOW(2, BPFAOT_SANDBOX_CTX, 1, 25)), 1);
        CHECK(!run.failed);

        /* One byte past the context: the run fails, the first fault is kept. */
        CHECK_EQ(bpfaot_rt_sandbox_check(&run, U(ctx) + 57, 8, HOW(7, BPFAOT_SANDBOX_LOAD, 0, 0)),
                 0);
        CHECK_EQ(bpfaot_rt_sandbox_check(&run, U(bss), 1, HOW(8, BPFAOT_SANDBOX_LOAD, 0, 0)), 0);
        bpfaot_rt_sandbox_pop(&run);
        bpfaot_rt_sandbox_leave(&run);
        CHECK(bpfaot_sandbox_fault(&f));
        CHECK_EQ(f.insn, 7);
        CHECK_EQ(f.kind, BPFAOT_SANDBOX_LOAD);
        CHECK(strcmp(f.prog, "prog") == 0);
        snprintf(reason, sizeof(reason), "out-of-bounds load of 8 bytes at 0x%llx",
                 (unsigned long long)(U(ctx) + 57));
        CHECK(strcmp(why(), reason) == 0);

        /* Read-only data: read, never written, by a store or a helper. */
        enter(&run, ctx, sizeof(ctx), data, 2, maps, 1, 1000);
        CHECK(!bpfaot_sandbox_fault(NULL));
        CHECK_EQ(
            bpfaot_rt_sandbox_check(&run, U(rodata) + 8, 8, HOW(3, BPFAOT_SANDBOX_STORE, 0, 0)), 0);
        bpfaot_rt_sandbox_leave(&run);
        CHECK(strcmp(why(), "store to read-only global data (.rodata)") == 0);
        enter(&run, ctx, sizeof(ctx), data, 2, maps, 1, 1000);
        CHECK_EQ(bpfaot_rt_sandbox_check(&run, U(rodata), 8,
                                         HOW(3, BPFAOT_SANDBOX_HELPER_WRITE, 1, 113)),
                 0);
        bpfaot_rt_sandbox_leave(&run);
        CHECK(strcmp(why(), "write by helper probe_read_kernel (arg 1) to read-only global data "
                            "(.rodata)") == 0);

        /* A frame is the program's only while it is live. */
        enter(&run, ctx, sizeof(ctx), data, 2, maps, 1, 1000);
        bpfaot_rt_sandbox_push(U(outer_frame), U(outer_frame) + sizeof(outer_frame), 0);
        bpfaot_rt_sandbox_push(U(frame), U(frame) + sizeof(frame), 0);
        CHECK_EQ(
            bpfaot_rt_sandbox_check(&run, U(outer_frame), 8, HOW(4, BPFAOT_SANDBOX_LOAD, 0, 0)), 1);
        bpfaot_rt_sandbox_pop(&run);
        CHECK_EQ(bpfaot_rt_sandbox_check(&run, U(frame), 8, HOW(5, BPFAOT_SANDBOX_LOAD, 0, 0)), 0);
        bpfaot_rt_sandbox_leave(&run);
        CHECK(bpfaot_sandbox_fault(&f) && f.insn == 5);

        /* Forged maps and contexts, size taken from an unknown map, and callbacks. */
        enter(&run, ctx, sizeof(ctx), data, 2, maps, 1, 1000);
        CHECK_EQ(bpfaot_rt_sandbox_check(&run, U(ctx), 0, HOW(6, BPFAOT_SANDBOX_MAP, 1, 1)), 0);
        bpfaot_rt_sandbox_leave(&run);
        snprintf(reason, sizeof(reason),
                 "helper map_lookup_elem (arg 1): 0x%llx is not one of "
                 "the program's maps",
                 (unsigned long long)U(ctx));
        CHECK(strcmp(why(), reason) == 0);
        enter(&run, ctx, sizeof(ctx), data, 2, maps, 1, 1000);
        CHECK_EQ(bpfaot_rt_sandbox_check(
                     &run, U(value), U(ctx),
                     HOW(6, BPFAOT_SANDBOX_HELPER_READ, 2 | BPFAOT_SANDBOX_ARG_KEY_SIZED, 1)),
                 0);
        bpfaot_rt_sandbox_leave(&run);
        CHECK(bpfaot_sandbox_fault(&f) && f.kind == BPFAOT_SANDBOX_MAP && f.arg == 2);
        enter(&run, ctx, sizeof(ctx), data, 2, maps, 1, 1000);
        CHECK_EQ(bpfaot_rt_sandbox_check(&run, U(ctx) + 8, 0, HOW(6, BPFAOT_SANDBOX_CTX, 1, 25)),
                 0);
        bpfaot_rt_sandbox_leave(&run);
        CHECK(strstr(why(), "is not the program's context") != NULL);
        enter(&run, ctx, sizeof(ctx), data, 2, maps, 1, 1000);
        CHECK_EQ(bpfaot_rt_sandbox_check(&run, 0x1234, 0, HOW(6, BPFAOT_SANDBOX_CALLBACK, 2, 181)),
                 0);
        bpfaot_rt_sandbox_leave(&run);
        CHECK(strcmp(why(), "helper loop (arg 2): 0x1234 is not one of the program's functions") ==
              0);

        /* Frames: 8 at most; the ninth is refused, located later at the helper call. */
        enter(&run, ctx, sizeof(ctx), data, 2, maps, 1, 1000);
        for (int i = 0; i < BPFAOT_SANDBOX_MAX_FRAMES; i++)
                CHECK(!bpfaot_rt_sandbox_push(0, 0, HOW(10, BPFAOT_SANDBOX_DEPTH, 0, 0))->failed);
        CHECK(bpfaot_rt_sandbox_push(0, 0, HOW(10, BPFAOT_SANDBOX_DEPTH, 0, 0))->failed);
        bpfaot_rt_sandbox_locate(&run, HOW(12, BPFAOT_SANDBOX_DEPTH, 0, 0));
        bpfaot_rt_sandbox_locate(&run, HOW(3, BPFAOT_SANDBOX_DEPTH, 0, 0));
        bpfaot_rt_sandbox_leave(&run);
        CHECK(bpfaot_sandbox_fault(&f) && f.insn == 12);
        CHECK(strcmp(why(), "call chain deeper than 8 frames") == 0);
        /* Outside any run, a push fails at once. */
        CHECK(bpfaot_rt_sandbox_push(0, 0, 0)->failed);

        /* A tail call's run: its fault and its loop count are its caller's. */
        enter(&run, ctx, sizeof(ctx), data, 2, maps, 1, 5000);
        CHECK_EQ(bpfaot_rt_sandbox_budget(3000, UNNAMED_LOOP), 1);
        enter(&tail, ctx, sizeof(ctx), NULL, 0, NULL, 0, 0);
        CHECK_EQ(bpfaot_rt_sandbox_budget(1000, UNNAMED_LOOP), 1);
        CHECK_EQ(bpfaot_rt_sandbox_check(&tail, 8, 1, HOW(9, BPFAOT_SANDBOX_LOAD, 0, 0)), 0);
        bpfaot_rt_sandbox_leave(&tail);
        CHECK(run.failed);
        CHECK_EQ(run.loops, 4000);
        bpfaot_rt_sandbox_leave(&run);
        CHECK(bpfaot_sandbox_fault(&f) && f.insn == 9);

        /* The loop budget: past it the run fails, at the head of the loop that spent it. */
        enter(&run, ctx, sizeof(ctx), data, 2, maps, 1, 5000);
        CHECK_EQ(bpfaot_rt_sandbox_budget(4096, HOW(7, BPFAOT_SANDBOX_BUDGET, 0, 0)), 1);
        CHECK_EQ(bpfaot_rt_sandbox_budget(4096, HOW(7, BPFAOT_SANDBOX_BUDGET, 0, 0)), 0);
        CHECK_EQ(bpfaot_rt_sandbox_budget(UINT64_MAX, HOW(9, BPFAOT_SANDBOX_BUDGET, 0, 0)), 0);
        bpfaot_rt_sandbox_locate(&run, HOW(12, BPFAOT_SANDBOX_DEPTH, 0, 0));
        bpfaot_rt_sandbox_leave(&run);
        CHECK(bpfaot_sandbox_fault(&f) && f.insn == 7 && f.kind == BPFAOT_SANDBOX_BUDGET);
        CHECK(strcmp(why(), "exceeded the limit of 5000 loop iterations") == 0);
        /* A loop of unknown head (bpf_loop's calls): the call that ran them names it. */
        enter(&run, ctx, sizeof(ctx), data, 2, maps, 1, 10);
        CHECK_EQ(bpfaot_rt_sandbox_budget(11, UNNAMED_LOOP), 0);
        bpfaot_rt_sandbox_locate(&run, HOW(12, BPFAOT_SANDBOX_DEPTH, 0, 0));
        bpfaot_rt_sandbox_locate(&run, HOW(3, BPFAOT_SANDBOX_DEPTH, 0, 0));
        bpfaot_rt_sandbox_leave(&run);
        CHECK(bpfaot_sandbox_fault(&f) && f.insn == 12);
        CHECK(strcmp(why(), "exceeded the limit of 10 loop iterations") == 0);
        /* Unless no call names it. */
        enter(&run, ctx, sizeof(ctx), data, 2, maps, 1, 10);
        CHECK_EQ(bpfaot_rt_sandbox_budget(11, UNNAMED_LOOP), 0);
        bpfaot_rt_sandbox_leave(&run);
        CHECK(bpfaot_sandbox_fault(&f) && f.insn == BPFAOT_SANDBOX_NO_INSN);
        /*
         * A loop that knows its bound takes n + 1 iterations and a batch at once, or none
         * (the run goes on); iterations taken and not run come back as a negative count.
         */
        enter(&run, ctx, sizeof(ctx), NULL, 0, NULL, 0, 1000);
        CHECK_EQ(bpfaot_rt_sandbox_reserve(99, 400), 1);
        CHECK_EQ(run.loops, 500);
        CHECK_EQ(bpfaot_rt_sandbox_reserve(499, 0), 1); /* exactly the budget */
        CHECK_EQ(run.loops, 1000);
        CHECK_EQ(bpfaot_rt_sandbox_reserve(0, 0), 0);
        CHECK(!run.failed);
        CHECK_EQ(bpfaot_rt_sandbox_budget((uint64_t)-300, UNNAMED_LOOP), 1);
        CHECK_EQ(run.loops, 700);
        CHECK_EQ(bpfaot_rt_sandbox_reserve(300, 0), 0); /* one too many */
        CHECK_EQ(bpfaot_rt_sandbox_reserve(UINT64_MAX, 0), 0);
        CHECK_EQ(bpfaot_rt_sandbox_reserve(0, UINT64_MAX), 0);
        CHECK_EQ(bpfaot_rt_sandbox_reserve(BPFAOT_SANDBOX_MAX_RESERVE, 0), 0);
        CHECK_EQ(run.loops, 700);
        CHECK_EQ(bpfaot_rt_sandbox_budget((uint64_t)-5000, UNNAMED_LOOP), 1); /* not below 0 */
        CHECK_EQ(run.loops, 0);
        CHECK_EQ(bpfaot_rt_sandbox_budget(1000, UNNAMED_LOOP), 1);
        CHECK_EQ(bpfaot_rt_sandbox_budget(INT64_MAX, UNNAMED_LOOP), 0);
        CHECK_EQ(bpfaot_rt_sandbox_reserve(0, 0), 0); /* nor once the run failed */
        bpfaot_rt_sandbox_leave(&run);
        CHECK(bpfaot_sandbox_fault(&f) && f.kind == BPFAOT_SANDBOX_BUDGET);
        /* Outside any run, iterations are not counted (code that is not sandboxed). */
        CHECK_EQ(bpfaot_rt_sandbox_budget(UINT64_MAX, UNNAMED_LOOP), 1);
        CHECK_EQ(bpfaot_rt_sandbox_reserve(UINT64_MAX, 0), 1);
        /* A new run forgets the last fault; clear forgets it too. */
        enter(&run, ctx, sizeof(ctx), NULL, 0, NULL, 0, 10);
        CHECK(!bpfaot_sandbox_fault(NULL));
        bpfaot_rt_sandbox_leave(&run);
        CHECK(!bpfaot_sandbox_fault(NULL));
        bpfaot_sandbox_fault_clear();
        CHECK(!bpfaot_sandbox_fault(NULL));

        /* Spin locks: one held at a time, released by its holder, released at the run's end. */
        {
                uint32_t *a = (uint32_t *)value, *b = (uint32_t *)(value + 8);

                enter(&run, ctx, sizeof(ctx), NULL, 0, maps, 1, 100);
                bpfaot_rt_callx(BPF_FUNC_spin_lock, U(a), 0, 0, 0, 0);
                CHECK(*a == 1 && !run.failed);
                bpfaot_rt_callx(BPF_FUNC_spin_unlock, U(a), 0, 0, 0, 0);
                CHECK(*a == 0 && !run.failed);
                bpfaot_rt_callx(BPF_FUNC_spin_lock, U(a), 0, 0, 0, 0);
                bpfaot_rt_callx(BPF_FUNC_spin_lock, U(b), 0, 0, 0, 0); /* a second lock */
                CHECK(run.failed && *b == 0 && *a == 1);
                bpfaot_rt_sandbox_locate(&run, HOW(7, BPFAOT_SANDBOX_HELPER, 0, 0));
                bpfaot_rt_sandbox_leave(&run);
                CHECK(*a == 0); /* released: no other run waits for it */
                CHECK(bpfaot_sandbox_fault(&f) && f.insn == 7 && f.kind == BPFAOT_SANDBOX_LOCK);
                snprintf(reason, sizeof(reason),
                         "helper spin_lock (arg 1): 0x%" PRIx64 " is not %s", U(b),
                         BPFAOT_SANDBOX_LOCK_TEXT);
                CHECK(strcmp(why(), reason) == 0);

                enter(&run, ctx, sizeof(ctx), NULL, 0, maps, 1, 100);
                bpfaot_rt_callx(BPF_FUNC_spin_unlock, U(b), 0, 0, 0, 0); /* not held */
                CHECK(run.failed);
                bpfaot_rt_sandbox_leave(&run);
                CHECK(bpfaot_sandbox_fault(&f) && f.kind == BPFAOT_SANDBOX_LOCK && f.addr == U(b));

                enter(&run, ctx, sizeof(ctx), NULL, 0, maps, 1, 100);
                bpfaot_rt_callx(BPF_FUNC_spin_lock, U(a), 0, 0, 0, 0);
                bpfaot_rt_sandbox_leave(&run); /* ends holding it */
                CHECK(*a == 0);
                CHECK(bpfaot_sandbox_fault(&f) && f.kind == BPFAOT_SANDBOX_LOCK_HELD &&
                      f.insn == BPFAOT_SANDBOX_NO_INSN);
                snprintf(reason, sizeof(reason),
                         "ended holding the spin lock at 0x%" PRIx64 " (released)", U(a));
                CHECK(strcmp(why(), reason) == 0);
        }

        /*
         * Dynptrs: on this thread's stack, their memory the run's own; the
         * runtime's own (a user ring buffer's sample) is a callback's anywhere.
         */
        {
                static uint8_t sample[8] = {7, 6, 5, 4, 3, 2, 1, 0};
                static struct bpfaot_dynptr runtime_made;
                struct bpf_dynptr own, *dp = (struct bpf_dynptr *)(frame + 64); /* in the frame */
                uint64_t out = 0, forged = 0x1000;

                memset(ctx, 0x11, sizeof(ctx));
                enter(&run, ctx, sizeof(ctx), NULL, 0, maps, 1, 100);
                CHECK(bpfaot_rt_sandbox_push(U(frame), U(frame) + sizeof(frame), 0) == &run);
                CHECK_EQ(bpfaot_rt_callx(BPF_FUNC_dynptr_from_mem, U(ctx), 8, 0, U(dp), 0), 0);
                CHECK_EQ(bpfaot_rt_callx(BPF_FUNC_dynptr_read, U(&out), 8, U(dp), 0, 0), 0);
                CHECK(out == 0x1111111111111111ull && !run.failed);
                memcpy(dp, &forged, sizeof(forged)); /* its data pointer */
                CHECK_EQ(bpfaot_rt_callx(BPF_FUNC_dynptr_read, U(&out), 8, U(dp), 0, 0),
                         (uint64_t)-EINVAL);
                CHECK(run.failed);
                bpfaot_rt_sandbox_locate(&run, HOW(9, BPFAOT_SANDBOX_HELPER, 0, 0));
                bpfaot_rt_sandbox_leave(&run);
                CHECK(bpfaot_sandbox_fault(&f) && f.insn == 9 &&
                      f.kind == BPFAOT_SANDBOX_DYNPTR_MEM && f.addr == U(dp));
                snprintf(reason, sizeof(reason),
                         "helper dynptr_read (arg 3): " BPFAOT_SANDBOX_DYNPTR_MEM_FMT, U(dp));
                CHECK(strcmp(why(), reason) == 0);

                /* On this thread's stack, but not in the program's frame: the host's. */
                enter(&run, ctx, sizeof(ctx), NULL, 0, maps, 1, 100);
                CHECK(bpfaot_rt_sandbox_push(U(frame), U(frame) + sizeof(frame), 0) == &run);
                memcpy(&own, dp, sizeof(own));
                CHECK_EQ(bpfaot_rt_callx(BPF_FUNC_dynptr_read, U(&out), 8, U(&own), 0, 0),
                         (uint64_t)-EINVAL);
                bpfaot_rt_sandbox_leave(&run);
                CHECK(bpfaot_sandbox_fault(&f) && f.kind == BPFAOT_SANDBOX_DYNPTR &&
                      f.addr == U(&own));

                /* Made in a map value, where another thread could change it. */
                enter(&run, ctx, sizeof(ctx), NULL, 0, maps, 1, 100);
                CHECK_EQ(bpfaot_rt_callx(BPF_FUNC_dynptr_from_mem, U(ctx), 8, 0, U(value), 0),
                         (uint64_t)-EINVAL);
                bpfaot_rt_sandbox_leave(&run);
                CHECK(bpfaot_sandbox_fault(&f) && f.kind == BPFAOT_SANDBOX_DYNPTR &&
                      f.addr == U(value));
                snprintf(reason, sizeof(reason),
                         "helper dynptr_from_mem (arg 4): 0x%" PRIx64
                         " is not " BPFAOT_SANDBOX_DYNPTR_TEXT,
                         U(value));
                CHECK(strcmp(why(), reason) == 0);

                /* The runtime's own, over memory that is not the run's, while it is handed over. */
                bpfaot_dynptr_init(&runtime_made, sample, BPFAOT_DYNPTR_LOCAL, 0, 8);
                bpfaot_dynptr_set_rdonly(&runtime_made);
                enter(&run, ctx, sizeof(ctx), NULL, 0, maps, 1, 100);
                CHECK(bpfaot__sandbox_runtime_dynptr(&runtime_made) == NULL);
                CHECK_EQ(bpfaot_rt_callx(BPF_FUNC_dynptr_read, U(&out), 8, U(&runtime_made), 0, 0),
                         0);
                CHECK(out == 0x0001020304050607ull && !run.failed);
                CHECK(bpfaot__sandbox_runtime_dynptr(NULL) == &runtime_made);
                CHECK_EQ(bpfaot_rt_callx(BPF_FUNC_dynptr_read, U(&out), 8, U(&runtime_made), 0, 0),
                         (uint64_t)-EINVAL);
                CHECK(run.failed);
                bpfaot_rt_sandbox_leave(&run);
                CHECK(bpfaot_sandbox_fault(&f) && f.kind == BPFAOT_SANDBOX_DYNPTR);
        }

        bpfaot_map__free(map);
        printf("sandbox: ok\n");
        return 0;
}
