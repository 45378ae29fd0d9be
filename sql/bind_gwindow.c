/*
 * bind_gwindow.c — Flink's group window syntax, the form older than window
 * TVFs (deprecated in Flink, still in its docs and countless examples):
 *
 *   SELECT user, TUMBLE_START(ts, INTERVAL '1' DAY) AS wStart, SUM(amount)
 *   FROM Orders [WHERE ...]
 *   GROUP BY TUMBLE(ts, INTERVAL '1' DAY), user [HAVING ...]
 *
 * is bound as the window aggregate of the TVF it stands for, the same
 * relation (and so the same operator, plan and EXPLAIN) as
 *
 *   SELECT user, window_start AS wStart, SUM(amount)
 *   FROM TABLE(TUMBLE(TABLE Orders, DESCRIPTOR(ts), INTERVAL '1' DAY))
 *   GROUP BY window_start, window_end, user
 *
 * The GROUP BY's group window function becomes a bare window relation over
 * the FROM item (bind_window.c's) whose window columns only the auxiliary
 * functions name: X_START is window_start, X_END window_end, X_ROWTIME
 * window_time (the last millisecond of the window, a time attribute, so
 * windows cascade). bind_wgroup.c binds the rest as for a TVF.
 *
 *   TUMBLE(ts, size)        HOP(ts, slide, size)        SESSION(ts, gap)
 *
 * Flink's rules (docs/window-aggregates.md): one group window per GROUP BY;
 * its time argument is the input's event-time column; the intervals are
 * constant and positive (HOP's slide first, as in the TVF); SESSION has no
 * PARTITION BY, its sessions are per GROUP BY key. An auxiliary function
 * is only allowed in the select list and HAVING, outside aggregates, of a
 * query grouped by the group window of its kind, with the same arguments
 * (the same column, the same interval values). X_PROCTIME is refused:
 * vigil has no processing time.
 */
#include <string.h>
#include <strings.h>

#include "sql/binder_int.h"

/* One group window function. */
typedef struct gw_def {
    const char *name; /* upper case */
    vg_window_kind kind;
    uint32_t nintervals; /* interval arguments after the time attribute */
    const char *args[2]; /* what each interval is, for errors */
    const char *usage;   /* what it takes, for errors */
} gw_def;

/* clang-format off */
static const gw_def defs[] = {
    {"TUMBLE", VG_WINDOW_TUMBLE, 1, {"size"}, "a time attribute and a size"},
    {"HOP", VG_WINDOW_HOP, 2, {"slide", "size"}, "a time attribute, a slide and a size"},
    {"SESSION", VG_WINDOW_SESSION, 1, {"gap"}, "a time attribute and a gap"},
};
/* clang-format on */

/* The auxiliary functions' suffixes and the window column each reads. */
static const struct {
    const char *suffix;
    int64_t col; /* 0 window_start, 1 window_end, 2 window_time; -1: refused */
} aux_suffixes[] = {{"_START", 0}, {"_END", 1}, {"_ROWTIME", 2}, {"_PROCTIME", -1}};

#define NDEFS     (sizeof defs / sizeof defs[0])
#define NSUFFIXES (sizeof aux_suffixes / sizeof aux_suffixes[0])
#define FAIL(...) (vg_bind_fail(__VA_ARGS__), -1)

/* ---- recognising the calls ---- */

/* The group window function that e calls, or NULL. */
static const gw_def *group_fn(const vg_ast *e)
{
    if (e->kind != VG_AST_CALL)
        return NULL;
    for (size_t i = 0; i < NDEFS; i++)
        if (strcasecmp(e->u.call.name.name, defs[i].name) == 0)
            return &defs[i];
    return NULL;
}

/* The auxiliary function that e calls: its group window function, and in
 * *col the column it reads (-1 for X_PROCTIME). NULL when e is none. */
static const gw_def *aux_fn(const vg_ast *e, int64_t *col)
{
    if (e->kind != VG_AST_CALL)
        return NULL;
    const char *name = e->u.call.name.name;
    size_t len = strlen(name);
    for (size_t i = 0; i < NDEFS; i++) {
        size_t n = strlen(defs[i].name);
        if (len <= n || strncasecmp(name, defs[i].name, n) != 0)
            continue;
        for (size_t k = 0; k < NSUFFIXES; k++)
            if (strcasecmp(name + n, aux_suffixes[k].suffix) == 0) {
                *col = aux_suffixes[k].col;
                return &defs[i];
            }
    }
    return NULL;
}

int64_t vg_bind_gwindow_aux_col(const vg_ast *e)
{
    int64_t col;
    return aux_fn(e, &col) ? col : -1;
}

bool vg_bind_gwindow_wanted(const vg_ast *q)
{
    const vg_ast_list *l = &q->u.select.group_by;
    for (uint32_t i = 0; i < l->n; i++)
        if (group_fn(l->items[i]))
            return true;
    return false;
}

