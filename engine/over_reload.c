/*
 * over_reload.c — an OVER operator's state made from a running one's, for
 * a reload (engine/reload.h): the new operator's windows computed from the
 * rows the running one holds.
 *
 * The running operator (A) holds, per partition key, a buffer of records
 * (event time, argument values, FILTER bits) shared by its windows and, per
 * window (frame), its place in the buffer and its running aggregate states
 * (over_int.h). The new one (B) sees the same rows with the same PARTITION
 * BY and ORDER BY (the caller checks that by lineage), and windows that may
 * differ. B's state is built partition by partition:
 *
 *   records  each of A's records, with B's argument values and FILTER bits
 *            taken from A's: every expression B's aggregates read is one
 *            A's read (over_reload_check says so);
 *   windows  a window of B with the frame of one of A's (RANGE or ROWS and
 *            the same extent) takes that one's place in the buffer; another
 *            one takes the place its own frame rule gives it;
 *   states   an aggregate of B that the same window of A computes the same
 *            way takes a copy of its running state, so its value goes on
 *            exactly as it was; any other is computed from the records of
 *            its window's running frame; MIN, MAX and COUNT(DISTINCT) of a
 *            bounded window read the records again and move into states past
 *            OVER_SMALL rows, as they do on arrival (over_size_changed);
 *
 * then B evicts by its own rules at A's watermark, so that its state is one
 * B could have reached by itself. A is only read.
 *
 * Why the held rows are enough (over_reload_check): A keeps every record a
 * window of it may still need; for each window, RANGE p keeps the rows at or
 * after the watermark less p, ROWS p the rows at or after the watermark and
 * the p before them, UNBOUNDED the rows at or after the watermark (the older
 * ones live on folded into its running states). The buffer is their union.
 * So B's RANGE p' is served when A has a RANGE p >= p', B's ROWS p' when A
 * has a ROWS p >= p' (p' = 0: by any window), and an UNBOUNDED window of B
 * only when A has it with every one of its aggregates: the rows a new
 * aggregate of it would count are gone.
 */
#include <string.h>

#include "engine/over_int.h"
#include "engine/reload_int.h"

/* ---- the check, on plan nodes ---- */

/* The identities of every argument and FILTER of node n's aggregates. */
typedef struct held {
    uint32_t n;       /* identities */
    const char **ids; /* reload_expr_id of each (repeats allowed) */
} held;

static int collect_held(const struct vg_plan_over *o, const char *const *cols, vg_arena *a, held *h)
{
    h->n = 0;
    h->ids = vg_arena_calloc(a, ((size_t)o->naggs * (VG_AGG_MAXARGS + 1) + 1) * sizeof *h->ids);
    if (!h->ids)
        return -1;
    for (uint32_t f = 0; f < o->nframes; f++)
        for (uint32_t g = 0; g < o->frames[f].naggs; g++) {
            const vg_plan_agg *ag = &o->frames[f].aggs[g];
            for (uint32_t k = 0; k < ag->call.nargs; k++)
                if (!(h->ids[h->n++] = reload_expr_id(ag->args[k], cols, a)))
                    return -1;
            if (ag->filter && !(h->ids[h->n++] = reload_expr_id(ag->filter, cols, a)))
                return -1;
        }
    return 0;
}

static bool holds(const held *h, const char *id)
{
    for (uint32_t i = 0; i < h->n; i++)
        if (strcmp(h->ids[i], id) == 0)
            return true;
    return false;
}

/* The frame of A with B's frame fb, or -1. */
static int32_t same_frame(const struct vg_plan_over *a, const struct vg_plan_frame *fb)
{
    for (uint32_t f = 0; f < a->nframes; f++)
        if (a->frames[f].frame == fb->frame && a->frames[f].preceding == fb->preceding)
            return (int32_t)f;
    return -1;
}

/* The largest extent of A's frames of kind k (-1: none bounded). */
static int64_t held_extent(const struct vg_plan_over *a, vg_frame_kind k)
{
    int64_t most = -1;
    for (uint32_t f = 0; f < a->nframes; f++)
        if (a->frames[f].frame == k && a->frames[f].preceding > most)
            most = a->frames[f].preceding;
    return most;
}

