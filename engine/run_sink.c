/*
 * run_sink.c — the outputs of `vigil run`: each sink of the DAG bound to a
 * Kafka topic, a JSON-lines file (appended to: a restart adds to what is
 * there) or standard output, and the dead-letter sink (a topic, a file, or
 * standard error).
 *
 * A Kafka sink sends each encoded row as one message, its value the JSON
 * object without the newline. Keys follow the SQL: an updating query's
 * rows (GROUP BY, deduplication, Top-N: a changelog) are keyed by its
 * upsert key, the GROUP BY or PARTITION BY columns, so that every change
 * of one key lands on one partition in order, as Flink's upsert-kafka
 * does; append-only rows have no key. A key of one column is its value as
 * text (a string as it is, else its JSON); of several, a JSON object of
 * them in the sink's column order.
 */
#include <errno.h>
#include <string.h>

#include "engine/alloc.h"
#include "engine/json_out.h"
#include "engine/path.h"
#include "engine/run_int.h"

/* ---- keys ---- */

/* The operator whose changelog sink node n writes (a GROUP or RANK), or NULL. */
static const vg_plan_node *changelog_source(const vg_plan_node *n)
{
    while (n->kind != VG_PLAN_GROUP && n->kind != VG_PLAN_RANK) {
        if (n->ninputs != 1 || !n->inputs[0]->updating)
            return NULL;
        n = n->inputs[0];
    }
    return n;
}

/* The name of key column i of a GROUP or RANK node. */
static const char *key_name(const vg_plan_node *g, uint32_t i)
{
    if (g->kind == VG_PLAN_GROUP)
        return g->schema.cols[i].name;             /* the keys come first */
    return g->schema.cols[g->u.rank.keys[i]].name; /* the input row comes first */
}

/* Key columns of sink node n: its upsert key, when it is updating and
 * writes every key column under its name; else none. */
static int sink_keys(run_sink *o, const vg_plan_node *n, vg_error *err)
{
    const vg_plan_node *g = n->updating ? changelog_source(n) : NULL;
    uint32_t nk = !g ? 0 : g->kind == VG_PLAN_GROUP ? g->u.group.nkeys : g->u.rank.nkeys;
    for (uint32_t i = 0; i < nk; i++)
        if (vg_schema_find(&n->schema, key_name(g, i)) < 0)
            return 0; /* a key column is not written: no key */
    if (!nk)
        return 0;
    o->keycols = vg_calloc(VG_MEM_IO, nk, sizeof *o->keycols);
    o->keyrow = vg_calloc(VG_MEM_IO, nk, sizeof *o->keyrow);
    if (!o->keycols || !o->keyrow)
        return vg_error_set(err, VG_ERR_NOMEM, "out of memory");
    for (uint32_t i = 0; i < nk; i++) {
        int c = vg_schema_find(&n->schema, key_name(g, i));
        o->keycols[i] = n->schema.cols[c];
    }
    o->keyschema = (vg_schema){nk, o->keycols};
    if (!(o->keydec = vg_decoder_new(&o->keyschema)))
        return vg_error_set(err, VG_ERR_NOMEM, "out of memory");
    o->nkeys = nk;
    return 0;
}

/* The key of the encoded row line[0..n): *key NULL when it has none. */
static int row_key(run *r, run_sink *o, const char *line, size_t n, const char **key,
                   size_t *keylen, vg_error *err)
{
    char reason[128];
    *key = NULL;
    *keylen = 0;
    if (!o->nkeys)
        return 0;
    int rc = vg_decoder_decode(o->keydec, line, n, o->keyrow, vg_dag_scratch(r->dag), reason,
                               sizeof reason);
    if (rc != VG_DECODE_OK)
        return vg_error_set(err, rc == VG_DECODE_NOMEM ? VG_ERR_NOMEM : VG_ERR_RUNTIME,
                            "sink '%s': reading the key back: %s", o->name, reason);
    vg_buf *b = &o->key;
    vg_buf_clear(b);
    if (o->nkeys == 1) {
        const vg_value *v = &o->keyrow[0];
        if (v->null)
            return 0;
        if (o->keycols[0].type == VG_T_STRING) {
            *key = v->u.s;
            *keylen = v->len;
            return 0;
        }
        if (vg_json_write_value(b, o->keycols[0].type, v) < 0)
            return vg_error_set(err, VG_ERR_NOMEM, "out of memory");
    } else {
        int bad = vg_buf_putc(b, '{');
        for (uint32_t i = 0; i < o->nkeys && !bad; i++) {
            const char *name = o->keycols[i].name;
            bad = (i && vg_buf_putc(b, ',') < 0) ||
                  vg_json_write_string(b, name, strlen(name)) < 0 || vg_buf_putc(b, ':') < 0 ||
                  vg_json_write_value(b, o->keycols[i].type, &o->keyrow[i]) < 0;
        }
        if (bad || vg_buf_putc(b, '}') < 0)
            return vg_error_set(err, VG_ERR_NOMEM, "out of memory");
    }
    *key = b->p;
    *keylen = b->len;
    return 0;
}

