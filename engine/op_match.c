/*
 * op_match.c — MATCH_RECOGNIZE on a stream: rows are matched against a row
 * pattern per (source partition, PARTITION BY key), in event-time order.
 *
 * A row arrives; one whose event time is at or behind the watermark (or
 * NULL) is late: it goes to the dead-letter output (vg_op_late), as Flink's
 * CEP operator drops it. The others wait until the watermark passes them,
 * then are released, over all partitions in (event time, arrival) order
 * (with further ORDER BY keys, rows of one time sorted by them first,
 * match_order.c), to their partition, whose matcher (engine/nfa.h) takes them one by one.
 * The matcher asks this operator whether a row satisfies a DEFINE (the
 * define hook, match_nav.c) and hands it each match once no row still to
 * come can change it; the operator writes the match's rows as the rows-
 * per-match mode says (match_nav.c). After the rows, the watermark ends the
 * attempts WITHIN has closed (EMIT TIMEOUTS outputs their partial matches);
 * at the end of input (the watermark +infinity) every partition is
 * finished, in the order partitions were made, and `$` matches there.
 * When the output has an event-time attribute (MATCH_ROWTIME(), ALL ROWS
 * PER MATCH), the watermark forwarded stays behind the oldest row a
 * partition may still write (match_int.h).
 *
 * With a TTL (vg_op.ttl_ms), a partition whose newest row is older than the
 * watermark less the TTL is dropped once it holds no open attempt and no
 * row still to match (with one, it is looked at again a TTL later): its
 * MATCH_NUMBER starts again from 1 with its next row.
 */
#include <stdlib.h>
#include <string.h>

#include "engine/match_int.h"

static int nomem(vg_error *err) { return vg_error_set(err, VG_ERR_NOMEM, "out of memory"); }

/* ---- rows, partitions ---- */

/* A block of at least size bytes: a pooled one of its class when there is
 * one, else a new one (of the class's size when it has one). */
static mr_row *block_get(mr_pool *pool, size_t size)
{
    size_t cls = (size + MR_POOL_CLASS - 1) / MR_POOL_CLASS;
    if (cls > MR_POOL_CLASSES)
        cls = 0;
    mr_row *r = cls ? pool->free[cls] : NULL;
    if (r) {
        pool->free[cls] = r->next_free;
        pool->bytes -= cls * MR_POOL_CLASS;
    } else if (!(r = vg_malloc(VG_MEM_STATE, cls ? cls * MR_POOL_CLASS : size))) {
        return NULL;
    }
    memset(r, 0, sizeof *r);
    r->cls = (uint32_t)cls;
    return r;
}

void mr_row_free(mr_state *st, mr_row *r)
{
    mr_pool *pool = &st->pool;
    if (!r)
        return;
    if (!r->cls || pool->bytes + r->cls * MR_POOL_CLASS > MR_POOL_BYTES) {
        vg_free(r);
        return;
    }
    r->next_free = pool->free[r->cls];
    pool->free[r->cls] = r;
    pool->bytes += r->cls * MR_POOL_CLASS;
}

static void pool_free(mr_pool *pool)
{
    for (uint32_t c = 0; c <= MR_POOL_CLASSES; c++)
        while (pool->free[c]) {
            mr_row *r = pool->free[c];
            pool->free[c] = r->next_free;
            vg_free(r);
        }
    pool->bytes = 0;
}

mr_row *mr_row_copy(mr_state *st, const mr_copy *c, const vg_value *row)
{
    size_t size = MR_ROW_HDR + c->ncols * sizeof(vg_value);
    for (uint32_t i = 0; i < c->nstr; i++)
        size += row[c->str[i]].null ? 0 : row[c->str[i]].len;
    mr_row *r = block_get(&st->pool, size);
    if (!r)
        return NULL;
    vg_value *v = mr_values(r);
    memcpy(v, row, c->ncols * sizeof *v);
    char *s = (char *)(v + c->ncols);
    for (uint32_t i = 0; i < c->nstr; i++) {
        vg_value *x = &v[c->str[i]];
        if (!x->null && x->len) {
            memcpy(s, x->u.s, x->len);
            x->u.s = s;
            s += x->len;
        }
    }
    for (uint32_t i = 0; i < c->ndrop; i++)
        v[c->drop[i]] = vg_null();
    return r;
}

