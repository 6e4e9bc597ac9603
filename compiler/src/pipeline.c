/* SPDX-License-Identifier: MIT */
/*
 * The -O2 pass pipeline: LLVM's default<O2> cut down to what acts on
 * translated eBPF, spelled out per LLVM version (14 and 19; other versions
 * run default<O2> itself). -O1 and -O3 keep LLVM's default<O1>/<O3>.
 *
 * The starting point is default<O2> as that version's `opt -passes='default<O2>'
 * -print-pipeline-passes` prints it (the same objects as default<O2>, byte
 * for byte). Removed from it (LLVM 19: 120 passes to 68; LLVM 14: 110 to 67):
 *  - SLP vectorisation. eBPF code is scalar 64-bit arithmetic; SLP changed
 *    no kernel of bench/ but for register choice, and it was the costliest
 *    pass on long straight-line programs. Loops are still vectorised.
 *  - Passes with nothing to act on (each where the version has it):
 *    annotation2metadata, forceattrs, lower-expect, ee-instrument, coro-*,
 *    openmp-opt*, called-value-propagation, devirt<4> (LLVM 19; there are
 *    no indirect calls), speculative-execution (divergent targets only),
 *    libcalls-shrinkwrap, aggressive-instcombine, float2int,
 *    lower-constant-intrinsics, loop-distribute,
 *    inject-tli-mappings, transform-warning, alignment-from-assumptions,
 *    loop-sink (profile data only), move-auto-init, elim-avail-extern,
 *    cg-profile, annotation-remarks; both globalopt runs.
 *  - Repeats that found nothing left: InstCombine 8 runs to 4 on LLVM 14, to
 *    3 on LLVM 19 (gone: the first of the CGSCC pipeline, the last of the
 *    function simplification, the one after vector-combine, and the one
 *    after loop-load-elim on LLVM 19, after GVN's place on LLVM 14; on LLVM
 *    19 also the one after GVN, whose removal changed none of the objects of
 *    bench/'s kernels and Debian's eBPF objects and took 4 % off their -O2
 *    compile), SROA but for its first run, mldst-motion,
 *    bdce, the CGSCC tailcallelim, the licm after dse, two simplifycfg runs,
 *    and on LLVM 19 sccp, the CGSCC vector-combine and the infer-alignment
 *    after unrolling.
 *  - jump-threading and correlated-propagation: LLVM 14 runs them no more
 *    (its code was no slower without them, and one correlated-propagation
 *    cost 7 % of the compile). LLVM 19 keeps the second of each: without
 *    them switch_dispatch's `% 86` is computed in 64 bits, 5 % slower, and
 *    bytecmp's loop changed, 16 % faster for the generic CPU but 80 %
 *    slower with --cpu native (a Xeon), each timed with the old and the new
 *    object in one binary.
 *  - GVN's load elimination: its memory dependence queries across blocks
 *    were 14-16 % of the whole compile of compile_latency's programs
 *    (stack slots of mixed sizes that SROA cannot split, so few loads go).
 *    LLVM 19 runs gvn<no-memdep> (value numbering and scalar PRE without it:
 *    EarlyCSE in its place lost that PRE, which made xdpfilt_alw_all's switch
 *    trees cost code generation 33 % more), LLVM 14 a second
 *    early-cse<memssa>. Loads reused across blocks are the one thing lost:
 *    xdpdump_bpf's two programs reload context fields (3 and 5 instructions
 *    more, LLVM 19).
 *
 * Each removal was checked on the objects of bench/'s 16 kernels (plain and
 * --sandbox) and five xdp-tools objects: most removals left every object
 * byte for byte. The pipelines below change, on LLVM 19, crc32 with
 * --sandbox (6 % faster) and no other kernel; on LLVM 14 a few
 * instructions in sieve and switch_dispatch, and with --sandbox in
 * bsearch, bytecopy, memcopy, murmur, sieve and switch_dispatch, where
 * `bench --no-interp` sees nothing slower beyond what moving identical
 * code in its binary does (bench/README.md). memcopy and bytecopy stay
 * vectorised with --sandbox.
 *
 * Instructions executed by `bpf-aot build -O2` (callgrind), whole compile:
 *                                 LLVM 19               LLVM 14
 *   compile_latency, 4,096      2,213M -> 1,599M -28 %  2,609M -> 1,805M -31 %
 *   compile_latency, 16,384     9,248M -> 6,431M -30 %  10,903M -> 7,397M -32 %
 *   xdpfilt_alw_all.o           1,396M -> 1,354M  -3 %  1,821M -> 1,773M  -3 %
 *   xdpfilt_alw_tcp.o           1,152M -> 1,133M  -2 %  1,087M -> 1,057M  -3 %
 * The optimiser alone: -49 % and -53 % (LLVM 19, 4,096 and 16,384),
 * -52 % and -53 % (LLVM 14), -32 to -41 % on the two xdpfilt objects, whose
 * compile is over 90 % code generation of the switches recovered from their
 * compare trees (switches.c) and the recovery itself.
 *
 * --sandbox code runs the same pipeline: check_hoist.cpp, between its two
 * parts, gives loops whose range checks follow induction variables a copy
 * without them. (LLVM's inductive range check elimination, irce, did part of
 * that before; its split loops were not unrolled, and bench's sandboxed
 * geomean was 1.17-1.19 with it, 1.14-1.15 without.)
 *
 * Each pipeline is cut in two before the loop vectoriser (O2_VECTORISE,
 * compat_o2_vectorise): in between, indvars.c re-expresses offsets that
 * step beside a counter through that counter, as native code indexes
 * arrays. Running the two parts gives the same objects as the whole.
 *
 * (compat_o2_without_slp keeps its name: it is the -O2 pipeline up to the
 * vectoriser.)
 */
