/*
 * fingerprint.c — plan node identities and their hashes.
 *
 * A node's identity is one line of text built from its kind, its semantic
 * parameters and its inputs' fingerprints (fingerprint.h says what is in
 * it and what is left out); its fingerprint is a 64-bit hash of that text.
 * Text rather than hashing the structures directly: it is what a reload
 * report can show when an operator changed, and tests can pin it.
 *
 * Names in the text are quoted ('name', quotes doubled), expressions are
 * vg_expr_to_sql over input slots ($0, $1, ...) followed by ":TYPE", and
 * every list is bracketed, so two different nodes cannot write the same
 * line.
 *
 * The hash is FNV-1a over the bytes, finished with MurmurHash3's 64-bit
 * mixer so that every input bit moves every output bit. It is not
 * cryptographic: it tells plans apart, it does not resist someone forging
 * a collision (whoever can write the SQL can change the plan anyway).
 */
#include "sql/fingerprint.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "engine/expr.h"

/* Per plan node kind: its name in identity text and the layout version of
 * its operator's state. Bump a kind's layout when its snapshot bytes
 * change so that old bytes cannot be read by the new code (or would be read
 * wrongly): checkpoints of the old layout are then refused, never misread. */
typedef struct kind_entry {
    const char *name; /* as in EXPLAIN */
    uint32_t layout;  /* state layout version of the operator kind */
} kind_entry;

static const kind_entry kinds[] = {
    [VG_PLAN_SOURCE] = {"source", 1},   /* per-partition watermarks (op_source.c) */
    [VG_PLAN_PROJECT] = {"project", 1}, /* stateless */
    [VG_PLAN_SINK] = {"sink", 1},       /* stateless */
    [VG_PLAN_OVER] = {"over", 1},       /* over_snap.c */
    [VG_PLAN_WINDOW] = {"window", 1},   /* window_snap.c */
    [VG_PLAN_GROUP] = {"group", 1},     /* group_snap.c */
    [VG_PLAN_RANK] = {"rank", 1},       /* rank_snap.c */
    [VG_PLAN_PREDICT] = {"predict", 1}, /* stateless */
    [VG_PLAN_RULES] = {"rules", 1},     /* stateless */
    [VG_PLAN_MATCH] = {"match", 1},     /* match_snap.c */
};

#define NKINDS (sizeof kinds / sizeof kinds[0])

/* Where an identity line is built; rc turns -1 once an allocation fails. */
typedef struct idb {
    vg_buf *out; /* the line */
    vg_arena *a; /* expression texts */
    int rc;
} idb;

static void put(idb *x, const char *s) { x->rc |= vg_buf_puts(x->out, s); }

static void __attribute__((format(printf, 2, 3))) putf(idb *x, const char *fmt, ...)
{
    char tmp[64];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    put(x, tmp);
}

/* 'name' with quotes doubled; NULL as -. */
static void put_name(idb *x, const char *s)
{
    if (!s) {
        put(x, "-");
        return;
    }
    x->rc |= vg_buf_putc(x->out, '\'');
    for (; *s; s++)
        x->rc |= *s == '\'' ? vg_buf_puts(x->out, "''") : vg_buf_putc(x->out, *s);
    x->rc |= vg_buf_putc(x->out, '\'');
}

/* An expression over input slots, then its type; NULL as -. */
static void put_expr(idb *x, const vg_expr *e)
{
    if (!e) {
        put(x, "-");
        return;
    }
    const char *t = vg_expr_to_sql(e, NULL, x->a);
    if (!t) {
        x->rc = -1;
        return;
    }
    put(x, t);
    put(x, ":");
    put(x, vg_type_name(vg_expr_type(e)));
}

/* label($n), or label(-) for a column of -1 (none) */
static void put_col(idb *x, const char *label, int32_t slot)
{
    if (slot < 0)
        putf(x, "%s(-)", label);
    else
        putf(x, "%s($%d)", label, (int)slot);
}

