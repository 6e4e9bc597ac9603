/* SPDX-License-Identifier: MIT */
/*
 * Reference interpreter: an independent oracle for the compiler.
 *
 * It is meant to be obviously correct rather than fast: one small function
 * per instruction class, every memory access bounds checked against the
 * input memory or a live stack frame, no global state. Semantics follow
 * RFC 9669 and the Linux kernel (see the comments on each operation).
 *
 * Definitions the compiler must share (both engines must agree):
 *  - at entry r1 = mem, r2 = mem_len, r10 = top of the frame, all other
 *    registers are 0; every frame's stack starts zero-filled;
 *  - a local call passes r1-r5 and starts the callee with r0 = 0,
 *    r6-r9 = 0 and its own stack; on return r6-r9 and r10 are restored;
 *  - after any call (helper, callx or local) and LD_ABS/LD_IND, r1-r5 are 0.
 *
 * Callbacks (a function's address, lddw code_addr, handed to a helper such
 * as bpf_loop) are native thunks, one per callback of the program, that run
 * the function in a new frame of the run whose helper call is under way:
 * the one piece of state outside the run, a thread-local pointer to it.
 */
#include "internal.h"
#include "eval.h"
#include "helper_sigs.h"
#include "insn.h"
#include "program.h"
/* The interpreter checks dynptrs as the runtime lays them out (a header the runtime does not
 * install). */
#include "../../runtime/src/dynptr_internal.h"

#include <errno.h>
#include <linux/bpf.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the interpreter assumes a little-endian host (le/be and memory layout)"
#endif

/* Registers a local call saves for the caller. */
#define CALLEE_SAVED_FIRST 6
#define CALLEE_SAVED_CNT   4

struct frame {
        uint64_t saved[CALLEE_SAVED_CNT]; /* caller's r6-r9 */
        size_t ret_pc;                    /* caller's next instruction */
        bool callback;                    /* called by a helper: its exit ends a nested run */
};

/* Distinct callbacks a program may have in the interpreter (each needs a thunk). */
#define INTERP_MAX_CALLBACKS 16

/* Maps a run can name besides the program's own; past them a map looked up is not remembered. */
#define INTERP_MAX_MET_MAPS 64

struct vm {
        const struct program *program; /* validated: its relocations by instruction */
        const struct bpfaot_prog *prog;
        struct bpfaot_error *err;
        bpfaot_helper_lookup helper;
        void *helper_ctx;
        uint64_t max_steps;
        void (*cpu_enter)(void), (*cpu_exit)(void);
        void (*trace)(void *ctx, unsigned depth, size_t insn, const uint64_t regs[BPFAOT_NUM_REGS]);
        void *trace_ctx;

        uint8_t *mem;
        size_t mem_len;

        uint8_t **data; /* global data sections (prog->data) */
        bool own_data;  /* allocated here: free them at the end */
        void *const *maps;
        bool (*mem_ok)(void *ctx, uintptr_t addr, size_t size);
        void *mem_ok_ctx;
        uint64_t (*map_by_fd)(void *ctx, uint32_t imm);
        uint64_t (*map_value)(void *ctx, uint64_t map);
        void *map_ctx;

        uint8_t *stacks; /* BPFAOT_MAX_CALL_DEPTH frames of stack_size bytes */
        uint32_t stack_size;
        struct frame frames[BPFAOT_MAX_CALL_DEPTH];
        unsigned depth; /* live frames; 1 while running the entry */

        uint64_t reg[BPFAOT_NUM_REGS];
        size_t pc;
        bool done;
        uint64_t steps;

        uint64_t held_lock; /* the bpf_spin_lock the run holds (one at a time), or 0 */
        /* Maps the run met besides the program's own: by the host's id, or inner maps. */
        uint64_t met_maps[INTERP_MAX_MET_MAPS];
        unsigned met_map_cnt;
        /* The ring-buffer records the run holds: reserved, not yet submitted or discarded. */
        uint64_t record_lo[BPFAOT_SANDBOX_MAX_RECORDS], record_hi[BPFAOT_SANDBOX_MAX_RECORDS];
        unsigned record_cnt;

        const size_t *callbacks; /* the callbacks' first instructions, by thunk */
        size_t callback_cnt;
        int callback_err; /* a callback's run failed: the helper call fails with it */
};

#define FAIL(vm, code, ...)                                                                        \
        bpfaot_error_at((vm)->err, (vm)->prog, (long)(vm)->pc, code, __VA_ARGS__)

static const struct bpfaot_insn *cur(const struct vm *vm)
{
        return &vm->prog->insns[vm->pc];
}

/* ------------------------------------------------------------------ */
/* Memory                                                              */
/* ------------------------------------------------------------------ */

static bool range_inside(uintptr_t addr, size_t size, uintptr_t base, size_t len)
{
        return addr >= base && size <= len && addr - base <= len - size;
}

static uint8_t *frame_stack(const struct vm *vm, unsigned frame)
{
        return vm->stacks + (size_t)frame * vm->stack_size;
}

/* r10 of the innermost live frame: the top (end) of its stack. */
static uint64_t frame_top(const struct vm *vm)
{
        return (uint64_t)(uintptr_t)(frame_stack(vm, vm->depth - 1) + vm->stack_size);
}

/*
 * Host pointer for an access of `size` bytes at `addr`: inside the input
 * memory or inside one live stack frame, else an error.
 */
