/*
 * parse_match.c — MATCH_RECOGNIZE: its clauses and its row patterns.
 *
 *   from MATCH_RECOGNIZE (
 *       [PARTITION BY e, ...] [ORDER BY e [ASC|DESC], ...] [MEASURES e AS name, ...]
 *       [ONE ROW PER MATCH | ALL ROWS PER MATCH [SHOW EMPTY MATCHES | OMIT EMPTY MATCHES
 *                                               | WITH UNMATCHED ROWS]]
 *       [AFTER MATCH SKIP PAST LAST ROW | TO NEXT ROW | TO FIRST v | TO LAST v | TO v]
 *       PATTERN ( pattern ) [WITHIN INTERVAL '..' unit [EMIT TIMEOUTS]]
 *       [SUBSET s = (v, ...), ...] [DEFINE v AS condition, ...]
 *   ) [[AS] alias]
 *
 *   pattern    := [seq] ('|' [seq])*                       alternation, left preferred (an
 *                                                          empty alternative: the empty
 *                                                          pattern, as ZetaSQL allows)
 *   seq        := term term ...                            concatenation
 *   term       := primary [quantifier]
 *   primary    := v | '(' ')' | '(' pattern ')' | PERMUTE '(' pattern, ... ')'
 *               | '{-' pattern '-}' | '^' | '$'
 *   quantifier := ('*' | '+' | '?' | '{' n '}' | '{' n ',' '}' | '{' ',' m '}'
 *               | '{' n ',' m '}' | '{' ',' '}') ['?']      a trailing '?': reluctant
 *
 * The clauses come in the standard's order, with Flink's WITHIN right after
 * PATTERN; their words are not reserved, so a column may still be called
 * "pattern" or "first". The pattern is lexed in row pattern mode
 * (sql/lexer.h), where | ? { } {- -} ^ $ are tokens: the parser switches the
 * lexer into it after PATTERN and out after the pattern's closing ')'.
 * RUNNING and FINAL before a call (RUNNING LAST(A.x)) become the calls
 * RUNNING(...) and FINAL(...), as other special syntax becomes calls.
 */
#include "sql/parser_int.h"

#include <string.h>

/* The largest n or m of a quantifier {n,m}: a bigger one would unroll into
 * an absurd program. */
#define MAX_BOUND 10000

#define TERM_EXPECTED "a pattern variable, '(', '{-', '^' or '$'"

/* ---- RUNNING and FINAL ---- */

bool vg_parser_at_semantics(vg_parser *p)
{
    const vg_token *t = vg_parser_peek(p, 0);
    return (vg_parser_is_word(p, t, "RUNNING") || vg_parser_is_word(p, t, "FINAL")) &&
           vg_parser_is_name(vg_parser_peek(p, 1)) && vg_parser_peek(p, 2)->kind == VG_TOK_LPAREN;
}

vg_ast *vg_parser_semantics(vg_parser *p)
{
    vg_token word = *vg_parser_peek(p, 0);
    vg_ast *n = vg_parser_node(p, VG_AST_CALL, word.span.off);
    if (!n || vg_parser_ident_from(p, &word, &n->u.call.name) < 0)
        return NULL;
    vg_parser_advance(p);
    uint32_t cap = 0;
    vg_ast *inner = vg_parser_primary(p);
    if (!inner || vg_parser_push(p, &n->u.call.args, &cap, inner) < 0)
        return NULL;
    return vg_parser_finish(p, n);
}

/* ---- row patterns ---- */

static vg_ast_pattern *pat_alt(vg_parser *p);

static vg_ast_pattern *pat_new(vg_parser *p, vg_pat_kind kind, uint32_t start)
{
    vg_ast_pattern *n = vg_arena_calloc(p->arena, sizeof *n);
    if (!n) {
        vg_parser_nomem(p);
        return NULL;
    }
    n->kind = kind;
    n->span.off = start;
    return n;
}

