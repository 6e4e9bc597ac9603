/* SPDX-License-Identifier: MIT */
/*
 * The loop budget of sandboxed code: every cycle of a function's control
 * flow runs through a block some retreating edge of a depth-first walk
 * enters (in reducible code, a loop header; irreducible code is covered
 * too), and each such block counts down, in a register of the function's
 * own, from SANDBOX_LOOP_BATCH (a decrement and a branch on zero, one fused
 * instruction on x86-64). At zero, and when the function returns, the
 * iterations counted go to the run (BPFAOT_SANDBOX_BUDGET_SYMBOL), which
 * fails past its budget; the function then returns at once, and its callers
 * see the run failed after their call, as for any other fault.
 *
 * It runs after optimisation, so that counting does not stop LLVM from
 * vectorising a loop: a vectorised loop counts once per vector step.
 * Counting the first entry of a header too over-counts by one per entry
 * into a loop, which a budget of this size does not notice. A loop whose
 * bound was tested on entry counts its iterations when it leaves
 * (sandbox_reserve.cpp); the count, below 0 or above a batch, goes to the
 * run exactly at the next batch or the return.
 *
 * A budget spent is reported at the eBPF instruction that heads the loop,
 * which the translator wrote into the loop's metadata (sandbox_loops_name).
 * Where optimisation lost it (IPSCCP drops it when it folds the branch),
 * the header's block, if still the translator's, names an instruction of
 * the loop. When a function's leftover count spends the budget on return,
 * the instruction is left unnamed unless the function's loops are one
 * eBPF loop (a loop and its copies).
 */
#include "sandbox_loops.h"
#include "llvm_compat.h"
#include "sandbox_reserve.h"
#include "translate.h"
#include "bpfaot/objabi.h"

#include <llvm-c/DebugInfo.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define SANDBOX_LOOP_BATCH 4096
/* The llvm.loop property naming a loop's head: !{!"bpfaot.loop.head", i64 insn}. */
#define LOOP_HEAD_MD "bpfaot.loop.head"
#define LOOP_MD      "llvm.loop"

void sandbox_loops_name(LLVMValueRef br, size_t head)
{
        LLVMContextRef ctx = LLVMGetTypeContext(LLVMTypeOf(br));
        LLVMMetadataRef prop[2] = {
            LLVMMDStringInContext2(ctx, LOOP_HEAD_MD, strlen(LOOP_HEAD_MD)),
            LLVMValueAsMetadata(LLVMConstInt(LLVMInt64TypeInContext(ctx), head, false)),
        };
        /* A loop's id refers to itself: made through a temporary node. */
        LLVMMetadataRef self = LLVMTemporaryMDNode(ctx, NULL, 0);
        LLVMMetadataRef ops[2] = {self, LLVMMDNodeInContext2(ctx, prop, 2)};
        LLVMMetadataRef id = LLVMMDNodeInContext2(ctx, ops, 2);

        LLVMMetadataReplaceAllUsesWith(self, id);
        LLVMSetMetadata(br, LLVMGetMDKindIDInContext(ctx, LOOP_MD, strlen(LOOP_MD)),
                        LLVMMetadataAsValue(ctx, id));
}

/* The instruction a block of the translator's own (TRANSLATE_BLOCK_PREFIX "N") starts, else
 * BPFAOT_SANDBOX_NO_INSN. */
static uint32_t block_insn(LLVMBasicBlockRef bb)
{
        const char *name = LLVMGetBasicBlockName(bb);
        size_t len = strlen(TRANSLATE_BLOCK_PREFIX);
        unsigned long long n = 0;

        if (!name || strncmp(name, TRANSLATE_BLOCK_PREFIX, len) || name[len] < '0' ||
            name[len] > '9')
                return BPFAOT_SANDBOX_NO_INSN;
        for (const char *c = name + len; *c && *c != '.'; c++) {
                if (*c < '0' || *c > '9' || n >= BPFAOT_SANDBOX_NO_INSN / 10)
                        return BPFAOT_SANDBOX_NO_INSN;
                n = n * 10 + (unsigned)(*c - '0');
        }
        return (uint32_t)n;
}

