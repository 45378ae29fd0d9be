/*
 * live_vtab.c — the SQLite virtual table module over an operator's state.
 *
 * A table is eponymous-only (xCreate NULL): it exists on the connection as
 * soon as its module is registered, and CREATE VIRTUAL TABLE cannot make
 * another. SQLite pulls rows through a cursor while operators push theirs
 * through a callback (vg_op_kind.iterate, .lookup), so xFilter copies the
 * rows into the cursor first: only the columns the query uses (colUsed),
 * strings into an arena, within the query's memory and time limits.
 *
 * xBestIndex asks for equality on every key column; when the operator kind
 * has a lookup, xFilter then looks each key up in each source partition
 * instead of scanning. Constraints are never marked omitted: SQLite checks
 * them again on what is returned, so a lookup that cannot take a value
 * exactly (a number for a TEXT key) falls back to a scan and stays right.
 */
#include <stdlib.h>
#include <string.h>

#include "engine/clock.h"
#include "engine/live_int.h"
#include "engine/op.h"

#define IDX_LOOKUP 1 /* idxNum: argv holds every key column's value */
#define IDX_PART   2 /* idxNum: then the source partition's */

#define STOP 2 /* what visit returns to stop an operator (out of time or memory) */

typedef struct live_vtab {
    sqlite3_vtab base; /* SQLite's part; must be first */
    live_table *t;
} live_vtab;

typedef struct live_cursor {
    sqlite3_vtab_cursor base; /* SQLite's part; must be first */
    live_table *t;
    vg_value *rows;    /* n rows of t->ncols values */
    uint64_t n, cap;   /* rows; room */
    uint64_t at;       /* the current row */
    vg_arena *strs;    /* the rows' strings */
    int64_t held;      /* bytes counted against the query's copy limit */
    uint64_t used;     /* columns to copy (SQLite's colUsed) */
    int32_t want_part; /* only rows of this source partition (hidden column), or -1 */
} live_cursor;

const char *live_decl_type(vg_type t)
{
    static const char *const names[VG_T_NTYPES] = {
        [VG_T_NULL] = "TEXT",           [VG_T_BOOL] = "BOOLEAN",      [VG_T_INT] = "INTEGER",
        [VG_T_BIGINT] = "BIGINT",       [VG_T_DOUBLE] = "DOUBLE",     [VG_T_STRING] = "TEXT",
        [VG_T_TIMESTAMP] = "TIMESTAMP", [VG_T_INTERVAL] = "INTERVAL",
    };
    return (unsigned)t < VG_T_NTYPES ? names[t] : "TEXT";
}

/* ---- connect ---- */

/* CREATE TABLE x("col" TYPE [HIDDEN], ...) for t, or NULL (out of memory). */
static char *declaration(const live_table *t)
{
    sqlite3_str *s = sqlite3_str_new(NULL);
    sqlite3_str_appendall(s, "CREATE TABLE x(");
    for (uint32_t i = 0; i < t->ncols; i++)
        sqlite3_str_appendf(s, "%s\"%w\" %s%s", i ? ", " : "", t->cols[i].name,
                            live_decl_type(t->cols[i].type),
                            (int32_t)i == t->hidden ? " HIDDEN" : "");
    sqlite3_str_appendall(s, ")");
    return sqlite3_str_finish(s);
}

static int vt_connect(sqlite3 *db, void *aux, int argc, const char *const *argv, sqlite3_vtab **out,
                      char **errmsg)
{
    (void)argc, (void)argv, (void)errmsg;
    live_table *t = aux;
    char *decl = declaration(t);
    if (!decl)
        return SQLITE_NOMEM;
    int rc = sqlite3_declare_vtab(db, decl);
    sqlite3_free(decl);
    if (rc != SQLITE_OK)
        return rc;
    live_vtab *v = vg_calloc(VG_MEM_OTHER, 1, sizeof *v);
    if (!v) {
        t->live->fail = LIVE_NOMEM;
        return SQLITE_NOMEM;
    }
    v->t = t;
    *out = &v->base;
    return SQLITE_OK;
}

static int vt_disconnect(sqlite3_vtab *vt)
{
    vg_free(vt);
    return SQLITE_OK;
}

/* ---- planning ---- */

/* The key column index of table column col, or -1. */
static int key_index(const live_table *t, int col)
{
    for (uint32_t k = 0; k < t->nkeys; k++)
        if ((int)t->keycols[k] == col)
            return (int)k;
    return -1;
}

