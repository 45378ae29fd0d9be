/*
 * lexer.h — turns SQL text into tokens, one at a time.
 *
 * The lexer is the first stage of the front end: it knows characters, not
 * grammar. It skips whitespace and comments (`-- ...` to the end of the line,
 * and C-style block comments), and yields identifiers (bare, `back-quoted` or "double
 * quoted"), keywords, integer and decimal numbers, string literals ('it''s'
 * and Flink's Unicode form U&'\0041'), and operators. Every token carries its
 * byte span in the source; line and column are computed only when an error
 * is reported (vg_error_at).
 *
 * Keywords are case-insensitive and come from one table (VG_KEYWORDS below).
 * Most are non-reserved: the parser accepts them wherever a name is expected,
 * so a column may be called `status`, `ts`, `year` or `value`. Only the
 * reserved ones (SELECT, FROM, WHERE, ...) must be quoted to be used as names.
 *
 * Inside MATCH_RECOGNIZE's PATTERN (...) the parser switches the lexer into
 * row pattern mode (vg_lexer.pattern), where | ? { } {- -} ^ $ are tokens
 * and '$' ends a bare name; elsewhere they stay unexpected characters.
 *
 * The lexer never allocates. Decoded text (quotes removed, escapes resolved)
 * is produced on demand by vg_token_decode into an arena.
 */
#ifndef VG_LEXER_H
#define VG_LEXER_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/alloc.h"
#include "engine/error.h"

/* The keyword table: X(NAME, reserved). NAME is the keyword's text and the
 * suffix of its token kind (VG_TOK_SELECT). A reserved keyword cannot be
 * used as a bare name; the others can. Keep it alphabetical. */
/* clang-format off */
#define VG_KEYWORDS(X)                                                                   \
    X(ALL, 1) X(AND, 1) X(AS, 1) X(ASC, 0) X(ASYMMETRIC, 0) X(BETWEEN, 1) X(BOTH, 0)     \
    X(BY, 0) X(CASE, 1) X(CREATE, 1) X(CROSS, 1) X(CURRENT, 0) X(DESC, 0)                \
    X(DESCRIPTOR, 0) X(DISTINCT, 1) X(ELSE, 1) X(END, 1) X(ESCAPE, 0) X(EXCEPT, 1)       \
    X(FALSE, 1) X(FILTER, 1) X(FOLLOWING, 0) X(FOR, 1) X(FROM, 1) X(FULL, 1) X(GROUP, 1) \
    X(HAVING, 1) X(IN, 1) X(INNER, 1) X(INSERT, 1) X(INTERSECT, 1) X(INTERVAL, 1)        \
    X(INTO, 1) X(IS, 1) X(JOIN, 1) X(LEADING, 0) X(LEFT, 1) X(LIKE, 1) X(LIMIT, 1)       \
    X(MATCH_RECOGNIZE, 1) X(NATURAL, 1) X(NOT, 1) X(NULL, 1) X(ON, 1) X(OR, 1)           \
    X(ORDER, 1) X(OVER, 1) X(PARTITION, 0) X(PRECEDING, 0) X(RANGE, 0) X(RIGHT, 1)       \
    X(ROW, 0) X(ROWS, 0) X(SELECT, 1) X(STREAM, 0) X(SYMMETRIC, 0) X(TABLE, 1)           \
    X(TEMPORARY, 0) X(THEN, 1) X(TO, 0) X(TRAILING, 0) X(TRUE, 1) X(UNBOUNDED, 0)        \
    X(UNION, 1) X(UNKNOWN, 0) X(USING, 1) X(VIEW, 0) X(WATERMARK, 0) X(WHEN, 1)          \
    X(WHERE, 1) X(WINDOW, 1) X(WITH, 0)
/* clang-format on */

