/*
 * test_expr.c — compiled expressions built node by node: every operator
 * with NULLs, three-valued logic, overflow and division by zero, LIKE, IN,
 * BETWEEN, CASE, the CAST table, folding, calls and EXPLAIN text.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "engine/cast.h"
#include "engine/expr.h"
#include "engine/like.h"
#include "tests/unit/check.h"
#include "udf/func.h"

static vg_arena *arena, *scratch;
static vg_expr_pool *pool;
static vg_error err;

/* The test row: one column of each type, twice, so runtime kernels are
 * tested (constants would be folded away at build time). */
enum { A, B2, C, D2, X, Y, S, T2, P, Q, TS, IV, NCOLS };
static const vg_type col_types[NCOLS] = {VG_T_INT,    VG_T_INT,    VG_T_BIGINT,    VG_T_BIGINT,
                                         VG_T_DOUBLE, VG_T_DOUBLE, VG_T_STRING,    VG_T_STRING,
                                         VG_T_BOOL,   VG_T_BOOL,   VG_T_TIMESTAMP, VG_T_INTERVAL};
static const char *const col_names[NCOLS] = {"a", "b", "c", "d", "x",  "y",
                                             "s", "t", "p", "q", "ts", "iv"};
static vg_value row[NCOLS];

static vg_expr *col(int slot)
{
    return vg_expr_new_column(pool, (uint32_t)slot, col_types[slot], &err);
}
static vg_expr *konst(vg_type t, vg_value v) { return vg_expr_new_const(pool, t, &v, &err); }
static vg_expr *cint(int64_t v) { return konst(VG_T_INT, vg_int(v)); }
static vg_expr *cbig(int64_t v) { return konst(VG_T_BIGINT, vg_int(v)); }
static vg_expr *cdbl(double v) { return konst(VG_T_DOUBLE, vg_double(v)); }
static vg_expr *cstr(const char *s) { return konst(VG_T_STRING, vg_str(s, (uint32_t)strlen(s))); }
static vg_expr *cnull(vg_type t) { return konst(t, vg_null()); }

static vg_value ev(const vg_expr *e)
{
    vg_eval_ctx ctx = {scratch, &err};
    vg_value v;
    if (!e)
        return vg_int(0x7777); /* a constructor failed: make the check fail visibly */
    vg_expr_eval(e, row, &ctx, &v);
    return v;
}

static vg_expr *bin(vg_expr_op op, vg_type t, vg_expr *l, vg_expr *r)
{
    return vg_expr_new_binary(pool, op, t, l, r, &err);
}

/* Set int columns a, b to x, y and evaluate a op b in INT. */
static vg_value int_op(vg_expr_op op, int64_t x, int64_t y)
{
    row[A] = vg_int(x);
    row[B2] = vg_int(y);
    return ev(bin(op, VG_T_INT, col(A), col(B2)));
}

static vg_value big_op(vg_expr_op op, int64_t x, int64_t y)
{
    row[C] = vg_int(x);
    row[D2] = vg_int(y);
    return ev(bin(op, VG_T_BIGINT, col(C), col(D2)));
}

static vg_value dbl_op(vg_expr_op op, double x, double y)
{
    row[X] = vg_double(x);
    row[Y] = vg_double(y);
    return ev(bin(op, op >= VG_XOP_EQ ? VG_T_BOOL : VG_T_DOUBLE, col(X), col(Y)));
}

#define IS_NULL(v) CHECK((v).null)
#define IS_INT(v, want)                                                                            \
    do {                                                                                           \
        vg_value v_ = (v);                                                                         \
        CHECK(!v_.null);                                                                           \
        CHECK_INT(v_.u.i, want);                                                                   \
    } while (0)
#define IS_BOOL(v, want) IS_INT(v, want)
#define IS_DBL(v, want)                                                                            \
    do {                                                                                           \
        vg_value v_ = (v);                                                                         \
        CHECK(!v_.null);                                                                           \
        CHECK(v_.u.d == (want));                                                                   \
    } while (0)
#define IS_STR(v, want)                                                                            \
    do {                                                                                           \
        vg_value v_ = (v);                                                                         \
        CHECK(!v_.null);                                                                           \
        CHECK_INT(v_.len, strlen(want));                                                           \
        CHECK(memcmp(v_.u.s, want, v_.len) == 0);                                                  \
    } while (0)

static void test_int_arith(void)
{
    IS_INT(int_op(VG_XOP_ADD, 2, 3), 5);
    IS_INT(int_op(VG_XOP_SUB, 2, 3), -1);
    IS_INT(int_op(VG_XOP_MUL, -4, 3), -12);
    IS_INT(int_op(VG_XOP_DIV, 7, 2), 3);
    IS_INT(int_op(VG_XOP_DIV, -7, 2), -3); /* toward zero */
    IS_INT(int_op(VG_XOP_MOD, -7, 2), -1); /* sign of the dividend */
    IS_INT(int_op(VG_XOP_MOD, 7, -2), 1);
    IS_NULL(int_op(VG_XOP_DIV, 7, 0));
    IS_NULL(int_op(VG_XOP_MOD, 7, 0));
    IS_INT(int_op(VG_XOP_ADD, INT32_MAX, 1), INT32_MIN); /* wraps in 32 bits */
    IS_INT(int_op(VG_XOP_SUB, INT32_MIN, 1), INT32_MAX);
    IS_INT(int_op(VG_XOP_MUL, 65536, 65536), 0);
    IS_INT(int_op(VG_XOP_DIV, INT32_MIN, -1), INT32_MIN);
    IS_INT(int_op(VG_XOP_MOD, INT32_MIN, -1), 0);
    row[A] = vg_null();
    row[B2] = vg_int(1);
    IS_NULL(ev(bin(VG_XOP_ADD, VG_T_INT, col(A), col(B2))));
    IS_NULL(ev(bin(VG_XOP_ADD, VG_T_INT, col(B2), col(A))));
    row[A] = vg_int(INT32_MIN);
    IS_INT(ev(vg_expr_new_unary(pool, VG_XOP_NEG, col(A), &err)), INT32_MIN);
    row[A] = vg_int(5);
    IS_INT(ev(vg_expr_new_unary(pool, VG_XOP_NEG, col(A), &err)), -5);
}

