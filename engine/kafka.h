/*
 * kafka.h — everything vigil does with Kafka, behind one header: the dev
 * broker (librdkafka's mock cluster on loopback), sources (one consumer per
 * stream) and sinks (topics written through a producer of their own, or one
 * producer shared by several sinks). The files of this module
 * (engine/kafka*.c) are the only ones that include librdkafka's headers.
 *
 *   kafka.c         configuration, logging and errors shared by the others
 *   kafka_broker.c  the dev broker, its fixed ports, its fault-control commands
 *   kafka_source.c  a consumer in a group, polled in batches, offsets committed
 *   kafka_sink.c    producers, and sinks whose delivery reports are counted and
 *                   checked
 *
 * Library code: nothing here prints. librdkafka's log lines go to the
 * caller's vg_kafka_log_fn (from librdkafka's own threads), errors come
 * back in vg_error. A consumer or producer error that librdkafka calls
 * fatal stops whoever polls; transient ones (a broker going away) are
 * logged and retried by librdkafka itself. A client's failure is a
 * VG_ERR_IO error whose fault (vg_kafka_fault_of) tells whether new
 * clients could do better: what `vigil run` restarts for.
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

/* What a client's failure (a VG_ERR_IO error of this module) means for a
 * caller that could close every client and open new ones (`vigil run`
 * restarting from its checkpoint). */
typedef enum vg_kafka_fault {
    VG_KAFKA_FAULT_NONE,    /* not a failure this module reported (or not the last one it
                               reported on this thread) */
    VG_KAFKA_FAULT_CLIENT,  /* a client or the broker failed: a fatal producer or consumer
                               error, a transaction that failed or was aborted, deliveries that
                               failed or timed out, a broker out of reach. New clients may not
                               meet it again */
    VG_KAFKA_FAULT_FENCED,  /* a transactional producer fenced: another producer started with
                               its transactional.id (another instance is running) */
    VG_KAFKA_FAULT_REFUSED, /* the broker refuses what is asked, and would again: a message
                               too large, not authorised, authentication failed */
} vg_kafka_fault;

/* The fault behind e: the kind of one of the last client failures this
 * module reported on the calling thread (the newest such) whose message e's
 * holds (as it is, or quoted in a longer one); VG_KAFKA_FAULT_NONE
 * otherwise, and for an error that is not VG_ERR_IO. */
vg_kafka_fault vg_kafka_fault_of(const vg_error *e);
/* Report deliveries the caller found late by a deadline of its own (not
 * librdkafka's): err set to a VG_ERR_IO error, retriable, with the message
 * fmt makes, a VG_KAFKA_FAULT_CLIENT for vg_kafka_fault_of. Returns -1;
 * does nothing (but return -1) when err is already set. */
int vg_kafka_late(vg_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

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
    bool manual;         /* join no group: the caller assigns partitions with
                            vg_kafka_source_assign and reads each with
                            vg_kafka_source_poll_partition (checkpoints) */
    bool eof;            /* note each partition's end (enable.partition.eof=true, forced):
                            vg_kafka_source_eof */
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
 * partitions during later polls; manual: no subscription, no group
 * joined). NULL with err set: VG_ERR_CONFIG for a
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
 * group is rebalancing). Works in manual mode too (for monitoring: the
 * group is not joined). */
int vg_kafka_source_commit(vg_kafka_source *s, const int32_t *parts, const int64_t *next,
                           uint32_t n, bool async, vg_error *err);
/* Has partition reached its end (an end-of-partition event since its last
 * message)? Only with opts.eof. */
bool vg_kafka_source_eof(const vg_kafka_source *s, int32_t partition);

/* ---- manual mode (opts.manual) ---- */

/* The topic's partition count, from the broker (waiting at most
 * timeout_ms; a missing topic the cluster creates on demand is created).
 * -1 with err set: VG_ERR_IO "source 'x': cannot read the partitions of
 * topic 't': ..." (retriable). */
int vg_kafka_source_partition_count(vg_kafka_source *s, int timeout_ms, vg_error *err);
/* Where partitions parts[0..n) start when offsets[i] < 0: the group's
 * committed offset, else the earliest one (the latest, when the
 * properties say auto.offset.reset=latest); offsets[i] >= 0 are kept.
 * 0, or -1 with err set (VG_ERR_IO, retriable). */
int vg_kafka_source_resolve(vg_kafka_source *s, const int32_t *parts, int64_t *offsets,
                            uint32_t n, int timeout_ms, vg_error *err);
/* The end offset of partition now (the offset the next message will get),
 * asked of the broker. 0, or -1 with err set (VG_ERR_IO, retriable). */
int vg_kafka_source_end(vg_kafka_source *s, int32_t partition, int timeout_ms, int64_t *end,
                        vg_error *err);
/* Read partitions parts[i] from offsets[i] (>= 0), each from a queue of
 * its own, instead of what was assigned before. 0, or -1 with err set. */
int vg_kafka_source_assign(vg_kafka_source *s, const int32_t *parts, const int64_t *offsets,
                           uint32_t n, vg_error *err);