static int vt_best_index(sqlite3_vtab *vt, sqlite3_index_info *info)
{
    const live_table *t = ((live_vtab *)vt)->t;
    int eq[64], part = -1;
    uint32_t found = 0;
    for (uint32_t k = 0; k < t->nkeys && k < 64; k++)
        eq[k] = -1;
    for (int i = 0; i < info->nConstraint; i++) {
        const struct sqlite3_index_constraint *c = &info->aConstraint[i];
        if (!c->usable || c->op != SQLITE_INDEX_CONSTRAINT_EQ)
            continue;
        int k = key_index(t, c->iColumn);
        if (k >= 0 && k < 64 && eq[k] < 0) {
            eq[k] = i;
            found++;
        } else if (c->iColumn == t->hidden && t->hidden >= 0 && part < 0) {
            part = i;
        }
    }
    bool lookup = t->node && t->nkeys && t->nkeys <= 64 && found == t->nkeys;
    info->idxNum = 0;
    if (lookup) {
        for (uint32_t k = 0; k < t->nkeys; k++)
            info->aConstraintUsage[eq[k]].argvIndex = (int)k + 1;
        info->idxNum = IDX_LOOKUP;
        info->estimatedCost = 10;
        info->estimatedRows = 1;
    } else {
        info->estimatedCost = 1e6;
        info->estimatedRows = 100000;
    }
    if (part >= 0) {
        info->aConstraintUsage[part].argvIndex = lookup ? (int)t->nkeys + 1 : 1;
        info->idxNum |= IDX_PART;
    }
    info->idxStr = sqlite3_mprintf("%llx", (unsigned long long)info->colUsed);
    info->needToFreeIdxStr = 1;
    return info->idxStr ? SQLITE_OK : SQLITE_NOMEM;
}

/* ---- cursors ---- */

static int vt_open(sqlite3_vtab *vt, sqlite3_vtab_cursor **out)
{
    live_table *t = ((live_vtab *)vt)->t;
    live_cursor *c = vg_calloc(VG_MEM_OTHER, 1, sizeof *c);
    if (!c || !(c->strs = vg_arena_new(VG_MEM_OTHER, 0))) {
        vg_free(c);
        t->live->fail = LIVE_NOMEM;
        return SQLITE_NOMEM;
    }
    c->t = t;
    *out = &c->base;
    return SQLITE_OK;
}

/* Forget the cursor's rows, giving their bytes back to the query. */
static void cursor_reset(live_cursor *c)
{
    c->t->live->copy_left += c->held;
    c->held = 0;
    c->n = c->at = 0;
    vg_arena_reset(c->strs);
}

static int vt_close(sqlite3_vtab_cursor *cur)
{
    live_cursor *c = (live_cursor *)cur;
    cursor_reset(c);
    vg_arena_free(c->strs);
    vg_free(c->rows);
    vg_free(c);
    return SQLITE_OK;
}

/* Count bytes against the query's copy limit; false (fail set) past it. */
static bool charge(live_cursor *c, size_t bytes)
{
    vg_live *l = c->t->live;
    if ((int64_t)bytes > l->copy_left) {
        l->fail = LIVE_HEAP;
        return false;
    }
    l->copy_left -= (int64_t)bytes;
    c->held += (int64_t)bytes;
    return true;
}

/* Room for one more row: its values, NULLs. NULL (fail set) when out of room. */
static vg_value *new_row(live_cursor *c)
{
    uint32_t w = c->t->ncols;
    if (c->n == c->cap) {
        uint64_t cap = c->cap ? c->cap * 2 : 16;
        vg_value *grown = vg_realloc(VG_MEM_OTHER, c->rows, cap * w * sizeof *grown);
        if (!grown) {
            c->t->live->fail = LIVE_NOMEM;
            return NULL;
        }
        c->rows = grown;
        c->cap = cap;
    }
    if (!charge(c, w * sizeof(vg_value)))
        return NULL;
    vg_value *row = c->rows + c->n++ * w;
    for (uint32_t i = 0; i < w; i++)
        row[i] = vg_null();
    return row;
}

static bool column_used(const live_cursor *c, uint32_t col)
{
    return col >= 63 ? (c->used >> 63) & 1 : (c->used >> col) & 1;
}

/* Copy value v into the cursor (a string into its arena). */
static bool keep_value(live_cursor *c, vg_value *dst, vg_type t, const vg_value *v)
{
    *dst = *v;
    if (t != VG_T_STRING || v->null || !v->len)
        return true;
    char *s = vg_arena_alloc(c->strs, v->len);
    if (!s) {
        c->t->live->fail = LIVE_NOMEM;
        return false;
    }
    if (!charge(c, v->len))
        return false;
    memcpy(s, v->u.s, v->len);
    dst->u.s = s;
    return true;
}

