/*
 * over_frame.c — one frame of an OVER partition: its running aggregate
 * states (adding and retracting records), its eviction, its results.
 *
 * A frame runs the aggregates of one window over its running frame, the
 * records [lo, end) of its partition (over_int.h). Most aggregates keep a
 * running state of the aggregate library, O(1) to add and retract. MIN,
 * MAX and COUNT(DISTINCT x) of a bounded frame (OVER_SMALL) keep their
 * states only while the frame holds more than OVER_SMALL rows: a sliding
 * frame of a key is usually small (a card's payments of the last hour),
 * and their states allocate as soon as they hold a row and free it when
 * they empty, which for small frames costs more than reading the frame's
 * few records, already in the cache with the partition. So while the
 * frame is small their results are read from the records (at most
 * OVER_SMALL of them: O(1)); when it passes OVER_SMALL rows, its records
 * are added to their states, which then run as the others until the frame
 * is empty again. MIN and MAX run as deques then (rows leave a sliding
 * frame in the order they came, O(1) amortised); among values that compare
 * equal (-0.0 and 0.0, NaNs) both give the newest row's.
 */
#include <math.h>
#include <string.h>

#include "engine/over_int.h"
#include "udf/agg_int.h"

static void nomem(vg_error *err) { vg_error_set(err, VG_ERR_NOMEM, "out of memory"); }

/* ---- adding and retracting ---- */

/* step's call of the entry's add or retract (out of line: the quick steps
 * of COUNT, SUM and AVG stay small enough to inline). */
static __attribute__((noinline)) void step_call(over_state *st, char *states, const char *rec,
                                                uint64_t flags, const over_agg *a, bool add,
                                                vg_error *err)
{
    vg_value args[VG_AGG_MAXARGS];
    if (a->word_arg)
        args[0] = vg_int((int64_t)over_rec_word(rec, a->slot[0])); /* (any 8-byte value) */
    else
        for (uint32_t k = 0; k < a->call->nargs; k++)
            args[k] = over_rec_value(st, rec, flags, a->slot[k]);
    if ((add ? a->add : a->retract)(a->call, states + a->off, args) < 0)
        nomem(err);
}

/* Add rec (whose flags word is flags) to aggregate a's state, or retract
 * it: what vg_agg_add and vg_agg_retract do (a->add and a->retract are
 * the entry's own when the call has no DISTINCT in front). COUNT, and SUM
 * and AVG of a DOUBLE in their common case, are stepped here (a->fast). */
static inline __attribute__((always_inline)) void step(over_state *st, char *states,
                                                       const char *rec, uint64_t flags,
                                                       const over_agg *a, bool add, vg_error *err)
{
    if ((flags & a->cmask) != a->cwant)
        return; /* its FILTER did not hold, or an argument it skips is NULL */
    if (a->fast == AGG_FAST_COUNT) {
        ((agg_count *)(void *)(states + a->off))->n += add ? 1 : -1;
        return;
    }
    if (a->fast != AGG_FAST_NONE) { /* SUM or AVG of a DOUBLE: the word is its bits */
        uint64_t w = over_rec_word(rec, a->slot[0]);
        double x;
        memcpy(&x, &w, sizeof x);
        if (agg_dsum_step_quick((agg_dsum *)(void *)(states + a->off), x, add ? 1 : -1))
            return;
    }
    step_call(st, states, rec, flags, a, add, err);
}

/* over_step's body (inline in this file's loops: a call's saving and
 * restoring of registers costs as much as a step). */
static inline __attribute__((always_inline)) void step_frame(over_state *st, const over_frame *f,
                                                             char *states, const char *rec,
                                                             bool add, bool small, vg_error *err)
{
    uint32_t n = f->nstate + (small ? f->nsmall : 0);
    if (!n)
        return;
    uint64_t flags = over_rec_flags(st, rec);
    for (uint32_t k = 0; k < n; k++)
        step(st, states, rec, flags, &st->aggs[f->steps[k]], add, err);
}

void over_step(over_state *st, const over_frame *f, char *states, const char *rec, bool add,
               bool small, vg_error *err)
{
    step_frame(st, f, states, rec, add, small, err);
}

void over_frame_states(const over_state *st, const over_frame *f, char *states, bool init,
                       over_how how)
{
    for (uint32_t i = f->first; i < f->first + f->naggs; i++) {
        const over_agg *a = &st->aggs[i];
        if (a->how != how)
            continue;
        if (init)
            vg_agg_init(a->call, states + a->off);
        else
            vg_agg_destroy(a->call, states + a->off);
    }
}