/* ---- where the calls may be ---- */

/* The text of e's span with each run of white space made one space, at
 * most 100 bytes of it, for a message; in the binder's arena (NULL when
 * out of memory). */
static const char *call_text(bind_ctx *c, const vg_ast *e)
{
    char buf[128];
    size_t k = 0;
    const char *p = c->src->text + e->span.off, *end = p + e->span.len;
    for (; p < end && k < 100; p++) {
        bool space = *p == ' ' || *p == '\t' || *p == '\n' || *p == '\r';
        if (!space || (k && buf[k - 1] != ' '))
            buf[k++] = space ? ' ' : *p;
    }
    if (p < end)
        k += (size_t)snprintf(buf + k, sizeof buf - k, "...");
    return vg_arena_strndup(c->b->arena, buf, k);
}

/* What check walks with. */
typedef struct walk {
    bind_ctx *c;          /* c->scope: the FROM item's columns */
    const vg_ast *window; /* the GROUP BY's group window call; NULL: none */
    const char *clause;   /* NULL in the select list and HAVING, else the clause's name */
    bool in_agg;          /* inside an aggregate's arguments or FILTER */
} walk;

/* The column that argument e of a group window or auxiliary call names
 * (slot), or -1 with no error when it is not a column, -2 with the error
 * set when it names none. */
static int time_arg(bind_ctx *c, const vg_ast *e)
{
    if (e->kind != VG_AST_COLUMN)
        return -1;
    int slot = vg_bind_resolve_column(c, e);
    return slot < 0 ? -2 : slot;
}

/* Whether argument i of auxiliary call e is argument i of the group
 * window w: the same column, the same interval. -1 on error. */
static int same_arg(walk *k, const gw_def *d, const vg_ast *e, const vg_ast *w, uint32_t i)
{
    const vg_ast *a = e->u.call.args.items[i], *b = w->u.call.args.items[i];
    if (i == 0) {
        int sa = time_arg(k->c, a), sb = time_arg(k->c, b);
        return sa == -2 || sb == -2 ? -1 : sa >= 0 && sa == sb;
    }
    int64_t va, vb;
    const char *what = d->args[i - 1];
    if (vg_bind_window_interval(k->c, e->u.call.name.name, a, what, false, &va) < 0 ||
        vg_bind_window_interval(k->c, d->name, b, what, false, &vb) < 0)
        return -1;
    return va == vb;
}

/* Auxiliary call e of d, reading column col (-1: X_PROCTIME). */
static int check_aux(walk *k, const vg_ast *e, const gw_def *d, int64_t col)
{
    const vg_ident *name = &e->u.call.name;
    const vg_ast *w = k->window;
    if (col < 0)
        return FAIL(k->c, VG_ERR_SEMANTIC, name->span,
                    "%s is not supported: vigil has no processing time (%s_ROWTIME is the "
                    "window's event time)",
                    name->name, d->name);
    if (k->clause)
        return FAIL(k->c, VG_ERR_SEMANTIC, name->span,
                    "%s is only allowed in the select list and HAVING, not in %s", name->name,
                    k->clause);
    if (k->in_agg)
        return FAIL(k->c, VG_ERR_SEMANTIC, name->span, "%s cannot be used inside an aggregate",
                    name->name);
    if (!w)
        return FAIL(k->c, VG_ERR_SEMANTIC, name->span, "%s needs a matching %s(...) in GROUP BY",
                    name->name, d->name);
    const char *text = call_text(k->c, w);
    if (!text)
        return vg_bind_nomem(k->c);
    if (group_fn(w) != d)
        return FAIL(k->c, VG_ERR_SEMANTIC, name->span,
                    "%s needs a matching %s(...) in GROUP BY, which groups by %s", name->name,
                    d->name, text);
    const vg_ast_list *args = &e->u.call.args;
    if (args->n != w->u.call.args.n || e->u.call.distinct) /* FILTER: bind_agg.c refuses it */
        return FAIL(k->c, VG_ERR_SEMANTIC, name->span,
                    "%s must have the same arguments as %s in GROUP BY", name->name, text);
    for (uint32_t i = 0; i < args->n; i++) {
        int same = same_arg(k, d, e, w, i);
        if (same < 0)
            return -1;
        if (!same)
            return FAIL(k->c, VG_ERR_SEMANTIC, args->items[i]->span,
                        "%s must have the same arguments as %s in GROUP BY", name->name, text);
    }
    return 0;
}

/* Column e named like a window TVF's column. A group window has none
 * (unless the FROM item has one): an error that names the auxiliary
 * function that stands for it. A FROM item's column of that name cannot
 * be a key: the grouped relation has the window's columns beside its keys
 * (and its state lists them by name). */
