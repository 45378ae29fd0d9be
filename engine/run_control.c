/*
 * run_control.c — the control topic of `vigil run` (pipeline.yaml
 * `control`): commands as JSON messages, answered between turns.
 *
 *     {"op": "reload", "id": 7}                             (dry_run, confirm as POST /reload)
 *     {"op": "activate_model", "model": "m", "version": 2}
 *     {"op": "rules", "ruleset": "r", "version": 3}         (or "rules": [...] as POST /rules)
 *
 * Each command is what the admin API's endpoint of the same meaning does
 * (vg_admin_command: the same checks, answers and state plans); without
 * an admin API the run makes one without a server for them. Its outcome,
 * one JSON line with the command's "id", goes to standard error, to the
 * metrics, and to `control.reply` (a topic or a file) when there is one.
 *
 * The consumer joins no group and reads every partition of the topic from
 * its end as it is when the run starts: a command is done by the runs
 * that are running when it is sent, never again by a restart. It is no
 * source of the pipeline: nothing of it goes into the turn log or the
 * checkpoints. A malformed command gets an error reply; a consumer error
 * that is not fatal is logged and skipped, as for the streams.
 */
#include <errno.h>
#include <string.h>

#include "engine/alloc.h"
#include "engine/path.h"
#include "engine/run_int.h"

#define BATCH 16 /* commands taken from a partition per poll */

struct run_control {
    vg_kafka_source *ks;   /* the commands' consumer */
    int32_t *parts;        /* the topic's partitions, 0..nparts-1 */
    uint32_t nparts;
    vg_kafka_sink *reply_ks; /* control.reply.kafka, or NULL */
    FILE *reply_f;           /* control.reply.file, or NULL */
    vg_buf reply;            /* the reply being written */
    vg_kafka_msg msgs[BATCH];
};

static int nomem(vg_error *err) { return vg_error_set(err, VG_ERR_NOMEM, "out of memory"); }

/* Assign every partition of the topic from its end now. */
static int assign_ends(run_control *c, vg_error *err)
{
    int n = vg_kafka_source_partition_count(c->ks, 10000, err);
    if (n < 0)
        return -1;
    int64_t *ends = vg_calloc(VG_MEM_IO, (size_t)n + 1, sizeof *ends);
    c->parts = vg_calloc(VG_MEM_IO, (size_t)n + 1, sizeof *c->parts);
    int rc = ends && c->parts ? 0 : nomem(err);
    for (int i = 0; rc == 0 && i < n; i++) {
        c->parts[i] = i;
        rc = vg_kafka_source_end(c->ks, i, 10000, &ends[i], err);
    }
    if (rc == 0)
        rc = vg_kafka_source_assign(c->ks, c->parts, ends, (uint32_t)n, err);
    c->nparts = rc == 0 ? (uint32_t)n : 0;
    vg_free(ends);
    return rc;
}

/* Where replies go, besides standard error. */
static int open_reply(run *r, run_control *c, vg_error *err)
{
    const vg_config *cfg = r->cfg;
    if (cfg->control.reply_topic && cfg->control.reply_path)
        return vg_error_set(err, VG_ERR_CONFIG,
                            "control.reply has both 'kafka' and 'file'; choose one");
    if (cfg->control.reply_path) {
        vg_path_make_parents(cfg->control.reply_path);
        if (!(c->reply_f = fopen(cfg->control.reply_path, "a")))
            return vg_error_set(err, VG_ERR_IO, "cannot open '%s': %s", cfg->control.reply_path,
                                strerror(errno));
        return 0;
    }
    if (!cfg->control.reply_topic)
        return 0;
    vg_kafka_sink_opts ko = {.name = "control.reply",
                             .bootstrap = cfg->control.reply_bootstrap
                                              ? cfg->control.reply_bootstrap
                                              : cfg->control.bootstrap,
                             .topic = cfg->control.reply_topic,
                             .props = cfg->control.props,
                             .nprops = cfg->control.nprops,
                             .log = run_kafka_log,
                             .log_arg = r};
    return (c->reply_ks = vg_kafka_sink_open(&ko, err)) ? 0 : -1;
}

