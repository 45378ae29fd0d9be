/*
 * kafka_sink.c — a sink's producer: one topic, messages copied into
 * librdkafka's queue, every delivery report counted.
 *
 * Defaults, which properties override: the idempotent producer (retries
 * after a lost response write no duplicates, and a partition's order never
 * changes), linger.ms=1 (end-to-end latency is the product; librdkafka's
 * own default waits 5 ms), and the murmur2 partitioner, so that a key
 * lands on the partition the Java client (Kafka Streams, Flink) would
 * choose for it.
 *
 * What exactly-once output needs (docs/kafka.md): the runner picks each
 * message's partition itself (vg_kafka_sink_partition_for: murmur2 for a
 * key, the row's sequence number for none, never librdkafka's random
 * choice), numbers it in a vigil-seq header, learns from the delivery
 * reports where each partition's log ends, and after a restart reads back
 * what the crashed run had written (vg_kafka_sink_read_back).
 *
 * Sinks can share one producer (vg_kafka_producer: one librdkafka handle,
 * its threads and connections, one transaction), each with a topic handle
 * of its own: every message carries its sink as its opaque, so that the
 * delivery reports are counted per sink and per partition as before. A
 * sink opened without one makes its own.
 *
 * Those producers are transactional too (opts.transactional_id): a
 * transaction from one checkpoint to the next (vg_kafka_sink_commit).
 * Against a real cluster that lets read_committed consumers see only
 * checkpointed rows and fences a zombie run; on the dev broker, whose
 * transactions write no markers, it is what makes the broker check the
 * idempotent producer's sequence numbers (librdkafka's mock checks them
 * for transactional producers only): without it, a batch retried after a
 * lost acknowledgement (a broker going down) is written twice.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "engine/alloc.h"
#include "engine/crash.h"
#include "engine/kafka_int.h"

struct vg_kafka_producer {
    vg_kafka_handle h; /* the producer (first member: the callbacks' opaque) */
    bool txn;          /* transactional */
    bool in_txn;       /* a transaction is open */
    bool committing;   /* its commit failed in a way that may pass: finish it first */
};

struct vg_kafka_sink {
    vg_kafka_producer *p;   /* its producer: shared (borrowed) or its own */
    bool owns_p;            /* p was made for it */
    char *what;             /* "sink 'NAME'" (owned) */
    rd_kafka_topic_t *rkt;  /* the topic */
    char *topic;            /* its name (owned) */
    vg_kafka_sink_counts n; /* sent, delivered, failed */
    char first_error[256];  /* the first failed delivery's error, "" when none */
    int first_code;         /* ... its code (rd_kafka_resp_err_t) */
    int32_t nparts;         /* the topic's partitions */
    int64_t *ends;          /* per partition: the offset after the last delivery (or the
                               end at open, or -1) */
    const vg_config_prop *props; /* the caller's (borrowed), for the read-back consumer */
    uint32_t nprops;
    char *bootstrap;        /* (owned) */
    bool marked;            /* a cut is marked (vg_kafka_sink_mark) */
    uint64_t mark_seq;      /* ... the vigil-seq of its last message */
    uint64_t mark_left;     /* ... its messages not reported yet */
    bool mark_failed;       /* ... one of them failed */
    bool mark_reported;     /* ... one of them was reported since the mark */
    int64_t *mark_ends;     /* ... per partition, the offset after its last delivered one
                               (nparts entries, allocated with ends) */
};

static int64_t seq_of(rd_kafka_message_t *m);

/* A delivery report of a message of s counted against its mark. */
static void mark_report(vg_kafka_sink *s, const rd_kafka_message_t *m)
{
    int64_t seq = seq_of((rd_kafka_message_t *)m);
    if (seq <= 0 || (uint64_t)seq > s->mark_seq || !s->mark_left)
        return;
    s->mark_left--;
    if (m->err)
        s->mark_failed = true;
    else if (m->partition >= 0 && m->partition < s->nparts &&
             m->offset >= s->mark_ends[m->partition])
        s->mark_ends[m->partition] = m->offset + 1;
    if (!s->mark_reported && s->mark_left) /* the test hook: the cut's rows partly delivered */
        vg_crash_point("ckpt-delivering");
    s->mark_reported = true;
}

/* One delivery report, from inside rd_kafka_poll or rd_kafka_flush; the
 * message's opaque is its sink. */
