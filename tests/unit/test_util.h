/* SPDX-License-Identifier: MIT */
/*
 * Minimal assertions for the unit tests. A failed check prints its location
 * and keeps going; TEST_EXIT() returns non-zero when any check failed.
 */
#ifndef BPFAOT_UNIT_TEST_UTIL_H
#define BPFAOT_UNIT_TEST_UTIL_H

#include "bpfaot/bpfaot.h"

#include <stdio.h>
#include <string.h>

static int test_checks __attribute__((unused));
static int test_failures __attribute__((unused));

#define CHECKF(cond, ...)                                                                          \
        do {                                                                                       \
                test_checks++;                                                                     \
                if (!(cond)) {                                                                     \
                        test_failures++;                                                           \
                        fprintf(stderr, "%s:%d: FAIL: %s: ", __FILE__, __LINE__, #cond);           \
                        fprintf(stderr, __VA_ARGS__);                                              \
                        fputc('\n', stderr);                                                       \
                }                                                                                  \
        } while (0)

#define CHECK(cond) CHECKF(cond, "%s", "")

#define CHECK_EQ(a, b)                                                                             \
        do {                                                                                       \
                long long a_ = (long long)(a), b_ = (long long)(b);                                \
                CHECKF(a_ == b_, "%lld != %lld", a_, b_);                                          \
        } while (0)

#define CHECK_STR_EQ(a, b)                                                                         \
        do {                                                                                       \
                const char *a_ = (a), *b_ = (b);                                                   \
                CHECKF(a_ &&b_ &&strcmp(a_, b_) == 0, "\"%s\" != \"%s\"", a_ ? a_ : "(null)",      \
                       b_ ? b_ : "(null)");                                                        \
        } while (0)

#define CHECK_CONTAINS(hay, needle)                                                                \
        do {                                                                                       \
                const char *h_ = (hay), *n_ = (needle);                                            \
                CHECKF(h_ &&strstr(h_, n_), "\"%s\" does not contain \"%s\"", h_ ? h_ : "(null)",  \
                       n_);                                                                        \
        } while (0)

/* Print a summary line and give the exit status. */
#define TEST_EXIT(name)                                                                            \
        (fprintf(test_failures ? stderr : stdout, "%s: %d checks, %d failed\n", (name),            \
                 test_checks, test_failures),                                                      \
         test_failures ? 1 : 0)

#endif