/* Whether aggregate id is one of A's frame fa's. */
static int in_frame(const struct vg_plan_over *a, int32_t fa, const char *id,
                    const char *const *cols, vg_arena *ar)
{
    for (uint32_t g = 0; fa >= 0 && g < a->frames[fa].naggs; g++) {
        const char *x = reload_agg_id(&a->frames[fa].aggs[g], cols, ar);
        if (!x)
            return -1;
        if (strcmp(x, id) == 0)
            return 1;
    }
    return 0;
}

/* What the check works with. */
typedef struct checker {
    const vg_plan_node *from, *to;                 /* A's node and B's */
    const char *const *from_cols, *const *to_cols; /* their inputs' column identities */
    const char **user;                             /* B's input column names, for messages */
    vg_arena *a;                                   /* texts */
    const char **why;                              /* where the answer's reason goes */
} checker;

/* The name of B's output column of aggregate number i (over every frame). */
static const char *agg_name(const checker *c, uint32_t i)
{
    return c->to->schema.cols[c->to->inputs[0]->schema.ncols + i].name;
}

/* Every argument and FILTER of B's aggregates is held by A. 1, 0 (why), -1. */
static int check_values(checker *c)
{
    held h;
    const struct vg_plan_over *b = &c->to->u.over;
    if (collect_held(&c->from->u.over, c->from_cols, c->a, &h) < 0)
        return -1;
    for (uint32_t f = 0, i = 0; f < b->nframes; f++)
        for (uint32_t g = 0; g < b->frames[f].naggs; g++, i++) {
            const vg_plan_agg *ag = &b->frames[f].aggs[g];
            for (uint32_t k = 0; k <= ag->call.nargs; k++) {
                const vg_expr *e = k < ag->call.nargs ? ag->args[k] : ag->filter;
                const char *id = e ? reload_expr_id(e, c->to_cols, c->a) : NULL;
                if (e && !id)
                    return -1;
                if (!e || holds(&h, id))
                    continue;
                const char *sql = vg_expr_to_sql(e, c->user, c->a);
                *c->why = vg_arena_printf(c->a,
                                          "%s reads %s, which the running window does "
                                          "not hold",
                                          agg_name(c, i), sql ? sql : "?");
                return *c->why ? 0 : -1;
            }
        }
    return 1;
}

/* Each window of B is A's or within the rows A holds. 1, 0 (why), -1. */
static int check_frames(checker *c)
{
    const struct vg_plan_over *a = &c->from->u.over, *b = &c->to->u.over;
    for (uint32_t f = 0, i = 0; f < b->nframes; i += b->frames[f].naggs, f++) {
        const struct vg_plan_frame *fb = &b->frames[f];
        int32_t fa = same_frame(a, fb);
        bool rows = fb->frame == VG_FRAME_ROWS;
        const char *frame = reload_frame_text(c->a, rows, fb->preceding);
        if (fb->preceding < 0) {
            for (uint32_t g = 0; g < fb->naggs; g++) {
                const char *id = reload_agg_id(&fb->aggs[g], c->to_cols, c->a);
                int in = id ? in_frame(a, fa, id, c->from_cols, c->a) : -1;
                if (in < 0)
                    return -1;
                if (!in) {
                    *c->why = vg_arena_printf(c->a,
                                              "%s is new in an UNBOUNDED window: the rows "
                                              "it would count are gone",
                                              agg_name(c, i + g));
                    return *c->why ? 0 : -1;
                }
            }
            continue;
        }
        int64_t most = held_extent(a, fb->frame);
        if (fa >= 0 || fb->preceding == 0 || most >= fb->preceding)
            continue;
        const char *has =
            most < 0 ? "no rows before the watermark"
                     : reload_cat(c->a, "the rows of ", reload_frame_text(c->a, rows, most));
        *c->why = vg_arena_printf(c->a,
                                  "%s over %s needs more rows than the running window "
                                  "holds (%s)",
                                  agg_name(c, i), frame ? frame : "?", has ? has : "?");
        return *c->why ? 0 : -1;
    }
    return 1;
}

/* What the rebuild does, into *why: the aggregates it computes, or that it
 * carries every one. */
