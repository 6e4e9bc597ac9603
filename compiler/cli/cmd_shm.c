/* SPDX-License-Identifier: MIT */
/* `shm`: list, dump or remove a shared-memory segment of maps (bpfaot/shm.h). */
#include "cli.h"

#include "bpfaot/shm.h"

#include <bpf/libbpf.h>

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct shm_args {
        const char *name; /* NULL: the default */
        uint32_t id;      /* dump --id; 0: every map */
};

static int shm_list(const struct shm_args *a);
static int shm_dump(const struct shm_args *a);
static int shm_remove(const struct shm_args *a);

static const struct shm_action {
        const char *name, *synopsis, *help;
        int (*fn)(const struct shm_args *a);
        bool takes_id;
} actions[] = {
    {"list", "list [NAME]",
     "the segment's name, layout version, size and bytes used, then one\n"
     "line per map: its id, type, name, key and value sizes, max_entries\n"
     "and flags\n",
     shm_list, false},
    {"dump", "dump [NAME] [--id N]",
     "each map (only map N with --id) and its entries, as 'bpftool map\n"
     "dump' prints them: key and value in hex bytes, a PERCPU map's value\n"
     "once per CPU; a PERF_EVENT_ARRAY's events and their rings\n",
     shm_dump, true},
    {"remove", "remove [NAME]",
     "remove the segment, whatever its version; processes that have it\n"
     "open keep using it until they close it\n",
     shm_remove, false},
};
#define ACTION_CNT (sizeof(actions) / sizeof(actions[0]))

/* "  NAME     text", the text's further lines indented as its first. */
static void print_action_help(FILE *out, const struct shm_action *a)
{
        fprintf(out, "  %-8s ", a->name);
        for (const char *c = a->help; *c; c++) {
                fputc(*c, out);
                if (*c == '\n' && c[1])
                        fprintf(out, "%11s", "");
        }
}

static void usage(FILE *out, const struct shm_action *only)
{
        for (size_t i = 0; i < ACTION_CNT; i++)
                if (!only || only == &actions[i])
                        fprintf(out, "%s bpf-aot shm %s\n",
                                i && !only ? "      " : "Usage:", actions[i].synopsis);
        fprintf(out, "\nA shared-memory segment holds maps that several processes use at once.\n"
                     "NAME names it (the leading '/' is optional); without NAME, $BPFAOT_SHM,\n"
                     "else 'bpfaot'. Exit status 0, 1 when the segment is missing or not one\n"
                     "this bpf-aot reads (the reason on one line), 2 for a bad command line.\n\n");
        fprintf(out, "Actions:\n");
        for (size_t i = 0; i < ACTION_CNT; i++)
                if (!only || only == &actions[i])
                        print_action_help(out, &actions[i]);
        fprintf(out, "\nOptions:\n");
        if (!only || only->takes_id)
                fprintf(out, "  --id N           dump: only the map whose id is N\n");
        fprintf(out, "  -h, --help       this help\n");
}

/* How messages name the segment: its shm_open name. */
static const char *display_name(const char *name, char *buf, size_t size)
{
        if (!name)
                name = bpfaot_shm__default_name();
        if (name[0] == '/')
                return name;
        snprintf(buf, size, "/%s", name);
        return buf;
}

static int open_segment(const char *name, struct bpfaot_shm **shm)
{
        struct bpfaot_error err = {0};
        struct bpfaot_shm_opts opts = {.sz = sizeof(opts), .error = &err};

        if (bpfaot_shm__open(name, &opts, shm))
                return cli_report(&err);
        return EXIT_OK;
}

/* Names come from whichever process made the map: print them as one printable word. */
static void print_name(const char *name)
{
        for (const char *c = name; *c; c++)
                putchar((unsigned char)*c <= 0x20 || *c == 0x7f ? '?' : *c);
}

static void print_map_line(const struct bpfaot_shm_map_info *mi)
{
        printf("%" PRIu32 ": %s  ", mi->id, bpfaot_map_type__name(mi->type));
        if (mi->name[0]) {
                printf("name ");
                print_name(mi->name);
                printf("  ");
        }
        printf("key %" PRIu32 "B  value %" PRIu32 "B  max_entries %" PRIu32 "  flags 0x%" PRIx32
               "\n",
               mi->key_size, mi->value_size, mi->max_entries, mi->map_flags);
}

