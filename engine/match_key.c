/*
 * match_key.c — the keys of MATCH_RECOGNIZE paths (engine/nfa.h,
 * vg_nfa_opts.path_key), and DEFINE conditions evaluated from them.
 *
 * A DEFINE that reads more than its own row (the rows mapped to a variable,
 * the attempt's first rows, an aggregate, CLASSIFIER of another row)
 * depends on the path only through a little state: the key of the path. It
 * is a list of components, one per such navigation value of the DEFINE
 * conditions, each made from the previous row's when a thread takes a row:
 *
 *   LAST(v.x, k), PREV/NEXT of it     x at the last k + 1 rows of v (values)
 *   FIRST(x or v.x, k), PREV/NEXT     how many of the first k + 1 rows there
 *                                     are, and x at the k-th once it is
 *   LAST(x, k), k > 0, over every row how many rows there are, up to k + 1
 *   COUNT(*), COUNT(v.*)              the count
 *   MIN, MAX, FIRST_VALUE, LAST_VALUE the result (it decides every later one)
 *   any other aggregate               its state (udf/agg.h's snapshot bytes)
 *   ARRAY_AGG                         the JSON text so far
 *   CLASSIFIER() of an earlier row    the variables of the rows it can reach
 *   CLASSIFIER(v) (LAST or FIRST)     the variables of the last (first) k + 1
 *                                     rows of v
 *   PREV/NEXT of CLASSIFIER(v)        the variables of the path's rows, newest
 *                                     first, back to the row it can reach
 *                                     (all of them for FIRST)
 *
 * Values rather than positions: two paths whose last A rows differ but hold
 * the same x have the same future. A key decides every answer a DEFINE can
 * still give to any path that extends it, in any attempt, so the matcher
 * merges threads in one state whose keys are equal and lets a later
 * attempt's thread share an earlier one's future. Threads per state are
 * then at most the distinct keys: for COUNT, MIN, MAX, FIRST and LAST with
 * offset 0 at most rows + 1, for LAST(v.x, k) (rows + 1)^(k + 1); an
 * aggregate whose state can take exponentially many values (SUM over
 * doubles, ARRAY_AGG, DISTINCT) gives no such bound.
 *
 * The define hook gets the key of the path before the row (or works it out
 * from the path, after a restore), appends the key of the path with the
 * row, reads its DEFINE's navigation values from it and evaluates the
 * condition. Key bytes never leave the process: they are read back without
 * checks.
 */
#include <string.h>

#include "engine/json_out.h"
#include "engine/match_int.h"

/* What a component keeps (mr_kcomp.kind). */
typedef enum mr_kkind {
    K_LAST,   /* u32 n <= cap, then n values newest first */
    K_FIRST,  /* u32 rows seen (<= cap), then the value once cap rows are seen */
    K_LEN,    /* u32 rows, up to cap */
    K_COUNT,  /* u64 rows */
    K_RESULT, /* the aggregate's result, a value */
    K_STATE,  /* u32 n, then n bytes of the aggregate's state */
    K_ARRAY,  /* u32 values, u32 n, then n bytes of JSON text (no brackets) */
    K_CLAST,  /* u32 rows (up to cap), u32 n <= keep, then n variables newest first */
    K_CFIRST, /* u32 rows (up to cap), u8 whether the row at `at` is seen, u8 its variable */
    K_CVAR,   /* CLASSIFIER(v): u32 n <= cap, then the variables of the last (FIRST: first)
                 n rows of v, newest (FIRST: oldest) first */
    K_CSET,   /* PREV/NEXT(CLASSIFIER(v)): u32 n, then the variables of the newest n rows,
                 newest first */
} mr_kkind;

static int nomem(vg_error *err) { return vg_error_set(err, VG_ERR_NOMEM, "out of memory"); }

static bool in_set(const vg_mr_nav *nav, uint32_t var)
{
    return nav->universal || ((nav->vars >> var) & 1);
}