static void test_bigint_arith(void)
{
    IS_INT(big_op(VG_XOP_ADD, INT64_MAX, 1), INT64_MIN);
    IS_INT(big_op(VG_XOP_SUB, INT64_MIN, 1), INT64_MAX);
    IS_INT(big_op(VG_XOP_MUL, INT64_MAX, 2), -2);
    IS_INT(big_op(VG_XOP_DIV, INT64_MIN, -1), INT64_MIN);
    IS_INT(big_op(VG_XOP_MOD, INT64_MIN, -1), 0);
    IS_INT(big_op(VG_XOP_DIV, -9, 4), -2);
    IS_INT(big_op(VG_XOP_MOD, -9, 4), -1);
    IS_NULL(big_op(VG_XOP_DIV, 1, 0));
    IS_NULL(big_op(VG_XOP_MOD, 1, 0));
    IS_INT(big_op(VG_XOP_ADD, 3000000000LL, 3000000000LL), 6000000000LL);
    row[C] = vg_int(INT64_MIN);
    IS_INT(ev(vg_expr_new_unary(pool, VG_XOP_NEG, col(C), &err)), INT64_MIN);
}

static void test_double_arith(void)
{
    IS_DBL(dbl_op(VG_XOP_ADD, 1.5, 2.25), 3.75);
    IS_DBL(dbl_op(VG_XOP_SUB, 1.5, 2.25), -0.75);
    IS_DBL(dbl_op(VG_XOP_MUL, 1.5, -2.0), -3.0);
    IS_DBL(dbl_op(VG_XOP_DIV, 1.0, 4.0), 0.25);
    IS_DBL(dbl_op(VG_XOP_MOD, 7.5, 2.0), 1.5);
    IS_NULL(dbl_op(VG_XOP_DIV, 1.0, 0.0));
    IS_NULL(dbl_op(VG_XOP_MOD, 1.0, 0.0));
    row[X] = vg_double(2.5);
    IS_DBL(ev(vg_expr_new_unary(pool, VG_XOP_NEG, col(X), &err)), -2.5);
    /* timestamp + interval and interval arithmetic run in 64 bits */
    row[TS] = vg_int(1000);
    row[IV] = vg_int(5000);
    IS_INT(ev(bin(VG_XOP_ADD, VG_T_TIMESTAMP, col(TS), col(IV))), 6000);
    IS_INT(ev(bin(VG_XOP_SUB, VG_T_TIMESTAMP, col(TS), col(IV))), -4000);
    IS_INT(ev(bin(VG_XOP_MUL, VG_T_INTERVAL, col(IV), cbig(3))), 15000);
}

static void test_compare(void)
{
    static const vg_expr_op ops[6] = {VG_XOP_EQ, VG_XOP_NE, VG_XOP_LT,
                                      VG_XOP_LE, VG_XOP_GT, VG_XOP_GE};
    /* 1 vs 2, 2 vs 2, 3 vs 2: expected = for each op */
    static const int want[3][6] = {{0, 1, 1, 1, 0, 0}, {1, 0, 0, 1, 0, 1}, {0, 1, 0, 0, 1, 1}};
    for (int k = 0; k < 3; k++) {
        for (int o = 0; o < 6; o++) {
            row[C] = vg_int(k + 1);
            row[D2] = vg_int(2);
            IS_BOOL(ev(bin(ops[o], VG_T_BOOL, col(C), col(D2))), want[k][o]);
            IS_BOOL(dbl_op(ops[o], k + 1.0, 2.0), want[k][o]);
            const char *strs[3] = {"a", "b", "c"};
            row[S] = vg_str(strs[k], 1);
            row[T2] = vg_str("b", 1);
            IS_BOOL(ev(bin(ops[o], VG_T_BOOL, col(S), col(T2))), want[k][o]);
        }
    }
    row[S] = vg_str("ab", 2);
    row[T2] = vg_str("abc", 3);
    IS_BOOL(ev(bin(VG_XOP_LT, VG_T_BOOL, col(S), col(T2))), 1); /* shorter first */
    row[S] = vg_str("\xc3\xa9", 2);
    row[T2] = vg_str("z", 1);
    IS_BOOL(ev(bin(VG_XOP_GT, VG_T_BOOL, col(S), col(T2))), 1); /* byte order */
    row[S] = vg_str("", 0);
    row[T2] = vg_str("", 0);
    IS_BOOL(ev(bin(VG_XOP_EQ, VG_T_BOOL, col(S), col(T2))), 1);
    row[P] = vg_bool(true);
    row[Q] = vg_bool(false);
    IS_BOOL(ev(bin(VG_XOP_GT, VG_T_BOOL, col(P), col(Q))), 1);
    row[C] = vg_null();
    IS_NULL(ev(bin(VG_XOP_EQ, VG_T_BOOL, col(C), col(D2))));
    IS_NULL(ev(bin(VG_XOP_NE, VG_T_BOOL, col(D2), col(C))));
}

/* A column against a constant has its own evaluators: the same answers,
 * NULL column included, for every operator and representation. */
