/* SPDX-License-Identifier: MIT */
#include "cli.h"

int cmd_build(int argc, char **argv)
{
        (void)argc, (void)argv;
        return EXIT_FAIL;
}
int cmd_compile(int argc, char **argv)
{
        (void)argc, (void)argv;
        return EXIT_FAIL;
}
