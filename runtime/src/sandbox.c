/* SPDX-License-Identifier: MIT */
/* Run-time checks of sandboxed programs (bpfaot/sandbox.h). */
#define _GNU_SOURCE
#include "bpfaot/sandbox.h"
#include "bpfaot/maps.h"
#include "bpfaot/runtime.h"
#include "sandbox_internal.h"
#include "dynptr_internal.h"

#include <inttypes.h>
#include <pthread.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The thread's innermost run, and its last fault (kept after the run for the host). */
static _Thread_local struct bpfaot_sandbox_run *current;
static _Thread_local struct bpfaot_sandbox_fault last_fault;
static _Thread_local bool last_failed;
/* What push returns outside any run: failed, so that the function returns at once. */
static _Thread_local struct bpfaot_sandbox_run no_run = {.failed = 1};

/* A fault's instruction before the call that caused it is known (bpfaot_rt_sandbox_locate). */
#define UNLOCATED BPFAOT_SANDBOX_NO_INSN

static bool inside(uint64_t addr, uint64_t size, uint64_t base, uint64_t len)
{
        return addr >= base && size <= len && addr - base <= len - size;
}

static uint32_t how_insn(uint64_t how)
{
        return (uint32_t)how;
}

static uint32_t how_kind(uint64_t how)
{
        return (uint32_t)(how >> 32) & 0xff;
}

static uint64_t fail(struct bpfaot_sandbox_run *run, uint64_t addr, uint64_t size, uint64_t how,
                     const char *section)
{
        if (run->failed)
                return 0; /* the first fault is the one reported */
        run->failed = 1;
        run->fault = (struct bpfaot_sandbox_fault){
            .kind = how_kind(how),
            .insn = how_insn(how),
            .addr = addr,
            .size = size,
            .helper = (uint32_t)(how >> 48),
            .arg = (uint32_t)(how >> 40) & BPFAOT_SANDBOX_ARG_NUM_MASK,
        };
        snprintf(run->fault.prog, sizeof(run->fault.prog), "%s", run->prog ? run->prog : "");
        snprintf(run->fault.section, sizeof(run->fault.section), "%s", section ? section : "");
        return 0;
}

void bpfaot_rt_sandbox_enter(struct bpfaot_sandbox_run *run, const char *prog, uint64_t ctx,
                             uint64_t ctx_size, const struct bpfaot_sandbox_region *data,
                             uint64_t data_cnt, void *const *maps, uint64_t map_cnt,
                             uint64_t max_loops)
{
        *run = (struct bpfaot_sandbox_run){
            .prog = prog,
            .ctx = ctx,
            .ctx_size = ctx_size,
            .data = data,
            .data_cnt = data_cnt,
            .maps = maps,
            .map_cnt = map_cnt,
            .max_loops = max_loops,
            .outer = current,
        };
        /* A tail call's iterations count against its caller's budget; its lock is held on. */
        if (current) {
                run->loops = current->loops;
                run->max_loops = current->max_loops;
                run->held_lock = current->held_lock;
        }
        if (!current)
                last_failed = false;
        current = run;
}

void bpfaot_rt_sandbox_leave(struct bpfaot_sandbox_run *run)
{
        /* Records still held (a run that failed, or forgot them) are discarded, not leaked. */
        for (uint64_t i = 0; i < run->record_cnt; i++)
                bpfaot_ringbuf__discard((void *)(uintptr_t)run->record_lo[i], 0);
        run->record_cnt = 0;
        /* A lock still held is released, so that no other run waits for it for ever. */
        if (run->held_lock) {
                uint64_t lock = run->held_lock;

                __atomic_store_n((uint32_t *)(uintptr_t)lock, 0, __ATOMIC_RELEASE);
                run->held_lock = 0;
                if (!run->failed) {
                        fail(run, lock, 0, BPFAOT_SANDBOX_HOW(0, BPFAOT_SANDBOX_LOCK_HELD, 0, 0),
                             NULL);
                        run->fault.insn = BPFAOT_SANDBOX_NO_INSN;
                }
        }
        current = run->outer;
        if (current) {
                current->loops = run->loops;
                current->held_lock = 0;
        }
        if (!run->failed)
                return;
        /* A tail call's fault is its caller's: the whole run ends. */
        if (current) {
                if (!current->failed) {
                        current->failed = 1;
                        current->fault = run->fault;
                }
                return;
        }
        last_fault = run->fault;
        last_failed = true;
}

