/* SPDX-License-Identifier: MIT */
/*
 * Misuses of the compiler library's API that only a caller of the library
 * can make: each fails with a message, never a crash.
 */
#define _GNU_SOURCE /* memmem */
#include "test_util.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* r0 = 0; exit */
static const struct bpfaot_insn ret0[] = {
    {.opcode = 0xb7, .dst = 0, .imm = 0},
    {.opcode = 0x95},
};

/* r1 = map 0 (lddw with a map relocation); r0 = 0; exit */
static const struct bpfaot_insn use_map[] = {
    {.opcode = 0x18, .dst = 1},
    {.opcode = 0},
    {.opcode = 0xb7, .dst = 0, .imm = 0},
    {.opcode = 0x95},
};
static const struct bpfaot_reloc map_reloc = {
    .insn = 0, .kind = BPFAOT_RELOC_MAP, .name = "counts", .data_sec = 0};
static const struct bpfaot_map_desc maps[] = {
    {.name = "counts", .type = 2, .key_size = 4, .value_size = 8, .max_entries = 4},
};

static void duplicate_entry(void)
{
        struct bpfaot_prog progs[2] = {
            {.input = "api", .name = "a", .insns = ret0, .insn_cnt = 2},
            {.input = "api", .name = "b", .insns = ret0, .insn_cnt = 2},
        };
        const char *entries[2] = {"same", "same"};
        BPFAOT_OPTS_INIT(bpfaot_compile_opts, opts, .optimize = BPFAOT_O0);
        struct bpfaot_error err = {0};
        struct bpfaot_buf out = {0};
        int rc = bpfaot_compile_progs(progs, entries, 2, &opts, &out, &err);

        CHECK(rc < 0);
        CHECK_STR_EQ(err.msg, "api: entry name 'same' is used twice");
        CHECK(out.data == NULL);
        bpfaot_buf_free(&out);
}

static void interp_map_without_maps(void)
{
        struct bpfaot_prog prog = {.input = "api",
                                   .name = "p",
                                   .insns = use_map,
                                   .insn_cnt = 4,
                                   .relocs = &map_reloc,
                                   .reloc_cnt = 1,
                                   .maps = maps,
                                   .map_cnt = 1,
                                   .symbol_prefix = "api"};
        BPFAOT_OPTS_INIT(bpfaot_interp_opts, opts);
        struct bpfaot_error err = {0};
        uint64_t r0 = 77;
        int rc = bpfaot_interp_run(&prog, NULL, 0, &opts, &r0, &err);

        CHECK_EQ(rc, -ENOTSUP);
        CHECK_CONTAINS(err.msg, "api: p: insn 0: ");
        CHECK_CONTAINS(err.msg, "map 'counts' without maps (bpfaot_interp_opts.maps)");
        CHECK_EQ(r0, 77);
}

/*
 * Options structs: a zeroed one (sz 0) means the defaults; a newer caller's
 * bigger struct is accepted while the fields this version lacks are zero,
 * and refused with a message naming the struct when one is set.
 */
static void options_idiom(void)
{
        struct {
                struct bpfaot_elf_opts known;
                uint64_t future;
        } newer = {.known = {.sz = sizeof(newer)}};
        struct bpfaot_elf_opts zeroed = {0};
        static const uint8_t not_elf[64] = {0x7f, 'E', 'L', 'F'};
        struct bpfaot_error err = {0};
        struct bpfaot_elf *elf = NULL;

        /* Accepted options: reading goes on and fails on the data instead. */
        CHECK(bpfaot_elf__open_mem_opts(not_elf, sizeof(not_elf), "api", &zeroed, &elf, &err) < 0);
        CHECK(strstr(err.msg, "opts") == NULL);
        CHECK(bpfaot_elf__open_mem_opts(not_elf, sizeof(not_elf), "api", &newer.known, &elf, &err) <
              0);
        CHECK(strstr(err.msg, "opts") == NULL);
        newer.future = 1;
        CHECK_EQ(
            bpfaot_elf__open_mem_opts(not_elf, sizeof(not_elf), "api", &newer.known, &elf, &err),
            -EINVAL);
        CHECK_CONTAINS(err.msg, "struct bpfaot_elf_opts: field at offset");
        CHECK_CONTAINS(err.msg, "is not known to this version of the library");
        CHECK(elf == NULL);
}

