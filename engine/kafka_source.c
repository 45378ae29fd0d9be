/*
 * kafka_source.c — a stream's consumer: one topic, one consumer group,
 * offsets committed only when the runner says so (enable.auto.commit is
 * always false: a message counts as read once what it produced is
 * delivered, which only the runner knows).
 *
 * Polling: librdkafka's main queue is forwarded to the consumer queue, so
 * one poll serves messages, rebalances, logs and errors. The consumer
 * queue signals a pipe when it goes from empty to not empty, which lets
 * the runner sleep in poll(2) over all its sources at once and wake on the
 * first message. Messages are handed out as pointers into librdkafka's own
 * buffers (no copy) and given back at the next poll.
 *
 * Manual mode (checkpoints): the consumer joins no group; the runner
 * assigns it every partition of the topic at the offsets its checkpoint
 * says, and reads each partition from a queue of its own (librdkafka's
 * partition queue, no longer forwarded to the consumer queue), so that a
 * turn can take exactly the messages it wants from each partition, in
 * offset order, whatever order the fetches came back in. The partition
 * queues signal the same pipe; the consumer queue still carries errors
 * and commit results (vg_kafka_source_serve).
 */
#include <errno.h>
#include <fcntl.h>
#include <strings.h>
#include <string.h>
#include <unistd.h>

#include "engine/alloc.h"
#include "engine/kafka_int.h"

struct vg_kafka_source {
    vg_kafka_handle h;         /* the consumer (first member: the callbacks' opaque) */
    rd_kafka_queue_t *queue;   /* its consumer queue */
    int pipe[2];               /* the queue writes to [1] when it stops being empty */
    char *topic;               /* the topic (owned) */
    rd_kafka_message_t **held; /* the messages of the last poll, until released */
    uint32_t nheld;
    uint32_t cap;   /* room in held */
    int32_t *parts; /* the partitions assigned now */
    bool *eof;      /* per assigned partition: its end reached since its last message */
    rd_kafka_queue_t **queues; /* manual mode: per assigned partition, its own queue */
    uint32_t nparts;
    uint32_t capparts;                                     /* room in parts, eof, queues */
    bool manual;                                           /* no group: vg_kafka_source_assign */
    bool latest;   /* auto.offset.reset says latest (or largest, end): where a partition
                      with no committed offset starts */
    uint64_t generation;                                   /* bumped on every change of parts */
    int64_t (*start_offset)(void *arg, int32_t partition); /* see vg_kafka_source_opts */
    void *start_arg;
    vg_error err; /* an error latched in a callback (out of memory) */
};

/* ---- assignment ---- */

/* The index of partition p among the assigned ones, or -1. */
static int part_index(const vg_kafka_source *s, int32_t p)
{
    for (uint32_t i = 0; i < s->nparts; i++)
        if (s->parts[i] == p)
            return (int)i;
    return -1;
}

/* Room for cap partitions in parts, eof and queues. */
static int reserve_parts(vg_kafka_source *s, uint32_t cap, vg_error *err)
{
    if (cap <= s->capparts)
        return 0;
    int32_t *parts = vg_realloc(VG_MEM_IO, s->parts, cap * sizeof *parts);
    if (parts)
        s->parts = parts;
    bool *eof = parts ? vg_realloc(VG_MEM_IO, s->eof, cap * sizeof *eof) : NULL;
    if (eof)
        s->eof = eof;
    rd_kafka_queue_t **queues = eof ? vg_realloc(VG_MEM_IO, s->queues, cap * sizeof *queues) : NULL;
    if (!queues)
        return vg_error_set(err, VG_ERR_NOMEM, "out of memory");
    s->queues = queues;
    s->capparts = cap;
    return 0;
}

static int add_part(vg_kafka_source *s, int32_t p)
{
    if (part_index(s, p) >= 0)
        return 0;
    if (s->nparts == s->capparts &&
        reserve_parts(s, s->capparts ? s->capparts * 2 : 8, &s->err) < 0)
        return -1;
    s->eof[s->nparts] = false;
    s->queues[s->nparts] = NULL;
    s->parts[s->nparts++] = p;
    return 0;
}

static void remove_part(vg_kafka_source *s, int32_t p)
{
    int i = part_index(s, p);
    if (i < 0)
        return;
    s->nparts--;
    s->parts[i] = s->parts[s->nparts];
    s->eof[i] = s->eof[s->nparts];
    s->queues[i] = s->queues[s->nparts];
}