static int mem_access(struct vm *vm, uint64_t addr, unsigned size, const char *what, bool write,
                      uint8_t **p)
{
        uintptr_t a = (uintptr_t)addr;

        if (addr <= UINTPTR_MAX) {
                if (vm->mem && range_inside(a, size, (uintptr_t)vm->mem, vm->mem_len)) {
                        *p = vm->mem + (a - (uintptr_t)vm->mem);
                        return 0;
                }
                for (size_t d = 0; d < vm->prog->data_cnt; d++) {
                        const struct bpfaot_data_sec *sec = &vm->prog->data[d];
                        if (!range_inside(a, size, (uintptr_t)vm->data[d], sec->size))
                                continue;
                        if (sec->readonly && write)
                                return FAIL(vm, EFAULT, "%s to read-only global data (%s)", what,
                                            sec->name);
                        *p = vm->data[d] + (a - (uintptr_t)vm->data[d]);
                        return 0;
                }
                for (unsigned f = 0; f < vm->depth; f++) {
                        uint8_t *s = frame_stack(vm, f);
                        if (range_inside(a, size, (uintptr_t)s, vm->stack_size)) {
                                *p = s + (a - (uintptr_t)s);
                                return 0;
                        }
                }
                if (vm->mem_ok && vm->mem_ok(vm->mem_ok_ctx, a, size)) {
                        *p = (uint8_t *)a;
                        return 0;
                }
        }
        return FAIL(vm, EFAULT, "out-of-bounds %s of %u bytes at 0x%" PRIx64, what, size, addr);
}

static uint64_t load_le(const uint8_t *p, unsigned size)
{
        uint8_t b;
        uint16_t h;
        uint32_t w;
        uint64_t d;

        switch (size) {
        case 1:
                memcpy(&b, p, 1);
                return b;
        case 2:
                memcpy(&h, p, 2);
                return h;
        case 4:
                memcpy(&w, p, 4);
                return w;
        default:
                memcpy(&d, p, 8);
                return d;
        }
}

static void store_le(uint8_t *p, unsigned size, uint64_t v)
{
        uint8_t b = (uint8_t)v;
        uint16_t h = (uint16_t)v;
        uint32_t w = (uint32_t)v;

        switch (size) {
        case 1:
                memcpy(p, &b, 1);
                break;
        case 2:
                memcpy(p, &h, 2);
                break;
        case 4:
                memcpy(p, &w, 4);
                break;
        default:
                memcpy(p, &v, 8);
                break;
        }
}

static int exec_alu(struct vm *vm)
{
        const struct bpfaot_insn *insn = cur(vm);

        vm->reg[insn->dst] = eval_alu(insn, vm->reg[insn->dst], vm->reg[insn->src]);
        vm->pc++;
        return 0;
}

/* ------------------------------------------------------------------ */
/* Jumps and calls                                                     */
/* ------------------------------------------------------------------ */

static int exec_cond_jmp(struct vm *vm)
{
        const struct bpfaot_insn *insn = cur(vm);

        if (eval_jump(insn, vm->reg[insn->dst], vm->reg[insn->src]))
                vm->pc = (size_t)insn_jump_target(insn, vm->pc);
        else
                vm->pc++;
        return 0;
}

/* The run whose helper call is under way on this thread: what callbacks run in. */
static _Thread_local struct vm *helper_caller;

static int run(struct vm *vm);

static bool is_thunk(const struct vm *vm, uint64_t fn);

/*
 * Ring-buffer records and dynptrs. The helpers trust what they are given:
 * a record to submit or discard, a dynptr's data pointer. A run may hand
 * over only records it holds (reserved, not yet submitted or discarded: at
 * most BPFAOT_SANDBOX_MAX_RECORDS, as in a sandbox) and dynptrs on its own
 * stack (as the kernel's verifier asks, so no other thread can change them)
 * whose memory is its own or a record it holds.
 */
static int record_find(const struct vm *vm, uint64_t p)
{
        for (unsigned i = 0; i < vm->record_cnt; i++)
                if (vm->record_lo[i] == p)
                        return (int)i;
        return -1;
}

static void record_drop(struct vm *vm, int i)
{
        vm->record_cnt--;
        vm->record_lo[i] = vm->record_lo[vm->record_cnt];
        vm->record_hi[i] = vm->record_hi[vm->record_cnt];
}

static void record_add(struct vm *vm, uint64_t p, uint64_t size)
{
        vm->record_lo[vm->record_cnt] = p;
        vm->record_hi[vm->record_cnt] = p + size;
        vm->record_cnt++;
}

static bool on_stack(const struct vm *vm, uint64_t addr, size_t size)
{
        for (unsigned f = 0; addr <= UINTPTR_MAX && f < vm->depth; f++)
                if (range_inside((uintptr_t)addr, size, (uintptr_t)frame_stack(vm, f),
                                 vm->stack_size))
                        return true;
        return false;
}

static int record_not_held(struct vm *vm, const char *helper, unsigned arg, uint64_t p)
{
        return FAIL(vm, EFAULT,
                    "helper %s (arg %u): 0x%" PRIx64 " is not " BPFAOT_SANDBOX_RECORD_TEXT, helper,
                    arg, p);
}

/* A dynptr the helper reads (arg `arg`, at `addr`): on the stack, its memory the run's own. */
static int check_dynptr(struct vm *vm, const struct helper_sig *sig, unsigned arg, uint64_t addr,
                        bool release)
{
        struct bpfaot_dynptr d;
        uint64_t data, end;
        uint8_t *p;
        int i;

        if (!on_stack(vm, addr, sizeof(d)))
                return FAIL(vm, EFAULT,
                            "helper %s (arg %u): 0x%" PRIx64 " is not " BPFAOT_SANDBOX_DYNPTR_TEXT,
                            sig->name, arg, addr);
        memcpy(&d, (const void *)(uintptr_t)addr, sizeof(d));
        data = (uint64_t)(uintptr_t)d.data;
        if (!data)
                return 0; /* a NULL dynptr: the helpers refuse it, or do nothing */
        end = data + d.offset + bpfaot_dynptr_size(&d);
        if (bpfaot_dynptr_type(&d) == BPFAOT_DYNPTR_RINGBUF) {
                i = record_find(vm, data);
                if (i < 0 || end < data || end > vm->record_hi[i])
                        return record_not_held(vm, sig->name, arg, data);
                if (release)
                        record_drop(vm, i);
                return 0;
        }
        if (bpfaot_dynptr_type(&d) == BPFAOT_DYNPTR_LOCAL && !release && end >= data &&
            end - data <= UINT32_MAX &&
            (end == data || mem_access(vm, data, (unsigned)(end - data), "dynptr",
                                       !bpfaot_dynptr_is_rdonly(&d), &p) == 0))
                return 0;
        return FAIL(vm, EFAULT, "helper %s (arg %u): " BPFAOT_SANDBOX_DYNPTR_MEM_FMT, sig->name,
                    arg, addr);
}

