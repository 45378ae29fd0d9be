/*
 * parser.c — statements, queries and FROM items; the parser's token access,
 * error reporting and node construction (shared through parser_int.h).
 *
 * Tokens are read lazily into a small lookahead ring. When the lexer fails,
 * its error is kept and the failed token is marked VG_TOK_ERROR; the error is
 * reported only when the parser reaches that token, so an earlier syntax
 * error still wins. Expressions live in parse_expr.c.
 */
#include "sql/parser_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* ---- tokens ---- */

const vg_token *vg_parser_peek(vg_parser *p, uint32_t k)
{
    while (p->la_count <= k) {
        vg_token *t = &p->la[(p->la_head + p->la_count) % VG_PARSER_LOOKAHEAD];
        if (p->lex_failed || vg_lexer_next(&p->lx, t, &p->lex_err) < 0) {
            memset(t, 0, sizeof *t);
            t->kind = VG_TOK_ERROR;
            t->span.off = p->lx.pos;
            p->lex_failed = true;
        }
        p->la_count++;
    }
    return &p->la[(p->la_head + k) % VG_PARSER_LOOKAHEAD];
}

void vg_parser_advance(vg_parser *p)
{
    const vg_token *t = vg_parser_peek(p, 0);
    if (t->kind == VG_TOK_EOF || t->kind == VG_TOK_ERROR)
        return;
    p->last_end = t->span.off + t->span.len;
    p->la_head = (p->la_head + 1) % VG_PARSER_LOOKAHEAD;
    p->la_count--;
}

bool vg_parser_accept(vg_parser *p, vg_token_kind kind)
{
    if (vg_parser_peek(p, 0)->kind != kind)
        return false;
    vg_parser_advance(p);
    return true;
}

void vg_parser_relex(vg_parser *p, bool pattern)
{
    p->la_count = 0;
    p->lex_failed = false;
    vg_error_clear(&p->lex_err);
    p->lx.pos = p->last_end;
    p->lx.pattern = pattern;
}

int vg_parser_expect(vg_parser *p, vg_token_kind kind, const char *what)
{
    if (vg_parser_accept(p, kind))
        return 0;
    return vg_parser_syntax(p, vg_parser_peek(p, 0), what);
}

/* The lexer's error, if t is the token where it failed. */
static bool lex_error_at(vg_parser *p, const vg_token *t)
{
    if (t->kind != VG_TOK_ERROR)
        return false;
    if (!vg_error_is_set(p->err))
        *p->err = p->lex_err;
    return true;
}

int vg_parser_close(vg_parser *p, vg_span open)
{
    if (vg_parser_accept(p, VG_TOK_RPAREN))
        return 0;
    uint32_t line, col;
    vg_source_linecol(p->src, open.off, &line, &col);
    return vg_parser_fail_token(p, vg_parser_peek(p, 0),
                                "expected ')' to close '(' at line %u, column %u", line, col);
}

bool vg_parser_is_name(const vg_token *t)
{
    return t->kind == VG_TOK_IDENT ||
           (vg_token_is_keyword(t->kind) && !vg_token_is_reserved(t->kind));
}

bool vg_parser_is_word(vg_parser *p, const vg_token *t, const char *upper)
{
    if (!(t->kind == VG_TOK_IDENT && !t->quoted) && !vg_token_is_keyword(t->kind))
        return false;
    return strlen(upper) == t->span.len &&
           strncasecmp(p->src->text + t->span.off, upper, t->span.len) == 0;
}

int vg_parser_ident_from(vg_parser *p, const vg_token *t, vg_ident *out)
{
    out->name = vg_token_decode(t, p->src, p->arena);
    out->span = t->span;
    out->quoted = t->quoted;
    return out->name ? 0 : vg_parser_nomem(p);
}

int vg_parser_ident(vg_parser *p, vg_ident *out, const char *what)
{
    const vg_token *t = vg_parser_peek(p, 0);
    if (vg_parser_is_name(t)) {
        vg_token name = *t;
        vg_parser_advance(p);
        return vg_parser_ident_from(p, &name, out);
    }
    if (!vg_token_is_reserved(t->kind))
        return vg_parser_syntax(p, t, what);
    char text[64];
    vg_parser_token_text(p, t, text, sizeof text);
    return vg_parser_fail_token(p, t, "syntax error at '%s': expected %s (%s is a reserved word)",
                                text, what, vg_token_kind_name(t->kind));
}

/* ---- errors ---- */

void vg_parser_text(const char *s, uint32_t len, char *buf, size_t size)
{
    const unsigned char *u = (const unsigned char *)s;
    uint32_t n = len > 40 ? 40 : len;
    while (n > 0 && n < len && (u[n] & 0xC0) == 0x80)
        n--; /* do not cut a UTF-8 character */
    size_t k = 0;
    for (uint32_t i = 0; i < n && k + 8 < size; i++) {
        if (u[i] < 0x20 || u[i] == 0x7F)
            k += (size_t)snprintf(buf + k, size - k, "\\x%02X", u[i]);
        else
            buf[k++] = (char)u[i];
    }
    if (n < len && k + 4 < size) {
        memcpy(buf + k, "...", 3);
        k += 3;
    }
    buf[k] = 0;
}

