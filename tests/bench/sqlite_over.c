/*
 * sqlite_over.c — SQLite computing the OVER benchmark's 20 features with its
 * window functions, for speed, and as a check of vigil's values.
 *
 *     sqlite_over [--batch N] LOG                    time the load and the query
 *     sqlite_over [--batch N] --check VIGIL_OUT LOG  compare with vigil's output on LOG
 *
 * Both modes load LOG (JSON lines, decoded by vigil's own decoder with the
 * schema of tests/bench/features20.sql) into an in-memory table t, one row
 * per event with seq (its order of arrival) and ts as epoch milliseconds,
 * then run one SELECT with the 20 window aggregates of features20.sql, each
 * `OVER w` with `PARTITION BY key ORDER BY ts RANGE BETWEEN ms PRECEDING
 * AND CURRENT ROW` (the `features` and `windows` tables below). SQLite has
 * no COUNT(DISTINCT x) window function, so count_distinct(x) is registered
 * here with sqlite3_create_window_function: a hash multiset of the frame's
 * values, with xInverse removing a value when it leaves the frame.
 *
 * Timing mode steps through every result row, reads every column, and
 * prints "name value" lines to stderr: load_seconds (parse and insert, in
 * one transaction), loop_seconds (prepare and step the query; what
 * scripts/bench_over compares), rows and a checksum.
 *
 * Check mode compares, for every row vigil emitted, its 20 values with
 * SQLite's: counts exactly, sums and averages to 1e-9 relative, maxima
 * exactly. Two differences of semantics are accounted for, not hidden:
 *
 *   - vigil emits on arrival, over the rows of the frame seen so far
 *     (DESIGN.md); a window function sees every row of the partition,
 *     including those that arrive later with a time in the frame (an equal
 *     time, or an out-of-order event). For such a (row, window), the value
 *     is compared instead with a plain aggregate over the rows of the frame
 *     that arrived up to and including the row (seq <= the row's);
 *   - rows behind the watermark are late: vigil dead-letters them and no
 *     frame holds them. The rows missing from vigil's output must be
 *     exactly those the watermark of features20.sql (ts - 5 s, advanced by
 *     replay after every batch of N lines, default 1024) makes late; they
 *     are then deleted from t.
 *
 * Prints a summary to stdout and each mismatch (the first 20) to stderr;
 * exits 1 when any value or late row differs.
 */
#include <math.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "engine/alloc.h"
#include "engine/buf.h"
#include "engine/json_in.h"
#include "tests/bench/bench_lines.h"

#define WATERMARK_DELAY_MS 5000 /* features20.sql: WATERMARK FOR ts AS ts - INTERVAL '5' SECOND */
#define REL_TOLERANCE      1e-9
#define MAX_REPORTED       20

/* ---- the query ---- */

/* One window of features20.sql. */
typedef struct window {
    const char *name; /* its name in the WINDOW clause */
    const char *key;  /* PARTITION BY column */
    int64_t ms;       /* RANGE ... PRECEDING, in milliseconds */
} window;

enum { C1M, C1H, C24H, D1H, D24H, M1M, M1H, NWINDOWS };

static const window windows[NWINDOWS] = {
    [C1M] = {"c1m", "card_id", 60000},        [C1H] = {"c1h", "card_id", 3600000},
    [C24H] = {"c24h", "card_id", 86400000},   [D1H] = {"d1h", "device_id", 3600000},
    [D24H] = {"d24h", "device_id", 86400000}, [M1M] = {"m1m", "merchant_id", 60000},
    [M1H] = {"m1h", "merchant_id", 3600000},
};

/* How a feature's values are compared. */
typedef enum cmp_kind {
    CMP_INT,   /* integers, exactly */
    CMP_REL,   /* doubles, to REL_TOLERANCE relative (sums and averages) */
    CMP_EXACT, /* doubles, exactly (maxima: one of the inputs) */
} cmp_kind;

/* One feature: an output column of features20.sql. */
typedef struct feature {
    const char *name;    /* the column */
    const char *agg;     /* the aggregate, as a plain SQLite aggregate */
    const char *win_agg; /* as a window function, when that differs from agg */
    int win;             /* its window */
    cmp_kind cmp;
} feature;

