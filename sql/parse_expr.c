/*
 * parse_expr.c — expressions: operators by precedence, literals (numbers,
 * strings, INTERVAL, TIMESTAMP), names, CASE, and calls, including the
 * special call forms (CAST, EXTRACT, FLOOR(x TO u), TRIM(... FROM s), ...)
 * that become ordinary VG_AST_CALL nodes as udf/func.h describes.
 *
 * Precedence, loosest first, is encoded by the chain vg_parser_expr -> OR
 * -> AND -> NOT -> comparison -> additive -> multiplicative -> unary ->
 * primary; binary operators come from one table (binops) with their level.
 */
#include "sql/parser_int.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

/* ---- operator table ---- */

enum { LVL_OR, LVL_AND, LVL_CMP, LVL_ADD, LVL_MUL };

typedef struct binop {
    vg_token_kind tok; /* the operator token */
    vg_ast_op op;      /* what it builds */
    int level;         /* precedence level (LVL_*) */
} binop;

static const binop binops[] = {
    {VG_TOK_OR, VG_OP_OR, LVL_OR},          {VG_TOK_AND, VG_OP_AND, LVL_AND},
    {VG_TOK_EQ, VG_OP_EQ, LVL_CMP},         {VG_TOK_NE, VG_OP_NE, LVL_CMP},
    {VG_TOK_LT, VG_OP_LT, LVL_CMP},         {VG_TOK_LE, VG_OP_LE, LVL_CMP},
    {VG_TOK_GT, VG_OP_GT, LVL_CMP},         {VG_TOK_GE, VG_OP_GE, LVL_CMP},
    {VG_TOK_PLUS, VG_OP_ADD, LVL_ADD},      {VG_TOK_MINUS, VG_OP_SUB, LVL_ADD},
    {VG_TOK_CONCAT, VG_OP_CONCAT, LVL_ADD}, {VG_TOK_STAR, VG_OP_MUL, LVL_MUL},
    {VG_TOK_SLASH, VG_OP_DIV, LVL_MUL},     {VG_TOK_PERCENT, VG_OP_MOD, LVL_MUL},
};

static const binop *binop_of(vg_token_kind k, int level)
{
    for (size_t i = 0; i < sizeof binops / sizeof binops[0]; i++)
        if (binops[i].tok == k && binops[i].level == level)
            return &binops[i];
    return NULL;
}

/* ---- time units ---- */

typedef struct unit_def {
    const char *name;  /* upper case; plurals are entries of their own */
    vg_time_unit unit; /* the unit */
    int64_t ms;        /* its length in an INTERVAL; 0 year-month; -1 not an interval unit */
} unit_def;

static const unit_def units[] = {
    {"MILLISECOND", VG_TU_MILLISECOND, 1},
    {"MILLISECONDS", VG_TU_MILLISECOND, 1},
    {"SECOND", VG_TU_SECOND, 1000},
    {"SECONDS", VG_TU_SECOND, 1000},
    {"MINUTE", VG_TU_MINUTE, 60000},
    {"MINUTES", VG_TU_MINUTE, 60000},
    {"HOUR", VG_TU_HOUR, 3600000},
    {"HOURS", VG_TU_HOUR, 3600000},
    {"DAY", VG_TU_DAY, 86400000},
    {"DAYS", VG_TU_DAY, 86400000},
    {"WEEK", VG_TU_WEEK, 604800000},
    {"WEEKS", VG_TU_WEEK, 604800000},
    {"MONTH", VG_TU_MONTH, 0},
    {"MONTHS", VG_TU_MONTH, 0},
    {"QUARTER", VG_TU_QUARTER, 0},
    {"QUARTERS", VG_TU_QUARTER, 0},
    {"YEAR", VG_TU_YEAR, 0},
    {"YEARS", VG_TU_YEAR, 0},
    {"DOW", VG_TU_DOW, -1},
    {"DOY", VG_TU_DOY, -1},
    {"EPOCH", VG_TU_EPOCH, -1},
};

/* Consume a unit word, or fail with "expected a time unit". */
static const unit_def *unit_word(vg_parser *p)
{
    const vg_token *t = vg_parser_peek(p, 0);
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        if (vg_parser_is_word(p, t, units[i].name)) {
            vg_parser_advance(p);
            return &units[i];
        }
    }
    vg_parser_syntax(p, t, "a time unit");
    return NULL;
}

/* A VG_AST_TIMEUNIT node for the unit word at the current token. */
static vg_ast *time_unit(vg_parser *p)
{
    vg_ast *n = vg_parser_node(p, VG_AST_TIMEUNIT, vg_parser_peek(p, 0)->span.off);
    const unit_def *u = n ? unit_word(p) : NULL;
    if (!u)
        return NULL;
    n->u.timeunit.unit = u->unit;
    return vg_parser_finish(p, n);
}

/* ---- literals ---- */

static vg_ast *literal(vg_parser *p, vg_lit_kind kind, uint32_t start)
{
    vg_ast *n = vg_parser_node(p, VG_AST_LITERAL, start);
    if (n)
        n->u.lit.kind = kind;
    return n;
}

/* A string literal node that the source does not spell (TRIM's defaults). */
static vg_ast *made_string(vg_parser *p, const char *s, vg_span sp)
{
    vg_ast *n = literal(p, VG_LIT_STRING, sp.off);
    if (!n)
        return NULL;
    n->span = sp;
    n->u.lit.str = s;
    n->u.lit.len = (uint32_t)strlen(s);
    return n;
}