static int describe(checker *c)
{
    const struct vg_plan_over *a = &c->from->u.over, *b = &c->to->u.over;
    char *fresh = NULL;
    uint32_t nfresh = 0, carried = 0;
    for (uint32_t f = 0, i = 0; f < b->nframes; f++) {
        int32_t fa = same_frame(a, &b->frames[f]);
        for (uint32_t g = 0; g < b->frames[f].naggs; g++, i++) {
            const char *id = reload_agg_id(&b->frames[f].aggs[g], c->to_cols, c->a);
            int in = id ? in_frame(a, fa, id, c->from_cols, c->a) : -1;
            if (in < 0)
                return -1;
            carried += (uint32_t)in;
            if (in)
                continue;
            fresh = nfresh++ ? reload_cat(c->a, reload_cat(c->a, fresh, ", "), agg_name(c, i))
                             : reload_cat(c->a, "", agg_name(c, i));
            if (!fresh)
                return -1;
        }
    }
    uint32_t gone = a->naggs - carried;
    const char *dropped =
        gone ? vg_arena_printf(c->a, "; %u aggregate%s dropped", gone, gone == 1 ? "" : "s") : "";
    if (nfresh)
        *c->why = vg_arena_printf(c->a, "computes %s from the rows held%s", fresh,
                                  dropped ? dropped : "");
    else
        *c->why = vg_arena_printf(c->a, "carries every aggregate as it was%s",
                                  gone ? dropped : " (its input changed shape)");
    return *c->why ? 1 : -1;
}

int over_reload_check(const vg_plan_node *from, const vg_plan_node *to,
                      const char *const *from_cols, const char *const *to_cols, vg_arena *a,
                      const char **why)
{
    const struct vg_plan_over *oa = &from->u.over, *ob = &to->u.over;
    bool keys = oa->nkeys == ob->nkeys;
    for (uint32_t k = 0; keys && k < oa->nkeys; k++)
        keys = strcmp(from_cols[oa->keys[k]], to_cols[ob->keys[k]]) == 0;
    *why = !keys ? "its PARTITION BY changed"
           : strcmp(from_cols[oa->order_col], to_cols[ob->order_col]) != 0 ? "its ORDER BY changed"
                                                                           : NULL;
    if (*why)
        return 0;
    const vg_schema *in = &to->inputs[0]->schema;
    checker c = {from, to, from_cols, to_cols, NULL, a, why};
    if (!(c.user = vg_arena_calloc(a, (in->ncols + 1) * sizeof *c.user)))
        return -1;
    for (uint32_t i = 0; i < in->ncols; i++)
        c.user[i] = in->cols[i].name;
    int rc = check_values(&c);
    if (rc == 1)
        rc = check_frames(&c);
    return rc == 1 ? describe(&c) : rc;
}

/* ---- the carry, on operator states ---- */

/* How B's state is made from A's. */
typedef struct carry {
    over_state *a, *b; /* the running operator's state (read) and the new one's (built) */
    int32_t *slot;     /* B's slot -> A's slot with its identity */
    int32_t *filter;   /* B's FILTER -> A's */
    int32_t *frame;    /* B's frame -> A's frame with the same frame, or -1 */
    uint32_t *fof;     /* B's aggregate -> its frame */
    int32_t *src;      /* B's aggregate -> the A aggregate whose state it copies, or -1 */
    vg_buf bytes;      /* a state being copied */
    vg_error *err;     /* the first error */
} carry;

static int nomem(vg_error *err) { return vg_error_set(err, VG_ERR_NOMEM, "out of memory"); }

static int misfit(vg_error *err, const char *what)
{
    return vg_error_set(err, VG_ERR_RUNTIME, "cannot rebuild an OVER operator's state: %s", what);
}

/* out[i]: the index of bids[i] among aids, or -1. */
static void match_ids(const char **bids, uint32_t nb, const char **aids, uint32_t na, int32_t *out)
{
    for (uint32_t i = 0; i < nb; i++) {
        out[i] = -1;
        for (uint32_t j = 0; j < na && out[i] < 0; j++)
            if (strcmp(bids[i], aids[j]) == 0)
                out[i] = (int32_t)j;
    }
}