/* Append kid to parent's kids (cap is their capacity). */
static int pat_push(vg_parser *p, vg_ast_pattern *parent, uint32_t *cap, vg_ast_pattern *kid)
{
    if (!kid)
        return -1;
    vg_ast_pattern **kids = vg_parser_grow(p, parent->kids, parent->nkids, cap, sizeof *kids);
    if (!kids)
        return -1;
    kids[parent->nkids++] = kid;
    parent->kids = kids;
    return 0;
}

static bool at_term(vg_parser *p)
{
    const vg_token *t = vg_parser_peek(p, 0);
    return t->kind == VG_TOK_LPAREN || t->kind == VG_TOK_LEXCL || t->kind == VG_TOK_CARET ||
           t->kind == VG_TOK_DOLLAR || vg_parser_is_name(t);
}

static bool at_quantifier(vg_parser *p)
{
    vg_token_kind k = vg_parser_peek(p, 0)->kind;
    return k == VG_TOK_STAR || k == VG_TOK_PLUS || k == VG_TOK_QUESTION || k == VG_TOK_LBRACE;
}

/* ( ) or ( pattern ), at '(': the inner term, its span widened to the parentheses. */
static vg_ast_pattern *pat_group(vg_parser *p)
{
    vg_span open = vg_parser_peek(p, 0)->span;
    if (vg_parser_enter(p) < 0)
        return NULL;
    vg_parser_advance(p);
    vg_ast_pattern *n;
    if (vg_parser_accept(p, VG_TOK_RPAREN)) {
        n = pat_new(p, VG_PAT_EMPTY, open.off);
    } else if (!(n = pat_alt(p)) || vg_parser_close(p, open) < 0) {
        return NULL;
    }
    if (!n)
        return NULL;
    n->span = vg_parser_span_from(p, open.off);
    vg_parser_leave(p, 1);
    return n;
}

/* PERMUTE ( pattern, ... ), at PERMUTE. */
static vg_ast_pattern *pat_permute(vg_parser *p)
{
    uint32_t start = vg_parser_peek(p, 0)->span.off, cap = 0;
    vg_ast_pattern *n = pat_new(p, VG_PAT_PERMUTE, start);
    if (!n || vg_parser_enter(p) < 0)
        return NULL;
    vg_parser_advance(p);
    vg_span open = vg_parser_peek(p, 0)->span;
    vg_parser_advance(p); /* ( */
    do {
        if (pat_push(p, n, &cap, pat_alt(p)) < 0)
            return NULL;
    } while (vg_parser_accept(p, VG_TOK_COMMA));
    if (vg_parser_close(p, open) < 0)
        return NULL;
    n->span = vg_parser_span_from(p, start);
    vg_parser_leave(p, 1);
    return n;
}

/* {- pattern -}, at {-. */
static vg_ast_pattern *pat_exclude(vg_parser *p)
{
    uint32_t start = vg_parser_peek(p, 0)->span.off, cap = 0;
    vg_ast_pattern *n = pat_new(p, VG_PAT_EXCLUDE, start);
    if (!n || vg_parser_enter(p) < 0)
        return NULL;
    vg_parser_advance(p);
    if (pat_push(p, n, &cap, pat_alt(p)) < 0 || vg_parser_expect(p, VG_TOK_REXCL, "'-}'") < 0)
        return NULL;
    n->span = vg_parser_span_from(p, start);
    vg_parser_leave(p, 1);
    return n;
}

static vg_ast_pattern *pat_primary(vg_parser *p)
{
    const vg_token *t = vg_parser_peek(p, 0);
    uint32_t start = t->span.off;
    vg_ast_pattern *n;
    switch (t->kind) {
    case VG_TOK_LPAREN:
        return pat_group(p);
    case VG_TOK_LEXCL:
        return pat_exclude(p);
    case VG_TOK_CARET:
    case VG_TOK_DOLLAR:
        if (!(n = pat_new(p, t->kind == VG_TOK_CARET ? VG_PAT_START : VG_PAT_END, start)))
            return NULL;
        vg_parser_advance(p);
        break;
    default:
        if (vg_parser_is_word(p, t, "PERMUTE") && vg_parser_peek(p, 1)->kind == VG_TOK_LPAREN)
            return pat_permute(p);
        if (!(n = pat_new(p, VG_PAT_VAR, start)) ||
            vg_parser_ident(p, &n->var, "a pattern variable") < 0)
            return NULL;
        break;
    }
    n->span = vg_parser_span_from(p, start);
    return n;
}