/* c for the input's columns, keeping those keep says (NULL: all). 0 or -1. */
static int copy_plan(mr_copy *c, const vg_schema *in, const bool *keep)
{
    c->ncols = in->ncols;
    c->str = vg_malloc(VG_MEM_STATE, (in->ncols + 1) * sizeof *c->str);
    c->drop = vg_malloc(VG_MEM_STATE, (in->ncols + 1) * sizeof *c->drop);
    if (!c->str || !c->drop)
        return -1;
    for (uint32_t i = 0; i < in->ncols; i++)
        if (keep && !keep[i])
            c->drop[c->ndrop++] = i;
        else if (in->cols[i].type == VG_T_STRING)
            c->str[c->nstr++] = i;
    return 0;
}

static bool row_before(const void *a, const void *b)
{
    const mr_row *x = a, *y = b;
    return x->ts != y->ts ? x->ts < y->ts : x->seq < y->seq;
}

static uint32_t *row_at_index(void *r) { return &((mr_row *)r)->at; }

static bool deadline_before(const void *a, const void *b)
{
    const mr_part *x = mr_part_of(a), *y = mr_part_of(b);
    return x->deadline != y->deadline ? x->deadline < y->deadline : x->id < y->id;
}

static uint32_t *timer_index(void *e) { return &mr_part_of(e)->timer_at; }

static bool hold_before(const void *a, const void *b)
{
    const mr_part *x = mr_part_of(a), *y = mr_part_of(b);
    return x->hold != y->hold ? x->hold < y->hold : x->id < y->id;
}

static uint32_t *hold_index(void *e) { return &mr_part_of(e)->hold_at; }

vg_keymap_entry *mr_part_new(mr_state *st, const char *key, uint32_t len)
{
    vg_nfa_run *run = vg_nfa_run_new(st->nfa, &st->opts);
    vg_keymap_entry *e = run ? gm_add(&st->map, key, len) : NULL;
    if (!e) {
        vg_nfa_run_free(run);
        return NULL;
    }
    mr_part *p = mr_part_of(e);
    p->run = run;
    p->id = st->next_id++;
    p->timer_at = VG_KEYMAP_NONE;
    p->hold_at = VG_KEYMAP_NONE;
    return e;
}

static void destroy_part(void *arg, vg_keymap_entry *e)
{
    mr_state *st = arg;
    mr_part *p = mr_part_of(e);
    while (p->rows.n)
        mr_row_free(st, mr_ring_shift(&p->rows));
    vg_free(p->rows.slot);
    vg_nfa_run_free(p->run);
    if (p->timer_at != VG_KEYMAP_NONE)
        vg_keymap_heap_remove(&st->timers, e);
    if (p->hold_at != VG_KEYMAP_NONE)
        vg_keymap_heap_remove(&st->holds, e);
}

int mr_ring_push(mr_ring *q, mr_row *row)
{
    if (q->n == q->cap) {
        uint32_t cap = q->cap ? q->cap * 2 : 8;
        mr_row **slot = vg_malloc(VG_MEM_STATE, cap * sizeof *slot);
        if (!slot)
            return -1;
        for (uint32_t i = 0; i < q->n; i++)
            slot[i] = mr_ring_at(q, i);
        vg_free(q->slot);
        q->slot = slot;
        q->cap = cap;
        q->head = 0;
    }
    q->slot[(q->head + q->n++) & (q->cap - 1)] = row;
    return 0;
}

/* Rows mostly come in event-time order: those at or after the last one
 * queued wait in arrival order (no heap work), the others in the heap. */
int mr_wait(mr_state *st, mr_row *row)
{
    mr_ring *q = &st->sorted;
    if (!q->n || mr_ring_at(q, q->n - 1)->ts <= row->ts)
        return mr_ring_push(q, row);
    return vg_keymap_heap_push(&st->pending, row);
}

/* The waiting row that comes first in (event time, arrival) order, taken
 * out, when it is at or before wm; else NULL. */
static mr_row *next_due(mr_state *st, int64_t wm)
{
    mr_row *q = st->sorted.n ? mr_ring_at(&st->sorted, 0) : NULL;
    mr_row *h = st->pending.n ? st->pending.items[0] : NULL;
    mr_row *r = q && (!h || row_before(q, h)) ? q : h;
    if (!r || r->ts > wm)
        return NULL;
    if (r == q)
        mr_ring_shift(&st->sorted);
    else
        vg_keymap_heap_remove(&st->pending, r);
    return r;
}

