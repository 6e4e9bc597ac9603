/* SPDX-License-Identifier: MIT */
/*
 * Seeded random generator of valid, terminating eBPF programs for
 * differential testing (interpreter vs compiled code).
 *
 * Register conventions of generated programs (so that no pointer value ever
 * becomes data, which would differ between the two engines):
 *  - r10 is the frame pointer, r9 holds the context pointer (copied from r1,
 *    never written again), r6 is the loop counter (written only by loops);
 *  - in sub-programs r8 points 256 bytes below the caller's frame top, so
 *    the callee reads and writes its caller's stack;
 *  - every other register holds plain data, except that a few instructions
 *    may hold an address derived from r10, r9 or r8 in one (reserved
 *    meanwhile, then overwritten with data), or spill it in the frame's
 *    lowest 64 bytes (overwritten with data afterwards).
 * Memory accesses use constant offsets from r10, r9 or r8, always in
 * bounds; atomics are naturally aligned. The entry stores r0-r8 into the
 * first 72 bytes of the context before it exits.
 *
 * Modes (gen_program_mode; gen_program's programs are mode 0's):
 *  - GEN_SANDBOX: only calls a sandbox allows (bpfaot_compile_opts.sandbox):
 *    bpf_probe_read (id 4, directly or by callx) from the context or the
 *    frame into a frame buffer, in bounds, where the others call the
 *    generated helpers;
 *  - GEN_UNSAFE (implies GEN_SANDBOX): also accesses the analysis cannot
 *    prove, at offsets computed from data (bytes of the context, or a data
 *    register where the validator cannot know its value): loads, stores and
 *    atomics from the context pointer (inside, up to 8 or 64 bytes past
 *    either end, or over 1 MiB away), from r10 (inside the frame, up to 8
 *    or 64 bytes past either end in the entry, the return address's side
 *    included, or over 1 MiB away), from r8 in sub-programs (inside the
 *    caller's window, or far), through a plain number, and bpf_probe_read
 *    into a frame buffer with a size from data. Each program has a random
 *    subset of these kinds. Such a program still validates but may fail
 *    when it runs.
 *
 * Where an unsafe program fails must not depend on where the context and
 * the frames are, nor on how an engine lays them out: an access that
 * leaves its region either stays within 64 bytes of it, where neither
 * engine has another region (diff_test gives the interpreter's context
 * room around it, and only the entry's frame is approached from outside:
 * the interpreter keeps a callee's frame right above its caller's, compiled
 * code below it), or goes over 1 MiB (and under GEN_FAR_REACH) away, where neither has one
 * (diff_test maps the interpreter's context apart from the heap that holds
 * the interpreter's frames, about 2^45 bytes away; compiled code's frames
 * are on the thread's stack). So the
 * sandbox's one documented difference, that a pointer derived from the
 * context which leaves it fails even where it lands in another region,
 * never shows. Nor does another: the sandbox checks the source of
 * bpf_probe_read (arg 3, size arg 2) against the program's regions, the
 * interpreter does not (it lets the helper read whatever it can). The
 * source here (the context, or the frame's lowest bytes) holds at least as
 * many bytes as the buffer, so it is in bounds whenever the destination is.
 */
#ifndef BPFAOT_TEST_GEN_H
#define BPFAOT_TEST_GEN_H

#include "bpfaot/bpfaot.h"

#include <stddef.h>
#include <stdint.h>

#define GEN_STACK_SIZE  BPFAOT_DEFAULT_STACK_SIZE
#define GEN_MIN_MEM_LEN 128
#define GEN_MAX_MEM_LEN 512
/*
 * How far from its region a GEN_UNSAFE access may land, at most: a user of
 * such programs keeps every other region of an engine further away.
 */
#define GEN_FAR_REACH (1ull << 37)

/* Helper ids generated programs call (deterministic functions of r1-r5). */
#define GEN_HELPER_FIRST 1000
#define GEN_HELPER_CNT   3

struct gen_prog {
        struct bpfaot_insn *insns;
        size_t insn_cnt;
        size_t mem_len; /* size of the context memory the program expects */
};

#define GEN_SANDBOX 1u
#define GEN_UNSAFE  2u

/* The id of bpf_probe_read, the one helper GEN_SANDBOX programs call. */
#define GEN_HELPER_PROBE_READ 4

/* Generate the program for `seed`. Returns 0 or -ENOMEM. */
int gen_program(uint64_t seed, struct gen_prog *out);
/* The same in mode `mode` (GEN_SANDBOX, GEN_UNSAFE); mode 0 is gen_program. */
int gen_program_mode(uint64_t seed, unsigned mode, struct gen_prog *out);
void gen_prog_free(struct gen_prog *prog);

/* Fill the context memory for `seed` (mem_len bytes of mixed patterns). */
void gen_fill_memory(uint64_t seed, uint8_t *mem, size_t len);

/*
 * The helper with this id (GEN_HELPER_FIRST ..., or the runtime's
 * bpf_probe_read), or NULL. Matches bpfaot_helper_lookup.
 */
bpfaot_helper_fn gen_helper_lookup(void *ctx, uint32_t id);
/* callx dispatcher for compiled code: a generated helper, or (uint64_t)-ENOENT. */
uint64_t gen_callx(uint64_t id, uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5);

#endif