#define CD_MERCHANTS "COUNT(DISTINCT merchant_id)", "count_distinct(merchant_id)"
#define FAILED       "COUNT(*) FILTER (WHERE status <> 'captured')", NULL

static const feature features[] = {
    {"card_n_1m", "COUNT(*)", NULL, C1M, CMP_INT},
    {"card_sum_1m", "SUM(amount)", NULL, C1M, CMP_REL},
    {"card_n_1h", "COUNT(*)", NULL, C1H, CMP_INT},
    {"card_sum_1h", "SUM(amount)", NULL, C1H, CMP_REL},
    {"card_max_1h", "MAX(amount)", NULL, C1H, CMP_EXACT},
    {"card_merchants_1h", CD_MERCHANTS, C1H, CMP_INT},
    {"card_failed_1h", FAILED, C1H, CMP_INT},
    {"card_n_24h", "COUNT(*)", NULL, C24H, CMP_INT},
    {"card_sum_24h", "SUM(amount)", NULL, C24H, CMP_REL},
    {"card_avg_24h", "AVG(amount)", NULL, C24H, CMP_REL},
    {"card_max_24h", "MAX(amount)", NULL, C24H, CMP_EXACT},
    {"card_merchants_24h", CD_MERCHANTS, C24H, CMP_INT},
    {"device_n_1h", "COUNT(*)", NULL, D1H, CMP_INT},
    {"device_cards_1h", "COUNT(DISTINCT card_id)", "count_distinct(card_id)", D1H, CMP_INT},
    {"device_n_24h", "COUNT(*)", NULL, D24H, CMP_INT},
    {"device_sum_24h", "SUM(amount)", NULL, D24H, CMP_REL},
    {"merchant_n_1m", "COUNT(*)", NULL, M1M, CMP_INT},
    {"merchant_sum_1m", "SUM(amount)", NULL, M1M, CMP_REL},
    {"merchant_n_1h", "COUNT(*)", NULL, M1H, CMP_INT},
    {"merchant_avg_1h", "AVG(amount)", NULL, M1H, CMP_REL},
};

enum { NFEATURES = sizeof features / sizeof features[0] };

/* The SELECT of the 20 window aggregates over t, NUL-terminated into b. */
static int build_query(vg_buf *b)
{
    int rc = vg_buf_puts(b, "SELECT seq");
    for (int f = 0; f < NFEATURES; f++) {
        const feature *ft = &features[f];
        rc |= vg_buf_printf(b, ",\n  %s OVER %s", ft->win_agg ? ft->win_agg : ft->agg,
                            windows[ft->win].name);
    }
    rc |= vg_buf_puts(b, "\nFROM t\nWINDOW");
    for (int w = 0; w < NWINDOWS; w++)
        rc |=
            vg_buf_printf(b,
                          "%s\n  %s AS (PARTITION BY %s ORDER BY ts RANGE BETWEEN %lld "
                          "PRECEDING AND CURRENT ROW)",
                          w ? "," : "", windows[w].name, windows[w].key, (long long)windows[w].ms);
    return rc < 0 || !vg_buf_cstr(b) ? -1 : 0;
}

/* ---- count_distinct: a window function with xInverse ---- */

/* A value of the frame and how many of the frame's rows hold it. */
typedef struct cd_entry {
    uint64_t hash; /* 0: empty slot */
    uint32_t len;
    uint32_t count; /* rows of the frame holding the value */
    char *bytes;    /* the value's text (len bytes), owned */
} cd_entry;

/* The frame's multiset: open addressing, linear probing, backward-shift
 * deletion; pointed to from the aggregate context. */
typedef struct cd_set {
    cd_entry *slots; /* cap slots */
    uint32_t cap;    /* a power of two */
    uint32_t n;      /* distinct values */
} cd_set;

static uint64_t cd_hash(const unsigned char *s, uint32_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (uint32_t i = 0; i < n; i++)
        h = (h ^ s[i]) * 1099511628211ull;
    return h | 1; /* never 0, the empty mark */
}