static void test_compare_const(void)
{
    static const vg_expr_op ops[6] = {VG_XOP_EQ, VG_XOP_NE, VG_XOP_LT,
                                      VG_XOP_LE, VG_XOP_GT, VG_XOP_GE};
    static const int want[3][6] = {{0, 1, 1, 1, 0, 0}, {1, 0, 0, 1, 0, 1}, {0, 1, 0, 0, 1, 1}};
    const char *strs[3] = {"a", "b", "c"};
    for (int o = 0; o < 6; o++) {
        vg_expr *ei = bin(ops[o], VG_T_BOOL, col(A), cint(2));
        vg_expr *eb = bin(ops[o], VG_T_BOOL, col(C), cbig(2));
        vg_expr *ed = bin(ops[o], VG_T_BOOL, col(X), cdbl(2.0));
        vg_expr *es = bin(ops[o], VG_T_BOOL, col(S), cstr("b"));
        for (int k = 0; k < 3; k++) {
            row[A] = vg_int(k + 1);
            row[C] = vg_int(k + 1);
            row[X] = vg_double(k + 1.0);
            row[S] = vg_str(strs[k], 1);
            IS_BOOL(ev(ei), want[k][o]);
            IS_BOOL(ev(eb), want[k][o]);
            IS_BOOL(ev(ed), want[k][o]);
            IS_BOOL(ev(es), want[k][o]);
        }
        row[A] = row[C] = row[X] = row[S] = vg_null();
        IS_NULL(ev(ei));
        IS_NULL(ev(eb));
        IS_NULL(ev(ed));
        IS_NULL(ev(es));
    }
    /* against a NULL constant the comparison folds to NULL */
    IS_NULL(ev(bin(VG_XOP_EQ, VG_T_BOOL, col(A), cnull(VG_T_INT))));
    row[S] = vg_str("abc", 3);
    IS_BOOL(ev(bin(VG_XOP_LT, VG_T_BOOL, col(S), cstr("abd"))), 1);
    IS_BOOL(ev(bin(VG_XOP_EQ, VG_T_BOOL, col(S), cstr("abc"))), 1);
    IS_BOOL(ev(bin(VG_XOP_GT, VG_T_BOOL, col(S), cstr("ab"))), 1);
}

/* Truth values for the logic tables: FALSE, TRUE, NULL. */
static vg_value tv(int k) { return k == 2 ? vg_null() : vg_bool(k); }

static void test_logic(void)
{
    /* rows: p = F, T, N; columns: q = F, T, N; 2 = NULL */
    static const int and_t[3][3] = {{0, 0, 0}, {0, 1, 2}, {0, 2, 2}};
    static const int or_t[3][3] = {{0, 1, 2}, {1, 1, 1}, {2, 1, 2}};
    for (int i = 0; i < 3; i++) {
        for (int j = 0; j < 3; j++) {
            row[P] = tv(i);
            row[Q] = tv(j);
            vg_value a = ev(bin(VG_XOP_AND, VG_T_BOOL, col(P), col(Q)));
            vg_value o = ev(bin(VG_XOP_OR, VG_T_BOOL, col(P), col(Q)));
            CHECK_INT(a.null ? 2 : a.u.i, and_t[i][j]);
            CHECK_INT(o.null ? 2 : o.u.i, or_t[i][j]);
        }
        row[P] = tv(i);
        vg_value n = ev(vg_expr_new_unary(pool, VG_XOP_NOT, col(P), &err));
        CHECK_INT(n.null ? 2 : n.u.i, i == 2 ? 2 : !i);
    }
    /* IS: rows p = F, T, N; NULL, TRUE, FALSE, UNKNOWN */
    static const int is_t[3][4] = {{0, 0, 1, 0}, {0, 1, 0, 0}, {1, 0, 0, 1}};
    for (int i = 0; i < 3; i++) {
        for (int w = 0; w < 4; w++) {
            row[P] = tv(i);
            IS_BOOL(ev(vg_expr_new_is(pool, col(P), (vg_expr_is)w, false, &err)), is_t[i][w]);
            IS_BOOL(ev(vg_expr_new_is(pool, col(P), (vg_expr_is)w, true, &err)), !is_t[i][w]);
        }
    }
    /* WHERE semantics: only TRUE passes */
    vg_eval_ctx ctx = {scratch, &err};
    row[P] = vg_null();
    CHECK(!vg_expr_is_true(col(P), row, &ctx));
    row[P] = vg_bool(true);
    CHECK(vg_expr_is_true(col(P), row, &ctx));
    /* FALSE AND NULL folds to FALSE, NULL AND TRUE to NULL */
    vg_expr *f = bin(VG_XOP_AND, VG_T_BOOL, konst(VG_T_BOOL, vg_bool(false)), cnull(VG_T_BOOL));
    CHECK(vg_expr_is_const(f));
    IS_BOOL(ev(f), 0);
}

