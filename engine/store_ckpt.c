/*
 * store_ckpt.c — the checkpoint tables of the store (schema versions 2
 * to 4): writing a checkpoint with its pruning in one transaction,
 * reading one in one read transaction, listing and dropping them; the
 * turn log that `vigil run` appends to between checkpoints.
 *
 * Records in and out are plain data (store.h); what a checkpoint means,
 * how operators are matched and restored, is engine/checkpoint.c's. The
 * state bytes are bound straight from the caller's buffer and handed to
 * the caller straight from SQLite's, never copied here: a checkpoint can
 * be hundreds of megabytes.
 *
 * The transaction that writes a checkpoint takes the write lock first
 * (BEGIN IMMEDIATE), so once it has begun nothing but I/O can make it
 * fail; when I/O fails, SQLite rolls it back and the checkpoints before it
 * stay as they were, offsets and state together.
 */
#include <string.h>

#include "engine/crash.h"
#include "engine/store_int.h"

static const char *col_text(sqlite3_stmt *s, int i)
{
    return (const char *)sqlite3_column_text(s, i);
}

/* A copy of s in a (NULL stays NULL); *bad set when out of memory. */
static const char *dup(vg_arena *a, const char *s, bool *bad)
{
    if (!s)
        return NULL;
    const char *d = vg_arena_strndup(a, s, strlen(s));
    if (!d)
        *bad = true;
    return d;
}

/* ---- writing ---- */

/* The pipeline's next epoch into *epoch, recorded as its last: the one
 * after its last, or `wanted` when that is larger (a runner that labelled
 * turns with it before the checkpoint was written). */
static int next_epoch(vg_store *st, const char *pipeline, int64_t wanted, int64_t *epoch,
                      vg_error *err)
{
    sqlite3_stmt *s = store_prep(st,
                                 "INSERT INTO checkpoint_epochs (pipeline, last_epoch)"
                                 " VALUES (?1, MAX(1, ?2)) ON CONFLICT (pipeline)"
                                 " DO UPDATE SET last_epoch = MAX(last_epoch + 1, ?2)"
                                 " RETURNING last_epoch",
                                 err);
    if (!s)
        return -1;
    sqlite3_bind_text(s, 1, pipeline, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, wanted);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW)
        *epoch = sqlite3_column_int64(s, 0);
    /* RETURNING's row comes before the statement is done: step it to the end */
    if (rc == SQLITE_ROW)
        rc = sqlite3_step(s);
    rc = rc == SQLITE_DONE ? 0 : store_fail(st, err);
    sqlite3_finalize(s);
    return rc;
}

static int put_header(vg_store *st, vg_store_ckpt *c, vg_error *err)
{
    sqlite3_stmt *s = store_prep(st,
                                 "INSERT INTO checkpoints (pipeline, epoch, plan_fp, created_at,"
                                 " bytes, late_rows) VALUES (?, ?, ?, ?, ?, ?)",
                                 err);
    if (!s)
        return -1;
    sqlite3_bind_text(s, 1, c->pipeline, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, c->epoch);
    sqlite3_bind_text(s, 3, c->plan_fp, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 4, c->created_at);
    sqlite3_bind_int64(s, 5, c->bytes);
    sqlite3_bind_int64(s, 6, (int64_t)c->late_rows);
    if (store_run(st, s, err) < 0)
        return -1;
    c->id = sqlite3_last_insert_rowid(st->db);
    return 0;
}