#include "llvm_compat.h"

#include <llvm/Config/llvm-config.h>
#include <stdbool.h>

/* One pass group a line, nested groups indented. */
/* clang-format off */
#if LLVM_VERSION_MAJOR == 14
#define O2_HEAD \
    "inferattrs,function<eager-inv>(" \
        "simplifycfg<bonus-inst-threshold=1;no-forward-switch-cond;no-switch-range-to-icmp;" \
            "no-switch-to-lookup;keep-loops;no-hoist-common-insts;no-sink-common-insts>," \
        "sroa,early-cse<>)," \
    "ipsccp,function(" \
        "mem2reg)," \
    "deadargelim,function<eager-inv>(" \
        "instcombine," \
        "simplifycfg<bonus-inst-threshold=1;no-forward-switch-cond;switch-range-to-icmp;" \
            "no-switch-to-lookup;keep-loops;no-hoist-common-insts;no-sink-common-insts>)," \
    "require<globals-aa>,function(" \
        "invalidate<aa>)," \
    "require<profile-summary>,cgscc(" \
        "devirt<4>(" \
            "inline<only-mandatory>,inline,function-attrs,function<eager-inv>(" \
                "early-cse<memssa>," \
                "simplifycfg<bonus-inst-threshold=1;no-forward-switch-cond;" \
                    "switch-range-to-icmp;no-switch-to-lookup;keep-loops;no-hoist-common-insts;" \
                    "no-sink-common-insts>," \
                "reassociate,loop-mssa(" \
                    "loop-instsimplify,loop-simplifycfg,licm,loop-rotate,licm," \
                    "simple-loop-unswitch<no-nontrivial;trivial>)," \
                "instcombine,loop(" \
                    "loop-idiom,indvars,loop-deletion,loop-unroll-full),"
#define O2_TAIL \
                "early-cse<memssa>,sccp,adce,memcpyopt,dse," \
                "simplifycfg<bonus-inst-threshold=1;no-forward-switch-cond;" \
                    "switch-range-to-icmp;no-switch-to-lookup;keep-loops;hoist-common-insts;" \
                    "sink-common-insts>)))," \
    "globaldce,rpo-function-attrs,require<globals-aa>,function<eager-inv>(" \
        "loop(" \
            "loop-rotate,loop-deletion))"
#define O2_VECTORISE \
    "function<eager-inv>(" \
        "loop-vectorize<no-interleave-forced-only;no-vectorize-forced-only;>,loop-load-elim," \
        "instcombine," \
        "simplifycfg<bonus-inst-threshold=1;forward-switch-cond;switch-range-to-icmp;" \
            "switch-to-lookup;no-keep-loops;hoist-common-insts;sink-common-insts>," \
        "vector-combine,loop-unroll<O2>,instcombine," \
        "require<opt-remark-emit>,loop-mssa(" \
            "licm)," \
        "instsimplify,div-rem-pairs," \
        "simplifycfg<bonus-inst-threshold=1;no-forward-switch-cond;switch-range-to-icmp;" \
            "no-switch-to-lookup;keep-loops;no-hoist-common-insts;no-sink-common-insts>)," \
    "globaldce,constmerge,rel-lookup-table-converter"