struct bpfaot_sandbox_run *bpfaot_rt_sandbox_push(uint64_t lo, uint64_t hi, uint64_t how)
{
        struct bpfaot_sandbox_run *run = current;

        if (!run)
                return &no_run;
        if (run->failed)
                return run;
        if (run->depth >= BPFAOT_SANDBOX_MAX_FRAMES) {
                fail(run, 0, 0, how, NULL);
                run->fault.insn = UNLOCATED;
                return run;
        }
        run->frame_lo[run->depth] = lo;
        run->frame_hi[run->depth] = hi;
        run->depth++;
        return run;
}

void bpfaot_rt_sandbox_locate(struct bpfaot_sandbox_run *run, uint64_t how)
{
        if (run->failed && run->fault.insn == UNLOCATED)
                run->fault.insn = how_insn(how);
}

uint64_t bpfaot_rt_sandbox_budget(uint64_t loops, uint64_t how)
{
        struct bpfaot_sandbox_run *run = current;

        if (!run)
                return 1;
        if (run->failed)
                return 0;
        if ((int64_t)loops < 0) {
                uint64_t back = -loops;

                run->loops -= back < run->loops ? back : run->loops;
                return 1;
        }
        run->loops += loops;
        if (run->loops <= run->max_loops && run->loops >= loops)
                return 1;
        fail(run, 0, run->max_loops, BPFAOT_SANDBOX_HOW(how_insn(how), BPFAOT_SANDBOX_BUDGET, 0, 0),
             NULL);
        return 0;
}

uint64_t bpfaot_rt_sandbox_reserve(uint64_t loops, uint64_t batch)
{
        struct bpfaot_sandbox_run *run = current;

        if (!run)
                return 1;
        /* Taken but unused, they come back as a negative count: keep that far from 2^63. */
        if (run->failed || loops >= BPFAOT_SANDBOX_MAX_RESERVE ||
            batch >= BPFAOT_SANDBOX_MAX_RESERVE)
                return 0;
        loops += batch + 1;
        if (run->loops > run->max_loops || loops > run->max_loops - run->loops)
                return 0;
        run->loops += loops;
        return 1;
}

void bpfaot_rt_sandbox_pop(struct bpfaot_sandbox_run *run)
{
        if (run->depth)
                run->depth--;
}

/* A map of the program, or an inner map one of its maps of maps holds. */
static bool known_map(const struct bpfaot_sandbox_run *run, uint64_t p)
{
        for (uint64_t i = 0; i < run->map_cnt; i++)
                if ((uint64_t)(uintptr_t)run->maps[i] == p && p)
                        return true;
        for (uint64_t i = 0; i < run->map_cnt; i++) {
                struct bpfaot_map *outer = run->maps[i];
                const struct bpfaot_map_def *d = outer ? bpfaot_map__def(outer) : NULL;
                uint8_t key[64], next[64];
                bool first = true;

                if (!d ||
                    (d->type != BPF_MAP_TYPE_ARRAY_OF_MAPS &&
                     d->type != BPF_MAP_TYPE_HASH_OF_MAPS) ||
                    d->key_size > sizeof(key))
                        continue;
                while (bpfaot_map__get_next_key(outer, first ? NULL : key, next) == 0) {
                        if ((uint64_t)(uintptr_t)bpfaot_map__lookup_elem(outer, next) == p)
                                return true;
                        memcpy(key, next, d->key_size);
                        first = false;
                }
        }
        return false;
}

static bool is_ringbuf(const struct bpfaot_map *map)
{
        const struct bpfaot_map_def *d = map ? bpfaot_map__def(map) : NULL;

        return d && d->type == BPF_MAP_TYPE_RINGBUF;
}

