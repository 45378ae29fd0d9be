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
 * does; append-only rows have no key. `sinks.*.kafka.key` names the key
 * columns instead. A key of one column is its value as
 * text (a string as it is, else its JSON); of several, a JSON object of
 * them in the sink's column order.
 *
 * Every Kafka message carries the header vigil-seq, the sink's row number
 * from 1. With checkpoints the numbering goes on from the checkpoint, the
 * runner picks each message's partition (vg_kafka_sink_partition_for), a
 * checkpoint records each sink's position (a topic's sequence and end
 * offsets, a file's length), and a restart puts each sink back there: a
 * file is cut to its length; a topic's rows written since are read back,
 * and while the logged turns are recomputed each recomputed row that the
 * topic already holds (the same number and bytes, next in its partition)
 * is not sent again. A row that differs means the recomputation is not
 * the one the crashed run did: an error, never a second copy.
 *
 * A reload binds the sinks its plan adds (as its pipeline.yaml says) and
 * keeps every sink bound so far, with its producer, file and numbering,
 * whether the new plan writes it or not; the channels of the new DAG are
 * mapped to them by name, and the message keys follow the new plan.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "engine/alloc.h"
#include "engine/crash.h"
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

/* The key columns the binding names (`sinks.*.kafka.key`: "a, b") into
 * names[0..*nk), pointing into copy; at most max. -1 with err set when one is
 * not a column the sink writes or is an ARRAY, or there are none or too many. */
static int named_keys(const vg_config *cfg, const char *sink, const vg_binding *b,
                      const vg_schema *s, char *copy, const char **names, uint32_t max,
                      uint32_t *nk, vg_error *err)
{
    *nk = 0;
    for (char *save = NULL, *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        t += strspn(t, " \t");
        size_t n = strlen(t);
        while (n && (t[n - 1] == ' ' || t[n - 1] == '\t'))
            t[--n] = 0;
        int col = *nk == max ? -1 : vg_schema_find(s, t);
        bool array = col >= 0 && s->cols[col].type == VG_T_ARRAY; /* keys are read back */
        if (col < 0 || array) {
            vg_source src = cfg->yaml;
            const char *what = *nk == max ? "too many key columns"
                               : array    ? "ARRAY<DOUBLE> column"
                                          : "no column";
            const char *why = array ? " (a key cannot be an array)" : "";
            if (b->at.len)
                return vg_error_at(err, VG_ERR_CONFIG, &src, b->at,
                                   "sinks.%s.kafka.key: %s '%s' in the rows of sink '%s'%s", sink,
                                   what, t, sink, why);
            return vg_error_set(err, VG_ERR_CONFIG, "sinks.%s.kafka.key: %s '%s'%s", sink, what,
                                t, why);
        }
        names[(*nk)++] = t;
    }
    if (!*nk)
        return vg_error_set(err, VG_ERR_CONFIG, "sinks.%s.kafka.key names no column", sink);
    return 0;
}

void run_keys_free(run_keys *k)
{
    if (!k)
        return;
    vg_decoder_free(k->keydec);
    vg_free(k->keycols);
    vg_free(k->keyrow);
    vg_free(k);
}

/* Key columns of sink node n (named name) into *out: cfg's `key`, else its
 * upsert key, when it is updating and writes every key column under its
 * name; else none (*out NULL). */
