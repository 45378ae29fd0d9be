/*
 * over_open.c — opening an OVER operator: the layout of its records (the
 * distinct argument expressions and FILTER conditions of all its windows'
 * aggregates), of its partitions (frame positions, key, state block), how
 * each aggregate's result is found (over_how), and closing.
 */
#include <string.h>
#include <strings.h>

#include "engine/over_int.h"
#include "udf/agg_int.h"

static int nomem(vg_error *err) { return vg_error_set(err, VG_ERR_NOMEM, "out of memory"); }

/* Whether two argument expressions compute the same value. */
static bool same_expr(const vg_expr *a, const vg_expr *b, vg_arena *scratch)
{
    if (a == b)
        return true;
    if (vg_expr_type(a) != vg_expr_type(b))
        return false;
    int32_t sa = vg_expr_column_slot(a), sb = vg_expr_column_slot(b);
    if (sa >= 0 || sb >= 0)
        return sa == sb;
    const char *ta = vg_expr_to_sql(a, NULL, scratch), *tb = vg_expr_to_sql(b, NULL, scratch);
    return ta && tb && strcmp(ta, tb) == 0;
}

/* The slot of argument expression x, added when new. */
static uint32_t slot_of(over_state *st, const vg_expr *x, vg_arena *scratch)
{
    for (uint32_t i = 0; i < st->nslots; i++)
        if (same_expr(st->slots[i].expr, x, scratch))
            return i;
    over_slot *s = &st->slots[st->nslots];
    s->expr = x;
    s->col = vg_expr_column_slot(x);
    s->type = vg_expr_type(x);
    return st->nslots++;
}

static int32_t filter_of(over_state *st, const vg_expr *f, vg_arena *scratch)
{
    if (!f)
        return -1;
    for (uint32_t i = 0; i < st->nfilters; i++)
        if (same_expr(st->filters[i], f, scratch))
            return (int32_t)i;
    st->filters[st->nfilters] = f;
    return (int32_t)st->nfilters++;
}

/* Whether a and b (of one frame) make the same adds and retracts on states
 * of the same shape: the same entry points of the library, arguments and
 * FILTER; only their results may differ (SUM and AVG). */
static bool same_steps(const over_agg *a, const over_agg *b)
{
    const vg_agg_call *x = a->call, *y = b->call;
    if (x->agg->add != y->agg->add || x->agg->retract != y->agg->retract ||
        x->agg->init != y->agg->init || x->agg->destroy != y->agg->destroy ||
        x->state_size != y->state_size || x->nargs != y->nargs || x->distinct != y->distinct ||
        x->fifo != y->fifo || a->filter != b->filter)
        return false;
    for (uint32_t k = 0; k < x->nargs; k++)
        if (x->argt[k] != y->argt[k] || a->slot[k] != b->slot[k])
            return false;
    return true;
}

/* MIN and MAX bound again for a deque (call->fifo): rows leave a bounded
 * frame in the order they came (over_frame.c restarts the deques of a frame
 * an out-of-order row enters). -1 when the library will not. */
static int rebind_fifo(over_agg *a)
{
    vg_agg_bind b;
    memset(&b, 0, sizeof b);
    b.nargs = a->call->nargs;
    for (uint32_t k = 0; k < b.nargs; k++)
        b.argt[k] = a->call->argt[k];
    b.fifo = true;
    if (vg_agg_bind_call(a->call->agg, &b, &a->deque) < 0 || !a->deque.fifo ||
        a->deque.ret != a->call->ret)
        return -1;
    a->call = &a->deque;
    return 0;
}

/* Whether aggregate a of bounded frame fi is OVER_SMALL: MIN, MAX (their
 * call made a deque's), COUNT(DISTINCT x). */
static bool small(over_agg *a, uint32_t fi)
{
    const char *name = a->call->agg->name;
    if (fi >= 32)
        return false;
    if (strcmp(name, "COUNT") == 0 && a->call->distinct && a->call->nargs == 1) {
        a->scan = 2;
        return true;
    }
    a->scan = strcmp(name, "MAX") == 0 ? 1 : strcmp(name, "MIN") == 0 ? -1 : 0;
    return a->scan && rebind_fifo(a) == 0;
}

/* How aggregate a of frame fi finds its result, and where its state goes. */
static void place(over_state *st, uint32_t fi, over_agg *a)
{
    const over_frame *f = &st->frames[fi];
    const char *name = a->call->agg->name;
    a->scan = strcasecmp(name, "FIRST_VALUE") == 0  ? 1
              : strcasecmp(name, "LAST_VALUE") == 0 ? -1
                                                    : 0;
    if (a->scan) {
        a->how = OVER_SCAN;
        a->has_state = f->pre < 0;
    } else if (a->call->nargs == 0 && a->filter < 0 && !a->call->distinct && f->pre >= 0) {
        a->how = OVER_ROWCOUNT; /* COUNT(*) */
    } else if (f->pre >= 0 && small(a, fi)) {
        a->how = OVER_SMALL;
        a->has_state = true;
    } else {
        a->scan = 0;
        a->how = OVER_STATE;
        a->has_state = true;
        for (over_agg *b = &st->aggs[f->first]; b < a; b++)
            if (b->how == OVER_STATE && same_steps(a, b)) {
                a->how = OVER_SHARED;
                a->has_state = false;
                a->owner = (uint32_t)(b - st->aggs);
                break;
            }
    }
}

