/* SPDX-License-Identifier: MIT */
/*
 * The bpf(2) commands the server answers, as a table: each command's
 * handler reads the attributes the kernel would and answers as the kernel
 * does (a descriptor or 0, or a negative errno). A command without a
 * handler fails with -EINVAL and one log line naming it.
 */
#include "server.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Attributes at least this long (the kernel zero-extends shorter ones; libbpf passes its own size).
 */
static bool attr_has(unsigned int size, size_t end)
{
        return size >= end;
}

#define ATTR_END(field) (offsetof(union bpf_attr, field) + sizeof(((union bpf_attr *)0)->field))

static void *user_ptr(uint64_t p)
{
        return (void *)(uintptr_t)p;
}

static bool is_map_of_maps(uint32_t type)
{
        return type == BPF_MAP_TYPE_ARRAY_OF_MAPS || type == BPF_MAP_TYPE_HASH_OF_MAPS;
}

/*
 * A descriptor that is not the server's object of `kind`: -EBADF when no
 * such descriptor is open, -EINVAL for another file (the kernel's answers).
 */
static long not_an_object(struct server *s, int fd, enum server_obj kind)
{
        if (server_fd_get(s, fd, kind))
                return 0;
        return fcntl(fd, F_GETFD) < 0 ? -EBADF : -EINVAL;
}

/*
 * A map of maps' inner template (MAP_CREATE's inner_map_fd), as the
 * kernel's bpf_map_meta_alloc takes it: a map of the server, not itself a
 * map of maps. *tmpl receives its definition.
 */
static long inner_template(struct server *s, int fd, struct bpfaot_map_def *tmpl)
{
        long err = not_an_object(s, fd, SERVER_OBJ_MAP);
        const struct bpfaot_map_def *d;

        if (err)
                return err;
        d = bpfaot_map__def(server_fd_get(s, fd, SERVER_OBJ_MAP)->map);
        if (is_map_of_maps(d->type))
                return -EINVAL; /* one level of maps in maps */
        *tmpl = (struct bpfaot_map_def){.type = d->type,
                                        .key_size = d->key_size,
                                        .value_size = d->value_size,
                                        .max_entries = d->max_entries,
                                        .map_flags = d->map_flags};
        return 0;
}

static long map_create(struct server *s, union bpf_attr *attr, unsigned int size)
{
        struct bpfaot_shm *shm = server_shm(s);
        char name[BPF_OBJ_NAME_LEN + 1] = {0};
        struct bpfaot_map_def def = {0}, tmpl;
        struct server_fd obj = {.kind = SERVER_OBJ_MAP};
        int err, fd;

        if (!attr_has(size, ATTR_END(map_flags)))
                return -EINVAL;
        if (!shm)
                return -errno;
        if (attr_has(size, ATTR_END(map_name)))
                memcpy(name, attr->map_name, BPF_OBJ_NAME_LEN);
        def.name = name;
        def.type = attr->map_type;
        def.key_size = attr->key_size;
        def.value_size = attr->value_size;
        def.max_entries = attr->max_entries;
        def.map_flags = attr->map_flags;
        if (attr_has(size, ATTR_END(map_extra)))
                def.map_extra = attr->map_extra;
        if (is_map_of_maps(def.type)) {
                err = attr_has(size, ATTR_END(inner_map_fd))
                          ? (int)inner_template(s, (int)attr->inner_map_fd, &tmpl)
                          : -EBADF;
                if (err)
                        return err;
                def.inner = &tmpl;
        }
        err = bpfaot_shm__create_map(shm, &def, &obj.id);
        err = err ?: bpfaot_shm__map(shm, obj.id, &obj.map);
        if (err)
                return err;
        fd = server_fd_new(s, &obj);
        if (fd < 0)
                bpfaot_map__free(obj.map);
        return fd;
}

/* The map behind attr->map_fd. */
static struct bpfaot_map *attr_map(struct server *s, const union bpf_attr *attr)
{
        struct server_fd *e = server_fd_get(s, (int)attr->map_fd, SERVER_OBJ_MAP);

