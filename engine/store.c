/*
 * store.c — the metadata store on SQLite: the connection, schema and
 * migrations, the model registry, ruleset versions. The checkpoint tables
 * are store_ckpt.c's (store_int.h is what the two share).
 *
 * The schema is a list of migrations, one per schema version; opening a
 * store applies the ones it has not seen, in one transaction, and records
 * the version in meta. A later issue adds its tables by appending a
 * migration (and bumping VG_STORE_SCHEMA_VERSION), never by editing one.
 *
 * Statements are prepared per call: this is metadata, written a few times
 * a day and read when a pipeline starts or swaps, never per event.
 */
#include "engine/path.h"
#include "engine/store_int.h"

#include <errno.h>
#include <inttypes.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define STORE_TAG VG_MEM_STATE


/* ---- schema ---- */

/* migrations[i] takes a store from schema version i to i + 1. */
static const char *const migrations[VG_STORE_SCHEMA_VERSION] = {
    "CREATE TABLE models ("
    "  name TEXT NOT NULL, version INTEGER NOT NULL, type TEXT NOT NULL, path TEXT NOT NULL,"
    "  sha256 TEXT NOT NULL, size INTEGER NOT NULL, input_schema TEXT, output_schema TEXT,"
    "  loaded_at INTEGER NOT NULL, active INTEGER NOT NULL DEFAULT 0, shadow_of TEXT,"
    "  PRIMARY KEY (name, version));"
    "CREATE TABLE rulesets ("
    "  ruleset TEXT NOT NULL, version INTEGER NOT NULL, default_action TEXT NOT NULL,"
    "  changed_by TEXT, changed_at INTEGER NOT NULL, source TEXT,"
    "  active INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (ruleset, version));"
    "CREATE TABLE rules ("
    "  ruleset TEXT NOT NULL, version INTEGER NOT NULL, rule_id TEXT NOT NULL,"
    "  priority INTEGER NOT NULL, condition TEXT NOT NULL, action TEXT NOT NULL,"
    "  mode TEXT NOT NULL CHECK (mode IN ('active', 'shadow')), enabled INTEGER NOT NULL,"
    "  changed_by TEXT, changed_at INTEGER NOT NULL,"
    "  PRIMARY KEY (ruleset, version, rule_id));",
    /* 2: checkpoints (store_ckpt.c, engine/checkpoint.h) */
    "CREATE TABLE checkpoints ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT, pipeline TEXT NOT NULL, epoch INTEGER NOT NULL,"
    "  plan_fp TEXT NOT NULL, created_at INTEGER NOT NULL, bytes INTEGER NOT NULL,"
    "  late_rows INTEGER NOT NULL DEFAULT 0, UNIQUE (pipeline, epoch));"
    "CREATE TABLE checkpoint_ops ("
    "  checkpoint_id INTEGER NOT NULL, node_fp TEXT NOT NULL, seq INTEGER NOT NULL,"
    "  kind TEXT NOT NULL, name TEXT, wm INTEGER NOT NULL, state BLOB NOT NULL,"
    "  PRIMARY KEY (checkpoint_id, node_fp, seq));"
    "CREATE TABLE checkpoint_offsets ("
    "  checkpoint_id INTEGER NOT NULL, source TEXT NOT NULL, topic TEXT NOT NULL,"
    "  partition INTEGER NOT NULL, next_offset INTEGER NOT NULL,"
    "  PRIMARY KEY (checkpoint_id, source, topic, partition));"
    "CREATE TABLE checkpoint_sinks ("
    "  checkpoint_id INTEGER NOT NULL, sink TEXT NOT NULL, position TEXT, rows INTEGER,"
    "  PRIMARY KEY (checkpoint_id, sink));"
    "CREATE TABLE checkpoint_epochs (pipeline TEXT PRIMARY KEY, last_epoch INTEGER NOT NULL);",
    /* 3: exactly-once (store_ckpt.c): partition watermarks and the turn log */
    "ALTER TABLE checkpoint_offsets ADD COLUMN max_wm INTEGER;"
    "CREATE TABLE turn_log ("
    "  pipeline TEXT NOT NULL, epoch INTEGER NOT NULL, seq INTEGER NOT NULL,"
    "  wm INTEGER NOT NULL, runs BLOB NOT NULL, PRIMARY KEY (pipeline, epoch, seq));",
    /* 4: reload and activation (store_ckpt.c): each plan's SQL, each checkpoint's versions */
    "CREATE TABLE checkpoint_plans ("
    "  pipeline TEXT NOT NULL, plan_fp TEXT NOT NULL, seq INTEGER NOT NULL, path TEXT NOT NULL,"
    "  text TEXT NOT NULL, PRIMARY KEY (pipeline, plan_fp, seq));"
    "CREATE TABLE checkpoint_registry ("
    "  checkpoint_id INTEGER NOT NULL, kind TEXT NOT NULL, name TEXT NOT NULL,"
    "  version INTEGER NOT NULL, PRIMARY KEY (checkpoint_id, kind, name));",
};

