/*
 * ast.h — the syntax tree the parser builds and the binder reads.
 *
 * Every node carries the span of source text it was parsed from, so any
 * later stage can point an error at it. All nodes of one parse live in the
 * arena the caller gave vg_parse (sql/parser.h) and are freed at once with it.
 *
 * The tree is plain data: no names are resolved, no types known. Kinds that
 * later issues need (windows, joins, MATCH_RECOGNIZE, models, rules) have
 * their place reserved here so the grammar can grow without reshaping it.
 */
#ifndef VG_AST_H
#define VG_AST_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/error.h"
#include "engine/value.h"

typedef struct vg_ast vg_ast;

/* A counted list of nodes. */
typedef struct vg_ast_list {
    uint32_t n;
    vg_ast **items;
} vg_ast_list;

/* An identifier as written, with its span. Names are case-sensitive, as in
 * Flink (keywords are not); function names are looked up case-insensitively. */
typedef struct vg_ident {
    const char *name; /* NUL-terminated, quotes removed, escapes resolved */
    vg_span span;
    bool quoted;
} vg_ident;

typedef enum vg_ast_kind {
    /* ---- expressions ---- */
    VG_AST_LITERAL,  /* lit */
    VG_AST_COLUMN,   /* column: [qualifier.]name */
    VG_AST_STAR,     /* star: * or qualifier.* (select list, COUNT(*)) */
    VG_AST_UNARY,    /* unary: NOT x, -x, +x */
    VG_AST_BINARY,   /* binary: arithmetic, comparison, AND, OR, || */
    VG_AST_IS,       /* is: x IS [NOT] NULL | TRUE | FALSE | UNKNOWN */
    VG_AST_IN,       /* in: x [NOT] IN (e, ...) */
    VG_AST_BETWEEN,  /* between: x [NOT] BETWEEN [SYMMETRIC] lo AND hi */
    VG_AST_LIKE,     /* like: x [NOT] LIKE pattern [ESCAPE c] */
    VG_AST_CASE,     /* kase: CASE [operand] WHEN .. THEN .. [ELSE ..] END */
    VG_AST_CAST,     /* cast: CAST(x AS type), TRY_CAST(x AS type) */
    VG_AST_CALL,     /* call: f(args) [FILTER (WHERE ..)] [OVER w] */
    VG_AST_TIMEUNIT, /* timeunit: the unit keyword of EXTRACT/TIMESTAMPADD/... */

    /* ---- relations (FROM items) ---- */
    VG_AST_SELECT,   /* select: a query block */
    VG_AST_TABLEREF, /* tableref: a stream or view by name [AS alias] */
    VG_AST_SUBQUERY, /* subquery: ( select ) [AS alias] */
    VG_AST_TABLEFN,  /* tablefn: TABLE(f(TABLE t, DESCRIPTOR(c), ...)) window TVFs */
    VG_AST_JOIN,     /* join (later) */
    VG_AST_MATCH,    /* match: t MATCH_RECOGNIZE (...) [AS alias] */

    /* ---- statements ---- */
    VG_AST_CREATE_STREAM, /* create_stream */
    VG_AST_CREATE_VIEW,   /* create_view */
    VG_AST_INSERT,        /* insert: INSERT INTO sink query */
    VG_AST_QUERY,         /* query: a bare SELECT statement (to stdout) */
    VG_AST_CREATE_MODEL,  /* create_model: CREATE MODEL name INPUT (..) OUTPUT (..) WITH (..) */
    VG_AST_CREATE_RULESET, /* create_ruleset: CREATE RULESET name [WITH (..)] */
} vg_ast_kind;

typedef enum vg_ast_op {
    VG_OP_NONE,
    /* unary */
    VG_OP_NOT, VG_OP_NEG, VG_OP_PLUS,
    /* binary arithmetic */
    VG_OP_ADD, VG_OP_SUB, VG_OP_MUL, VG_OP_DIV, VG_OP_MOD, VG_OP_CONCAT,
    /* comparison */
    VG_OP_EQ, VG_OP_NE, VG_OP_LT, VG_OP_LE, VG_OP_GT, VG_OP_GE,
    /* logic */
    VG_OP_AND, VG_OP_OR,
} vg_ast_op;

/* Literal kinds as written; the binder gives them SQL types. */
typedef enum vg_lit_kind {
    VG_LIT_NULL,
    VG_LIT_BOOL,     /* TRUE / FALSE: ival 1/0 */
    VG_LIT_INTEGER,  /* digits: ival (the parser errors on overflow of int64) */
    VG_LIT_DECIMAL,  /* 1.5, 1e3, .5: dval; str/len keep the digits as written */
    VG_LIT_STRING,   /* 'text': str/len, '' unescaped */
    VG_LIT_INTERVAL, /* INTERVAL '5' SECOND: ival in milliseconds */
    VG_LIT_TIMESTAMP, /* TIMESTAMP '2024-05-01 12:00:00': str/len hold the text; the
                         binder parses it (vg_ts_parse) */
} vg_lit_kind;