/* Serve the consumer's events (errors, commit results) and empty its wake-
 * up descriptor: call it at the start of each turn, before reading the
 * partitions. -1 with err set on a fatal error. */
int vg_kafka_source_serve(vg_kafka_source *s, vg_error *err);
/* As vg_kafka_source_poll, from the queue of one assigned partition: up to
 * max of its next messages, in offset order. -1 with err set (also for a
 * partition not assigned). */
int vg_kafka_source_poll_partition(vg_kafka_source *s, int32_t partition, vg_kafka_msg *out,
                                   uint32_t max, int timeout_ms, vg_error *err);

/* ==== producers: one per sink, or one shared by several sinks ==== */

typedef struct vg_kafka_producer_opts {
    const char *kind;            /* for messages: "KIND 'NAME'" (NULL: "sink") */
    const char *name;            /* ... and the name (borrowed) */
    const char *bootstrap;       /* bootstrap.servers */
    const vg_config_prop *props; /* passed through, after vigil's defaults
                                    (enable.idempotence=true, linger.ms=1,
                                    partitioner=murmur2_random, socket.nagle.disable=true) */
    uint32_t nprops;
    const char *transactional_id; /* a transactional producer with this id (a property
                                     may override it), a transaction from one
                                     vg_kafka_producer_commit to the next; NULL: none */
    int64_t txn_timeout_ms;       /* transaction.timeout.ms unless a property says; 0:
                                     librdkafka's (60 s) */
    vg_kafka_log_fn log;          /* NULL: log lines are dropped */
    void *log_arg;
} vg_kafka_producer_opts;

/* One librdkafka producer: its threads, its connections, its transaction. */
typedef struct vg_kafka_producer vg_kafka_producer;

/* Create the producer (transactional: fencing any other with its id). NULL
 * with err set (as vg_kafka_sink_open). */
vg_kafka_producer *vg_kafka_producer_open(const vg_kafka_producer_opts *o, vg_error *err);
/* Drop what p has not delivered (each such message counted as failed by its
 * sink), waiting at most timeout_ms for the reports: before its sinks are
 * closed, when they did not flush. */
void vg_kafka_producer_drop(vg_kafka_producer *p, int timeout_ms);
/* Free p, dropping what was not delivered; after every sink using it is
 * closed (vg_kafka_producer_drop first: a report must not come for a sink
 * that is gone). NULL is fine. */
void vg_kafka_producer_close(vg_kafka_producer *p);
/* Serve the delivery reports of every sink on p, without waiting. -1 with
 * err set on a fatal producer error (each sink's failed deliveries are its
 * own vg_kafka_sink_poll's). */
int vg_kafka_producer_poll(vg_kafka_producer *p, vg_error *err);
/* Wait until every message of every sink on p is delivered, at most
 * timeout_ms. -1 with err set (retriable when time ran out). */
int vg_kafka_producer_flush(vg_kafka_producer *p, int timeout_ms, vg_error *err);
/* vg_kafka_producer_flush, then commit the open transaction, if any: one
 * for every sink on p (vg_kafka_sink_commit says what can fail). */
int vg_kafka_producer_commit(vg_kafka_producer *p, int timeout_ms, vg_error *err);

/* ==== sinks: a topic, on a producer of its own or a shared one ==== */

