/*
 * live_query.c — the hardened connection the live tables are on, and the
 * query runner: one SELECT, limited in time, memory, rows and bytes, its
 * result as JSON, its errors with their position in the query.
 *
 * The SQL comes from whoever reaches the admin API, so the connection
 * trusts none of it (SQLite's "Defense against the dark arts"): read-only,
 * in memory, defensive, no extensions, triggers or views, an authorizer
 * that allows reading and nothing else, low sqlite3_limit values, a
 * progress handler that stops the query at its deadline, and a heap limit
 * raised by the query's budget just while it runs (sqlite3_hard_heap_limit64
 * is process-wide; queries run on the runner thread, which is the only one
 * using SQLite while they do).
 *
 * A query's statement is compiled once per SQL text and kept (live_cache.c):
 * compiling costs the runner more than a key lookup, several times more
 * when the pipeline has just flushed the CPU's caches. The values of `?`
 * parameters are bound for the run and cleared after it; a query without
 * parameters has its WHERE clause's string literals made parameters first
 * (live_literals.c), so that a literal lookup of any key is one statement.
 */
#include <string.h>
#include <strings.h>

#include "engine/clock.h"
#include "engine/json_out.h"
#include "engine/live_int.h"

/* ---- the connection ---- */

static const struct {
    int op, value;
} db_configs[] = {
    {SQLITE_DBCONFIG_DEFENSIVE, 1},      {SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0},
    {SQLITE_DBCONFIG_ENABLE_TRIGGER, 0}, {SQLITE_DBCONFIG_ENABLE_VIEW, 0},
    {SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0}, {SQLITE_DBCONFIG_DQS_DML, 0},
    {SQLITE_DBCONFIG_DQS_DDL, 0},
};

/* sqlite3_limit values (SQL length: per query, vg_live_limits). */
static const struct {
    int id, value;
} db_limits[] = {
    {SQLITE_LIMIT_LENGTH, 1000000},          /* bytes of a string or BLOB */
    {SQLITE_LIMIT_COLUMN, 1000},             /* columns of a table, result, ORDER BY */
    {SQLITE_LIMIT_EXPR_DEPTH, 100},          /* nesting of an expression */
    {SQLITE_LIMIT_COMPOUND_SELECT, 20},      /* SELECTs joined by UNION and the like */
    {SQLITE_LIMIT_VDBE_OP, 100000},          /* instructions of the compiled query */
    {SQLITE_LIMIT_FUNCTION_ARG, 16},         /* arguments of a function */
    {SQLITE_LIMIT_ATTACHED, 0},              /* attached databases */
    {SQLITE_LIMIT_LIKE_PATTERN_LENGTH, 256}, /* bytes of a LIKE or GLOB pattern */
    {SQLITE_LIMIT_VARIABLE_NUMBER, 16},      /* ?N parameters (vg_live_query_params) */
    {SQLITE_LIMIT_TRIGGER_DEPTH, 1},
    {SQLITE_LIMIT_WORKER_THREADS, 0},
};

/* What each refused authorizer action is called in the message. */
static const struct {
    int action;
    const char *what;
} actions[] = {
    {SQLITE_INSERT, "INSERT"},
    {SQLITE_UPDATE, "UPDATE"},
    {SQLITE_DELETE, "DELETE"},
    {SQLITE_ATTACH, "ATTACH"},
    {SQLITE_DETACH, "DETACH"},
    {SQLITE_PRAGMA, "PRAGMA"},
    {SQLITE_TRANSACTION, "a transaction"},
    {SQLITE_SAVEPOINT, "SAVEPOINT"},
    {SQLITE_ANALYZE, "ANALYZE"},
    {SQLITE_REINDEX, "REINDEX"},
    {SQLITE_ALTER_TABLE, "ALTER TABLE"},
    {SQLITE_CREATE_VTABLE, "CREATE VIRTUAL TABLE"},
    {SQLITE_DROP_VTABLE, "DROP"},
};

/* Functions refused even though SQLite has them. */
static const char *const refused_functions[] = {"load_extension", "fts3_tokenizer"};