/* Records and dynptrs before helper `id` runs (see above). */
static int check_records(struct vm *vm, const struct helper_sig *sig, uint32_t id)
{
        const uint64_t *r = vm->reg;
        int i;

        for (unsigned a = 0; a < HELPER_MAX_ARGS; a++) {
                enum helper_arg k = sig->args[a];
                int rc = 0;

                if (k == HELPER_ARG_DYNPTR || k == HELPER_ARG_DYNPTR_RELEASE)
                        rc = check_dynptr(vm, sig, a + 1, r[a + 1], k == HELPER_ARG_DYNPTR_RELEASE);
                else if (k == HELPER_ARG_DYNPTR_OUT &&
                         !on_stack(vm, r[a + 1], sizeof(struct bpf_dynptr)))
                        rc = FAIL(vm, EFAULT,
                                  "helper %s (arg %u): 0x%" PRIx64
                                  " is not " BPFAOT_SANDBOX_DYNPTR_TEXT,
                                  sig->name, a + 1, r[a + 1]);
                if (rc)
                        return rc;
        }
        if ((id == BPF_FUNC_ringbuf_submit || id == BPF_FUNC_ringbuf_discard) && r[1]) {
                i = record_find(vm, r[1]);
                if (i < 0)
                        return record_not_held(vm, sig->name, 1, r[1]);
                record_drop(vm, i);
        }
        return 0;
}

/* After helper `id` returned r0: the records it reserved are the run's. */
static void note_records(struct vm *vm, uint32_t id, const uint64_t args[6], uint64_t r0)
{
        struct bpfaot_dynptr d;

        if (id == BPF_FUNC_ringbuf_reserve && r0)
                record_add(vm, r0, args[2]);
        if (id == BPF_FUNC_ringbuf_reserve_dynptr && r0 == 0) {
                memcpy(&d, (const void *)(uintptr_t)args[4], sizeof(d));
                if (d.data)
                        record_add(vm, (uint64_t)(uintptr_t)d.data, bpfaot_dynptr_size(&d));
        }
}

/*
 * A map argument: one of the program's maps, one the host gave by id, or
 * an inner map the run looked up in one of the program's maps of maps; any
 * other pointer would reach the runtime as a map.
 */
static bool known_map(const struct vm *vm, uint64_t p)
{
        for (size_t m = 0; p && vm->maps && m < vm->prog->map_cnt; m++)
                if ((uint64_t)(uintptr_t)vm->maps[m] == p)
                        return true;
        for (unsigned i = 0; p && i < vm->met_map_cnt; i++)
                if (vm->met_maps[i] == p)
                        return true;
        return false;
}

static void meet_map(struct vm *vm, uint64_t p)
{
        if (!known_map(vm, p) && vm->met_map_cnt < INTERP_MAX_MET_MAPS)
                vm->met_maps[vm->met_map_cnt++] = p;
}

/* After a lookup in one of the program's maps of maps: the inner map it found. */
static void note_inner_map(struct vm *vm, const uint64_t args[6], uint64_t r0)
{
        for (size_t m = 0; r0 && vm->maps && m < vm->prog->map_cnt; m++) {
                uint32_t type = vm->prog->maps[m].type;

                if ((uint64_t)(uintptr_t)vm->maps[m] == args[1] &&
                    (type == BPF_MAP_TYPE_ARRAY_OF_MAPS || type == BPF_MAP_TYPE_HASH_OF_MAPS))
                        meet_map(vm, r0);
        }
}

/* A constant string, as the kernel's verifier asks: NUL-terminated in a read-only data section. */
static bool const_string(const struct vm *vm, uint64_t addr)
{
        for (size_t d = 0; addr <= UINTPTR_MAX && d < vm->prog->data_cnt; d++) {
                uintptr_t base = (uintptr_t)vm->data[d], a = (uintptr_t)addr;
                size_t size = vm->prog->data[d].size;

                if (vm->prog->data[d].readonly && a >= base && a - base < size &&
                    memchr(vm->data[d] + (a - base), 0, size - (a - base)))
                        return true;
        }
        return false;
}

/*
 * A helper's arguments against its signature (helper_sigs.h), before it
 * runs: memory it reads or writes, of the size the next argument or the
 * kind gives, must be memory the program may access (as its own loads and
 * stores), a callback one of the program's functions. Memory sized by a
 * map's key or value is checked when the map is one of the program's own
 * (an inner map's sizes, or those of a host's map by id, are not known here).
 */
