/*
 * test_func.c — the built-in function table (udf/): every function with
 * typical values, NULLs, edge values and type errors, every documented
 * example, the table's own invariants, allocation failures, and that
 * docs/functions.md is what the table generates.
 *
 * Cases are written as SQL calls with literal arguments, read by a small
 * reader below that does what the parser and binder do for a call: the
 * special forms (EXTRACT(u FROM x), SUBSTRING(s FROM a FOR n), TRIM(...),
 * ...) become plain calls, literals get their types, check runs through
 * vg_func_check, casts it asks for are applied, prepare/eval/release run.
 * Nested calls are evaluated first. '@' before an argument makes it a
 * non-constant (a column, to the function); CAST(x AS type) converts a
 * literal (an integer cast to TIMESTAMP is taken as epoch milliseconds).
 *
 *   build/tests/test_func --write-docs   regenerates docs/functions.md
 */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/alloc.h"
#include "engine/value.h"
#include "tests/unit/check.h"
#include "udf/fn_int.h"
#include "udf/func.h"

/* ---- reading and running calls ---- */

typedef struct arg {
    vg_value v;
    vg_type t;
    bool is_const;
} arg;

typedef struct reader {
    const char *s;
    size_t i;
    char err[300]; /* the first error: a check/prepare message or a syntax problem */
    int bad_arg;   /* of the top-level call's error */
    vg_type ret;   /* of the last call run */
    int depth;
} reader;

static vg_arena *arena;

static void skip_ws(reader *r)
{
    while (r->s[r->i] == ' ')
        r->i++;
}

static bool eat(reader *r, char c)
{
    skip_ws(r);
    if (r->s[r->i] != c)
        return false;
    r->i++;
    return true;
}

/* A bare word (identifier) at the reader, copied into w; its length. */
static size_t peek_word(reader *r, char *w, size_t cap)
{
    skip_ws(r);
    size_t n = 0;
    while (isalnum((unsigned char)r->s[r->i + n]) || r->s[r->i + n] == '_') {
        if (n + 1 < cap)
            w[n] = (char)toupper((unsigned char)r->s[r->i + n]);
        n++;
    }
    w[n < cap ? n : cap - 1] = 0;
    return n;
}

static bool eat_word(reader *r, const char *kw)
{
    char w[64];
    size_t n = peek_word(r, w, sizeof w);
    if (n == 0 || strcmp(w, kw) != 0)
        return false;
    r->i += n;
    return true;
}

static bool fail(reader *r, const char *what)
{
    if (!r->err[0])
        snprintf(r->err, sizeof r->err, "reader: %s at %zu in: %s", what, r->i, r->s);
    return false;
}

static arg str_arg(const char *s, size_t n)
{
    arg a = {vg_str(vg_arena_strndup(arena, s, n), (uint32_t)n), VG_T_STRING, true};
    return a;
}

static bool read_expr(reader *r, arg *out);

static bool read_string(reader *r, arg *out)
{
    char *buf = vg_arena_alloc(arena, strlen(r->s) + 1);
    size_t n = 0;
    r->i++;
    for (;;) {
        char c = r->s[r->i++];
        if (!c)
            return fail(r, "unterminated string");
        if (c == '\'' && r->s[r->i] == '\'')
            r->i++;
        else if (c == '\'')
            break;
        buf[n++] = c;
    }
    *out = (arg){vg_str(buf, (uint32_t)n), VG_T_STRING, true};
    return true;
}

static bool read_number(reader *r, arg *out)
{
    const char *start = r->s + r->i;
    char *end;
    size_t k = r->i + (r->s[r->i] == '-');
    while (isdigit((unsigned char)r->s[k]))
        k++;
    bool dbl = r->s[k] == '.' || r->s[k] == 'e' || r->s[k] == 'E';
    if (dbl) {
        double d = strtod(start, &end);
        *out = (arg){vg_double(d), VG_T_DOUBLE, true};
    } else {
        long long v = strtoll(start, &end, 10);
        *out = (arg){vg_int(v), v >= INT32_MIN && v <= INT32_MAX ? VG_T_INT : VG_T_BIGINT, true};
    }
    r->i += (size_t)(end - start);
    return true;
}

/* CAST(x AS type) of a literal: NULL gets the type; numbers convert; an
 * integer becomes a TIMESTAMP of that many milliseconds. */
static bool read_cast(reader *r, arg *out)
{
    char w[32];
    if (!eat(r, '(') || !read_expr(r, out) || !eat_word(r, "AS"))
        return fail(r, "bad CAST");
    size_t n = peek_word(r, w, sizeof w);
    r->i += n;
    vg_type t = vg_type_from_name(w, strlen(w));
    if (t == VG_T_NULL || !eat(r, ')'))
        return fail(r, "bad CAST type");
    if (!out->v.null && t == VG_T_DOUBLE && out->t != VG_T_DOUBLE)
        out->v = vg_double((double)out->v.u.i);
    out->t = t;
    return true;
}

static bool read_call(reader *r, const char *name, arg *out);
static void run(reader *r, const char *name, arg *a, uint32_t n, arg *out);
static bool read_base(reader *r, arg *out);

/* ARRAY[e, ...] as the parser rewrites it: ARRAY(e, ...). */
static bool read_array(reader *r, arg *out)
{
    arg a[VG_FN_MAXARGS + 2];
    uint32_t n = 0;
    do {
        if (n == VG_FN_MAXARGS + 2 || !read_expr(r, &a[n++]))
            return fail(r, "bad element");
    } while (eat(r, ','));
    if (!eat(r, ']'))
        return fail(r, "expected ']'");
    run(r, "ARRAY", a, n, out);
    return !r->err[0];
}

/* An expression and its subscripts: x[i] is ITEM(x, i). */
static bool read_expr(reader *r, arg *out)
{
    if (!read_base(r, out))
        return false;
    while (eat(r, '[')) {
        arg a[2] = {*out};
        if (!read_expr(r, &a[1]) || !eat(r, ']'))
            return fail(r, "bad subscript");
        run(r, "ITEM", a, 2, out);
        if (r->err[0])
            return false;
    }
    return true;
}

static bool read_base(reader *r, arg *out)
{
    char w[64];
    skip_ws(r);
    if (r->s[r->i] == '@') {
        r->i++;
        if (!read_expr(r, out))
            return false;
        out->is_const = false;
        return true;
    }
    char c = r->s[r->i];
    if (c == '\'')
        return read_string(r, out);
    if (isdigit((unsigned char)c) || c == '-')
        return read_number(r, out);
    size_t n = peek_word(r, w, sizeof w);
    if (n == 0)
        return fail(r, "expected an expression");
    r->i += n;
    if (strcmp(w, "NULL") == 0) {
        *out = (arg){vg_null(), VG_T_NULL, true};
        return true;
    }
    if (strcmp(w, "TRUE") == 0 || strcmp(w, "FALSE") == 0) {
        *out = (arg){vg_bool(w[0] == 'T'), VG_T_BOOL, true};
        return true;
    }
    if (strcmp(w, "TIMESTAMP") == 0) {
        int64_t ms;
        skip_ws(r);
        if (!read_string(r, out) || vg_ts_parse(out->v.u.s, out->v.len, &ms) < 0)
            return fail(r, "bad TIMESTAMP literal");
        *out = (arg){vg_int(ms), VG_T_TIMESTAMP, true};
        return true;
    }
    if (strcmp(w, "CAST") == 0)
        return read_cast(r, out);
    if (strcmp(w, "ARRAY") == 0 && eat(r, '['))
        return read_array(r, out);
    if (!eat(r, '('))
        return fail(r, "expected '('");
    return read_call(r, w, out);
}

/* The unit keyword of EXTRACT etc. as the parser passes it: 'UNIT'. */
static bool read_unit(reader *r, arg *out)
{
    char w[64];
    size_t n = peek_word(r, w, sizeof w);
    if (n == 0)
        return fail(r, "expected a unit");
    r->i += n;
    *out = str_arg(w, strlen(w));
    return true;
}

/* Arguments of the special forms, as the parser rewrites them. */
static bool read_special(reader *r, const char *name, arg *a, uint32_t *n)
{
    if (strcmp(name, "EXTRACT") == 0) {
        *n = 2;
        return read_unit(r, &a[0]) && eat_word(r, "FROM") && read_expr(r, &a[1]);
    }
    if (strcmp(name, "TIMESTAMPADD") == 0 || strcmp(name, "TIMESTAMPDIFF") == 0) {
        *n = 3;
        return read_unit(r, &a[0]) && eat(r, ',') && read_expr(r, &a[1]) && eat(r, ',') &&
               read_expr(r, &a[2]);
    }
    if (strcmp(name, "TRIM") == 0) {
        const char *mode = "BOTH";
        if (eat_word(r, "BOTH"))
            mode = "BOTH";
        else if (eat_word(r, "LEADING"))
            mode = "LEADING";
        else if (eat_word(r, "TRAILING"))
            mode = "TRAILING";
        a[1] = str_arg(" ", 1);
        if (!eat_word(r, "FROM") && (!read_expr(r, &a[1]) || !eat_word(r, "FROM")))
            return fail(r, "bad TRIM");
        a[2] = str_arg(mode, strlen(mode));
        *n = 3;
        return read_expr(r, &a[0]);
    }
    return fail(r, "unknown special form");
}

static bool is_special(reader *r, const char *name)
{
    size_t save = r->i;
    char w[64];
    bool yes = false;
    if (strcmp(name, "EXTRACT") == 0 || strcmp(name, "TIMESTAMPADD") == 0 ||
        strcmp(name, "TIMESTAMPDIFF") == 0) {
        size_t n = peek_word(r, w, sizeof w);
        yes = n > 0 && strcmp(w, "NULL") != 0;
    } else if (strcmp(name, "TRIM") == 0) {
        size_t depth = 0;
        for (size_t k = r->i; r->s[k] && !(depth == 0 && r->s[k] == ')'); k++) {
            depth += r->s[k] == '(';
            depth -= r->s[k] == ')' && depth;
            if (depth == 0 && strncmp(r->s + k, " FROM ", 6) == 0)
                yes = true;
        }
        yes = yes || eat_word(r, "BOTH") || eat_word(r, "LEADING") || eat_word(r, "TRAILING");
    }
    r->i = save;
    return yes;
}

/* Plain arguments, with FROM/FOR/TO/IN as separators for the forms that
 * take them. */