        return e ? e->map : NULL;
}

/* May the syscall side change the map behind attr->map_fd? -EPERM once frozen. */
static long map_writable(struct server *s, const union bpf_attr *attr)
{
        struct server_fd *e = server_fd_get(s, (int)attr->map_fd, SERVER_OBJ_MAP);
        struct bpfaot_shm_map_info mi;

        if (!e)
                return -EBADF;
        if (bpfaot_shm__map_info(s->shm, e->id, &mi) == 0 && mi.frozen)
                return -EPERM;
        return 0;
}

static long map_freeze(struct server *s, union bpf_attr *attr, unsigned int size)
{
        struct server_fd *e = attr_has(size, ATTR_END(map_fd))
                                  ? server_fd_get(s, (int)attr->map_fd, SERVER_OBJ_MAP)
                                  : NULL;

        if (!e)
                return -EBADF;
        if (server_map_mapped_writable(s, e->id))
                return -EBUSY; /* the kernel's writecnt: a writable mapping still exists */
        return bpfaot_shm__freeze_map(s->shm, e->id);
}

static long map_lookup_elem(struct server *s, union bpf_attr *attr, unsigned int size)
{
        struct bpfaot_map *m = attr_has(size, ATTR_END(flags)) ? attr_map(s, attr) : NULL;

        if (!m)
                return -EBADF;
        return bpfaot_map__lookup_copy(m, user_ptr(attr->key), user_ptr(attr->value));
}

/*
 * The program type a PROG_ARRAY's programs must have, as the kernel's
 * owner: that of a program of the segment that loads the array, else of a
 * program in one of its slots; 0 when there is none yet.
 */
static uint32_t prog_array_owner(struct server *s, uint32_t map_id, struct bpfaot_map *m)
{
        struct bpfaot_shm_prog_info pi;
        uint32_t id = 0, slot;

        while (bpfaot_shm__next_map_user(s->shm, map_id, id, &id) == 0)
                if (bpfaot_shm__prog_info(s->shm, id, &pi) == 0)
                        return pi.type;
        for (uint32_t k = 0; k < bpfaot_map__def(m)->max_entries; k++)
                if (bpfaot_map__lookup_copy(m, &k, &slot) == 0 &&
                    bpfaot_shm__prog_info(s->shm, slot, &pi) == 0)
                        return pi.type;
        return 0;
}

/*
 * An update of a PROG_ARRAY or a map of maps: the value is a descriptor
 * (a program's, a map's), stored as its id in the segment, checked as the
 * kernel checks it: the inner map against the template (bpfaot_map__update_inner),
 * the program's type against the array's owner.
 */
static long fd_map_update(struct server *s, const struct server_fd *e, const union bpf_attr *attr)
{
        const struct bpfaot_map_def *d = bpfaot_map__def(e->map);
        struct bpfaot_shm_prog_info pi;
        struct server_fd *v;
        uint32_t owner;
        int32_t fd;
        long err;

        memcpy(&fd, user_ptr(attr->value), sizeof(fd));
        if (is_map_of_maps(d->type)) {
                err = not_an_object(s, fd, SERVER_OBJ_MAP);
                err = err
                          ?: bpfaot_map__update_inner(e->map, user_ptr(attr->key),
                                                      server_fd_get(s, fd, SERVER_OBJ_MAP)->map,
                                                      attr->flags);
                if (!err) /* the map the slot held may go now, if this process closed it */
                        server_orphans_retry(s);
                return err;
        }
        if (attr->flags != BPF_ANY)
                return -EINVAL;
        err = not_an_object(s, fd, SERVER_OBJ_PROG);
        if (err)
                return err;
        v = server_fd_get(s, fd, SERVER_OBJ_PROG);
        err = bpfaot_shm__prog_info(s->shm, v->id, &pi);
        if (err)
                return err;
        owner = prog_array_owner(s, e->id, e->map);
        if (owner && owner != pi.type)
                return -EINVAL;
        return bpfaot_map__update_elem(e->map, user_ptr(attr->key), &v->id, attr->flags);
}

