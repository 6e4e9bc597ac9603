/* SPDX-License-Identifier: MIT */
/*
 * Drives maptypes.bpf.c through its skeleton: the host fills the routing
 * table and sends requests through the user ring buffer; the programs look
 * routes up by longest prefix, add one, remember and test values in the
 * Bloom filter, and drain the requests. Prints one "ok <what>" line per
 * check; the first failure prints "FAIL ..." and exits 1.
 */
#include "maptypes.aot.h"
#include "host_check.h"

#include <errno.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <string.h>

struct route_key {
        uint32_t prefixlen;
        uint8_t addr[4];
};

static uint64_t route(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
        uint8_t ip[4] = {a, b, c, d};
        return maptypes__route(ip, sizeof(ip));
}

static void add(struct bpfaot_map *m, uint32_t plen, uint8_t a, uint8_t b, uint8_t c,
                uint32_t value)
{
        struct route_key k = {plen, {a, b, c, 0}};
        CHECK("host adds a route", bpfaot_map__update_elem(m, &k, &value, BPF_NOEXIST) == 0);
}

static void send(struct bpfaot_map *m, uint32_t size, int discard)
{
        void *p = bpfaot_user_ring_buffer__reserve(m, size);

        CHECK("reserve a request", p);
        memset(p, 0x5a, size);
        if (discard)
                bpfaot_user_ring_buffer__discard(m, p);
        else
                bpfaot_user_ring_buffer__submit(m, p);
}

int main(void)
{
        struct maptypes_aot *skel;
        struct {
                struct route_key key;
                uint32_t value;
        } nr = {{24, {10, 1, 2, 0}}, 33};
        uint64_t v, stop;

        CHECK("open", maptypes_aot__open(&skel) == 0);
        add(skel->maps.routes, 8, 10, 0, 0, 1);
        add(skel->maps.routes, 16, 10, 1, 0, 2);
        add(skel->maps.routes, 24, 10, 1, 2, 3);
        add(skel->maps.routes, 0, 0, 0, 0, 4);
        CHECK("10.1.2.3 -> /24", route(10, 1, 2, 3) == 3);
        CHECK("10.1.9.9 -> /16", route(10, 1, 9, 9) == 2);
        CHECK("10.200.0.1 -> /8", route(10, 200, 0, 1) == 1);
        CHECK("192.0.2.1 -> default", route(192, 0, 2, 1) == 4);
        CHECK("a program's BPF_NOEXIST on an existing prefix",
              (int64_t)maptypes__add_route(&nr, sizeof(nr)) == -EEXIST);
        nr.key.addr[2] = 3;
        nr.value = 5;
        CHECK("a program adds 10.1.3.0/24", maptypes__add_route(&nr, sizeof(nr)) == 0);
        CHECK("10.1.3.7 -> the new /24", route(10, 1, 3, 7) == 5);
        printf("ok longest-prefix routes\n");

        CHECK("map_extra reaches the runtime", bpfaot_map__def(skel->maps.seen)->map_extra == 3);
        v = 42;
        CHECK("42 not seen yet", maptypes__check(&v, sizeof(v)) == 0);
        CHECK("remember 42", maptypes__remember(&v, sizeof(v)) == 0);
        CHECK("42 seen", maptypes__check(&v, sizeof(v)) == 1);
        CHECK("the host sees it too", bpfaot_map__lookup_copy(skel->maps.seen, NULL, &v) == 0);
        v = 43;
        CHECK("43 not seen", maptypes__check(&v, sizeof(v)) == 0);
        printf("ok bloom filter\n");

        stop = 0;
        CHECK("nothing to drain", maptypes__drain(&stop, sizeof(stop)) == 0);
        send(skel->maps.requests, 16, 0);
        send(skel->maps.requests, 3, 1);
        send(skel->maps.requests, 100, 0);
        CHECK("two requests, the discarded one skipped",
              maptypes__drain(&stop, sizeof(stop)) == 2002);
        for (int i = 0; i < 3; i++)
                send(skel->maps.requests, 8, 0);
        stop = 2;
        CHECK("the callback stops the drain", maptypes__drain(&stop, sizeof(stop)) == 2002);
        CHECK("the rest", maptypes__drain(&stop, sizeof(stop)) == 1001);
        printf("ok user ring buffer drained by a program\n");
        maptypes_aot__destroy(skel);
        return 0;
}