static int64_t real_clock(void *arg)
{
    (void)arg;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int store_nomem(vg_error *err) { return vg_error_set(err, VG_ERR_NOMEM, "out of memory"); }

int store_fail(vg_store *st, vg_error *err)
{
    int rc = sqlite3_errcode(st->db);
    if (rc == SQLITE_NOMEM)
        return store_nomem(err);
    if (vg_error_is_set(err))
        return -1;
    vg_error_set(err, VG_ERR_IO, "store '%s': %s", st->path, sqlite3_errmsg(st->db));
    /* a full disk, an I/O error or a lock held too long can pass: the runner may try again */
    err->retriable = rc == SQLITE_FULL || rc == SQLITE_IOERR || rc == SQLITE_BUSY ||
                     rc == SQLITE_LOCKED;
    return -1;
}

int store_exec(vg_store *st, const char *sql, vg_error *err)
{
    return sqlite3_exec(st->db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : store_fail(st, err);
}

sqlite3_stmt *store_prep(vg_store *st, const char *sql, vg_error *err)
{
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK) {
        store_fail(st, err);
        sqlite3_finalize(s);
        return NULL;
    }
    return s;
}

int store_run(vg_store *st, sqlite3_stmt *s, vg_error *err)
{
    int rc = sqlite3_step(s);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
        store_fail(st, err);
        sqlite3_finalize(s);
        return -1;
    }
    sqlite3_finalize(s);
    return 0;
}

/* The first column of the first row of sql (bound to text a, b) as an
 * integer into *out (def when no row or NULL). */
static int query_int(vg_store *st, const char *sql, const char *a, const char *b, int64_t def,
                     int64_t *out, vg_error *err)
{
    sqlite3_stmt *s = store_prep(st, sql, err);
    if (!s)
        return -1;
    sqlite3_bind_text(s, 1, a, -1, SQLITE_STATIC);
    if (b)
        sqlite3_bind_text(s, 2, b, -1, SQLITE_STATIC);
    int rc = sqlite3_step(s);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        store_fail(st, err);
        sqlite3_finalize(s);
        return -1;
    }
    *out = rc == SQLITE_ROW && sqlite3_column_type(s, 0) != SQLITE_NULL ? sqlite3_column_int64(s, 0)
                                                                         : def;
    sqlite3_finalize(s);
    return 0;
}

/* Run sql with ?1 bound to text t and ?2 to integer i. */
static int exec_ti(vg_store *st, const char *sql, const char *t, int64_t i, vg_error *err)
{
    sqlite3_stmt *s = store_prep(st, sql, err);
    if (!s)
        return -1;
    sqlite3_bind_text(s, 1, t, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, i);
    return store_run(st, s, err);
}

int vg_store_wal_manual(vg_store *st, vg_error *err)
{
    return store_exec(st, "PRAGMA wal_autocheckpoint = 0", err);
}