/* Eponymous tables of SQLite's own that a query may read besides the live
 * ones: connected before the authorizer is set, as the live tables are.
 * Any other (dbstat, pragma_*, ...) would connect on first use, which
 * writes to the schema, which the authorizer refuses. */
static const char *const sqlite_tables[] = {"json_each", "json_tree"};

static int refuse(vg_live *l, const char *fmt, const char *what)
{
    if (!l->refused[0])
        snprintf(l->refused, sizeof l->refused, fmt, what);
    return SQLITE_DENY;
}

static int authorize(void *arg, int action, const char *a, const char *b, const char *db,
                     const char *trigger)
{
    (void)db, (void)trigger;
    vg_live *l = arg;
    switch (action) {
    case SQLITE_SELECT:
    case SQLITE_RECURSIVE:
        return SQLITE_OK;
    case SQLITE_READ: /* of a live table or a CTE: the connection has nothing else */
        return SQLITE_OK;
    case SQLITE_FUNCTION:
        for (size_t i = 0; b && i < sizeof refused_functions / sizeof refused_functions[0]; i++)
            if (strcasecmp(b, refused_functions[i]) == 0)
                return refuse(l, "function %s() is not allowed in live queries", b);
        return SQLITE_OK;
    case SQLITE_UPDATE:
        if (a && strcmp(a, "sqlite_master") == 0) /* connecting a table that is not live */
            return refuse(l, "%s", "only the live tables can be read (vigil_tables lists them)");
        /* fall through */
    case SQLITE_INSERT:
    case SQLITE_DELETE:
        if (a && strncmp(a, "sqlite_", 7) == 0) /* CREATE, DROP: the schema table first */
            return refuse(l, "live queries are read-only: %s is not allowed",
                          "changing the schema");
        /* fall through */
    default:
        for (size_t i = 0; i < sizeof actions / sizeof actions[0]; i++)
            if (actions[i].action == action)
                return refuse(l, "live queries are read-only: %s is not allowed", actions[i].what);
        return refuse(l, "live queries are read-only: %s is not allowed",
                      action <= SQLITE_CREATE_VIEW ? "CREATE" : "DROP");
    }
}

/* The progress handler: nonzero stops the query (SQLITE_INTERRUPT). */
static int progress(void *arg)
{
    vg_live *l = arg;
    if (vg_clock_ms() < l->deadline_ms)
        return 0;
    l->fail = LIVE_TIME;
    return 1;
}

/* Connect eponymous table `name` now, before the authorizer is set: SQLite
 * keeps it connected until the connection closes. */
static int preconnect(vg_live *l, const char *name)
{
    char *sql = sqlite3_mprintf("SELECT 1 FROM \"%w\" LIMIT 0", name);
    if (!sql)
        return SQLITE_NOMEM;
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(l->db, sql, -1, &st, NULL);
    sqlite3_finalize(st);
    sqlite3_free(sql);
    return rc;
}

int live_connect(vg_live *l, vg_error *err)
{
    int rc = sqlite3_open_v2(":memory:", &l->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL);
    for (size_t i = 0; rc == SQLITE_OK && i < sizeof db_configs / sizeof db_configs[0]; i++)
        rc = sqlite3_db_config(l->db, db_configs[i].op, db_configs[i].value, (int *)NULL);
    if (rc == SQLITE_OK) /* sorting and temporary results stay in memory, under the heap limit */
        rc = sqlite3_exec(l->db, "PRAGMA temp_store = MEMORY", NULL, NULL, NULL);
    if (rc == SQLITE_OK)
        rc = live_vtab_register(l, &l->catalog);
    for (uint32_t i = 0; rc == SQLITE_OK && i < l->ntables; i++)
        rc = live_vtab_register(l, &l->tables[i]);
    rc = rc == SQLITE_OK ? preconnect(l, l->catalog.name) : rc;
    for (uint32_t i = 0; rc == SQLITE_OK && i < l->ntables; i++)
        rc = preconnect(l, l->tables[i].name);
    for (size_t i = 0; rc == SQLITE_OK && i < sizeof sqlite_tables / sizeof sqlite_tables[0]; i++)
        rc = preconnect(l, sqlite_tables[i]);
    if (rc != SQLITE_OK) {
        if (rc == SQLITE_NOMEM)
            return vg_error_set(err, VG_ERR_NOMEM, "out of memory");
        return vg_error_set(err, VG_ERR_RUNTIME, "live state: %s",
                            l->db ? sqlite3_errmsg(l->db) : sqlite3_errstr(rc));
    }
    sqlite3_set_authorizer(l->db, authorize, l);
    for (size_t i = 0; i < sizeof db_limits / sizeof db_limits[0]; i++)
        sqlite3_limit(l->db, db_limits[i].id, db_limits[i].value);
    sqlite3_progress_handler(l->db, 1000, progress, l);
    return 0;
}