/* ---- opening ---- */

static int open_kafka(run *r, run_sink *o, const vg_binding *b, vg_error *err)
{
    vg_error kerr;
    vg_error_clear(&kerr);
    vg_kafka_sink_opts ko = {.name = o->name,
                             .bootstrap = b->bootstrap,
                             .topic = b->topic,
                             .props = b->props,
                             .nprops = b->nprops,
                             .log = run_kafka_log,
                             .log_arg = r};
    o->ks = vg_kafka_sink_open(&ko, &kerr);
    if (o->ks)
        return 0;
    if (kerr.code == VG_ERR_CONFIG && b->at.len)
        return vg_error_at(err, VG_ERR_CONFIG, &r->cfg->yaml, b->at, "%s", kerr.msg);
    *err = kerr;
    return -1;
}

static int open_file(run_sink *o, const char *path, vg_error *err)
{
    if (strcmp(path, "-") == 0) {
        o->f = stdout;
        return 0;
    }
    vg_path_make_parents(path);
    if (!(o->f = fopen(path, "a")))
        return vg_error_set(err, VG_ERR_IO, "cannot open '%s': %s", path, strerror(errno));
    o->owns_f = true;
    return 0;
}

/* Bind output o (named name) as pipeline.yaml says; unbound: fallback, or
 * an error when fallback is NULL. */
static int open_sink(run *r, run_sink *o, const char *name, FILE *fallback, vg_error *err)
{
    const vg_binding *b = vg_config_sink(r->cfg, name);
    o->name = name;
    vg_buf_init(&o->key, VG_MEM_IO);
    if (!b) {
        if (!fallback)
            return vg_error_set(err, VG_ERR_USAGE,
                                "sink '%s' has no binding: bind it in pipeline.yaml (sinks: {%s: "
                                "{kafka: {topic: %s}}} or {file: PATH})",
                                name, name, name);
        o->f = fallback;
        return 0;
    }
    o->m->kafka = b->kind == VG_BINDING_KAFKA;
    if (o->m->kafka)
        return open_kafka(r, o, b, err);
    return open_file(o, b->path, err);
}

/* The first sink node of name (the one whose schema the channel has). */
static const vg_plan_node *sink_node(const vg_plan *plan, const char *name)
{
    for (uint32_t i = 0; i < plan->nsinks; i++)
        if (strcmp(plan->sinks[i]->name, name) == 0)
            return plan->sinks[i];
    return NULL;
}

int run_sinks_open(run *r, vg_error *err)
{
    uint32_t n = vg_dag_nchannels(r->dag);
    for (uint32_t i = 0; i < n; i++) {
        vg_channel *ch = vg_dag_channel(r->dag, i);
        run_sink *o = &r->out[i];
        o->m = &r->m->sinks[i];
        o->m->name = ch->name;
        if (open_sink(r, o, ch->name, ch->is_stdout ? stdout : NULL, err) < 0)
            return -1;
        const vg_plan_node *node = sink_node(r->plan, ch->name);
        if (o->ks && node && sink_keys(o, node, err) < 0)
            return -1;
    }
    r->dead.m = &r->m->sinks[n];
    r->dead.m->name = VG_CONFIG_DEAD_LETTER;
    return open_sink(r, &r->dead, VG_CONFIG_DEAD_LETTER, stderr, err);
}

static void close_sink(run_sink *o)
{
    vg_kafka_sink_close(o->ks);
    if (o->owns_f)
        fclose(o->f);
    else if (o->f)
        fflush(o->f);
    vg_decoder_free(o->keydec);
    vg_free(o->keycols);
    vg_free(o->keyrow);
    vg_buf_free(&o->key);
}

void run_sinks_close(run *r)
{
    if (r->out)
        for (uint32_t i = 0; i < vg_dag_nchannels(r->dag); i++)
            close_sink(&r->out[i]);
    close_sink(&r->dead);
}

