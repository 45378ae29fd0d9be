/*
 * parse_model.c — the grammar of models and rules, in Flink's syntax:
 *
 *   CREATE [TEMPORARY] MODEL name INPUT (col type, ...) OUTPUT (col type, ...)
 *       [COMMENT 'text'] WITH ('type' = 'xgboost', 'path' = '...', ...)
 *   CREATE [TEMPORARY] RULESET name [WITH ('default' = 'allow', 'file' = '...')]
 *   ML_PREDICT(TABLE t, MODEL m, DESCRIPTOR(c, ...))
 *   APPLY_RULES(TABLE t, RULESET r)
 *
 * The two table functions are written bare in FROM or inside TABLE(...),
 * as the window functions are (parser.c reads up to TABLE t). What the
 * options mean is the binder's business (sql/bind_model.c).
 */
#include <string.h>
#include <strings.h>

#include "sql/parser_int.h"

/* (name type, ...) of INPUT or OUTPUT, at '('; *span covers the keyword to ')'. */
static int column_defs(vg_parser *p, uint32_t kw, vg_ast_column_def **cols, uint32_t *n,
                       vg_span *span)
{
    uint32_t cap = 0;
    vg_span open = vg_parser_peek(p, 0)->span;
    if (vg_parser_expect(p, VG_TOK_LPAREN, "'('") < 0)
        return -1;
    do {
        vg_ast_column_def *c = vg_parser_grow(p, *cols, *n, &cap, sizeof *c);
        if (!c)
            return -1;
        *cols = c;
        c += *n;
        if (vg_parser_ident(p, &c->name, "a column name") < 0 || vg_parser_type(p, &c->type) < 0)
            return -1;
        ++*n;
    } while (vg_parser_accept(p, VG_TOK_COMMA));
    if (vg_parser_close(p, open) < 0)
        return -1;
    *span = vg_parser_span_from(p, kw);
    return 0;
}

/* INPUT (...) or OUTPUT (...), at the word (upper case). */
static int model_columns(vg_parser *p, const char *word, vg_ast_column_def **cols, uint32_t *n,
                         vg_span *span)
{
    const vg_token *t = vg_parser_peek(p, 0);
    if (!vg_parser_is_word(p, t, word)) {
        char what[32];
        snprintf(what, sizeof what, "%s (...)", word);
        return vg_parser_syntax(p, t, what);
    }
    uint32_t kw = t->span.off;
    vg_parser_advance(p);
    return column_defs(p, kw, cols, n, span);
}

static vg_ast *create_model(vg_parser *p, uint32_t start)
{
    vg_ast *m = vg_parser_node(p, VG_AST_CREATE_MODEL, start);
    if (!m || vg_parser_ident(p, &m->u.create_model.name, "a model name") < 0 ||
        model_columns(p, "INPUT", &m->u.create_model.inputs, &m->u.create_model.ninputs,
                      &m->u.create_model.input_span) < 0 ||
        model_columns(p, "OUTPUT", &m->u.create_model.outputs, &m->u.create_model.noutputs,
                      &m->u.create_model.output_span) < 0)
        return NULL;
    if (vg_parser_is_word(p, vg_parser_peek(p, 0), "COMMENT")) {
        vg_parser_advance(p);
        if (vg_parser_expect(p, VG_TOK_STRING, "a string literal") < 0)
            return NULL;
    }
    if (vg_parser_expect(p, VG_TOK_WITH, "WITH") < 0 ||
        vg_parser_options(p, &m->u.create_model.opts, &m->u.create_model.nopts) < 0)
        return NULL;
    return vg_parser_finish(p, m);
}

static vg_ast *create_ruleset(vg_parser *p, uint32_t start)
{
    vg_ast *r = vg_parser_node(p, VG_AST_CREATE_RULESET, start);
    if (!r || vg_parser_ident(p, &r->u.create_ruleset.name, "a ruleset name") < 0)
        return NULL;
    if (vg_parser_accept(p, VG_TOK_WITH) &&
        vg_parser_options(p, &r->u.create_ruleset.opts, &r->u.create_ruleset.nopts) < 0)
        return NULL;
    return vg_parser_finish(p, r);
}

vg_ast *vg_parser_create_model(vg_parser *p, uint32_t start)
{
    bool model = vg_parser_is_word(p, vg_parser_peek(p, 0), "MODEL");
    vg_parser_advance(p); /* MODEL or RULESET */
    return model ? create_model(p, start) : create_ruleset(p, start);
}

bool vg_parser_model_tvf(const char *fn)
{
    return strcasecmp(fn, "ML_PREDICT") == 0 || strcasecmp(fn, "APPLY_RULES") == 0;
}

/* ", WORD name" into *out. */
static int named_argument(vg_parser *p, const char *word, vg_ident *out, const char *what)
{
    if (vg_parser_expect(p, VG_TOK_COMMA, "','") < 0)
        return -1;
    const vg_token *t = vg_parser_peek(p, 0);
    if (!vg_parser_is_word(p, t, word))
        return vg_parser_syntax(p, t, word);
    vg_parser_advance(p);
    return vg_parser_ident(p, out, what);
}

/* DESCRIPTOR ( c, ... ) of ML_PREDICT. */
static int descriptor_columns(vg_parser *p, vg_ast *n)
{
    uint32_t cap = 0;
    if (vg_parser_expect(p, VG_TOK_COMMA, "','") < 0 ||
        vg_parser_expect(p, VG_TOK_DESCRIPTOR, "DESCRIPTOR") < 0)
        return -1;
    vg_span open = vg_parser_peek(p, 0)->span;
    if (vg_parser_expect(p, VG_TOK_LPAREN, "'('") < 0)
        return -1;
    do {
        vg_ident *c = vg_parser_grow(p, n->u.tablefn.columns, n->u.tablefn.ncolumns, &cap,
                                     sizeof *c);
        if (!c)
            return -1;
        n->u.tablefn.columns = c;
        if (vg_parser_ident(p, &c[n->u.tablefn.ncolumns], "a column name") < 0)
            return -1;
        n->u.tablefn.ncolumns++;
    } while (vg_parser_accept(p, VG_TOK_COMMA));
    n->u.tablefn.descriptor = n->u.tablefn.columns[0];
    return vg_parser_close(p, open);
}

int vg_parser_model_args(vg_parser *p, vg_ast *n)
{
    if (strcasecmp(n->u.tablefn.fn.name, "APPLY_RULES") == 0)
        return named_argument(p, "RULESET", &n->u.tablefn.ruleset, "a ruleset name");
    if (named_argument(p, "MODEL", &n->u.tablefn.model, "a model name") < 0 ||
        descriptor_columns(p, n) < 0)
        return -1;
    const vg_token *t = vg_parser_peek(p, 0);
    if (t->kind == VG_TOK_COMMA)
        return vg_parser_fail_token(p, t, "syntax error at ',': ML_PREDICT's config argument "
                                          "is not supported (set options in CREATE MODEL)");
    return 0;
}