/* The head sandbox_loops_name gave the loop `term` is a back edge of, else BPFAOT_SANDBOX_NO_INSN.
 */
static uint32_t named_head(LLVMValueRef term, unsigned loop_kind)
{
        LLVMValueRef id = LLVMGetMetadata(term, loop_kind), ops[16], prop[2];
        unsigned n;

        if (!id || (n = LLVMGetMDNodeNumOperands(id)) > 16)
                return BPFAOT_SANDBOX_NO_INSN;
        LLVMGetMDNodeOperands(id, ops);
        for (unsigned i = 1; i < n; i++) {
                const char *name;
                unsigned len;

                if (!ops[i] || !LLVMIsAMDNode(ops[i]) || LLVMGetMDNodeNumOperands(ops[i]) != 2)
                        continue;
                LLVMGetMDNodeOperands(ops[i], prop);
                name = prop[0] ? LLVMGetMDString(prop[0], &len) : NULL;
                if (name && len == strlen(LOOP_HEAD_MD) && !memcmp(name, LOOP_HEAD_MD, len) &&
                    prop[1] && LLVMIsAConstantInt(prop[1]) &&
                    LLVMConstIntGetZExtValue(prop[1]) < BPFAOT_SANDBOX_NO_INSN)
                        return (uint32_t)LLVMConstIntGetZExtValue(prop[1]);
        }
        return BPFAOT_SANDBOX_NO_INSN;
}

/* The blocks of one function, by index, and a pointer -> index table. */
struct cfg {
        LLVMBasicBlockRef *bb;
        size_t n, cap;           /* blocks; table slots (a power of two) */
        LLVMBasicBlockRef *keys; /* open addressing */
        size_t *vals;
};

static size_t slot_of(const struct cfg *g, LLVMBasicBlockRef b)
{
        size_t h = ((uintptr_t)b >> 4) * 0x9e3779b97f4a7c15ull;

        for (h &= g->cap - 1; g->keys[h] && g->keys[h] != b; h = (h + 1) & (g->cap - 1))
                ;
        return h;
}

static bool cfg_init(struct cfg *g, LLVMValueRef fn)
{
        size_t n = LLVMCountBasicBlocks(fn), i = 0;

        g->n = n;
        for (g->cap = 16; g->cap < 2 * n; g->cap *= 2)
                ;
        g->bb = calloc(n ? n : 1, sizeof(*g->bb));
        g->keys = calloc(g->cap, sizeof(*g->keys));
        g->vals = calloc(g->cap, sizeof(*g->vals));
        if (!g->bb || !g->keys || !g->vals)
                return false;
        for (LLVMBasicBlockRef b = LLVMGetFirstBasicBlock(fn); b; b = LLVMGetNextBasicBlock(b)) {
                size_t h = slot_of(g, b);

                g->keys[h] = b;
                g->vals[h] = i;
                g->bb[i++] = b;
        }
        return true;
}

static void cfg_free(struct cfg *g)
{
        free(g->bb);
        free(g->keys);
        free(g->vals);
}

static size_t index_of(const struct cfg *g, LLVMBasicBlockRef b)
{
        return g->vals[slot_of(g, b)];
}

/* Marks in `header` the blocks a retreating edge of a depth-first walk from the entry enters. */
static bool find_headers(const struct cfg *g, bool *header)
{
        enum { NEW, OPEN, DONE };
        unsigned char *state = calloc(g->n ? g->n : 1, 1);
        size_t *stack = malloc((g->n ? g->n : 1) * sizeof(*stack));
        unsigned *next = calloc(g->n ? g->n : 1, sizeof(*next));
        size_t top = 0;

        if (!state || !stack || !next) {
                free(state);
                free(stack);
                free(next);
                return false;
        }
        if (g->n) {
                stack[top++] = 0;
                state[0] = OPEN;
        }
        while (top) {
                size_t u = stack[top - 1];
                LLVMValueRef term = LLVMGetBasicBlockTerminator(g->bb[u]);
                unsigned cnt = term ? LLVMGetNumSuccessors(term) : 0;

                if (next[u] == cnt) {
                        state[u] = DONE;
                        top--;
                        continue;
                }
                size_t v = index_of(g, LLVMGetSuccessor(term, next[u]++));
                if (state[v] == OPEN)
                        header[v] = true;
                else if (state[v] == NEW) {
                        state[v] = OPEN;
                        stack[top++] = v;
                }
        }
        free(state);
        free(stack);
        free(next);
        return true;
}