/* ---- which navigation values are keyed ---- */

/* Aggregates whose result decides every later result, as adding the
 * result then the new row shows. */
static bool result_decides(const vg_plan_agg *a)
{
    static const char *const names[] = {"MIN", "MAX", "FIRST_VALUE", "LAST_VALUE"};
    const vg_agg_call *c = &a->call;
    if (c->distinct || c->nargs != 1 || c->ret != c->argt[0])
        return false;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(c->agg->name, names[i]) == 0)
            return true;
    return false;
}

/* The component navigation n needs in a DEFINE, or -1: none (it reads the
 * current row, PREV or NEXT of it, its variable, or MATCH_NUMBER). */
static int kind_of(const vg_mr_nav *n, uint32_t *cap)
{
    int64_t k = n->logical, d = n->physical;
    *cap = (uint32_t)k + 1;
    switch (n->kind) {
    case VG_MR_NAV_LAST:
        return n->universal ? (k ? K_LEN : -1) : K_LAST;
    case VG_MR_NAV_FIRST:
        return K_FIRST;
    case VG_MR_NAV_AGG:
        if (n->agg.call.agg->count_star && n->agg.call.nargs == 0 && !n->agg.filter)
            return K_COUNT;
        return result_decides(&n->agg) ? K_RESULT : K_STATE;
    case VG_MR_NAV_ARRAY_AGG:
        return K_ARRAY;
    case VG_MR_NAV_CLASSIFIER:
        if (!n->universal)
            return d ? K_CSET : K_CVAR;
        if (n->first) {
            *cap = (uint32_t)(k + d > k ? k + d : k) + 1;
            return K_CFIRST;
        }
        return k || d ? K_CLAST : -1;
    default:
        return -1;
    }
}

int mr_keys_open(mr_state *st)
{
    const vg_plan_match *m = st->m;
    uint32_t nnavs = m->nnavs;
    int8_t *kind = vg_malloc(VG_MEM_STATE, nnavs + 1);
    st->kcomp = vg_calloc(VG_MEM_STATE, nnavs + 1, sizeof *st->kcomp);
    st->koff = vg_calloc(VG_MEM_STATE, nnavs + 1, sizeof *st->koff);
    st->define_row = vg_calloc(VG_MEM_STATE, m->nvars + 1, sizeof *st->define_row);
    if (!kind || !st->kcomp || !st->koff || !st->define_row)
        return vg_free(kind), -1;
    memset(kind, -1, nnavs + 1);
    /* a DEFINE reading CLASSIFIER() or MATCH_NUMBER() inside an argument
     * (LAST(CLASSIFIER() || x), MAX(x + MATCH_NUMBER())) is evaluated on the
     * path: no keys (polynomial time is not promised); MATCH_NUMBER() makes
     * the attempts serial, as it does at the top of a condition */
    bool unkeyed = false;
    for (uint32_t v = 0; v < m->nvars; v++)
        for (uint32_t i = 0; i < st->define_uses[v].n; i++) {
            uint8_t x = st->xarg[st->define_uses[v].navs[i]];
            unkeyed |= x != 0;
            st->opts.serial |= (x & MR_XARG_NUMBER) != 0;
        }
    for (uint32_t v = 0; v < m->nvars; v++) {
        const mr_uses *u = &st->define_uses[v];
        for (uint32_t i = 0; i < u->n; i++) {
            const vg_mr_nav *n = &m->navs[u->navs[i]];
            uint32_t cap;
            int kd = unkeyed ? -1 : kind_of(n, &cap);
            st->opts.serial |= n->kind == VG_MR_NAV_MATCH_NUMBER;
            if (kd >= 0 && kind[u->navs[i]] < 0)
                st->kcomp[st->nkcomp++] = (mr_kcomp){(uint8_t)kd, u->navs[i], cap};
            kind[u->navs[i]] = (int8_t)kd;
        }
    }
    int rc = 0;
    for (uint32_t v = 0; v < m->nvars && !rc; v++) {
        const mr_uses *u = &st->define_uses[v];
        mr_uses *r = &st->define_row[v];
        r->navs = vg_malloc(VG_MEM_STATE, (u->n + 1) * sizeof *r->navs);
        for (uint32_t i = 0; r->navs && i < u->n; i++)
            if (kind[u->navs[i]] < 0)
                r->navs[r->n++] = u->navs[i];
        rc = r->navs ? 0 : -1;
    }
    vg_free(kind);
    st->opts.read_path = st->nkcomp > 0 || unkeyed;
    st->opts.path_key = st->nkcomp ? mr_path_key : NULL;
    return rc;
}