static bool read_call(reader *r, const char *name, arg *out)
{
    arg a[VG_FN_MAXARGS + 2];
    uint32_t n = 0;
    if (is_special(r, name)) {
        if (!read_special(r, name, a, &n) || !eat(r, ')'))
            return fail(r, "bad special form");
    } else if (!eat(r, ')')) {
        for (;;) {
            if (n == VG_FN_MAXARGS + 2 || !read_expr(r, &a[n]))
                return fail(r, "bad argument");
            n++;
            if (eat(r, ','))
                continue;
            if ((strcmp(name, "SUBSTRING") == 0 && (eat_word(r, "FROM") || eat_word(r, "FOR"))) ||
                (strcmp(name, "POSITION") == 0 && eat_word(r, "IN")))
                continue;
            if ((strcmp(name, "FLOOR") == 0 || strcmp(name, "CEIL") == 0 ||
                 strcmp(name, "CEILING") == 0) && eat_word(r, "TO")) {
                if (!read_unit(r, &a[n++]))
                    return false;
            }
            break;
        }
        if (!eat(r, ')'))
            return fail(r, "expected ')'");
    }
    run(r, name, a, n, out);
    return !r->err[0];
}

/* Apply a cast that check asked for. */
static bool cast(arg *x, vg_type to)
{
    if (x->t == to || x->t == VG_T_NULL)
        return true;
    if ((x->t == VG_T_INT || x->t == VG_T_BIGINT) && to == VG_T_BIGINT) {
        x->t = to;
        return true;
    }
    if ((x->t == VG_T_INT || x->t == VG_T_BIGINT) && to == VG_T_DOUBLE) {
        if (!x->v.null)
            x->v = vg_double((double)x->v.u.i);
        x->t = to;
        return true;
    }
    return false;
}

/* Check, prepare, evaluate and release one call. */
static void run(reader *r, const char *name, arg *a, uint32_t n, arg *out)
{
    const vg_func *f = vg_func_lookup(name);
    if (!f) {
        fail(r, "unknown function");
        return;
    }
    vg_fn_bind b;
    memset(&b, 0, sizeof b);
    b.nargs = n;
    bool all_const = true;
    for (uint32_t i = 0; i < n && i < VG_FN_MAXARGS; i++) {
        b.argt[i] = a[i].t;
        b.constv[i] = a[i].is_const ? &a[i].v : NULL;
        all_const = all_const && a[i].is_const;
    }
    bool top = r->depth == 0;
    if (vg_func_check(f, &b) < 0) {
        snprintf(r->err, sizeof r->err, "%s", b.msg);
        r->bad_arg = top ? b.bad_arg : -99;
        return;
    }
    vg_value vals[VG_FN_MAXARGS];
    bool any_null = false;
    for (uint32_t i = 0; i < n; i++) {
        if (!cast(&a[i], b.argt[i])) {
            fail(r, "unexpected cast");
            return;
        }
        vals[i] = a[i].v;
        any_null = any_null || a[i].v.null;
    }
    void *state = NULL;
    if (f->prepare && !(state = f->prepare(&b))) {
        snprintf(r->err, sizeof r->err, "%s", b.msg);
        r->bad_arg = top ? b.bad_arg : -99;
        return;
    }
    vg_fn_ctx ctx = {arena, state, 0};
    vg_value v = vg_null();
    if (!(f->flags & VG_FN_STRICT) || !any_null)
        b.eval(&ctx, vals, n, &v);
    if (f->release)
        f->release(state);
    if (ctx.failed)
        fail(r, "eval failed");
    *out = (arg){v, b.ret, all_const};
    r->ret = b.ret;
}

/* SQL-literal text of a value of type t. */
static void show(const arg *x, char *buf, size_t cap)
{
    if (x->v.null) {
        snprintf(buf, cap, "NULL");
        return;
    }
    switch (x->t) {
    case VG_T_ARRAY: { /* [e1, e2, ...], each element as a DOUBLE is shown */
        size_t k = (size_t)snprintf(buf, cap, "[");
        for (uint32_t i = 0; i < x->v.len && k + 48 < cap; i++) {
            arg e = {vg_array_nulls(&x->v)[i] ? vg_null() : vg_double(vg_array_elems(&x->v)[i]),
                     VG_T_DOUBLE, true};
            k += (size_t)snprintf(buf + k, cap - k, "%s", i ? ", " : "");
            show(&e, buf + k, cap - k);
            k += strlen(buf + k);
        }
        snprintf(buf + k, cap - k, "]");
        return;
    }
    case VG_T_STRING: {
        size_t k = 0;
        buf[k++] = '\'';
        for (uint32_t i = 0; i < x->v.len && k + 3 < cap; i++) {
            if (x->v.u.s[i] == '\'')
                buf[k++] = '\'';
            buf[k++] = x->v.u.s[i];
        }
        buf[k++] = '\'';
        buf[k] = 0;
        return;
    }
    case VG_T_BOOL:
        snprintf(buf, cap, "%s", x->v.u.i ? "TRUE" : "FALSE");
        return;
    case VG_T_DOUBLE:
        if (isnan(x->v.u.d))
            snprintf(buf, cap, "NaN");
        else if (isinf(x->v.u.d))
            snprintf(buf, cap, "%sInfinity", x->v.u.d < 0 ? "-" : "");
        else
            vg_double_format(x->v.u.d, buf);
        return;
    case VG_T_TIMESTAMP: {
        char ts[40];
        int len = vg_ts_format(x->v.u.i, ts);
        char *t = strchr(ts, 'T');
        if (t)
            *t = ' ';
        if (len > 0 && ts[len - 1] == 'Z')
            ts[len - 1] = 0;
        snprintf(buf, cap, "TIMESTAMP '%s'", ts);
        return;
    }
    default:
        snprintf(buf, cap, "%lld", (long long)x->v.u.i);
    }
}

/* Run sql; its result as text, or "ERROR: message" with *bad set. */
static const char *eval_sql(const char *sql, int *bad, vg_type *ret)
{
    static char text[70000];
    reader r = {sql, 0, "", -99, VG_T_NULL, 0};
    vg_arena_reset(arena);
    arg out;
    bool ok = read_expr(&r, &out);
    if (ok && (skip_ws(&r), r.s[r.i] != 0))
        ok = fail(&r, "trailing text");
    if (bad)
        *bad = r.bad_arg;
    if (ret)
        *ret = r.ret;
    if (!ok || r.err[0]) {
        snprintf(text, sizeof text, "ERROR: %s", r.err);
        return text;
    }
    show(&out, text, sizeof text);
    return text;
}

static void expect(int line, const char *sql, const char *want)
{
    const char *got = eval_sql(sql, NULL, NULL);
    if (strcmp(got, want) == 0) {
        check_passed++;
    } else {
        check_failed++;
        fprintf(stderr, "FAIL test_func.c:%d: %s\n  got  %s\n  want %s\n", line, sql, got, want);
    }
}

static void expect_error(int line, const char *sql, const char *msg, int bad_arg)
{
    int bad;
    const char *got = eval_sql(sql, &bad, NULL);
    char want[400];
    snprintf(want, sizeof want, "ERROR: %s", msg);
    if (strcmp(got, want) == 0 && bad == bad_arg) {
        check_passed++;
    } else {
        check_failed++;
        fprintf(stderr, "FAIL test_func.c:%d: %s\n  got  %s (arg %d)\n  want %s (arg %d)\n", line,
                sql, got, bad, want, bad_arg);
    }
}

static void expect_type(int line, const char *sql, const char *type)
{
    vg_type t;
    const char *got = eval_sql(sql, NULL, &t);
    if (strncmp(got, "ERROR", 5) != 0 && strcmp(vg_type_name(t), type) == 0) {
        check_passed++;
    } else {
        check_failed++;
        fprintf(stderr, "FAIL test_func.c:%d: %s\n  got  %s of type %s\n  want type %s\n", line,
                sql, got, vg_type_name(t), type);
    }
}

#define T(sql, want) expect(__LINE__, sql, want)
#define E(sql, msg, bad) expect_error(__LINE__, sql, msg, bad)
#define TY(sql, type) expect_type(__LINE__, sql, type)

/* ---- string functions ---- */

