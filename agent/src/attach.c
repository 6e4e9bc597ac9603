/* SPDX-License-Identifier: MIT */
/*
 * bpfaot_agent__attach: the segment's uprobe and uretprobe requests made
 * probes of this process. A request names a binary by path and a function
 * by its offset in the file (as libbpf passes them to perf_event_open); the
 * function is where this process mapped that file (same device and inode)
 * at that offset. One probe point per function holds the programs of every
 * request on it, entry and return ones; uprobe.c patches it.
 *
 * Hits run without a lock: a point's program lists only grow, each entry
 * written before the count that publishes it.
 */
#define _GNU_SOURCE
#include "agent_internal.h"
#include "uprobe.h"

#include "bpfaot/shm.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

/* Programs one point runs at entry or at return: more is -E2BIG. */
#define POINT_MAX_PROGS 16

struct probe_list {
        const struct ready_prog *prog[POINT_MAX_PROGS];
        uint32_t attach_id[POINT_MAX_PROGS];
        size_t cnt; /* published with a release store, read with acquire */
};

struct probe_point {
        struct bpfaot_agent *agent;
        void *addr;
        char name[BPFAOT_SHM_TARGET_LEN + 96]; /* "malloc in /usr/lib/.../libc.so.6" */
        struct probe_list on_entry, on_return;
        struct uprobe_site *site;
        bool has_return; /* the site was patched with a return hook */
};

struct attach_run {
        const struct bpfaot_agent_attach_opts *opts;
        int err; /* the first failure's */
        int attached;
};