/* Units of EXTRACT, FLOOR/CEIL(x TO unit), TIMESTAMPADD/DIFF, INTERVAL. */
typedef enum vg_time_unit {
    VG_TU_MILLISECOND, VG_TU_SECOND, VG_TU_MINUTE, VG_TU_HOUR, VG_TU_DAY,
    VG_TU_WEEK, VG_TU_MONTH, VG_TU_QUARTER, VG_TU_YEAR,
    VG_TU_DOW, VG_TU_DOY, VG_TU_EPOCH,
} vg_time_unit;

/* A type as written in CAST or a column definition. */
typedef struct vg_ast_type {
    vg_type type;
    vg_span span;
} vg_ast_type;

/* Named window (WINDOW w AS (...)), inline OVER (...) spec, or OVER w
 * reference (is_ref: only name and span are set). */
typedef struct vg_ast_window {
    vg_ident name;           /* the window's name, or the referenced name; may be empty */
    vg_ast_list partition_by; /* PARTITION BY expressions */
    vg_ast_list order_by;    /* of VG_AST_* expressions; DESC flag per item in order_desc */
    int frame_kind;          /* 0 none, 1 ROWS, 2 RANGE */
    vg_ast *frame_start;     /* PRECEDING bound expression (INTERVAL or integer), NULL = UNBOUNDED */
    vg_span span;            /* WINDOW clause: name to ')'; OVER (...): '(' to ')'; OVER w: w */
    /* added by the parser: */
    bool is_ref;             /* OVER w: names a WINDOW clause entry, holds no spec */
    bool *order_desc;        /* order_by.n flags: true for DESC; NULL when order_by is empty */
    bool end_current_row;    /* frame ends at CURRENT ROW (also true when frame_kind == 0) */
    vg_ast *frame_end;       /* n FOLLOWING bound; NULL for CURRENT ROW or UNBOUNDED FOLLOWING */
    vg_span partition_span;  /* PARTITION BY ... (len 0 when absent) */
    vg_span order_span;      /* ORDER BY ... (len 0 when absent) */
    vg_span frame_span;      /* ROWS|RANGE ... (len 0 when absent) */
    vg_span start_span;      /* the frame's start bound, "... PRECEDING" */
    vg_span end_span;        /* the end bound, "CURRENT ROW" or "... FOLLOWING"; the start
                                bound again for the short form ROWS n PRECEDING */
} vg_ast_window;

/* ---- MATCH_RECOGNIZE ---- */

/* A term of a row pattern (PATTERN (...)). Parentheses only group: a group
 * is its inner term (its span widened to the parentheses), except the empty
 * pattern "()", which is VG_PAT_EMPTY. */
typedef enum vg_pat_kind {
    VG_PAT_VAR,     /* a row pattern variable: var */
    VG_PAT_SEQ,     /* concatenation: kids in order (n >= 2) */
    VG_PAT_ALT,     /* alternation kids[0] | kids[1] | ... (n >= 2), left preferred */
    VG_PAT_PERMUTE, /* PERMUTE(kids...) (n >= 1): every order, in lexicographic preference */
    VG_PAT_EXCLUDE, /* {- kids[0] -}: matched, but not output by ALL ROWS PER MATCH */
    VG_PAT_QUANT,   /* kids[0] quantified: min, max, reluctant */
    VG_PAT_START,   /* ^: the start of the partition */
    VG_PAT_END,     /* $: the end of the partition */
    VG_PAT_EMPTY,   /* (): matches the empty sequence */
} vg_pat_kind;

#define VG_PAT_UNBOUNDED UINT32_MAX /* max of *, + and {n,} */

typedef struct vg_ast_pattern vg_ast_pattern;
struct vg_ast_pattern {
    vg_pat_kind kind;
    vg_span span;           /* the term as written (a quantifier's includes it) */
    vg_ident var;           /* VAR: the variable */
    uint32_t nkids;         /* SEQ, ALT, PERMUTE: the terms; EXCLUDE, QUANT: 1 */
    vg_ast_pattern **kids;
    uint32_t min, max;      /* QUANT: * {0,UNB}, + {1,UNB}, ? {0,1}, {n} {n,n}, {n,}
                               {n,UNB}, {,m} {0,m}, {n,m} */
    bool reluctant;         /* QUANT: written with a trailing ? (*?, +?, ??, {n,m}?) */
};

