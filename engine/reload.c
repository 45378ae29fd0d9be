/*
 * reload.c — a reload's two steps (engine/reload.h): prepare pairs the
 * stateful operators of the new plan (B) with those of the running one (A)
 * and writes the state plan; apply opens B's DAG and carries the state.
 *
 * Pairing goes in passes, each taking what the one before left:
 *
 *   1. kept: a node of B and one of A with the same fingerprint (the k-th
 *      of B with a fingerprint takes the k-th of A with it, in plan order);
 *   2. streams, by name: a stream whose columns changed carries its
 *      watermarks (their bytes do not depend on the columns);
 *   3. OVER: a node of B and one of A with the same rows and the same
 *      PARTITION BY and ORDER BY columns by lineage (reload_lineage.c), one
 *      of the same name first: rebuilt when over_reload_check accepts it;
 *   4. the rest: a node of B with the name and kind of one of A left over
 *      replaces it and starts empty (A's state is dropped); any other starts
 *      empty as new;
 *
 * and every node of A still left over is dropped. Sinks are paired by name.
 */
#include <string.h>

#include "engine/pipeline.h"
#include "engine/registry.h"
#include "engine/reload_int.h"
#include "engine/runner_common.h"

/* How a node of B gets its state in apply. */
typedef enum carry_how {
    CARRY_NONE,  /* empty */
    CARRY_BYTES, /* the kind's snapshot of A's node, restored (kept; a stream rebuilt) */
    CARRY_OVER,  /* over_reload_carry */
} carry_how;

struct vg_reload {
    const vg_plan *running;       /* A (borrowed) */
    vg_pipeline *pipe;            /* owns B; NULL once taken */
    const vg_plan *plan;          /* B */
    struct vg_registry *registry; /* B's models and rulesets; owned until taken */
    reload_lineage la, lb;        /* A's and B's lineage */
    int32_t *from;                /* by B node id: the A node it takes state from, or -1 */
    carry_how *how;               /* by B node id */
    vg_reload_report *report;     /* owned until taken */
};

static int nomem(vg_error *err) { return vg_error_set(err, VG_ERR_NOMEM, "out of memory"); }

static bool stateful(const vg_plan_node *n)
{
    const vg_op_kind *k = vg_op_kind_for(n->kind);
    return k && k->snapshot;
}

static const char *kind_name(const vg_plan_node *n)
{
    const vg_op_kind *k = vg_op_kind_for(n->kind);
    return k ? k->name : "operator";
}

/* ---- names ---- */

/* The key columns (slots of the input) of a keyed kind; NULL for others. */
static const uint32_t *keys_of(const vg_plan_node *n, uint32_t *nkeys)
{
    *nkeys = 0;
    switch (n->kind) {
    case VG_PLAN_OVER:
        *nkeys = n->u.over.nkeys;
        return n->u.over.keys;
    case VG_PLAN_GROUP:
        *nkeys = n->u.group.nkeys;
        return n->u.group.keys;
    case VG_PLAN_RANK:
        *nkeys = n->u.rank.nkeys;
        return n->u.rank.keys;
    case VG_PLAN_MATCH:
        *nkeys = n->u.match->nkeys;
        return n->u.match->keys;
    case VG_PLAN_WINDOW:
        *nkeys = n->u.window.nkeys;
        return n->u.window.keys;
    default:
        return NULL;
    }
}

/* Whether node n is `to` or one of its inputs, however far up. */
static bool feeds(const vg_plan_node *n, const vg_plan_node *to)
{
    if (n == to)
        return true;
    for (uint32_t i = 0; i < to->ninputs; i++)
        if (feeds(n, to->inputs[i]))
            return true;
    return false;
}

