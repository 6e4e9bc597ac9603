/* SPDX-License-Identifier: MIT */
/*
 * eBPF → LLVM IR.
 *
 * Each sub-program becomes an internal function i64(i64 r1..r5) (plus the
 * packet when it runs LD_ABS/LD_IND, see gets_packet) with its own
 * stack frame (an alloca, zeroed so that no load ever sees undef) and the
 * registers r0..r9 as allocas that mem2reg/SROA promote. r10 is the address
 * of the frame's top. Memory accesses through r10 with a constant offset
 * become GEPs into the frame, so the optimiser can keep stack slots in
 * registers; any other address is an integer turned into a pointer.
 *
 * Every operation is given its RFC 9669 meaning without undefined behaviour
 * or poison: divisions are guarded, shift amounts masked, no nsw/nuw flags.
 */
#include "internal.h"
#include "translate.h"
#include "sandbox_loops.h"
#include "debuginfo.h"
#include "insn.h"
#include "llvm_compat.h"
#include "objabi.h"
#include "program.h"
#include "helper_sigs.h"

#include <errno.h>
#include <linux/bpf.h>
#include <llvm-c/DebugInfo.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct tr {
        const struct program *program; /* the program and what validation found about it */
        const struct bpfaot_prog *prog;
        const struct translate_opts *opts;
        struct bpfaot_error *err;
        LLVMContextRef ctx;
        LLVMModuleRef mod;
        LLVMBuilderRef b;
        bool *leaders;
        LLVMTypeRef i1, i8, i16, i32, i64, i8p, fn5;
        LLVMTypeRef fn7; /* a sub-program given the packet: r1-r5, then ctx and ctx_size */
        LLVMValueRef *sub_fns;
        size_t cur; /* instruction being translated */
        /* Per function being built. */
        LLVMBasicBlockRef *blocks; /* indexed by instruction; set for leaders */
        LLVMValueRef fn;
        LLVMValueRef regs[BPFAOT_NUM_REGS - 1];
        /*
         * In a private frame, beside each register: its value minus r10's
         * stand-in, stepped as the register is (add, sub, mov), so that a
         * frame address moved in a loop is an induction variable of its own
         * that accesses index the frame with directly. Indexing with
         * `reg - r10` instead costs an add per access in LLVM's loop
         * vectoriser's model, which then vectorises loops it should not
         * (a 64-bit multiply per element in matmul's checksum loop). The
         * distance is biased by frame_bias, the distance of r10 from the
         * start of the part most often indexed by a variable, so that those
         * accesses index with it as it is. NULL elsewhere.
         */
        LLVMValueRef frame_offs[BPFAOT_NUM_REGS - 1];
        /*
         * What the register and frame-offset slots hold at the end of
         * `cache_bb`, where known: a read reuses it instead of loading
         * again. Every write of those slots goes through reg_set_off, and
         * the cache is dropped whenever the builder is in another block, so
         * a value is only reused in the block that computed it. This halves
         * the loads -O0 hands to code generation.
         *
         * Writes are stored only when the builder leaves the block (by
         * `fb`, before the block's terminator), the last value of each
         * slot once, and not at all before a return: a block writes r1-r5
         * after every call and often again soon after, and -O0 generates
         * code for every store it is given.
         */
        LLVMBasicBlockRef cache_bb;
        LLVMValueRef reg_val[BPFAOT_NUM_REGS - 1], off_val[BPFAOT_NUM_REGS - 1];
        uint16_t reg_unstored, off_unstored; /* bit r: reg_val[r] (off_val[r]) not stored yet */
        LLVMBuilderRef fb;
        int64_t frame_bias;
        LLVMValueRef stack;  /* [stack_size x i8] */
        LLVMValueRef *parts; /* a private frame's parts (provenance.h), or NULL */
        LLVMValueRef fp;     /* r10 as i64 (a stand-in when the frame is private) */
        size_t sub;          /* the sub-program being built */
        /* The entry sub-program: its context argument, as i64 and as a pointer; else NULL. */
        LLVMValueRef ctx_base, ctx_ptr;
        /*
         * Values loaded once per run of the function, in its entry block
         * before `entry_term` (with builder `eb`): by map, the object's map
         * slot and an inlined ARRAY's values base; NULL until first used.
         */
        LLVMBuilderRef eb;
        LLVMValueRef entry_term, *slot_vals, *base_vals;
        /* With instances (objabi.h): the running instance's table, and by section its data. */
        LLVMValueRef inst_val, *data_vals;
        /* Region mode (see build_regions): the code being built covers [lo, hi). */
        LLVMValueRef state; /* i64[STATE_SLOTS]: registers handed between regions, or NULL */
        size_t lo, hi;
        /* Per block: register -> the object's map it holds (index + 1), 0 unknown. */
        uint32_t reg_map[BPFAOT_NUM_REGS];
        /*
         * Per block: register -> the `found` test of the inlined lookup whose
         * result it holds, or NULL. LLVM cannot fold the program's NULL check
         * of that result itself: address 0 is valid in our functions.
         */
        LLVMValueRef reg_found[BPFAOT_NUM_REGS];
        /* Sandbox (translate_opts.sandbox): this function's run record (i8*), once pushed. */
        LLVMValueRef sb_run;
        /* Sandbox: context accesses a group check before them covers (sb_ctx_group), by insn. */
        bool *sb_covered;
        bool oom;          /* an allocation failed while translating */
        const char *entry; /* entry function name; prefixes the internal functions */
};

static LLVMValueRef c64(struct tr *t, uint64_t v)
{
        return LLVMConstInt(t->i64, v, false);
}

static LLVMValueRef cint(LLVMTypeRef ty, uint64_t v)
{
        return LLVMConstInt(ty, v, false);
}

static void add_fn_attr(LLVMContextRef ctx, LLVMValueRef fn, const char *name)
{
        unsigned kind = LLVMGetEnumAttributeKindForName(name, strlen(name));

        LLVMAddAttributeAtIndex(fn, LLVMAttributeFunctionIndex,
                                LLVMCreateEnumAttribute(ctx, kind, 0));
}

/*
 * Every function of the program: eBPF code never unwinds, and address 0 is
 * an address like any other (a program reading through a NULL register
 * faults, as native code would; LLVM must not treat it as unreachable and
 * fold the access away, which turned such reads into undef).
 */
static void program_fn_attrs(LLVMContextRef ctx, LLVMValueRef fn)
{
        add_fn_attr(ctx, fn, "nounwind");
        add_fn_attr(ctx, fn, "null_pointer_is_valid");
}

/* Store the slot values `cache_bb` was given and has not stored, at its end. */
static void cache_flush(struct tr *t)
{
        LLVMValueRef term = t->cache_bb ? LLVMGetBasicBlockTerminator(t->cache_bb) : NULL;
        LLVMValueRef last = t->cache_bb ? LLVMGetLastInstruction(t->cache_bb) : NULL;
        LLVMOpcode op = term ? LLVMGetInstructionOpcode(term) : LLVMBr;

        /* After a return the slots are gone: nothing reads them. */
        if ((t->reg_unstored | t->off_unstored) && op != LLVMRet && op != LLVMUnreachable) {
                if (term)
                        LLVMPositionBuilderBefore(t->fb, term);
                else
                        LLVMPositionBuilderAtEnd(t->fb, t->cache_bb);
                /* The line of the code they end, not of what the builder builds now. */
                LLVMSetCurrentDebugLocation2(t->fb, last ? LLVMInstructionGetDebugLoc(last) : NULL);
                for (unsigned r = 0; r < BPFAOT_NUM_REGS - 1; r++) {
                        if (t->reg_unstored & (1u << r))
                                LLVMBuildStore(t->fb, t->reg_val[r], t->regs[r]);
                        if (t->off_unstored & (1u << r))
                                LLVMBuildStore(t->fb, t->off_val[r], t->frame_offs[r]);
                }
        }
        t->reg_unstored = 0;
        t->off_unstored = 0;
}

/* Forget the cached slot values when the builder has moved to another block. */
static void cache_sync(struct tr *t)
{
        LLVMBasicBlockRef bb = LLVMGetInsertBlock(t->b);

        if (bb != t->cache_bb) {
                cache_flush(t);
                memset(t->reg_val, 0, sizeof(t->reg_val));
                memset(t->off_val, 0, sizeof(t->off_val));
                t->cache_bb = bb;
        }
}

static LLVMValueRef reg_get(struct tr *t, unsigned r)
{
        if (r == BPFAOT_REG_FP)
                return t->fp;
        cache_sync(t);
        if (!t->reg_val[r])
                t->reg_val[r] = LLVMBuildLoad2(t->b, t->i64, t->regs[r], "");
        return t->reg_val[r];
}

/* Register r minus r10, plus the bias (t->frame_offs). */
static LLVMValueRef frame_off_get(struct tr *t, unsigned r)
{
        if (r == BPFAOT_REG_FP)
                return c64(t, (uint64_t)t->frame_bias);
        cache_sync(t);
        if (!t->off_val[r])
                t->off_val[r] = LLVMBuildLoad2(t->b, t->i64, t->frame_offs[r], "");
        return t->off_val[r];
}

/* Register r = v, whose distance from r10 is `off` (NULL: v - r10). */
static void reg_set_off(struct tr *t, unsigned r, LLVMValueRef v, LLVMValueRef off)
{
        cache_sync(t);
        t->reg_val[r] = v;
        t->reg_unstored |= (uint16_t)(1u << r);
        if (t->frame_offs[r]) {
                if (!off)
                        off = LLVMBuildAdd(t->b, LLVMBuildSub(t->b, v, t->fp, ""),
                                           c64(t, (uint64_t)t->frame_bias), "");
                t->off_val[r] = off;
                t->off_unstored |= (uint16_t)(1u << r);
        }
        t->reg_map[r] = 0;
        t->reg_found[r] = NULL;
}

static void reg_set(struct tr *t, unsigned r, LLVMValueRef v)
{
        reg_set_off(t, r, v, NULL);
}

static LLVMTypeRef int_type(struct tr *t, unsigned bytes)
{
        switch (bytes) {
        case 1:
                return t->i8;
        case 2:
                return t->i16;
        case 4:
                return t->i32;
        default:
                return t->i64;
        }
}

static LLVMValueRef data_global(struct tr *t, const struct bpfaot_data_sec *d);
static LLVMValueRef instance_slots(struct tr *t, LLVMValueRef own);

/* `base` as i8*, moved by `idx` bytes (inbounds: proven inside the object). */
static LLVMValueRef gep_i8(struct tr *t, LLVMValueRef base, LLVMValueRef idx, bool inbounds,
                           LLVMTypeRef ty)
{
        LLVMValueRef p;

        /* -O0 would keep a step of 0 (a third of these are at a part's start). */
        if (LLVMIsAConstantInt(idx) && LLVMConstIntGetZExtValue(idx) == 0)
                p = base;
        else if (inbounds)
                p = LLVMBuildInBoundsGEP2(t->b, t->i8, base, &idx, 1, "");
        else
                p = LLVMBuildGEP2(t->b, t->i8, base, &idx, 1, "");
        return compat_cast_ptr(t->b, t->ctx, p, ty);
}

/*
 * Register `reg` minus the number `base` (an address of its region), plus
 * `add`: the offset of an access from the region's start. With base the
 * region's own address this folds to the analysis' offset; it is also
 * exact when it does not fold (base + (reg - base) + off == reg + off).
 */
static LLVMValueRef offset_in(struct tr *t, unsigned reg, LLVMValueRef base, int64_t add)
{
        LLVMValueRef d = LLVMBuildSub(t->b, reg_get(t, reg), base, "");

        return add ? LLVMBuildAdd(t->b, d, c64(t, (uint64_t)add), "") : d;
}

static LLVMValueRef whole_frame(struct tr *t);

/*
 * Pointer to `ty` into the frame at register `reg` + `off` (when
 * `const_off`, that is r10 + `at`), from the start of its part `part` of a
 * private frame, or of the whole frame.
 */
static LLVMValueRef frame_gep(struct tr *t, unsigned reg, bool const_off, int64_t at, int64_t off,
                              uint32_t part, LLVMTypeRef ty)
{
        int64_t start =
            t->parts ? t->program->frames[t->sub].parts[part].lo : -(int64_t)t->program->stack_size;
        LLVMValueRef obj = t->parts ? t->parts[part] : whole_frame(t);

        if (const_off)
                return gep_i8(t, obj, c64(t, (uint64_t)(at - start)), true, ty);
        if (t->parts && (reg == BPFAOT_REG_FP || t->frame_offs[reg]))
                return gep_i8(t, obj,
                              LLVMBuildAdd(t->b, frame_off_get(t, reg),
                                           c64(t, (uint64_t)(off - start - t->frame_bias)), ""),
                              true, ty);
        return gep_i8(t, obj, offset_in(t, reg, t->fp, off - start), true, ty);
}

/*
 * Pointer to `ty` at base register + off. Where the analysis knows the
 * region (provenance.h), an offset from the region's own pointer: LLVM
 * then knows what the access can alias, can follow it as an induction
 * (vectorising loops over the context), and a private frame never has
 * its address taken. Otherwise the integer address becomes a pointer.
 */
static LLVMValueRef mem_addr(struct tr *t, unsigned base, int16_t off, LLVMTypeRef ty)
{
        const struct mem_prov *m = t->program->mem ? &t->program->mem[t->cur] : NULL;
        int64_t size = (int64_t)LLVMGetIntTypeWidth(ty) / 8, top = t->program->stack_size;
        LLVMValueRef p;
        int32_t c;

        if (m && m->base == MEM_BASE_FRAME)
                return frame_gep(t, base, m->const_off, m->off + off, off, m->id, ty);
        if (m && m->base == MEM_BASE_CTX && t->ctx_base)
                return gep_i8(t, t->ctx_ptr, offset_in(t, base, t->ctx_base, off), false, ty);
        if (m && m->base == MEM_BASE_DATA) {
                LLVMValueRef g =
                    compat_cast_ptr(t->b, t->ctx, data_global(t, &t->prog->data[m->id]), t->i8);
                return gep_i8(t, g,
                              m->const_off
                                  ? c64(t, (uint64_t)(m->off + off))
                                  : offset_in(t, base, LLVMBuildPtrToInt(t->b, g, t->i64, ""), off),
                              true, ty);
        }
        /*
         * r10 + constant, inside the frame (always so for r10 itself: the
         * validator checked), in code the analysis did not reach.
         */
        if (fpoff_get(&t->program->fp[t->cur], base, &c) && (int64_t)c + off >= -top &&
            (int64_t)c + off + size <= 0)
                return gep_i8(t, whole_frame(t), c64(t, (uint64_t)(top + c + off)), true, ty);
        p = reg_get(t, base);
        if (off)
                p = LLVMBuildAdd(t->b, p, c64(t, (uint64_t)(int64_t)off), "");
        return LLVMBuildIntToPtr(t->b, p, compat_ptr_type(t->ctx, ty), "");
}

static LLVMValueRef get_fn(struct tr *t, const char *name, LLVMTypeRef fnty)
{
        LLVMValueRef f = LLVMGetNamedFunction(t->mod, name);
        if (!f) {
                f = LLVMAddFunction(t->mod, name, fnty);
                add_fn_attr(t->ctx, f, "nounwind");
        }
        return f;
}

static LLVMValueRef call(struct tr *t, const char *name, LLVMTypeRef fnty, LLVMValueRef *args,
                         unsigned n)
{
        return LLVMBuildCall2(t->b, fnty, get_fn(t, name, fnty), args, n, "");
}

/* ------------------------------------------------------------------ */
/* Sandbox: run-time checks of what the analysis did not prove          */
/* ------------------------------------------------------------------ */

/*
 * In a sandboxed program (bpfaot/sandbox.h) every function pushes its frame
 * onto the thread's run and pops it when it returns; an access or helper
 * argument the analysis did not prove is checked by the runtime, and a
 * failed check (or a callee's, seen in the run's `failed` after the call)
 * makes the function pop its frame and return at once. It returns 1, so
 * that a helper running it as a callback (bpf_loop) stops too.
 */
static uint64_t sb_how(const struct tr *t, unsigned kind, unsigned arg, uint32_t helper)
{
        return BPFAOT_SANDBOX_HOW(t->cur, kind, arg, helper);
}

static void sb_leave_frame(struct tr *t)
{
        LLVMTypeRef fnty = LLVMFunctionType(LLVMVoidTypeInContext(t->ctx), &t->i8p, 1, false);

        call(t, BPFAOT_SANDBOX_POP_SYMBOL, fnty, &t->sb_run, 1);
}

/*
 * Whether `size` bytes at `addr` lie inside [base, base + len): no
 * wrap-around. Shaped `addr - base <u limit`, the limit loop-invariant
 * (len - size + 1, or 0 when size > len): in a loop, check_hoist.cpp then
 * proves the whole range once before it, and the loop's copy, free of its
 * side exits, vectorises.
 */