static int keys_for(const char *name, const vg_plan_node *n, const vg_config *cfg,
                    run_keys **out, vg_error *err)
{
    const vg_binding *b = cfg ? vg_config_sink(cfg, name) : NULL;
    const vg_plan_node *g = n->updating ? changelog_source(n) : NULL;
    const char *names[64];
    uint32_t nk = !g ? 0 : g->kind == VG_PLAN_GROUP ? g->u.group.nkeys : g->u.rank.nkeys;
    *out = NULL;
    if (nk > 64)
        nk = 0;
    for (uint32_t i = 0; i < nk; i++)
        if (vg_schema_find(&n->schema, names[i] = key_name(g, i)) < 0)
            nk = 0; /* a key column is not written: no key */
    char *copy = b && b->key ? vg_strdup(VG_MEM_IO, b->key) : NULL;
    if (b && b->key && !copy)
        return vg_error_set(err, VG_ERR_NOMEM, "out of memory");
    int rc = copy ? named_keys(cfg, name, b, &n->schema, copy, names, 64, &nk, err) : 0;
    run_keys *k = rc == 0 && nk ? vg_calloc(VG_MEM_IO, 1, sizeof *k) : NULL;
    if (rc == 0 && nk && !k)
        rc = vg_error_set(err, VG_ERR_NOMEM, "out of memory");
    if (k) {
        k->keycols = vg_calloc(VG_MEM_IO, nk, sizeof *k->keycols);
        k->keyrow = vg_calloc(VG_MEM_IO, nk, sizeof *k->keyrow);
        if (!k->keycols || !k->keyrow)
            rc = vg_error_set(err, VG_ERR_NOMEM, "out of memory");
        for (uint32_t i = 0; rc == 0 && i < nk; i++)
            k->keycols[i] = n->schema.cols[vg_schema_find(&n->schema, names[i])];
        k->keyschema = (vg_schema){nk, k->keycols};
        if (rc == 0 && !(k->keydec = vg_decoder_new(&k->keyschema)))
            rc = vg_error_set(err, VG_ERR_NOMEM, "out of memory");
        k->nkeys = nk;
    }
    vg_free(copy);
    if (rc < 0)
        run_keys_free(k);
    else
        *out = k;
    return rc;
}

/* The key of the encoded row line[0..n): *key NULL when it has none. */
static int row_key(run *r, run_sink *o, const char *line, size_t n, const char **key,
                   size_t *keylen, vg_error *err)
{
    char reason[128];
    const run_keys *k = o->keys;
    *key = NULL;
    *keylen = 0;
    if (!k)
        return 0;
    int rc = vg_decoder_decode(k->keydec, line, n, k->keyrow, vg_dag_scratch(r->dag), reason,
                               sizeof reason);
    if (rc != VG_DECODE_OK)
        return vg_error_set(err, rc == VG_DECODE_NOMEM ? VG_ERR_NOMEM : VG_ERR_RUNTIME,
                            "sink '%s': reading the key back: %s", o->name, reason);
    vg_buf *b = &o->key;
    vg_buf_clear(b);
    if (k->nkeys == 1) {
        const vg_value *v = &k->keyrow[0];
        if (v->null)
            return 0;
        if (k->keycols[0].type == VG_T_STRING) {
            *key = v->u.s;
            *keylen = v->len;
            return 0;
        }
        if (vg_json_write_value(b, k->keycols[0].type, v) < 0)
            return vg_error_set(err, VG_ERR_NOMEM, "out of memory");
    } else {
        int bad = vg_buf_putc(b, '{');
        for (uint32_t i = 0; i < k->nkeys && !bad; i++) {
            const char *name = k->keycols[i].name;
            bad = (i && vg_buf_putc(b, ',') < 0) ||
                  vg_json_write_string(b, name, strlen(name)) < 0 || vg_buf_putc(b, ':') < 0 ||
                  vg_json_write_value(b, k->keycols[i].type, &k->keyrow[i]) < 0;
        }
        if (bad || vg_buf_putc(b, '}') < 0)
            return vg_error_set(err, VG_ERR_NOMEM, "out of memory");
    }
    *key = b->p;
    *keylen = b->len;
    return 0;
}

/* ---- opening ---- */

/* transaction.timeout.ms for checkpoints every interval: three intervals,
 * within what brokers allow by default (1 to 15 minutes). */
static int64_t txn_timeout(const run *r)
{
    int64_t t = 3 * (r->opts->commit_interval_ms > 0 ? r->opts->commit_interval_ms : 1000);
    return t < 60000 ? 60000 : t > 900000 ? 900000 : t;
}

/* What makes a producer of sink `sink`, bound as b: the sink itself, its
 * bootstrap servers and properties, as one string (vg_malloc'd), or NULL
 * when out of memory. A producer per sink: one shared by all sinks (one
 * connection, five requests in flight) measured worse on every figure of
 * scripts/bench_kafka (p99 57 ms against 11 ms at 10,000 events/s without
 * checkpoints; a checkpoint's flush 54 ms against 21 ms). */