static int check_helper_args(struct vm *vm, uint32_t id)
{
        const struct helper_sig *sig = helper_sig_find(id);
        const uint64_t *r = vm->reg;
        const struct bpfaot_map_desc *map = NULL;

        for (unsigned i = 0; sig && vm->maps && i < HELPER_MAX_ARGS; i++)
                for (size_t m = 0; sig->args[i] == HELPER_ARG_MAP && m < vm->prog->map_cnt; m++)
                        if (vm->maps[m] && r[i + 1] == (uint64_t)(uintptr_t)vm->maps[m])
                                map = &vm->prog->maps[m];

        for (unsigned i = 0; sig && i < HELPER_MAX_ARGS; i++) {
                const struct helper_arg_info *info = helper_arg_info(sig->args[i]);
                uint64_t addr = r[i + 1], size;
                char what[96];
                uint8_t *p;
                int rc;

                if (!info)
                        break;
                if (sig->args[i] == HELPER_ARG_MAP) {
                        if (!known_map(vm, addr))
                                return FAIL(vm, EFAULT,
                                            "helper %s (arg %u): 0x%" PRIx64
                                            " is not one of the program's maps",
                                            sig->name, i + 1, addr);
                        continue;
                }
                if (sig->args[i] == HELPER_ARG_FUNC) {
                        if (addr && !is_thunk(vm, addr))
                                return FAIL(vm, EFAULT,
                                            "helper %s (arg %u): 0x%" PRIx64
                                            " is not one of the program's functions",
                                            sig->name, i + 1, addr);
                        continue;
                }
                if (sig->args[i] == HELPER_ARG_CONST_STR) {
                        if (!const_string(vm, addr))
                                return FAIL(vm, EFAULT,
                                            "helper %s (arg %u): 0x%" PRIx64
                                            " is not " BPFAOT_SANDBOX_STRING_TEXT,
                                            sig->name, i + 1, addr);
                        continue;
                }
                /* bpf_probe_write_user(dst, src, len): dst must be the program's, as memory. */
                if (id == BPF_FUNC_probe_write_user && i == 0) {
                        snprintf(what, sizeof(what), "write by helper %s (arg 1)", sig->name);
                        if (r[3] > UINT32_MAX)
                                return FAIL(vm, EFAULT,
                                            "out-of-bounds %s of %" PRIu64 " bytes at 0x%" PRIx64,
                                            what, r[3], addr);
                        rc = r[3] ? mem_access(vm, addr, (unsigned)r[3], what, true, &p) : 0;
                        if (rc)
                                return rc;
                        continue;
                }
                if (!(info->flags & HELPER_ARGF_PTR) ||
                    (!addr && info->flags & HELPER_ARGF_NULL_OK))
                        continue;
                if (info->flags & HELPER_ARGF_SIZED_BY_NEXT)
                        size = i + 1 < HELPER_MAX_ARGS ? r[i + 2] : 0;
                else if (info->flags & HELPER_ARGF_KEY_SIZED)
                        size = map ? map->key_size : 0;
                else if (info->flags & HELPER_ARGF_VALUE_SIZED)
                        size = map ? map->value_size : 0;
                else
                        size = info->fixed_size;
                if (!size)
                        continue;
                snprintf(what, sizeof(what), "%s by helper %s (arg %u)",
                         info->flags & HELPER_ARGF_WRITES ? "write" : "read", sig->name, i + 1);
                if (size > UINT32_MAX)
                        return FAIL(vm, EFAULT,
                                    "out-of-bounds %s of %" PRIu64 " bytes at 0x%" PRIx64, what,
                                    size, addr);
                rc = mem_access(vm, addr, (unsigned)size, what,
                                (info->flags & HELPER_ARGF_WRITES) != 0, &p);
                if (rc)
                        return rc;
        }
        if (sig) {
                int rc = check_records(vm, sig, id);

                if (rc)
                        return rc;
        }
        /* One spin lock at a time, released only by its holder: a second would wait for ever. */
        if (id == BPF_FUNC_spin_lock || id == BPF_FUNC_spin_unlock) {
                bool take = id == BPF_FUNC_spin_lock;

                if (take ? vm->held_lock : vm->held_lock != r[1])
                        return FAIL(vm, EFAULT,
                                    "helper %s (arg 1): 0x%" PRIx64
                                    " is not " BPFAOT_SANDBOX_LOCK_TEXT,
                                    sig->name, r[1]);
                vm->held_lock = take ? r[1] : 0;
        }
        return 0;
}

/* Call a helper by id with r1-r5; r0 = result, r1-r5 = 0. */
static int call_helper(struct vm *vm, uint64_t id)
{
        bpfaot_helper_fn fn = NULL;
        uint64_t *r = vm->reg;

        if (id <= UINT32_MAX && vm->helper)
                fn = vm->helper(vm->helper_ctx, (uint32_t)id);
        if (!fn)
                return FAIL(vm, ENOENT, "unknown helper id %" PRIu64, id);
        {
                int rc = check_helper_args(vm, (uint32_t)id);

                if (rc)
                        return rc;
        }
        {
                struct vm *outer = helper_caller;
                uint64_t r0, args[6];

                memcpy(args, r, sizeof(args));
                /* A run holds at most so many records: past them the ring is "full", as in a
                 * sandbox. */
                if ((id == BPF_FUNC_ringbuf_reserve || id == BPF_FUNC_ringbuf_reserve_dynptr) &&
                    vm->record_cnt == BPFAOT_SANDBOX_MAX_RECORDS) {
                        if (id == BPF_FUNC_ringbuf_reserve_dynptr)
                                memset((void *)(uintptr_t)r[4], 0, sizeof(struct bpf_dynptr));
                        r[0] = id == BPF_FUNC_ringbuf_reserve ? 0 : (uint64_t)-EINVAL;
                } else {
                        helper_caller = vm;
                        r0 = fn(r[1], r[2], r[3], r[4], r[5]);
                        helper_caller = outer;
                        if (vm->callback_err)
                                return vm->callback_err;
                        r[0] = r0;
                        note_records(vm, (uint32_t)id, args, r0);
                        if (id == BPF_FUNC_map_lookup_elem)
                                note_inner_map(vm, args, r0);
                }
        }
        memset(&r[1], 0, 5 * sizeof(r[0]));
        vm->pc++;
        return 0;
}

/* Bytes from addr inside [base, base + len), at most n. */
static size_t room_in(uintptr_t addr, size_t n, uintptr_t base, size_t len)
{
        size_t room;

        if (addr < base || addr - base >= len)
                return 0;
        room = len - (addr - base);
        return room < n ? room : n;
}

size_t bpfaot_interp_readable(void *ctx, const void *p, size_t n)
{
        const struct vm *vm = helper_caller;
        uintptr_t a = (uintptr_t)p;
        size_t best = 0, r;

        (void)ctx;
        if (!vm)
                return n;
        if (vm->mem)
                best = room_in(a, n, (uintptr_t)vm->mem, vm->mem_len);
        for (size_t d = 0; d < vm->prog->data_cnt && best < n; d++) {
                r = room_in(a, n, (uintptr_t)vm->data[d], vm->prog->data[d].size);
                best = r > best ? r : best;
        }
        for (unsigned f = 0; f < vm->depth && best < n; f++) {
                r = room_in(a, n, (uintptr_t)frame_stack(vm, f), vm->stack_size);
                best = r > best ? r : best;
        }
        /* What mem_ok allows (map values): the longest prefix, allowing being monotone. */
        if (vm->mem_ok && best < n && vm->mem_ok(vm->mem_ok_ctx, a, best + 1)) {
                size_t lo = best + 1, hi = n;

                while (lo < hi) {
                        size_t mid = lo + (hi - lo + 1) / 2;

                        if (vm->mem_ok(vm->mem_ok_ctx, a, mid))
                                lo = mid;
                        else
                                hi = mid - 1;
                }
                best = lo;
        }
        return best;
}

