/*
 * live.h — live state in SQL: ad hoc SQLite queries over the state of a
 * running DAG ("what do you know about card X right now?").
 *
 * Every stateful operator of the plan is a read-only SQLite virtual table
 * (eponymous: it exists without CREATE VIRTUAL TABLE) on a private,
 * read-only, in-memory SQLite connection. A table is named after the view
 * the operator was planned for; when one view holds several stateful
 * operators (the OVER windows of several PARTITION BY keys), each is
 * `<view>_by_<key>[_<key>...]`; an operator outside any view is
 * `<kind>_<node id>` (`group_4`). The table `vigil_tables` lists them.
 *
 * Columns, per operator kind (the rows its vg_op_kind.iterate visits):
 *   over    the PARTITION BY columns, then every aggregate of every window
 *           (named as in the SELECT list), each over the frame of the key's
 *           newest row less what the watermark has evicted; a hidden
 *           column source_partition (SELECT source_partition, * ...)
 *   group   the GROUP BY columns, then the aggregates: the row the GROUP BY
 *           would emit now for each key (before HAVING)
 *   rank    the rows each PARTITION BY key currently keeps (Top-N, or the
 *           deduplicated row), as the operator outputs them
 *   window  (grouped windows only) each window not fired yet, per GROUP BY
 *           key: window_start, window_end, window_time, the keys, then the
 *           aggregates so far
 *   match   (MATCH_RECOGNIZE) per PARTITION BY key: the keys, then rows (held),
 *           threads (open partial matches), matches (so far), bytes
 * Types: BIGINT and INT as INTEGER, DOUBLE as REAL, BOOLEAN as 0/1 (JSON
 * true/false), TIMESTAMP as ISO-8601 text ("2024-05-01T12:00:00.000Z"),
 * STRING as TEXT. A key of several source partitions is one row each.
 *
 * Equality on every key column (WHERE card_id = 'X', also IN (...)) is a
 * key lookup through vg_op_kind.lookup when the kind has one (over, group,
 * match),
 * in each source partition seen; anything else scans with iterate. SQLite
 * checks every condition again on the rows found.
 *
 * Hardening, for SQL from anyone who can reach the admin API: the
 * connection is read-only and in memory, in defensive mode, with loading
 * extensions, triggers and views off; an authorizer allows SELECT, reading
 * the live tables (and json_each / json_tree), functions and recursive
 * CTEs, and refuses everything else (writes, ATTACH, PRAGMA, transactions);
 * sqlite3_limit caps the SQL length, columns, expression depth, compound
 * SELECTs, LIKE patterns, function arguments, variables and attached
 * databases (0); a progress handler enforces the time limit; SQLite's heap
 * is capped (sqlite3_hard_heap_limit64, raised only for the query) and so
 * are the rows the tables copy; the result has a row and a byte limit.
 *
 * Compiled statements are cached per SQL text on the connection, so that a
 * query asked again (a lookup with `?` and other values, or the same text)
 * costs the runner only its run; a query without parameters has the string
 * literals of its top-level WHERE clause made parameters first, so that
 * `WHERE card_id = 'c1'` and `... = 'c2'` are one statement too. The cache
 * lives and dies with the vg_live, whose tables are those of one plan (a
 * reload opens a new one).
 *
 * Threads: a vg_live and its DAG are used on the runner's thread only,
 * between batches, so a query sees one consistent cut of the state.
 */
#ifndef VG_LIVE_H
#define VG_LIVE_H

#include <stddef.h>
#include <stdint.h>

#include "engine/buf.h"
#include "engine/dag.h"
#include "engine/error.h"
#include "engine/value.h"
#include "sql/plan.h"

typedef struct vg_live vg_live;

/* What one query may use; 0 in a field means its default. */
typedef struct vg_live_limits {
    int64_t time_ms;         /* wall time (default 100 ms) */
    uint64_t max_rows;       /* result rows (default 10000) */
    int64_t heap_bytes;      /* SQLite's heap during the query, and separately the rows
                                the tables copy for it (default 64 MiB each) */
    size_t max_result_bytes; /* bytes of the JSON result (default 8 MiB) */
    uint32_t max_sql_bytes;  /* bytes of SQL (default 65536) */
} vg_live_limits;

/* The defaults of vg_live_limits. */
#define VG_LIVE_TIME_MS      100
#define VG_LIVE_MAX_ROWS     10000
#define VG_LIVE_HEAP_BYTES   (64 << 20)
#define VG_LIVE_RESULT_BYTES (8 << 20)
#define VG_LIVE_SQL_BYTES    65536

