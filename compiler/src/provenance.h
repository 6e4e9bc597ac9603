/* SPDX-License-Identifier: MIT */
/*
 * Where each load and store points, from the register analysis (absint.h),
 * for the translator: an access through a pointer of a known region is
 * lifted as an offset from that region's base (the frame's alloca, the
 * context argument, the global of a data section) instead of an integer
 * turned into a pointer, so that LLVM sees which accesses can overlap.
 *
 * It also finds the sub-programs whose frame address never leaves the
 * frame's own proven accesses ("private" frames): there r10 need not be a
 * real address, so the frame does not escape, and it is cut into parts that
 * no access crosses (a spill slot, an array indexed by a bounded variable),
 * each its own alloca, which LLVM's SROA can keep in registers.
 */
#ifndef BPFAOT_PROVENANCE_H
#define BPFAOT_PROVENANCE_H

#include "bpfaot/bpfaot.h"

#include <stdbool.h>
#include <stdint.h>

enum mem_base {
        MEM_BASE_NONE,  /* not proven: an integer address */
        MEM_BASE_FRAME, /* the sub-program's own frame; the whole access inside it */
        MEM_BASE_CTX,   /* the context the program was called with */
        MEM_BASE_DATA,  /* data section `id`; the whole access inside it */
};

/* The address of one load, store or atomic. */
struct mem_prov {
        uint8_t base;   /* enum mem_base */
        bool const_off; /* the base register is the region's base + `off`, exactly */
        uint32_t id;    /* MEM_BASE_DATA: the section; MEM_BASE_FRAME: the frame's part */
        int64_t off;    /* from r10 (frame) or the start of the region; valid with const_off */
        int32_t lo, hi; /* MEM_BASE_FRAME: the bytes it may touch, [lo, hi) from r10 */
        /*
         * MEM_BASE_CTX: the whole access lies inside the context, of the size
         * the entry was given (its offsets from 0, and their room or the
         * size's least value, absint.h).
         */
        bool inside;
};

/*
 * A frame address a helper is given, where its signature bounds the bytes
 * it touches: the frame stays private, and the translator passes the real
 * address of that spot in its part.
 */
struct frame_arg {
        size_t insn;    /* the call */
        uint8_t reg;    /* r1-r5 */
        int32_t lo, hi; /* the bytes the helper may touch, [lo, hi) from r10 */
        uint32_t part;  /* the part holding them */
};

/* A part of a private frame: bytes [lo, hi) from r10 that accesses share. */
struct frame_part {
        int32_t lo, hi;
};

/* What the translator needs about one sub-program's frame. */
struct frame_layout {
        bool private;       /* r10 is never used as a number */
        size_t escape_insn; /* else the first instruction that uses it so */
        /* A private frame's parts, sorted; every access lies inside one. */
        struct frame_part *parts;
        size_t part_cnt;
};

struct program;
struct absint_pass;

/*
 * The pass (absint_walk) that fills, from p->absint, p->mem (by
 * instruction), p->frames (by sub-program) and p->frame_args (sorted by
 * instruction); its finish lays out the private frames. Fails only without
 * memory.
 */
int provenance_pass(struct program *p, struct bpfaot_error *err, struct absint_pass *out);
void provenance_free(struct program *p);

/*
 * The value r10 has in a sub-program whose frame is private: any number
 * works, as only differences of frame addresses are ever used. Chosen far
 * from 0 and aligned as a frame, so that a comparison with 0 is false.
 */
#define PROVENANCE_PRIVATE_FP UINT64_C(0x10000000000)

#endif