static int put_ops(vg_store *st, int64_t id, const vg_store_ckpt_op *ops, uint32_t n, vg_error *err)
{
    sqlite3_stmt *s = store_prep(st,
                                 "INSERT INTO checkpoint_ops (checkpoint_id, node_fp, seq, kind,"
                                 " name, wm, state) VALUES (?, ?, ?, ?, ?, ?, ?)",
                                 err);
    int rc = s ? 0 : -1;
    for (uint32_t i = 0; rc == 0 && i < n; i++) {
        const vg_store_ckpt_op *op = &ops[i];
        sqlite3_reset(s);
        sqlite3_bind_int64(s, 1, id);
        sqlite3_bind_text(s, 2, op->node_fp, -1, SQLITE_STATIC);
        sqlite3_bind_int64(s, 3, op->seq);
        sqlite3_bind_text(s, 4, op->kind, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 5, op->name, -1, SQLITE_STATIC);
        sqlite3_bind_int64(s, 6, op->wm);
        /* zero bytes are still a (NOT NULL) blob: zeroblob(0), not NULL */
        if (sqlite3_bind_blob64(s, 7, op->size ? op->state : "", op->size, SQLITE_STATIC) !=
                SQLITE_OK ||
            sqlite3_step(s) != SQLITE_DONE)
            rc = store_fail(st, err);
    }
    sqlite3_finalize(s);
    return rc;
}

static int put_offsets(vg_store *st, const vg_store_ckpt *c, vg_error *err)
{
    sqlite3_stmt *s = store_prep(st,
                                 "INSERT INTO checkpoint_offsets (checkpoint_id, source, topic,"
                                 " partition, next_offset, max_wm) VALUES (?, ?, ?, ?, ?, ?)",
                                 err);
    int rc = s ? 0 : -1;
    for (uint32_t i = 0; rc == 0 && i < c->noffsets; i++) {
        const vg_store_offset *o = &c->offsets[i];
        sqlite3_reset(s);
        sqlite3_bind_int64(s, 1, c->id);
        sqlite3_bind_text(s, 2, o->source, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 3, o->topic ? o->topic : "", -1, SQLITE_STATIC);
        sqlite3_bind_int(s, 4, o->partition);
        sqlite3_bind_int64(s, 5, o->next_offset);
        sqlite3_bind_int64(s, 6, o->max_wm);
        if (sqlite3_step(s) != SQLITE_DONE)
            rc = store_fail(st, err);
    }
    sqlite3_finalize(s);
    return rc;
}

static int put_sinks(vg_store *st, const vg_store_ckpt *c, vg_error *err)
{
    sqlite3_stmt *s = store_prep(st,
                                 "INSERT INTO checkpoint_sinks (checkpoint_id, sink, position,"
                                 " rows) VALUES (?, ?, ?, ?)",
                                 err);
    int rc = s ? 0 : -1;
    for (uint32_t i = 0; rc == 0 && i < c->nsinks; i++) {
        const vg_store_sink_pos *k = &c->sinks[i];
        sqlite3_reset(s);
        sqlite3_bind_int64(s, 1, c->id);
        sqlite3_bind_text(s, 2, k->sink, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 3, k->position, -1, SQLITE_STATIC);
        if (k->rows >= 0)
            sqlite3_bind_int64(s, 4, k->rows);
        else
            sqlite3_bind_null(s, 4);
        if (sqlite3_step(s) != SQLITE_DONE)
            rc = store_fail(st, err);
    }
    sqlite3_finalize(s);
    return rc;
}

/* The plan's SQL files, unless the store holds some for (pipeline, plan_fp)
 * already: a plan's files are stored once, as the first checkpoint of it
 * had them (another text with the same fingerprint compiles to the same
 * plan). */
static int put_plan(vg_store *st, const vg_store_ckpt *c, vg_error *err)
{
    sqlite3_stmt *s = store_prep(st,
                                 "INSERT INTO checkpoint_plans (pipeline, plan_fp, seq, path, text)"
                                 " SELECT ?1, ?2, ?3, ?4, ?5 WHERE ?3 > 0 OR NOT EXISTS (SELECT 1"
                                 " FROM checkpoint_plans WHERE pipeline = ?1 AND plan_fp = ?2)",
                                 err);
    int rc = s ? 0 : -1;
    bool first_new = true;
    for (uint32_t i = 0; rc == 0 && i < c->nsql && first_new; i++) {
        sqlite3_reset(s);
        sqlite3_bind_text(s, 1, c->pipeline, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 2, c->plan_fp, -1, SQLITE_STATIC);
        sqlite3_bind_int64(s, 3, i);
        sqlite3_bind_text(s, 4, c->sql[i].path, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 5, c->sql[i].text, -1, SQLITE_STATIC);
        if (sqlite3_step(s) != SQLITE_DONE)
            rc = store_fail(st, err);
        first_new = i > 0 || sqlite3_changes(st->db) > 0; /* stored already: the rest too */
    }
    sqlite3_finalize(s);
    return rc;
}

