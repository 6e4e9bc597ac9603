/* SPDX-License-Identifier: MIT */
/*
 * BPF_PROG_ATTACH and BPF_PROG_DETACH: a program attached to a container
 * object (a cgroup, a sockmap, the network namespace, a lirc device)
 * rather than through a link. The server checks what the kernel would —
 * the attach type is known and takes the program's type, the target is of
 * the kind the attach type needs, the flags go together and agree with
 * what is attached there already — and records an attach request
 * (BPFAOT_SHM_PROG_ATTACH) in the segment, which stands until PROG_DETACH
 * (as the kernel's: closing the program's descriptor does not detach it).
 * Requests are found by target and attach type in the segment, so any
 * process may detach what another attached.
 */
#define _GNU_SOURCE
#include "server.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

/* What an attach type attaches to. */
enum target_kind {
        TARGET_CGROUP = 1, /* target_fd: a cgroup v2 directory */
        TARGET_MAP,        /* target_fd: a map (a sockmap or sockhash) */
        TARGET_NETNS,      /* the caller's network namespace (target_fd 0) */
        TARGET_DEVICE,     /* target_fd: a character device (lirc) */
};

/*
 * The attach types PROG_ATTACH takes, as the kernel's
 * attach_type_to_prog_type(): the program type each needs, its target,
 * and whether the program must have been loaded for exactly this attach
 * type (expected_attach_type), as the kernel checks for these types.
 */
static const struct {
        uint32_t prog_type;
        enum target_kind target;
        bool exact;
} attach_types[] = {
    [BPF_CGROUP_INET_INGRESS] = {BPF_PROG_TYPE_CGROUP_SKB, TARGET_CGROUP, false},
    [BPF_CGROUP_INET_EGRESS] = {BPF_PROG_TYPE_CGROUP_SKB, TARGET_CGROUP, false},
    [BPF_CGROUP_INET_SOCK_CREATE] = {BPF_PROG_TYPE_CGROUP_SOCK, TARGET_CGROUP, true},
    [BPF_CGROUP_INET_SOCK_RELEASE] = {BPF_PROG_TYPE_CGROUP_SOCK, TARGET_CGROUP, true},
    [BPF_CGROUP_INET4_POST_BIND] = {BPF_PROG_TYPE_CGROUP_SOCK, TARGET_CGROUP, true},
    [BPF_CGROUP_INET6_POST_BIND] = {BPF_PROG_TYPE_CGROUP_SOCK, TARGET_CGROUP, true},
    [BPF_CGROUP_INET4_BIND] = {BPF_PROG_TYPE_CGROUP_SOCK_ADDR, TARGET_CGROUP, true},
    [BPF_CGROUP_INET6_BIND] = {BPF_PROG_TYPE_CGROUP_SOCK_ADDR, TARGET_CGROUP, true},
    [BPF_CGROUP_INET4_CONNECT] = {BPF_PROG_TYPE_CGROUP_SOCK_ADDR, TARGET_CGROUP, true},
    [BPF_CGROUP_INET6_CONNECT] = {BPF_PROG_TYPE_CGROUP_SOCK_ADDR, TARGET_CGROUP, true},
    [BPF_CGROUP_INET4_GETPEERNAME] = {BPF_PROG_TYPE_CGROUP_SOCK_ADDR, TARGET_CGROUP, true},
    [BPF_CGROUP_INET6_GETPEERNAME] = {BPF_PROG_TYPE_CGROUP_SOCK_ADDR, TARGET_CGROUP, true},
    [BPF_CGROUP_INET4_GETSOCKNAME] = {BPF_PROG_TYPE_CGROUP_SOCK_ADDR, TARGET_CGROUP, true},
    [BPF_CGROUP_INET6_GETSOCKNAME] = {BPF_PROG_TYPE_CGROUP_SOCK_ADDR, TARGET_CGROUP, true},
    [BPF_CGROUP_UDP4_SENDMSG] = {BPF_PROG_TYPE_CGROUP_SOCK_ADDR, TARGET_CGROUP, true},
    [BPF_CGROUP_UDP6_SENDMSG] = {BPF_PROG_TYPE_CGROUP_SOCK_ADDR, TARGET_CGROUP, true},
    [BPF_CGROUP_UDP4_RECVMSG] = {BPF_PROG_TYPE_CGROUP_SOCK_ADDR, TARGET_CGROUP, true},
    [BPF_CGROUP_UDP6_RECVMSG] = {BPF_PROG_TYPE_CGROUP_SOCK_ADDR, TARGET_CGROUP, true},
    [BPF_CGROUP_SOCK_OPS] = {BPF_PROG_TYPE_SOCK_OPS, TARGET_CGROUP, false},
    [BPF_CGROUP_DEVICE] = {BPF_PROG_TYPE_CGROUP_DEVICE, TARGET_CGROUP, false},
    [BPF_CGROUP_SYSCTL] = {BPF_PROG_TYPE_CGROUP_SYSCTL, TARGET_CGROUP, false},
    [BPF_CGROUP_GETSOCKOPT] = {BPF_PROG_TYPE_CGROUP_SOCKOPT, TARGET_CGROUP, true},
    [BPF_CGROUP_SETSOCKOPT] = {BPF_PROG_TYPE_CGROUP_SOCKOPT, TARGET_CGROUP, true},
    [BPF_LSM_CGROUP] = {BPF_PROG_TYPE_LSM, TARGET_CGROUP, true},
    [BPF_SK_SKB_STREAM_PARSER] = {BPF_PROG_TYPE_SK_SKB, TARGET_MAP, false},
    [BPF_SK_SKB_STREAM_VERDICT] = {BPF_PROG_TYPE_SK_SKB, TARGET_MAP, false},
    [BPF_SK_SKB_VERDICT] = {BPF_PROG_TYPE_SK_SKB, TARGET_MAP, false},
    [BPF_SK_MSG_VERDICT] = {BPF_PROG_TYPE_SK_MSG, TARGET_MAP, false},
    [BPF_FLOW_DISSECTOR] = {BPF_PROG_TYPE_FLOW_DISSECTOR, TARGET_NETNS, false},
    [BPF_LIRC_MODE2] = {BPF_PROG_TYPE_LIRC_MODE2, TARGET_DEVICE, false},
};

