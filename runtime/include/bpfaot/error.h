/* SPDX-License-Identifier: MIT */
/*
 * The one-line diagnostic both bpf-aot libraries fill: the compiler
 * (bpfaot/bpfaot.h) and the runtime's loader (bpfaot/host.h).
 */
#ifndef BPFAOT_ERROR_H
#define BPFAOT_ERROR_H

#ifdef __cplusplus
extern "C" {
#endif

#define BPFAOT_ERROR_MAX 1024

/*
 * A one-line, located diagnostic. For instruction errors the message reads
 * "<input>: <program>: insn <index>: <decoded insn>: <reason>".
 */
struct bpfaot_error {
        int code;  /* negative errno, 0 when no error */
        long insn; /* instruction index, -1 when not about an instruction */
        char msg[BPFAOT_ERROR_MAX];
};

#ifdef __cplusplus
}
#endif
#endif