/* Free the rows no hook or navigation can read any more: those before
 * max_prev rows ahead of the oldest row the matcher can still mention. */
static void trim(mr_state *st, mr_part *p)
{
    uint64_t keep = vg_nfa_oldest(p->run), back = (uint64_t)st->m->max_prev;
    keep = keep > back ? keep - back : 0;
    for (; p->rows.n && p->base < keep; p->base++)
        mr_row_free(st, mr_ring_shift(&p->rows));
}

/* Whether p holds nothing a later row or watermark can still need. */
static bool idle(const mr_part *p)
{
    uint64_t next = vg_nfa_next_pos(p->run);
    return p->npending == 0 && next == p->base + p->rows.n && vg_nfa_oldest(p->run) == next;
}

/* Put e in the timer heap, or take it out, as its oldest open attempt says. */
static int timer_update(mr_state *st, vg_keymap_entry *e)
{
    int64_t within = st->m->within;
    if (within <= 0)
        return 0;
    mr_part *p = mr_part_of(e);
    uint64_t oldest = vg_nfa_oldest(p->run);
    const mr_row *r = oldest < vg_nfa_next_pos(p->run) ? mr_row_at(p, oldest) : NULL;
    if (!r) {
        if (p->timer_at != VG_KEYMAP_NONE)
            vg_keymap_heap_remove(&st->timers, e);
        return 0;
    }
    int64_t deadline = r->ts > INT64_MAX - within ? INT64_MAX : r->ts + within - 1;
    if (p->timer_at != VG_KEYMAP_NONE && deadline == p->deadline)
        return 0; /* the same oldest attempt: nothing moves */
    p->deadline = deadline;
    if (p->timer_at != VG_KEYMAP_NONE) {
        vg_keymap_heap_fix(&st->timers, e);
        return 0;
    }
    return vg_keymap_heap_push(&st->timers, e);
}

/* Put e in the holds heap, or take it out: the oldest row the matcher can
 * still mention, or the oldest released row not pushed yet, is the oldest
 * that an output row (or a match's last row) can be. */
static int hold_update(mr_state *st, vg_keymap_entry *e)
{
    if (!st->hold_wm)
        return 0;
    mr_part *p = mr_part_of(e);
    const mr_row *r = mr_row_at(p, vg_nfa_oldest(p->run));
    if (!r) {
        if (p->hold_at != VG_KEYMAP_NONE)
            vg_keymap_heap_remove(&st->holds, e);
        return 0;
    }
    if (p->hold_at != VG_KEYMAP_NONE && r->ts == p->hold)
        return 0;
    p->hold = r->ts;
    if (p->hold_at != VG_KEYMAP_NONE) {
        vg_keymap_heap_fix(&st->holds, e);
        return 0;
    }
    return vg_keymap_heap_push(&st->holds, e);
}

int mr_heaps_update(mr_state *st, vg_keymap_entry *e)
{
    return timer_update(st, e) < 0 || hold_update(st, e) < 0 ? -1 : 0;
}

/* The watermark to forward when the input's is wm: before every row an
 * output row can still have the time of. */
static int64_t out_watermark(const mr_state *st, int64_t wm)
{
    if (!st->holds.n)
        return wm;
    int64_t h = mr_part_of(st->holds.items[0])->hold;
    return h <= wm ? h - 1 : wm;
}

/* ---- open, close ---- */

static void match_close(vg_op *op)
{
    mr_state *st = op->state;
    if (!st)
        return;
    while (st->sorted.n)
        mr_row_free(st, mr_ring_shift(&st->sorted));
    vg_free(st->sorted.slot);
    for (uint32_t i = 0; i < st->pending.n; i++)
        mr_row_free(st, st->pending.items[i]);
    vg_keymap_heap_free(&st->pending);
    gm_clear(&st->map, destroy_part, st);
    pool_free(&st->pool);
    vg_keymap_heap_free(&st->timers);
    vg_keymap_heap_free(&st->holds);
    vg_nfa_free(st->nfa);
    mr_keys_close(st);
    if (st->define_uses)
        for (uint32_t v = 0; v < st->m->nvars; v++)
            mr_uses_free(&st->define_uses[v]);
    vg_free(st->define_uses);
    mr_uses_free(&st->running);
    mr_uses_free(&st->final);
    vg_free(st->copy.str);
    vg_free(st->copy.drop);
    vg_free(st->copy_all.str);
    vg_free(st->copy_all.drop);
    vg_free(st->rest);
    vg_free(st->shown);
    mr_order_close(st);
    vg_free(st->row);
    vg_free(st->out);
    vg_free(st->agg);
    vg_free(st->posv);
    vg_free(st->varv);
    vg_free(st->xarg);
    vg_free(st->xrow);
    vg_free(st->steps);
    vg_free(st->due);
    vg_buf_free(&st->key);
    vg_buf_free(&st->json);
    vg_free(st);
    op->state = NULL;
}

