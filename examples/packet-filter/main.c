// SPDX-License-Identifier: MIT
/*
 * Host for filter.bpf.c: feeds packets from a pcap file (classic format,
 * Ethernet link type) or from a generated stream to the AOT-compiled
 * filter, then prints its verdicts and the counters from its map.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "filter.aot.h"

static const char *const names[] = {"packets", "ipv4", "tcp", "udp", "dropped"};

/* A synthetic Ethernet/IPv4 packet: TCP or UDP to `port`, or an ARP frame. */
static size_t make_packet(unsigned char *p, unsigned i)
{
        static const unsigned short ports[] = {22, 23, 80, 443, 53};
        unsigned short port = ports[i % 5];
        int udp = port == 53, arp = i % 7 == 0;

        memset(p, 0, 64);
        p[12] = 0x08;
        p[13] = arp ? 0x06 : 0x00;
        if (arp)
                return 42;
        p[14] = 0x45;                    /* IPv4, 20-byte header */
        p[23] = udp ? 17 : 6;            /* protocol */
        p[14 + 20 + 2] = (unsigned char)(port >> 8);
        p[14 + 20 + 3] = (unsigned char)port;
        return 64;
}

static int feed_pcap(const char *path, unsigned long verdicts[3])
{
        unsigned char hdr[24], rec[16], pkt[65536];
        FILE *f = fopen(path, "rb");

        if (!f || fread(hdr, 1, 24, f) != 24 || hdr[0] != 0xd4 || hdr[1] != 0xc3) {
                fprintf(stderr, "%s: not a little-endian classic pcap file\n", path);
                if (f)
                        fclose(f);
                return -1;
        }
        while (fread(rec, 1, 16, f) == 16) {
                unsigned len = rec[8] | rec[9] << 8 | rec[10] << 16 | (unsigned)rec[11] << 24;
                if (len > sizeof(pkt) || fread(pkt, 1, len, f) != len)
                        break;
                verdicts[filter__filter(pkt, len)]++;
        }
        fclose(f);
        return 0;
}

int main(int argc, char **argv)
{
        unsigned long verdicts[3] = {0};
        struct filter_aot *skel;
        unsigned char pkt[64];

        if (filter_aot__open(&skel)) {
                fprintf(stderr, "cannot create the maps\n");
                return 1;
        }
        if (argc > 2)
                skel->data->blocked_port = (unsigned short)atoi(argv[2]);
        if (argc > 1 && strcmp(argv[1], "-") != 0) {
                if (feed_pcap(argv[1], verdicts))
                        return 1;
        } else {
                for (unsigned i = 0; i < 100000; i++)
                        verdicts[filter__filter(pkt, make_packet(pkt, i))]++;
        }
        printf("blocked port %u: %lu passed, %lu dropped\n", skel->data->blocked_port,
               verdicts[2], verdicts[1]);
        for (uint32_t k = 0; k < 5; k++) {
                uint64_t n = 0;
                bpfaot_map__lookup_copy(skel->maps.counters, &k, &n);
                printf("  %-8s %llu\n", names[k], (unsigned long long)n);
        }
        filter_aot__destroy(skel);
        return 0;
}