/* The number at the current token, negated when neg (a '-' at start came
 * before it). 2^63 is allowed only negated. */
static vg_ast *number(vg_parser *p, bool neg, uint32_t start)
{
    vg_token t = *vg_parser_peek(p, 0);
    vg_ast *n = literal(p, t.kind == VG_TOK_INTEGER ? VG_LIT_INTEGER : VG_LIT_DECIMAL, start);
    if (!n)
        return NULL;
    if (t.kind == VG_TOK_INTEGER) {
        if (!neg && t.uval > (uint64_t)INT64_MAX) {
            vg_parser_fail(p, VG_ERR_SYNTAX, t.span, "integer literal out of range");
            return NULL;
        }
        /* -(2^63) wraps to INT64_MIN in unsigned arithmetic */
        n->u.lit.ival = neg ? (int64_t)(0 - t.uval) : (int64_t)t.uval;
    } else {
        n->u.lit.dval = neg ? -t.dval : t.dval;
        const char *text = p->src->text + t.span.off;
        char *s = vg_arena_printf(p->arena, "%s%.*s", neg ? "-" : "", (int)t.span.len, text);
        if (!s) {
            vg_parser_nomem(p);
            return NULL;
        }
        n->u.lit.str = s;
        n->u.lit.len = (uint32_t)strlen(s);
    }
    vg_parser_advance(p);
    return vg_parser_finish(p, n);
}

static vg_ast *string_literal(vg_parser *p, vg_lit_kind kind, uint32_t start)
{
    vg_token t = *vg_parser_peek(p, 0);
    vg_ast *n = literal(p, kind, start);
    if (!n)
        return NULL;
    if (!(n->u.lit.str = vg_token_decode(&t, p->src, p->arena))) {
        vg_parser_nomem(p);
        return NULL;
    }
    n->u.lit.len = t.len;
    vg_parser_advance(p);
    return vg_parser_finish(p, n);
}

/* ---- INTERVAL ---- */

/* The day-time fields of a qualifier such as DAY TO SECOND, biggest first. */
typedef struct interval_field {
    vg_time_unit unit; /* the field's unit */
    int64_t ms;        /* milliseconds per unit */
    int64_t max;       /* largest value when it is not the leading field */
    char sep;          /* separator before it when it is not the leading field */
} interval_field;

static const interval_field fields[] = {
    {VG_TU_DAY, 86400000, 0, 0},
    {VG_TU_HOUR, 3600000, 23, ' '},
    {VG_TU_MINUTE, 60000, 59, ':'},
    {VG_TU_SECOND, 1000, 59, ':'},
};

static int field_index(vg_time_unit u)
{
    for (int i = 0; i < 4; i++)
        if (fields[i].unit == u)
            return i;
    return -1;
}

/* Digits at s[*i]: at least one, at most maxlen (0 = any); false on none,
 * too many or overflow. */
static bool read_digits(const char *s, size_t n, size_t *i, size_t maxlen, int64_t *v)
{
    size_t start = *i;
    *v = 0;
    while (*i < n && s[*i] >= '0' && s[*i] <= '9') {
        if (__builtin_mul_overflow(*v, 10, v) || __builtin_add_overflow(*v, s[*i] - '0', v))
            return false;
        ++*i;
    }
    return *i > start && (maxlen == 0 || *i - start <= maxlen);
}

/* Optional ".fff" (1 to 9 digits, truncated to milliseconds) added to *ms. */
static bool read_fraction(const char *s, size_t n, size_t *i, int64_t *ms)
{
    if (*i >= n || s[*i] != '.')
        return true;
    ++*i;
    size_t start = *i;
    int64_t frac = 0;
    while (*i < n && s[*i] >= '0' && s[*i] <= '9') {
        if (*i - start < 3)
            frac = frac * 10 + (s[*i] - '0');
        ++*i;
    }
    size_t digits = *i - start;
    if (digits == 0 || digits > 9)
        return false;
    for (size_t k = digits; k < 3; k++)
        frac *= 10;
    return !__builtin_add_overflow(*ms, frac, ms);
}

/* The value of interval text s[0..n) for unit from (to == NULL) or for the
 * fields from..to; false when it does not fit the qualifier. */
static bool interval_value(const char *s, size_t n, const unit_def *from, const unit_def *to,
                           int64_t *out)
{
    size_t i = 0;
    while (i < n && s[i] == ' ')
        i++;
    while (n > i && s[n - 1] == ' ')
        n--;
    bool neg = i < n && s[i] == '-';
    if (i < n && (s[i] == '-' || s[i] == '+'))
        i++;
    int64_t total = 0, v;
    int first = to ? field_index(from->unit) : -1, last = to ? field_index(to->unit) : -1;
    if (!to) {
        if (!read_digits(s, n, &i, 0, &v) || __builtin_mul_overflow(v, from->ms, &total))
            return false;
    }
    for (int k = first; to && k <= last; k++) {
        if (k > first) {
            if (i >= n || s[i] != fields[k].sep)
                return false;
            while (fields[k].sep == ' ' && i + 1 < n && s[i + 1] == ' ')
                i++;
            i++;
        }
        if (!read_digits(s, n, &i, k > first ? 2 : 0, &v) || (k > first && v > fields[k].max) ||
            __builtin_mul_overflow(v, fields[k].ms, &v) || __builtin_add_overflow(total, v, &total))
            return false;
    }
    if ((to ? to : from)->unit == VG_TU_SECOND && !read_fraction(s, n, &i, &total))
        return false;
    if (i != n)
        return false;
    *out = neg ? -total : total;
    return true;
}