static char *producer_key(const char *sink, const vg_binding *b)
{
    vg_buf k;
    vg_buf_init(&k, VG_MEM_IO);
    int bad = vg_buf_printf(&k, "%s\n%s", sink, b->bootstrap) < 0;
    for (uint32_t i = 0; i < b->nprops && !bad; i++)
        bad = vg_buf_printf(&k, "\n%s=%s", b->props[i].key, b->props[i].value) < 0;
    char *key = bad ? NULL : vg_strndup(VG_MEM_IO, k.p ? k.p : "", k.len);
    vg_buf_free(&k);
    return key;
}

/* The producer of sink `sink`, bound as b, made when it is the first: one
 * per sink, with its own transaction (transactional.id vigil-PIPELINE for
 * the first, vigil-PIPELINE-N for the Nth opened). NULL with err set. */
static vg_kafka_producer *producer_for(run *r, const char *sink, const vg_binding *b,
                                       vg_error *err)
{
    char *key = producer_key(sink, b);
    for (uint32_t i = 0; key && i < r->nproducers; i++)
        if (strcmp(r->producers[i].key, key) == 0) {
            vg_free(key);
            return r->producers[i].p;
        }
    run_producer *grown =
        key ? vg_realloc(VG_MEM_IO, r->producers, (r->nproducers + 1) * sizeof *grown) : NULL;
    if (!grown) {
        vg_free(key);
        vg_error_set(err, VG_ERR_NOMEM, "out of memory");
        return NULL;
    }
    r->producers = grown;
    char txn_id[256];
    if (r->nproducers)
        snprintf(txn_id, sizeof txn_id, "vigil-%s-%u", r->cfg->name, r->nproducers + 1);
    else
        snprintf(txn_id, sizeof txn_id, "vigil-%s", r->cfg->name);
    vg_kafka_producer_opts po = {.kind = "sinks of pipeline",
                                 .name = r->cfg->name,
                                 .bootstrap = b->bootstrap,
                                 .props = b->props,
                                 .nprops = b->nprops,
                                 .transactional_id = r->st ? txn_id : NULL,
                                 .txn_timeout_ms = txn_timeout(r),
                                 .log = run_kafka_log,
                                 .log_arg = r};
    vg_kafka_producer *p = vg_kafka_producer_open(&po, err);
    if (p)
        r->producers[r->nproducers++] = (run_producer){p, key};
    else
        vg_free(key);
    return p;
}

static int open_kafka(run *r, run_sink *o, const vg_config *cfg, const vg_binding *b,
                      vg_error *err)
{
    vg_error kerr;
    vg_error_clear(&kerr);
    vg_kafka_sink_opts ko = {.name = o->name,
                             .bootstrap = b->bootstrap,
                             .topic = b->topic,
                             .props = b->props,
                             .nprops = b->nprops,
                             .positions = r->st != NULL,
                             .producer = producer_for(r, o->name, b, &kerr),
                             .log = run_kafka_log,
                             .log_arg = r};
    o->ks = ko.producer ? vg_kafka_sink_open(&ko, &kerr) : NULL;
    if (o->ks)
        return 0;
    if (kerr.code == VG_ERR_CONFIG && b->at.len)
        return vg_error_at(err, VG_ERR_CONFIG, &cfg->yaml, b->at, "%s", kerr.msg);
    *err = kerr;
    return -1;
}

/* The restored checkpoint's position of sink name, or NULL. */
static const char *loaded_position(const run *r, const char *name)
{
    const vg_store_ckpt *c = r->loaded;
    for (uint32_t i = 0; c && i < c->nsinks; i++)
        if (strcmp(c->sinks[i].sink, name) == 0)
            return c->sinks[i].position;
    return NULL;
}

