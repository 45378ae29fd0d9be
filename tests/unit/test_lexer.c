/*
 * test_lexer.c — unit tests of sql/lexer.c: every token kind, every literal
 * form and its decoded value, every lexical error with its exact message,
 * line and column.
 */
#include "sql/lexer.h"

#include <stdio.h>
#include <string.h>

#include "tests/unit/check.h"

static vg_source src;
static vg_error lerr;
static vg_token toks[64];
static int ntoks;

/* Lex text (n bytes) into toks; returns the token count (EOF excluded) or -1. */
static int lex_n(const char *text, uint32_t n)
{
    vg_lexer lx;
    src.name = "t.sql";
    src.text = text;
    src.len = n;
    vg_error_clear(&lerr);
    vg_lexer_init(&lx, &src);
    for (ntoks = 0; ntoks < 64; ntoks++) {
        if (vg_lexer_next(&lx, &toks[ntoks], &lerr) < 0)
            return -1;
        if (toks[ntoks].kind == VG_TOK_EOF)
            return ntoks;
    }
    return ntoks;
}

static int lex(const char *text) { return lex_n(text, (uint32_t)strlen(text)); }

/* The kinds of text's tokens, space-separated, or "error L:C message". */
static const char *kinds(const char *text)
{
    static char buf[1024];
    if (lex(text) < 0) {
        snprintf(buf, sizeof buf, "error %u:%u %s", lerr.line, lerr.col, lerr.msg);
        return buf;
    }
    buf[0] = 0;
    for (int i = 0; i < ntoks; i++) {
        if (i)
            strcat(buf, " ");
        strcat(buf, vg_token_kind_name(toks[i].kind));
    }
    return buf;
}

/* The decoded text of the first token of text. */
static const char *decoded(const char *text)
{
    static char buf[256];
    if (lex(text) < 1)
        return "(no token)";
    vg_arena *a = vg_arena_new(VG_MEM_SQL, 0);
    char *s = vg_token_decode(&toks[0], &src, a);
    snprintf(buf, sizeof buf, "%s", s ? s : "(null)");
    vg_arena_free(a);
    return buf;
}

static void test_empty(void)
{
    CHECK_STR(kinds(""), "");
    CHECK_STR(kinds("   \t\r\n\f\v "), "");
    CHECK_STR(kinds("-- only a comment"), "");
    CHECK_STR(kinds("/* block */ -- and line\n"), "");
    CHECK_STR(kinds("--"), "");
    /* EOF repeats, with an empty span at the end */
    vg_lexer lx;
    vg_token t;
    vg_source s = {"x", "  ", 2};
    vg_error e;
    vg_error_clear(&e);
    vg_lexer_init(&lx, &s);
    CHECK_INT(vg_lexer_next(&lx, &t, &e), 0);
    CHECK_INT(t.kind, VG_TOK_EOF);
    CHECK_INT(t.span.off, 2);
    CHECK_INT(t.span.len, 0);
    CHECK_INT(vg_lexer_next(&lx, &t, &e), 0);
    CHECK_INT(t.kind, VG_TOK_EOF);
}

static void test_operators(void)
{
    CHECK_STR(kinds("+ - * / % || = <> != < <= > >= ( ) , . ;"),
              "'+' '-' '*' '/' '%' '||' '=' '<>' '<>' '<' '<=' '>' '>=' '(' ')' ',' '.' ';'");
    CHECK_STR(kinds("a<>b!=c"), "identifier '<>' identifier '<>' identifier");
    CHECK_STR(kinds("<=>"), "'<=' '>'");
    CHECK_STR(kinds("a||'x'"), "identifier '||' string");
    CHECK_STR(kinds("t.a"), "identifier '.' identifier");
    CHECK_STR(kinds("1-2"), "integer '-' integer");
    CHECK_STR(kinds("1--2"), "integer");
    CHECK_STR(kinds("a/*x*/b"), "identifier identifier");
    CHECK_STR(kinds("a | b"), "error 1:3 unexpected character '|'");
    CHECK_STR(kinds("!x"), "error 1:1 unexpected character '!'");
    CHECK_STR(kinds("x # y"), "error 1:3 unexpected character '#'");
    CHECK_STR(kinds("{"), "error 1:1 unexpected character '{'");
    CHECK_STR(kinds("a ? b"), "error 1:3 unexpected character '?'");
    CHECK_STR(kinds("\\"), "error 1:1 unexpected character '\\'");
    /* spans */
    CHECK_INT(lex("  <=  x"), 2);
    CHECK_INT(toks[0].span.off, 2);
    CHECK_INT(toks[0].span.len, 2);
    CHECK_INT(toks[1].span.off, 6);
    CHECK_INT(toks[1].span.len, 1);
}

