/*
 * test_checkpoint_fault.c — checkpoints through the fault VFS
 * (faultvfs.inc): every I/O operation of a checkpoint write failing in
 * turn (SQLITE_IOERR once, SQLITE_FULL from there on), opening a store
 * while they fail, a crash (fork, _exit) and a power cut (unsynced writes
 * undone) at each of them. Each time the previous checkpoint stays whole
 * and loadable, PRAGMA integrity_check says ok, the offsets loaded belong
 * to the state loaded (resume_from, ckpt_test.h), and a write that
 * returned 0 survives even the power cut. A last test shows that the
 * power-cut model does lose what was not synced.
 */
#include <sys/wait.h>

#include "tests/unit/ckpt_test.h"
#include "tests/unit/faultvfs.inc"

/* ---- I/O faults ---- */

/* The run after 30 events: what the checkpoint written under a fault holds
 * (the store already holds one after 20, prepare's). */
static run r30;

/* The operations of a checkpoint write (FV_ALL), counted. */
static uint64_t write_ops(void)
{
    const char *p = path_in_dir("count.db");
    prepare(p);
    vg_store *st = store_open(p);
    vg_error err;
    vg_checkpoints *c = st ? vg_checkpoint_open(st, "pay", r30.plan, &err) : NULL;
    fv_count_from_now(FV_ALL);
    int rc = c ? write_at(c, &r30, 30, NULL, &err) : -1;
    uint64_t n = fv_count();
    fv_disarm();
    CHECK_INT(rc, 0);
    vg_checkpoint_close(c);
    vg_store_close(st);
    return n;
}

/* After a write at path that failed (failed = 1) or not, the store is
 * sound and the newest checkpoint is the 20-event one or the 30-event one
 * as it must be, whole. */
static void check_store(const char *path, int failed)
{
    vg_error err;
    vg_error_clear(&err);
    int64_t epoch = 0;
    CHECK_STR(raw_sql(path, "PRAGMA integrity_check"), "ok");
    CHECK_INT(resume_from(path, &epoch, &err), 1);
    CHECK_INT(epoch, failed ? 1 : 2);
}

/* Every operation of a write failing in turn, with SQLITE_IOERR once, and
 * with SQLITE_FULL from there on (a disk that stays full): the write says
 * so (retriable), the previous checkpoint stands, and the same connection
 * writes the checkpoint once the disk is back. */
static void test_io_errors(void)
{
    uint64_t nops = write_ops();
    CHECK(nops >= 8);
    static const struct {
        fv_action action;
        int sticky;
        const char *msg;
    } modes[] = {{FV_IOERR, 0, "disk I/O error"}, {FV_FULL, 1, "database or disk is full"}};
    for (size_t m = 0; m < 2; m++) {
        int right = 0, tries = 0;
        for (uint64_t n = 1; n <= nops + 1; n++) {
            const char *p =
                path_in_dir(vg_arena_printf(arena, "io%zu-%llu.db", m, (unsigned long long)n));
            prepare(p);
            vg_store *st = store_open(p);
            vg_error err;
            vg_error_clear(&err);
            vg_checkpoints *c = st ? vg_checkpoint_open(st, "pay", r30.plan, &err) : NULL;
            if (!c)
                break;
            vg_checkpoint_snap *snap = take_at(c, &r30, 30, &err);
            fv_arm(FV_ALL, n, modes[m].action, modes[m].sticky);
            int rc = snap ? vg_checkpoint_commit(c, snap, NULL, &err) : -1;
            int fired = fv.fired;
            fv_disarm();
            tries++;
            const char *want = vg_arena_printf(arena, "store '%s': %s", p, modes[m].msg);
            const char *cantopen = vg_arena_printf(arena,
                                                   "store '%s': unable to open database "
                                                   "file",
                                                   p);
            if (fired)
                right += rc == -1 && err.code == VG_ERR_IO && err.retriable &&
                         (strcmp(err.msg, want) == 0 || strcmp(err.msg, cantopen) == 0);
            else
                right += rc == 0 && n == nops + 1;
            check_store(p, fired);
            /* the disk is back: the same connection commits the same snapshot */
            vg_error_clear(&err);
            CHECK_INT(rc == 0 ? 0 : vg_checkpoint_commit(c, snap, NULL, &err), 0);
            check_store(p, 0);
            vg_checkpoint_snap_free(snap);
            vg_checkpoint_close(c);
            vg_store_close(st);
            fv_reset();
        }
        CHECK_INT(right, nops + 1);
        CHECK_INT(tries, nops + 1);
    }
}

/* Opening a store while opens, writes and syncs fail in turn: an error,
 * never a crash or a leak; a store that opened works. */