static int check_window_col(walk *k, const vg_ast *e)
{
    static const char *const names[3] = {"window_start", "window_end", "window_time"};
    static const char *const suffixes[3] = {"START", "END", "ROWTIME"};
    const char *name = e->u.column.name.name, *fn = group_fn(k->window)->name;
    int w = 0;
    while (w < 3 && strcmp(name, names[w]) != 0)
        w++;
    if (w == 3)
        return 0;
    const vg_schema *s = k->c->scope->schema;
    for (uint32_t i = 0; i < s->ncols; i++)
        if (strcmp(s->cols[i].name, name) == 0) {
            if (!k->clause || strcmp(k->clause, "GROUP BY") != 0)
                return 0;
            return FAIL(k->c, VG_ERR_NAME, e->span,
                        "cannot group by '%s' beside %s(...), whose window aggregate has a column "
                        "of that name (rename it in a view or subquery)",
                        name, fn);
        }
    return FAIL(k->c, VG_ERR_NAME, e->span,
                "unknown column '%s' (a query grouped by %s(...) reads its window with %s_%s(...))",
                name, fn, fn, suffixes[w]);
}

static int check_fn(void *arg, vg_ast *const *slot);

/* Every group window and auxiliary call in e (in k's clause) where it may
 * be, and auxiliary calls matching k->window. 0 or -1. */
static int check(walk *k, const vg_ast *e)
{
    if (!e)
        return 0;
    int64_t col;
    const gw_def *d = group_fn(e);
    if (d)
        return FAIL(k->c, VG_ERR_SEMANTIC, e->u.call.name.span,
                    "%s is a group window function: it can only be an item of GROUP BY (%s_START "
                    "and %s_END select its window)",
                    e->u.call.name.name, d->name, d->name);
    if ((d = aux_fn(e, &col)))
        return check_aux(k, e, d, col); /* its arguments are the group window's */
    if (e->kind == VG_AST_COLUMN && k->window)
        return check_window_col(k, e);
    walk inner = *k;
    inner.in_agg |= vg_bind_aggregate_of(e) != NULL;
    return vg_bind_each_child(e, check_fn, &inner) ? -1 : 0;
}

static int check_fn(void *arg, vg_ast *const *slot) { return check(arg, *slot) < 0; }

/* The arguments of group window e: no group window or auxiliary call. */
static int check_window_args(bind_ctx *c, const vg_ast *e)
{
    walk k = {c, NULL, "GROUP BY", false};
    for (uint32_t i = 0; i < e->u.call.args.n; i++)
        if (check(&k, e->u.call.args.items[i]) < 0)
            return -1;
    return 0;
}

/* Check q's clauses: GROUP BY but the group window (check_window_args),
 * WHERE, the select list, HAVING. */
static int check_clauses(bind_ctx *c, const vg_ast *q, const vg_ast *window)
{
    walk k = {c, window, "GROUP BY", false};
    const vg_ast_list *l = &q->u.select.group_by;
    for (uint32_t i = 0; i < l->n; i++)
        if (l->items[i] != window && check(&k, l->items[i]) < 0)
            return -1;
    k.clause = "WHERE";
    if (check(&k, q->u.select.where) < 0)
        return -1;
    k.clause = NULL;
    for (uint32_t i = 0; i < q->u.select.nitems; i++)
        if (check(&k, q->u.select.items[i].expr) < 0)
            return -1;
    return check(&k, q->u.select.having);
}

int vg_bind_gwindow_misplaced(bind_ctx *c, const vg_ast *q) { return check_clauses(c, q, NULL); }

/* ---- the group window ---- */

/* The name of the FROM item for messages: 'alias', or "its input". */
static const char *from_name(bind_ctx *c, const char *alias)
{
    return alias ? vg_arena_printf(c->b->arena, "'%s'", alias) : "its input";
}

/* The time attribute, argument 0 of group window e of d: a slot of `in`. */
static int bind_time(bind_ctx *c, const gw_def *d, const vg_ast *e, const vg_rel *in,
                     const char *alias)
{
    const vg_ast *arg = e->u.call.args.items[0];
    int32_t t = vg_bind_window_time_col(in);
    const char *from = from_name(c, alias);
    if (!from)
        return vg_bind_nomem(c);
    if (t < 0)
        return FAIL(c, VG_ERR_SEMANTIC, arg->span,
                    "%s needs an event-time column, and %s has none (%s)", d->name, from,
                    vg_bind_window_time_hint(in));
    int slot = time_arg(c, arg);
    if (slot == -2)
        return -1;
    if (slot != t)
        return FAIL(c, VG_ERR_SEMANTIC, arg->span,
                    "the time attribute of %s must be the event-time column of %s, which is '%s'",
                    d->name, from, in->schema.cols[t].name);
    return slot;
}

