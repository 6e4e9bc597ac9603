/* SPDX-License-Identifier: MIT */
/*
 * bpfaot_agent__attach on this process: a segment with an entry program
 * (adds the probed function's two arguments, read from struct pt_regs, to
 * an ARRAY slot) and a return program (adds its return value to another),
 * attached to probed_add() of this executable by path and file offset, as
 * the syscall server records libbpf's uprobes. Checks the sums after calls,
 * the requests passed over (another pid, a binary not mapped here) and the
 * ones refused with their lines (an offset outside the code, a missing
 * binary, a function too short to patch, a program that does not compile),
 * while the others still run; a second program of the same instructions
 * sharing the first one's code; native code from the segment, compiled
 * here, interpreted; that closing the agent undoes the patch; and
 * programs attached to an application's tracepoint run by its name.
 */
#define _GNU_SOURCE
#include <bpfaot/agent.h>
#include <bpfaot/bpfaot.h>
#include <bpfaot/objabi.h>
#include <bpfaot/shm.h>

#include <asm/ptrace.h>
#include <linux/bpf.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int failures;

#define CHECK(cond)                                                                                \
        do {                                                                                       \
                if (!(cond)) {                                                                     \
                        fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);   \
                        failures++;                                                                \
                }                                                                                  \
        } while (0)

/*
 * The probed function: big enough to patch, its arguments in rdi and rsi,
 * called through a volatile pointer so that no call is inlined or made to a
 * specialised copy.
 */
static volatile long probe_bias;
__attribute__((noinline, used)) long probed_add(long a, long b)
{
        return a + b + probe_bias;
}
static long (*volatile call_add)(long, long) = probed_add;

/* Three bytes of code: too short for a jump to be written over it. */
__asm__(".text\n.globl tiny_fn\n.type tiny_fn,@function\ntiny_fn:\n xor %eax, %eax\n ret\n"
        ".size tiny_fn, 3\n");
extern int tiny_fn(void);

#define INSN(c, d, s, o, i)                                                                        \
        ((struct bpf_insn){.code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i)})

/*
 * slot[key] += r6, where r6 = ctx->a + ctx->b (pt_regs field offsets a and b;
 * b < 0: r6 = ctx->a alone). Writes 14 instructions to out.
 */
static uint32_t prog_add(struct bpf_insn *out, uint32_t map_id, int key, int a, int b)
{
        struct bpf_insn p[] = {
            INSN(BPF_LDX | BPF_MEM | BPF_DW, 6, 1, (short)a, 0),
            b >= 0 ? INSN(BPF_LDX | BPF_MEM | BPF_DW, 7, 1, (short)b, 0)
                   : INSN(BPF_ALU64 | BPF_MOV | BPF_K, 7, 0, 0, 0),
            INSN(BPF_ALU64 | BPF_ADD | BPF_X, 6, 7, 0, 0),
            INSN(BPF_ST | BPF_MEM | BPF_W, 10, 0, -4, key),
            INSN(BPF_LD | BPF_IMM | BPF_DW, 1, BPF_PSEUDO_MAP_FD, 0, (int)map_id),
            INSN(0, 0, 0, 0, 0),
            INSN(BPF_ALU64 | BPF_MOV | BPF_X, 2, 10, 0, 0),
            INSN(BPF_ALU64 | BPF_ADD | BPF_K, 2, 0, 0, -4),
            INSN(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_map_lookup_elem),
            INSN(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 1, 0),
            INSN(BPF_STX | BPF_ATOMIC | BPF_DW, 0, 6, 0, BPF_ADD),
            INSN(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 0),
            INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0),
        };

        memcpy(out, p, sizeof(p));
        return sizeof(p) / sizeof(p[0]);
}

/* The file mapping `addr` in this process and addr's offset in it. */
static void file_offset(const void *addr, char *path, size_t path_size, uint64_t *offset)
{
        unsigned long start, end, off, a = (unsigned long)addr;
        char line[4096], file[1024];
        FILE *f = fopen("/proc/self/maps", "re");

        path[0] = 0;
        while (f && fgets(line, sizeof(line), f))
                if (sscanf(line, "%lx-%lx %*s %lx %*s %*s %1023s", &start, &end, &off, file) == 4 &&
                    a >= start && a < end) {
                        snprintf(path, path_size, "%s", file);
                        *offset = a - start + off;
                        break;
                }
        if (f)
                fclose(f);
}

struct lines {
        char text[16][1400];
        int cnt;
};