static void test_string(void)
{
    T("LOWER('ABC123xyz')", "'abc123xyz'");
    T("LOWER('')", "''");
    T("LOWER(NULL)", "NULL");
    T("LOWER(CAST(NULL AS STRING))", "NULL");
    T("UPPER('abc')", "'ABC'");
    T("UPPER('')", "''");
    T("UPPER(NULL)", "NULL");
    T("INITCAP('a1b c')", "'A1b C'");
    T("INITCAP('3rd PLACE')", "'3rd Place'");
    T("INITCAP('ñandu x')", "'ñAndu X'");
    T("INITCAP('')", "''");
    T("INITCAP(NULL)", "NULL");

    T("TRIM('  x  ')", "'x'");
    T("TRIM(TRAILING 'x' FROM 'xxhixx')", "'xxhi'");
    T("TRIM(BOTH 'xy' FROM 'xyyxhixy')", "'hi'");
    T("TRIM(BOTH FROM '  a b  ')", "'a b'");
    T("TRIM(LEADING FROM '  a  ')", "'a  '");
    T("TRIM('€' FROM '€€a€')", "'a'");
    T("TRIM(BOTH '' FROM ' a ')", "' a '");
    T("TRIM(BOTH 'x' FROM 'xxx')", "''");
    T("TRIM(BOTH 'é' FROM 'ëé')", "'ë'");
    T("TRIM(LEADING 'ab' FROM 'ñab')", "'ñab'");
    T("TRIM('')", "''");
    T("TRIM(NULL)", "NULL");
    T("TRIM(BOTH NULL FROM 'a')", "NULL");
    T("TRIM('xax', 'x', 'trailing')", "'xa'");
    T("LTRIM('xxa', 'x')", "'a'");
    T("LTRIM('')", "''");
    T("LTRIM(NULL)", "NULL");
    T("RTRIM('  x  ')", "'  x'");
    T("RTRIM('a€€', '€')", "'a'");
    T("RTRIM('a', NULL)", "NULL");

    T("SUBSTRING('hello', 2)", "'ello'");
    T("SUBSTRING('hello', 0)", "'hello'");
    T("SUBSTRING('hello', 0, 2)", "'he'");
    T("SUBSTRING('hello', 1, 2)", "'he'");
    T("SUBSTRING('hello', -3)", "'llo'");
    T("SUBSTRING('hello', -3, 2)", "'ll'");
    T("SUBSTRING('hello', -5)", "'hello'");
    T("SUBSTRING('hello', -6)", "''");
    T("SUBSTRING('hello', 5)", "'o'");
    T("SUBSTRING('hello', 6)", "''");
    T("SUBSTRING('hello', 2, 0)", "''");
    T("SUBSTRING('hello', 2, -1)", "NULL");
    T("SUBSTRING('hello', 2, 100)", "'ello'");
    T("SUBSTRING('', 1)", "''");
    T("SUBSTRING('', 1, -1)", "NULL");
    T("SUBSTRING('añb€c' FROM 2 FOR 3)", "'ñb€'");
    T("SUBSTRING('añb€c', -2)", "'€c'");
    T("SUBSTRING('hello', 9223372036854775807)", "''");
    T("SUBSTRING('hello', -9223372036854775808)", "''");
    T("SUBSTRING('hello', 1, 9223372036854775807)", "'hello'");
    T("SUBSTRING(NULL, 1)", "NULL");
    T("SUBSTRING('a', NULL)", "NULL");
    T("SUBSTR('hello', 2, 2)", "'el'");

    T("CHAR_LENGTH('')", "0");
    T("CHAR_LENGTH('abc')", "3");
    T("CHAR_LENGTH('€𝄞')", "2");
    T("CHAR_LENGTH(NULL)", "NULL");
    T("CHARACTER_LENGTH('añ')", "2");

    T("CONCAT('a')", "'a'");
    T("CONCAT('a', NULL)", "NULL");
    T("CONCAT('', '')", "''");
    T("CONCAT('añ', '€', 'b')", "'añ€b'");
    T("CONCAT(REPEAT('a', 9000000), REPEAT('b', 9000000))", "NULL");
    T("CHAR_LENGTH(CONCAT(REPEAT('a', 8000000), REPEAT('€', 2000000)))", "10000000");
    T("CONCAT_WS(NULL, 'a')", "NULL");
    T("CONCAT_WS(',', NULL, NULL)", "''");
    T("CONCAT_WS(',')", "''");
    T("CONCAT_WS(', ', 'a', 'b')", "'a, b'");
    T("CONCAT_WS('', 'a', 'b')", "'ab'");
    T("CONCAT_WS(',', '', 'x')", "',x'");
    T("CONCAT_WS(',', NULL, 'x', NULL, 'y')", "'x,y'");

    T("SPLIT_INDEX('Jack,John,Mary', ',', 0)", "'Jack'");
    T("SPLIT_INDEX('Jack,John,Mary', ',', 3)", "NULL");
    T("SPLIT_INDEX('Jack,John,Mary', ',', -1)", "NULL");
    T("SPLIT_INDEX('a,,b', ',', 1)", "''");
    T("SPLIT_INDEX('a,,b', ',', 2)", "'b'");
    T("SPLIT_INDEX('a,', ',', 1)", "''");
    T("SPLIT_INDEX(',a', ',', 0)", "''");
    T("SPLIT_INDEX('', ',', 0)", "NULL");
    T("SPLIT_INDEX('abc', ',', 0)", "'abc'");
    T("SPLIT_INDEX('abc', ',', 1)", "NULL");
    T("SPLIT_INDEX('a b\tc', '', 2)", "'c'");
    T("SPLIT_INDEX('a  b', '', 1)", "''");
    T("SPLIT_INDEX('a::b::c', '::', 2)", "'c'");
    T("SPLIT_INDEX('x€y€z', '€', 1)", "'y'");
    T("SPLIT_INDEX(NULL, ',', 0)", "NULL");
    T("SPLIT_INDEX('a', NULL, 0)", "NULL");
    T("SPLIT_INDEX('a,b', ',', NULL)", "NULL");
    T("SPLIT_INDEX('a,b', ',', 9223372036854775807)", "NULL");

    T("POSITION('b' IN 'abc')", "2");
    T("POSITION('z' IN 'abc')", "0");
    T("POSITION('' IN 'abc')", "1");
    T("POSITION('' IN '')", "1");
    T("POSITION('abcd' IN 'abc')", "0");
    T("POSITION('c' IN 'ñ€c')", "3");
    T("POSITION(NULL IN 'a')", "NULL");
    T("POSITION('a', 'ba')", "2");

    T("REPLACE('hello world', 'world', 'flink')", "'hello flink'");
    T("REPLACE('abc', '', '-')", "'-a-b-c-'");
    T("REPLACE('añb', '', '.')", "'.a.ñ.b.'");
    T("REPLACE('aaa', 'a', '')", "''");
    T("REPLACE('abc', 'x', 'y')", "'abc'");
    T("REPLACE('', 'a', 'b')", "''");
    T("REPLACE('', '', 'x')", "'x'");
    T("REPLACE('aaaa', 'aa', 'b')", "'bb'");
    T("REPLACE('a€a', '€', '€€')", "'a€€a'");
    T("REPLACE(NULL, 'a', 'b')", "NULL");

    T("LPAD('hi', 4, '**')", "'**hi'");
    T("LPAD('hi', 1, '**')", "'h'");
    T("LPAD('hi', 0, 'x')", "''");
    T("LPAD('hi', -1, 'x')", "NULL");
    T("LPAD('hi', 5, '')", "NULL");
    T("LPAD('ñ', 3, 'é')", "'ééñ'");
    T("LPAD('abc', 3, 'x')", "'abc'");
    T("LPAD('ab', 7, 'xyz')", "'xyzxyab'");
    T("LPAD('a', 2, NULL)", "NULL");
    T("LPAD('x', 20000000, 'y')", "NULL");
    T("RPAD('hi', 1, '**')", "'h'");
    T("RPAD('hi', 4, '**')", "'hi**'");
    T("RPAD('ñ', 3, 'é')", "'ñéé'");
    T("RPAD('', 2, 'ab')", "'ab'");
    T("RPAD('a', 9223372036854775807, 'b')", "NULL");

    T("REVERSE('')", "''");
    T("REVERSE('a€𝄞b')", "'b𝄞€a'");
    T("REVERSE(NULL)", "NULL");
    T("LEFT('abc', 0)", "''");
    T("LEFT('abc', -1)", "''");
    T("LEFT('abc', 5)", "'abc'");
    T("LEFT('ñab', 1)", "'ñ'");
    T("LEFT(NULL, 1)", "NULL");
    T("RIGHT('abc', 0)", "''");
    T("RIGHT('abc', -2)", "''");
    T("RIGHT('abc', 10)", "'abc'");
    T("RIGHT('abñ', 1)", "'ñ'");
    T("REPEAT('ab', 0)", "''");
    T("REPEAT('ab', -1)", "''");
    T("REPEAT('', 5)", "''");
    T("REPEAT('€', 2)", "'€€'");
    T("REPEAT('ab', 10000000)", "NULL");
    T("REPEAT('x', 9223372036854775807)", "NULL");
    T("REPEAT(NULL, 2)", "NULL");
}

static void test_string_errors(void)
{
    E("LOWER(1)", "function LOWER expects STRING, got INT", 0);
    E("UPPER(TRUE)", "function UPPER expects STRING, got BOOLEAN", 0);
    E("INITCAP(1.5)", "function INITCAP expects STRING, got DOUBLE", 0);
    E("CHAR_LENGTH(5)", "function CHAR_LENGTH expects STRING, got INT", 0);
    E("CHARACTER_LENGTH(5)", "function CHARACTER_LENGTH expects STRING, got INT", 0);
    E("SUBSTRING('hello', '2')", "function SUBSTRING expects an integer for argument 2, got STRING",
      1);
    E("SUBSTRING('hello', 2.5)", "function SUBSTRING expects an integer for argument 2, got DOUBLE",
      1);
    E("SUBSTR(TIMESTAMP '2024-01-01 00:00:00', 1)",
      "function SUBSTR expects STRING for argument 1, got TIMESTAMP(3)", 0);
    E("CONCAT('a', 1)", "function CONCAT expects STRING for argument 2, got INT", 1);
    E("CONCAT_WS(1, 'a')", "function CONCAT_WS expects STRING for argument 1, got INT", 0);
    E("TRIM('a', 'b', 'MIDDLE')",
      "the mode of TRIM must be a constant 'BOTH', 'LEADING' or 'TRAILING'", 2);
    E("TRIM('a', 'b', @'BOTH')",
      "the mode of TRIM must be a constant 'BOTH', 'LEADING' or 'TRAILING'", 2);
    E("TRIM(BOTH 1 FROM 'a')", "function TRIM expects STRING for argument 2, got INT", 1);
    E("SPLIT_INDEX('a', ',', '1')",
      "function SPLIT_INDEX expects an integer for argument 3, got STRING", 2);
    E("POSITION(1 IN 'a')", "function POSITION expects STRING for argument 1, got INT", 0);
    E("LPAD('a', 2, 3)", "function LPAD expects STRING for argument 3, got INT", 2);
    E("REPEAT('a', 2.0)", "function REPEAT expects an integer for argument 2, got DOUBLE", 1);
    E("LEFT(1, 1)", "function LEFT expects STRING for argument 1, got INT", 0);
}

/* ---- math ---- */

static void test_math(void)
{
    T("ABS(-5)", "5");
    T("ABS(0)", "0");
    T("ABS(-0.0)", "0.0");
    T("ABS(CAST(-5 AS BIGINT))", "5");
    T("ABS(-2147483647)", "2147483647");
    T("ABS(-2147483648)", "NULL");
    T("ABS(-9223372036854775807)", "9223372036854775807");
    T("ABS(-9223372036854775808)", "NULL");
    T("ABS(NULL)", "NULL");
    T("ABS(SQRT(-1))", "NaN");
    T("SIGN(0)", "0");
    T("SIGN(9223372036854775807)", "1");
    T("SIGN(3.5)", "1.0");
    T("SIGN(-0.5)", "-1.0");
    T("SIGN(-0.0)", "-0.0");
    T("SIGN(SQRT(-1))", "NaN");

    T("FLOOR(2.7)", "2.0");
    T("FLOOR(-2.5)", "-3.0");
    T("FLOOR(5)", "5");
    T("FLOOR(-9223372036854775808)", "-9223372036854775808");
    T("FLOOR(NULL)", "NULL");
    T("CEIL(2.1)", "3.0");
    T("CEIL(-0.5)", "-0.0");
    T("CEILING(4)", "4");
    T("CEIL(POWER(10, 400))", "Infinity");

    T("ROUND(2.5)", "3.0");
    T("ROUND(-2.5)", "-3.0");
    T("ROUND(1.4)", "1.0");
    T("ROUND(-0.4)", "0.0");
    T("ROUND(1.005, 2)", "1.01");
    T("ROUND(9.995, 2)", "10.0");
    T("ROUND(999.5)", "1000.0");
    T("ROUND(0.0005, 3)", "0.001");
    T("ROUND(0.0004, 3)", "0.0");
    T("ROUND(0.00049, 3)", "0.0");
    T("ROUND(1234.5678, -2)", "1200.0");
    T("ROUND(1234.5678, 10)", "1234.5678");
    T("ROUND(123.456, 400)", "123.456");
    T("ROUND(123.456, -400)", "0.0");
    T("ROUND(1e300, 2)", "1e+300");
    T("ROUND(-1.5e-300, 299)", "0.0");
    T("ROUND(SQRT(-1), 2)", "NaN");
    T("ROUND(2.5, NULL)", "NULL");
    T("ROUND(1250, -2)", "1300");
    T("ROUND(1249, -2)", "1200");
    T("ROUND(-1250, -2)", "-1300");
    T("ROUND(5, 2)", "5");
    T("ROUND(2147483647, -1)", "NULL");
    T("ROUND(CAST(2147483647 AS BIGINT), -1)", "2147483650");
    T("ROUND(9223372036854775807, -1)", "NULL");
    T("ROUND(-9223372036854775808, -2)", "-9223372036854775800");
    T("ROUND(-9223372036854775808, -1)", "NULL");
    T("ROUND(5000000000000000000, -19)", "NULL");
    T("ROUND(4999999999999999999, -19)", "0");
    T("ROUND(123, -20)", "0");
    T("TRUNCATE(42.324)", "42.0");
    T("TRUNCATE(-42.9)", "-42.0");
    T("TRUNCATE(-0.5)", "0.0");
    T("TRUNCATE(0.29, 1)", "0.2");
    T("TRUNCATE(1299, -2)", "1200");
    T("TRUNCATE(-1299, -2)", "-1200");
    T("TRUNCATE(-9223372036854775808, -1)", "-9223372036854775800");
    T("TRUNCATE(7, 3)", "7");

    T("MOD(7, -3)", "1");
    T("MOD(10, 3)", "1");
    T("MOD(7, 0)", "NULL");
    T("MOD(-9223372036854775808, -1)", "0");
    T("MOD(NULL, 3)", "NULL");

    T("POWER(0, 0)", "1.0");
    T("POWER(-8, 0.5)", "NaN");
    T("POWER(10, 400)", "Infinity");
    T("POWER(2, 0.5)", "1.4142135623730951");
    T("LN(0)", "-Infinity");
    T("LN(-1)", "NaN");
    T("LN(2.718281828459045)", "1.0");
    T("LOG10(0)", "-Infinity");
    T("LOG2(1024)", "10.0");
    T("LOG(1)", "0.0");
    T("LOG(10, 100)", "2.0");
    T("LOG(1, 5)", "Infinity");
    T("EXP(1)", "2.718281828459045");
    T("SQRT(-1)", "NaN");
    T("SQRT(4)", "2.0");
    T("SQRT(NULL)", "NULL");
    T("ACOS(2)", "NaN");
    T("SIN(NULL)", "NULL");
}