/* The one sink n's rows reach, or NULL (none, or several). */
static const char *sink_of(const vg_plan *p, const vg_plan_node *n)
{
    const char *found = NULL;
    for (uint32_t i = 0; i < p->nsinks; i++) {
        if (!feeds(n, p->sinks[i]))
            continue;
        if (found && strcmp(found, p->sinks[i]->name) != 0)
            return NULL;
        found = p->sinks[i]->name;
    }
    return found;
}

/* n's name in the state plan: its own (stream, view, sink); for an operator
 * inside a view, the view's, with its keys when the view has several
 * stateful operators (velocity_by_card_id), as live tables are named;
 * else <kind>_<node id>, and the sink it writes to when there is one
 * ("window_16 (merchant_minutes)"). In a; NULL when out of memory. */
static const char *label(const vg_plan *p, const vg_plan_node *n, vg_arena *a)
{
    if (n->name)
        return n->name;
    if (!n->view) {
        const char *sink = sink_of(p, n);
        return sink ? vg_arena_printf(a, "%s_%u (%s)", kind_name(n), n->id, sink)
                    : vg_arena_printf(a, "%s_%u", kind_name(n), n->id);
    }
    uint32_t others = 0, nkeys;
    for (uint32_t i = 0; i < p->nnodes; i++)
        others += p->nodes[i] != n && stateful(p->nodes[i]) && p->nodes[i]->view &&
                  strcmp(p->nodes[i]->view, n->view) == 0;
    const uint32_t *keys = keys_of(n, &nkeys);
    if (!others)
        return n->view;
    if (!nkeys)
        return vg_arena_printf(a, "%s_%u", n->view, n->id);
    char *s = vg_arena_printf(a, "%s_by", n->view);
    for (uint32_t k = 0; k < nkeys; k++)
        s = reload_cat(a, reload_cat(a, s, "_"), n->inputs[0]->schema.cols[keys[k]].name);
    return s;
}

/* ---- pairing ---- */

/* What pairing works out, per node of each plan. */
typedef struct pairing {
    vg_reload *r;                  /* whose plans: r->from and r->how are filled here */
    const vg_plan *pa, *pb;        /* A (running) and B (new) */
    int32_t *a_peer, *b_peer;      /* by node id: the node of the other plan, -1 */
    const char **a_name, **b_name; /* by node id: label() of stateful nodes */
    vg_reload_action *b_action;    /* by B node id */
    const char **b_why, **a_why;   /* why; a_why: why a dropped node's state goes */
    vg_arena *a;                   /* all of the above, and texts */
} pairing;

static void pair(pairing *pr, uint32_t ia, uint32_t ib, vg_reload_action act, carry_how how,
                 const char *why)
{
    pr->a_peer[ia] = (int32_t)ib;
    pr->b_peer[ib] = (int32_t)ia;
    pr->b_action[ib] = act;
    pr->b_why[ib] = why;
    if (act != VG_RELOAD_EMPTY) {
        pr->r->from[ib] = (int32_t)ia;
        pr->r->how[ib] = how;
    }
}

/* Whether stateful node i of A (of B) is still free. */
static bool free_a(const pairing *pr, uint32_t i)
{
    return pr->a_peer[i] < 0 && stateful(pr->pa->nodes[i]);
}

static bool free_b(const pairing *pr, uint32_t i)
{
    return pr->b_peer[i] < 0 && stateful(pr->pb->nodes[i]);
}

static void pass_kept(pairing *pr)
{
    for (uint32_t ib = 0; ib < pr->pb->nnodes; ib++)
        for (uint32_t ia = 0; ia < pr->pa->nnodes && free_b(pr, ib); ia++)
            if (free_a(pr, ia) && pr->r->la.fps[ia] == pr->r->lb.fps[ib])
                pair(pr, ia, ib, VG_RELOAD_KEPT, CARRY_BYTES, "");
}