/* A program the loader put there: "prog 3: kprobe  name f  insns 12  license GPL  bytecode <hash>".
 */
static void print_prog_line(const struct bpfaot_shm_prog_info *pi)
{
        const char *type = libbpf_bpf_prog_type_str((enum bpf_prog_type)pi->type);

        printf("prog %" PRIu32 ": %s  ", pi->id, type ? type : "unknown");
        if (pi->name[0]) {
                printf("name ");
                print_name(pi->name);
                printf("  ");
        }
        printf("insns %" PRIu32 "  license ", pi->insn_cnt);
        print_name(pi->license);
        printf("  bytecode %016" PRIx64, pi->bytecode_hash);
        if (pi->code_size)
                printf("  native %" PRIu64 "B", pi->code_size);
        printf("\n");
}

static const char *const attach_kinds[] = {
    [BPFAOT_SHM_UPROBE] = "uprobe",
    [BPFAOT_SHM_URETPROBE] = "uretprobe",
    [BPFAOT_SHM_TRACEPOINT] = "tracepoint",
    [BPFAOT_SHM_PROG_ATTACH] = "prog_attach",
};

/*
 * An attach request: "attach 1: uprobe  prog 5  /usr/lib/libc.so.6+0x9a0e0  pid -1",
 * "attach 2: tracepoint  prog 6  syscalls/sys_enter_openat  pid -1",
 * "attach 3: prog_attach  prog 7  sk_skb_stream_verdict  map 3" (flags, when any, after it).
 */
static void print_attach_line(const struct bpfaot_shm_attach_info *ai)
{
        const char *kind = ai->kind < sizeof(attach_kinds) / sizeof(attach_kinds[0])
                               ? attach_kinds[ai->kind]
                               : NULL;
        const char *type;

        printf("attach %" PRIu32 ": %s  prog %" PRIu32 "  ", ai->id, kind ? kind : "unknown",
               ai->prog_id);
        if (ai->kind == BPFAOT_SHM_PROG_ATTACH) {
                type = libbpf_bpf_attach_type_str((enum bpf_attach_type)ai->attach_type);
                if (type)
                        printf("%s  ", type);
                else
                        printf("attach_type %" PRIu32 "  ", ai->attach_type);
                if (ai->target_map_id)
                        printf("map %" PRIu32, ai->target_map_id);
                else
                        print_name(ai->target);
                if (ai->attach_flags)
                        printf("  flags 0x%" PRIx32, ai->attach_flags);
                printf("\n");
                return;
        }
        print_name(ai->target);
        if (ai->kind != BPFAOT_SHM_TRACEPOINT)
                printf("+0x%" PRIx64, ai->offset);
        printf("  pid %" PRId32 "\n", ai->pid);
}

static int shm_list(const struct shm_args *a)
{
        struct bpfaot_shm_attach_info ai;
        struct bpfaot_shm_prog_info pi;
        struct bpfaot_shm_map_info mi;
        struct bpfaot_shm_info info;
        struct bpfaot_shm *shm;
        uint32_t id = 0;

        if (open_segment(a->name, &shm))
                return EXIT_FAIL;
        bpfaot_shm__info(shm, &info);
        printf("segment %s: version %" PRIu32 ", size %" PRIu64 ", used %" PRIu64 ", %" PRIu32
               " map%s\n",
               bpfaot_shm__name(shm), info.version, info.size, info.used, info.map_cnt,
               info.map_cnt == 1 ? "" : "s");
        while (bpfaot_shm__next_map_id(shm, id, &id) == 0)
                if (bpfaot_shm__map_info(shm, id, &mi) == 0)
                        print_map_line(&mi);
        for (id = 0; bpfaot_shm__next_prog_id(shm, id, &id) == 0;)
                if (bpfaot_shm__prog_info(shm, id, &pi) == 0)
                        print_prog_line(&pi);
        for (id = 0; bpfaot_shm__next_attach_id(shm, id, &id) == 0;)
                if (bpfaot_shm__attach_info(shm, id, &ai) == 0)
                        print_attach_line(&ai);
        bpfaot_shm__close(shm);
        return EXIT_OK;
}

static void print_hex(const void *p, size_t n)
{
        const uint8_t *b = p;

        for (size_t i = 0; i < n; i++)
                printf("%s%02x", i ? " " : "", b[i]);
}