static int put_versions(vg_store *st, const vg_store_ckpt *c, vg_error *err)
{
    sqlite3_stmt *s = store_prep(st,
                                 "INSERT INTO checkpoint_registry (checkpoint_id, kind, name,"
                                 " version) VALUES (?, ?, ?, ?)",
                                 err);
    int rc = s ? 0 : -1;
    for (uint32_t i = 0; rc == 0 && i < c->nversions; i++) {
        const vg_store_version *v = &c->versions[i];
        sqlite3_reset(s);
        sqlite3_bind_int64(s, 1, c->id);
        sqlite3_bind_text(s, 2, v->kind, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 3, v->name, -1, SQLITE_STATIC);
        sqlite3_bind_int64(s, 4, v->version);
        if (sqlite3_step(s) != SQLITE_DONE)
            rc = store_fail(st, err);
    }
    sqlite3_finalize(s);
    return rc;
}

/* The checkpoints a delete removes: ?1 the pipeline (NULL: all), ?2 how
 * many of the newest to spare. */
#define DOOMED                                                                                     \
    "(SELECT id FROM checkpoints WHERE ?1 IS NULL OR pipeline = ?1"                                \
    " ORDER BY id DESC LIMIT -1 OFFSET ?2)"

/* Delete the checkpoints of pipeline (NULL: all) but the newest `spare`;
 * *n gets how many. */
static int delete_ckpts(vg_store *st, const char *pipeline, uint32_t spare, uint32_t *n,
                        vg_error *err)
{
    static const char *const sql[] = {
        "DELETE FROM checkpoint_ops WHERE checkpoint_id IN " DOOMED,
        "DELETE FROM checkpoint_offsets WHERE checkpoint_id IN " DOOMED,
        "DELETE FROM checkpoint_sinks WHERE checkpoint_id IN " DOOMED,
        "DELETE FROM checkpoint_registry WHERE checkpoint_id IN " DOOMED,
        "DELETE FROM checkpoints WHERE id IN " DOOMED, /* after the rows that select through it */
        /* the SQL of plans that no checkpoint left was written by */
        "DELETE FROM checkpoint_plans WHERE (?1 IS NULL OR pipeline = ?1) AND"
        " NOT EXISTS (SELECT 1 FROM checkpoints c WHERE c.pipeline = checkpoint_plans.pipeline"
        " AND c.plan_fp = checkpoint_plans.plan_fp)",
    };
    uint32_t deleted = 0;
    for (size_t i = 0; i < sizeof sql / sizeof sql[0]; i++) {
        sqlite3_stmt *s = store_prep(st, sql[i], err);
        if (!s)
            return -1;
        sqlite3_bind_text(s, 1, pipeline, -1, SQLITE_STATIC);
        sqlite3_bind_int64(s, 2, spare);
        if (store_run(st, s, err) < 0)
            return -1;
        if (strncmp(sql[i], "DELETE FROM checkpoints ", 24) == 0)
            deleted = (uint32_t)sqlite3_changes(st->db);
    }
    if (n)
        *n = deleted;
    return 0;
}

/* Delete the turn log of pipeline (NULL: all) before epoch (0: all of it). */
static int delete_turns(vg_store *st, const char *pipeline, int64_t epoch, vg_error *err)
{
    sqlite3_stmt *s = store_prep(st,
                                 "DELETE FROM turn_log WHERE (?1 IS NULL OR pipeline = ?1)"
                                 " AND (?2 = 0 OR epoch < ?2)",
                                 err);
    if (!s)
        return -1;
    sqlite3_bind_text(s, 1, pipeline, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, epoch);
    return store_run(st, s, err);
}