typedef struct vg_kafka_sink_opts {
    const char *name;            /* the sink's name, for messages (borrowed) */
    const char *bootstrap;       /* bootstrap.servers */
    const char *topic;           /* the topic produced to */
    const vg_config_prop *props; /* passed through, after vigil's defaults
                                    (enable.idempotence=true, linger.ms=1,
                                    partitioner=murmur2_random) */
    uint32_t nprops;
    bool positions;      /* read the topic's partitions and their end offsets at open,
                            for vg_kafka_sink_partition_for, _ends and _read_back
                            (checkpoints: exactly-once output) */
    const char *transactional_id; /* a transactional producer with this id (a property
                                     may override it), a transaction from one
                                     vg_kafka_sink_commit to the next; NULL: none */
    int64_t txn_timeout_ms;       /* transaction.timeout.ms unless a property says; 0:
                                     librdkafka's (60 s) */
    vg_kafka_producer *producer;  /* shared: the sink sends through it (borrowed: it must
                                     outlive the sink; the caller serves it with
                                     vg_kafka_producer_poll, and bootstrap, props and
                                     transactional_id are its own); NULL: a producer of
                                     the sink's own, made from those */
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

/* Create the producer (transactional: fencing any other with its id,
 * whose open transaction the broker aborts); with opts.positions, also
 * read the topic's partition count and end offsets (a topic the cluster
 * creates on demand is created), waiting up to 10 s for the broker. NULL
 * with err set (as vg_kafka_source_open; VG_ERR_IO, retriable, when the
 * broker cannot be reached in time). */
vg_kafka_sink *vg_kafka_sink_open(const vg_kafka_sink_opts *o, vg_error *err);
/* Free s, dropping what was not delivered (flush first); NULL is fine. */
void vg_kafka_sink_close(vg_kafka_sink *s);

/* Queue one message (value and key are copied; key may be NULL). When
 * librdkafka's queue is full, waits for deliveries to make room. 0, or -1
 * with err set (a delivery already failed, or the message is refused, e.g.
 * larger than message.max.bytes). */
int vg_kafka_sink_send(vg_kafka_sink *s, const char *key, size_t keylen, const char *value,
                       size_t len, vg_error *err);
/* The rest needs opts.positions. */
/* The topic's partition count (as read at open). */
int32_t vg_kafka_sink_partitions(const vg_kafka_sink *s);
/* The partition row seq of a sink goes to: a key's is murmur2's (as the
 * Java clients choose, whatever the partitioner property says); a row
 * without a key (key NULL) goes to (seq - 1) modulo the partition count,
 * so that the same rows go to the same partitions on every run. */
int32_t vg_kafka_sink_partition_for(const vg_kafka_sink *s, const char *key, size_t keylen,
                                    uint64_t seq);
/* As vg_kafka_sink_send, to partition (-1: the one librdkafka's
 * partitioner picks; works without opts.positions), with the header
 * vigil-seq: seq in decimal (none when seq is 0). */
int vg_kafka_sink_send_to(vg_kafka_sink *s, int32_t partition, const char *key, size_t keylen,
                          const char *value, size_t len, uint64_t seq, vg_error *err);
/* Per partition (vg_kafka_sink_partitions of them), the offset after the
 * last message delivered, or, before any, the end asked at open. Owned by
 * s; delivery reports move it. */
const int64_t *vg_kafka_sink_ends(const vg_kafka_sink *s);
/* A message read back by vg_kafka_sink_read_back: seq is its vigil-seq
 * header's number (-1: none). Return 0 to go on, -1 (err set) to stop. */
typedef int (*vg_kafka_tail_fn)(void *arg, int32_t partition, int64_t offset, int64_t seq,
                                const char *value, size_t len, vg_error *err);
/* Read every message of the topic from[p] on, up to each partition's end
 * now, with a consumer of its own (no group, read_committed: a real
 * cluster's aborted transactions are skipped), calling fn for each: each
 * partition's in offset order, the partitions interleaved. 0, or -1 with
 * err set (fn's error, or VG_ERR_IO, retriable, when the topic cannot be
 * read within timeout_ms). */
int vg_kafka_sink_read_back(vg_kafka_sink *s, const int64_t *from, vg_kafka_tail_fn fn, void *arg,
                            int timeout_ms, vg_error *err);
/* Serve delivery reports without waiting (a shared producer is served by
 * vg_kafka_producer_poll instead). -1 with err set once any message
 * has failed ("sink 'x': delivery to topic 't' failed: ..."). */
int vg_kafka_sink_poll(vg_kafka_sink *s, vg_error *err);
/* Wait until every message sent is delivered, at most timeout_ms (on a
 * shared producer, every sink's). -1 with err set on a failed delivery, or
 * (retriable) when time ran out. */
int vg_kafka_sink_flush(vg_kafka_sink *s, int timeout_ms, vg_error *err);
/* Wait until every message sent is delivered (as vg_kafka_sink_flush), then
 * commit the open transaction, if any (the next send begins another; on a
 * shared producer, the one transaction of all its sinks: committing it for
 * one sink commits it for all, and the others' commits then find none). -1
 * with err set: a flush that timed out (retriable; the transaction stays
 * open), a commit that may pass (retriable: the next send finishes it
 * first, waiting up to 2 minutes for the broker), a transaction the
 * broker aborted (its rows are not committed: not retriable). */
int vg_kafka_sink_commit(vg_kafka_sink *s, int timeout_ms, vg_error *err);
/* Messages sent and not yet reported. */
uint64_t vg_kafka_sink_pending(const vg_kafka_sink *s);
/* Is the sink's producer transactional (a transaction from one
 * vg_kafka_sink_commit to the next)? A sink whose properties set
 * `transactional.id` to the empty string is not, even when its opts name
 * an id. */
bool vg_kafka_sink_transactional(const vg_kafka_sink *s);

/* A cut without a flush (checkpoints of sinks that are not transactional):
 * mark notes the messages sent so far (the last of them numbered seq), and
 * the delivery reports served from then on say when every one of them is
 * delivered (0 from vg_kafka_sink_mark_state while some are not, 1 then,
 * with *ends the offset after the last marked message per partition, or
 * the end before it: valid until the next mark or unmark; -1 with err set
 * once one failed). Messages sent after the mark do not count. One mark at
 * a time (a new one replaces it); unmark forgets it. Only messages sent
 * with a vigil-seq (seq > 0) count. Passing the crash point
 * "ckpt-delivering" when the first marked message is reported and others
 * are not yet. */
void vg_kafka_sink_mark(vg_kafka_sink *s, uint64_t seq);
int vg_kafka_sink_mark_state(const vg_kafka_sink *s, const int64_t **ends, vg_error *err);
void vg_kafka_sink_unmark(vg_kafka_sink *s);
vg_kafka_sink_counts vg_kafka_sink_counts_get(const vg_kafka_sink *s);

#endif
