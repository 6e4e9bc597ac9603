/* SPDX-License-Identifier: MIT */
/*
 * The -O2 pass pipeline: LLVM's default<O2> without the SLP vectoriser.
 *
 * eBPF code is scalar 64-bit arithmetic. In bench/'s kernels SLP changed no
 * object but for register choice, while on long straight-line programs it
 * was the costliest pass (40% of the optimiser's time at 4,000 instructions).
 * Loops are still vectorised; -O3 keeps LLVM's default<O3>, SLP included.
 *
 * LLVM's pass builder adds SLP to default<O2> whatever
 * LLVMPassBuilderOptionsSetSLPVectorization says (checked on LLVM 14 and 19),
 * so the pipeline is spelled out per LLVM version: default<O2> as that
 * version's `opt -passes='default<O2>' -print-pipeline-passes` prints it
 * (which gives the same objects as default<O2>, byte for byte), less
 * slp-vectorizer. Other versions run default<O2> itself.
 *
 * --sandbox code also gets inductive range check elimination (irce) once
 * loops are simplified: a context access in a loop is checked against the
 * context's size in the shape irce recognises (translate.c, sb_inside), so
 * irce checks the whole range before the loop and the loop, free of side
 * exits, is vectorised (memcopy's copy loop, LLVM 14).
 */
#include "llvm_compat.h"

#include <llvm/Config/llvm-config.h>
#include <stdbool.h>

/* One pass group a line, nested groups indented. */
/* clang-format off */
#if LLVM_VERSION_MAJOR == 14
#define O2_HEAD \
    "annotation2metadata,forceattrs,inferattrs,function<eager-inv>(" \
        "lower-expect," \
        "simplifycfg<bonus-inst-threshold=1;no-forward-switch-cond;no-switch-range-to-icmp;" \
            "no-switch-to-lookup;keep-loops;no-hoist-common-insts;no-sink-common-insts>," \
        "sroa,early-cse<>,coro-early)," \
    "openmp-opt,ipsccp,called-value-propagation,globalopt,function(" \
        "mem2reg)," \
    "deadargelim,function<eager-inv>(" \
        "instcombine," \
        "simplifycfg<bonus-inst-threshold=1;no-forward-switch-cond;switch-range-to-icmp;" \
            "no-switch-to-lookup;keep-loops;no-hoist-common-insts;no-sink-common-insts>)," \
    "require<globals-aa>,function(" \
        "invalidate<aa>)," \
    "require<profile-summary>,cgscc(" \
        "devirt<4>(" \
            "inline<only-mandatory>,inline,function-attrs,openmp-opt-cgscc,function<eager-inv>(" \
                "sroa,early-cse<memssa>,speculative-execution,jump-threading,correlated-propagation," \
                "simplifycfg<bonus-inst-threshold=1;no-forward-switch-cond;" \
                    "switch-range-to-icmp;no-switch-to-lookup;keep-loops;no-hoist-common-insts;" \
                    "no-sink-common-insts>," \
                "instcombine,libcalls-shrinkwrap,tailcallelim," \
                "simplifycfg<bonus-inst-threshold=1;no-forward-switch-cond;" \
                    "switch-range-to-icmp;no-switch-to-lookup;keep-loops;no-hoist-common-insts;" \
                    "no-sink-common-insts>," \
                "reassociate,require<opt-remark-emit>,loop-mssa(" \
                    "loop-instsimplify,loop-simplifycfg,licm,loop-rotate,licm," \
                    "simple-loop-unswitch<no-nontrivial;trivial>)," \
                "simplifycfg<bonus-inst-threshold=1;no-forward-switch-cond;" \
                    "switch-range-to-icmp;no-switch-to-lookup;keep-loops;no-hoist-common-insts;" \
                    "no-sink-common-insts>," \
                "instcombine,loop(" \
                    "loop-idiom,indvars,loop-deletion,loop-unroll-full),"