static bool is_percpu(uint32_t type)
{
        return type == BPF_MAP_TYPE_PERCPU_ARRAY || type == BPF_MAP_TYPE_PERCPU_HASH ||
               type == BPF_MAP_TYPE_LRU_PERCPU_HASH;
}

/*
 * An LPM_TRIE's key (struct bpf_lpm_trie_key: prefixlen, then the data):
 * ADDRESS/LEN, the address an IPv4 or IPv6 one when the data has their size,
 * its bytes in hex otherwise.
 */
static void print_lpm_prefix(const uint8_t *key, uint32_t key_size)
{
        char addr[INET6_ADDRSTRLEN];
        uint32_t plen;
        size_t n = key_size - sizeof(plen);
        int af = n == 4 ? AF_INET : n == 16 ? AF_INET6 : 0;

        memcpy(&plen, key, sizeof(plen));
        if (af && inet_ntop(af, key + sizeof(plen), addr, sizeof(addr)))
                printf("%s", addr);
        else
                print_hex(key + sizeof(plen), n);
        printf("/%" PRIu32, plen);
}

/*
 * A PROG_ARRAY's or map of maps' slot: the id it holds and what the segment
 * calls it ("map id 7 (name)", "prog id 3 (name)"); a 4-byte key as a number.
 */
static void print_id_elem(struct bpfaot_shm *shm, const struct bpfaot_shm_map_info *mi,
                          const void *key, const uint8_t *value)
{
        bool prog = mi->type == BPF_MAP_TYPE_PROG_ARRAY;
        struct bpfaot_shm_prog_info pi;
        struct bpfaot_shm_map_info ii;
        const char *name = NULL;
        uint32_t id, k;

        memcpy(&id, value, sizeof(id));
        if (prog && bpfaot_shm__prog_info(shm, id, &pi) == 0)
                name = pi.name;
        else if (!prog && bpfaot_shm__map_info(shm, id, &ii) == 0)
                name = ii.name;
        printf("key: ");
        if (mi->key_size == sizeof(k)) {
                memcpy(&k, key, sizeof(k));
                printf("%" PRIu32, k);
        } else {
                print_hex(key, mi->key_size);
        }
        printf("  value: %s id %" PRIu32 " (%s)\n", prog ? "prog" : "map", id,
               name ? name : "not in the segment");
}

/* One element, as bpftool prints it: a PERCPU value once per CPU, value_size bytes each. */
static void print_elem(const struct bpfaot_shm_map_info *mi, const struct bpfaot_map *map,
                       const void *key, const uint8_t *value)
{
        size_t stride = bpfaot_map__value_copy_size(map) / bpfaot_map__ncpus(map);

        if (mi->type == BPF_MAP_TYPE_LPM_TRIE && mi->key_size > sizeof(uint32_t)) {
                printf("prefix: ");
                print_lpm_prefix(key, mi->key_size);
                printf("  value: ");
                print_hex(value, mi->value_size);
                printf("\n");
                return;
        }
        if (!is_percpu(mi->type)) {
                printf("key: ");
                print_hex(key, mi->key_size);
                printf("  value: ");
                print_hex(value, mi->value_size);
                printf("\n");
                return;
        }
        printf("key:\n");
        print_hex(key, mi->key_size);
        printf("\n");
        for (uint32_t c = 0; c < bpfaot_map__ncpus(map); c++) {
                printf("value (CPU %02" PRIu32 "): ", c);
                print_hex(value + c * stride, mi->value_size);
                printf("\n");
        }
}

/*
 * A map without keys: a QUEUE's or STACK's next value (peeked, so nothing
 * changes), that a BLOOM_FILTER's values cannot be listed, or a RINGBUF's
 * or USER_RINGBUF's size and positions (its records are the consumer's to
 * take).
 */
