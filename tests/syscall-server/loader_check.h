/* SPDX-License-Identifier: MIT */
/* The loaders' assertion: a failed check names itself and errno, and exits 1. */
#ifndef BPFAOT_LOADER_CHECK_H
#define BPFAOT_LOADER_CHECK_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#define CHECK(cond)                                                                                \
        do {                                                                                       \
                if (!(cond)) {                                                                     \
                        fprintf(stderr, "%s:%d: check failed: %s (errno %d)\n", __FILE__,          \
                                __LINE__, #cond, errno);                                           \
                        exit(1);                                                                   \
                }                                                                                  \
        } while (0)

#endif