static LLVMValueRef budget_fn(LLVMModuleRef mod, LLVMTypeRef *ty)
{
        LLVMContextRef ctx = LLVMGetModuleContext(mod);
        LLVMTypeRef i64 = LLVMInt64TypeInContext(ctx);
        LLVMValueRef f = LLVMGetNamedFunction(mod, BPFAOT_SANDBOX_BUDGET_SYMBOL);

        LLVMTypeRef params[2] = {i64, i64};

        *ty = LLVMFunctionType(i64, params, 2, false);
        if (!f)
                f = LLVMAddFunction(mod, BPFAOT_SANDBOX_BUDGET_SYMBOL, *ty);
        return f;
}

/*
 * Return at once; the value does not matter, the run has failed. LLVM may
 * have dropped an unused return value (void); a callback returns 1, to stop
 * the helper's loop.
 */
static void build_fail_ret(LLVMBuilderRef b, LLVMTypeRef ty)
{
        if (LLVMGetTypeKind(ty) == LLVMVoidTypeKind)
                LLVMBuildRetVoid(b);
        else if (LLVMGetTypeKind(ty) == LLVMIntegerTypeKind)
                LLVMBuildRet(b, LLVMConstInt(ty, 1, false));
        else
                LLVMBuildRet(b, LLVMConstNull(ty));
}

/*
 * `v` gets a block of its own before it, which all its predecessors now
 * enter, holding its instructions but the terminator (its phis included)
 * and the count; `v` keeps the terminator, so its successors' phis stay right.
 */
static LLVMValueRef budget_how(LLVMContextRef ctx, uint32_t head)
{
        return LLVMConstInt(LLVMInt64TypeInContext(ctx),
                            BPFAOT_SANDBOX_HOW(head, BPFAOT_SANDBOX_BUDGET, 0, 0), false);
}

static void count_header(LLVMBuilderRef b, const struct cfg *g, LLVMValueRef fn,
                         LLVMBasicBlockRef v, uint32_t head, LLVMValueRef counter,
                         LLVMValueRef budget, LLVMTypeRef budget_ty)
{
        LLVMContextRef ctx = LLVMGetTypeContext(LLVMTypeOf(fn));
        LLVMTypeRef i64 = LLVMInt64TypeInContext(ctx);
        LLVMBasicBlockRef top = LLVMInsertBasicBlockInContext(ctx, v, "loop_count");
        LLVMBasicBlockRef batch, fail;
        LLVMValueRef term = LLVMGetBasicBlockTerminator(v), n, ok, args[2];

        for (size_t i = 0; i < g->n; i++) {
                LLVMValueRef t = LLVMGetBasicBlockTerminator(g->bb[i]);

                for (unsigned k = 0; t && k < LLVMGetNumSuccessors(t); k++)
                        if (LLVMGetSuccessor(t, k) == v)
                                LLVMSetSuccessor(t, k, top);
        }
        LLVMPositionBuilderAtEnd(b, top);
        for (LLVMValueRef i = LLVMGetFirstInstruction(v); i && i != term;) {
                LLVMValueRef next = LLVMGetNextInstruction(i);

                LLVMInstructionRemoveFromParent(i);
                LLVMInsertIntoBuilder(b, i);
                i = next;
        }
        n = LLVMBuildSub(b, LLVMBuildLoad2(b, i64, counter, ""), LLVMConstInt(i64, 1, false),
                         "loops_left");
        LLVMBuildStore(b, n, counter);
        /*
         * A batch ends once in SANDBOX_LOOP_BATCH iterations: out of the loop's way. The
         * count may be below 0 where loops that count on leaving (sandbox_reserve.cpp) took more.
         */
        batch = LLVMAppendBasicBlockInContext(ctx, fn, "loop_batch");
        fail = LLVMAppendBasicBlockInContext(ctx, fn, "loop_budget_spent");
        compat_set_likely(
            LLVMBuildCondBr(b, LLVMBuildICmp(b, LLVMIntSLE, n, LLVMConstInt(i64, 0, false), ""),
                            batch, v),
            1);
        LLVMPositionBuilderAtEnd(b, batch);
        LLVMBuildStore(b, LLVMConstInt(i64, SANDBOX_LOOP_BATCH, false), counter);
        args[0] = LLVMBuildSub(b, LLVMConstInt(i64, SANDBOX_LOOP_BATCH, false), n, "loops");
        args[1] = budget_how(ctx, head);
        ok = LLVMBuildCall2(b, budget_ty, budget, args, 2, "");
        compat_set_likely(
            LLVMBuildCondBr(b, LLVMBuildICmp(b, LLVMIntNE, ok, LLVMConstInt(i64, 0, false), ""), v,
                            fail),
            0);
        LLVMPositionBuilderAtEnd(b, fail);
        build_fail_ret(b, LLVMGetReturnType(LLVMGlobalGetValueType(fn)));
}