void mr_keys_close(mr_state *st)
{
    if (st->define_row)
        for (uint32_t v = 0; v < st->m->nvars; v++)
            mr_uses_free(&st->define_row[v]);
    vg_free(st->define_row);
    vg_free(st->kcomp);
    vg_free(st->koff);
    for (int i = 0; i < 3; i++)
        vg_buf_free(&st->kbuf[i]);
}

/* ---- bytes ---- */

typedef struct kcur {
    const char *p, *end; /* the bytes of the previous key not read yet */
} kcur;

static uint32_t get32(kcur *c)
{
    uint32_t v;
    memcpy(&v, c->p, 4);
    c->p += 4;
    return v;
}

static uint64_t get64(kcur *c)
{
    uint64_t v;
    memcpy(&v, c->p, 8);
    c->p += 8;
    return v;
}

/* Append n bytes: in place when the buffer has room (keys are made for
 * every thread at every row), else through vg_buf_append. 0 or -1. */
static inline int put_bytes(vg_buf *b, const void *p, size_t n)
{
    if (b->cap - b->len < n)
        return vg_buf_append(b, p, n);
    memcpy(b->p + b->len, p, n);
    b->len += n;
    return 0;
}

static int put32(vg_buf *b, uint32_t v) { return put_bytes(b, &v, 4); }
static int put64(vg_buf *b, uint64_t v) { return put_bytes(b, &v, 8); }

/* Move past a value of type t; its bytes. */
static const char *skip_value(kcur *c, vg_type t, size_t *n)
{
    const char *v = c->p;
    *n = vg_keymap_value_size(c->p, c->end, t);
    c->p += *n;
    return v;
}

/* Copy the next value of type t. */
static int copy_value(kcur *c, vg_type t, vg_buf *out)
{
    size_t n;
    const char *v = skip_value(c, t, &n);
    return put_bytes(out, v, n);
}

/* ---- rows ---- */

/* e over the row d rows from pos (NULL outside the partition's rows). */
static void value_at(mr_state *st, const vg_expr *e, uint64_t pos, int64_t d, vg_value *out)
{
    *out = vg_null();
    if (d < 0 && pos < (uint64_t)-d)
        return;
    const mr_row *r = mr_row_at(mr_part_of(st->cur), pos + (uint64_t)d);
    if (r)
        vg_expr_eval(e, mr_values(r), &st->op->env->eval, out);
}

/* Whether an aggregate takes row pos (its FILTER). */
static bool agg_takes(mr_state *st, const vg_plan_agg *a, uint64_t pos)
{
    const mr_row *r = mr_row_at(mr_part_of(st->cur), pos);
    return r && (!a->filter || vg_expr_is_true(a->filter, mr_values(r), &st->op->env->eval));
}

/* An aggregate's arguments at row pos. */
static void agg_args(mr_state *st, const vg_plan_agg *a, uint64_t pos, vg_value *args)
{
    for (uint32_t j = 0; j < a->call.nargs; j++)
        value_at(st, a->args[j], pos, 0, &args[j]);
}

/* ---- components: the next key ---- */

/* Each writes the component of the path that takes row pos as var after a
 * path whose component is at c (NULL: the empty path) to out. 0 or -1. */