static cd_entry *cd_find(cd_set *s, uint64_t h, const unsigned char *p, uint32_t n)
{
    for (uint32_t i = (uint32_t)h & (s->cap - 1);; i = (i + 1) & (s->cap - 1)) {
        cd_entry *e = &s->slots[i];
        if (!e->hash || (e->hash == h && e->len == n && memcmp(e->bytes, p, n) == 0))
            return e;
    }
}

static int cd_grow(cd_set *s)
{
    uint32_t cap = s->cap ? s->cap * 2 : 16;
    cd_entry *old = s->slots, *slots = vg_calloc(VG_MEM_OTHER, cap, sizeof *slots);
    if (!slots)
        return -1;
    uint32_t oldcap = s->cap;
    s->slots = slots;
    s->cap = cap;
    for (uint32_t i = 0; i < oldcap; i++)
        if (old[i].hash)
            *cd_find(s, old[i].hash, (const unsigned char *)old[i].bytes, old[i].len) = old[i];
    vg_free(old);
    return 0;
}

/* Remove slot e, shifting back the entries of its probe run. */
static void cd_remove(cd_set *s, cd_entry *e)
{
    uint32_t mask = s->cap - 1, i = (uint32_t)(e - s->slots);
    vg_free(e->bytes);
    for (uint32_t j = (i + 1) & mask;; j = (j + 1) & mask) {
        cd_entry *x = &s->slots[j];
        if (!x->hash)
            break;
        uint32_t home = (uint32_t)x->hash & mask;
        /* x may move to i when its home is not in (i, j] (cyclically) */
        if (((j - home) & mask) >= ((j - i) & mask)) {
            s->slots[i] = *x;
            i = j;
        }
    }
    memset(&s->slots[i], 0, sizeof s->slots[i]);
    s->n--;
}

static void cd_free(cd_set *s)
{
    for (uint32_t i = 0; i < s->cap; i++)
        if (s->slots[i].hash)
            vg_free(s->slots[i].bytes);
    vg_free(s->slots);
    vg_free(s);
}

/* The multiset of ctx's frame; created when `make`. NULL when absent or out of memory. */
static cd_set *cd_get(sqlite3_context *ctx, bool make)
{
    cd_set **slot = sqlite3_aggregate_context(ctx, make ? (int)sizeof(cd_set *) : 0);
    if (!slot)
        return NULL;
    if (!*slot && make)
        *slot = vg_calloc(VG_MEM_OTHER, 1, sizeof(cd_set));
    return *slot;
}

static void cd_step(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    if (sqlite3_value_type(argv[0]) == SQLITE_NULL)
        return; /* COUNT(DISTINCT x) skips NULLs */
    cd_set *s = cd_get(ctx, true);
    const unsigned char *p = sqlite3_value_text(argv[0]);
    uint32_t n = (uint32_t)sqlite3_value_bytes(argv[0]);
    if (!s || !p || ((s->n + 1) * 4 > s->cap * 3 && cd_grow(s) < 0)) {
        sqlite3_result_error_nomem(ctx);
        return;
    }
    uint64_t h = cd_hash(p, n);
    cd_entry *e = cd_find(s, h, p, n);
    if (e->hash) {
        e->count++;
        return;
    }
    if (!(e->bytes = vg_malloc(VG_MEM_OTHER, n + 1))) {
        sqlite3_result_error_nomem(ctx);
        return;
    }
    memcpy(e->bytes, p, n);
    *e = (cd_entry){.hash = h, .len = n, .count = 1, .bytes = e->bytes};
    s->n++;
}

static void cd_inverse(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    cd_set *s = cd_get(ctx, false);
    if (!s || sqlite3_value_type(argv[0]) == SQLITE_NULL)
        return;
    const unsigned char *p = sqlite3_value_text(argv[0]);
    uint32_t n = (uint32_t)sqlite3_value_bytes(argv[0]);
    cd_entry *e = cd_find(s, cd_hash(p, n), p, n);
    if (e->hash && --e->count == 0)
        cd_remove(s, e);
}

static void cd_value(sqlite3_context *ctx)
{
    cd_set *s = cd_get(ctx, false);
    sqlite3_result_int64(ctx, s ? s->n : 0);
}