bool bpfaot__sandbox_record_reserved(void *p, uint64_t size)
{
        struct bpfaot_sandbox_run *run = current;

        if (!run)
                return true;
        if (run->record_cnt == BPFAOT_SANDBOX_MAX_RECORDS)
                return false;
        run->record_lo[run->record_cnt] = (uint64_t)(uintptr_t)p;
        run->record_hi[run->record_cnt] = (uint64_t)(uintptr_t)p + size;
        run->record_cnt++;
        return true;
}

bool bpfaot__sandbox_record_release(void *p, uint32_t helper)
{
        struct bpfaot_sandbox_run *run = current;

        if (!run)
                return true;
        for (uint64_t i = 0; i < run->record_cnt; i++)
                if (run->record_lo[i] == (uint64_t)(uintptr_t)p) {
                        run->record_cnt--;
                        run->record_lo[i] = run->record_lo[run->record_cnt];
                        run->record_hi[i] = run->record_hi[run->record_cnt];
                        return true;
                }
        fail(run, (uint64_t)(uintptr_t)p, 0,
             BPFAOT_SANDBOX_HOW(0, BPFAOT_SANDBOX_RECORD, 1, helper), NULL);
        run->fault.insn = UNLOCATED; /* bpfaot_rt_sandbox_locate names the call */
        return false;
}

bool bpfaot__sandbox_lock(void *lock, bool take, uint32_t helper)
{
        struct bpfaot_sandbox_run *run = current;
        uint64_t p = (uint64_t)(uintptr_t)lock;

        if (!run)
                return true;
        if (take ? !run->held_lock : run->held_lock == p) {
                run->held_lock = take ? p : 0;
                return true;
        }
        fail(run, p, 0, BPFAOT_SANDBOX_HOW(0, BPFAOT_SANDBOX_LOCK, 1, helper), NULL);
        run->fault.insn = UNLOCATED; /* bpfaot_rt_sandbox_locate names the call */
        return false;
}

static bool on_stack(const struct bpfaot_sandbox_run *run, uint64_t addr, uint64_t size)
{
        for (uint32_t f = 0; f < run->depth; f++)
                if (inside(addr, size, run->frame_lo[f], run->frame_hi[f] - run->frame_lo[f]))
                        return true;
        return false;
}

/*
 * Is [addr, addr + size) the run's memory (writable, for a write)? *section
 * names the read-only section a write would reach, if that is why not.
 */
static bool region_ok(const struct bpfaot_sandbox_run *run, uint64_t addr, uint64_t size,
                      bool write, const char **section)
{
        *section = NULL;
        if (inside(addr, size, run->ctx, run->ctx_size) || on_stack(run, addr, size))
                return true;
        for (uint64_t r = 0; r < run->record_cnt; r++)
                if (inside(addr, size, run->record_lo[r], run->record_hi[r] - run->record_lo[r]))
                        return true;
        for (uint64_t d = 0; d < run->data_cnt; d++) {
                const struct bpfaot_sandbox_region *r = &run->data[d];

                if (!inside(addr, size, r->base, r->size))
                        continue;
                if (write && r->readonly) {
                        *section = r->name;
                        return false;
                }
                return true;
        }
        /* A ring buffer's memory is the program's only in the records it holds (above). */
        if (addr <= UINTPTR_MAX && size <= SIZE_MAX)
                for (uint64_t i = 0; i < run->map_cnt; i++)
                        if (!is_ringbuf(run->maps[i]) &&
                            bpfaot_map__owns(run->maps[i], (const void *)(uintptr_t)addr,
                                             (size_t)size))
                                return true;
        return false;
}

static uint64_t check_mem(struct bpfaot_sandbox_run *run, uint64_t addr, uint64_t size,
                          uint64_t how, bool write)
{
        const char *section;

        return region_ok(run, addr, size, write, &section) ? 1
                                                           : fail(run, addr, size, how, section);
}

/*
 * Whether [p, p + size) lies on this thread's stack, where the program's
 * frames are (private ones too, which the run does not list): no other
 * thread changes a dynptr there while a helper reads it.
 */