/* The offsets of the aggregates' states in a state block: the SMALL ones
 * last, so that the lines of the others come first (over_warm_mask). */
static void place_states(over_state *st)
{
    for (int small = 0; small <= 1; small++) {
        for (uint32_t i = 0; i < st->naggs; i++) {
            over_agg *a = &st->aggs[i];
            if (!a->has_state || (a->how == OVER_SMALL) != small)
                continue;
            a->off = st->states_size;
            st->states_size += (a->call->state_size + 7) & ~(size_t)7;
        }
        if (!small)
            st->hot_size = st->states_size;
    }
    for (uint32_t i = 0; i < st->naggs; i++)
        if (st->aggs[i].how == OVER_SHARED)
            st->aggs[i].off = st->aggs[st->aggs[i].owner].off;
}

/* Frame f's steps (over_frame.steps), in st->steps from f->first on. */
static void list_steps(over_state *st, over_frame *f)
{
    uint32_t *steps = st->steps + f->first;
    f->steps = steps;
    for (uint32_t i = f->first; i < f->first + f->naggs; i++)
        if (st->aggs[i].how == OVER_STATE)
            steps[f->nstate++] = i;
    for (uint32_t i = f->first; i < f->first + f->naggs; i++)
        if (st->aggs[i].how == OVER_SMALL)
            steps[f->nstate + f->nsmall++] = i;
}

/* The frames and aggregates of the node, the slots and filters of their
 * arguments, and each aggregate's place. */
static void layout_aggs(over_state *st, vg_arena *scratch)
{
    const vg_plan_node *n = st->node;
    uint32_t ai = 0;
    for (uint32_t fi = 0; fi < st->nframes; fi++) {
        const struct vg_plan_frame *pf = &n->u.over.frames[fi];
        over_frame *f = &st->frames[fi];
        f->rows = pf->frame == VG_FRAME_ROWS;
        f->pre = pf->preceding;
        f->first = ai;
        f->naggs = pf->naggs;
        st->unbounded |= f->pre < 0;
        if (!f->rows && f->pre > st->grace)
            st->grace = f->pre;
        for (uint32_t i = 0; i < pf->naggs; i++, ai++) {
            const vg_plan_agg *pa = &pf->aggs[i];
            over_agg *a = &st->aggs[ai];
            a->call = &pa->call;
            for (uint32_t k = 0; k < pa->call.nargs; k++)
                a->slot[k] = slot_of(st, pa->args[k], scratch);
            a->filter = filter_of(st, pa->filter, scratch);
        }
    }
    st->naggs = ai;
    for (uint32_t i = 0; i < st->naggs; i++)
        if (st->aggs[i].filter >= 0)
            st->aggs[i].filter += (int32_t)st->nslots;
    for (uint32_t fi = 0; fi < st->nframes; fi++) {
        over_frame *f = &st->frames[fi];
        for (uint32_t i = f->first; i < f->first + f->naggs; i++) {
            place(st, fi, &st->aggs[i]);
            f->has_states |= st->aggs[i].how == OVER_STATE;
            f->has_small |= st->aggs[i].how == OVER_SMALL;
        }
        list_steps(st, f);
    }
    place_states(st);
}

/* Which records count for aggregate a (over_agg.cmask, cwant), how it
 * steps (over_agg.word_arg, add, retract), and how its result is found
 * (over_agg.res, result). */
static void prepare_agg(const over_state *st, over_agg *a)
{
    const vg_agg_call *c = a->call;
    if (a->filter >= 0)
        a->cmask = a->cwant = 1ull << a->filter;
    if (c->agg->ignores_nulls)
        for (uint32_t k = 0; k < c->nargs; k++)
            a->cmask |= 1ull << a->slot[k];
    a->word_arg =
        c->nargs == 1 && c->agg->ignores_nulls && st->slots[a->slot[0]].type != VG_T_STRING;
    a->add = c->distinct ? vg_agg_add : c->agg->add;
    a->retract = c->distinct ? vg_agg_retract : c->agg->retract;
    a->result = c->agg->result;
    a->fast = (uint8_t)agg_fast_kind(c);
    if (a->fast != AGG_FAST_COUNT && !a->word_arg)
        a->fast = AGG_FAST_NONE; /* (a SUM's quick step reads the record's word) */
    if (a->how == OVER_ROWCOUNT)
        a->res = OVER_RES_ROWCOUNT;
    else if ((a->how == OVER_STATE || a->how == OVER_SHARED) && !c->distinct)
        a->res = OVER_RES_STATE;
    else if (a->how == OVER_SMALL)
        a->res = OVER_RES_SMALL;
    else
        a->res = OVER_RES_OTHER;
}