static void test_math_errors(void)
{
    E("ABS('x')", "function ABS expects a number, got STRING", 0);
    E("SIGN(TRUE)", "function SIGN expects a number, got BOOLEAN", 0);
    E("FLOOR('a')", "function FLOOR expects a number, got STRING", 0);
    E("FLOOR(TIMESTAMP '2024-01-01 00:00:00')", "function FLOOR expects a number, got TIMESTAMP(3)",
      0);
    E("ROUND(2.5, 1.5)", "function ROUND expects an integer for argument 2, got DOUBLE", 1);
    E("ROUND('2.5')", "function ROUND expects a number, got STRING", 0);
    E("TRUNCATE(1, 'a')", "function TRUNCATE expects an integer for argument 2, got STRING", 1);
    E("MOD(7.5, 2)", "function MOD expects an integer for argument 1, got DOUBLE", 0);
    E("MOD(7, 2.0)", "function MOD expects an integer for argument 2, got DOUBLE", 1);
    E("POWER('a', 2)", "function POWER expects a number for argument 1, got STRING", 0);
    E("SQRT('4')", "function SQRT expects a number, got STRING", 0);
    E("LOG(2, TRUE)", "function LOG expects a number for argument 2, got BOOLEAN", 1);
}

/* ---- time ---- */

#define TS "TIMESTAMP '2024-02-29 13:45:30.250'"
#define PRE "TIMESTAMP '1969-12-31 23:59:58.500'"

static void test_time(void)
{
    T("EXTRACT(YEAR FROM " TS ")", "2024");
    T("EXTRACT(QUARTER FROM " TS ")", "1");
    T("EXTRACT(MONTH FROM " TS ")", "2");
    T("EXTRACT(WEEK FROM " TS ")", "9");
    T("EXTRACT(DAY FROM " TS ")", "29");
    T("EXTRACT(HOUR FROM " TS ")", "13");
    T("EXTRACT(MINUTE FROM " TS ")", "45");
    T("EXTRACT(SECOND FROM " TS ")", "30");
    T("EXTRACT(DOW FROM " TS ")", "5");
    T("EXTRACT(DOY FROM " TS ")", "60");
    T("EXTRACT(EPOCH FROM " TS ")", "1709214330");
    T("EXTRACT(EPOCH FROM " PRE ")", "-1");
    T("EXTRACT(SECOND FROM " PRE ")", "58");
    T("EXTRACT(MILLISECOND FROM " PRE ")", "500");
    T("EXTRACT(HOUR FROM " PRE ")", "23");
    T("EXTRACT(YEAR FROM " PRE ")", "1969");
    T("EXTRACT(YEAR FROM NULL)", "NULL");
    T("EXTRACT(DOW FROM TIMESTAMP '2024-05-05 00:00:00')", "1");
    T("EXTRACT(DOW FROM TIMESTAMP '2024-05-04 23:59:59')", "7");
    T("WEEK(TIMESTAMP '2020-12-31 00:00:00')", "53");
    T("WEEK(TIMESTAMP '2019-12-30 00:00:00')", "1");
    T("WEEK(TIMESTAMP '2024-12-30 00:00:00')", "1");
    T("WEEK(TIMESTAMP '2027-01-01 00:00:00')", "53");
    T("DAYOFYEAR(TIMESTAMP '2023-12-31 00:00:00')", "365");
    T("DAYOFYEAR(TIMESTAMP '2024-12-31 00:00:00')", "366");
    T("DAYOFYEAR(TIMESTAMP '2100-03-01 00:00:00')", "60");
    T("DAYOFYEAR(TIMESTAMP '2000-03-01 00:00:00')", "61");
    T("QUARTER(TIMESTAMP '2024-12-31 23:59:59')", "4");
    T("YEAR(CAST(9223372036854775807 AS TIMESTAMP))", "292278994");
    T("YEAR(CAST(-9223372036854775808 AS TIMESTAMP))", "-292275055");
    T("DAYOFMONTH(NULL)", "NULL");

    T("FLOOR(TIMESTAMP '2024-05-01 10:30:00' TO DAY)", "TIMESTAMP '2024-05-01 00:00:00.000'");
    T("CEIL(TIMESTAMP '2024-05-01 10:30:00' TO DAY)", "TIMESTAMP '2024-05-02 00:00:00.000'");
    T("CEIL(TIMESTAMP '2024-05-01 10:00:00' TO HOUR)", "TIMESTAMP '2024-05-01 10:00:00.000'");
    T("FLOOR(TIMESTAMP '2024-05-01 10:30:00' TO WEEK)", "TIMESTAMP '2024-04-28 00:00:00.000'");
    T("CEIL(TIMESTAMP '2024-05-01 10:30:00' TO WEEK)", "TIMESTAMP '2024-05-05 00:00:00.000'");
    T("FLOOR(TIMESTAMP '2024-05-05 00:00:00' TO WEEK)", "TIMESTAMP '2024-05-05 00:00:00.000'");
    T("FLOOR(TIMESTAMP '2024-05-31 23:00:00' TO MONTH)", "TIMESTAMP '2024-05-01 00:00:00.000'");
    T("CEIL(TIMESTAMP '2024-05-01 10:00:00' TO MONTH)", "TIMESTAMP '2024-06-01 00:00:00.000'");
    T("CEIL(TIMESTAMP '2024-05-01 00:00:00' TO MONTH)", "TIMESTAMP '2024-05-01 00:00:00.000'");
    T("FLOOR(TIMESTAMP '2024-08-15 01:00:00' TO QUARTER)", "TIMESTAMP '2024-07-01 00:00:00.000'");
    T("CEIL(TIMESTAMP '2024-08-15 01:00:00' TO QUARTER)", "TIMESTAMP '2024-10-01 00:00:00.000'");
    T("CEIL(TIMESTAMP '2024-11-15 01:00:00' TO QUARTER)", "TIMESTAMP '2025-01-01 00:00:00.000'");
    T("FLOOR(TIMESTAMP '2024-08-15 01:00:00' TO YEAR)", "TIMESTAMP '2024-01-01 00:00:00.000'");
    T("CEIL(TIMESTAMP '2024-01-01 00:00:00.001' TO YEAR)", "TIMESTAMP '2025-01-01 00:00:00.000'");
    T("FLOOR(" PRE " TO SECOND)", "TIMESTAMP '1969-12-31 23:59:58.000'");
    T("CEIL(" PRE " TO SECOND)", "TIMESTAMP '1969-12-31 23:59:59.000'");
    T("FLOOR(" PRE " TO MINUTE)", "TIMESTAMP '1969-12-31 23:59:00.000'");
    T("FLOOR(" PRE " TO DAY)", "TIMESTAMP '1969-12-31 00:00:00.000'");
    T("FLOOR(" TS " TO MILLISECOND)", "TIMESTAMP '2024-02-29 13:45:30.250'");
    T("FLOOR(NULL TO DAY)", "NULL");
    T("FLOOR(CAST(-9223372036854775808 AS TIMESTAMP) TO SECOND)", "NULL");
    T("CEIL(CAST(9223372036854775807 AS TIMESTAMP) TO DAY)", "NULL");
    T("FLOOR(CAST(9223372036854775807 AS TIMESTAMP) TO YEAR)",
      "TIMESTAMP '+292278994-01-01 00:00:00.000'");

    T("TIMESTAMPADD(MONTH, 1, TIMESTAMP '2023-01-31 00:00:00')",
      "TIMESTAMP '2023-02-28 00:00:00.000'");
    T("TIMESTAMPADD(YEAR, 1, TIMESTAMP '2024-02-29 00:00:00')",
      "TIMESTAMP '2025-02-28 00:00:00.000'");
    T("TIMESTAMPADD(YEAR, 4, TIMESTAMP '2024-02-29 00:00:00')",
      "TIMESTAMP '2028-02-29 00:00:00.000'");
    T("TIMESTAMPADD(QUARTER, 1, TIMESTAMP '2024-11-30 05:00:00')",
      "TIMESTAMP '2025-02-28 05:00:00.000'");
    T("TIMESTAMPADD(MONTH, -1, TIMESTAMP '2024-03-31 00:00:00')",
      "TIMESTAMP '2024-02-29 00:00:00.000'");
    T("TIMESTAMPADD(MONTH, -13, TIMESTAMP '2024-01-15 00:00:00')",
      "TIMESTAMP '2022-12-15 00:00:00.000'");
    T("TIMESTAMPADD(DAY, 1, TIMESTAMP '2024-02-28 12:00:00')",
      "TIMESTAMP '2024-02-29 12:00:00.000'");
    T("TIMESTAMPADD(HOUR, -25, TIMESTAMP '2024-03-01 00:00:00')",
      "TIMESTAMP '2024-02-28 23:00:00.000'");
    T("TIMESTAMPADD(SECOND, 90, TIMESTAMP '2024-03-01 00:00:00')",
      "TIMESTAMP '2024-03-01 00:01:30.000'");
    T("TIMESTAMPADD(MINUTE, 61, TIMESTAMP '2024-03-01 00:00:00')",
      "TIMESTAMP '2024-03-01 01:01:00.000'");
    T("TIMESTAMPADD(WEEK, 2, TIMESTAMP '2024-12-25 00:00:00')",
      "TIMESTAMP '2025-01-08 00:00:00.000'");
    T("TIMESTAMPADD(DAY, NULL, " TS ")", "NULL");
    T("TIMESTAMPADD(DAY, 9223372036854775807, " TS ")", "NULL");
    T("TIMESTAMPADD(MONTH, -9223372036854775808, " TS ")", "NULL");
    T("TIMESTAMPADD(YEAR, 1, CAST(9223372036854775807 AS TIMESTAMP))", "NULL");

    T("TIMESTAMPDIFF(MONTH, TIMESTAMP '2024-01-31 10:00:00', TIMESTAMP '2024-02-29 09:00:00')",
      "0");
    T("TIMESTAMPDIFF(MONTH, TIMESTAMP '2024-02-29 00:00:00', TIMESTAMP '2024-01-31 00:00:00')",
      "-1");
    T("TIMESTAMPDIFF(MONTH, TIMESTAMP '2024-03-15 10:00:00', TIMESTAMP '2024-01-15 12:00:00')",
      "-1");
    T("TIMESTAMPDIFF(DAY, TIMESTAMP '2024-01-01 00:00:00', TIMESTAMP '2024-01-02 23:59:00')",
      "1");
    T("TIMESTAMPDIFF(DAY, TIMESTAMP '2024-01-02 23:59:00', TIMESTAMP '2024-01-01 00:00:00')",
      "-1");
    T("TIMESTAMPDIFF(HOUR, " TS ", " TS ")", "0");
    T("TIMESTAMPDIFF(YEAR, TIMESTAMP '2020-02-29 00:00:00', TIMESTAMP '2021-02-28 00:00:00')",
      "1");
    T("TIMESTAMPDIFF(YEAR, TIMESTAMP '2020-03-01 00:00:00', TIMESTAMP '2021-02-28 00:00:00')",
      "0");
    T("TIMESTAMPDIFF(QUARTER, TIMESTAMP '2024-01-15 00:00:00', TIMESTAMP '2024-07-14 00:00:00')",
      "1");
    T("TIMESTAMPDIFF(WEEK, TIMESTAMP '2024-01-01 00:00:00', TIMESTAMP '2024-01-15 00:00:00')",
      "2");
    T("TIMESTAMPDIFF(MINUTE, TIMESTAMP '2024-01-01 00:00:59.999', "
      "TIMESTAMP '2024-01-01 00:01:00')",
      "0");
    T("TIMESTAMPDIFF(SECOND, TIMESTAMP '1970-01-01 00:00:00', TIMESTAMP '2038-01-19 03:14:07')",
      "2147483647");
    T("TIMESTAMPDIFF(SECOND, TIMESTAMP '1970-01-01 00:00:00', TIMESTAMP '2038-01-19 03:14:08')",
      "NULL");
    T("TIMESTAMPDIFF(SECOND, CAST(-9223372036854775808 AS TIMESTAMP), "
      "CAST(9223372036854775807 AS TIMESTAMP))",
      "NULL");
    T("TIMESTAMPDIFF(YEAR, CAST(-9223372036854775808 AS TIMESTAMP), "
      "CAST(9223372036854775807 AS TIMESTAMP))",
      "584554049");
    T("TIMESTAMPDIFF(DAY, NULL, " TS ")", "NULL");

    T("TO_TIMESTAMP_LTZ(1714564800, 0)", "TIMESTAMP '2024-05-01 12:00:00.000'");
    T("TO_TIMESTAMP_LTZ(1714564800123)", "TIMESTAMP '2024-05-01 12:00:00.123'");
    T("TO_TIMESTAMP_LTZ(1.5, 0)", "TIMESTAMP '1970-01-01 00:00:01.500'");
    T("TO_TIMESTAMP_LTZ(1500.9, 3)", "TIMESTAMP '1970-01-01 00:00:01.500'");
    T("TO_TIMESTAMP_LTZ(-1, 3)", "TIMESTAMP '1969-12-31 23:59:59.999'");
    T("TO_TIMESTAMP_LTZ(253402300799, 0)", "TIMESTAMP '9999-12-31 23:59:59.000'");
    T("TO_TIMESTAMP_LTZ(253402300800, 0)", "NULL");
    T("TO_TIMESTAMP_LTZ(-62167219200, 0)", "TIMESTAMP '0000-01-01 00:00:00.000'");
    T("TO_TIMESTAMP_LTZ(-62167219201, 0)", "NULL");
    T("TO_TIMESTAMP_LTZ(9223372036854775807, 0)", "NULL");
    T("TO_TIMESTAMP_LTZ(SQRT(-1), 0)", "NULL");
    T("TO_TIMESTAMP_LTZ(NULL, 3)", "NULL");
    T("TO_TIMESTAMP_LTZ(1, NULL)", "NULL");
}