static void cd_final(sqlite3_context *ctx)
{
    cd_value(ctx);
    cd_set *s = cd_get(ctx, false);
    if (s)
        cd_free(s);
}

/* ---- loading ---- */

static vg_column in_cols[] = {
    {"payment_id", VG_T_STRING}, {"card_id", VG_T_STRING},  {"merchant_id", VG_T_STRING},
    {"device_id", VG_T_STRING},  {"email", VG_T_STRING},    {"ip", VG_T_STRING},
    {"country", VG_T_STRING},    {"currency", VG_T_STRING}, {"amount", VG_T_DOUBLE},
    {"status", VG_T_STRING},     {"ts", VG_T_TIMESTAMP},
};
enum {
    NIN = sizeof in_cols / sizeof in_cols[0],
    I_PID = 0,
    I_CARD = 1,
    I_MERCHANT = 2,
    I_DEVICE = 3,
    I_TS = NIN - 1
};

/* What check mode keeps of each event (strings point into the log or the arena). */
typedef struct event {
    uint64_t line;           /* line number in the log, 1-based */
    int64_t ts;              /* event time, ms */
    vg_value key[3];         /* card_id, device_id, merchant_id */
    vg_value pid;            /* payment_id */
    bool late;               /* missing from vigil's output */
    bool emitted;            /* in vigil's output */
    vg_value vig[NFEATURES]; /* vigil's values */
} event;

/* A loaded log. */
typedef struct loaded {
    sqlite3 *db;
    uint64_t nev;    /* events loaded */
    uint64_t bad;    /* lines the decoder rejected or without ts (vigil dead-letters them) */
    event *ev;       /* check mode: nev events; else NULL */
    vg_arena *arena; /* unescaped strings */
} loaded;

static int exec(sqlite3 *db, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) == SQLITE_OK)
        return 0;
    fprintf(stderr, "sqlite_over: %s: %s\n", sql, msg ? msg : sqlite3_errmsg(db));
    sqlite3_free(msg);
    return -1;
}

static int open_db(loaded *L)
{
    if (sqlite3_open(":memory:", &L->db) != SQLITE_OK)
        return -1;
    if (sqlite3_create_window_function(L->db, "count_distinct", 1,
                                       SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL, cd_step, cd_final,
                                       cd_value, cd_inverse, NULL) != SQLITE_OK)
        return -1;
    return exec(L->db, "PRAGMA temp_store = MEMORY; PRAGMA cache_size = -1048576;"
                       "CREATE TABLE t (seq INTEGER PRIMARY KEY, payment_id TEXT, card_id TEXT,"
                       " merchant_id TEXT, device_id TEXT, email TEXT, ip TEXT, country TEXT,"
                       " currency TEXT, amount REAL, status TEXT, ts INTEGER)");
}

static int bind_row(sqlite3_stmt *ins, uint64_t seq, const vg_value *row)
{
    int rc = sqlite3_bind_int64(ins, 1, (sqlite3_int64)seq);
    for (int c = 0; c < NIN; c++) {
        const vg_value *v = &row[c];
        if (v->null)
            rc |= sqlite3_bind_null(ins, c + 2);
        else if (in_cols[c].type == VG_T_STRING)
            rc |= sqlite3_bind_text(ins, c + 2, v->u.s, (int)v->len, SQLITE_STATIC);
        else if (in_cols[c].type == VG_T_DOUBLE)
            rc |= sqlite3_bind_double(ins, c + 2, v->u.d);
        else
            rc |= sqlite3_bind_int64(ins, c + 2, v->u.i);
    }
    return rc;
}

static void keep_event(loaded *L, uint64_t lineno, const vg_value *row)
{
    event *e = &L->ev[L->nev];
    memset(e, 0, sizeof *e);
    e->line = lineno;
    e->ts = row[I_TS].u.i;
    e->pid = row[I_PID];
    e->key[0] = row[I_CARD];
    e->key[1] = row[I_DEVICE];
    e->key[2] = row[I_MERCHANT];
}

