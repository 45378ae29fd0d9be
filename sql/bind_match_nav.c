/*
 * bind_match_nav.c — the navigation values of MATCH_RECOGNIZE's DEFINE
 * conditions and measures (sql/plan.h, vg_mr_nav).
 *
 * A navigation value is what an expression reads beyond the current row's
 * own columns: PREV, NEXT, FIRST, LAST, RUNNING and FINAL, aggregates,
 * CLASSIFIER(), MATCH_NUMBER(), TIMED_OUT(), MATCH_ROWTIME() (a whole
 * measure: FINAL LAST of the ORDER BY column), a column qualified by a
 * pattern variable (v.x is LAST(v.x)) and, in MEASURES, an unqualified
 * column (LAST(x) over every row). Nesting is checked as the standard
 * allows it: PREV or NEXT directly around FIRST or LAST (or CLASSIFIER()),
 * no navigation or aggregate inside an aggregate's arguments, and every
 * column (and CLASSIFIER(v)) of an argument qualified by the same variable
 * (or none: every row). CLASSIFIER() and MATCH_NUMBER() may
 * appear inside an argument: they read two hidden slots past the input's
 * columns, which the operator fills at each row (bind_match_int.h, in_x). Each
 * value becomes an entry of vg_plan_match.navs whose argument is bound over
 * the input row with its qualifier taken off; identical ones (same kind,
 * rows, offsets and argument text) share one.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "engine/nfa.h"
#include "sql/bind_match_int.h"

#define FAIL(...) (vg_bind_fail(__VA_ARGS__), -1)

#define NESTING                                                                                    \
    "navigation functions can only be nested as PREV or NEXT directly around FIRST or LAST"

/* A navigation value being analysed. */
typedef struct navspec {
    vg_mr_nav nav;        /* kind, final, logical, physical, first, span so far */
    const vg_ast *arg;    /* LAST, FIRST: the argument as written; AGG, ARRAY_AGG: the call */
    const vg_ident *qual; /* the qualifier of its columns; NULL: universal */
    bind_nodemap strip;   /* its column references and their input slots */
    bool classifier;      /* its argument reads CLASSIFIER() of the rows it ranges over */
} navspec;

/* ---- node maps ---- */

static int map_add(bind_mr *r, bind_nodemap *m, const vg_ast *e, int64_t slot)
{
    if (m->n == m->cap) {
        uint32_t cap = m->cap;
        const vg_ast **nodes = vg_bind_grow(r->c, m->nodes, m->n, &cap, sizeof *nodes);
        int64_t *slots = nodes ? vg_bind_grow(r->c, m->slots, m->n, &m->cap, sizeof *slots) : NULL;
        if (!slots)
            return vg_bind_nomem(r->c);
        m->nodes = nodes;
        m->slots = slots;
    }
    m->nodes[m->n] = e;
    m->slots[m->n++] = slot;
    return 0;
}

static int64_t map_slot(const void *arg, const vg_ast *e)
{
    const bind_nodemap *m = arg;
    for (uint32_t i = 0; i < m->n; i++)
        if (m->nodes[i] == e)
            return m->slots[i];
    return -1;
}

/* ---- navigation values: what they are ---- */

/* The pattern functions, by what they are. */
typedef enum fkind {
    F_NONE,         /* not one: an ordinary function or not a call */
    F_PHYSICAL,     /* PREV, NEXT */
    F_LOGICAL,      /* FIRST, LAST */
    F_SEMANTICS,    /* RUNNING, FINAL (the parser's calls) */
    F_AGGREGATE,    /* an aggregate of udf/agg.h, or ARRAY_AGG */
    F_CLASSIFIER,   /* CLASSIFIER() */
    F_MATCH_NUMBER, /* MATCH_NUMBER() */
    F_TIMED_OUT,    /* TIMED_OUT() */
    F_ROWTIME,      /* MATCH_ROWTIME() */
} fkind;