static void test_keywords(void)
{
    CHECK_STR(kinds("select SeLeCt SELECT"), "SELECT SELECT SELECT");
    CHECK_STR(kinds("status ts value count key year window_start"),
              "identifier identifier identifier identifier identifier identifier identifier");
    CHECK_STR(kinds("partition Over match_recognize"), "PARTITION OVER MATCH_RECOGNIZE");
    CHECK(vg_token_is_reserved(VG_TOK_SELECT));
    CHECK(vg_token_is_reserved(VG_TOK_FROM));
    CHECK(!vg_token_is_reserved(VG_TOK_PARTITION));
    CHECK(!vg_token_is_reserved(VG_TOK_WATERMARK));
    CHECK(vg_token_is_keyword(VG_TOK_WATERMARK));
    CHECK(!vg_token_is_keyword(VG_TOK_IDENT));
    CHECK(!vg_token_is_reserved(VG_TOK_IDENT));
    CHECK_STR(vg_token_kind_name(VG_TOK_EOF), "end of input");
    CHECK_STR(vg_token_kind_name(VG_TOK_LE), "'<='");
    CHECK_STR(vg_token_kind_name(VG_TOK_WITH), "WITH");
    CHECK_STR(vg_token_kind_name(VG_TOK_NKINDS), "?");
    /* every keyword lexes to its own kind, in any case, and the table is sorted */
    int bad = 0, unsorted = 0;
    for (int k = VG_TOK_KW_FIRST_ + 1; k < VG_TOK_NKINDS; k++) {
        char lower[32];
        const char *name = vg_token_kind_name((vg_token_kind)k);
        snprintf(lower, sizeof lower, "%s", name);
        for (char *c = lower; *c; c++)
            *c = (char)(*c >= 'A' && *c <= 'Z' ? *c + 32 : *c);
        if (lex(name) != 1 || toks[0].kind != (vg_token_kind)k || lex(lower) != 1 ||
            toks[0].kind != (vg_token_kind)k)
            bad++;
        if (k > VG_TOK_KW_FIRST_ + 1 &&
            strcmp(vg_token_kind_name((vg_token_kind)(k - 1)), name) >= 0)
            unsorted++;
    }
    CHECK_INT(bad, 0);
    CHECK_INT(unsorted, 0);
    /* a keyword's decoded text is as written */
    CHECK_STR(decoded("SeLect"), "SeLect");
}

static void test_identifiers(void)
{
    CHECK_STR(kinds("_a1$ a$b A_B"), "identifier identifier identifier");
    CHECK_STR(decoded("amount_1"), "amount_1");
    CHECK_INT(toks[0].quoted, 0);
    CHECK_INT(toks[0].len, 8);
    CHECK_STR(kinds("$a"), "error 1:1 unexpected character '$'");
    CHECK_STR(decoded("`my col`"), "my col");
    CHECK_INT(toks[0].kind, VG_TOK_IDENT);
    CHECK_INT(toks[0].quoted, 1);
    CHECK_INT(toks[0].span.len, 8);
    CHECK_STR(decoded("`a``b`"), "a`b");
    CHECK_INT(toks[0].len, 3);
    CHECK_STR(decoded("\"x\"\"y\""), "x\"y");
    CHECK_STR(decoded("\"select\""), "select");
    CHECK_INT(toks[0].kind, VG_TOK_IDENT);
    CHECK_STR(decoded("\"Caf\xC3\xA9\""), "Caf\xC3\xA9");
    CHECK_INT(toks[0].len, 5);
    CHECK_STR(decoded("`it's \"x\"`"), "it's \"x\"");
    CHECK_STR(kinds("SELECT \"\" FROM t"), "error 1:8 empty quoted identifier");
    CHECK_STR(kinds("``"), "error 1:1 empty quoted identifier");
    CHECK_STR(kinds("a \"abc"), "error 1:3 unterminated quoted identifier");
    CHECK_STR(kinds("`abc``"), "error 1:1 unterminated quoted identifier");
    CHECK_STR(kinds("\"a\xFF\""), "error 1:3 invalid UTF-8 byte '\\xFF'");
    CHECK_INT(lex_n("\"a\0b\"", 5), -1);
    CHECK_STR(lerr.msg, "unexpected character '\\x00'");
    CHECK_INT(lerr.col, 3);
}

