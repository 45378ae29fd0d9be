/*
 * checkpoint.c — a DAG's state to the store and back, operator by operator.
 *
 * dag.h snapshots a whole DAG into one blob whose operators are known by
 * their place in the plan; a checkpoint needs each operator's bytes on
 * their own, known by fingerprint. So this file walks the DAG itself,
 * through the public operator table (vg_dag_op, op->kind->snapshot and
 * restore), the way vg_dag_snapshot does.
 *
 * At open, the plan's stateful nodes are listed with their fingerprints
 * and, for nodes that share one (two views that compute the same thing
 * over the same input), a sequence number in plan order; the list is
 * sorted as the store returns operator rows (node_fp, seq), so loading is
 * a merge of two sorted lists.
 */
#include "engine/checkpoint.h"

#include <errno.h>
#include <signal.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "engine/registry.h"

/* A stateful node of the plan. */
typedef struct ckpt_node {
    uint32_t id;        /* its plan node id (vg_dag_op) */
    uint32_t seq;       /* among the nodes with the same fingerprint, in plan order */
    char fp[VG_FP_HEX]; /* its fingerprint */
} ckpt_node;

struct vg_checkpoints {
    vg_store *st;            /* borrowed */
    const vg_plan *plan;     /* borrowed */
    char *pipeline;          /* owned */
    char plan_fp[VG_FP_HEX]; /* the plan's fingerprint */
    uint32_t keep;           /* checkpoints kept per pipeline */
    uint32_t nnodes;         /* stateful nodes */
    ckpt_node *nodes;        /* sorted by (fp, seq) */
    const vg_store_sql *sql; /* the plan's SQL files (borrowed), or NULL */
    uint32_t nsql;
    struct vg_registry *registry; /* whose versions are recorded (borrowed), or NULL */
};

static int nomem(vg_error *err) { return vg_error_set(err, VG_ERR_NOMEM, "out of memory"); }

static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Whether plan node n runs an operator kind with state. */
static bool stateful(const vg_plan_node *n)
{
    const vg_op_kind *k = vg_op_kind_for(n->kind);
    return k && k->snapshot;
}

static int node_cmp(const void *a, const void *b)
{
    const ckpt_node *x = a, *y = b;
    int c = strcmp(x->fp, y->fp);
    return c ? c : (x->seq > y->seq) - (x->seq < y->seq);
}

/* c->nodes from the plan's fingerprints fps. */
static int list_nodes(vg_checkpoints *c, const vg_fp *fps, vg_error *err)
{
    const vg_plan *p = c->plan;
    c->nodes = vg_calloc(VG_MEM_STATE, p->nnodes ? p->nnodes : 1, sizeof *c->nodes);
    if (!c->nodes)
        return nomem(err);
    for (uint32_t i = 0; i < p->nnodes; i++) {
        if (!stateful(p->nodes[i]))
            continue;
        ckpt_node *n = &c->nodes[c->nnodes];
        n->id = i;
        vg_plan_fp_format(fps[i], n->fp);
        for (uint32_t j = 0; j < c->nnodes; j++)
            n->seq += strcmp(c->nodes[j].fp, n->fp) == 0;
        c->nnodes++;
    }
    qsort(c->nodes, c->nnodes, sizeof *c->nodes, node_cmp);
    return 0;
}

vg_checkpoints *vg_checkpoint_open(vg_store *st, const char *pipeline, const vg_plan *plan,
                                   vg_error *err)
{
    vg_checkpoints *c = vg_calloc(VG_MEM_STATE, 1, sizeof *c);
    vg_fp *fps = vg_calloc(VG_MEM_STATE, plan->nnodes ? plan->nnodes : 1, sizeof *fps);
    if (!c || !fps || !(c->pipeline = vg_strdup(VG_MEM_STATE, pipeline))) {
        nomem(err);
        goto fail;
    }
    c->st = st;
    c->plan = plan;
    c->keep = VG_CHECKPOINT_KEEP;
    vg_fp plan_fp;
    if (vg_plan_fingerprint(plan, &plan_fp, fps, err) < 0 || list_nodes(c, fps, err) < 0)
        goto fail;
    vg_plan_fp_format(plan_fp, c->plan_fp);
    vg_free(fps);
    return c;
fail:
    vg_free(fps);
    vg_checkpoint_close(c);
    return NULL;
}

