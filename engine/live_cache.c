/*
 * live_cache.c — the compiled statements of recent live queries, kept per
 * SQL text on the connection: a query asked again (a key lookup with `?`
 * and other values, or the same text) skips sqlite3_prepare, which costs
 * the runner more than the lookup itself when the pipeline has just
 * flushed its caches.
 *
 * At most VG_LIVE_CACHE statements and VG_LIVE_CACHE_BYTES of them (SQLite's
 * memory for each, and its text) are kept, the least recently used dropped
 * first. A statement leaves the cache while it runs (live_cache_take) and
 * comes back reset, its bindings cleared (live_cache_put), so a cached one
 * holds no rows, cursors or parameter values between queries. Every
 * statement was compiled under the connection's authorizer and limits;
 * the cache belongs to one vg_live, so to one plan's tables: a reload,
 * which opens a new vg_live, starts with an empty one.
 */
#include <string.h>

#include "engine/live_int.h"

/* Drop entry i: finalize its statement, free its text. */
static void drop(vg_live *l, uint32_t i)
{
    live_stmt *e = &l->cache[i];
    sqlite3_finalize(e->st);
    vg_free(e->sql);
    l->cached_bytes -= e->bytes;
    memmove(e, e + 1, (l->ncached - i - 1) * sizeof *e);
    l->ncached--;
}

sqlite3_stmt *live_cache_take(vg_live *l, const char *sql, size_t len, char **text)
{
    for (uint32_t i = l->ncached; i-- > 0;) { /* the most recent first */
        live_stmt *e = &l->cache[i];
        if (e->len != len || memcmp(e->sql, sql, len) != 0)
            continue;
        sqlite3_stmt *st = e->st;
        *text = e->sql;
        l->cached_bytes -= e->bytes;
        memmove(e, e + 1, (l->ncached - i - 1) * sizeof *e);
        l->ncached--;
        return st;
    }
    return NULL;
}

void live_cache_put(vg_live *l, sqlite3_stmt *st, char *text, size_t len)
{
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    int64_t bytes = (int64_t)len + sqlite3_stmt_status(st, SQLITE_STMTSTATUS_MEMUSED, 0);
    if (bytes > VG_LIVE_CACHE_BYTES / 8) {
        sqlite3_finalize(st);
        vg_free(text);
        return;
    }
    while (l->ncached &&
           (l->ncached == VG_LIVE_CACHE || l->cached_bytes + bytes > VG_LIVE_CACHE_BYTES))
        drop(l, 0);
    l->cache[l->ncached++] = (live_stmt){text, len, st, bytes};
    l->cached_bytes += bytes;
}

void live_cache_clear(vg_live *l)
{
    while (l->ncached)
        drop(l, l->ncached - 1);
}
