/* SPDX-License-Identifier: MIT */
/* The checks of the cli tests' skeleton hosts: the first failure ends the host. */
#ifndef BPFAOT_TESTS_CLI_HOST_CHECK_H
#define BPFAOT_TESTS_CLI_HOST_CHECK_H

#include <stdio.h>
#include <stdlib.h>

#define CHECK(what, cond)                                                                          \
        do {                                                                                       \
                if (!(cond)) {                                                                     \
                        printf("FAIL %s: %s (line %d)\n", what, #cond, __LINE__);                  \
                        exit(1);                                                                   \
                }                                                                                  \
        } while (0)

#endif