/* A new frame with its own zeroed stack, entered at `target`; r1-r5 pass through, r0 and r6-r9 are
 * 0. */
static int push_frame(struct vm *vm, size_t ret_pc, size_t target, bool callback)
{
        struct frame *f;

        if (vm->depth >= BPFAOT_MAX_CALL_DEPTH)
                return FAIL(vm, E2BIG, "call chain deeper than %d frames", BPFAOT_MAX_CALL_DEPTH);
        f = &vm->frames[vm->depth];
        memcpy(f->saved, &vm->reg[CALLEE_SAVED_FIRST], sizeof(f->saved));
        f->ret_pc = ret_pc;
        f->callback = callback;
        memset(frame_stack(vm, vm->depth), 0, vm->stack_size);
        vm->depth++;
        memset(&vm->reg[CALLEE_SAVED_FIRST], 0, sizeof(f->saved));
        vm->reg[0] = 0;
        vm->reg[BPFAOT_REG_FP] = frame_top(vm);
        vm->pc = target;
        return 0;
}

static int call_local(struct vm *vm)
{
        return push_frame(vm, vm->pc + 1, (size_t)insn_call_target(cur(vm), vm->pc), false);
}

/*
 * Callback k of the run under way on this thread, called by a helper with
 * r1-r5: run it in a new frame to its exit and give its r0. A failure
 * stops the helper's walk (nonzero) and fails its call (callback_err).
 */
static uint64_t run_callback(unsigned k, uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4,
                             uint64_t r5)
{
        struct vm *vm = helper_caller;
        uint64_t saved[BPFAOT_NUM_REGS], r0;
        size_t pc;
        int rc;

        if (!vm || vm->callback_err || k >= vm->callback_cnt)
                return 1;
        memcpy(saved, vm->reg, sizeof(saved));
        pc = vm->pc;
        vm->reg[1] = r1, vm->reg[2] = r2, vm->reg[3] = r3, vm->reg[4] = r4, vm->reg[5] = r5;
        helper_caller = NULL; /* the callback's own helper calls set it again */
        rc = push_frame(vm, pc, vm->callbacks[k], true) ?: run(vm);
        helper_caller = vm;
        r0 = vm->reg[0];
        vm->done = false;
        memcpy(vm->reg, saved, sizeof(saved));
        vm->pc = pc;
        if (rc) {
                vm->callback_err = rc;
                return 1;
        }
        return r0;
}

#define THUNK(k)                                                                                   \
        static uint64_t thunk_##k(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5) \
        {                                                                                          \
                return run_callback(k, r1, r2, r3, r4, r5);                                        \
        }
THUNK(0)
THUNK(1)
THUNK(2)
THUNK(3)
THUNK(4)
THUNK(5)
THUNK(6)
THUNK(7)
THUNK(8)
THUNK(9)
THUNK(10)
THUNK(11)
THUNK(12)
THUNK(13)
THUNK(14)
THUNK(15)
static uint64_t (*const thunks[INTERP_MAX_CALLBACKS])(uint64_t, uint64_t, uint64_t, uint64_t,
                                                      uint64_t) = {
    thunk_0, thunk_1, thunk_2,  thunk_3,  thunk_4,  thunk_5,  thunk_6,  thunk_7,
    thunk_8, thunk_9, thunk_10, thunk_11, thunk_12, thunk_13, thunk_14, thunk_15,
};

/* Whether fn is the thunk of one of the run's callbacks (what lddw code_addr gave it). */
static bool is_thunk(const struct vm *vm, uint64_t fn)
{
        for (size_t k = 0; k < vm->callback_cnt; k++)
                if (fn == (uint64_t)(uintptr_t)thunks[k])
                        return true;
        return false;
}

static int exec_call(struct vm *vm)
{
        const struct bpfaot_insn *insn = cur(vm);
        const struct bpfaot_reloc *rel;

        if (insn_is_reg_src(insn)) /* callx: helper id in the dst register */
                return call_helper(vm, vm->reg[insn->dst]);
        switch (insn->src) {
        case BPFAOT_CALL_HELPER:
                rel = program_reloc(vm->program, vm->pc);
                if (rel)
                        return FAIL(vm, ENOTSUP,
                                    "call of extern function '%s' is not supported by the "
                                    "interpreter",
                                    rel->name ? rel->name : "?");
                return call_helper(vm, (uint64_t)(uint32_t)insn->imm);
        case BPFAOT_CALL_LOCAL:
                return call_local(vm);
        default:
                return FAIL(vm, ENOTSUP, "kfunc calls are not supported by the interpreter");
        }
}

/* Return from a local call, or finish the program from the entry frame. */
static int exec_exit(struct vm *vm)
{
        struct frame *f;

        if (vm->depth == 1) {
                if (vm->held_lock) /* released by the caller of run() */
                        return FAIL(vm, EFAULT, BPFAOT_SANDBOX_LOCK_HELD_FMT, vm->held_lock);
                vm->done = true;
                return 0;
        }
        vm->depth--;
        f = &vm->frames[vm->depth];
        if (f->callback) { /* back to the helper that called it (run_callback restores) */
                vm->reg[BPFAOT_REG_FP] = frame_top(vm);
                vm->done = true;
                return 0;
        }
        memcpy(&vm->reg[CALLEE_SAVED_FIRST], f->saved, sizeof(f->saved));
        memset(&vm->reg[1], 0, 5 * sizeof(vm->reg[0]));
        vm->reg[BPFAOT_REG_FP] = frame_top(vm);
        vm->pc = f->ret_pc;
        return 0;
}

