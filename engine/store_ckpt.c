/*
 * store_ckpt.c — the checkpoint tables of the store (schema version 2):
 * writing a checkpoint with its pruning in one transaction, reading one in
 * one read transaction, listing and dropping them.
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

/* The pipeline's next epoch into *epoch, recorded as its last. */
static int next_epoch(vg_store *st, const char *pipeline, int64_t *epoch, vg_error *err)
{
    sqlite3_stmt *s = store_prep(st,
                                 "INSERT INTO checkpoint_epochs (pipeline, last_epoch)"
                                 " VALUES (?1, 1) ON CONFLICT (pipeline)"
                                 " DO UPDATE SET last_epoch = last_epoch + 1 RETURNING last_epoch",
                                 err);
    if (!s)
        return -1;
    sqlite3_bind_text(s, 1, pipeline, -1, SQLITE_STATIC);
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
                                 " partition, next_offset) VALUES (?, ?, ?, ?, ?)",
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
        "DELETE FROM checkpoints WHERE id IN " DOOMED, /* last: the others select through it */
    };
    for (size_t i = 0; i < sizeof sql / sizeof sql[0]; i++) {
        sqlite3_stmt *s = store_prep(st, sql[i], err);
        if (!s)
            return -1;
        sqlite3_bind_text(s, 1, pipeline, -1, SQLITE_STATIC);
        sqlite3_bind_int64(s, 2, spare);
        if (store_run(st, s, err) < 0)
            return -1;
    }
    if (n)
        *n = (uint32_t)sqlite3_changes(st->db);
    return 0;
}

int vg_store_ckpt_put(vg_store *st, vg_store_ckpt *c, const vg_store_ckpt_op *ops, uint32_t n,
                      uint32_t keep, uint32_t *pruned, vg_error *err)
{
    vg_store_ckpt w = *c;
    w.created_at = st->now(st->now_arg);
    w.bytes = 0;
    for (uint32_t i = 0; i < n; i++)
        w.bytes += (int64_t)ops[i].size;
    if (store_begin(st, err) < 0)
        return -1;
    int rc = next_epoch(st, w.pipeline, &w.epoch, err);
    if (rc == 0)
        rc = put_header(st, &w, err);
    if (rc == 0)
        rc = put_ops(st, w.id, ops, n, err);
    if (rc == 0)
        rc = put_offsets(st, &w, err);
    if (rc == 0)
        rc = put_sinks(st, &w, err);
    if (rc == 0)
        rc = delete_ckpts(st, w.pipeline, keep ? keep : 1, pruned, err);
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
    " (SELECT COUNT(*) FROM checkpoint_sinks o WHERE o.checkpoint_id = c.id)"                      \
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
                         .nsinks = (uint32_t)sqlite3_column_int64(s, 9)};
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
                                           "SELECT source, topic, partition, next_offset"
                                           " FROM checkpoint_offsets WHERE checkpoint_id = ?1"
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
    return store_finish(st, delete_ckpts(st, pipeline, 0, dropped, err), err);
}