#define ATTACH_FLAGS (BPF_F_ALLOW_OVERRIDE | BPF_F_ALLOW_MULTI | BPF_F_REPLACE)

/* Where a request is: a map of the segment, else a file's path. */
struct target {
        uint32_t map_id;
        char path[BPFAOT_SHM_TARGET_LEN];
};

/* Does PROG_ATTACH take attach type `type`? */
static bool attach_type_known(uint32_t type)
{
        return type < sizeof(attach_types) / sizeof(attach_types[0]) &&
               attach_types[type].prog_type;
}

/* The path of descriptor `fd` (or of `link`, a /proc/self name). */
static long link_path(const char *cmd, const char *link, char *path)
{
        ssize_t n = readlink(link, path, BPFAOT_SHM_TARGET_LEN);

        if (n < 0)
                return -errno;
        if (n >= BPFAOT_SHM_TARGET_LEN) {
                server_log("%s: the target's path is longer than %d bytes", cmd,
                           BPFAOT_SHM_TARGET_LEN - 1);
                return -ENAMETOOLONG;
        }
        path[n] = '\0';
        return 0;
}

/* Does `fd` stand for something of the server's (they are all open on /dev/null, a device)? */
static bool server_owned(struct server *s, int fd)
{
        for (int k = SERVER_OBJ_MAP; k <= SERVER_OBJ_LINK; k++)
                if (server_fd_get(s, fd, (enum server_obj)k))
                        return true;
        return false;
}