/* A function that opens the run (an entry): its loops are its callee's. */
static bool opens_run(LLVMValueRef fn)
{
        for (LLVMBasicBlockRef b = LLVMGetFirstBasicBlock(fn); b; b = LLVMGetNextBasicBlock(b))
                for (LLVMValueRef i = LLVMGetFirstInstruction(b); i;
                     i = LLVMGetNextInstruction(i)) {
                        LLVMValueRef callee;
                        size_t len;

                        if (LLVMGetInstructionOpcode(i) != LLVMCall)
                                continue;
                        callee = LLVMGetCalledValue(i);
                        if (LLVMIsAFunction(callee) && strcmp(LLVMGetValueName2(callee, &len),
                                                              BPFAOT_SANDBOX_ENTER_SYMBOL) == 0)
                                return true;
                }
        return false;
}

/* The function's count of iterations left before it asks the run, at its entry. */
static LLVMValueRef make_counter(LLVMBuilderRef b, LLVMValueRef fn)
{
        LLVMTypeRef i64 = LLVMInt64TypeInContext(LLVMGetTypeContext(LLVMTypeOf(fn)));
        LLVMValueRef counter;

        LLVMPositionBuilderBefore(b, LLVMGetFirstInstruction(LLVMGetEntryBasicBlock(fn)));
        counter = LLVMBuildAlloca(b, i64, "loops_left");
        LLVMBuildStore(b, LLVMConstInt(i64, SANDBOX_LOOP_BATCH, false), counter);
        return counter;
}

/* Headers of loops that count their iterations on leaving (sandbox_reserve.cpp) count none. */
static bool skip_reserved(const struct cfg *g, LLVMValueRef fn, bool *header)
{
        LLVMBasicBlockRef *reserved = malloc((g->n ? g->n : 1) * sizeof(*reserved));
        size_t cnt;

        if (!reserved)
                return false;
        cnt = sandbox_reserved_headers(fn, reserved, g->n);
        for (size_t i = 0; i < cnt; i++)
                header[index_of(g, reserved[i])] = false;
        free(reserved);
        return true;
}