/* The identities of st's slots (what == 0), FILTERs (1) or aggregates (2) into ids. */
static int ids_of(const over_state *st, int what, const char *const *cols, vg_arena *ar,
                  const char **ids)
{
    const struct vg_plan_over *o = &st->node->u.over;
    uint32_t i = 0;
    if (what == 0)
        for (; i < st->nslots; i++)
            ids[i] = reload_expr_id(st->slots[i].expr, cols, ar);
    else if (what == 1)
        for (; i < st->nfilters; i++)
            ids[i] = reload_expr_id(st->filters[i], cols, ar);
    else
        for (uint32_t f = 0; f < o->nframes; f++)
            for (uint32_t g = 0; g < o->frames[f].naggs; g++, i++)
                ids[i] = reload_agg_id(&o->frames[f].aggs[g], cols, ar);
    for (uint32_t k = 0; k < i; k++)
        if (!ids[k])
            return -1;
    return 0;
}

/* Whether B's aggregate x can take a copy of A's y's running state: the
 * same entry points of the library on the same call (SUM and AVG share
 * theirs). */
static bool same_state(const over_agg *x, const over_agg *y)
{
    const vg_agg_call *p = x->call, *q = y->call;
    const vg_agg *e = p->agg, *f = q->agg;
    if (x->how != y->how || !x->has_state || !y->has_state ||
        (x->how != OVER_STATE && x->how != OVER_SCAN))
        return false;
    if (e->init != f->init || e->add != f->add || e->retract != f->retract ||
        e->destroy != f->destroy || e->snapshot != f->snapshot || e->restore != f->restore ||
        p->state_size != q->state_size || p->nargs != q->nargs || p->distinct != q->distinct ||
        p->fifo != q->fifo)
        return false;
    for (uint32_t k = 0; k < p->nargs; k++)
        if (p->argt[k] != q->argt[k])
            return false;
    return true;
}

/* c->src: for each aggregate of B with a state, the one of A whose state it
 * copies (the owner of a SHARED one's), when the same window of A has it. */
static int find_sources(carry *c, const char **aids, const char **bids)
{
    const over_state *a = c->a, *b = c->b;
    for (uint32_t i = 0; i < b->naggs; i++) {
        c->src[i] = -1;
        int32_t fa = c->frame[c->fof[i]];
        const over_frame *f = fa >= 0 ? &a->frames[fa] : NULL;
        for (uint32_t j = f ? f->first : 0; f && j < f->first + f->naggs && c->src[i] < 0; j++) {
            if (strcmp(aids[j], bids[i]) != 0)
                continue;
            uint32_t owner = a->aggs[j].how == OVER_SHARED ? a->aggs[j].owner : j;
            if (same_state(&b->aggs[i], &a->aggs[owner]))
                c->src[i] = (int32_t)owner;
        }
        if (b->frames[c->fof[i]].pre < 0 && b->aggs[i].has_state && c->src[i] < 0)
            return misfit(c->err, "an aggregate of an UNBOUNDED window has no state to copy");
    }
    return 0;
}