/* ---- errors ---- */

static bool ident_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           (unsigned char)c >= 0x80;
}

/* The token at byte off of src: an identifier or number, a quoted name or
 * string, else one byte. */
static vg_span token_at(const vg_source *src, uint32_t off)
{
    const char *t = src->text;
    uint32_t end = off;
    if (off < src->len && (t[off] == '\'' || t[off] == '"' || t[off] == '`')) {
        for (end = off + 1; end < src->len && t[end] != t[off] && t[end] != '\n'; end++)
            ;
        end += end < src->len && t[end] == t[off];
    } else {
        while (end < src->len && ident_char(t[end]))
            end++;
    }
    return (vg_span){off, end > off ? end - off : 1};
}

/* The error of a query that failed with SQLite code rc. Returns -1. */
static int query_error(vg_live *l, const vg_source *src, int rc, vg_error *err)
{
    if (l->fail == LIVE_TIME || rc == SQLITE_INTERRUPT)
        return vg_error_set(err, VG_ERR_RUNTIME,
                            "query stopped: it ran longer than the time limit of %lld ms",
                            (long long)l->lim.time_ms);
    if (l->fail == LIVE_NOMEM)
        return vg_error_set(err, VG_ERR_NOMEM, "out of memory");
    if (l->fail == LIVE_HEAP || rc == SQLITE_NOMEM)
        return vg_error_set(err, VG_ERR_RUNTIME,
                            "query stopped: it needed more than the memory limit of %lld bytes",
                            (long long)l->lim.heap_bytes);
    const char *msg = sqlite3_errmsg(l->db);
    static const char unconnected[] = "vtable constructor failed: ";
    if (strncmp(msg, unconnected, sizeof unconnected - 1) == 0)
        return vg_error_set(err, VG_ERR_NAME, "table '%s' is not a live table",
                            msg + sizeof unconnected - 1);
    if (strstr(msg, " may not be modified")) /* DELETE, UPDATE: refused before the authorizer */
        return vg_error_set(err, VG_ERR_SEMANTIC, "live queries are read-only: %s", msg);
    int off = sqlite3_error_offset(l->db);
    if (off < 0 && strcmp(msg, "incomplete input") == 0)
        off = (int)src->len; /* where more was expected */
    if (l->refused[0] && off >= 0 && (uint32_t)off <= src->len)
        return vg_error_at(err, VG_ERR_SEMANTIC, src, token_at(src, (uint32_t)off), "%s",
                           l->refused);
    if (l->refused[0])
        return vg_error_set(err, VG_ERR_SEMANTIC, "%s", l->refused);
    if (off >= 0 && (uint32_t)off <= src->len)
        return vg_error_at(err, VG_ERR_SYNTAX, src, token_at(src, (uint32_t)off), "%s", msg);
    return vg_error_set(err, VG_ERR_SYNTAX, "%s", msg);
}

/* Refuse a second statement after the first (comments and blanks are fine). */
static int check_tail(vg_live *l, const vg_source *src, const char *tail, vg_error *err)
{
    if (!tail || tail >= src->text + src->len)
        return 0;
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v3(l->db, tail, (int)(src->text + src->len - tail), 0, &st, NULL);
    if (rc == SQLITE_OK && !st)
        return 0;
    sqlite3_finalize(st);
    uint32_t off = (uint32_t)(tail - src->text);
    while (off < src->len && (src->text[off] == ' ' || src->text[off] == '\t' ||
                              src->text[off] == '\n' || src->text[off] == '\r'))
        off++;
    return vg_error_at(err, VG_ERR_SYNTAX, src, token_at(src, off), "one statement per query");
}

