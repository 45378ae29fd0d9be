/*
 * checkpoint_cmd.c — `vigil checkpoints list|drop PIPELINE`: the store's
 * checkpoint and turn-log tables (store.h) in words, and their removal.
 */
#include "engine/checkpoint_cmd.h"

#include <inttypes.h>
#include <string.h>
#include <unistd.h>

#include "engine/config.h"
#include "engine/json_out.h"
#include "engine/pipeline.h"
#include "engine/store.h"
#include "engine/value.h"

/* What a walk over the checkpoints gathers, and how each is written. */
typedef struct lister {
    vg_store *st;    /* the store read */
    vg_arena *arena; /* each checkpoint's offsets (reset per checkpoint) */
    uint32_t n;      /* checkpoints seen */
    int64_t newest;  /* the newest one's epoch */
    int (*write)(struct lister *l, const vg_store_ckpt *c); /* one checkpoint, whole */
    FILE *out;       /* text: where the lines go */
    vg_buf *buf;     /* JSON: where the objects go */
    vg_error *err;   /* the first error */
    int rc;          /* 0, or -1 once err is set */
} lister;

/* A checkpoint of the list, read again with its offsets, to l->write. */
static int list_one(const vg_store_ckpt *c, void *arg)
{
    lister *l = arg;
    if (!l->n++)
        l->newest = c->epoch;
    vg_store_ckpt full;
    vg_arena_reset(l->arena);
    if (vg_store_ckpt_get(l->st, c->id, l->arena, &full, NULL, NULL, l->err) < 0 ||
        l->write(l, &full) < 0) {
        l->rc = -1;
        return 1;
    }
    return 0;
}

/* The turn log beside the store at store_path (PATH-turns: `vigil run`
 * logs its turns there), opened into *out; *out NULL when there is none
 * (no run logged a turn yet). 0 or -1. */
static int turns_open(const char *store_path, vg_store **out, vg_error *err)
{
    *out = NULL;
    char path[4096];
    if (snprintf(path, sizeof path, "%s-turns", store_path) >= (int)sizeof path)
        return vg_error_set(err, VG_ERR_CONFIG, "store path too long: '%s'", store_path);
    if (access(path, F_OK) != 0)
        return 0;
    return (*out = vg_store_open(path, err)) ? 0 : -1;
}

/* Walk the checkpoints of pipeline in st, newest first; *nturns gets the
 * turns logged since the newest (in the turn log beside st, or in st when
 * there is none). 0 or -1 (l->err). */
static int walk(lister *l, const char *pipeline, uint32_t *nturns)
{
    *nturns = 0;
    if (!(l->arena = vg_arena_new(VG_MEM_OTHER, 1024)))
        return vg_error_set(l->err, VG_ERR_NOMEM, "out of memory");
    int rc = vg_store_ckpt_list(l->st, pipeline, list_one, l, l->err) < 0 ? -1 : l->rc;
    vg_store *ts = NULL;
    vg_store_turn *turns;
    if (rc == 0 && l->n && turns_open(vg_store_path(l->st), &ts, l->err) < 0)
        rc = -1;
    if (rc == 0 && l->n &&
        vg_store_turn_list(ts ? ts : l->st, pipeline, l->newest, l->arena, &turns, nturns,
                           l->err) < 0)
        rc = -1;
    if (ts)
        vg_store_close(ts);
    vg_arena_free(l->arena);
    return rc;
}

/* One line: the checkpoint and its offsets. */
static int text_one(lister *l, const vg_store_ckpt *c)
{
    char when[32];
    vg_ts_format(c->created_at, when);
    fprintf(l->out, "checkpoint %" PRId64 "  epoch %" PRId64 "  %s  %" PRId64 " bytes", c->id,
            c->epoch, when, c->bytes);
    for (uint32_t i = 0; i < c->noffsets; i++)
        fprintf(l->out, "  %s[%d]=%" PRId64, c->offsets[i].source, (int)c->offsets[i].partition,
                c->offsets[i].next_offset);
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
    lister l = {.st = st, .write = text_one, .out = out, .err = err};
    uint32_t nturns;
    int rc = walk(&l, pipeline, &nturns);
    if (rc == 0 && l.n)
        fprintf(out,
                "%u checkpoint%s of pipeline '%s' in store '%s', %u turn%s logged since the "
                "newest\n",
                l.n, l.n == 1 ? "" : "s", pipeline, store_path, nturns, nturns == 1 ? "" : "s");
    else if (rc == 0)
        fprintf(out, "no checkpoints of pipeline '%s' in store '%s'\n", pipeline, store_path);
    vg_store_close(st);
    return rc;
}