static const struct {
    const char *name; /* upper case */
    fkind kind;
} pattern_fns[] = {
    {"PREV", F_PHYSICAL},         {"NEXT", F_PHYSICAL},
    {"FIRST", F_LOGICAL},         {"LAST", F_LOGICAL},
    {"RUNNING", F_SEMANTICS},     {"FINAL", F_SEMANTICS},
    {"CLASSIFIER", F_CLASSIFIER}, {"MATCH_NUMBER", F_MATCH_NUMBER},
    {"TIMED_OUT", F_TIMED_OUT},   {"ARRAY_AGG", F_AGGREGATE},
    {"MATCH_ROWTIME", F_ROWTIME},
};

static fkind fkind_of(const vg_ast *e)
{
    if (e->kind != VG_AST_CALL)
        return F_NONE;
    for (size_t i = 0; i < sizeof pattern_fns / sizeof pattern_fns[0]; i++)
        if (strcasecmp(e->u.call.name.name, pattern_fns[i].name) == 0)
            return pattern_fns[i].kind;
    return vg_agg_lookup(e->u.call.name.name) ? F_AGGREGATE : F_NONE;
}

bool vg_bind_mr_is_pattern_fn(const vg_ast *e) { return fkind_of(e) != F_NONE; }

static bool is_named(const vg_ast *e, const char *upper)
{
    return strcasecmp(e->u.call.name.name, upper) == 0;
}

/* A pattern function met inside an argument of a navigation (in_agg false)
 * or of an aggregate: refused. */
static int nested_error(bind_mr *r, const vg_ast *e, fkind k, bool in_agg)
{
    const char *name = e->u.call.name.name;
    switch (k) {
    case F_PHYSICAL:
    case F_LOGICAL:
    case F_SEMANTICS:
        return FAIL(r->c, VG_ERR_SEMANTIC, e->span, "%s",
                    in_agg ? "navigation functions are not allowed inside an aggregate function"
                           : NESTING);
    case F_AGGREGATE:
        return FAIL(r->c, VG_ERR_SEMANTIC, e->span, "%s",
                    in_agg ? "aggregate functions cannot be nested"
                           : "aggregate functions are not allowed inside a navigation function");
    default:
        return FAIL(r->c, VG_ERR_SEMANTIC, e->span,
                    "%s() is not allowed inside a navigation or aggregate function", name);
    }
}

/* What the walk of an argument collects. */
typedef struct argwalk {
    bind_mr *r;  /* the MATCH_RECOGNIZE */
    navspec *s;  /* the navigation value whose argument it is */
    bool in_agg; /* an aggregate's argument (else a navigation's) */
    bool seen;   /* a column reference was met: s->qual is its qualifier */
} argwalk;

static int arg_walk_fn(void *arg, vg_ast *const *slot);
static int classifier_arg(bind_mr *r, const vg_ast *e, navspec *s);
static int arity(bind_mr *r, const vg_ast *e, uint32_t lo, uint32_t hi);

/* Column reference or CLASSIFIER e qualified by q (NULL: universal): the
 * same variable as the argument's other ones. */
static int same_qualifier(argwalk *w, const vg_ast *e, const vg_ident *q)
{
    bind_mr *r = w->r;
    vg_mr_vars vars;
    if (q && vg_bind_mr_vars(r, q, &vars) < 0)
        return -1;
    if (w->seen && (!q != !w->s->qual || (q && strcmp(q->name, w->s->qual->name) != 0)))
        return FAIL(r->c, VG_ERR_SEMANTIC, e->span,
                    "%s arguments must reference one pattern variable",
                    w->in_agg ? "aggregate" : "navigation");
    w->seen = true;
    w->s->qual = q;
    return 0;
}

/* CLASSIFIER([v]) or MATCH_NUMBER() inside an argument: the extra input
 * slots VG_MR_SLOT_CLASSIFIER and VG_MR_SLOT_MATCH_NUMBER past the input's
 * columns (bind_match.c's in_x), read at each row the argument is evaluated
 * at. CLASSIFIER(v) qualifies the argument as v.x does. */