/* ---- results ---- */

static int put_value(vg_buf *b, sqlite3_stmt *st, int i)
{
    char buf[40];
    switch (sqlite3_column_type(st, i)) {
    case SQLITE_INTEGER: {
        sqlite3_int64 v = sqlite3_column_int64(st, i);
        const char *decl = sqlite3_column_decltype(st, i);
        if (decl && strcmp(decl, "BOOLEAN") == 0 && (v == 0 || v == 1))
            return vg_buf_puts(b, v ? "true" : "false");
        return vg_buf_printf(b, "%lld", (long long)v);
    }
    case SQLITE_FLOAT:
        return vg_buf_append(b, buf, (size_t)vg_double_format(sqlite3_column_double(st, i), buf));
    case SQLITE_TEXT: {
        const char *p = (const char *)sqlite3_column_text(st, i);
        return vg_json_write_string(b, p ? p : "", (size_t)sqlite3_column_bytes(st, i));
    }
    case SQLITE_BLOB: { /* as a string of hex digits */
        const unsigned char *p = sqlite3_column_blob(st, i);
        int n = sqlite3_column_bytes(st, i), rc = vg_buf_putc(b, '"');
        for (int j = 0; j < n && !rc; j++)
            rc = vg_buf_printf(b, "%02x", p[j]);
        return rc | vg_buf_putc(b, '"');
    }
    default:
        return vg_buf_puts(b, "null");
    }
}

static int put_columns(vg_buf *b, sqlite3_stmt *st)
{
    int rc = vg_buf_puts(b, "{\"columns\":[");
    for (int i = 0; i < sqlite3_column_count(st) && !rc; i++) {
        const char *name = sqlite3_column_name(st, i);
        if (!name)
            return -1; /* SQLite ran out of memory */
        rc = (i ? vg_buf_putc(b, ',') : 0) | vg_json_write_string(b, name, strlen(name));
    }
    return rc | vg_buf_puts(b, "],\"rows\":[");
}

static int put_row(vg_buf *b, sqlite3_stmt *st, bool first)
{
    int rc = vg_buf_puts(b, first ? "[" : ",[");
    for (int i = 0; i < sqlite3_column_count(st) && !rc; i++)
        rc = (i ? vg_buf_putc(b, ',') : 0) | put_value(b, st, i);
    return rc | vg_buf_putc(b, ']');
}

/* Step st to its end, writing its result. 0 or -1 (err). */
static int write_result(vg_live *l, const vg_source *src, sqlite3_stmt *st, vg_buf *out,
                        vg_error *err)
{
    size_t mark = out->len;
    if (put_columns(out, st) < 0)
        return vg_error_set(err, VG_ERR_NOMEM, "out of memory");
    for (uint64_t n = 0;; n++) {
        int rc = sqlite3_step(st);
        if (rc == SQLITE_DONE)
            break;
        if (rc != SQLITE_ROW)
            return query_error(l, src, rc, err);
        if (n == l->lim.max_rows)
            return vg_error_set(err, VG_ERR_RUNTIME,
                                "query stopped: more than %llu rows (the row limit); narrow it "
                                "with WHERE or LIMIT",
                                (unsigned long long)l->lim.max_rows);
        if (put_row(out, st, n == 0) < 0)
            return vg_error_set(err, VG_ERR_NOMEM, "out of memory");
        if (out->len - mark > l->lim.max_result_bytes)
            return vg_error_set(err, VG_ERR_RUNTIME,
                                "query stopped: the result is larger than %zu bytes",
                                l->lim.max_result_bytes);
    }
    if (vg_buf_puts(out, "]}") < 0)
        return vg_error_set(err, VG_ERR_NOMEM, "out of memory");
    return 0;
}

/* Compile src into *out: one read-only statement, kept compiled for the
 * cache. 0, or -1 (err). */