static long map_update_elem(struct server *s, union bpf_attr *attr, unsigned int size)
{
        struct bpfaot_map *m = attr_has(size, ATTR_END(flags)) ? attr_map(s, attr) : NULL;
        uint32_t type;

        if (!m)
                return -EBADF;
        /* A PERF_EVENT_ARRAY's value is a perf event's descriptor (perf_event.c). */
        if (bpfaot_map__def(m)->type == BPF_MAP_TYPE_PERF_EVENT_ARRAY)
                return map_writable(s, attr)
                           ?: server_perf_array_update(s, (int)attr->map_fd, m, user_ptr(attr->key),
                                                       user_ptr(attr->value), attr->flags);
        type = bpfaot_map__def(m)->type;
        if (type == BPF_MAP_TYPE_PROG_ARRAY || is_map_of_maps(type))
                return map_writable(s, attr)
                           ?: fd_map_update(s, server_fd_get(s, (int)attr->map_fd, SERVER_OBJ_MAP),
                                            attr);
        return map_writable(s, attr)
                   ?: bpfaot_map__update_copy(m, user_ptr(attr->key), user_ptr(attr->value),
                                              attr->flags);
}

static long map_delete_elem(struct server *s, union bpf_attr *attr, unsigned int size)
{
        struct bpfaot_map *m = attr_has(size, ATTR_END(key)) ? attr_map(s, attr) : NULL;
        long err;

        if (!m)
                return -EBADF;
        err = map_writable(s, attr) ?: bpfaot_map__delete_elem(m, user_ptr(attr->key));
        if (!err && is_map_of_maps(bpfaot_map__def(m)->type))
                server_orphans_retry(s); /* the map the slot held may go now */
        return err;
}

static long map_get_next_key(struct server *s, union bpf_attr *attr, unsigned int size)
{
        struct bpfaot_map *m = attr_has(size, ATTR_END(next_key)) ? attr_map(s, attr) : NULL;

        if (!m)
                return -EBADF;
        return bpfaot_map__get_next_key(m, attr->key ? user_ptr(attr->key) : NULL,
                                        user_ptr(attr->next_key));
}

static long map_lookup_and_delete_elem(struct server *s, union bpf_attr *attr, unsigned int size)
{
        struct bpfaot_map *m = attr_has(size, ATTR_END(flags)) ? attr_map(s, attr) : NULL;

        if (!m)
                return -EBADF;
        return map_writable(s, attr)
                   ?: bpfaot_map__lookup_and_delete_elem(m, user_ptr(attr->key),
                                                         user_ptr(attr->value), attr->flags);
}

/* OBJ_GET_INFO_BY_FD of a map: struct bpf_map_info, cut to the caller's info_len. */
/* Copy the first `len` bytes the caller asked for (kernel: min(info_len, sizeof)) and say how many.
 */
static long info_out(union bpf_attr *attr, const void *info, size_t size)
{
        uint32_t len = attr->info.info_len < size ? attr->info.info_len : (uint32_t)size;

        memcpy(user_ptr(attr->info.info), info, len);
        attr->info.info_len = len;
        return 0;
}

static long map_info(struct server *s, const struct server_fd *e, union bpf_attr *attr)
{
        struct bpfaot_shm_map_info mi;
        struct bpf_map_info info = {0};
        int err = bpfaot_shm__map_info(s->shm, e->id, &mi);

        if (err)
                return err;
        info.type = mi.type;
        info.id = mi.id;
        info.key_size = mi.key_size;
        info.value_size = mi.value_size;
        info.max_entries = mi.max_entries;
        info.map_flags = mi.map_flags;
        memcpy(info.name, mi.name,
               sizeof(info.name) < sizeof(mi.name) ? sizeof(info.name) : sizeof(mi.name));
        return info_out(attr, &info, sizeof(info));
}