static bool on_thread_stack(const void *p, size_t size)
{
        static _Thread_local uintptr_t lo, hi;
        uintptr_t a = (uintptr_t)p;

        if (!hi) {
                pthread_attr_t attr;
                void *base;
                size_t len;

                if (pthread_getattr_np(pthread_self(), &attr) != 0)
                        return false;
                if (pthread_attr_getstack(&attr, &base, &len) == 0) {
                        lo = (uintptr_t)base;
                        hi = lo + len;
                }
                pthread_attr_destroy(&attr);
        }
        return a >= lo && a < hi && size <= hi - a;
}

/* The sample bpf_user_ringbuf_drain hands its callback: a dynptr of the runtime's own. */
static _Thread_local const void *runtime_dynptr;

const void *bpfaot__sandbox_runtime_dynptr(const void *p)
{
        const void *outer = runtime_dynptr;

        runtime_dynptr = p;
        return outer;
}

/* A fault of helper `helper`'s argument `arg`, which bpfaot_rt_sandbox_locate places at the call.
 */
static bool fail_arg(struct bpfaot_sandbox_run *run, uint64_t addr, uint32_t kind, unsigned arg,
                     uint32_t helper)
{
        fail(run, addr, 0, BPFAOT_SANDBOX_HOW(0, kind, arg, helper), NULL);
        run->fault.insn = UNLOCATED;
        return false;
}

bool bpfaot__sandbox_dynptr(const void *p, uint32_t helper, unsigned arg,
                            enum bpfaot_sandbox_dynptr_use use)
{
        struct bpfaot_sandbox_run *run = current;
        uint64_t addr = (uint64_t)(uintptr_t)p, data, end;
        struct bpfaot_dynptr d;
        const char *section;

        if (!run || (p && p == runtime_dynptr && use != BPFAOT_DYNPTR_RELEASE))
                return true;
        /* In the program's own frames (its memory, and on this thread's stack). */
        if (!on_thread_stack(p, sizeof(d)) || !region_ok(run, addr, sizeof(d), true, &section))
                return fail_arg(run, addr, BPFAOT_SANDBOX_DYNPTR, arg, helper);
        if (use == BPFAOT_DYNPTR_MAKE)
                return true;
        memcpy(&d, p, sizeof(d));
        data = (uint64_t)(uintptr_t)d.data;
        if (!data)
                return true; /* a NULL dynptr: the helpers refuse it, or do nothing */
        end = data + d.offset + bpfaot_dynptr_size(&d);
        if (bpfaot_dynptr_type(&d) == BPFAOT_DYNPTR_RINGBUF) {
                for (uint64_t i = 0; i < run->record_cnt; i++)
                        if (run->record_lo[i] == data && end >= data && end <= run->record_hi[i])
                                return use != BPFAOT_DYNPTR_RELEASE ||
                                       bpfaot__sandbox_record_release(d.data, helper);
                return fail_arg(run, data, BPFAOT_SANDBOX_RECORD, arg, helper);
        }
        if (bpfaot_dynptr_type(&d) == BPFAOT_DYNPTR_LOCAL && use != BPFAOT_DYNPTR_RELEASE &&
            end >= data &&
            region_ok(run, data, end - data,
                      use == BPFAOT_DYNPTR_WRITE && !bpfaot_dynptr_is_rdonly(&d), &section))
                return true;
        return fail_arg(run, addr, BPFAOT_SANDBOX_DYNPTR_MEM, arg, helper);
}

/* Bytes readable from `addr` in [base, base + len), at most n. */
static uint64_t room_in(uint64_t addr, uint64_t n, uint64_t base, uint64_t len)
{
        uint64_t room;

        if (addr < base || addr - base >= len)
                return 0;
        room = len - (addr - base);
        return room < n ? room : n;
}

static _Thread_local bpfaot_sandbox_readable_fn readable_fn;
static _Thread_local void *readable_ctx;

void bpfaot_sandbox_set_readable(bpfaot_sandbox_readable_fn fn, void *ctx)
{
        readable_fn = fn;
        readable_ctx = ctx;
}

