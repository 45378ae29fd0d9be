/*
 * match_nav.c — the navigation values of MATCH_RECOGNIZE (sql/plan.h,
 * vg_mr_nav) over a match: what DEFINE conditions and MEASURES read beyond
 * the current row's own columns.
 *
 * A match as far as it goes is a step list from the matcher (engine/nfa.h),
 * newest row first; its rows are consecutive positions of the partition.
 * RUNNING values are computed over the list that starts at the current
 * row, FINAL ones over the list that starts at the match's last row: the
 * caller picks the head, the rules are the same.
 *
 * LAST(v.x, k) takes the k-th row from the newest mapped to a variable of
 * the nav's set, FIRST(v.x, k) the k-th from the oldest; PREV/NEXT then move
 * `physical` rows over the partition (leaving the match is allowed, leaving
 * the rows the partition has is not: NULL). An aggregate adds the rows
 * mapped to its set in match order through udf/agg.h; ARRAY_AGG, which the
 * aggregate library lacks, is built here as a STRING holding a JSON array
 * of the values, NULLs included, NULL over no rows. CLASSIFIER() names the
 * variable of the row the nav designates when that row is in the match,
 * else NULL. An argument that reads CLASSIFIER() or MATCH_NUMBER() inside
 * (LAST(CLASSIFIER() || x), ARRAY_AGG(CLASSIFIER())) is evaluated over a
 * copy of the row with those two values past the input's columns.
 */
#include <string.h>

#include "engine/json_out.h"
#include "engine/match_int.h"

static int nomem(vg_error *err) { return vg_error_set(err, VG_ERR_NOMEM, "out of memory"); }

static bool in_set(const vg_mr_nav *nav, const vg_nfa_step *s)
{
    return nav->universal || ((nav->vars >> s->var) & 1);
}

/* Room for n positions in st->posv. 0 or -1. */
static int posv_reserve(mr_state *st, uint32_t n)
{
    if (n <= st->posv_cap)
        return 0;
    uint32_t cap = st->posv_cap ? st->posv_cap : 64;
    while (cap < n)
        cap *= 2;
    uint64_t *nv = vg_realloc(VG_MEM_STATE, st->posv, cap * sizeof *nv);
    if (!nv)
        return -1;
    st->posv = nv;
    uint32_t *vv = vg_realloc(VG_MEM_STATE, st->varv, cap * sizeof *vv);
    if (!vv)
        return -1;
    st->varv = vv;
    st->posv_cap = cap;
    return 0;
}

int mr_xarg_open(mr_state *st)
{
    const vg_plan_match *m = st->m;
    uint32_t ncols = st->in->ncols;
    st->xarg = vg_calloc(VG_MEM_STATE, m->nnavs + 1, 1);
    st->xrow = vg_calloc(VG_MEM_STATE, ncols + 2, sizeof *st->xrow);
    bool *seen = vg_calloc(VG_MEM_STATE, ncols + 2, sizeof *seen);
    int rc = st->xarg && st->xrow && seen ? 0 : -1;
    for (uint32_t j = 0; j < m->nnavs && rc == 0; j++) {
        const vg_mr_nav *nav = &m->navs[j];
        seen[ncols] = seen[ncols + 1] = false;
        rc |= mr_slots_of(nav->arg, ncols + 2, seen);
        rc |= mr_slots_of(nav->agg.filter, ncols + 2, seen);
        for (uint32_t a = 0; a < VG_AGG_MAXARGS; a++)
            rc |= mr_slots_of(nav->agg.args[a], ncols + 2, seen);
        st->xarg[j] = (uint8_t)((seen[ncols] ? MR_XARG_CLASSIFIER : 0) |
                                (seen[ncols + 1] ? MR_XARG_NUMBER : 0));
    }
    vg_free(seen);
    return rc;
}

/* The row nav's argument reads at pos, mapped to variable var (-1: in no
 * match) of match number: the input row, or a copy with the hidden slots set
 * when the argument reads them. */
