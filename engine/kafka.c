/*
 * kafka.c — what the sources, sinks and dev broker share: building a
 * librdkafka configuration from vigil's defaults and the user's properties,
 * the log and error callbacks, fatal errors, and what a client's failure
 * means for a caller that could start over with new clients
 * (vg_kafka_fault_of): the module notes the last few failures it reported
 * on each thread, with the fault each one's librdkafka code means.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "engine/alloc.h"
#include "engine/kafka_int.h"

/* librdkafka's log lines, from any of its threads. */
static void log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    const vg_kafka_handle *h = rd_kafka_opaque(rk);
    if (h && h->log)
        h->log(h->log_arg, level, fac, buf);
}

/* Errors librdkafka reports outside any request (brokers down, all brokers
 * gone): it retries them itself, so they are worth a log line only. Fatal
 * ones are picked up by vg_kafka_check_fatal. */
static void error_cb(rd_kafka_t *rk, int code, const char *reason, void *opaque)
{
    (void)rk;
    vg_kafka_handle *h = opaque;
    vg_kafka_log(h, code == RD_KAFKA_RESP_ERR__FATAL ? 3 : 4, "ERROR", "%s: %s", h->what, reason);
}

void vg_kafka_log(const vg_kafka_handle *h, int level, const char *facility, const char *fmt, ...)
{
    if (!h || !h->log)
        return;
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    h->log(h->log_arg, level, facility, msg);
}

static int set_all(rd_kafka_conf_t *conf, const vg_kafka_kv *kv, vg_error *err)
{
    char errstr[256];
    for (; kv && kv->key; kv++)
        if (rd_kafka_conf_set(conf, kv->key, kv->value, errstr, sizeof errstr) != RD_KAFKA_CONF_OK)
            return vg_error_set(err, VG_ERR_CONFIG, "property '%s': %s", kv->key, errstr);
    return 0;
}

rd_kafka_conf_t *vg_kafka_conf(vg_kafka_handle *h, const vg_kafka_kv *defs,
                               const vg_config_prop *props, uint32_t nprops,
                               const vg_kafka_kv *forced, vg_error *err)
{
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    char errstr[256];
    if (!conf) {
        vg_error_set(err, VG_ERR_NOMEM, "out of memory");
        return NULL;
    }
    if (set_all(conf, defs, err) < 0)
        goto fail;
    for (uint32_t i = 0; i < nprops; i++)
        if (rd_kafka_conf_set(conf, props[i].key, props[i].value, errstr, sizeof errstr) !=
            RD_KAFKA_CONF_OK) {
            vg_error_set(err, VG_ERR_CONFIG, "property '%s': %s", props[i].key, errstr);
            goto fail;
        }
    if (set_all(conf, forced, err) < 0)
        goto fail;
    rd_kafka_conf_set_opaque(conf, h);
    rd_kafka_conf_set_log_cb(conf, log_cb);
    rd_kafka_conf_set_error_cb(conf, error_cb);
    return conf;
fail:
    rd_kafka_conf_destroy(conf);
    return NULL;
}

int vg_kafka_new(vg_kafka_handle *h, rd_kafka_type_t type, rd_kafka_conf_t *conf, vg_error *err)
{
    char errstr[512];
    h->rk = rd_kafka_new(type, conf, errstr, sizeof errstr);
    if (h->rk)
        return 0;
    rd_kafka_conf_destroy(conf);
    return vg_error_set(err, VG_ERR_CONFIG, "%s: %s", h->what, errstr);
}

char *vg_kafka_what(const char *kind, const char *name)
{
    size_t n = strlen(kind) + strlen(name) + 4;
    char *s = vg_malloc(VG_MEM_IO, n);
    if (s)
        snprintf(s, n, "%s '%s'", kind, name);
    return s;
}

/* ---- faults ---- */

/* librdkafka's codes whose failure new clients would meet again (every
 * other code is VG_KAFKA_FAULT_CLIENT). */