static const char o2_ebpf[] = O2_HEAD O2_TAIL;
static const char o2_vectorise[] = O2_VECTORISE;
#undef O2_HEAD
#undef O2_TAIL
#undef O2_VECTORISE
#elif LLVM_VERSION_MAJOR == 19
#define O2_HEAD \
    "inferattrs,function<eager-inv>(" \
        "simplifycfg<bonus-inst-threshold=1;no-forward-switch-cond;no-switch-range-to-icmp;" \
            "no-switch-to-lookup;keep-loops;no-hoist-common-insts;no-sink-common-insts;" \
            "speculate-blocks;simplify-cond-branch;no-speculate-unpredictables>," \
        "sroa<modify-cfg>,early-cse<>)," \
    "ipsccp,function<eager-inv>(" \
        "mem2reg,instcombine<max-iterations=1;no-use-loop-info;no-verify-fixpoint>," \
        "simplifycfg<bonus-inst-threshold=1;no-forward-switch-cond;switch-range-to-icmp;" \
            "no-switch-to-lookup;keep-loops;no-hoist-common-insts;no-sink-common-insts;" \
            "speculate-blocks;simplify-cond-branch;no-speculate-unpredictables>)," \
    "always-inline,require<globals-aa>,function(" \
        "invalidate<aa>)," \
    "cgscc(" \
        "inline,function-attrs<skip-non-recursive-function-attrs>," \
        "function<eager-inv;no-rerun>(" \
            "early-cse<memssa>," \
            "simplifycfg<bonus-inst-threshold=1;no-forward-switch-cond;switch-range-to-icmp;" \
                "no-switch-to-lookup;keep-loops;no-hoist-common-insts;no-sink-common-insts;" \
                "speculate-blocks;simplify-cond-branch;no-speculate-unpredictables>," \
            "reassociate,constraint-elimination,loop-mssa(" \
                "loop-instsimplify,loop-simplifycfg,licm<no-allowspeculation>," \
                "loop-rotate<header-duplication;no-prepare-for-lto>,licm<allowspeculation>," \
                "simple-loop-unswitch<no-nontrivial;trivial>)," \
            "instcombine<max-iterations=1;no-use-loop-info;no-verify-fixpoint>,loop(" \
                "loop-idiom,indvars,simple-loop-unswitch<no-nontrivial;trivial>,loop-deletion," \
                "loop-unroll-full),"
#define O2_TAIL \
            "gvn<no-memdep>," \
            "jump-threading,correlated-propagation,adce,memcpyopt,dse," \
            "simplifycfg<bonus-inst-threshold=1;no-forward-switch-cond;switch-range-to-icmp;" \
                "no-switch-to-lookup;keep-loops;hoist-common-insts;sink-common-insts;" \
                "speculate-blocks;simplify-cond-branch;no-speculate-unpredictables>)," \
        "function-attrs)," \
    "deadargelim,globaldce,rpo-function-attrs,recompute-globalsaa,function<eager-inv>(" \
        "loop(" \
            "loop-rotate<header-duplication;no-prepare-for-lto>,loop-deletion))"
#define O2_VECTORISE \
    "function<eager-inv>(" \
        "loop-vectorize<no-interleave-forced-only;no-vectorize-forced-only;>,infer-alignment," \
        "loop-load-elim," \
        "simplifycfg<bonus-inst-threshold=1;forward-switch-cond;switch-range-to-icmp;" \
            "switch-to-lookup;no-keep-loops;hoist-common-insts;sink-common-insts;" \
            "speculate-blocks;simplify-cond-branch;no-speculate-unpredictables>," \
        "vector-combine,loop-unroll<O2>," \
        "instcombine<max-iterations=1;no-use-loop-info;no-verify-fixpoint>,loop-mssa(" \
            "licm<allowspeculation>)," \
        "instsimplify,div-rem-pairs,tailcallelim," \
        "simplifycfg<bonus-inst-threshold=1;no-forward-switch-cond;switch-range-to-icmp;" \
            "no-switch-to-lookup;keep-loops;no-hoist-common-insts;no-sink-common-insts;" \
            "speculate-blocks;simplify-cond-branch;speculate-unpredictables>)," \
    "globaldce,constmerge,rel-lookup-table-converter"
static const char o2_ebpf[] = O2_HEAD O2_TAIL;
static const char o2_vectorise[] = O2_VECTORISE;
#undef O2_HEAD
#undef O2_TAIL
#undef O2_VECTORISE
#else
static const char o2_ebpf[] = "default<O2>";
static const char *const o2_vectorise = NULL;
#endif
/* clang-format on */

const char *compat_o2_without_slp(void)
{
        return o2_ebpf;
}

const char *compat_o2_vectorise(void)
{
        return o2_vectorise;
}

/*
 * After check_hoist.cpp: the unchecked copies of loops branch on `true`
 * where their checks were; their slow paths go, and what computed the
 * checks.
 */
const char *compat_after_check_hoist(void)
{
#if LLVM_VERSION_MAJOR >= 18
        /*
         * A pipeline's plain `instcombine` verifies that one run reached a
         * fixpoint, and ends the process when it did not (LLVM 18 on):
         * a sandboxed differential program (seed 800066) did that.
         */
        return "function(simplifycfg<keep-loops>,instcombine<no-verify-fixpoint>)";
#else
        return "function(simplifycfg<keep-loops>,instcombine)";
#endif
}