/* The maps of c, from the two operators' layouts. */
static int plan_carry(carry *c, const char *const *from_cols, const char *const *to_cols,
                      vg_arena *ar)
{
    over_state *a = c->a, *b = c->b;
    size_t n = a->nslots + a->nfilters + a->naggs + b->nslots + b->nfilters + b->naggs + 1;
    const char **ids = vg_arena_calloc(ar, n * sizeof *ids);
    const char **as = ids, **af = as + a->nslots, **ag = af + a->nfilters;
    const char **bs = ag + a->naggs, **bf = bs + b->nslots, **bg = bf + b->nfilters;
    c->slot = vg_arena_calloc(ar, (b->nslots + 1) * sizeof *c->slot);
    c->filter = vg_arena_calloc(ar, (b->nfilters + 1) * sizeof *c->filter);
    c->frame = vg_arena_calloc(ar, (b->nframes + 1) * sizeof *c->frame);
    c->fof = vg_arena_calloc(ar, (b->naggs + 1) * sizeof *c->fof);
    c->src = vg_arena_calloc(ar, (b->naggs + 1) * sizeof *c->src);
    if (!ids || !c->slot || !c->filter || !c->frame || !c->fof || !c->src ||
        ids_of(a, 0, from_cols, ar, as) < 0 || ids_of(a, 1, from_cols, ar, af) < 0 ||
        ids_of(a, 2, from_cols, ar, ag) < 0 || ids_of(b, 0, to_cols, ar, bs) < 0 ||
        ids_of(b, 1, to_cols, ar, bf) < 0 || ids_of(b, 2, to_cols, ar, bg) < 0)
        return nomem(c->err);
    match_ids(bs, b->nslots, as, a->nslots, c->slot);
    match_ids(bf, b->nfilters, af, a->nfilters, c->filter);
    for (uint32_t i = 0; i < b->nslots; i++)
        if (c->slot[i] < 0)
            return misfit(c->err, "an argument is not held");
    for (uint32_t i = 0; i < b->nfilters; i++)
        if (c->filter[i] < 0)
            return misfit(c->err, "a FILTER is not held");
    for (uint32_t f = 0; f < b->nframes; f++) {
        c->frame[f] = -1;
        for (uint32_t g = 0; g < a->nframes && c->frame[f] < 0; g++)
            if (a->frames[g].rows == b->frames[f].rows && a->frames[g].pre == b->frames[f].pre)
                c->frame[f] = (int32_t)g;
        for (uint32_t i = b->frames[f].first; i < b->frames[f].first + b->frames[f].naggs; i++)
            c->fof[i] = f;
    }
    return find_sources(c, ag, bg);
}

/* B's record of A's record src, into c->b->rec. 0, or -1 when out of memory
 * (nothing held). */
static int carry_rec(carry *c, const char *src)
{
    const over_state *a = c->a;
    over_state *b = c->b;
    char *rec = b->rec;
    uint64_t in = over_rec_flags(a, src);
    uint64_t flags = b->nslots < 64 ? (1ull << b->nslots) - 1 : ~0ull; /* all NULL until set */
    memcpy(rec, src, 8);
    memset(rec + 8, 0, 8 * (size_t)b->nslots);
    over_rec_set_flags(b, rec, flags);
    for (uint32_t s = 0; s < b->nslots; s++) {
        uint32_t from = (uint32_t)c->slot[s];
        if (in >> from & 1)
            continue;
        uint64_t f = flags & ~(1ull << s);
        if (b->slots[s].type != VG_T_STRING) {
            uint64_t w = over_rec_word(src, from);
            memcpy(rec + 8 + 8 * (size_t)s, &w, 8);
        } else {
            vg_value v = over_rec_value(a, src, in, from);
            if (over_rec_put_string(b, rec, s, v.u.s, v.len, &f) < 0) {
                over_rec_release(b, rec);
                return -1;
            }
        }
        flags = f;
        over_rec_set_flags(b, rec, flags);
    }
    for (uint32_t i = 0; i < b->nfilters; i++)
        if (in >> (a->nslots + (uint32_t)c->filter[i]) & 1)
            flags |= 1ull << (b->nslots + i);
    over_rec_set_flags(b, rec, flags);
    return 0;
}

/* The first record of the running frame of a window of B that no window of
 * A has: the frame of p's newest record (what over_shrink leaves). */
static uint32_t running_from(const over_state *b, const over_part *p, const over_frame *f)
{
    uint32_t n = p->n;
    if (!n)
        return 0;
    if (f->rows)
        return (int64_t)n > f->pre + 1 ? n - (uint32_t)(f->pre + 1) : 0;
    int64_t low = over_minus(over_rec_ts(over_rec(b, p, n - 1)), f->pre);
    uint32_t r = 0;
    while (r < n && over_rec_ts(over_rec(b, p, r)) < low)
        r++;
    return r;
}