static void log_assignment(vg_kafka_source *s, const char *what,
                           const rd_kafka_topic_partition_list_t *l)
{
    char text[256];
    size_t n = 0;
    text[0] = 0;
    for (int i = 0; i < l->cnt && n + 16 < sizeof text; i++)
        n += (size_t)snprintf(text + n, sizeof text - n, "%s%d", i ? "," : "",
                              l->elems[i].partition);
    vg_kafka_log(&s->h, 6, "ASSIGN", "%s: %s partitions %s of topic '%s'", s->h.what, what,
                 l->cnt ? text : "(none)", s->topic);
}

static void assign(vg_kafka_source *s, rd_kafka_t *rk, rd_kafka_topic_partition_list_t *l,
                   bool coop)
{
    for (int i = 0; i < l->cnt; i++) {
        int64_t off = s->start_offset ? s->start_offset(s->start_arg, l->elems[i].partition) : -1;
        if (off >= 0)
            l->elems[i].offset = off;
    }
    if (coop) {
        rd_kafka_error_t *e = rd_kafka_incremental_assign(rk, l);
        if (e)
            rd_kafka_error_destroy(e);
    } else {
        rd_kafka_assign(rk, l);
        s->nparts = 0;
    }
    for (int i = 0; i < l->cnt; i++)
        add_part(s, l->elems[i].partition);
    log_assignment(s, "assigned", l);
}

/* The group gives or takes partitions (from inside a poll). */
static void rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t e, rd_kafka_topic_partition_list_t *l,
                         void *opaque)
{
    vg_kafka_source *s = opaque;
    bool coop = strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE") == 0;
    if (e == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        assign(s, rk, l, coop);
    } else if (coop) {
        rd_kafka_error_t *ue = rd_kafka_incremental_unassign(rk, l);
        if (ue)
            rd_kafka_error_destroy(ue);
        for (int i = 0; i < l->cnt; i++)
            remove_part(s, l->elems[i].partition);
        log_assignment(s, "revoked", l);
    } else {
        rd_kafka_assign(rk, NULL);
        s->nparts = 0;
        log_assignment(s, "revoked", l);
    }
    s->generation++;
}

/* Results of asynchronous commits: a failure is worth a warning only (the
 * next commit carries the same offsets or later ones). */
static void commit_cb(rd_kafka_t *rk, rd_kafka_resp_err_t e, rd_kafka_topic_partition_list_t *l,
                      void *opaque)
{
    (void)rk;
    (void)l;
    vg_kafka_source *s = opaque;
    if (e && e != RD_KAFKA_RESP_ERR__NO_OFFSET)
        vg_kafka_log(&s->h, 4, "COMMIT", "%s: committing offsets failed: %s", s->h.what,
                     rd_kafka_err2str(e));
}

/* ---- open, close ---- */

/* Give the partition queues of manual mode back. */
static void drop_queues(vg_kafka_source *s)
{
    for (uint32_t i = 0; s->manual && i < s->nparts; i++)
        if (s->queues[i]) {
            rd_kafka_queue_io_event_enable(s->queues[i], -1, NULL, 0);
            rd_kafka_queue_destroy(s->queues[i]);
            s->queues[i] = NULL;
        }
}

static int open_pipe(vg_kafka_source *s, vg_error *err)
{
    if (pipe2(s->pipe, O_NONBLOCK | O_CLOEXEC) < 0) {
        s->pipe[0] = s->pipe[1] = -1;
        return vg_error_set(err, VG_ERR_IO, "%s: cannot create a pipe: %s", s->h.what,
                            strerror(errno));
    }
    return 0;
}

static int subscribe(vg_kafka_source *s, vg_error *err)
{
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(l, s->topic, RD_KAFKA_PARTITION_UA);
    rd_kafka_resp_err_t e = rd_kafka_subscribe(s->h.rk, l);
    rd_kafka_topic_partition_list_destroy(l);
    if (e)
        return vg_kafka_fail(err, e, false, "%s: cannot subscribe to topic '%s': %s", s->h.what,
                             s->topic, rd_kafka_err2str(e));
    return 0;
}