static int next_last(mr_state *st, const mr_kcomp *k, kcur *c, uint64_t pos, uint32_t var,
                     vg_buf *out)
{
    const vg_mr_nav *n = &st->m->navs[k->nav];
    uint32_t had = c ? get32(c) : 0;
    bool add = in_set(n, var);
    uint32_t now = add ? (had + 1 < k->cap ? had + 1 : k->cap) : had;
    int rc = put32(out, now);
    if (add) {
        vg_value v;
        value_at(st, n->arg, pos, n->physical, &v);
        rc |= vg_keymap_put_value(out, n->type, &v);
    }
    uint32_t i = 0;
    for (; i < now - add; i++)
        rc |= copy_value(c, n->type, out);
    for (size_t skip; i < had; i++)
        skip_value(c, n->type, &skip);
    return rc;
}

static int next_first(mr_state *st, const mr_kcomp *k, kcur *c, uint64_t pos, uint32_t var,
                      vg_buf *out)
{
    const vg_mr_nav *n = &st->m->navs[k->nav];
    uint32_t had = c ? get32(c) : 0;
    bool add = had < k->cap && in_set(n, var);
    int rc = put32(out, had + add);
    if (had == k->cap)
        return rc | copy_value(c, n->type, out);
    if (add && had + 1 == k->cap) {
        vg_value v;
        value_at(st, n->arg, pos, n->physical, &v);
        rc |= vg_keymap_put_value(out, n->type, &v);
    }
    return rc;
}

static int next_len(const mr_kcomp *k, kcur *c, vg_buf *out, bool row)
{
    uint32_t had = c ? get32(c) : 0;
    return put32(out, had + row <= k->cap ? had + row : k->cap);
}

static int next_count(mr_state *st, const mr_kcomp *k, kcur *c, uint32_t var, vg_buf *out,
                      bool row)
{
    uint64_t had = c ? get64(c) : 0;
    return put64(out, had + (row && in_set(&st->m->navs[k->nav], var)));
}

static int next_result(mr_state *st, const mr_kcomp *k, kcur *c, uint64_t pos, uint32_t var,
                       vg_buf *out, bool row)
{
    const vg_mr_nav *n = &st->m->navs[k->nav];
    const vg_agg_call *call = &n->agg.call;
    vg_value old = vg_null(), args[VG_AGG_MAXARGS], res;
    if (c)
        c->p = vg_keymap_get_value(c->p, call->ret, &old);
    if (!row || !in_set(n, var) || !agg_takes(st, &n->agg, pos))
        return vg_keymap_put_value(out, call->ret, &old);
    agg_args(st, &n->agg, pos, args);
    vg_agg_init(call, st->agg);
    int rc = (!old.null ? vg_agg_add(call, st->agg, &old) : 0) | vg_agg_add(call, st->agg, args);
    vg_agg_result(call, st->agg, &res);
    rc |= vg_keymap_put_value(out, call->ret, &res);
    vg_agg_destroy(call, st->agg);
    return rc;
}

/* The aggregate's value into *val (NULL: not wanted), from the state. */
static int state_value(mr_state *st, const vg_agg_call *call, vg_value *val)
{
    if (!val)
        return 0;
    vg_agg_result(call, st->agg, val);
    if (!val->null && call->ret == VG_T_STRING) {
        char *s = vg_arena_strndup(st->op->env->eval.scratch, val->u.s, val->len);
        if (!s)
            return -1;
        val->u.s = s;
    }
    return 0;
}