/* The kernel's license_is_gpl_compatible(). */
static bool gpl_compatible(const char *license)
{
        static const char *const gpl[] = {
            "GPL",          "GPL v2",       "GPL and additional rights",
            "Dual BSD/GPL", "Dual MIT/GPL", "Dual MPL/GPL"};

        for (size_t i = 0; i < sizeof(gpl) / sizeof(gpl[0]); i++)
                if (strcmp(license, gpl[i]) == 0)
                        return true;
        return false;
}

/*
 * A program's info as the kernel gives it: type, id, name, license, the
 * maps it loads (by id) and its instructions as stored (a map's load names
 * the map's id, as the kernel's dump does). Arrays are filled up to the
 * lengths the caller gave, and the lengths set to the whole.
 */
static long prog_info(struct server *s, const struct server_fd *e, union bpf_attr *attr)
{
        struct bpf_prog_info info = {0}, in = {0};
        struct bpfaot_shm_prog_info pi;
        const struct bpf_insn *insns;
        uint32_t cnt, nmaps = 0, *ids;
        int err;

        memcpy(&in, user_ptr(attr->info.info),
               attr->info.info_len < sizeof(in) ? attr->info.info_len : sizeof(in));
        err = bpfaot_shm__prog_info(s->shm, e->id, &pi);
        err = err ?: bpfaot_shm__prog_insns(s->shm, e->id, &insns, &cnt);
        if (err)
                return err;
        info.type = pi.type;
        info.id = pi.id;
        memcpy(info.name, pi.name,
               sizeof(info.name) < sizeof(pi.name) ? sizeof(info.name) - 1 : sizeof(pi.name) - 1);
        info.gpl_compatible = gpl_compatible(pi.license);
        info.created_by_uid = getuid();
        info.xlated_prog_len = cnt * (uint32_t)sizeof(*insns);
        if (in.xlated_prog_len && in.xlated_prog_insns)
                memcpy(user_ptr(in.xlated_prog_insns), insns,
                       in.xlated_prog_len < info.xlated_prog_len ? in.xlated_prog_len
                                                                 : info.xlated_prog_len);
        info.xlated_prog_insns = in.xlated_prog_insns;
        /* The maps, each once, in the order the instructions first load them. */
        ids = calloc(cnt ? cnt : 1, sizeof(*ids));
        if (!ids)
                return -ENOMEM;
        for (uint32_t i = 0; i + 1 < cnt; i++) {
                bool seen = false;

                if (insns[i].code != (BPF_LD | BPF_IMM | BPF_DW))
                        continue;
                if (insns[i].src_reg == BPF_PSEUDO_MAP_FD ||
                    insns[i].src_reg == BPF_PSEUDO_MAP_VALUE) {
                        for (uint32_t k = 0; k < nmaps; k++)
                                seen |= ids[k] == (uint32_t)insns[i].imm;
                        if (!seen)
                                ids[nmaps++] = (uint32_t)insns[i].imm;
                }
                i++;
        }
        info.nr_map_ids = nmaps;
        if (in.nr_map_ids && in.map_ids)
                memcpy(user_ptr(in.map_ids), ids,
                       (in.nr_map_ids < nmaps ? in.nr_map_ids : nmaps) * sizeof(*ids));
        info.map_ids = in.map_ids;
        free(ids);
        return info_out(attr, &info, sizeof(info));
}

/* A link's info: a perf event link (uprobe or tracepoint) of its program. */
static long link_info(struct server *s, const struct server_fd *e, union bpf_attr *attr)
{
        struct bpf_link_info info = {0};
        struct bpfaot_shm_attach_info ai;
        int err = bpfaot_shm__attach_info(s->shm, e->id, &ai);

        if (err)
                return err;
        info.type = BPF_LINK_TYPE_PERF_EVENT;
        info.id = ai.id;
        info.prog_id = ai.prog_id;
        return info_out(attr, &info, sizeof(info));
}

