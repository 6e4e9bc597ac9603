/* SPDX-License-Identifier: MIT */
/*
 * What every register and stack slot may hold before each instruction of a
 * validated program (see absint.c): uninitialised, a scalar (scalar.h), or a
 * pointer into a region (the context, the frame, a map value, ...) at an
 * offset that is itself a scalar. An abstract interpretation over the whole
 * program, sub-programs and callbacks included, with widening at loop heads.
 *
 * The result stores one state per basic-block entry; the state before any
 * other instruction is recomputed from its block's entry on demand.
 */
#ifndef BPFAOT_ABSINT_H
#define BPFAOT_ABSINT_H

#include "bpfaot/bpfaot.h"
#include "scalar.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct program;

enum absint_kind {
        ABSINT_UNINIT,  /* never written on any path */
        ABSINT_SCALAR,  /* a number: `s` */
        ABSINT_PTR,     /* a pointer into `region`, at offset `s` from its base */
        ABSINT_UNKNOWN, /* a scalar on some paths, a pointer on others */
};

/* Where a pointer points; its offset is from the start of the region (the top for frames). */
enum absint_region {
        ABSINT_CTX,          /* the program's context (r1 at entry) */
        ABSINT_STACK,        /* this sub-program's own frame; offsets from r10 */
        ABSINT_CALLER_STACK, /* the frame of some caller (a stack pointer passed down) */
        ABSINT_MAP,          /* a map (lddw of a map): map `id` */
        ABSINT_MAP_VALUE,    /* a value of map `id` (ABSINT_NO_ID: unknown map) */
        ABSINT_DATA,         /* global data section `id` (read-only when the section is) */
        ABSINT_RINGBUF,      /* a ring-buffer record of ringbuf_reserve */
        ABSINT_CB_CTX,       /* the context a callback receives from its helper */
        ABSINT_FUNC,         /* the address of sub-program `id` (a callback) */
        ABSINT_PTR_OTHER,    /* anything else: kernel objects, pointers of several regions */
        ABSINT_REGION_CNT
};

#define ABSINT_NO_ID UINT32_MAX

/* Instructions from this index on link nothing (absint_value.link has 24 bits). */
#define ABSINT_LINK_MAX ((1u << 24) - 1)

/*
 * Packed into 80 bytes (flags as bits, the link beside `kind`): every
 * block entry of the analysis keeps a state of eleven of them.
 */
struct absint_value {
        struct scalar s; /* the scalar, or the pointer's offset */
        uint32_t id;     /* ABSINT_MAP*, ABSINT_DATA, ABSINT_FUNC: which one; else ABSINT_NO_ID */
        union {
                uint32_t origin; /* a maybe-NULL pointer: the instruction that produced it */
                /*
                 * With has_room (a number, or a context pointer's offset): the
                 * value, as an integer (a number unsigned, an offset signed),
                 * plus `room` is at most the context's size, S (r2 at the
                 * entry): the kernel's packet range, for this ABI's context.
                 */
                int32_t room;
        };
        /*
         * Nonzero: a pointer (a number) that on every path holds the address
         * (the number) the latest run of instruction link - 1 copied, plus
         * link_delta modulo 2^64: copies of one value and constant steps
         * from it, so that what a comparison teaches one of them it teaches
         * all (copied by a mov, or an 8-byte spill or fill, so registers and
         * spilled slots). Pointers and numbers never share a link.
         */
        uint32_t link : 24;
        uint8_t kind;        /* enum absint_kind */
        uint8_t region;      /* enum absint_region, for ABSINT_PTR */
        bool maybe_null : 1; /* a pointer not yet compared with 0 */
        /*
         * Still the latest result of `origin` on every path: comparing it
         * with 0 makes every copy non-NULL. Cleared once `origin` runs again.
         */
        bool null_linked : 1;
        /*
         * Maybe-NULL, but a comparison with 0 the analysis cannot relate to
         * it (of a copy it lost track of, or in a callee) may have proven it
         * non-NULL: a check must not refuse its dereference.
         */
        bool maybe_checked : 1;
        /* Some path leaves it unwritten: on those paths it holds anything. */
        bool maybe_uninit : 1;
        /*
         * An address in the own frame on some path (always so for
         * ABSINT_STACK): kept through joins that lose the region, so that
         * the translator knows every value that may carry a frame address.
         */
        bool may_frame : 1;
        /*
         * ABSINT_UNINIT: unwritten because a call of this sub-program left
         * it so (r1-r5 after a call) on every path, not an argument no
         * caller set: the kernel refuses reading it.
         */
        bool clobbered : 1;
        /*
         * ABSINT_DATA: every section it may point into is read-only (kept
         * through joins of two sections, which lose `id`).
         */
        bool readonly : 1;
        bool has_room : 1; /* `room` holds (never with maybe_null, maybe_uninit) */
        int16_t link_delta;
};