static void test_time_errors(void)
{
    E("EXTRACT(FORTNIGHT FROM " TS ")", "function EXTRACT does not support the unit FORTNIGHT", 0);
    E("EXTRACT(YEAR FROM 'x')", "function EXTRACT expects TIMESTAMP(3) for argument 2, got STRING",
      1);
    E("EXTRACT(@'YEAR', " TS ")", "the unit of EXTRACT must be a constant time unit", 0);
    E("EXTRACT(NULL, " TS ")", "the unit of EXTRACT must be a constant time unit", 0);
    E("YEAR('2024')", "function YEAR expects TIMESTAMP(3), got STRING", 0);
    E("FLOOR(" TS " TO DOW)", "function FLOOR does not support the unit DOW", 1);
    E("CEIL(" TS " TO EPOCH)", "function CEIL does not support the unit EPOCH", 1);
    E("FLOOR(5, 'HOUR')", "function FLOOR expects TIMESTAMP(3) for argument 1, got INT", 0);
    E("CEILING(" TS ", 5)", "the unit of CEILING must be a constant time unit", 1);
    E("TIMESTAMPADD(MILLISECOND, 1, " TS ")",
      "function TIMESTAMPADD does not support the unit MILLISECOND", 0);
    E("TIMESTAMPADD(DAY, 1.5, " TS ")",
      "function TIMESTAMPADD expects an integer for argument 2, got DOUBLE", 1);
    E("TIMESTAMPADD(DAY, 1, 'x')",
      "function TIMESTAMPADD expects TIMESTAMP(3) for argument 3, got STRING", 2);
    E("TIMESTAMPDIFF(DOY, " TS ", " TS ")", "function TIMESTAMPDIFF does not support the unit DOY",
      0);
    E("TIMESTAMPDIFF(DAY, " TS ", 1)",
      "function TIMESTAMPDIFF expects TIMESTAMP(3) for argument 3, got INT", 2);
    E("TO_TIMESTAMP_LTZ(1, 2)", "the precision of TO_TIMESTAMP_LTZ must be a constant 0 or 3", 1);
    E("TO_TIMESTAMP_LTZ(1, @3)", "the precision of TO_TIMESTAMP_LTZ must be a constant 0 or 3", 1);
    E("TO_TIMESTAMP_LTZ('x', 3)",
      "function TO_TIMESTAMP_LTZ expects a number for argument 1, got STRING", 0);
}