static void test_strings(void)
{
    CHECK_STR(decoded("'it''s'"), "it's");
    CHECK_INT(toks[0].kind, VG_TOK_STRING);
    CHECK_INT(toks[0].len, 4);
    CHECK_INT(toks[0].span.len, 7);
    CHECK_STR(decoded("''"), "");
    CHECK_INT(toks[0].len, 0);
    CHECK_STR(decoded("''''"), "'");
    CHECK_STR(kinds("'a' 'b'"), "string string");
    CHECK_STR(kinds("'a''b'"), "string");
    CHECK_STR(decoded("'line\nnext'"), "line\nnext");
    CHECK_STR(decoded("'\xFF\xFE'"), "\xFF\xFE"); /* bytes pass through inside literals */
    CHECK_STR(decoded("'\\n'"), "\\n");           /* no backslash escapes in plain strings */
    CHECK_STR(kinds("SELECT 'abc"), "error 1:8 unterminated string literal");
    CHECK_STR(kinds("'abc''"), "error 1:1 unterminated string literal");
    CHECK_STR(kinds("x\n  'a"), "error 2:3 unterminated string literal");
    CHECK_INT(lerr.mark_len, 1);
    /* a string may hold a NUL byte; len tells */
    CHECK_INT(lex_n("'a\0b'", 5), 1);
    CHECK_INT(toks[0].len, 3);
}

static void test_unicode_strings(void)
{
    CHECK_STR(decoded("U&'\\0041'"), "A");
    CHECK_INT(toks[0].unicode, 1);
    CHECK_INT(toks[0].span.len, 9);
    CHECK_STR(decoded("u&'caf\\00e9!'"), "caf\xC3\xA9!");
    CHECK_INT(toks[0].len, 6);
    CHECK_STR(decoded("U&'a\\\\b'"), "a\\b");
    CHECK_STR(decoded("U&'\\+01F600'"), "\xF0\x9F\x98\x80");
    CHECK_INT(toks[0].len, 4);
    CHECK_STR(decoded("U&'\\20AC'"), "\xE2\x82\xAC");
    CHECK_STR(decoded("U&'a''b'"), "a'b");
    CHECK_STR(kinds("U&'\\00'"), "error 1:4 invalid unicode escape in string literal");
    CHECK_STR(kinds("x, U&'ab\\D800'"), "error 1:9 invalid unicode escape in string literal");
    CHECK_STR(kinds("U&'\\+110000'"), "error 1:4 invalid unicode escape in string literal");
    CHECK_STR(kinds("U&'\\xyz1'"), "error 1:4 invalid unicode escape in string literal");
    CHECK_STR(kinds("U&'abc"), "error 1:1 unterminated string literal");
    CHECK_INT(lerr.mark_len, 3);
    CHECK_STR(kinds("U&x"), "error 1:2 unexpected character '&'");
    CHECK_STR(kinds("U 'a'"), "identifier string");
}

static void test_numbers(void)
{
    CHECK_INT(lex("0 42 007"), 3);
    CHECK_INT(toks[0].kind, VG_TOK_INTEGER);
    CHECK_INT(toks[0].uval, 0);
    CHECK_INT(toks[1].uval, 42);
    CHECK_INT(toks[2].uval, 7);
    CHECK_INT(lex("9223372036854775807"), 1);
    CHECK(toks[0].uval == 9223372036854775807ULL);
    CHECK_INT(lex("9223372036854775808"), 1); /* allowed here; the parser wants a '-' */
    CHECK(toks[0].uval == 9223372036854775808ULL);
    CHECK_STR(kinds("x = 9223372036854775809"), "error 1:5 integer literal out of range");
    CHECK_INT(lerr.mark_len, 19);
    CHECK_STR(kinds("99999999999999999999999"), "error 1:1 integer literal out of range");
    CHECK_INT(lex("1.5 .5 1. 1e3 1.5E-3 2e+2 0.000"), 7);
    CHECK_INT(toks[0].kind, VG_TOK_DECIMAL);
    CHECK(toks[0].dval == 1.5);
    CHECK(toks[1].dval == 0.5);
    CHECK(toks[2].dval == 1.0);
    CHECK(toks[3].dval == 1000.0);
    CHECK(toks[4].dval == 1.5e-3);
    CHECK(toks[5].dval == 200.0);
    CHECK(toks[6].dval == 0.0);
    CHECK_INT(toks[4].span.len, 6);
    CHECK_STR(kinds("1.2.3"), "decimal decimal");
    CHECK_STR(kinds("t.5"), "identifier decimal");
    CHECK_STR(kinds("1e"), "error 1:1 invalid numeric literal '1e'");
    CHECK_STR(kinds("x 1e+"), "error 1:3 invalid numeric literal '1e'");
    CHECK_STR(kinds("12abc"), "error 1:1 invalid numeric literal '12abc'");
    CHECK_STR(kinds("0x1F"), "error 1:1 invalid numeric literal '0x1F'");
    CHECK_STR(kinds("1.5f"), "error 1:1 invalid numeric literal '1.5f'");
    CHECK_STR(kinds("1e999"), "error 1:1 decimal literal out of range");
    CHECK_INT(lex("1e-999"), 1); /* underflow is zero, not an error */
    CHECK(toks[0].dval == 0.0);
}

