/*
 * kafka.c — what the sources, sinks and dev broker share: building a
 * librdkafka configuration from vigil's defaults and the user's properties,
 * the log and error callbacks, fatal errors.
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

int vg_kafka_check_fatal(const vg_kafka_handle *h, vg_error *err)
{
    char errstr[512];
    if (rd_kafka_fatal_error(h->rk, errstr, sizeof errstr) == RD_KAFKA_RESP_ERR_NO_ERROR)
        return 0;
    return vg_error_set(err, VG_ERR_IO, "%s: fatal Kafka error: %s", h->what, errstr);
}