/* Decode and insert every event of buf[0..n); check mode keeps them in L->ev. */
static int load_rows(loaded *L, const char *buf, size_t n, bool keep)
{
    vg_schema schema = {NIN, in_cols};
    vg_decoder *dec = vg_decoder_new(&schema);
    sqlite3_stmt *ins = NULL;
    int rc = -1;
    if (!dec || sqlite3_prepare_v2(L->db, "INSERT INTO t VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", -1,
                                   &ins, NULL) != SQLITE_OK)
        goto done;
    const char *p = buf, *line;
    size_t len;
    uint64_t lineno = 0;
    vg_value row[NIN];
    char reason[256];
    while (bench_next_line(&p, buf + n, &line, &len)) {
        lineno++;
        if (vg_decoder_decode(dec, line, len, row, L->arena, reason, sizeof reason) != 0 ||
            row[I_TS].null) {
            L->bad++;
            continue;
        }
        if (keep)
            keep_event(L, lineno, row);
        if (bind_row(ins, ++L->nev, row) != SQLITE_OK || sqlite3_step(ins) != SQLITE_DONE)
            goto done;
        sqlite3_reset(ins);
        if (!keep && (L->nev & 1023) == 0)
            vg_arena_reset(L->arena);
    }
    rc = 0;
done:
    if (rc < 0)
        fprintf(stderr, "sqlite_over: cannot load: %s\n", sqlite3_errmsg(L->db));
    sqlite3_finalize(ins);
    vg_decoder_free(dec);
    return rc;
}

static uint64_t count_lines(const char *buf, size_t n)
{
    uint64_t k = 0;
    const char *p = buf, *line;
    size_t len;
    while (bench_next_line(&p, buf + n, &line, &len))
        k++;
    return k;
}

/* Load the log into a new database; keep the events too when keep. */
static int load(loaded *L, const char *buf, size_t n, bool keep)
{
    L->arena = vg_arena_new(VG_MEM_OTHER, 1 << 16);
    if (!L->arena || open_db(L) < 0)
        return -1;
    if (keep && !(L->ev = vg_calloc(VG_MEM_OTHER, count_lines(buf, n) + 1, sizeof(event))))
        return -1;
    if (exec(L->db, "BEGIN") < 0 || load_rows(L, buf, n, keep) < 0)
        return -1;
    return exec(L->db, "COMMIT");
}

static void unload(loaded *L)
{
    sqlite3_close(L->db);
    vg_free(L->ev);
    vg_arena_free(L->arena);
}

/* ---- timing ---- */

static int time_query(loaded *L, double load_secs)
{
    vg_buf q;
    vg_buf_init(&q, VG_MEM_OTHER);
    sqlite3_stmt *st = NULL;
    int rc = -1;
    double t0 = bench_now(), sum = 0;
    uint64_t rows = 0, isum = 0;
    if (build_query(&q) < 0 || sqlite3_prepare_v2(L->db, q.p, -1, &st, NULL) != SQLITE_OK)
        goto done;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        rows++;
        isum += (uint64_t)sqlite3_column_int64(st, 0);
        for (int f = 0; f < NFEATURES; f++) {
            if (features[f].cmp == CMP_INT)
                isum += (uint64_t)sqlite3_column_int64(st, f + 1);
            else
                sum += sqlite3_column_double(st, f + 1);
        }
    }
    double secs = bench_now() - t0;
    rc = rc == SQLITE_DONE ? 0 : -1;
    if (rc == 0)
        fprintf(stderr,
                "loop_seconds %.6f\nload_seconds %.6f\nevents %llu\nrejected %llu\nrows %llu\n"
                "events_per_second %.0f\nchecksum %llu %.6e\n",
                secs, load_secs, (unsigned long long)L->nev, (unsigned long long)L->bad,
                (unsigned long long)rows, secs > 0 ? (double)rows / secs : 0.0,
                (unsigned long long)isum, sum);
done:
    if (rc < 0)
        fprintf(stderr, "sqlite_over: query failed: %s\n", sqlite3_errmsg(L->db));
    sqlite3_finalize(st);
    vg_buf_free(&q);
    return rc;
}

/* ---- check ---- */