/* The integer of a {n,m} bound into *out. */
static int bound(vg_parser *p, uint32_t *out)
{
    const vg_token *t = vg_parser_peek(p, 0);
    if (t->kind != VG_TOK_INTEGER)
        return vg_parser_syntax(p, t, "an integer");
    if (t->uval > MAX_BOUND)
        return vg_parser_fail(p, VG_ERR_SEMANTIC, t->span, "a quantifier bound must be at most %d",
                              MAX_BOUND);
    *out = (uint32_t)t->uval;
    vg_parser_advance(p);
    return 0;
}

/* { n }, { n , }, { , m }, { n , m }, { , } (the standard's '*'), at '{', into q. */
static int braces(vg_parser *p, vg_ast_pattern *q)
{
    uint32_t open = vg_parser_peek(p, 0)->span.off;
    vg_parser_advance(p);
    if (vg_parser_accept(p, VG_TOK_COMMA)) {
        q->min = 0;
        q->max = VG_PAT_UNBOUNDED;
        if (vg_parser_peek(p, 0)->kind != VG_TOK_RBRACE && bound(p, &q->max) < 0)
            return -1;
    } else {
        if (bound(p, &q->min) < 0)
            return -1;
        q->max = q->min;
        if (vg_parser_accept(p, VG_TOK_COMMA)) {
            q->max = VG_PAT_UNBOUNDED;
            if (vg_parser_peek(p, 0)->kind != VG_TOK_RBRACE && bound(p, &q->max) < 0)
                return -1;
        } else if (vg_parser_peek(p, 0)->kind != VG_TOK_RBRACE) {
            return vg_parser_syntax(p, vg_parser_peek(p, 0), "',' or '}'");
        }
    }
    if (vg_parser_expect(p, VG_TOK_RBRACE, "'}'") < 0)
        return -1;
    if (q->min > q->max)
        return vg_parser_fail(p, VG_ERR_SEMANTIC, vg_parser_span_from(p, open),
                              "invalid quantifier: its lower bound %u is above its upper bound %u",
                              q->min, q->max);
    return 0;
}

/* The quantifier after a primary: q's bounds and greediness. */
static int quantifier(vg_parser *p, vg_ast_pattern *q)
{
    static const struct {
        vg_token_kind tok;
        uint32_t min, max;
    } simple[] = {{VG_TOK_STAR, 0, VG_PAT_UNBOUNDED},
                  {VG_TOK_PLUS, 1, VG_PAT_UNBOUNDED},
                  {VG_TOK_QUESTION, 0, 1}};
    vg_token_kind k = vg_parser_peek(p, 0)->kind;
    if (k == VG_TOK_LBRACE) {
        if (braces(p, q) < 0)
            return -1;
    } else {
        for (size_t i = 0; i < sizeof simple / sizeof simple[0]; i++)
            if (simple[i].tok == k) {
                q->min = simple[i].min;
                q->max = simple[i].max;
            }
        vg_parser_advance(p);
    }
    q->reluctant = vg_parser_accept(p, VG_TOK_QUESTION);
    if (!at_quantifier(p))
        return 0;
    const vg_token *t = vg_parser_peek(p, 0);
    char text[64];
    vg_parser_token_text(p, t, text, sizeof text);
    return vg_parser_fail_token(p, t,
                                "syntax error at '%s': a quantified term cannot be quantified "
                                "again (put it in parentheses)",
                                text);
}