/* vg_op_visit_fn: copy one state row (iterate's layout) into the cursor.
 * STOP stops the operator: the query is out of time or memory. */
static int visit(void *arg, const vg_value *in)
{
    live_cursor *c = arg;
    const live_table *t = c->t;
    if (c->want_part >= 0 && t->hidden >= 0 && in[t->from[t->hidden]].u.i != c->want_part)
        return 0;
    if ((c->n & 63) == 63 && vg_clock_ms() >= t->live->deadline_ms) {
        t->live->fail = LIVE_TIME;
        return STOP;
    }
    vg_value *row = new_row(c);
    if (!row)
        return STOP;
    for (uint32_t i = 0; i < t->ncols; i++)
        if (column_used(c, i) && !keep_value(c, &row[i], t->cols[i].type, &in[t->from[i]]))
            return STOP;
    return 0;
}

/* ---- filtering ---- */

/* The key value of type t that SQLite's v equals exactly: 1 with *out set,
 * 0 when nothing can equal it (NULL), -1 when the lookup cannot take it
 * (scan instead). */
static int key_value(vg_type t, sqlite3_value *v, vg_value *out)
{
    int st = sqlite3_value_type(v);
    if (st == SQLITE_NULL)
        return 0;
    switch (t) {
    case VG_T_STRING:
        if (st != SQLITE_TEXT)
            return -1;
        *out = vg_str((const char *)sqlite3_value_text(v), (uint32_t)sqlite3_value_bytes(v));
        return 1;
    case VG_T_INT:
    case VG_T_BIGINT:
    case VG_T_BOOL:
        if (st != SQLITE_INTEGER)
            return -1;
        *out = vg_int(sqlite3_value_int64(v));
        return 1;
    case VG_T_DOUBLE:
        if (st != SQLITE_INTEGER && st != SQLITE_FLOAT)
            return -1;
        *out = vg_double(sqlite3_value_double(v));
        return 1;
    default:
        return -1;
    }
}

/* Look the key in argv up: in the partition argv names, else in each one
 * seen. 1 when the lookup could not be made (scan instead), else 0 or the
 * operator's nonzero result. */
static int lookup(live_cursor *c, vg_op *op, int idx, sqlite3_value **argv)
{
    const live_table *t = c->t;
    vg_live *l = t->live;
    vg_value key[64];
    for (uint32_t k = 0; k < t->nkeys; k++) {
        int r = key_value(t->cols[t->keycols[k]].type, argv[k], &key[k]);
        if (r <= 0)
            return r < 0 ? 1 : 0;
    }
    uint32_t from = 0, to = l->npartitions;
    if (idx & IDX_PART) {
        sqlite3_value *p = argv[t->nkeys];
        if (sqlite3_value_type(p) != SQLITE_INTEGER)
            return 1;
        sqlite3_int64 n = sqlite3_value_int64(p);
        if (n < 0 || n > INT32_MAX)
            return 0;
        from = (uint32_t)n, to = (uint32_t)n + 1;
    }
    int rc = 0;
    for (uint32_t p = from; p < to && !rc; p++) {
        l->counts.lookups++;
        rc = op->kind->lookup(op, (int32_t)p, key, visit, c);
    }
    return rc;
}

/* The catalog: one row per live table. */
static int fill_catalog(live_cursor *c)
{
    vg_live *l = c->t->live;
    for (uint32_t i = 0; i < l->ntables; i++) {
        const live_table *t = &l->tables[i];
        char keys[512] = "", cols[2048] = "";
        for (uint32_t k = 0; k < t->nkeys; k++)
            snprintf(keys + strlen(keys), sizeof keys - strlen(keys), "%s%s", k ? "," : "",
                     t->cols[t->keycols[k]].name);
        for (uint32_t k = 0; k < t->ncols; k++)
            snprintf(cols + strlen(cols), sizeof cols - strlen(cols), "%s%s", k ? "," : "",
                     t->cols[k].name);
        const char *view = t->node->view;
        vg_value in[7] = {
            vg_str(t->name, (uint32_t)strlen(t->name)),
            vg_str(t->kind, (uint32_t)strlen(t->kind)),
            vg_int(t->node->id),
            view ? vg_str(view, (uint32_t)strlen(view)) : vg_null(),
            vg_str(keys, (uint32_t)strlen(keys)),
            vg_bool(vg_op_kind_for(t->node->kind) && vg_op_kind_for(t->node->kind)->lookup),
            vg_str(cols, (uint32_t)strlen(cols)),
        };
        if (visit(c, in))
            return 1;
    }
    return 0;
}

