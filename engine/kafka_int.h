/*
 * kafka_int.h — what the files of the Kafka module share; not public.
 *
 * Every librdkafka handle of vigil has as its opaque an object whose first
 * member is a vg_kafka_handle, so that the shared callbacks (log, error)
 * find the caller's log function and the latched fatal error whatever the
 * handle is.
 */
#ifndef VG_KAFKA_INT_H
#define VG_KAFKA_INT_H

#include <librdkafka/rdkafka.h>

#include "engine/kafka.h"

/* The first member of every handle's opaque object. */
typedef struct vg_kafka_handle {
    rd_kafka_t *rk;      /* the librdkafka handle */
    const char *what;    /* "source 'payments'", "sink 'decisions'", "dev-broker" (owned) */
    vg_kafka_log_fn log; /* the caller's log function, or NULL */
    void *log_arg;
} vg_kafka_handle;

/* One property set by vigil itself. */
typedef struct vg_kafka_kv {
    const char *key;   /* librdkafka property name; NULL ends a list */
    const char *value; /* its value */
} vg_kafka_kv;

/* A configuration for handle h: defs first, then the user's props, then
 * forced (which always win), with the shared callbacks installed and h as
 * opaque. NULL with err set (VG_ERR_CONFIG naming the property, or
 * VG_ERR_NOMEM). */
rd_kafka_conf_t *vg_kafka_conf(vg_kafka_handle *h, const vg_kafka_kv *defs,
                               const vg_config_prop *props, uint32_t nprops,
                               const vg_kafka_kv *forced, vg_error *err);
/* rd_kafka_new over conf (which it takes, also on failure); h->rk is set.
 * -1 with err set. */
int vg_kafka_new(vg_kafka_handle *h, rd_kafka_type_t type, rd_kafka_conf_t *conf, vg_error *err);
/* "source 'NAME'" style names for h->what; NULL when out of memory. */
char *vg_kafka_what(const char *kind, const char *name);
/* Pass a message to h's log function, if any. */
void vg_kafka_log(const vg_kafka_handle *h, int level, const char *facility, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* -1 with err set when librdkafka has raised a fatal error on h, else 0
 * (a fenced producer's says so). */
int vg_kafka_check_fatal(const vg_kafka_handle *h, vg_error *err);
/* Report a client's failure: a VG_ERR_IO error (retriable as said) with
 * the message fmt makes, noted with the fault librdkafka's code means for
 * vg_kafka_fault_of. Returns -1; does nothing (but return -1) when err is
 * already set. */
int vg_kafka_fail(vg_error *err, rd_kafka_resp_err_t code, bool retriable, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