static vg_ast_pattern *pat_term(vg_parser *p)
{
    uint32_t start = vg_parser_peek(p, 0)->span.off, cap = 0;
    vg_ast_pattern *prim = pat_primary(p);
    if (!prim || !at_quantifier(p))
        return prim;
    vg_ast_pattern *q = pat_new(p, VG_PAT_QUANT, start);
    if (!q || pat_push(p, q, &cap, prim) < 0 || quantifier(p, q) < 0)
        return NULL;
    q->span = vg_parser_span_from(p, start);
    return q;
}

static vg_ast_pattern *pat_seq(vg_parser *p)
{
    uint32_t start = vg_parser_peek(p, 0)->span.off, cap = 0;
    if (!at_term(p)) {
        vg_parser_syntax(p, vg_parser_peek(p, 0), TERM_EXPECTED);
        return NULL;
    }
    vg_ast_pattern *first = pat_term(p);
    if (!first || !at_term(p))
        return first;
    vg_ast_pattern *n = pat_new(p, VG_PAT_SEQ, start);
    if (!n || pat_push(p, n, &cap, first) < 0)
        return NULL;
    while (at_term(p))
        if (pat_push(p, n, &cap, pat_term(p)) < 0)
            return NULL;
    n->span = vg_parser_span_from(p, start);
    return n;
}

/* An alternative of an alternation: a sequence, or nothing (the empty
 * pattern, as ZetaSQL reads `A |`) before a '|' or where the alternation
 * ends. */
static vg_ast_pattern *pat_branch(vg_parser *p, bool after_bar)
{
    static const vg_token_kind ends[] = {VG_TOK_BAR, VG_TOK_RPAREN, VG_TOK_COMMA, VG_TOK_REXCL};
    const vg_token *t = vg_parser_peek(p, 0);
    for (size_t i = 0; i < sizeof ends / sizeof ends[0] && !at_term(p); i++)
        if (t->kind == ends[i] && (after_bar || t->kind == VG_TOK_BAR))
            return pat_new(p, VG_PAT_EMPTY, t->span.off);
    return pat_seq(p);
}

static vg_ast_pattern *pat_alt(vg_parser *p)
{
    uint32_t start = vg_parser_peek(p, 0)->span.off, cap = 0;
    vg_ast_pattern *first = pat_branch(p, false);
    if (!first || vg_parser_peek(p, 0)->kind != VG_TOK_BAR)
        return first;
    vg_ast_pattern *n = pat_new(p, VG_PAT_ALT, start);
    if (!n || pat_push(p, n, &cap, first) < 0)
        return NULL;
    while (vg_parser_accept(p, VG_TOK_BAR))
        if (pat_push(p, n, &cap, pat_branch(p, true)) < 0)
            return NULL;
    n->span = vg_parser_span_from(p, start);
    return n;
}

/* ---- clauses ---- */

/* Each word of words (space-separated, upper case) in turn, or "expected WORD". */
static int expect_words(vg_parser *p, const char *words)
{
    while (*words) {
        char word[32];
        size_t n = strcspn(words, " ");
        memcpy(word, words, n);
        word[n] = 0;
        words += n + (words[n] == ' ');
        const vg_token *t = vg_parser_peek(p, 0);
        if (!vg_parser_is_word(p, t, word))
            return vg_parser_syntax(p, t, word);
        vg_parser_advance(p);
    }
    return 0;
}

/* Whether the current token is the word upper; consume it when it is. */
static bool accept_word(vg_parser *p, const char *upper)
{
    if (!vg_parser_is_word(p, vg_parser_peek(p, 0), upper))
        return false;
    vg_parser_advance(p);
    return true;
}

#define M(n) (n)->u.match

static int partition_clause(vg_parser *p, vg_ast *m, uint32_t start)
{
    if (vg_parser_expect(p, VG_TOK_BY, "BY") < 0 || vg_parser_expr_list(p, &M(m).partition_by) < 0)
        return -1;
    M(m).partition_span = vg_parser_span_from(p, start);
    return 0;
}