/* Cut file sink o back to the length the checkpoint recorded. */
static int cut_file(run *r, run_sink *o, const char *path, vg_error *err)
{
    const char *pos = loaded_position(r, o->name);
    long long want, have;
    struct stat sb;
    if (!pos || sscanf(pos, "bytes=%lld", &want) != 1)
        return 0;
    have = stat(path, &sb) == 0 ? (long long)sb.st_size : 0;
    if (have < want)
        return vg_error_set(err, VG_ERR_RUNTIME,
                            "sink '%s': file '%s' has %lld bytes, fewer than the %lld of checkpoint"
                            " %lld: it was changed outside vigil; drop the checkpoints (vigil "
                            "checkpoints drop PIPELINE) to start over",
                            o->name, path, have, want, (long long)r->loaded->id);
    if (have > want && truncate(path, (off_t)want) < 0)
        return vg_error_set(err, VG_ERR_IO,
                            "sink '%s': cannot cut file '%s' back to %lld bytes: %s",
                            o->name, path, want, strerror(errno));
    return 0;
}

static int open_file(run *r, run_sink *o, const char *path, vg_error *err)
{
    if (strcmp(path, "-") == 0) {
        o->f = stdout;
        return 0;
    }
    vg_path_make_parents(path);
    if (!(o->path = vg_strdup(VG_MEM_IO, path)))
        return vg_error_set(err, VG_ERR_NOMEM, "out of memory");
    if (r->st && !r->started && cut_file(r, o, path, err) < 0)
        return -1;
    if (!(o->f = fopen(path, "a")))
        return vg_error_set(err, VG_ERR_IO, "cannot open '%s': %s", path, strerror(errno));
    o->owns_f = true;
    return 0;
}

/* ---- a Kafka sink after a restart ---- */

static uint64_t fnv1a(const char *p, size_t n)
{
    uint64_t h = 14695981039346656037ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)p[i]) * 1099511628211ull;
    return h;
}

/* One message read back: a row recomputation must give again. */
static int add_tail(void *arg, int32_t partition, int64_t offset, int64_t seq, const char *value,
                    size_t len, vg_error *err)
{
    (void)offset;
    run_tail *t = &((run_sink *)arg)->tails[partition];
    if (seq < 0)
        return 0; /* not vigil's */
    if (t->n == t->cap) {
        uint32_t cap = t->cap ? 2 * t->cap : 64;
        run_tail_row *grown = vg_realloc(VG_MEM_IO, t->rows, cap * sizeof *grown);
        if (!grown)
            return vg_error_set(err, VG_ERR_NOMEM, "out of memory");
        t->rows = grown;
        t->cap = cap;
    }
    t->rows[t->n++] = (run_tail_row){seq, fnv1a(value, len)};
    return 0;
}

/* "seq=S ends=E0,E1,..." into *seq and ends[0..n); -1 when it is not that. */
static int parse_position(const char *pos, uint64_t *seq, int64_t *ends, int32_t n)
{
    unsigned long long s;
    int used = 0;
    if (!pos || sscanf(pos, "seq=%llu ends=%n", &s, &used) != 1 || !used)
        return -1;
    *seq = s;
    const char *p = pos + used;
    for (int32_t i = 0; i < n; i++) {
        char *end;
        ends[i] = strtoll(p, &end, 10);
        if (end == p || (*end != (i + 1 < n ? ',' : '\0')))
            return -1;
        p = end + 1;
    }
    return 0;
}

/* Kafka sink o from the restored checkpoint: its sequence, and the rows
 * its topic got after it (o->tails). */
static int restore_kafka(run *r, run_sink *o, const char *topic, vg_error *err)
{
    const char *pos = loaded_position(r, o->name);
    int32_t n = vg_kafka_sink_partitions(o->ks);
    if (!r->loaded || !pos)
        return 0; /* nothing written before: nothing to read back */
    int64_t *from = vg_calloc(VG_MEM_IO, (size_t)n, sizeof *from);
    /* bound by a reload after the start: no plan wrote it since the checkpoint, so its
     * topic holds nothing after the position to recompute; its numbering goes on */
    o->tails = r->started ? NULL : vg_calloc(VG_MEM_IO, (size_t)n, sizeof *o->tails);
    if (!from || (!r->started && !o->tails)) {
        vg_free(from);
        return vg_error_set(err, VG_ERR_NOMEM, "out of memory");
    }
    int rc = 0;
    if (parse_position(pos, &o->seq, from, n) < 0)
        rc = vg_error_set(err, VG_ERR_RUNTIME,
                          "sink '%s': checkpoint %lld recorded '%s', not %d partitions of topic "
                          "'%s' (did the topic change?); drop the checkpoints (vigil checkpoints "
                          "drop PIPELINE) to start over",
                          o->name, (long long)r->loaded->id, pos, (int)n, topic);
    else if (o->tails)
        rc = vg_kafka_sink_read_back(o->ks, from, add_tail, o, 30000, err);
    vg_free(from);
    return rc;
}