static void delivery_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    (void)rk;
    (void)opaque;
    vg_kafka_sink *s = m->_private;
    if (s->marked)
        mark_report(s, m);
    if (!m->err) {
        s->n.delivered++;
        if (m->partition >= 0 && m->partition < s->nparts && m->offset >= s->ends[m->partition])
            s->ends[m->partition] = m->offset + 1;
        return;
    }
    if (!s->n.failed++) {
        snprintf(s->first_error, sizeof s->first_error, "%s", rd_kafka_err2str(m->err));
        s->first_code = m->err;
    }
}

static int failed(const vg_kafka_sink *s, vg_error *err)
{
    if (!s->n.failed)
        return vg_kafka_check_fatal(&s->p->h, err);
    return vg_kafka_fail(err, s->first_code, false,
                         "%s: delivery to topic '%s' failed: %s (%llu messages)", s->what,
                         s->topic, s->first_error, (unsigned long long)s->n.failed);
}

/* The topic's partition count into s->nparts, and its end offsets now
 * into s->ends. */
static int read_partitions(vg_kafka_sink *s, vg_error *err)
{
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_resp_err_t e = rd_kafka_metadata(s->p->h.rk, 0, s->rkt, &md, 10000);
    if (!e && md->topic_cnt == 1)
        e = md->topics[0].err;
    s->nparts = !e && md->topic_cnt == 1 ? md->topics[0].partition_cnt : 0;
    if (md)
        rd_kafka_metadata_destroy(md);
    if (!e && s->nparts <= 0)
        e = RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION;
    if (!e && !(s->ends = vg_malloc(VG_MEM_IO, 2 * (size_t)s->nparts * sizeof *s->ends)))
        return vg_error_set(err, VG_ERR_NOMEM, "out of memory");
    if (!e)
        s->mark_ends = s->ends + s->nparts;
    for (int32_t p = 0; !e && p < s->nparts; p++) {
        int64_t low;
        e = rd_kafka_query_watermark_offsets(s->p->h.rk, s->topic, p, &low, &s->ends[p], 10000);
    }
    if (!e)
        return 0;
    return vg_kafka_fail(err, e, true, "%s: cannot read the partitions of topic '%s': %s",
                         s->what, s->topic, rd_kafka_err2str(e));
}

/* A transaction call's result: 0, or -1 with err set (retriable when
 * librdkafka says the call may be made again). Takes e. */
static int txn_error(vg_kafka_producer *p, rd_kafka_error_t *e, const char *what, vg_error *err)
{
    if (!e)
        return 0;
    vg_kafka_fail(err, rd_kafka_error_code(e), rd_kafka_error_is_retriable(e),
                  "%s: cannot %s a transaction: %s", p->h.what, what, rd_kafka_error_string(e));
    rd_kafka_error_destroy(e);
    return -1;
}

/* props[0..n) without `transactional.id` into *out (vg_malloc'd, or NULL
 * when there is nothing to leave out: *out is props then); *txn_off set
 * when it is there as the empty string, *txn_on when as an id. -1 when out
 * of memory. */
static int without_txn_id(const vg_config_prop *props, uint32_t n, const vg_config_prop **out,
                          uint32_t *nout, bool *txn_off, bool *txn_on)
{
    uint32_t at = n;
    *out = props, *nout = n, *txn_off = *txn_on = false;
    for (uint32_t i = 0; i < n; i++)
        if (strcmp(props[i].key, "transactional.id") == 0)
            at = i;
    if (at == n)
        return 0;
    *txn_off = !props[at].value[0];
    *txn_on = !*txn_off;
    if (*txn_on)
        return 0; /* an id of the user's own: librdkafka takes it */
    vg_config_prop *copy = vg_malloc(VG_MEM_IO, (n ? n : 1) * sizeof *copy);
    if (!copy)
        return -1;
    for (uint32_t i = 0, k = 0; i < n; i++)
        if (i != at)
            copy[k++] = props[i];
    *out = copy, *nout = n - 1;
    return 0;
}