/* The columns ALL ROWS PER MATCH writes: after the PARTITION BY columns,
 * the ORDER BY ones laid out (st->shown), then after the measures all the
 * others. Checks the node's width. */
static int layout(mr_state *st, const vg_plan_node *n, vg_error *err)
{
    const vg_plan_match *m = st->m;
    uint32_t ncols = st->in->ncols;
    st->rest = vg_malloc(VG_MEM_STATE, (ncols + 1) * sizeof *st->rest);
    st->shown = vg_malloc(VG_MEM_STATE, (m->norder + 1) * sizeof *st->shown);
    if (!st->rest || !st->shown)
        return nomem(err);
    bool bad = m->order_col < 0 || (uint32_t)m->order_col >= ncols;
    st->shown[st->nshown++] = (uint32_t)m->order_col;
    for (uint32_t i = 0; i < m->norder; i++)
        if (m->order[i].out) {
            bad |= m->order[i].slot < 0 || (uint32_t)m->order[i].slot >= ncols;
            st->shown[st->nshown++] = (uint32_t)m->order[i].slot;
        }
    for (uint32_t c = 0; c < ncols; c++) {
        bool key = false;
        for (uint32_t j = 0; j < st->nshown && !key; j++)
            key = st->shown[j] == c;
        for (uint32_t k = 0; k < m->nkeys && !key; k++)
            key = m->keys[k] == c;
        if (!key)
            st->rest[st->nrest++] = c;
    }
    uint32_t want = m->nkeys + m->nmeasures;
    if (m->rows != VG_MR_ONE_ROW)
        want += st->nshown + st->nrest;
    if (n->schema.ncols != want || bad)
        return vg_error_set(err, VG_ERR_RUNTIME, "the MATCH_RECOGNIZE node's columns do not fit "
                                                 "its input");
    return 0;
}

/* Which navigation values each DEFINE and the measures read. */
static int find_uses(mr_state *st)
{
    const vg_plan_match *m = st->m;
    uint32_t ncols = st->in->ncols;
    st->define_uses = vg_calloc(VG_MEM_STATE, m->nvars ? m->nvars : 1, sizeof *st->define_uses);
    if (!st->define_uses)
        return -1;
    for (uint32_t v = 0; v < m->nvars; v++)
        if (mr_uses_of(m->defines[v], ncols, m->nnavs, &st->define_uses[v]) < 0)
            return -1;
    bool *used = vg_calloc(VG_MEM_STATE, m->nnavs + 1, sizeof *used);
    if (!used)
        return -1;
    int rc = 0;
    for (uint32_t k = 0; k < m->nmeasures && rc == 0; k++) {
        mr_uses u;
        rc = mr_uses_of(m->measures[k], ncols, m->nnavs, &u);
        for (uint32_t i = 0; i < u.n && rc == 0; i++)
            used[u.navs[i]] = true;
        mr_uses_free(&u);
    }
    st->running.navs = vg_malloc(VG_MEM_STATE, (m->nnavs + 1) * sizeof(uint32_t));
    st->final.navs = vg_malloc(VG_MEM_STATE, (m->nnavs + 1) * sizeof(uint32_t));
    for (uint32_t j = 0; j < m->nnavs && st->running.navs && st->final.navs; j++)
        if (used[j]) {
            mr_uses *u = m->navs[j].final ? &st->final : &st->running;
            u->navs[u->n++] = j;
        }
    vg_free(used);
    return rc < 0 || !st->running.navs || !st->final.navs ? -1 : 0;
}

/* ONE ROW PER MATCH outputs no input column as it is: rows held keep only
 * the columns the keys, the ORDER BY keys, the conditions and the measures read
 * (navigation arguments, aggregate arguments and filters included). */