static void test_open_faults(void)
{
    int failed = 0, ok = 0;
    size_t before = mem_total();
    for (uint64_t n = 1; n < 100 && !ok; n++) {
        const char *p = path_in_dir(vg_arena_printf(arena, "open%llu.db", (unsigned long long)n));
        vg_error err;
        vg_error_clear(&err);
        fv_arm(FV_ALL, n, FV_IOERR, 0);
        vg_store *st = vg_store_open(p, &err);
        int fired = fv.fired;
        fv_disarm();
        if (st && !fired)
            ok = 1;
        failed += !st && err.code == VG_ERR_IO && strncmp(err.msg, "store '", 7) == 0;
        vg_store_close(st);
        CHECK_INT(mem_total(), before);
        st = store_open(p);
        CHECK(st && vg_store_schema_version(st) == 4);
        vg_store_close(st);
        fv_reset();
    }
    CHECK_INT(ok, 1);
    CHECK(failed >= 3);
}

/* A child process writes the 30-event checkpoint and meets `action` at its
 * nth operation (never when n is past them all; then, for a power cut,
 * the power goes right after the write returned). What it leaves must be
 * a sound store with the right newest checkpoint: the 30-event one when
 * the write returned 0, else either. */
static void crash_at(fv_action action, uint64_t n, int *done, int *right)
{
    const char *p =
        path_in_dir(vg_arena_printf(arena, "crash%d-%llu.db", (int)action, (unsigned long long)n));
    prepare(p);
    fv_reset();
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        vg_error err;
        vg_store *st = store_open(p);
        vg_checkpoints *c = st ? vg_checkpoint_open(st, "pay", r30.plan, &err) : NULL;
        if (!c)
            _exit(2);
        fv_arm(FV_ALL, n, action, 0);
        int rc = write_at(c, &r30, 30, NULL, &err);
        if (rc == 0 && action == FV_POWERCUT)
            fv_powercut(0);
        _exit(rc == 0 ? 0 : 1);
    }
    int status = -1;
    waitpid(pid, &status, 0);
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    *done = code == 0;
    vg_error err;
    vg_error_clear(&err);
    int64_t epoch = 0;
    int sound = strcmp(raw_sql(p, "PRAGMA integrity_check"), "ok") == 0 &&
                resume_from(p, &epoch, &err) == 1;
    *right += (code == 0 && sound && epoch == 2) ||
              (code == FV_EXIT && sound && (epoch == 1 || epoch == 2));
    if (!sound || (code != 0 && code != FV_EXIT))
        fprintf(stderr, "crash %d at %llu: exit %d, epoch %lld: %s\n", (int)action,
                (unsigned long long)n, code, (long long)epoch, err.msg);
}

/* A crash (kill -9) and a power cut at every operation of a write. */
static void test_crashes(void)
{
    uint64_t nops = write_ops();
    static const fv_action actions[] = {FV_CRASH, FV_POWERCUT};
    for (size_t a = 0; a < 2; a++) {
        int done = 0, right = 0;
        uint64_t n = 1;
        for (; n <= nops + 1 && !done; n++)
            crash_at(actions[a], n, &done, &right);
        CHECK_INT(n, nops + 2);
        CHECK_INT(done, 1);
        CHECK_INT(right, nops + 1);
    }
}

/* The power-cut model bites: a row committed with synchronous = NORMAL in
 * WAL mode is lost (the log was not synced), one committed with FULL is
 * not. Without this, test_crashes could pass with a model that loses
 * nothing. */
static void test_power_cut_model(void)
{
    static const char *const modes[] = {"NORMAL", "FULL"};
    for (int m = 0; m < 2; m++) {
        const char *p = path_in_dir(vg_arena_printf(arena, "model%d.db", m));
        sqlite3 *db;
        CHECK(sqlite3_open(p, &db) == SQLITE_OK);
        sqlite3_exec(db, "PRAGMA journal_mode = WAL; CREATE TABLE t (x)", NULL, NULL, NULL);
        sqlite3_close(db);
        fv_reset();
        fflush(NULL);
        pid_t pid = fork();
        if (pid == 0) {
            sqlite3_open(p, &db);
            char *sql =
                sqlite3_mprintf("PRAGMA synchronous = %s; INSERT INTO t VALUES (1)", modes[m]);
            int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
            fv_powercut(rc == SQLITE_OK ? 0 : 1);
        }
        int status = -1;
        waitpid(pid, &status, 0);
        CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        CHECK_STR(raw_sql(p, "SELECT COUNT(*) FROM t"), m == 0 ? "0" : "1");
    }
}

int main(void)
{
    if (fv_install() < 0 || ckpt_setup() < 0)
        return 1;
    CHECK(opened(&r30, pipeline_sql));
    feed(&r30, 0, 30);
    RUN(test_io_errors);
    RUN(test_open_faults);
    RUN(test_crashes);
    RUN(test_power_cut_model);
    run_close(&r30);
    fv_reset();
    ckpt_teardown();
    return CHECK_DONE();
}