static const vg_value *arg_row(mr_state *st, const mr_part *p, const vg_mr_nav *nav,
                               uint64_t pos, int64_t var, uint64_t number)
{
    const vg_value *row = mr_values(mr_row_at(p, pos));
    if (!st->xarg[nav - st->m->navs])
        return row;
    uint32_t ncols = st->in->ncols;
    const char *name = var >= 0 ? st->m->vars[var] : NULL;
    memcpy(st->xrow, row, ncols * sizeof *row);
    st->xrow[ncols] = name ? vg_str(name, (uint32_t)strlen(name)) : vg_null();
    st->xrow[ncols + 1] = vg_int((int64_t)number);
    return st->xrow;
}

/* The variable of the row at pos in the match at (the rows up to at->head,
 * then the whole match in MEASURES), or -1: in neither. */
static int64_t var_at(const mr_at *at, uint64_t pos)
{
    const vg_nfa_step *head = at->head && pos > at->head->pos ? at->whole : at->head;
    for (const vg_nfa_step *s = head; s && s->pos >= pos; s = s->prev)
        if (s->pos == pos)
            return s->var;
    return -1;
}

/* The positions of the rows of head's list that nav's set maps, newest
 * first, into st->posv; their count, or -1 when out of memory. */
static int64_t collect(mr_state *st, const vg_mr_nav *nav, const vg_nfa_step *head)
{
    if (head && posv_reserve(st, head->len) < 0)
        return -1;
    uint32_t c = 0;
    for (const vg_nfa_step *s = head; s; s = s->prev)
        if (in_set(nav, s)) {
            st->varv[c] = s->var;
            st->posv[c++] = s->pos;
        }
    return c;
}

/* The row LAST or FIRST designates before any physical move: 1 with *pos
 * set, 0 when there is none, -1 when out of memory. */
static int logical_pos(mr_state *st, const vg_mr_nav *nav, const vg_nfa_step *head,
                       uint64_t *pos)
{
    int64_t k = nav->logical;
    if (!head || k >= head->len)
        return 0;
    bool first = nav->kind == VG_MR_NAV_FIRST || (nav->kind == VG_MR_NAV_CLASSIFIER && nav->first);
    if (!first) {
        for (const vg_nfa_step *s = head; s; s = s->prev)
            if (in_set(nav, s) && k-- == 0) {
                *pos = s->pos;
                return 1;
            }
        return 0;
    }
    if (nav->universal) {
        *pos = head->pos - (head->len - 1) + (uint64_t)k; /* the rows are consecutive */
        return 1;
    }
    int64_t c = collect(st, nav, head);
    if (c < 0)
        return -1;
    if (c <= k)
        return 0;
    *pos = st->posv[c - 1 - k];
    return 1;
}

/* The row nav designates (logical step, then physical): 1 with *pos set,
 * 0 when it is out of range, -1 when out of memory. */
static int target_pos(mr_state *st, const mr_part *p, const vg_mr_nav *nav,
                      const vg_nfa_step *head, uint64_t *pos)
{
    int rc = logical_pos(st, nav, head, pos);
    if (rc <= 0)
        return rc;
    int64_t d = nav->physical;
    if (d < 0 && *pos < (uint64_t)-d)
        return 0; /* before the partition's first row */
    *pos += (uint64_t)d;
    return mr_row_at(p, *pos) != NULL;
}

/* The list LAST or FIRST counts in. LAST counts back from the current row
 * (RUNNING) or the last (FINAL); FIRST counts on from the match's first row,
 * and in MEASURES, where the match is complete, may reach rows after the
 * current one whatever the semantics (Trino's TestRowPatternMatching states
 * RUNNING FIRST(value, 2) at the match's first row as its third row's value).
 * In DEFINE no row after the current one is mapped yet. */
static const vg_nfa_step *logical_list(const vg_mr_nav *nav, const mr_at *at)
{
    bool first = nav->kind == VG_MR_NAV_FIRST || (nav->kind == VG_MR_NAV_CLASSIFIER && nav->first);
    return first && at->whole ? at->whole : at->head;
}