static int special_in_arg(argwalk *w, const vg_ast *e, fkind k)
{
    bind_mr *r = w->r;
    uint32_t ncols = r->in->ncols;
    if (k == F_MATCH_NUMBER)
        return arity(r, e, 0, 0) < 0 ? -1 : map_add(r, &w->s->strip, e, ncols + 1);
    navspec tmp;
    memset(&tmp, 0, sizeof tmp);
    if (e->u.call.args.n && classifier_arg(r, e, &tmp) < 0)
        return -1;
    if (same_qualifier(w, e, tmp.qual) < 0)
        return -1;
    w->s->classifier = true;
    return map_add(r, &w->s->strip, e, ncols);
}

/* Check a plain argument e (no navigation or aggregate inside): every column
 * reference (and CLASSIFIER) names the same variable (or none), and is
 * mapped to its input slot in s->strip. */
static int arg_walk(argwalk *w, const vg_ast *e)
{
    bind_mr *r = w->r;
    fkind k = fkind_of(e);
    if (k == F_CLASSIFIER || k == F_MATCH_NUMBER)
        return special_in_arg(w, e, k);
    if (k != F_NONE)
        return nested_error(r, e, k, w->in_agg);
    if (e->kind != VG_AST_COLUMN)
        return vg_bind_each_child(e, arg_walk_fn, w) ? -1 : 0;
    const vg_ident *q = e->u.column.qualifier.name ? &e->u.column.qualifier : NULL;
    if (same_qualifier(w, e, q) < 0)
        return -1;
    int slot = vg_bind_find_column(&r->in_ctx, q ? q->name : NULL, e->u.column.name.name,
                                   q ? e->span : e->u.column.name.span);
    return slot < 0 ? -1 : map_add(r, &w->s->strip, e, slot);
}

static int arg_walk_fn(void *arg, vg_ast *const *slot) { return arg_walk(arg, *slot) < 0; }

/* Whether e reads a row or calls a function: not part of a constant offset. */
static bool is_column_or_call(const vg_ast *e)
{
    return e->kind == VG_AST_COLUMN || e->kind == VG_AST_STAR || e->kind == VG_AST_CALL;
}

/* A constant, non-negative integer offset: argument i of call e, or dflt
 * when the call has no such argument. */
static int offset_arg(bind_mr *r, const vg_ast *e, uint32_t i, int64_t dflt, int64_t *out)
{
    const char *fn = e->u.call.name.name;
    *out = dflt;
    if (e->u.call.args.n <= i)
        return 0;
    const vg_ast *a = e->u.call.args.items[i];
    bind_ctx k = *r->c;
    k.scope = NULL;
    vg_expr *x;
    if (vg_bind_find(a, is_column_or_call))
        return FAIL(r->c, VG_ERR_SEMANTIC, a->span, "the offset of %s must be a constant integer",
                    fn);
    if (!(x = vg_bind_expr(&k, a)))
        return -1;
    const vg_value *v = vg_expr_const_value(x);
    vg_type t = vg_expr_type(x);
    if (!v || (t != VG_T_INT && t != VG_T_BIGINT) || v->null)
        return FAIL(r->c, VG_ERR_SEMANTIC, a->span, "the offset of %s must be a constant integer",
                    fn);
    if (v->u.i < 0)
        return FAIL(r->c, VG_ERR_SEMANTIC, a->span, "the offset of %s must not be negative", fn);
    if (v->u.i > INT32_MAX)
        return FAIL(r->c, VG_ERR_SEMANTIC, a->span, "the offset of %s is too large", fn);
    *out = v->u.i;
    return 0;
}

/* Call e has between lo and hi arguments. */
static int arity(bind_mr *r, const vg_ast *e, uint32_t lo, uint32_t hi)
{
    uint32_t n = e->u.call.args.n;
    if (n >= lo && n <= hi)
        return 0;
    const char *name = e->u.call.name.name;
    if (hi == 0)
        return FAIL(r->c, VG_ERR_SEMANTIC, e->span, "%s() takes no arguments", name);
    return FAIL(r->c, VG_ERR_SEMANTIC, e->span, "%s takes %s", name,
                lo == hi ? "one argument" : "one or two arguments");
}