static int next_state(mr_state *st, const mr_kcomp *k, kcur *c, uint64_t pos, uint32_t var,
                      vg_buf *out, bool row, vg_value *val)
{
    const vg_mr_nav *n = &st->m->navs[k->nav];
    const vg_agg_call *call = &n->agg.call;
    vg_agg_init(call, st->agg);
    int rc = 0;
    if (c) {
        uint32_t len = get32(c);
        const char *p = c->p;
        rc = vg_agg_restore(call, st->agg, &p, c->p + len);
        c->p += len;
    }
    if (!rc && row && in_set(n, var) && agg_takes(st, &n->agg, pos)) {
        vg_value args[VG_AGG_MAXARGS];
        agg_args(st, &n->agg, pos, args);
        rc = vg_agg_add(call, st->agg, args);
    }
    size_t at = out->len;
    if (!rc && !(rc = put32(out, 0)) && !(rc = vg_agg_snapshot(call, st->agg, out))) {
        uint32_t len = (uint32_t)(out->len - at - 4);
        memcpy(out->p + at, &len, 4);
        rc = state_value(st, call, val);
    }
    vg_agg_destroy(call, st->agg);
    return rc;
}

static int next_array(mr_state *st, const mr_kcomp *k, kcur *c, uint64_t pos, uint32_t var,
                      vg_buf *out, bool row)
{
    const vg_mr_nav *n = &st->m->navs[k->nav];
    uint32_t count = c ? get32(c) : 0, len = c ? get32(c) : 0;
    const char *text = c ? c->p : NULL;
    if (c)
        c->p += len;
    bool add = row && in_set(n, var) && agg_takes(st, &n->agg, pos);
    size_t at = out->len;
    int rc = put32(out, count + add) | put32(out, 0) | (len ? vg_buf_append(out, text, len) : 0);
    if (add) {
        vg_value v;
        value_at(st, n->arg, pos, 0, &v);
        rc |= count ? vg_buf_putc(out, ',') : 0;
        rc |= vg_json_write_value(out, vg_expr_type(n->arg), &v);
    }
    if (!rc) {
        uint32_t n_text = (uint32_t)(out->len - at - 8);
        memcpy(out->p + at + 4, &n_text, 4);
    }
    return rc;
}

/* CLASSIFIER() k rows back (LAST) then d: the variables of the last
 * k - d + 1 rows are kept (none when d > k: the row is after the current
 * one), and the rows up to k + 1. */
static int next_clast(mr_state *st, const mr_kcomp *k, kcur *c, uint32_t var, vg_buf *out,
                      bool row)
{
    const vg_mr_nav *n = &st->m->navs[k->nav];
    int64_t back = n->logical - n->physical;
    uint32_t keep = back >= 0 ? (uint32_t)back + 1 : 0;
    uint32_t rows = c ? get32(c) : 0, had = c ? get32(c) : 0;
    const char *vars = c ? c->p : NULL;
    if (c)
        c->p += had;
    uint32_t now = row ? (had + 1 < keep ? had + 1 : keep) : had;
    uint8_t v = (uint8_t)var;
    int rc = put32(out, rows + row <= k->cap ? rows + row : k->cap) | put32(out, now);
    if (row && now)
        rc |= vg_buf_append(out, &v, 1);
    if (now - (row && now))
        rc |= vg_buf_append(out, vars, now - (row && now));
    return rc;
}

/* FIRST(CLASSIFIER(), k) then d: the variable of the row at k + d from the
 * first, once seen, and the rows up to the larger of k and k + d, plus 1. */
static int next_cfirst(mr_state *st, const mr_kcomp *k, kcur *c, uint32_t var, vg_buf *out,
                       bool row)
{
    const vg_mr_nav *n = &st->m->navs[k->nav];
    int64_t at = n->logical + n->physical;
    uint32_t rows = c ? get32(c) : 0;
    uint8_t seen[2] = {0, 0};
    if (c) {
        memcpy(seen, c->p, 2);
        c->p += 2;
    }
    if (row && at >= 0 && rows == (uint64_t)at)
        seen[0] = 1, seen[1] = (uint8_t)var;
    return put32(out, rows + row <= k->cap ? rows + row : k->cap) | vg_buf_append(out, seen, 2);
}