/* Bind output o (named name) as cfg says; unbound: fallback, or an error
 * when fallback is NULL. */
static int open_sink(run *r, run_sink *o, const char *name, const vg_config *cfg, FILE *fallback,
                     vg_error *err)
{
    const vg_binding *b = vg_config_sink(cfg, name);
    vg_buf_init(&o->key, VG_MEM_IO);
    if (!(o->name = vg_strdup(VG_MEM_IO, name)) ||
        !(o->m->name = vg_arena_strndup(r->m->names, name, strlen(name))))
        return vg_error_set(err, VG_ERR_NOMEM, "out of memory");
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
        return open_kafka(r, o, cfg, b, err) < 0 ||
                       (r->st && restore_kafka(r, o, b->topic, err) < 0)
                   ? -1
                   : 0;
    return open_file(r, o, b->path, err);
}

/* The entry of r->outs named name, or -1. */
static int64_t out_named(const run *r, const char *name)
{
    for (uint32_t i = 0; i < r->nouts; i++)
        if (strcmp(r->outs[i].name, name) == 0)
            return i;
    return -1;
}

/* Room for one more entry in r->outs and in the metrics' sinks (the dead
 * letter's counters staying last); every counter pointer follows. */
static int grow_outs(run *r, vg_error *err)
{
    uint32_t cap = r->capouts ? 2 * r->capouts : 8;
    run_sink *outs = r->nouts < r->capouts ? r->outs : vg_realloc(VG_MEM_IO, r->outs,
                                                                   cap * sizeof *outs);
    if (!outs)
        return vg_error_set(err, VG_ERR_NOMEM, "out of memory");
    r->outs = outs;
    vg_run_sink_metrics *ms =
        vg_realloc(VG_MEM_OTHER, r->m->sinks, (r->nouts + 2) * sizeof *ms);
    if (!ms)
        return vg_error_set(err, VG_ERR_NOMEM, "out of memory");
    if (r->nouts == r->capouts)
        r->capouts = cap;
    ms[r->nouts + 1] = ms[r->nouts]; /* the dead letter's */
    memset(&ms[r->nouts], 0, sizeof *ms);
    r->m->sinks = ms;
    r->m->nsinks = r->nouts + 2;
    for (uint32_t i = 0; i < r->nouts; i++)
        r->outs[i].m = &ms[i];
    r->dead.m = &ms[r->nouts + 1];
    return 0;
}

/* Bind sink name as cfg says (a bare SELECT's: standard output). */
static int add_out(run *r, const char *name, bool is_stdout, const vg_config *cfg, vg_error *err)
{
    if (grow_outs(r, err) < 0)
        return -1;
    run_sink *o = &r->outs[r->nouts++];
    memset(o, 0, sizeof *o);
    o->m = &r->m->sinks[r->nouts - 1];
    r->m->nsinks = r->nouts + 1;
    run_admin_sync(r); /* (the admin API's metrics borrow the array that moved) */
    return open_sink(r, o, name, cfg, is_stdout ? stdout : NULL, err);
}

/* The first sink node of name in p (the one whose schema the channel has). */
static const vg_plan_node *sink_node(const vg_plan *p, const char *name)
{
    for (uint32_t i = 0; i < p->nsinks; i++)
        if (strcmp(p->sinks[i]->name, name) == 0)
            return p->sinks[i];
    return NULL;
}