typedef enum vg_token_kind {
    VG_TOK_EOF,     /* end of input (span: empty, at the end) */
    VG_TOK_ERROR,   /* never returned by the lexer; the parser marks a failed token with it */
    VG_TOK_IDENT,   /* a name that is not a keyword, or any quoted name */
    VG_TOK_INTEGER, /* digits only: uval */
    VG_TOK_DECIMAL, /* 1.5, .5, 1., 1e3, 1.5E-3: dval */
    VG_TOK_STRING,  /* 'text' or U&'text' */
    /* operators and punctuation */
    VG_TOK_PLUS,    /* + */
    VG_TOK_MINUS,   /* - */
    VG_TOK_STAR,    /* * */
    VG_TOK_SLASH,   /* / */
    VG_TOK_PERCENT, /* % */
    VG_TOK_CONCAT,  /* || */
    VG_TOK_EQ,      /* = */
    VG_TOK_NE,      /* <> or != */
    VG_TOK_LT,      /* < */
    VG_TOK_LE,      /* <= */
    VG_TOK_GT,      /* > */
    VG_TOK_GE,      /* >= */
    VG_TOK_LPAREN,  /* ( */
    VG_TOK_RPAREN,  /* ) */
    VG_TOK_COMMA,   /* , */
    VG_TOK_DOT,     /* . */
    VG_TOK_SEMI,    /* ; */
    VG_TOK_LBRACKET, /* [ (array element access, ARRAY[...]) */
    VG_TOK_RBRACKET, /* ] */
    /* row pattern punctuation: only in row pattern mode (vg_lexer.pattern) */
    VG_TOK_BAR,      /* | */
    VG_TOK_QUESTION, /* ? */
    VG_TOK_LBRACE,   /* { */
    VG_TOK_RBRACE,   /* } */
    VG_TOK_LEXCL,    /* {- (exclusion start) */
    VG_TOK_REXCL,    /* -} (exclusion end) */
    VG_TOK_CARET,    /* ^ */
    VG_TOK_DOLLAR,   /* $ */
    /* keywords, in table order */
    VG_TOK_KW_FIRST_,
/* clang-format off */
#define VG_KW_ENUM_(name, reserved) VG_TOK_##name,
    VG_KEYWORDS(VG_KW_ENUM_)
#undef VG_KW_ENUM_
    VG_TOK_NKINDS
    /* clang-format on */
} vg_token_kind;

typedef struct vg_token {
    vg_token_kind kind;
    vg_span span;  /* the token's bytes in the source, quotes included */
    bool quoted;   /* IDENT: written `like this` or "like this" */
    bool unicode;  /* STRING: written U&'...' */
    uint32_t len;  /* IDENT, STRING, keywords: byte length of the decoded text */
    uint64_t uval; /* INTEGER: the value, at most 2^63 (the parser allows 2^63
                      only right after a unary minus) */
    double dval;   /* DECIMAL: the value (strtod) */
} vg_token;

/* Lexer state. Plain data: put it on the stack; nothing to free. */
typedef struct vg_lexer {
    const vg_source *src; /* borrowed; must outlive the lexer and its tokens */
    uint32_t pos;         /* byte offset of the next unread character */
    bool pattern;         /* row pattern mode, inside MATCH_RECOGNIZE's PATTERN (...): the
                             row pattern punctuation above are tokens, and '$' ends a bare
                             name (A$ is A then $) instead of continuing it */
} vg_lexer;

/* Start lexing src from its first byte, not in row pattern mode. */
void vg_lexer_init(vg_lexer *lx, const vg_source *src);

/* Read the next token into *tok. Returns 0, or -1 with err set (code
 * VG_ERR_SYNTAX, positioned at the offending text):
 *   "unterminated comment", "unterminated string literal",
 *   "unterminated quoted identifier", "empty quoted identifier",
 *   "integer literal out of range", "decimal literal out of range",
 *   "invalid numeric literal '1e'", "invalid unicode escape in string literal",
 *   "unexpected character '#'", "invalid UTF-8 byte '\xFF'".
 * After the end, every call returns VG_TOK_EOF. After an error the lexer
 * must not be used again. */
int vg_lexer_next(vg_lexer *lx, vg_token *tok, vg_error *err);

/* The decoded text of an IDENT, STRING or keyword token: quotes removed,
 * doubled quotes and Unicode escapes resolved, NUL-terminated (tok->len
 * bytes before the NUL; a string may itself hold NUL bytes). For a keyword
 * or bare name it is the text as written. Owned by arena a; NULL when the
 * allocation fails. tok must come from a lexer over src. */
char *vg_token_decode(const vg_token *tok, const vg_source *src, vg_arena *a);

/* Short name of a token kind for messages and tests: "end of input",
 * "identifier", "integer", "'<='", "SELECT", ... Never NULL. */
const char *vg_token_kind_name(vg_token_kind kind);

/* True for keyword kinds; vg_token_is_reserved only for reserved ones. */
bool vg_token_is_keyword(vg_token_kind kind);
bool vg_token_is_reserved(vg_token_kind kind);

#endif