/* The index (0: the newest) in vars[0..n) of the row CLASSIFIER(v) (LAST or
 * FIRST of v's rows, then PREV/NEXT) designates, or -1: none (out of the path,
 * or after its newest row). With want_base, the index of the row LAST or
 * FIRST chose instead (-1: v has too few rows). */
static int64_t cset_index(const vg_mr_nav *n, const char *vars, uint32_t cnt, bool want_base)
{
    int64_t k = n->logical, base = -1;
    if (n->first) {
        for (int64_t i = (int64_t)cnt - 1; i >= 0 && base < 0; i--)
            if (in_set(n, (uint8_t)vars[i]) && k-- == 0)
                base = i;
    } else {
        for (uint32_t i = 0; i < cnt && base < 0; i++)
            if (in_set(n, (uint8_t)vars[i]) && k-- == 0)
                base = i;
    }
    if (want_base || base < 0)
        return base;
    int64_t at = base - n->physical; /* PREV (physical < 0) goes to older rows */
    return at >= 0 && at < (int64_t)cnt ? at : -1;
}

/* The list of variables a CLASSIFIER key holds at c (none when c is NULL):
 * its length, *vars pointing at its bytes; c moves past it. */
static uint32_t get_cvars(kcur *c, const char **vars)
{
    uint32_t had = c ? get32(c) : 0;
    *vars = c ? c->p : NULL;
    if (c)
        c->p += had;
    return had;
}

/* CLASSIFIER(v): the variables of the path's rows, newest first. FIRST keeps
 * them all; LAST those back to the row it chose and |PREV| rows more (older
 * ones can never be designated again: a later row of v is newer), or all
 * while v has too few rows. */
static int next_cset(mr_state *st, const mr_kcomp *k, kcur *c, uint32_t var, vg_buf *out,
                     bool row)
{
    const vg_mr_nav *n = &st->m->navs[k->nav];
    const char *old;
    uint32_t had = get_cvars(c, &old);
    size_t at = out->len;
    uint8_t v = (uint8_t)var;
    int rc = put32(out, had + row) | (row ? vg_buf_append(out, &v, 1) : 0) |
             (had ? vg_buf_append(out, old, had) : 0);
    if (rc || n->first)
        return rc;
    uint32_t cnt = had + row;
    int64_t base = cset_index(n, out->p + at + 4, cnt, true);
    int64_t keep = base < 0 ? cnt : base + (n->physical < 0 ? -n->physical : 0) + 1;
    if (keep < cnt) {
        uint32_t kept = (uint32_t)keep;
        memcpy(out->p + at, &kept, 4);
        out->len = at + 4 + kept;
    }
    return 0;
}

/* CLASSIFIER(v), no PREV or NEXT: the variables of v's last k + 1 rows,
 * newest first (FIRST: of its first k + 1, oldest first). */
static int next_cvar(mr_state *st, const mr_kcomp *k, kcur *c, uint32_t var, vg_buf *out,
                     bool row)
{
    const vg_mr_nav *n = &st->m->navs[k->nav];
    const char *old;
    uint32_t had = get_cvars(c, &old);
    uint8_t v = (uint8_t)var;
    bool add = row && in_set(n, var) && (!n->first || had < k->cap);
    uint32_t now = add && had < k->cap ? had + 1 : had;
    int rc = put32(out, now);
    if (add && !n->first)
        rc |= vg_buf_append(out, &v, 1) | (now > 1 ? vg_buf_append(out, old, now - 1) : 0);
    else
        rc |= (had ? vg_buf_append(out, old, had) : 0) | (add ? vg_buf_append(out, &v, 1) : 0);
    return rc;
}

/* The key of the path taking row pos as var after a path with key
 * prev[0..len) (prev NULL: the empty path, and no row is taken: the key of
 * the empty path) onto out, each component's offset in st->koff; K_STATE
 * values into vals[nav] (vals NULL: not wanted). 0 or -1. */