int vg_store_ckpt_put(vg_store *st, vg_store_ckpt *c, const vg_store_ckpt_op *ops, uint32_t n,
                      uint32_t keep, uint32_t *pruned, vg_error *err)
{
    vg_store_ckpt w = *c;
    w.created_at = st->now(st->now_arg);
    w.bytes = 0;
    for (uint32_t i = 0; i < n; i++)
        w.bytes += (int64_t)ops[i].size;
    if (store_sync(st, true, err) < 0 || store_begin(st, err) < 0)
        return -1;
    int rc = next_epoch(st, w.pipeline, c->epoch, &w.epoch, err);
    if (rc == 0)
        rc = put_header(st, &w, err);
    if (rc == 0)
        rc = put_ops(st, w.id, ops, n, err);
    if (rc == 0)
        rc = put_offsets(st, &w, err);
    if (rc == 0)
        rc = put_sinks(st, &w, err);
    if (rc == 0)
        rc = put_versions(st, &w, err);
    if (rc == 0)
        rc = put_plan(st, &w, err);
    if (rc == 0)
        rc = delete_ckpts(st, w.pipeline, keep ? keep : 1, pruned, err);
    if (rc == 0)
        rc = delete_turns(st, w.pipeline, w.epoch, err);
    if (rc == 0)
        vg_crash_point("ckpt-mid"); /* the test hook: everything written, not committed */
    if (store_finish(st, rc, err) < 0)
        return -1;
    w.nops = n;
    *c = w;
    return 0;
}

/* ---- reading ---- */

#define CKPT_COLS                                                                                  \
    "SELECT id, pipeline, epoch, plan_fp, created_at, bytes, late_rows,"                           \
    " (SELECT COUNT(*) FROM checkpoint_ops o WHERE o.checkpoint_id = c.id),"                       \
    " (SELECT COUNT(*) FROM checkpoint_offsets o WHERE o.checkpoint_id = c.id),"                   \
    " (SELECT COUNT(*) FROM checkpoint_sinks o WHERE o.checkpoint_id = c.id),"                     \
    " (SELECT COUNT(*) FROM checkpoint_plans o WHERE o.pipeline = c.pipeline"                      \
    "  AND o.plan_fp = c.plan_fp),"                                                                \
    " (SELECT COUNT(*) FROM checkpoint_registry o WHERE o.checkpoint_id = c.id)"                   \
    " FROM checkpoints c"

/* A row of CKPT_COLS into c; strings are the statement's, or copied into a
 * when a is not NULL. */
static int ckpt_row(sqlite3_stmt *s, vg_store_ckpt *c, vg_arena *a, vg_error *err)
{
    bool bad = false;
    const char *pipeline = col_text(s, 1), *fp = col_text(s, 3);
    if (a) {
        pipeline = dup(a, pipeline, &bad);
        fp = dup(a, fp, &bad);
    }
    *c = (vg_store_ckpt){.id = sqlite3_column_int64(s, 0),
                         .pipeline = pipeline,
                         .epoch = sqlite3_column_int64(s, 2),
                         .plan_fp = fp,
                         .created_at = sqlite3_column_int64(s, 4),
                         .bytes = sqlite3_column_int64(s, 5),
                         .late_rows = (uint64_t)sqlite3_column_int64(s, 6),
                         .nops = (uint32_t)sqlite3_column_int64(s, 7),
                         .noffsets = (uint32_t)sqlite3_column_int64(s, 8),
                         .nsinks = (uint32_t)sqlite3_column_int64(s, 9),
                         .nsql = (uint32_t)sqlite3_column_int64(s, 10),
                         .nversions = (uint32_t)sqlite3_column_int64(s, 11)};
    return bad ? store_nomem(err) : 0;
}

