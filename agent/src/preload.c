/* SPDX-License-Identifier: MIT */
/*
 * libbpfaot-agent.so: preloaded into a target process, it opens the segment
 * ($BPFAOT_SHM, else bpfaot) at start-up and attaches its uprobe and
 * uretprobe requests to the process (bpfaot_agent__attach), before main
 * runs and before the process starts threads of its own. One line on
 * standard error per request that fails (the others still run), and with
 * BPFAOT_AGENT_VERBOSE=1 per request attached or passed over.
 * BPFAOT_AGENT_ENGINE=compile compiles every program here, ignoring native
 * code; =interpret runs them with bpf-aot's interpreter (for comparing).
 *
 * The agent lives as long as the process: patched functions may run until
 * its very end, in any thread.
 */
#include "bpfaot/agent.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void to_stderr(void *ctx, const char *line)
{
        (void)ctx;
        fprintf(stderr, "bpfaot-agent: %s\n", line);
}

__attribute__((constructor)) static void agent_start(void)
{
        struct bpfaot_error err = {0};
        struct bpfaot_agent_opts o = {.sz = sizeof(o), .error = &err};
        struct bpfaot_agent_attach_opts ao = {.sz = sizeof(ao), .report = to_stderr};
        const char *engine = getenv("BPFAOT_AGENT_ENGINE");
        const char *verbose = getenv("BPFAOT_AGENT_VERBOSE");
        struct bpfaot_agent *agent;

        ao.verbose = verbose && strcmp(verbose, "0") != 0;
        if (engine && strcmp(engine, "compile") == 0)
                o.engine = BPFAOT_AGENT_COMPILE;
        else if (engine && strcmp(engine, "interpret") == 0)
                o.engine = BPFAOT_AGENT_INTERPRET;
        else if (engine && *engine && strcmp(engine, "auto") != 0)
                fprintf(stderr,
                        "bpfaot-agent: BPFAOT_AGENT_ENGINE=%s is not auto, compile or interpret\n",
                        engine);
        if (bpfaot_agent__open(&o, &agent) != 0) {
                fprintf(stderr, "bpfaot-agent: %s\n", err.msg);
                return;
        }
        bpfaot_agent__attach(agent, &ao);
}