void vg_parser_token_text(vg_parser *p, const vg_token *t, char *buf, size_t size)
{
    vg_parser_text(p->src->text + t->span.off, t->span.len, buf, size);
}

int vg_parser_syntax(vg_parser *p, const vg_token *t, const char *what)
{
    if (lex_error_at(p, t))
        return -1;
    if (t->kind == VG_TOK_EOF)
        return vg_parser_fail(p, VG_ERR_SYNTAX, t->span,
                              "syntax error at end of input: expected %s", what);
    char text[64];
    vg_parser_token_text(p, t, text, sizeof text);
    return vg_parser_fail(p, VG_ERR_SYNTAX, t->span, "syntax error at '%s': expected %s", text,
                          what);
}

static int vfail(vg_parser *p, vg_errcode code, vg_span sp, const char *fmt, va_list ap)
{
    if (vg_error_is_set(p->err))
        return -1;
    char msg[sizeof p->err->msg];
    vsnprintf(msg, sizeof msg, fmt, ap);
    return vg_error_at(p->err, code, p->src, sp, "%s", msg);
}

int vg_parser_fail(vg_parser *p, vg_errcode code, vg_span sp, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfail(p, code, sp, fmt, ap);
    va_end(ap);
    return -1;
}

int vg_parser_fail_token(vg_parser *p, const vg_token *t, const char *fmt, ...)
{
    if (lex_error_at(p, t))
        return -1;
    va_list ap;
    va_start(ap, fmt);
    vfail(p, VG_ERR_SYNTAX, t->span, fmt, ap);
    va_end(ap);
    return -1;
}

int vg_parser_nomem(vg_parser *p) { return vg_error_set(p->err, VG_ERR_NOMEM, "out of memory"); }

int vg_parser_enter(vg_parser *p)
{
    if (++p->depth <= VG_PARSE_MAX_DEPTH)
        return 0;
    return vg_parser_fail(p, VG_ERR_SYNTAX, vg_parser_peek(p, 0)->span,
                          "expression nested too deeply (limit %d)", VG_PARSE_MAX_DEPTH);
}

void vg_parser_leave(vg_parser *p, uint32_t levels) { p->depth -= levels; }

/* ---- nodes ---- */

vg_ast *vg_parser_node(vg_parser *p, vg_ast_kind kind, uint32_t start)
{
    vg_ast *node = vg_arena_calloc(p->arena, sizeof *node);
    if (!node) {
        vg_parser_nomem(p);
        return NULL;
    }
    node->kind = kind;
    node->span.off = start;
    return node;
}

vg_span vg_parser_span_from(vg_parser *p, uint32_t start)
{
    vg_span sp = {start, p->last_end > start ? p->last_end - start : 0};
    return sp;
}

vg_ast *vg_parser_finish(vg_parser *p, vg_ast *node)
{
    node->span = vg_parser_span_from(p, node->span.off);
    return node;
}

void *vg_parser_grow(vg_parser *p, void *array, uint32_t n, uint32_t *cap, size_t elem)
{
    if (n < *cap)
        return array;
    uint32_t ncap = *cap ? *cap * 2 : 4;
    void *grown = vg_arena_alloc(p->arena, ncap * elem);
    if (!grown) {
        vg_parser_nomem(p);
        return NULL;
    }
    if (n)
        memcpy(grown, array, n * elem);
    *cap = ncap;
    return grown;
}

int vg_parser_push(vg_parser *p, vg_ast_list *list, uint32_t *cap, vg_ast *x)
{
    vg_ast **items = vg_parser_grow(p, list->items, list->n, cap, sizeof *items);
    if (!items)
        return -1;
    items[list->n++] = x;
    list->items = items;
    return 0;
}

int vg_parser_push_flag(vg_parser *p, bool **flags, uint32_t n, uint32_t *cap, bool flag)
{
    bool *grown = vg_parser_grow(p, *flags, n, cap, sizeof *grown);
    if (!grown)
        return -1;
    grown[n] = flag;
    *flags = grown;
    return 0;
}

/* ---- types ---- */

typedef struct type_name {
    const char *name;   /* upper case, as written in SQL */
    vg_type type;       /* what it means in vigil (TIMESTAMP(n) is held as ms for any n) */
    bool length;        /* takes an optional (n): VARCHAR(n), TIMESTAMP(3) */
    const char *suffix; /* optional words that may follow, space-separated, or NULL */
} type_name;

static const type_name type_names[] = {
    {"BOOLEAN", VG_T_BOOL, false, NULL},
    {"INT", VG_T_INT, false, NULL},
    {"INTEGER", VG_T_INT, false, NULL},
    {"TINYINT", VG_T_INT, false, NULL},
    {"SMALLINT", VG_T_INT, false, NULL},
    {"BIGINT", VG_T_BIGINT, false, NULL},
    {"DOUBLE", VG_T_DOUBLE, false, "PRECISION"},
    {"FLOAT", VG_T_DOUBLE, false, NULL},
    {"STRING", VG_T_STRING, false, NULL},
    {"VARCHAR", VG_T_STRING, true, NULL},
    {"TEXT", VG_T_STRING, false, NULL},
    {"CHAR", VG_T_STRING, true, NULL},
    {"TIMESTAMP", VG_T_TIMESTAMP, true, "WITHOUT TIME ZONE"},
    {"TIMESTAMP_LTZ", VG_T_TIMESTAMP, true, NULL},
};