/*
 * An 8-byte stack slot, fp + 8 * index (index < 0). `init` has bit b set
 * when byte b (from the lowest address) is written on every path; a slot
 * with `spill` holds the register value `v` stored by an aligned 8-byte
 * store (all bytes written), so that spilled pointers survive a fill.
 */
struct absint_slot {
        int32_t index;
        uint8_t init;
        bool spill;
        struct absint_value v;
};

/* Registers and the own frame before one instruction. */
struct absint_state {
        struct absint_value reg[BPFAOT_NUM_REGS];
        /*
         * Slots that differ from the default, sorted by index; every other
         * slot is uninitialised, or written with unknown data when
         * `rest_init` (after a store through a pointer of unknown target).
         * The array may be shared with other states of the analysis (copied
         * on write): read it, never write it.
         */
        struct absint_slot *slots;
        size_t slot_cnt;
        bool rest_init;
        /* The context's size is at least this (learnt from comparisons of values with room). */
        uint64_t ctx_min;
};

struct absint;

/*
 * Analyse validated program `p` (which must outlive the result). On success
 * *out is the result, to free with absint_free; on failure (only out of
 * memory) a negative errno with `err` filled.
 */
int absint_run(const struct program *p, struct absint **out, struct bpfaot_error *err);
void absint_free(struct absint *a);

/*
 * The state before instruction `insn` in `out` (released with
 * absint_state_release, also after false): false when no path reaches it
 * (or it is the second slot of an lddw). Costs the instructions from the
 * start of its basic block. The state shares (reference-counted) slots with
 * the result: use a result and its states from one thread at a time.
 */
bool absint_state_at(const struct absint *a, size_t insn, struct absint_state *out);
void absint_state_release(struct absint_state *st);

/*
 * A pass that reads the analysis instruction by instruction: `visit` gets
 * each reachable instruction (lddw tails skipped), in order, and the state
 * before it; `finish`, if set, runs after the walk with its result (0, or
 * the first nonzero result of a visit) and frees `ctx`, returning that
 * result or an error of its own. A pass without `visit` is skipped.
 */
struct absint_pass {
        int (*visit)(void *ctx, size_t insn, const struct absint_state *st);
        int (*finish)(void *ctx, int ret);
        void *ctx;
};

/*
 * One walk for all `passes`, one block at a time, each instruction's state
 * recomputed once and shown to every pass in order. Returns the first
 * nonzero result of a visit (which ends the walk), or -ENOMEM.
 */
int absint_walk(const struct absint *a, const struct absint_pass *passes, size_t cnt);

/* Register `reg` of a state. */
static inline const struct absint_value *absint_reg(const struct absint_state *st, unsigned reg)
{
        return &st->reg[reg];
}
/*
 * The slot holding byte fp + off (off < 0) in *out (a default slot when
 * the state keeps none for it).
 */
void absint_slot_at(const struct absint_state *st, int32_t off, struct absint_slot *out);

/*
 * Could a write through `v` (or a call given `v`) change the own frame other
 * than where a precise ABSINT_STACK pointer says? Then the analysis forgets
 * what the frame's slots hold.
 */
bool absint_may_alias_frame(const struct absint_value *v);

struct helper_sig;
/*
 * Bytes helper `sig` may read or write through its argument register `i`
 * (1-5) in state `st`: a fixed size, the map argument's key or value size,
 * or the size argument after it: its upper bound (at most the frame's size),
 * or with `least` its lower bound (what every path touches); -1 when not
 * known.
 */
int64_t absint_helper_mem_size(const struct program *p, const struct helper_sig *sig,
                               const struct absint_state *st, unsigned i, bool least);

/* Name of a region in the log ("ctx", "fp", "map_value", ...). */
const char *absint_region_name(enum absint_region region);
/* One value as the kernel log prints it ("ctx()", "fp-8", "scalar(...)"), as snprintf. */
int absint_print_value(char *buf, size_t size, const struct absint_value *v);
/*
 * The state before `insn` as the kernel verifier's log at level 2 prints it:
 * "R0=... R1=ctx() R10=fp0 fp-8=mmmmmmmm", written registers and slots only,
 * as snprintf into buf; "unreachable" when no path reaches it. A register
 * some path leaves unwritten ends in "?".
 */
int absint_print_insn(const struct absint *a, size_t insn, char *buf, size_t size);

/* Blocks of the analysis and how often their entries were visited (costs, tests). */
void absint_stats(const struct absint *a, size_t *blocks, size_t *visits);

#endif