/* Frame fi's SMALL aggregates: into their states (all the records of the
 * running frame, in order) or out of them (empty: as new). */
static void set_big(over_state *st, over_part *p, uint32_t fi, bool big, vg_error *err)
{
    const over_frame *f = &st->frames[fi];
    char *states = over_part_states(st, p);
    if (!big) {
        p->big &= ~(1u << fi);
        return;
    }
    p->big |= 1u << fi;
    for (uint32_t r = p->pos[fi].lo; r < p->head + p->n; r++) {
        const char *rec = over_rec(st, p, r);
        uint64_t flags = over_rec_flags(st, rec);
        for (uint32_t k = f->nstate; k < f->nstate + f->nsmall; k++)
            step(st, states, rec, flags, &st->aggs[f->steps[k]], true, err);
    }
}

/* over_size_changed's body, inline in this file's loops: most calls change
 * nothing, and only read what the caller has at hand. */
static inline __attribute__((always_inline)) void size_changed(over_state *st, over_part *p,
                                                               uint32_t fi, vg_error *err)
{
    const over_frame *f = &st->frames[fi];
    uint32_t rows = p->head + p->n - p->pos[fi].lo;
    if (!f->has_small)
        return;
    bool big = p->big >> fi & 1;
    if (!big && rows > OVER_SMALL)
        set_big(st, p, fi, true, err);
    else if (big && rows == 0)
        set_big(st, p, fi, false, err); /* (the states are empty: as new) */
}

void over_size_changed(over_state *st, over_part *p, uint32_t fi, vg_error *err)
{
    size_changed(st, p, fi, err);
}

/* over_shrink's body, given the frame, its states and whether it is big. */
static inline __attribute__((always_inline)) void shrink_frame(over_state *st, over_part *p,
                                                               uint32_t fi, const over_frame *f,
                                                               char *states, bool big, int64_t t,
                                                               vg_error *err)
{
    over_pos *ps = &p->pos[fi];
    uint32_t end = p->head + p->n;
    if (f->pre < 0)
        return;
    if (f->rows) {
        while ((int64_t)(end - ps->lo) > f->pre + 1)
            step_frame(st, f, states, over_rec(st, p, ps->lo++), false, big, err);
        return;
    }
    int64_t low = over_minus(t, f->pre);
    while (ps->lo < end && over_rec_ts(over_rec(st, p, ps->lo)) < low)
        step_frame(st, f, states, over_rec(st, p, ps->lo++), false, big, err);
}

void over_shrink(over_state *st, over_part *p, uint32_t fi, int64_t t, vg_error *err)
{
    const over_frame *f = &st->frames[fi];
    shrink_frame(st, p, fi, f, over_part_states(st, p), over_big(p, fi), t, err);
}

/* ---- eviction ---- */

/* Whether the first record frame fi still holds can go from it: no frame
 * of a row at or after the watermark can hold it. */
static bool evictable(const over_state *st, const over_part *p, uint32_t fi)
{
    const over_frame *f = &st->frames[fi];
    const over_pos *ps = &p->pos[fi];
    if (f->pre < 0)
        return ps->head_ts < st->wm;
    if (!f->rows)
        return ps->head_ts < over_minus(st->wm, f->pre);
    uint32_t end = p->head + p->n;
    return (int64_t)(end - ps->head) > f->pre && ps->head_ts < st->wm &&
           over_rec_ts(over_rec(st, p, ps->head + (uint32_t)f->pre)) < st->wm;
}

/* An UNBOUNDED frame's evicted record, into the states of its FIRST_VALUE
 * and LAST_VALUE (the others hold it already). */
static void fold(over_state *st, const over_frame *f, char *states, const char *rec, vg_error *err)
{
    uint64_t flags = over_rec_flags(st, rec);
    for (uint32_t i = f->first; i < f->first + f->naggs; i++)
        if (st->aggs[i].how == OVER_SCAN)
            step(st, states, rec, flags, &st->aggs[i], true, err);
}

/* evict_frame for a RANGE frame, whose rows leave by event time alone. */
static void evict_range(over_state *st, over_part *p, uint32_t fi, const over_frame *f,
                        vg_error *err)
{
    over_pos *ps = &p->pos[fi];
    uint32_t end = p->head + p->n;
    int64_t low = over_minus(st->wm, f->pre);
    if (ps->head >= end || ps->head_ts >= low)
        return; /* (most frames, most of the time) */
    char *states = over_part_states(st, p);
    bool big = over_big(p, fi), left = false;
    do {
        if (ps->head >= ps->lo) { /* still in the running frame */
            step_frame(st, f, states, over_rec(st, p, ps->head), false, big, err);
            ps->lo++;
            left = true;
        }
        if (++ps->head < end)
            ps->head_ts = over_rec_ts(over_rec(st, p, ps->head));
    } while (ps->head < end && ps->head_ts < low);
    if (left)
        size_changed(st, p, fi, err);
}