/* CLASSIFIER(): the variable the match maps the designated row to. In
 * MEASURES a row after the current one (NEXT) is read from the whole match:
 * RUNNING semantics choose the row, the match is complete. */
static int classifier(mr_state *st, const mr_part *p, const vg_mr_nav *nav, const mr_at *at,
                      vg_value *out)
{
    const vg_nfa_step *head = logical_list(nav, at);
    uint64_t pos;
    int rc = target_pos(st, p, nav, head, &pos);
    *out = vg_null();
    if (rc > 0 && pos > head->pos)
        head = at->whole;
    if (rc <= 0 || !head || pos > head->pos)
        return rc;
    for (const vg_nfa_step *s = head; s && s->pos >= pos; s = s->prev)
        if (s->pos == pos) {
            const char *name = st->m->vars[s->var];
            *out = vg_str(name, (uint32_t)strlen(name));
        }
    return 0;
}

/* ARRAY_AGG over the rows at st->posv[0..c) (newest first): a JSON array
 * in the scratch arena. */
static int array_agg(mr_state *st, const mr_part *p, const vg_mr_nav *nav, const mr_at *at,
                     int64_t c, vg_value *out)
{
    vg_eval_ctx *ctx = &st->op->env->eval;
    vg_buf *b = &st->json;
    vg_buf_clear(b);
    int rc = vg_buf_putc(b, '[');
    uint32_t added = 0;
    for (int64_t i = c - 1; i >= 0 && rc == 0; i--) {
        const vg_value *row = arg_row(st, p, nav, st->posv[i], st->varv[i], at->number);
        if (nav->agg.filter && !vg_expr_is_true(nav->agg.filter, row, ctx))
            continue;
        vg_value v;
        vg_expr_eval(nav->arg, row, ctx, &v);
        rc |= (added++ ? vg_buf_putc(b, ',') : 0) | vg_json_write_value(b, vg_expr_type(nav->arg), &v);
    }
    rc |= vg_buf_putc(b, ']');
    if (rc < 0)
        return nomem(ctx->err);
    *out = vg_null();
    if (!added)
        return 0;
    char *s = vg_arena_strndup(ctx->scratch, b->p, b->len);
    if (!s)
        return nomem(ctx->err);
    *out = vg_str(s, (uint32_t)b->len);
    return 0;
}

/* Add the rows at st->posv[0..c) (newest first) to an aggregate's state. */
static int agg_add_rows(mr_state *st, const mr_part *p, const vg_mr_nav *nav, const mr_at *at,
                        int64_t c)
{
    vg_eval_ctx *ctx = &st->op->env->eval;
    const vg_plan_agg *a = &nav->agg;
    vg_value args[VG_AGG_MAXARGS];
    for (int64_t i = c - 1; i >= 0; i--) {
        const vg_value *row = arg_row(st, p, nav, st->posv[i], st->varv[i], at->number);
        if (a->filter && !vg_expr_is_true(a->filter, row, ctx))
            continue;
        for (uint32_t j = 0; j < a->call.nargs; j++)
            vg_expr_eval(a->args[j], row, ctx, &args[j]);
        if (vg_agg_add(&a->call, st->agg, args) < 0)
            return -1;
    }
    return 0;
}