/* Skip an optional precision "(n)" after an interval unit. */
static int opt_precision(vg_parser *p)
{
    if (vg_parser_peek(p, 0)->kind != VG_TOK_LPAREN)
        return 0;
    vg_span open = vg_parser_peek(p, 0)->span;
    vg_parser_advance(p);
    if (vg_parser_expect(p, VG_TOK_INTEGER, "an integer") < 0)
        return -1;
    return vg_parser_close(p, open);
}

/* True when from [TO to] is a day-time qualifier vigil supports. */
static bool qualifier_ok(const unit_def *from, const unit_def *to)
{
    if (!to)
        return from->ms > 0;
    int a = field_index(from->unit), b = field_index(to->unit);
    return a >= 0 && b >= 0 && a < b;
}

/* INTERVAL [+|-] 'text' unit [(p)] [TO unit [(p)]] -> milliseconds. */
static vg_ast *interval(vg_parser *p)
{
    vg_ast *n = literal(p, VG_LIT_INTERVAL, vg_parser_peek(p, 0)->span.off);
    if (!n)
        return NULL;
    vg_parser_advance(p); /* INTERVAL */
    bool neg = vg_parser_peek(p, 0)->kind == VG_TOK_MINUS;
    if (neg || vg_parser_peek(p, 0)->kind == VG_TOK_PLUS)
        vg_parser_advance(p);
    vg_token str = *vg_parser_peek(p, 0);
    if (vg_parser_expect(p, VG_TOK_STRING, "a string literal") < 0)
        return NULL;
    uint32_t qstart = vg_parser_peek(p, 0)->span.off;
    const unit_def *from = unit_word(p), *to = NULL;
    if (!from || opt_precision(p) < 0)
        return NULL;
    if (vg_parser_accept(p, VG_TOK_TO) && (!(to = unit_word(p)) || opt_precision(p) < 0))
        return NULL;
    vg_parser_finish(p, n);
    vg_span qspan = vg_parser_span_from(p, qstart);
    char text[64];
    if (from->ms == 0 || (to && to->ms == 0)) {
        vg_parser_fail(p, VG_ERR_SEMANTIC, n->span,
                       "year-month intervals are not supported; use days");
        return NULL;
    }
    if (!qualifier_ok(from, to)) {
        vg_parser_text(p->src->text + qspan.off, qspan.len, text, sizeof text);
        vg_parser_fail(p, VG_ERR_SYNTAX, qspan, "invalid interval qualifier '%s'", text);
        return NULL;
    }
    const char *s = vg_token_decode(&str, p->src, p->arena);
    if (!s) {
        vg_parser_nomem(p);
        return NULL;
    }
    if (!interval_value(s, str.len, from, to, &n->u.lit.ival)) {
        vg_parser_text(s, str.len, text, sizeof text);
        vg_parser_fail(p, VG_ERR_SYNTAX, str.span, "invalid interval literal '%s'", text);
        return NULL;
    }
    if (neg)
        n->u.lit.ival = -n->u.lit.ival;
    return n;
}

/* ---- CASE ---- */

static vg_ast *case_expr(vg_parser *p)
{
    vg_span open = vg_parser_peek(p, 0)->span;
    vg_ast *n = vg_parser_node(p, VG_AST_CASE, open.off);
    if (!n)
        return NULL;
    vg_parser_advance(p); /* CASE */
    if (vg_parser_peek(p, 0)->kind != VG_TOK_WHEN && !(n->u.kase.operand = vg_parser_expr(p)))
        return NULL;
    if (vg_parser_peek(p, 0)->kind != VG_TOK_WHEN) {
        vg_parser_syntax(p, vg_parser_peek(p, 0), "WHEN");
        return NULL;
    }
    uint32_t wcap = 0, tcap = 0;
    while (vg_parser_accept(p, VG_TOK_WHEN)) {
        vg_ast *w = vg_parser_expr(p);
        if (!w || vg_parser_expect(p, VG_TOK_THEN, "THEN") < 0)
            return NULL;
        vg_ast *t = vg_parser_expr(p);
        if (!t || vg_parser_push(p, &n->u.kase.whens, &wcap, w) < 0 ||
            vg_parser_push(p, &n->u.kase.thens, &tcap, t) < 0)
            return NULL;
    }
    if (vg_parser_accept(p, VG_TOK_ELSE) && !(n->u.kase.else_ = vg_parser_expr(p)))
        return NULL;
    if (!vg_parser_accept(p, VG_TOK_END)) {
        uint32_t line, col;
        vg_source_linecol(p->src, open.off, &line, &col);
        vg_parser_fail_token(p, vg_parser_peek(p, 0),
                             "expected END to close CASE at line %u, column %u", line, col);
        return NULL;
    }
    return vg_parser_finish(p, n);
}

/* ---- calls ---- */