int vg_store_wal_checkpoint(vg_store *st, vg_error *err)
{
    return store_exec(st, "PRAGMA wal_checkpoint(PASSIVE)", err);
}

int store_begin(vg_store *st, vg_error *err) { return store_exec(st, "BEGIN IMMEDIATE", err); }

int store_sync(vg_store *st, bool full, vg_error *err)
{
    if (st->sync_full == full)
        return 0;
    if (store_exec(st, full ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL", err) < 0)
        return -1;
    st->sync_full = full;
    return 0;
}

int store_finish(vg_store *st, int rc, vg_error *err)
{
    if (rc == 0 && store_exec(st, "COMMIT", err) == 0)
        return 0;
    sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
    return -1;
}

static const char *col_text(sqlite3_stmt *s, int i)
{
    return (const char *)sqlite3_column_text(s, i);
}

/* Bring the schema to VG_STORE_SCHEMA_VERSION. */
static int migrate(vg_store *st, vg_error *err)
{
    if (store_begin(st, err) < 0)
        return -1;
    int64_t has_meta, ntables, version = 0;
    int rc = query_int(st, "SELECT COUNT(*) FROM sqlite_master WHERE name = ?1", "meta", NULL, 0,
                       &has_meta, err);
    if (rc == 0)
            rc = query_int(st, "SELECT COUNT(*) FROM sqlite_master WHERE type = ?1", "table", NULL,
                       0, &ntables, err);
    if (rc == 0 && !has_meta && ntables > 0)
        rc = vg_error_set(err, VG_ERR_IO, "store '%s' is not a vigil store (it has no meta table)",
                          st->path);
    if (rc == 0 && !has_meta)
        rc = store_exec(st, "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
                        err);
    if (rc == 0)
        rc = query_int(st, "SELECT CAST(value AS INTEGER) FROM meta WHERE key = ?1",
                       "schema_version", NULL, 0, &version, err);
    if (rc == 0 && version > VG_STORE_SCHEMA_VERSION)
        rc = vg_error_set(err, VG_ERR_IO,
                          "store '%s' has schema version %" PRId64
                          ", newer than this vigil's (%d)",
                          st->path, version, VG_STORE_SCHEMA_VERSION);
    for (int64_t v = version; rc == 0 && v < VG_STORE_SCHEMA_VERSION; v++)
        rc = store_exec(st, migrations[v], err);
    if (rc == 0 && version < VG_STORE_SCHEMA_VERSION) {
        char sql[128];
        snprintf(sql, sizeof sql,
                 "INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', '%d')",
                 VG_STORE_SCHEMA_VERSION);
        rc = store_exec(st, sql, err);
    }
    st->schema_version = VG_STORE_SCHEMA_VERSION;
    return store_finish(st, rc, err);
}

vg_store *vg_store_open(const char *path, vg_error *err)
{
    vg_store *st = vg_calloc(STORE_TAG, 1, sizeof *st);
    if (!st || !(st->path = vg_strdup(STORE_TAG, path))) {
        vg_free(st);
        store_nomem(err);
        return NULL;
    }
    st->now = real_clock;
    vg_path_make_parents(path);
    int rc = sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
    if (rc != SQLITE_OK) {
        if (st->db)
            store_fail(st, err);
        else
            store_nomem(err);
        vg_store_close(st);
        return NULL;
    }
    sqlite3_busy_timeout(st->db, 5000);
    /* journal_mode answers "memory" for ":memory:"; that is fine. synchronous = FULL: in WAL
     * mode NORMAL syncs the log only at WAL checkpoints, so a power cut right after a
     * commit could take the newest pipeline checkpoint with it while sinks already wrote
     * past it; FULL syncs the log at every commit, which costs one fsync per checkpoint
     * (about one a second) and makes a returned commit durable. */
    if (store_exec(st, "PRAGMA journal_mode = WAL", err) < 0 ||
        store_sync(st, true, err) < 0 || migrate(st, err) < 0) {
        vg_store_close(st);
        return NULL;
    }
    return st;
}

void vg_store_close(vg_store *st)
{
    if (!st)
        return;
    sqlite3_close(st->db);
    vg_free(st->path);
    vg_free(st);
}

void vg_store_set_clock(vg_store *st, vg_store_clock_fn fn, void *arg)
{
    st->now = fn ? fn : real_clock;
    st->now_arg = fn ? arg : NULL;
}

int vg_store_schema_version(const vg_store *st) { return st->schema_version; }

const char *vg_store_path(const vg_store *st) { return st->path; }

/* ---- models ---- */

static void hex(const unsigned char *md, unsigned n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (unsigned i = 0; i < n; i++) {
        out[2 * i] = digits[md[i] >> 4];
        out[2 * i + 1] = digits[md[i] & 15];
    }
    out[2 * n] = 0;
}

/* SHA-256 of rec's bytes, or of the file at rec->path, as hex into out;
 * the byte count into *size. */
static int model_hash(const vg_model_rec *rec, char out[65], int64_t *size, vg_error *err)
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    if (!md || !EVP_DigestInit_ex(md, EVP_sha256(), NULL)) {
        EVP_MD_CTX_free(md);
        return store_nomem(err);
    }
    int rc = 0;
    if (rec->bytes) {
        rc = EVP_DigestUpdate(md, rec->bytes, rec->size) ? 0 : store_nomem(err);
        *size = (int64_t)rec->size;
    } else {
        FILE *f = rec->path ? fopen(rec->path, "rb") : NULL;
        if (!f)
            rc = vg_error_set(err, VG_ERR_IO, "cannot read model file '%s': %s",
                              rec->path ? rec->path : "", rec->path ? strerror(errno) : "no path");
        unsigned char buf[16384];
        size_t n;
        *size = 0;
        while (rc == 0 && (n = fread(buf, 1, sizeof buf, f)) > 0) {
            *size += (int64_t)n;
            if (!EVP_DigestUpdate(md, buf, n))
                rc = store_nomem(err);
        }
        if (rc == 0 && ferror(f))
            rc = vg_error_set(err, VG_ERR_IO, "cannot read model file '%s': read error",
                              rec->path);
        if (f)
            fclose(f);
    }
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned len = 0;
    if (rc == 0 && !EVP_DigestFinal_ex(md, digest, &len))
        rc = store_nomem(err);
    EVP_MD_CTX_free(md);
    if (rc == 0)
        hex(digest, len, out);
    return rc;
}

static int model_insert(vg_store *st, const vg_model_rec *rec, const char *sha, int64_t size,
                        int64_t version, bool active, vg_error *err)
{
    sqlite3_stmt *s = store_prep(st,
                           "INSERT INTO models (name, version, type, path, sha256, size,"
                           " input_schema, output_schema, loaded_at, active, shadow_of)"
                           " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                           err);
    if (!s)
        return -1;
    sqlite3_bind_text(s, 1, rec->name, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, version);
    sqlite3_bind_text(s, 3, rec->type ? rec->type : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 4, rec->path ? rec->path : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 5, sha, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 6, size);
    sqlite3_bind_text(s, 7, rec->input_schema, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 8, rec->output_schema, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 9, st->now(st->now_arg));
    sqlite3_bind_int(s, 10, active);
    sqlite3_bind_text(s, 11, rec->shadow_of, -1, SQLITE_STATIC);
    return store_run(st, s, err);
}

int vg_store_model_add(vg_store *st, const vg_model_rec *rec, int64_t *version_out,
                       vg_error *err)
{
    char sha[65];
    int64_t size, same, last, nactive;
    if (model_hash(rec, sha, &size, err) < 0 || store_begin(st, err) < 0)
        return -1;
    int rc = query_int(st, "SELECT version FROM models WHERE name = ?1 AND sha256 = ?2", rec->name,
                       sha, 0, &same, err);
    if (rc == 0 && same > 0) {
        *version_out = same;
        return store_finish(st, 0, err);
    }
    if (rc == 0)
        rc = query_int(st, "SELECT MAX(version) FROM models WHERE name = ?1", rec->name, NULL, 0,
                       &last, err);
    if (rc == 0)
        rc = query_int(st, "SELECT COUNT(*) FROM models WHERE name = ?1 AND active", rec->name,
                       NULL, 0, &nactive, err);
    if (rc == 0)
        rc = model_insert(st, rec, sha, size, last + 1, nactive == 0, err);
    if (store_finish(st, rc, err) < 0)
        return -1;
    *version_out = last + 1;
    return 0;
}

int vg_store_model_activate(vg_store *st, const char *name, int64_t version, vg_error *err)
{
    if (store_begin(st, err) < 0)
        return -1;
    char v[24];
    snprintf(v, sizeof v, "%" PRId64, version);
    int64_t found;
    int rc = query_int(st, "SELECT COUNT(*) FROM models WHERE name = ?1 AND version = ?2", name, v,
                       0, &found, err);
    if (rc == 0 && !found)
        rc = vg_error_set(err, VG_ERR_NAME, "model '%s' has no version %" PRId64, name, version);
    if (rc == 0)
        rc = exec_ti(st, "UPDATE models SET active = (version = ?2) WHERE name = ?1", name,
                     version, err);
    return store_finish(st, rc, err);
}

#define MODEL_COLS                                                                               \
    "SELECT name, version, type, path, sha256, size, input_schema, output_schema, loaded_at,"  \
    " active, shadow_of FROM models"

/* A row of MODEL_COLS into rec; strings are the statement's (or copied into
 * a when a is not NULL). */
static int model_row(sqlite3_stmt *s, vg_model_rec *rec, vg_arena *a, vg_error *err)
{
    memset(rec, 0, sizeof *rec);
    const char *text[5] = {col_text(s, 0), col_text(s, 2), col_text(s, 3), col_text(s, 6),
                           col_text(s, 7)};
    const char *shadow = col_text(s, 10);
    for (int i = 0; a && i < 5; i++)
        if (text[i] && !(text[i] = vg_arena_strndup(a, text[i], strlen(text[i]))))
            return store_nomem(err);
    if (a && shadow && !(shadow = vg_arena_strndup(a, shadow, strlen(shadow))))
        return store_nomem(err);
    rec->name = text[0];
    rec->version = sqlite3_column_int64(s, 1);
    rec->type = text[1];
    rec->path = text[2];
    snprintf(rec->sha256, sizeof rec->sha256, "%s", col_text(s, 4) ? col_text(s, 4) : "");
    rec->size = (size_t)sqlite3_column_int64(s, 5);
    rec->input_schema = text[3];
    rec->output_schema = text[4];
    rec->loaded_at = sqlite3_column_int64(s, 8);
    rec->active = sqlite3_column_int(s, 9) != 0;
    rec->shadow_of = shadow;
    return 0;
}

/* One model row: name's version, or its active one when version is 0. */
static int model_query(vg_store *st, const char *name, int64_t version, vg_model_rec *rec,
                       vg_arena *arena, vg_error *err)
{
    sqlite3_stmt *s = store_prep(st, version ? MODEL_COLS " WHERE name = ?1 AND version = ?2"
                                             : MODEL_COLS " WHERE name = ?1 AND active",
                                 err);
    if (!s)
        return -1;
    sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
    if (version)
        sqlite3_bind_int64(s, 2, version);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW)
        rc = model_row(s, rec, arena, err);
    else if (rc == SQLITE_DONE)
        rc = 1;
    else
        rc = store_fail(st, err);
    sqlite3_finalize(s);
    return rc;
}

int vg_store_model_active(vg_store *st, const char *name, vg_model_rec *rec, vg_arena *arena,
                          vg_error *err)
{
    return model_query(st, name, 0, rec, arena, err);
}

int vg_store_model_get(vg_store *st, const char *name, int64_t version, vg_model_rec *rec,
                       vg_arena *arena, vg_error *err)
{
    return version > 0 ? model_query(st, name, version, rec, arena, err) : 1;
}

int vg_store_file_sha256(const char *path, char out[65], vg_error *err)
{
    vg_model_rec rec = {.path = path};
    int64_t size;
    return model_hash(&rec, out, &size, err);
}

int vg_store_model_list(vg_store *st, vg_store_model_fn fn, void *arg, vg_error *err)
{
    sqlite3_stmt *s = store_prep(st, MODEL_COLS " ORDER BY name, version", err);
    if (!s)
        return -1;
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        vg_model_rec rec;
        model_row(s, &rec, NULL, err);
        if (fn(&rec, arg))
            break;
    }
    rc = rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : store_fail(st, err);
    sqlite3_finalize(s);
    return rc;
}