static int exec_jmp(struct vm *vm)
{
        const struct bpfaot_insn *insn = cur(vm);

        switch (insn_op(insn)) {
        case BPFAOT_JMP_JA: /* ja (off) or gotol (JMP32, imm) */
                vm->pc = (size_t)insn_jump_target(insn, vm->pc);
                return 0;
        case BPFAOT_JMP_CALL:
                return exec_call(vm);
        case BPFAOT_JMP_EXIT:
                return exec_exit(vm);
        default:
                return exec_cond_jmp(vm);
        }
}

/* ------------------------------------------------------------------ */
/* Loads and stores                                                    */
/* ------------------------------------------------------------------ */

/*
 * LD_ABS/LD_IND, as the kernel's bpf_skb_load_helper_{8,16,32}: the packet
 * is the input memory; the offset is imm (ABS) or (int32_t)(src + imm)
 * (IND). Outside [0, mem_len) the function returns 0 at once; else r0 =
 * the bytes in network (big-endian) order. r1-r5 are 0 after it, as after
 * a call.
 */
static int exec_packet_load(struct vm *vm)
{
        const struct bpfaot_insn *insn = cur(vm);
        unsigned size = insn_size_bytes(insn_size_field(insn));
        int64_t off = insn->imm;
        uint64_t v = 0;

        if (insn_mode(insn) == BPFAOT_MODE_IND)
                off = (int32_t)(uint32_t)(vm->reg[insn->src] + (uint64_t)(int64_t)insn->imm);
        memset(&vm->reg[1], 0, 5 * sizeof(vm->reg[0]));
        if (off < 0 || (uint64_t)off + size > vm->mem_len) {
                vm->reg[0] = 0;
                return exec_exit(vm);
        }
        for (unsigned i = 0; i < size; i++)
                v = v << 8 | vm->mem[off + i];
        vm->reg[0] = v;
        vm->pc++;
        return 0;
}

static int exec_ld(struct vm *vm)
{
        const struct bpfaot_insn *insn = cur(vm);

        const struct bpfaot_reloc *rel = program_reloc(vm->program, vm->pc);

        if (insn_is_packet_load(insn))
                return exec_packet_load(vm);

        if (rel && rel->kind == BPFAOT_RELOC_MAP) {
                if (!vm->maps)
                        return FAIL(vm, ENOTSUP, "map '%s' without maps (bpfaot_interp_opts.maps)",
                                    rel->name ? rel->name : "?");
                vm->reg[insn->dst] = (uint64_t)(uintptr_t)vm->maps[rel->data_sec];
                vm->pc += 2;
                return 0;
        }
        if (rel && rel->kind == BPFAOT_RELOC_DATA) {
                vm->reg[insn->dst] = (uint64_t)(uintptr_t)(vm->data[rel->data_sec] + rel->offset);
                vm->pc += 2;
                return 0;
        }
        /* A map by the host's id or descriptor, as compiled code asks __lddw_helper_map_by_fd. */
        if ((insn->src == BPFAOT_LDDW_MAP_FD || insn->src == BPFAOT_LDDW_MAP_VAL) &&
            vm->map_by_fd && vm->map_value) {
                uint64_t map = vm->map_by_fd(vm->map_ctx, (uint32_t)insn->imm);

                if (!map)
                        return FAIL(vm, ENOENT, "no map %u", (unsigned)insn->imm);
                meet_map(vm, map);
                vm->reg[insn->dst] = insn->src == BPFAOT_LDDW_MAP_FD
                                         ? map
                                         : vm->map_value(vm->map_ctx, map) + (uint32_t)insn[1].imm;
                vm->pc += 2;
                return 0;
        }
        if (insn->src == BPFAOT_LDDW_CODE_ADDR) {
                long t = insn_code_addr_target(insn, vm->pc, vm->prog->insn_cnt);

                for (size_t k = 0; t >= 0 && k < vm->callback_cnt; k++)
                        if (vm->callbacks[k] == (size_t)t) {
                                vm->reg[insn->dst] = (uint64_t)(uintptr_t)thunks[k];
                                vm->pc += 2;
                                return 0;
                        }
                return FAIL(vm, ENOTSUP,
                            "more than %d callbacks are not supported by the interpreter",
                            INTERP_MAX_CALLBACKS);
        }
        /* The validator admits only lddw in this class. */
        if (insn->src != BPFAOT_LDDW_IMM64)
                return FAIL(vm, ENOTSUP,
                            "lddw pseudo source %u is not supported by the interpreter", insn->src);
        vm->reg[insn->dst] = (uint64_t)(uint32_t)insn->imm | (uint64_t)(uint32_t)insn[1].imm << 32;
        vm->pc += 2;
        return 0;
}

static int exec_ldx(struct vm *vm)
{
        const struct bpfaot_insn *insn = cur(vm);
        unsigned size = insn_size_bytes(insn_size_field(insn));
        uint64_t addr = vm->reg[insn->src] + (uint64_t)(int64_t)insn->off;
        uint8_t *p = NULL;
        uint64_t v;
        int ret = mem_access(vm, addr, size, "load", false, &p);

        if (ret)
                return ret;
        v = load_le(p, size);
        if (insn_mode(insn) == BPFAOT_MODE_MEMSX)
                v = eval_sext(v, size * 8);
        vm->reg[insn->dst] = v;
        vm->pc++;
        return 0;
}

/* ST stores the immediate (sign-extended to 64 bits, then truncated to the size). */
static int exec_st(struct vm *vm)
{
        const struct bpfaot_insn *insn = cur(vm);
        unsigned size = insn_size_bytes(insn_size_field(insn));
        uint64_t addr = vm->reg[insn->dst] + (uint64_t)(int64_t)insn->off;
        uint8_t *p = NULL;
        int ret = mem_access(vm, addr, size, "store", true, &p);

        if (ret)
                return ret;
        store_le(p, size, (uint64_t)(int64_t)insn->imm);
        vm->pc++;
        return 0;
}