/* CLASSIFIER(v): v a pattern variable or SUBSET name (the standard's form), the
 * qualifier of s: the row it names is the last (or first) row mapped to v, as
 * for v.x. */
static int classifier_arg(bind_mr *r, const vg_ast *e, navspec *s)
{
    const vg_ast *a = e->u.call.args.items[0];
    if (e->u.call.args.n > 1 || a->kind != VG_AST_COLUMN || a->u.column.qualifier.name)
        return FAIL(r->c, VG_ERR_SEMANTIC, e->u.call.args.n > 1 ? e->u.call.args.items[1]->span
                                                                : a->span,
                    "CLASSIFIER takes no argument, or a pattern variable or SUBSET name");
    vg_mr_vars vars;
    if (vg_bind_mr_vars(r, &a->u.column.name, &vars) < 0)
        return -1;
    s->qual = &a->u.column.name;
    return 0;
}

/* CLASSIFIER() [or CLASSIFIER(v)], MATCH_NUMBER(), TIMED_OUT(): no arguments. */
static int nullary(bind_mr *r, const vg_ast *e, fkind k, navspec *s)
{
    static const vg_mr_nav_kind kinds[] = {[F_CLASSIFIER] = VG_MR_NAV_CLASSIFIER,
                                           [F_MATCH_NUMBER] = VG_MR_NAV_MATCH_NUMBER,
                                           [F_TIMED_OUT] = VG_MR_NAV_TIMED_OUT};
    static const vg_type types[] = {
        [F_CLASSIFIER] = VG_T_STRING, [F_MATCH_NUMBER] = VG_T_BIGINT, [F_TIMED_OUT] = VG_T_BOOL};
    if (k == F_CLASSIFIER && e->u.call.args.n && classifier_arg(r, e, s) < 0)
        return -1;
    if (k != F_CLASSIFIER && arity(r, e, 0, 0) < 0)
        return -1;
    if (k == F_TIMED_OUT && r->define)
        return FAIL(r->c, VG_ERR_SEMANTIC, e->span, "TIMED_OUT() is only allowed in MEASURES");
    if (k == F_TIMED_OUT && !r->m->emit_timeouts)
        return FAIL(r->c, VG_ERR_SEMANTIC, e->span,
                    "TIMED_OUT() needs WITHIN ... EMIT TIMEOUTS in the MATCH_RECOGNIZE");
    s->nav.kind = kinds[k];
    s->nav.type = types[k];
    return 0;
}

/* FIRST(e [, k]) or LAST(e [, k]). */
static int logical(bind_mr *r, const vg_ast *e, navspec *s)
{
    if (arity(r, e, 1, 2) < 0 || offset_arg(r, e, 1, 0, &s->nav.logical) < 0)
        return -1;
    bool first = is_named(e, "FIRST");
    const vg_ast *a = e->u.call.args.items[0];
    fkind k = fkind_of(a);
    if (k == F_CLASSIFIER) {
        s->nav.first = first;
        return nullary(r, a, k, s);
    }
    if (k != F_NONE)
        return nested_error(r, a, k, false);
    s->nav.kind = first ? VG_MR_NAV_FIRST : VG_MR_NAV_LAST;
    s->arg = a;
    argwalk w = {r, s, false, false};
    return arg_walk(&w, a);
}

static int aggregate(bind_mr *r, const vg_ast *e, navspec *s);