static long obj_get_info_by_fd(struct server *s, union bpf_attr *attr, unsigned int size)
{
        static long (*const info_of[])(struct server *, const struct server_fd *,
                                       union bpf_attr *) = {
            [SERVER_OBJ_MAP] = map_info,
            [SERVER_OBJ_PROG] = prog_info,
            [SERVER_OBJ_LINK] = link_info,
        };
        int fd;

        if (!attr_has(size, ATTR_END(info.info)))
                return -EINVAL;
        fd = (int)attr->info.bpf_fd;
        for (size_t k = 0; k < sizeof(info_of) / sizeof(info_of[0]); k++) {
                const struct server_fd *e = server_fd_get(s, fd, (enum server_obj)k);

                if (e && info_of[k])
                        return info_of[k](s, e, attr);
        }
        if (server_fd_get(s, fd, SERVER_OBJ_BTF)) {
                server_log("OBJ_GET_INFO_BY_FD of a BTF object is not supported");
                return -EINVAL;
        }
        /* Not a BPF object: a closed descriptor, else some other file (the kernel's answers). */
        return fcntl(fd, F_GETFD) < 0 ? -EBADF : -EINVAL;
}

/*
 * The map a 64-bit load names, by descriptor (src BPF_PSEUDO_MAP_FD/VALUE)
 * or by index in fd_array (BPF_PSEUDO_MAP_IDX/IDX_VALUE), rewritten to the
 * form the segment keeps: BPF_PSEUDO_MAP_FD/VALUE with the map's id.
 */
static long map_ref_to_id(struct server *s, struct bpf_insn *insn, const int *fd_array)
{
        struct server_fd *e;
        int fd;

        switch (insn->src_reg) {
        case BPF_PSEUDO_MAP_FD:
        case BPF_PSEUDO_MAP_VALUE:
                fd = insn->imm;
                break;
        case BPF_PSEUDO_MAP_IDX:
        case BPF_PSEUDO_MAP_IDX_VALUE:
                if (!fd_array || insn->imm < 0)
                        return -EINVAL;
                fd = fd_array[insn->imm];
                insn->src_reg =
                    insn->src_reg == BPF_PSEUDO_MAP_IDX ? BPF_PSEUDO_MAP_FD : BPF_PSEUDO_MAP_VALUE;
                break;
        default:
                return 0;
        }
        e = server_fd_get(s, fd, SERVER_OBJ_MAP);
        if (!e)
                return -EBADF;
        insn->imm = (int32_t)e->id;
        return 0;
}

/* The verifier's log, when asked for: nothing to say (the program is checked when compiled). */
static void empty_log(union bpf_attr *attr, unsigned int size)
{
        if (attr_has(size, ATTR_END(log_buf)) && attr->log_level && attr->log_buf && attr->log_size)
                *(char *)user_ptr(attr->log_buf) = '\0';
}

/*
 * PROG_LOAD: the program goes into the segment with its maps named by id;
 * `bpf-aot compile` and the agent check and compile it there.
 */
static long prog_load(struct server *s, union bpf_attr *attr, unsigned int size)
{
        struct bpfaot_shm *shm = server_shm(s);
        struct bpfaot_shm_prog_def def = {.sz = sizeof(def)};
        char name[BPF_OBJ_NAME_LEN + 1] = {0}, license[BPFAOT_SHM_LICENSE_LEN] = {0};
        struct server_fd obj = {.kind = SERVER_OBJ_PROG};
        const int *fd_array = NULL;
        struct bpf_insn *insns;
        long err = 0;
        int fd;

        if (!attr_has(size, ATTR_END(license)) || !attr->insn_cnt || !attr->insns)
                return -EINVAL;
        if (!shm)
                return -errno;
        if (attr->insn_cnt > (1u << 20))
                return -E2BIG;
        if (attr_has(size, ATTR_END(prog_name)))
                memcpy(name, attr->prog_name, BPF_OBJ_NAME_LEN);
        if (attr->license)
                strncpy(license, user_ptr(attr->license), sizeof(license) - 1);
        if (attr_has(size, ATTR_END(fd_array)) && attr->fd_array)
                fd_array = user_ptr(attr->fd_array);
        insns = malloc(attr->insn_cnt * sizeof(*insns));
        if (!insns)
                return -ENOMEM;
        memcpy(insns, user_ptr(attr->insns), attr->insn_cnt * sizeof(*insns));
        for (uint32_t i = 0; !err && i < attr->insn_cnt; i++) {
                if (insns[i].code != (BPF_LD | BPF_IMM | BPF_DW))
                        continue;
                err = map_ref_to_id(s, &insns[i], fd_array);
                i++;
        }
        def.name = name;
        def.type = attr->prog_type;
        def.expected_attach_type =
            attr_has(size, ATTR_END(expected_attach_type)) ? attr->expected_attach_type : 0;
        def.insns = insns;
        def.insn_cnt = attr->insn_cnt;
        def.license = license;
        err = err ?: bpfaot_shm__create_prog(shm, &def, &obj.id);
        free(insns);
        if (err)
                return err;
        empty_log(attr, size);
        fd = server_fd_new(s, &obj);
        if (fd < 0)
                bpfaot_shm__release_prog(shm, obj.id);
        return fd;
}