/* Where each window of B stands in p (a copy of pa's records from index 0). */
static void place_frames(carry *c, const over_part *pa, over_part *p)
{
    for (uint32_t f = 0; f < c->b->nframes; f++) {
        over_pos *ps = &p->pos[f];
        int32_t fa = c->frame[f];
        if (fa >= 0) {
            ps->head = pa->pos[fa].head - pa->head;
            ps->lo = pa->pos[fa].lo - pa->head;
        } else {
            ps->head = 0;
            ps->lo = running_from(c->b, p, &c->b->frames[f]);
        }
        ps->head_ts = ps->head < p->n ? over_rec_ts(over_rec(c->b, p, ps->head)) : 0;
    }
}

/* Aggregate g of B (in frame fi) computed from the records of the running frame. */
static int add_records(carry *c, over_part *p, uint32_t fi, const over_agg *g)
{
    const over_frame *f = &c->b->frames[fi];
    char *st = over_part_states(c->b, p) + g->off;
    vg_value args[VG_AGG_MAXARGS];
    for (uint32_t r = over_frame_from(f, p, fi); r < p->head + p->n; r++) {
        const char *rec = over_rec(c->b, p, r);
        if (!over_rec_counts(c->b, rec, g))
            continue;
        over_rec_args(c->b, rec, g, args);
        if (vg_agg_add(g->call, st, args) < 0)
            return nomem(c->err);
    }
    return 0;
}

/* The running states of p's aggregates: copies of A's, or from the records. */
static int carry_states(carry *c, const over_part *pa, over_part *p)
{
    const char *sa = over_part_states(c->a, pa);
    char *sb = over_part_states(c->b, p);
    for (uint32_t i = 0; i < c->b->naggs; i++) {
        const over_agg *g = &c->b->aggs[i];
        if (c->src[i] >= 0) {
            const over_agg *o = &c->a->aggs[c->src[i]];
            vg_buf_clear(&c->bytes);
            if (vg_agg_snapshot(o->call, sa + o->off, &c->bytes) < 0)
                return nomem(c->err);
            const char *q = c->bytes.p;
            if (vg_agg_restore(g->call, sb + g->off, &q, q + c->bytes.len) < 0)
                return nomem(c->err); /* (the bytes are one call's: only memory can fail) */
        } else if (g->how == OVER_STATE && add_records(c, p, c->fof[i], g) < 0) {
            return -1;
        }
    }
    return 0;
}

/* A's partition pa, into B. */
static int carry_part(carry *c, const over_part *pa)
{
    over_state *b = c->b;
    const char *key = over_part_key(c->a, pa);
    int64_t slot = over_map_add(b, key, pa->keylen, over_hash(key, pa->keylen));
    if (slot < 0 || over_part_reserve(b, &b->map[slot], pa->n) < 0)
        return nomem(c->err);
    over_ent *e = &b->map[slot];
    for (uint32_t r = 0; r < pa->n; r++) {
        if (carry_rec(c, over_rec(c->a, pa, pa->head + r)) < 0)
            return nomem(c->err);
        memcpy(over_rec(b, e->p, r), b->rec, b->rec_size);
        e->p->n++;
    }
    over_part *p = e->p;
    p->newest = pa->newest;
    place_frames(c, pa, p);
    if (carry_states(c, pa, p) < 0)
        return -1;
    for (uint32_t f = 0; f < b->nframes; f++)
        over_size_changed(b, p, f, c->err);
    over_evict(b, p, c->err);
    e->due = over_due(b, p);
    e->warm = over_warm_mask(b, p);
    return vg_error_is_set(c->err) ? -1 : 0;
}

int over_reload_carry(vg_op *from, vg_op *to, const char *const *from_cols,
                      const char *const *to_cols, vg_error *err)
{
    carry c = {.a = from->state, .b = to->state, .err = err};
    vg_arena *ar = vg_arena_new(VG_MEM_STATE, 4096);
    if (!ar)
        return nomem(err);
    vg_buf_init(&c.bytes, VG_MEM_STATE);
    int rc = plan_carry(&c, from_cols, to_cols, ar);
    c.b->wm = c.a->wm;
    for (uint32_t i = 0; i < c.a->mcap && rc == 0; i++) {
        const over_part *pa = c.a->map[i].p;
        if (pa && !over_expired(c.a, pa) && (pa->n || c.b->unbounded))
            rc = carry_part(&c, pa);
    }
    vg_buf_free(&c.bytes);
    vg_arena_free(ar);
    return rc;
}