/* Everything open derives from the plan node. */
static int layout(over_state *st, vg_error *err)
{
    const vg_plan_node *n = st->node;
    uint32_t na = n->u.over.naggs;
    st->nframes = n->u.over.nframes;
    vg_arena *scratch = vg_arena_new(VG_MEM_STATE, 4096);
    st->slots = vg_calloc(VG_MEM_STATE, na * VG_AGG_MAXARGS + 1, sizeof *st->slots);
    st->filters = vg_calloc(VG_MEM_STATE, na + 1, sizeof *st->filters);
    st->aggs = vg_calloc(VG_MEM_STATE, na + 1, sizeof *st->aggs);
    st->steps = vg_calloc(VG_MEM_STATE, na + 1, sizeof *st->steps);
    st->frames = vg_calloc(VG_MEM_STATE, st->nframes + 1, sizeof *st->frames);
    if (!scratch || !st->slots || !st->filters || !st->aggs || !st->steps || !st->frames) {
        vg_arena_free(scratch);
        return nomem(err);
    }
    layout_aggs(st, scratch);
    vg_arena_free(scratch);
    uint32_t bits = st->nslots + st->nfilters;
    for (uint32_t i = 0; i < st->nslots; i++) {
        st->slots[i].inl = -1;
        if (st->slots[i].type == VG_T_STRING) {
            st->slots[i].inl = (int32_t)bits++;
        }
    }
    if (bits > 64)
        return vg_error_set(err, VG_ERR_RUNTIME,
                            "the windows of one PARTITION BY hold at most 64 distinct aggregate "
                            "arguments, FILTER conditions and STRING arguments, got %u",
                            bits);
    st->flag_bytes = bits == 0 ? 0 : bits <= 8 ? 1 : bits <= 16 ? 2 : bits <= 32 ? 4 : 8;
    st->flag_mask = st->flag_bytes == 8 ? ~0ull : (1ull << 8 * st->flag_bytes) - 1;
    for (uint32_t i = 0; i < st->naggs; i++)
        prepare_agg(st, &st->aggs[i]);
    st->rec_size = 8 + 8 * (size_t)st->nslots + st->flag_bytes;
    st->key_off = sizeof(over_part) + st->nframes * sizeof(over_pos);
    return 0;
}

void over_close(vg_op *op)
{
    over_state *st = op->state;
    if (!st)
        return;
    if (st->map)
        over_map_free(st);
    vg_buf_free(&st->key);
    vg_free(st->slots);
    vg_free(st->filters);
    vg_free(st->aggs);
    vg_free(st->steps);
    vg_free(st->frames);
    vg_free(st->rec);
    vg_free(st->out);
    vg_free(st->tmp);
    vg_free(st->bout);
    vg_buf_free(&st->bkeys);
    vg_free(st);
    op->state = NULL;
}

int over_open(vg_op *op, vg_error *err)
{
    over_state *st = vg_calloc(VG_MEM_STATE, 1, sizeof *st);
    if (!st)
        return nomem(err);
    op->state = st;
    st->node = op->node;
    st->env = op->env;
    st->ttl = op->ttl_ms > 0 ? op->ttl_ms : 0;
    st->nin = op->node->inputs[0]->schema.ncols;
    st->wm = VG_WM_MIN;
    vg_buf_init(&st->key, VG_MEM_STATE);
    vg_buf_init(&st->bkeys, VG_MEM_STATE);
    if (layout(st, err) < 0) {
        over_close(op);
        return -1;
    }
    st->mcap = 16;
    st->map = vg_calloc(VG_MEM_STATE, st->mcap, sizeof *st->map);
    st->rec = vg_calloc(VG_MEM_STATE, 1, st->rec_size + OVER_REC_PAD);
    st->out = vg_calloc(VG_MEM_STATE, st->nin + st->naggs + 1, sizeof *st->out);
    st->tmp = vg_malloc(VG_MEM_STATE, st->states_size + 16);
    st->bout =
        vg_calloc(VG_MEM_STATE, (size_t)OVER_BATCH * (st->nin + st->naggs), sizeof *st->bout);
    for (uint32_t i = 0; i < st->naggs; i++)
        st->bstr |= st->aggs[i].call->ret == VG_T_STRING;
    if (!st->map || !st->rec || !st->out || !st->tmp || !st->bout) {
        over_close(op);
        return nomem(err);
    }
    return 0;
}