#define O2_TAIL \
                "sroa,mldst-motion<no-split-footer-bb>,gvn<>,sccp,bdce,instcombine,jump-threading," \
                "correlated-propagation,adce,memcpyopt,dse,loop-mssa(" \
                    "licm)," \
                "coro-elide," \
                "simplifycfg<bonus-inst-threshold=1;no-forward-switch-cond;" \
                    "switch-range-to-icmp;no-switch-to-lookup;keep-loops;hoist-common-insts;" \
                    "sink-common-insts>," \
                "instcombine)," \
            "coro-split))," \
    "globalopt,globaldce,elim-avail-extern,rpo-function-attrs,require<globals-aa>," \
    "function<eager-inv>(" \
        "float2int,lower-constant-intrinsics,loop(" \
            "loop-rotate,loop-deletion)," \
        "loop-distribute,inject-tli-mappings," \
        "loop-vectorize<no-interleave-forced-only;no-vectorize-forced-only;>,loop-load-elim," \
        "instcombine," \
        "simplifycfg<bonus-inst-threshold=1;forward-switch-cond;switch-range-to-icmp;" \
            "switch-to-lookup;no-keep-loops;hoist-common-insts;sink-common-insts>," \
        "vector-combine,instcombine,loop-unroll<O2>,transform-warning,instcombine," \
        "require<opt-remark-emit>,loop-mssa(" \
            "licm)," \
        "alignment-from-assumptions,loop-sink,instsimplify,div-rem-pairs," \
        "simplifycfg<bonus-inst-threshold=1;no-forward-switch-cond;switch-range-to-icmp;" \
            "no-switch-to-lookup;keep-loops;no-hoist-common-insts;no-sink-common-insts>," \
        "coro-cleanup)," \
    "cg-profile,globaldce,constmerge,rel-lookup-table-converter,function(" \
        "annotation-remarks)"
static const char o2_without_slp[] = O2_HEAD O2_TAIL;
static const char o2_sandbox[] = O2_HEAD "irce," O2_TAIL;
#undef O2_HEAD
#undef O2_TAIL
#elif LLVM_VERSION_MAJOR == 19
#define O2_HEAD \
    "annotation2metadata,forceattrs,inferattrs,coro-early,function<eager-inv>(" \
        "ee-instrument<>,lower-expect," \
        "simplifycfg<bonus-inst-threshold=1;no-forward-switch-cond;no-switch-range-to-icmp;" \
            "no-switch-to-lookup;keep-loops;no-hoist-common-insts;no-sink-common-insts;" \
            "speculate-blocks;simplify-cond-branch;no-speculate-unpredictables>," \
        "sroa<modify-cfg>,early-cse<>)," \
    "openmp-opt,ipsccp,called-value-propagation,globalopt,function<eager-inv>(" \
        "mem2reg,instcombine<max-iterations=1;no-use-loop-info;no-verify-fixpoint>," \
        "simplifycfg<bonus-inst-threshold=1;no-forward-switch-cond;switch-range-to-icmp;" \
            "no-switch-to-lookup;keep-loops;no-hoist-common-insts;no-sink-common-insts;" \
            "speculate-blocks;simplify-cond-branch;no-speculate-unpredictables>)," \
    "always-inline,require<globals-aa>,function(" \
        "invalidate<aa>)," \
    "require<profile-summary>,cgscc(" \
        "devirt<4>(" \
            "inline,function-attrs<skip-non-recursive-function-attrs>,openmp-opt-cgscc," \
            "function<eager-inv;no-rerun>(" \
                "sroa<modify-cfg>,early-cse<memssa>,speculative-execution<only-if-divergent-target>," \
                "jump-threading,correlated-propagation," \
                "simplifycfg<bonus-inst-threshold=1;no-forward-switch-cond;" \
                    "switch-range-to-icmp;no-switch-to-lookup;keep-loops;no-hoist-common-insts;" \
                    "no-sink-common-insts;speculate-blocks;simplify-cond-branch;" \
                    "no-speculate-unpredictables>," \
                "instcombine<max-iterations=1;no-use-loop-info;no-verify-fixpoint>," \
                "aggressive-instcombine,libcalls-shrinkwrap,tailcallelim," \
                "simplifycfg<bonus-inst-threshold=1;no-forward-switch-cond;" \
                    "switch-range-to-icmp;no-switch-to-lookup;keep-loops;no-hoist-common-insts;" \
                    "no-sink-common-insts;speculate-blocks;simplify-cond-branch;" \
                    "no-speculate-unpredictables>," \
                "reassociate,constraint-elimination,loop-mssa(" \
                    "loop-instsimplify,loop-simplifycfg,licm<no-allowspeculation>," \
                    "loop-rotate<header-duplication;no-prepare-for-lto>,licm<allowspeculation>," \
                    "simple-loop-unswitch<no-nontrivial;trivial>)," \
                "simplifycfg<bonus-inst-threshold=1;no-forward-switch-cond;" \
                    "switch-range-to-icmp;no-switch-to-lookup;keep-loops;no-hoist-common-insts;" \
                    "no-sink-common-insts;speculate-blocks;simplify-cond-branch;" \
                    "no-speculate-unpredictables>," \
                "instcombine<max-iterations=1;no-use-loop-info;no-verify-fixpoint>,loop(" \
                    "loop-idiom,indvars,simple-loop-unswitch<no-nontrivial;" \
                        "trivial>,loop-deletion," \
                    "loop-unroll-full),"