size_t bpfaot__sandbox_readable(const void *p, size_t n)
{
        const struct bpfaot_sandbox_run *run = current;
        uint64_t addr = (uint64_t)(uintptr_t)p, best = 0;

        if (!run)
                return readable_fn ? readable_fn(readable_ctx, p, n) : n;
        best = room_in(addr, n, run->ctx, run->ctx_size);
        for (uint32_t f = 0; f < run->depth && best < n; f++) {
                uint64_t r =
                    room_in(addr, n, run->frame_lo[f], run->frame_hi[f] - run->frame_lo[f]);
                best = r > best ? r : best;
        }
        for (uint64_t i = 0; i < run->record_cnt && best < n; i++) {
                uint64_t r =
                    room_in(addr, n, run->record_lo[i], run->record_hi[i] - run->record_lo[i]);
                best = r > best ? r : best;
        }
        for (uint64_t d = 0; d < run->data_cnt && best < n; d++) {
                uint64_t r = room_in(addr, n, run->data[d].base, run->data[d].size);
                best = r > best ? r : best;
        }
        /* A map value: the longest prefix the map owns (owning is monotone in the length). */
        for (uint64_t i = 0; i < run->map_cnt && best < n; i++) {
                uint64_t lo = best, hi = n;

                if (is_ringbuf(run->maps[i]) || !bpfaot_map__owns(run->maps[i], p, (size_t)lo + 1))
                        continue;
                while (lo < hi) {
                        uint64_t mid = lo + (hi - lo + 1) / 2;

                        if (bpfaot_map__owns(run->maps[i], p, (size_t)mid))
                                lo = mid;
                        else
                                hi = mid - 1;
                }
                best = lo;
        }
        return (size_t)best;
}

/*
 * A constant string: in a read-only data section and NUL-terminated there,
 * so that nothing, not even another thread, can make the helper read past it.
 */
static uint64_t check_string(struct bpfaot_sandbox_run *run, uint64_t addr, uint64_t how)
{
        for (uint64_t d = 0; d < run->data_cnt; d++) {
                const struct bpfaot_sandbox_region *r = &run->data[d];

                if (r->readonly && addr >= r->base && addr - r->base < r->size &&
                    memchr((const void *)(uintptr_t)addr, 0, (size_t)(r->size - (addr - r->base))))
                        return 1;
        }
        return fail(run, addr, 0, how, NULL);
}

uint64_t bpfaot_rt_sandbox_check(struct bpfaot_sandbox_run *run, uint64_t addr, uint64_t size,
                                 uint64_t how)
{
        uint32_t arg = (uint32_t)(how >> 40) & 0xff;

        if (run->failed)
                return 0;
        if (arg & BPFAOT_SANDBOX_ARG_FAIL)
                return fail(run, addr, size, how, NULL);
        if (arg & (BPFAOT_SANDBOX_ARG_KEY_SIZED | BPFAOT_SANDBOX_ARG_VALUE_SIZED)) {
                const struct bpfaot_map_def *d;

                if (!known_map(run, size))
                        return fail(run, size, 0,
                                    (how & ~(UINT64_C(0xff) << 32)) | (uint64_t)BPFAOT_SANDBOX_MAP
                                                                          << 32,
                                    NULL);
                d = bpfaot_map__def((const struct bpfaot_map *)(uintptr_t)size);
                size = arg & BPFAOT_SANDBOX_ARG_KEY_SIZED ? d->key_size : d->value_size;
        }
        switch (how_kind(how)) {
        case BPFAOT_SANDBOX_LOAD:
                return check_mem(run, addr, size, how, false);
        case BPFAOT_SANDBOX_STORE:
        case BPFAOT_SANDBOX_ATOMIC:
                return check_mem(run, addr, size, how, true);
        case BPFAOT_SANDBOX_HELPER_READ: /* a helper given no bytes touches none */
                return size ? check_mem(run, addr, size, how, false) : 1;
        case BPFAOT_SANDBOX_HELPER_WRITE:
                return size ? check_mem(run, addr, size, how, true) : 1;
        case BPFAOT_SANDBOX_MAP:
                return known_map(run, addr) ? 1 : fail(run, addr, 0, how, NULL);
        case BPFAOT_SANDBOX_CTX:
                return addr == run->ctx ? 1 : fail(run, addr, 0, how, NULL);
        case BPFAOT_SANDBOX_STRING:
                return check_string(run, addr, how);
        default: /* a callback the compiled code found forged, or a kind this runtime lacks */
                return fail(run, addr, size, how, NULL);
        }
}