static void collect(void *ctx, const char *line)
{
        struct lines *l = ctx;

        if (l->cnt < 16)
                snprintf(l->text[l->cnt++], sizeof(l->text[0]), "%s", line);
}

/* Whether some collected line contains every one of the (NULL-ended) parts. */
static int has_line(const struct lines *l, ...)
{
        for (int i = 0; i < l->cnt; i++) {
                va_list ap;
                const char *part;
                int all = 1;

                va_start(ap, l);
                while ((part = va_arg(ap, const char *)))
                        all &= strstr(l->text[i], part) != NULL;
                va_end(ap);
                if (all)
                        return 1;
        }
        return 0;
}

static uint64_t slot(struct bpfaot_map *m, uint32_t key)
{
        uint64_t v = 0;

        bpfaot_map__lookup_copy(m, &key, &v);
        return v;
}

static void reset(struct bpfaot_map *m)
{
        uint64_t zero = 0;

        for (uint32_t k = 0; k < 4; k++)
                bpfaot_map__update_elem(m, &k, &zero, BPF_ANY);
}

/* Compile program `id` of the segment here and give the segment the code, as bpf-aot load does. */
static int give_native_code(struct bpfaot_shm *shm, uint32_t id)
{
        BPFAOT_OPTS_INIT(bpfaot_compile_opts, copts, .maps_by_fd = true);
        struct bpfaot_shm_prog_info pi;
        const struct bpf_insn *raw;
        struct bpfaot_insn *insns;
        struct bpfaot_prog prog = {0};
        struct bpfaot_buf obj = {0};
        struct bpfaot_error err = {0};
        size_t cnt;
        uint32_t n;
        int ret = bpfaot_shm__prog_info(shm, id, &pi);

        ret = ret ?: bpfaot_shm__prog_insns(shm, id, &raw, &n);
        ret = ret ?: bpfaot_decode(raw, (size_t)n * sizeof(*raw), &insns, &cnt, &err);
        if (ret)
                return ret;
        prog.input = "attach_test";
        prog.name = pi.name;
        prog.insns = insns;
        prog.insn_cnt = cnt;
        ret = bpfaot_compile(&prog, &copts, &obj, &err);
        ret = ret
                  ?: bpfaot_shm__set_prog_code(shm, id, obj.data, obj.len,
                                               bpfaot_bytecode_hash(raw, (size_t)n * sizeof(*raw)));
        if (ret)
                fprintf(stderr, "native code: %s\n", err.msg);
        free(insns);
        bpfaot_buf_free(&obj);
        return ret;
}