vg_kafka_producer *vg_kafka_producer_open(const vg_kafka_producer_opts *o, vg_error *err)
{
    vg_kafka_producer *p = vg_calloc(VG_MEM_IO, 1, sizeof *p);
    if (!p || !(p->h.what = vg_kafka_what(o->kind ? o->kind : "sink", o->name))) {
        vg_free(p);
        vg_error_set(err, VG_ERR_NOMEM, "out of memory");
        return NULL;
    }
    p->h.log = o->log;
    p->h.log_arg = o->log_arg;
    const vg_config_prop *props;
    uint32_t nprops;
    bool off, on;
    if (without_txn_id(o->props, o->nprops, &props, &nprops, &off, &on) < 0) {
        vg_kafka_producer_close(p);
        vg_error_set(err, VG_ERR_NOMEM, "out of memory");
        return NULL;
    }
    char txn_timeout[24];
    snprintf(txn_timeout, sizeof txn_timeout, "%lld", (long long)o->txn_timeout_ms);
    p->txn = (o->transactional_id != NULL && !off) || on;
    /* (the last two: only when transactional; a NULL key ends the list there) */
    const vg_kafka_kv defs[] = {{"enable.idempotence", "true"},
                                {"linger.ms", "1"},
                                {"partitioner", "murmur2_random"},
                                {"socket.nagle.disable", "true"},
                                {p->txn ? "transactional.id" : NULL, o->transactional_id},
                                {p->txn && o->txn_timeout_ms > 0 ? "transaction.timeout.ms"
                                                                  : NULL,
                                 txn_timeout},
                                {NULL, NULL}};
    const vg_kafka_kv forced[] = {{"bootstrap.servers", o->bootstrap}, {NULL, NULL}};
    rd_kafka_conf_t *conf = vg_kafka_conf(&p->h, defs, props, nprops, forced, err);
    if (props != o->props)
        vg_free((void *)props);
    if (!conf) {
        vg_kafka_producer_close(p);
        return NULL;
    }
    rd_kafka_conf_set_dr_msg_cb(conf, delivery_cb);
    if (vg_kafka_new(&p->h, RD_KAFKA_PRODUCER, conf, err) < 0 ||
        (p->txn && txn_error(p, rd_kafka_init_transactions(p->h.rk, 30000), "start", err) < 0)) {
        vg_kafka_producer_close(p);
        return NULL;
    }
    return p;
}

