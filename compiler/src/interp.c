/* SPDX-License-Identifier: MIT */
#include "bpfaot/bpfaot.h"
#include <errno.h>

int bpfaot_interp_run(const struct bpfaot_prog *prog, void *mem, size_t mem_len,
                      const struct bpfaot_interp_opts *opts, uint64_t *ret,
                      struct bpfaot_error *err)
{
        (void)prog, (void)mem, (void)mem_len, (void)opts, (void)ret;
        return bpfaot_error_set(err, ENOSYS, "interpreter not written yet");
}