/* Why the rows could not be copied, for SQLite (the runner reads l->fail). */
static int fail_code(live_cursor *c)
{
    vg_live *l = c->t->live;
    if (l->fail == LIVE_OK)
        l->fail = LIVE_NOMEM; /* the operator's own allocation failed */
    sqlite3_vtab *vt = c->base.pVtab;
    sqlite3_free(vt->zErrMsg);
    vt->zErrMsg = sqlite3_mprintf("%s", l->fail == LIVE_TIME   ? "time limit"
                                        : l->fail == LIVE_HEAP ? "memory limit"
                                                               : "out of memory");
    return SQLITE_ERROR;
}

static int vt_filter(sqlite3_vtab_cursor *cur, int idx, const char *idx_str, int argc,
                     sqlite3_value **argv)
{
    (void)argc;
    live_cursor *c = (live_cursor *)cur;
    const live_table *t = c->t;
    vg_live *l = t->live;
    cursor_reset(c);
    c->used = idx_str ? strtoull(idx_str, NULL, 16) : ~0ull;
    c->want_part = -1;
    if ((idx & IDX_PART) && t->hidden >= 0)
        c->used |= t->hidden >= 63 ? 1ull << 63 : 1ull << t->hidden;
    if (!t->node)
        return fill_catalog(c) ? fail_code(c) : SQLITE_OK;
    if (!l->dag)
        return SQLITE_OK;
    vg_op *op = vg_dag_op(l->dag, t->node->id);
    int rc = 1;
    if ((idx & IDX_LOOKUP) && op->kind->lookup)
        rc = lookup(c, op, idx, argv);
    if (rc == 1 && c->n == 0) {
        if (idx & IDX_PART) {
            sqlite3_value *p = argv[idx & IDX_LOOKUP ? t->nkeys : 0];
            if (sqlite3_value_type(p) == SQLITE_INTEGER)
                c->want_part = (int32_t)sqlite3_value_int64(p);
        }
        l->counts.scans++;
        rc = op->kind->iterate(op, visit, c);
    }
    return rc ? fail_code(c) : SQLITE_OK;
}

static int vt_next(sqlite3_vtab_cursor *cur)
{
    ((live_cursor *)cur)->at++;
    return SQLITE_OK;
}

static int vt_eof(sqlite3_vtab_cursor *cur)
{
    live_cursor *c = (live_cursor *)cur;
    return c->at >= c->n;
}

static int vt_column(sqlite3_vtab_cursor *cur, sqlite3_context *ctx, int col)
{
    live_cursor *c = (live_cursor *)cur;
    const vg_value *v = &c->rows[c->at * c->t->ncols + (uint32_t)col];
    char buf[40];
    if (v->null) {
        sqlite3_result_null(ctx);
        return SQLITE_OK;
    }
    switch (c->t->cols[col].type) {
    case VG_T_DOUBLE:
        if (v->u.d != v->u.d)
            sqlite3_result_null(ctx); /* NaN: SQLite has none */
        else
            sqlite3_result_double(ctx, v->u.d);
        break;
    case VG_T_STRING:
        sqlite3_result_text(ctx, v->len ? v->u.s : "", (int)v->len, SQLITE_TRANSIENT);
        break;
    case VG_T_TIMESTAMP:
        sqlite3_result_text(ctx, buf, vg_ts_format(v->u.i, buf), SQLITE_TRANSIENT);
        break;
    default:
        sqlite3_result_int64(ctx, v->u.i);
        break;
    }
    return SQLITE_OK;
}

static int vt_rowid(sqlite3_vtab_cursor *cur, sqlite3_int64 *rowid)
{
    *rowid = (sqlite3_int64)((live_cursor *)cur)->at;
    return SQLITE_OK;
}

static const sqlite3_module live_module = {
    .iVersion = 0,
    .xCreate = NULL, /* eponymous only */
    .xConnect = vt_connect,
    .xBestIndex = vt_best_index,
    .xDisconnect = vt_disconnect,
    .xDestroy = vt_disconnect,
    .xOpen = vt_open,
    .xClose = vt_close,
    .xFilter = vt_filter,
    .xNext = vt_next,
    .xEof = vt_eof,
    .xColumn = vt_column,
    .xRowid = vt_rowid,
};

int live_vtab_register(vg_live *l, live_table *t)
{
    t->live = l;
    return sqlite3_create_module_v2(l->db, t->name, &live_module, t, NULL);
}