/* RUNNING e or FINAL e, e a FIRST, LAST or (outside PREV and NEXT) an aggregate. */
static int semantics(bind_mr *r, const vg_ast *e, navspec *s, bool in_physical)
{
    const vg_ident *name = &e->u.call.name;
    s->nav.final = is_named(e, "FINAL");
    if (s->nav.final && r->define)
        return FAIL(r->c, VG_ERR_SEMANTIC, name->span, "FINAL is not allowed in DEFINE");
    const vg_ast *a = e->u.call.args.n == 1 ? e->u.call.args.items[0] : NULL;
    fkind k = a ? fkind_of(a) : F_NONE;
    if (k == F_LOGICAL)
        return logical(r, a, s);
    if (k == F_AGGREGATE && in_physical)
        return nested_error(r, a, k, false);
    if (k == F_AGGREGATE)
        return aggregate(r, a, s);
    return FAIL(r->c, VG_ERR_SEMANTIC, name->span,
                "%s applies to FIRST, LAST and aggregate functions", name->name);
}

/* PREV(e [, n]) or NEXT(e [, n]), e a FIRST, LAST, CLASSIFIER() or a plain
 * expression (then LAST of it: the current row, or v's last row). */
static int physical(bind_mr *r, const vg_ast *e, navspec *s)
{
    int64_t n;
    if (arity(r, e, 1, 2) < 0 || offset_arg(r, e, 1, 1, &n) < 0)
        return -1;
    const vg_ast *a = e->u.call.args.items[0];
    fkind k = fkind_of(a);
    s->nav.physical = is_named(e, "PREV") ? -n : n;
    switch (k) {
    case F_NONE:
        break;
    case F_LOGICAL:
        return logical(r, a, s);
    case F_SEMANTICS:
        return semantics(r, a, s, true);
    case F_CLASSIFIER:
        return nullary(r, a, k, s);
    default:
        return nested_error(r, a, k, false);
    }
    s->nav.kind = VG_MR_NAV_LAST;
    s->arg = a;
    argwalk w = {r, s, false, false};
    return arg_walk(&w, a);
}

/* An aggregate call e: COUNT(*), COUNT(v.*), f([DISTINCT] args) [FILTER (WHERE c)],
 * over the rows of one variable (or all). */
static int aggregate(bind_mr *r, const vg_ast *e, navspec *s)
{
    if (e->u.call.over)
        return FAIL(r->c, VG_ERR_SEMANTIC, e->u.call.over->span,
                    "OVER is not allowed in MATCH_RECOGNIZE");
    bool array = is_named(e, "ARRAY_AGG");
    s->nav.kind = array ? VG_MR_NAV_ARRAY_AGG : VG_MR_NAV_AGG;
    s->arg = e;
    if (array && e->u.call.distinct)
        return FAIL(r->c, VG_ERR_SEMANTIC, e->span, "ARRAY_AGG(DISTINCT ...) is not supported");
    if (array && arity(r, e, 1, 1) < 0)
        return -1;
    argwalk w = {r, s, true, false};
    const vg_ast_list *args = &e->u.call.args;
    if (args->n == 1 && args->items[0]->kind == VG_AST_STAR) {
        const vg_ident *q = &args->items[0]->u.star.qualifier;
        w.seen = true;
        s->qual = q->name ? q : NULL;
    }
    for (uint32_t i = 0; i < args->n; i++)
        if (args->items[i]->kind != VG_AST_STAR && arg_walk(&w, args->items[i]) < 0)
            return -1;
    return e->u.call.filter ? arg_walk(&w, e->u.call.filter) : 0;
}

/* ---- navigation values: their entries ---- */

/* Whether a DEFINE reading n reads the path: which variables earlier rows
 * were mapped to (sql/plan.h, defines_read_path). */
static bool reads_path(const vg_mr_nav *n)
{
    switch (n->kind) {
    case VG_MR_NAV_MATCH_NUMBER:
    case VG_MR_NAV_TIMED_OUT:
        return false;
    case VG_MR_NAV_CLASSIFIER:
        return n->logical || n->physical || n->first || !n->universal;
    default:
        return !n->universal;
    }
}

static int no_check(void *arg, const vg_ast *part)
{
    (void)arg;
    (void)part;
    return 0;
}

/* s's argument (or aggregate call) with its qualifiers taken off, over the
 * input row. */