int main(void)
{
        struct bpfaot_map_def md = {.name = "sums",
                                    .type = BPF_MAP_TYPE_ARRAY,
                                    .key_size = 4,
                                    .value_size = 8,
                                    .max_entries = 4};
        struct bpf_insn insns[16],
            bad[] = {INSN(BPF_JMP | BPF_JA, 0, 0, 5, 0), INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)};
        struct bpfaot_shm_opts so = {.sz = sizeof(so), .create = true};
        struct bpfaot_shm_prog_def pd = {
            .sz = sizeof(pd), .type = BPF_PROG_TYPE_KPROBE, .license = "GPL"};
        struct bpfaot_shm_attach_def ad = {.sz = sizeof(ad), .pid = -1};
        struct bpfaot_agent_opts ao = {.sz = sizeof(ao)};
        struct lines lines = {0};
        struct bpfaot_agent_attach_opts at = {
            .sz = sizeof(at), .report = collect, .report_ctx = &lines, .verbose = true};
        char seg[64], exe[1024], tiny_path[1024], want[1200];
        uint32_t map_id, entry_id, ret_id, twin_id, bad_id, id;
        uint64_t off, tiny_off;
        struct bpfaot_shm *shm;
        struct bpfaot_agent *agent;
        struct bpfaot_map *sums;
        unsigned char before[8];
        int n;

        snprintf(seg, sizeof(seg), "bpfaot-attach-test-%d", (int)getpid());
        ao.shm = seg;
        file_offset((void *)probed_add, exe, sizeof(exe), &off);
        file_offset((void *)tiny_fn, tiny_path, sizeof(tiny_path), &tiny_off);
        CHECK(exe[0] == '/');
        memcpy(before, (void *)probed_add, sizeof(before));

        bpfaot_shm__remove(seg);
        if (bpfaot_shm__open(seg, &so, &shm) != 0) {
                fprintf(stderr, "cannot create segment %s\n", seg);
                return 1;
        }
        CHECK(bpfaot_shm__create_map(shm, &md, &map_id) == 0);
        CHECK(bpfaot_shm__map(shm, map_id, &sums) == 0);
        /* entry: slot 0 += a + b; return: slot 1 += the return value. */
        pd.name = "on_entry";
        pd.insns = insns;
        pd.insn_cnt = prog_add(insns, map_id, 0, offsetof(struct pt_regs, rdi),
                               offsetof(struct pt_regs, rsi));
        CHECK(bpfaot_shm__create_prog(shm, &pd, &entry_id) == 0);
        pd.name = "on_return";
        pd.insn_cnt = prog_add(insns, map_id, 1, offsetof(struct pt_regs, rax), -1);
        CHECK(bpfaot_shm__create_prog(shm, &pd, &ret_id) == 0);
        pd.name = "on_entry_twin"; /* on_entry's instructions, another loader's copy */
        pd.insn_cnt = prog_add(insns, map_id, 0, offsetof(struct pt_regs, rdi),
                               offsetof(struct pt_regs, rsi));
        CHECK(bpfaot_shm__create_prog(shm, &pd, &twin_id) == 0);
        pd.name = "broken";
        pd.insns = bad;
        pd.insn_cnt = 2;
        CHECK(bpfaot_shm__create_prog(shm, &pd, &bad_id) == 0);

        /* Requests: 1 entry and 2 return of probed_add, then the ones passed over or refused. */
        ad.target = exe;
        ad.offset = off;
        ad.prog_id = entry_id;
        ad.kind = BPFAOT_SHM_UPROBE;
        CHECK(bpfaot_shm__create_attach(shm, &ad, &id) == 0 && id == 1);
        ad.prog_id = ret_id;
        ad.kind = BPFAOT_SHM_URETPROBE;
        CHECK(bpfaot_shm__create_attach(shm, &ad, &id) == 0 && id == 2);
        ad.kind = BPFAOT_SHM_UPROBE;
        ad.pid = (int32_t)getpid() + 1; /* another process's */
        CHECK(bpfaot_shm__create_attach(shm, &ad, &id) == 0 && id == 3);
        ad.pid = -1;
        ad.target = "/bin/sh"; /* a binary this process has not mapped */
        CHECK(bpfaot_shm__create_attach(shm, &ad, &id) == 0 && id == 4);
        ad.target = exe;
        ad.offset = 0; /* the ELF header: not code */
        CHECK(bpfaot_shm__create_attach(shm, &ad, &id) == 0 && id == 5);
        ad.target = "/nonexistent/bin/app";
        ad.offset = off;
        CHECK(bpfaot_shm__create_attach(shm, &ad, &id) == 0 && id == 6);
        ad.target = tiny_path;
        ad.offset = tiny_off;
        CHECK(bpfaot_shm__create_attach(shm, &ad, &id) == 0 && id == 7);
        ad.target = exe;
        ad.offset = off;
        ad.prog_id = bad_id;
        CHECK(bpfaot_shm__create_attach(shm, &ad, &id) == 0 && id == 8);
        ad.prog_id = twin_id;
        CHECK(bpfaot_shm__create_attach(shm, &ad, &id) == 0 && id == 9);

        /* Compiled here (nothing gave the programs code). */
        CHECK(bpfaot_agent__open(&ao, &agent) == 0);
        n = bpfaot_agent__attach(agent, &at);
        CHECK(n < 0);
        for (int i = 0; i < lines.cnt; i++)
                printf("report: %s\n", lines.text[i]);
        CHECK(has_line(&lines, "attach 1: uprobe prog",
                       "(on_entry, compiled here) at probed_add in ", NULL));
        CHECK(has_line(&lines, "attach 2: uretprobe prog", "(on_return, compiled here)", NULL));
        CHECK(!has_line(&lines, "attach 3:", NULL));
        CHECK(has_line(&lines, "attach 4: /bin/sh is not mapped in this process", NULL));
        snprintf(want, sizeof(want),
                 "attach 5: %s+0x0: the offset is not in the file's executable code", exe);
        CHECK(has_line(&lines, want, NULL));
        CHECK(has_line(&lines, "attach 6: /nonexistent/bin/app+0x", ": No such file or directory",
                       NULL));
        CHECK(has_line(&lines, "attach 7: ", "tiny_fn", NULL));
        CHECK(has_line(&lines, "attach 8: program ", ": ", NULL));
        snprintf(want, sizeof(want), "(on_entry_twin, compiled here as program %u)", entry_id);
        CHECK(has_line(&lines, "attach 9: uprobe prog", want, NULL));
        CHECK(lines.cnt == 8);
        CHECK(memcmp(before, (void *)probed_add, sizeof(before)) != 0);

        reset(sums);
        probe_bias = 1;
        for (long i = 0; i < 1000; i++)
                CHECK(call_add(i, 2 * i) == 3 * i + 1);
        CHECK(slot(sums, 0) == 2 * 3 * 999 * 1000 / 2); /* sum of a + b, by on_entry and its twin */
        CHECK(slot(sums, 1) == 3 * 999 * 1000 / 2 + 1000); /* sum of the return values */
        CHECK(tiny_fn() == 0);

        /* Attaching again attaches nothing new. */
        lines.cnt = 0;
        at.verbose = false;
        n = bpfaot_agent__attach(agent, &at);
        CHECK(n < 0); /* the refused ones are refused again */
        CHECK(!has_line(&lines, "attach 1:", NULL) && !has_line(&lines, "attach 2:", NULL));
        bpfaot_agent__close(agent);
        CHECK(memcmp(before, (void *)probed_add, sizeof(before)) == 0);
        reset(sums);
        CHECK(call_add(1, 2) == 4);
        CHECK(slot(sums, 0) == 0 && slot(sums, 1) == 0);

        /* Native code from the segment, then the compile engine ignoring it. */
        for (id = 5; id <= 9; id++)
                CHECK(bpfaot_shm__release_attach(shm, id) == 0);
        CHECK(give_native_code(shm, entry_id) == 0);
        CHECK(give_native_code(shm, ret_id) == 0);
        for (int engine = BPFAOT_AGENT_AUTO; engine <= BPFAOT_AGENT_INTERPRET; engine++) {
                const char *how = engine == BPFAOT_AGENT_AUTO      ? "native code"
                                  : engine == BPFAOT_AGENT_COMPILE ? "compiled here"
                                                                   : "interpreted";

                ao.engine = (enum bpfaot_agent_engine)engine;
                lines.cnt = 0;
                at.verbose = true;
                CHECK(bpfaot_agent__open(&ao, &agent) == 0);
                CHECK(bpfaot_agent__attach(agent, &at) == 2);
                snprintf(want, sizeof(want), "(on_entry, %s)", how);
                CHECK(has_line(&lines, "attach 1: ", want, NULL));
                snprintf(want, sizeof(want), "(on_return, %s)", how);
                CHECK(has_line(&lines, "attach 2: ", want, NULL));
                reset(sums);
                for (long i = 0; i < 100; i++)
                        CHECK(call_add(i, 1) == i + 2);
                CHECK(slot(sums, 0) == 99 * 100 / 2 + 100);
                CHECK(slot(sums, 1) == 99 * 100 / 2 + 200);
                bpfaot_agent__close(agent);
        }

        /* Tracepoints of the application: bpfaot_agent__run of "category/name". */
        {
                struct pt_regs rec = {.rdi = 3, .rsi = 4};
                struct bpfaot_error rerr = {0};
                uint64_t r0 = 1;

                ad.kind = BPFAOT_SHM_TRACEPOINT;
                ad.target = "app/request_done";
                ad.offset = 0;
                ad.prog_id = entry_id;
                CHECK(bpfaot_shm__create_attach(shm, &ad, &id) == 0);
                ad.pid = (int32_t)getpid() + 1; /* another process's: not run here */
                CHECK(bpfaot_shm__create_attach(shm, &ad, &id) == 0);
                ad.pid = -1;
                ad.target = "app/other";
                CHECK(bpfaot_shm__create_attach(shm, &ad, &id) == 0);
                ao.engine = BPFAOT_AGENT_AUTO;
                CHECK(bpfaot_agent__open(&ao, &agent) == 0);
                reset(sums);
                CHECK(bpfaot_agent__run(agent, "app/request_done", &rec, sizeof(rec), &r0, &rerr) ==
                      1);
                CHECK(r0 == 0 && slot(sums, 0) == 7);
                CHECK(bpfaot_agent__run(agent, "app/none", &rec, sizeof(rec), NULL, &rerr) == 0);
                CHECK(bpfaot_agent__run(agent, "request_done", &rec, sizeof(rec), NULL, &rerr) ==
                      0);
                /* By name, as before: on_entry itself. */
                CHECK(bpfaot_agent__run(agent, "on_entry", &rec, sizeof(rec), NULL, &rerr) == 1);
                CHECK(slot(sums, 0) == 14);
                bpfaot_agent__close(agent);
        }

        bpfaot_map__free(sums);
        bpfaot_shm__close(shm);
        bpfaot_shm__remove(seg);
        if (failures)
                fprintf(stderr, "%d checks failed\n", failures);
        return failures ? 1 : 0;
}
