/* SPDX-License-Identifier: MIT */
/*
 * Target machines kept between compiles. LLVM builds a target machine's
 * subtarget, with its instruction and lowering tables, anew for every
 * machine: for the many small programs of an object that cost more than
 * compiling their code. A machine is used by one compile at a time (LLVM's
 * code generator writes to it); the pool hands an idle one out under its
 * lock and takes it back after the compile. Each keeps its code generator
 * too (codegen.cpp), made when a compile first asks for it.
 */
#include "targets.h"
#include "codegen.h"
#include "internal.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct pooled_target {
        char *key; /* what emit_target_machine made it for */
        LLVMTargetMachineRef tm;
        struct codegen *codegen; /* or NULL: none made yet */
        bool busy;
};

struct bpfaot_targets {
        pthread_mutex_t lock;
        struct pooled_target *v;
        size_t cnt, cap;
};

int bpfaot_targets__new(struct bpfaot_targets **pool, struct bpfaot_error *err)
{
        *pool = calloc(1, sizeof(**pool));
        if (!*pool)
                return bpfaot_error_nomem(err);
        if (pthread_mutex_init(&(*pool)->lock, NULL)) {
                free(*pool);
                *pool = NULL;
                return bpfaot_error_nomem(err);
        }
        return 0;
}

void bpfaot_targets__free(struct bpfaot_targets *pool)
{
        if (!pool)
                return;
        for (size_t i = 0; i < pool->cnt; i++) {
                codegen_free(pool->v[i].codegen);
                LLVMDisposeTargetMachine(pool->v[i].tm);
                free(pool->v[i].key);
        }
        free(pool->v);
        pthread_mutex_destroy(&pool->lock);
        free(pool);
}

/* The entry of `tm`; under the lock. */
static struct pooled_target *entry_of(struct bpfaot_targets *pool, LLVMTargetMachineRef tm)
{
        for (size_t i = 0; i < pool->cnt; i++)
                if (pool->v[i].tm == tm)
                        return &pool->v[i];
        return NULL;
}

LLVMTargetMachineRef targets_take(struct bpfaot_targets *pool, const char *key)
{
        LLVMTargetMachineRef tm = NULL;

        pthread_mutex_lock(&pool->lock);
        for (size_t i = 0; i < pool->cnt && !tm; i++) {
                if (!pool->v[i].busy && strcmp(pool->v[i].key, key) == 0) {
                        pool->v[i].busy = true;
                        tm = pool->v[i].tm;
                }
        }
        pthread_mutex_unlock(&pool->lock);
        return tm;
}

int targets_adopt(struct bpfaot_targets *pool, const char *key, LLVMTargetMachineRef tm)
{
        char *copy = strdup(key);
        int ret = 0;

        if (!copy)
                return -ENOMEM;
        pthread_mutex_lock(&pool->lock);
        if (pool->cnt == pool->cap) {
                size_t cap = pool->cap ? 2 * pool->cap : 4;
                struct pooled_target *v = realloc(pool->v, cap * sizeof(*v));

                if (v) {
                        pool->v = v;
                        pool->cap = cap;
                } else {
                        ret = -ENOMEM;
                }
        }
        if (!ret)
                pool->v[pool->cnt++] = (struct pooled_target){.key = copy, .tm = tm, .busy = true};
        pthread_mutex_unlock(&pool->lock);
        if (ret)
                free(copy);
        return ret;
}

void targets_put(struct bpfaot_targets *pool, LLVMTargetMachineRef tm)
{
        struct pooled_target *e;

        pthread_mutex_lock(&pool->lock);
        if ((e = entry_of(pool, tm)))
                e->busy = false;
        pthread_mutex_unlock(&pool->lock);
}

struct codegen *targets_codegen(struct bpfaot_targets *pool, LLVMTargetMachineRef tm)
{
        struct pooled_target *e;
        struct codegen *cg;

        pthread_mutex_lock(&pool->lock);
        e = entry_of(pool, tm);
        cg = e ? e->codegen : NULL;
        pthread_mutex_unlock(&pool->lock);
        if (cg || !e)
                return cg;
        /* Made outside the lock: the machine is this caller's until it is put back. */
        cg = codegen_new(tm);
        pthread_mutex_lock(&pool->lock);
        e = entry_of(pool, tm); /* the array may have moved */
        e->codegen = cg;
        pthread_mutex_unlock(&pool->lock);
        return cg;
}