static void evict_frame(over_state *st, over_part *p, uint32_t fi, vg_error *err)
{
    const over_frame *f = &st->frames[fi];
    if (f->pre >= 0 && !f->rows) {
        evict_range(st, p, fi, f, err);
        return;
    }
    over_pos *ps = &p->pos[fi];
    uint32_t end = p->head + p->n;
    char *states = over_part_states(st, p);
    bool left = false;
    while (ps->head < end && evictable(st, p, fi)) {
        const char *rec = over_rec(st, p, ps->head);
        if (f->pre < 0) {
            fold(st, f, states, rec, err);
        } else if (ps->head >= ps->lo) { /* still in the running frame */
            step_frame(st, f, states, rec, false, over_big(p, fi), err);
            ps->lo++;
            left = true;
        }
        if (++ps->head < end)
            ps->head_ts = over_rec_ts(over_rec(st, p, ps->head));
        if (ps->lo < ps->head)
            ps->lo = ps->head; /* UNBOUNDED: lo follows head */
    }
    if (left)
        size_changed(st, p, fi, err);
}

void over_evict(over_state *st, over_part *p, vg_error *err)
{
    if (p->swept_wm == st->wm)
        return; /* nothing has changed since the last time */
    p->swept_wm = st->wm;
    if (!p->n)
        return;
    uint32_t head = UINT32_MAX;
    for (uint32_t fi = 0; fi < st->nframes; fi++) {
        evict_frame(st, p, fi, err);
        if (p->pos[fi].head < head)
            head = p->pos[fi].head;
    }
    for (uint32_t r = p->head; r < head && st->strs.n; r++) /* (no string held: none) */
        over_rec_release(st, over_rec(st, p, r));
    p->n -= head - p->head;
    p->head = head;
    if (!p->n) {
        p->head = 0;
        memset(p->pos, 0, st->nframes * sizeof *p->pos);
    }
}

/* The watermark from which frame fi can evict p's first record (which it
 * still holds); INT64_MAX for not before more rows come. */
static int64_t frame_due(const over_state *st, const over_part *p, uint32_t fi)
{
    const over_frame *f = &st->frames[fi];
    const over_pos *ps = &p->pos[fi];
    if (f->pre < 0)
        return over_plus(ps->head_ts, 1);
    if (!f->rows)
        return over_plus(over_plus(ps->head_ts, f->pre), 1);
    if ((int64_t)p->n <= f->pre)
        return INT64_MAX;
    return over_plus(over_rec_ts(over_rec(st, p, p->head + (uint32_t)f->pre)), 1);
}

int64_t over_due(const over_state *st, const over_part *p)
{
    int64_t due = st->ttl ? over_plus(over_plus(p->newest, st->ttl), 1) : INT64_MAX;
    int64_t first = over_plus(over_plus(p->newest, st->grace), 1);
    if (!p->n)
        return st->unbounded ? due : INT64_MIN; /* empty: remove it */
    for (uint32_t fi = 0; fi < st->nframes; fi++) {
        if (p->pos[fi].head != p->head)
            continue; /* this frame is done with the first record */
        int64_t d = frame_due(st, p, fi);
        if (d > first)
            first = d;
    }
    return first < due ? first : due;
}

/* ---- results ---- */

/* The value of FIRST_VALUE (a->scan > 0) or LAST_VALUE over the records
 * [from, end): the first (last) that counts; false when none does. */
static bool scan_frame(const over_state *st, const over_part *p, const over_agg *a, uint32_t from,
                       uint32_t end, vg_value *out)
{
    for (uint32_t k = 0; from + k < end; k++) {
        const char *rec = over_rec(st, p, a->scan > 0 ? from + k : end - 1 - k);
        if (!over_rec_counts(st, rec, a))
            continue;
        over_rec_args(st, rec, a, out);
        if (!out->null)
            return true;
    }
    return false;
}

/* The value word of slot s of rec as a DISTINCT key: equal keys for
 * values equal under vg_value_cmp. Strings are inline or interned, so equal
 * ones have equal words and inline bits (the bit is the caller's to
 * compare); a DOUBLE's -0.0 is 0.0 and its NaNs are one. */
static inline uint64_t distinct_key(uint64_t w, bool dbl)
{
    if (dbl) {
        double d;
        memcpy(&d, &w, sizeof d);
        if (d == 0)
            return 0;
        if (d != d)
            return 0x7ff8000000000000ull;
    }
    return w;
}