int run_sinks_next(run *r, const vg_plan *p, const vg_config *cfg, run_next *nx, vg_error *err)
{
    for (uint32_t i = 0; i < p->nsinks; i++)
        if (out_named(r, p->sinks[i]->name) < 0 &&
            add_out(r, p->sinks[i]->name, p->sinks[i]->u.sink.is_stdout, cfg, err) < 0)
            return -1;
    nx->chan_out = vg_calloc(VG_MEM_IO, p->nsinks + 1, sizeof *nx->chan_out);
    nx->keys = vg_calloc(VG_MEM_IO, r->nouts + 1, sizeof *nx->keys);
    if (!nx->chan_out || !nx->keys)
        return vg_error_set(err, VG_ERR_NOMEM, "out of memory");
    nx->nkeys = r->nouts;
    uint32_t nch = 0; /* channels: one per sink name, in order of first appearance */
    for (uint32_t i = 0; i < p->nsinks; i++)
        if (sink_node(p, p->sinks[i]->name) == p->sinks[i])
            nx->chan_out[nch++] = (uint32_t)out_named(r, p->sinks[i]->name);
    for (uint32_t k = 0; k < r->nouts; k++) {
        const vg_plan_node *n = sink_node(p, r->outs[k].name);
        if (n && r->outs[k].ks && keys_for(r->outs[k].name, n, cfg, &nx->keys[k], err) < 0)
            return -1;
    }
    return 0;
}

void run_sinks_swap(run *r, run_next *nx)
{
    vg_free(r->chan_out);
    r->chan_out = nx->chan_out;
    nx->chan_out = NULL;
    for (uint32_t k = 0; k < nx->nkeys; k++) {
        run_keys_free(r->outs[k].keys);
        r->outs[k].keys = nx->keys[k];
    }
    vg_free(nx->keys);
    nx->keys = NULL;
    nx->nkeys = 0;
}

int run_sinks_open(run *r, vg_error *err)
{
    r->dead.m = &r->m->sinks[0];
    if (open_sink(r, &r->dead, VG_CONFIG_DEAD_LETTER, r->plan_cfg, stderr, err) < 0)
        return -1;
    run_next nx = {0};
    int rc = run_sinks_next(r, r->plan, r->plan_cfg, &nx, err);
    if (rc == 0)
        run_sinks_swap(r, &nx);
    run_next_free(&nx);
    return rc;
}

static void free_tails(run_sink *o)
{
    int32_t n = o->tails ? vg_kafka_sink_partitions(o->ks) : 0;
    for (int32_t i = 0; i < n; i++)
        vg_free(o->tails[i].rows);
    vg_free(o->tails);
    o->tails = NULL;
}

static void close_sink(run_sink *o)
{
    free_tails(o);
    vg_kafka_sink_close(o->ks);
    if (o->owns_f)
        fclose(o->f);
    else if (o->f)
        fflush(o->f);
    run_keys_free(o->keys);
    vg_buf_free(&o->key);
    vg_free(o->name);
    vg_free(o->path);
}

void run_sinks_close(run *r)
{
    for (uint32_t i = 0; i < r->nproducers; i++) /* (reports while the sinks exist) */
        vg_kafka_producer_drop(r->producers[i].p, 1000);
    for (uint32_t i = 0; i < r->nouts; i++)
        close_sink(&r->outs[i]);
    close_sink(&r->dead);
    for (uint32_t i = 0; i < r->nproducers; i++) { /* (after their sinks) */
        vg_kafka_producer_close(r->producers[i].p);
        vg_free(r->producers[i].key);
    }
    vg_free(r->producers);
    vg_free(r->outs);
    vg_free(r->chan_out);
}

/* The sink entries in order: outs, then the dead letter (i <= r->nouts). */
static run_sink *nth(run *r, uint32_t i) { return i < r->nouts ? &r->outs[i] : &r->dead; }

/* ---- writing ---- */

/* Recovering: 1 when row seq (line[0..n)) of o's partition part is the
 * next one the topic already holds there (do not send it again), 0 when
 * the topic holds no more there (send it), -1 when it holds another row. */