/* What a check counts. */
typedef struct check {
    uint64_t late;         /* events missing from vigil's output */
    uint64_t bad_late;     /* ... that the watermark does not make late, or the reverse */
    uint64_t rows;         /* vigil's rows compared */
    uint64_t plain;        /* values compared with the window functions' */
    uint64_t arrival;      /* values compared with the arrival-order aggregate */
    uint64_t arrival_rows; /* rows with at least one such value */
    uint64_t edge; /* (row, window) pairs whose frame has a row exactly the interval older */
    uint64_t bad;  /* values that differ */
    sqlite3_stmt *ref[NFEATURES]; /* the arrival-order aggregates */
} check;

/* The index of window w's key in event.key. */
static int key_slot(int w)
{
    const char *k = windows[w].key;
    return strcmp(k, "card_id") == 0 ? 0 : strcmp(k, "device_id") == 0 ? 1 : 2;
}

static bool same_key(const vg_value *a, const vg_value *b)
{
    if (a->null || b->null)
        return a->null && b->null;
    return a->len == b->len && memcmp(a->u.s, b->u.s, a->len) == 0;
}

/* vigil's output into the events: each row's values go to the event of its
 * payment_id, looked for in order of arrival (vigil emits on arrival). */
static int read_vigil(loaded *L, const char *path)
{
    vg_column cols[NFEATURES + 1] = {{"payment_id", VG_T_STRING}};
    for (int f = 0; f < NFEATURES; f++)
        cols[f + 1] =
            (vg_column){features[f].name, features[f].cmp == CMP_INT ? VG_T_BIGINT : VG_T_DOUBLE};
    vg_schema schema = {NFEATURES + 1, cols};
    vg_decoder *dec = vg_decoder_new(&schema);
    size_t n;
    char *buf = bench_read_file(path, &n, 1), reason[256];
    const char *p = buf, *line;
    size_t len;
    uint64_t i = 0, lineno = 0;
    vg_value row[NFEATURES + 1];
    int rc = dec ? 0 : -1;
    while (rc == 0 && bench_next_line(&p, buf + n, &line, &len)) {
        lineno++;
        if (vg_decoder_decode(dec, line, len, row, L->arena, reason, sizeof reason) != 0) {
            fprintf(stderr, "sqlite_over: %s:%llu: %s\n", path, (unsigned long long)lineno, reason);
            rc = -1;
            break;
        }
        while (i < L->nev && !same_key(&L->ev[i].pid, &row[0]))
            i++;
        if (i == L->nev) {
            fprintf(stderr, "sqlite_over: %s:%llu: payment_id not in the log (or out of order)\n",
                    path, (unsigned long long)lineno);
            rc = -1;
            break;
        }
        L->ev[i].emitted = true;
        memcpy(L->ev[i++].vig, row + 1, sizeof L->ev[0].vig);
    }
    vg_decoder_free(dec);
    free(buf); /* bench_read_file's */
    return rc;
}

/* The events vigil did not emit must be those behind the watermark when
 * they were pushed: the largest ts of the batches before theirs, less the
 * delay. They are deleted from t: no frame of vigil's holds them. */
static int check_late(loaded *L, uint64_t batch, check *c)
{
    int64_t wm = INT64_MIN, top = INT64_MIN;
    uint64_t cur = 0;
    sqlite3_stmt *del = NULL;
    if (sqlite3_prepare_v2(L->db, "DELETE FROM t WHERE seq = ?", -1, &del, NULL) != SQLITE_OK)
        return -1;
    for (uint64_t i = 0; i < L->nev; i++) {
        event *e = &L->ev[i];
        if ((e->line - 1) / batch != cur) {
            cur = (e->line - 1) / batch;
            wm = top == INT64_MIN ? INT64_MIN : top - WATERMARK_DELAY_MS;
        }
        if (e->ts > top)
            top = e->ts;
        e->late = !e->emitted;
        if ((e->ts < wm) != e->late && c->bad_late++ < MAX_REPORTED)
            fprintf(stderr, "late row differs: line %llu: vigil %s, the watermark says %s\n",
                    (unsigned long long)e->line, e->late ? "dropped it" : "emitted it",
                    e->ts < wm ? "late" : "on time");
        if (!e->late)
            continue;
        c->late++;
        sqlite3_bind_int64(del, 1, (sqlite3_int64)(i + 1));
        if (sqlite3_step(del) != SQLITE_DONE)
            break;
        sqlite3_reset(del);
    }
    sqlite3_finalize(del);
    return 0;
}