static bool bound_fn(LLVMModuleRef mod, LLVMBuilderRef b, LLVMValueRef fn, bool *oom)
{
        LLVMContextRef ctx = LLVMGetModuleContext(mod);
        LLVMTypeRef i64 = LLVMInt64TypeInContext(ctx), budget_ty;
        unsigned loop_kind = LLVMGetMDKindIDInContext(ctx, LOOP_MD, strlen(LOOP_MD));
        struct cfg g = {0};
        bool *header = NULL, any = false, entry;
        uint32_t *head = NULL, only = BPFAOT_SANDBOX_NO_INSN;
        bool named = false, mixed = false;
        LLVMValueRef counter = NULL, budget;

        /* Loops that count on leaving first: their tests make blocks of their own. */
        if (sandbox_reserve_used(fn)) {
                counter = make_counter(b, fn);
                any = sandbox_reserve_lower(fn, counter, SANDBOX_LOOP_BATCH);
        }
        /* An entry's loops are its callee's; reservations inlined into it still settle. */
        if ((entry = opens_run(fn)) && !any)
                return false;
        if (!cfg_init(&g, fn) || !(header = calloc(g.n ? g.n : 1, sizeof(*header))) ||
            !(head = malloc((g.n ? g.n : 1) * sizeof(*head))) || !find_headers(&g, header) ||
            !skip_reserved(&g, fn, header)) {
                *oom = true;
                goto out;
        }
        for (size_t i = 0; i < g.n; i++) {
                header[i] &= !entry;
                any |= header[i];
        }
        if (!any)
                goto out;
        /* A header's name comes from the back edges entering it. */
        for (size_t i = 0; i < g.n; i++)
                head[i] = BPFAOT_SANDBOX_NO_INSN;
        for (size_t i = 0; i < g.n; i++) {
                LLVMValueRef t = LLVMGetBasicBlockTerminator(g.bb[i]);
                uint32_t h = t ? named_head(t, loop_kind) : BPFAOT_SANDBOX_NO_INSN;

                for (unsigned k = 0; h != BPFAOT_SANDBOX_NO_INSN && k < LLVMGetNumSuccessors(t);
                     k++) {
                        size_t v = index_of(&g, LLVMGetSuccessor(t, k));

                        if (header[v] && head[v] == BPFAOT_SANDBOX_NO_INSN)
                                head[v] = h;
                }
        }
        for (size_t i = 0; i < g.n; i++)
                if (header[i] && head[i] == BPFAOT_SANDBOX_NO_INSN)
                        head[i] = block_insn(g.bb[i]);
        /* One eBPF loop (a loop and its copies) names what the function spends on return. */
        for (size_t i = 0; i < g.n; i++) {
                if (!header[i])
                        continue;
                if (head[i] == BPFAOT_SANDBOX_NO_INSN || (named && head[i] != only))
                        mixed = true;
                only = head[i];
                named = true;
        }
        if (mixed)
                only = BPFAOT_SANDBOX_NO_INSN;
        budget = budget_fn(mod, &budget_ty);
        if (!counter)
                counter = make_counter(b, fn);
        for (size_t i = 0; i < g.n; i++)
                if (header[i])
                        count_header(b, &g, fn, g.bb[i], head[i], counter, budget, budget_ty);
        /* What is left is the run's when the function returns (a failure is seen by the caller). */
        for (LLVMBasicBlockRef bb = LLVMGetFirstBasicBlock(fn); bb;
             bb = LLVMGetNextBasicBlock(bb)) {
                LLVMValueRef t = LLVMGetBasicBlockTerminator(bb), args[2];

                if (!t || LLVMGetInstructionOpcode(t) != LLVMRet ||
                    strcmp(LLVMGetBasicBlockName(bb), "loop_budget_spent") == 0)
                        continue;
                LLVMPositionBuilderBefore(b, t);
                args[0] = LLVMBuildSub(b, LLVMConstInt(i64, SANDBOX_LOOP_BATCH, false),
                                       LLVMBuildLoad2(b, i64, counter, ""), "loops");
                args[1] = budget_how(ctx, only);
                LLVMBuildCall2(b, budget_ty, budget, args, 2, "");
        }
out:
        free(head);
        free(header);
        cfg_free(&g);
        return any;
}

bool sandbox_bound_loops(LLVMModuleRef mod, bool *oom)
{
        LLVMBuilderRef b = LLVMCreateBuilderInContext(LLVMGetModuleContext(mod));
        bool changed = false;

        *oom = false;
        for (LLVMValueRef fn = LLVMGetFirstFunction(mod); fn && !*oom; fn = LLVMGetNextFunction(fn))
                if (LLVMCountBasicBlocks(fn))
                        changed |= bound_fn(mod, b, fn, oom);
        LLVMDisposeBuilder(b);
        return changed && !*oom;
}
