/*
 * kafka.h — everything vigil does with Kafka, behind one header: the dev
 * broker (librdkafka's mock cluster on loopback), sources (one consumer per
 * stream) and sinks (one producer per sink). The files of this module
 * (engine/kafka*.c) are the only ones that include librdkafka's headers.
 *
 *   kafka.c         configuration, logging and errors shared by the others
 *   kafka_broker.c  the dev broker, its fixed ports, its fault-control commands
 *   kafka_source.c  a consumer in a group, polled in batches, offsets committed
 *   kafka_sink.c    a producer whose delivery reports are counted and checked
 *
 * Library code: nothing here prints. librdkafka's log lines go to the
 * caller's vg_kafka_log_fn (from librdkafka's own threads), errors come
 * back in vg_error. A consumer or producer error that librdkafka calls
 * fatal stops whoever polls; transient ones (a broker going away) are
 * logged and retried by librdkafka itself.
 */
#ifndef VG_KAFKA_H
#define VG_KAFKA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/buf.h"
#include "engine/config.h"
#include "engine/error.h"

/* librdkafka's log levels are syslog's: 3 error, 4 warning, 5 notice, 7 debug. */
typedef void (*vg_kafka_log_fn)(void *arg, int level, const char *facility, const char *msg);

/* ==== the dev broker ==== */

/* A topic to create before clients connect (the mock gives a topic it does
 * not know 4 partitions the first time a client asks for it). */
typedef struct vg_kafka_topic_spec {
    const char *name;   /* topic name (borrowed) */
    int32_t partitions; /* >= 1 */
} vg_kafka_topic_spec;

typedef struct vg_kafka_broker_opts {
    int port;                          /* port of broker 1, the others follow (N+1, ...);
                                          0: ephemeral ports chosen by the system */
    int brokers;                       /* how many brokers (>= 1; 0 means 1) */
    uint32_t ntopics;                  /* topics to create at start */
    const vg_kafka_topic_spec *topics; /* (borrowed) */
    vg_kafka_log_fn log;               /* librdkafka's log lines; NULL: dropped */
    void *log_arg;
} vg_kafka_broker_opts;

typedef struct vg_kafka_broker vg_kafka_broker;

/* Start a mock cluster listening on 127.0.0.1 only. Returns the broker
 * (free with vg_kafka_broker_stop), or NULL with err set: VG_ERR_IO
 * "cannot listen on 127.0.0.1:9092: Address already in use" when a fixed
 * port is taken, VG_ERR_USAGE for a bad topic, VG_ERR_NOMEM. One broker
 * per process at a time. */
vg_kafka_broker *vg_kafka_broker_start(const vg_kafka_broker_opts *o, vg_error *err);
/* The bootstrap list, "127.0.0.1:9092,127.0.0.1:9093"; owned by b. */
const char *vg_kafka_broker_bootstraps(const vg_kafka_broker *b);
/* Run one fault-control command (docs/kafka.md, "Fault control"):
 *   down ID | up ID | rtt ID MS | errors API COUNT ERROR | clear API |
 *   leader TOPIC PARTITION ID | topic NAME PARTITIONS | bootstrap | help
 * and append its one-line answer to reply ("ok", "ok 127.0.0.1:9092", or
 * what `help` lists). 0, or -1 with err set (VG_ERR_USAGE: an unknown
 * command or a bad argument, with what was expected; VG_ERR_NOMEM). */
int vg_kafka_broker_control(vg_kafka_broker *b, const char *line, vg_buf *reply, vg_error *err);
/* Stop the cluster (about 1.6 s) and free b; NULL is fine. */
void vg_kafka_broker_stop(vg_kafka_broker *b);

/* ==== sources: one consumer per stream ==== */

typedef struct vg_kafka_source_opts {
    const char *name;            /* the stream's name, for messages (borrowed) */
    const char *bootstrap;       /* bootstrap.servers */
    const char *topic;           /* the one topic consumed */
    const char *group;           /* group.id */
    const vg_config_prop *props; /* passed through, after vigil's defaults
                                    (auto.offset.reset=earliest) and before
                                    enable.auto.commit=false, which always holds */
    uint32_t nprops;
    /* Where a newly assigned partition starts: an offset >= 0, or -1 for the
     * group's committed offset (then auto.offset.reset). NULL: always -1.
     * Called from vg_kafka_source_poll. */
    int64_t (*start_offset)(void *arg, int32_t partition);
    void *start_arg;
    vg_kafka_log_fn log; /* NULL: log lines are dropped */
    void *log_arg;
} vg_kafka_source_opts;

/* One message of a poll; every pointer is valid until the next poll or
 * vg_kafka_source_release. */
