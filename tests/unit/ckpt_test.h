/*
 * ckpt_test.h — what the checkpoint tests share (test_checkpoint.c,
 * test_checkpoint_fault.c): the run they checkpoint, and one-line
 * operations on stores and checkpoints.
 *
 * The run: a stream of 40 events over 5 keys with an OVER window, a
 * TUMBLE window aggregate and a GROUP BY (three stateful operators and the
 * source), some events late. "Offsets belong to the state" is checked the
 * strict way (resume_from): the loaded checkpoint says how many events its
 * state has seen (its next offset); the restored DAG is fed the events from
 * there on, and its output must be exactly the rest of the uninterrupted
 * run's. Stores live in a temporary folder that ckpt_setup makes and
 * ckpt_teardown removes.
 */
#ifndef VG_CKPT_TEST_H
#define VG_CKPT_TEST_H

#include <sqlite3.h>
#include <unistd.h>

#include "engine/checkpoint.h"
#include "tests/unit/op_test.h"

static char dir[64];
static int64_t now_ms = 5000;

#define NEV 40

static const char pipeline_sql[] =
    "CREATE VIEW f AS SELECT k, x, ts, COUNT(*) OVER w AS n, SUM(x) OVER w AS sx FROM s\n"
    "  WINDOW w AS (PARTITION BY k ORDER BY ts\n"
    "               RANGE BETWEEN INTERVAL '5' SECOND PRECEDING AND CURRENT ROW);\n"
    "INSERT INTO feats SELECT * FROM f;\n"
    "INSERT INTO mins SELECT window_start, window_end, k, COUNT(*) AS c, MAX(x) AS mx\n"
    "  FROM TABLE(TUMBLE(TABLE s, DESCRIPTOR(ts), INTERVAL '10' SECOND))\n"
    "  GROUP BY window_start, window_end, k;\n"
    "INSERT INTO totals SELECT k, COUNT(*) AS c, SUM(x) AS t FROM s GROUP BY k;\n";

/* The uninterrupted run: its output, the output's length after each
 * event, its late rows. */
static struct {
    const char *out;
    size_t len_at[NEV + 1];
    uint64_t late;
} ref;

static inline size_t mem_total(void)
{
    size_t n = 0;
    for (int t = 0; t < VG_MEM_NTAGS; t++)
        n += vg_mem_in_use((vg_mem_tag)t);
    return n;
}

static inline int64_t fixed_clock(void *arg) { return *(const int64_t *)arg; }

static inline const char *path_in_dir(const char *name)
{
    return vg_arena_printf(arena, "%s/%s", dir, name);
}

/* What every channel holds, "sink: line" by channel (and forget it). */
static inline const char *drain(run *r)
{
    vg_buf all;
    vg_buf_init(&all, VG_MEM_OTHER);
    for (uint32_t i = 0; i < vg_dag_nchannels(r->dag); i++) {
        vg_channel *ch = vg_dag_channel(r->dag, i);
        const char *p = ch->buf.p, *end = p + ch->buf.len;
        while (p < end) {
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            vg_buf_printf(&all, "%s: %.*s\n", ch->name, (int)(nl - p), p);
            p = nl + 1;
        }
        vg_buf_clear(&ch->buf);
    }
    const char *s = vg_arena_strndup(arena, all.len ? all.p : "", all.len);
    vg_buf_free(&all);
    return s;
}

/* Event i: key k<i % 5>, x = i, a second apart, every seventh 7 s late. */
static inline void feed_one(run *r, int i)
{
    char k[8];
    snprintf(k, sizeof k, "k%d", i % 5);
    int64_t ts = 1000 * (int64_t)i - (i % 7 == 6 ? 7000 : 0);
    push(r, k, i, ts);
    vg_dag_watermark(r->dag, ts);
}

/* Events from..to, then (at the end of the log) the final watermark; the
 * output, drained after each event. */
static inline const char *feed(run *r, int from, int to)
{
    const char *out = "";
    for (int i = from; i < to; i++) {
        feed_one(r, i);
        if (i == NEV - 1)
            vg_dag_watermark(r->dag, VG_WM_MAX);
        out = vg_arena_printf(arena, "%s%s", out, drain(r));
    }
    return out;
}

static inline void make_ref(void)
{
    run r;
    CHECK(opened(&r, pipeline_sql));
    vg_buf all;
    vg_buf_init(&all, VG_MEM_OTHER);
    for (int i = 0; i < NEV; i++) {
        ref.len_at[i] = all.len;
        vg_buf_puts(&all, feed(&r, i, i + 1));
    }
    CHECK(all.len > 2000);
    ref.len_at[NEV] = all.len;
    ref.out = vg_arena_strndup(arena, all.p, all.len);
    ref.late = vg_dag_late_rows(r.dag);
    vg_buf_free(&all);
    run_close(&r);
}

static inline vg_store *store_open(const char *path)
{
    vg_error err;
    vg_error_clear(&err);
    vg_store *st = vg_store_open(path, &err);
    if (!st)
        fprintf(stderr, "open %s: %s\n", path, err.msg);
    else
        vg_store_set_clock(st, fixed_clock, &now_ms);
    return st;
}

