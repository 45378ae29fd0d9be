/*
 * checkpoint_cmd.c — `vigil checkpoints list|drop PIPELINE`: the store's
 * checkpoint and turn-log tables (store.h) in words, and their removal.
 */
#include "engine/checkpoint_cmd.h"

#include <inttypes.h>
#include <string.h>
#include <unistd.h>

#include "engine/config.h"
#include "engine/pipeline.h"
#include "engine/store.h"
#include "engine/value.h"

/* What list gathers. */
typedef struct lister {
    vg_store *st;    /* the store read */
    FILE *out;       /* where the lines go */
    vg_arena *arena; /* each checkpoint's offsets (reset per checkpoint) */
    uint32_t n;      /* checkpoints listed */
    int64_t newest;  /* the newest one's epoch */
    vg_error *err;   /* the first error */
    int rc;          /* 0, or -1 once err is set */
} lister;

/* One line: the checkpoint, then its offsets (read again, with them). */
static int list_one(const vg_store_ckpt *c, void *arg)
{
    lister *l = arg;
    char when[32];
    vg_ts_format(c->created_at, when);
    if (!l->n++)
        l->newest = c->epoch;
    fprintf(l->out, "checkpoint %" PRId64 "  epoch %" PRId64 "  %s  %" PRId64 " bytes", c->id,
            c->epoch, when, c->bytes);
    vg_store_ckpt full;
    vg_arena_reset(l->arena);
    if (vg_store_ckpt_get(l->st, c->id, l->arena, &full, NULL, NULL, l->err) < 0) {
        l->rc = -1;
        return 1;
    }
    for (uint32_t i = 0; i < full.noffsets; i++)
        fprintf(l->out, "  %s[%d]=%" PRId64, full.offsets[i].source, (int)full.offsets[i].partition,
                full.offsets[i].next_offset);
    fputc('\n', l->out);
    return 0;
}

int vg_checkpoint_cmd_list(const char *store_path, const char *pipeline, FILE *out, vg_error *err)
{
    if (access(store_path, F_OK) != 0) {
        fprintf(out, "no checkpoints of pipeline '%s' (store '%s' does not exist)\n", pipeline,
                store_path);
        return 0;
    }
    vg_store *st = vg_store_open(store_path, err);
    if (!st)
        return -1;
    lister l = {.st = st, .out = out, .arena = vg_arena_new(VG_MEM_OTHER, 1024), .err = err};
    int rc = l.arena ? 0 : vg_error_set(err, VG_ERR_NOMEM, "out of memory");
    if (rc == 0 && vg_store_ckpt_list(st, pipeline, list_one, &l, err) < 0)
        rc = -1;
    rc = rc < 0 ? rc : l.rc;
    vg_store_turn *turns;
    uint32_t nturns = 0;
    if (rc == 0 && l.n &&
        vg_store_turn_list(st, pipeline, l.newest, l.arena, &turns, &nturns, err) < 0)
        rc = -1;
    if (rc == 0 && l.n)
        fprintf(out,
                "%u checkpoint%s of pipeline '%s' in store '%s', %u turn%s logged since the "
                "newest\n",
                l.n, l.n == 1 ? "" : "s", pipeline, store_path, nturns, nturns == 1 ? "" : "s");
    else if (rc == 0)
        fprintf(out, "no checkpoints of pipeline '%s' in store '%s'\n", pipeline, store_path);
    vg_arena_free(l.arena);
    vg_store_close(st);
    return rc;
}

int vg_checkpoint_cmd_drop(const char *store_path, const char *pipeline, FILE *out, vg_error *err)
{
    vg_store *st = vg_store_open(store_path, err);
    if (!st)
        return -1;
    int64_t turns = 0;
    uint32_t dropped = 0;
    int rc = vg_store_turn_count(st, pipeline, &turns, err);
    if (rc == 0)
        rc = vg_store_ckpt_drop(st, pipeline, &dropped, err);
    if (rc == 0)
        fprintf(out,
                "dropped %u checkpoint%s and %" PRId64 " logged turn%s of pipeline '%s' "
                "from store '%s'\n",
                dropped, dropped == 1 ? "" : "s", turns, turns == 1 ? "" : "s", pipeline,
                store_path);
    vg_store_close(st);
    return rc;
}

/* The command's errors, as main.c prints them. */
static int fail(const vg_error *err)
{
    vg_error_print(err, stderr);
    return vg_error_exit_code(err);
}

static int usage(const char *what)
{
    fprintf(stderr,
            "vigil checkpoints: %s\nusage: vigil checkpoints %s\n(see 'vigil checkpoints"
            " --help')\n",
            what, VG_CHECKPOINT_CMD_USAGE);
    return 2;
}

int vg_checkpoint_cmd_main(int argc, char **argv)
{
    if (argc < 2 || (strcmp(argv[1], "list") != 0 && strcmp(argv[1], "drop") != 0))
        return usage("expected 'list' or 'drop'");
    if (argc != 3 || argv[2][0] == '-')
        return usage(argc < 3 ? "missing PIPELINE" : "unexpected argument");
    vg_error err;
    vg_error_clear(&err);
    vg_pipeline *p = vg_pipeline_load(argv[2], &err);
    if (!p)
        return fail(&err);
    const char *store = vg_pipeline_store(p), *name = vg_pipeline_config(p)->name;
    int rc;
    if (!store)
        rc = vg_error_set(&err, VG_ERR_CONFIG,
                          "pipeline '%s' has no state.store: it keeps no checkpoints", argv[2]);
    else if (strcmp(argv[1], "list") == 0)
        rc = vg_checkpoint_cmd_list(store, name, stdout, &err);
    else
        rc = vg_checkpoint_cmd_drop(store, name, stdout, &err);
    vg_pipeline_free(p);
    return rc < 0 ? fail(&err) : 0;
}