static void test_datefmt(void)
{
    T("DATE_FORMAT(" TS ", 'yy/M/d h:mm a')", "'24/2/29 1:45 PM'");
    T("DATE_FORMAT(" TS ", 'EEE, d MMM yyyy')", "'Thu, 29 Feb 2024'");
    T("DATE_FORMAT(" TS ", 'EEEE MMMM')", "'Thursday February'");
    T("DATE_FORMAT(" TS ", 'D DDD')", "'60 060'");
    T("DATE_FORMAT(" TS ", 'S SSSSSS')", "'2 250000'");
    T("DATE_FORMAT(" TS ", 'HH:mm:ss.SSS')", "'13:45:30.250'");
    T("DATE_FORMAT(TIMESTAMP '2024-05-01 00:05:00', 'kk KK hh a')", "'24 00 12 AM'");
    T("DATE_FORMAT(" TS ", '''at'' HH ''o''''clock''')", "'at 13 o''clock'");
    T("DATE_FORMAT(" TS ", '''''')", "''''");
    T("DATE_FORMAT(" TS ", '')", "''");
    T("DATE_FORMAT(" TS ", '[yyyy] #')", "'[2024] #'");
    T("DATE_FORMAT(" TS ", @'yyyy')", "'2024'");
    T("DATE_FORMAT(" TS ", @'Q')", "NULL");
    T("DATE_FORMAT('2024-05-01 08:05:09', 'dd.MM.yyyy')", "'01.05.2024'");
    T("DATE_FORMAT('2024-05-01', 'yyyy')", "NULL");
    T("DATE_FORMAT('garbage', 'yyyy')", "NULL");
    T("DATE_FORMAT(NULL, 'yyyy')", "NULL");
    T("DATE_FORMAT(" TS ", NULL)", "NULL");
    T("DATE_FORMAT(CAST(253402300800000 AS TIMESTAMP), 'yyyy-MM')", "'+10000-01'");
    T("DATE_FORMAT(TIMESTAMP '0033-01-01 00:00:00', 'yyyy yy y')", "'0033 33 33'");

    T("TO_TIMESTAMP('2024-05-01 12:00:00')", "TIMESTAMP '2024-05-01 12:00:00.000'");
    T("TO_TIMESTAMP('2024-5-1')", "TIMESTAMP '2024-05-01 00:00:00.000'");
    T("TO_TIMESTAMP('2024-05-01 12:00:00.123456')", "TIMESTAMP '2024-05-01 12:00:00.123'");
    T("TO_TIMESTAMP('2024-05-01 1:2:3.5')", "TIMESTAMP '2024-05-01 01:02:03.500'");
    T("TO_TIMESTAMP('  2024-05-01  ')", "TIMESTAMP '2024-05-01 00:00:00.000'");
    T("TO_TIMESTAMP('2024-02-29')", "TIMESTAMP '2024-02-29 00:00:00.000'");
    T("TO_TIMESTAMP('2024-02-30')", "NULL");
    T("TO_TIMESTAMP('2023-02-29')", "NULL");
    T("TO_TIMESTAMP('2024-05-01T12:00:00')", "NULL");
    T("TO_TIMESTAMP('2024-05-01 24:00:00')", "NULL");
    T("TO_TIMESTAMP('24-05-01')", "NULL");
    T("TO_TIMESTAMP('x')", "NULL");
    T("TO_TIMESTAMP('')", "NULL");
    T("TO_TIMESTAMP(NULL)", "NULL");
    T("TO_TIMESTAMP('20240501', 'yyyyMMdd')", "TIMESTAMP '2024-05-01 00:00:00.000'");
    T("TO_TIMESTAMP('2024-05-01 1:02:03', 'yyyy-MM-dd H:m:s')",
      "TIMESTAMP '2024-05-01 01:02:03.000'");
    T("TO_TIMESTAMP('2024-05-01', 'yyyy-MM-dd HH:mm')", "TIMESTAMP '2024-05-01 00:00:00.000'");
    T("TO_TIMESTAMP('01-05-2024', 'yyyy-MM-dd')", "NULL");
    T("TO_TIMESTAMP('1.5.2024', 'd.M.yyyy')", "TIMESTAMP '2024-05-01 00:00:00.000'");
    T("TO_TIMESTAMP('May 1 2024', 'MMM d yyyy')", "TIMESTAMP '2024-05-01 00:00:00.000'");
    T("TO_TIMESTAMP('Sunday, 5 May 2024', 'EEEE, d MMMM yyyy')",
      "TIMESTAMP '2024-05-05 00:00:00.000'");
    T("TO_TIMESTAMP('12:30 PM', 'hh:mm a')", "TIMESTAMP '1970-01-01 12:30:00.000'");
    T("TO_TIMESTAMP('12:30 AM', 'hh:mm a')", "TIMESTAMP '1970-01-01 00:30:00.000'");
    T("TO_TIMESTAMP('01:30 PM', 'hh:mm a')", "TIMESTAMP '1970-01-01 13:30:00.000'");
    T("TO_TIMESTAMP('13:30 PM', 'hh:mm a')", "NULL");
    T("TO_TIMESTAMP('2024-05-01 12:00:00.5', 'yyyy-MM-dd HH:mm:ss.S')",
      "TIMESTAMP '2024-05-01 12:00:00.500'");
    T("TO_TIMESTAMP('2024-060', 'yyyy-DDD')", "TIMESTAMP '2024-02-29 00:00:00.000'");
    T("TO_TIMESTAMP('2023-366', 'yyyy-DDD')", "NULL");
    T("TO_TIMESTAMP('2024-05-01x', 'yyyy-MM-dd')", "NULL");
    T("TO_TIMESTAMP('24-05-01', 'yy-MM-dd')", "TIMESTAMP '2024-05-01 00:00:00.000'");
    T("TO_TIMESTAMP('2024-05-01T08:00', 'yyyy-MM-dd''T''HH:mm')",
      "TIMESTAMP '2024-05-01 08:00:00.000'");
    T("TO_TIMESTAMP('2024-05-01', @'yyyy-MM-dd')", "TIMESTAMP '2024-05-01 00:00:00.000'");
    T("TO_TIMESTAMP('2024', @'Q')", "NULL");
    T("TO_TIMESTAMP('2024-05-01', NULL)", "NULL");

    T("UNIX_TIMESTAMP('1970-01-01 00:00:01')", "1");
    T("UNIX_TIMESTAMP('1969-12-31 23:59:59')", "-1");
    T("UNIX_TIMESTAMP('1970-01-01 08:00:01.001 +0800', 'yyyy-MM-dd HH:mm:ss.SSS')", "28801");
    T("UNIX_TIMESTAMP('bad')", "-9223372036854775808");
    T("UNIX_TIMESTAMP('2024-5-1 1:2:3')", "1714525323");
    T("UNIX_TIMESTAMP('20240501', 'yyyyMMdd')", "1714521600");
    T("UNIX_TIMESTAMP('1970-01-01 00:00:00.999', 'yyyy-MM-dd HH:mm:ss.SSS')", "0");
    T("UNIX_TIMESTAMP(NULL)", "NULL");

    E("DATE_FORMAT(" TS ", 'yyyy-Q')", "function DATE_FORMAT: pattern letter 'Q' is not supported",
      1);
    E("DATE_FORMAT(" TS ", 'ddd')", "function DATE_FORMAT: too many pattern letters 'd'", 1);
    E("DATE_FORMAT(" TS ", '''abc')", "function DATE_FORMAT: unterminated quote in the format", 1);
    E("DATE_FORMAT(5, 'yyyy')",
      "function DATE_FORMAT expects TIMESTAMP(3) or STRING for argument 1, got INT", 0);
    E("DATE_FORMAT(" TS ", 5)", "function DATE_FORMAT expects STRING for argument 2, got INT", 1);
    E("TO_TIMESTAMP('x', 'Q')", "function TO_TIMESTAMP: pattern letter 'Q' is not supported", 1);
    E("TO_TIMESTAMP(5)", "function TO_TIMESTAMP expects STRING, got INT", 0);
    E("UNIX_TIMESTAMP('x', 'yyyy-MM-dd HH:mm:ss z')",
      "function UNIX_TIMESTAMP: pattern letter 'z' is not supported", 1);
}

/* ---- regular expressions ---- */

static void test_regex(void)
{
    T("REGEXP('abc', 'x')", "FALSE");
    T("REGEXP('abc', 'b')", "TRUE");
    T("REGEXP('abc', '')", "FALSE");
    T("REGEXP('', '^$')", "TRUE");
    T("REGEXP('ABC', '(?i)abc')", "TRUE");
    T("REGEXP('añb', '^a.b$')", "TRUE");
    T("REGEXP('a\xff" "b', 'b')", "NULL");
    T("REGEXP(NULL, 'a')", "NULL");
    T("REGEXP('a', NULL)", "NULL");
    T("REGEXP_EXTRACT('foothebar', 'foo(.*?)(bar)', 1)", "'the'");
    T("REGEXP_EXTRACT('foothebar', 'foo(.*?)(bar)', 0)", "'foothebar'");
    T("REGEXP_EXTRACT('foothebar', 'foo(.*?)(bar)')", "'foothebar'");
    T("REGEXP_EXTRACT('abc', 'x')", "NULL");
    T("REGEXP_EXTRACT('ab', '(x)?b', 1)", "NULL");
    T("REGEXP_EXTRACT('abc', '(b)', @5)", "NULL");
    T("REGEXP_EXTRACT('abc', '(b)', @-1)", "NULL");
    T("REGEXP_EXTRACT('a1b22', '[0-9]+')", "'1'");
    T("REGEXP_EXTRACT('€x', '.')", "'€'");
    T("REGEXP_EXTRACT('abc', '(b)', NULL)", "NULL");
    T("REGEXP_REPLACE('foobar', 'oo|ar', '')", "'fb'");
    T("REGEXP_REPLACE('2014-03-13', '-', '')", "'20140313'");
    T("REGEXP_REPLACE('abc', '', 's')", "'sasbscs'");
    T("REGEXP_REPLACE('baaac', 'a*', 's')", "'sbsscs'");
    T("REGEXP_REPLACE('100-200', '(\\d+)', 'num')", "'num-num'");
    T("REGEXP_REPLACE('abc', '(b)', '$1')", "'a$1c'");
    T("REGEXP_REPLACE('a.b', '\\.', '\\')", "'a\\b'");
    T("REGEXP_REPLACE('añb', '', '-')", "'-a-ñ-b-'");
    T("REGEXP_REPLACE('', 'x*', 'y')", "'y'");
    T("REGEXP_REPLACE('aaa', 'a', 'bb')", "'bbbbbb'");
    T("REGEXP_REPLACE('abc', 'x', 'y')", "'abc'");
    T("REGEXP_REPLACE('x' , '(?<=x)', 'y')", "'xy'");
    T("REGEXP_REPLACE('aaa', 'a', REPEAT('b', 6000000))", "NULL");
    T("CHAR_LENGTH(REGEXP_REPLACE(REPEAT('ab', 100000), 'b', 'cc'))", "300000");
    T("REGEXP_REPLACE(NULL, 'a', 'b')", "NULL");
    T("REGEXP_REPLACE('a', 'a', NULL)", "NULL");

    E("REGEXP('a', @'a')", "the pattern of REGEXP must be a constant string", 1);
    E("REGEXP_EXTRACT('a', @'a')", "the pattern of REGEXP_EXTRACT must be a constant string", 1);
    E("REGEXP_REPLACE('a', @'a', 'b')", "the pattern of REGEXP_REPLACE must be a constant string",
      1);
    E("REGEXP('a', '(ab')", "invalid regular expression: missing closing parenthesis at offset 3",
      1);
    E("REGEXP_REPLACE('a', 'a{2,1}', 'b')",
      "invalid regular expression: numbers out of order in {} quantifier at offset 5", 1);
    E("REGEXP('a', 5)", "function REGEXP expects STRING for argument 2, got INT", 1);
    E("REGEXP(5, 'a')", "function REGEXP expects STRING for argument 1, got INT", 0);
    E("REGEXP_EXTRACT('abc', '(b)', 2)",
      "function REGEXP_EXTRACT: group 2 does not exist, the pattern has 1 group", 2);
    E("REGEXP_EXTRACT('abc', 'b', -1)",
      "function REGEXP_EXTRACT: group -1 does not exist, the pattern has 0 groups", 2);
    E("REGEXP_EXTRACT('abc', 'b', 'x')",
      "function REGEXP_EXTRACT expects an integer for argument 3, got STRING", 2);
    E("REGEXP_REPLACE('abc', 'b', 1)",
      "function REGEXP_REPLACE expects STRING for argument 3, got INT", 2);
}

static void test_hash(void)
{
    T("MD5('')", "'d41d8cd98f00b204e9800998ecf8427e'");
    T("MD5('€')", "'bca53fde466a76b7bee3e18997e94a7a'");
    T("SHA1('')", "'da39a3ee5e6b4b0d3255bfef95601890afd80709'");
    T("SHA256('')", "'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'");
    T("MD5(NULL)", "NULL");
    T("SHA512(NULL)", "NULL");
    E("MD5(1)", "function MD5 expects STRING, got INT", 0);
    E("SHA256(TRUE)", "function SHA256 expects STRING, got BOOLEAN", 0);
}

/* ARRAY[...], a[i] (ITEM) and CARDINALITY; '@' makes an index non-constant. */
static void test_collection(void)
{
    T("ARRAY[0.25, 1, NULL]", "[0.25, 1.0, NULL]");
    T("ARRAY[NULL]", "[NULL]");
    TY("ARRAY[1]", "ARRAY<DOUBLE>");
    T("ARRAY[0.2, 0.8][1]", "0.2");
    T("ARRAY[0.2, 0.8][2]", "0.8");
    T("ARRAY[0.2, 0.8][@1]", "0.2");
    T("ARRAY[0.2, 0.8][@2]", "0.8");
    T("ARRAY[0.2, 0.8][3]", "NULL");
    T("ARRAY[0.2, 0.8][@0]", "NULL");
    T("ARRAY[0.2, 0.8][@-1]", "NULL");
    T("ARRAY[0.2, 0.8][@9223372036854775807]", "NULL");
    T("ARRAY[0.2, 0.8][@-9223372036854775807]", "NULL");
    T("ARRAY[0.2, 0.8][NULL]", "NULL");
    T("ARRAY[0.2, NULL][2]", "NULL");
    T("ARRAY[0.5][1][1]", "ERROR: cannot access an element of DOUBLE: only an ARRAY has elements");
    TY("ARRAY[1][1]", "DOUBLE");
    T("CARDINALITY(ARRAY[0.2, NULL, 1])", "3");
    T("CARDINALITY(NULL)", "NULL");
    TY("CARDINALITY(ARRAY[1])", "INT");
    T("COALESCE(NULL, ARRAY[1.5])", "[1.5]");
    T("IF(FALSE, ARRAY[1], ARRAY[2, 3])", "[2.0, 3.0]");
    E("ARRAY[0.2][0]", "array index must be 1 or more (elements are numbered from 1), got 0", 1);
    E("ARRAY[0.2][-1]", "array index must be 1 or more (elements are numbered from 1), got -1",
      1);
    E("ARRAY[0.2][1.0]", "array index must be an integer, got DOUBLE", 1);
    E("ARRAY[0.2]['1']", "array index must be an integer, got STRING", 1);
    E("ITEM('a', 1)", "cannot access an element of STRING: only an ARRAY has elements", 0);
    E("ARRAY[1, 'a']", "ARRAY elements must be numbers (vigil has ARRAY<DOUBLE>), got STRING", 1);
    E("ARRAY[TRUE]", "ARRAY elements must be numbers (vigil has ARRAY<DOUBLE>), got BOOLEAN", 0);
    E("CARDINALITY(1)", "function CARDINALITY expects ARRAY<DOUBLE>, got INT", 0);
    E("NULLIF(ARRAY[1], ARRAY[1])", "function NULLIF cannot compare ARRAY<DOUBLE> values", 0);
    E("GREATEST(ARRAY[1], ARRAY[2])", "function GREATEST cannot compare ARRAY<DOUBLE> values", 0);
    E("COALESCE(ARRAY[1], 1)", "function COALESCE: no common type for ARRAY<DOUBLE> and INT", 1);
}