/* ONE ROW PER MATCH / ALL ROWS PER MATCH [...]. */
typedef enum vg_mr_rows {
    VG_MR_ONE_ROW,            /* ONE ROW PER MATCH (the default) */
    VG_MR_ALL_ROWS,           /* ALL ROWS PER MATCH [SHOW EMPTY MATCHES] */
    VG_MR_ALL_ROWS_OMIT_EMPTY, /* ALL ROWS PER MATCH OMIT EMPTY MATCHES */
    VG_MR_ALL_ROWS_UNMATCHED, /* ALL ROWS PER MATCH WITH UNMATCHED ROWS */
} vg_mr_rows;

/* AFTER MATCH SKIP ... */
typedef enum vg_mr_skip {
    VG_MR_SKIP_PAST_LAST, /* PAST LAST ROW (the default) */
    VG_MR_SKIP_TO_NEXT,   /* TO NEXT ROW */
    VG_MR_SKIP_TO_FIRST,  /* TO FIRST v */
    VG_MR_SKIP_TO_LAST,   /* TO LAST v, and TO v */
} vg_mr_skip;

/* SUBSET name = (v, ...). */
typedef struct vg_ast_subset {
    vg_ident name;
    vg_ident *vars;
    uint32_t nvars;
    vg_span span;           /* name to ')' */
} vg_ast_subset;

/* DEFINE v AS condition. */
typedef struct vg_ast_define {
    vg_ident var;
    vg_ast *cond;
} vg_ast_define;

typedef struct vg_ast_column_def {
    vg_ident name;
    vg_ast_type type;
} vg_ast_column_def;

/* One item of a select list. */
typedef struct vg_ast_select_item {
    vg_ast *expr;   /* VG_AST_STAR for * and t.* */
    vg_ident alias; /* alias.name == NULL when none */
} vg_ast_select_item;

/* A WITH ('key' = 'value', ...) option. */
typedef struct vg_ast_option {
    vg_ident key;   /* from a string literal; quoted = true */
    vg_ident value;
} vg_ast_option;

struct vg_ast {
    vg_ast_kind kind;
    vg_span span; /* the whole construct */
    union {
        struct {
            vg_lit_kind kind;
            int64_t ival;
            double dval;
            const char *str; /* STRING, TIMESTAMP: unescaped bytes (NUL-terminated copy);
                                DECIMAL: the text as written (with a folded '-') */
            uint32_t len;    /* STRING, TIMESTAMP, DECIMAL: byte length of str */
        } lit;
        struct {
            vg_ident qualifier; /* qualifier.name == NULL when unqualified */
            vg_ident name;
        } column;
        struct {
            vg_ident qualifier; /* NULL name for a bare * */
        } star;
        struct {
            vg_ast_op op;
            vg_ast *arg;
        } unary;
        struct {
            vg_ast_op op;
            vg_span op_span; /* the operator token, for type errors */
            vg_ast *left, *right;
        } binary;
        struct {
            vg_ast *arg;
            bool negated;
            int what; /* 0 NULL, 1 TRUE, 2 FALSE, 3 UNKNOWN */
        } is;
        struct {
            vg_ast *arg;
            bool negated;
            vg_ast_list list;
        } in;
        struct {
            vg_ast *arg, *lo, *hi;
            bool negated, symmetric;
        } between;
        struct {
            vg_ast *arg, *pattern, *escape; /* escape may be NULL */
            bool negated;
        } like;
        struct {
            vg_ast *operand;    /* simple CASE operand, or NULL */
            vg_ast_list whens;  /* conditions (or values for simple CASE) */
            vg_ast_list thens;  /* same count as whens */
            vg_ast *else_;      /* may be NULL */
        } kase;
        struct {
            vg_ast *arg;
            vg_ast_type to;
            bool try_;
        } cast;
        struct {
            vg_ident name;     /* function name as written */
            vg_ast_list args;  /* COUNT(*) has one VG_AST_STAR argument */
            bool distinct;     /* f(DISTINCT x) */
            vg_ast *filter;    /* FILTER (WHERE cond), or NULL */
            vg_ast_window *over; /* OVER w / OVER (...), or NULL */
        } call;
        struct {
            vg_time_unit unit;
        } timeunit;