static int dump_keyless(const struct bpfaot_shm_map_info *mi, struct bpfaot_map *map)
{
        uint8_t *value;
        long err;

        if (mi->type == BPF_MAP_TYPE_BLOOM_FILTER) {
                printf("(a bloom filter's values cannot be listed)\n");
                return 0;
        }
        if (mi->type == BPF_MAP_TYPE_RINGBUF || mi->type == BPF_MAP_TYPE_USER_RINGBUF) {
                uint64_t (*query)(struct bpfaot_map *, uint64_t) = mi->type == BPF_MAP_TYPE_RINGBUF
                                                                       ? bpfaot_ringbuf__query
                                                                       : bpfaot_user_ringbuf__query;
                uint64_t cons = query(map, BPF_RB_CONS_POS);
                uint64_t prod = query(map, BPF_RB_PROD_POS);

                printf("ring: %" PRIu64 " bytes, producer position %" PRIu64
                       ", consumer position %" PRIu64 ", %" PRIu64 " bytes pending\n",
                       query(map, BPF_RB_RING_SIZE), prod, cons, prod >= cons ? prod - cons : 0);
                return 0;
        }
        value = calloc(1, mi->value_size + 1);
        if (!value)
                return -ENOMEM;
        err = bpfaot_map__peek_elem(map, value);
        if (err == 0) {
                printf("next value: ");
                print_hex(value, mi->value_size);
                printf("\n");
        } else if (err == -ENOENT) {
                printf("(empty)\n");
                err = 0;
        }
        free(value);
        return (int)err;
}

/*
 * A PERF_EVENT_ARRAY's filled slots: which CPUs (indexes) have an event,
 * its ring's size and positions (its records are the reader's to take).
 */
static void dump_perf_array(const struct bpfaot_shm_map_info *mi, struct bpfaot_map *map)
{
        struct bpfaot_perf_event_info pi;
        uint32_t found = 0;

        for (uint32_t i = 0; i < mi->max_entries; i++) {
                if (bpfaot_perf_event_array__slot(map, i, &pi))
                        continue;
                found++;
                printf("cpu %" PRIu32 ": event %" PRIu64 "%s  ", i, pi.id,
                       pi.enabled ? "" : " (disabled)");
                if (!pi.has_ring) {
                        printf("no ring (not mapped)\n");
                        continue;
                }
                printf("ring %" PRIu32 " page%s (%" PRIu64 " bytes), head %" PRIu64
                       ", tail %" PRIu64 ", %" PRIu64 " bytes pending, %" PRIu64 " lost\n",
                       pi.nr_pages, pi.nr_pages == 1 ? "" : "s", pi.data_size, pi.head, pi.tail,
                       pi.head >= pi.tail ? pi.head - pi.tail : 0, pi.lost);
        }
        printf("Found %" PRIu32 " event%s\n", found, found == 1 ? "" : "s");
}

/* Map `id` and its elements; 0, or -errno after saying why on stderr. */
static int dump_map(struct bpfaot_shm *shm, uint32_t id)
{
        struct bpfaot_shm_map_info mi;
        struct bpfaot_map *map;
        uint8_t *key = NULL, *next = NULL, *value = NULL;
        uint32_t found = 0;
        int err;

        err = bpfaot_shm__map_info(shm, id, &mi);
        err = err ?: bpfaot_shm__map(shm, id, &map);
        if (err) {
                cli_error("%s: map %" PRIu32 ": %s", bpfaot_shm__name(shm), id,
                          err == -ENOENT ? "no map with this id" : strerror(-err));
                return err;
        }
        print_map_line(&mi);
        if (mi.type == BPF_MAP_TYPE_PERF_EVENT_ARRAY) {
                dump_perf_array(&mi, map);
                bpfaot_map__free(map);
                return 0;
        }
        if (mi.key_size == 0) {
                err = dump_keyless(&mi, map);
                if (err)
                        cli_error("%s: map %" PRIu32 ": %s", bpfaot_shm__name(shm), id,
                                  strerror(-err));
                bpfaot_map__free(map);
                return err;
        }
        key = calloc(1, mi.key_size + 1);
        next = calloc(1, mi.key_size + 1);
        value = calloc(1, bpfaot_map__value_copy_size(map) + 1);
        err = key && next && value ? 0 : -ENOMEM;
        for (const void *prev = NULL; !err; prev = key) {
                err = bpfaot_map__get_next_key(map, prev, next);
                if (err)
                        break;
                memcpy(key, next, mi.key_size);
                /* Deleted since get_next_key found it: not there any more. */
                if (bpfaot_map__lookup_copy(map, key, value))
                        continue;
                if (mi.type == BPF_MAP_TYPE_PROG_ARRAY || mi.type == BPF_MAP_TYPE_ARRAY_OF_MAPS ||
                    mi.type == BPF_MAP_TYPE_HASH_OF_MAPS)
                        print_id_elem(shm, &mi, key, value);
                else
                        print_elem(&mi, map, key, value);
                found++;
        }
        if (err == -ENOENT) {
                printf("Found %" PRIu32 " element%s\n", found, found == 1 ? "" : "s");
                err = 0;
        } else if (err == -ENOMEM) {
                cli_nomem(bpfaot_shm__name(shm));
        } else {
                cli_error("%s: map %" PRIu32 ": cannot list its keys: %s", bpfaot_shm__name(shm),
                          id, strerror(-err));
        }
        free(key);
        free(next);
        free(value);
        bpfaot_map__free(map);
        return err;
}