/* ---- writing ---- */

/* Send each line of b to o's producer (or write b to its file), then clear b. */
static int write_sink(run *r, run_sink *o, vg_buf *b, vg_error *err)
{
    if (!b->len)
        return 0;
    if (!o->ks) {
        for (size_t i = 0; i < b->len; i++)
            o->m->rows += b->p[i] == '\n';
        if (fwrite(b->p, 1, b->len, o->f) != b->len || fflush(o->f) != 0)
            return vg_error_set(err, VG_ERR_IO, "cannot write sink '%s': %s", o->name,
                                strerror(errno));
        vg_buf_clear(b);
        return 0;
    }
    const char *p = b->p, *end = b->p + b->len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        const char *key;
        size_t keylen;
        if (row_key(r, o, p, n, &key, &keylen, err) < 0 ||
            vg_kafka_sink_send(o->ks, key, keylen, p, n, err) < 0)
            return -1;
        o->m->rows++;
        p += n + 1;
    }
    vg_buf_clear(b);
    return 0;
}

int run_sinks_drain(run *r, vg_error *err)
{
    uint32_t n = vg_dag_nchannels(r->dag);
    for (uint32_t i = 0; i < n; i++)
        if (write_sink(r, &r->out[i], &vg_dag_channel(r->dag, i)->buf, err) < 0)
            return -1;
    return write_sink(r, &r->dead, &r->dead_buf, err);
}

static void update_counts(run_sink *o)
{
    if (!o->ks)
        return;
    vg_kafka_sink_counts c = vg_kafka_sink_counts_get(o->ks);
    o->m->delivered = c.delivered;
    o->m->failed = c.failed;
}

int run_sinks_serve(run *r, uint64_t *pending, vg_error *err)
{
    uint32_t n = vg_dag_nchannels(r->dag);
    *pending = 0;
    for (uint32_t i = 0; i <= n; i++) {
        run_sink *o = i < n ? &r->out[i] : &r->dead;
        if (!o->ks)
            continue;
        int rc = vg_kafka_sink_poll(o->ks, err);
        update_counts(o);
        if (rc < 0)
            return -1;
        *pending += vg_kafka_sink_pending(o->ks);
    }
    return 0;
}

int run_sinks_flush(run *r, int timeout_ms, vg_error *err)
{
    uint32_t n = vg_dag_nchannels(r->dag);
    for (uint32_t i = 0; i <= n; i++) {
        run_sink *o = i < n ? &r->out[i] : &r->dead;
        if (!o->ks)
            continue;
        int rc = vg_kafka_sink_flush(o->ks, timeout_ms, err);
        update_counts(o);
        if (rc < 0)
            return -1;
    }
    return 0;
}

/* ---- dead letters ---- */

int run_dead_letter(run *r, const run_source *s, const vg_kafka_msg *msg, const char *reason,
                    vg_error *err)
{
    vg_buf *b = &r->dead_buf;
    size_t mark = b->len, n = msg->len;
    if (n > VG_DEAD_LETTER_RAW_MAX) {
        n = VG_DEAD_LETTER_RAW_MAX;
        while (n > VG_DEAD_LETTER_RAW_MAX - 3 && ((unsigned char)msg->value[n] & 0xC0) == 0x80)
            n--; /* do not cut a character in two */
    }
    const char *name = s->node->name, *topic = s->b->topic;
    if (vg_buf_puts(b, "{\"source\":") < 0 || vg_json_write_string(b, name, strlen(name)) < 0 ||
        vg_buf_puts(b, ",\"topic\":") < 0 || vg_json_write_string(b, topic, strlen(topic)) < 0 ||
        vg_buf_printf(b, ",\"partition\":%d,\"offset\":%lld,\"reason\":", (int)msg->partition,
                      (long long)msg->offset) < 0 ||
        vg_json_write_string(b, reason, strlen(reason)) < 0 || vg_buf_puts(b, ",\"raw\":") < 0 ||
        (msg->value ? vg_json_write_string(b, msg->value, n) : vg_buf_puts(b, "null")) < 0 ||
        (n < msg->len && vg_buf_puts(b, ",\"raw_truncated\":true") < 0) ||
        vg_buf_puts(b, "}\n") < 0) {
        b->len = mark;
        return vg_error_set(err, VG_ERR_NOMEM, "out of memory");
    }
    return 0;
}