bool vg_parser_at_star(vg_parser *p)
{
    const vg_token *t = vg_parser_peek(p, 0);
    return t->kind == VG_TOK_STAR ||
           (vg_parser_is_name(t) && vg_parser_peek(p, 1)->kind == VG_TOK_DOT &&
            vg_parser_peek(p, 2)->kind == VG_TOK_STAR);
}

vg_ast *vg_parser_star(vg_parser *p)
{
    vg_token t = *vg_parser_peek(p, 0);
    vg_ast *n = vg_parser_node(p, VG_AST_STAR, t.span.off);
    if (!n)
        return NULL;
    if (t.kind != VG_TOK_STAR) {
        if (vg_parser_ident_from(p, &t, &n->u.star.qualifier) < 0)
            return NULL;
        vg_parser_advance(p);
        vg_parser_advance(p);
    }
    vg_parser_advance(p);
    return vg_parser_finish(p, n);
}

static int push_arg(vg_parser *p, vg_ast *call, uint32_t *cap, vg_ast *arg)
{
    if (!arg)
        return -1;
    return vg_parser_push(p, &call->u.call.args, cap, arg);
}

/* , e ... until no comma. */
static int more_args(vg_parser *p, vg_ast *call, uint32_t *cap)
{
    while (vg_parser_accept(p, VG_TOK_COMMA))
        if (push_arg(p, call, cap, vg_parser_expr(p)) < 0)
            return -1;
    return 0;
}

static vg_ast *close_call(vg_parser *p, vg_ast *call, vg_span open)
{
    if (vg_parser_close(p, open) < 0)
        return NULL;
    return vg_parser_finish(p, call);
}

/* CAST(x AS type), TRY_CAST(x AS type): a VG_AST_CAST node, not a call. */
static vg_ast *cast_call(vg_parser *p, vg_ast *call, vg_span open)
{
    vg_ast *n = vg_parser_node(p, VG_AST_CAST, call->span.off);
    if (!n)
        return NULL;
    n->u.cast.try_ = strcasecmp(call->u.call.name.name, "TRY_CAST") == 0;
    if (!(n->u.cast.arg = vg_parser_expr(p)) || vg_parser_expect(p, VG_TOK_AS, "AS") < 0 ||
        vg_parser_type(p, &n->u.cast.to) < 0)
        return NULL;
    return close_call(p, n, open);
}

/* EXTRACT(unit FROM x) -> EXTRACT(unit, x) */
static vg_ast *extract_call(vg_parser *p, vg_ast *call, vg_span open)
{
    uint32_t cap = 0;
    if (push_arg(p, call, &cap, time_unit(p)) < 0 || vg_parser_expect(p, VG_TOK_FROM, "FROM") < 0 ||
        push_arg(p, call, &cap, vg_parser_expr(p)) < 0)
        return NULL;
    return close_call(p, call, open);
}

/* FLOOR|CEIL|CEILING(x TO unit) -> f(x, unit); f(x, ...) otherwise. */
static vg_ast *floor_call(vg_parser *p, vg_ast *call, vg_span open)
{
    uint32_t cap = 0;
    if (push_arg(p, call, &cap, vg_parser_expr(p)) < 0)
        return NULL;
    if (vg_parser_accept(p, VG_TOK_TO) ? push_arg(p, call, &cap, time_unit(p)) < 0
                                       : more_args(p, call, &cap) < 0)
        return NULL;
    return close_call(p, call, open);
}

/* TIMESTAMPADD|TIMESTAMPDIFF(unit, a, b) */
static vg_ast *tsunit_call(vg_parser *p, vg_ast *call, vg_span open)
{
    uint32_t cap = 0;
    if (push_arg(p, call, &cap, time_unit(p)) < 0 || vg_parser_expect(p, VG_TOK_COMMA, "','") < 0 ||
        push_arg(p, call, &cap, vg_parser_expr(p)) < 0 ||
        vg_parser_expect(p, VG_TOK_COMMA, "','") < 0 ||
        push_arg(p, call, &cap, vg_parser_expr(p)) < 0)
        return NULL;
    return close_call(p, call, open);
}

/* SUBSTRING(s FROM a [FOR n]) -> SUBSTRING(s, a [, n]); the comma form as is. */
static vg_ast *substring_call(vg_parser *p, vg_ast *call, vg_span open)
{
    uint32_t cap = 0;
    if (push_arg(p, call, &cap, vg_parser_expr(p)) < 0)
        return NULL;
    if (vg_parser_accept(p, VG_TOK_FROM)) {
        if (push_arg(p, call, &cap, vg_parser_expr(p)) < 0)
            return NULL;
        if (vg_parser_accept(p, VG_TOK_FOR) && push_arg(p, call, &cap, vg_parser_expr(p)) < 0)
            return NULL;
    } else if (more_args(p, call, &cap) < 0) {
        return NULL;
    }
    return close_call(p, call, open);
}

/* POSITION(a IN b) -> POSITION(a, b); a is parsed below IN's precedence. */
static vg_ast *position_call(vg_parser *p, vg_ast *call, vg_span open)
{
    uint32_t cap = 0;
    if (push_arg(p, call, &cap, vg_parser_additive(p)) < 0)
        return NULL;
    if (vg_parser_accept(p, VG_TOK_IN) ? push_arg(p, call, &cap, vg_parser_expr(p)) < 0
                                       : more_args(p, call, &cap) < 0)
        return NULL;
    return close_call(p, call, open);
}