/* The target `target_fd` stands for, checked to be what attach type `type` needs. */
static long target_get(struct server *s, const char *cmd, uint32_t type, int fd, struct target *t)
{
        enum target_kind kind = attach_types[type].target;
        struct server_fd *map;
        bool owned;
        char link[64];
        struct statfs sfs;
        struct stat st;

        memset(t, 0, sizeof(*t));
        if (kind == TARGET_NETNS) {
                if (fd) { /* the kernel takes the caller's namespace, and no descriptor */
                        server_log("%s: target_fd %d given for the network namespace", cmd, fd);
                        return -EINVAL;
                }
                return link_path(cmd, "/proc/self/ns/net", t->path);
        }
        if (fcntl(fd, F_GETFD) < 0) {
                server_log("%s: target_fd %d is not an open descriptor", cmd, fd);
                return -EBADF;
        }
        map = server_fd_get(s, fd, SERVER_OBJ_MAP);
        if (kind == TARGET_MAP) {
                if (!map) {
                        server_log("%s: target_fd %d is not a map", cmd, fd);
                        return -EINVAL;
                }
                t->map_id = map->id;
                snprintf(t->path, sizeof(t->path), "map %u", map->id);
                return 0;
        }
        owned = server_owned(s, fd);
        if (kind == TARGET_CGROUP &&
            (owned || fstatfs(fd, &sfs) < 0 || sfs.f_type != CGROUP2_SUPER_MAGIC)) {
                server_log("%s: target_fd %d is not a cgroup v2 directory", cmd, fd);
                return -EBADF;
        }
        if (kind == TARGET_DEVICE && (owned || fstat(fd, &st) < 0 || !S_ISCHR(st.st_mode))) {
                server_log("%s: target_fd %d is not a device", cmd, fd);
                return -EINVAL;
        }
        snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
        return link_path(cmd, link, t->path);
}

/* The segment's program behind descriptor `fd`: -EBADF (no descriptor), -EINVAL (no program). */
static long prog_get(struct server *s, const char *cmd, const char *field, int fd,
                     struct bpfaot_shm_prog_info *pi)
{
        struct server_fd *e = server_fd_get(s, fd, SERVER_OBJ_PROG);

        if (!e && fcntl(fd, F_GETFD) < 0) {
                server_log("%s: %s %d is not an open descriptor", cmd, field, fd);
                return -EBADF;
        }
        if (!e || bpfaot_shm__prog_info(s->shm, e->id, pi)) {
                server_log("%s: %s %d is not a program", cmd, field, fd);
                return -EINVAL;
        }
        return 0;
}

/* Does attach request `ai` stand at target `t` for attach type `type`? */
static bool request_at(const struct bpfaot_shm_attach_info *ai, const struct target *t,
                       uint32_t type)
{
        return ai->kind == BPFAOT_SHM_PROG_ATTACH && ai->attach_type == type &&
               ai->target_map_id == t->map_id && (t->map_id || strcmp(ai->target, t->path) == 0);
}

/* What stands at a target for an attach type. */
struct at_target {
        uint32_t cnt;     /* requests */
        uint32_t flags;   /* the attach flags they were made with */
        uint32_t any;     /* the id of one of them */
        uint32_t of_prog; /* the id of the one of the program asked about, or 0 */
};

static struct at_target requests_at(struct server *s, const struct target *t, uint32_t type,
                                    uint32_t prog_id)
{
        struct at_target at = {0};
        struct bpfaot_shm_attach_info ai;

        for (uint32_t id = 0; bpfaot_shm__next_attach_id(s->shm, id, &id) == 0;) {
                if (bpfaot_shm__attach_info(s->shm, id, &ai) || !request_at(&ai, t, type))
                        continue;
                at.cnt++;
                at.flags = ai.attach_flags;
                at.any = id;
                if (prog_id && ai.prog_id == prog_id)
                        at.of_prog = id;
        }
        return at;
}

/*
 * The attach flags, alone and against the requests already at the target,
 * as the kernel judges them: 0 and the request the new one replaces (0:
 * none) in *replace; 1 when the program stands there already, alone (the
 * kernel replaces it by itself); else a negative errno.
 */