/* Whether a row of window w's partition that arrived after event i has a
 * time in i's frame (a window function counts it; vigil, emitting on
 * arrival, cannot). Counts frames with a row exactly the interval older. */
static bool arrival_matters(const loaded *L, uint64_t i, int w, check *c)
{
    const event *r = &L->ev[i];
    int k = key_slot(w);
    int64_t low = r->ts - windows[w].ms;
    bool edge = false, later = false;
    for (uint64_t j = 0; j < L->nev; j++) {
        const event *s = &L->ev[j];
        if (s->late || s->ts < low || s->ts > r->ts || !same_key(&s->key[k], &r->key[k]))
            continue;
        edge |= s->ts == low;
        later |= j > i;
    }
    c->edge += edge;
    return later;
}

static int prepare_refs(loaded *L, check *c)
{
    for (int f = 0; f < NFEATURES; f++) {
        char sql[256];
        snprintf(sql, sizeof sql,
                 "SELECT %s FROM t WHERE %s IS ?1 AND seq <= ?2 AND ts BETWEEN ?3 AND ?4",
                 features[f].agg, windows[features[f].win].key);
        if (sqlite3_prepare_v2(L->db, sql, -1, &c->ref[f], NULL) != SQLITE_OK) {
            fprintf(stderr, "sqlite_over: %s: %s\n", sql, sqlite3_errmsg(L->db));
            return -1;
        }
    }
    return 0;
}

/* Step feature f's arrival-order aggregate for event i; the statement is left on its row. */
static sqlite3_stmt *arrival_ref(const loaded *L, check *c, uint64_t i, int f)
{
    const event *e = &L->ev[i];
    const vg_value *k = &e->key[key_slot(features[f].win)];
    sqlite3_stmt *st = c->ref[f];
    sqlite3_reset(st);
    if (k->null)
        sqlite3_bind_null(st, 1);
    else
        sqlite3_bind_text(st, 1, k->u.s, (int)k->len, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)(i + 1));
    sqlite3_bind_int64(st, 3, e->ts - windows[features[f].win].ms);
    sqlite3_bind_int64(st, 4, e->ts);
    return sqlite3_step(st) == SQLITE_ROW ? st : NULL;
}

/* Whether vigil's value v equals SQLite's column col of st. */
static bool same_value(const feature *ft, const vg_value *v, sqlite3_stmt *st, int col)
{
    bool snull = sqlite3_column_type(st, col) == SQLITE_NULL;
    if (v->null || snull)
        return v->null && snull;
    if (ft->cmp == CMP_INT)
        return v->u.i == sqlite3_column_int64(st, col);
    double a = v->u.d, b = sqlite3_column_double(st, col);
    if (ft->cmp == CMP_EXACT)
        return a == b;
    return fabs(a - b) <= REL_TOLERANCE * fmax(fabs(a), fabs(b));
}

static void report_bad(const event *e, int f, sqlite3_stmt *st, int col, bool arrival)
{
    const vg_value *v = &e->vig[f];
    char mine[64] = "NULL";
    if (!v->null && features[f].cmp == CMP_INT)
        snprintf(mine, sizeof mine, "%lld", (long long)v->u.i);
    else if (!v->null)
        snprintf(mine, sizeof mine, "%.17g", v->u.d);
    const char *theirs = st ? (const char *)sqlite3_column_text(st, col) : NULL;
    fprintf(stderr, "differs: line %llu payment_id %.*s %s: vigil %s, SQLite %s %s\n",
            (unsigned long long)e->line, (int)e->pid.len, e->pid.u.s, features[f].name, mine,
            arrival ? "(arrival order)" : "(window function)", theirs ? theirs : "NULL");
}