/* TRIM([BOTH|LEADING|TRAILING] [c] FROM s) -> TRIM(s, c, 'MODE'), c defaulting
 * to ' ' and MODE to 'BOTH'; TRIM(s [, ...]) stays as written. */
static vg_ast *trim_call(vg_parser *p, vg_ast *call, vg_span open)
{
    static const struct {
        vg_token_kind tok;
        const char *mode;
    } modes[] = {{VG_TOK_BOTH, "BOTH"}, {VG_TOK_LEADING, "LEADING"}, {VG_TOK_TRAILING, "TRAILING"}};
    uint32_t cap = 0;
    const char *mode = NULL;
    vg_span mode_span = vg_parser_peek(p, 0)->span;
    for (size_t i = 0; i < 3 && !mode; i++)
        if (vg_parser_accept(p, modes[i].tok))
            mode = modes[i].mode;
    vg_ast *chars = NULL;
    /* TRIM(FROM s) and TRIM(BOTH FROM s): neither characters nor a mode */
    if (vg_parser_peek(p, 0)->kind != VG_TOK_FROM) {
        if (!(chars = vg_parser_expr(p)))
            return NULL;
        if (!mode && vg_parser_peek(p, 0)->kind != VG_TOK_FROM) {
            if (push_arg(p, call, &cap, chars) < 0 || more_args(p, call, &cap) < 0)
                return NULL;
            return close_call(p, call, open);
        }
    }
    vg_span from = vg_parser_peek(p, 0)->span;
    if (vg_parser_expect(p, VG_TOK_FROM, "FROM") < 0 ||
        push_arg(p, call, &cap, vg_parser_expr(p)) < 0 ||
        push_arg(p, call, &cap, chars ? chars : made_string(p, " ", from)) < 0 ||
        push_arg(p, call, &cap, made_string(p, mode ? mode : "BOTH", mode ? mode_span : from)) < 0)
        return NULL;
    return close_call(p, call, open);
}

typedef vg_ast *(*special_fn)(vg_parser *p, vg_ast *call, vg_span open);

/* Calls with syntax of their own; the name is matched unquoted, any case. */
static const struct special {
    const char *name; /* upper case */
    special_fn parse; /* parses from after '(' through ')' */
} specials[] = {
    {"CAST", cast_call},           {"TRY_CAST", cast_call},
    {"EXTRACT", extract_call},     {"FLOOR", floor_call},
    {"CEIL", floor_call},          {"CEILING", floor_call},
    {"TIMESTAMPADD", tsunit_call}, {"TIMESTAMPDIFF", tsunit_call},
    {"SUBSTRING", substring_call}, {"POSITION", position_call},
    {"TRIM", trim_call},
};

/* FILTER (WHERE e) and OVER w | OVER (spec) after a call. */
static int call_suffix(vg_parser *p, vg_ast *call)
{
    if (vg_parser_accept(p, VG_TOK_FILTER)) {
        vg_span open = vg_parser_peek(p, 0)->span;
        if (vg_parser_expect(p, VG_TOK_LPAREN, "'('") < 0 ||
            vg_parser_expect(p, VG_TOK_WHERE, "WHERE") < 0 ||
            !(call->u.call.filter = vg_parser_expr(p)) || vg_parser_close(p, open) < 0)
            return -1;
    }
    if (!vg_parser_accept(p, VG_TOK_OVER))
        return 0;
    const vg_token *t = vg_parser_peek(p, 0);
    if (t->kind == VG_TOK_LPAREN)
        return (call->u.call.over = vg_parser_window_spec(p)) ? 0 : -1;
    if (!vg_parser_is_name(t))
        return vg_parser_syntax(p, t, "a window name or '('");
    vg_ast_window *w = vg_arena_calloc(p->arena, sizeof *w);
    if (!w)
        return vg_parser_nomem(p);
    w->is_ref = true;
    w->end_current_row = true;
    w->span = t->span;
    call->u.call.over = w;
    return vg_parser_ident(p, &w->name, "a window name");
}

/* f( [DISTINCT|ALL] [* | t.* | e] [, e ...] ) [FILTER ...] [OVER ...] */
static vg_ast *generic_call(vg_parser *p, vg_ast *call, vg_span open)
{
    uint32_t cap = 0;
    if (vg_parser_peek(p, 0)->kind != VG_TOK_RPAREN) {
        if (vg_parser_accept(p, VG_TOK_DISTINCT))
            call->u.call.distinct = true;
        else
            vg_parser_accept(p, VG_TOK_ALL);
        vg_ast *first = vg_parser_at_star(p) ? vg_parser_star(p) : vg_parser_expr(p);
        if (push_arg(p, call, &cap, first) < 0 || more_args(p, call, &cap) < 0)
            return NULL;
    }
    if (vg_parser_close(p, open) < 0 || call_suffix(p, call) < 0)
        return NULL;
    return vg_parser_finish(p, call);
}