struct bpfaot__sandbox_scope {
        unsigned refs;
        const char *prog;
        struct bpfaot_sandbox_region *data;
        uint64_t data_cnt;
        void **maps;
        uint64_t map_cnt;
        uint64_t max_loops;
};

void bpfaot__sandbox_scope_put(struct bpfaot__sandbox_scope *s)
{
        if (!s || __atomic_sub_fetch(&s->refs, 1, __ATOMIC_ACQ_REL))
                return;
        free(s->data);
        free(s->maps);
        free(s);
}

void bpfaot__sandbox_scope_hold(struct bpfaot__sandbox_scope *s)
{
        __atomic_add_fetch(&s->refs, 1, __ATOMIC_RELAXED);
}

struct bpfaot__sandbox_scope *bpfaot__sandbox_scope_get(bool *nomem)
{
        const struct bpfaot_sandbox_run *run = current;
        struct bpfaot__sandbox_scope *s;

        *nomem = false;
        if (!run)
                return NULL;
        s = calloc(1, sizeof(*s));
        if (s) {
                *s = (struct bpfaot__sandbox_scope){.refs = 1,
                                                    .prog = run->prog,
                                                    .data_cnt = run->data_cnt,
                                                    .map_cnt = run->map_cnt,
                                                    .max_loops = run->max_loops};
                s->data = calloc(run->data_cnt ? run->data_cnt : 1, sizeof(*s->data));
                s->maps = calloc(run->map_cnt ? run->map_cnt : 1, sizeof(*s->maps));
        }
        if (!s || !s->data || !s->maps) {
                bpfaot__sandbox_scope_put(s);
                *nomem = true;
                return NULL;
        }
        if (run->data_cnt)
                memcpy(s->data, run->data, run->data_cnt * sizeof(*s->data));
        if (run->map_cnt)
                memcpy(s->maps, run->maps, run->map_cnt * sizeof(*s->maps));
        return s;
}

bool bpfaot__sandbox_run_callback(const struct bpfaot__sandbox_scope *s,
                                  uint64_t (*cb)(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t),
                                  uint64_t a, uint64_t b, uint64_t c, const void *mem,
                                  uint64_t size, struct bpfaot_sandbox_fault *fault)
{
        struct bpfaot_sandbox_run run;

        /* Not nested in a run of this thread: the callback's run is a run of its own. */
        struct bpfaot_sandbox_run *outer = current;

        current = NULL;
        bpfaot_rt_sandbox_enter(&run, s->prog, (uint64_t)(uintptr_t)mem, size, s->data, s->data_cnt,
                                s->maps, s->map_cnt, s->max_loops);
        cb(a, b, c, 0, 0);
        bpfaot_rt_sandbox_leave(&run);
        current = outer;
        if (!run.failed)
                return true;
        *fault = run.fault;
        return false;
}

bool bpfaot_sandbox_fault(struct bpfaot_sandbox_fault *out)
{
        if (last_failed && out)
                *out = last_fault;
        return last_failed;
}

void bpfaot_sandbox_fault_clear(void)
{
        last_failed = false;
}

/* The helper's name as the kernel has it, without bpf_. */
static const char *helper_name(uint32_t id, char *buf, size_t len)
{
        const struct bpfaot_rt_helper *h = bpfaot_rt_helper_find(id);

        if (h)
                return h->name;
        snprintf(buf, len, "%" PRIu32, id);
        return buf;
}