static void test_cond(void)
{
    T("COALESCE(NULL, NULL)", "NULL");
    T("COALESCE(NULL, 1, 2)", "1");
    T("COALESCE(1, 2.5)", "1.0");
    T("COALESCE(CAST(NULL AS STRING), 'x')", "'x'");
    T("COALESCE(NULL, " TS ")", "TIMESTAMP '2024-02-29 13:45:30.250'");
    T("IFNULL('a', 'b')", "'a'");
    T("IFNULL(NULL, NULL)", "NULL");
    T("NULLIF(5, 0)", "5");
    T("NULLIF(NULL, 5)", "NULL");
    T("NULLIF(5, NULL)", "5");
    T("NULLIF('a', 'a')", "NULL");
    T("NULLIF('a', 'ab')", "'a'");
    T("NULLIF(1, 1.0)", "NULL");
    T("NULLIF(SQRT(-1), SQRT(-1))", "NaN");
    T("NULLIF(0.0, -0.0)", "NULL");
    T("NULLIF(" TS ", " TS ")", "NULL");
    T("NULLIF(TRUE, FALSE)", "TRUE");
    T("IF(TRUE, 'yes', 'no')", "'yes'");
    T("IF(NULL, 'yes', 'no')", "'no'");
    T("IF(TRUE, NULL, 'no')", "NULL");
    T("IF(TRUE, 1, 2.5)", "1.0");
    T("GREATEST(1, 2, 3)", "3");
    T("GREATEST(3, NULL)", "NULL");
    T("GREATEST('b', 'a', 'c')", "'c'");
    T("GREATEST('é', 'z')", "'é'");
    T("GREATEST(" TS ", " PRE ")", "TIMESTAMP '2024-02-29 13:45:30.250'");
    T("GREATEST(1, SQRT(-1))", "NaN");
    T("GREATEST(TRUE, FALSE)", "TRUE");
    T("GREATEST(5)", "5");
    T("LEAST(3, 1, 2)", "1");
    T("LEAST(NULL, 1)", "NULL");
    T("LEAST(-9223372036854775808, 9223372036854775807)", "-9223372036854775808");
    T("LEAST(2.5, 1)", "1.0");
    T("LEAST('ab', 'a')", "'a'");

    E("COALESCE('a', 1)", "function COALESCE: no common type for STRING and INT", 1);
    E("IFNULL(1, 'b')", "function IFNULL: no common type for INT and STRING", 1);
    E("NULLIF('a', 1)", "function NULLIF: no common type for STRING and INT", 1);
    E("IF(1, 'a', 'b')", "function IF expects BOOLEAN for argument 1, got INT", 0);
    E("IF(TRUE, 1, 'a')", "function IF: no common type for INT and STRING", 2);
    E("GREATEST('a', 1)", "function GREATEST: no common type for STRING and INT", 1);
    E("LEAST(1, 2, " TS ")", "function LEAST: no common type for INT and TIMESTAMP(3)", 2);
}

static void test_types(void)
{
    TY("ABS(-5)", "INT");
    TY("ABS(-5.0)", "DOUBLE");
    TY("ABS(CAST(1 AS BIGINT))", "BIGINT");
    TY("ABS(NULL)", "NULL");
    TY("ROUND(CAST(5 AS BIGINT))", "BIGINT");
    TY("ROUND(5.5, 1)", "DOUBLE");
    TY("FLOOR(2)", "INT");
    TY("SIGN(2.0)", "DOUBLE");
    TY("MOD(CAST(10 AS BIGINT), 3)", "INT");
    TY("MOD(10, CAST(3 AS BIGINT))", "BIGINT");
    TY("POWER(2, 2)", "DOUBLE");
    TY("PI()", "DOUBLE");
    TY("CHAR_LENGTH('a')", "INT");
    TY("POSITION('a' IN 'a')", "INT");
    TY("LOWER(NULL)", "STRING");
    TY("EXTRACT(YEAR FROM " TS ")", "BIGINT");
    TY("HOUR(" TS ")", "BIGINT");
    TY("FLOOR(" TS " TO DAY)", "TIMESTAMP(3)");
    TY("TIMESTAMPADD(DAY, 1, " TS ")", "TIMESTAMP(3)");
    TY("TIMESTAMPDIFF(DAY, " TS ", " TS ")", "INT");
    TY("TO_TIMESTAMP_LTZ(1, 0)", "TIMESTAMP(3)");
    TY("DATE_FORMAT(" TS ", 'yyyy')", "STRING");
    TY("TO_TIMESTAMP('2024-01-01')", "TIMESTAMP(3)");
    TY("UNIX_TIMESTAMP('x')", "BIGINT");
    TY("REGEXP('a', 'a')", "BOOLEAN");
    TY("REGEXP_EXTRACT('a', 'a')", "STRING");
    TY("MD5('a')", "STRING");
    TY("COALESCE(NULL, NULL)", "NULL");
    TY("COALESCE(1, CAST(2 AS BIGINT))", "BIGINT");
    TY("GREATEST(1, CAST(2 AS BIGINT))", "BIGINT");
    TY("IF(TRUE, 1, 2)", "INT");
    TY("NULLIF(1, 2.0)", "DOUBLE");
}

/* ---- the table itself ---- */

static const char *const categories[] = {"string", "math",        "time",      "regex",
                                         "hash",   "conditional", "collection"};

static void test_table(void)
{
    size_t n = vg_func_count();
    CHECK(n >= 80);
    CHECK(vg_func_at(n) == NULL);
    for (size_t i = 0; i < n; i++) {
        const vg_func *f = vg_func_at(i);
        bool upper = true, cat = false;
        for (const char *p = f->name; *p; p++)
            upper = upper && (isupper((unsigned char)*p) || isdigit((unsigned char)*p) ||
                              *p == '_');
        for (size_t c = 0; c < sizeof categories / sizeof categories[0]; c++)
            cat = cat || strcmp(f->category, categories[c]) == 0;
        if (!upper || !cat || !f->check || !f->synopsis[0] || !f->doc[0] || !f->example[0] ||
            !f->example_result[0] || (f->prepare && !f->release) || f->min_args > f->max_args) {
            check_failed++;
            fprintf(stderr, "FAIL: entry %s is incomplete\n", f->name);
        }
        /* names are unique, lookup finds each, in any case */
        char lower[64];
        size_t k = 0;
        for (; f->name[k] && k < sizeof lower - 1; k++)
            lower[k] = (char)tolower((unsigned char)f->name[k]);
        lower[k] = 0;
        CHECK(vg_func_lookup(f->name) == f);
        CHECK(vg_func_lookup(lower) == f);
    }
    /* each sub-table is sorted by name (lookup is a binary search) */
    const vg_func *tables[] = {vg_fn_string_table, vg_fn_math_table, vg_fn_time_table,
                               vg_fn_datefmt_table, vg_fn_regex_table, vg_fn_hash_table,
                               vg_fn_cond_table, vg_fn_array_table};
    const size_t counts[] = {vg_fn_string_count, vg_fn_math_count, vg_fn_time_count,
                             vg_fn_datefmt_count, vg_fn_regex_count, vg_fn_hash_count,
                             vg_fn_cond_count, vg_fn_array_count};
    size_t total = 0;
    for (size_t t = 0; t < sizeof counts / sizeof counts[0]; t++) {
        total += counts[t];
        for (size_t i = 1; i < counts[t]; i++)
            if (strcmp(tables[t][i - 1].name, tables[t][i].name) >= 0) {
                check_failed++;
                fprintf(stderr, "FAIL: %s is out of order\n", tables[t][i].name);
            }
    }
    CHECK_INT(total, n);
    CHECK(vg_func_lookup("NO_SUCH_FUNCTION") == NULL);
    CHECK(vg_func_lookup("") == NULL);
    CHECK(vg_func_lookup("LOWERX") == NULL);
    CHECK(vg_func_lookup("LOWE") == NULL);
}

/* Every entry rejects one argument too few and one too many. */
static void test_arity(void)
{
    for (size_t i = 0; i < vg_func_count(); i++) {
        const vg_func *f = vg_func_at(i);
        uint32_t bad[2] = {f->min_args ? f->min_args - 1u : 999u,
                           f->max_args == 255 ? VG_FN_MAXARGS + 1u : f->max_args + 1u};
        for (int k = 0; k < 2; k++) {
            if (bad[k] == 999u)
                continue;
            vg_fn_bind b;
            memset(&b, 0, sizeof b);
            b.nargs = bad[k];
            char prefix[80];
            snprintf(prefix, sizeof prefix, "function %s takes ", f->name);
            if (vg_func_check(f, &b) == -1 && b.bad_arg == -1 &&
                strncmp(b.msg, prefix, strlen(prefix)) == 0) {
                check_passed++;
            } else {
                check_failed++;
                fprintf(stderr, "FAIL: %s with %u arguments: %s\n", f->name, bad[k], b.msg);
            }
        }
    }
    E("LOWER('a', 'b')", "function LOWER takes 1 argument, got 2", -1);
    E("SUBSTRING('a')", "function SUBSTRING takes 2 or 3 arguments, got 1", -1);
    E("TRIM()", "function TRIM takes 1 to 3 arguments, got 0", -1);
    E("PI(1)", "function PI takes no arguments, got 1", -1);
    E("CONCAT()", "function CONCAT takes at least 1 argument, got 0", -1);
    E("CONCAT('a','a','a','a','a','a','a','a','a','a','a','a','a','a','a','a','a')",
      "function CONCAT takes at most 16 arguments, got 17", -1);
    E("REPLACE('a', 'b')", "function REPLACE takes 3 arguments, got 2", -1);
    E("UNIX_TIMESTAMP()", "function UNIX_TIMESTAMP takes 1 or 2 arguments, got 0", -1);
}