_Static_assert(2 * OVER_SMALL == 32, "small_distinct's set has 32 slots (a 5-bit hash)");

/* COUNT(DISTINCT x) over the records [from, end) (at most OVER_SMALL). */
static int64_t small_distinct(const over_state *st, const over_part *p, const over_agg *a,
                              uint32_t from, uint32_t end)
{
    uint64_t keys[2 * OVER_SMALL], tags[2 * OVER_SMALL]; /* a set: open addressing */
    uint32_t used = 0, n = 0;                            /* its slots in use, as bits */
    const over_slot *sl = &st->slots[a->slot[0]];
    const size_t rs = st->rec_size, vo = 8 + 8 * (size_t)a->slot[0],
                 fo = 8 + 8 * (size_t)st->nslots;
    const bool dbl = sl->type == VG_T_DOUBLE;
    const uint64_t tagbit = sl->inl >= 0 ? 1ull << sl->inl : 0, cmask = a->cmask, cwant = a->cwant;
    for (const char *rec = over_rec(st, p, from), *stop = over_rec(st, p, end);
         rec < stop && n < OVER_SMALL; rec += rs) {
        uint64_t flags, w;
        memcpy(&flags, rec + fo, 8); /* (OVER_REC_PAD; only bits of the flags are tested) */
        if ((flags & cmask) != cwant)
            continue; /* its FILTER did not hold, or NULL */
        memcpy(&w, rec + vo, 8);
        uint64_t k = distinct_key(w, dbl), tag = flags & tagbit;
        uint32_t h = (uint32_t)((k ^ tag) * 0x9e3779b97f4a7c15ull >> 59); /* 5 bits */
        while (used >> h & 1 && (keys[h] != k || tags[h] != tag))
            h = (h + 1) % (2 * OVER_SMALL);
        if (!(used >> h & 1)) {
            used |= 1u << h;
            keys[h] = k;
            tags[h] = tag;
            n++;
        }
    }
    return n;
}

/* Whether value v is the newest best so far against best: for MAX
 * (dir > 0) not smaller, for MIN not greater (vg_value_cmp's order). */
static bool better(vg_type t, const vg_value *v, const vg_value *best, int dir)
{
    int c;
    if (t == VG_T_DOUBLE && v->u.d == v->u.d && best->u.d == best->u.d)
        c = v->u.d < best->u.d ? -1 : v->u.d > best->u.d; /* no NaN: plain order */
    else if (t != VG_T_DOUBLE && t != VG_T_STRING)
        c = v->u.i < best->u.i ? -1 : v->u.i > best->u.i;
    else
        c = vg_value_cmp(t, v, best);
    return dir > 0 ? c >= 0 : c <= 0;
}

/* MAX (dir > 0) or MIN of a DOUBLE over the records [from, end) that count
 * for a: better's order (NaN above every number, equals equal), the newest
 * of equal values; false when none counts. */
static bool small_best_double(const over_state *st, const over_part *p, const over_agg *a,
                              uint32_t from, uint32_t end, double *best)
{
    const size_t rs = st->rec_size, vo = 8 + 8 * (size_t)a->slot[0],
                 fo = 8 + 8 * (size_t)st->nslots;
    const uint64_t cmask = a->cmask, cwant = a->cwant;
    const bool max = a->scan > 0;
    bool have = false;
    double b = 0;
    for (const char *rec = over_rec(st, p, from), *stop = over_rec(st, p, end); rec < stop;
         rec += rs) {
        uint64_t flags;
        double v;
        memcpy(&flags, rec + fo, 8); /* (OVER_REC_PAD) */
        if ((flags & cmask) != cwant)
            continue;
        memcpy(&v, rec + vo, 8);
        if (!have) {
            b = v;
            have = true;
        } else if (max ? (isnan(b) ? isnan(v) : !(v < b)) : (isnan(b) || v <= b)) {
            b = v; /* (the newest of equals; NaN above every number) */
        }
    }
    *best = b;
    return have;
}

/* small_result of MIN or MAX of a type other than DOUBLE. */
static __attribute__((noinline)) void small_best(const over_state *st, const over_part *p,
                                                 const over_agg *a, uint32_t from, uint32_t end,
                                                 vg_value *out)
{
    vg_type t = a->call->argt[0];
    uint32_t s = a->slot[0];
    bool have = false;
    *out = vg_null();
    for (uint32_t r = from; r < end; r++) {
        const char *rec = over_rec(st, p, r);
        uint64_t flags = over_rec_flags(st, rec);
        if ((flags & a->cmask) != a->cwant)
            continue;
        vg_value v = over_rec_value(st, rec, flags, s);
        if (!have || better(t, &v, out, a->scan))
            *out = v;
        have = true;
    }
}