static void test_comments(void)
{
    CHECK_STR(kinds("-- x\nSELECT"), "SELECT");
    CHECK_STR(kinds("/* a */ b"), "identifier");
    CHECK_STR(kinds("/* nested /* */ x"), "identifier");
    CHECK_STR(kinds("a -- comment ; with 'quote\nb"), "identifier identifier");
    CHECK_STR(kinds("/**/x"), "identifier");
    CHECK_STR(kinds("-- caf\xC3\xA9 \xF0\x9F\x98\x80\nx"), "identifier");
    CHECK_STR(kinds("/* unterminated"), "error 1:1 unterminated comment");
    CHECK_INT(lerr.mark_len, 2);
    CHECK_STR(kinds("SELECT a\n  /* x *"), "error 2:3 unterminated comment");
    CHECK_STR(kinds("/*/"), "error 1:1 unterminated comment");
    CHECK_STR(kinds("-- bad \xC3\x28 byte"), "error 1:8 invalid UTF-8 byte '\\xC3'");
    CHECK_STR(kinds("/* \xFF */"), "error 1:4 invalid UTF-8 byte '\\xFF'");
}

static void test_bad_bytes(void)
{
    CHECK_STR(kinds("a \x01"), "error 1:3 unexpected character '\\x01'");
    CHECK_STR(kinds("\x7F"), "error 1:1 unexpected character '\\x7F'");
    CHECK_STR(kinds("x \xC3\xA9"), "error 1:3 unexpected character '\xC3\xA9'");
    CHECK_INT(lerr.mark_len, 2);
    CHECK_STR(kinds("\xFF"), "error 1:1 invalid UTF-8 byte '\\xFF'");
    CHECK_STR(kinds("\xC0\x80"), "error 1:1 invalid UTF-8 byte '\\xC0'");         /* overlong */
    CHECK_STR(kinds("\xED\xA0\x80"), "error 1:1 invalid UTF-8 byte '\\xED'");     /* surrogate */
    CHECK_STR(kinds("ab\xE2\x82"), "error 1:3 invalid UTF-8 byte '\\xE2'");       /* truncated */
    CHECK_STR(kinds("\xF4\x90\x80\x80"), "error 1:1 invalid UTF-8 byte '\\xF4'"); /* > U+10FFFF */
    CHECK_STR(kinds("\xF0\x80\x80\x80"), "error 1:1 invalid UTF-8 byte '\\xF0'"); /* overlong */
    CHECK_STR(kinds("\xF0\x9F\x98\x80"), "error 1:1 unexpected character '\xF0\x9F\x98\x80'");
    CHECK_INT(lex_n("a\0", 2), -1);
    CHECK_STR(lerr.msg, "unexpected character '\\x00'");
    CHECK_INT(lerr.col, 2);
}

static void test_positions(void)
{
    /* CRLF line ends, tabs (one byte, one column), comments before the error */
    CHECK_STR(kinds("SELECT a,\r\n\tb\r\n-- note\r\n\t  #"), "error 4:4 unexpected character '#'");
    CHECK_STR(lerr.source_line, "\t  #");
    CHECK_STR(kinds("/* one\n two */ x\n\n   'open"), "error 4:4 unterminated string literal");
    CHECK_STR(lerr.file, "t.sql");
    CHECK_INT(lerr.code, VG_ERR_SYNTAX);
}

int main(void)
{
    RUN(test_empty);
    RUN(test_operators);
    RUN(test_keywords);
    RUN(test_identifiers);
    RUN(test_strings);
    RUN(test_unicode_strings);
    RUN(test_numbers);
    RUN(test_comments);
    RUN(test_bad_bytes);
    RUN(test_positions);
    return CHECK_DONE();
}