static int next_key(mr_state *st, const char *prev, uint32_t len, uint64_t pos, uint32_t var,
                    vg_buf *out, vg_value *vals)
{
    kcur cur = {prev, prev + len}, *c = prev ? &cur : NULL;
    bool row = c != NULL;
    int rc = vg_buf_reserve(out, (size_t)len + 64); /* most keys grow by less */
    for (uint32_t i = 0; i < st->nkcomp && !rc; i++) {
        const mr_kcomp *k = &st->kcomp[i];
        st->koff[i] = (uint32_t)out->len;
        switch ((mr_kkind)k->kind) {
        case K_LAST:
            rc = row ? next_last(st, k, c, pos, var, out) : put32(out, 0);
            break;
        case K_FIRST:
            rc = row ? next_first(st, k, c, pos, var, out) : put32(out, 0);
            break;
        case K_LEN:
            rc = next_len(k, c, out, row);
            break;
        case K_COUNT:
            rc = next_count(st, k, c, var, out, row);
            break;
        case K_RESULT:
            rc = next_result(st, k, c, pos, var, out, row);
            break;
        case K_STATE:
            rc = next_state(st, k, c, pos, var, out, row, vals ? &vals[k->nav] : NULL);
            break;
        case K_ARRAY:
            rc = next_array(st, k, c, pos, var, out, row);
            break;
        case K_CLAST:
            rc = next_clast(st, k, c, var, out, row);
            break;
        case K_CFIRST:
            rc = next_cfirst(st, k, c, var, out, row);
            break;
        case K_CVAR:
            rc = next_cvar(st, k, c, var, out, row);
            break;
        case K_CSET:
            rc = next_cset(st, k, c, var, out, row);
            break;
        }
    }
    return rc ? -1 : 0;
}

/* ---- components: the values ---- */

static const char *var_name(const mr_state *st, uint8_t v, vg_value *out)
{
    const char *name = v < st->m->nvars ? st->m->vars[v] : NULL;
    *out = name ? vg_str(name, (uint32_t)strlen(name)) : vg_null();
    return name;
}

/* The navigation value of component k, whose bytes (in a key made for the
 * path ending at row pos) are at c, into *out. 0 or -1 (out of memory). */
static int value_of(mr_state *st, const mr_kcomp *k, kcur *c, uint64_t pos, vg_value *out)
{
    const vg_mr_nav *n = &st->m->navs[k->nav];
    uint32_t rows;
    size_t skip;
    if (k->kind == K_STATE)
        return 0; /* made with the key */
    *out = vg_null();
    switch ((mr_kkind)k->kind) {
    case K_LAST:
        rows = get32(c);
        for (uint32_t i = 0; i < (uint32_t)n->logical && i < rows; i++)
            skip_value(c, n->type, &skip);
        if (rows > n->logical)
            vg_keymap_get_value(c->p, n->type, out);
        return 0;
    case K_FIRST:
        if (get32(c) == k->cap)
            vg_keymap_get_value(c->p, n->type, out);
        return 0;
    case K_LEN:
        if (get32(c) == k->cap)
            value_at(st, n->arg, pos - (uint64_t)n->logical, n->physical, out);
        return 0;
    case K_COUNT:
        *out = vg_int((int64_t)get64(c));
        return 0;
    case K_RESULT:
        vg_keymap_get_value(c->p, n->agg.call.ret, out);
        return 0;
    case K_STATE:
        return 0;
    case K_ARRAY: {
        uint32_t count = get32(c), len = get32(c);
        if (!count)
            return 0;
        char *t = vg_arena_alloc(st->op->env->eval.scratch, (size_t)len + 3);
        if (!t)
            return -1;
        t[0] = '[';
        memcpy(t + 1, c->p, len);
        t[len + 1] = ']';
        t[len + 2] = 0;
        *out = vg_str(t, len + 2);
        return 0;
    }
    case K_CLAST: {
        uint32_t back = (uint32_t)(n->logical - n->physical);
        rows = get32(c);
        uint32_t kept = get32(c);
        if (rows == k->cap && n->physical <= n->logical && back < kept)
            var_name(st, (uint8_t)c->p[back], out);
        return 0;
    }
    case K_CFIRST:
        rows = get32(c);
        if (rows > n->logical && c->p[0])
            var_name(st, (uint8_t)c->p[1], out);
        return 0;
    case K_CVAR:
        rows = get32(c);
        if (rows > n->logical)
            var_name(st, (uint8_t)c->p[n->logical], out);
        return 0;
    case K_CSET: {
        rows = get32(c);
        int64_t i = cset_index(n, c->p, rows, false);
        if (i >= 0)
            var_name(st, (uint8_t)c->p[i], out);
        return 0;
    }
    }
    return 0;
}