/* The row of checkpoint id (0: the newest) into c; 1 when there is none. */
static int get_header(vg_store *st, int64_t id, vg_arena *a, vg_store_ckpt *c, vg_error *err)
{
    sqlite3_stmt *s = store_prep(
        st, id ? CKPT_COLS " WHERE id = ?1" : CKPT_COLS " ORDER BY id DESC LIMIT 1", err);
    if (!s)
        return -1;
    if (id)
        sqlite3_bind_int64(s, 1, id);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW)
        rc = ckpt_row(s, c, a, err);
    else
        rc = rc == SQLITE_DONE ? 1 : store_fail(st, err);
    sqlite3_finalize(s);
    return rc;
}

static int get_offsets(vg_store *st, vg_arena *a, vg_store_ckpt *c, vg_error *err)
{
    size_t n0 = c->noffsets ? c->noffsets : 1;
    vg_store_offset *offsets = vg_arena_calloc(a, n0 * sizeof *offsets);
    sqlite3_stmt *s = offsets ? store_prep(st,
                                           "SELECT source, topic, partition, next_offset,"
                                           " max_wm FROM checkpoint_offsets"
                                           " WHERE checkpoint_id = ?1"
                                           " ORDER BY source, topic, partition",
                                           err)
                              : NULL;
    c->offsets = offsets;
    if (!s)
        return offsets ? -1 : store_nomem(err);
    sqlite3_bind_int64(s, 1, c->id);
    int rc = 0, step;
    uint32_t n = 0;
    bool bad = false;
    while (rc == 0 && (step = sqlite3_step(s)) == SQLITE_ROW && n < c->noffsets) {
        vg_store_offset *o = &offsets[n++];
        o->source = dup(a, col_text(s, 0), &bad);
        o->topic = dup(a, col_text(s, 1), &bad);
        o->partition = sqlite3_column_int(s, 2);
        o->next_offset = sqlite3_column_int64(s, 3);
        o->max_wm =
            sqlite3_column_type(s, 4) == SQLITE_NULL ? INT64_MIN : sqlite3_column_int64(s, 4);
        rc = bad ? store_nomem(err) : 0;
    }
    if (rc == 0 && step != SQLITE_ROW && step != SQLITE_DONE)
        rc = store_fail(st, err);
    c->noffsets = n;
    sqlite3_finalize(s);
    return rc;
}

static int get_sinks(vg_store *st, vg_arena *a, vg_store_ckpt *c, vg_error *err)
{
    vg_store_sink_pos *sinks = vg_arena_calloc(a, (c->nsinks ? c->nsinks : 1) * sizeof *sinks);
    sqlite3_stmt *s = sinks ? store_prep(st,
                                         "SELECT sink, position, rows FROM checkpoint_sinks"
                                         " WHERE checkpoint_id = ?1 ORDER BY sink",
                                         err)
                            : NULL;
    c->sinks = sinks;
    if (!s)
        return sinks ? -1 : store_nomem(err);
    sqlite3_bind_int64(s, 1, c->id);
    int rc = 0, step;
    uint32_t n = 0;
    bool bad = false;
    while (rc == 0 && (step = sqlite3_step(s)) == SQLITE_ROW && n < c->nsinks) {
        vg_store_sink_pos *k = &sinks[n++];
        k->sink = dup(a, col_text(s, 0), &bad);
        k->position = dup(a, col_text(s, 1), &bad);
        k->rows = sqlite3_column_type(s, 2) == SQLITE_NULL ? -1 : sqlite3_column_int64(s, 2);
        rc = bad ? store_nomem(err) : 0;
    }
    if (rc == 0 && step != SQLITE_ROW && step != SQLITE_DONE)
        rc = store_fail(st, err);
    c->nsinks = n;
    sqlite3_finalize(s);
    return rc;
}