static const vg_ast *stripped(bind_mr *r, navspec *s)
{
    const vg_ast *e = s->arg;
    const vg_ast *x = vg_bind_rewrite(r->c, e, map_slot, &s->strip, &r->in_x);
    if (!x || e->kind != VG_AST_CALL || e->u.call.args.n != 1 ||
        e->u.call.args.items[0]->kind != VG_AST_STAR)
        return x;
    /* COUNT(v.*) counts v's rows: COUNT(*) over them */
    vg_ast *call = vg_arena_alloc(r->c->b->arena, sizeof *call);
    vg_ast *star = vg_arena_calloc(r->c->b->arena, sizeof *star);
    vg_ast **args = vg_arena_alloc(r->c->b->arena, sizeof *args);
    if (!call || !star || !args) {
        vg_bind_nomem(r->c);
        return NULL;
    }
    *call = *x;
    star->kind = VG_AST_STAR;
    star->span = e->u.call.args.items[0]->span;
    args[0] = star;
    call->u.call.args.items = args;
    return call;
}

/* An aggregate of udf/agg.h, bound by bind_agg.c's machinery. */
static int bind_agg(bind_mr *r, navspec *s, const vg_ast *call)
{
    bind_aggs aggs;
    memset(&aggs, 0, sizeof aggs);
    aggs.prefix = "nav";
    if (vg_bind_aggs_add(&r->in_ctx, &aggs, call, vg_agg_lookup(call->u.call.name.name), NULL,
                         no_check, NULL) < 0)
        return -1;
    s->nav.agg = aggs.aggs[0].agg;
    s->nav.arg = s->nav.agg.call.nargs ? s->nav.agg.args[0] : NULL;
    s->nav.type = s->nav.agg.call.ret;
    return 0;
}

/* ARRAY_AGG(arg) [FILTER (WHERE c)]: the argument and the filter. */
static int bind_array_agg(bind_mr *r, navspec *s, const vg_ast *call)
{
    vg_plan_agg *a = &s->nav.agg;
    const vg_ast *f = call->u.call.filter;
    a->span = call->span;
    if (call->u.call.args.items[0]->kind == VG_AST_STAR)
        return FAIL(r->c, VG_ERR_SEMANTIC, call->u.call.args.items[0]->span,
                    "'*' is only allowed in COUNT(*)");
    if (!(a->args[0] = s->nav.arg = vg_bind_expr(&r->in_ctx, call->u.call.args.items[0])))
        return -1;
    s->nav.type = VG_T_STRING;
    if (!f)
        return 0;
    vg_expr *x = vg_bind_condition(&r->in_ctx, f, "FILTER");
    if (!x)
        return -1;
    if (!vg_bind_is_true(x) && !(a->filter = vg_bind_cast_to(&r->in_ctx, x, VG_T_BOOL, f->span)))
        return -1;
    return 0;
}

/* Bind what a new entry reads: its argument, or its aggregate call. */
static int bind_value(bind_mr *r, navspec *s)
{
    if (!s->arg)
        return 0;
    const vg_ast *x = stripped(r, s);
    if (!x)
        return -1;
    if (s->nav.kind == VG_MR_NAV_AGG)
        return bind_agg(r, s, x);
    if (s->nav.kind == VG_MR_NAV_ARRAY_AGG)
        return bind_array_agg(r, s, x);
    if (!(s->nav.arg = vg_bind_expr(&r->in_ctx, x)))
        return -1;
    s->nav.type = vg_expr_type(s->nav.arg);
    return 0;
}

