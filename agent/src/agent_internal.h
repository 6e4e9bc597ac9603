/* SPDX-License-Identifier: MIT */
/* The agent's state, shared by its modules (agent.c, attach.c). */
#ifndef BPFAOT_AGENT_INTERNAL_H
#define BPFAOT_AGENT_INTERNAL_H

#include "bpfaot/agent.h"
#include "bpfaot/bpfaot.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

struct bpfaot_jit;
struct bpfaot_map;
struct bpfaot_shm;
struct probe_point;

typedef uint64_t (*agent_entry_fn)(void *ctx, uint64_t ctx_size);

/* A program made ready: its code linked into this process, or its instructions for the interpreter.
 */
struct ready_prog {
        uint32_t id;
        uint64_t bytecode_hash;
        uint64_t code_size; /* of the native code it came from; 0: compiled here or interpreted */
        struct bpfaot_jit *jit;
        agent_entry_fn entry; /* NULL: interpreted */
        uint32_t twin_id;     /* its code is that program's (the same instructions) */
        /* BPFAOT_AGENT_INTERPRET: the validated program, with the maps its instructions name. */
        struct bpfaot_interp *interp;
        struct bpfaot_insn *insns;
        struct bpfaot_prog prog;
        struct bpfaot_map **maps; /* the maps its instructions name (repeats included) */
        size_t map_cnt;
        char input[96], name[64];
};

struct bpfaot_agent {
        pthread_mutex_t lock; /* the fields below */
        struct bpfaot_shm *shm;
        enum bpfaot_agent_engine engine;
        struct bpfaot_map **maps;  /* [BPFAOT_SHM_MAX_MAPS] by id - 1: this process's handles */
        struct ready_prog **progs; /* each allocated once: hits hold their entries */
        /* [BPFAOT_SHM_MAX_PROGS] by id - 1: a ready program's compiled entry, read without the lock
         */
        agent_entry_fn *entries;
        size_t prog_cnt;
        struct probe_point **points; /* attach.c: patched functions */
        size_t point_cnt;
};

/*
 * Take and give back a->lock, noting that this thread holds it: a program
 * run while it does (a probe hit in code the agent calls, as malloc) must
 * not wait for it (agent__holds).
 */
void agent__lock(struct bpfaot_agent *a);
void agent__unlock(struct bpfaot_agent *a);
bool agent__holds(const struct bpfaot_agent *a);

/* Program `id` ready to run (under a->lock). */
int agent__ready(struct bpfaot_agent *a, uint32_t id, struct ready_prog **out,
                 struct bpfaot_error *err);
/*
 * Run a ready program on ctx, with `a` as the running agent (for map
 * symbols). A run the interpreter stops (an access outside what the
 * program may reach, the step budget) gives r0 = 0.
 */
uint64_t agent__call(struct bpfaot_agent *a, const struct ready_prog *r, void *ctx,
                     size_t ctx_size);
/* How `r` was made ready, for messages (buf: room for the longest answer). */
const char *agent__how(const struct ready_prog *r, char *buf, size_t size);
int agent__fail(struct bpfaot_error *e, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* attach.c: undo every patch and free the points (bpfaot_agent__close). */
void agent__detach_all(struct bpfaot_agent *a);

#endif