static void pass_streams(pairing *pr)
{
    for (uint32_t i = 0; i < pr->pb->nsources; i++) {
        const vg_plan_node *nb = pr->pb->sources[i];
        for (uint32_t j = 0; j < pr->pa->nsources && free_b(pr, nb->id); j++) {
            const vg_plan_node *na = pr->pa->sources[j];
            if (free_a(pr, na->id) && strcmp(na->name, nb->name) == 0)
                pair(pr, na->id, nb->id, VG_RELOAD_REBUILT, CARRY_BYTES,
                     "its columns changed; its watermarks carried over");
        }
    }
}

/* Whether OVER nodes na and nb see the same rows with the same keys and order. */
static bool same_rows_keys(const pairing *pr, const vg_plan_node *na, const vg_plan_node *nb)
{
    const char *const *ca = reload_in_cols(&pr->r->la, na);
    const char *const *cb = reload_in_cols(&pr->r->lb, nb);
    const struct vg_plan_over *oa = &na->u.over, *ob = &nb->u.over;
    if (pr->r->la.rows[na->inputs[0]->id] != pr->r->lb.rows[nb->inputs[0]->id] ||
        oa->nkeys != ob->nkeys || strcmp(ca[oa->order_col], cb[ob->order_col]) != 0)
        return false;
    for (uint32_t k = 0; k < oa->nkeys; k++)
        if (strcmp(ca[oa->keys[k]], cb[ob->keys[k]]) != 0)
            return false;
    return true;
}

/* An OVER node of B not kept: rebuilt from a free OVER node of A over the
 * same rows and keys (the one of its name first); when none can serve it
 * but the one of its name sees the same rows, it replaces that one. 0, or
 * -1 when out of memory. */
static int pair_over(pairing *pr, const vg_plan_node *nb)
{
    int32_t named = -1;
    const char *why = NULL, *named_why = NULL;
    for (int pass = 0; pass < 2; pass++)
        for (uint32_t ia = 0; ia < pr->pa->nnodes; ia++) {
            const vg_plan_node *na = pr->pa->nodes[ia];
            bool same_name = strcmp(pr->a_name[ia] ? pr->a_name[ia] : "", pr->b_name[nb->id]) == 0;
            if (!free_a(pr, ia) || na->kind != VG_PLAN_OVER || same_name != (pass == 0) ||
                !same_rows_keys(pr, na, nb))
                continue;
            int ok = over_reload_check(na, nb, reload_in_cols(&pr->r->la, na),
                                       reload_in_cols(&pr->r->lb, nb), pr->a, &why);
            if (ok < 0)
                return -1;
            if (ok) {
                pair(pr, ia, nb->id, VG_RELOAD_REBUILT, CARRY_OVER, why);
                return 0;
            }
            if (same_name) {
                named = (int32_t)ia;
                named_why = why;
            }
        }
    if (named >= 0)
        pair(pr, (uint32_t)named, nb->id, VG_RELOAD_EMPTY, CARRY_NONE, named_why);
    return 0;
}

/* Why node nb of B cannot take the state of na of A, of its name and kind. */
static const char *why_replaced(const pairing *pr, const vg_plan_node *na, const vg_plan_node *nb)
{
    bool same_input = na->ninputs == nb->ninputs;
    for (uint32_t k = 0; same_input && k < na->ninputs; k++)
        same_input = pr->r->la.fps[na->inputs[k]->id] == pr->r->lb.fps[nb->inputs[k]->id];
    if (nb->kind == VG_PLAN_OVER && same_input)
        return "its PARTITION BY or ORDER BY changed";
    if (nb->kind == VG_PLAN_OVER || !same_input)
        return "its input changed";
    return vg_arena_printf(pr->a,
                           "its definition changed (the state of a %s operator is "
                           "only kept when it is unchanged)",
                           kind_name(nb));
}