static long flags_check(struct server *s, const union bpf_attr *attr, const struct target *t,
                        const struct bpfaot_shm_prog_info *pi, uint32_t *replace)
{
        uint32_t flags = attr->attach_flags, type = attr->attach_type;
        bool cgroup = attach_types[type].target == TARGET_CGROUP;
        struct bpfaot_shm_prog_info old;
        struct at_target at;
        long err;

        *replace = 0;
        if ((flags & ~ATTACH_FLAGS) ||
            ((flags & BPF_F_ALLOW_OVERRIDE) && (flags & BPF_F_ALLOW_MULTI)) ||
            !(flags & BPF_F_REPLACE) != !attr->replace_bpf_fd ||
            ((flags & BPF_F_REPLACE) && !(flags & BPF_F_ALLOW_MULTI)) ||
            (!cgroup && (flags || attr->replace_bpf_fd))) {
                server_log("PROG_ATTACH: attach_flags 0x%x with replace_bpf_fd %u are not valid "
                           "for %s",
                           flags, attr->replace_bpf_fd, cgroup ? "a cgroup" : "this target");
                return -EINVAL;
        }
        at = requests_at(s, t, type, pi->id);
        if (at.cnt && at.flags != (flags & ~BPF_F_REPLACE)) {
                server_log("PROG_ATTACH: %s has programs attached with flags 0x%x, not 0x%x",
                           t->path, at.flags, flags & ~BPF_F_REPLACE);
                return -EPERM;
        }
        if (!(flags & BPF_F_ALLOW_MULTI)) {
                /* One program at a target: the new one takes the old one's place. */
                if (at.of_prog)
                        return 1;
                *replace = at.any;
                return 0;
        }
        if (at.of_prog) {
                server_log("PROG_ATTACH: program %u is attached to %s already", pi->id, t->path);
                return -EEXIST;
        }
        if (flags & BPF_F_REPLACE) {
                err = prog_get(s, "PROG_ATTACH", "replace_bpf_fd", (int)attr->replace_bpf_fd, &old);
                if (err)
                        return err;
                *replace = requests_at(s, t, type, old.id).of_prog;
                if (!*replace) {
                        server_log("PROG_ATTACH: program %u (replace_bpf_fd) is not attached to %s",
                                   old.id, t->path);
                        return -ENOENT;
                }
        }
        return 0;
}

/* The program's load-time attach type, as the kernel fixes up a CGROUP_SOCK program's 0. */
static uint32_t expected_attach_type(const struct bpfaot_shm_prog_info *pi)
{
        if (pi->type == BPF_PROG_TYPE_CGROUP_SOCK && pi->expected_attach_type == 0)
                return BPF_CGROUP_INET_SOCK_CREATE;
        return pi->expected_attach_type;
}

/* PROG_ATTACH's attributes end at replace_bpf_fd; PROG_DETACH's at attach_type. */
static bool attr_tail_zero(const union bpf_attr *attr, unsigned int size, size_t end)
{
        for (size_t i = end; i < size && i < sizeof(*attr); i++)
                if (((const char *)attr)[i])
                        return false;
        return true;
}

#define ATTR_END(field) (offsetof(union bpf_attr, field) + sizeof(((union bpf_attr *)0)->field))

/*
 * The attach type of a PROG_ATTACH or PROG_DETACH (`attr`, the caller's
 * `uattr` of `size` bytes as read), checked; and that the caller set no
 * field past the command's (`end`), as the kernel checks.
 */
static long attach_type_check(const char *cmd, const union bpf_attr *uattr,
                              const union bpf_attr *attr, unsigned int size, size_t end)
{
        if (!attr_tail_zero(uattr, size, end)) {
                server_log("%s: attributes past its own fields are set", cmd);
                return -EINVAL;
        }
        if (!attach_type_known(attr->attach_type)) {
                server_log("%s: attach type %u is not one PROG_ATTACH takes", cmd,
                           attr->attach_type);
                return -EINVAL;
        }
        return 0;
}