/* label($a,$b,...) */
static void put_slots(idb *x, const char *label, const uint32_t *slots, uint32_t n)
{
    put(x, label);
    put(x, "(");
    for (uint32_t i = 0; i < n; i++)
        putf(x, "%s$%u", i ? "," : "", slots[i]);
    put(x, ")");
}

/* (T,T,...) or, with names, ('a' T,'b' T,...) */
static void put_schema(idb *x, const vg_schema *s, bool names)
{
    put(x, "(");
    for (uint32_t i = 0; i < s->ncols; i++) {
        put(x, i ? "," : "");
        if (names) {
            put_name(x, s->cols[i].name);
            put(x, " ");
        }
        put(x, vg_type_name(s->cols[i].type));
    }
    put(x, ")");
}

/* AGG([DISTINCT] args):RET[ filter(COND)] */
static void put_agg(idb *x, const vg_plan_agg *a)
{
    put(x, a->call.agg->name);
    put(x, a->call.distinct ? "(DISTINCT " : "(");
    if (a->call.nargs == 0)
        put(x, "*");
    for (uint32_t i = 0; i < a->call.nargs; i++) {
        put(x, i ? "," : "");
        put_expr(x, a->args[i]);
    }
    put(x, "):");
    put(x, vg_type_name(a->call.ret));
    if (a->filter) {
        put(x, " filter(");
        put_expr(x, a->filter);
        put(x, ")");
    }
}

/* aggs[A; A; ...] */
static void put_aggs(idb *x, const vg_plan_agg *aggs, uint32_t n)
{
    put(x, "aggs[");
    for (uint32_t i = 0; i < n; i++) {
        put(x, i ? "; " : "");
        put_agg(x, &aggs[i]);
    }
    put(x, "]");
}

/* ---- per kind ---- */

static void id_source(idb *x, const vg_plan_node *n)
{
    put_col(x, " time", n->u.source.time_col);
    put(x, " wm(");
    put_expr(x, n->u.source.watermark);
    put(x, ")");
}

static void id_project(idb *x, const vg_plan_node *n)
{
    put(x, " filter(");
    put_expr(x, n->u.project.filter);
    put(x, ") exprs[");
    for (uint32_t i = 0; i < n->u.project.nexprs; i++) {
        put(x, i ? "; " : "");
        put_expr(x, n->u.project.exprs[i]);
    }
    put(x, "]");
}

static void id_sink(idb *x, const vg_plan_node *n)
{
    put(x, n->u.sink.is_stdout ? " stdout" : " named");
}

static void id_over(idb *x, const vg_plan_node *n)
{
    put(x, " ");
    put_slots(x, "keys", n->u.over.keys, n->u.over.nkeys);
    put_col(x, " order", n->u.over.order_col);
    put(x, " frames[");
    for (uint32_t i = 0; i < n->u.over.nframes; i++) {
        const struct vg_plan_frame *f = &n->u.over.frames[i];
        putf(x, "%s%s %lld ", i ? "; " : "", f->frame == VG_FRAME_ROWS ? "rows" : "range",
             (long long)f->preceding);
        put_aggs(x, f->aggs, f->naggs);
    }
    put(x, "]");
}

static void id_window(idb *x, const vg_plan_node *n)
{
    static const char *const fns[] = {[VG_WINDOW_TUMBLE] = "tumble",
                                      [VG_WINDOW_HOP] = "hop",
                                      [VG_WINDOW_CUMULATE] = "cumulate",
                                      [VG_WINDOW_SESSION] = "session"};
    const vg_window_spec *s = &n->u.window.spec;
    putf(x, " %s(size %lld", fns[s->kind], (long long)s->size);
    putf(x, " step %lld", (long long)s->step);
    putf(x, " offset %lld)", (long long)s->offset);
    put_col(x, " time", n->u.window.time_col);
    put(x, " ");
    if (!n->u.window.grouped) {
        put(x, "bare");
        if (s->kind == VG_WINDOW_SESSION) /* holds its rows per key until a session closes */
            put_slots(x, " session keys", n->u.window.keys, n->u.window.nkeys);
        return;
    }
    put_slots(x, "grouped keys", n->u.window.keys, n->u.window.nkeys);
    put(x, " ");
    put_aggs(x, n->u.window.aggs, n->u.window.naggs);
}