/* Accept the space-separated words (upper case) in sequence: nothing when
 * the first does not match, an error when a later one does not. */
static int accept_words(vg_parser *p, const char *words)
{
    for (bool first = true; *words; first = false) {
        char word[32];
        size_t n = strcspn(words, " ");
        snprintf(word, sizeof word, "%.*s", (int)n, words);
        words += n + (words[n] == ' ');
        const vg_token *t = vg_parser_peek(p, 0);
        if (!vg_parser_is_word(p, t, word))
            return first ? 0 : vg_parser_syntax(p, t, word);
        vg_parser_advance(p);
    }
    return 0;
}

/* The element type el of an array type (ARRAY<el> or el ARRAY) at span sp:
 * vigil has ARRAY<DOUBLE> only. */
static int array_of(vg_parser *p, const vg_ast_type *el, vg_span sp, vg_ast_type *out)
{
    if (el->type != VG_T_DOUBLE)
        return vg_parser_fail(p, VG_ERR_TYPE, el->span,
                              "only ARRAY<DOUBLE> is supported, not ARRAY<%s>",
                              vg_type_name(el->type));
    out->type = VG_T_ARRAY;
    out->span = sp;
    return 0;
}

/* ARRAY<el>, at ARRAY with '<' next. */
static int array_type(vg_parser *p, vg_ast_type *out)
{
    uint32_t start = vg_parser_peek(p, 0)->span.off;
    vg_ast_type el;
    vg_parser_advance(p); /* ARRAY */
    vg_parser_advance(p); /* < */
    if (vg_parser_enter(p) < 0 || vg_parser_type(p, &el) < 0)
        return -1;
    vg_parser_leave(p, 1);
    if (vg_parser_expect(p, VG_TOK_GT, "'>'") < 0)
        return -1;
    return array_of(p, &el, vg_parser_span_from(p, start), out);
}

int vg_parser_type(vg_parser *p, vg_ast_type *out)
{
    const vg_token *t = vg_parser_peek(p, 0);
    uint32_t start = t->span.off;
    if (!(t->kind == VG_TOK_IDENT && !t->quoted) && !vg_token_is_keyword(t->kind))
        return vg_parser_syntax(p, t, "a type");
    if (vg_parser_is_word(p, t, "ARRAY") && vg_parser_peek(p, 1)->kind == VG_TOK_LT)
        return array_type(p, out);
    const type_name *tn = NULL;
    for (size_t i = 0; i < sizeof type_names / sizeof type_names[0] && !tn; i++)
        if (vg_parser_is_word(p, t, type_names[i].name))
            tn = &type_names[i];
    if (!tn) {
        char text[64];
        vg_parser_token_text(p, t, text, sizeof text);
        return vg_parser_fail(p, VG_ERR_NAME, t->span, "unknown type '%s'", text);
    }
    vg_parser_advance(p);
    if (tn->length && vg_parser_peek(p, 0)->kind == VG_TOK_LPAREN) {
        vg_span open = vg_parser_peek(p, 0)->span;
        vg_parser_advance(p);
        if (vg_parser_expect(p, VG_TOK_INTEGER, "an integer") < 0 || vg_parser_close(p, open) < 0)
            return -1;
    }
    if (tn->suffix && accept_words(p, tn->suffix) < 0)
        return -1;
    out->type = tn->type;
    out->span = vg_parser_span_from(p, start);
    if (!vg_parser_is_word(p, vg_parser_peek(p, 0), "ARRAY"))
        return 0;
    vg_parser_advance(p); /* el ARRAY, the SQL standard's form */
    vg_ast_type el = *out;
    return array_of(p, &el, vg_parser_span_from(p, start), out);
}

/* ---- ORDER BY, windows ---- */

int vg_parser_order_by(vg_parser *p, vg_ast_list *list, bool **desc)
{
    uint32_t cap = 0, fcap = 0;
    do {
        vg_ast *e = vg_parser_expr(p);
        if (!e)
            return -1;
        bool is_desc = vg_parser_peek(p, 0)->kind == VG_TOK_DESC;
        if (is_desc || vg_parser_peek(p, 0)->kind == VG_TOK_ASC)
            vg_parser_advance(p);
        if (vg_parser_push_flag(p, desc, list->n, &fcap, is_desc) < 0 ||
            vg_parser_push(p, list, &cap, e) < 0)
            return -1;
    } while (vg_parser_accept(p, VG_TOK_COMMA));
    return 0;
}

/* (e | UNBOUNDED) PRECEDING into w->frame_start (NULL for UNBOUNDED). */
static int frame_start(vg_parser *p, vg_ast_window *w)
{
    const vg_token *t = vg_parser_peek(p, 0);
    uint32_t start = t->span.off;
    if (t->kind == VG_TOK_CURRENT)
        return vg_parser_fail(p, VG_ERR_SEMANTIC, t->span,
                              "an OVER window frame starts at n PRECEDING or UNBOUNDED "
                              "PRECEDING (the current row alone is ROWS BETWEEN 0 PRECEDING AND "
                              "CURRENT ROW)");
    if (!vg_parser_accept(p, VG_TOK_UNBOUNDED)) {
        w->frame_start = vg_parser_additive(p);
        if (!w->frame_start)
            return -1;
    }
    if (vg_parser_expect(p, VG_TOK_PRECEDING, "PRECEDING") < 0)
        return -1;
    w->start_span = vg_parser_span_from(p, start);
    return 0;
}