int bpfaot_sandbox_fault_str(const struct bpfaot_sandbox_fault *f, char *buf, size_t len)
{
        static const char *const access[BPFAOT_SANDBOX_KIND_CNT] = {
            [BPFAOT_SANDBOX_LOAD] = "load",
            [BPFAOT_SANDBOX_STORE] = "store",
            [BPFAOT_SANDBOX_ATOMIC] = "atomic access",
        };
        /* What a helper's argument should have been. */
        static const char *const not_what[BPFAOT_SANDBOX_KIND_CNT] = {
            [BPFAOT_SANDBOX_CALLBACK] = "one of the program's functions",
            [BPFAOT_SANDBOX_MAP] = "one of the program's maps",
            [BPFAOT_SANDBOX_CTX] = "the program's context",
            [BPFAOT_SANDBOX_RECORD] = BPFAOT_SANDBOX_RECORD_TEXT,
            [BPFAOT_SANDBOX_LOCK] = BPFAOT_SANDBOX_LOCK_TEXT,
            [BPFAOT_SANDBOX_STRING] = BPFAOT_SANDBOX_STRING_TEXT,
            [BPFAOT_SANDBOX_DYNPTR] = BPFAOT_SANDBOX_DYNPTR_TEXT,
        };
        char id[16];

        switch (f->kind) {
        case BPFAOT_SANDBOX_LOAD:
        case BPFAOT_SANDBOX_STORE:
        case BPFAOT_SANDBOX_ATOMIC:
                if (f->section[0])
                        return snprintf(buf, len, "%s to read-only global data (%s)",
                                        access[f->kind], f->section);
                return snprintf(buf, len, "out-of-bounds %s of %" PRIu64 " bytes at 0x%" PRIx64,
                                access[f->kind], f->size, f->addr);
        case BPFAOT_SANDBOX_HELPER_READ:
        case BPFAOT_SANDBOX_HELPER_WRITE: {
                const char *what = f->kind == BPFAOT_SANDBOX_HELPER_READ ? "read" : "write";
                const char *name = helper_name(f->helper, id, sizeof(id));

                if (f->section[0])
                        return snprintf(buf, len,
                                        "%s by helper %s (arg %" PRIu32
                                        ") to read-only global data (%s)",
                                        what, name, f->arg, f->section);
                return snprintf(buf, len,
                                "out-of-bounds %s by helper %s (arg %" PRIu32 ") of %" PRIu64
                                " bytes at 0x%" PRIx64,
                                what, name, f->arg, f->size, f->addr);
        }
        case BPFAOT_SANDBOX_CALLBACK:
        case BPFAOT_SANDBOX_MAP:
        case BPFAOT_SANDBOX_CTX:
        case BPFAOT_SANDBOX_RECORD:
        case BPFAOT_SANDBOX_LOCK:
        case BPFAOT_SANDBOX_STRING:
        case BPFAOT_SANDBOX_DYNPTR:
                return snprintf(buf, len, "helper %s (arg %" PRIu32 "): 0x%" PRIx64 " is not %s",
                                helper_name(f->helper, id, sizeof(id)), f->arg, f->addr,
                                not_what[f->kind]);
        case BPFAOT_SANDBOX_DYNPTR_MEM:
                return snprintf(buf, len,
                                "helper %s (arg %" PRIu32 "): " BPFAOT_SANDBOX_DYNPTR_MEM_FMT,
                                helper_name(f->helper, id, sizeof(id)), f->arg, f->addr);
        case BPFAOT_SANDBOX_LOCK_HELD:
                return snprintf(buf, len, BPFAOT_SANDBOX_LOCK_HELD_FMT, f->addr);
        case BPFAOT_SANDBOX_DEPTH:
                return snprintf(buf, len, "call chain deeper than %d frames",
                                BPFAOT_SANDBOX_MAX_FRAMES);
        case BPFAOT_SANDBOX_BUDGET:
                return snprintf(buf, len, "exceeded the limit of %" PRIu64 " loop iterations",
                                f->size);
        case BPFAOT_SANDBOX_HELPER:
                return snprintf(buf, len,
                                "callx of helper %" PRIu64 ", which a sandbox does not allow",
                                f->addr);
        default:
                return snprintf(buf, len, "sandbox fault of kind %" PRIu32, f->kind);
        }
}