/* Atomic read-modify-write; FETCH forms, xchg and cmpxchg return the old value. */
static void exec_atomic(struct vm *vm, uint8_t *p, unsigned size)
{
        const struct bpfaot_insn *insn = cur(vm);
        uint64_t mask = size == 4 ? UINT32_MAX : UINT64_MAX;
        uint64_t old = load_le(p, size);
        uint64_t src = vm->reg[insn->src] & mask;
        uint64_t val;

        switch (insn->imm & ~BPFAOT_ATOMIC_FETCH) {
        case BPFAOT_ATOMIC_ADD:
                val = old + src;
                break;
        case BPFAOT_ATOMIC_OR:
                val = old | src;
                break;
        case BPFAOT_ATOMIC_AND:
                val = old & src;
                break;
        case BPFAOT_ATOMIC_XOR:
                val = old ^ src;
                break;
        case BPFAOT_ATOMIC_XCHG & ~BPFAOT_ATOMIC_FETCH:
                val = src;
                break;
        default: /* CMPXCHG: compare with r0 */
                val = old == (vm->reg[0] & mask) ? src : old;
                store_le(p, size, val);
                vm->reg[0] = old;
                return;
        }
        store_le(p, size, val);
        if (insn->imm & BPFAOT_ATOMIC_FETCH)
                vm->reg[insn->src] = old;
}

static int exec_stx(struct vm *vm)
{
        const struct bpfaot_insn *insn = cur(vm);
        unsigned size = insn_size_bytes(insn_size_field(insn));
        bool atomic = insn_mode(insn) == BPFAOT_MODE_ATOMIC;
        uint64_t addr = vm->reg[insn->dst] + (uint64_t)(int64_t)insn->off;
        uint8_t *p = NULL;
        int ret = mem_access(vm, addr, size, atomic ? "atomic access" : "store", true, &p);

        if (ret)
                return ret;
        if (atomic)
                exec_atomic(vm, p, size);
        else
                store_le(p, size, vm->reg[insn->src]);
        vm->pc++;
        return 0;
}

/* ------------------------------------------------------------------ */
/* Driver                                                              */
/* ------------------------------------------------------------------ */

typedef int (*exec_fn)(struct vm *vm);

/* clang-format off */
static const exec_fn exec_by_class[8] = {
        [BPFAOT_CLASS_LD] = exec_ld,            /* lddw, LD_ABS, LD_IND */
        [BPFAOT_CLASS_LDX] = exec_ldx,
        [BPFAOT_CLASS_ST] = exec_st,
        [BPFAOT_CLASS_STX] = exec_stx,          /* and atomics */
        [BPFAOT_CLASS_ALU] = exec_alu,
        [BPFAOT_CLASS_JMP] = exec_jmp,          /* and call, exit */
        [BPFAOT_CLASS_JMP32] = exec_jmp,
        [BPFAOT_CLASS_ALU64] = exec_alu,
};
/* clang-format on */

/* Run to the entry's exit, or to the exit of the callback frame on top. Steps count across both. */
static int run(struct vm *vm)
{
        int ret;

        while (!vm->done) {
                if (vm->pc >= vm->prog->insn_cnt) /* the validator rules this out */
                        return FAIL(vm, EFAULT, "execution left the program");
                if (vm->max_steps && vm->steps++ >= vm->max_steps)
                        return FAIL(vm, ETIMEDOUT, "exceeded the limit of %" PRIu64 " steps",
                                    vm->max_steps);
                if (vm->trace)
                        vm->trace(vm->trace_ctx, vm->depth - 1, vm->pc, vm->reg);
                ret = exec_by_class[bpfaot_insn_class(cur(vm))](vm);
                if (ret)
                        return ret;
        }
        return 0;
}

/* The caller's options (fields an older caller's struct lacks keep the defaults). */
static int read_opts(struct vm *vm, const struct bpfaot_interp_opts *opts,
                     struct bpfaot_interp_opts *o)
{
        int ret = OPTS_COPY(bpfaot_interp_opts, *o, opts, vm->err);

        vm->helper = o->helper;
        vm->helper_ctx = o->helper_ctx;
        vm->stack_size = o->stack_size ? o->stack_size : BPFAOT_DEFAULT_STACK_SIZE;
        vm->max_steps = o->max_steps ? o->max_steps : BPFAOT_DEFAULT_MAX_STEPS;
        vm->maps = o->maps;
        vm->mem_ok = o->mem_ok;
        vm->mem_ok_ctx = o->mem_ok_ctx;
        vm->map_by_fd = o->map_by_fd;
        vm->map_value = o->map_value;
        vm->map_ctx = o->map_ctx;
        vm->cpu_enter = o->cpu_enter;
        vm->cpu_exit = o->cpu_exit;
        vm->trace = o->trace;
        vm->trace_ctx = o->trace_ctx;
        return ret;
}

/*
 * Every helper a program calls must exist before anything runs, as when a
 * compiled program is linked: a run never stops half-way for want of one.
 */
static int check_helpers(const struct vm *vm)
{
        const struct bpfaot_prog *prog = vm->prog;

        for (size_t i = 0; i < prog->insn_cnt; i++) {
                const struct bpfaot_insn *in = &prog->insns[i];

                if (vm->program->tails[i] || in->opcode != (BPFAOT_CLASS_JMP | BPFAOT_JMP_CALL) ||
                    in->src != BPFAOT_CALL_HELPER)
                        continue;
                if (!vm->helper || !vm->helper(vm->helper_ctx, (uint32_t)in->imm))
                        return bpfaot_error_at(vm->err, prog, (long)i, ENOENT,
                                               "unknown helper id %u", (unsigned)in->imm);
        }
        return 0;
}

static void free_data(struct vm *vm)
{
        if (vm->own_data)
                for (size_t d = 0; d < vm->prog->data_cnt; d++)
                        free(vm->data[d]);
        free(vm->data);
        vm->data = NULL;
}