/* An unknown helper is an error before anything runs: the store before the call never happens. */
static void interp_unknown_helper(void)
{
        static const struct bpfaot_insn prog_insns[] = {
            {.opcode = 0x62, .dst = 1, .imm = 7}, /* stw [%r1+0], 7 */
            {.opcode = 0x85, .imm = 9999},        /* call 9999 */
            {.opcode = 0x95},
        };
        struct bpfaot_prog prog = {.input = "api", .name = "p", .insns = prog_insns, .insn_cnt = 3};
        BPFAOT_OPTS_INIT(bpfaot_interp_opts, opts);
        struct bpfaot_error err = {0};
        uint32_t mem = 0;
        uint64_t r0 = 77;

        CHECK_EQ(bpfaot_interp_run(&prog, &mem, sizeof(mem), &opts, &r0, &err), -ENOENT);
        CHECK_CONTAINS(err.msg, "api: p: insn 1: call 9999: unknown helper id 9999");
        CHECK_EQ(mem, 0);
        CHECK_EQ(r0, 77);
}

/* A zeroed bpfaot_compile_opts is the default, -O2; a level outside the enum is refused. */
static void compile_defaults(void)
{
        /* A loop LLVM folds at -O2 but not at -O0: r0 = sum of 1..10. */
        static const struct bpfaot_insn sum[] = {
            {.opcode = 0xb7, .dst = 0, .imm = 0},            /* mov r0, 0 */
            {.opcode = 0xb7, .dst = 1, .imm = 10},           /* mov r1, 10 */
            {.opcode = 0x0f, .dst = 0, .src = 1},            /* add r0, r1 */
            {.opcode = 0x07, .dst = 1, .imm = -1},           /* add r1, -1 */
            {.opcode = 0x55, .dst = 1, .off = -3, .imm = 0}, /* jne r1, 0, -3 */
            {.opcode = 0x95},
        };
        struct bpfaot_prog prog = {.input = "api", .name = "p", .insns = sum, .insn_cnt = 6};
        struct bpfaot_compile_opts zeroed = {0};
        BPFAOT_OPTS_INIT(bpfaot_compile_opts, o2, .optimize = BPFAOT_O2);
        BPFAOT_OPTS_INIT(bpfaot_compile_opts, o0, .optimize = BPFAOT_O(0));
        BPFAOT_OPTS_INIT(bpfaot_compile_opts, bad, .optimize = 9);
        struct bpfaot_buf a = {0}, b = {0}, c = {0}, d = {0};
        struct bpfaot_error err = {0};

        CHECK_EQ(bpfaot_compile(&prog, &zeroed, &a, &err), 0);
        CHECK_EQ(bpfaot_compile(&prog, &o2, &b, &err), 0);
        CHECK_EQ(bpfaot_compile(&prog, &o0, &c, &err), 0);
        CHECK(a.len == b.len && a.len && memcmp(a.data, b.data, a.len) == 0);
        CHECK(a.len != c.len || memcmp(a.data, c.data, a.len) != 0);
        CHECK_EQ(bpfaot_compile(&prog, &bad, &d, &err), -EINVAL);
        CHECK_CONTAINS(err.msg, "unknown optimisation level 9 (enum bpfaot_optimize)");
        CHECK(d.data == NULL);
        bpfaot_buf_free(&a);
        bpfaot_buf_free(&b);
        bpfaot_buf_free(&c);
}

/* A loop alignment that is not a power of two up to BPFAOT_MAX_LOOP_ALIGN is refused. */
static void compile_loop_align(void)
{
        static const struct bpfaot_insn ret0[] = {
            {.opcode = 0xb7, .dst = 0, .imm = 0}, /* mov r0, 0 */
            {.opcode = 0x95},
        };
        static const uint32_t bad[] = {3, 48, 512, 1u << 31};
        struct bpfaot_prog prog = {.input = "api", .name = "p", .insns = ret0, .insn_cnt = 2};
        struct bpfaot_error err = {0};
        struct bpfaot_buf out = {0};

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                BPFAOT_OPTS_INIT(bpfaot_compile_opts, o, .loop_align = bad[i]);
                char want[80];

                snprintf(want, sizeof(want),
                         "loop alignment %u is not a power of two from 1 to 256", bad[i]);
                CHECK_EQ(bpfaot_compile(&prog, &o, &out, &err), -EINVAL);
                CHECK_CONTAINS(err.msg, want);
                CHECK(out.data == NULL);
        }
        for (uint32_t a = 1; a <= BPFAOT_MAX_LOOP_ALIGN; a *= 2) {
                BPFAOT_OPTS_INIT(bpfaot_compile_opts, o, .loop_align = a);

                CHECK_EQ(bpfaot_compile(&prog, &o, &out, &err), 0);
                bpfaot_buf_free(&out);
        }
}

int main(void)
{
        compile_defaults();
        compile_loop_align();
        interp_unknown_helper();
        options_idiom();
        duplicate_entry();
        interp_map_without_maps();
        return TEST_EXIT("api_errors");
}