/* Every documented example gives its documented result. */
static void test_examples(void)
{
    for (size_t i = 0; i < vg_func_count(); i++) {
        const vg_func *f = vg_func_at(i);
        expect(__LINE__, f->example, f->example_result);
    }
}

/* The casts check asks the binder for. */
static void test_casts(void)
{
    vg_fn_bind b;
    memset(&b, 0, sizeof b);
    b.nargs = 2;
    b.argt[0] = VG_T_INT;
    b.argt[1] = VG_T_BIGINT;
    CHECK_INT(vg_func_check(vg_func_lookup("LOG"), &b), 0);
    CHECK_INT(b.argt[0], VG_T_DOUBLE);
    CHECK_INT(b.argt[1], VG_T_DOUBLE);
    CHECK_INT(b.ret, VG_T_DOUBLE);
    CHECK(b.eval != NULL);

    memset(&b, 0, sizeof b);
    b.nargs = 2;
    b.argt[0] = VG_T_STRING;
    b.argt[1] = VG_T_INT;
    CHECK_INT(vg_func_check(vg_func_lookup("SUBSTRING"), &b), 0);
    CHECK_INT(b.argt[0], VG_T_STRING);
    CHECK_INT(b.argt[1], VG_T_INT);
    CHECK_STR(b.fname, "SUBSTRING");

    memset(&b, 0, sizeof b);
    b.nargs = 3;
    b.argt[0] = VG_T_NULL;
    b.argt[1] = VG_T_INT;
    b.argt[2] = VG_T_DOUBLE;
    CHECK_INT(vg_func_check(vg_func_lookup("coalesce"), &b), 0);
    CHECK_INT(b.argt[0], VG_T_NULL);
    CHECK_INT(b.argt[1], VG_T_DOUBLE);
    CHECK_INT(b.argt[2], VG_T_DOUBLE);
    CHECK_INT(b.ret, VG_T_DOUBLE);

    /* every evaluator is known after check, for each entry's example */
    for (size_t i = 0; i < vg_func_count(); i++) {
        const vg_func *f = vg_func_at(i);
        if (f->eval == NULL && f->check == NULL)
            check_failed++;
    }
}

/* ---- allocation failures ---- */

/* Prepare sql's top-level call with the k-th allocation failing, for every
 * k until it succeeds: each failure is a clean "out of memory", and nothing
 * is left allocated. */
static void prepare_under_failures(const char *name, vg_type t0, const char *pattern)
{
    const vg_func *f = vg_func_lookup(name);
    vg_value pat = vg_str(pattern, (uint32_t)strlen(pattern));
    int failures = 0;
    for (uint64_t k = 1; k < 200; k++) {
        vg_fn_bind b;
        memset(&b, 0, sizeof b);
        b.nargs = f->min_args;
        b.argt[0] = t0;
        b.argt[1] = b.argt[2] = VG_T_STRING;
        b.constv[1] = b.constv[2] = &pat;
        if (vg_func_check(f, &b) < 0) {
            check_failed++;
            fprintf(stderr, "FAIL: %s: %s\n", name, b.msg);
            return;
        }
        size_t before = vg_mem_in_use(VG_MEM_UDF);
        vg_alloc_fail_at(k, 0);
        void *st = f->prepare(&b);
        int injected = vg_alloc_failed();
        vg_alloc_fail_at(0, 0);
        if (st) {
            f->release(st);
            CHECK_INT(vg_mem_in_use(VG_MEM_UDF), before);
            if (!injected)
                break;
            continue; /* a failure the code absorbed (PCRE2's JIT is optional) */
        }
        failures++;
        if (!b.nomem || strcmp(b.msg, "out of memory") != 0 || b.bad_arg != -1) {
            check_failed++;
            fprintf(stderr, "FAIL: %s prepare, allocation %llu failing: %s\n", name,
                    (unsigned long long)k, b.msg);
        } else {
            check_passed++;
        }
        CHECK_INT(vg_mem_in_use(VG_MEM_UDF), before);
    }
    CHECK(failures >= 1);
}

static void test_alloc_failures(void)
{
    prepare_under_failures("REGEXP", VG_T_STRING, "^(a|b)+[0-9]{2,}$");
    prepare_under_failures("REGEXP_REPLACE", VG_T_STRING, "x*");
    prepare_under_failures("DATE_FORMAT", VG_T_TIMESTAMP, "yyyy-MM-dd");
    prepare_under_failures("MD5", VG_T_STRING, "");

    /* scratch memory running out: eval sets failed, produces nothing */
    static const char *const calls[] = {"LOWER", "MD5", "REGEXP_REPLACE", "DATE_FORMAT",
                                        "CONCAT", "REPEAT"};
    for (size_t i = 0; i < sizeof calls / sizeof calls[0]; i++) {
        const vg_func *f = vg_func_lookup(calls[i]);
        vg_value args[3] = {vg_str("abc", 3), vg_str("b", 1), vg_str("x", 1)};
        vg_fn_bind b;
        memset(&b, 0, sizeof b);
        b.nargs = f->min_args == 1 ? 1 : f->min_args;
        for (uint32_t k = 0; k < b.nargs; k++) {
            b.argt[k] = VG_T_STRING;
            b.constv[k] = &args[k];
        }
        if (strcmp(calls[i], "REPEAT") == 0) {
            b.argt[1] = VG_T_INT;
            args[1] = vg_int(3);
        }
        if (strcmp(calls[i], "DATE_FORMAT") == 0) {
            b.argt[0] = VG_T_TIMESTAMP;
            args[0] = vg_int(0);
            args[1] = vg_str("-", 1);
        }
        CHECK_INT(vg_func_check(f, &b), 0);
        void *st = f->prepare ? f->prepare(&b) : NULL;
        CHECK(!f->prepare || st);
        vg_arena *fresh = vg_arena_new(VG_MEM_EXPR, 0);
        vg_fn_ctx ctx = {fresh, st, 0};
        vg_value out = vg_null();
        vg_alloc_fail_at(1, 1);
        b.eval(&ctx, args, b.nargs, &out);
        vg_alloc_fail_at(0, 0);
        CHECK_INT(ctx.failed, 1);
        vg_arena_free(fresh);
        if (f->release)
            f->release(st);
    }
}

/* One prepared state serves many rows. */
static void test_state_reuse(void)
{
    const char *names[] = {"SHA256", "REGEXP_EXTRACT"};
    for (int n = 0; n < 2; n++) {
        const vg_func *f = vg_func_lookup(names[n]);
        vg_value pat = vg_str("[0-9]+", 6);
        vg_fn_bind b;
        memset(&b, 0, sizeof b);
        b.nargs = n == 0 ? 1 : 2;
        b.argt[0] = b.argt[1] = VG_T_STRING;
        b.constv[1] = &pat;
        CHECK_INT(vg_func_check(f, &b), 0);
        void *st = f->prepare(&b);
        CHECK(st != NULL);
        vg_fn_ctx ctx = {arena, st, 0};
        const char *rows[] = {"a1", "bb22", "", "ccc333"};
        const char *want[2][4] = {
            {NULL, NULL, NULL, NULL},
            {"1", "22", NULL, "333"}};
        for (int i = 0; i < 4; i++) {
            vg_value a[2] = {vg_str(rows[i], (uint32_t)strlen(rows[i])), pat}, out;
            b.eval(&ctx, a, b.nargs, &out);
            if (n == 1) {
                char got[16] = "NULL";
                if (!out.null)
                    snprintf(got, sizeof got, "%.*s", (int)out.len, out.u.s);
                CHECK_STR(got, want[1][i] ? want[1][i] : "NULL");
            } else {
                CHECK_INT(out.len, 64);
            }
        }
        f->release(st);
        CHECK_INT(ctx.failed, 0);
    }
}

/* ---- docs/functions.md ---- */

static char *generate_docs(size_t *len)
{
    char *text = NULL;
    FILE *m = open_memstream(&text, len);
    CHECK_INT(vg_func_write_markdown(m), 0);
    fclose(m);
    return text;
}

static void test_docs(void)
{
    size_t len;
    char *text = generate_docs(&len);
    FILE *f = fopen("docs/functions.md", "rb");
    char *file = calloc(1, len + 2);
    size_t got = f ? fread(file, 1, len + 1, f) : 0;
    if (f)
        fclose(f);
    if (got == len && memcmp(file, text, len) == 0) {
        check_passed++;
    } else {
        check_failed++;
        fprintf(stderr, "FAIL: docs/functions.md is not what the table generates; run "
                        "build/tests/test_func --write-docs from the repository root\n");
    }
    /* every entry is there, and some fixed content */
    for (size_t i = 0; i < vg_func_count(); i++) {
        const char *syn = vg_func_at(i)->synopsis;
        char row[300];
        snprintf(row, sizeof row, "| `%s` |", syn);
        if (strchr(syn, '|') || strstr(text, row)) { /* a '|' is written escaped */
            check_passed++;
        } else {
            check_failed++;
            fprintf(stderr, "FAIL: %s is missing from the docs\n", syn);
        }
    }
    CHECK(strstr(text, "## String functions") != NULL);
    CHECK(strstr(text, "## Conditional functions") != NULL);
    CHECK(strstr(text, "| `SUBSTRING(s FROM start [FOR length])` |") != NULL);
    CHECK(strstr(text, "`TRIM([BOTH \\| LEADING \\| TRAILING] [chars] FROM s)`") != NULL);
    free(file);
    free(text);
}

static int write_docs(void)
{
    size_t len;
    char *text = generate_docs(&len);
    FILE *f = fopen("docs/functions.md", "wb");
    if (!f || fwrite(text, 1, len, f) != len || fclose(f) != 0) {
        fprintf(stderr, "test_func: cannot write docs/functions.md\n");
        return 1;
    }
    free(text);
    printf("wrote docs/functions.md (%zu bytes)\n", len);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "--write-docs") == 0)
        return write_docs();
    arena = vg_arena_new(VG_MEM_EXPR, 0);
    RUN(test_table);
    RUN(test_arity);
    RUN(test_examples);
    RUN(test_casts);
    RUN(test_string);
    RUN(test_string_errors);
    RUN(test_math);
    RUN(test_math_errors);
    RUN(test_time);
    RUN(test_time_errors);
    RUN(test_datefmt);
    RUN(test_regex);
    RUN(test_hash);
    RUN(test_cond);
    RUN(test_collection);
    RUN(test_types);
    RUN(test_alloc_failures);
    RUN(test_state_reuse);
    RUN(test_docs);
    vg_arena_free(arena);
    CHECK_INT(vg_mem_in_use(VG_MEM_UDF), 0);
    CHECK_INT(vg_mem_in_use(VG_MEM_EXPR), 0);
    return CHECK_DONE();
}