/* name ( ... ): at the name, '(' next. */
static vg_ast *call(vg_parser *p)
{
    vg_token name = *vg_parser_peek(p, 0);
    vg_ast *n = vg_parser_node(p, VG_AST_CALL, name.span.off);
    if (!n || vg_parser_ident_from(p, &name, &n->u.call.name) < 0)
        return NULL;
    vg_parser_advance(p);
    vg_span open = vg_parser_peek(p, 0)->span;
    vg_parser_advance(p); /* ( */
    for (size_t i = 0; i < sizeof specials / sizeof specials[0] && !name.quoted; i++)
        if (vg_parser_is_word(p, &name, specials[i].name))
            return specials[i].parse(p, n, open);
    return generic_call(p, n, open);
}

/* ---- arrays ---- */

/* The name of the calls array syntax becomes: ARRAY[e, ...] is ARRAY(e, ...),
 * a[i] is ITEM(a, i) (Calcite's name for it); udf/fn_array.c has both. */
#define ARRAY_FN "ARRAY"
#define ITEM_FN "ITEM"

/* The ']' of the '[' at span open, or "expected ']' to close '['". */
static int close_bracket(vg_parser *p, vg_span open)
{
    if (vg_parser_accept(p, VG_TOK_RBRACKET))
        return 0;
    uint32_t line, col;
    vg_source_linecol(p->src, open.off, &line, &col);
    return vg_parser_fail_token(p, vg_parser_peek(p, 0),
                                "expected ']' to close '[' at line %u, column %u", line, col);
}

/* ARRAY[e, ...]: at ARRAY, '[' next. */
static vg_ast *array_ctor(vg_parser *p)
{
    const vg_token *t = vg_parser_peek(p, 0);
    vg_ast *n = vg_parser_node(p, VG_AST_CALL, t->span.off);
    if (!n)
        return NULL;
    n->u.call.name = (vg_ident){ARRAY_FN, t->span, false};
    vg_parser_advance(p);
    vg_span open = vg_parser_peek(p, 0)->span;
    vg_parser_advance(p); /* [ */
    if (vg_parser_peek(p, 0)->kind == VG_TOK_RBRACKET) {
        vg_parser_fail_token(p, vg_parser_peek(p, 0), "ARRAY[] needs at least one element");
        return NULL;
    }
    if (vg_parser_expr_list(p, &n->u.call.args) < 0 || close_bracket(p, open) < 0)
        return NULL;
    return vg_parser_finish(p, n);
}

/* x[i]: at '['. */
static vg_ast *subscript(vg_parser *p, vg_ast *x)
{
    vg_span open = vg_parser_peek(p, 0)->span;
    vg_ast *n = vg_parser_node(p, VG_AST_CALL, x->span.off);
    if (!n)
        return NULL;
    n->u.call.name = (vg_ident){ITEM_FN, open, false};
    vg_parser_advance(p); /* [ */
    uint32_t cap = 0;
    vg_ast *i = vg_parser_expr(p);
    if (!i || close_bracket(p, open) < 0 || vg_parser_push(p, &n->u.call.args, &cap, x) < 0 ||
        vg_parser_push(p, &n->u.call.args, &cap, i) < 0)
        return NULL;
    return vg_parser_finish(p, n);
}

/* ---- primaries ---- */

/* A name at the current token: TIMESTAMP '...', a call, RUNNING or FINAL before a
 * call (parse_match.c), or [t.]column. */
static vg_ast *name_expr(vg_parser *p)
{
    if (vg_parser_at_semantics(p))
        return vg_parser_semantics(p);
    const vg_token *t = vg_parser_peek(p, 0);
    vg_token_kind next = vg_parser_peek(p, 1)->kind;
    if (next == VG_TOK_STRING && vg_parser_is_word(p, t, "TIMESTAMP")) {
        uint32_t start = t->span.off;
        vg_parser_advance(p);
        return string_literal(p, VG_LIT_TIMESTAMP, start);
    }
    if (next == VG_TOK_LPAREN)
        return call(p);
    if (next == VG_TOK_LBRACKET && vg_parser_is_word(p, t, "ARRAY"))
        return array_ctor(p);
    vg_ast *n = vg_parser_node(p, VG_AST_COLUMN, t->span.off);
    if (!n || vg_parser_ident(p, &n->u.column.name, "a column name") < 0)
        return NULL;
    if (vg_parser_accept(p, VG_TOK_DOT)) {
        n->u.column.qualifier = n->u.column.name;
        if (vg_parser_ident(p, &n->u.column.name, "a column name") < 0)
            return NULL;
    }
    return vg_parser_finish(p, n);
}

static vg_ast *paren(vg_parser *p)
{
    vg_span open = vg_parser_peek(p, 0)->span;
    vg_parser_advance(p);
    vg_ast *e = vg_parser_expr(p);
    if (!e || vg_parser_close(p, open) < 0)
        return NULL;
    return e;
}

static vg_ast *keyword_literal(vg_parser *p, vg_lit_kind kind, int64_t ival)
{
    vg_ast *n = literal(p, kind, vg_parser_peek(p, 0)->span.off);
    if (!n)
        return NULL;
    n->u.lit.ival = ival;
    vg_parser_advance(p);
    return vg_parser_finish(p, n);
}