static void id_group(idb *x, const vg_plan_node *n)
{
    put(x, " ");
    put_slots(x, "keys", n->u.group.keys, n->u.group.nkeys);
    put(x, " ");
    put_aggs(x, n->u.group.aggs, n->u.group.naggs);
    put_col(x, " time", n->u.group.time_col);
}

static void id_rank(idb *x, const vg_plan_node *n)
{
    static const char *const modes[] = {[VG_RANK_FIRST_ROW] = "first-row",
                                        [VG_RANK_LAST_ROW] = "last-row",
                                        [VG_RANK_TOP_N] = "top-n",
                                        [VG_RANK_WINDOW_TOP_N] = "window-top-n",
                                        [VG_RANK_WINDOW_FIRST_ROW] = "window-first-row",
                                        [VG_RANK_WINDOW_LAST_ROW] = "window-last-row"};
    putf(x, " %s ", modes[n->u.rank.mode]);
    put_slots(x, "keys", n->u.rank.keys, n->u.rank.nkeys);
    put(x, " order(");
    for (uint32_t i = 0; i < n->u.rank.norder; i++)
        putf(x, "%s$%u %s", i ? "," : "", n->u.rank.order[i], n->u.rank.desc[i] ? "desc" : "asc");
    putf(x, ") limit %lld%s", (long long)n->u.rank.limit, n->u.rank.with_rn ? " rn" : "");
    put_col(x, " time", n->u.rank.time_col);
}

/* 'name' type N in(...) out(...) */
static void put_model(idb *x, const vg_plan_model *m)
{
    put_name(x, m->name);
    putf(x, " type %d in", m->type);
    put_schema(x, &m->input, true);
    put(x, " out");
    put_schema(x, &m->output, true);
}

static void id_predict(idb *x, const vg_plan_node *n)
{
    const vg_plan_model *m = n->u.predict.model;
    put(x, " model ");
    put_model(x, m);
    put(x, " ");
    put_slots(x, "cols", n->u.predict.cols, m->input.ncols);
    put(x, " shadow(");
    if (m->shadow)
        put_model(x, m->shadow);
    put(x, ") version ");
    put_name(x, m->version_column);
}

static void id_rules(idb *x, const vg_plan_node *n)
{
    put(x, " ruleset ");
    put_name(x, n->u.rules.ruleset->name);
    put(x, " default ");
    put_name(x, n->u.rules.ruleset->default_action);
}

/* ---- MATCH_RECOGNIZE ---- */

static void put_pattern(idb *x, const vg_plan_pattern *p)
{
    static const char *const names[] = {
        [VG_PAT_VAR] = "var",         [VG_PAT_SEQ] = "seq",         [VG_PAT_ALT] = "alt",
        [VG_PAT_PERMUTE] = "permute", [VG_PAT_EXCLUDE] = "exclude", [VG_PAT_QUANT] = "quant",
        [VG_PAT_START] = "start",     [VG_PAT_END] = "end",         [VG_PAT_EMPTY] = "empty"};
    if (!p) {
        put(x, "-");
        return;
    }
    put(x, names[p->kind]);
    if (p->kind == VG_PAT_VAR) {
        putf(x, "(%u)", p->var);
        return;
    }
    if (p->kind == VG_PAT_QUANT)
        putf(x, "{%u,%u%s}", p->min, p->max, p->reluctant ? "?" : "");
    put(x, "(");
    for (uint32_t i = 0; i < p->nkids; i++) {
        put(x, i ? "," : "");
        put_pattern(x, p->kids[i]);
    }
    put(x, ")");
}