/* Pass 3 and 4. 0, or -1 when out of memory. */
static int pass_changed(pairing *pr)
{
    for (uint32_t ib = 0; ib < pr->pb->nnodes; ib++)
        if (free_b(pr, ib) && pr->pb->nodes[ib]->kind == VG_PLAN_OVER &&
            pair_over(pr, pr->pb->nodes[ib]) < 0)
            return -1;
    for (uint32_t ib = 0; ib < pr->pb->nnodes; ib++) {
        const vg_plan_node *nb = pr->pb->nodes[ib];
        for (uint32_t ia = 0; ia < pr->pa->nnodes && free_b(pr, ib); ia++) {
            const vg_plan_node *na = pr->pa->nodes[ia];
            if (free_a(pr, ia) && na->kind == nb->kind &&
                strcmp(pr->a_name[ia], pr->b_name[ib]) == 0)
                pair(pr, ia, ib, VG_RELOAD_EMPTY, CARRY_NONE, why_replaced(pr, na, nb));
        }
        if (free_b(pr, ib)) {
            pr->b_action[ib] = VG_RELOAD_EMPTY;
            pr->b_why[ib] = "new";
        }
    }
    for (uint32_t i = 0; i < pr->pb->nnodes; i++)
        if (stateful(pr->pb->nodes[i]) && !pr->b_why[i])
            return -1;
    return 0;
}

/* ---- the state plan ---- */

static int add_node(pairing *pr, vg_reload_report *rp, const vg_plan_node *n, bool in_b,
                    vg_reload_action act, const char *why)
{
    char fp[VG_FP_HEX];
    vg_plan_fp_format((in_b ? pr->r->lb.fps : pr->r->la.fps)[n->id], fp);
    int32_t peer = (in_b ? pr->b_peer : pr->a_peer)[n->id];
    return reload_report_add(rp, act, true, kind_name(n), (in_b ? pr->b_name : pr->a_name)[n->id],
                             in_b ? (int32_t)n->id : -1, in_b ? peer : (int32_t)n->id, fp, why);
}

static bool has_sink(const vg_plan *p, const char *name, uint32_t upto)
{
    for (uint32_t i = 0; i < upto && i < p->nsinks; i++)
        if (strcmp(p->sinks[i]->name, name) == 0)
            return true;
    return false;
}

/* The sinks: B's (going on, or new), then A's that B does not write. */
static int add_sinks(const pairing *pr, vg_reload_report *rp)
{
    int rc = 0;
    for (uint32_t i = 0; i < pr->pb->nsinks && !rc; i++) {
        const char *name = pr->pb->sinks[i]->name;
        if (has_sink(pr->pb, name, i))
            continue; /* two INSERTs into one sink: one channel */
        bool old = has_sink(pr->pa, name, pr->pa->nsinks);
        rc = reload_report_add(rp, old ? VG_RELOAD_KEPT : VG_RELOAD_EMPTY, false, "sink", name,
                               (int32_t)pr->pb->sinks[i]->id, -1, NULL, old ? "" : "new");
    }
    for (uint32_t i = 0; i < pr->pa->nsinks && !rc; i++) {
        const char *name = pr->pa->sinks[i]->name;
        if (!has_sink(pr->pa, name, i) && !has_sink(pr->pb, name, pr->pb->nsinks))
            rc = reload_report_add(rp, VG_RELOAD_DROPPED, false, "sink", name, -1,
                                   (int32_t)pr->pa->sinks[i]->id, NULL, "no longer written");
    }
    return rc;
}

static int write_report(pairing *pr, vg_reload_report *rp)
{
    int rc = 0;
    for (uint32_t i = 0; i < pr->pb->nnodes && !rc; i++)
        if (stateful(pr->pb->nodes[i]))
            rc = add_node(pr, rp, pr->pb->nodes[i], true, pr->b_action[i], pr->b_why[i]);
    for (uint32_t i = 0; i < pr->pa->nnodes && !rc; i++) {
        if (!stateful(pr->pa->nodes[i]))
            continue;
        int32_t peer = pr->a_peer[i];
        if (peer < 0)
            rc = add_node(pr, rp, pr->pa->nodes[i], false, VG_RELOAD_DROPPED,
                          "no longer in the plan");
        else if (pr->b_action[peer] == VG_RELOAD_EMPTY)
            rc = add_node(pr, rp, pr->pa->nodes[i], false, VG_RELOAD_DROPPED,
                          "replaced by a new definition, which starts empty");
    }
    return rc ? rc : add_sinks(pr, rp);
}