/* CURRENT ROW | UNBOUNDED FOLLOWING | e FOLLOWING. */
static int frame_end(vg_parser *p, vg_ast_window *w)
{
    uint32_t start = vg_parser_peek(p, 0)->span.off;
    if (vg_parser_accept(p, VG_TOK_CURRENT)) {
        if (vg_parser_expect(p, VG_TOK_ROW, "ROW") < 0)
            return -1;
        w->end_current_row = true;
    } else {
        w->end_current_row = false;
        if (!vg_parser_accept(p, VG_TOK_UNBOUNDED)) {
            w->frame_end = vg_parser_additive(p);
            if (!w->frame_end)
                return -1;
        }
        if (vg_parser_peek(p, 0)->kind == VG_TOK_PRECEDING) {
            vg_parser_advance(p);
            return vg_parser_fail(p, VG_ERR_SEMANTIC, vg_parser_span_from(p, start),
                                  "OVER window frames must end at CURRENT ROW");
        }
        if (vg_parser_expect(p, VG_TOK_FOLLOWING, "FOLLOWING") < 0)
            return -1;
    }
    w->end_span = vg_parser_span_from(p, start);
    return 0;
}

/* ROWS|RANGE (BETWEEN start AND end | start). */
static int window_frame(vg_parser *p, vg_ast_window *w)
{
    uint32_t start = vg_parser_peek(p, 0)->span.off;
    w->frame_kind = vg_parser_peek(p, 0)->kind == VG_TOK_ROWS ? 1 : 2;
    vg_parser_advance(p);
    if (vg_parser_accept(p, VG_TOK_BETWEEN)) {
        if (frame_start(p, w) < 0 || vg_parser_expect(p, VG_TOK_AND, "AND") < 0 ||
            frame_end(p, w) < 0)
            return -1;
    } else {
        if (frame_start(p, w) < 0)
            return -1;
        w->end_span = w->start_span;
    }
    w->frame_span = vg_parser_span_from(p, start);
    return 0;
}

vg_ast_window *vg_parser_window_spec(vg_parser *p)
{
    vg_ast_window *w = vg_arena_calloc(p->arena, sizeof *w);
    if (!w) {
        vg_parser_nomem(p);
        return NULL;
    }
    vg_span open = vg_parser_peek(p, 0)->span;
    w->end_current_row = true;
    if (vg_parser_expect(p, VG_TOK_LPAREN, "'('") < 0)
        return NULL;
    uint32_t start = vg_parser_peek(p, 0)->span.off;
    if (vg_parser_accept(p, VG_TOK_PARTITION)) {
        if (vg_parser_expect(p, VG_TOK_BY, "BY") < 0 ||
            vg_parser_expr_list(p, &w->partition_by) < 0)
            return NULL;
        w->partition_span = vg_parser_span_from(p, start);
    }
    start = vg_parser_peek(p, 0)->span.off;
    if (vg_parser_accept(p, VG_TOK_ORDER)) {
        if (vg_parser_expect(p, VG_TOK_BY, "BY") < 0 ||
            vg_parser_order_by(p, &w->order_by, &w->order_desc) < 0)
            return NULL;
        w->order_span = vg_parser_span_from(p, start);
    }
    vg_token_kind k = vg_parser_peek(p, 0)->kind;
    if ((k == VG_TOK_ROWS || k == VG_TOK_RANGE) && window_frame(p, w) < 0)
        return NULL;
    const vg_token *t = vg_parser_peek(p, 0);
    if (vg_parser_is_word(p, t, "GROUPS")) {
        vg_parser_fail(p, VG_ERR_SEMANTIC, t->span,
                       "GROUPS frames are not supported: use ROWS or RANGE");
        return NULL;
    }
    if (vg_parser_is_word(p, t, "EXCLUDE")) {
        vg_parser_fail(p, VG_ERR_SEMANTIC, t->span,
                       "EXCLUDE is not supported in OVER window frames");
        return NULL;
    }
    if (vg_parser_close(p, open) < 0)
        return NULL;
    w->span = vg_parser_span_from(p, open.off);
    return w;
}

/* WINDOW w AS (spec), ... */
static int window_clause(vg_parser *p, vg_ast *sel)
{
    uint32_t cap = 0;
    do {
        vg_ident name;
        uint32_t start = vg_parser_peek(p, 0)->span.off;
        if (vg_parser_ident(p, &name, "a window name") < 0 ||
            vg_parser_expect(p, VG_TOK_AS, "AS") < 0)
            return -1;
        vg_ast_window *w = vg_parser_window_spec(p);
        if (!w)
            return -1;
        w->name = name;
        w->span = vg_parser_span_from(p, start);
        vg_ast_window **ws =
            vg_parser_grow(p, sel->u.select.windows, sel->u.select.nwindows, &cap, sizeof *ws);
        if (!ws)
            return -1;
        ws[sel->u.select.nwindows++] = w;
        sel->u.select.windows = ws;
    } while (vg_parser_accept(p, VG_TOK_COMMA));
    return 0;
}