void vg_checkpoint_close(vg_checkpoints *c)
{
    if (!c)
        return;
    vg_free(c->nodes);
    vg_free(c->pipeline);
    vg_free(c);
}

void vg_checkpoint_set_keep(vg_checkpoints *c, uint32_t keep) { c->keep = keep ? keep : 1; }

void vg_checkpoint_set_sql(vg_checkpoints *c, const vg_store_sql *sql, uint32_t n)
{
    c->sql = n ? sql : NULL;
    c->nsql = n;
}

void vg_checkpoint_set_registry(vg_checkpoints *c, struct vg_registry *reg) { c->registry = reg; }

const char *vg_checkpoint_plan_fp(const vg_checkpoints *c) { return c->plan_fp; }

/* ---- writing ---- */

struct vg_checkpoint_snap;
static int fork_ops(vg_checkpoints *c, vg_dag *d, struct vg_checkpoint_snap *s);

/* What a checkpoint write takes from the pipeline, to commit later. */
struct vg_checkpoint_snap {
    vg_buf state;          /* every stateful operator's bytes, one after another */
    vg_store_ckpt_op *ops; /* one per stateful node (c->nodes order), state in state.p */
    uint32_t nops;
    vg_store_offset *offsets; /* copies of the caller's */
    uint32_t noffsets;
    vg_store_sink_pos *sinks; /* the caller's, then the DAG's other channels, with rows */
    uint32_t nsinks;
    uint64_t late_rows;  /* the DAG's */
    vg_store_version *versions; /* the registry's active versions then */
    uint32_t nversions;
    vg_arena *strings;   /* the offsets', sinks' and versions' strings */
    int64_t snapshot_us; /* how long taking it took */
    int64_t epoch;       /* the epoch wanted (vg_checkpoint_snap_set_epoch); 0: the next */
    pid_t pid;           /* vg_checkpoint_take_forked: the child serialising the operators,
                            until reaped; 0: none */
    int fd;              /* ... the memory file it writes them to; -1: none */
    void *map;           /* ... that file mapped once the child is done; NULL: not mapped */
    size_t maplen;       /* its bytes */
    uint64_t bytes;      /* the operators' state bytes */
    int64_t forked_us;   /* ... monotonic time of the fork */
    int64_t serialise_us; /* ... from the fork to the child's exit, as its waiter saw it */
    int64_t child_cpu_us; /* ... the child's CPU time (user and system) */
};

/* Every stateful operator's snapshot appended to s->state, its row in
 * s->ops (state as an offset into the buffer until it stops moving). */
static int snapshot_ops(vg_checkpoints *c, vg_dag *d, vg_checkpoint_snap *s, vg_error *err)
{
    for (uint32_t i = 0; i < c->nnodes; i++) {
        const ckpt_node *n = &c->nodes[i];
        vg_op *op = vg_dag_op(d, n->id);
        size_t at = s->state.len;
        if (op->kind->snapshot(op, &s->state, err) < 0)
            return -1;
        s->ops[i] = (vg_store_ckpt_op){.node_fp = n->fp,
                                       .seq = n->seq,
                                       .kind = op->kind->name,
                                       .name = op->node->name,
                                       .wm = op->wm,
                                       .state = (const void *)(uintptr_t)at,
                                       .size = s->state.len - at};
    }
    for (uint32_t i = 0; i < c->nnodes; i++)
        s->ops[i].state = s->state.p + (uintptr_t)s->ops[i].state;
    s->nops = c->nnodes;
    return 0;
}

/* A copy of str in s->strings (NULL stays NULL); *bad set when out of memory. */
static const char *keep_str(vg_checkpoint_snap *s, const char *str, bool *bad)
{
    const char *d = str ? vg_arena_strndup(s->strings, str, strlen(str)) : NULL;
    *bad |= str && !d;
    return d;
}

