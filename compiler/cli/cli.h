/* SPDX-License-Identifier: MIT */
/* Shared pieces of the bpf-aot command-line tool. */
#ifndef BPFAOT_CLI_H
#define BPFAOT_CLI_H

#include "bpfaot/bpfaot.h"

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Exit codes (documented in README.md). */
enum {
        EXIT_OK = 0,
        EXIT_FAIL = 1,  /* the input was rejected or the work failed */
        EXIT_USAGE = 2, /* bad command line */
};

/* Subcommands: each parses its own argv (argv[0] is the subcommand name). */
int cmd_build(int argc, char **argv);
int cmd_compile(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_plugin(int argc, char **argv);
int cmd_asm(int argc, char **argv);
int cmd_disasm(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_shm(int argc, char **argv);
int cmd_load(int argc, char **argv);

/* Print "bpf-aot: <message>\n" to stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print err->msg as one line to stderr (prefixed "bpf-aot: ") and return EXIT_FAIL. */
int cli_report(const struct bpfaot_error *err);

/*
 * Fatal-error handler for LLVM (bpfaot_set_fatal_error_handler): LLVM exits
 * after a fatal error (an unknown CPU for some targets); make it one line.
 */
void cli_llvm_fatal(const char *reason) __attribute__((noreturn));
/* Fill `err` with one printable line of the CLI's own. Returns -code. */
int cli_fail(struct bpfaot_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The one out-of-memory message, in `err` (returns -ENOMEM) or printed (`what` may name
 * the file or command; returns EXIT_FAIL). */
int cli_fail_nomem(struct bpfaot_error *err);
int cli_nomem(const char *what);
/* Prefix err's message with "<input>: ". Returns err->code. */
int cli_fail_in(struct bpfaot_error *err, const char *input);

/*
 * A time limit on compiling (deadline.c): if cli_deadline_stop() has not
 * been called `seconds` after cli_deadline_start(), expired(arg, seconds)
 * prints its line from another thread and the process exits with EXIT_FAIL
 * (nothing has been written by then: outputs are written after compiling,
 * and `expired` removes a directory the command made). 0 seconds: no limit.
 * cli_deadline_start() returns 0 or -errno (no thread: nothing is printed).
 */
struct cli_deadline {
        pthread_t thread;
        pthread_mutex_t lock;
        pthread_cond_t cond;
        bool started, done;
        unsigned seconds;
        void (*expired)(void *arg, unsigned seconds);
        void *arg;
};
int cli_deadline_start(struct cli_deadline *d, unsigned seconds,
                       void (*expired)(void *arg, unsigned seconds), void *arg);
void cli_deadline_stop(struct cli_deadline *d);
/* The default limit: CLI_TIME_LIMIT_BASE seconds and one more per 1,000 instructions. */
#define CLI_TIME_LIMIT_BASE 120
unsigned cli_default_time_limit(size_t insns);

/* Read a whole file ("-" is stdin). Returns 0, or -errno with a message printed. */
int cli_read_file(const char *path, uint8_t **data, size_t *len);
/*
 * Write a whole file atomically: a temporary file in the same directory
 * renamed over `path` only when everything was written, so a failure never
 * leaves a half-written output behind. "-" writes to stdout.
 */
int cli_write_file(const char *path, const void *data, size_t len);

/*
 * The outputs of one command, published together or not at all: each is
 * written to a temporary file created exclusively beside it (never through
 * a planted file or symlink); publish renames them all into place (taking
 * back the ones already renamed if one fails); discard removes whatever is
 * not published, and the output directory if this command made it.
 */
struct cli_output {
        char *path, *tmp;
        bool published;
};
struct cli_outputs {
        struct cli_output *v;
        size_t cnt;
        char *made_dir;
};
int cli_outputs_dir(struct cli_outputs *o, const char *dir);
int cli_outputs_add(struct cli_outputs *o, const char *path, const void *data, size_t len);
int cli_outputs_publish(struct cli_outputs *o);
void cli_outputs_discard(struct cli_outputs *o);

/* How messages name an input path ("-" is "<stdin>"). */
const char *cli_display_name(const char *path);
/*
 * Report getopt_long's '?' (unknown option) or ':' (missing value; the
 * option string starts with ':') as one line with a hint. Returns EXIT_USAGE.
 */
int cli_bad_option(const char *cmd, int c, char **argv);

/*
 * Parse hex bytes separated by optional white space ("b7 00 00 ..." or
 * "b70000..."); "0x" prefixes and '#' comments are accepted. Returns 0 or
 * -EINVAL with a message in err.
 */
int cli_parse_hex(const char *text, size_t text_len, uint8_t **out, size_t *out_len,
                  struct bpfaot_error *err);
/* True if the data looks like hex text rather than raw bytecode. */
bool cli_looks_like_hex(const uint8_t *data, size_t len);

/* Parse "-O<N>" / "--opt-level N" style levels: returns 0..3 or -1. */
int cli_parse_opt_level(const char *s);

/* File name without directory and without any of the given suffixes. */
char *cli_basename_without(const char *path, const char *const *suffixes);

#endif