/* A new entry for s at the end of m->navs and of the layout. */
static int append_nav(bind_mr *r, navspec *s, const char *sig)
{
    vg_plan_match *m = r->m;
    uint32_t slot = r->layout.ncols, cap = r->navcap;
    if (bind_value(r, s) < 0)
        return -1;
    vg_mr_nav *navs = vg_bind_grow(r->c, m->navs, m->nnavs, &cap, sizeof *navs);
    const char **sigs =
        navs ? vg_bind_grow(r->c, r->sigs, m->nnavs, &r->navcap, sizeof *sigs) : NULL;
    vg_column *cols =
        sigs ? vg_bind_grow(r->c, r->layout.cols, slot, &r->laycap, sizeof *cols) : NULL;
    const char *name = cols ? vg_bind_hidden_name(r->c, slot) : NULL;
    if (!name)
        return vg_bind_nomem(r->c);
    m->navs = navs;
    r->sigs = sigs;
    r->layout.cols = cols;
    navs[m->nnavs] = s->nav;
    sigs[m->nnavs++] = sig;
    cols[slot].name = name;
    cols[slot].type = s->nav.type;
    r->layout.ncols++;
    if (-s->nav.physical > m->max_prev)
        m->max_prev = -s->nav.physical;
    if (s->nav.physical > m->max_next)
        m->max_next = s->nav.physical;
    return 0;
}

/* The entry for s (an identical one, or a new one), mapped from node e. */
static int add_nav(bind_mr *r, navspec *s, const vg_ast *e)
{
    vg_mr_nav *n = &s->nav;
    n->universal = !s->qual;
    n->vars = r->all;
    if (s->qual && vg_bind_mr_vars(r, s->qual, &n->vars) < 0)
        return -1;
    /* in the DEFINE of v, the last row of a set holding v is the current row */
    if (r->define && n->kind == VG_MR_NAV_LAST && !n->logical && (n->vars >> r->var & 1)) {
        n->universal = true;
        n->vars = r->all;
    }
    if (r->define && (reads_path(n) || s->classifier))
        r->m->defines_read_path = true;
    const vg_span sp = s->arg ? s->arg->span : (vg_span){0, 0};
    const char *sig =
        vg_arena_printf(r->c->b->arena, "%d|%llx|%d|%d|%lld|%lld|%d|%.*s", n->kind,
                        (unsigned long long)n->vars, n->universal, n->final, (long long)n->logical,
                        (long long)n->physical, n->first, (int)sp.len, r->c->src->text + sp.off);
    if (!sig)
        return vg_bind_nomem(r->c);
    uint32_t i = 0;
    while (i < r->m->nnavs && strcmp(r->sigs[i], sig) != 0)
        i++;
    if (i == r->m->nnavs && append_nav(r, s, sig) < 0)
        return -1;
    return map_add(r, &r->map, e, r->in->ncols + i);
}

/* ---- DEFINE and MEASURES ---- */

static int collect(bind_mr *r, const vg_ast *e);

static int collect_fn(void *arg, vg_ast *const *slot) { return collect(arg, *slot) < 0; }

/* MATCH_ROWTIME() [or MATCH_ROWTIME(ts), Flink's form, ts the ORDER BY
 * column], a whole measure of ONE ROW PER MATCH over a pattern that cannot
 * match empty: the event time of the match's last row, FINAL LAST(ts), and
 * the output's event-time attribute. */