/*
 * BTF_LOAD: taken as a kernel with every BTF kind takes it. The maps and
 * programs bpf-aot runs need no BTF from the loader (bpf-aot compile reads
 * the object's own); the descriptor only stands for it.
 */
static long btf_load(struct server *s, union bpf_attr *attr, unsigned int size)
{
        struct server_fd obj = {.kind = SERVER_OBJ_BTF};

        if (!attr_has(size, ATTR_END(btf_size)) || !attr->btf || !attr->btf_size)
                return -EINVAL;
        if (attr_has(size, ATTR_END(btf_log_level)) && attr->btf_log_level && attr->btf_log_buf &&
            attr->btf_log_size)
                *(char *)user_ptr(attr->btf_log_buf) = '\0';
        return server_fd_new(s, &obj);
}

/* PROG_BIND_MAP: a program keeps a map it does not load alive; ours live as long as the segment. */
static long prog_bind_map(struct server *s, union bpf_attr *attr, unsigned int size)
{
        if (!attr_has(size, ATTR_END(prog_bind_map.flags)) || attr->prog_bind_map.flags)
                return -EINVAL;
        if (!server_fd_get(s, (int)attr->prog_bind_map.prog_fd, SERVER_OBJ_PROG) ||
            !server_fd_get(s, (int)attr->prog_bind_map.map_fd, SERVER_OBJ_MAP))
                return -EBADF;
        return 0;
}

/*
 * LINK_CREATE of a program to a uprobe perf event (BPF_PERF_EVENT): an
 * attach request in the segment, standing as long as the link. Any other
 * link is not answered.
 */
static long link_create(struct server *s, union bpf_attr *attr, unsigned int size)
{
        struct server_fd obj = {.kind = SERVER_OBJ_LINK};
        long err;
        int fd;

        if (!attr_has(size, ATTR_END(link_create.flags)))
                return -EINVAL;
        if (attr->link_create.attach_type != BPF_PERF_EVENT) {
                server_log("LINK_CREATE of attach type %u is not supported",
                           attr->link_create.attach_type);
                return -EINVAL;
        }
        err = server_attach(s, (int)attr->link_create.prog_fd, (int)attr->link_create.target_fd,
                            &obj.id);
        if (err)
                return err;
        fd = server_fd_new(s, &obj);
        if (fd < 0)
                bpfaot_shm__release_attach(s->shm, obj.id);
        return fd;
}

typedef long (*bpf_cmd_fn)(struct server *s, union bpf_attr *attr, unsigned int size);