static void report(struct attach_run *run, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void report(struct attach_run *run, const char *fmt, ...)
{
        char line[BPFAOT_ERROR_MAX + 512];
        va_list ap;

        if (!run->opts || !run->opts->report)
                return;
        va_start(ap, fmt);
        vsnprintf(line, sizeof(line), fmt, ap);
        va_end(ap);
        run->opts->report(run->opts->report_ctx, line);
}

static void run_list(struct probe_point *p, struct probe_list *l, struct pt_regs *regs)
{
        size_t n = __atomic_load_n(&l->cnt, __ATOMIC_ACQUIRE);

        for (size_t i = 0; i < n; i++)
                agent__call(p->agent, l->prog[i], regs, sizeof(*regs));
}

static void hit_entry(void *data, struct pt_regs *regs)
{
        struct probe_point *p = data;

        run_list(p, &p->on_entry, regs);
}

static void hit_return(void *data, struct pt_regs *regs)
{
        struct probe_point *p = data;

        run_list(p, &p->on_return, regs);
}

/*
 * Where this process has `path`'s byte `offset` mapped executable: 0 and
 * *addr, 1 when the file is not mapped here (another process's binary), or
 * a negative errno with *why set.
 */
static int locate(const char *path, uint64_t offset, void **addr, const char **why)
{
        unsigned long start, end, map_off, ino, major, minor;
        char perms[8], line[4096];
        bool mapped = false;
        struct stat st;
        FILE *f;

        if (stat(path, &st) != 0) {
                *why = strerror(errno);
                return -errno;
        }
        f = fopen("/proc/self/maps", "re");
        if (!f) {
                *why = "cannot read /proc/self/maps";
                return -EIO;
        }
        while (fgets(line, sizeof(line), f)) {
                if (sscanf(line, "%lx-%lx %7s %lx %lx:%lx %lu", &start, &end, perms, &map_off,
                           &major, &minor, &ino) != 7 ||
                    ino != st.st_ino || makedev(major, minor) != st.st_dev)
                        continue;
                mapped = true;
                if (perms[2] == 'x' && offset >= map_off && offset - map_off < end - start) {
                        *addr = (void *)(uintptr_t)(start + (offset - map_off));
                        fclose(f);
                        return 0;
                }
        }
        fclose(f);
        if (!mapped)
                return 1;
        *why = "the offset is not in the file's executable code";
        return -EINVAL;
}

static struct probe_point *point_at(struct bpfaot_agent *a, void *addr)
{
        for (size_t i = 0; i < a->point_cnt; i++)
                if (a->points[i]->addr == addr)
                        return a->points[i];
        return NULL;
}

/*
 * The function of file `path` whose code starts at file offset `offset`
 * (as libbpf turns a symbol into an offset), from its symbol tables: a
 * function an executable does not export has no name dladdr() knows.
 */
static bool symbol_at(const char *path, uint64_t offset, char *name, size_t size)
{
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        Elf_Scn *scn = NULL;
        bool found = false;
        Elf *elf;

        if (fd < 0)
                return false;
        elf_version(EV_CURRENT);
        elf = elf_begin(fd, ELF_C_READ, NULL);
        while (elf && !found && (scn = elf_nextscn(elf, scn))) {
                Elf_Data *data = elf_getdata(scn, NULL);
                GElf_Shdr sh, tsh;
                GElf_Sym sym;

                if (!gelf_getshdr(scn, &sh) ||
                    (sh.sh_type != SHT_SYMTAB && sh.sh_type != SHT_DYNSYM) || !data ||
                    !sh.sh_entsize)
                        continue;
                for (size_t i = 0; !found && i < sh.sh_size / sh.sh_entsize; i++) {
                        Elf_Scn *text;
                        const char *n;

                        if (!gelf_getsym(data, (int)i, &sym) ||
                            GELF_ST_TYPE(sym.st_info) != STT_FUNC || sym.st_shndx == SHN_UNDEF ||
                            sym.st_shndx >= SHN_LORESERVE)
                                continue;
                        text = elf_getscn(elf, sym.st_shndx);
                        if (!text || !gelf_getshdr(text, &tsh) || sym.st_value < tsh.sh_addr ||
                            sym.st_value - tsh.sh_addr + tsh.sh_offset != offset)
                                continue;
                        n = elf_strptr(elf, sh.sh_link, sym.st_name);
                        if (n && *n) {
                                snprintf(name, size, "%s", n);
                                found = true;
                        }
                }
        }
        elf_end(elf);
        close(fd);
        return found;
}

static struct probe_point *point_new(struct bpfaot_agent *a, void *addr,
                                     const struct bpfaot_shm_attach_info *ai)
{
        struct probe_point **n, *p;
        char sym[128];
        Dl_info dl;

        n = realloc(a->points, (a->point_cnt + 1) * sizeof(*n));
        if (!n)
                return NULL;
        a->points = n;
        p = calloc(1, sizeof(*p));
        if (!p)
                return NULL;
        p->agent = a;
        p->addr = addr;
        if (dladdr(addr, &dl) && dl.dli_sname && dl.dli_saddr == addr)
                snprintf(p->name, sizeof(p->name), "%s in %s", dl.dli_sname, ai->target);
        else if (symbol_at(ai->target, ai->offset, sym, sizeof(sym)))
                snprintf(p->name, sizeof(p->name), "%.90s in %s", sym, ai->target);
        else
                snprintf(p->name, sizeof(p->name), "%s+0x%" PRIx64, ai->target, ai->offset);
        a->points[a->point_cnt++] = p;
        return p;
}

static bool listed(const struct probe_list *l, uint32_t attach_id)
{
        for (size_t i = 0; i < l->cnt; i++)
                if (l->attach_id[i] == attach_id)
                        return true;
        return false;
}

/* Patch point p (again, when a return hook is newly needed). */
static int point_patch(struct probe_point *p, char *msg, size_t msg_size)
{
        struct uprobe_opts o = {.sz = sizeof(o), .data = p, .name = p->name};
        bool want_return = p->on_return.cnt > 0;

        if (p->site && (p->has_return || !want_return))
                return 0;
        if (p->site) {
                uprobe__detach(p->site);
                p->site = NULL;
        }
        o.entry = hit_entry;
        o.ret = want_return ? hit_return : NULL;
        p->has_return = want_return;
        return uprobe__attach(p->addr, &o, &p->site, msg, msg_size);
}

/* One attach request: 1 attached now, 0 not for this process or attached before, else -errno. */
static int attach_one(struct bpfaot_agent *a, const struct bpfaot_shm_attach_info *ai,
                      struct attach_run *run)
{
        const char *shm = bpfaot_shm__name(a->shm), *why = NULL;
        bool verbose = run->opts && run->opts->verbose;
        struct bpfaot_error err = {0};
        struct bpfaot_shm_prog_info pi;
        struct probe_point *p;
        struct probe_list *l;
        struct ready_prog *r;
        char msg[512], how[64];
        void *addr = NULL;
        int ret;

        if (ai->pid != -1 && ai->pid != getpid())
                return 0;
        ret = locate(ai->target, ai->offset, &addr, &why);
        if (ret == 1) {
                if (verbose)
                        report(run, "%s attach %u: %s is not mapped in this process", shm, ai->id,
                               ai->target);
                return 0;
        }
        if (ret < 0) {
                report(run, "%s attach %u: %s+0x%" PRIx64 ": %s", shm, ai->id, ai->target,
                       ai->offset, why);
                return ret;
        }
        p = point_at(a, addr);
        l = ai->kind == BPFAOT_SHM_URETPROBE ? (p ? &p->on_return : NULL)
                                             : (p ? &p->on_entry : NULL);
        if (l && listed(l, ai->id))
                return 0;
        ret = bpfaot_shm__prog_info(a->shm, ai->prog_id, &pi);
        ret = ret ?: agent__ready(a, ai->prog_id, &r, &err);
        if (ret) {
                report(run, "%s attach %u: program %u: %s", shm, ai->id, ai->prog_id,
                       err.code ? err.msg : strerror(-ret));
                return ret;
        }
        if (!p) {
                p = point_new(a, addr, ai);
                if (!p)
                        return -ENOMEM;
        }
        l = ai->kind == BPFAOT_SHM_URETPROBE ? &p->on_return : &p->on_entry;
        if (l->cnt == POINT_MAX_PROGS) {
                report(run, "%s attach %u: %s already runs %d programs at %s", shm, ai->id, p->name,
                       POINT_MAX_PROGS, ai->kind == BPFAOT_SHM_URETPROBE ? "return" : "entry");
                return -E2BIG;
        }
        l->prog[l->cnt] = r;
        l->attach_id[l->cnt] = ai->id;
        __atomic_store_n(&l->cnt, l->cnt + 1, __ATOMIC_RELEASE);
        ret = point_patch(p, msg, sizeof(msg));
        if (ret) {
                __atomic_store_n(&l->cnt, l->cnt - 1, __ATOMIC_RELEASE);
                report(run, "%s attach %u: %s", shm, ai->id, msg);
                return ret;
        }
        if (verbose)
                report(run, "%s attach %u: %s %u (%s, %s) at %s", shm, ai->id,
                       ai->kind == BPFAOT_SHM_URETPROBE ? "uretprobe prog" : "uprobe prog",
                       ai->prog_id, pi.name, agent__how(r, how, sizeof(how)), p->name);
        return 1;
}

int bpfaot_agent__attach(struct bpfaot_agent *a, const struct bpfaot_agent_attach_opts *opts)
{
        struct bpfaot_agent_attach_opts o = {0};
        struct attach_run run = {.opts = &o};
        uint32_t id = 0;

        if (!a)
                return -EINVAL;
        if (opts)
                memcpy(&o, opts, opts->sz < sizeof(o) ? opts->sz : sizeof(o));
        agent__lock(a);
        while (bpfaot_shm__next_attach_id(a->shm, id, &id) == 0) {
                struct bpfaot_shm_attach_info ai;
                int ret;

                if (bpfaot_shm__attach_info(a->shm, id, &ai) ||
                    (ai.kind != BPFAOT_SHM_UPROBE && ai.kind != BPFAOT_SHM_URETPROBE))
                        continue;
                ret = attach_one(a, &ai, &run);
                if (ret > 0)
                        run.attached++;
                else if (ret < 0 && !run.err)
                        run.err = ret;
        }
        agent__unlock(a);
        return run.err ? run.err : run.attached;
}

void agent__detach_all(struct bpfaot_agent *a)
{
        for (size_t i = 0; i < a->point_cnt; i++) {
                if (a->points[i]->site)
                        uprobe__detach(a->points[i]->site);
                free(a->points[i]);
        }
        free(a->points);
        a->points = NULL;
        a->point_cnt = 0;
}