static vg_ast *primary_base(vg_parser *p)
{
    const vg_token *t = vg_parser_peek(p, 0);
    switch (t->kind) {
    case VG_TOK_INTEGER:
    case VG_TOK_DECIMAL:
        return number(p, false, t->span.off);
    case VG_TOK_STRING:
        return string_literal(p, VG_LIT_STRING, t->span.off);
    case VG_TOK_NULL:
        return keyword_literal(p, VG_LIT_NULL, 0);
    case VG_TOK_TRUE:
        return keyword_literal(p, VG_LIT_BOOL, 1);
    case VG_TOK_FALSE:
        return keyword_literal(p, VG_LIT_BOOL, 0);
    case VG_TOK_INTERVAL:
        return interval(p);
    case VG_TOK_CASE:
        return case_expr(p);
    case VG_TOK_LPAREN:
        return paren(p);
    case VG_TOK_LEFT:
    case VG_TOK_RIGHT:
        /* reserved for joins, and also the functions LEFT(s, n), RIGHT(s, n) */
        if (vg_parser_peek(p, 1)->kind == VG_TOK_LPAREN)
            return call(p);
        vg_parser_syntax(p, t, "an expression");
        return NULL;
    default:
        if (vg_parser_is_name(t))
            return name_expr(p);
        vg_parser_syntax(p, t, "an expression");
        return NULL;
    }
}

vg_ast *vg_parser_primary(vg_parser *p)
{
    vg_ast *x = primary_base(p);
    uint32_t levels = 0;
    while (x && vg_parser_peek(p, 0)->kind == VG_TOK_LBRACKET) {
        if (vg_parser_enter(p) < 0)
            return NULL;
        levels++;
        x = subscript(p, x);
    }
    vg_parser_leave(p, levels);
    return x;
}

/* ---- operators ---- */

static vg_ast *unary(vg_parser *p)
{
    const vg_token *t = vg_parser_peek(p, 0);
    if (t->kind != VG_TOK_MINUS && t->kind != VG_TOK_PLUS)
        return vg_parser_primary(p);
    uint32_t start = t->span.off;
    vg_ast_op op = t->kind == VG_TOK_MINUS ? VG_OP_NEG : VG_OP_PLUS;
    vg_parser_advance(p);
    vg_token_kind k = vg_parser_peek(p, 0)->kind;
    if (op == VG_OP_NEG && (k == VG_TOK_INTEGER || k == VG_TOK_DECIMAL))
        return number(p, true, start);
    vg_ast *n = vg_parser_node(p, VG_AST_UNARY, start);
    if (!n || vg_parser_enter(p) < 0 || !(n->u.unary.arg = unary(p)))
        return NULL;
    vg_parser_leave(p, 1);
    n->u.unary.op = op;
    return vg_parser_finish(p, n);
}

static vg_ast *binary(vg_parser *p, vg_ast_op op, vg_span op_span, vg_ast *l, vg_ast *r)
{
    vg_ast *n = vg_parser_node(p, VG_AST_BINARY, l->span.off);
    if (!n)
        return NULL;
    n->u.binary.op = op;
    n->u.binary.op_span = op_span;
    n->u.binary.left = l;
    n->u.binary.right = r;
    return vg_parser_finish(p, n);
}

typedef vg_ast *(*operand_fn)(vg_parser *p);

/* operand (op operand)* for the operators of one level, left-associative. */
static vg_ast *left_assoc(vg_parser *p, int level, operand_fn operand)
{
    vg_ast *left = operand(p);
    uint32_t levels = 0;
    const binop *b;
    while (left && (b = binop_of(vg_parser_peek(p, 0)->kind, level))) {
        vg_span op_span = vg_parser_peek(p, 0)->span;
        if (vg_parser_enter(p) < 0)
            return NULL;
        levels++;
        vg_parser_advance(p);
        vg_ast *right = operand(p);
        left = right ? binary(p, b->op, op_span, left, right) : NULL;
    }
    vg_parser_leave(p, levels);
    return left;
}

static vg_ast *multiplicative(vg_parser *p) { return left_assoc(p, LVL_MUL, unary); }

vg_ast *vg_parser_additive(vg_parser *p) { return left_assoc(p, LVL_ADD, multiplicative); }

/* x [NOT] IN (e, ...) after x [NOT] */
static vg_ast *in_list(vg_parser *p, vg_ast *n)
{
    vg_span open = vg_parser_peek(p, 0)->span;
    if (vg_parser_expect(p, VG_TOK_LPAREN, "'('") < 0 ||
        vg_parser_expr_list(p, &n->u.in.list) < 0 || vg_parser_close(p, open) < 0)
        return NULL;
    return n;
}

/* x [NOT] BETWEEN [SYMMETRIC|ASYMMETRIC] lo AND hi */
static vg_ast *between(vg_parser *p, vg_ast *n)
{
    if (vg_parser_accept(p, VG_TOK_SYMMETRIC))
        n->u.between.symmetric = true;
    else
        vg_parser_accept(p, VG_TOK_ASYMMETRIC);
    if (!(n->u.between.lo = vg_parser_additive(p)) || vg_parser_expect(p, VG_TOK_AND, "AND") < 0 ||
        !(n->u.between.hi = vg_parser_additive(p)))
        return NULL;
    return n;
}

/* x [NOT] LIKE pattern [ESCAPE c] */
static vg_ast *like(vg_parser *p, vg_ast *n)
{
    if (!(n->u.like.pattern = vg_parser_additive(p)))
        return NULL;
    if (vg_parser_accept(p, VG_TOK_ESCAPE) && !(n->u.like.escape = vg_parser_additive(p)))
        return NULL;
    return n;
}