/* How a query found its rows, and how it was compiled, counted since vg_live_open. */
typedef struct vg_live_counts {
    uint64_t scans;    /* vg_op_kind.iterate calls */
    uint64_t lookups;  /* vg_op_kind.lookup calls (one per source partition probed) */
    uint64_t prepares; /* queries compiled (sqlite3_prepare) */
    uint64_t reuses;   /* queries run from the statement cache, not compiled again */
} vg_live_counts;

/* A query's parameter (`?`, `?N`): its type, one of VG_T_NULL, VG_T_BOOL,
 * VG_T_BIGINT, VG_T_DOUBLE, VG_T_STRING, and its value (a string borrowed
 * for the call). */
typedef struct vg_live_param {
    vg_type type; /* what v holds */
    vg_value v;   /* the value (v.null: SQL NULL whatever the type) */
} vg_live_param;

/* Prepared statements kept per SQL text (exact bytes), least recently used
 * dropped first; a statement of more than VG_LIVE_CACHE_BYTES / 8 is not kept. */
#define VG_LIVE_CACHE       32
#define VG_LIVE_CACHE_BYTES (4 << 20)

/* The tables of plan's stateful operators, on a new hardened connection.
 * The plan is borrowed and must outlive the vg_live. NULL with err set
 * (VG_ERR_NOMEM, or VG_ERR_RUNTIME when SQLite refuses the connection). */
vg_live *vg_live_open(const vg_plan *plan, vg_error *err);
void vg_live_close(vg_live *l);

/* The DAG (of the same plan) the tables read from now on, and the number
 * of source partitions to look keys up in (at least 1). dag NULL: every
 * table is empty. Borrowed: call again before the DAG is closed. */
void vg_live_attach(vg_live *l, vg_dag *dag, uint32_t npartitions);

/* Run one SELECT and append its result to out as JSON:
 * {"columns":["card_id","n"],"rows":[["c1",3],["c2",1]]}. lim may be NULL
 * (defaults). 0, or -1 with err set and out as it was:
 *   - SQLite's errors ("near \"FORM\": syntax error", "no such table: x"),
 *     VG_ERR_SYNTAX, positioned in the query (file "<query>") when SQLite
 *     knows where; "empty query"; "one statement per query" at the second
 *   - VG_ERR_SEMANTIC "live queries are read-only: INSERT is not allowed"
 *     (UPDATE, DELETE, ATTACH, PRAGMA, ...), "table 'x' is not a live table"
 *   - VG_ERR_RUNTIME "query stopped: it ran longer than the time limit of
 *     100 ms", "query stopped: it needed more than the memory limit of N
 *     bytes", "query stopped: more than N rows (the row limit); narrow it
 *     with WHERE or LIMIT", "query stopped: the result is larger than N
 *     bytes"
 *   - VG_ERR_NOMEM "out of memory". */
int vg_live_query(vg_live *l, const char *sql, size_t len, const vg_live_limits *lim, vg_buf *out,
                  vg_error *err);

/* vg_live_query with the values of the query's parameters (`?`, `?N`),
 * params[i] bound to ?i+1; params is borrowed for the call (NULL when
 * nparams is 0). The query's statement is kept compiled, per SQL text, in
 * a cache of the connection (VG_LIVE_CACHE): a query run again, with the
 * same or other values, is not compiled again. Without parameters, the
 * string literals of the query's top-level WHERE clause and after it are
 * bound as parameters of the text with `?` in their place, when that text
 * compiles (engine/live_literals.c; else the query runs as written): a
 * literal lookup of another key is the same statement. vg_live_query is
 * this with no parameters. More errors than vg_live_query's:
 *   - VG_ERR_USAGE "the query has 1 parameter but 2 were given" ("... but
 *     none were given"), "parameter 1 is longer than the limit of N bytes",
 *     "parameter 1 has a type a query cannot take". */
int vg_live_query_params(vg_live *l, const char *sql, size_t len, const vg_live_param *params,
                         uint32_t nparams, const vg_live_limits *lim, vg_buf *out, vg_error *err);

/* The live table of plan node id, or NULL when the node has none. */
const char *vg_live_table_of(const vg_live *l, uint32_t node_id);
void vg_live_counts_get(const vg_live *l, vg_live_counts *out);

#endif