static void test_in(void)
{
    vg_expr *items3[3] = {cbig(1), cbig(2), cbig(3)};
    vg_expr *withnull[2] = {cbig(1), cnull(VG_T_BIGINT)};
    row[C] = vg_int(2);
    IS_BOOL(ev(vg_expr_new_in(pool, col(C), items3, 3, false, &err)), 1);
    IS_BOOL(ev(vg_expr_new_in(pool, col(C), items3, 3, true, &err)), 0);
    row[C] = vg_int(5);
    IS_BOOL(ev(vg_expr_new_in(pool, col(C), items3, 3, false, &err)), 0);
    IS_BOOL(ev(vg_expr_new_in(pool, col(C), items3, 3, true, &err)), 1);
    IS_NULL(ev(vg_expr_new_in(pool, col(C), withnull, 2, false, &err))); /* not found + NULL */
    IS_NULL(ev(vg_expr_new_in(pool, col(C), withnull, 2, true, &err)));
    row[C] = vg_int(1);
    IS_BOOL(ev(vg_expr_new_in(pool, col(C), withnull, 2, false, &err)), 1);
    IS_BOOL(ev(vg_expr_new_in(pool, col(C), withnull, 2, true, &err)), 0);
    row[C] = vg_null();
    IS_NULL(ev(vg_expr_new_in(pool, col(C), items3, 3, false, &err)));
    /* a large set is sorted and searched */
    vg_expr *many[20];
    for (int i = 0; i < 20; i++)
        many[i] = cbig((i * 7) % 20 * 10);
    for (int v = -5; v < 200; v += 5) {
        row[C] = vg_int(v);
        IS_BOOL(ev(vg_expr_new_in(pool, col(C), many, 20, false, &err)), v >= 0 && v % 10 == 0);
    }
    /* strings, and items that depend on the row */
    vg_expr *names[2] = {cstr("x"), col(T2)};
    row[S] = vg_str("y", 1);
    row[T2] = vg_str("y", 1);
    IS_BOOL(ev(vg_expr_new_in(pool, col(S), names, 2, false, &err)), 1);
    row[T2] = vg_null();
    IS_NULL(ev(vg_expr_new_in(pool, col(S), names, 2, false, &err)));
    row[S] = vg_str("x", 1);
    IS_BOOL(ev(vg_expr_new_in(pool, col(S), names, 2, false, &err)), 1);
}

static vg_value between(int64_t x, vg_expr *lo, vg_expr *hi, bool neg, bool sym)
{
    row[C] = vg_int(x);
    return ev(vg_expr_new_between(pool, col(C), lo, hi, neg, sym, &err));
}

static void test_between(void)
{
    IS_BOOL(between(5, cbig(1), cbig(10), false, false), 1);
    IS_BOOL(between(1, cbig(1), cbig(10), false, false), 1);
    IS_BOOL(between(10, cbig(1), cbig(10), false, false), 1);
    IS_BOOL(between(11, cbig(1), cbig(10), false, false), 0);
    IS_BOOL(between(11, cbig(1), cbig(10), true, false), 1);
    IS_BOOL(between(5, cbig(10), cbig(1), false, false), 0);
    IS_BOOL(between(5, cbig(10), cbig(1), false, true), 1);
    IS_BOOL(between(5, cbig(10), cbig(1), true, true), 0);
    IS_BOOL(between(11, cbig(10), cbig(1), false, true), 0);
    IS_NULL(between(5, cnull(VG_T_BIGINT), cbig(10), false, false));
    IS_BOOL(between(50, cnull(VG_T_BIGINT), cbig(10), false, false), 0); /* x > hi */
    IS_NULL(between(5, cnull(VG_T_BIGINT), cbig(10), false, true));
    row[C] = vg_null();
    IS_NULL(ev(vg_expr_new_between(pool, col(C), cbig(1), cbig(2), false, false, &err)));
    row[X] = vg_double(0.5);
    IS_BOOL(ev(vg_expr_new_between(pool, col(X), cdbl(0.0), cdbl(1.0), false, false, &err)), 1);
}

static vg_value like(const char *s, const char *pat, const char *esc, bool neg)
{
    row[S] = vg_str(s, (uint32_t)strlen(s));
    return ev(vg_expr_new_like(pool, col(S), cstr(pat), esc ? cstr(esc) : NULL, neg, &err));
}

/* The same match with a pattern that is a column (not compiled). */
static vg_value like_dyn(const char *s, const char *pat, const char *esc)
{
    row[S] = vg_str(s, (uint32_t)strlen(s));
    row[T2] = vg_str(pat, (uint32_t)strlen(pat));
    return ev(vg_expr_new_like(pool, col(S), col(T2), esc ? cstr(esc) : NULL, false, &err));
}