static int kept_columns(mr_state *st, bool *keep)
{
    const vg_plan_match *m = st->m;
    uint32_t ncols = st->in->ncols;
    keep[m->order_col] = true;
    for (uint32_t k = 0; k < m->nkeys; k++)
        keep[m->keys[k]] = true;
    int rc = 0;
    for (uint32_t v = 0; v < m->nvars; v++)
        rc |= mr_slots_of(m->defines[v], ncols, keep);
    for (uint32_t k = 0; k < m->nmeasures; k++)
        rc |= mr_slots_of(m->measures[k], ncols, keep);
    for (uint32_t k = 0; k < m->norder; k++)
        rc |= mr_slots_of(m->order[k].expr, ncols, keep);
    for (uint32_t j = 0; j < m->nnavs; j++) {
        const vg_mr_nav *nav = &m->navs[j];
        rc |= mr_slots_of(nav->arg, ncols, keep) | mr_slots_of(nav->agg.filter, ncols, keep);
        for (uint32_t a = 0; a < VG_AGG_MAXARGS; a++)
            rc |= mr_slots_of(nav->agg.args[a], ncols, keep);
    }
    return rc;
}

static int copy_plans(mr_state *st)
{
    if (copy_plan(&st->copy_all, st->in, NULL) < 0)
        return -1;
    if (st->m->rows != VG_MR_ONE_ROW)
        return copy_plan(&st->copy, st->in, NULL);
    bool *keep = vg_calloc(VG_MEM_STATE, st->in->ncols + 1, sizeof *keep);
    int rc = keep && kept_columns(st, keep) == 0 ? copy_plan(&st->copy, st->in, keep) : -1;
    vg_free(keep);
    return rc;
}

/* The evaluation scratch: rows, and the largest aggregate state. */
static int scratch(mr_state *st, const vg_plan_node *n)
{
    const vg_plan_match *m = st->m;
    size_t agg = 8;
    for (uint32_t j = 0; j < m->nnavs; j++)
        if (m->navs[j].kind == VG_MR_NAV_AGG && m->navs[j].agg.call.agg &&
            m->navs[j].agg.call.state_size > agg)
            agg = m->navs[j].agg.call.state_size;
    st->row = vg_calloc(VG_MEM_STATE, st->in->ncols + m->nnavs + 1, sizeof *st->row);
    uint32_t width = n->schema.ncols > m->nkeys + 4 ? n->schema.ncols : m->nkeys + 4; /* iterate */
    st->out = vg_calloc(VG_MEM_STATE, width, sizeof *st->out);
    st->agg = vg_malloc(VG_MEM_STATE, agg);
    return st->row && st->out && st->agg ? 0 : -1;
}

static int match_open(vg_op *op, vg_error *err)
{
    const vg_plan_node *n = op->node;
    mr_state *st = vg_calloc(VG_MEM_STATE, 1, sizeof *st);
    if (!st)
        return nomem(err);
    op->state = st;
    st->op = op;
    st->m = n->u.match;
    st->in = &n->inputs[0]->schema;
    gm_init(&st->map, sizeof(mr_part));
    st->pending.less = row_before;
    st->pending.at = row_at_index;
    st->timers.less = deadline_before;
    st->timers.at = timer_index;
    st->holds.less = hold_before;
    st->holds.at = hold_index;
    st->in_wm = VG_WM_MIN;
    vg_buf_init(&st->key, VG_MEM_STATE);
    vg_buf_init(&st->json, VG_MEM_STATE);
    for (int i = 0; i < 3; i++)
        vg_buf_init(&st->kbuf[i], VG_MEM_STATE);
    const vg_plan_match *m = st->m;
    st->opts = (vg_nfa_opts){.skip = m->skip,
                             .skip_vars = m->skip_vars,
                             .within = m->within,
                             .timeouts = m->emit_timeouts,
                             .unmatched = m->rows == VG_MR_ALL_ROWS_UNMATCHED};
    st->hooks = mr_hooks(st);
    st->hold_wm = m->rows != VG_MR_ONE_ROW || m->rowtime >= 0;
    if (layout(st, n, err) < 0 || vg_nfa_compile(m->pattern, m->nvars, &st->nfa, err) < 0) {
        match_close(op);
        return -1;
    }
    if (find_uses(st) < 0 || mr_xarg_open(st) < 0 || mr_keys_open(st) < 0 || copy_plans(st) < 0 ||
        scratch(st, n) < 0) {
        match_close(op);
        return nomem(err);
    }
    return 0;
}