/* An aggregate over the rows of head's list its set maps. */
static int aggregate(mr_state *st, const mr_part *p, const vg_mr_nav *nav, const mr_at *at,
                     vg_value *out)
{
    vg_eval_ctx *ctx = &st->op->env->eval;
    const vg_plan_agg *a = &nav->agg;
    int64_t c = collect(st, nav, at->head);
    if (c < 0)
        return nomem(ctx->err);
    if (nav->kind == VG_MR_NAV_ARRAY_AGG)
        return array_agg(st, p, nav, at, c, out);
    if (a->call.agg->count_star && a->call.nargs == 0 && !a->filter) {
        *out = vg_int(c); /* COUNT(*), COUNT(v.*) */
        return 0;
    }
    vg_agg_init(&a->call, st->agg);
    int rc = agg_add_rows(st, p, nav, at, c);
    vg_agg_result(&a->call, st->agg, out);
    if (rc == 0 && !out->null && a->call.ret == VG_T_STRING) {
        char *s = vg_arena_strndup(ctx->scratch, out->u.s, out->len);
        rc = s ? 0 : -1;
        out->u.s = s;
    }
    vg_agg_destroy(&a->call, st->agg);
    return rc < 0 ? nomem(ctx->err) : 0;
}

/* One navigation value at `at`. 0 or -1 (err set). */
static int nav_eval(mr_state *st, const mr_part *p, const vg_mr_nav *nav, const mr_at *at,
                    vg_value *out)
{
    uint64_t pos;
    int rc;
    switch (nav->kind) {
    case VG_MR_NAV_LAST:
    case VG_MR_NAV_FIRST:
        *out = vg_null();
        rc = target_pos(st, p, nav, logical_list(nav, at), &pos);
        if (rc > 0)
            vg_expr_eval(nav->arg,
                         arg_row(st, p, nav, pos,
                                 st->xarg[nav - st->m->navs] ? var_at(at, pos) : -1, at->number),
                         &st->op->env->eval, out);
        return rc < 0 ? nomem(st->op->env->eval.err) : 0;
    case VG_MR_NAV_AGG:
    case VG_MR_NAV_ARRAY_AGG:
        return aggregate(st, p, nav, at, out);
    case VG_MR_NAV_CLASSIFIER:
        rc = classifier(st, p, nav, at, out);
        return rc < 0 ? nomem(st->op->env->eval.err) : 0;
    case VG_MR_NAV_MATCH_NUMBER:
        *out = vg_int((int64_t)at->number);
        return 0;
    case VG_MR_NAV_TIMED_OUT:
        *out = vg_bool(at->timed_out);
        return 0;
    }
    *out = vg_null();
    return 0;
}

int mr_navs_eval(mr_state *st, const mr_part *p, const mr_uses *uses, const mr_at *at,
                 vg_value *row, vg_error *err)
{
    uint32_t ncols = st->in->ncols;
    for (uint32_t i = 0; i < uses->n; i++) {
        uint32_t j = uses->navs[i];
        if (nav_eval(st, p, &st->m->navs[j], at, &row[ncols + j]) < 0)
            return vg_error_set(err, VG_ERR_NOMEM, "out of memory");
    }
    return 0;
}

/* ---- which slots an expression reads ---- */

/* The expression's SQL text (EXPLAIN's, engine/expr.h) names a column it
 * reads as $slot when given no names (the slots from ncols on are
 * navigation values). A string constant that happens to hold "$12" only
 * costs a value kept or computed for nothing. */
int mr_slots_of(const vg_expr *e, uint32_t n, bool *seen)
{
    if (!e)
        return 0;
    vg_arena *a = vg_arena_new(VG_MEM_STATE, 1024);
    const char *sql = a ? vg_expr_to_sql(e, NULL, a) : NULL;
    if (!sql) {
        vg_arena_free(a);
        return -1;
    }
    for (const char *c = strchr(sql, '$'); c; c = strchr(c + 1, '$')) {
        uint64_t slot = 0;
        const char *d = c + 1;
        for (; *d >= '0' && *d <= '9' && slot < UINT32_MAX; d++)
            slot = slot * 10 + (uint64_t)(*d - '0');
        if (d > c + 1 && slot < n)
            seen[slot] = true;
    }
    vg_arena_free(a);
    return 0;
}