vg_kafka_source *vg_kafka_source_open(const vg_kafka_source_opts *o, vg_error *err)
{
    vg_kafka_source *s = vg_calloc(VG_MEM_IO, 1, sizeof *s);
    if (!s || !(s->h.what = vg_kafka_what("source", o->name)) ||
        !(s->topic = vg_strdup(VG_MEM_IO, o->topic))) {
        vg_error_set(err, VG_ERR_NOMEM, "out of memory");
        vg_kafka_source_close(s);
        return NULL;
    }
    s->pipe[0] = s->pipe[1] = -1;
    s->h.log = o->log;
    s->h.log_arg = o->log_arg;
    s->start_offset = o->start_offset;
    s->start_arg = o->start_arg;
    s->manual = o->manual;
    for (uint32_t i = 0; i < o->nprops; i++)
        if (strcmp(o->props[i].key, "auto.offset.reset") == 0)
            s->latest = strcasecmp(o->props[i].value, "latest") == 0 ||
                        strcasecmp(o->props[i].value, "largest") == 0 ||
                        strcasecmp(o->props[i].value, "end") == 0;
    const vg_kafka_kv defs[] = {{"auto.offset.reset", "earliest"},
                                {"enable.partition.eof", "false"},
                                {"socket.nagle.disable", "true"},
                                {NULL, NULL}};
    const vg_kafka_kv forced[] = {{"bootstrap.servers", o->bootstrap},
                                  {"group.id", o->group},
                                  {"enable.auto.commit", "false"},
                                  /* last: when not wanted, its NULL key ends the list */
                                  {o->eof ? "enable.partition.eof" : NULL, "true"},
                                  {NULL, NULL}};
    rd_kafka_conf_t *conf = vg_kafka_conf(&s->h, defs, o->props, o->nprops, forced, err);
    if (!conf) {
        vg_kafka_source_close(s);
        return NULL;
    }
    rd_kafka_conf_set_rebalance_cb(conf, rebalance_cb);
    rd_kafka_conf_set_offset_commit_cb(conf, commit_cb);
    if (vg_kafka_new(&s->h, RD_KAFKA_CONSUMER, conf, err) < 0 || open_pipe(s, err) < 0) {
        vg_kafka_source_close(s);
        return NULL;
    }
    rd_kafka_poll_set_consumer(s->h.rk);
    s->queue = rd_kafka_queue_get_consumer(s->h.rk);
    rd_kafka_queue_io_event_enable(s->queue, s->pipe[1], "1", 1);
    if (!s->manual && subscribe(s, err) < 0) {
        vg_kafka_source_close(s);
        return NULL;
    }
    return s;
}

void vg_kafka_source_close(vg_kafka_source *s)
{
    if (!s)
        return;
    vg_kafka_source_release(s);
    drop_queues(s);
    if (s->h.rk)
        rd_kafka_consumer_close(s->h.rk);
    if (s->queue) {
        rd_kafka_queue_io_event_enable(s->queue, -1, NULL, 0);
        rd_kafka_queue_destroy(s->queue);
    }
    if (s->h.rk)
        rd_kafka_destroy(s->h.rk);
    for (int i = 0; i < 2; i++)
        if (s->pipe[i] >= 0)
            close(s->pipe[i]);
    vg_free(s->held);
    vg_free(s->parts);
    vg_free(s->eof);
    vg_free(s->queues);
    vg_free(s->topic);
    vg_free((char *)s->h.what);
    vg_free(s);
}

/* ---- polling ---- */

void vg_kafka_source_release(vg_kafka_source *s)
{
    for (uint32_t i = 0; i < s->nheld; i++)
        rd_kafka_message_destroy(s->held[i]);
    s->nheld = 0;
}

/* Release the last poll's messages and make room for max more. */
static int make_room(vg_kafka_source *s, uint32_t max, vg_error *err)
{
    vg_kafka_source_release(s);
    if (max > s->cap) {
        rd_kafka_message_t **grown = vg_realloc(VG_MEM_IO, s->held, max * sizeof *grown);
        if (!grown)
            return vg_error_set(err, VG_ERR_NOMEM, "out of memory");
        s->held = grown;
        s->cap = max;
    }
    return 0;
}

static void drain_pipe(vg_kafka_source *s)
{
    char buf[64];
    while (read(s->pipe[0], buf, sizeof buf) > 0)
        ;
}

/* A consumer error in place of a message: -1 when it is fatal. The end
 * of a partition is noted, not an error. */
static int consumer_error(vg_kafka_source *s, const rd_kafka_message_t *m, vg_error *err)
{
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        int i = part_index(s, m->partition);
        if (i >= 0)
            s->eof[i] = true;
        return 0;
    }
    if (vg_kafka_check_fatal(&s->h, err) < 0)
        return -1;
    vg_kafka_log(&s->h, 4, "CONSUME", "%s: %s", s->h.what, rd_kafka_message_errstr(m));
    return 0;
}

