/* SPDX-License-Identifier: MIT */
/* Built-in helpers, found by kernel helper id. */
#define _GNU_SOURCE
#include "bpfaot/runtime.h"
#include "bpfaot/maps.h"

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

static uint64_t clock_ns(clockid_t id)
{
        struct timespec ts;
        if (clock_gettime(id, &ts))
                return 0;
        return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t h_ktime_get_ns(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e)
{
        (void)a, (void)b, (void)c, (void)d, (void)e;
        return clock_ns(CLOCK_MONOTONIC);
}

static uint64_t h_get_prandom_u32(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e)
{
        uint32_t v = 0;
        (void)a, (void)b, (void)c, (void)d, (void)e;
        /* getrandom keeps no state in the library; short reads leave zeros, still a value. */
        if (getrandom(&v, sizeof(v), 0) != (ssize_t)sizeof(v))
                v = (uint32_t)clock_ns(CLOCK_MONOTONIC) * 2654435761u;
        return v;
}

static uint64_t h_get_smp_processor_id(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e)
{
        int cpu = sched_getcpu();
        (void)a, (void)b, (void)c, (void)d, (void)e;
        return cpu < 0 ? 0 : (uint64_t)cpu;
}

static uint64_t h_get_current_pid_tgid(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e)
{
        (void)a, (void)b, (void)c, (void)d, (void)e;
        return ((uint64_t)(uint32_t)getpid() << 32) | (uint32_t)gettid();
}

/*
 * Format one conversion `spec` (like "%-08llx") with a 64-bit argument,
 * giving the argument the C type the length modifier asks for.
 */
static int format_one(char *out, size_t sz, const char *spec, char conv, int longs, uint64_t arg)
{
        switch (conv) {
        case 'd':
        case 'i':
                if (longs == 0)
                        return snprintf(out, sz, spec, (int)arg);
                return snprintf(out, sz, spec, (long long)arg);
        case 'u':
        case 'x':
        case 'X':
        case 'o':
                if (longs == 0)
                        return snprintf(out, sz, spec, (unsigned)arg);
                return snprintf(out, sz, spec, (unsigned long long)arg);
        case 'c':
                return snprintf(out, sz, spec, (int)(unsigned char)arg);
        case 's':
                return snprintf(out, sz, spec, arg ? (const char *)(uintptr_t)arg : "(null)");
        default: /* p */
                return snprintf(out, sz, spec, (void *)(uintptr_t)arg);
        }
}

/*
 * bpf_trace_printk(fmt, fmt_size, arg1, arg2, arg3): kernel format rules —
 * at most three conversions among %d %i %u %x %X %o %c %s %p (with l/ll/h
 * modifiers, flags and width), %% for a percent sign. An invalid format
 * returns -EINVAL and prints nothing, as the kernel does.
 */
static uint64_t h_trace_printk(uint64_t fmt_addr, uint64_t fmt_size, uint64_t a1, uint64_t a2,
                               uint64_t a3)
{
        const char *fmt = (const char *)(uintptr_t)fmt_addr;
        uint64_t args[3] = {a1, a2, a3};
        char out[1024];
        size_t len = 0, n = 0;

        if (!fmt || fmt_size == 0 || memchr(fmt, 0, fmt_size) == NULL)
                return (uint64_t)-EINVAL;
        for (size_t i = 0; fmt[i] && len < sizeof(out) - 1; i++) {
                char spec[32];
                size_t s = 0;
                int longs = 0, w;

                if (fmt[i] != '%') {
                        out[len++] = fmt[i];
                        continue;
                }
                if (fmt[i + 1] == '%') {
                        out[len++] = '%';
                        i++;
                        continue;
                }
                spec[s++] = fmt[i++];
                while (fmt[i] && strchr("-+ #0", fmt[i]) && s < 8)
                        spec[s++] = fmt[i++];
                while (fmt[i] >= '0' && fmt[i] <= '9' && s < 16)
                        spec[s++] = fmt[i++];
                if (fmt[i] == 'h') {
                        i++; /* promoted to int anyway */
                } else {
                        while (fmt[i] == 'l' && longs < 2) {
                                spec[s++] = 'l';
                                longs++;
                                i++;
                        }
                }
                if (!fmt[i] || !strchr("diuxXocsp", fmt[i]) || n >= 3)
                        return (uint64_t)-EINVAL;
                if (longs == 1) { /* normalise l to ll: the argument is 64-bit */
                        spec[s++] = 'l';
                        longs = 2;
                }
                if (strchr("csp", fmt[i])) { /* no length modifier for these */
                        while (s > 0 && spec[s - 1] == 'l')
                                s--;
                }
                spec[s++] = fmt[i];
                spec[s] = 0;
                w = format_one(out + len, sizeof(out) - len, spec, fmt[i], longs, args[n++]);
                if (w < 0)
                        return (uint64_t)-EINVAL;
                len += (size_t)w < sizeof(out) - len ? (size_t)w : sizeof(out) - 1 - len;
        }
        out[len] = 0;
        fwrite(out, 1, len, stdout);
        fflush(stdout);
        return len;
}

/*
 * Map helpers. r1 is what the program's lddw of a map produced: the map the
 * host stored in the object's slot (bpfaot/maps.h). A slot the host never
 * filled holds NULL; helpers then fail as the kernel does for a bad map.
 */
#define MAP(x) ((struct bpfaot_map *)(uintptr_t)(x))
#define PTR(x) ((void *)(uintptr_t)(x))

static uint64_t h_map_lookup_elem(uint64_t map, uint64_t key, uint64_t c, uint64_t d, uint64_t e)
{
        (void)c, (void)d, (void)e;
        return map ? (uint64_t)(uintptr_t)bpfaot_map__lookup_elem(MAP(map), PTR(key)) : 0;
}

static uint64_t h_map_update_elem(uint64_t map, uint64_t key, uint64_t value, uint64_t flags,
                                  uint64_t e)
{
        (void)e;
        return map ? (uint64_t)bpfaot_map__update_elem(MAP(map), PTR(key), PTR(value), flags)
                   : (uint64_t)-EINVAL;
}

static uint64_t h_map_delete_elem(uint64_t map, uint64_t key, uint64_t c, uint64_t d, uint64_t e)
{
        (void)c, (void)d, (void)e;
        return map ? (uint64_t)bpfaot_map__delete_elem(MAP(map), PTR(key)) : (uint64_t)-EINVAL;
}

static uint64_t h_map_push_elem(uint64_t map, uint64_t value, uint64_t flags, uint64_t d,
                                uint64_t e)
{
        (void)d, (void)e;
        return map ? (uint64_t)bpfaot_map__push_elem(MAP(map), PTR(value), flags)
                   : (uint64_t)-EINVAL;
}

static uint64_t h_map_pop_elem(uint64_t map, uint64_t value, uint64_t c, uint64_t d, uint64_t e)
{
        (void)c, (void)d, (void)e;
        return map ? (uint64_t)bpfaot_map__pop_elem(MAP(map), PTR(value)) : (uint64_t)-EINVAL;
}

static uint64_t h_map_peek_elem(uint64_t map, uint64_t value, uint64_t c, uint64_t d, uint64_t e)
{
        (void)c, (void)d, (void)e;
        return map ? (uint64_t)bpfaot_map__peek_elem(MAP(map), PTR(value)) : (uint64_t)-EINVAL;
}

static uint64_t h_ringbuf_output(uint64_t map, uint64_t data, uint64_t size, uint64_t flags,
                                 uint64_t e)
{
        (void)e;
        return map ? (uint64_t)bpfaot_ringbuf__output(MAP(map), PTR(data), size, flags)
                   : (uint64_t)-EINVAL;
}

static uint64_t h_ringbuf_reserve(uint64_t map, uint64_t size, uint64_t flags, uint64_t d,
                                  uint64_t e)
{
        (void)d, (void)e;
        return map ? (uint64_t)(uintptr_t)bpfaot_ringbuf__reserve(MAP(map), size, flags) : 0;
}

static uint64_t h_ringbuf_submit(uint64_t data, uint64_t flags, uint64_t c, uint64_t d, uint64_t e)
{
        (void)c, (void)d, (void)e;
        bpfaot_ringbuf__submit(PTR(data), flags);
        return 0;
}

static uint64_t h_ringbuf_discard(uint64_t data, uint64_t flags, uint64_t c, uint64_t d, uint64_t e)
{
        (void)c, (void)d, (void)e;
        bpfaot_ringbuf__discard(PTR(data), flags);
        return 0;
}

static uint64_t h_ringbuf_query(uint64_t map, uint64_t flags, uint64_t c, uint64_t d, uint64_t e)
{
        (void)c, (void)d, (void)e;
        return map ? bpfaot_ringbuf__query(MAP(map), flags) : 0;
}

static const struct bpfaot_rt_helper helpers[] = {
    {1, "map_lookup_elem", h_map_lookup_elem},
    {2, "map_update_elem", h_map_update_elem},
    {3, "map_delete_elem", h_map_delete_elem},
    {5, "ktime_get_ns", h_ktime_get_ns},
    {6, "trace_printk", h_trace_printk},
    {7, "get_prandom_u32", h_get_prandom_u32},
    {8, "get_smp_processor_id", h_get_smp_processor_id},
    {14, "get_current_pid_tgid", h_get_current_pid_tgid},
    {87, "map_push_elem", h_map_push_elem},
    {88, "map_pop_elem", h_map_pop_elem},
    {89, "map_peek_elem", h_map_peek_elem},
    {130, "ringbuf_output", h_ringbuf_output},
    {131, "ringbuf_reserve", h_ringbuf_reserve},
    {132, "ringbuf_submit", h_ringbuf_submit},
    {133, "ringbuf_discard", h_ringbuf_discard},
    {134, "ringbuf_query", h_ringbuf_query},
};

const struct bpfaot_rt_helper *bpfaot_rt_helpers(uint32_t *cnt)
{
        *cnt = sizeof(helpers) / sizeof(helpers[0]);
        return helpers;
}

const struct bpfaot_rt_helper *bpfaot_rt_helper_find(uint32_t id)
{
        for (size_t i = 0; i < sizeof(helpers) / sizeof(helpers[0]); i++)
                if (helpers[i].id == id)
                        return &helpers[i];
        return NULL;
}

int bpfaot_rt_parse_helper_symbol(const char *name, uint32_t *id)
{
        static const char prefix[] = "_bpf_helper_ext_";
        unsigned long v;
        char *end;

        if (strncmp(name, prefix, sizeof(prefix) - 1) != 0)
                return -1;
        name += sizeof(prefix) - 1;
        if (*name < '0' || *name > '9')
                return -1;
        v = strtoul(name, &end, 10);
        if (*end || v > UINT32_MAX)
                return -1;
        *id = (uint32_t)v;
        return 0;
}

uint64_t bpfaot_rt_callx(uint64_t id, uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4,
                         uint64_t r5)
{
        const struct bpfaot_rt_helper *h =
            id <= UINT32_MAX ? bpfaot_rt_helper_find((uint32_t)id) : NULL;
        if (!h)
                return (uint64_t)-ENOENT;
        return h->fn(r1, r2, r3, r4, r5);
}