/* Run SQL on a store file directly: the first column of the first row as text. */
static inline const char *raw_sql(const char *path, const char *sql)
{
    sqlite3 *db;
    sqlite3_stmt *s;
    const char *out = "";
    if (sqlite3_open(path, &db) != SQLITE_OK)
        out = "open failed";
    else if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
        out = vg_arena_printf(arena, "error: %s", sqlite3_errmsg(db));
    else {
        int rc = sqlite3_step(s);
        if (rc == SQLITE_ROW && sqlite3_column_text(s, 0))
            out = vg_arena_printf(arena, "%s", (const char *)sqlite3_column_text(s, 0));
        else if (rc != SQLITE_ROW && rc != SQLITE_DONE)
            out = vg_arena_printf(arena, "error: %s", sqlite3_errmsg(db));
        sqlite3_finalize(s);
    }
    sqlite3_close(db);
    return out;
}

/* Write a checkpoint of r after `seen` events: offset `seen` of s/t/0, the
 * sinks' positions "pos<seen>" for feats and "dl" for the dead letter. */
static inline int write_at(vg_checkpoints *c, run *r, int seen, vg_checkpoint_stats *stats,
                           vg_error *err)
{
    vg_store_offset off = {"s", "t", 0, seen, 0};
    const char *pos = vg_arena_printf(arena, "pos%d", seen);
    vg_store_sink_pos sinks[] = {{"feats", pos, 0}, {"dead_letter", "dl", 0}};
    return vg_checkpoint_write(c, r->dag, &off, 1, sinks, 2, stats, err);
}

/* write_at's snapshot, to commit later. */
static inline vg_checkpoint_snap *take_at(vg_checkpoints *c, run *r, int seen, vg_error *err)
{
    vg_store_offset off = {"s", "t", 0, seen, 0};
    char pos[16];
    snprintf(pos, sizeof pos, "pos%d", seen);
    vg_store_sink_pos sinks[] = {{"feats", pos, 0}, {"dead_letter", "dl", 0}};
    return vg_checkpoint_take(c, r->dag, &off, 1, sinks, 2, err);
}

/* Load the newest checkpoint of the store at path into a fresh run and go
 * on from its offset to the end: 1 when that gives exactly the rest of the
 * uninterrupted run (and its late rows), with *epoch the checkpoint's; 0
 * when it does not; -1 when loading failed (*err). */
static inline int resume_from(const char *path, int64_t *epoch, vg_error *err)
{
    vg_store *st = store_open(path);
    run r;
    if (!st || !opened(&r, pipeline_sql)) {
        vg_store_close(st);
        return vg_error_set(err, VG_ERR_IO, "cannot open");
    }
    vg_checkpoints *c = vg_checkpoint_open(st, "pay", r.plan, err);
    vg_store_ckpt info;
    int rc = c ? vg_checkpoint_load(c, r.dag, arena, &info, err) : -1;
    if (rc == 0 && (info.noffsets != 1 || info.nsinks != 4)) {
        rc = vg_error_set(err, VG_ERR_RUNTIME, "%u offsets, %u sinks", info.noffsets, info.nsinks);
    } else if (rc == 0) {
        int seen = (int)info.offsets[0].next_offset;
        *epoch = info.epoch;
        const char *rest = feed(&r, seen, NEV);
        rc = strcmp(rest, ref.out + ref.len_at[seen]) == 0 && vg_dag_late_rows(r.dag) == ref.late &&
             strcmp(info.sinks[1].position, vg_arena_printf(arena, "pos%d", seen)) == 0;
    } else if (rc == 1) {
        rc = vg_error_set(err, VG_ERR_RUNTIME, "no checkpoint");
    }
    vg_checkpoint_close(c);
    run_close(&r);
    vg_store_close(st);
    return rc;
}

/* A new store at path with one checkpoint of pipeline_sql as "pay", after 20 events. */
static inline void prepare(const char *path)
{
    static const char *const suffixes[] = {"", "-wal", "-shm"};
    for (int i = 0; i < 3; i++)
        unlink(vg_arena_printf(arena, "%s%s", path, suffixes[i]));
    vg_store *st = store_open(path);
    run r;
    CHECK(opened(&r, pipeline_sql));
    vg_error err;
    vg_error_clear(&err);
    vg_checkpoints *c = st ? vg_checkpoint_open(st, "pay", r.plan, &err) : NULL;
    feed(&r, 0, 20);
    CHECK(c && write_at(c, &r, 20, NULL, &err) == 0);
    vg_checkpoint_close(c);
    run_close(&r);
    vg_store_close(st);
}

/* The arena, the temporary folder, the uninterrupted run: 0, or -1. */
static inline int ckpt_setup(void)
{
    arena = vg_arena_new(VG_MEM_OTHER, 1 << 16);
    snprintf(dir, sizeof dir, "/tmp/vg_ckpt_XXXXXX");
    if (!arena || !mkdtemp(dir))
        return -1;
    make_ref();
    return 0;
}

static inline void ckpt_teardown(void)
{
    vg_arena_free(arena);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
}

#endif