/* Pair the two plans and write r->report. */
static int plan_state(vg_reload *r, const char *path, vg_error *err)
{
    const vg_plan *pa = r->running, *pb = r->plan;
    vg_arena *a = vg_arena_new(VG_MEM_SQL, 8192);
    pairing pr = {.r = r, .pa = pa, .pb = pb, .a = a};
    size_t na = pa->nnodes + 1, nb = pb->nnodes + 1;
    if (a) {
        pr.a_peer = vg_arena_alloc(a, na * sizeof *pr.a_peer);
        pr.b_peer = vg_arena_alloc(a, nb * sizeof *pr.b_peer);
        pr.a_name = vg_arena_calloc(a, na * sizeof *pr.a_name);
        pr.b_name = vg_arena_calloc(a, nb * sizeof *pr.b_name);
        pr.b_action = vg_arena_calloc(a, nb * sizeof *pr.b_action);
        pr.b_why = vg_arena_calloc(a, nb * sizeof *pr.b_why);
    }
    int rc = a && pr.a_peer && pr.b_peer && pr.a_name && pr.b_name && pr.b_action && pr.b_why &&
                     (r->report = reload_report_new(path))
                 ? 0
                 : -1;
    for (uint32_t i = 0; rc == 0 && i < pa->nnodes; i++) {
        pr.a_peer[i] = -1;
        if (stateful(pa->nodes[i]) && !(pr.a_name[i] = label(pa, pa->nodes[i], a)))
            rc = -1;
    }
    for (uint32_t i = 0; rc == 0 && i < pb->nnodes; i++) {
        pr.b_peer[i] = -1;
        if (stateful(pb->nodes[i]) && !(pr.b_name[i] = label(pb, pb->nodes[i], a)))
            rc = -1;
    }
    if (rc == 0) {
        pass_kept(&pr);
        pass_streams(&pr);
        rc = pass_changed(&pr);
    }
    if (rc == 0)
        rc = write_report(&pr, r->report);
    vg_arena_free(a);
    return rc < 0 ? nomem(err) : 0;
}

/* ---- prepare ---- */

static const vg_plan_node *stream_named(const vg_plan *p, const char *name)
{
    for (uint32_t i = 0; i < p->nsources; i++)
        if (strcmp(p->sources[i]->name, name) == 0)
            return p->sources[i];
    return NULL;
}

/* B reads the streams A reads: a runner's inputs do not change. */
static int same_streams(const vg_plan *pa, const vg_plan *pb, vg_error *err)
{
    for (uint32_t i = 0; i < pb->nsources; i++) {
        const vg_plan_node *n = pb->sources[i];
        if (!stream_named(pa, n->name))
            return vg_error_at(err, VG_ERR_SEMANTIC, n->src, n->span,
                               "a reload cannot add a stream: '%s' is new (restart the pipeline "
                               "to read it)",
                               n->name);
    }
    for (uint32_t i = 0; i < pa->nsources; i++)
        if (!stream_named(pb, pa->sources[i]->name))
            return vg_error_set(err, VG_ERR_SEMANTIC,
                                "a reload cannot remove a stream: '%s' is no longer declared "
                                "(restart the pipeline)",
                                pa->sources[i]->name);
    return 0;
}

