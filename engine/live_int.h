/*
 * live_int.h — what the live-state files share: live.c (the tables of a
 * plan, their columns and names), live_vtab.c (the SQLite virtual table
 * module over an operator's state) and live_query.c (the hardened
 * connection and the query runner).
 */
#ifndef VG_LIVE_INT_H
#define VG_LIVE_INT_H

#include <sqlite3.h>
#include <stdbool.h>

#include "engine/live.h"

/* Why a query stopped, beyond what SQLite says. */
typedef enum live_fail {
    LIVE_OK,
    LIVE_TIME,  /* past the deadline */
    LIVE_HEAP,  /* the tables' copies of rows passed the memory limit */
    LIVE_NOMEM, /* an allocation of vigil's failed */
} live_fail;

/* A compiled query kept for the next time its text comes (live_cache.c). */
typedef struct live_stmt {
    char *sql;        /* the query's text (owned), */
    size_t len;       /* ... its bytes */
    sqlite3_stmt *st; /* compiled, reset, its bindings cleared */
    int64_t bytes;    /* what it holds: SQLite's memory for it and the text */
} live_stmt;

/* One virtual table: a stateful operator's state, or the catalog. */
typedef struct live_table {
    const char *name;         /* the table's name (vg_live's arena) */
    const char *kind;         /* "over", "group", "rank", "window"; "catalog" */
    const vg_plan_node *node; /* the operator's plan node; NULL for the catalog */
    uint32_t ncols;           /* columns of the table, */
    vg_column *cols;          /* ... named uniquely within it */
    uint32_t *from;           /* per column: its value's index in an iterate row */
    uint32_t rowlen;          /* values in an iterate row */
    uint32_t nkeys;           /* columns a key lookup takes, */
    uint32_t *keycols;        /* ... each a column of the table, in key order */
    int32_t hidden;           /* the hidden source_partition column, or -1 */
    struct vg_live *live;     /* the owner */
} live_table;

struct vg_live {
    const vg_plan *plan; /* borrowed */
    vg_arena *arena;     /* the tables and their names */
    sqlite3 *db;         /* the hardened, read-only, in-memory connection */
    uint32_t ntables;
    live_table *tables;             /* one per stateful operator, in plan order */
    live_table catalog;             /* vigil_tables */
    vg_dag *dag;                    /* what the tables read; NULL: they are empty */
    uint32_t npartitions;           /* source partitions a lookup probes: 0 .. npartitions - 1 */
    vg_live_counts counts;          /* scans and lookups so far */
    live_stmt cache[VG_LIVE_CACHE]; /* compiled queries, the least recently used first */
    uint32_t ncached;               /* entries of cache in use */
    int64_t cached_bytes;           /* their bytes, at most VG_LIVE_CACHE_BYTES */
    /* the query running */
    vg_live_limits lim;  /* its limits, defaults filled in */
    int64_t deadline_ms; /* vg_clock_ms() past which it stops */
    int64_t copy_left;   /* bytes the tables may still hold for it */
    live_fail fail;      /* why a table stopped it */
    char refused[200];   /* the authorizer's first refusal, or "" */
};

/* Open l->db, harden it and register every table (live_query.c). 0, or -1
 * with err set. */
int live_connect(struct vg_live *l, vg_error *err);

/* Register t as an eponymous virtual table on l->db (live_vtab.c). 0, or
 * an SQLite error code. */
int live_vtab_register(struct vg_live *l, live_table *t);

/* The compiled statement of the query text sql (len bytes) when the cache
 * holds one: taken out of the cache with its text, both the caller's until
 * live_cache_put; else NULL (live_cache.c). */
sqlite3_stmt *live_cache_take(struct vg_live *l, const char *sql, size_t len, char **text);

/* Give st (compiled from text, len bytes; both owned) back after a query:
 * reset and its bindings cleared, it is kept as the most recently used,
 * dropping the least recently used to make room; one too large for the
 * cache is finalized and text freed. */
void live_cache_put(struct vg_live *l, sqlite3_stmt *st, char *text, size_t len);

/* Finalize every cached statement (before the connection closes). */
void live_cache_clear(struct vg_live *l);

/* String literals a query may have turned into parameters (at most
 * SQLITE_LIMIT_VARIABLE_NUMBER of live_query.c). */
#define VG_LIVE_LITERALS 16

/* The query sql (len bytes) with the string literals of its top-level
 * WHERE clause and after it as `?` (live_literals.c, which says which):
 * the new text appended to text, the literals' values to values, and
 * params[i] the value of the i-th `?` (pointing into values). The number
 * of literals replaced; 0 when the query is not one to rewrite (text and
 * values untouched); -1 when out of memory. */
int live_literals(const char *sql, size_t len, vg_buf *text, vg_buf *values, vg_live_param *params);

/* The SQL type a column of type t is declared with ("BIGINT", "TEXT", ...). */
const char *live_decl_type(vg_type t);

#endif
