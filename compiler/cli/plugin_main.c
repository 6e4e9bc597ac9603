/* SPDX-License-Identifier: MIT */
/*
 * bpf-aot-plugin: `bpf-aot plugin` as an executable of its own, for runners
 * that start PLUGIN [MEMORY_HEX] [options] (the bpf_conformance runner's
 * --plugin_path); same arguments, same behaviour.
 */
#include "cli.h"

int main(int argc, char **argv)
{
        bpfaot_set_fatal_error_handler(cli_llvm_fatal);
        return cmd_plugin(argc, argv);
}