static int shm_dump(const struct shm_args *a)
{
        struct bpfaot_shm *shm;
        uint32_t id = 0;
        int rc = EXIT_OK;

        if (open_segment(a->name, &shm))
                return EXIT_FAIL;
        if (a->id) {
                rc = dump_map(shm, a->id) ? EXIT_FAIL : EXIT_OK;
        } else {
                /* Every map is dumped, so that one that fails does not hide the others. */
                while (bpfaot_shm__next_map_id(shm, id, &id) == 0) {
                        if (id > 1)
                                printf("\n");
                        if (dump_map(shm, id))
                                rc = EXIT_FAIL;
                }
        }
        bpfaot_shm__close(shm);
        return rc;
}

static int shm_remove(const struct shm_args *a)
{
        char buf[300];
        const char *shown = display_name(a->name, buf, sizeof(buf));
        int err = bpfaot_shm__remove(a->name);

        if (err == -ENOENT)
                cli_error("%s: no such segment", shown);
        else if (err == -EINVAL)
                cli_error("%s: not a segment name (one path component)", a->name ? a->name : "");
        else if (err)
                cli_error("%s: cannot remove it: %s", shown, strerror(-err));
        return err ? EXIT_FAIL : EXIT_OK;
}

static const struct shm_action *find_action(const char *name)
{
        for (size_t i = 0; i < ACTION_CNT; i++)
                if (strcmp(name, actions[i].name) == 0)
                        return &actions[i];
        return NULL;
}

/* --id N: a map id, 1 or more. */
static int parse_id(const char *s, uint32_t *id)
{
        char *end;
        unsigned long long v;

        errno = 0;
        v = strtoull(s, &end, 10);
        if (errno || end == s || *end || s[0] == '-' || v == 0 || v > UINT32_MAX) {
                cli_error("shm: --id takes a map id (1, 2, ...), not '%s'", s);
                return EXIT_USAGE;
        }
        *id = (uint32_t)v;
        return EXIT_OK;
}

int cmd_shm(int argc, char **argv)
{
        enum { O_ID = 256 };
        static const struct option lopts[] = {
            {"id", required_argument, NULL, O_ID},
            {"help", no_argument, NULL, 'h'},
            {NULL, 0, NULL, 0},
        };
        const struct shm_action *action;
        struct shm_args a = {0};
        const char *id_text = NULL;
        bool help = false;
        int c;

        optind = 1;
        opterr = 0;
        while ((c = getopt_long(argc, argv, ":h", lopts, NULL)) != -1) {
                switch (c) {
                case O_ID:
                        id_text = optarg;
                        break;
                case 'h':
                        help = true;
                        break;
                default:
                        return cli_bad_option("shm", c, argv);
                }
        }
        action = optind < argc ? find_action(argv[optind]) : NULL;
        if (help) {
                usage(stdout, action);
                return EXIT_OK;
        }
        if (optind == argc) {
                cli_error("shm: no action: list, dump or remove (see 'bpf-aot shm --help')");
                return EXIT_USAGE;
        }
        if (!action) {
                cli_error("shm: unknown action '%s': list, dump or remove (see 'bpf-aot shm "
                          "--help')",
                          argv[optind]);
                return EXIT_USAGE;
        }
        if (argc - optind > 2) {
                cli_error("shm %s: one segment name at most, not '%s' too (see 'bpf-aot shm "
                          "--help')",
                          action->name, argv[optind + 2]);
                return EXIT_USAGE;
        }
        if (id_text && !action->takes_id) {
                cli_error("shm %s: --id goes with 'shm dump' only", action->name);
                return EXIT_USAGE;
        }
        if (id_text && parse_id(id_text, &a.id))
                return EXIT_USAGE;
        a.name = argc - optind == 2 ? argv[optind + 1] : NULL;
        return action->fn(&a);
}