#define O2_TAIL \
                "sroa<modify-cfg>,vector-combine,mldst-motion<no-split-footer-bb>,gvn<>,sccp,bdce," \
                "instcombine<max-iterations=1;no-use-loop-info;" \
                    "no-verify-fixpoint>,jump-threading," \
                "correlated-propagation,adce,memcpyopt,dse,move-auto-init,loop-mssa(" \
                    "licm<allowspeculation>)," \
                "coro-elide," \
                "simplifycfg<bonus-inst-threshold=1;no-forward-switch-cond;" \
                    "switch-range-to-icmp;no-switch-to-lookup;keep-loops;hoist-common-insts;" \
                    "sink-common-insts;speculate-blocks;simplify-cond-branch;" \
                    "no-speculate-unpredictables>," \
                "instcombine<max-iterations=1;no-use-loop-info;no-verify-fixpoint>)," \
            "function-attrs,function(" \
                "require<should-not-run-function-passes>)," \
            "coro-split))," \
    "deadargelim,coro-cleanup,globalopt,globaldce,elim-avail-extern,rpo-function-attrs," \
    "recompute-globalsaa,function<eager-inv>(" \
        "float2int,lower-constant-intrinsics,loop(" \
            "loop-rotate<header-duplication;no-prepare-for-lto>,loop-deletion)," \
        "loop-distribute,inject-tli-mappings," \
        "loop-vectorize<no-interleave-forced-only;no-vectorize-forced-only;>,infer-alignment," \
        "loop-load-elim,instcombine<max-iterations=1;no-use-loop-info;no-verify-fixpoint>," \
        "simplifycfg<bonus-inst-threshold=1;forward-switch-cond;switch-range-to-icmp;" \
            "switch-to-lookup;no-keep-loops;hoist-common-insts;sink-common-insts;" \
            "speculate-blocks;simplify-cond-branch;no-speculate-unpredictables>," \
        "vector-combine,instcombine<max-iterations=1;no-use-loop-info;no-verify-fixpoint>," \
        "loop-unroll<O2>,transform-warning,sroa<preserve-cfg>,infer-alignment," \
        "instcombine<max-iterations=1;no-use-loop-info;no-verify-fixpoint>,loop-mssa(" \
            "licm<allowspeculation>)," \
        "alignment-from-assumptions,loop-sink,instsimplify,div-rem-pairs,tailcallelim," \
        "simplifycfg<bonus-inst-threshold=1;no-forward-switch-cond;switch-range-to-icmp;" \
            "no-switch-to-lookup;keep-loops;no-hoist-common-insts;no-sink-common-insts;" \
            "speculate-blocks;simplify-cond-branch;speculate-unpredictables>)," \
    "globaldce,constmerge,cg-profile,rel-lookup-table-converter,function(" \
        "annotation-remarks)"
static const char o2_without_slp[] = O2_HEAD O2_TAIL;
static const char o2_sandbox[] = O2_HEAD "irce," O2_TAIL;
#undef O2_HEAD
#undef O2_TAIL
#else
static const char o2_without_slp[] = "default<O2>";
static const char o2_sandbox[] = "default<O2>";
#endif
/* clang-format on */

const char *compat_o2_without_slp(bool sandbox)
{
        return sandbox ? o2_sandbox : o2_without_slp;
}