typedef struct vg_kafka_msg {
    const char *value; /* the payload; NULL for a tombstone */
    size_t len;        /* its bytes */
    const char *key;   /* the key, or NULL */
    size_t keylen;
    int32_t partition;
    int64_t offset;
    int64_t timestamp_ms; /* the message's timestamp, -1 when none */
} vg_kafka_msg;

typedef struct vg_kafka_source vg_kafka_source;

/* Create the consumer and subscribe to the topic (the group assigns
 * partitions during later polls). NULL with err set: VG_ERR_CONFIG for a
 * property librdkafka refuses ("property 'x': No such configuration
 * property: \"x\""), VG_ERR_NOMEM. */
vg_kafka_source *vg_kafka_source_open(const vg_kafka_source_opts *o, vg_error *err);
/* Leave the group and free s; NULL is fine. */
void vg_kafka_source_close(vg_kafka_source *s);

/* Release the messages of the last poll, then fetch up to max messages into
 * out, waiting at most timeout_ms for the first (0: do not wait) and not at
 * all for the rest. Consumer errors that are not fatal (a broker down, a
 * partition not ready) are logged and skipped. Returns the count, or -1
 * with err set on a fatal consumer error or when out of memory. */
int vg_kafka_source_poll(vg_kafka_source *s, vg_kafka_msg *out, uint32_t max, int timeout_ms,
                         vg_error *err);
/* Give the messages of the last poll back to librdkafka. */
void vg_kafka_source_release(vg_kafka_source *s);
/* A descriptor that becomes readable when messages or events arrive on a
 * consumer whose queue was drained (a poll that returned fewer than max).
 * Owned by s; poll empties it. */
int vg_kafka_source_fd(const vg_kafka_source *s);

/* The partitions assigned now, and a counter that changes whenever they
 * change (both updated by poll). *parts is owned by s. */
uint32_t vg_kafka_source_assignment(const vg_kafka_source *s, const int32_t **parts);
uint64_t vg_kafka_source_generation(const vg_kafka_source *s);

/* Commit next[i] as the group's offset of parts[i] (the offset of the next
 * message to read). async: return at once (failures are logged); else wait.
 * 0, or -1 with err set (synchronous commits only; retriable when the
 * group is rebalancing). */
int vg_kafka_source_commit(vg_kafka_source *s, const int32_t *parts, const int64_t *next,
                           uint32_t n, bool async, vg_error *err);

/* ==== sinks: one producer per sink ==== */

typedef struct vg_kafka_sink_opts {
    const char *name;            /* the sink's name, for messages (borrowed) */
    const char *bootstrap;       /* bootstrap.servers */
    const char *topic;           /* the topic produced to */
    const vg_config_prop *props; /* passed through, after vigil's defaults
                                    (enable.idempotence=true, linger.ms=1,
                                    partitioner=murmur2_random) */
    uint32_t nprops;
    vg_kafka_log_fn log; /* NULL: log lines are dropped */
    void *log_arg;
} vg_kafka_sink_opts;

/* Counts of one sink's messages. */
typedef struct vg_kafka_sink_counts {
    uint64_t sent;      /* handed to librdkafka */
    uint64_t delivered; /* acknowledged by the broker */
    uint64_t failed;    /* given up on (a delivery report with an error) */
} vg_kafka_sink_counts;

typedef struct vg_kafka_sink vg_kafka_sink;

/* Create the producer. NULL with err set (as vg_kafka_source_open). */
vg_kafka_sink *vg_kafka_sink_open(const vg_kafka_sink_opts *o, vg_error *err);
/* Free s, dropping what was not delivered (flush first); NULL is fine. */
void vg_kafka_sink_close(vg_kafka_sink *s);

/* Queue one message (value and key are copied; key may be NULL). When
 * librdkafka's queue is full, waits for deliveries to make room. 0, or -1
 * with err set (a delivery already failed, or the message is refused, e.g.
 * larger than message.max.bytes). */
int vg_kafka_sink_send(vg_kafka_sink *s, const char *key, size_t keylen, const char *value,
                       size_t len, vg_error *err);
/* Serve delivery reports without waiting. -1 with err set once any message
 * has failed ("sink 'x': delivery to topic 't' failed: ..."). */
int vg_kafka_sink_poll(vg_kafka_sink *s, vg_error *err);
/* Wait until every message sent is delivered, at most timeout_ms. -1 with
 * err set on a failed delivery, or (retriable) when time ran out. */
int vg_kafka_sink_flush(vg_kafka_sink *s, int timeout_ms, vg_error *err);
/* Messages sent and not yet reported. */
uint64_t vg_kafka_sink_pending(const vg_kafka_sink *s);
vg_kafka_sink_counts vg_kafka_sink_counts_get(const vg_kafka_sink *s);

#endif