static const struct {
        const char *name;
        bpf_cmd_fn fn; /* NULL: not answered */
} cmds[] = {
    [BPF_MAP_CREATE] = {"MAP_CREATE", map_create},
    [BPF_MAP_LOOKUP_ELEM] = {"MAP_LOOKUP_ELEM", map_lookup_elem},
    [BPF_MAP_UPDATE_ELEM] = {"MAP_UPDATE_ELEM", map_update_elem},
    [BPF_MAP_DELETE_ELEM] = {"MAP_DELETE_ELEM", map_delete_elem},
    [BPF_MAP_GET_NEXT_KEY] = {"MAP_GET_NEXT_KEY", map_get_next_key},
    [BPF_PROG_LOAD] = {"PROG_LOAD", prog_load},
    [BPF_OBJ_PIN] = {"OBJ_PIN", NULL},
    [BPF_OBJ_GET] = {"OBJ_GET", NULL},
    [BPF_PROG_ATTACH] = {"PROG_ATTACH", server_prog_attach},
    [BPF_PROG_DETACH] = {"PROG_DETACH", server_prog_detach},
    [BPF_PROG_TEST_RUN] = {"PROG_TEST_RUN", NULL},
    [BPF_PROG_GET_NEXT_ID] = {"PROG_GET_NEXT_ID", NULL},
    [BPF_MAP_GET_NEXT_ID] = {"MAP_GET_NEXT_ID", NULL},
    [BPF_PROG_GET_FD_BY_ID] = {"PROG_GET_FD_BY_ID", NULL},
    [BPF_MAP_GET_FD_BY_ID] = {"MAP_GET_FD_BY_ID", NULL},
    [BPF_OBJ_GET_INFO_BY_FD] = {"OBJ_GET_INFO_BY_FD", obj_get_info_by_fd},
    [BPF_PROG_QUERY] = {"PROG_QUERY", NULL},
    [BPF_RAW_TRACEPOINT_OPEN] = {"RAW_TRACEPOINT_OPEN", NULL},
    [BPF_BTF_LOAD] = {"BTF_LOAD", btf_load},
    [BPF_BTF_GET_FD_BY_ID] = {"BTF_GET_FD_BY_ID", NULL},
    [BPF_TASK_FD_QUERY] = {"TASK_FD_QUERY", NULL},
    [BPF_MAP_LOOKUP_AND_DELETE_ELEM] = {"MAP_LOOKUP_AND_DELETE_ELEM", map_lookup_and_delete_elem},
    [BPF_MAP_FREEZE] = {"MAP_FREEZE", map_freeze},
    [BPF_BTF_GET_NEXT_ID] = {"BTF_GET_NEXT_ID", NULL},
    [BPF_MAP_LOOKUP_BATCH] = {"MAP_LOOKUP_BATCH", NULL},
    [BPF_MAP_LOOKUP_AND_DELETE_BATCH] = {"MAP_LOOKUP_AND_DELETE_BATCH", NULL},
    [BPF_MAP_UPDATE_BATCH] = {"MAP_UPDATE_BATCH", NULL},
    [BPF_MAP_DELETE_BATCH] = {"MAP_DELETE_BATCH", NULL},
    [BPF_LINK_CREATE] = {"LINK_CREATE", link_create},
    [BPF_LINK_UPDATE] = {"LINK_UPDATE", NULL},
    [BPF_LINK_GET_FD_BY_ID] = {"LINK_GET_FD_BY_ID", NULL},
    [BPF_LINK_GET_NEXT_ID] = {"LINK_GET_NEXT_ID", NULL},
    [BPF_ENABLE_STATS] = {"ENABLE_STATS", NULL},
    [BPF_ITER_CREATE] = {"ITER_CREATE", NULL},
    [BPF_LINK_DETACH] = {"LINK_DETACH", NULL},
    [BPF_PROG_BIND_MAP] = {"PROG_BIND_MAP", prog_bind_map},
};

long server_bpf(struct server *s, int cmd, union bpf_attr *attr, unsigned int size)
{
        bool known = cmd >= 0 && (size_t)cmd < sizeof(cmds) / sizeof(cmds[0]) && cmds[cmd].name;

        if (!attr)
                return -EFAULT;
        if (known && cmds[cmd].fn)
                return cmds[cmd].fn(s, attr, size);
        if (known)
                server_log("bpf command %s (%d) is not supported", cmds[cmd].name, cmd);
        else
                server_log("bpf command %d is not supported", cmd);
        return -EINVAL;
}