static int copy_offsets(vg_checkpoint_snap *s, const vg_store_offset *offsets, uint32_t n)
{
    bool bad = !(s->offsets = vg_arena_calloc(s->strings, (n ? n : 1) * sizeof *s->offsets));
    for (uint32_t i = 0; !bad && i < n; i++) {
        s->offsets[i] = offsets[i];
        s->offsets[i].source = keep_str(s, offsets[i].source, &bad);
        s->offsets[i].topic = keep_str(s, offsets[i].topic, &bad);
    }
    s->noffsets = n;
    return bad ? -1 : 0;
}

/* The caller's sinks with the rows of the DAG's channels, then the
 * channels the caller did not name. */
static int copy_sinks(vg_checkpoint_snap *s, vg_dag *d, const vg_store_sink_pos *sinks,
                      uint32_t nsinks)
{
    uint32_t nch = vg_dag_nchannels(d);
    vg_store_sink_pos *all = vg_arena_calloc(s->strings, (nsinks + nch + 1) * sizeof *all);
    bool bad = !all;
    for (uint32_t i = 0; !bad && i < nsinks; i++)
        all[s->nsinks++] = (vg_store_sink_pos){.sink = keep_str(s, sinks[i].sink, &bad),
                                               .position = keep_str(s, sinks[i].position, &bad),
                                               .rows = -1};
    for (uint32_t i = 0; !bad && i < nch; i++) {
        const vg_channel *ch = vg_dag_channel(d, i);
        uint32_t k = 0;
        while (k < nsinks && strcmp(all[k].sink, ch->name) != 0)
            k++;
        if (k == nsinks)
            all[k = s->nsinks++] = (vg_store_sink_pos){.sink = keep_str(s, ch->name, &bad)};
        all[k].rows = (int64_t)ch->rows;
    }
    s->sinks = all;
    return bad ? -1 : 0;
}

/* The active version of every model and ruleset of the plan in c->registry. */
static int copy_versions(vg_checkpoints *c, vg_checkpoint_snap *s)
{
    const vg_plan *p = c->plan;
    uint32_t n = c->registry ? p->nmodels + p->nrulesets : 0;
    bool bad = !(s->versions = vg_arena_calloc(s->strings, (n ? n : 1) * sizeof *s->versions));
    for (uint32_t i = 0; !bad && i < n; i++) {
        bool model = i < p->nmodels;
        const char *name = model ? p->models[i]->name : p->rulesets[i - p->nmodels]->name;
        int64_t v = 0;
        if (model) {
            const vg_model_slot *m = vg_registry_model(c->registry, name);
            v = m && m->model ? m->version : 0;
        } else {
            const vg_ruleset_slot *r = vg_registry_ruleset(c->registry, name);
            v = r && r->rules ? vg_ruleset_version(r->rules) : 0;
        }
        s->versions[s->nversions++] = (vg_store_version){model ? "model" : "ruleset",
                                                         keep_str(s, name, &bad), v};
    }
    return bad ? -1 : 0;
}

static vg_checkpoint_snap *take(vg_checkpoints *c, vg_dag *d, const vg_store_offset *offsets,
                                uint32_t noffsets, const vg_store_sink_pos *sinks,
                                uint32_t nsinks, bool forked, vg_error *err)
{
    int64_t t0 = now_us();
    vg_checkpoint_snap *s = vg_calloc(VG_MEM_STATE, 1, sizeof *s);
    if (!s) {
        nomem(err);
        return NULL;
    }
    vg_buf_init(&s->state, VG_MEM_STATE);
    s->fd = -1;
    s->late_rows = vg_dag_late_rows(d);
    s->strings = vg_arena_new(VG_MEM_STATE, 1024);
    s->ops = vg_calloc(VG_MEM_STATE, c->nnodes + 1, sizeof *s->ops);
    int rc = s->strings && s->ops && copy_offsets(s, offsets, noffsets) == 0 &&
                     copy_sinks(s, d, sinks, nsinks) == 0 && copy_versions(c, s) == 0
                 ? 0
                 : nomem(err);
    if (rc == 0 && (!forked || fork_ops(c, d, s) != 0))
        rc = snapshot_ops(c, d, s, err);
    if (rc < 0) {
        vg_checkpoint_snap_free(s);
        return NULL;
    }
    s->snapshot_us = now_us() - t0;
    return s;
}