static LLVMValueRef sb_inside(struct tr *t, LLVMValueRef addr, LLVMValueRef base, LLVMValueRef len,
                              LLVMValueRef size)
{
        LLVMValueRef rel = LLVMBuildSub(t->b, addr, base, "");
        LLVMValueRef fits = LLVMBuildICmp(t->b, LLVMIntUGE, len, size, "");
        LLVMValueRef room = LLVMBuildAdd(t->b, LLVMBuildSub(t->b, len, size, ""), c64(t, 1), "");
        LLVMValueRef limit = LLVMBuildSelect(t->b, fits, room, c64(t, 0), "");

        return LLVMBuildICmp(t->b, LLVMIntULT, rel, limit, "");
}

/* Go on in a new block when `ok`, else leave the function. */
static void sb_require(struct tr *t, LLVMValueRef ok)
{
        LLVMBasicBlockRef fault = LLVMAppendBasicBlockInContext(t->ctx, t->fn, "sandbox_fault");
        LLVMBasicBlockRef cont = LLVMAppendBasicBlockInContext(t->ctx, t->fn, "sandbox_ok");

        compat_set_likely(LLVMBuildCondBr(t->b, ok, cont, fault), 0); /* the check passes */
        LLVMPositionBuilderAtEnd(t->b, fault);
        sb_leave_frame(t);
        LLVMBuildRet(t->b, c64(t, 1));
        LLVMPositionBuilderAtEnd(t->b, cont);
}

/* The runtime's check of `size` bytes (or an argument) at `addr`: i1, true when allowed. */
static LLVMValueRef sb_check_call(struct tr *t, LLVMValueRef addr, LLVMValueRef size, uint64_t how)
{
        LLVMTypeRef params[4] = {t->i8p, t->i64, t->i64, t->i64};
        LLVMValueRef args[4] = {t->sb_run, addr, size, c64(t, how)};
        LLVMValueRef ok = call(t, BPFAOT_SANDBOX_CHECK_SYMBOL,
                               LLVMFunctionType(t->i64, params, 4, false), args, 4);

        return LLVMBuildICmp(t->b, LLVMIntNE, ok, c64(t, 0), "");
}

static void sb_check(struct tr *t, LLVMValueRef addr, LLVMValueRef size, uint64_t how)
{
        sb_require(t, sb_check_call(t, addr, size, how));
}

/* After a call that may run program code: a failure there ends this function too. */
static void sb_after_call(struct tr *t)
{
        LLVMValueRef failed = LLVMBuildLoad2(
            t->b, t->i32, compat_cast_ptr(t->b, t->ctx, t->sb_run, t->i32), "failed");

        sb_require(t, LLVMBuildICmp(t->b, LLVMIntEQ, failed, cint(t->i32, 0), ""));
}

/* `ok`, or else the runtime records the fault `how` for `v` and the function returns. */
static void sb_require_or_report(struct tr *t, LLVMValueRef ok, LLVMValueRef v, LLVMValueRef size,
                                 uint64_t how)
{
        LLVMBasicBlockRef bad = LLVMAppendBasicBlockInContext(t->ctx, t->fn, "sandbox_refused");
        LLVMBasicBlockRef cont = LLVMAppendBasicBlockInContext(t->ctx, t->fn, "sandbox_ok");

        compat_set_likely(LLVMBuildCondBr(t->b, ok, cont, bad), 0); /* the check passes */
        LLVMPositionBuilderAtEnd(t->b, bad);
        sb_check_call(t, v, size, how);
        sb_leave_frame(t);
        LLVMBuildRet(t->b, c64(t, 1));
        LLVMPositionBuilderAtEnd(t->b, cont);
}

/* The bytes a load, store or atomic at `insn` touches, and its base register. */
static bool sb_ctx_access(const struct tr *t, size_t i, unsigned *reg, int64_t *lo, int64_t *hi)
{
        const struct bpfaot_insn *insn = &t->prog->insns[i];
        uint8_t cls = bpfaot_insn_class(insn);
        const struct mem_prov *m = t->program->mem ? &t->program->mem[i] : NULL;

        if (!m || m->base != MEM_BASE_CTX || m->inside ||
            (cls != BPFAOT_CLASS_LDX && cls != BPFAOT_CLASS_ST && cls != BPFAOT_CLASS_STX))
                return false;
        if (insn_mode(insn) != BPFAOT_MODE_MEM && insn_mode(insn) != BPFAOT_MODE_MEMSX &&
            insn_mode(insn) != BPFAOT_MODE_ATOMIC)
                return false;
        *reg = cls == BPFAOT_CLASS_LDX ? insn->src : insn->dst;
        *lo = insn->off;
        *hi = *lo + insn_size_bytes(insn_size_field(insn));
        return true;
}

/* Whether `insn` may change register `r` (or leave the straight line a group needs). */
static bool sb_ends_group(const struct bpfaot_insn *insn, unsigned r)
{
        uint8_t cls = bpfaot_insn_class(insn);

        switch (cls) {
        case BPFAOT_CLASS_ALU:
        case BPFAOT_CLASS_ALU64:
        case BPFAOT_CLASS_LDX:
                return insn->dst == r;
        case BPFAOT_CLASS_ST:
                return false;
        case BPFAOT_CLASS_STX:
                if (insn_mode(insn) != BPFAOT_MODE_ATOMIC)
                        return false;
                return (insn->imm & BPFAOT_ATOMIC_FETCH && insn->src == r) ||
                       (insn->imm == BPFAOT_ATOMIC_CMPXCHG && r == 0);
        default: /* lddw, packet loads, jumps, calls, exit */
                return true;
        }
}

/*
 * The context accesses through one register in a straight line of code:
 * checked together before the first, as one range. A failing range is
 * split again on the cold path, so the fault names the access that is out
 * of bounds; stores of the group before it have not happened then.
 */
static bool sb_ctx_group(struct tr *t)
{
        size_t first = t->cur, last = first, end = subprogs_end(&t->program->sp, t->sub);
        LLVMValueRef len = LLVMGetParam(t->fn, 1), base, ok;
        LLVMBasicBlockRef slow, done;
        int64_t lo, hi, a, b;
        unsigned reg, r;

        if (!sb_ctx_access(t, first, &reg, &lo, &hi))
                return false;
        for (size_t j = first + 1; j < end && !t->leaders[j]; j++) {
                if (sb_ctx_access(t, j, &r, &a, &b) && r == reg) {
                        lo = a < lo ? a : lo;
                        hi = b > hi ? b : hi;
                        t->sb_covered[j] = true;
                        last = j;
                }
                if (sb_ends_group(&t->prog->insns[j], reg))
                        break;
        }
        if (last == first)
                return false;
        base = reg_get(t, reg);
        ok = sb_inside(t, LLVMBuildAdd(t->b, base, c64(t, (uint64_t)lo), ""), t->ctx_base, len,
                       c64(t, (uint64_t)(hi - lo)));
        slow = LLVMAppendBasicBlockInContext(t->ctx, t->fn, "ctx_group_slow");
        done = LLVMAppendBasicBlockInContext(t->ctx, t->fn, "ctx_group_ok");
        compat_set_likely(LLVMBuildCondBr(t->b, ok, done, slow), 0); /* the check passes */
        LLVMPositionBuilderAtEnd(t->b, slow);
        for (size_t j = first; j <= last; j++) {
                const struct bpfaot_insn *insn = &t->prog->insns[j];
                uint8_t cls = bpfaot_insn_class(insn);
                unsigned k = cls == BPFAOT_CLASS_LDX                 ? BPFAOT_SANDBOX_LOAD
                             : insn_mode(insn) == BPFAOT_MODE_ATOMIC ? BPFAOT_SANDBOX_ATOMIC
                                                                     : BPFAOT_SANDBOX_STORE;
                LLVMValueRef addr, sz;
                size_t saved = t->cur;

                if (j != first && !t->sb_covered[j])
                        continue;
                if (!sb_ctx_access(t, j, &r, &a, &b) || r != reg)
                        continue;
                t->cur = j;
                addr = LLVMBuildAdd(t->b, base, c64(t, (uint64_t)a), "");
                sz = c64(t, (uint64_t)(b - a));
                sb_require_or_report(t, sb_inside(t, addr, t->ctx_base, len, sz), addr, sz,
                                     sb_how(t, k, BPFAOT_SANDBOX_ARG_FAIL, 0));
                t->cur = saved;
        }
        LLVMBuildBr(t->b, done);
        LLVMPositionBuilderAtEnd(t->b, done);
        return true;
}

/*
 * A load, store or atomic access of `size` bytes at register `base` + off:
 * nothing to check where the analysis proved it inside its frame, data
 * section or the context (a store into read-only data is checked, the
 * runtime refuses it);
 * an access to the entry's context compares with the context's size inline.
 */
static void sb_access(struct tr *t, unsigned base, int16_t off, unsigned size, unsigned kind)
{
        const struct mem_prov *m = t->program->mem ? &t->program->mem[t->cur] : NULL;
        LLVMValueRef addr, sz = c64(t, size), fast = NULL;
        LLVMBasicBlockRef slow, done;
        int32_t c;

        if (!t->sb_run || t->sb_covered[t->cur])
                return;
        if (m && (m->base == MEM_BASE_FRAME || (m->base == MEM_BASE_CTX && m->inside)))
                return;
        if (m && m->base == MEM_BASE_DATA &&
            (kind == BPFAOT_SANDBOX_LOAD || !t->prog->data[m->id].readonly))
                return;
        if (fpoff_get(&t->program->fp[t->cur], base, &c) &&
            (int64_t)c + off >= -(int64_t)t->program->stack_size && (int64_t)c + off + size <= 0)
                return; /* as mem_addr: r10 + a constant inside the frame */
        addr = LLVMBuildAdd(t->b, reg_get(t, base), c64(t, (uint64_t)(int64_t)off), "");
        /*
         * Inline, the regions known here: the entry's context, and the
         * function's own frame unless it is private (then no number is an
         * address in it); anything else asks the runtime.
         */
        if (t->ctx_base)
                fast = sb_inside(t, addr, t->ctx_base, LLVMGetParam(t->fn, 1), sz);
        /*
         * A pointer into the context stays there, as in the kernel: outside
         * it the run fails without asking for other regions, so that the
         * check is a plain range check check_hoist.cpp can take out of loops.
         */
        if (fast && m && m->base == MEM_BASE_CTX) {
                if (sb_ctx_group(t))
                        return;
                sb_require_or_report(t, fast, addr, sz,
                                     sb_how(t, kind, BPFAOT_SANDBOX_ARG_FAIL, 0));
                return;
        }
        if (!(m && m->base == MEM_BASE_CTX) && !t->parts && size <= t->program->stack_size) {
                LLVMValueRef lo = LLVMBuildSub(t->b, t->fp, c64(t, t->program->stack_size), "");
                LLVMValueRef in_frame = sb_inside(t, addr, lo, c64(t, t->program->stack_size), sz);

                fast = fast ? LLVMBuildOr(t->b, fast, in_frame, "") : in_frame;
        }
        if (!fast) {
                sb_check(t, addr, sz, sb_how(t, kind, 0, 0));
                return;
        }
        slow = LLVMAppendBasicBlockInContext(t->ctx, t->fn, "access_slow");
        done = LLVMAppendBasicBlockInContext(t->ctx, t->fn, "access_ok");
        compat_set_likely(LLVMBuildCondBr(t->b, fast, done, slow), 0); /* the check passes */
        LLVMPositionBuilderAtEnd(t->b, slow);
        sb_check(t, addr, sz, sb_how(t, kind, 0, 0));
        LLVMBuildBr(t->b, done);
        LLVMPositionBuilderAtEnd(t->b, done);
}

/* ------------------------------------------------------------------ */
/* ALU                                                                 */
/* ------------------------------------------------------------------ */

/*
 * Division and modulo by zero, and signed INT_MIN / -1, have defined
 * results in eBPF: route the divisor through a select so LLVM's sdiv/udiv
 * never see a trapping operand, then pick the eBPF result.
 */
static LLVMValueRef alu_divmod(struct tr *t, uint8_t op, bool is_signed, LLVMValueRef a,
                               LLVMValueRef b, LLVMTypeRef ty)
{
        LLVMValueRef zero = cint(ty, 0), one = cint(ty, 1), all = LLVMConstAllOnes(ty);
        LLVMValueRef is_zero = LLVMBuildICmp(t->b, LLVMIntEQ, b, zero, "");
        bool is_div = op == BPFAOT_ALU_DIV;

        if (!is_signed) {
                LLVMValueRef safe = LLVMBuildSelect(t->b, is_zero, one, b, "");
                LLVMValueRef q =
                    is_div ? LLVMBuildUDiv(t->b, a, safe, "") : LLVMBuildURem(t->b, a, safe, "");
                return LLVMBuildSelect(t->b, is_zero, is_div ? zero : a, q, "");
        }
        LLVMValueRef is_m1 = LLVMBuildICmp(t->b, LLVMIntEQ, b, all, "");
        LLVMValueRef bad = LLVMBuildOr(t->b, is_zero, is_m1, "");
        LLVMValueRef safe = LLVMBuildSelect(t->b, bad, one, b, "");
        if (is_div) {
                LLVMValueRef q = LLVMBuildSDiv(t->b, a, safe, "");
                LLVMValueRef neg = LLVMBuildSub(t->b, zero, a, ""); /* x / -1, wrapping */
                q = LLVMBuildSelect(t->b, is_m1, neg, q, "");
                return LLVMBuildSelect(t->b, is_zero, zero, q, "");
        }
        LLVMValueRef r = LLVMBuildSRem(t->b, a, safe, "");
        r = LLVMBuildSelect(t->b, is_m1, zero, r, "");
        return LLVMBuildSelect(t->b, is_zero, a, r, "");
}

/*
 * The value a load of a register holds: what the last store to the register
 * in this block stored, or the block's first load of it if none (loads with
 * no store between are the same value). Calls end the search.
 */
static LLVMValueRef divrem_reg(LLVMValueRef x)
{
        for (int depth = 0; depth < 8 && LLVMIsALoadInst(x); depth++) {
                LLVMValueRef p = LLVMGetOperand(x, 0), first = x, i;
                if (!LLVMIsAAllocaInst(p))
                        break;
                for (i = LLVMGetPreviousInstruction(x); i; i = LLVMGetPreviousInstruction(i)) {
                        if (LLVMIsACallInst(i) ||
                            (LLVMIsAStoreInst(i) && LLVMGetOperand(i, 1) == p))
                                break;
                        if (LLVMIsALoadInst(i) && LLVMGetOperand(i, 0) == p)
                                first = i;
                }
                if (!i || !LLVMIsAStoreInst(i))
                        return first;
                x = LLVMGetOperand(i, 0);
        }
        return x;
}

/* `x` without 32-bit ALU operations' trunc(zext(...)) wrappings, registers read through. */
static LLVMValueRef divrem_operand(LLVMValueRef x)
{
        for (int depth = 0; depth < 8; depth++) {
                LLVMValueRef in;
                x = divrem_reg(x);
                if (!LLVMIsATruncInst(x))
                        break;
                in = divrem_reg(LLVMGetOperand(x, 0));
                if (!LLVMIsAZExtInst(in) || LLVMTypeOf(LLVMGetOperand(in, 0)) != LLVMTypeOf(x))
                        break;
                x = LLVMGetOperand(in, 0);
        }
        return x;
}

/* Do x and y hold the same value (the same, or truncations of the same)? */
static bool divrem_same(LLVMValueRef x, LLVMValueRef y)
{
        x = divrem_operand(x);
        y = divrem_operand(y);
        if (x == y)
                return true;
        return LLVMIsATruncInst(x) && LLVMIsATruncInst(y) && LLVMTypeOf(x) == LLVMTypeOf(y) &&
               divrem_reg(LLVMGetOperand(x, 0)) == divrem_reg(LLVMGetOperand(y, 0));
}

/*
 * `a - q * b` where q is alu_divmod's unsigned a / b (eBPF code computes a
 * remainder so when it also needs the quotient): a % b with the same guard,
 * select(b == 0, a, urem(a, safe)), which is what a - q * b is for every b.
 * The urem shares the udiv's operands, so x86 gets both from one `div`, as
 * native code does. NULL if `m` is not such a product.
 */