vg_reload *vg_reload_prepare(const vg_reload_opts *o, vg_error *err)
{
    vg_reload *r = vg_calloc(VG_MEM_SQL, 1, sizeof *r);
    if (!r) {
        nomem(err);
        return NULL;
    }
    r->running = o->running;
    bool owned = false;
    int rc = (r->pipe = vg_pipeline_load(o->path, err)) ? 0 : -1;
    if (rc == 0) {
        r->plan = vg_pipeline_plan(r->pipe);
        rc = same_streams(r->running, r->plan, err);
    }
    if (rc == 0) {
        size_t n = r->plan->nnodes + 1;
        r->from = vg_calloc(VG_MEM_SQL, n, sizeof *r->from);
        r->how = vg_calloc(VG_MEM_SQL, n, sizeof *r->how);
        rc = r->from && r->how ? 0 : nomem(err);
        for (uint32_t i = 0; rc == 0 && i < r->plan->nnodes; i++)
            r->from[i] = -1;
    }
    if (rc == 0)
        rc = vg_runner_open_registry(r->plan, NULL, o->store_path, &r->registry, &owned, err);
    if (rc == 0 && reload_lineage_open(&r->la, r->running, err) == 0 &&
        reload_lineage_open(&r->lb, r->plan, err) == 0 && plan_state(r, o->path, err) == 0) {
        vg_fp fa, fb;
        if (vg_plan_fingerprint(r->running, &fa, NULL, err) == 0 &&
            vg_plan_fingerprint(r->plan, &fb, NULL, err) == 0) {
            vg_plan_fp_format(fa, r->report->running_fp);
            vg_plan_fp_format(fb, r->report->plan_fp);
            return r;
        }
    }
    vg_reload_free(r);
    return NULL;
}

void vg_reload_free(vg_reload *r)
{
    if (!r)
        return;
    vg_registry_free(r->registry);
    vg_pipeline_free(r->pipe);
    reload_lineage_close(&r->la);
    reload_lineage_close(&r->lb);
    vg_reload_report_free(r->report);
    vg_free(r->from);
    vg_free(r->how);
    vg_free(r);
}

const vg_reload_report *vg_reload_report_of(const vg_reload *r) { return r->report; }

vg_reload_report *vg_reload_take_report(vg_reload *r)
{
    vg_reload_report *rp = r->report;
    r->report = NULL;
    return rp;
}

const vg_plan *vg_reload_plan(const vg_reload *r) { return r->plan; }

const struct vg_config *vg_reload_config(const vg_reload *r) { return vg_pipeline_config(r->pipe); }

struct vg_pipeline *vg_reload_take_pipeline(vg_reload *r)
{
    vg_pipeline *p = r->pipe;
    r->pipe = NULL;
    return p;
}

struct vg_registry *vg_reload_take_registry(vg_reload *r)
{
    struct vg_registry *g = r->registry;
    r->registry = NULL;
    return g;
}

struct vg_registry *vg_reload_registry(const vg_reload *r) { return r->registry; }

vg_reload_status vg_reload_decide(const vg_reload *r, const vg_reload_request *rq,
                                  vg_reload_answer *ans)
{
    const vg_reload_report *rp = r->report;
    if (rq->dry_run) {
        ans->status = VG_RELOAD_DRY_RUN;
    } else if (rp && rp->lost && !rq->confirm) {
        char msg[400];
        vg_reload_lost_message(rp, msg, sizeof msg);
        vg_error_set(&ans->err, VG_ERR_USAGE, "%s", msg);
        ans->status = VG_RELOAD_UNCONFIRMED;
    } else {
        ans->status = VG_RELOAD_APPLIED;
    }
    return ans->status;
}

/* ---- apply ---- */

static vg_channel *channel_named(vg_dag *d, const char *name)
{
    for (uint32_t i = 0; i < vg_dag_nchannels(d); i++)
        if (strcmp(vg_dag_channel(d, i)->name, name) == 0)
            return vg_dag_channel(d, i);
    return NULL;
}

