/*
 * ast_dump.c — the S-expression dump of syntax trees (format in parser.h).
 *
 * The text is built in a growable buffer from the counting allocator and
 * copied into the caller's arena at the end, so a failed allocation anywhere
 * gives NULL and leaves nothing behind. Each node kind has one writer; the
 * operator and literal spellings come from tables.
 */
#include "sql/parser.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

typedef struct sbuf {
    char *buf;   /* vg_malloc'd text, not NUL-terminated until the end */
    size_t len;  /* bytes used */
    size_t cap;  /* bytes allocated */
    bool failed; /* an allocation failed; everything after is dropped */
} sbuf;

static void put(sbuf *b, const char *s, size_t n)
{
    if (b->failed)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *grown = vg_realloc(VG_MEM_SQL, b->buf, cap);
        if (!grown) {
            b->failed = true;
            return;
        }
        b->buf = grown;
        b->cap = cap;
    }
    memcpy(b->buf + b->len, s, n);
    b->len += n;
}

static void puts_(sbuf *b, const char *s) { put(b, s, strlen(s)); }

static void putf(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void putf(sbuf *b, const char *fmt, ...)
{
    char tmp[64];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    put(b, tmp, n < 0 ? 0 : (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

/* A name as written, or "in double quotes" when it was quoted. */
static void put_ident(sbuf *b, const vg_ident *id)
{
    if (!id->quoted) {
        puts_(b, id->name ? id->name : "?");
        return;
    }
    puts_(b, "\"");
    for (const char *s = id->name; *s; s++) {
        if (*s == '"')
            puts_(b, "\"\"");
        else
            put(b, s, 1);
    }
    puts_(b, "\"");
}

/* 'text' with ' doubled, \ as \\ and control bytes as \xNN. */
static void put_string(sbuf *b, const char *s, uint32_t len)
{
    puts_(b, "'");
    for (uint32_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\'')
            puts_(b, "''");
        else if (c == '\\')
            puts_(b, "\\\\");
        else if (c < 0x20 || c == 0x7F)
            putf(b, "\\x%02X", c);
        else
            put(b, s + i, 1);
    }
    puts_(b, "'");
}

static const char *const op_names[] = {
    [VG_OP_NONE] = "?",  [VG_OP_NOT] = "not",   [VG_OP_NEG] = "neg", [VG_OP_PLUS] = "pos",
    [VG_OP_ADD] = "+",   [VG_OP_SUB] = "-",     [VG_OP_MUL] = "*",   [VG_OP_DIV] = "/",
    [VG_OP_MOD] = "%",   [VG_OP_CONCAT] = "||", [VG_OP_EQ] = "=",    [VG_OP_NE] = "<>",
    [VG_OP_LT] = "<",    [VG_OP_LE] = "<=",     [VG_OP_GT] = ">",    [VG_OP_GE] = ">=",
    [VG_OP_AND] = "and", [VG_OP_OR] = "or",
};

static const char *const type_names[VG_T_NTYPES] = {
    [VG_T_NULL] = "NULL",           [VG_T_BOOL] = "BOOLEAN",      [VG_T_INT] = "INT",
    [VG_T_BIGINT] = "BIGINT",       [VG_T_DOUBLE] = "DOUBLE",     [VG_T_STRING] = "STRING",
    [VG_T_TIMESTAMP] = "TIMESTAMP", [VG_T_INTERVAL] = "INTERVAL", [VG_T_ARRAY] = "ARRAY<DOUBLE>",
};

static const char *const unit_names[] = {
    [VG_TU_MILLISECOND] = "MILLISECOND",
    [VG_TU_SECOND] = "SECOND",
    [VG_TU_MINUTE] = "MINUTE",
    [VG_TU_HOUR] = "HOUR",
    [VG_TU_DAY] = "DAY",
    [VG_TU_WEEK] = "WEEK",
    [VG_TU_MONTH] = "MONTH",
    [VG_TU_QUARTER] = "QUARTER",
    [VG_TU_YEAR] = "YEAR",
    [VG_TU_DOW] = "DOW",
    [VG_TU_DOY] = "DOY",
    [VG_TU_EPOCH] = "EPOCH",
};

static const char *const is_names[] = {"null", "true", "false", "unknown"};

static void node(sbuf *b, const vg_ast *n);
static void window(sbuf *b, const vg_ast_window *w);

/* " e1 e2 ..." */
static void list(sbuf *b, const vg_ast_list *l)
{
    for (uint32_t i = 0; i < l->n; i++) {
        puts_(b, " ");
        node(b, l->items[i]);
    }
}

/* " (tag e1 e2 ...)" unless the list is empty. */
static void tagged_list(sbuf *b, const char *tag, const vg_ast_list *l)
{
    if (!l->n)
        return;
    putf(b, " (%s", tag);
    list(b, l);
    puts_(b, ")");
}

/* " (tag o1 o2 ...)" where o is e or (desc e). */
static void order_list(sbuf *b, const char *tag, const vg_ast_list *l, const bool *desc)
{
    if (!l->n)
        return;
    putf(b, " (%s", tag);
    for (uint32_t i = 0; i < l->n; i++) {
        puts_(b, desc && desc[i] ? " (desc " : " ");
        node(b, l->items[i]);
        if (desc && desc[i])
            puts_(b, ")");
    }
    puts_(b, ")");
}

static void alias(sbuf *b, const vg_ident *a)
{
    if (!a->name)
        return;
    puts_(b, " (alias ");
    put_ident(b, a);
    puts_(b, ")");
}

static void literal(sbuf *b, const vg_ast *n)
{
    switch (n->u.lit.kind) {
    case VG_LIT_NULL:
        puts_(b, "null");
        break;
    case VG_LIT_BOOL:
        puts_(b, n->u.lit.ival ? "true" : "false");
        break;
    case VG_LIT_INTEGER:
        putf(b, "(int %lld)", (long long)n->u.lit.ival);
        break;
    case VG_LIT_DECIMAL:
        puts_(b, "(dec ");
        put(b, n->u.lit.str ? n->u.lit.str : "?", n->u.lit.str ? n->u.lit.len : 1);
        puts_(b, ")");
        break;
    case VG_LIT_STRING:
    case VG_LIT_TIMESTAMP:
        puts_(b, n->u.lit.kind == VG_LIT_STRING ? "(str " : "(timestamp ");
        put_string(b, n->u.lit.str ? n->u.lit.str : "", n->u.lit.len);
        puts_(b, ")");
        break;
    case VG_LIT_INTERVAL:
        putf(b, "(interval %lld)", (long long)n->u.lit.ival);
        break;
    }
}

/* "(tag e1 e2 ...)" around a node's operands. */
static void form(sbuf *b, const char *tag, const vg_ast *const *args, int nargs)
{
    putf(b, "(%s", tag);
    for (int i = 0; i < nargs; i++) {
        if (!args[i])
            continue;
        puts_(b, " ");
        node(b, args[i]);
    }
    puts_(b, ")");
}

static void predicate(sbuf *b, const vg_ast *n)
{
    if (n->kind == VG_AST_IS) {
        puts_(b, n->u.is.negated ? "(is-not " : "(is ");
        node(b, n->u.is.arg);
        putf(b, " %s)", is_names[n->u.is.what & 3]);
    } else if (n->kind == VG_AST_IN) {
        puts_(b, n->u.in.negated ? "(not-in " : "(in ");
        node(b, n->u.in.arg);
        list(b, &n->u.in.list);
        puts_(b, ")");
    } else if (n->kind == VG_AST_BETWEEN) {
        char tag[32];
        snprintf(tag, sizeof tag, "%sbetween%s", n->u.between.negated ? "not-" : "",
                 n->u.between.symmetric ? "-symmetric" : "");
        const vg_ast *args[] = {n->u.between.arg, n->u.between.lo, n->u.between.hi};
        form(b, tag, args, 3);
    } else {
        const vg_ast *args[] = {n->u.like.arg, n->u.like.pattern, n->u.like.escape};
        form(b, n->u.like.negated ? "not-like" : "like", args, 3);
    }
}

static void case_(sbuf *b, const vg_ast *n)
{
    puts_(b, "(case");
    if (n->u.kase.operand) {
        puts_(b, " ");
        node(b, n->u.kase.operand);
    }
    for (uint32_t i = 0; i < n->u.kase.whens.n; i++) {
        puts_(b, " (when ");
        node(b, n->u.kase.whens.items[i]);
        puts_(b, " ");
        node(b, i < n->u.kase.thens.n ? n->u.kase.thens.items[i] : NULL);
        puts_(b, ")");
    }
    if (n->u.kase.else_) {
        puts_(b, " (else ");
        node(b, n->u.kase.else_);
        puts_(b, ")");
    }
    puts_(b, ")");
}

static void call(sbuf *b, const vg_ast *n)
{
    puts_(b, "(call ");
    put_ident(b, &n->u.call.name);
    if (n->u.call.distinct)
        puts_(b, " distinct");
    list(b, &n->u.call.args);
    if (n->u.call.filter) {
        puts_(b, " (filter ");
        node(b, n->u.call.filter);
        puts_(b, ")");
    }
    if (n->u.call.over) {
        puts_(b, " (over ");
        if (n->u.call.over->is_ref)
            put_ident(b, &n->u.call.over->name);
        else
            window(b, n->u.call.over);
        puts_(b, ")");
    }
    puts_(b, ")");
}

static void frame(sbuf *b, const vg_ast_window *w)
{
    putf(b, " (%s ", w->frame_kind == 1 ? "rows" : "range");
    if (w->frame_start) {
        puts_(b, "(preceding ");
        node(b, w->frame_start);
        puts_(b, ")");
    } else {
        puts_(b, "unbounded-preceding");
    }
    if (w->end_current_row) {
        puts_(b, " current-row)");
    } else if (w->frame_end) {
        puts_(b, " (following ");
        node(b, w->frame_end);
        puts_(b, "))");
    } else {
        puts_(b, " unbounded-following)");
    }
}

static void window(sbuf *b, const vg_ast_window *w)
{
    puts_(b, "(window");
    if (w->name.name) {
        puts_(b, " ");
        put_ident(b, &w->name);
    }
    tagged_list(b, "partition", &w->partition_by);
    order_list(b, "order", &w->order_by, w->order_desc);
    if (w->frame_kind)
        frame(b, w);
    puts_(b, ")");
}

static void select_(sbuf *b, const vg_ast *n)
{
    puts_(b, n->u.select.distinct ? "(select distinct (items" : "(select (items");
    for (uint32_t i = 0; i < n->u.select.nitems; i++) {
        const vg_ast_select_item *it = &n->u.select.items[i];
        puts_(b, it->alias.name ? " (as " : " ");
        node(b, it->expr);
        if (it->alias.name) {
            puts_(b, " ");
            put_ident(b, &it->alias);
            puts_(b, ")");
        }
    }
    puts_(b, ")");
    const vg_ast *from[] = {n->u.select.from}, *where[] = {n->u.select.where};
    if (n->u.select.from) {
        puts_(b, " ");
        form(b, "from", from, 1);
    }
    if (n->u.select.where) {
        puts_(b, " ");
        form(b, "where", where, 1);
    }
    tagged_list(b, "group-by", &n->u.select.group_by);
    if (n->u.select.having) {
        const vg_ast *having[] = {n->u.select.having};
        puts_(b, " ");
        form(b, "having", having, 1);
    }
    if (n->u.select.nwindows) {
        puts_(b, " (windows");
        for (uint32_t i = 0; i < n->u.select.nwindows; i++) {
            puts_(b, " ");
            window(b, n->u.select.windows[i]);
        }
        puts_(b, ")");
    }
    order_list(b, "order-by", &n->u.select.order_by, n->u.select.order_desc);
    if (n->u.select.limit) {
        const vg_ast *limit[] = {n->u.select.limit};
        puts_(b, " ");
        form(b, "limit", limit, 1);
    }
    puts_(b, ")");
}

static void tablefn(sbuf *b, const vg_ast *n)
{
    puts_(b, "(tablefn ");
    put_ident(b, &n->u.tablefn.fn);
    puts_(b, " (table ");
    put_ident(b, &n->u.tablefn.table);
    puts_(b, ")");
    tagged_list(b, "partition", &n->u.tablefn.partition_by);
    if (n->u.tablefn.model.name) {
        puts_(b, " (model ");
        put_ident(b, &n->u.tablefn.model);
        puts_(b, ")");
    }
    if (n->u.tablefn.ruleset.name) {
        puts_(b, " (ruleset ");
        put_ident(b, &n->u.tablefn.ruleset);
        puts_(b, ")");
    }
    if (n->u.tablefn.descriptor.name) {
        puts_(b, " (descriptor");
        for (uint32_t i = 0; i < (n->u.tablefn.ncolumns ? n->u.tablefn.ncolumns : 1); i++) {
            puts_(b, " ");
            put_ident(b, n->u.tablefn.ncolumns ? &n->u.tablefn.columns[i]
                                               : &n->u.tablefn.descriptor);
        }
        puts_(b, ")");
    }
    list(b, &n->u.tablefn.args);
    alias(b, &n->u.tablefn.alias);
    puts_(b, ")");
}

/* ---- MATCH_RECOGNIZE ---- */

/* A row pattern: v, (seq p ...), (alt p ...), (permute p ...), (exclude p),
 * (greedy MIN MAX p) or (reluctant MIN MAX p) with MAX inf when unbounded,
 * ^, $, and () for the empty pattern. */
static void pattern(sbuf *b, const vg_ast_pattern *p)
{
    static const char *const tags[] = {[VG_PAT_SEQ] = "seq", [VG_PAT_ALT] = "alt",
                                       [VG_PAT_PERMUTE] = "permute", [VG_PAT_EXCLUDE] = "exclude"};
    switch (p->kind) {
    case VG_PAT_VAR:
        put_ident(b, &p->var);
        return;
    case VG_PAT_START:
        puts_(b, "^");
        return;
    case VG_PAT_END:
        puts_(b, "$");
        return;
    case VG_PAT_EMPTY:
        puts_(b, "()");
        return;
    case VG_PAT_QUANT:
        putf(b, "(%s %u ", p->reluctant ? "reluctant" : "greedy", p->min);
        if (p->max == VG_PAT_UNBOUNDED)
            puts_(b, "inf");
        else
            putf(b, "%u", p->max);
        break;
    default:
        putf(b, "(%s", tags[p->kind]);
        break;
    }
    for (uint32_t i = 0; i < p->nkids; i++) {
        puts_(b, " ");
        pattern(b, p->kids[i]);
    }
    puts_(b, ")");
}

/* " (rows ...)" and " (skip ...)" when written. */
static void match_modes(sbuf *b, const vg_ast *n)
{
    static const char *const rows[] = {[VG_MR_ONE_ROW] = "one",
                                       [VG_MR_ALL_ROWS] = "all",
                                       [VG_MR_ALL_ROWS_OMIT_EMPTY] = "all-omit-empty",
                                       [VG_MR_ALL_ROWS_UNMATCHED] = "all-with-unmatched"};
    static const char *const skips[] = {[VG_MR_SKIP_PAST_LAST] = "past-last-row",
                                        [VG_MR_SKIP_TO_NEXT] = "to-next-row",
                                        [VG_MR_SKIP_TO_FIRST] = "(to-first ",
                                        [VG_MR_SKIP_TO_LAST] = "(to-last "};
    if (n->u.match.rows_span.len)
        putf(b, " (rows %s)", rows[n->u.match.rows]);
    if (!n->u.match.skip_span.len)
        return;
    putf(b, " (skip %s", skips[n->u.match.skip]);
    if (n->u.match.skip_var.name) {
        put_ident(b, &n->u.match.skip_var);
        puts_(b, ")");
    }
    puts_(b, ")");
}

/* " (subsets (s v ...) ...)" and " (define (v e) ...)" when written. */
static void match_vars(sbuf *b, const vg_ast *n)
{
    if (n->u.match.nsubsets)
        puts_(b, " (subsets");
    for (uint32_t i = 0; i < n->u.match.nsubsets; i++) {
        const vg_ast_subset *s = &n->u.match.subsets[i];
        puts_(b, " (");
        put_ident(b, &s->name);
        for (uint32_t j = 0; j < s->nvars; j++) {
            puts_(b, " ");
            put_ident(b, &s->vars[j]);
        }
        puts_(b, ")");
    }
    if (n->u.match.nsubsets)
        puts_(b, ")");
    if (n->u.match.ndefines)
        puts_(b, " (define");
    for (uint32_t i = 0; i < n->u.match.ndefines; i++) {
        puts_(b, " (");
        put_ident(b, &n->u.match.defines[i].var);
        puts_(b, " ");
        node(b, n->u.match.defines[i].cond);
        puts_(b, ")");
    }
    if (n->u.match.ndefines)
        puts_(b, ")");
}

/* (match INPUT [(partition e ...)] [(order o ...)] [(measures (as e name) ...)]
 *   [(rows ...)] [(skip ...)] (pattern P) [(within e [emit-timeouts])]
 *   [(subsets ...)] [(define ...)] [(alias a)]) */
static void match_(sbuf *b, const vg_ast *n)
{
    puts_(b, "(match ");
    node(b, n->u.match.input);
    tagged_list(b, "partition", &n->u.match.partition_by);
    order_list(b, "order", &n->u.match.order_by, n->u.match.order_desc);
    if (n->u.match.nmeasures)
        puts_(b, " (measures");
    for (uint32_t i = 0; i < n->u.match.nmeasures; i++) {
        puts_(b, " (as ");
        node(b, n->u.match.measures[i].expr);
        puts_(b, " ");
        put_ident(b, &n->u.match.measures[i].alias);
        puts_(b, ")");
    }
    if (n->u.match.nmeasures)
        puts_(b, ")");
    match_modes(b, n);
    puts_(b, " (pattern ");
    if (n->u.match.pattern)
        pattern(b, n->u.match.pattern);
    puts_(b, ")");
    if (n->u.match.within) {
        puts_(b, " (within ");
        node(b, n->u.match.within);
        puts_(b, n->u.match.emit_timeouts ? " emit-timeouts)" : ")");
    }
    match_vars(b, n);
    alias(b, &n->u.match.alias);
    puts_(b, ")");
}

/* " (TAG (name TYPE) ...)" */
static void column_defs(sbuf *b, const char *tag, const vg_ast_column_def *cols, uint32_t n)
{
    putf(b, " (%s", tag);
    for (uint32_t i = 0; i < n; i++) {
        puts_(b, " (");
        put_ident(b, &cols[i].name);
        putf(b, " %s)", type_names[cols[i].type.type]);
    }
    puts_(b, ")");
}

/* " (with ('k' 'v') ...)" when there are options. */
static void options(sbuf *b, const vg_ast_option *opts, uint32_t n)
{
    if (!n)
        return;
    puts_(b, " (with");
    for (uint32_t i = 0; i < n; i++) {
        puts_(b, " (");
        put_string(b, opts[i].key.name, (uint32_t)strlen(opts[i].key.name));
        puts_(b, " ");
        put_string(b, opts[i].value.name, (uint32_t)strlen(opts[i].value.name));
        puts_(b, ")");
    }
    puts_(b, ")");
}

static void create_model(sbuf *b, const vg_ast *n)
{
    bool model = n->kind == VG_AST_CREATE_MODEL;
    puts_(b, model ? "(create-model " : "(create-ruleset ");
    put_ident(b, model ? &n->u.create_model.name : &n->u.create_ruleset.name);
    if (model) {
        column_defs(b, "input", n->u.create_model.inputs, n->u.create_model.ninputs);
        column_defs(b, "output", n->u.create_model.outputs, n->u.create_model.noutputs);
        options(b, n->u.create_model.opts, n->u.create_model.nopts);
    } else {
        options(b, n->u.create_ruleset.opts, n->u.create_ruleset.nopts);
    }
    puts_(b, ")");
}

static void create_stream(sbuf *b, const vg_ast *n)
{
    puts_(b, "(create-stream ");
    put_ident(b, &n->u.create_stream.name);
    column_defs(b, "columns", n->u.create_stream.cols, n->u.create_stream.ncols);
    if (n->u.create_stream.wm_expr) {
        puts_(b, " (watermark ");
        put_ident(b, &n->u.create_stream.wm_column);
        puts_(b, " ");
        node(b, n->u.create_stream.wm_expr);
        puts_(b, ")");
    }
    options(b, n->u.create_stream.opts, n->u.create_stream.nopts);
    puts_(b, ")");
}

/* (tag name node) for CREATE VIEW and INSERT. */
static void named_query(sbuf *b, const char *tag, const vg_ident *name, const vg_ast *q)
{
    putf(b, "(%s ", tag);
    put_ident(b, name);
    puts_(b, " ");
    node(b, q);
    puts_(b, ")");
}

static void node(sbuf *b, const vg_ast *n)
{
    if (!n) {
        puts_(b, "?");
        return;
    }
    switch (n->kind) {
    case VG_AST_LITERAL:
        literal(b, n);
        break;
    case VG_AST_COLUMN:
        puts_(b, "(col ");
        if (n->u.column.qualifier.name) {
            put_ident(b, &n->u.column.qualifier);
            puts_(b, ".");
        }
        put_ident(b, &n->u.column.name);
        puts_(b, ")");
        break;
    case VG_AST_STAR:
        if (n->u.star.qualifier.name) {
            put_ident(b, &n->u.star.qualifier);
            puts_(b, ".");
        }
        puts_(b, "*");
        break;
    case VG_AST_UNARY: {
        const vg_ast *args[] = {n->u.unary.arg};
        form(b, op_names[n->u.unary.op], args, 1);
        break;
    }
    case VG_AST_BINARY: {
        const vg_ast *args[] = {n->u.binary.left, n->u.binary.right};
        form(b, op_names[n->u.binary.op], args, 2);
        break;
    }
    case VG_AST_IS:
    case VG_AST_IN:
    case VG_AST_BETWEEN:
    case VG_AST_LIKE:
        predicate(b, n);
        break;
    case VG_AST_CASE:
        case_(b, n);
        break;
    case VG_AST_CAST:
        puts_(b, n->u.cast.try_ ? "(try-cast " : "(cast ");
        node(b, n->u.cast.arg);
        putf(b, " %s)", type_names[n->u.cast.to.type]);
        break;
    case VG_AST_CALL:
        call(b, n);
        break;
    case VG_AST_TIMEUNIT:
        putf(b, "(unit %s)", vg_time_unit_name(n->u.timeunit.unit));
        break;
    case VG_AST_SELECT:
        select_(b, n);
        break;
    case VG_AST_TABLEREF:
        puts_(b, "(table ");
        put_ident(b, &n->u.tableref.name);
        alias(b, &n->u.tableref.alias);
        puts_(b, ")");
        break;
    case VG_AST_SUBQUERY:
        puts_(b, "(subquery ");
        node(b, n->u.subquery.query);
        alias(b, &n->u.subquery.alias);
        puts_(b, ")");
        break;
    case VG_AST_TABLEFN:
        tablefn(b, n);
        break;
    case VG_AST_JOIN:
        puts_(b, "(join)");
        break;
    case VG_AST_MATCH:
        match_(b, n);
        break;
    case VG_AST_CREATE_STREAM:
        create_stream(b, n);
        break;
    case VG_AST_CREATE_VIEW:
        named_query(b, "create-view", &n->u.create_view.name, n->u.create_view.query);
        break;
    case VG_AST_INSERT:
        named_query(b, "insert", &n->u.insert.sink, n->u.insert.query);
        break;
    case VG_AST_CREATE_MODEL:
    case VG_AST_CREATE_RULESET:
        create_model(b, n);
        break;
    case VG_AST_QUERY: {
        const vg_ast *args[] = {n->u.query.query};
        form(b, "query", args, 1);
        break;
    }
    }
}

/* Copy the finished text into the arena and free the buffer. */
static char *finish(sbuf *b, vg_arena *a)
{
    char *out = b->failed ? NULL : vg_arena_strndup(a, b->buf ? b->buf : "", b->len);
    vg_free(b->buf);
    return out;
}

char *vg_ast_to_sexpr(const vg_ast *n, vg_arena *a)
{
    sbuf b = {0};
    node(&b, n);
    return finish(&b, a);
}

char *vg_ast_window_to_sexpr(const vg_ast_window *w, vg_arena *a)
{
    sbuf b = {0};
    window(&b, w);
    return finish(&b, a);
}

const char *vg_time_unit_name(vg_time_unit u) { return unit_names[u]; }