/* ---- FROM items ---- */

/* [[AS] alias]. Without AS, a second name right after the alias means the
 * "alias" was a misspelt keyword (FROM t WHRE x): blame it with expected. */
static int opt_alias(vg_parser *p, vg_ident *alias, const char *expected)
{
    if (vg_parser_accept(p, VG_TOK_AS))
        return vg_parser_ident(p, alias, "an alias");
    const vg_token *t = vg_parser_peek(p, 0);
    if (!vg_parser_is_name(t))
        return 0;
    vg_token name = *t;
    vg_parser_advance(p);
    const vg_token *next = vg_parser_peek(p, 0);
    vg_token_kind k = next->kind;
    if (vg_parser_is_name(next) || k == VG_TOK_INTEGER || k == VG_TOK_DECIMAL || k == VG_TOK_STRING)
        return vg_parser_syntax(p, &name, expected);
    return vg_parser_ident_from(p, &name, alias);
}

static const char after_from[] = "WHERE, GROUP BY or end of query";

int vg_parser_from_alias(vg_parser *p, vg_ident *alias)
{
    return opt_alias(p, alias, after_from);
}

/* After PARTITION: BY k, or BY (k1, k2, ...) as Flink writes several keys. */
static int tvf_partition(vg_parser *p, vg_ast *n)
{
    uint32_t cap = 0;
    if (vg_parser_expect(p, VG_TOK_BY, "BY") < 0)
        return -1;
    if (vg_parser_peek(p, 0)->kind != VG_TOK_LPAREN) {
        vg_ast *e = vg_parser_expr(p);
        return e ? vg_parser_push(p, &n->u.tablefn.partition_by, &cap, e) : -1;
    }
    vg_span open = vg_parser_peek(p, 0)->span;
    vg_parser_advance(p);
    if (vg_parser_expr_list(p, &n->u.tablefn.partition_by) < 0)
        return -1;
    return vg_parser_close(p, open);
}

/* f ( TABLE t [PARTITION BY k | (k, ...)], DESCRIPTOR(c) [, arg ...] ), at f; the model
 * and rules functions take their own arguments (parse_model.c). */
static int tvf_call(vg_parser *p, vg_ast *n)
{
    if (vg_parser_ident(p, &n->u.tablefn.fn, "a table function name") < 0)
        return -1;
    vg_span inner = vg_parser_peek(p, 0)->span;
    if (vg_parser_expect(p, VG_TOK_LPAREN, "'('") < 0 ||
        vg_parser_expect(p, VG_TOK_TABLE, "TABLE") < 0 ||
        vg_parser_ident(p, &n->u.tablefn.table, "a stream name") < 0)
        return -1;
    if (vg_parser_model_tvf(n->u.tablefn.fn.name))
        return vg_parser_model_args(p, n) < 0 ? -1 : vg_parser_close(p, inner);
    if (vg_parser_accept(p, VG_TOK_PARTITION) && tvf_partition(p, n) < 0)
        return -1;
    if (vg_parser_expect(p, VG_TOK_COMMA, "','") < 0 ||
        vg_parser_expect(p, VG_TOK_DESCRIPTOR, "DESCRIPTOR") < 0)
        return -1;
    vg_span dopen = vg_parser_peek(p, 0)->span;
    if (vg_parser_expect(p, VG_TOK_LPAREN, "'('") < 0 ||
        vg_parser_ident(p, &n->u.tablefn.descriptor, "a column name") < 0 ||
        vg_parser_close(p, dopen) < 0)
        return -1;
    if (vg_parser_accept(p, VG_TOK_COMMA) && vg_parser_expr_list(p, &n->u.tablefn.args) < 0)
        return -1;
    return vg_parser_close(p, inner);
}

/* TABLE ( f ( ... ) ) [[AS] a] when wrapped, else f ( ... ) [[AS] a] (as Flink writes
 * ML_PREDICT). */
static vg_ast *table_function(vg_parser *p, bool wrapped)
{
    vg_ast *n = vg_parser_node(p, VG_AST_TABLEFN, vg_parser_peek(p, 0)->span.off);
    if (!n)
        return NULL;
    vg_span outer = vg_parser_peek(p, 1)->span;
    if (wrapped) {
        vg_parser_advance(p); /* TABLE */
        if (vg_parser_expect(p, VG_TOK_LPAREN, "'('") < 0)
            return NULL;
    }
    if (tvf_call(p, n) < 0 || (wrapped && vg_parser_close(p, outer) < 0) ||
        opt_alias(p, &n->u.tablefn.alias, after_from) < 0)
        return NULL;
    return vg_parser_finish(p, n);
}

