/* SPDX-License-Identifier: MIT */
/*
 * An application running a segment's program through the agent
 * (bpfaot/agent.h): count_calls (counter.bpf.c) three times, through
 * bpfaot_agent__run and the bpfaot_agent_hook hook point. Checks what the
 * program wrote in the segment's maps: its HASH map (this process's count)
 * and its .bss (the total), and that an unknown name runs nothing.
 * usage: agent_run   (the segment: $BPFAOT_SHM)
 */
#include "loader_check.h"

#include <bpfaot/agent.h>
#include <bpfaot/shm.h>

#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* The value of key `key` in the segment's map named `name`. */
static uint64_t value_of(const char *name, uint32_t key)
{
        struct bpfaot_shm_map_info mi;
        struct bpfaot_shm *shm;
        struct bpfaot_map *m = NULL;
        uint32_t id = 0;
        uint64_t v = 0;

        CHECK(bpfaot_shm__open(NULL, NULL, &shm) == 0);
        while (!m && bpfaot_shm__next_map_id(shm, id, &id) == 0)
                if (bpfaot_shm__map_info(shm, id, &mi) == 0 && strcmp(mi.name, name) == 0)
                        CHECK(bpfaot_shm__map(shm, id, &m) == 0);
        CHECK(m != NULL);
        if (bpfaot_map__lookup_copy(m, &key, &v))
                v = 0;
        bpfaot_map__free(m);
        bpfaot_shm__close(shm);
        return v;
}

int main(void)
{
        struct bpfaot_error err = {0};
        struct bpfaot_agent_opts opts = {.sz = sizeof(opts), .error = &err};
        struct bpfaot_agent *agent;
        uint64_t regs[32] = {0}, r0 = 1, total = value_of("counter.bss", 0);
        uint32_t pid = (uint32_t)getpid();

        char missing[64], want[96];

        /* A segment that does not exist: -ENOENT, and one line naming it. */
        snprintf(missing, sizeof(missing), "bpfaot-none-%u", pid);
        snprintf(want, sizeof(want), "/%s: no such segment", missing);
        opts.shm = missing;
        CHECK(bpfaot_agent__open(&opts, &agent) == -ENOENT && agent == NULL);
        CHECK(strcmp(err.msg, want) == 0);
        opts.shm = NULL;

        CHECK(bpfaot_agent__open(&opts, &agent) == 0);
        CHECK(bpfaot_agent__run(agent, "count_calls", regs, sizeof(regs), &r0, &err) == 1);
        CHECK(r0 == 0);
        CHECK(bpfaot_agent__run(agent, "count_calls", regs, sizeof(regs), NULL, &err) == 1);
        CHECK(bpfaot_agent_hook("count_calls", regs, sizeof(regs)) == 1);
        CHECK(bpfaot_agent__run(agent, "no_such_program", regs, sizeof(regs), NULL, &err) == 0);
        CHECK(value_of("counts", pid) == 3);
        CHECK(value_of("counter.bss", 0) == total + 3);
        bpfaot_agent__close(agent);
        printf("agent_run: count_calls ran 3 times in process %u\n", pid);
        return 0;
}