static void put_nav(idb *x, const vg_mr_nav *v)
{
    static const char *const kinds_[] = {[VG_MR_NAV_LAST] = "last",
                                         [VG_MR_NAV_FIRST] = "first",
                                         [VG_MR_NAV_AGG] = "agg",
                                         [VG_MR_NAV_CLASSIFIER] = "classifier",
                                         [VG_MR_NAV_MATCH_NUMBER] = "match_number",
                                         [VG_MR_NAV_TIMED_OUT] = "timed_out",
                                         [VG_MR_NAV_ARRAY_AGG] = "array_agg"};
    putf(x, "%s(vars %llx%s%s%s", kinds_[v->kind], (unsigned long long)v->vars,
         v->universal ? " universal" : "", v->final ? " final" : " running",
         v->first ? " first" : "");
    putf(x, " logical %lld", (long long)v->logical);
    putf(x, " physical %lld ", (long long)v->physical);
    if (v->kind == VG_MR_NAV_AGG) {
        put_agg(x, &v->agg);
    } else {
        put_expr(x, v->arg);
        if (v->kind == VG_MR_NAV_ARRAY_AGG && v->agg.filter) {
            put(x, " filter(");
            put_expr(x, v->agg.filter);
            put(x, ")");
        }
    }
    putf(x, "):%s", vg_type_name(v->type));
}

static void put_match_layout(idb *x, const vg_plan_match *m)
{
    static const char *const rows[] = {[VG_MR_ONE_ROW] = "one-row",
                                       [VG_MR_ALL_ROWS] = "all-rows",
                                       [VG_MR_ALL_ROWS_OMIT_EMPTY] = "all-rows-omit-empty",
                                       [VG_MR_ALL_ROWS_UNMATCHED] = "all-rows-unmatched"};
    static const char *const skips[] = {[VG_MR_SKIP_PAST_LAST] = "past-last",
                                        [VG_MR_SKIP_TO_NEXT] = "to-next",
                                        [VG_MR_SKIP_TO_FIRST] = "to-first",
                                        [VG_MR_SKIP_TO_LAST] = "to-last"};
    putf(x, " %s skip %s", rows[m->rows], skips[m->skip]);
    putf(x, " %llx", (unsigned long long)m->skip_vars);
    putf(x, " within %lld%s", (long long)m->within, m->emit_timeouts ? " emit-timeouts" : "");
}

/* The further ORDER BY keys (nothing when there are none, so that the
 * fingerprint of a MATCH_RECOGNIZE ordered by time alone stays as it was). */
static void put_match_order(idb *x, const vg_plan_match *m)
{
    for (uint32_t i = 0; i < m->norder; i++) {
        const vg_mr_order *o = &m->order[i];
        put(x, i ? ", " : " then(");
        put_expr(x, o->expr);
        putf(x, " %s nulls-%s%s", o->desc ? "desc" : "asc", o->nulls_first ? "first" : "last",
             o->out ? " out" : "");
    }
    put(x, m->norder ? ")" : "");
}

static void id_match(idb *x, const vg_plan_node *n)
{
    const vg_plan_match *m = n->u.match;
    put(x, " ");
    put_slots(x, "keys", m->keys, m->nkeys);
    put_col(x, " order", m->order_col);
    put_match_order(x, m);
    put(x, " vars(");
    for (uint32_t i = 0; i < m->nvars; i++) {
        put(x, i ? "," : "");
        put_name(x, m->vars[i]);
    }
    put(x, ") subsets(");
    for (uint32_t i = 0; i < m->nsubsets; i++) {
        put(x, i ? "," : "");
        put_name(x, m->subset_names[i]);
        putf(x, "=%llx", (unsigned long long)m->subset_vars[i]);
    }
    put(x, ") pattern ");
    put_pattern(x, m->pattern);
    put(x, " define[");
    for (uint32_t i = 0; i < m->nvars; i++) {
        put(x, i ? "; " : "");
        put_expr(x, m->defines ? m->defines[i] : NULL);
    }
    put(x, "] navs[");
    for (uint32_t i = 0; i < m->nnavs; i++) {
        put(x, i ? "; " : "");
        put_nav(x, &m->navs[i]);
    }
    put(x, "] measures[");
    for (uint32_t i = 0; i < m->nmeasures; i++) {
        put(x, i ? "; " : "");
        put_expr(x, m->measures[i]);
    }
    put(x, "]");
    put_match_layout(x, m);
}