static void to_msg(const rd_kafka_message_t *m, vg_kafka_msg *out)
{
    rd_kafka_timestamp_type_t tt;
    *out = (vg_kafka_msg){.value = m->payload,
                          .len = m->payload ? m->len : 0,
                          .key = m->key,
                          .keylen = m->key ? m->key_len : 0,
                          .partition = m->partition,
                          .offset = m->offset,
                          .timestamp_ms = rd_kafka_message_timestamp(m, &tt)};
}

/* Hold message m (into out[s->nheld]), or serve it when it is an error
 * event (m is freed then); -1 with err set for a fatal one. */
static int take(vg_kafka_source *s, rd_kafka_message_t *m, vg_kafka_msg *out, vg_error *err)
{
    if (m->err) {
        int rc = consumer_error(s, m, err);
        rd_kafka_message_destroy(m);
        return rc < 0 ? -1 : 0;
    }
    to_msg(m, &out[s->nheld]);
    s->held[s->nheld++] = m;
    int i = part_index(s, m->partition);
    if (i >= 0)
        s->eof[i] = false;
    return 0;
}

int vg_kafka_source_poll(vg_kafka_source *s, vg_kafka_msg *out, uint32_t max, int timeout_ms,
                         vg_error *err)
{
    if (make_room(s, max, err) < 0)
        return -1;
    drain_pipe(s); /* before polling: a message queued after this wakes the pipe again */
    int wait = timeout_ms;
    while (s->nheld < max) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(s->h.rk, wait);
        if (vg_error_is_set(&s->err)) {
            if (m)
                rd_kafka_message_destroy(m);
            *err = s->err;
            return -1;
        }
        if (!m)
            break;
        wait = 0;
        if (take(s, m, out, err) < 0)
            return -1;
    }
    return (int)s->nheld;
}

int vg_kafka_source_fd(const vg_kafka_source *s) { return s->pipe[0]; }

uint32_t vg_kafka_source_assignment(const vg_kafka_source *s, const int32_t **parts)
{
    *parts = s->parts;
    return s->nparts;
}

uint64_t vg_kafka_source_generation(const vg_kafka_source *s) { return s->generation; }

int vg_kafka_source_commit(vg_kafka_source *s, const int32_t *parts, const int64_t *next,
                           uint32_t n, bool async, vg_error *err)
{
    if (!n)
        return 0;
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new((int)n);
    for (uint32_t i = 0; i < n; i++)
        rd_kafka_topic_partition_list_add(l, s->topic, parts[i])->offset = next[i];
    rd_kafka_resp_err_t e = rd_kafka_commit(s->h.rk, l, async ? 1 : 0);
    rd_kafka_topic_partition_list_destroy(l);
    if (async || !e || e == RD_KAFKA_RESP_ERR__NO_OFFSET)
        return 0;
    return vg_kafka_fail(err, e, e != RD_KAFKA_RESP_ERR__FATAL,
                         "%s: committing offsets failed: %s", s->h.what, rd_kafka_err2str(e));
}

/* ---- manual mode: partitions the runner assigns ---- */

int vg_kafka_source_partition_count(vg_kafka_source *s, int timeout_ms, vg_error *err)
{
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(s->h.rk, s->topic, NULL);
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_resp_err_t e =
        rkt ? rd_kafka_metadata(s->h.rk, 0, rkt, &md, timeout_ms) : rd_kafka_last_error();
    if (!e && md->topic_cnt == 1)
        e = md->topics[0].err;
    int n = !e && md->topic_cnt == 1 ? md->topics[0].partition_cnt : 0;
    if (md)
        rd_kafka_metadata_destroy(md);
    if (rkt)
        rd_kafka_topic_destroy(rkt);
    if (e || n <= 0)
        return vg_kafka_fail(err, e, true, "%s: cannot read the partitions of topic '%s': %s",
                             s->h.what, s->topic, e ? rd_kafka_err2str(e) : "it has none");
    return n;
}

int vg_kafka_source_end(vg_kafka_source *s, int32_t partition, int timeout_ms, int64_t *end,
                        vg_error *err)
{
    int64_t low;
    rd_kafka_resp_err_t e =
        rd_kafka_query_watermark_offsets(s->h.rk, s->topic, partition, &low, end, timeout_ms);
    if (!e)
        return 0;
    return vg_kafka_fail(err, e, true,
                         "%s: cannot read the offsets of partition %d of topic '%s': %s",
                         s->h.what, (int)partition, s->topic, rd_kafka_err2str(e));
}

