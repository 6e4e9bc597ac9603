/* SPDX-License-Identifier: MIT */
/*
 * Target machines kept between compiles. LLVM builds a target machine's
 * subtarget, with its instruction and lowering tables, anew for every
 * machine: for the many small programs of an object that cost more than
 * compiling their code. A machine is used by one compile at a time (LLVM's
 * code generator writes to it); the pool hands an idle one out under its
 * lock and takes it back after the compile.
 */
#include "targets.h"
#include "internal.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct pooled_target {
        char *key; /* what emit_target_machine made it for */
        LLVMTargetMachineRef tm;
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
                LLVMDisposeTargetMachine(pool->v[i].tm);
                free(pool->v[i].key);
        }
        free(pool->v);
        pthread_mutex_destroy(&pool->lock);
        free(pool);
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
        pthread_mutex_lock(&pool->lock);
        for (size_t i = 0; i < pool->cnt; i++)
                if (pool->v[i].tm == tm)
                        pool->v[i].busy = false;
        pthread_mutex_unlock(&pool->lock);
}