static int compile(vg_live *l, const vg_source *src, sqlite3_stmt **out, vg_error *err)
{
    sqlite3_stmt *st = NULL;
    const char *tail = NULL;
    l->counts.prepares++;
    int rc =
        sqlite3_prepare_v3(l->db, src->text, (int)src->len, SQLITE_PREPARE_PERSISTENT, &st, &tail);
    if (rc != SQLITE_OK)
        return query_error(l, src, rc, err);
    if (!st)
        return vg_error_set(err, VG_ERR_SYNTAX, "empty query");
    if (check_tail(l, src, tail, err) < 0) {
        sqlite3_finalize(st);
        return -1;
    }
    if (!sqlite3_stmt_readonly(st)) { /* the authorizer should have refused it already */
        sqlite3_finalize(st);
        return vg_error_set(err, VG_ERR_SEMANTIC, "live queries are read-only");
    }
    *out = st;
    return 0;
}

/* Bind parameter i (from 1) of st to p. An SQLite result code. */
static int bind_one(sqlite3_stmt *st, int i, const vg_live_param *p)
{
    if (p->v.null || p->type == VG_T_NULL)
        return sqlite3_bind_null(st, i);
    switch (p->type) {
    case VG_T_BOOL:
    case VG_T_BIGINT:
        return sqlite3_bind_int64(st, i, p->v.u.i);
    case VG_T_DOUBLE:
        return sqlite3_bind_double(st, i, p->v.u.d);
    case VG_T_STRING:
        return sqlite3_bind_text(st, i, p->v.len ? p->v.u.s : "", (int)p->v.len, SQLITE_STATIC);
    default:
        return SQLITE_MISMATCH;
    }
}

/* Bind params to st's parameters, as many as it has. 0, or -1 (err). */
static int bind(vg_live *l, sqlite3_stmt *st, const vg_live_param *params, uint32_t n,
                vg_error *err)
{
    int want = sqlite3_bind_parameter_count(st);
    if ((uint32_t)want != n) {
        char given[32] = "none were";
        if (n)
            snprintf(given, sizeof given, "%u %s", n, n == 1 ? "was" : "were");
        return vg_error_set(err, VG_ERR_USAGE, "the query has %d parameter%s but %s given", want,
                            want == 1 ? "" : "s", given);
    }
    for (uint32_t i = 0; i < n; i++) {
        int rc = params[i].type == VG_T_STRING && params[i].v.len > (uint32_t)INT32_MAX
                     ? SQLITE_TOOBIG
                     : bind_one(st, (int)i + 1, &params[i]);
        if (rc == SQLITE_TOOBIG)
            return vg_error_set(err, VG_ERR_USAGE,
                                "parameter %u is longer than the limit of %d bytes", i + 1,
                                sqlite3_limit(l->db, SQLITE_LIMIT_LENGTH, -1));
        if (rc == SQLITE_NOMEM)
            return vg_error_set(err, VG_ERR_NOMEM, "out of memory");
        if (rc != SQLITE_OK)
            return vg_error_set(err, VG_ERR_USAGE, "parameter %u has a type a query cannot take",
                                i + 1);
    }
    return 0;
}

/* ---- the query ---- */

static vg_live_limits with_defaults(const vg_live_limits *lim)
{
    vg_live_limits d = lim ? *lim : (vg_live_limits){0};
    d.time_ms = d.time_ms > 0 ? d.time_ms : VG_LIVE_TIME_MS;
    d.max_rows = d.max_rows ? d.max_rows : VG_LIVE_MAX_ROWS;
    d.heap_bytes = d.heap_bytes > 0 ? d.heap_bytes : VG_LIVE_HEAP_BYTES;
    d.max_result_bytes = d.max_result_bytes ? d.max_result_bytes : VG_LIVE_RESULT_BYTES;
    d.max_sql_bytes = d.max_sql_bytes ? d.max_sql_bytes : VG_LIVE_SQL_BYTES;
    return d;
}

/* Compile (unless st is its cached statement), bind and run src, whose text
 * is `text` (owned); the statement and text then go to the cache. try_only:
 * a text that does not compile is no error: 1, err and out as they were. */
