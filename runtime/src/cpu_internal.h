/* SPDX-License-Identifier: MIT */
/* Private to the runtime: the current virtual CPU (cpu.c). Not installed. */
#ifndef BPFAOT_CPU_INTERNAL_H
#define BPFAOT_CPU_INTERNAL_H

#include <stdint.h>

/*
 * The CPU the calling thread's program runs on, below bpfaot_rt_ncpus(): the
 * one it holds (bpfaot_rt_cpu_enter), else sched_getcpu() modulo the count,
 * which another thread may be using at the same time.
 */
__attribute__((visibility("hidden"))) uint32_t bpfaot__cpu_current(void);

#endif