/* ---- rows ---- */

/* The row's partition entry, made when new; NULL when out of memory. */
static vg_keymap_entry *part_of_row(vg_op *op, mr_state *st, const vg_value *row)
{
    const vg_plan_match *m = st->m;
    if (vg_keymap_encode(&st->key, op->env->partition, st->in, m->keys, m->nkeys, row) < 0)
        return NULL;
    vg_keymap_entry *e = vg_keymap_find(&st->map.keys, st->key.p, (uint32_t)st->key.len);
    return e ? e : mr_part_new(st, st->key.p, (uint32_t)st->key.len);
}

static void match_push(vg_op *op, uint32_t port, const vg_value *row, vg_row_kind kind)
{
    (void)port, (void)kind; /* the binder gives MATCH_RECOGNIZE append-only input */
    mr_state *st = op->state;
    const vg_value *t = &row[st->m->order_col];
    if (t->null || t->u.i <= st->in_wm) {
        vg_op_late(op, row, t->null ? VG_WM_MIN : t->u.i);
        return;
    }
    vg_keymap_entry *e = part_of_row(op, st, row);
    mr_row *r = e ? mr_row_copy(st, &st->copy, row) : NULL;
    if (r) {
        r->part = e;
        r->ts = t->u.i;
        r->seq = st->seq;
    }
    if (!r || mr_wait(st, r) < 0) {
        mr_row_free(st, r);
        nomem(op->env->eval.err);
        return;
    }
    st->seq++;
    mr_part_of(e)->npending++;
    if (gm_touch(&st->map, e, r->ts, op->ttl_ms > 0) < 0)
        nomem(op->env->eval.err);
}

/* ---- feeding the matcher ---- */

/* Push e's released rows into its matcher while max_next later rows are
 * released (every one when all is set: the partition ended), then free the
 * rows no longer needed. 0 or -1 (the error is in the env). */
static int feed(mr_state *st, vg_keymap_entry *e, bool all)
{
    mr_part *p = mr_part_of(e);
    vg_error *err = st->op->env->eval.err;
    uint64_t end = p->base + p->rows.n, ahead = (uint64_t)st->m->max_next;
    int rc = 0;
    st->cur = e;
    for (uint64_t pos; rc == 0 && (pos = vg_nfa_next_pos(p->run)) < end &&
                       (all || end - pos > ahead);)
        rc = vg_nfa_push(p->run, mr_row_at(p, pos)->ts, &st->hooks, err);
    trim(st, p);
    if (mr_heaps_update(st, e) < 0)
        rc = nomem(err);
    return rc;
}

/* Hand row r, due, to its partition. */
static void deliver(mr_state *st, mr_row *r)
{
    mr_part *p = mr_part_of(r->part);
    p->npending--;
    if (mr_ring_push(&p->rows, r) < 0) {
        mr_row_free(st, r);
        nomem(st->op->env->eval.err);
        return;
    }
    feed(st, r->part, false);
}

/* With further ORDER BY keys: the rows of each event time the watermark
 * passed (all due together), sorted by the keys (match_order.c). Out of
 * memory, the rows left are released in arrival order. */
static void release_sorted(mr_state *st, int64_t wm)
{
    for (mr_row *r; (r = next_due(st, wm));) {
        int64_t ts = r->ts;
        uint32_t n = 0;
        for (mr_row *t = r; t; t = next_due(st, ts)) {
            if (mr_order_reserve(st, n + 1) < 0) {
                nomem(st->op->env->eval.err);
                deliver(st, t);
                continue;
            }
            st->tie[n++] = t;
        }
        mr_order_sort(st, n);
        for (uint32_t i = 0; i < n; i++)
            deliver(st, st->tie[st->tie_ix[i]]);
    }
}

/* Release the rows the watermark passed, in (event time, arrival) order. */
static void release(mr_state *st, int64_t wm)
{
    if (st->m->norder) {
        release_sorted(st, wm);
        return;
    }
    for (mr_row *r; (r = next_due(st, wm));)
        deliver(st, r);
}

/* Room for n entries in st->due. 0 or -1. */
static int due_reserve(mr_state *st, uint32_t n)
{
    if (n <= st->due_cap)
        return 0;
    uint32_t cap = st->due_cap ? st->due_cap : 16;
    while (cap < n)
        cap *= 2;
    vg_keymap_entry **nd = vg_realloc(VG_MEM_STATE, st->due, cap * sizeof *nd);
    if (!nd)
        return -1;
    st->due = nd;
    st->due_cap = cap;
    return 0;
}