/* ---- rulesets ---- */

/* The changed_by/changed_at the rule r had in version prev when its text
 * was the same; *found = false otherwise. by points into s until it is
 * reset or finalized. */
static int rule_history(vg_store *st, sqlite3_stmt *s, const char *ruleset, int64_t prev,
                        const vg_rule *r, bool *found, const char **by, int64_t *at,
                        vg_error *err)
{
    sqlite3_reset(s);
    sqlite3_bind_text(s, 1, ruleset, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, prev);
    sqlite3_bind_text(s, 3, r->rule_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 4, r->priority);
    sqlite3_bind_text(s, 5, r->condition ? r->condition : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 6, r->action, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 7, r->shadow ? "shadow" : "active", -1, SQLITE_STATIC);
    sqlite3_bind_int(s, 8, r->enabled);
    int rc = sqlite3_step(s);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return store_fail(st, err);
    *found = rc == SQLITE_ROW;
    if (*found) {
        *by = col_text(s, 0);
        *at = sqlite3_column_int64(s, 1);
    }
    return 0;
}

static int rules_insert(vg_store *st, const char *ruleset, int64_t version, int64_t prev,
                        const vg_rule *rules, uint32_t n, const char *changed_by, int64_t now,
                        vg_error *err)
{
    sqlite3_stmt *old = store_prep(st,
                             "SELECT changed_by, changed_at FROM rules WHERE ruleset = ?1"
                             " AND version = ?2 AND rule_id = ?3 AND priority = ?4"
                             " AND condition = ?5 AND action = ?6 AND mode = ?7 AND enabled = ?8",
                             err);
    sqlite3_stmt *ins = old ? store_prep(st,
                                   "INSERT INTO rules (ruleset, version, rule_id, priority,"
                                   " condition, action, mode, enabled, changed_by, changed_at)"
                                   " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                                   err)
                            : NULL;
    int rc = ins ? 0 : -1;
    for (uint32_t i = 0; rc == 0 && i < n; i++) {
        const vg_rule *r = &rules[i];
        bool found = false;
        const char *by = changed_by;
        int64_t at = now;
        if (prev > 0 && rule_history(st, old, ruleset, prev, r, &found, &by, &at, err) < 0) {
            rc = -1;
            break;
        }
        sqlite3_reset(ins);
        sqlite3_bind_text(ins, 1, ruleset, -1, SQLITE_STATIC);
        sqlite3_bind_int64(ins, 2, version);
        sqlite3_bind_text(ins, 3, r->rule_id, -1, SQLITE_STATIC);
        sqlite3_bind_int64(ins, 4, r->priority);
        sqlite3_bind_text(ins, 5, r->condition ? r->condition : "", -1, SQLITE_STATIC);
        sqlite3_bind_text(ins, 6, r->action, -1, SQLITE_STATIC);
        sqlite3_bind_text(ins, 7, r->shadow ? "shadow" : "active", -1, SQLITE_STATIC);
        sqlite3_bind_int(ins, 8, r->enabled);
        sqlite3_bind_text(ins, 9, by, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(ins, 10, at);
        if (sqlite3_step(ins) != SQLITE_DONE)
            rc = store_fail(st, err);
    }
    sqlite3_finalize(old);
    sqlite3_finalize(ins);
    return rc;
}

int vg_store_rules_put(vg_store *st, const char *ruleset, const char *default_action,
                       const vg_rule *rules, uint32_t n, const char *changed_by,
                       const char *source, int64_t *version_out, vg_error *err)
{
    if (store_begin(st, err) < 0)
        return -1;
    int64_t prev = 0, now = st->now(st->now_arg);
    int rc = query_int(st, "SELECT MAX(version) FROM rulesets WHERE ruleset = ?1", ruleset, NULL,
                       0, &prev, err);
    sqlite3_stmt *s = NULL;
    if (rc == 0 && !(s = store_prep(st,
                              "INSERT INTO rulesets (ruleset, version, default_action, changed_by,"
                              " changed_at, source, active) VALUES (?, ?, ?, ?, ?, ?, 1)",
                              err)))
        rc = -1;
    if (s) {
        sqlite3_bind_text(s, 1, ruleset, -1, SQLITE_STATIC);
        sqlite3_bind_int64(s, 2, prev + 1);
        sqlite3_bind_text(s, 3, default_action, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 4, changed_by, -1, SQLITE_STATIC);
        sqlite3_bind_int64(s, 5, now);
        sqlite3_bind_text(s, 6, source, -1, SQLITE_STATIC);
        rc = store_run(st, s, err);
    }
    if (rc == 0)
        rc = rules_insert(st, ruleset, prev + 1, prev, rules, n, changed_by, now, err);
    if (rc == 0 && prev > 0)
        rc = exec_ti(st, "UPDATE rulesets SET active = 0 WHERE ruleset = ?1 AND version <> ?2",
                     ruleset, prev + 1, err);
    if (store_finish(st, rc, err) < 0)
        return -1;
    *version_out = prev + 1;
    return 0;
}

#define RULESET_COLS                                                                             \
    "SELECT ruleset, version, default_action, changed_by, changed_at, source, active,"         \
    " (SELECT COUNT(*) FROM rules x WHERE x.ruleset = r.ruleset AND x.version = r.version)"    \
    " FROM rulesets r"

/* A row of RULESET_COLS into rec; strings are the statement's, or copied
 * into a when a is not NULL. */
static int ruleset_row(sqlite3_stmt *s, vg_ruleset_rec *rec, vg_arena *a, vg_error *err)
{
    const char *text[4] = {col_text(s, 0), col_text(s, 2), col_text(s, 3), col_text(s, 5)};
    for (int i = 0; a && i < 4; i++)
        if (text[i] && !(text[i] = vg_arena_strndup(a, text[i], strlen(text[i]))))
            return store_nomem(err);
    *rec = (vg_ruleset_rec){.ruleset = text[0],
                            .version = sqlite3_column_int64(s, 1),
                            .default_action = text[1],
                            .changed_by = text[2],
                            .changed_at = sqlite3_column_int64(s, 4),
                            .source = text[3],
                            .active = sqlite3_column_int(s, 6) != 0,
                            .nrules = (uint32_t)sqlite3_column_int64(s, 7)};
    return 0;
}

/* The ruleset row of (ruleset, version) into *info; 1 when there is none. */
static int ruleset_info(vg_store *st, const char *ruleset, int64_t version, vg_arena *arena,
                        vg_ruleset_rec *info, vg_error *err)
{
    sqlite3_stmt *s =
        store_prep(st,
             version ? RULESET_COLS " WHERE ruleset = ?1 AND version = ?2"
                     : RULESET_COLS " WHERE ruleset = ?1 AND active",
             err);
    if (!s)
        return -1;
    sqlite3_bind_text(s, 1, ruleset, -1, SQLITE_STATIC);
    if (version)
        sqlite3_bind_int64(s, 2, version);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW)
        rc = ruleset_row(s, info, arena, err);
    else
        rc = rc == SQLITE_DONE ? 1 : store_fail(st, err);
    sqlite3_finalize(s);
    return rc;
}

/* A row of the rules query into r, strings copied into a. */
static int rule_row(sqlite3_stmt *s, vg_rule *r, vg_arena *a, vg_error *err)
{
    const char *text[4] = {col_text(s, 0), col_text(s, 2), col_text(s, 3), col_text(s, 6)};
    for (int i = 0; i < 4; i++)
        if (text[i] && !(text[i] = vg_arena_strndup(a, text[i], strlen(text[i]))))
            return store_nomem(err);
    const char *mode = col_text(s, 4);
    *r = (vg_rule){.rule_id = text[0],
                   .priority = sqlite3_column_int64(s, 1),
                   .condition = text[1],
                   .action = text[2],
                   .shadow = mode && strcmp(mode, "shadow") == 0,
                   .enabled = sqlite3_column_int(s, 5) != 0,
                   .changed_by = text[3],
                   .changed_at = sqlite3_column_int64(s, 7)};
    return 0;
}

static int rules_read(vg_store *st, const vg_ruleset_rec *info, vg_arena *arena, vg_rule **rules,
                      uint32_t *n, vg_error *err)
{
    *rules = vg_arena_calloc(arena, (info->nrules ? info->nrules : 1) * sizeof **rules);
    if (!*rules)
        return store_nomem(err);
    sqlite3_stmt *s = store_prep(st,
                           "SELECT rule_id, priority, condition, action, mode, enabled,"
                           " changed_by, changed_at FROM rules WHERE ruleset = ?1 AND"
                           " version = ?2 ORDER BY priority DESC, rule_id",
                           err);
    if (!s)
        return -1;
    sqlite3_bind_text(s, 1, info->ruleset, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, info->version);
    int rc = 0, step;
    *n = 0;
    while (rc == 0 && (step = sqlite3_step(s)) == SQLITE_ROW && *n < info->nrules)
        rc = rule_row(s, &(*rules)[(*n)++], arena, err);
    if (rc == 0 && step != SQLITE_ROW && step != SQLITE_DONE)
        rc = store_fail(st, err);
    sqlite3_finalize(s);
    return rc;
}

int vg_store_rules_get(vg_store *st, const char *ruleset, int64_t version, vg_arena *arena,
                       vg_ruleset_rec *info, vg_rule **rules, uint32_t *n, vg_error *err)
{
    *rules = NULL;
    *n = 0;
    /* one read transaction: the info and the rules of the same version */
    if (store_exec(st, "BEGIN", err) < 0)
        return -1;
    int rc = ruleset_info(st, ruleset, version, arena, info, err);
    if (rc == 0)
        rc = rules_read(st, info, arena, rules, n, err);
    sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL);
    if (rc != 0) {
        *rules = NULL;
        *n = 0;
    }
    return rc;
}