/* Compare one row of the window query (event i) with vigil's. */
static void check_row(const loaded *L, check *c, uint64_t i, sqlite3_stmt *win)
{
    const event *e = &L->ev[i];
    bool matters[NWINDOWS], any = false;
    for (int w = 0; w < NWINDOWS; w++)
        any |= matters[w] = arrival_matters(L, i, w, c);
    c->rows++;
    c->arrival_rows += any;
    for (int f = 0; f < NFEATURES; f++) {
        bool arr = matters[features[f].win];
        sqlite3_stmt *st = arr ? arrival_ref(L, c, i, f) : win;
        int col = arr ? 0 : f + 1;
        if (arr)
            c->arrival++;
        else
            c->plain++;
        if ((!st || !same_value(&features[f], &e->vig[f], st, col)) && c->bad++ < MAX_REPORTED)
            report_bad(e, f, st, col, arr);
    }
}

static void print_check(const loaded *L, const check *c)
{
    printf("sample: %llu events (%llu lines rejected); vigil dropped %llu as late, "
           "%llu of them not as the watermark says\n",
           (unsigned long long)L->nev, (unsigned long long)L->bad, (unsigned long long)c->late,
           (unsigned long long)c->bad_late);
    printf("compared: %llu rows x %d values: %llu against SQLite's window functions, "
           "%llu (in %llu rows) against the arrival-order aggregate; %llu differ\n",
           (unsigned long long)c->rows, NFEATURES, (unsigned long long)c->plain,
           (unsigned long long)c->arrival, (unsigned long long)c->arrival_rows,
           (unsigned long long)c->bad);
    printf("frames holding a row exactly the interval older: %llu\n", (unsigned long long)c->edge);
}

static int check_vigil(loaded *L, const char *vigil_out, uint64_t batch)
{
    check c = {0};
    vg_buf q;
    vg_buf_init(&q, VG_MEM_OTHER);
    sqlite3_stmt *win = NULL;
    int rc = -1;
    if (read_vigil(L, vigil_out) < 0 || check_late(L, batch, &c) < 0 || prepare_refs(L, &c) < 0)
        goto done;
    if (build_query(&q) < 0 || sqlite3_prepare_v2(L->db, q.p, -1, &win, NULL) != SQLITE_OK)
        goto done;
    while ((rc = sqlite3_step(win)) == SQLITE_ROW)
        check_row(L, &c, (uint64_t)sqlite3_column_int64(win, 0) - 1, win);
    rc = rc == SQLITE_DONE ? 0 : -1;
    if (rc == 0)
        print_check(L, &c);
done:
    if (rc < 0)
        fprintf(stderr, "sqlite_over: check failed: %s\n", sqlite3_errmsg(L->db));
    for (int f = 0; f < NFEATURES; f++)
        sqlite3_finalize(c.ref[f]);
    sqlite3_finalize(win);
    vg_buf_free(&q);
    return rc < 0 || c.bad || c.bad_late ? -1 : 0;
}

/* Options: --check's file into *check, --batch's number into *batch; the
 * index of LOG, or -1. */
static int parse_args(int argc, char **argv, const char **check, uint64_t *batch)
{
    int i = 1;
    for (; i < argc - 1; i += 2) {
        if (strcmp(argv[i], "--check") == 0) {
            *check = argv[i + 1];
        } else if (strcmp(argv[i], "--batch") == 0) {
            long n = atol(argv[i + 1]);
            if (n <= 0)
                return -1;
            *batch = (uint64_t)n;
        } else {
            return -1;
        }
    }
    return i == argc - 1 ? i : -1;
}

int main(int argc, char **argv)
{
    const char *check = NULL;
    uint64_t batch = 1024;
    int i = parse_args(argc, argv, &check, &batch);
    if (i < 0) {
        fprintf(stderr, "usage: sqlite_over [--batch N] [--check VIGIL_OUT] LOG\n");
        return 2;
    }
    size_t n;
    char *buf = bench_read_file(argv[i], &n, 1);
    loaded L = {0};
    double t0 = bench_now();
    int rc = load(&L, buf, n, check != NULL);
    if (rc == 0)
        rc = check ? check_vigil(&L, check, batch) : time_query(&L, bench_now() - t0);
    unload(&L);
    free(buf); /* bench_read_file's */
    return rc == 0 ? 0 : 1;
}