static int order_clause(vg_parser *p, vg_ast *m, uint32_t start)
{
    if (vg_parser_expect(p, VG_TOK_BY, "BY") < 0 ||
        vg_parser_order_by(p, &M(m).order_by, &M(m).order_desc) < 0)
        return -1;
    M(m).order_span = vg_parser_span_from(p, start);
    return 0;
}

static int measures_clause(vg_parser *p, vg_ast *m, uint32_t start)
{
    uint32_t cap = 0;
    do {
        vg_ast_select_item *items =
            vg_parser_grow(p, M(m).measures, M(m).nmeasures, &cap, sizeof *items);
        if (!items)
            return -1;
        M(m).measures = items;
        vg_ast_select_item *it = &items[M(m).nmeasures];
        memset(it, 0, sizeof *it);
        if (!(it->expr = vg_parser_expr(p)) || vg_parser_expect(p, VG_TOK_AS, "AS") < 0 ||
            vg_parser_ident(p, &it->alias, "a measure name") < 0)
            return -1;
        M(m).nmeasures++;
    } while (vg_parser_accept(p, VG_TOK_COMMA));
    M(m).measures_span = vg_parser_span_from(p, start);
    return 0;
}

static int one_row_clause(vg_parser *p, vg_ast *m, uint32_t start)
{
    if (expect_words(p, "ROW PER MATCH") < 0)
        return -1;
    M(m).rows = VG_MR_ONE_ROW;
    M(m).rows_span = vg_parser_span_from(p, start);
    return 0;
}

static int all_rows_clause(vg_parser *p, vg_ast *m, uint32_t start)
{
    int rc = expect_words(p, "ROWS PER MATCH");
    M(m).rows = VG_MR_ALL_ROWS;
    if (rc == 0 && accept_word(p, "SHOW")) {
        rc = expect_words(p, "EMPTY MATCHES");
    } else if (rc == 0 && accept_word(p, "OMIT")) {
        rc = expect_words(p, "EMPTY MATCHES");
        M(m).rows = VG_MR_ALL_ROWS_OMIT_EMPTY;
    } else if (rc == 0 && accept_word(p, "WITH")) {
        rc = expect_words(p, "UNMATCHED ROWS");
        M(m).rows = VG_MR_ALL_ROWS_UNMATCHED;
    }
    M(m).rows_span = vg_parser_span_from(p, start);
    return rc;
}

/* After SKIP TO: NEXT ROW, FIRST v, LAST v, or v. */
static int skip_to(vg_parser *p, vg_ast *m)
{
    const vg_token *t = vg_parser_peek(p, 0), *next = vg_parser_peek(p, 1);
    if (vg_parser_is_word(p, t, "NEXT") && vg_parser_is_word(p, next, "ROW")) {
        M(m).skip = VG_MR_SKIP_TO_NEXT;
        return expect_words(p, "NEXT ROW");
    }
    M(m).skip = VG_MR_SKIP_TO_LAST;
    /* FIRST or LAST then a name, unless that name starts the PATTERN clause: TO v */
    bool first = vg_parser_is_word(p, t, "FIRST");
    if ((first || vg_parser_is_word(p, t, "LAST")) && vg_parser_is_name(next) &&
        !(vg_parser_is_word(p, next, "PATTERN") && vg_parser_peek(p, 2)->kind == VG_TOK_LPAREN)) {
        M(m).skip = first ? VG_MR_SKIP_TO_FIRST : VG_MR_SKIP_TO_LAST;
        vg_parser_advance(p);
    }
    return vg_parser_ident(p, &M(m).skip_var, "a pattern variable");
}

static int skip_clause(vg_parser *p, vg_ast *m, uint32_t start)
{
    int rc = expect_words(p, "MATCH SKIP");
    if (rc == 0 && accept_word(p, "PAST")) {
        M(m).skip = VG_MR_SKIP_PAST_LAST;
        rc = expect_words(p, "LAST ROW");
    } else if (rc == 0 && vg_parser_accept(p, VG_TOK_TO)) {
        rc = skip_to(p, m);
    } else if (rc == 0) {
        rc = vg_parser_syntax(p, vg_parser_peek(p, 0), "PAST LAST ROW or TO");
    }
    M(m).skip_span = vg_parser_span_from(p, start);
    return rc;
}