/* x IS [NOT] NULL|TRUE|FALSE|UNKNOWN */
static vg_ast *is_test(vg_parser *p, vg_ast *n)
{
    static const vg_token_kind what[] = {VG_TOK_NULL, VG_TOK_TRUE, VG_TOK_FALSE, VG_TOK_UNKNOWN};
    n->u.is.negated = vg_parser_accept(p, VG_TOK_NOT);
    for (int i = 0; i < 4; i++) {
        if (vg_parser_accept(p, what[i])) {
            n->u.is.what = i;
            return n;
        }
    }
    vg_parser_syntax(p, vg_parser_peek(p, 0), "NULL, TRUE, FALSE or UNKNOWN");
    return NULL;
}

/* Put the tested operand x (and NOT) into an IS/IN/BETWEEN/LIKE node. */
static void set_operand(vg_ast *n, vg_ast *x, bool negated)
{
    switch (n->kind) {
    case VG_AST_IS:
        n->u.is.arg = x; /* IS NOT is read by is_test */
        break;
    case VG_AST_IN:
        n->u.in.arg = x;
        n->u.in.negated = negated;
        break;
    case VG_AST_BETWEEN:
        n->u.between.arg = x;
        n->u.between.negated = negated;
        break;
    default:
        n->u.like.arg = x;
        n->u.like.negated = negated;
        break;
    }
}

/* The predicate after operand x, if one follows; x itself otherwise. */
static vg_ast *predicate(vg_parser *p, vg_ast *x)
{
    const vg_token *t = vg_parser_peek(p, 0);
    const binop *b = binop_of(t->kind, LVL_CMP);
    if (b) {
        vg_span op_span = t->span;
        vg_parser_advance(p);
        vg_ast *right = vg_parser_additive(p);
        return right ? binary(p, b->op, op_span, x, right) : NULL;
    }
    static const struct {
        vg_token_kind tok;
        vg_ast_kind kind;
        vg_ast *(*rest)(vg_parser *p, vg_ast *n);
    } preds[] = {{VG_TOK_IS, VG_AST_IS, is_test},
                 {VG_TOK_IN, VG_AST_IN, in_list},
                 {VG_TOK_BETWEEN, VG_AST_BETWEEN, between},
                 {VG_TOK_LIKE, VG_AST_LIKE, like}};
    bool negated = vg_parser_accept(p, VG_TOK_NOT);
    t = vg_parser_peek(p, 0);
    for (size_t i = 0; i < 4; i++) {
        if (t->kind != preds[i].tok || (negated && i == 0))
            continue;
        vg_ast *n = vg_parser_node(p, preds[i].kind, x->span.off);
        if (!n)
            return NULL;
        vg_parser_advance(p);
        set_operand(n, x, negated);
        return preds[i].rest(p, n) ? vg_parser_finish(p, n) : NULL;
    }
    if (negated) {
        vg_parser_syntax(p, t, "IN, BETWEEN or LIKE");
        return NULL;
    }
    return x;
}

static bool at_predicate(vg_parser *p)
{
    vg_token_kind k = vg_parser_peek(p, 0)->kind;
    return binop_of(k, LVL_CMP) || k == VG_TOK_IS || k == VG_TOK_IN || k == VG_TOK_NOT ||
           k == VG_TOK_BETWEEN || k == VG_TOK_LIKE;
}

/* additive [predicate]; predicates do not chain (a = b = c is an error). */
static vg_ast *comparison(vg_parser *p)
{
    vg_ast *x = vg_parser_additive(p);
    vg_ast *e = x ? predicate(p, x) : NULL;
    if (e && e != x && at_predicate(p)) {
        char text[64];
        vg_parser_token_text(p, vg_parser_peek(p, 0), text, sizeof text);
        vg_parser_fail_token(p, vg_parser_peek(p, 0),
                             "syntax error at '%s': comparisons do not chain; use AND", text);
        return NULL;
    }
    return e;
}

static vg_ast *not_expr(vg_parser *p)
{
    const vg_token *t = vg_parser_peek(p, 0);
    if (t->kind != VG_TOK_NOT)
        return comparison(p);
    vg_ast *n = vg_parser_node(p, VG_AST_UNARY, t->span.off);
    if (!n || vg_parser_enter(p) < 0)
        return NULL;
    vg_parser_advance(p);
    if (!(n->u.unary.arg = not_expr(p)))
        return NULL;
    vg_parser_leave(p, 1);
    n->u.unary.op = VG_OP_NOT;
    return vg_parser_finish(p, n);
}

static vg_ast *and_expr(vg_parser *p) { return left_assoc(p, LVL_AND, not_expr); }

vg_ast *vg_parser_expr(vg_parser *p)
{
    if (vg_parser_enter(p) < 0)
        return NULL;
    vg_ast *e = left_assoc(p, LVL_OR, and_expr);
    vg_parser_leave(p, 1);
    return e;
}

int vg_parser_expr_list(vg_parser *p, vg_ast_list *list)
{
    uint32_t cap = 0;
    do {
        vg_ast *e = vg_parser_expr(p);
        if (!e || vg_parser_push(p, list, &cap, e) < 0)
            return -1;
    } while (vg_parser_accept(p, VG_TOK_COMMA));
    return 0;
}