static int run(vg_live *l, const vg_source *src, char *text, sqlite3_stmt *st,
               const vg_live_param *params, uint32_t nparams, vg_buf *out, vg_error *err,
               bool try_only)
{
    if (st)
        l->counts.reuses++;
    int rc = st ? 0 : compile(l, src, &st, err);
    if (rc < 0 && try_only && l->fail != LIVE_NOMEM) {
        vg_error_clear(err);
        rc = 1;
    }
    if (rc == 0)
        rc = bind(l, st, params, nparams, err);
    if (rc == 0)
        rc = write_result(l, src, st, out, err);
    if (st)
        live_cache_put(l, st, text, src->len);
    else
        vg_free(text);
    return rc;
}

/* Run sql (len bytes, checked) with its parameters, under l->lim. 0, -1
 * (err), or with try_only 1 when it does not compile. */
static int query(vg_live *l, const char *sql, size_t len, const vg_live_param *params,
                 uint32_t nparams, vg_buf *out, vg_error *err, bool try_only)
{
    char *text = NULL;
    sqlite3_stmt *st = live_cache_take(l, sql, len, &text);
    if (!st && !(text = vg_strndup(VG_MEM_OTHER, sql, len)))
        return vg_error_set(err, VG_ERR_NOMEM, "out of memory");
    vg_source src = {"<query>", text, (uint32_t)len};
    l->deadline_ms = vg_clock_ms() + l->lim.time_ms;
    l->copy_left = l->lim.heap_bytes;
    l->fail = LIVE_OK;
    l->refused[0] = 0;
    sqlite3_limit(l->db, SQLITE_LIMIT_SQL_LENGTH, (int)l->lim.max_sql_bytes);
    sqlite3_int64 soft = sqlite3_soft_heap_limit64(-1), hard = sqlite3_hard_heap_limit64(-1);
    sqlite3_hard_heap_limit64(sqlite3_memory_used() + l->lim.heap_bytes);
    size_t mark = out->len;
    int rc = run(l, &src, text, st, params, nparams, out, err, try_only);
    sqlite3_hard_heap_limit64(hard);
    sqlite3_soft_heap_limit64(soft);
    if (rc < 0)
        out->len = mark;
    return rc;
}

/* A query without parameters whose literals live_literals turns into
 * parameters, run so: 0 or -1 (err); 1 when it cannot be (run it as it is). */
static int query_literals(vg_live *l, const char *sql, size_t len, vg_buf *out, vg_error *err)
{
    vg_buf text, values;
    vg_buf_init(&text, VG_MEM_OTHER);
    vg_buf_init(&values, VG_MEM_OTHER);
    vg_live_param params[VG_LIVE_LITERALS];
    int n = live_literals(sql, len, &text, &values, params);
    int rc = n < 0    ? vg_error_set(err, VG_ERR_NOMEM, "out of memory")
             : n == 0 ? 1
                      : query(l, text.p, text.len, params, (uint32_t)n, out, err, true);
    vg_buf_free(&text);
    vg_buf_free(&values);
    return rc;
}

int vg_live_query_params(vg_live *l, const char *sql, size_t len, const vg_live_param *params,
                         uint32_t nparams, const vg_live_limits *lim, vg_buf *out, vg_error *err)
{
    l->lim = with_defaults(lim);
    if (len > l->lim.max_sql_bytes)
        return vg_error_set(err, VG_ERR_SEMANTIC, "query too long: %zu bytes (the limit is %u)",
                            len, l->lim.max_sql_bytes);
    if (memchr(sql, 0, len))
        return vg_error_set(err, VG_ERR_SYNTAX, "the query holds a NUL byte");
    int rc = nparams ? 1 : query_literals(l, sql, len, out, err);
    return rc <= 0 ? rc : query(l, sql, len, params, nparams, out, err, false);
}

int vg_live_query(vg_live *l, const char *sql, size_t len, const vg_live_limits *lim, vg_buf *out,
                  vg_error *err)
{
    return vg_live_query_params(l, sql, len, NULL, 0, lim, out, err);
}