static int written_before(run_sink *o, int32_t part, const char *line, size_t n, vg_error *err)
{
    run_tail *t = o->tails ? &o->tails[part] : NULL;
    if (!t || t->next == t->n)
        return 0;
    const run_tail_row *w = &t->rows[t->next];
    if (w->seq != (int64_t)o->seq || w->hash != fnv1a(line, n))
        return vg_error_set(err, VG_ERR_RUNTIME,
                            "sink '%s': recomputed row %" PRIu64 " for partition %d differs from "
                            "the one its topic holds there (row %" PRId64 "): the restart did not "
                            "compute what the crashed run did (input or SQL changed, or the "
                            "pipeline is not deterministic); nothing more is written",
                            o->name, o->seq, (int)part, w->seq);
    t->next++;
    o->m->suppressed++;
    return 1;
}

/* Send one row (line[0..n)) to o's topic, numbered with the next seq. */
static int send_row(run *r, run_sink *o, const char *line, size_t n, vg_error *err)
{
    const char *key;
    size_t keylen;
    if (row_key(r, o, line, n, &key, &keylen, err) < 0)
        return -1;
    o->seq++;
    /* at-least-once: librdkafka's partitioner (-1) */
    int32_t part = r->st ? vg_kafka_sink_partition_for(o->ks, key, keylen, o->seq) : -1;
    int rc = r->recovering ? written_before(o, part, line, n, err) : 0;
    if (rc != 0)
        return rc < 0 ? -1 : 0;
    o->m->rows++;
    return vg_kafka_sink_send_to(o->ks, part, key, keylen, line, n, o->seq, err);
}

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
        if (r->st && o->path)
            vg_crash_point("file-written"); /* the test hook: written, the turn not done */
        return 0;
    }
    const char *p = b->p, *end = b->p + b->len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        if (send_row(r, o, p, n, err) < 0)
            return -1;
        p += n + 1;
    }
    vg_buf_clear(b);
    return 0;
}