vg_checkpoint_snap *vg_checkpoint_take(vg_checkpoints *c, vg_dag *d, const vg_store_offset *offsets,
                                       uint32_t noffsets, const vg_store_sink_pos *sinks,
                                       uint32_t nsinks, vg_error *err)
{
    return take(c, d, offsets, noffsets, sinks, nsinks, false, err);
}

/* May the child of a fork(2) allocate? glibc's malloc holds its locks across
 * the fork, so a child forked while another thread (the checkpoint writer,
 * librdkafka's) allocates finds them free. GCC 12's AddressSanitizer does
 * not: such a child waited forever on its allocator's lock (seen in make
 * check's crash test). Sanitizer builds therefore serialise on the caller's
 * thread, as take does. */
#ifdef __SANITIZE_ADDRESS__
#define FORK_MAY_ALLOCATE false
#else
#define FORK_MAY_ALLOCATE true
#endif

vg_checkpoint_snap *vg_checkpoint_take_forked(vg_checkpoints *c, vg_dag *d,
                                              const vg_store_offset *offsets, uint32_t noffsets,
                                              const vg_store_sink_pos *sinks, uint32_t nsinks,
                                              vg_error *err)
{
    return take(c, d, offsets, noffsets, sinks, nsinks, FORK_MAY_ALLOCATE, err);
}


uint64_t vg_checkpoint_snap_bytes(const vg_checkpoint_snap *s)
{
    return s->fd >= 0 ? s->bytes : s->state.len;
}

void vg_checkpoint_snap_free(vg_checkpoint_snap *s)
{
    if (!s)
        return;
    if (s->pid > 0) { /* never committed: the child is not needed any more */
        kill(s->pid, SIGKILL);
        while (waitpid(s->pid, NULL, 0) < 0 && errno == EINTR)
            ;
    }
    if (s->map)
        munmap(s->map, s->maplen);
    if (s->fd >= 0)
        close(s->fd);
    vg_buf_free(&s->state);
    vg_free(s->ops);
    vg_arena_free(s->strings);
    vg_free(s);
}

void vg_checkpoint_snap_set_epoch(vg_checkpoint_snap *s, int64_t epoch) { s->epoch = epoch; }

/* ---- the operators serialised by a child process ---- */