/* A SMALL aggregate over the records [from, end), read from them: as its
 * state would give it (MIN and MAX: the newest of equal values). */
static inline __attribute__((always_inline)) void small_result(const over_state *st,
                                                               const over_part *p,
                                                               const over_agg *a, uint32_t from,
                                                               uint32_t end, vg_value *out)
{
    double best;
    if (a->scan == 2)
        *out = vg_int(small_distinct(st, p, a, from, end));
    else if (a->call->argt[0] != VG_T_DOUBLE)
        small_best(st, p, a, from, end, out);
    else
        *out = small_best_double(st, p, a, from, end, &best) ? vg_double(best) : vg_null();
}

void over_result(const over_state *st, const over_part *p, const over_frame *f, const over_agg *a,
                 const char *states, uint32_t from, uint32_t end, bool big, vg_value *out)
{
    if (a->how == OVER_ROWCOUNT) {
        *out = vg_int(end > from ? (int64_t)(end - from) : 0);
        return;
    }
    if (a->how == OVER_SMALL && !big) {
        small_result(st, p, a, from, end, out);
        return;
    }
    if (a->how != OVER_SCAN) {
        vg_agg_result(a->call, states + a->off, out);
        return;
    }
    /* an UNBOUNDED frame's evicted rows come before the buffer's */
    const char *folded = over_part_states(st, p) + a->off;
    if (a->scan > 0 && f->pre < 0) {
        vg_agg_result(a->call, folded, out);
        if (!out->null)
            return;
    }
    if (scan_frame(st, p, a, from, end, out))
        return;
    if (f->pre < 0)
        vg_agg_result(a->call, folded, out);
    else
        *out = vg_null();
}

/* The result of aggregate a from its state st when a->fast says how and its
 * common case holds (udf/agg_int.h): what its result function would give;
 * false otherwise. */
static inline bool fast_result(const over_agg *a, const char *st, vg_value *out)
{
    double sum;
    if (a->fast == AGG_FAST_NONE)
        return false;
    if (a->fast == AGG_FAST_COUNT) {
        *out = vg_int(((const agg_count *)(const void *)st)->n);
        return true;
    }
    const agg_dsum *s = (const agg_dsum *)(const void *)st;
    if (!agg_dsum_value_quick(s, &sum))
        return false;
    *out = vg_double(a->fast == AGG_FAST_DSUM ? sum : sum / (double)s->n);
    return true;
}

/* over_results' body (inline in over_arrive). */
static inline __attribute__((always_inline)) void results_frame(over_state *st, const over_part *p,
                                                                uint32_t fi, const char *states,
                                                                uint32_t from, uint32_t end,
                                                                bool big)
{
    const over_frame *f = &st->frames[fi];
    const over_agg *a = &st->aggs[f->first], *stop = a + f->naggs;
    vg_value *out = st->out + st->nin + f->first;
    const vg_value rows = vg_int(end > from ? (int64_t)(end - from) : 0);
    for (; a < stop; a++, out++) {
        switch (a->res) {
        case OVER_RES_ROWCOUNT:
            *out = rows;
            break;
        case OVER_RES_STATE:
            if (!fast_result(a, states + a->off, out))
                a->result(a->call, states + a->off, out); /* (vg_agg_result's own) */
            break;
        case OVER_RES_SMALL:
            if (!big) {
                small_result(st, p, a, from, end, out);
                break;
            }
            /* fall through */
        default:
            over_result(st, p, f, a, states, from, end, big, out);
        }
    }
}

void over_results(over_state *st, const over_part *p, uint32_t fi, const char *states,
                  uint32_t from, uint32_t end, bool big)
{
    results_frame(st, p, fi, states, from, end, big);
}

void over_arrive(over_state *st, over_part *p, const char *rec, int64_t t, vg_error *err)
{
    uint32_t end = p->head + p->n;
    char *states = over_part_states(st, p);
    for (uint32_t fi = 0; fi < st->nframes; fi++) {
        const over_frame *f = &st->frames[fi];
        if (p->pos[fi].head == end - 1) /* the frame held no record */
            p->pos[fi].head_ts = t;
        bool big = over_big(p, fi);
        step_frame(st, f, states, rec, true, big, err);
        shrink_frame(st, p, fi, f, states, big, t, err);
        if (f->has_small)
            size_changed(st, p, fi, err);
        results_frame(st, p, fi, states, over_frame_from(f, p, fi), end, over_big(p, fi));
    }
}