int mr_uses_of(const vg_expr *e, uint32_t ncols, uint32_t nnavs, mr_uses *u)
{
    memset(u, 0, sizeof *u);
    if (!e || !nnavs)
        return 0;
    bool *seen = vg_calloc(VG_MEM_STATE, ncols + nnavs, sizeof *seen);
    if (!seen || mr_slots_of(e, ncols + nnavs, seen) < 0) {
        vg_free(seen);
        return -1;
    }
    for (uint32_t j = 0; j < nnavs; j++)
        u->n += seen[ncols + j];
    u->navs = vg_malloc(VG_MEM_STATE, (u->n ? u->n : 1) * sizeof *u->navs);
    uint32_t k = 0;
    for (uint32_t j = 0; j < nnavs && u->navs; j++)
        if (seen[ncols + j])
            u->navs[k++] = j;
    vg_free(seen);
    return u->navs ? 0 : -1;
}

void mr_uses_free(mr_uses *u)
{
    vg_free(u->navs);
    memset(u, 0, sizeof *u);
}

/* ---- the matcher's hooks ---- */

/* Whether row pos satisfies var's DEFINE, the rows before it mapped as
 * path and pos itself provisionally mapped to var: from the path's key
 * when the matcher keeps keys (match_key.c), else by walking the path. */
static int on_define(void *arg, uint32_t var, uint64_t pos, const vg_nfa_step *path,
                     const void *key, uint32_t key_len, vg_buf *next_key)
{
    mr_state *st = arg;
    if (next_key)
        return mr_define_keyed(st, var, pos, path, key, key_len, next_key);
    const vg_expr *cond = st->m->defines[var];
    if (!cond)
        return 1;
    const mr_part *p = mr_part_of(st->cur);
    vg_eval_ctx *ctx = &st->op->env->eval;
    const mr_row *r = mr_row_at(p, pos);
    if (!r)
        return vg_error_set(ctx->err, VG_ERR_RUNTIME, "the matcher asked for a row no longer held");
    const mr_uses *u = &st->define_uses[var];
    const vg_value *row = mr_values(r);
    if (u->n) {
        vg_nfa_step cur = {.prev = path, .pos = pos, .var = var, .len = path ? path->len + 1 : 1};
        mr_at at = {&cur, p->matches + 1, false, NULL};
        memcpy(st->row, row, st->in->ncols * sizeof *row);
        if (mr_navs_eval(st, p, u, &at, st->row, ctx->err) < 0)
            return -1;
        row = st->row;
    }
    return vg_expr_is_true(cond, row, ctx) ? 1 : 0;
}

/* st->row's input columns: the row at pos, or NULLs when p has none. */
static void current_row(mr_state *st, const mr_part *p, uint64_t pos)
{
    const mr_row *r = mr_row_at(p, pos);
    for (uint32_t c = 0; c < st->in->ncols; c++)
        st->row[c] = r ? mr_values(r)[c] : vg_null();
}

/* The measures over st->row into out[0..nmeasures): navigation values at
 * `at` (RUNNING ones; FINAL ones when final is set), then the expressions. */
static int measures(mr_state *st, const mr_part *p, const mr_at *at, bool final, vg_value *out)
{
    vg_eval_ctx *ctx = &st->op->env->eval;
    if (mr_navs_eval(st, p, &st->running, at, st->row, ctx->err) < 0 ||
        (final && mr_navs_eval(st, p, &st->final, at, st->row, ctx->err) < 0))
        return -1;
    for (uint32_t k = 0; k < st->m->nmeasures; k++)
        vg_expr_eval(st->m->measures[k], st->row, ctx, &out[k]);
    return 0;
}

/* An ALL ROWS output row for input row r, measures already in place. */
static void all_rows_out(mr_state *st, const vg_value *r)
{
    const vg_plan_match *m = st->m;
    vg_value *out = st->out;
    for (uint32_t k = 0; k < m->nkeys; k++)
        out[k] = r[m->keys[k]];
    for (uint32_t j = 0; j < st->nshown; j++)
        out[m->nkeys + j] = r[st->shown[j]];
    vg_value *rest = out + m->nkeys + st->nshown + m->nmeasures;
    for (uint32_t j = 0; j < st->nrest; j++)
        rest[j] = r[st->rest[j]];
    vg_op_emit(st->op, out, VG_ROW_INSERT);
}