/* The plan's SQL files into c->sql (c->nsql of them, counted by the header). */
static int get_sql(vg_store *st, vg_arena *a, vg_store_ckpt *c, vg_error *err)
{
    vg_store_sql *sql = vg_arena_calloc(a, (c->nsql ? c->nsql : 1) * sizeof *sql);
    sqlite3_stmt *s = sql ? store_prep(st,
                                       "SELECT path, text FROM checkpoint_plans WHERE pipeline ="
                                       " ?1 AND plan_fp = ?2 ORDER BY seq",
                                       err)
                          : NULL;
    c->sql = sql;
    if (!s)
        return sql ? -1 : store_nomem(err);
    sqlite3_bind_text(s, 1, c->pipeline, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, c->plan_fp, -1, SQLITE_STATIC);
    int rc = 0, step;
    uint32_t n = 0;
    bool bad = false;
    while (rc == 0 && (step = sqlite3_step(s)) == SQLITE_ROW && n < c->nsql) {
        sql[n].path = dup(a, col_text(s, 0), &bad);
        sql[n++].text = dup(a, col_text(s, 1), &bad);
        rc = bad ? store_nomem(err) : 0;
    }
    if (rc == 0 && step != SQLITE_ROW && step != SQLITE_DONE)
        rc = store_fail(st, err);
    c->nsql = n;
    sqlite3_finalize(s);
    return rc;
}

/* The checkpoint's model and ruleset versions into c->versions. */
static int get_versions(vg_store *st, vg_arena *a, vg_store_ckpt *c, vg_error *err)
{
    vg_store_version *v = vg_arena_calloc(a, (c->nversions ? c->nversions : 1) * sizeof *v);
    sqlite3_stmt *s = v ? store_prep(st,
                                     "SELECT kind, name, version FROM checkpoint_registry"
                                     " WHERE checkpoint_id = ?1 ORDER BY kind, name",
                                     err)
                        : NULL;
    c->versions = v;
    if (!s)
        return v ? -1 : store_nomem(err);
    sqlite3_bind_int64(s, 1, c->id);
    int rc = 0, step;
    uint32_t n = 0;
    bool bad = false;
    while (rc == 0 && (step = sqlite3_step(s)) == SQLITE_ROW && n < c->nversions) {
        v[n].kind = dup(a, col_text(s, 0), &bad);
        v[n].name = dup(a, col_text(s, 1), &bad);
        v[n++].version = sqlite3_column_int64(s, 2);
        rc = bad ? store_nomem(err) : 0;
    }
    if (rc == 0 && step != SQLITE_ROW && step != SQLITE_DONE)
        rc = store_fail(st, err);
    c->nversions = n;
    sqlite3_finalize(s);
    return rc;
}

/* fn for each operator row of checkpoint id, state straight from SQLite. */
static int get_ops(vg_store *st, int64_t id, vg_store_ckpt_op_fn fn, void *arg, vg_error *err)
{
    sqlite3_stmt *s = store_prep(st,
                                 "SELECT node_fp, seq, kind, name, wm, state FROM checkpoint_ops"
                                 " WHERE checkpoint_id = ?1 ORDER BY node_fp, seq",
                                 err);
    if (!s)
        return -1;
    sqlite3_bind_int64(s, 1, id);
    int rc = 0, step;
    while (rc == 0 && (step = sqlite3_step(s)) == SQLITE_ROW) {
        vg_store_ckpt_op op = {.node_fp = col_text(s, 0),
                               .seq = (uint32_t)sqlite3_column_int64(s, 1),
                               .kind = col_text(s, 2),
                               .name = col_text(s, 3),
                               .wm = sqlite3_column_int64(s, 4),
                               .state = sqlite3_column_blob(s, 5),
                               .size = (size_t)sqlite3_column_bytes(s, 5)};
        /* a NULL text or blob of a non-empty value is SQLite out of memory */
        if (!op.node_fp || !op.kind || (op.size && !op.state))
            rc = store_nomem(err);
        else
            rc = fn(arg, &op, err);
    }
    if (rc == 0 && step != SQLITE_DONE)
        rc = store_fail(st, err);
    sqlite3_finalize(s);
    return rc;
}