static int rowtime(bind_mr *r, const vg_ast *e, navspec *s)
{
    vg_plan_match *m = r->m;
    const char *ts = r->in->cols[m->order_col].name;
    const vg_ast_list *args = &e->u.call.args;
    if (r->define)
        return FAIL(r->c, VG_ERR_SEMANTIC, e->span, "MATCH_ROWTIME() is only allowed in MEASURES");
    if (e != r->measure)
        return FAIL(r->c, VG_ERR_SEMANTIC, e->span,
                    "MATCH_ROWTIME() must be a whole measure (MATCH_ROWTIME() AS name): it is "
                    "the output's event time");
    const vg_ast *a = args->n ? args->items[0] : NULL;
    if (args->n > 1 || (a && (a->kind != VG_AST_COLUMN || a->u.column.qualifier.name ||
                              strcasecmp(a->u.column.name.name, ts) != 0)))
        return FAIL(r->c, VG_ERR_SEMANTIC, args->n > 1 ? args->items[1]->span : a->span,
                    "MATCH_ROWTIME takes no argument, or the event-time column '%s'", ts);
    if (m->rows != VG_MR_ONE_ROW)
        return FAIL(r->c, VG_ERR_SEMANTIC, e->span,
                    "MATCH_ROWTIME() needs ONE ROW PER MATCH: with ALL ROWS PER MATCH the "
                    "column '%s' is the output's event time",
                    ts);
    if (vg_nfa_pattern_nullable(m->pattern))
        return FAIL(r->c, VG_ERR_SEMANTIC, r->f->u.match.pattern_span,
                    "MATCH_ROWTIME() needs a pattern that cannot match the empty sequence: an "
                    "empty match has no last row");
    vg_ast *col = vg_arena_calloc(r->c->b->arena, sizeof *col);
    if (!col)
        return vg_bind_nomem(r->c);
    col->kind = VG_AST_COLUMN;
    col->span = e->span;
    col->u.column.name = (vg_ident){.name = ts, .span = e->span};
    s->nav.kind = VG_MR_NAV_LAST;
    s->nav.final = true;
    s->arg = col;
    if (m->rowtime < 0)
        m->rowtime = (int32_t)m->nmeasures;
    argwalk w = {r, s, false, false};
    return arg_walk(&w, col);
}

/* A navigation function call e. */
static int navigation(bind_mr *r, const vg_ast *e, fkind k)
{
    navspec s;
    memset(&s, 0, sizeof s);
    s.nav.span = e->span;
    int rc;
    switch (k) {
    case F_PHYSICAL:
        rc = physical(r, e, &s);
        break;
    case F_LOGICAL:
        rc = logical(r, e, &s);
        break;
    case F_SEMANTICS:
        rc = semantics(r, e, &s, false);
        break;
    case F_AGGREGATE:
        rc = aggregate(r, e, &s);
        break;
    case F_ROWTIME:
        rc = rowtime(r, e, &s);
        break;
    default:
        rc = nullary(r, e, k, &s);
        break;
    }
    return rc < 0 ? -1 : add_nav(r, &s, e);
}

/* A column reference outside any navigation: in DEFINE, plain or qualified by
 * the variable defined, the current row's column; else v.x is LAST(v.x) and,
 * in MEASURES, x is LAST(x). */
static int column(bind_mr *r, const vg_ast *e)
{
    const vg_ident *q = e->u.column.qualifier.name ? &e->u.column.qualifier : NULL;
    if (r->define && (!q || strcmp(q->name, r->m->vars[r->var]) == 0)) {
        int slot = vg_bind_find_column(&r->in_ctx, q ? q->name : NULL, e->u.column.name.name,
                                       q ? e->span : e->u.column.name.span);
        return slot < 0 ? -1 : map_add(r, &r->map, e, slot);
    }
    navspec s;
    memset(&s, 0, sizeof s);
    s.nav.span = e->span;
    s.nav.kind = VG_MR_NAV_LAST;
    s.arg = e;
    argwalk w = {r, &s, false, false};
    return arg_walk(&w, e) < 0 ? -1 : add_nav(r, &s, e);
}

/* Find e's navigation values and current-row columns (into r->map). */
static int collect(bind_mr *r, const vg_ast *e)
{
    fkind k = fkind_of(e);
    if (k != F_NONE)
        return navigation(r, e, k);
    if (e->kind == VG_AST_COLUMN)
        return column(r, e);
    if (e->kind == VG_AST_CALL && e->u.call.over)
        return FAIL(r->c, VG_ERR_SEMANTIC, e->u.call.over->span,
                    "OVER is not allowed in MATCH_RECOGNIZE");
    return vg_bind_each_child(e, collect_fn, r) ? -1 : 0;
}

const vg_ast *vg_bind_mr_rewrite(bind_mr *r, const vg_ast *e)
{
    r->map.n = 0;
    if (collect(r, e) < 0)
        return NULL;
    return vg_bind_rewrite(r->c, e, map_slot, &r->map, &r->layout);
}