static LLVMValueRef alu_divrem(struct tr *t, LLVMValueRef a, LLVMValueRef m)
{
        LLVMValueRef q, d, is_zero, q0, safe;

        m = divrem_operand(m);
        if (!LLVMIsAInstruction(m) || LLVMGetInstructionOpcode(m) != LLVMMul)
                return NULL;
        for (unsigned k = 0; k < 2; k++) {
                q = divrem_operand(LLVMGetOperand(m, k));
                d = LLVMGetOperand(m, 1 - k);
                if (!LLVMIsASelectInst(q) || LLVMTypeOf(q) != LLVMTypeOf(a))
                        continue;
                is_zero = LLVMGetOperand(q, 0);
                q0 = LLVMGetOperand(q, 2);
                if (!LLVMIsAConstantInt(LLVMGetOperand(q, 1)) ||
                    LLVMConstIntGetZExtValue(LLVMGetOperand(q, 1)) != 0 ||
                    !LLVMIsAInstruction(q0) || LLVMGetInstructionOpcode(q0) != LLVMUDiv ||
                    !LLVMIsAICmpInst(is_zero) || LLVMGetICmpPredicate(is_zero) != LLVMIntEQ)
                        continue;
                safe = LLVMGetOperand(q0, 1);
                /* is_zero is `b == 0`, safe `b == 0 ? 1 : b`, q0 `a / safe`: alu_divmod's. */
                if (!divrem_same(LLVMGetOperand(q0, 0), a) ||
                    !divrem_same(LLVMGetOperand(is_zero, 0), d) || !LLVMIsASelectInst(safe) ||
                    LLVMGetOperand(safe, 0) != is_zero ||
                    LLVMGetOperand(safe, 2) != LLVMGetOperand(is_zero, 0) ||
                    !LLVMIsAConstantInt(LLVMGetOperand(safe, 1)) ||
                    LLVMConstIntGetZExtValue(LLVMGetOperand(safe, 1)) == 0)
                        continue; /* (the urem runs whatever b is: its divisor must not be 0) */
                return LLVMBuildSelect(t->b, is_zero, a,
                                       LLVMBuildURem(t->b, LLVMGetOperand(q0, 0), safe, ""), "");
        }
        return NULL;
}

static LLVMValueRef bswap(struct tr *t, LLVMValueRef v, LLVMTypeRef ty, unsigned bits)
{
        char name[32];
        snprintf(name, sizeof(name), "llvm.bswap.i%u", bits);
        LLVMValueRef f = LLVMGetNamedFunction(t->mod, name);
        if (!f)
                f = LLVMAddFunction(t->mod, name, LLVMFunctionType(ty, &ty, 1, false));
        return LLVMBuildCall2(t->b, LLVMFunctionType(ty, &ty, 1, false), f, &v, 1, "");
}

static void tr_end(struct tr *t, const struct bpfaot_insn *insn)
{
        unsigned bits = (unsigned)insn->imm;
        bool swap = bpfaot_insn_class(insn) == BPFAOT_CLASS_ALU64 || insn_is_reg_src(insn);
        LLVMTypeRef ty = int_type(t, bits / 8);
        LLVMValueRef v = reg_get(t, insn->dst);

        /* Hosts are little-endian (checked when the target is chosen): le is a truncation. */
        if (bits < 64)
                v = LLVMBuildTrunc(t->b, v, ty, "");
        if (swap)
                v = bswap(t, v, ty, bits);
        if (bits < 64)
                v = LLVMBuildZExt(t->b, v, t->i64, "");
        reg_set(t, insn->dst, v);
}

/*
 * A 64-bit MUL, DIV or MOD of operands the analysis proves below 2^32
 * (narrow.c), stated so that LLVM knows it: a product of the low halves
 * (one pmuludq per vector lane, not three), a 32-bit unsigned division.
 */
static LLVMValueRef alu_narrow(struct tr *t, uint8_t op, LLVMValueRef a, LLVMValueRef b)
{
        LLVMValueRef low = c64(t, UINT32_MAX);

        if (op == BPFAOT_ALU_MUL) {
                a = LLVMBuildAnd(t->b, a, low, "");
                b = LLVMBuildAnd(t->b, b, low, "");
                return LLVMBuildNUWMul(t->b, a, b, "");
        }
        a = LLVMBuildTrunc(t->b, a, t->i32, "");
        b = LLVMBuildTrunc(t->b, b, t->i32, "");
        return LLVMBuildZExt(t->b, alu_divmod(t, op, false, a, b, t->i32), t->i64, "");
}

/*
 * The distance from r10 of 64-bit ALU `insn`'s result (operand `b`), in
 * steps LLVM can follow: (dst + b) - r10 is (dst - r10) + b, exactly,
 * whatever dst and b hold. NULL when there is no such step, or no need.
 */
static LLVMValueRef frame_off_step(struct tr *t, const struct bpfaot_insn *insn, LLVMValueRef b)
{
        if (!t->frame_offs[insn->dst])
                return NULL;
        switch (insn_op(insn)) {
        case BPFAOT_ALU_ADD:
                return LLVMBuildAdd(t->b, frame_off_get(t, insn->dst), b, "");
        case BPFAOT_ALU_SUB:
                return LLVMBuildSub(t->b, frame_off_get(t, insn->dst), b, "");
        case BPFAOT_ALU_MOV:
                return insn_is_reg_src(insn) && !insn->off ? frame_off_get(t, insn->src) : NULL;
        default:
                return NULL;
        }
}

static void tr_alu(struct tr *t, const struct bpfaot_insn *insn)
{
        bool is64 = bpfaot_insn_class(insn) == BPFAOT_CLASS_ALU64;
        uint8_t op = insn_op(insn);
        LLVMTypeRef ty = is64 ? t->i64 : t->i32;
        unsigned bits = is64 ? 64 : 32;
        LLVMValueRef a, b, r;

        if (op == BPFAOT_ALU_END) {
                tr_end(t, insn);
                return;
        }
        /* A move never reads its destination: no load of it for -O0 to keep. */
        a = op == BPFAOT_ALU_MOV ? NULL : reg_get(t, insn->dst);
        if (insn_is_reg_src(insn))
                b = reg_get(t, insn->src);
        else
                b = c64(t, (uint64_t)(int64_t)insn->imm); /* sign-extended */
        if (!is64) {
                if (a)
                        a = LLVMBuildTrunc(t->b, a, ty, "");
                b = LLVMBuildTrunc(t->b, b, ty, "");
        } else if (t->program->narrow && t->program->narrow[t->cur]) {
                reg_set(t, insn->dst, alu_narrow(t, op, a, b));
                return;
        }
        switch (op) {
        case BPFAOT_ALU_ADD:
                r = LLVMBuildAdd(t->b, a, b, "");
                break;
        case BPFAOT_ALU_SUB:
                r = alu_divrem(t, a, b);
                if (!r)
                        r = LLVMBuildSub(t->b, a, b, "");
                break;
        case BPFAOT_ALU_MUL:
                r = LLVMBuildMul(t->b, a, b, "");
                break;
        case BPFAOT_ALU_DIV:
        case BPFAOT_ALU_MOD:
                r = alu_divmod(t, op, insn->off == 1, a, b, ty);
                break;
        case BPFAOT_ALU_OR:
                r = LLVMBuildOr(t->b, a, b, "");
                break;
        case BPFAOT_ALU_AND:
                r = LLVMBuildAnd(t->b, a, b, "");
                break;
        case BPFAOT_ALU_XOR:
                r = LLVMBuildXor(t->b, a, b, "");
                break;
        case BPFAOT_ALU_LSH:
        case BPFAOT_ALU_RSH:
        case BPFAOT_ALU_ARSH:
                b = LLVMBuildAnd(t->b, b, cint(ty, bits - 1), ""); /* RFC 9669 masking */
                if (op == BPFAOT_ALU_LSH)
                        r = LLVMBuildShl(t->b, a, b, "");
                else if (op == BPFAOT_ALU_RSH)
                        r = LLVMBuildLShr(t->b, a, b, "");
                else
                        r = LLVMBuildAShr(t->b, a, b, "");
                break;
        case BPFAOT_ALU_NEG:
                r = LLVMBuildSub(t->b, cint(ty, 0), a, "");
                break;
        case BPFAOT_ALU_MOV:
                r = b;
                if (insn_is_reg_src(insn) && insn->off) {
                        LLVMValueRef narrow = LLVMBuildTrunc(
                            t->b, reg_get(t, insn->src), int_type(t, (unsigned)insn->off / 8), "");
                        r = LLVMBuildSExt(t->b, narrow, ty, "");
                }
                break;
        default:
                /* The validator rejected every other operation. */
                r = a;
                break;
        }
        if (!is64)
                r = LLVMBuildZExt(t->b, r, t->i64, "");
        reg_set_off(t, insn->dst, r, is64 ? frame_off_step(t, insn, b) : NULL);
}

/* ------------------------------------------------------------------ */
/* Memory                                                              */
/* ------------------------------------------------------------------ */

static void tr_ldx(struct tr *t, const struct bpfaot_insn *insn)
{
        unsigned bytes = insn_size_bytes(insn_size_field(insn));
        LLVMTypeRef ty = int_type(t, bytes);
        LLVMValueRef p, v;

        sb_access(t, insn->src, insn->off, bytes, BPFAOT_SANDBOX_LOAD);
        p = mem_addr(t, insn->src, insn->off, ty);
        v = LLVMBuildLoad2(t->b, ty, p, "");

        /* eBPF memory carries no alignment promise. */
        LLVMSetAlignment(v, 1);
        if (bytes < 8)
                v = insn_mode(insn) == BPFAOT_MODE_MEMSX ? LLVMBuildSExt(t->b, v, t->i64, "")
                                                         : LLVMBuildZExt(t->b, v, t->i64, "");
        reg_set(t, insn->dst, v);
}

static void tr_store(struct tr *t, const struct bpfaot_insn *insn)
{
        unsigned bytes = insn_size_bytes(insn_size_field(insn));
        LLVMTypeRef ty = int_type(t, bytes);
        LLVMValueRef v, p, st;

        if (bpfaot_insn_class(insn) == BPFAOT_CLASS_ST)
                v = c64(t, (uint64_t)(int64_t)insn->imm);
        else
                v = reg_get(t, insn->src);
        if (bytes < 8)
                v = LLVMBuildTrunc(t->b, v, ty, "");
        sb_access(t, insn->dst, insn->off, bytes, BPFAOT_SANDBOX_STORE);
        p = mem_addr(t, insn->dst, insn->off, ty);
        st = LLVMBuildStore(t->b, v, p);
        LLVMSetAlignment(st, 1);
}

static void tr_atomic(struct tr *t, const struct bpfaot_insn *insn)
{
        bool is64 = insn_size_field(insn) == BPFAOT_SIZE_DW;
        LLVMTypeRef ty = is64 ? t->i64 : t->i32;
        LLVMValueRef p, v, old;
        LLVMAtomicRMWBinOp rop;
        const LLVMAtomicOrdering sc = LLVMAtomicOrderingSequentiallyConsistent;

        sb_access(t, insn->dst, insn->off, is64 ? 8 : 4, BPFAOT_SANDBOX_ATOMIC);
        p = mem_addr(t, insn->dst, insn->off, ty);
        v = reg_get(t, insn->src);
        if (!is64)
                v = LLVMBuildTrunc(t->b, v, ty, "");
        if (insn->imm == BPFAOT_ATOMIC_CMPXCHG) {
                LLVMValueRef expect = reg_get(t, 0);
                if (!is64)
                        expect = LLVMBuildTrunc(t->b, expect, ty, "");
                LLVMValueRef pair = LLVMBuildAtomicCmpXchg(t->b, p, expect, v, sc, sc, false);
                old = LLVMBuildExtractValue(t->b, pair, 0, "");
                reg_set(t, 0, is64 ? old : LLVMBuildZExt(t->b, old, t->i64, ""));
                return;
        }
        switch (insn->imm & ~BPFAOT_ATOMIC_FETCH) {
        case BPFAOT_ATOMIC_ADD:
                rop = LLVMAtomicRMWBinOpAdd;
                break;
        case BPFAOT_ATOMIC_OR:
                rop = LLVMAtomicRMWBinOpOr;
                break;
        case BPFAOT_ATOMIC_AND:
                rop = LLVMAtomicRMWBinOpAnd;
                break;
        case BPFAOT_ATOMIC_XOR:
                rop = LLVMAtomicRMWBinOpXor;
                break;
        default: /* xchg */
                rop = LLVMAtomicRMWBinOpXchg;
                break;
        }
        old = LLVMBuildAtomicRMW(t->b, rop, p, v, sc, false);
        if (insn->imm & BPFAOT_ATOMIC_FETCH)
                reg_set(t, insn->src, is64 ? old : LLVMBuildZExt(t->b, old, t->i64, ""));
}

static void tr_lddw_plain(struct tr *t, size_t idx);

/*
 * The object's own global holding a data section, created on first use:
 * the section's bytes, padded to whole pages when a host may set it before
 * freezing it (objabi_data_span).
 */
static LLVMValueRef object_data(struct tr *t, const struct bpfaot_data_sec *d)
{
        bool settable = t->opts->whole_object && objabi_data_settable(d);
        uint64_t span = objabi_data_span(d, t->opts->whole_object);
        LLVMTypeRef ty = LLVMArrayType(t->i8, (unsigned)span);
        LLVMValueRef g = LLVMGetNamedGlobal(t->mod, d->symbol);
        uint8_t *bytes = NULL;

        if (g)
                return g;
        if (d->bytes && (bytes = calloc(1, span ? span : 1)) != NULL)
                memcpy(bytes, d->bytes, d->size);
        t->oom |= d->bytes && !bytes;
        g = LLVMAddGlobal(t->mod, ty, d->symbol);
        LLVMSetInitializer(
            g, bytes ? LLVMConstStringInContext(t->ctx, (const char *)bytes, (unsigned)span, true)
                     : LLVMConstNull(ty));
        free(bytes);
        /* Read-only sections no host sets are constant, so LLVM may fold loads from them. */
        LLVMSetGlobalConstant(g, d->readonly && !settable);
        /*
         * weak_odr: every program object of the same eBPF object defines the
         * same data; the linker keeps one copy, so programs share it.
         */
        LLVMSetLinkage(g, LLVMWeakODRLinkage);
        LLVMSetAlignment(g, settable ? OBJABI_FREEZE_ALIGN : 8);
        return g;
}

/* A private constant C string, as an i8* (NULL for NULL). */
static LLVMValueRef const_str(struct tr *t, const char *str)
{
        LLVMValueRef init, g;

        if (!str)
                return LLVMConstNull(t->i8p);
        init = LLVMConstStringInContext(t->ctx, str, (unsigned)strlen(str), false);
        g = LLVMAddGlobal(t->mod, LLVMTypeOf(init), "");
        LLVMSetInitializer(g, init);
        LLVMSetGlobalConstant(g, true);
        LLVMSetLinkage(g, LLVMPrivateLinkage);
        LLVMSetUnnamedAddr(g, true);
        return LLVMConstPointerCast(g, t->i8p);
}

/* A program's entry function uint64_t f(void *ctx, uint64_t ctx_size), declared if not yet built.
 */
static LLVMValueRef entry_fn(struct tr *t, const char *name)
{
        LLVMTypeRef params[2] = {t->i8p, t->i64};
        LLVMValueRef fn = LLVMGetNamedFunction(t->mod, name);

        return fn ? fn : LLVMAddFunction(t->mod, name, LLVMFunctionType(t->i64, params, 2, false));
}

static bool in_module(const struct tr *t, const char *entry)
{
        for (size_t i = 0; i < t->opts->module_entry_cnt; i++)
                if (strcmp(t->opts->module_entries[i], entry) == 0)
                        return true;
        return false;
}

/* A private constant array; returns it cast to i8*. */
static LLVMValueRef private_array(struct tr *t, LLVMTypeRef elem, LLVMValueRef *vals, unsigned n)
{
        LLVMValueRef g = LLVMAddGlobal(t->mod, LLVMArrayType(elem, n), "");

        LLVMSetInitializer(g, LLVMConstArray(elem, vals, n));
        LLVMSetGlobalConstant(g, true);
        LLVMSetLinkage(g, LLVMPrivateLinkage);
        LLVMSetAlignment(g, 8);
        return LLVMConstPointerCast(g, t->i8p);
}

/* `n` constants `fill` to be overwritten, or NULL (t->oom set) when out of memory. */
static LLVMValueRef *const_vals(struct tr *t, unsigned n, LLVMValueRef fill)
{
        LLVMValueRef *vals = calloc(n, sizeof(*vals));

        for (unsigned i = 0; vals && i < n; i++)
                vals[i] = fill;
        t->oom |= !vals;
        return vals;
}

/*
 * The initial contents of a PROG_ARRAY, as bpfaot_map_def.init_value holds
 * them: the entries <prefix>__<prog> (the skeleton's names) of the programs
 * in this module. Sets *size to their bytes.
 */
static LLVMValueRef prog_array_init(struct tr *t, const struct bpfaot_map_desc *m, size_t *size)
{
        unsigned n = m->init_cnt ? m->inits[m->init_cnt - 1].slot + 1 : 0;
        LLVMValueRef *vals, arr = NULL;

        if (!n || !(vals = const_vals(t, n, LLVMConstNull(t->i8p))))
                return NULL;
        for (size_t k = 0; k < m->init_cnt && !t->oom; k++) {
                const struct bpfaot_map_init *in = &m->inits[k];
                char *entry = objabi_prog_entry(t->prog->symbol_prefix, in->prog);

                if (!entry) {
                        t->oom = true;
                        break;
                }
                /* A program not compiled into this module leaves its slot empty. */
                if (in_module(t, entry))
                        vals[in->slot] = LLVMConstPointerCast(entry_fn(t, entry), t->i8p);
                free(entry);
        }
        if (!t->oom) {
                arr = private_array(t, t->i8p, vals, n);
                *size = (size_t)n * sizeof(bpfaot_prog_fn);
        }
        free(vals);
        return arr;
}