/* Global data: the caller's buffers, or fresh copies of the initial bytes. */
static int setup_data(struct vm *vm, const struct bpfaot_interp_opts *opts)
{
        const struct bpfaot_prog *prog = vm->prog;
        uint8_t *const *given = opts->data;

        if (!prog->data_cnt)
                return 0;
        vm->data = calloc(prog->data_cnt, sizeof(*vm->data));
        if (!vm->data)
                return bpfaot_error_nomem(vm->err);
        vm->own_data = given == NULL;
        for (size_t d = 0; d < prog->data_cnt; d++) {
                const struct bpfaot_data_sec *sec = &prog->data[d];
                if (given) {
                        vm->data[d] = given[d];
                        continue;
                }
                vm->data[d] = calloc(1, sec->size ? sec->size : 1);
                if (!vm->data[d]) {
                        free_data(vm);
                        return bpfaot_error_nomem(vm->err);
                }
                if (sec->bytes)
                        memcpy(vm->data[d], sec->bytes, sec->size);
        }
        return 0;
}

/* Records the run still holds (it failed, or ended holding them) are discarded, as in a sandbox. */
static void discard_records(struct vm *vm)
{
        bpfaot_helper_fn discard = vm->helper && vm->record_cnt
                                       ? vm->helper(vm->helper_ctx, BPF_FUNC_ringbuf_discard)
                                       : NULL;

        for (unsigned i = 0; discard && i < vm->record_cnt; i++)
                discard(vm->record_lo[i], BPF_RB_NO_WAKEUP, 0, 0, 0);
        vm->record_cnt = 0;
}

/* Run the validated program, its arguments set, on its own frames and data. */
static int run_checked(struct vm *vm, const struct bpfaot_interp_opts *opts, uint64_t *ret)
{
        bool hold_cpu;
        int rc = setup_data(vm, opts);

        if (rc)
                return rc;
        vm->stacks = calloc(BPFAOT_MAX_CALL_DEPTH, vm->stack_size);
        if (!vm->stacks) {
                free_data(vm);
                return bpfaot_error_set(vm->err, ENOMEM, "out of memory for %d stack frames",
                                        BPFAOT_MAX_CALL_DEPTH);
        }
        vm->depth = 1;
        vm->reg[BPFAOT_REG_FP] = frame_top(vm);
        /* As compiled entries do: a run with per-CPU maps holds a virtual CPU. */
        hold_cpu = vm->maps && vm->cpu_enter && vm->cpu_exit && vm->program->uses_percpu_maps;
        if (hold_cpu)
                vm->cpu_enter();
        rc = run(vm);
        discard_records(vm);
        /* A lock the run still holds (it failed, or ended holding it) is released. */
        if (vm->held_lock)
                __atomic_store_n((uint32_t *)(uintptr_t)vm->held_lock, 0, __ATOMIC_RELEASE);
        if (hold_cpu)
                vm->cpu_exit();
        if (!rc && ret)
                *ret = vm->reg[0];
        free(vm->stacks);
        free_data(vm);
        return rc;
}

struct bpfaot_interp {
        const struct bpfaot_prog *prog; /* the caller's */
        struct program checked;
        struct bpfaot_interp_opts opts;
        size_t callbacks[INTERP_MAX_CALLBACKS]; /* first instructions of the callbacks, by thunk */
        size_t callback_cnt;
};

/* The functions whose address the program takes, each given a thunk (more: an error at the lddw).
 */
static void find_callbacks(struct bpfaot_interp *ip)
{
        const struct bpfaot_prog *prog = ip->prog;

        for (size_t i = 0; i < prog->insn_cnt; i++) {
                long t = insn_code_addr_target(&prog->insns[i], i, prog->insn_cnt);
                size_t k = 0;

                if (t < 0)
                        continue;
                while (k < ip->callback_cnt && ip->callbacks[k] != (size_t)t)
                        k++;
                if (k == ip->callback_cnt && k < INTERP_MAX_CALLBACKS)
                        ip->callbacks[ip->callback_cnt++] = (size_t)t;
        }
}

int bpfaot_interp__open(const struct bpfaot_prog *prog, const struct bpfaot_interp_opts *opts,
                        struct bpfaot_interp **out, struct bpfaot_error *err)
{
        struct bpfaot_interp *ip;
        struct vm vm = {.prog = prog, .err = err};
        int rc;

        *out = NULL;
        ip = calloc(1, sizeof(*ip));
        if (!ip)
                return bpfaot_error_nomem(err);
        vm.program = &ip->checked;
        ip->prog = prog;
        rc = read_opts(&vm, opts, &ip->opts);
        if (rc) {
                free(ip);
                return rc;
        }
        BPFAOT_OPTS_INIT(bpfaot_validate_opts, vopts, .stack_size = vm.stack_size);
        rc = program_check(prog, &vopts, &ip->checked, err);
        if (rc) {
                free(ip);
                return rc;
        }
        rc = check_helpers(&vm);
        if (rc) {
                bpfaot_interp__free(ip);
                return rc;
        }
        find_callbacks(ip);
        *out = ip;
        return 0;
}

int bpfaot_interp__run(const struct bpfaot_interp *ip, void *mem, size_t mem_len, uint64_t *ret,
                       struct bpfaot_error *err)
{
        struct vm vm = {.program = &ip->checked,
                        .prog = ip->prog,
                        .err = err,
                        .mem = mem,
                        .mem_len = mem ? mem_len : 0,
                        .callbacks = ip->callbacks,
                        .callback_cnt = ip->callback_cnt};
        struct bpfaot_interp_opts o;
        int rc = read_opts(&vm, &ip->opts, &o);

        if (rc)
                return rc;
        vm.reg[1] = (uint64_t)(uintptr_t)mem;
        vm.reg[2] = mem_len;
        return run_checked(&vm, &o, ret);
}

void bpfaot_interp__free(struct bpfaot_interp *ip)
{
        if (!ip)
                return;
        program_free(&ip->checked);
        free(ip);
}

int bpfaot_interp_run(const struct bpfaot_prog *prog, void *mem, size_t mem_len,
                      const struct bpfaot_interp_opts *opts, uint64_t *ret,
                      struct bpfaot_error *err)
{
        struct bpfaot_interp *ip;
        int rc = bpfaot_interp__open(prog, opts, &ip, err);

        rc = rc ?: bpfaot_interp__run(ip, mem, mem_len, ret, err);
        bpfaot_interp__free(ip);
        return rc;
}