static vg_ast *from_item(vg_parser *p)
{
    const vg_token *t = vg_parser_peek(p, 0);
    if (t->kind == VG_TOK_TABLE)
        return table_function(p, true);
    if (vg_parser_is_name(t) && vg_parser_peek(p, 1)->kind == VG_TOK_LPAREN &&
        vg_parser_peek(p, 2)->kind == VG_TOK_TABLE)
        return table_function(p, false);
    vg_ast *n;
    if (t->kind == VG_TOK_LPAREN) {
        vg_span open = t->span;
        if (!(n = vg_parser_node(p, VG_AST_SUBQUERY, open.off)))
            return NULL;
        vg_parser_advance(p);
        if (!(n->u.subquery.query = vg_parser_select(p)) || vg_parser_close(p, open) < 0 ||
            opt_alias(p, &n->u.subquery.alias, after_from) < 0)
            return NULL;
        return vg_parser_finish(p, n);
    }
    if (!(n = vg_parser_node(p, VG_AST_TABLEREF, t->span.off)))
        return NULL;
    if (vg_parser_ident(p, &n->u.tableref.name, "a stream or view name") < 0 ||
        opt_alias(p, &n->u.tableref.alias, after_from) < 0)
        return NULL;
    return vg_parser_finish(p, n);
}

/* ---- SELECT ---- */

/* *, t.*, or expr [[AS] alias]. */
static int select_item(vg_parser *p, vg_ast_select_item *item)
{
    memset(item, 0, sizeof *item);
    if (vg_parser_at_star(p))
        return (item->expr = vg_parser_star(p)) ? 0 : -1;
    if (!(item->expr = vg_parser_expr(p)))
        return -1;
    return opt_alias(p, &item->alias, "',' or FROM");
}

static int select_list(vg_parser *p, vg_ast *sel)
{
    uint32_t cap = 0;
    do {
        vg_ast_select_item *items =
            vg_parser_grow(p, sel->u.select.items, sel->u.select.nitems, &cap, sizeof *items);
        if (!items)
            return -1;
        sel->u.select.items = items;
        if (select_item(p, &items[sel->u.select.nitems]) < 0)
            return -1;
        sel->u.select.nitems++;
    } while (vg_parser_accept(p, VG_TOK_COMMA));
    return 0;
}

/* Accept the keyword kind (and BY after it when by is set), recording the
 * span of the keyword(s) in *sp. 1 when it was there, 0 when not, -1. */
static int clause_keyword(vg_parser *p, vg_token_kind kind, bool by, vg_span *sp)
{
    const vg_token *t = vg_parser_peek(p, 0);
    if (t->kind != kind)
        return 0;
    *sp = t->span;
    vg_parser_advance(p);
    if (by) {
        const vg_token *b = vg_parser_peek(p, 0);
        if (b->kind != VG_TOK_BY)
            return vg_parser_syntax(p, b, "BY");
        sp->len = b->span.off + b->span.len - sp->off;
        vg_parser_advance(p);
    }
    return 1;
}

/* What may not follow a FROM item yet, with a message that says so
 * instead of a bare syntax error. */
static int unsupported_after_from(vg_parser *p)
{
    const vg_token *t = vg_parser_peek(p, 0);
    switch (t->kind) {
    case VG_TOK_JOIN:
    case VG_TOK_INNER:
    case VG_TOK_LEFT:
    case VG_TOK_RIGHT:
    case VG_TOK_FULL:
    case VG_TOK_CROSS:
    case VG_TOK_NATURAL:
        return vg_parser_fail(p, VG_ERR_SEMANTIC, t->span, "JOIN is not supported yet");
    case VG_TOK_COMMA:
        return vg_parser_fail(p, VG_ERR_SEMANTIC, t->span,
                              "a join of several FROM items is not supported yet");
    case VG_TOK_MATCH_RECOGNIZE:
        return vg_parser_fail(p, VG_ERR_SEMANTIC, t->span,
                              "MATCH_RECOGNIZE cannot read a MATCH_RECOGNIZE directly: put the "
                              "first one in a subquery");
    default:
        return 0;
    }
}

/* The clauses after the select list, each optional, in order. */
static int select_clauses(vg_parser *p, vg_ast *sel)
{
    int k;
    if (vg_parser_accept(p, VG_TOK_FROM)) {
        vg_ast *f = from_item(p);
        if (f && vg_parser_peek(p, 0)->kind == VG_TOK_MATCH_RECOGNIZE)
            f = vg_parser_match(p, f);
        if (!(sel->u.select.from = f) || unsupported_after_from(p) < 0)
            return -1;
    }
    if (vg_parser_accept(p, VG_TOK_WHERE) && !(sel->u.select.where = vg_parser_expr(p)))
        return -1;
    if ((k = clause_keyword(p, VG_TOK_GROUP, true, &sel->u.select.group_span)) < 0 ||
        (k && vg_parser_expr_list(p, &sel->u.select.group_by) < 0))
        return -1;
    if ((k = clause_keyword(p, VG_TOK_HAVING, false, &sel->u.select.having_span)) < 0 ||
        (k && !(sel->u.select.having = vg_parser_expr(p))))
        return -1;
    if ((k = clause_keyword(p, VG_TOK_WINDOW, false, &sel->u.select.window_span)) < 0 ||
        (k && window_clause(p, sel) < 0))
        return -1;
    if ((k = clause_keyword(p, VG_TOK_ORDER, true, &sel->u.select.order_span)) < 0 ||
        (k && vg_parser_order_by(p, &sel->u.select.order_by, &sel->u.select.order_desc) < 0))
        return -1;
    if ((k = clause_keyword(p, VG_TOK_LIMIT, false, &sel->u.select.limit_span)) < 0)
        return -1;
    if (k) {
        if (vg_parser_peek(p, 0)->kind != VG_TOK_INTEGER)
            return vg_parser_syntax(p, vg_parser_peek(p, 0), "an integer");
        if (!(sel->u.select.limit = vg_parser_primary(p)))
            return -1;
    }
    return 0;
}