int vg_kafka_source_resolve(vg_kafka_source *s, const int32_t *parts, int64_t *offsets,
                            uint32_t n, int timeout_ms, vg_error *err)
{
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new((int)n);
    for (uint32_t i = 0; i < n; i++)
        rd_kafka_topic_partition_list_add(l, s->topic, parts[i])->offset = RD_KAFKA_OFFSET_INVALID;
    rd_kafka_resp_err_t e = rd_kafka_committed(s->h.rk, l, timeout_ms);
    for (uint32_t i = 0; !e && i < n; i++) {
        if (offsets[i] >= 0)
            continue;
        int64_t low, high;
        offsets[i] = l->elems[i].offset;
        if (offsets[i] < 0 && !(e = rd_kafka_query_watermark_offsets(
                                     s->h.rk, s->topic, parts[i], &low, &high, timeout_ms)))
            offsets[i] = s->latest ? high : low;
    }
    rd_kafka_topic_partition_list_destroy(l);
    if (!e)
        return 0;
    return vg_kafka_fail(err, e, true,
                         "%s: cannot find where the partitions of topic '%s' start: %s",
                         s->h.what, s->topic, rd_kafka_err2str(e));
}

int vg_kafka_source_assign(vg_kafka_source *s, const int32_t *parts, const int64_t *offsets,
                           uint32_t n, vg_error *err)
{
    drop_queues(s);
    s->nparts = 0;
    if (reserve_parts(s, n, err) < 0)
        return -1;
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new((int)n);
    for (uint32_t i = 0; i < n; i++) {
        rd_kafka_queue_t *q = rd_kafka_queue_get_partition(s->h.rk, s->topic, parts[i]);
        if (q) {
            /* before the assignment starts fetching: every message goes to this queue */
            rd_kafka_queue_forward(q, NULL);
            rd_kafka_queue_io_event_enable(q, s->pipe[1], "1", 1);
        }
        s->parts[s->nparts] = parts[i];
        s->eof[s->nparts] = false;
        s->queues[s->nparts++] = q;
        rd_kafka_topic_partition_list_add(l, s->topic, parts[i])->offset = offsets[i];
    }
    rd_kafka_resp_err_t e = rd_kafka_assign(s->h.rk, l);
    if (!e)
        log_assignment(s, "assigned", l);
    rd_kafka_topic_partition_list_destroy(l);
    s->generation++;
    for (uint32_t i = 0; !e && i < n; i++)
        if (!s->queues[i])
            e = RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION;
    if (!e)
        return 0;
    return vg_kafka_fail(err, e, false, "%s: cannot assign the partitions of topic '%s': %s",
                         s->h.what, s->topic, rd_kafka_err2str(e));
}

int vg_kafka_source_serve(vg_kafka_source *s, vg_error *err)
{
    drain_pipe(s); /* before polling: a message queued after this wakes the pipe again */
    rd_kafka_message_t *m;
    while ((m = rd_kafka_consumer_poll(s->h.rk, 0)) != NULL) {
        int rc = 0;
        if (m->err)
            rc = consumer_error(s, m, err);
        else
            vg_kafka_log(&s->h, 4, "CONSUME", "%s: a message of partition %d came outside its"
                         " queue and was dropped", s->h.what, (int)m->partition);
        rd_kafka_message_destroy(m);
        if (rc < 0)
            return -1;
    }
    if (vg_error_is_set(&s->err)) {
        *err = s->err;
        return -1;
    }
    return vg_kafka_check_fatal(&s->h, err);
}

int vg_kafka_source_poll_partition(vg_kafka_source *s, int32_t partition, vg_kafka_msg *out,
                                   uint32_t max, int timeout_ms, vg_error *err)
{
    if (make_room(s, max, err) < 0)
        return -1;
    int i = part_index(s, partition);
    if (i < 0 || !s->queues[i])
        return vg_error_set(err, VG_ERR_RUNTIME, "%s: partition %d is not assigned", s->h.what,
                            (int)partition);
    int wait = timeout_ms;
    while (s->nheld < max) {
        rd_kafka_message_t *m = rd_kafka_consume_queue(s->queues[i], wait);
        if (!m)
            break;
        wait = 0;
        if (take(s, m, out, err) < 0)
            return -1;
    }
    return (int)s->nheld;
}

bool vg_kafka_source_eof(const vg_kafka_source *s, int32_t partition)
{
    int i = part_index(s, partition);
    return i >= 0 && s->eof[i];
}