/* Write p[0..n) at offset off of fd; -1 on failure. */
static int put_all(int fd, const void *p, size_t n, off_t off)
{
    const char *q = p;
    while (n) {
        ssize_t w = pwrite(fd, q, n, off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        q += w, n -= (size_t)w, off += w;
    }
    return 0;
}

/* The child: every stateful operator's bytes into fd after a header of
 * their sizes (uint64_t each, in c->nodes order), then exit 0; on an error,
 * its message as the whole file and exit 1 (2: out of memory). Never
 * returns; runs nothing at exit (the parent's buffers, threads and atexit
 * handlers are not its own). */
static void child_snapshot(vg_checkpoints *c, vg_dag *d, int fd)
{
    vg_alloc_fail_at(0, 0); /* (a test's injected failure is the parent's) */
    /* the pipeline first when the CPUs are busy: nice 10 (about a tenth of a CPU against
     * a thread of nice 0). Not lower: nice 19 and SCHED_IDLE were tried, and on a machine
     * busy with other work checkpoints then took seconds, or never finished */
    if (nice(10) < 0) {
        /* not allowed: the same priority as the pipeline */
    }
    uint64_t *sizes = vg_calloc(VG_MEM_STATE, c->nnodes + 1, sizeof *sizes);
    vg_buf b;
    vg_buf_init(&b, VG_MEM_STATE);
    vg_error err;
    vg_error_clear(&err);
    off_t at = (off_t)(c->nnodes * sizeof *sizes);
    int rc = sizes ? 0 : vg_error_set(&err, VG_ERR_NOMEM, "out of memory");
    for (uint32_t i = 0; rc == 0 && i < c->nnodes; i++) {
        vg_op *op = vg_dag_op(d, c->nodes[i].id);
        vg_buf_clear(&b);
        rc = op->kind->snapshot(op, &b, &err);
        if (rc == 0 && put_all(fd, b.p, b.len, at) < 0)
            rc = vg_error_set(&err, VG_ERR_IO, "cannot write the checkpoint's state: %s",
                              strerror(errno));
        if (rc == 0)
            sizes[i] = b.len, at += (off_t)b.len;
    }
    if (rc == 0 && put_all(fd, sizes, c->nnodes * sizeof *sizes, 0) < 0)
        rc = vg_error_set(&err, VG_ERR_IO, "cannot write the checkpoint's state: %s",
                          strerror(errno));
    if (rc < 0 && (ftruncate(fd, 0) < 0 || put_all(fd, err.msg, strlen(err.msg), 0) < 0))
        _exit(1);
    _exit(rc == 0 ? 0 : err.code == VG_ERR_NOMEM ? 2 : 1);
}

/* Start a child serialising d's operators into s (s->ops get everything but
 * their bytes now). 0; 1 when no child can be made (the caller serialises
 * them itself). */
static int fork_ops(vg_checkpoints *c, vg_dag *d, vg_checkpoint_snap *s)
{
    int fd = memfd_create("vigil-checkpoint", MFD_CLOEXEC);
    if (fd < 0)
        return 1;
    for (uint32_t i = 0; i < c->nnodes; i++) {
        const ckpt_node *n = &c->nodes[i];
        const vg_op *op = vg_dag_op(d, n->id);
        s->ops[i] = (vg_store_ckpt_op){.node_fp = n->fp,
                                       .seq = n->seq,
                                       .kind = op->kind->name,
                                       .name = op->node->name,
                                       .wm = op->wm};
    }
    s->nops = c->nnodes;
    s->forked_us = now_us();
    pid_t pid = fork();
    if (pid < 0) {
        close(fd);
        s->nops = 0;
        return 1;
    }
    if (pid == 0)
        child_snapshot(c, d, fd);
    s->pid = pid;
    s->fd = fd;
    return 0;
}

/* The child's error, as it wrote it, into err. */
static int child_error(vg_checkpoint_snap *s, int status, vg_error *err)
{
    char msg[200] = "";
    ssize_t n = pread(s->fd, msg, sizeof msg - 1, 0);
    msg[n > 0 ? n : 0] = 0;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 2)
        return vg_error_set(err, VG_ERR_NOMEM, "out of memory");
    if (WIFEXITED(status) && WEXITSTATUS(status) == 1 && msg[0])
        return vg_error_set(err, VG_ERR_RUNTIME, "%s", msg);
    vg_error_set(err, VG_ERR_IO, "the process serialising the checkpoint failed (status %d)",
                 status);
    err->retriable = true;
    return -1;
}