vg_ast *vg_parser_select(vg_parser *p)
{
    const vg_token *t = vg_parser_peek(p, 0);
    if (t->kind != VG_TOK_SELECT) {
        vg_parser_syntax(p, t, "SELECT");
        return NULL;
    }
    vg_ast *sel = vg_parser_node(p, VG_AST_SELECT, t->span.off);
    if (!sel || vg_parser_enter(p) < 0)
        return NULL;
    vg_parser_advance(p);
    if (vg_parser_peek(p, 0)->kind == VG_TOK_DISTINCT) {
        sel->u.select.distinct = true;
        sel->u.select.distinct_span = vg_parser_peek(p, 0)->span;
        vg_parser_advance(p);
    } else
        vg_parser_accept(p, VG_TOK_ALL);
    if (select_list(p, sel) < 0 || select_clauses(p, sel) < 0)
        return NULL;
    vg_parser_leave(p, 1);
    return vg_parser_finish(p, sel);
}

/* ---- statements ---- */

/* WATERMARK FOR col AS expr, inside a stream's column list. */
static int watermark(vg_parser *p, vg_ast *cs)
{
    const vg_token *t = vg_parser_peek(p, 0);
    if (cs->u.create_stream.wm_expr) {
        char text[64];
        vg_parser_token_text(p, t, text, sizeof text);
        return vg_parser_fail_token(p, t, "syntax error at '%s': a stream has only one WATERMARK",
                                    text);
    }
    vg_parser_advance(p); /* WATERMARK */
    vg_parser_advance(p); /* FOR */
    if (vg_parser_ident(p, &cs->u.create_stream.wm_column, "a column name") < 0 ||
        vg_parser_expect(p, VG_TOK_AS, "AS") < 0)
        return -1;
    cs->u.create_stream.wm_expr = vg_parser_expr(p);
    return cs->u.create_stream.wm_expr ? 0 : -1;
}

static int column_list(vg_parser *p, vg_ast *cs)
{
    uint32_t cap = 0;
    vg_span open = vg_parser_peek(p, 0)->span;
    if (vg_parser_expect(p, VG_TOK_LPAREN, "'('") < 0)
        return -1;
    do {
        if (vg_parser_peek(p, 0)->kind == VG_TOK_WATERMARK &&
            vg_parser_peek(p, 1)->kind == VG_TOK_FOR) {
            if (watermark(p, cs) < 0)
                return -1;
            continue;
        }
        vg_ast_column_def *cols = vg_parser_grow(p, cs->u.create_stream.cols,
                                                 cs->u.create_stream.ncols, &cap, sizeof *cols);
        if (!cols)
            return -1;
        cs->u.create_stream.cols = cols;
        vg_ast_column_def *c = &cols[cs->u.create_stream.ncols];
        if (vg_parser_ident(p, &c->name, "a column name") < 0 || vg_parser_type(p, &c->type) < 0)
            return -1;
        if (c->type.type == VG_T_ARRAY)
            return vg_parser_fail(p, VG_ERR_TYPE, c->type.span,
                                  "ARRAY columns in streams are not supported yet: events are "
                                  "decoded into scalar columns");
        cs->u.create_stream.ncols++;
    } while (vg_parser_accept(p, VG_TOK_COMMA));
    return vg_parser_close(p, open);
}

static int string_ident(vg_parser *p, vg_ident *out)
{
    const vg_token *t = vg_parser_peek(p, 0);
    if (t->kind != VG_TOK_STRING)
        return vg_parser_syntax(p, t, "a string literal");
    vg_token s = *t;
    vg_parser_advance(p);
    if (vg_parser_ident_from(p, &s, out) < 0)
        return -1;
    out->quoted = true;
    return 0;
}

/* WITH ('key' = 'value', ...), after WITH, into *opts (*n of them). */
int vg_parser_options(vg_parser *p, vg_ast_option **opts, uint32_t *n)
{
    uint32_t cap = 0;
    vg_span open = vg_parser_peek(p, 0)->span;
    if (vg_parser_expect(p, VG_TOK_LPAREN, "'('") < 0)
        return -1;
    do {
        vg_ast_option *o = vg_parser_grow(p, *opts, *n, &cap, sizeof *o);
        if (!o)
            return -1;
        *opts = o;
        o += *n;
        if (string_ident(p, &o->key) < 0 || vg_parser_expect(p, VG_TOK_EQ, "'='") < 0 ||
            string_ident(p, &o->value) < 0)
            return -1;
        ++*n;
    } while (vg_parser_accept(p, VG_TOK_COMMA));
    return vg_parser_close(p, open);
}

static vg_ast *create_stream(vg_parser *p, uint32_t start)
{
    vg_ast *cs = vg_parser_node(p, VG_AST_CREATE_STREAM, start);
    if (!cs || vg_parser_ident(p, &cs->u.create_stream.name, "a stream name") < 0 ||
        column_list(p, cs) < 0)
        return NULL;
    if (vg_parser_accept(p, VG_TOK_WITH) &&
        vg_parser_options(p, &cs->u.create_stream.opts, &cs->u.create_stream.nopts) < 0)
        return NULL;
    return vg_parser_finish(p, cs);
}