int vg_store_ckpt_get(vg_store *st, int64_t id, vg_arena *arena, vg_store_ckpt *c,
                      vg_store_ckpt_op_fn fn, void *arg, vg_error *err)
{
    memset(c, 0, sizeof *c);
    /* one read transaction: the checkpoint as it was committed, whatever a
     * writer does meanwhile */
    if (store_exec(st, "BEGIN", err) < 0)
        return -1;
    int rc = get_header(st, id, arena, c, err);
    if (rc == 0)
        rc = get_offsets(st, arena, c, err);
    if (rc == 0)
        rc = get_sinks(st, arena, c, err);
    if (rc == 0)
        rc = get_sql(st, arena, c, err);
    if (rc == 0)
        rc = get_versions(st, arena, c, err);
    if (rc == 0 && fn)
        rc = get_ops(st, c->id, fn, arg, err);
    if (sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
    if (rc != 0)
        memset(c, 0, sizeof *c);
    return rc;
}

int vg_store_ckpt_list(vg_store *st, const char *pipeline, vg_store_ckpt_fn fn, void *arg,
                       vg_error *err)
{
    sqlite3_stmt *s =
        store_prep(st, CKPT_COLS " WHERE ?1 IS NULL OR pipeline = ?1 ORDER BY id DESC", err);
    if (!s)
        return -1;
    sqlite3_bind_text(s, 1, pipeline, -1, SQLITE_STATIC);
    int rc = 0, step;
    while (rc == 0 && (step = sqlite3_step(s)) == SQLITE_ROW) {
        vg_store_ckpt c;
        rc = ckpt_row(s, &c, NULL, err);
        if (rc == 0 && fn(&c, arg))
            break;
    }
    if (rc == 0 && step != SQLITE_ROW && step != SQLITE_DONE)
        rc = store_fail(st, err);
    sqlite3_finalize(s);
    return rc;
}

int vg_store_ckpt_drop(vg_store *st, const char *pipeline, uint32_t *dropped, vg_error *err)
{
    if (store_begin(st, err) < 0)
        return -1;
    int rc = delete_ckpts(st, pipeline, 0, dropped, err);
    if (rc == 0)
        rc = delete_turns(st, pipeline, 0, err);
    return store_finish(st, rc, err);
}

/* ---- the turn log ---- */

/* A run's bytes in the runs blob: source u32, partition i32, first i64,
 * count u32, little-endian. */
#define RUN_BYTES 20

static void put_le(unsigned char *p, uint64_t v, int n)
{
    for (int i = 0; i < n; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t get_le(const unsigned char *p, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

int vg_store_turn_put(vg_store *st, const char *pipeline, const vg_store_turn *t, bool full_sync,
                      vg_error *err)
{
    size_t size = (size_t)t->nruns * RUN_BYTES;
    unsigned char *blob = vg_malloc(VG_MEM_STATE, size ? size : 1);
    if (!blob)
        return store_nomem(err);
    for (uint32_t i = 0; i < t->nruns; i++) {
        unsigned char *p = blob + (size_t)i * RUN_BYTES;
        put_le(p, t->runs[i].source, 4);
        put_le(p + 4, (uint32_t)t->runs[i].partition, 4);
        put_le(p + 8, (uint64_t)t->runs[i].first, 8);
        put_le(p + 16, t->runs[i].count, 4);
    }
    sqlite3_stmt *s = NULL;
    int rc = store_sync(st, full_sync, err);
    if (rc == 0)
        s = store_prep(st,
                       "INSERT INTO turn_log (pipeline, epoch, seq, wm, runs)"
                       " VALUES (?, ?, ?, ?, ?)",
                       err);
    if (s) {
        sqlite3_bind_text(s, 1, pipeline, -1, SQLITE_STATIC);
        sqlite3_bind_int64(s, 2, t->epoch);
        sqlite3_bind_int64(s, 3, t->seq);
        sqlite3_bind_int64(s, 4, t->wm);
        sqlite3_bind_blob64(s, 5, blob, size, SQLITE_STATIC);
        rc = store_run(st, s, err); /* autocommit: a transaction of its own */
    } else {
        rc = -1;
    }
    vg_free(blob);
    return rc;
}

/* Decode a runs blob into t->runs (in a). */
static int decode_runs(vg_store *st, const char *pipeline, sqlite3_stmt *s, vg_arena *a,
                       vg_store_turn *t, vg_error *err)
{
    const unsigned char *blob = sqlite3_column_blob(s, 2);
    size_t size = (size_t)sqlite3_column_bytes(s, 2);
    if (size % RUN_BYTES)
        return vg_error_set(err, VG_ERR_RUNTIME, "store '%s': turn %lld.%lld of pipeline '%s' is"
                            " damaged", st->path, (long long)t->epoch, (long long)t->seq,
                            pipeline);
    if (size && !blob)
        return store_nomem(err);
    t->nruns = (uint32_t)(size / RUN_BYTES);
    vg_store_turn_run *runs = vg_arena_calloc(a, (t->nruns ? t->nruns : 1) * sizeof *runs);
    if (!runs)
        return store_nomem(err);
    for (uint32_t i = 0; i < t->nruns; i++) {
        const unsigned char *p = blob + (size_t)i * RUN_BYTES;
        runs[i] = (vg_store_turn_run){.source = (uint32_t)get_le(p, 4),
                                      .partition = (int32_t)(uint32_t)get_le(p + 4, 4),
                                      .first = (int64_t)get_le(p + 8, 8),
                                      .count = (uint32_t)get_le(p + 16, 4)};
    }
    t->runs = runs;
    return 0;
}

int vg_store_turn_list(vg_store *st, const char *pipeline, int64_t epoch, vg_arena *arena,
                       vg_store_turn **turns, uint32_t *n, vg_error *err)
{
    *turns = NULL;
    *n = 0;
    sqlite3_stmt *s = store_prep(st,
                                 "SELECT seq, wm, runs, epoch FROM turn_log WHERE pipeline = ?1"
                                 " AND epoch >= ?2 ORDER BY epoch, seq",
                                 err);
    if (!s)
        return -1;
    sqlite3_bind_text(s, 1, pipeline, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, epoch);
    uint32_t cap = 0;
    int rc = 0, step;
    while (rc == 0 && (step = sqlite3_step(s)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? 2 * cap : 16;
            vg_store_turn *grown = vg_arena_alloc(arena, cap * sizeof *grown);
            if (!grown) {
                rc = store_nomem(err);
                break;
            }
            if (*n)
                memcpy(grown, *turns, *n * sizeof *grown);
            *turns = grown;
        }
        vg_store_turn *t = &(*turns)[*n];
        *t = (vg_store_turn){.epoch = sqlite3_column_int64(s, 3),
                             .seq = sqlite3_column_int64(s, 0),
                             .wm = sqlite3_column_int64(s, 1)};
        rc = decode_runs(st, pipeline, s, arena, t, err);
        *n += rc == 0;
    }
    if (rc == 0 && step != SQLITE_DONE)
        rc = store_fail(st, err);
    sqlite3_finalize(s);
    return rc;
}

int vg_store_turn_prune(vg_store *st, const char *pipeline, int64_t epoch, vg_error *err)
{
    return delete_turns(st, pipeline, epoch > 0 ? epoch : 1, err);
}

int vg_store_turn_count(vg_store *st, const char *pipeline, int64_t *n, vg_error *err)
{
    sqlite3_stmt *s =
        store_prep(st, "SELECT COUNT(*) FROM turn_log WHERE ?1 IS NULL OR pipeline = ?1", err);
    if (!s)
        return -1;
    sqlite3_bind_text(s, 1, pipeline, -1, SQLITE_STATIC);
    int rc = sqlite3_step(s);
    *n = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
    rc = rc == SQLITE_ROW ? 0 : store_fail(st, err);
    sqlite3_finalize(s);
    return rc;
}
