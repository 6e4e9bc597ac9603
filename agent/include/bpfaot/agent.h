/* SPDX-License-Identifier: MIT */
/*
 * The agent: runs, inside an application, the programs a loader put into a
 * shared-memory segment (bpfaot/shm.h), on the segment's maps.
 *
 * A program runs from the native code `bpf-aot load` gave it, else from
 * code the agent compiles from its instructions on first use (LLVM, in
 * process), once per distinct program (by bytecode hash). Its maps are the
 * segment's: a loader, other agents and `bpf-aot shm dump` see what it
 * writes.
 */
#ifndef BPFAOT_AGENT_H
#define BPFAOT_AGENT_H

#include "bpfaot/error.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct bpfaot_agent;

/* How programs are made ready to run. */
enum bpfaot_agent_engine {
        BPFAOT_AGENT_AUTO = 0,  /* the native code `bpf-aot load` gave it, else compiled here */
        BPFAOT_AGENT_COMPILE,   /* compiled here, even when it has native code */
        BPFAOT_AGENT_INTERPRET, /* run by bpf-aot's reference interpreter (bounds-checked) */
};

struct bpfaot_agent_opts {
        size_t sz;                  /* sizeof(struct bpfaot_agent_opts) */
        const char *shm;            /* the segment; NULL: $BPFAOT_SHM, else bpfaot */
        struct bpfaot_error *error; /* when set, a failure leaves one line here */
        enum bpfaot_agent_engine engine;
};

/* Open the segment (it must exist: -ENOENT) for running its programs. */
int bpfaot_agent__open(const struct bpfaot_agent_opts *opts, struct bpfaot_agent **agent);
/*
 * Undo the agent's patches and free it. Its programs must not be running
 * (no thread inside a patched function's probe, no run under way).
 */
void bpfaot_agent__close(struct bpfaot_agent *agent);

/*
 * Run every program of the segment named `name` on `ctx` (ctx_size bytes)
 * in the order the loader put them there, and when `name` is a tracepoint
 * ("category/name") every program a loader attached to that tracepoint
 * (bpf_program__attach_tracepoint(), meant for this process or any): an
 * application's own tracepoints, whose record `ctx` is. *ret (if set)
 * receives the last one's r0. Returns how many ran (0: none), or a
 * negative errno when one could not be made ready (`error`, if set, says
 * which program and why in one line). Safe from several threads at once.
 */
int bpfaot_agent__run(struct bpfaot_agent *agent, const char *name, void *ctx, size_t ctx_size,
                      uint64_t *ret, struct bpfaot_error *error);

struct bpfaot_agent_attach_opts {
        size_t sz; /* sizeof(struct bpfaot_agent_attach_opts) */
        /*
         * Called with one line per request that failed to attach and, when
         * `verbose`, per request attached or passed over (another process's,
         * a binary this process has not mapped). NULL: no lines.
         */
        void (*report)(void *ctx, const char *line);
        void *report_ctx;
        bool verbose;
};

/*
 * Attach the segment's uprobe and uretprobe requests meant for this process
 * (pid -1 or its own) to the functions they name, in the binaries this
 * process has mapped (the executable and its shared libraries): each
 * function's entry is patched to run its programs, with the registers as
 * context (struct pt_regs), then the function itself. Requests attached by
 * an earlier call are kept; call again to attach those added since.
 * Returns how many requests this call attached, or a negative errno when
 * one could not be (it is reported; the others are still attached): a
 * function that cannot be patched safely, a program that does not compile.
 * x86-64 only (elsewhere -EOPNOTSUPP). Patch at start-up, before other
 * threads run the functions: writing a function's first bytes while
 * another thread executes them is not safe.
 */
int bpfaot_agent__attach(struct bpfaot_agent *agent, const struct bpfaot_agent_attach_opts *opts);

/*
 * An application's own hook point: bpfaot_agent__run() of the programs
 * named `name` (or attached to tracepoint `name`), on an agent of the default segment opened on
 * first use. Returns as bpfaot_agent__run(); when there is no segment, 0. The agent lives as long
 * as the process.
 */
int bpfaot_agent_hook(const char *name, void *ctx, size_t ctx_size);

#ifdef __cplusplus
}
#endif

#endif