/* ONE ROW PER MATCH: the keys, then the measures at the match's last row. */
static int one_row(mr_state *st, const mr_part *p, uint64_t start, const mr_at *at)
{
    const vg_plan_match *m = st->m;
    vg_keymap_decode(gm_key(&st->map, st->cur), st->in, m->keys, m->nkeys, st->out);
    current_row(st, p, at->head ? at->head->pos : start);
    if (measures(st, p, at, true, st->out + m->nkeys) < 0)
        return -1;
    vg_op_emit(st->op, st->out, VG_ROW_INSERT);
    return 0;
}

int mr_steps_reserve(mr_state *st, uint32_t n)
{
    if (n <= st->steps_cap)
        return 0;
    uint32_t cap = st->steps_cap ? st->steps_cap : 64;
    while (cap < n)
        cap *= 2;
    const vg_nfa_step **ns = vg_realloc(VG_MEM_STATE, st->steps, cap * sizeof *ns);
    if (!ns)
        return nomem(st->op->env->eval.err);
    st->steps = ns;
    st->steps_cap = cap;
    return 0;
}

/* ALL ROWS PER MATCH: a row per row of the match not excluded, RUNNING
 * values at that row, FINAL ones at the last; an empty match shows its
 * start row (SHOW EMPTY MATCHES, WITH UNMATCHED ROWS). */
static int all_rows(mr_state *st, const mr_part *p, uint64_t start, const mr_at *at)
{
    const vg_plan_match *m = st->m;
    vg_value *meas = st->out + m->nkeys + st->nshown;
    if (!at->head) {
        const mr_row *r = mr_row_at(p, start);
        if (m->rows == VG_MR_ALL_ROWS_OMIT_EMPTY || !r)
            return 0;
        current_row(st, p, start);
        if (measures(st, p, at, true, meas) < 0)
            return -1;
        all_rows_out(st, mr_values(r));
        return 0;
    }
    uint32_t n = at->head->len;
    if (mr_steps_reserve(st, n) < 0)
        return -1;
    const vg_nfa_step *s = at->head;
    for (uint32_t i = n; i-- > 0; s = s->prev)
        st->steps[i] = s;
    if (mr_navs_eval(st, p, &st->final, at, st->row, st->op->env->eval.err) < 0)
        return -1;
    for (uint32_t i = 0; i < n; i++) {
        if (st->steps[i]->excluded)
            continue;
        mr_at here = {st->steps[i], at->number, at->timed_out, at->head};
        current_row(st, p, st->steps[i]->pos);
        if (measures(st, p, &here, false, meas) < 0)
            return -1;
        all_rows_out(st, mr_values(mr_row_at(p, st->steps[i]->pos)));
    }
    return 0;
}

static int on_match(void *arg, uint64_t start, const vg_nfa_step *path, bool timed_out)
{
    mr_state *st = arg;
    mr_part *p = mr_part_of(st->cur);
    mr_at at = {path, ++p->matches, timed_out, path};
    return st->m->rows == VG_MR_ONE_ROW ? one_row(st, p, start, &at) : all_rows(st, p, start, &at);
}

/* WITH UNMATCHED ROWS: the row with NULL measures. */
static int on_unmatched(void *arg, uint64_t pos)
{
    mr_state *st = arg;
    const mr_row *r = mr_row_at(mr_part_of(st->cur), pos);
    if (!r)
        return vg_error_set(st->op->env->eval.err, VG_ERR_RUNTIME,
                            "the matcher reported a row no longer held");
    for (uint32_t k = 0; k < st->m->nmeasures; k++)
        st->out[st->m->nkeys + st->nshown + k] = vg_null();
    all_rows_out(st, mr_values(r));
    return 0;
}

vg_nfa_hooks mr_hooks(mr_state *st)
{
    return (vg_nfa_hooks){on_define, on_match, on_unmatched, st};
}