int vg_store_rules_activate(vg_store *st, const char *ruleset, int64_t version, vg_error *err)
{
    if (store_begin(st, err) < 0)
        return -1;
    vg_ruleset_rec info;
    int rc = ruleset_info(st, ruleset, version > 0 ? version : -1, NULL, &info, err);
    if (rc == 1)
        rc = vg_error_set(err, VG_ERR_NAME, "ruleset '%s' has no version %" PRId64, ruleset,
                          version);
    if (rc == 0)
        rc = exec_ti(st, "UPDATE rulesets SET active = (version = ?2) WHERE ruleset = ?1",
                     ruleset, version, err);
    return store_finish(st, rc, err);
}

int vg_store_rules_versions(vg_store *st, const char *ruleset, vg_store_ruleset_fn fn, void *arg,
                            vg_error *err)
{
    sqlite3_stmt *s = store_prep(st,
                           RULESET_COLS " WHERE ?1 IS NULL OR ruleset = ?1"
                                        " ORDER BY ruleset, version",
                           err);
    if (!s)
        return -1;
    sqlite3_bind_text(s, 1, ruleset, -1, SQLITE_STATIC);
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        vg_ruleset_rec rec;
        ruleset_row(s, &rec, NULL, err);
        if (fn(&rec, arg))
            break;
    }
    rc = rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : store_fail(st, err);
    sqlite3_finalize(s);
    return rc;
}