static void test_like(void)
{
    static const struct {
        const char *s, *pat, *esc;
        int want;
    } cases[] = {
        {"hello", "hello", NULL, 1},
        {"hello", "hell", NULL, 0},
        {"hello", "he%", NULL, 1},
        {"hello", "%llo", NULL, 1},
        {"hello", "%ell%", NULL, 1},
        {"hello", "%", NULL, 1},
        {"", "%", NULL, 1},
        {"", "", NULL, 1},
        {"a", "", NULL, 0},
        {"hello", "h_llo", NULL, 1},
        {"hello", "h_lo", NULL, 0},
        {"hello", "%l_o", NULL, 1},
        {"hello", "h%l%o", NULL, 1},
        {"hello", "h%x%o", NULL, 0},
        {"Hello", "hello", NULL, 0},
        {"abcabd", "%abd", NULL, 1},
        {"aaa", "a%a%a", NULL, 1},
        {"aa", "a%a%a", NULL, 0},
        {"\xc3\xa9t\xc3\xa9", "_t_", NULL, 1}, /* '_' is one UTF-8 character */
        {"\xe2\x82\xac", "__", NULL, 0},
        {"50%", "50\\%", "\\", 1},
        {"500", "50\\%", "\\", 0},
        {"a_b", "a!_b", "!", 1},
        {"axb", "a!_b", "!", 0},
        {"a!b", "a!!b", "!", 1},
        {"x%y", "%!%%", "!", 1},
        {"100%", "%!%", "!", 1},
        {"100", "%!%", "!", 0},
        {"he%", "he%%", NULL, 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        IS_BOOL(like(cases[i].s, cases[i].pat, cases[i].esc, false), cases[i].want);
        IS_BOOL(like(cases[i].s, cases[i].pat, cases[i].esc, true), !cases[i].want);
        IS_BOOL(like_dyn(cases[i].s, cases[i].pat, cases[i].esc), cases[i].want);
    }
    /* NULLs */
    row[S] = vg_null();
    IS_NULL(ev(vg_expr_new_like(pool, col(S), cstr("%"), NULL, false, &err)));
    row[S] = vg_str("a", 1);
    IS_NULL(ev(vg_expr_new_like(pool, col(S), cnull(VG_T_STRING), NULL, false, &err)));
    /* invalid patterns: an error when constant, NULL per row otherwise */
    vg_error_clear(&err);
    CHECK(!vg_expr_new_like(pool, col(S), cstr("a\\"), cstr("\\"), false, &err));
    CHECK_INT(err.code, VG_ERR_SEMANTIC);
    CHECK_STR(err.msg, "invalid escape sequence in LIKE pattern 'a\\' at position 2");
    vg_error_clear(&err);
    CHECK(!vg_expr_new_like(pool, col(S), cstr("a\\b"), cstr("\\"), false, &err));
    CHECK_STR(err.msg, "invalid escape sequence in LIKE pattern 'a\\b' at position 2");
    vg_error_clear(&err);
    CHECK(!vg_expr_new_like(pool, col(S), cstr("a"), cstr("ab"), false, &err));
    CHECK_STR(err.msg, "LIKE escape must be a single character, got 'ab'");
    vg_error_clear(&err);
    IS_NULL(like_dyn("ab", "a!", "!"));
    IS_NULL(like_dyn("ab", "a", "!!"));
    CHECK_INT(vg_like_match_text("ab", 2, "a!x", 3, '!'), -1);
}

static void test_case(void)
{
    /* CASE WHEN c > 10 THEN 'big' WHEN c > 5 THEN 'mid' ELSE 'small' END */
    vg_expr *whens[2], *thens[2];
    whens[0] = bin(VG_XOP_GT, VG_T_BOOL, col(C), cbig(10));
    whens[1] = bin(VG_XOP_GT, VG_T_BOOL, col(C), cbig(5));
    thens[0] = cstr("big");
    thens[1] = cstr("mid");
    vg_expr *e = vg_expr_new_case(pool, VG_T_STRING, NULL, whens, thens, 2, cstr("small"), &err);
    vg_expr *noelse = vg_expr_new_case(pool, VG_T_STRING, NULL, whens, thens, 2, NULL, &err);
    row[C] = vg_int(20);
    IS_STR(ev(e), "big");
    row[C] = vg_int(7);
    IS_STR(ev(e), "mid");
    row[C] = vg_int(1);
    IS_STR(ev(e), "small");
    IS_NULL(ev(noelse));
    row[C] = vg_null(); /* NULL conditions are not TRUE */
    IS_STR(ev(e), "small");
    /* CASE c WHEN 1 THEN 'one' WHEN 2 THEN 'two' END */
    vg_expr *vals[2] = {cbig(1), cbig(2)};
    thens[0] = cstr("one");
    thens[1] = cstr("two");
    vg_expr *s = vg_expr_new_case(pool, VG_T_STRING, col(C), vals, thens, 2, cstr("other"), &err);
    row[C] = vg_int(2);
    IS_STR(ev(s), "two");
    row[C] = vg_int(3);
    IS_STR(ev(s), "other");
    row[C] = vg_null();
    IS_STR(ev(s), "other");
    /* constant CASE folds */
    vg_expr *cw[1] = {konst(VG_T_BOOL, vg_bool(true))}, *ct[1] = {cint(1)};
    vg_expr *k = vg_expr_new_case(pool, VG_T_INT, NULL, cw, ct, 1, cint(2), &err);
    CHECK(k && vg_expr_is_const(k));
    IS_INT(ev(k), 1);
}

static vg_value cast_col(int slot, vg_value v, vg_type to)
{
    row[slot] = v;
    vg_expr *e = vg_expr_new_cast(pool, col(slot), to, false, false, &err);
    return ev(e);
}

static vg_value cast_str(const char *s, vg_type to)
{
    return cast_col(S, vg_str(s, (uint32_t)strlen(s)), to);
}

static void test_cast(void)
{
    IS_INT(cast_str("42", VG_T_INT), 42);
    IS_INT(cast_str("  -42 ", VG_T_INT), -42);
    IS_INT(cast_str("+7", VG_T_INT), 7);
    IS_INT(cast_str("12.9", VG_T_INT), 12);
    IS_INT(cast_str("2147483647", VG_T_INT), INT32_MAX);
    IS_INT(cast_str("-2147483648", VG_T_INT), INT32_MIN);
    IS_NULL(cast_str("2147483648", VG_T_INT));
    IS_NULL(cast_str("abc", VG_T_INT));
    IS_NULL(cast_str("", VG_T_INT));
    IS_NULL(cast_str("1 2", VG_T_INT));
    IS_INT(cast_str("9223372036854775807", VG_T_BIGINT), INT64_MAX);
    IS_INT(cast_str("-9223372036854775808", VG_T_BIGINT), INT64_MIN);
    IS_NULL(cast_str("9223372036854775808", VG_T_BIGINT));
    IS_DBL(cast_str(" 1.5e3 ", VG_T_DOUBLE), 1500.0);
    IS_NULL(cast_str("1.5x", VG_T_DOUBLE));
    IS_NULL(cast_str("0x10", VG_T_DOUBLE));
    IS_BOOL(cast_str("TRUE", VG_T_BOOL), 1);
    IS_BOOL(cast_str(" yes", VG_T_BOOL), 1);
    IS_BOOL(cast_str("f", VG_T_BOOL), 0);
    IS_BOOL(cast_str("0", VG_T_BOOL), 0);
    IS_NULL(cast_str("maybe", VG_T_BOOL));
    IS_INT(cast_str("2024-05-01 12:00:00.123", VG_T_TIMESTAMP), 1714564800123LL);
    IS_INT(cast_str("2024-05-01T12:00:00Z", VG_T_TIMESTAMP), 1714564800000LL);
    IS_NULL(cast_str("2024-13-01", VG_T_TIMESTAMP));
    IS_STR(cast_col(TS, vg_int(1714564800123LL), VG_T_STRING), "2024-05-01 12:00:00.123");
    IS_STR(cast_col(TS, vg_int(-1), VG_T_STRING), "1969-12-31 23:59:59.999");
    IS_STR(cast_col(IV, vg_int(5000), VG_T_STRING), "+0 00:00:05.000");
    IS_STR(cast_col(IV, vg_int(-90061001), VG_T_STRING), "-1 01:01:01.001");
    IS_STR(cast_col(A, vg_int(-12), VG_T_STRING), "-12");
    IS_STR(cast_col(C, vg_int(INT64_MIN), VG_T_STRING), "-9223372036854775808");
    IS_STR(cast_col(X, vg_double(1.5), VG_T_STRING), "1.5");
    IS_STR(cast_col(X, vg_double(3.0), VG_T_STRING), "3.0");
    IS_STR(cast_col(X, vg_double(NAN), VG_T_STRING), "NaN");
    IS_STR(cast_col(X, vg_double(-INFINITY), VG_T_STRING), "-Infinity");
    IS_STR(cast_col(P, vg_bool(true), VG_T_STRING), "TRUE");
    IS_STR(cast_col(P, vg_bool(false), VG_T_STRING), "FALSE");
    IS_INT(cast_col(X, vg_double(-2.9), VG_T_INT), -2); /* toward zero */
    IS_INT(cast_col(X, vg_double(2.9), VG_T_BIGINT), 2);
    IS_NULL(cast_col(X, vg_double(3e9), VG_T_INT));
    IS_NULL(cast_col(X, vg_double(1e19), VG_T_BIGINT));
    IS_NULL(cast_col(X, vg_double(NAN), VG_T_BIGINT));
    IS_NULL(cast_col(C, vg_int(3000000000LL), VG_T_INT));
    IS_INT(cast_col(C, vg_int(-5), VG_T_INT), -5);
    IS_DBL(cast_col(A, vg_int(7), VG_T_DOUBLE), 7.0);
    IS_BOOL(cast_col(A, vg_int(-3), VG_T_BOOL), 1);
    IS_BOOL(cast_col(C, vg_int(0), VG_T_BOOL), 0);
    IS_INT(cast_col(P, vg_bool(true), VG_T_INT), 1);
    IS_DBL(cast_col(P, vg_bool(true), VG_T_DOUBLE), 1.0);
    IS_INT(cast_col(C, vg_int(5000), VG_T_INTERVAL), 5000);
    IS_INT(cast_col(IV, vg_int(5000), VG_T_BIGINT), 5000);
    IS_NULL(cast_col(C, vg_null(), VG_T_STRING));
    /* what may be cast */
    CHECK(!vg_cast_allowed(VG_T_BOOL, VG_T_TIMESTAMP));
    CHECK(!vg_cast_allowed(VG_T_BIGINT, VG_T_TIMESTAMP));
    CHECK(!vg_cast_allowed(VG_T_TIMESTAMP, VG_T_BIGINT));
    CHECK(!vg_cast_allowed(VG_T_DOUBLE, VG_T_BOOL));
    CHECK(!vg_cast_allowed(VG_T_INT, VG_T_INTERVAL));
    CHECK(!vg_cast_allowed(VG_T_STRING, VG_T_INTERVAL));
    CHECK(vg_cast_allowed(VG_T_NULL, VG_T_TIMESTAMP));
    CHECK(vg_cast_implicit(VG_T_INT, VG_T_DOUBLE));
    CHECK(!vg_cast_implicit(VG_T_DOUBLE, VG_T_INT));
    CHECK(!vg_cast_implicit(VG_T_STRING, VG_T_INT));
    vg_error_clear(&err);
    CHECK(!vg_expr_new_cast(pool, col(P), VG_T_TIMESTAMP, false, false, &err));
    CHECK_INT(err.code, VG_ERR_TYPE);
    CHECK_STR(err.msg, "cannot cast BOOLEAN to TIMESTAMP(3)");
    vg_error_clear(&err);
    /* a constant cast folds; a failing one folds to NULL */
    vg_expr *k = vg_expr_new_cast(pool, cstr("17"), VG_T_BIGINT, false, false, &err);
    CHECK(k && vg_expr_is_const(k));
    IS_INT(ev(k), 17);
    k = vg_expr_new_cast(pool, cstr("x"), VG_T_BIGINT, true, false, &err);
    CHECK(k && vg_expr_is_const(k));
    IS_NULL(ev(k));
}

static void test_concat_and_fold(void)
{
    row[S] = vg_str("ab", 2);
    row[T2] = vg_str("cd", 2);
    IS_STR(ev(bin(VG_XOP_CONCAT, VG_T_STRING, col(S), col(T2))), "abcd");
    row[T2] = vg_null();
    IS_NULL(ev(bin(VG_XOP_CONCAT, VG_T_STRING, col(S), col(T2))));
    row[T2] = vg_str("", 0);
    IS_STR(ev(bin(VG_XOP_CONCAT, VG_T_STRING, col(S), col(T2))), "ab");
    /* folding */
    vg_expr *k = bin(VG_XOP_ADD, VG_T_INT, cint(2), bin(VG_XOP_MUL, VG_T_INT, cint(3), cint(4)));
    CHECK(k && vg_expr_is_const(k));
    IS_INT(ev(k), 14);
    CHECK_INT(vg_expr_type(k), VG_T_INT);
    k = bin(VG_XOP_CONCAT, VG_T_STRING, cstr("x"), cstr("y"));
    CHECK(k && vg_expr_is_const(k));
    IS_STR(ev(k), "xy");
    k = bin(VG_XOP_ADD, VG_T_BIGINT, col(C), cnull(VG_T_BIGINT)); /* strict: NULL */
    CHECK(k && vg_expr_is_const(k));
    IS_NULL(ev(k));
    CHECK_INT(vg_expr_type(k), VG_T_BIGINT);
    k = bin(VG_XOP_ADD, VG_T_BIGINT, col(C), cbig(1));
    CHECK(!vg_expr_is_const(k));
    CHECK(vg_expr_const_value(k) == NULL);
    CHECK_INT(vg_expr_column_slot(col(C)), C);
    CHECK_INT(vg_expr_column_slot(k), -1);
    k = bin(VG_XOP_DIV, VG_T_INT, cint(1), cint(0));
    CHECK(k && vg_expr_is_const(k));
    IS_NULL(ev(k));
}

/* ---- calls through a function table entry made for the test ---- */

static int releases;

static void twice_eval(vg_fn_ctx *c, const vg_value *args, uint32_t n, vg_value *out)
{
    (void)n;
    *out = vg_int(args[0].u.i * 2 + (c->state ? 1000 : 0));
}

static void first_eval(vg_fn_ctx *c, const vg_value *args, uint32_t n, vg_value *out)
{
    (void)c;
    (void)n;
    *out = args[0].null ? vg_int(-1) : args[0];
}

static void fail_eval(vg_fn_ctx *c, const vg_value *args, uint32_t n, vg_value *out)
{
    (void)args;
    (void)n;
    c->failed = 1;
    *out = vg_null();
}

static void count_release(void *state)
{
    (void)state;
    releases++;
}

static const vg_func fn_twice = {.name = "TWICE",
                                 .min_args = 1,
                                 .max_args = 1,
                                 .flags = VG_FN_STRICT,
                                 .eval = twice_eval,
                                 .release = count_release};
static const vg_func fn_first = {.name = "FIRST", .min_args = 1, .max_args = 1, .eval = first_eval};
static const vg_func fn_rand = {.name = "RANDOMISH",
                                .min_args = 1,
                                .max_args = 1,
                                .flags = VG_FN_NONDETERMINISTIC,
                                .eval = first_eval};
static const vg_func fn_fail = {.name = "FAILS", .min_args = 1, .max_args = 1, .eval = fail_eval};

/* A call of f over args typed as f says (what vg_func_check would give). */
static vg_expr *call(const vg_func *f, vg_expr **args, uint32_t n, void *state)
{
    vg_fn_bind b;
    memset(&b, 0, sizeof b);
    b.nargs = n;
    b.ret = VG_T_BIGINT;
    b.eval = f->eval;
    return vg_expr_new_call(pool, f, &b, args, state, &err);
}

static void test_calls(void)
{
    vg_expr *args[1] = {col(C)};
    vg_expr *e = call(&fn_twice, args, 1, NULL);
    row[C] = vg_int(21);
    IS_INT(ev(e), 42);
    row[C] = vg_null();
    IS_NULL(ev(e)); /* strict */
    e = call(&fn_first, args, 1, NULL);
    IS_INT(ev(e), -1); /* not strict: sees the NULL */
    args[0] = cbig(4);
    e = call(&fn_twice, args, 1, NULL);
    CHECK(e && vg_expr_is_const(e));
    IS_INT(ev(e), 8);
    e = call(&fn_rand, args, 1, NULL);
    CHECK(e && !vg_expr_is_const(e)); /* never folded */
    IS_INT(ev(e), 4);
    /* prepared state: used by eval, released once by the pool */
    static int token;
    args[0] = col(C);
    e = call(&fn_twice, args, 1, &token);
    row[C] = vg_int(1);
    IS_INT(ev(e), 1002);
    int before = releases;
    vg_expr_release(e);
    CHECK_INT(releases, before + 1);
    vg_expr_pool_release(pool);
    CHECK_INT(releases, before + 1);
    /* a function that runs out of scratch memory sets the context error */
    e = call(&fn_fail, args, 1, NULL);
    vg_error rerr;
    vg_error_clear(&rerr);
    vg_eval_ctx ctx = {scratch, &rerr};
    vg_value v;
    vg_expr_eval(e, row, &ctx, &v);
    CHECK(v.null);
    CHECK_INT(rerr.code, VG_ERR_NOMEM);
    CHECK_STR(vg_expr_to_sql(e, col_names, arena), "FAILS(c)");
}

static const char *sql(const vg_expr *e)
{
    return e ? vg_expr_to_sql(e, col_names, arena) : "(null)";
}

static void test_to_sql(void)
{
    CHECK_STR(sql(bin(VG_XOP_GE, VG_T_BOOL, col(X), cdbl(500))), "(x >= 500.0)");
    CHECK_STR(sql(bin(VG_XOP_SUB, VG_T_TIMESTAMP, col(TS), konst(VG_T_INTERVAL, vg_int(5000)))),
              "(ts - INTERVAL '5' SECOND)");
    CHECK_STR(sql(konst(VG_T_INTERVAL, vg_int(3600000))), "INTERVAL '1' HOUR");
    CHECK_STR(sql(konst(VG_T_INTERVAL, vg_int(-120000))), "INTERVAL '-2' MINUTE");
    CHECK_STR(sql(konst(VG_T_INTERVAL, vg_int(1500))), "INTERVAL '1.5' SECOND");
    CHECK_STR(sql(konst(VG_T_INTERVAL, vg_int(2 * 86400000LL))), "INTERVAL '2' DAY");
    CHECK_STR(sql(konst(VG_T_TIMESTAMP, vg_int(0))), "TIMESTAMP '1970-01-01 00:00:00.000'");
    CHECK_STR(sql(cstr("it's")), "'it''s'");
    CHECK_STR(sql(cnull(VG_T_NULL)), "NULL");
    CHECK_STR(sql(cnull(VG_T_INT)), "CAST(NULL AS INT)");
    CHECK_STR(sql(konst(VG_T_BOOL, vg_bool(true))), "TRUE");
    CHECK_STR(sql(vg_expr_new_cast(pool, col(A), VG_T_BIGINT, false, true, &err)),
              "CAST(a AS BIGINT)");
    CHECK_STR(sql(vg_expr_new_cast(pool, col(S), VG_T_INT, true, false, &err)),
              "TRY_CAST(s AS INT)");
    CHECK_STR(sql(vg_expr_new_unary(pool, VG_XOP_NOT, col(P), &err)), "(NOT p)");
    CHECK_STR(sql(vg_expr_new_unary(pool, VG_XOP_NEG, col(X), &err)), "(-x)");
    CHECK_STR(sql(vg_expr_new_is(pool, col(S), VG_IS_NULL, true, &err)), "(s IS NOT NULL)");
    vg_expr *items[2] = {cbig(1), cbig(2)};
    CHECK_STR(sql(vg_expr_new_in(pool, col(C), items, 2, true, &err)), "(c NOT IN (1, 2))");
    CHECK_STR(sql(vg_expr_new_between(pool, col(C), cbig(1), cbig(2), false, true, &err)),
              "(c BETWEEN SYMMETRIC 1 AND 2)");
    CHECK_STR(sql(vg_expr_new_like(pool, col(S), cstr("a!%"), cstr("!"), true, &err)),
              "(s NOT LIKE 'a!%' ESCAPE '!')");
    vg_expr *w[1] = {col(P)}, *t[1] = {cint(1)};
    CHECK_STR(sql(vg_expr_new_case(pool, VG_T_INT, NULL, w, t, 1, cint(0), &err)),
              "CASE WHEN p THEN 1 ELSE 0 END");
    vg_expr *v[1] = {cbig(3)};
    CHECK_STR(sql(vg_expr_new_case(pool, VG_T_INT, col(C), v, t, 1, NULL, &err)),
              "CASE c WHEN 3 THEN 1 END");
    CHECK_STR(sql(bin(VG_XOP_AND, VG_T_BOOL, col(P), bin(VG_XOP_OR, VG_T_BOOL, col(Q), col(P)))),
              "(p AND (q OR p))");
    CHECK_STR(vg_expr_to_sql(col(A), NULL, arena), "$0");
    CHECK(vg_expr_ident_plain("amount_2"));
    CHECK(vg_expr_ident_plain("EXPR$3"));
    CHECK(!vg_expr_ident_plain("2x"));
    CHECK(!vg_expr_ident_plain("$x"));
    CHECK(!vg_expr_ident_plain(""));
    CHECK(!vg_expr_ident_plain("a-b"));
    const char *odd[1] = {"my col"};
    CHECK_STR(vg_expr_to_sql(vg_expr_new_column(pool, 0, VG_T_INT, &err), odd, arena), "`my col`");
}

/* Every constructor turns an allocation failure into NOMEM, without crashing. */
static void test_alloc_failures(void)
{
    int failures = 0;
    for (uint64_t n = 1; n < 40; n++) {
        vg_arena *a = vg_arena_new(VG_MEM_EXPR, 256);
        vg_expr_pool *p = a ? vg_expr_pool_new(a) : NULL;
        if (!p) {
            vg_arena_free(a);
            continue;
        }
        vg_error e;
        vg_error_clear(&e);
        vg_alloc_fail_at(n, 1);
        vg_value s = vg_str("some text that is long enough", 29);
        vg_expr *k = vg_expr_new_const(p, VG_T_STRING, &s, &e);
        vg_expr *c = k ? vg_expr_new_column(p, S, VG_T_STRING, &e) : NULL;
        vg_expr *x = c ? vg_expr_new_binary(p, VG_XOP_CONCAT, VG_T_STRING, c, k, &e) : NULL;
        vg_expr *l = x ? vg_expr_new_like(p, x, k, NULL, false, &e) : NULL;
        vg_alloc_fail_at(0, 0);
        if (!l) {
            failures++;
            CHECK_INT(e.code, VG_ERR_NOMEM);
        }
        vg_arena_free(a);
    }
    CHECK(failures > 0);
}

int main(void)
{
    arena = vg_arena_new(VG_MEM_EXPR, 4096);
    scratch = vg_arena_new(VG_MEM_EXPR, 4096);
    pool = vg_expr_pool_new(arena);
    RUN(test_int_arith);
    RUN(test_bigint_arith);
    RUN(test_double_arith);
    RUN(test_compare);
    RUN(test_compare_const);
    RUN(test_logic);
    RUN(test_in);
    RUN(test_between);
    RUN(test_like);
    RUN(test_case);
    RUN(test_cast);
    RUN(test_concat_and_fold);
    RUN(test_calls);
    RUN(test_to_sql);
    RUN(test_alloc_failures);
    CHECK_INT(err.code, VG_OK);
    vg_expr_pool_release(pool);
    vg_arena_free(scratch);
    vg_arena_free(arena);
    return CHECK_DONE();
}