/* Group window e of d: its window spec, in *s, and time column. -1 on error. */
static int bind_call(bind_ctx *c, const gw_def *d, const vg_ast *e, const vg_rel *in,
                     const char *alias, vg_window_spec *s)
{
    const vg_ast_list *args = &e->u.call.args;
    uint32_t want = 1 + d->nintervals;
    if (e->u.call.distinct || e->u.call.filter || e->u.call.over)
        return FAIL(c, VG_ERR_SEMANTIC, e->span, "%s in GROUP BY takes no DISTINCT, FILTER or OVER",
                    d->name);
    if (args->n != want)
        return FAIL(c, VG_ERR_SEMANTIC,
                    args->n > want ? args->items[want]->span : e->u.call.name.span,
                    "%s in GROUP BY takes %s, got %u argument%s", d->name, d->usage, args->n,
                    args->n == 1 ? "" : "s");
    int slot = bind_time(c, d, e, in, alias);
    if (slot < 0)
        return -1;
    int64_t v[2] = {0, 0};
    for (uint32_t i = 0; i < d->nintervals; i++)
        if (vg_bind_window_interval(c, d->name, args->items[1 + i], d->args[i], true, &v[i]) < 0)
            return -1;
    memset(s, 0, sizeof *s);
    s->kind = d->kind;
    s->size = d->nintervals == 2 ? v[1] : v[0];
    s->step = d->kind == VG_WINDOW_SESSION ? 0 : v[0]; /* TUMBLE: the size */
    return slot;
}

/* The GROUP BY item that is q's group window; a second one is an error. */
static const vg_ast *find_window(bind_ctx *c, const vg_ast *q)
{
    const vg_ast_list *l = &q->u.select.group_by;
    const vg_ast *found = NULL;
    for (uint32_t i = 0; i < l->n; i++) {
        const vg_ast *e = l->items[i];
        if (!group_fn(e))
            continue;
        if (found)
            return vg_bind_fail(c, VG_ERR_SEMANTIC, e->u.call.name.span,
                                "GROUP BY can hold only one group window function");
        found = e;
    }
    return found;
}

/* tvf's columns with the window columns under hidden names: what WHERE,
 * GROUP BY and aggregate arguments may name. NULL when out of memory. */
static vg_schema *scope_names(bind_ctx *c, const vg_rel *tvf)
{
    uint32_t n = tvf->schema.ncols;
    vg_schema *s = vg_arena_alloc(c->b->arena, sizeof *s);
    vg_column *cols = s ? vg_arena_alloc(c->b->arena, n * sizeof *cols) : NULL;
    if (!cols)
        return NULL;
    memcpy(cols, tvf->schema.cols, n * sizeof *cols);
    for (uint32_t i = n - 3; i < n; i++)
        if (!(cols[i].name = vg_bind_hidden_name(c, i)))
            return NULL;
    s->cols = cols;
    s->ncols = n;
    return s;
}

vg_rel *vg_bind_gwindow_select(bind_ctx *c, const vg_ast *q, vg_rel *in, const char *alias,
                               bool unique_names)
{
    bind_scope scope = {alias, &in->schema};
    bind_ctx k = *c;
    k.scope = &scope;
    const vg_ast *e = find_window(c, q);
    if (!e)
        return NULL;
    const gw_def *d = group_fn(e);
    if (in->kind == VG_REL_WINDOW)
        return vg_bind_fail(c, VG_ERR_SEMANTIC, e->u.call.name.span,
                            "%s in GROUP BY cannot be used over a window TVF (group by its "
                            "window_start, window_end instead)",
                            d->name);
    const char *from = from_name(c, alias);
    if (!from) {
        vg_bind_nomem(c);
        return NULL;
    }
    if (vg_rel_updating(in))
        return vg_bind_fail(c, VG_ERR_SEMANTIC, e->u.call.name.span,
                            "%s cannot group %s, which is an updating table (group windows need "
                            "an append-only input)",
                            d->name, from);
    vg_window_spec spec;
    int slot = check_window_args(&k, e) < 0 ? -1 : bind_call(&k, d, e, in, alias, &spec);
    if (slot < 0 || check_clauses(&k, q, e) < 0)
        return NULL;
    vg_rel *tvf = vg_bind_window_rel(c, in, e->span);
    vg_schema *names = tvf ? scope_names(c, tvf) : NULL;
    if (!names) {
        if (tvf)
            vg_bind_nomem(c);
        return NULL;
    }
    tvf->u.window.spec = spec;
    tvf->u.window.time_col = slot;
    bind_wsource w = {.tvf = tvf, .alias = alias, .names = names, .gwindow = e};
    if (d->kind == VG_WINDOW_HOP)
        w.size_span = e->u.call.args.items[2]->span;
    return vg_bind_wgroup(c, q, &w, unique_names);
}