/* The caller's attributes, as the kernel reads them: what `size` leaves out is zero. */
static union bpf_attr attr_copy(const union bpf_attr *attr, unsigned int size)
{
        union bpf_attr a;

        memset(&a, 0, sizeof(a));
        memcpy(&a, attr, size < sizeof(a) ? size : sizeof(a));
        return a;
}

long server_prog_attach(struct server *s, union bpf_attr *uattr, unsigned int size)
{
        struct bpfaot_shm_attach_def def = {.sz = sizeof(def), .kind = BPFAOT_SHM_PROG_ATTACH};
        union bpf_attr a = attr_copy(uattr, size), *attr = &a;
        uint32_t type = attr->attach_type, replace = 0, id;
        struct bpfaot_shm_prog_info pi;
        struct target t;
        long err;

        if (!server_shm(s))
                return -errno;
        err = attach_type_check("PROG_ATTACH", uattr, attr, size, ATTR_END(replace_bpf_fd));
        err = err ?: prog_get(s, "PROG_ATTACH", "attach_bpf_fd", (int)attr->attach_bpf_fd, &pi);
        if (err)
                return err;
        if (pi.type != attach_types[type].prog_type ||
            (attach_types[type].exact && expected_attach_type(&pi) != type)) {
                server_log("PROG_ATTACH: program %u (type %u, expected attach type %u) cannot be "
                           "attached as attach type %u",
                           pi.id, pi.type, pi.expected_attach_type, type);
                return -EINVAL;
        }
        err = target_get(s, "PROG_ATTACH", type, (int)attr->target_fd, &t);
        err = err ?: flags_check(s, attr, &t, &pi, &replace);
        if (err)
                return err < 0 ? err : 0;
        def.prog_id = pi.id;
        def.pid = -1;
        def.attach_type = type;
        def.attach_flags = attr->attach_flags & ~BPF_F_REPLACE;
        def.target_map_id = t.map_id;
        def.target = t.map_id ? NULL : t.path;
        err = bpfaot_shm__create_attach(s->shm, &def, &id);
        if (err) {
                server_log("PROG_ATTACH: cannot record the request: %s", strerror((int)-err));
                return err;
        }
        if (replace) {
                bpfaot_shm__release_attach(s->shm, replace);
                server_orphans_retry(s);
        }
        return 0;
}

long server_prog_detach(struct server *s, union bpf_attr *uattr, unsigned int size)
{
        union bpf_attr a = attr_copy(uattr, size), *attr = &a;
        struct bpfaot_shm_prog_info pi = {0};
        struct at_target at;
        struct target t;
        uint32_t id;
        long err;

        if (!server_shm(s))
                return -errno;
        err = attach_type_check("PROG_DETACH", uattr, attr, size, ATTR_END(attach_type));
        /* attach_bpf_fd 0: none given (the only program at the target). */
        if (!err && attr->attach_bpf_fd)
                err = prog_get(s, "PROG_DETACH", "attach_bpf_fd", (int)attr->attach_bpf_fd, &pi);
        err = err ?: target_get(s, "PROG_DETACH", attr->attach_type, (int)attr->target_fd, &t);
        if (err)
                return err;
        at = requests_at(s, &t, attr->attach_type, pi.id);
        id = pi.id ? at.of_prog : at.cnt == 1 ? at.any : 0;
        if (!id && !pi.id && at.cnt > 1) {
                server_log(
                    "PROG_DETACH: %u programs are attached to %s: attach_bpf_fd must name one",
                    at.cnt, t.path);
                return -EINVAL;
        }
        if (!id) {
                if (pi.id)
                        server_log("PROG_DETACH: program %u is not attached to %s", pi.id, t.path);
                else
                        server_log("PROG_DETACH: nothing is attached to %s", t.path);
                return -ENOENT;
        }
        bpfaot_shm__release_attach(s->shm, id);
        server_orphans_retry(s);
        return 0;
}