/* PATTERN ( pattern ): the pattern lexed in row pattern mode. */
static int pattern_clause(vg_parser *p, vg_ast *m, uint32_t start)
{
    vg_parser_relex(p, true);
    const vg_token *t = vg_parser_peek(p, 0);
    if (t->kind != VG_TOK_LPAREN)
        return vg_parser_syntax(p, t, "'('");
    if (!(M(m).pattern = pat_group(p)))
        return -1;
    vg_parser_relex(p, false);
    M(m).pattern_span = vg_parser_span_from(p, start);
    return 0;
}

static int within_clause(vg_parser *p, vg_ast *m, uint32_t start)
{
    const vg_token *t = vg_parser_peek(p, 0);
    if (t->kind != VG_TOK_INTERVAL)
        return vg_parser_syntax(p, t, "INTERVAL");
    if (!(M(m).within = vg_parser_primary(p)))
        return -1;
    if (accept_word(p, "EMIT")) {
        if (expect_words(p, "TIMEOUTS") < 0)
            return -1;
        M(m).emit_timeouts = true;
    }
    M(m).within_span = vg_parser_span_from(p, start);
    return 0;
}

/* name = ( v, ... ) into s. */
static int subset(vg_parser *p, vg_ast_subset *s)
{
    uint32_t start = vg_parser_peek(p, 0)->span.off, cap = 0;
    memset(s, 0, sizeof *s);
    if (vg_parser_ident(p, &s->name, "a subset name") < 0 ||
        vg_parser_expect(p, VG_TOK_EQ, "'='") < 0)
        return -1;
    vg_span open = vg_parser_peek(p, 0)->span;
    if (vg_parser_expect(p, VG_TOK_LPAREN, "'('") < 0)
        return -1;
    do {
        vg_ident *vars = vg_parser_grow(p, s->vars, s->nvars, &cap, sizeof *vars);
        if (!vars)
            return -1;
        s->vars = vars;
        if (vg_parser_ident(p, &vars[s->nvars], "a pattern variable") < 0)
            return -1;
        s->nvars++;
    } while (vg_parser_accept(p, VG_TOK_COMMA));
    if (vg_parser_close(p, open) < 0)
        return -1;
    s->span = vg_parser_span_from(p, start);
    return 0;
}

static int subset_clause(vg_parser *p, vg_ast *m, uint32_t start)
{
    (void)start;
    uint32_t cap = 0;
    do {
        vg_ast_subset *s = vg_parser_grow(p, M(m).subsets, M(m).nsubsets, &cap, sizeof *s);
        if (!s)
            return -1;
        M(m).subsets = s;
        if (subset(p, &s[M(m).nsubsets]) < 0)
            return -1;
        M(m).nsubsets++;
    } while (vg_parser_accept(p, VG_TOK_COMMA));
    return 0;
}

static int define_clause(vg_parser *p, vg_ast *m, uint32_t start)
{
    uint32_t cap = 0;
    do {
        vg_ast_define *d = vg_parser_grow(p, M(m).defines, M(m).ndefines, &cap, sizeof *d);
        if (!d)
            return -1;
        M(m).defines = d;
        d += M(m).ndefines;
        if (vg_parser_ident(p, &d->var, "a pattern variable") < 0 ||
            vg_parser_expect(p, VG_TOK_AS, "AS") < 0 || !(d->cond = vg_parser_expr(p)))
            return -1;
        M(m).ndefines++;
    } while (vg_parser_accept(p, VG_TOK_COMMA));
    M(m).define_span = vg_parser_span_from(p, start);
    return 0;
}