/* Wait for s's child and map what it wrote into s->ops (once). 0 or -1. */
static int finish_fork(vg_checkpoint_snap *s, vg_error *err)
{
    if (s->fd < 0 || s->map)
        return 0;
    int status = 0;
    pid_t p;
    struct rusage ru;
    memset(&ru, 0, sizeof ru);
    while ((p = wait4(s->pid, &status, 0, &ru)) < 0 && errno == EINTR)
        ;
    s->pid = 0;
    s->serialise_us = now_us() - s->forked_us;
    s->child_cpu_us = (int64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000 +
                      ru.ru_utime.tv_usec + ru.ru_stime.tv_usec;
    if (p < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return child_error(s, p < 0 ? -1 : status, err);
    struct stat sb;
    size_t head = s->nops * sizeof(uint64_t);
    if (fstat(s->fd, &sb) < 0 || (size_t)sb.st_size < head)
        return child_error(s, -1, err);
    s->maplen = (size_t)sb.st_size;
    s->map = s->maplen ? mmap(NULL, s->maplen, PROT_READ, MAP_PRIVATE, s->fd, 0) : NULL;
    if (s->maplen && s->map == MAP_FAILED) {
        s->map = NULL;
        return vg_error_set(err, VG_ERR_NOMEM, "out of memory");
    }
    const char *at = (const char *)s->map + head;
    for (uint32_t i = 0; i < s->nops; i++) {
        uint64_t size;
        memcpy(&size, (const char *)s->map + i * sizeof size, sizeof size);
        s->ops[i].state = at;
        s->ops[i].size = size;
        at += size;
        s->bytes += size;
    }
    return at == (const char *)s->map + s->maplen ? 0 : child_error(s, -1, err);
}

int vg_checkpoint_snap_ready(vg_checkpoint_snap *s, vg_error *err)
{
    return finish_fork(s, err);
}

int vg_checkpoint_snap_set_position(vg_checkpoint_snap *s, const char *sink, const char *position)
{
    bool bad = false;
    const char *pos = keep_str(s, position, &bad);
    for (uint32_t i = 0; !bad && i < s->nsinks; i++)
        if (strcmp(s->sinks[i].sink, sink) == 0) {
            s->sinks[i].position = pos;
            return 0;
        }
    return -1; /* (copy_sinks lists every sink the cut named) */
}

int vg_checkpoint_commit(vg_checkpoints *c, const vg_checkpoint_snap *s, vg_checkpoint_stats *stats,
                         vg_error *err)
{
    return vg_checkpoint_commit_to(c, c->st, s, stats, err);
}

int vg_checkpoint_commit_to(vg_checkpoints *c, vg_store *st, const vg_checkpoint_snap *s,
                            vg_checkpoint_stats *stats, vg_error *err)
{
    int64_t t0 = now_us();
    if (finish_fork((vg_checkpoint_snap *)s, err) < 0)
        return -1;
    vg_store_ckpt rec = {.pipeline = c->pipeline,
                         .epoch = s->epoch,
                         .plan_fp = c->plan_fp,
                         .late_rows = s->late_rows,
                         .noffsets = s->noffsets,
                         .offsets = s->offsets,
                         .nsinks = s->nsinks,
                         .sinks = s->sinks,
                         .nsql = c->nsql,
                         .sql = c->sql,
                         .nversions = s->nversions,
                         .versions = s->versions};
    uint32_t pruned = 0;
    int64_t t1 = now_us();
    if (vg_store_ckpt_put(st, &rec, s->ops, s->nops, c->keep, &pruned, err) < 0)
        return -1;
    int64_t write_us = now_us() - t1;
    int64_t commit_us = now_us() - t0;
    if (stats)
        *stats = (vg_checkpoint_stats){.id = rec.id,
                                       .epoch = rec.epoch,
                                       .created_at = rec.created_at,
                                       .bytes = (uint64_t)rec.bytes,
                                       .nops = s->nops,
                                       .pruned = pruned,
                                       .snapshot_us = s->snapshot_us,
                                       .commit_us = commit_us,
                                       .serialise_us = s->serialise_us,
                                       .child_cpu_us = s->child_cpu_us,
                                       .write_us = write_us,
                                       .total_us = s->snapshot_us + commit_us};
    return 0;
}

int vg_checkpoint_write(vg_checkpoints *c, vg_dag *d, const vg_store_offset *offsets,
                        uint32_t noffsets, const vg_store_sink_pos *sinks, uint32_t nsinks,
                        vg_checkpoint_stats *stats, vg_error *err)
{
    vg_checkpoint_snap *s = vg_checkpoint_take(c, d, offsets, noffsets, sinks, nsinks, err);
    int rc = s ? vg_checkpoint_commit(c, s, stats, err) : -1;
    vg_checkpoint_snap_free(s);
    return rc;
}

/* ---- loading ---- */

/* Loading's progress through c->nodes, as the store hands operator rows. */
typedef struct loader {
    vg_checkpoints *c;         /* whose nodes */
    vg_dag *d;                 /* restored into */
    const vg_store_ckpt *info; /* the checkpoint being read */
    uint32_t next;             /* c->nodes[next] is the next node expected */
} loader;

/* "over 'name' (fp #seq)" of a node, for messages. */
static const char *describe(char *buf, size_t n, const char *kind, const char *name, const char *fp,
                            uint32_t seq)
{
    if (name)
        snprintf(buf, n, "%s '%s' (%s #%u)", kind, name, fp, seq);
    else
        snprintf(buf, n, "%s (%s #%u)", kind, fp, seq);
    return buf;
}

static int missing(loader *l, vg_error *err)
{
    const ckpt_node *n = &l->c->nodes[l->next];
    const vg_op *op = vg_dag_op(l->d, n->id);
    char what[160];
    return vg_error_set(err, VG_ERR_RUNTIME, "checkpoint %" PRId64 " has no state for operator %s",
                        l->info->id,
                        describe(what, sizeof what, op->kind->name, op->node->name, n->fp, n->seq));
}

static int restore_op(void *arg, const vg_store_ckpt_op *row, vg_error *err)
{
    loader *l = arg;
    char what[160];
    int cmp = 1; /* no node left: the row is one too many */
    if (l->next < l->c->nnodes) {
        const ckpt_node *n = &l->c->nodes[l->next];
        cmp = strcmp(n->fp, row->node_fp);
        cmp = cmp ? cmp : (n->seq > row->seq) - (n->seq < row->seq);
    }
    if (cmp < 0) /* the plan's node sorts before the row: the checkpoint has none for it */
        return missing(l, err);
    if (cmp > 0)
        return vg_error_set(
            err, VG_ERR_RUNTIME,
            "checkpoint %" PRId64 " holds state for operator %s, which this plan "
            "does not have",
            l->info->id, describe(what, sizeof what, row->kind, row->name, row->node_fp, row->seq));
    vg_op *op = vg_dag_op(l->d, l->c->nodes[l->next++].id);
    vg_error inner;
    vg_error_clear(&inner);
    if (row->size && op->kind->restore(op, row->state, row->size, &inner) < 0)
        return inner.code == VG_ERR_NOMEM
                   ? nomem(err)
                   : vg_error_set(err, VG_ERR_RUNTIME,
                                  "checkpoint %" PRId64 ": cannot restore operator %s: %s",
                                  l->info->id,
                                  describe(what, sizeof what, op->kind->name, op->node->name,
                                           row->node_fp, row->seq),
                                  inner.msg);
    op->wm = row->wm;
    return 0;
}

/* Refuse a checkpoint of another pipeline or plan. */
static int check_owner(vg_checkpoints *c, const vg_store_ckpt *info, vg_error *err)
{
    if (strcmp(info->pipeline, c->pipeline) != 0)
        return vg_error_set(err, VG_ERR_CONFIG,
                            "store '%s' holds checkpoints of pipeline '%s' (the newest: checkpoint"
                            " %" PRId64 ", epoch %" PRId64 "), not of '%s': each pipeline needs a"
                            " store of its own (vigil checkpoints list PIPELINE shows what a"
                            " store holds)",
                            vg_store_path(c->st), info->pipeline, info->id, info->epoch,
                            c->pipeline);
    if (strcmp(info->plan_fp, c->plan_fp) != 0)
        return vg_error_set(err, VG_ERR_CONFIG,
                            "checkpoint %" PRId64 " (epoch %" PRId64 ") of pipeline '%s' was "
                            "written by plan %s, and this plan is %s: the SQL has changed since; "
                            "run the SQL it was written with, or drop the pipeline's checkpoints "
                            "(vigil checkpoints drop PIPELINE) to start without state",
                            info->id, info->epoch, c->pipeline, info->plan_fp, c->plan_fp);
    return 0;
}

/* Watermarks of stateless operators: what their inputs forwarded to them
 * (the least, for several inputs), in plan order so inputs come first. */
static void stateless_watermarks(vg_checkpoints *c, vg_dag *d)
{
    for (uint32_t i = 0; i < c->plan->nnodes; i++) {
        const vg_plan_node *n = c->plan->nodes[i];
        if (stateful(n) || n->ninputs == 0)
            continue;
        int64_t wm = VG_WM_MAX;
        for (uint32_t j = 0; j < n->ninputs; j++) {
            int64_t in = vg_dag_op(d, n->inputs[j]->id)->wm;
            wm = in < wm ? in : wm;
        }
        vg_dag_op(d, i)->wm = wm;
    }
}

/* The DAG's late rows and its channels' row counts from the checkpoint. */
static void restore_counts(vg_dag *d, const vg_store_ckpt *info)
{
    vg_dag_add_late_rows(d, info->late_rows);
    for (uint32_t i = 0; i < info->nsinks; i++)
        for (uint32_t k = 0; k < vg_dag_nchannels(d) && info->sinks[i].rows >= 0; k++)
            if (strcmp(vg_dag_channel(d, k)->name, info->sinks[i].sink) == 0)
                vg_dag_channel(d, k)->rows = (uint64_t)info->sinks[i].rows;
}

/* The newest checkpoint of the store: its id, once check_owner accepts it. */
typedef struct newest {
    vg_checkpoints *c; /* who asks */
    vg_error *err;     /* where check_owner's refusal goes */
    int64_t id;        /* 0: none */
    int rc;            /* check_owner's */
} newest;

static int take_newest(const vg_store_ckpt *info, void *arg)
{
    newest *n = arg;
    n->id = info->id;
    n->rc = check_owner(n->c, info, n->err);
    return 1; /* the first is the newest: stop */
}

/* The newest checkpoint of the store (any plan), or a refusal of another
 * pipeline's: what peek reports. */
typedef struct newest_any {
    const char *pipeline; /* who asks */
    int64_t id;           /* 0: none */
} newest_any;

static int take_newest_any(const vg_store_ckpt *info, void *arg)
{
    newest_any *n = arg;
    n->id = strcmp(info->pipeline, n->pipeline) == 0 ? info->id : -info->id;
    return 1;
}

int vg_checkpoint_peek(vg_store *st, const char *pipeline, vg_arena *arena, vg_store_ckpt *out,
                       vg_error *err)
{
    memset(out, 0, sizeof *out);
    newest_any n = {pipeline, 0};
    if (vg_store_ckpt_list(st, NULL, take_newest_any, &n, err) < 0)
        return -1;
    if (!n.id)
        return 1;
    int rc = vg_store_ckpt_get(st, n.id < 0 ? -n.id : n.id, arena, out, NULL, NULL, err);
    if (rc != 0)
        return rc;
    if (n.id < 0) { /* another pipeline's: refused in check_owner's words */
        vg_checkpoints c = {.st = st, .pipeline = (char *)pipeline};
        return check_owner(&c, out, err);
    }
    return 0;
}

int vg_checkpoint_load(vg_checkpoints *c, vg_dag *d, vg_arena *arena, vg_store_ckpt *out,
                       vg_error *err)
{
    memset(out, 0, sizeof *out);
    /* first the newest checkpoint's row alone, to refuse it before any state is read */
    newest n = {.c = c, .err = err};
    if (vg_store_ckpt_list(c->st, NULL, take_newest, &n, err) < 0 || n.rc < 0)
        return -1;
    if (!n.id)
        return 1;
    loader l = {.c = c, .d = d, .info = out};
    int rc = vg_store_ckpt_get(c->st, n.id, arena, out, restore_op, &l, err);
    if (rc == 1) /* deleted in between: another process writes checkpoints to this store */
        return vg_error_set(err, VG_ERR_RUNTIME,
                            "checkpoint %" PRId64 " was deleted while it was being read", n.id);
    if (rc == 0 && l.next < c->nnodes)
        rc = missing(&l, err);
    if (rc < 0)
        return -1;
    stateless_watermarks(c, d);
    restore_counts(d, out);
    return 0;
}