void vg_kafka_producer_drop(vg_kafka_producer *p, int timeout_ms)
{
    if (!p || rd_kafka_outq_len(p->h.rk) == 0)
        return;
    rd_kafka_purge(p->h.rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    rd_kafka_flush(p->h.rk, timeout_ms); /* (serves the purged messages' reports) */
}

void vg_kafka_producer_close(vg_kafka_producer *p)
{
    if (!p)
        return;
    if (p->h.rk && rd_kafka_outq_len(p->h.rk) > 0)
        rd_kafka_purge(p->h.rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    if (p->h.rk)
        rd_kafka_destroy(p->h.rk);
    vg_free((char *)p->h.what);
    vg_free(p);
}

vg_kafka_sink *vg_kafka_sink_open(const vg_kafka_sink_opts *o, vg_error *err)
{
    vg_kafka_sink *s = vg_calloc(VG_MEM_IO, 1, sizeof *s);
    if (!s || !(s->what = vg_kafka_what("sink", o->name)) ||
        !(s->topic = vg_strdup(VG_MEM_IO, o->topic)) ||
        !(s->bootstrap = vg_strdup(VG_MEM_IO, o->bootstrap))) {
        vg_error_set(err, VG_ERR_NOMEM, "out of memory");
        vg_kafka_sink_close(s);
        return NULL;
    }
    s->props = o->props;
    s->nprops = o->nprops;
    s->p = o->producer;
    if (!s->p) {
        vg_kafka_producer_opts po = {.name = o->name,
                                     .bootstrap = o->bootstrap,
                                     .props = o->props,
                                     .nprops = o->nprops,
                                     .transactional_id = o->transactional_id,
                                     .txn_timeout_ms = o->txn_timeout_ms,
                                     .log = o->log,
                                     .log_arg = o->log_arg};
        if (!(s->p = vg_kafka_producer_open(&po, err))) {
            vg_kafka_sink_close(s);
            return NULL;
        }
        s->owns_p = true;
    }
    s->rkt = rd_kafka_topic_new(s->p->h.rk, s->topic, NULL);
    if (!s->rkt) {
        vg_error_set(err, VG_ERR_CONFIG, "%s: topic '%s': %s", s->what, s->topic,
                     rd_kafka_err2str(rd_kafka_last_error()));
        vg_kafka_sink_close(s);
        return NULL;
    }
    if (o->positions && read_partitions(s, err) < 0) {
        vg_kafka_sink_close(s);
        return NULL;
    }
    return s;
}

void vg_kafka_sink_close(vg_kafka_sink *s)
{
    if (!s)
        return;
    if (s->rkt)
        rd_kafka_topic_destroy(s->rkt);
    if (s->owns_p)
        vg_kafka_producer_close(s->p);
    vg_free(s->topic);
    vg_free(s->bootstrap);
    vg_free(s->ends);
    vg_free(s->what);
    vg_free(s);
}

int vg_kafka_sink_send(vg_kafka_sink *s, const char *key, size_t keylen, const char *value,
                       size_t len, vg_error *err)
{
    return vg_kafka_sink_send_to(s, RD_KAFKA_PARTITION_UA, key, keylen, value, len, 0, err);
}

/* Finish a commit that failed for a while (the broker away), then begin
 * the next transaction. */
static int open_txn(vg_kafka_producer *p, vg_error *err)
{
    for (int tries = 0; p->committing; tries++) {
        vg_error_clear(err);
        if (vg_kafka_producer_commit(p, 1000, err) == 0)
            break;
        if (!err->retriable || tries == 120)
            return -1;
    }
    if (txn_error(p, rd_kafka_begin_transaction(p->h.rk), "begin", err) < 0)
        return -1;
    p->in_txn = true;
    return 0;
}

int vg_kafka_producer_flush(vg_kafka_producer *p, int timeout_ms, vg_error *err)
{
    rd_kafka_resp_err_t e = rd_kafka_flush(p->h.rk, timeout_ms);
    if (vg_kafka_check_fatal(&p->h, err) < 0)
        return -1;
    if (e == RD_KAFKA_RESP_ERR__TIMED_OUT)
        return vg_kafka_fail(err, e, true, "%s: %d messages not delivered within %d ms",
                             p->h.what, rd_kafka_outq_len(p->h.rk), timeout_ms);
    return 0;
}

int vg_kafka_producer_commit(vg_kafka_producer *p, int timeout_ms, vg_error *err)
{
    if (vg_kafka_producer_flush(p, timeout_ms, err) < 0)
        return -1; /* the transaction stays open: rows go on into it */
    if (!p->in_txn && !p->committing)
        return 0;
    rd_kafka_error_t *e = rd_kafka_commit_transaction(p->h.rk, timeout_ms);
    if (e && rd_kafka_error_txn_requires_abort(e)) {
        rd_kafka_error_destroy(e);
        rd_kafka_error_t *a = rd_kafka_abort_transaction(p->h.rk, timeout_ms);
        if (a)
            rd_kafka_error_destroy(a);
        p->in_txn = false;
        return vg_kafka_fail(err, RD_KAFKA_RESP_ERR__STATE, false,
                             "%s: the broker aborted the transaction since the last checkpoint; "
                             "a restart writes its rows again",
                             p->h.what);
    }
    if (txn_error(p, e, "commit", err) < 0) {
        /* to be finished before the next send, which then begins a new one */
        p->committing = err->retriable;
        p->in_txn = false;
        return -1;
    }
    p->in_txn = p->committing = false;
    return 0;
}

int vg_kafka_producer_poll(vg_kafka_producer *p, vg_error *err)
{
    rd_kafka_poll(p->h.rk, 0);
    return vg_kafka_check_fatal(&p->h, err);
}

int vg_kafka_sink_commit(vg_kafka_sink *s, int timeout_ms, vg_error *err)
{
    if (s->n.failed)
        return failed(s, err);
    if (vg_kafka_producer_commit(s->p, timeout_ms, err) < 0)
        return s->n.failed ? failed(s, err) : -1;
    return s->n.failed ? failed(s, err) : 0;
}

int32_t vg_kafka_sink_partitions(const vg_kafka_sink *s) { return s->nparts; }

int32_t vg_kafka_sink_partition_for(const vg_kafka_sink *s, const char *key, size_t keylen,
                                    uint64_t seq)
{
    if (key)
        return rd_kafka_msg_partitioner_murmur2(s->rkt, key, keylen, s->nparts, NULL, NULL);
    return (int32_t)((seq ? seq - 1 : 0) % (uint64_t)s->nparts);
}

const int64_t *vg_kafka_sink_ends(const vg_kafka_sink *s) { return s->ends; }

int vg_kafka_sink_send_to(vg_kafka_sink *s, int32_t partition, const char *key, size_t keylen,
                          const char *value, size_t len, uint64_t seq, vg_error *err)
{
    char num[24];
    int numlen = snprintf(num, sizeof num, "%" PRIu64, seq);
    rd_kafka_headers_t *hdrs = NULL;
    if (s->p->txn && !s->p->in_txn && open_txn(s->p, err) < 0)
        return -1;
    for (;;) {
        if (s->n.failed)
            return failed(s, err);
        if (seq && !hdrs) { /* producev takes the headers only when it succeeds */
            hdrs = rd_kafka_headers_new(1);
            rd_kafka_header_add(hdrs, "vigil-seq", -1, num, numlen);
        }
        rd_kafka_resp_err_t e = rd_kafka_producev(
            s->p->h.rk, RD_KAFKA_V_RKT(s->rkt), RD_KAFKA_V_PARTITION(partition),
            RD_KAFKA_V_OPAQUE(s),
            RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_VALUE((void *)value, len),
            RD_KAFKA_V_KEY(key, key ? keylen : 0), RD_KAFKA_V_HEADERS(hdrs), RD_KAFKA_V_END);
        if (!e) {
            s->n.sent++;
            return 0;
        }
        if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
            if (hdrs)
                rd_kafka_headers_destroy(hdrs);
            return vg_kafka_fail(err, e, false, "%s: cannot produce to topic '%s': %s", s->what,
                                 s->topic, rd_kafka_err2str(e));
        }
        rd_kafka_poll(s->p->h.rk, 10); /* deliveries make room */
    }
}

int vg_kafka_sink_poll(vg_kafka_sink *s, vg_error *err)
{
    if (s->owns_p)
        rd_kafka_poll(s->p->h.rk, 0); /* (a shared producer is served once, by its owner) */
    return s->n.failed ? failed(s, err) : vg_kafka_check_fatal(&s->p->h, err);
}

int vg_kafka_sink_flush(vg_kafka_sink *s, int timeout_ms, vg_error *err)
{
    rd_kafka_resp_err_t e = RD_KAFKA_RESP_ERR_NO_ERROR;
    if (vg_kafka_sink_pending(s)) /* (a shared producer: the others' messages too) */
        e = rd_kafka_flush(s->p->h.rk, timeout_ms);
    if (s->n.failed || vg_kafka_check_fatal(&s->p->h, err) < 0)
        return failed(s, err);
    if (e == RD_KAFKA_RESP_ERR__TIMED_OUT)
        return vg_kafka_fail(err, e, true,
                             "%s: %llu messages to topic '%s' not delivered within %d ms",
                             s->what, (unsigned long long)vg_kafka_sink_pending(s), s->topic,
                             timeout_ms);
    return 0;
}

uint64_t vg_kafka_sink_pending(const vg_kafka_sink *s)
{
    return s->n.sent - s->n.delivered - s->n.failed;
}

bool vg_kafka_sink_transactional(const vg_kafka_sink *s) { return s->p->txn; }

void vg_kafka_sink_mark(vg_kafka_sink *s, uint64_t seq)
{
    s->marked = s->ends != NULL;
    s->mark_seq = seq;
    s->mark_left = vg_kafka_sink_pending(s);
    s->mark_failed = s->mark_reported = false;
    for (int32_t p = 0; s->marked && p < s->nparts; p++)
        s->mark_ends[p] = s->ends[p];
}

int vg_kafka_sink_mark_state(const vg_kafka_sink *s, const int64_t **ends, vg_error *err)
{
    *ends = s->mark_ends;
    if (s->mark_failed || s->n.failed)
        return failed(s, err); /* (n.failed counts the marked failure too: -1) */
    return s->mark_left ? 0 : 1;
}

void vg_kafka_sink_unmark(vg_kafka_sink *s) { s->marked = false; }

vg_kafka_sink_counts vg_kafka_sink_counts_get(const vg_kafka_sink *s) { return s->n; }

/* ---- reading back what was written ---- */

/* The vigil-seq header of m as a number, -1 when it has none. */
static int64_t seq_of(rd_kafka_message_t *m)
{
    rd_kafka_headers_t *h;
    const void *v;
    size_t n;
    char num[24];
    if (rd_kafka_message_headers(m, &h) || rd_kafka_header_get_last(h, "vigil-seq", &v, &n) ||
        !v || n == 0 || n >= sizeof num)
        return -1;
    memcpy(num, v, n);
    num[n] = 0;
    char *end;
    long long seq = strtoll(num, &end, 10);
    return *end || seq <= 0 ? -1 : seq;
}

/* A consumer of no group over s's topic, or NULL with err set. */
static rd_kafka_t *reader(vg_kafka_sink *s, vg_kafka_handle *h, vg_error *err)
{
    *h = (vg_kafka_handle){.what = s->what, .log = s->p->h.log, .log_arg = s->p->h.log_arg};
    /* assign() wants a group id; the group is never joined nor committed to */
    const vg_kafka_kv forced[] = {{"bootstrap.servers", s->bootstrap},
                                  {"group.id", "vigil-read-back"},
                                  {"enable.auto.commit", "false"},
                                  {"enable.partition.eof", "false"},
                                  {NULL, NULL}};
    const vg_config_prop *props;
    uint32_t nprops;
    bool off, on;
    if (without_txn_id(s->props, s->nprops, &props, &nprops, &off, &on) < 0) {
        vg_error_set(err, VG_ERR_NOMEM, "out of memory");
        return NULL;
    }
    rd_kafka_conf_t *conf = vg_kafka_conf(h, NULL, props, nprops, forced, err);
    if (props != s->props)
        vg_free((void *)props);
    if (!conf || vg_kafka_new(h, RD_KAFKA_CONSUMER, conf, err) < 0)
        return NULL;
    rd_kafka_poll_set_consumer(h->rk);
    return h->rk;
}

/* Consume from the assignment until every partition p reaches end[p]
 * (pos[p] is where it is), calling fn. */
static int read_until(vg_kafka_sink *s, rd_kafka_t *rk, int64_t *pos, const int64_t *end,
                      vg_kafka_tail_fn fn, void *arg, int timeout_ms, vg_error *err)
{
    int64_t deadline = timeout_ms;
    for (int32_t p = 0; p < s->nparts;) {
        if (pos[p] >= end[p]) {
            p++;
            continue;
        }
        if (deadline <= 0)
            return vg_kafka_fail(err, RD_KAFKA_RESP_ERR__TIMED_OUT, true,
                                 "%s: cannot read topic '%s' back: partition %d ends at"
                                 " %" PRId64 " and no message came after offset %" PRId64,
                                 s->what, s->topic, (int)p, end[p], pos[p]);
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);
        if (!m) {
            deadline -= 100;
            continue;
        }
        int rc = 0;
        if (!m->err && m->partition >= 0 && m->partition < s->nparts) {
            pos[m->partition] = m->offset + 1;
            rc = fn(arg, m->partition, m->offset, seq_of(m), m->payload, m->payload ? m->len : 0,
                    err);
        } else if (m->err && m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            vg_kafka_log(&s->p->h, 4, "CONSUME", "%s: reading back: %s", s->what,
                         rd_kafka_message_errstr(m));
        }
        rd_kafka_message_destroy(m);
        if (rc < 0)
            return -1;
    }
    return 0;
}