static const struct {
    rd_kafka_resp_err_t code;
    vg_kafka_fault fault;
} fault_codes[] = {
    {RD_KAFKA_RESP_ERR__FENCED, VG_KAFKA_FAULT_FENCED},
    {RD_KAFKA_RESP_ERR_PRODUCER_FENCED, VG_KAFKA_FAULT_FENCED},
    {RD_KAFKA_RESP_ERR_INVALID_PRODUCER_EPOCH, VG_KAFKA_FAULT_FENCED},
    {RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE, VG_KAFKA_FAULT_REFUSED},
    {RD_KAFKA_RESP_ERR_RECORD_LIST_TOO_LARGE, VG_KAFKA_FAULT_REFUSED},
    {RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED, VG_KAFKA_FAULT_REFUSED},
    {RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED, VG_KAFKA_FAULT_REFUSED},
    {RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED, VG_KAFKA_FAULT_REFUSED},
    {RD_KAFKA_RESP_ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED, VG_KAFKA_FAULT_REFUSED},
    {RD_KAFKA_RESP_ERR_SASL_AUTHENTICATION_FAILED, VG_KAFKA_FAULT_REFUSED},
    {RD_KAFKA_RESP_ERR__AUTHENTICATION, VG_KAFKA_FAULT_REFUSED},
    {RD_KAFKA_RESP_ERR_INVALID_TRANSACTION_TIMEOUT, VG_KAFKA_FAULT_REFUSED},
};

/* The last client failures reported on this thread, a ring (one that
 * stopped a caller may be followed by others while it winds down). */
#define NFAILURES 4
static _Thread_local struct {
    char msg[sizeof ((vg_error *)0)->msg]; /* its message; "" when none */
    vg_kafka_fault fault;                  /* what it means */
} failures[NFAILURES];
static _Thread_local unsigned nfailures; /* reported so far: the next goes to % NFAILURES */

static vg_kafka_fault fault_for(rd_kafka_resp_err_t code)
{
    for (size_t i = 0; i < sizeof fault_codes / sizeof fault_codes[0]; i++)
        if (fault_codes[i].code == code)
            return fault_codes[i].fault;
    return VG_KAFKA_FAULT_CLIENT;
}

static int fail_v(vg_error *err, rd_kafka_resp_err_t code, bool retriable, const char *fmt,
                  va_list ap)
{
    if (vg_error_is_set(err))
        return -1;
    char msg[sizeof err->msg];
    vsnprintf(msg, sizeof msg, fmt, ap);
    vg_error_set(err, VG_ERR_IO, "%s", msg);
    err->retriable = retriable;
    unsigned i = nfailures++ % NFAILURES;
    snprintf(failures[i].msg, sizeof failures[i].msg, "%s", err->msg);
    failures[i].fault = fault_for(code);
    return -1;
}

int vg_kafka_fail(vg_error *err, rd_kafka_resp_err_t code, bool retriable, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fail_v(err, code, retriable, fmt, ap);
    va_end(ap);
    return -1;
}

int vg_kafka_late(vg_error *err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fail_v(err, RD_KAFKA_RESP_ERR__TIMED_OUT, true, fmt, ap);
    va_end(ap);
    return -1;
}

vg_kafka_fault vg_kafka_fault_of(const vg_error *e)
{
    for (unsigned k = 1; e && e->code == VG_ERR_IO && k <= NFAILURES && k <= nfailures; k++) {
        unsigned i = (nfailures - k) % NFAILURES; /* the newest first */
        if (strstr(e->msg, failures[i].msg))
            return failures[i].fault;
    }
    return VG_KAFKA_FAULT_NONE;
}

int vg_kafka_check_fatal(const vg_kafka_handle *h, vg_error *err)
{
    char errstr[512];
    rd_kafka_resp_err_t code = rd_kafka_fatal_error(h->rk, errstr, sizeof errstr);
    if (code == RD_KAFKA_RESP_ERR_NO_ERROR)
        return 0;
    if (fault_for(code) == VG_KAFKA_FAULT_FENCED)
        return vg_kafka_fail(err, code, false,
                             "%s: fenced: a producer with the same transactional.id started "
                             "after this one (another instance running?): %s",
                             h->what, errstr);
    return vg_kafka_fail(err, code, false, "%s: fatal Kafka error: %s", h->what, errstr);
}