typedef void id_fn(idb *x, const vg_plan_node *n);

/* Indexed by vg_plan_kind: the kind's own parameters. */
static id_fn *const id_fns[] = {
    [VG_PLAN_SOURCE] = id_source, [VG_PLAN_PROJECT] = id_project, [VG_PLAN_SINK] = id_sink,
    [VG_PLAN_OVER] = id_over,     [VG_PLAN_WINDOW] = id_window,   [VG_PLAN_GROUP] = id_group,
    [VG_PLAN_RANK] = id_rank,     [VG_PLAN_PREDICT] = id_predict, [VG_PLAN_RULES] = id_rules,
    [VG_PLAN_MATCH] = id_match,
};

/* ---- identity, hash ---- */

static int nomem(vg_error *err) { return vg_error_set(err, VG_ERR_NOMEM, "out of memory"); }

/* The identity line into x->out. */
static void identity(idb *x, const vg_plan_node *n, const vg_fp *input_fps)
{
    size_t k = (size_t)n->kind;
    if (k < NKINDS && kinds[k].name)
        putf(x, "%s/%u in(", kinds[k].name, kinds[k].layout);
    else
        putf(x, "kind%zu/0 in(", k);
    for (uint32_t i = 0; i < n->ninputs; i++) {
        char hex[VG_FP_HEX];
        vg_plan_fp_format(input_fps[i], hex);
        put(x, i ? "," : "");
        put(x, hex);
    }
    put(x, ") out");
    /* a stream's column names are how events are decoded, a sink's how rows are written */
    put_schema(x, &n->schema, n->kind == VG_PLAN_SOURCE || n->kind == VG_PLAN_SINK);
    put(x, n->updating ? " +-" : " +I");
    if (n->kind == VG_PLAN_SOURCE || n->kind == VG_PLAN_SINK) {
        put(x, " ");
        put_name(x, n->name);
    }
    if (k < NKINDS && id_fns[k])
        id_fns[k](x, n);
}

int vg_plan_node_identity(const vg_plan_node *n, const vg_fp *input_fps, vg_buf *out, vg_error *err)
{
    idb x = {.out = out, .a = vg_arena_new(VG_MEM_SQL, 4096)};
    if (!x.a)
        return nomem(err);
    identity(&x, n, input_fps);
    vg_arena_free(x.a);
    return x.rc ? nomem(err) : 0;
}

vg_fp vg_plan_fp_hash(const void *s, size_t n)
{
    const unsigned char *p = s;
    uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a 64 */
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001b3ULL;
    }
    h ^= h >> 33; /* MurmurHash3 fmix64 */
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    return h;
}

void vg_plan_fp_format(vg_fp fp, char out[VG_FP_HEX])
{
    static const char digits[] = "0123456789abcdef";
    for (int i = 0; i < 16; i++)
        out[i] = digits[(fp >> (60 - 4 * i)) & 15];
    out[16] = 0;
}

int vg_plan_fp_parse(const char *s, vg_fp *out)
{
    vg_fp v = 0;
    for (int i = 0; i < 16; i++) {
        char c = s[i];
        int d = c >= '0' && c <= '9'   ? c - '0'
                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                       : -1;
        if (d < 0)
            return -1;
        v = v << 4 | (vg_fp)d;
    }
    if (s[16])
        return -1;
    *out = v;
    return 0;
}

/* Fingerprints by node id: computed once each, inputs first. */
typedef struct memo {
    uint32_t n;  /* node ids 0 .. n - 1 */
    vg_fp *fps;  /* by node id */
    bool *done;  /* fps[id] is set */
    vg_buf line; /* the identity being hashed */
    vg_arena *a; /* expression texts, reset per node */
} memo;

