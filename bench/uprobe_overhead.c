/* SPDX-License-Identifier: MIT */
/*
 * Cost of an attached uprobe program per call of the probed function, as
 * the agent attaches a segment's requests (bpfaot_agent__attach): a
 * function of this executable called in a loop, bare, then with a program
 * that counts calls per process in a HASH map (as examples/shm-malloc's
 * does) attached at its entry, run from native code given to the segment
 * (as `bpf-aot load` gives it), compiled in process, and interpreted; then
 * with the same program at entry and return. Prints ns per call and the
 * overhead over the bare call; exits 1 if a count is wrong.
 * usage: uprobe_overhead [--quick]
 */
#define _GNU_SOURCE
#include <bpfaot/agent.h>
#include <bpfaot/bpfaot.h>
#include <bpfaot/objabi.h>
#include <bpfaot/shm.h>

#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* The probed function, called through a volatile pointer: never inlined or specialised. */
__attribute__((noinline, used)) long probed_fn(long x)
{
        __asm__ volatile("" : "+r"(x));
        return x + 1;
}
static long (*volatile call_fn)(long) = probed_fn;

static double now_ns(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static double time_calls(long n)
{
        long acc = 0;
        double t = now_ns();

        for (long i = 0; i < n; i++)
                acc += call_fn(i);
        t = now_ns() - t;
        if (acc != n * (n + 1) / 2) {
                fprintf(stderr, "uprobe_overhead: the probed function's results changed\n");
                exit(1);
        }
        return t / (double)n;
}

/* The file mapping `addr` and addr's offset in it. */
static int file_offset(const void *addr, char *path, size_t size, uint64_t *offset)
{
        unsigned long start, end, off, a = (unsigned long)addr;
        char line[4096], file[1024];
        FILE *f = fopen("/proc/self/maps", "re");
        int ret = -1;

        while (f && ret && fgets(line, sizeof(line), f))
                if (sscanf(line, "%lx-%lx %*s %lx %*s %*s %1023s", &start, &end, &off, file) == 4 &&
                    a >= start && a < end) {
                        snprintf(path, size, "%s", file);
                        *offset = a - start + off;
                        ret = 0;
                }
        if (f)
                fclose(f);
        return ret;
}

/* calls[pid] += 1 (the entry exists: the bench puts it there). */
static const char *count_text = "call 14\n"
                                "rsh %%r0, 32\n"
                                "stxw [%%r10-4], %%r0\n"
                                "lddw %%r1, map_fd %u\n"
                                "mov %%r2, %%r10\n"
                                "add %%r2, -4\n"
                                "call 1\n"
                                "jeq %%r0, 0, +2\n"
                                "mov %%r1, 1\n"
                                "lock add [%%r0+0], %%r1\n"
                                "mov %%r0, 0\n"
                                "exit\n";

static void die(const char *what, const char *msg)
{
        fprintf(stderr, "uprobe_overhead: %s: %s\n", what, msg);
        exit(1);
}

/* Compile program `id` here and give the segment the code, as bpf-aot load does. */
static void give_native_code(struct bpfaot_shm *shm, uint32_t id, const struct bpfaot_prog *prog,
                             const struct bpf_insn *raw, size_t cnt)
{
        BPFAOT_OPTS_INIT(bpfaot_compile_opts, copts, .maps_by_fd = true);
        struct bpfaot_buf obj = {0};
        struct bpfaot_error err = {0};

        if (bpfaot_compile(prog, &copts, &obj, &err))
                die("compile", err.msg);
        if (bpfaot_shm__set_prog_code(shm, id, obj.data, obj.len,
                                      bpfaot_bytecode_hash(raw, cnt * sizeof(*raw))))
                die("load", "the segment refused the code");
        bpfaot_buf_free(&obj);
}

int main(int argc, char **argv)
{
        static const struct {
                const char *label;
                enum bpfaot_agent_engine engine;
                bool on_return;
        } rows[] = {
            {"uprobe, native code (bpf-aot load)", BPFAOT_AGENT_AUTO, false},
            {"uprobe, compiled in process", BPFAOT_AGENT_COMPILE, false},
            {"uprobe, interpreter", BPFAOT_AGENT_INTERPRET, false},
            {"uprobe + uretprobe, native code", BPFAOT_AGENT_AUTO, true},
        };
        long n = argc > 1 && strcmp(argv[1], "--quick") == 0 ? 1000 : 2000000;
        struct bpfaot_map_def md = {.name = "calls",
                                    .type = BPF_MAP_TYPE_HASH,
                                    .key_size = 4,
                                    .value_size = 8,
                                    .max_entries = 64};
        struct bpfaot_shm_opts so = {.sz = sizeof(so), .create = true};
        struct bpfaot_shm_prog_def pd = {.sz = sizeof(pd),
                                         .name = "count_calls",
                                         .type = BPF_PROG_TYPE_KPROBE,
                                         .license = "GPL"};
        struct bpfaot_shm_attach_def ad = {.sz = sizeof(ad), .pid = -1};
        struct bpfaot_error err = {0};
        struct bpfaot_insn *insns;
        struct bpfaot_prog prog = {.input = "uprobe_overhead", .name = "count_calls"};
        struct bpf_insn *raw;
        struct bpfaot_shm *shm;
        struct bpfaot_map *calls;
        char seg[64], text[1024], exe[1024];
        uint32_t map_id, prog_id, entry_attach, ret_attach = 0, pid = (uint32_t)getpid();
        uint64_t zero = 0, count, off;
        double bare;
        size_t cnt;

        snprintf(seg, sizeof(seg), "bpfaot-bench-uprobe-%d", (int)getpid());
        bpfaot_shm__remove(seg);
        if (file_offset((void *)probed_fn, exe, sizeof(exe), &off))
                die("/proc/self/maps", "cannot find the probed function's file");
        if (bpfaot_shm__open(seg, &so, &shm) || bpfaot_shm__create_map(shm, &md, &map_id) ||
            bpfaot_shm__map(shm, map_id, &calls) ||
            bpfaot_map__update_elem(calls, &pid, &zero, BPF_ANY))
                die(seg, "cannot create the segment and its map");
        snprintf(text, sizeof(text), count_text, map_id);
        if (bpfaot_assemble(text, "count_calls", &insns, &cnt, &err))
                die("assemble", err.msg);
        prog.insns = insns;
        prog.insn_cnt = cnt;
        raw = calloc(cnt, sizeof(*raw));
        if (!raw)
                die("bench", "out of memory");
        bpfaot_encode(insns, cnt, raw);
        pd.insns = raw;
        pd.insn_cnt = (uint32_t)cnt;
        ad.target = exe;
        ad.offset = off;
        ad.kind = BPFAOT_SHM_UPROBE;
        if (bpfaot_shm__create_prog(shm, &pd, &prog_id))
                die(seg, "cannot store the program");
        ad.prog_id = prog_id;
        if (bpfaot_shm__create_attach(shm, &ad, &entry_attach))
                die(seg, "cannot store the attach request");
        give_native_code(shm, prog_id, &prog, raw, cnt);

        time_calls(n / 10); /* warm up */
        bare = time_calls(n);
        printf("%-36s %8.2f ns/call\n", "function call, no probe", bare);
        for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
                struct bpfaot_agent_opts ao = {
                    .sz = sizeof(ao), .shm = seg, .error = &err, .engine = rows[i].engine};
                struct bpfaot_agent *agent;
                uint64_t want = rows[i].on_return ? 2 * (uint64_t)n : (uint64_t)n;
                double t;

                if (rows[i].on_return && !ret_attach) {
                        ad.kind = BPFAOT_SHM_URETPROBE;
                        if (bpfaot_shm__create_attach(shm, &ad, &ret_attach))
                                die(seg, "cannot store the attach request");
                }
                if (bpfaot_agent__open(&ao, &agent))
                        die("agent", err.msg);
                if (bpfaot_agent__attach(agent, NULL) != (rows[i].on_return ? 2 : 1))
                        die("agent", "the requests did not attach");
                bpfaot_map__update_elem(calls, &pid, &zero, BPF_ANY);
                t = time_calls(n);
                bpfaot_agent__close(agent);
                count = 0;
                bpfaot_map__lookup_copy(calls, &pid, &count);
                if (count != want) {
                        fprintf(stderr, "uprobe_overhead: %s: counted %llu calls, not %llu\n",
                                rows[i].label, (unsigned long long)count, (unsigned long long)want);
                        return 1;
                }
                printf("%-36s %8.2f ns/call (+%.2f)\n", rows[i].label, t, t - bare);
        }
        bpfaot_map__free(calls);
        bpfaot_shm__close(shm);
        bpfaot_shm__remove(seg);
        free(raw);
        free(insns);
        return 0;
}