/*
 * The initial contents of map `m` whose definition is *d: a PROG_ARRAY's
 * programs (setting d->init_size), else d->init_value's 32-bit words.
 */
static LLVMValueRef map_init(struct tr *t, const struct bpfaot_map_desc *m,
                             struct bpfaot_map_def *d)
{
        unsigned n = (unsigned)(d->init_size / sizeof(uint32_t));
        const uint32_t *words = d->init_value;
        LLVMValueRef *vals, arr = NULL;

        if (m->type == BPF_MAP_TYPE_PROG_ARRAY)
                return prog_array_init(t, m, &d->init_size);
        if (!words || !(vals = const_vals(t, n, NULL)))
                return NULL;
        for (unsigned i = 0; i < n; i++)
                vals[i] = cint(t->i32, words[i]);
        arr = private_array(t, t->i32, vals, n);
        free(vals);
        return arr;
}

/* One struct bpfaot_map_def: `d` with its pointers made constants of the module. */
static LLVMValueRef map_def(struct tr *t, const struct bpfaot_map_def *d, LLVMValueRef init,
                            LLVMValueRef inner)
{
        LLVMValueRef ptrs[OBJABI_MAP_DEF_FIELD_CNT] = {
            [OBJABI_bpfaot_map_def__name] = const_str(t, d->name),
            [OBJABI_bpfaot_map_def__init_value] = init,
            [OBJABI_bpfaot_map_def__inner] = inner,
        };
        return objabi_const(t->ctx, OBJABI_MAP_DEF, d, ptrs);
}

/* An inner-map template: a private constant struct bpfaot_map_def. */
static LLVMValueRef map_template(struct tr *t, const struct bpfaot_map_def *d)
{
        LLVMValueRef g = LLVMAddGlobal(t->mod, objabi_type(t->ctx, OBJABI_MAP_DEF), "");

        LLVMSetInitializer(g, map_def(t, d, NULL, NULL));
        LLVMSetGlobalConstant(g, true);
        LLVMSetLinkage(g, LLVMPrivateLinkage);
        return g;
}

/*
 * Instances (objabi.h, OBJABI_SYM_INSTANCE): the thread's running instance,
 * a block of the instance's map slots and data sections, read once per run
 * of the function; NULL runs on the object's own globals.
 */
static LLVMValueRef instance_global(struct tr *t)
{
        char *name = objabi_symbol(t->prog->symbol_prefix, OBJABI_SYM_INSTANCE);
        LLVMValueRef g;

        if (!name)
                return NULL;
        g = LLVMGetNamedGlobal(t->mod, name);
        if (!g) {
                g = LLVMAddGlobal(t->mod, t->i8p, name);
                LLVMSetInitializer(g, LLVMConstNull(t->i8p));
                LLVMSetThreadLocal(g, true);
                LLVMSetLinkage(g, LLVMWeakODRLinkage);
                LLVMSetAlignment(g, 8);
        }
        free(name);
        return g;
}

static LLVMValueRef instance_val(struct tr *t)
{
        LLVMValueRef g;

        if (t->inst_val)
                return t->inst_val;
        g = instance_global(t);
        if (!g) {
                t->oom = true;
                return LLVMConstNull(t->i8p);
        }
        LLVMPositionBuilderBefore(t->eb, t->entry_term);
        t->inst_val = LLVMBuildLoad2(t->eb, t->i8p, g, "instance");
        return t->inst_val;
}

/* The map slots: the running instance's (its first bytes), or without one `own`, the object's. */
static LLVMValueRef instance_slots(struct tr *t, LLVMValueRef own)
{
        LLVMValueRef inst = instance_val(t);
        LLVMTypeRef i64p = compat_ptr_type(t->ctx, t->i64);

        LLVMPositionBuilderBefore(t->eb, t->entry_term);
        return LLVMBuildSelect(t->eb, LLVMBuildIsNull(t->eb, inst, ""),
                               LLVMConstPointerCast(own, i64p),
                               LLVMBuildPointerCast(t->eb, inst, i64p, ""), "");
}

/*
 * A data section's base: the object's global, or with instances the
 * running instance's copy, at a fixed offset in it (objabi_instance_offset).
 */
static LLVMValueRef data_global(struct tr *t, const struct bpfaot_data_sec *d)
{
        size_t k = (size_t)(d - t->prog->data);
        LLVMValueRef own = object_data(t, d), inst, off;

        if (!t->opts->instances)
                return own;
        if (t->data_vals[k])
                return t->data_vals[k];
        inst = instance_val(t);
        off = c64(t, objabi_instance_offset(t->prog->data, t->prog->data_cnt, k, t->prog->map_cnt));
        LLVMPositionBuilderBefore(t->eb, t->entry_term);
        t->data_vals[k] = LLVMBuildSelect(
            t->eb, LLVMBuildIsNull(t->eb, inst, ""), LLVMConstPointerCast(own, t->i8p),
            LLVMBuildInBoundsGEP2(t->eb, t->i8, inst, &off, 1, ""), "data");
        return t->data_vals[k];
}

/*
 * The object's map tables (bpfaot/objabi.h), created on first use from the
 * definitions bpfaot_prog__map_defs() makes:
 *   const struct bpfaot_map_def <prefix>__map_defs[N];
 *   const uint32_t <prefix>__map_cnt = N;
 *   void *<prefix>__maps[N];  slots the host fills with the created maps
 * Like global data they are weak_odr, shared by all programs of the object.
 * Returns the slot array, or NULL when out of memory.
 */
static LLVMValueRef map_tables(struct tr *t)
{
        const struct bpfaot_prog *prog = t->prog;
        unsigned n = (unsigned)prog->map_cnt;
        char *slots_name = objabi_symbol(prog->symbol_prefix, BPFAOT_SYM_MAPS);
        char *defs_name = objabi_symbol(prog->symbol_prefix, BPFAOT_SYM_MAP_DEFS);
        char *cnt_name = objabi_symbol(prog->symbol_prefix, BPFAOT_SYM_MAP_CNT);
        LLVMTypeRef def_ty = objabi_type(t->ctx, OBJABI_MAP_DEF),
                    slots_ty = LLVMArrayType(t->i64, n);
        LLVMValueRef slots = NULL, defs, cnt, *elems = NULL;
        struct bpfaot_map_def *cdefs = NULL;

        if (!slots_name || !defs_name || !cnt_name)
                goto out;
        slots = LLVMGetNamedGlobal(t->mod, slots_name);
        if (slots)
                goto out;
        elems = calloc(n ? n : 1, sizeof(*elems));
        if (!elems || bpfaot_prog__map_defs(prog, &cdefs, NULL))
                goto out;
        for (unsigned i = 0; i < n; i++) {
                struct bpfaot_map_def d = cdefs[i];
                LLVMValueRef init = map_init(t, &prog->maps[i], &d);

                elems[i] = map_def(t, &d, init, d.inner ? map_template(t, d.inner) : NULL);
        }
        defs = LLVMAddGlobal(t->mod, LLVMArrayType(def_ty, n), defs_name);
        LLVMSetInitializer(defs, LLVMConstArray(def_ty, elems, n));
        LLVMSetGlobalConstant(defs, true);
        LLVMSetLinkage(defs, LLVMWeakODRLinkage);
        cnt = LLVMAddGlobal(t->mod, t->i32, cnt_name);
        LLVMSetInitializer(cnt, cint(t->i32, n));
        LLVMSetGlobalConstant(cnt, true);
        LLVMSetLinkage(cnt, LLVMWeakODRLinkage);
        slots = LLVMAddGlobal(t->mod, slots_ty, slots_name);
        LLVMSetInitializer(slots, LLVMConstNull(slots_ty));
        LLVMSetLinkage(slots, LLVMWeakODRLinkage);
        LLVMSetAlignment(slots, 8);
out:
        free(cdefs);
        free(elems);
        free(slots_name);
        free(defs_name);
        free(cnt_name);
        return slots;
}

/*
 * The map the host stored in the object's slot for map `m`. Hosts fill the
 * slots before programs run, so it is loaded once per run of the function,
 * at its entry, where LLVM keeps it in a register (a store through a map
 * value could otherwise, as far as LLVM knows, change it).
 */
static LLVMValueRef map_slot(struct tr *t, size_t m)
{
        LLVMValueRef slots, p, ix[2] = {c64(t, 0), c64(t, m)};

        if (t->slot_vals[m])
                return t->slot_vals[m];
        slots = map_tables(t);
        if (!slots) {
                t->oom = true;
                return c64(t, 0);
        }
        LLVMPositionBuilderBefore(t->eb, t->entry_term);
        if (t->opts->instances) {
                /* The instance's slots come first in its table. */
                LLVMValueRef idx = c64(t, m);
                LLVMValueRef tbl = instance_slots(t, slots);

                p = LLVMBuildInBoundsGEP2(t->eb, t->i64, tbl, &idx, 1, "");
        } else {
                p = LLVMBuildInBoundsGEP2(t->eb, LLVMArrayType(t->i64, (unsigned)t->prog->map_cnt),
                                          slots, ix, 2, "");
        }
        t->slot_vals[m] = LLVMBuildLoad2(t->eb, t->i64, p, "map");
        return t->slot_vals[m];
}

/*
 * The values of ARRAY map `m` inlined (struct bpfaot_map_inline), loaded
 * once per run like its slot; NULL when the slot is empty (read from a zero
 * constant, so that no branch is needed).
 */
static LLVMValueRef array_values(struct tr *t, size_t m)
{
        LLVMValueRef slot, none, addr;
        LLVMTypeRef i8p = compat_ptr_type(t->ctx, t->i8);

        if (t->base_vals[m])
                return t->base_vals[m];
        slot = map_slot(t, m);
        none = LLVMGetNamedGlobal(t->mod, "bpfaot.no_values");
        if (!none) {
                none = LLVMAddGlobal(t->mod, t->i64, "bpfaot.no_values");
                LLVMSetInitializer(none, c64(t, 0));
                LLVMSetGlobalConstant(none, true);
                LLVMSetLinkage(none, LLVMPrivateLinkage);
        }
        LLVMPositionBuilderBefore(t->eb, t->entry_term);
        addr = LLVMBuildSelect(
            t->eb, LLVMBuildICmp(t->eb, LLVMIntEQ, slot, c64(t, 0), ""),
            LLVMBuildPtrToInt(t->eb, none, t->i64, ""),
            LLVMBuildAdd(t->eb, slot, c64(t, BPFAOT_MAP_INLINE_VALUES_OFFSET), ""), "");
        t->base_vals[m] = LLVMBuildLoad2(
            t->eb, i8p, LLVMBuildIntToPtr(t->eb, addr, compat_ptr_type(t->ctx, i8p), ""), "values");
        return t->base_vals[m];
}

/* The function's entry block ends with `term`: values loaded once per run go before it. */
static void entry_done(struct tr *t, LLVMValueRef term)
{
        t->entry_term = term;
        memset(t->slot_vals, 0, t->prog->map_cnt * sizeof(*t->slot_vals));
        memset(t->base_vals, 0, t->prog->map_cnt * sizeof(*t->base_vals));
        memset(t->data_vals, 0, t->prog->data_cnt * sizeof(*t->data_vals));
        t->inst_val = NULL;
}

/*
 * Map `m` of the object: from its slot, or, for hosts that own the maps
 * (maps_by_fd), whatever __lddw_helper_map_by_fd(m) returns, asked at every
 * load as bpftime's programs ask it.
 */
static LLVMValueRef map_load(struct tr *t, size_t m)
{
        LLVMTypeRef by_u32 = LLVMFunctionType(t->i64, &t->i32, 1, false);
        LLVMValueRef index = cint(t->i32, (uint32_t)m);

        if (t->opts->maps_by_fd)
                return call(t, BPFAOT_LDDW_MAP_BY_FD_SYMBOL, by_u32, &index, 1);
        return map_slot(t, m);
}

static void tr_lddw(struct tr *t, size_t idx)
{
        const struct bpfaot_reloc *rel = program_reloc(t->program, idx);

        if (rel && rel->kind == BPFAOT_RELOC_MAP) {
                reg_set(t, t->prog->insns[idx].dst, map_load(t, rel->data_sec));
                t->reg_map[t->prog->insns[idx].dst] = (uint32_t)rel->data_sec + 1;
                return;
        }

        if (rel && rel->kind == BPFAOT_RELOC_DATA) {
                LLVMValueRef off = c64(t, rel->offset);
                LLVMValueRef base = compat_cast_ptr(
                    t->b, t->ctx, data_global(t, &t->prog->data[rel->data_sec]), t->i8);
                LLVMValueRef p = LLVMBuildGEP2(t->b, t->i8, base, &off, 1, "");
                reg_set(t, t->prog->insns[idx].dst, LLVMBuildPtrToInt(t->b, p, t->i64, ""));
                return;
        }
        tr_lddw_plain(t, idx);
}

static void tr_lddw_plain(struct tr *t, size_t idx)
{
        const struct bpfaot_insn *insn = &t->prog->insns[idx];
        uint32_t hi = (uint32_t)t->prog->insns[idx + 1].imm;
        LLVMValueRef v, arg = cint(t->i32, (uint32_t)insn->imm);
        LLVMTypeRef by_u32 = LLVMFunctionType(t->i64, &t->i32, 1, false);
        LLVMTypeRef by_u64 = LLVMFunctionType(t->i64, &t->i64, 1, false);

        switch (insn->src) {
        case BPFAOT_LDDW_IMM64:
                v = c64(t, (uint64_t)(uint32_t)insn->imm | ((uint64_t)hi << 32));
                break;
        case BPFAOT_LDDW_MAP_FD:
        case BPFAOT_LDDW_MAP_VAL:
                v = call(t, BPFAOT_LDDW_MAP_BY_FD_SYMBOL, by_u32, &arg, 1);
                break;
        case BPFAOT_LDDW_VAR_ADDR:
                v = call(t, BPFAOT_LDDW_VAR_ADDR_SYMBOL, by_u32, &arg, 1);
                break;
        case BPFAOT_LDDW_CODE_ADDR: {
                /* A sub-program of this program: its native function's address. */
                long target = insn_code_addr_target(insn, idx, t->prog->insn_cnt);
                long s = target >= 0 ? subprogs_index_of(&t->program->sp, (size_t)target) : -1;
                v = s >= 0 ? LLVMBuildPtrToInt(t->b, t->sub_fns[s], t->i64, "")
                           : call(t, BPFAOT_LDDW_CODE_ADDR_SYMBOL, by_u32, &arg, 1);
                break;
        }
        default: /* map by index, and map value by index */
                v = call(t, BPFAOT_LDDW_MAP_BY_IDX_SYMBOL, by_u32, &arg, 1);
                break;
        }
        if (insn->src == BPFAOT_LDDW_MAP_VAL || insn->src == BPFAOT_LDDW_MAP_IDX_VAL) {
                v = call(t, BPFAOT_LDDW_MAP_VAL_SYMBOL, by_u64, &v, 1);
                v = LLVMBuildAdd(t->b, v, c64(t, hi), "");
        }
        reg_set(t, insn->dst, v);
}

/* ------------------------------------------------------------------ */
/* Calls and jumps                                                     */
/* ------------------------------------------------------------------ */

static void finish_call(struct tr *t, LLVMValueRef ret)
{
        reg_set(t, 0, ret);
        /* r1-r5 are clobbered by calls; give them a defined value. */
        for (unsigned r = 1; r <= 5; r++)
                reg_set(t, r, c64(t, 0));
}

static void tr_exit(struct tr *t);

/*
 * bpf_tail_call(ctx, map, index): the runtime runs the target program and
 * says whether it did (BPFAOT_TAIL_CALL_SYMBOL returns {done, r0}); if so,
 * its result is this function's, as the target replaces the current frame.
 * Otherwise execution goes on with r0 = the error.
 */
static void tr_tail_call(struct tr *t, LLVMValueRef *args)
{
        LLVMTypeRef pair[2] = {t->i64, t->i64};
        LLVMTypeRef res_ty = LLVMStructTypeInContext(t->ctx, pair, 2, false);
        LLVMTypeRef params[3] = {t->i64, t->i64, t->i64};
        LLVMValueRef res = call(t, BPFAOT_TAIL_CALL_SYMBOL,
                                LLVMFunctionType(res_ty, params, 3, false), args + 1, 3);
        LLVMValueRef done = LLVMBuildExtractValue(t->b, res, 0, "tail_done");
        LLVMBasicBlockRef ret_bb = LLVMAppendBasicBlockInContext(t->ctx, t->fn, "tail_ret");
        LLVMBasicBlockRef cont = LLVMAppendBasicBlockInContext(t->ctx, t->fn, "tail_failed");

        finish_call(t, LLVMBuildExtractValue(t->b, res, 1, "tail_r0"));
        LLVMBuildCondBr(t->b, LLVMBuildICmp(t->b, LLVMIntNE, done, c64(t, 0), ""), ret_bb, cont);
        LLVMPositionBuilderAtEnd(t->b, ret_bb);
        tr_exit(t);
        LLVMPositionBuilderAtEnd(t->b, cont);
}