static int node_fp(memo *m, const vg_plan_node *n, vg_error *err)
{
    if (n->id >= m->n) /* defensive: an input after its reader, which plans never have */
        return vg_error_set(err, VG_ERR_RUNTIME, "plan node %u is not in topological order", n->id);
    if (m->done[n->id])
        return 0;
    vg_fp in_stack[8],
        *in = n->ninputs <= 8 ? in_stack : vg_malloc(VG_MEM_SQL, n->ninputs * sizeof *in);
    if (!in)
        return nomem(err);
    int rc = 0;
    for (uint32_t i = 0; rc == 0 && i < n->ninputs; i++) {
        rc = node_fp(m, n->inputs[i], err);
        in[i] = m->fps[n->inputs[i]->id];
    }
    if (rc == 0) {
        idb x = {.out = &m->line, .a = m->a};
        vg_buf_clear(&m->line);
        vg_arena_reset(m->a);
        identity(&x, n, in);
        if (x.rc)
            rc = nomem(err);
    }
    if (rc == 0) {
        m->fps[n->id] = vg_plan_fp_hash(m->line.p, m->line.len);
        m->done[n->id] = true;
    }
    if (in != in_stack)
        vg_free(in);
    return rc;
}

/* A memo for node ids 0 .. n - 1. */
static int memo_open(memo *m, uint32_t n, vg_error *err)
{
    memset(m, 0, sizeof *m);
    m->n = n;
    vg_buf_init(&m->line, VG_MEM_SQL);
    m->fps = vg_calloc(VG_MEM_SQL, n ? n : 1, sizeof *m->fps);
    m->done = vg_calloc(VG_MEM_SQL, n ? n : 1, sizeof *m->done);
    m->a = vg_arena_new(VG_MEM_SQL, 4096);
    return m->fps && m->done && m->a ? 0 : nomem(err);
}

static void memo_close(memo *m)
{
    vg_free(m->fps);
    vg_free(m->done);
    vg_buf_free(&m->line);
    vg_arena_free(m->a);
}

int vg_plan_node_fingerprint(const vg_plan_node *n, vg_fp *out, vg_error *err)
{
    memo m;
    /* inputs come before a node in the plan: their ids are smaller */
    int rc = memo_open(&m, n->id + 1, err);
    if (rc == 0)
        rc = node_fp(&m, n, err);
    if (rc == 0)
        *out = m.fps[n->id];
    memo_close(&m);
    return rc;
}

static int fp_cmp(const void *a, const void *b)
{
    vg_fp x = *(const vg_fp *)a, y = *(const vg_fp *)b;
    return x < y ? -1 : x > y;
}

/* The hash of the sorted fingerprints fps[0 .. n) (sorted in place) into
 * *out, the text hashed built in b. */
static int plan_hash(vg_fp *fps, uint32_t n, vg_buf *b, vg_fp *out, vg_error *err)
{
    qsort(fps, n, sizeof *fps, fp_cmp);
    vg_buf_clear(b);
    int rc = vg_buf_printf(b, "plan/1 %u", n);
    for (uint32_t i = 0; i < n; i++) {
        char hex[VG_FP_HEX];
        vg_plan_fp_format(fps[i], hex);
        rc |= vg_buf_printf(b, " %s", hex);
    }
    if (rc)
        return nomem(err);
    *out = vg_plan_fp_hash(b->p, b->len);
    return 0;
}

int vg_plan_fingerprint(const vg_plan *p, vg_fp *plan_fp, vg_fp *fps, vg_error *err)
{
    memo m;
    int rc = memo_open(&m, p->nnodes, err);
    for (uint32_t i = 0; rc == 0 && i < p->nnodes; i++)
        rc = node_fp(&m, p->nodes[i], err);
    if (rc == 0 && fps)
        memcpy(fps, m.fps, p->nnodes * sizeof *fps);
    if (rc == 0 && plan_fp)
        rc = plan_hash(m.fps, p->nnodes, &m.line, plan_fp, err);
    memo_close(&m);
    return rc;
}
