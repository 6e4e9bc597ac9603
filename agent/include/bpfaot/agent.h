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

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct bpfaot_agent;

struct bpfaot_agent_opts {
        size_t sz;                  /* sizeof(struct bpfaot_agent_opts) */
        const char *shm;            /* the segment; NULL: $BPFAOT_SHM, else bpfaot */
        struct bpfaot_error *error; /* when set, a failure leaves one line here */
};

/* Open the segment (it must exist: -ENOENT) for running its programs. */
int bpfaot_agent__open(const struct bpfaot_agent_opts *opts, struct bpfaot_agent **agent);
void bpfaot_agent__close(struct bpfaot_agent *agent);

/*
 * Run every program of the segment named `name` on `ctx` (ctx_size bytes)
 * in the order the loader put them there; *ret (if set) receives the last
 * one's r0. Returns how many ran (0: none has that name), or a negative
 * errno when one could not be made ready (`error`, if set, says which
 * program and why in one line). Safe from several threads at once.
 */
int bpfaot_agent__run(struct bpfaot_agent *agent, const char *name, void *ctx, size_t ctx_size,
                      uint64_t *ret, struct bpfaot_error *error);

/*
 * An application's own hook point: bpfaot_agent__run() of the programs
 * named `name`, on an agent of the default segment opened on first use.
 * Returns as bpfaot_agent__run(); when there is no segment, 0. The agent
 * lives as long as the process.
 */
int bpfaot_agent_hook(const char *name, void *ctx, size_t ctx_size);

#ifdef __cplusplus
}
#endif

#endif