/* ---- the hooks ---- */

/* The key of path (NULL: the empty path) onto out, worked out row by row. */
static int key_of_path(mr_state *st, const vg_nfa_step *path, vg_buf *out)
{
    vg_buf *a = &st->kbuf[0], *b = &st->kbuf[1];
    uint32_t n = path ? path->len : 0;
    vg_buf_clear(a);
    if (mr_steps_reserve(st, n) < 0 || next_key(st, NULL, 0, 0, 0, a, NULL) < 0)
        return -1;
    const vg_nfa_step *s = path;
    for (uint32_t i = n; i-- > 0; s = s->prev)
        st->steps[i] = s;
    for (uint32_t i = 0; i < n; i++) {
        vg_buf_clear(b);
        if (next_key(st, a->p, (uint32_t)a->len, st->steps[i]->pos, st->steps[i]->var, b, NULL))
            return -1;
        vg_buf *t = a;
        a = b, b = t;
    }
    return vg_buf_append(out, a->p, a->len);
}

int mr_path_key(void *arg, const vg_nfa_step *path, vg_buf *out)
{
    mr_state *st = arg;
    return key_of_path(st, path, out) < 0 ? nomem(st->op->env->eval.err) : 0;
}

int mr_define_keyed(mr_state *st, uint32_t var, uint64_t pos, const vg_nfa_step *path,
                    const void *key, uint32_t key_len, vg_buf *next)
{
    const mr_part *p = mr_part_of(st->cur);
    vg_eval_ctx *ctx = &st->op->env->eval;
    const mr_row *r = mr_row_at(p, pos);
    if (!r)
        return vg_error_set(ctx->err, VG_ERR_RUNTIME, "the matcher asked for a row no longer held");
    if (!key) {
        vg_buf_clear(&st->kbuf[2]);
        if (key_of_path(st, path, &st->kbuf[2]) < 0)
            return nomem(ctx->err);
        key = st->kbuf[2].p;
        key_len = (uint32_t)st->kbuf[2].len;
    }
    uint32_t ncols = st->in->ncols;
    memcpy(st->row, mr_values(r), ncols * sizeof *st->row);
    if (next_key(st, key, key_len, pos, var, next, st->row + ncols) < 0)
        return nomem(ctx->err);
    for (uint32_t i = 0; i < st->nkcomp; i++) {
        kcur c = {next->p + st->koff[i], next->p + next->len};
        if (value_of(st, &st->kcomp[i], &c, pos, &st->row[ncols + st->kcomp[i].nav]) < 0)
            return nomem(ctx->err);
    }
    const vg_expr *cond = st->m->defines[var];
    const mr_uses *u = &st->define_row[var];
    if (!cond)
        return 1;
    if (u->n) {
        vg_nfa_step cur = {.prev = path, .pos = pos, .var = var, .len = path ? path->len + 1 : 1};
        mr_at at = {&cur, p->matches + 1, false, NULL};
        if (mr_navs_eval(st, p, u, &at, st->row, ctx->err) < 0)
            return -1;
    }
    return vg_expr_is_true(cond, st->row, ctx) ? 1 : 0;
}