int vg_kafka_sink_read_back(vg_kafka_sink *s, const int64_t *from, vg_kafka_tail_fn fn, void *arg,
                            int timeout_ms, vg_error *err)
{
    vg_kafka_handle h;
    int64_t *pos = vg_calloc(VG_MEM_IO, 2 * (size_t)s->nparts, sizeof *pos);
    if (!pos)
        return vg_error_set(err, VG_ERR_NOMEM, "out of memory");
    int64_t *end = pos + s->nparts;
    rd_kafka_t *rk = reader(s, &h, err);
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(s->nparts);
    rd_kafka_resp_err_t e = rk ? 0 : RD_KAFKA_RESP_ERR__FAIL;
    for (int32_t p = 0; !e && p < s->nparts; p++) {
        int64_t low;
        pos[p] = from[p];
        e = rd_kafka_query_watermark_offsets(rk, s->topic, p, &low, &end[p], timeout_ms);
        if (!e && pos[p] < end[p])
            rd_kafka_topic_partition_list_add(l, s->topic, p)->offset = pos[p];
    }
    if (!e)
        e = rd_kafka_assign(rk, l);
    rd_kafka_topic_partition_list_destroy(l);
    int rc = 0;
    if (rk && e) {
        rc = vg_kafka_fail(err, e, true, "%s: cannot read topic '%s' back: %s", s->what,
                           s->topic, rd_kafka_err2str(e));
    } else if (rk) {
        rc = read_until(s, rk, pos, end, fn, arg, timeout_ms, err);
    } else {
        rc = -1;
    }
    if (rk) {
        rd_kafka_consumer_close(rk);
        rd_kafka_destroy(rk);
    }
    vg_free(pos);
    return rc;
}