/*
 * --inline-maps: bpf_map_lookup_elem on an ARRAY map of the object, known
 * when compiling, as native code (struct bpfaot_map_inline): the values
 * base (loaded once per run) + key * stride, or NULL for a key out of range
 * or an empty slot, as this runtime's helper answers.
 */
static bool tr_inline_array_lookup(struct tr *t, LLVMValueRef *args)
{
        const struct bpfaot_map_desc *m;
        LLVMValueRef values, key, index, addr, found;
        uint64_t stride;

        if (!t->opts->inline_maps || !t->reg_map[1] || t->reg_map[1] > t->prog->map_cnt)
                return false;
        m = &t->prog->maps[t->reg_map[1] - 1];
        if (m->type != BPF_MAP_TYPE_ARRAY || m->key_size != 4 || !m->value_size || !m->max_entries)
                return false;
        stride = ((uint64_t)m->value_size + 7) & ~7ull;
        values = array_values(t, t->reg_map[1] - 1);
        key = LLVMBuildLoad2(t->b, t->i32,
                             LLVMBuildIntToPtr(t->b, args[2], compat_ptr_type(t->ctx, t->i32), ""),
                             "key");
        LLVMSetAlignment(key, 1);
        found = LLVMBuildAnd(t->b,
                             LLVMBuildICmp(t->b, LLVMIntULT, key, cint(t->i32, m->max_entries), ""),
                             LLVMBuildIsNotNull(t->b, values, ""), "");
        /*
         * In bounds where it is used: a found value lies inside the array
         * (out of bounds only poisons the arm the select drops), so it is
         * never NULL: the result is NULL exactly when `found` is false, and
         * a NULL check of it tests `found` (see tr_cond_jmp).
         */
        index = LLVMBuildMul(t->b, LLVMBuildZExt(t->b, key, t->i64, ""), c64(t, stride), "");
        addr = LLVMBuildPtrToInt(t->b, LLVMBuildInBoundsGEP2(t->b, t->i8, values, &index, 1, ""),
                                 t->i64, "");
        finish_call(t, LLVMBuildSelect(t->b, found, addr, c64(t, 0), ""));
        t->reg_found[0] = found;
        return true;
}

/*
 * A private frame has no real address: a helper given a spot of it
 * (provenance.h) gets the real address of that spot in its part.
 */
