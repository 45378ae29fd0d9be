/*
 * kafka_sink.c — a sink's producer: one topic, messages copied into
 * librdkafka's queue, every delivery report counted.
 *
 * Defaults, which properties override: the idempotent producer (retries
 * after a lost response write no duplicates), linger.ms=1 (end-to-end
 * latency is the product; librdkafka's own default waits 5 ms), and the
 * murmur2 partitioner, so that a key lands on the partition the Java
 * client (Kafka Streams, Flink) would choose for it.
 */
#include <string.h>

#include "engine/alloc.h"
#include "engine/kafka_int.h"

struct vg_kafka_sink {
    vg_kafka_handle h;      /* the producer (first member: the callbacks' opaque) */
    rd_kafka_topic_t *rkt;  /* the topic */
    char *topic;            /* its name (owned) */
    vg_kafka_sink_counts n; /* sent, delivered, failed */
    char first_error[256];  /* the first failed delivery's error, "" when none */
};

/* One delivery report, from inside rd_kafka_poll or rd_kafka_flush. */
static void delivery_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    (void)rk;
    vg_kafka_sink *s = opaque;
    if (!m->err) {
        s->n.delivered++;
        return;
    }
    if (!s->n.failed++)
        snprintf(s->first_error, sizeof s->first_error, "%s", rd_kafka_err2str(m->err));
}

static int failed(const vg_kafka_sink *s, vg_error *err)
{
    if (!s->n.failed)
        return vg_kafka_check_fatal(&s->h, err);
    return vg_error_set(err, VG_ERR_IO, "%s: delivery to topic '%s' failed: %s (%llu messages)",
                        s->h.what, s->topic, s->first_error, (unsigned long long)s->n.failed);
}

vg_kafka_sink *vg_kafka_sink_open(const vg_kafka_sink_opts *o, vg_error *err)
{
    vg_kafka_sink *s = vg_calloc(VG_MEM_IO, 1, sizeof *s);
    if (!s || !(s->h.what = vg_kafka_what("sink", o->name)) ||
        !(s->topic = vg_strdup(VG_MEM_IO, o->topic))) {
        vg_error_set(err, VG_ERR_NOMEM, "out of memory");
        vg_kafka_sink_close(s);
        return NULL;
    }
    s->h.log = o->log;
    s->h.log_arg = o->log_arg;
    const vg_kafka_kv defs[] = {{"enable.idempotence", "true"},
                                {"linger.ms", "1"},
                                {"partitioner", "murmur2_random"},
                                {NULL, NULL}};
    const vg_kafka_kv forced[] = {{"bootstrap.servers", o->bootstrap}, {NULL, NULL}};
    rd_kafka_conf_t *conf = vg_kafka_conf(&s->h, defs, o->props, o->nprops, forced, err);
    if (!conf) {
        vg_kafka_sink_close(s);
        return NULL;
    }
    rd_kafka_conf_set_dr_msg_cb(conf, delivery_cb);
    if (vg_kafka_new(&s->h, RD_KAFKA_PRODUCER, conf, err) < 0) {
        vg_kafka_sink_close(s);
        return NULL;
    }
    s->rkt = rd_kafka_topic_new(s->h.rk, s->topic, NULL);
    if (!s->rkt) {
        vg_error_set(err, VG_ERR_CONFIG, "%s: topic '%s': %s", s->h.what, s->topic,
                     rd_kafka_err2str(rd_kafka_last_error()));
        vg_kafka_sink_close(s);
        return NULL;
    }
    return s;
}

void vg_kafka_sink_close(vg_kafka_sink *s)
{
    if (!s)
        return;
    if (s->h.rk && rd_kafka_outq_len(s->h.rk) > 0)
        rd_kafka_purge(s->h.rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    if (s->rkt)
        rd_kafka_topic_destroy(s->rkt);
    if (s->h.rk)
        rd_kafka_destroy(s->h.rk);
    vg_free(s->topic);
    vg_free((char *)s->h.what);
    vg_free(s);
}

int vg_kafka_sink_send(vg_kafka_sink *s, const char *key, size_t keylen, const char *value,
                       size_t len, vg_error *err)
{
    for (;;) {
        if (s->n.failed)
            return failed(s, err);
        rd_kafka_resp_err_t e = rd_kafka_producev(
            s->h.rk, RD_KAFKA_V_RKT(s->rkt), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
            RD_KAFKA_V_VALUE((void *)value, len), RD_KAFKA_V_KEY(key, key ? keylen : 0),
            RD_KAFKA_V_END);
        if (!e) {
            s->n.sent++;
            return 0;
        }
        if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL)
            return vg_error_set(err, VG_ERR_IO, "%s: cannot produce to topic '%s': %s", s->h.what,
                                s->topic, rd_kafka_err2str(e));
        rd_kafka_poll(s->h.rk, 10); /* deliveries make room */
    }
}

int vg_kafka_sink_poll(vg_kafka_sink *s, vg_error *err)
{
    rd_kafka_poll(s->h.rk, 0);
    return s->n.failed ? failed(s, err) : vg_kafka_check_fatal(&s->h, err);
}

int vg_kafka_sink_flush(vg_kafka_sink *s, int timeout_ms, vg_error *err)
{
    rd_kafka_resp_err_t e = rd_kafka_flush(s->h.rk, timeout_ms);
    if (s->n.failed || vg_kafka_check_fatal(&s->h, err) < 0)
        return failed(s, err);
    if (e == RD_KAFKA_RESP_ERR__TIMED_OUT) {
        vg_error_set(err, VG_ERR_IO, "%s: %llu messages to topic '%s' not delivered within %d ms",
                     s->h.what, (unsigned long long)vg_kafka_sink_pending(s), s->topic, timeout_ms);
        err->retriable = true;
        return -1;
    }
    return 0;
}

uint64_t vg_kafka_sink_pending(const vg_kafka_sink *s)
{
    return s->n.sent - s->n.delivered - s->n.failed;
}

vg_kafka_sink_counts vg_kafka_sink_counts_get(const vg_kafka_sink *s) { return s->n; }