/* The clauses, in the order they must come; alternatives share an order. */
static const struct clause {
    const char *word; /* its first word, upper case */
    const char *name; /* how "expected ..." names it */
    int order;        /* its place: a later clause may not come before it */
    int (*parse)(vg_parser *p, vg_ast *m, uint32_t start); /* after the first word */
} clauses[] = {
    {"PARTITION", "PARTITION BY", 0, partition_clause},
    {"ORDER", "ORDER BY", 1, order_clause},
    {"MEASURES", "MEASURES", 2, measures_clause},
    {"ONE", "ONE ROW PER MATCH", 3, one_row_clause},
    {"ALL", "ALL ROWS PER MATCH", 3, all_rows_clause},
    {"AFTER", "AFTER MATCH SKIP", 4, skip_clause},
    {"PATTERN", "PATTERN", 5, pattern_clause},
    {"WITHIN", "WITHIN", 6, within_clause},
    {"SUBSET", "SUBSET", 7, subset_clause},
    {"DEFINE", "DEFINE", 8, define_clause},
};

#define NCLAUSES      (sizeof clauses / sizeof clauses[0])
#define PATTERN_ORDER 5

/* "expected A, B or C": the clauses that may come at order `from` (up to
 * PATTERN while there is none), then ')' once there is one. */
static int expected_clause(vg_parser *p, int from, bool have_pattern)
{
    char what[256] = "";
    const char *names[NCLAUSES + 1];
    size_t n = 0;
    for (size_t i = 0; i < NCLAUSES; i++)
        if (clauses[i].order >= from && (have_pattern || clauses[i].order <= PATTERN_ORDER))
            names[n++] = clauses[i].name;
    if (have_pattern)
        names[n++] = "')'";
    for (size_t i = 0; i < n; i++) {
        if (i)
            strcat(what, i + 1 == n ? " or " : ", ");
        strcat(what, names[i]);
    }
    return vg_parser_syntax(p, vg_parser_peek(p, 0), what);
}

/* The clauses, up to the closing ')' of the '(' at open, which it consumes. */
static int match_clauses(vg_parser *p, vg_ast *m, vg_span open)
{
    int next = 0;
    for (;;) {
        const vg_token *t = vg_parser_peek(p, 0);
        const struct clause *c = NULL;
        for (size_t i = 0; i < NCLAUSES && !c; i++)
            if (clauses[i].order >= next && (M(m).pattern || clauses[i].order <= PATTERN_ORDER) &&
                vg_parser_is_word(p, t, clauses[i].word))
                c = &clauses[i];
        if (!c)
            break;
        uint32_t start = t->span.off;
        vg_parser_advance(p);
        if (c->parse(p, m, start) < 0)
            return -1;
        next = c->order + 1;
    }
    vg_token_kind k = vg_parser_peek(p, 0)->kind;
    if (M(m).pattern && (k == VG_TOK_RPAREN || k == VG_TOK_EOF))
        return vg_parser_close(p, open);
    return expected_clause(p, next, M(m).pattern != NULL);
}

vg_ast *vg_parser_match(vg_parser *p, vg_ast *input)
{
    vg_ast *m = vg_parser_node(p, VG_AST_MATCH, input->span.off);
    if (!m)
        return NULL;
    M(m).input = input;
    const vg_token *t = vg_parser_peek(p, 0);
    if (input->kind != VG_AST_TABLEREF && input->kind != VG_AST_SUBQUERY) {
        vg_parser_fail(p, VG_ERR_SEMANTIC, t->span,
                       "MATCH_RECOGNIZE reads a stream, a view or a subquery: put the table "
                       "function in a subquery");
        return NULL;
    }
    M(m).keyword_span = t->span;
    vg_parser_advance(p); /* MATCH_RECOGNIZE */
    vg_span open = vg_parser_peek(p, 0)->span;
    if (vg_parser_expect(p, VG_TOK_LPAREN, "'('") < 0 || match_clauses(p, m, open) < 0 ||
        vg_parser_from_alias(p, &M(m).alias) < 0)
        return NULL;
    return vg_parser_finish(p, m);
}
