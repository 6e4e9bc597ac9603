/* SPDX-License-Identifier: MIT */
/*
 * Source-level debug info (bpfaot_compile_opts.debug_info): DWARF line
 * tables from the programs' line info and a subprogram per native
 * function, through LLVM's DIBuilder. The translator names each function
 * it makes (debuginfo_function) and each eBPF instruction it translates
 * (debuginfo_at); the compile driver makes the module's debug info
 * (debuginfo_new) and completes it before the module is verified
 * (debuginfo_finish). Every function takes a NULL `struct debuginfo`,
 * and then does nothing: a module without debug info.
 */
#ifndef BPFAOT_DEBUGINFO_H
#define BPFAOT_DEBUGINFO_H

#include "bpfaot/bpfaot.h"

#include <llvm-c/Core.h>
#include <stdbool.h>

struct debuginfo;
struct program;

/* What a native function is, which names it. */
enum debuginfo_kind {
        DEBUGINFO_FUNC,   /* a sub-program: the eBPF function starting there */
        DEBUGINFO_REGION, /* a region of a split sub-program: <function>.region_<insn> */
        DEBUGINFO_ENTRY,  /* the exported entry: its own symbol */
};

/*
 * Debug info for `mod`, which will hold `progs`: its compile unit (the
 * first program's source file) and module flags. NULL when no program has
 * line info, or out of memory (then *oom is set).
 */
struct debuginfo *debuginfo_new(LLVMModuleRef mod, const struct bpfaot_prog *progs, size_t cnt,
                                bool optimized, bool *oom);

/*
 * Give `fn` a subprogram for the code of `p` from instruction `insn` on.
 * A program without line info gets none (its functions no debug info).
 */
void debuginfo_function(struct debuginfo *d, const struct program *p, LLVMValueRef fn, size_t insn,
                        enum debuginfo_kind kind);

/*
 * What `b` builds from now on is instruction `idx` of `p`, in `fn`: its
 * source line (line 0 when none holds for it), or no location when `fn`
 * has no subprogram.
 */
void debuginfo_at(struct debuginfo *d, const struct program *p, LLVMBuilderRef b, LLVMValueRef fn,
                  size_t idx);

/*
 * Before the module is verified: every instruction of a function with a
 * subprogram that has no location of that function (the translator's own
 * code around the program's: prologues, dispatchers, the entry) gets the
 * one before it in its block; the first ones of a block get line 0, those
 * of a function's entry block its first line. Instructions of functions
 * without one lose theirs. Then the debug info is finalised.
 */
void debuginfo_finish(struct debuginfo *d);

/*
 * After a pass that adds code to the module (optimisation, loop counting):
 * a call without a location, which LLVM refuses in a function with debug
 * info, gets the one before it in its block (else line 0). Functions
 * without debug info are left alone; a module may be a part of the one
 * debuginfo_new made (split.cpp).
 */
void debuginfo_fill_calls(LLVMModuleRef mod);

void debuginfo_free(struct debuginfo *d);

#endif