static vg_ast *create_view(vg_parser *p, uint32_t start)
{
    vg_ast *cv = vg_parser_node(p, VG_AST_CREATE_VIEW, start);
    if (!cv || vg_parser_ident(p, &cv->u.create_view.name, "a view name") < 0 ||
        vg_parser_expect(p, VG_TOK_AS, "AS") < 0 ||
        !(cv->u.create_view.query = vg_parser_select(p)))
        return NULL;
    return vg_parser_finish(p, cv);
}

/* CREATE [TEMPORARY] STREAM|TABLE|VIEW ... */
static vg_ast *create(vg_parser *p)
{
    uint32_t start = vg_parser_peek(p, 0)->span.off;
    vg_parser_advance(p); /* CREATE */
    vg_parser_accept(p, VG_TOK_TEMPORARY);
    if (vg_parser_accept(p, VG_TOK_STREAM) || vg_parser_accept(p, VG_TOK_TABLE))
        return create_stream(p, start);
    if (vg_parser_accept(p, VG_TOK_VIEW))
        return create_view(p, start);
    const vg_token *t = vg_parser_peek(p, 0);
    if (vg_parser_is_word(p, t, "MODEL") || vg_parser_is_word(p, t, "RULESET"))
        return vg_parser_create_model(p, start);
    vg_parser_syntax(p, t, "STREAM, TABLE, VIEW, MODEL or RULESET");
    return NULL;
}

static vg_ast *insert(vg_parser *p)
{
    vg_ast *ins = vg_parser_node(p, VG_AST_INSERT, vg_parser_peek(p, 0)->span.off);
    if (!ins)
        return NULL;
    vg_parser_advance(p); /* INSERT */
    if (vg_parser_expect(p, VG_TOK_INTO, "INTO") < 0 ||
        vg_parser_ident(p, &ins->u.insert.sink, "a sink name") < 0 ||
        !(ins->u.insert.query = vg_parser_select(p)))
        return NULL;
    return vg_parser_finish(p, ins);
}

static vg_ast *statement(vg_parser *p)
{
    const vg_token *t = vg_parser_peek(p, 0);
    if (t->kind == VG_TOK_CREATE)
        return create(p);
    if (t->kind == VG_TOK_INSERT)
        return insert(p);
    if (t->kind != VG_TOK_SELECT) {
        vg_parser_syntax(p, t, "CREATE, INSERT or SELECT");
        return NULL;
    }
    vg_ast *q = vg_parser_node(p, VG_AST_QUERY, t->span.off);
    if (!q || !(q->u.query.query = vg_parser_select(p)))
        return NULL;
    return vg_parser_finish(p, q);
}

static int parse_all(vg_parser *p, vg_ast_stmt **stmts_out, uint32_t *nstmts_out)
{
    uint32_t cap = 0;
    for (;;) {
        while (vg_parser_accept(p, VG_TOK_SEMI))
            ;
        if (vg_parser_peek(p, 0)->kind == VG_TOK_EOF)
            return 0;
        vg_ast *node = statement(p);
        if (!node)
            return -1;
        vg_ast_stmt *stmts = vg_parser_grow(p, *stmts_out, *nstmts_out, &cap, sizeof *stmts);
        if (!stmts)
            return -1;
        stmts[*nstmts_out].node = node;
        stmts[*nstmts_out].src = p->src;
        *stmts_out = stmts;
        ++*nstmts_out;
        vg_token_kind k = vg_parser_peek(p, 0)->kind;
        if (k != VG_TOK_SEMI && k != VG_TOK_EOF)
            return vg_parser_syntax(p, vg_parser_peek(p, 0), "';' or end of input");
    }
}

int vg_parse(const vg_source *src, vg_arena *arena, vg_ast_stmt **stmts_out, uint32_t *nstmts_out,
             vg_error *err)
{
    vg_parser p;
    memset(&p, 0, sizeof p);
    p.src = src;
    p.arena = arena;
    p.err = err;
    vg_lexer_init(&p.lx, src);
    *stmts_out = NULL;
    *nstmts_out = 0;
    if (parse_all(&p, stmts_out, nstmts_out) == 0)
        return 0;
    /* a failure that did not report itself would be a parser bug; never return -1 silently */
    if (!vg_error_is_set(err))
        vg_error_set(err, VG_ERR_SYNTAX, "syntax error");
    *stmts_out = NULL;
    *nstmts_out = 0;
    return -1;
}

int vg_parse_expr(const vg_source *src, vg_arena *arena, vg_ast **out, vg_error *err)
{
    vg_parser p;
    memset(&p, 0, sizeof p);
    p.src = src;
    p.arena = arena;
    p.err = err;
    vg_lexer_init(&p.lx, src);
    *out = vg_parser_expr(&p);
    if (*out && vg_parser_peek(&p, 0)->kind != VG_TOK_EOF) {
        vg_parser_syntax(&p, vg_parser_peek(&p, 0), "an operator or end of expression");
        *out = NULL;
    }
    if (*out)
        return 0;
    if (!vg_error_is_set(err))
        vg_error_set(err, VG_ERR_SYNTAX, "syntax error");
    return -1;
}