static void frame_args(struct tr *t, size_t idx, LLVMValueRef args[6])
{
        const struct program *p = t->program;
        size_t lo = 0, hi = p->frame_arg_cnt;

        if (!p->frames || !p->frames[t->sub].private)
                return;
        while (lo < hi) { /* the first at or after idx */
                size_t mid = lo + (hi - lo) / 2;
                if (p->frame_args[mid].insn < idx)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        for (; lo < p->frame_arg_cnt && p->frame_args[lo].insn == idx; lo++) {
                const struct frame_arg *fa = &p->frame_args[lo];
                LLVMValueRef ptr = frame_gep(t, fa->reg, false, 0, 0, fa->part, t->i8);

                args[fa->reg] = LLVMBuildPtrToInt(t->b, ptr, t->i64, "");
        }
}

/*
 * A sub-program that runs LD_ABS/LD_IND (itself or through a call) gets the
 * packet, the entry's ctx and ctx_size, after its five arguments; the entry
 * sub-program has them as r1 and r2. Callbacks never need it (validated).
 */
static bool gets_packet(const struct tr *t, size_t s)
{
        return s > 0 && t->program->sp.packet[s];
}

static LLVMTypeRef sub_fn_type(const struct tr *t, size_t s)
{
        return gets_packet(t, s) ? t->fn7 : t->fn5;
}

static void packet_of(struct tr *t, LLVMValueRef *ctx, LLVMValueRef *size);

/* Helpers that read memory through an argument the kernel leaves unchecked (bpf_probe_read). */
static bool sb_reads_any(uint32_t id)
{
        static const uint32_t ids[] = {
            BPF_FUNC_probe_read,          BPF_FUNC_probe_read_str,
            BPF_FUNC_probe_read_user,     BPF_FUNC_probe_read_kernel,
            BPF_FUNC_probe_read_user_str, BPF_FUNC_probe_read_kernel_str,
        };

        for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
                if (ids[i] == id)
                        return true;
        return false;
}

/*
 * Whether helper call `insn` may fail the run: it runs the program's code (a
 * callback), releases a ring-buffer record the runtime checks the run holds,
 * or takes or releases a spin lock (one at a time, and only the one held).
 */
static bool sb_may_fail(const struct bpfaot_insn *insn)
{
        const struct helper_sig *sig =
            insn->src == BPFAOT_CALL_HELPER ? helper_sig_find((uint32_t)insn->imm) : NULL;

        if (!sig)
                return false;
        for (unsigned i = 0; i < HELPER_MAX_ARGS; i++)
                if (sig->args[i] == HELPER_ARG_RINGBUF_RECORD ||
                    sig->args[i] == HELPER_ARG_SPIN_LOCK || sig->args[i] == HELPER_ARG_DYNPTR ||
                    sig->args[i] == HELPER_ARG_DYNPTR_OUT ||
                    sig->args[i] == HELPER_ARG_DYNPTR_RELEASE)
                        return true;
        return sig->callback != HELPER_CB_NONE;
}

/* Whether a private frame's spot, which the analysis bounded, is what register `reg` passes. */
static bool sb_frame_arg(const struct tr *t, size_t idx, unsigned reg)
{
        for (size_t i = 0; i < t->program->frame_arg_cnt; i++)
                if (t->program->frame_args[i].insn == idx && t->program->frame_args[i].reg == reg)
                        return t->program->frames && t->program->frames[t->sub].private;
        return false;
}

/* A callback must be one of the program's callbacks (lddw of a function), or NULL. */
static void sb_callback_arg(struct tr *t, LLVMValueRef v, uint64_t how)
{
        /* NULL is the helper's to refuse (-EINVAL), as the kernel's helpers do. */
        LLVMValueRef ok = LLVMBuildICmp(t->b, LLVMIntEQ, v, c64(t, 0), "");

        for (size_t s = 0; s < t->program->sp.cnt; s++)
                if (t->program->sp.callback[s])
                        ok = LLVMBuildOr(
                            t->b, ok,
                            LLVMBuildICmp(t->b, LLVMIntEQ, v,
                                          LLVMBuildPtrToInt(t->b, t->sub_fns[s], t->i64, ""), ""),
                            "");
        sb_require_or_report(t, ok, v, c64(t, 0), how);
}

/*
 * A helper's arguments against its signature (helper_sigs.h), as the
 * interpreter checks them: memory it reads or writes must be the program's
 * (its size the next argument, a fixed one, or the map's key or value
 * size), a map one of the program's, a callback one of its functions.
 */
static void sb_helper_args(struct tr *t, uint32_t id, size_t idx, LLVMValueRef *args)
{
        const struct helper_sig *sig = helper_sig_find(id);
        unsigned map_reg = 0;

        if (!sig)
                return; /* refused before translation (sandbox_refusal) */
        for (unsigned i = 0; i < HELPER_MAX_ARGS; i++)
                if (sig->args[i] == HELPER_ARG_MAP)
                        map_reg = i + 1;
        for (unsigned i = 0; i < HELPER_MAX_ARGS; i++) {
                const struct helper_arg_info *info = helper_arg_info(sig->args[i]);
                unsigned reg = i + 1, flags = info ? info->flags : 0;
                bool writes = flags & HELPER_ARGF_WRITES;
                LLVMValueRef v = args[reg], size;
                unsigned sized_by_map = 0;

                if (!info || sig->args[i] == HELPER_ARG_NONE)
                        break;
                if (sig->args[i] == HELPER_ARG_FUNC) {
                        sb_callback_arg(t, v, sb_how(t, BPFAOT_SANDBOX_CALLBACK, reg, id));
                        continue;
                }
                if (sig->args[i] == HELPER_ARG_MAP) {
                        if (!t->reg_map[reg])
                                sb_check(t, v, c64(t, 0), sb_how(t, BPFAOT_SANDBOX_MAP, reg, id));
                        continue;
                }
                if (sig->args[i] == HELPER_ARG_RINGBUF_RECORD ||
                    sig->args[i] == HELPER_ARG_DYNPTR || sig->args[i] == HELPER_ARG_DYNPTR_RELEASE)
                        continue; /* the runtime checks the run holds it, or the dynptr */
                if (sig->args[i] == HELPER_ARG_CTX) {
                        sb_check(t, v, c64(t, 0), sb_how(t, BPFAOT_SANDBOX_CTX, reg, id));
                        continue;
                }
                if (sig->args[i] == HELPER_ARG_CONST_STR) {
                        sb_check(t, v, c64(t, 0), sb_how(t, BPFAOT_SANDBOX_STRING, reg, id));
                        continue;
                }
                if (sig->args[i] == HELPER_ARG_ANYTHING && i == 2 && sb_reads_any(id))
                        flags = HELPER_ARGF_PTR | HELPER_ARGF_SIZED_BY_NEXT;
                /* bpf_probe_write_user(dst, src, len): dst must be the program's, as memory. */
                if (sig->args[i] == HELPER_ARG_ANYTHING && i == 0 &&
                    id == BPF_FUNC_probe_write_user) {
                        flags = HELPER_ARGF_PTR | HELPER_ARGF_SIZED_BY_NEXT;
                        writes = true;
                }
                if (!(flags & HELPER_ARGF_PTR) || sb_frame_arg(t, idx, reg))
                        continue;
                if (flags & HELPER_ARGF_SIZED_BY_NEXT && sig->args[i] == HELPER_ARG_ANYTHING)
                        /* bpf_probe_read(dst, size, src), bpf_probe_write_user(dst, src, len) */
                        size = id == BPF_FUNC_probe_write_user ? args[3] : args[2];
                else if (flags & HELPER_ARGF_SIZED_BY_NEXT)
                        size = reg < 5 ? args[reg + 1] : c64(t, 0);
                else if (flags & (HELPER_ARGF_KEY_SIZED | HELPER_ARGF_VALUE_SIZED)) {
                        bool key = flags & HELPER_ARGF_KEY_SIZED;
                        uint32_t m = map_reg ? t->reg_map[map_reg] : 0;

                        if (m) {
                                const struct bpfaot_map_desc *d = &t->prog->maps[m - 1];
                                size = c64(t, key ? d->key_size : d->value_size);
                        } else {
                                /* The runtime takes the size from the map itself. */
                                size = map_reg ? args[map_reg] : c64(t, 0);
                                sized_by_map = key ? BPFAOT_SANDBOX_ARG_KEY_SIZED
                                                   : BPFAOT_SANDBOX_ARG_VALUE_SIZED;
                        }
                } else
                        size = c64(t, info->fixed_size);
                if (flags & HELPER_ARGF_NULL_OK) {
                        LLVMBasicBlockRef chk = LLVMAppendBasicBlockInContext(t->ctx, t->fn, "arg");
                        LLVMBasicBlockRef done =
                            LLVMAppendBasicBlockInContext(t->ctx, t->fn, "arg_null");

                        LLVMBuildCondBr(t->b, LLVMBuildICmp(t->b, LLVMIntEQ, v, c64(t, 0), ""),
                                        done, chk);
                        LLVMPositionBuilderAtEnd(t->b, chk);
                        sb_check(t, v, size,
                                 sb_how(t,
                                        writes ? BPFAOT_SANDBOX_HELPER_WRITE
                                               : BPFAOT_SANDBOX_HELPER_READ,
                                        reg | sized_by_map, id));
                        LLVMBuildBr(t->b, done);
                        LLVMPositionBuilderAtEnd(t->b, done);
                        continue;
                }
                sb_check(t, v, size,
                         sb_how(t,
                                writes ? BPFAOT_SANDBOX_HELPER_WRITE : BPFAOT_SANDBOX_HELPER_READ,
                                reg | sized_by_map, id));
        }
}

/* Argument kinds whose every use the sandbox checks (sb_helper_args). */
static bool sb_arg_checked(enum helper_arg kind)
{
        switch (kind) {
        case HELPER_ARG_KERNEL_PTR: /* dereferenced by the runtime */
        case HELPER_ARG_KERNEL_PTR_OR_NULL:
                return false;
        default:
                return true;
        }
}

/*
 * Helpers that read through pointers inside their data (a format's %s)
 * and are not covered: trace_printk, trace_vprintk and snprintf are, since
 * the runtime's reads of a format's pointers stay inside the sandboxed
 * run's memory (bpfaot__sandbox_readable; a pointer outside it prints as
 * the kernel prints an unreadable one). The seq_file and BTF ones write to
 * or read kernel objects.
 */
static bool sb_formats(uint32_t id)
{
        return id == BPF_FUNC_seq_printf || id == BPF_FUNC_seq_write ||
               id == BPF_FUNC_snprintf_btf || id == BPF_FUNC_seq_printf_btf;
}

/*
 * Why a call of helper `sig` cannot be sandboxed (into buf), or NULL when it
 * can: what the helper is given that no check covers.
 */
static const char *sb_refused(const struct helper_sig *sig, char *buf, size_t len)
{
        if (!sig)
                return "its signature is not known";
        /* The kernel signals the task the program runs for: here, the host itself. */
        if (sig->id == BPF_FUNC_send_signal || sig->id == BPF_FUNC_send_signal_thread)
                return "it signals the host process";
        /* Indirect writes the sandbox checks: probe_write_user's dst (sb_helper_args) and a
           dynptr's memory (the runtime). */
        if (sb_formats(sig->id) ||
            (sig->flags & HELPER_SIG_WRITES_INDIRECT && sig->id != BPF_FUNC_probe_write_user &&
             sig->id != BPF_FUNC_dynptr_write))
                return "it follows pointers it is not given as arguments";
        if (sig->id == BPF_FUNC_tail_call)
                return NULL;
        for (unsigned a = 0; a < HELPER_MAX_ARGS; a++)
                if (!sb_arg_checked(sig->args[a])) {
                        snprintf(buf, len, "its argument %u, a %s, is not checked", a + 1,
                                 helper_arg_info(sig->args[a])->name);
                        return buf;
                }
        return NULL;
}

/*
 * callx: the helper is known only when the call runs. Each helper the
 * sandbox allows gets its arguments checked as for a direct call; any other
 * id (tail_call included: the runtime's callx does not make one) fails the run.
 */
static void sb_callx_args(struct tr *t, size_t idx, LLVMValueRef *args)
{
        LLVMBasicBlockRef bad = LLVMAppendBasicBlockInContext(t->ctx, t->fn, "callx_refused");
        LLVMBasicBlockRef done = LLVMAppendBasicBlockInContext(t->ctx, t->fn, "callx_checked");
        LLVMValueRef sw = LLVMBuildSwitch(t->b, args[0], bad, 0);

        for (uint32_t id = 1; id < 1024; id++) {
                const struct helper_sig *sig = helper_sig_find(id);
                LLVMBasicBlockRef bb;

                char why[96];

                if (!sig || id == BPF_FUNC_tail_call || sb_refused(sig, why, sizeof(why)))
                        continue;
                bb = LLVMAppendBasicBlockInContext(t->ctx, t->fn, "callx_case");
                LLVMAddCase(sw, c64(t, id), bb);
                LLVMPositionBuilderAtEnd(t->b, bb);
                sb_helper_args(t, id, idx, args);
                LLVMBuildBr(t->b, done);
        }
        LLVMPositionBuilderAtEnd(t->b, bad);
        sb_check_call(t, args[0], c64(t, 0), sb_how(t, BPFAOT_SANDBOX_HELPER, 0, 0));
        sb_leave_frame(t);
        LLVMBuildRet(t->b, c64(t, 1));
        LLVMPositionBuilderAtEnd(t->b, done);
}

static void tr_call(struct tr *t, size_t idx)
{
        const struct bpfaot_insn *insn = &t->prog->insns[idx];
        const char *callee = subprog_callee_name(t->program, idx);
        const struct helper_sig *sig =
            insn->src == BPFAOT_CALL_HELPER && !callee && !insn_is_reg_src(insn)
                ? helper_sig_find((uint32_t)insn->imm)
                : NULL;
        unsigned nregs = sig ? helper_sig_reg_cnt(sig) : 5;
        LLVMValueRef args[8];
        char name[32];

        /*
         * A known helper is passed nothing in the registers it does not read
         * (poison, which a call may pass: the parameters are not noundef).
         * Whatever the last call left there would otherwise be loaded back
         * at -O0 (and kept stored) only to be passed along.
         */
        for (unsigned r = 1; r <= 5; r++)
                args[r] = r <= nregs ? reg_get(t, r) : LLVMGetPoison(t->i64);
        frame_args(t, idx, args);
        if (insn_is_reg_src(insn)) { /* callx: dispatch by helper id */
                LLVMTypeRef p6[6] = {t->i64, t->i64, t->i64, t->i64, t->i64, t->i64};
                args[0] = reg_get(t, insn->dst);
                if (t->sb_run)
                        sb_callx_args(t, idx, args);
                finish_call(t, call(t, BPFAOT_CALLX_SYMBOL, LLVMFunctionType(t->i64, p6, 6, false),
                                    args, 6));
                if (t->sb_run)
                        sb_after_call(t);
                return;
        }
        if (insn->src == BPFAOT_CALL_LOCAL) {
                long s = subprogs_index_of(&t->program->sp, (size_t)insn_call_target(insn, idx));
                LLVMValueRef ret;

                if (gets_packet(t, (size_t)s))
                        packet_of(t, &args[6], &args[7]);
                ret = LLVMBuildCall2(t->b, sub_fn_type(t, (size_t)s), t->sub_fns[s], args + 1,
                                     gets_packet(t, (size_t)s) ? 7 : 5, "");
                finish_call(t, ret);
                if (t->sb_run)
                        sb_after_call(t);
                return;
        }
        /* Extern and kfunc names come from the relocation or BTF; the validator checked them. */
        if (t->sb_run && !callee && insn->src == BPFAOT_CALL_HELPER)
                sb_helper_args(t, (uint32_t)insn->imm, idx, args);
        if (!callee && insn->src == BPFAOT_CALL_HELPER && insn->imm == BPF_FUNC_tail_call) {
                tr_tail_call(t, args);
                if (t->sb_run)
                        sb_after_call(t);
                return;
        }
        if (!callee && insn->src == BPFAOT_CALL_HELPER && insn->imm == BPF_FUNC_map_lookup_elem &&
            tr_inline_array_lookup(t, args))
                return;
        if (!callee) {
                snprintf(name, sizeof(name), BPFAOT_HELPER_SYMBOL_FMT, (unsigned)insn->imm);
                callee = name;
        }
        finish_call(t, call(t, callee, t->fn5, args + 1, 5));
        if (t->sb_run && sb_may_fail(insn)) {
                /* A fault the runtime could not place (too many frames in a callback, a record
                   not held) is this call's, as the interpreter's. */
                LLVMValueRef at = c64(t, sb_how(t, BPFAOT_SANDBOX_DEPTH, 0, 0));
                LLVMTypeRef params[2] = {t->i8p, t->i64};
                LLVMValueRef a2[2] = {t->sb_run, at};

                call(t, BPFAOT_SANDBOX_LOCATE_SYMBOL,
                     LLVMFunctionType(LLVMVoidTypeInContext(t->ctx), params, 2, false), a2, 2);
                sb_after_call(t);
        }
}

/* ------------------------------------------------------------------ */
/* Regions: huge sub-programs split into functions of bounded size      */
/* ------------------------------------------------------------------ */

#define REGION_EXIT (-1)
/* The dispatcher's state: the registers r0-r9, then the entry's two arguments. */
enum { STATE_CTX = BPFAOT_NUM_REGS - 1, STATE_CTX_SIZE, STATE_SLOTS };

static LLVMValueRef state_slot(struct tr *t, unsigned r)
{
        LLVMValueRef idx = c64(t, r);
        return LLVMBuildInBoundsGEP2(t->b, t->i64, t->state, &idx, 1, "");
}

static void save_regs(struct tr *t)
{
        for (unsigned r = 0; r < BPFAOT_NUM_REGS - 1; r++)
                LLVMBuildStore(t->b, reg_get(t, r), state_slot(t, r));
}

/*
 * The block a jump to `target` goes to. In region mode a target outside the
 * region is reached by handing the registers back to the dispatcher, which
 * calls the region holding the target.
 */
static LLVMBasicBlockRef block_for(struct tr *t, size_t target)
{
        LLVMBasicBlockRef cur, stub;

        if (!t->state || (target >= t->lo && target < t->hi))
                return t->blocks[target];
        cur = LLVMGetInsertBlock(t->b);
        stub = LLVMAppendBasicBlockInContext(t->ctx, t->fn, "leave");
        LLVMPositionBuilderAtEnd(t->b, stub);
        save_regs(t);
        LLVMBuildRet(t->b, cint(t->i32, target));
        LLVMPositionBuilderAtEnd(t->b, cur);
        return stub;
}

static void tr_exit(struct tr *t)
{
        if (!t->state) {
                LLVMValueRef r0 = reg_get(t, 0);

                if (t->sb_run)
                        sb_leave_frame(t);
                LLVMBuildRet(t->b, r0);
                return;
        }
        LLVMBuildStore(t->b, reg_get(t, 0), state_slot(t, 0));
        LLVMBuildRet(t->b, cint(t->i32, (uint64_t)(int64_t)REGION_EXIT));
}

/*
 * The packet of LD_ABS/LD_IND, the entry's ctx and ctx_size (as i64), in a
 * function that has it (gets_packet): the entry's r1 and r2, a sub-program's
 * extra arguments, or what the dispatcher of regions keeps.
 */
static void packet_of(struct tr *t, LLVMValueRef *ctx, LLVMValueRef *size)
{
        unsigned first = t->sub == 0 ? 0 : 5;

        if (t->state) {
                *ctx = LLVMBuildLoad2(t->b, t->i64, state_slot(t, STATE_CTX), "");
                *size = LLVMBuildLoad2(t->b, t->i64, state_slot(t, STATE_CTX_SIZE), "");
                return;
        }
        *ctx = LLVMGetParam(t->fn, first);
        *size = LLVMGetParam(t->fn, first + 1);
}

/* A sandboxed loop's budget is reported at its head: the target of the backward jump. */
static void name_back_edge(struct tr *t, size_t idx, LLVMValueRef br)
{
        const struct bpfaot_insn *insn = &t->prog->insns[idx];

        if (t->opts->sandbox && insn_jump_target(insn, idx) <= (long)idx)
                sandbox_loops_name(br, (size_t)insn_jump_target(insn, idx));
}

/*
 * LD_ABS/LD_IND, as the kernel's
 * bpf_skb_load_helper_{8,16,32} on a packet that is the context the
 * program was called with, ctx_size bytes: the offset is imm (ABS) or
 * (int32_t)(src + imm) (IND). Outside the packet the function returns 0
 * (the program, from the entry; the sub-program, as in the kernel);
 * else r0 = the bytes in network order. r1-r5 become 0, as after a call.
 */
static void tr_packet_load(struct tr *t, const struct bpfaot_insn *insn)
{
        unsigned size = insn_size_bytes(insn_size_field(insn));
        LLVMTypeRef ty = int_type(t, size);
        LLVMValueRef off = c64(t, (uint64_t)(int64_t)insn->imm), base, len, inside, v;
        LLVMBasicBlockRef out = LLVMAppendBasicBlockInContext(t->ctx, t->fn, "packet_out");
        LLVMBasicBlockRef in = LLVMAppendBasicBlockInContext(t->ctx, t->fn, "packet_in");

        if (insn_mode(insn) == BPFAOT_MODE_IND)
                off = LLVMBuildSExt(
                    t->b,
                    LLVMBuildTrunc(t->b, LLVMBuildAdd(t->b, reg_get(t, insn->src), off, ""), t->i32,
                                   ""),
                    t->i64, "");
        packet_of(t, &base, &len);
        base = LLVMBuildIntToPtr(t->b, base, t->i8p, "");
        /* off is in [-2^31, 2^31): off + size cannot wrap. */
        inside = LLVMBuildAnd(
            t->b, LLVMBuildICmp(t->b, LLVMIntSGE, off, c64(t, 0), ""),
            LLVMBuildICmp(t->b, LLVMIntULE, LLVMBuildAdd(t->b, off, c64(t, size), ""), len, ""),
            "");
        for (unsigned r = 1; r <= 5; r++)
                reg_set(t, r, c64(t, 0));
        LLVMBuildCondBr(t->b, inside, in, out);
        LLVMPositionBuilderAtEnd(t->b, out);
        reg_set(t, 0, c64(t, 0));
        tr_exit(t);
        LLVMPositionBuilderAtEnd(t->b, in);
        v = LLVMBuildLoad2(t->b, ty, gep_i8(t, base, off, false, ty), "");
        LLVMSetAlignment(v, 1); /* any offset */
        if (size > 1)
                v = bswap(t, v, ty, size * 8);
        reg_set(t, 0, LLVMBuildZExt(t->b, v, t->i64, ""));
}

static LLVMIntPredicate cond_pred(uint8_t op)
{
        switch (op) {
        case BPFAOT_JMP_JEQ:
                return LLVMIntEQ;
        case BPFAOT_JMP_JGT:
                return LLVMIntUGT;
        case BPFAOT_JMP_JGE:
                return LLVMIntUGE;
        case BPFAOT_JMP_JNE:
                return LLVMIntNE;
        case BPFAOT_JMP_JSGT:
                return LLVMIntSGT;
        case BPFAOT_JMP_JSGE:
                return LLVMIntSGE;
        case BPFAOT_JMP_JLT:
                return LLVMIntULT;
        case BPFAOT_JMP_JLE:
                return LLVMIntULE;
        case BPFAOT_JMP_JSLT:
                return LLVMIntSLT;
        default: /* JSLE */
                return LLVMIntSLE;
        }
}

static void tr_cond_jmp(struct tr *t, size_t idx)
{
        const struct bpfaot_insn *insn = &t->prog->insns[idx];
        bool is32 = bpfaot_insn_class(insn) == BPFAOT_CLASS_JMP32;
        LLVMValueRef a = reg_get(t, insn->dst), b, cond;
        uint8_t op = insn_op(insn);

        b = insn_is_reg_src(insn) ? reg_get(t, insn->src) : c64(t, (uint64_t)(int64_t)insn->imm);
        if (is32) {
                a = LLVMBuildTrunc(t->b, a, t->i32, "");
                b = LLVMBuildTrunc(t->b, b, t->i32, "");
        }
        if (!is32 && !insn_is_reg_src(insn) && insn->imm == 0 && t->reg_found[insn->dst] &&
            (op == BPFAOT_JMP_JEQ || op == BPFAOT_JMP_JNE)) {
                /* The NULL check of an inlined lookup's result (tr_inline_array_lookup). */
                cond = t->reg_found[insn->dst];
                if (op == BPFAOT_JMP_JEQ)
                        cond = LLVMBuildNot(t->b, cond, "");
        } else if (op == BPFAOT_JMP_JSET) {
                LLVMValueRef m = LLVMBuildAnd(t->b, a, b, "");
                cond = LLVMBuildICmp(t->b, LLVMIntNE, m, cint(LLVMTypeOf(m), 0), "");
        } else {
                cond = LLVMBuildICmp(t->b, cond_pred(op), a, b, "");
        }
        name_back_edge(t, idx,
                       LLVMBuildCondBr(t->b, cond,
                                       block_for(t, (size_t)insn_jump_target(insn, idx)),
                                       block_for(t, idx + 1)));
}

/* ------------------------------------------------------------------ */
/* Functions and blocks                                                */
/* ------------------------------------------------------------------ */

static void mark_leaders(struct tr *t)
{
        const struct bpfaot_prog *prog = t->prog;

        for (size_t s = 0; s < t->program->sp.cnt; s++)
                t->leaders[t->program->sp.start[s]] = true;
        for (size_t i = 0; i < prog->insn_cnt; i++) {
                const struct bpfaot_insn *insn = &prog->insns[i];
                if (t->program->tails[i])
                        continue;
                if (insn_is_ja(insn) || insn_is_cond_jmp(insn))
                        t->leaders[insn_jump_target(insn, i)] = true;
                if ((insn_is_ja(insn) || insn_is_cond_jmp(insn) || insn_is_exit(insn)) &&
                    i + 1 < prog->insn_cnt)
                        t->leaders[i + 1] = true;
        }
}

static void tr_insn(struct tr *t, size_t idx)
{
        const struct bpfaot_insn *insn = &t->prog->insns[idx];

        t->cur = idx;
        debuginfo_at(t->opts->debug, t->program, t->b, t->fn, idx);
        switch (bpfaot_insn_class(insn)) {
        case BPFAOT_CLASS_ALU:
        case BPFAOT_CLASS_ALU64: {
                uint32_t src_map = insn->src < BPFAOT_NUM_REGS ? t->reg_map[insn->src] : 0;
                LLVMValueRef src_found = insn->src < BPFAOT_NUM_REGS ? t->reg_found[insn->src] : 0;
                tr_alu(t, insn);
                /* A copy (mov64 reg, not movsx) of a map pointer is still that map. */
                if (bpfaot_insn_class(insn) == BPFAOT_CLASS_ALU64 &&
                    insn_op(insn) == BPFAOT_ALU_MOV && insn_is_reg_src(insn) && insn->off == 0) {
                        t->reg_map[insn->dst] = src_map;
                        t->reg_found[insn->dst] = src_found;
                }
                return;
        }
        case BPFAOT_CLASS_LD:
                if (insn_is_packet_load(insn))
                        tr_packet_load(t, insn);
                else
                        tr_lddw(t, idx);
                return;
        case BPFAOT_CLASS_LDX:
                tr_ldx(t, insn);
                return;
        case BPFAOT_CLASS_ST:
                tr_store(t, insn);
                return;
        case BPFAOT_CLASS_STX:
                if (insn_mode(insn) == BPFAOT_MODE_ATOMIC)
                        tr_atomic(t, insn);
                else
                        tr_store(t, insn);
                return;
        default: /* JMP, JMP32 */
                break;
        }
        if (insn_is_exit(insn))
                tr_exit(t);
        else if (insn_is_call(insn))
                tr_call(t, idx);
        else if (insn_is_ja(insn))
                name_back_edge(
                    t, idx, LLVMBuildBr(t->b, block_for(t, (size_t)insn_jump_target(insn, idx))));
        else
                tr_cond_jmp(t, idx);
}

/*
 * The registers whose distance from r10 the sub-program reads: bases of its
 * frame accesses at offsets not known, frame addresses its calls give
 * helpers, and what a copy into such a register copies from. Only those
 * keep the distance beside them; for the rest it would be three dead
 * instructions per write, a third of what -O0 hands to code generation.
 */
static uint16_t frame_off_regs(const struct tr *t)
{
        const struct program *p = t->program;
        size_t lo = p->sp.start[t->sub], hi = subprogs_end(&p->sp, t->sub);
        uint16_t need = 0, before;

        for (size_t i = lo; i < hi; i++) {
                const struct bpfaot_insn *insn = &t->prog->insns[i];
                uint8_t cls = bpfaot_insn_class(insn);

                if (p->mem[i].base != MEM_BASE_FRAME || p->mem[i].const_off)
                        continue;
                if (cls == BPFAOT_CLASS_LDX)
                        need |= (uint16_t)(1u << insn->src);
                else if (cls == BPFAOT_CLASS_ST || cls == BPFAOT_CLASS_STX)
                        need |= (uint16_t)(1u << insn->dst);
        }
        do { /* a copy's distance is its source's (frame_off_step) */
                before = need;
                for (size_t i = lo; i < hi; i++) {
                        const struct bpfaot_insn *insn = &t->prog->insns[i];

                        if (bpfaot_insn_class(insn) == BPFAOT_CLASS_ALU64 &&
                            insn_op(insn) == BPFAOT_ALU_MOV && insn_is_reg_src(insn) &&
                            !insn->off && !p->tails[i] && (need & (1u << insn->dst)))
                                need |= (uint16_t)(1u << insn->src);
                }
        } while (need != before);
        return need & (uint16_t) ~(1u << BPFAOT_REG_FP);
}

static void alloc_frame_offs(struct tr *t)
{
        const struct frame_layout *f = &t->program->frames[t->sub];
        size_t *uses = calloc(f->part_cnt, sizeof(*uses)), best = 0;
        uint16_t need = frame_off_regs(t);
        char name[16];

        if (!uses) {
                t->oom = true;
                return;
        }
        for (size_t i = t->program->sp.start[t->sub]; i < subprogs_end(&t->program->sp, t->sub);
             i++) {
                const struct mem_prov *m = &t->program->mem[i];
                if (m->base == MEM_BASE_FRAME && !m->const_off)
                        uses[m->id]++;
        }
        for (size_t k = 1; k < f->part_cnt; k++)
                if (uses[k] > uses[best])
                        best = k;
        free(uses);
        t->frame_bias = -(int64_t)f->parts[best].lo;

        for (unsigned r = 0; r < BPFAOT_NUM_REGS - 1; r++) {
                if (!(need & (1u << r)))
                        continue;
                snprintf(name, sizeof(name), "r%u.fpoff", r);
                t->frame_offs[r] = LLVMBuildAlloca(t->b, t->i64, name);
        }
}

static void alloc_regs(struct tr *t)
{
        char name[8];

        for (unsigned r = 0; r < BPFAOT_NUM_REGS - 1; r++) {
                snprintf(name, sizeof(name), "r%u", r);
                t->regs[r] = LLVMBuildAlloca(t->b, t->i64, name);
        }
}

/*
 * Zero `size` bytes at `p` (aligned to `align`). A few bytes are stored
 * outright: -O0's code generation makes a call to memset of any memset.
 */
static void zero_fill(struct tr *t, LLVMBuilderRef b, LLVMValueRef p, uint64_t size, unsigned align)
{
        enum { STORES_UP_TO = 32 };

        if (size > STORES_UP_TO || align < 8) {
                LLVMBuildMemSet(b, p, cint(t->i8, 0), c64(t, size), align);
                return;
        }
        for (uint64_t at = 0; at < size;) {
                unsigned bytes = size - at >= 8 ? 8 : size - at >= 4 ? 4 : size - at >= 2 ? 2 : 1;
                LLVMValueRef idx = c64(t, at);
                LLVMValueRef q = compat_cast_ptr(
                    b, t->ctx, at ? LLVMBuildInBoundsGEP2(b, t->i8, p, &idx, 1, "") : p,
                    int_type(t, bytes));
                LLVMValueRef st = LLVMBuildStore(b, cint(int_type(t, bytes), 0), q);

                LLVMSetAlignment(st, at % 8 == 0 ? 8 : bytes);
                at += bytes;
        }
}

/* The stack frame: zeroed, so that reading a never-written slot gives 0, not undef. */
static LLVMValueRef alloc_stack(struct tr *t, LLVMBuilderRef b)
{
        LLVMValueRef stack =
            LLVMBuildAlloca(b, LLVMArrayType(t->i8, t->program->stack_size), "stack");

        LLVMSetAlignment(stack, 16);
        stack = compat_cast_ptr(b, t->ctx, stack, t->i8);
        zero_fill(t, b, stack, t->program->stack_size, 16);
        return stack;
}

/*
 * The whole frame. A private frame's code indexes its parts; only code the
 * analysis did not reach, or a frame without parts, uses the whole, which is
 * then made in the entry block when first asked for.
 */
static LLVMValueRef whole_frame(struct tr *t)
{
        if (!t->stack) {
                LLVMPositionBuilderBefore(t->eb, t->entry_term);
                t->stack = alloc_stack(t, t->eb);
        }
        return t->stack;
}

/* `stack`: the whole frame, or NULL for a private frame (made by whole_frame when needed). */
static void set_stack(struct tr *t, LLVMValueRef stack)
{
        LLVMValueRef top_idx = c64(t, t->program->stack_size);

        t->stack = stack;
        /* A private frame's address is never a number (provenance.c): keep it unseen. */
        if (!stack)
                t->fp = c64(t, PROVENANCE_PRIVATE_FP);
        else
                t->fp = LLVMBuildPtrToInt(
                    t->b, LLVMBuildInBoundsGEP2(t->b, t->i8, stack, &top_idx, 1, "fp"), t->i64,
                    "r10");
}

static void create_blocks(struct tr *t, size_t lo, size_t hi)
{
        char name[32];

        for (size_t i = lo; i < hi; i++) {
                if (!t->leaders[i])
                        continue;
                snprintf(name, sizeof(name), TRANSLATE_BLOCK_PREFIX "%zu", i);
                t->blocks[i] = LLVMAppendBasicBlockInContext(t->ctx, t->fn, name);
        }
}

/* Translate [lo, hi) into t->fn; the builder is at the end of a block that falls into `lo`. */
static void emit_insns(struct tr *t, size_t lo, size_t hi)
{
        for (size_t i = lo; i < hi; i++) {
                if (t->program->tails[i])
                        continue;
                if (t->leaders[i]) {
                        if (!LLVMGetBasicBlockTerminator(LLVMGetInsertBlock(t->b)))
                                LLVMBuildBr(t->b, t->blocks[i]);
                        LLVMPositionBuilderAtEnd(t->b, t->blocks[i]);
                        /* Other paths join here: what registers hold is unknown again. */
                        memset(t->reg_map, 0, sizeof(t->reg_map));
                        memset(t->reg_found, 0, sizeof(t->reg_found));
                }
                tr_insn(t, i);
        }
        /* Sub-programs end in exit or ja (validated); a region may fall into the next one. */
        if (!LLVMGetBasicBlockTerminator(LLVMGetInsertBlock(t->b)))
                LLVMBuildBr(t->b, block_for(t, hi));
        cache_flush(t);
        t->cache_bb = NULL;
}

/*
 * A private frame's parts, each its own zeroed alloca (and NULL when the
 * frame is not private): no access crosses two, so SROA handles each alone.
 */
static bool alloc_parts(struct tr *t)
{
        const struct frame_layout *f = &t->program->frames[t->sub];

        t->parts = NULL;
        if (!f->private || !f->part_cnt)
                return true;
        t->parts = calloc(f->part_cnt, sizeof(*t->parts));
        if (!t->parts)
                return false;
        for (size_t k = 0; k < f->part_cnt; k++) {
                uint64_t size = (uint64_t)(f->parts[k].hi - f->parts[k].lo);
                LLVMValueRef a =
                    LLVMBuildAlloca(t->b, LLVMArrayType(t->i8, (unsigned)size), "part");

                LLVMSetAlignment(a, 8);
                t->parts[k] = compat_cast_ptr(t->b, t->ctx, a, t->i8);
                zero_fill(t, t->b, t->parts[k], size, 8);
        }
        return true;
}

/*
 * Sandbox: the function's frame joins the thread's run (a private frame, no
 * address of which leaves the function, as an empty range); a run that has
 * failed, or has too many frames, makes it return at once. Returns the
 * block it returns from, to branch to when the run has failed.
 */
static LLVMBasicBlockRef sb_enter_frame(struct tr *t, size_t start)
{
        LLVMTypeRef params[3] = {t->i64, t->i64, t->i64};
        bool private = t->program->frames && t->program->frames[t->sub].private;
        LLVMValueRef lo = private ? c64(t, 0) : LLVMBuildPtrToInt(t->b, t->stack, t->i64, "");
        LLVMValueRef args[3] = {
            lo, private ? lo : LLVMBuildAdd(t->b, lo, c64(t, t->program->stack_size), ""),
            c64(t, BPFAOT_SANDBOX_HOW(start, BPFAOT_SANDBOX_DEPTH, 0, 0))};
        LLVMBasicBlockRef cur = LLVMGetInsertBlock(t->b), unwind;

        t->sb_run = call(t, BPFAOT_SANDBOX_PUSH_SYMBOL, LLVMFunctionType(t->i8p, params, 3, false),
                         args, 3);
        unwind = LLVMAppendBasicBlockInContext(t->ctx, t->fn, "sandbox_unwind");
        LLVMPositionBuilderAtEnd(t->b, unwind);
        LLVMBuildRet(t->b, c64(t, 1));
        LLVMPositionBuilderAtEnd(t->b, cur);
        return unwind;
}

static void build_plain(struct tr *t, size_t start, size_t end)
{
        LLVMBasicBlockRef unwind = NULL;

        LLVMPositionBuilderAtEnd(t->b, LLVMAppendBasicBlockInContext(t->ctx, t->fn, "entry"));
        alloc_regs(t);
        set_stack(t, t->program->frames && t->program->frames[t->sub].private
                         ? NULL
                         : alloc_stack(t, t->b));
        if (!alloc_parts(t))
                t->oom = true;
        if (t->sub == 0) {
                t->ctx_base = LLVMGetParam(t->fn, 0);
                t->ctx_ptr = LLVMBuildIntToPtr(t->b, t->ctx_base, t->i8p, "ctx");
        }
        if (t->parts)
                alloc_frame_offs(t);
        for (unsigned r = 0; r < BPFAOT_NUM_REGS - 1; r++)
                reg_set(t, r, r >= 1 && r <= 5 ? LLVMGetParam(t->fn, r - 1) : c64(t, 0));
        if (t->opts->sandbox)
                unwind = sb_enter_frame(t, start);
        create_blocks(t, start, end);
        if (unwind) {
                LLVMValueRef failed = LLVMBuildLoad2(
                    t->b, t->i32, compat_cast_ptr(t->b, t->ctx, t->sb_run, t->i32), "failed");

                entry_done(t, LLVMBuildCondBr(
                                  t->b, LLVMBuildICmp(t->b, LLVMIntEQ, failed, cint(t->i32, 0), ""),
                                  t->blocks[start], unwind));
        } else {
                entry_done(t, LLVMBuildBr(t->b, t->blocks[start]));
        }
        emit_insns(t, start, end);
        t->sb_run = NULL;
        free(t->parts);
        t->parts = NULL;
        memset(t->frame_offs, 0, sizeof(t->frame_offs));
}

/* One region: i32 region(i64 *state, i8 *stack, i32 entry) returns the next insn or REGION_EXIT. */
static void build_region(struct tr *t, LLVMValueRef fn, size_t lo, size_t hi, const bool *entry,
                         size_t base)
{
        LLVMValueRef sw;
        unsigned n = 0;

        t->fn = fn;
        t->lo = lo;
        t->hi = hi;
        LLVMPositionBuilderAtEnd(t->b, LLVMAppendBasicBlockInContext(t->ctx, fn, "entry"));
        alloc_regs(t);
        t->state = LLVMGetParam(fn, 0);
        set_stack(t, LLVMGetParam(fn, 1));
        for (unsigned r = 0; r < BPFAOT_NUM_REGS - 1; r++)
                LLVMBuildStore(t->b, LLVMBuildLoad2(t->b, t->i64, state_slot(t, r), ""),
                               t->regs[r]);
        create_blocks(t, lo, hi);
        for (size_t i = lo + 1; i < hi; i++)
                n += entry[i - base];
        sw = LLVMBuildSwitch(t->b, LLVMGetParam(fn, 2), t->blocks[lo], n);
        for (size_t i = lo + 1; i < hi; i++)
                if (entry[i - base])
                        LLVMAddCase(sw, cint(t->i32, i), t->blocks[i]);
        entry_done(t, sw);
        emit_insns(t, lo, hi);
        t->state = NULL;
}

static size_t region_of(const size_t *los, size_t n, size_t insn)
{
        size_t lo = 0, hi = n;
        while (hi - lo > 1) {
                size_t mid = lo + (hi - lo) / 2;
                if (los[mid] <= insn)
                        lo = mid;
                else
                        hi = mid;
        }
        return lo;
}

/*
 * LLVM's optimiser and register allocator grow faster than linearly with
 * the size of a function. A sub-program longer than region_insns is split
 * at block boundaries into regions of about that size, each its own
 * (never inlined) function; the sub-program's function becomes a dispatch
 * loop that passes the registers through an array in its frame. Compile
 * time stays linear; only control transfers between regions pay a cost.
 */
static int build_regions(struct tr *t, size_t start, size_t end)
{
        size_t limit = t->opts->region_insns, n = 1, len = end - start;
        size_t *los = malloc((len / limit + 2) * sizeof(*los));
        bool *entry = calloc(len, sizeof(*entry));
        LLVMValueRef parent = t->fn, *fns = NULL, state, stack, next, sw, cur;
        LLVMTypeRef params[3] = {compat_ptr_type(t->ctx, t->i64), t->i8p, t->i32};
        LLVMTypeRef rty = LLVMFunctionType(t->i32, params, 3, false);
        LLVMBasicBlockRef loop, dispatch, done, *calls = NULL;
        char name[128];

        if (!los || !entry)
                goto oom;
        los[0] = start;
        for (size_t i = start + 1; i < end; i++)
                if (t->leaders[i] && i - los[n - 1] >= limit)
                        los[n++] = i;
        for (size_t k = 0; k < n; k++)
                entry[los[k] - start] = true;
        for (size_t i = start; i < end; i++) {
                const struct bpfaot_insn *insn = &t->prog->insns[i];
                if (t->program->tails[i] || !(insn_is_ja(insn) || insn_is_cond_jmp(insn)))
                        continue;
                size_t target = (size_t)insn_jump_target(insn, i);
                if (region_of(los, n, target) != region_of(los, n, i))
                        entry[target - start] = true;
        }
        fns = calloc(n, sizeof(*fns));
        calls = calloc(n, sizeof(*calls));
        if (!fns || !calls)
                goto oom;
        for (size_t k = 0; k < n; k++) {
                snprintf(name, sizeof(name), "%.40s.sub_%zu.region_%zu", t->entry, start, los[k]);
                fns[k] = LLVMAddFunction(t->mod, name, rty);
                LLVMSetLinkage(fns[k], LLVMInternalLinkage);
                add_fn_attr(t->ctx, fns[k], "noinline");
                program_fn_attrs(t->ctx, fns[k]);
                debuginfo_function(t->opts->debug, t->program, fns[k], los[k], DEBUGINFO_REGION);
                build_region(t, fns[k], los[k], k + 1 < n ? los[k + 1] : end, entry, start);
        }

        /* The dispatcher. */
        t->fn = parent;
        LLVMPositionBuilderAtEnd(t->b, LLVMAppendBasicBlockInContext(t->ctx, parent, "entry"));
        state = LLVMBuildAlloca(t->b, LLVMArrayType(t->i64, STATE_SLOTS), "state");
        state = compat_cast_ptr(t->b, t->ctx, state, t->i64);
        next = LLVMBuildAlloca(t->b, t->i32, "next");
        stack = alloc_stack(t, t->b);
        t->state = state;
        for (unsigned r = 0; r < BPFAOT_NUM_REGS - 1; r++)
                LLVMBuildStore(t->b, r >= 1 && r <= 5 ? LLVMGetParam(parent, r - 1) : c64(t, 0),
                               state_slot(t, r));
        if (t->sub == 0 || gets_packet(t, t->sub)) {
                LLVMBuildStore(t->b, LLVMGetParam(parent, t->sub == 0 ? 0 : 5),
                               state_slot(t, STATE_CTX));
                LLVMBuildStore(t->b, LLVMGetParam(parent, t->sub == 0 ? 1 : 6),
                               state_slot(t, STATE_CTX_SIZE));
        }
        LLVMBuildStore(t->b, cint(t->i32, start), next);
        loop = LLVMAppendBasicBlockInContext(t->ctx, parent, "loop");
        dispatch = LLVMAppendBasicBlockInContext(t->ctx, parent, "dispatch");
        done = LLVMAppendBasicBlockInContext(t->ctx, parent, "done");
        LLVMBuildBr(t->b, loop);
        LLVMPositionBuilderAtEnd(t->b, loop);
        cur = LLVMBuildLoad2(t->b, t->i32, next, "");
        LLVMBuildCondBr(
            t->b,
            LLVMBuildICmp(t->b, LLVMIntEQ, cur, cint(t->i32, (uint64_t)(int64_t)REGION_EXIT), ""),
            done, dispatch);
        for (size_t k = 0; k < n; k++) {
                LLVMValueRef args[3] = {state, stack, cur};
                calls[k] = LLVMAppendBasicBlockInContext(t->ctx, parent, "call_region");
                LLVMPositionBuilderAtEnd(t->b, calls[k]);
                LLVMBuildStore(t->b, LLVMBuildCall2(t->b, rty, fns[k], args, 3, ""), next);
                LLVMBuildBr(t->b, loop);
        }
        LLVMPositionBuilderAtEnd(t->b, dispatch);
        sw = LLVMBuildSwitch(t->b, cur, done, 0);
        for (size_t i = start; i < end; i++)
                if (entry[i - start])
                        LLVMAddCase(sw, cint(t->i32, i), calls[region_of(los, n, i)]);
        LLVMPositionBuilderAtEnd(t->b, done);
        LLVMBuildRet(t->b, LLVMBuildLoad2(t->b, t->i64, state_slot(t, 0), ""));
        t->state = NULL;
        free(los);
        free(entry);
        free(fns);
        free(calls);
        return 0;
oom:
        free(los);
        free(entry);
        free(fns);
        free(calls);
        return bpfaot_error_nomem(t->err);
}

static int build_subprog(struct tr *t, size_t s)
{
        size_t start = t->program->sp.start[s], end = subprogs_end(&t->program->sp, s);

        t->fn = t->sub_fns[s];
        t->sub = s;
        t->ctx_base = t->ctx_ptr = NULL;
        /* Sandboxed functions unwind by returning: they are never split. */
        if (t->opts->region_insns && end - start > t->opts->region_insns && !t->opts->sandbox)
                return build_regions(t, start, end);
        build_plain(t, start, end);
        return 0;
}

/* const uint32_t <prefix>__abi_version, weak_odr like the other tables of the object. */
static bool object_abi_version(struct tr *t)
{
        char *name = objabi_symbol(t->prog->symbol_prefix, BPFAOT_SYM_ABI_VERSION);
        LLVMValueRef g;

        if (!name)
                return false;
        if (!LLVMGetNamedGlobal(t->mod, name)) {
                g = LLVMAddGlobal(t->mod, t->i32, name);
                LLVMSetInitializer(g, cint(t->i32, BPFAOT_OBJ_ABI_VERSION));
                LLVMSetGlobalConstant(g, true);
                LLVMSetLinkage(g, LLVMWeakODRLinkage);
        }
        free(name);
        return true;
}

/*
 * const uint64_t <entry>__bytecode_hash: the fingerprint of the instructions
 * compiled (bpfaot/objabi.h), by which `bpf-aot load` knows which program
 * of a shared-memory segment this code is.
 */
static bool build_bytecode_hash(struct tr *t)
{
        size_t bytes = t->prog->insn_cnt * 8;
        uint8_t *raw = malloc(bytes ? bytes : 1);
        char *name = objabi_symbol(t->entry, BPFAOT_SYM_BYTECODE_HASH);
        LLVMValueRef g;

        if (!raw || !name) {
                free(raw);
                free(name);
                return false;
        }
        bpfaot_encode(t->prog->insns, t->prog->insn_cnt, raw);
        g = LLVMAddGlobal(t->mod, t->i64, name);
        LLVMSetInitializer(g, c64(t, bpfaot_bytecode_hash(raw, bytes)));
        LLVMSetGlobalConstant(g, true);
        LLVMSetAlignment(g, 8);
        free(raw);
        free(name);
        return true;
}

/*
 * const struct bpfaot_prog_def <entry>__prog (bpfaot/objabi.h): the object
 * describes its programs, and an object with a prefix its ABI version.
 */
static LLVMValueRef build_prog_def(struct tr *t, LLVMValueRef fn)
{
        const struct bpfaot_prog_def d = {.abi_version = BPFAOT_OBJ_ABI_VERSION};
        LLVMValueRef ptrs[OBJABI_PROG_DEF_FIELD_CNT] = {
            [OBJABI_bpfaot_prog_def__name] = const_str(t, t->prog->name),
            [OBJABI_bpfaot_prog_def__section] = const_str(t, t->prog->section),
            [OBJABI_bpfaot_prog_def__entry] = const_str(t, t->entry),
            [OBJABI_bpfaot_prog_def__fn] = fn,
        };
        LLVMValueRef init = objabi_const(t->ctx, OBJABI_PROG_DEF, &d, ptrs), g;
        char *name = objabi_symbol(t->entry, BPFAOT_SYM_PROG);

        if (!name || (t->prog->symbol_prefix && !object_abi_version(t)) ||
            !build_bytecode_hash(t)) {
                free(name);
                t->oom = true;
                return NULL;
        }
        g = LLVMAddGlobal(t->mod, LLVMTypeOf(init), name);
        free(name);
        LLVMSetInitializer(g, init);
        LLVMSetGlobalConstant(g, true);
        LLVMSetAlignment(g, 8);
        return init;
}

/* In the entry (no per-function loads there): the running instance's table, or NULL. */
static LLVMValueRef sb_instance(struct tr *t)
{
        LLVMValueRef g = instance_global(t);

        if (!g) {
                t->oom = true;
                return LLVMConstNull(t->i8p);
        }
        return LLVMBuildLoad2(t->b, t->i8p, g, "instance");
}

/*
 * A sandboxed entry's run record, in its frame, with what the program may
 * touch besides its frames: the context, its data sections (the running
 * instance's, with instances) and the maps of its object (whose values and
 * records the runtime knows).
 */
static LLVMValueRef sb_enter_run(struct tr *t, LLVMValueRef ctx, LLVMValueRef ctx_size)
{
        const struct bpfaot_prog *prog = t->prog;
        const unsigned words = sizeof(struct bpfaot_sandbox_region) / 8;
        LLVMTypeRef params[9] = {t->i8p, t->i8p, t->i64, t->i64, t->i8p,
                                 t->i64, t->i8p, t->i64, t->i64};
        LLVMValueRef run, regions, maps = LLVMConstNull(t->i8p), inst = NULL, args[9];

        _Static_assert(sizeof(struct bpfaot_sandbox_region) == 32, "four words");
        run = LLVMBuildAlloca(t->b, LLVMArrayType(t->i64, sizeof(struct bpfaot_sandbox_run) / 8),
                              "sandbox_run");
        regions = LLVMBuildAlloca(
            t->b, LLVMArrayType(t->i64, (unsigned)(prog->data_cnt ? prog->data_cnt : 1) * words),
            "sandbox_data");
        regions = compat_cast_ptr(t->b, t->ctx, regions, t->i64);
        if (t->opts->instances && (prog->data_cnt || prog->map_cnt))
                inst = sb_instance(t);
        for (size_t k = 0; k < prog->data_cnt; k++) {
                const struct bpfaot_data_sec *d = &prog->data[k];
                LLVMValueRef base = LLVMBuildPtrToInt(t->b, object_data(t, d), t->i64, "");
                LLVMValueRef vals[4], idx;

                if (inst) {
                        LLVMValueRef off = c64(t, objabi_instance_offset(prog->data, prog->data_cnt,
                                                                         k, prog->map_cnt));
                        base = LLVMBuildSelect(
                            t->b, LLVMBuildIsNull(t->b, inst, ""), base,
                            LLVMBuildPtrToInt(t->b,
                                              LLVMBuildInBoundsGEP2(t->b, t->i8, inst, &off, 1, ""),
                                              t->i64, ""),
                            "");
                }
                vals[0] = base;
                vals[1] = c64(t, d->size);
                vals[2] = c64(t, d->readonly);
                vals[3] = LLVMBuildPtrToInt(t->b, const_str(t, d->name), t->i64, "");
                for (unsigned w = 0; w < words; w++) {
                        idx = c64(t, k * words + w);
                        LLVMBuildStore(t->b, vals[w],
                                       LLVMBuildInBoundsGEP2(t->b, t->i64, regions, &idx, 1, ""));
                }
        }
        if (prog->map_cnt) {
                LLVMValueRef slots = map_tables(t);

                if (!slots)
                        t->oom = true;
                else
                        maps = LLVMBuildPointerCast(t->b, slots, t->i8p, "");
                if (inst)
                        maps =
                            LLVMBuildSelect(t->b, LLVMBuildIsNull(t->b, inst, ""), maps, inst, "");
        }
        args[0] = compat_cast_ptr(t->b, t->ctx, run, t->i8);
        args[1] = const_str(t, prog->name ? prog->name : t->entry);
        args[2] = ctx;
        args[3] = ctx_size;
        args[4] = compat_cast_ptr(t->b, t->ctx, regions, t->i8);
        args[5] = c64(t, prog->data_cnt);
        args[6] = maps;
        args[7] = c64(t, prog->map_cnt);
        args[8] = c64(t, t->opts->sandbox_max_loops ? t->opts->sandbox_max_loops
                                                    : BPFAOT_SANDBOX_DEFAULT_MAX_LOOPS);
        call(t, BPFAOT_SANDBOX_ENTER_SYMBOL,
             LLVMFunctionType(LLVMVoidTypeInContext(t->ctx), params, 9, false), args, 9);
        return args[0];
}

/* The run ends; a failed one returns 0. */
static LLVMValueRef sb_leave_run(struct tr *t, LLVMValueRef run, LLVMValueRef r0)
{
        LLVMValueRef failed =
            LLVMBuildLoad2(t->b, t->i32, compat_cast_ptr(t->b, t->ctx, run, t->i32), "failed");

        call(t, BPFAOT_SANDBOX_LEAVE_SYMBOL,
             LLVMFunctionType(LLVMVoidTypeInContext(t->ctx), &t->i8p, 1, false), &run, 1);
        return LLVMBuildSelect(t->b, LLVMBuildICmp(t->b, LLVMIntNE, failed, cint(t->i32, 0), ""),
                               c64(t, 0), r0, "");
}

/*
 * The exported entry: uint64_t <entry>(void *ctx, uint64_t ctx_size) calls
 * the first sub-program with r1 = ctx, r2 = ctx_size. A program with per-CPU
 * maps holds a virtual CPU around the run, as a kernel program has its CPU
 * to itself (bpfaot_rt_cpu_enter in bpfaot/runtime.h); other programs do not
 * reference those symbols, so hosts without the runtime still link them.
 */
static LLVMValueRef build_entry(struct tr *t)
{
        /* A PROG_ARRAY's initial contents may have declared it already. */
        LLVMValueRef fn = entry_fn(t, t->entry);
        LLVMTypeRef void_fn = LLVMFunctionType(LLVMVoidTypeInContext(t->ctx), NULL, 0, false);
        /* The maps of a maps_by_fd host are its own: no runtime CPU to hold. */
        bool percpu = t->program->uses_percpu_maps && !t->opts->maps_by_fd;
        LLVMValueRef args[5], r0, sb_run = NULL;
        LLVMBasicBlockRef bb;

        if (LLVMCountBasicBlocks(fn))
                return NULL; /* two programs with one entry name: reported by the caller */
        bb = LLVMAppendBasicBlockInContext(t->ctx, fn, "entry");
        program_fn_attrs(t->ctx, fn);
        debuginfo_function(t->opts->debug, t->program, fn, 0, DEBUGINFO_ENTRY);
        LLVMPositionBuilderAtEnd(t->b, bb);
        args[0] = LLVMBuildPtrToInt(t->b, LLVMGetParam(fn, 0), t->i64, "ctx");
        args[1] = LLVMGetParam(fn, 1);
        args[2] = args[3] = args[4] = c64(t, 0);
        if (percpu)
                call(t, BPFAOT_CPU_ENTER_SYMBOL, void_fn, NULL, 0);
        if (t->opts->sandbox)
                sb_run = sb_enter_run(t, args[0], args[1]);
        r0 = LLVMBuildCall2(t->b, t->fn5, t->sub_fns[0], args, 5, "");
        if (sb_run)
                r0 = sb_leave_run(t, sb_run, r0);
        if (percpu)
                call(t, BPFAOT_CPU_EXIT_SYMBOL, void_fn, NULL, 0);
        LLVMBuildRet(t->b, r0);
        return fn;
}

static void init_types(struct tr *t)
{
        LLVMTypeRef p7[7];

        t->i1 = LLVMInt1TypeInContext(t->ctx);
        t->i8 = LLVMInt8TypeInContext(t->ctx);
        t->i16 = LLVMInt16TypeInContext(t->ctx);
        t->i32 = LLVMInt32TypeInContext(t->ctx);
        t->i64 = LLVMInt64TypeInContext(t->ctx);
        t->i8p = compat_ptr_type(t->ctx, t->i8);
        for (int i = 0; i < 7; i++)
                p7[i] = t->i64;
        t->fn5 = LLVMFunctionType(t->i64, p7, 5, false);
        t->fn7 = LLVMFunctionType(t->i64, p7, 7, false);
}

/*
 * A sandboxed program calls only what its checks cover: helpers whose every
 * argument is checked; no kfunc, extern function or callx, whose arguments
 * nothing describes. Anything else is refused, by instruction.
 */
static int sandbox_refusal(const struct program *p, struct bpfaot_error *err)
{
        const struct bpfaot_prog *prog = p->prog;

        for (size_t i = 0; i < prog->insn_cnt; i++) {
                const struct bpfaot_insn *insn = &prog->insns[i];
                const struct helper_sig *sig;
                const char *why;
                char buf[96];

                if (p->tails[i] || !insn_is_call(insn) || insn->src == BPFAOT_CALL_LOCAL)
                        continue;
                if (insn_is_reg_src(insn))
                        continue; /* callx: checked when it runs (sb_callx_args) */
                sig = insn->src == BPFAOT_CALL_HELPER ? helper_sig_find((uint32_t)insn->imm) : NULL;
                if (insn->src != BPFAOT_CALL_HELPER || subprog_callee_name(p, i))
                        return bpfaot_error_at(err, prog, (long)i, ENOTSUP,
                                               "a kfunc or extern function is not allowed in a "
                                               "sandbox: nothing describes its arguments");
                why = sb_refused(sig, buf, sizeof(buf));
                if (why && sig)
                        return bpfaot_error_at(err, prog, (long)i, ENOTSUP,
                                               "helper %s is not allowed in a sandbox: %s",
                                               sig->name, why);
                if (why)
                        return bpfaot_error_at(err, prog, (long)i, ENOTSUP,
                                               "helper %d is not allowed in a sandbox: %s",
                                               insn->imm, why);
        }
        return 0;
}

int translate_prog(const struct program *p, const struct translate_opts *opts, LLVMModuleRef mod,
                   LLVMValueRef *prog_def, struct bpfaot_error *err)
{
        const struct bpfaot_prog *prog = p->prog;
        struct tr t = {.program = p, .prog = prog, .opts = opts, .err = err, .mod = mod};
        char name[96];
        int ret = 0;

        if (opts->inline_maps && opts->maps_by_fd)
                return bpfaot_error_set(err, EINVAL,
                                        "bpfaot_compile_opts: inline_maps reads the runtime's "
                                        "maps, maps_by_fd the host's: give one");
        if (opts->sandbox && opts->maps_by_fd)
                return bpfaot_error_set(
                    err, EINVAL,
                    "bpfaot_compile_opts: sandbox checks map values against "
                    "the runtime's maps, maps_by_fd gives the host's: give one");
        if (opts->sandbox && (ret = sandbox_refusal(p, err)))
                return ret;
        t.entry = opts->entry_name ? opts->entry_name : BPFAOT_DEFAULT_ENTRY;
        t.ctx = LLVMGetModuleContext(mod);
        init_types(&t);
        t.leaders = calloc(prog->insn_cnt, sizeof(*t.leaders));
        t.blocks = calloc(prog->insn_cnt, sizeof(*t.blocks));
        t.sub_fns = calloc(p->sp.cnt, sizeof(*t.sub_fns));
        t.slot_vals = calloc(prog->map_cnt ? prog->map_cnt : 1, sizeof(*t.slot_vals));
        t.base_vals = calloc(prog->map_cnt ? prog->map_cnt : 1, sizeof(*t.base_vals));
        t.data_vals = calloc(prog->data_cnt ? prog->data_cnt : 1, sizeof(*t.data_vals));
        t.sb_covered = calloc(prog->insn_cnt ? prog->insn_cnt : 1, sizeof(*t.sb_covered));
        if (!t.sb_covered || !t.leaders || !t.blocks || !t.sub_fns || !t.slot_vals ||
            !t.base_vals || !t.data_vals) {
                ret = bpfaot_error_nomem(err);
                goto out;
        }
        mark_leaders(&t);
        /* Hosts name the thread's instance even when no program reads it. */
        t.oom |= opts->instances && !instance_global(&t);
        /* A skeleton names all maps and data of the object, also those no program uses. */
        if (opts->whole_object) {
                t.oom |= prog->map_cnt && !map_tables(&t);
                for (size_t k = 0; k < prog->data_cnt; k++)
                        object_data(&t, &prog->data[k]);
        }
        for (size_t s = 0; s < p->sp.cnt; s++) {
                snprintf(name, sizeof(name), "%.40s.sub_%zu", t.entry, p->sp.start[s]);
                t.sub_fns[s] = LLVMAddFunction(mod, name, sub_fn_type(&t, s));
                LLVMSetLinkage(t.sub_fns[s], LLVMInternalLinkage);
                /* The entry's run record stays out of the loops sandbox_loops.c counts. */
                if (opts->sandbox && s == 0)
                        add_fn_attr(t.ctx, t.sub_fns[s], "noinline");
                program_fn_attrs(t.ctx, t.sub_fns[s]);
                debuginfo_function(opts->debug, p, t.sub_fns[s], p->sp.start[s], DEBUGINFO_FUNC);
        }
        t.b = LLVMCreateBuilderInContext(t.ctx);
        t.eb = LLVMCreateBuilderInContext(t.ctx);
        t.fb = LLVMCreateBuilderInContext(t.ctx);
        for (size_t s = 0; s < p->sp.cnt && !ret; s++)
                ret = build_subprog(&t, s);
        if (!ret) {
                LLVMValueRef fn = build_entry(&t);
                if (!fn)
                        ret = bpfaot_error_set(err, EEXIST, "%s: entry name '%s' is used twice",
                                               prog->input ? prog->input : "<input>", t.entry);
                else if (prog_def)
                        *prog_def = build_prog_def(&t, fn);
        }
        if (!ret && t.oom)
                ret = bpfaot_error_nomem(err);
        LLVMDisposeBuilder(t.b);
        LLVMDisposeBuilder(t.eb);
        LLVMDisposeBuilder(t.fb);
out:
        free(t.slot_vals);
        free(t.base_vals);
        free(t.data_vals);
        free(t.sb_covered);
        free(t.leaders);
        free(t.blocks);
        free(t.sub_fns);
        return ret;
}

int translate_object_globals(const struct bpfaot_prog *object, LLVMModuleRef mod,
                             struct bpfaot_error *err)
{
        static const struct translate_opts no_programs = {0};
        struct tr t = {.prog = object, .opts = &no_programs, .err = err, .mod = mod};

        t.ctx = LLVMGetModuleContext(mod);
        init_types(&t);
        if (object->map_cnt && !map_tables(&t))
                t.oom = true;
        for (size_t i = 0; i < object->data_cnt; i++)
                data_global(&t, &object->data[i]);
        if (object->symbol_prefix && !object_abi_version(&t))
                t.oom = true;
        return t.oom ? bpfaot_error_nomem(err) : 0;
}