/* WITHIN: advance the matchers of the partitions whose deadline wm passed,
 * each to wm (or to just before its first row still held back for NEXT). */
static void fire_timers(mr_state *st, int64_t wm)
{
    vg_error *err = st->op->env->eval.err;
    uint32_t n = 0;
    while (st->timers.n && mr_part_of(st->timers.items[0])->deadline <= wm) {
        if (due_reserve(st, n + 1) < 0) {
            nomem(err);
            break;
        }
        st->due[n] = st->timers.items[0];
        vg_keymap_heap_remove(&st->timers, st->due[n++]);
    }
    for (uint32_t i = 0; i < n; i++) {
        vg_keymap_entry *e = st->due[i];
        mr_part *p = mr_part_of(e);
        const mr_row *held = mr_row_at(p, vg_nfa_next_pos(p->run));
        int64_t t = held && held->ts - 1 < wm ? held->ts - 1 : wm;
        st->cur = e;
        vg_nfa_advance(p->run, t, &st->hooks, err);
        trim(st, p);
        if (mr_heaps_update(st, e) < 0)
            nomem(err);
    }
}

typedef struct collect_arg {
    vg_keymap_entry **to; /* where the next entry goes */
} collect_arg;

static int collect_part(void *arg, vg_keymap_entry *e)
{
    *((collect_arg *)arg)->to++ = e;
    return 0;
}

static int by_id(const void *a, const void *b)
{
    uint64_t x = mr_part_of(*(vg_keymap_entry *const *)a)->id;
    uint64_t y = mr_part_of(*(vg_keymap_entry *const *)b)->id;
    return x < y ? -1 : x > y;
}

/* The end of input: every partition, in the order they were made, pushes
 * what it holds and finishes. Event time has passed everything: WITHIN
 * first ends every attempt still taking rows (EMIT TIMEOUTS outputs them),
 * then the partition's end decides the rest ($ matches there). */
static void finish_all(mr_state *st)
{
    vg_error *err = st->op->env->eval.err;
    uint32_t n = st->map.keys.n;
    if (due_reserve(st, n) < 0) {
        nomem(err);
        return;
    }
    collect_arg a = {st->due};
    vg_keymap_each(&st->map.keys, collect_part, &a);
    if (n) /* no partition (no input): st->due may be NULL, which qsort may not take */
        qsort(st->due, n, sizeof *st->due, by_id);
    for (uint32_t i = 0; i < n; i++) {
        vg_keymap_entry *e = st->due[i];
        mr_part *p = mr_part_of(e);
        if (feed(st, e, true) < 0)
            continue;
        st->cur = e;
        if (st->m->within > 0 && vg_nfa_advance(p->run, INT64_MAX, &st->hooks, err) < 0)
            continue;
        vg_nfa_finish(p->run, &st->hooks, err);
        trim(st, p);
        if (mr_heaps_update(st, e) < 0)
            nomem(err);
    }
}

/* TTL: drop the idle partitions whose newest row is older than wm less
 * the TTL; look at the others again a TTL later. */
static void expire(vg_op *op, mr_state *st, int64_t wm)
{
    for (vg_keymap_entry *e; (e = gm_expired(&st->map, wm, op->ttl_ms));) {
        if (idle(mr_part_of(e))) {
            destroy_part(st, e);
            gm_remove(&st->map, e);
        } else if (gm_touch(&st->map, e, wm, true) < 0) {
            nomem(op->env->eval.err);
            return;
        }
    }
}

static void match_watermark(vg_op *op, int64_t wm)
{
    mr_state *st = op->state;
    if (wm <= st->in_wm)
        return;
    st->in_wm = wm;
    release(st, wm);
    if (wm == VG_WM_MAX)
        finish_all(st);
    else if (st->m->within > 0)
        fire_timers(st, wm);
    if (op->ttl_ms > 0)
        expire(op, st, wm);
    vg_op_emit_watermark(op, out_watermark(st, wm));
}

const vg_op_kind vg_op_match_kind = {
    .name = "match",
    .open = match_open,
    .push = match_push,
    .watermark = match_watermark,
    .snapshot = mr_snapshot,
    .restore = mr_restore,
    .iterate = mr_iterate,
    .close = match_close,
    .lookup = mr_lookup,
};