static int put_str(vg_buf *b, const char *s) { return vg_json_write_string(b, s, strlen(s)); }

/* One JSON object: the checkpoint, its offsets, sinks and versions. */
static int json_one(lister *l, const vg_store_ckpt *c)
{
    vg_buf *b = l->buf;
    char when[32];
    vg_ts_format(c->created_at, when);
    int rc = vg_buf_printf(b, "%s{\"id\":%" PRId64 ",\"epoch\":%" PRId64 ",\"created_at\":\"%s\","
                              "\"bytes\":%" PRId64 ",\"plan\":",
                           l->n > 1 ? "," : "", c->id, c->epoch, when, c->bytes) |
             put_str(b, c->plan_fp) | vg_buf_puts(b, ",\"offsets\":[");
    for (uint32_t i = 0; i < c->noffsets; i++) {
        const vg_store_offset *o = &c->offsets[i];
        rc |= vg_buf_puts(b, i ? ",{\"source\":" : "{\"source\":") | put_str(b, o->source) |
              vg_buf_puts(b, ",\"topic\":") | put_str(b, o->topic) |
              vg_buf_printf(b, ",\"partition\":%d,\"next_offset\":%" PRId64 "}", (int)o->partition,
                            o->next_offset);
    }
    rc |= vg_buf_puts(b, "],\"sinks\":[");
    for (uint32_t i = 0; i < c->nsinks; i++) {
        const vg_store_sink_pos *k = &c->sinks[i];
        rc |= vg_buf_puts(b, i ? ",{\"sink\":" : "{\"sink\":") | put_str(b, k->sink) |
              vg_buf_puts(b, ",\"position\":") |
              (k->position ? put_str(b, k->position) : vg_buf_puts(b, "null")) |
              (k->rows >= 0 ? vg_buf_printf(b, ",\"rows\":%" PRId64 "}", k->rows)
                            : vg_buf_puts(b, ",\"rows\":null}"));
    }
    rc |= vg_buf_puts(b, "],\"versions\":[");
    for (uint32_t i = 0; i < c->nversions; i++) {
        const vg_store_version *v = &c->versions[i];
        rc |= vg_buf_puts(b, i ? ",{\"kind\":" : "{\"kind\":") | put_str(b, v->kind) |
              vg_buf_puts(b, ",\"name\":") | put_str(b, v->name) |
              vg_buf_printf(b, ",\"version\":%" PRId64 "}", v->version);
    }
    rc |= vg_buf_puts(b, "]}");
    return rc < 0 ? vg_error_set(l->err, VG_ERR_NOMEM, "out of memory") : 0;
}

int vg_checkpoint_cmd_json(vg_store *st, const char *pipeline, vg_buf *out, vg_error *err)
{
    size_t mark = out->len;
    lister l = {.st = st, .write = json_one, .buf = out, .err = err};
    uint32_t nturns = 0;
    int rc = vg_buf_puts(out, "{\"pipeline\":") | put_str(out, pipeline) |
             vg_buf_puts(out, ",\"checkpoints\":[");
    if (rc < 0)
        rc = vg_error_set(err, VG_ERR_NOMEM, "out of memory");
    if (rc == 0)
        rc = walk(&l, pipeline, &nturns);
    if (rc == 0 && vg_buf_printf(out, "],\"turns_logged\":%u}\n", nturns) < 0)
        rc = vg_error_set(err, VG_ERR_NOMEM, "out of memory");
    if (rc < 0)
        out->len = mark;
    return rc;
}

int vg_checkpoint_cmd_drop(const char *store_path, const char *pipeline, FILE *out, vg_error *err)
{
    vg_store *st = vg_store_open(store_path, err);
    if (!st)
        return -1;
    vg_store *ts = NULL;
    int64_t turns = 0, logged = 0;
    uint32_t dropped = 0;
    int rc = turns_open(store_path, &ts, err);
    if (rc == 0)
        rc = vg_store_turn_count(st, pipeline, &turns, err);
    if (rc == 0 && ts && (rc = vg_store_turn_count(ts, pipeline, &logged, err)) == 0)
        turns += logged;
    if (rc == 0 && ts)
        rc = vg_store_turn_prune(ts, pipeline, INT64_MAX, err);
    if (rc == 0)
        rc = vg_store_ckpt_drop(st, pipeline, &dropped, err);
    if (rc == 0)
        fprintf(out,
                "dropped %u checkpoint%s and %" PRId64 " logged turn%s of pipeline '%s' "
                "from store '%s'\n",
                dropped, dropped == 1 ? "" : "s", turns, turns == 1 ? "" : "s", pipeline,
                store_path);
    if (ts)
        vg_store_close(ts);
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