int run_sinks_drain(run *r, vg_error *err)
{
    uint32_t n = vg_dag_nchannels(r->dag);
    if (r->cut_first_row_us < 0) /* (the checkpoints' timings: the first row after a cut) */
        for (uint32_t i = 0; i < n; i++)
            if (vg_dag_channel(r->dag, i)->buf.len) {
                struct timespec ts;
                clock_gettime(CLOCK_MONOTONIC, &ts);
                r->cut_first_row_us =
                    (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000 - r->cut_end_us;
                break;
            }
    for (uint32_t i = 0; i < n; i++)
        if (write_sink(r, &r->outs[r->chan_out[i]], &vg_dag_channel(r->dag, i)->buf, err) < 0)
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
    *pending = 0;
    for (uint32_t i = 0; i < r->nproducers; i++)
        if (vg_kafka_producer_poll(r->producers[i].p, err) < 0)
            return -1;
    for (uint32_t i = 0; i <= r->nouts; i++) {
        run_sink *o = nth(r, i);
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

/* A Kafka sink's position: "seq=S ends=E0,E1,...", text in a. */
static int kafka_position(run_sink *o, uint64_t seq, const int64_t *ends, vg_arena *a,
                          const char **pos, vg_error *err)
{
    int32_t n = vg_kafka_sink_partitions(o->ks);
    vg_buf b;
    vg_buf_init(&b, VG_MEM_IO);
    int bad = vg_buf_printf(&b, "seq=%" PRIu64 " ends=", seq) < 0;
    for (int32_t i = 0; i < n && !bad; i++)
        bad = vg_buf_printf(&b, "%s%" PRId64, i ? "," : "", ends[i]) < 0;
    *pos = bad ? NULL : vg_arena_strndup(a, b.p, b.len);
    vg_buf_free(&b);
    return *pos ? 0 : vg_error_set(err, VG_ERR_NOMEM, "out of memory");
}

/* The position of sink o into *pos (text in a). */
static int position(run_sink *o, vg_arena *a, const char **pos, vg_error *err)
{
    *pos = NULL;
    if (o->ks)
        return kafka_position(o, o->seq, vg_kafka_sink_ends(o->ks), a, pos, err);
    struct stat sb;
    if (!o->path)
        return 0; /* a standard stream: nothing to go back to */
    if (fflush(o->f) != 0 || fstat(fileno(o->f), &sb) < 0)
        return vg_error_set(err, VG_ERR_IO, "cannot write sink '%s': %s", o->name,
                            strerror(errno));
    *pos = vg_arena_printf(a, "bytes=%lld", (long long)sb.st_size);
    return *pos ? 0 : vg_error_set(err, VG_ERR_NOMEM, "out of memory");
}

int run_sinks_positions(run *r, vg_arena *a, vg_store_sink_pos *out, uint32_t *n, vg_error *err)
{
    *n = 0;
    for (uint32_t i = 0; i <= r->nouts; i++) {
        run_sink *o = nth(r, i);
        const char *pos;
        if (position(o, a, &pos, err) < 0)
            return -1;
        out[(*n)++] = (vg_store_sink_pos){.sink = o->name, .position = pos, .rows = -1};
    }
    return 0;
}

/* Did recomputation give every row o's topic held? */
static int all_recomputed(run_sink *o, vg_error *err)
{
    for (int32_t i = 0; o->tails && i < vg_kafka_sink_partitions(o->ks); i++) {
        const run_tail *t = &o->tails[i];
        if (t->next < t->n)
            return vg_error_set(err, VG_ERR_RUNTIME,
                                "sink '%s': its topic holds %u rows in partition %d after the "
                                "checkpoint that the logged turns did not give again (the first:"
                                " row %" PRId64 "): another writer of the topic, or turns lost "
                                "(a power cut); nothing more is written",
                                o->name, t->n - t->next, (int)i, t->rows[t->next].seq);
    }
    free_tails(o);
    return 0;
}

int run_sinks_recovered(run *r, vg_error *err)
{
    for (uint32_t i = 0; i <= r->nouts; i++)
        if (all_recomputed(nth(r, i), err) < 0)
            return -1;
    return 0;
}

int run_sinks_cut(run *r, bool mark, int timeout_ms, bool *marked, vg_error *err)
{
    *marked = false;
    for (uint32_t i = 0; i <= r->nouts; i++) {
        run_sink *o = nth(r, i);
        o->marked = false;
        if (!o->ks)
            continue;
        if (mark && !vg_kafka_sink_transactional(o->ks)) {
            vg_kafka_sink_mark(o->ks, o->seq);
            o->mark_seq = o->seq;
            *marked = o->marked = true;
            continue;
        }
        int rc = vg_kafka_sink_commit(o->ks, timeout_ms, err);
        update_counts(o);
        if (rc < 0)
            return -1;
    }
    return 0;
}

int run_sinks_marked(run *r, vg_arena *a, vg_store_sink_pos *out, uint32_t *n, vg_error *err)
{
    *n = 0;
    for (uint32_t i = 0; i <= r->nouts; i++) {
        run_sink *o = nth(r, i);
        const int64_t *ends;
        int rc = o->marked ? vg_kafka_sink_mark_state(o->ks, &ends, err) : 1;
        if (rc <= 0)
            return rc;
    }
    for (uint32_t i = 0; i <= r->nouts; i++) {
        run_sink *o = nth(r, i);
        const int64_t *ends;
        const char *pos;
        if (!o->marked)
            continue;
        vg_kafka_sink_mark_state(o->ks, &ends, err);
        if (kafka_position(o, o->mark_seq, ends, a, &pos, err) < 0)
            return -1;
        out[(*n)++] = (vg_store_sink_pos){.sink = o->name, .position = pos, .rows = -1};
    }
    return 1;
}

void run_sinks_unmark(run *r)
{
    for (uint32_t i = 0; i <= r->nouts; i++) {
        run_sink *o = nth(r, i);
        if (o->marked)
            vg_kafka_sink_unmark(o->ks);
        o->marked = false;
    }
}

int run_sinks_flush(run *r, int timeout_ms, vg_error *err)
{
    for (uint32_t i = 0; i <= r->nouts; i++) {
        run_sink *o = nth(r, i);
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