/* Refuse to lose rows: a channel of A with unwritten rows goes on in B. */
static int check_channels(const vg_reload *r, vg_dag *running, vg_error *err)
{
    for (uint32_t i = 0; i < vg_dag_nchannels(running); i++) {
        const vg_channel *ch = vg_dag_channel(running, i);
        if (ch->buf.len && !has_sink(r->plan, ch->name, r->plan->nsinks))
            return vg_error_set(err, VG_ERR_USAGE,
                                "sink '%s' has rows not written yet, and the new plan has no "
                                "such sink: write the sinks before the reload",
                                ch->name);
    }
    return 0;
}

static int carry_bytes(vg_op *from, vg_op *to, vg_buf *b, vg_error *err)
{
    vg_buf_clear(b);
    if (from->kind->snapshot(from, b, err) < 0)
        return -1;
    return b->len && to->kind->restore(to, b->p, b->len, err) < 0 ? -1 : 0;
}

/* The state of every node of B that takes one, and its watermark. */
static int carry_all(vg_reload *r, vg_dag *running, vg_dag *d, vg_error *err)
{
    vg_buf b;
    vg_buf_init(&b, VG_MEM_STATE);
    int rc = 0;
    for (uint32_t i = 0; i < r->plan->nnodes && rc == 0; i++) {
        if (r->how[i] == CARRY_NONE)
            continue;
        vg_op *from = vg_dag_op(running, (uint32_t)r->from[i]), *to = vg_dag_op(d, i);
        if (r->how[i] == CARRY_BYTES)
            rc = carry_bytes(from, to, &b, err);
        else
            rc = over_reload_carry(from, to, reload_in_cols(&r->la, from->node),
                                   reload_in_cols(&r->lb, to->node), err);
        to->wm = from->wm;
    }
    vg_buf_free(&b);
    return rc;
}

/* Every node of B that took no state gets the watermark of its inputs, as
 * if it had run all along; in plan order, so inputs come first. */
static void carry_watermarks(const vg_reload *r, vg_dag *d)
{
    for (uint32_t i = 0; i < r->plan->nnodes; i++) {
        const vg_plan_node *n = r->plan->nodes[i];
        vg_op *op = vg_dag_op(d, i);
        if (r->how[i] != CARRY_NONE || !n->ninputs)
            continue;
        int64_t wm = VG_WM_MAX;
        for (uint32_t k = 0; k < n->ninputs; k++) {
            int64_t in = vg_dag_op(d, n->inputs[k]->id)->wm;
            wm = in < wm ? in : wm;
        }
        if (wm <= op->wm)
            continue;
        if (op->kind->watermark)
            op->kind->watermark(op, wm); /* (empty: it fires nothing, and forwards) */
        else
            op->wm = wm;
    }
}

/* Each sink that goes on takes its unwritten rows and row count. */
static void carry_channels(vg_dag *running, vg_dag *d)
{
    for (uint32_t i = 0; i < vg_dag_nchannels(d); i++) {
        vg_channel *to = vg_dag_channel(d, i), *from = channel_named(running, to->name);
        if (!from)
            continue;
        vg_buf tmp = to->buf;
        to->buf = from->buf;
        from->buf = tmp;
        to->rows = from->rows;
    }
}

int vg_reload_apply(vg_reload *r, vg_dag *running, vg_dag **out, vg_error *err)
{
    *out = NULL;
    if (!r->pipe || vg_dag_plan(running) != r->running)
        return vg_error_set(err, VG_ERR_USAGE, "the reload was not prepared for this DAG");
    if (check_channels(r, running, err) < 0)
        return -1;
    vg_dag *d = vg_dag_open_with(r->plan, r->registry, err);
    if (!d)
        return -1;
    if (carry_all(r, running, d, err) < 0) {
        vg_dag_close(d);
        return -1;
    }
    carry_watermarks(r, d);
    carry_channels(running, d);
    vg_dag_add_late_rows(d, vg_dag_late_rows(running));
    *out = d;
    return 0;
}