        struct {
            bool distinct;
            vg_ast_select_item *items;
            uint32_t nitems;
            vg_ast *from;             /* a FROM item, or NULL */
            vg_ast *where;            /* or NULL */
            vg_ast_list group_by;     /* later */
            vg_ast *having;           /* later */
            vg_ast_window **windows;  /* WINDOW clause (later) */
            uint32_t nwindows;
            vg_ast_list order_by;     /* ORDER BY items (added by the parser) */
            bool *order_desc;         /* order_by.n flags: true for DESC; NULL when empty */
            vg_ast *limit;            /* LIMIT n: an INTEGER literal, or NULL */
            vg_span distinct_span;    /* the DISTINCT keyword (len 0: none) */
            vg_span group_span;       /* GROUP BY (both words) */
            vg_span having_span;      /* HAVING */
            vg_span window_span;      /* WINDOW */
            vg_span order_span;       /* ORDER BY (both words) */
            vg_span limit_span;       /* LIMIT */
        } select;
        struct {
            vg_ident name;
            vg_ident alias; /* alias.name == NULL when none */
        } tableref;
        struct {
            vg_ast *query; /* VG_AST_SELECT */
            vg_ident alias;
        } subquery;
        struct {
            vg_ident fn;              /* TUMBLE, HOP, SESSION, CUMULATE, ... as written */
            vg_ident table;           /* TABLE t: the input stream or view */
            vg_ast_list partition_by; /* SESSION(TABLE t PARTITION BY k, ...); else empty */
            vg_ident descriptor;      /* DESCRIPTOR(c): the time column */
            vg_ast_list args;         /* the arguments after DESCRIPTOR (size, slide, gap) */
            vg_ident alias;           /* alias.name == NULL when none */
            vg_ident model;           /* ML_PREDICT: MODEL m; else name NULL */
            vg_ident ruleset;         /* APPLY_RULES: RULESET r; else name NULL */
            vg_ident *columns;        /* ML_PREDICT: every DESCRIPTOR column (descriptor
                                         is the first) */
            uint32_t ncolumns;
        } tablefn;

        struct {
            vg_ast *input;             /* the FROM item it reads: TABLEREF or SUBQUERY */
            vg_ast_list partition_by;  /* PARTITION BY column references (may be empty) */
            vg_ast_list order_by;      /* ORDER BY: column references */
            bool *order_desc;          /* order_by.n flags: true for DESC */
            vg_ast_select_item *measures; /* MEASURES expr AS alias (alias required) */
            uint32_t nmeasures;
            vg_mr_rows rows;
            vg_mr_skip skip;
            vg_ident skip_var;         /* TO FIRST/LAST v: the variable or subset */
            vg_ast_pattern *pattern;
            vg_ast *within;            /* WITHIN INTERVAL ...: an INTERVAL literal, or NULL */
            bool emit_timeouts;        /* WITHIN ... EMIT TIMEOUTS (vigil's extension) */
            vg_ast_subset *subsets;    /* SUBSET clauses, in order */
            uint32_t nsubsets;
            vg_ast_define *defines;    /* DEFINE clauses, in order */
            uint32_t ndefines;
            vg_ident alias;            /* AS alias after the closing ')'; name NULL when none */
            vg_span keyword_span;      /* the MATCH_RECOGNIZE keyword */
            vg_span partition_span;    /* PARTITION BY ... (len 0 when absent) */
            vg_span order_span;        /* ORDER BY ... */
            vg_span measures_span;     /* MEASURES ... (len 0 when absent) */
            vg_span rows_span;         /* ONE ROW PER MATCH / ALL ROWS ... (len 0: absent) */
            vg_span skip_span;         /* AFTER MATCH SKIP ... (len 0: absent) */
            vg_span pattern_span;      /* PATTERN (...) */
            vg_span within_span;       /* WITHIN ... [EMIT TIMEOUTS] (len 0: absent) */
            vg_span define_span;       /* DEFINE ... (len 0: absent) */
        } match;

        struct {
            vg_ident name;
            vg_ast_column_def *cols;
            uint32_t ncols;
            vg_ident wm_column;   /* WATERMARK FOR col; name NULL when none */
            vg_ast *wm_expr;      /* AS expr; NULL when none */
            vg_ast_option *opts;  /* WITH (...) */
            uint32_t nopts;
        } create_stream;
        struct {
            vg_ident name;
            vg_ast *query; /* VG_AST_SELECT */
        } create_view;
        struct {
            vg_ident sink;
            vg_ast *query; /* VG_AST_SELECT */
        } insert;
        struct {
            vg_ast *query; /* VG_AST_SELECT */
        } query;
        struct {
            vg_ident name;
            vg_ast_column_def *inputs;  /* INPUT (...): the features, in order */
            uint32_t ninputs;
            vg_ast_column_def *outputs; /* OUTPUT (...): the scores */
            uint32_t noutputs;
            vg_span input_span;         /* INPUT (...) */
            vg_span output_span;        /* OUTPUT (...) */
            vg_ast_option *opts;        /* WITH (...) */
            uint32_t nopts;
        } create_model;
        struct {
            vg_ident name;
            vg_ast_option *opts; /* WITH (...); none when absent */
            uint32_t nopts;
        } create_ruleset;
    } u;
};

/* A parsed statement and the source it came from. */
typedef struct vg_ast_stmt {
    vg_ast *node;            /* one of the statement kinds */
    const vg_source *src;    /* borrowed: the source the spans point into */
} vg_ast_stmt;

#endif