int run_control_open(run *r, vg_error *err)
{
    const vg_config *cfg = r->cfg;
    if (!cfg->control.topic)
        return 0;
    run_control *c = r->control = vg_calloc(VG_MEM_IO, 1, sizeof *c);
    if (!c)
        return nomem(err);
    vg_buf_init(&c->reply, VG_MEM_IO);
    if (!r->admin && !(r->admin = r->own_admin = vg_admin_new(r->plan, NULL, err)))
        return -1;
    vg_kafka_source_opts ko = {.name = "control",
                               .bootstrap = cfg->control.bootstrap,
                               .topic = cfg->control.topic,
                               .group = "vigil-control",
                               .props = cfg->control.props,
                               .nprops = cfg->control.nprops,
                               .manual = true,
                               .log = run_kafka_log,
                               .log_arg = r};
    if (!(c->ks = vg_kafka_source_open(&ko, err)) || assign_ends(c, err) < 0 ||
        open_reply(r, c, err) < 0)
        return -1;
    if (r->opts->log)
        fprintf(r->opts->log, "vigil: control topic '%s': commands from now on\n",
                cfg->control.topic);
    return 0;
}

void run_control_close(run *r)
{
    run_control *c = r->control;
    if (!c)
        return;
    vg_kafka_source_close(c->ks);
    if (c->reply_ks) {
        vg_error err;
        vg_error_clear(&err);
        if (vg_kafka_sink_flush(c->reply_ks, 5000, &err) < 0)
            run_warn(r, "control replies not delivered: %s", err.msg);
    }
    vg_kafka_sink_close(c->reply_ks);
    if (c->reply_f)
        fclose(c->reply_f);
    vg_buf_free(&c->reply);
    vg_free(c->parts);
    vg_free(c);
    r->control = NULL;
}

int run_control_fd(const run *r)
{
    return r->control ? vg_kafka_source_fd(r->control->ks) : -1;
}

/* Do one command and write its reply everywhere it goes. */
static int answer(run *r, run_control *c, const vg_kafka_msg *msg, vg_error *err)
{
    vg_buf *b = &c->reply;
    vg_buf_clear(b);
    r->m->control_commands++;
    r->why = "from the control topic";
    bool ok = vg_admin_command(r->admin, msg->value ? msg->value : "", msg->value ? msg->len : 0,
                               b);
    r->why = NULL;
    r->m->control_errors += !ok;
    if (!b->len)
        return nomem(err);
    if (r->opts->log) {
        fprintf(r->opts->log, "vigil: control: %.*s", (int)b->len, b->p);
        fflush(r->opts->log);
    }
    if (c->reply_f && (fwrite(b->p, 1, b->len, c->reply_f) != b->len || fflush(c->reply_f) != 0))
        run_warn(r, "cannot write the control reply: %s", strerror(errno));
    vg_error serr;
    vg_error_clear(&serr);
    if (c->reply_ks && vg_kafka_sink_send(c->reply_ks, msg->key, msg->keylen, b->p, b->len - 1,
                                          &serr) < 0)
        run_warn(r, "cannot send the control reply: %s", serr.msg);
    return 0;
}

int run_control_serve(run *r, vg_error *err)
{
    run_control *c = r->control;
    if (!c)
        return 0;
    if (vg_kafka_source_serve(c->ks, err) < 0)
        return -1;
    for (uint32_t i = 0; i < c->nparts; i++) {
        int n;
        do {
            if ((n = vg_kafka_source_poll_partition(c->ks, c->parts[i], c->msgs, BATCH, 0, err)) <
                0)
                return -1;
            for (int k = 0; k < n; k++)
                if (answer(r, c, &c->msgs[k], err) < 0)
                    return -1;
        } while (n == BATCH && !run_failed(r));
    }
    vg_error perr;
    vg_error_clear(&perr);
    if (c->reply_ks && vg_kafka_sink_poll(c->reply_ks, &perr) < 0)
        run_warn(r, "control replies: %s", perr.msg);
    return 0;
}
