/* SPDX-License-Identifier: MIT */
#include "cli.h"

int cmd_asm(int argc, char **argv)
{
        (void)argc, (void)argv;
        cli_error("asm: not written yet");
        return EXIT_FAIL;
}
int cmd_disasm(int argc, char **argv)
{
        (void)argc, (void)argv;
        cli_error("disasm: not written yet");
        return EXIT_FAIL;
}
