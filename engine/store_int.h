/*
 * store_int.h — what the files of the store module share: the connection
 * and the statement helpers of store.c, for store_ckpt.c (the checkpoint
 * tables). Nothing outside engine/store*.c includes it.
 */
#ifndef VG_STORE_INT_H
#define VG_STORE_INT_H

#include <sqlite3.h>

#include "engine/store.h"

struct vg_store {
    sqlite3 *db;           /* the connection */
    char *path;            /* as given to vg_store_open (vg_malloc'd), for messages */
    int schema_version;    /* after migration */
    vg_store_clock_fn now; /* wall clock, epoch ms */
    void *now_arg;         /* its argument */
    bool sync_full;        /* the connection commits with synchronous = FULL now (else
                              NORMAL, which only turn-log writes ask for) */
};

/* Make the connection commit with synchronous = FULL (full) or NORMAL from
 * now on, unless it already does. Outside a transaction only. 0 or -1. */
int store_sync(vg_store *st, bool full, vg_error *err);

/* VG_ERR_NOMEM "out of memory"; returns -1. */
int store_nomem(vg_error *err);
/* The connection's last error into err: VG_ERR_NOMEM, or VG_ERR_IO "store
 * 'PATH': MESSAGE". Returns -1. */
int store_fail(vg_store *st, vg_error *err);
/* Run sql (no results); 0 or -1. */
int store_exec(vg_store *st, const char *sql, vg_error *err);
/* A prepared statement (the caller finalizes it), or NULL with err set. */
sqlite3_stmt *store_prep(vg_store *st, const char *sql, vg_error *err);
/* Step s to its end and finalize it; 0 or -1. */
int store_run(vg_store *st, sqlite3_stmt *s, vg_error *err);
/* BEGIN IMMEDIATE: the write lock now, so that the transaction cannot fail
 * later for want of it. */
int store_begin(vg_store *st, vg_error *err);
/* Commit when rc is 0, else roll back; returns rc (or -1 when the commit
 * fails, rolled back). */
int store_finish(vg_store *st, int rc, vg_error *err);

#endif
