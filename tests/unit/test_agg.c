/*
 * test_agg.c — the aggregate functions one by one: the table, binding and
 * its messages, each aggregate on typical values, NULLs, empty sets,
 * DISTINCT and the fifo deques; the markdown; and a measure of ns per
 * add+retract over a sliding window (printed only). test_agg_model.c checks
 * them all against a brute-force model.
 */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/alloc.h"
#include "engine/buf.h"
#include "tests/unit/agg_test.h"
#include "tests/unit/check.h"
#include "udf/agg.h"

/* ---- the table and binding ---- */

static void test_table(void)
{
    CHECK_INT(vg_agg_count(), 12);
    CHECK(vg_agg_lookup("sum") == vg_agg_lookup("SUM"));
    CHECK(vg_agg_lookup("Count") != NULL);
    CHECK(vg_agg_lookup("LOWER") == NULL);
    CHECK(vg_agg_lookup("") == NULL);
    int descents = 0, found = 0;
    for (size_t i = 0; i < vg_agg_count(); i++) {
        const vg_agg *a = vg_agg_at(i);
        found += vg_agg_lookup(a->name) == a;
        if (i > 0 && strcmp(vg_agg_at(i - 1)->name, a->name) >= 0)
            descents++;
        CHECK(a->synopsis && a->doc && a->check && a->add && a->retract && a->merge && a->result &&
              a->snapshot && a->restore && a->state_size && a->init);
    }
    CHECK_INT(found, 12);
    CHECK_INT(descents, 1); /* two sorted sub-tables */
    CHECK(vg_agg_at(12) == NULL);
}

static void check_bind_error(const char *name, vg_type t, int nargs, bool distinct, const char *msg,
                             int bad_arg)
{
    vg_agg_call call;
    vg_agg_bind b;
    CHECK_INT(bind(name, t, nargs, distinct, &call, &b), -1);
    CHECK_STR(b.msg, msg);
    CHECK_INT(b.bad_arg, bad_arg);
}

static void check_bind_type(const char *name, vg_type t, int nargs, vg_type ret)
{
    vg_agg_call call;
    vg_agg_bind b;
    CHECK_INT(bind(name, t, nargs, false, &call, &b), 0);
    CHECK_INT(call.ret, ret);
    CHECK_INT(b.ret, ret);
    CHECK(call.agg == vg_agg_lookup(name));
    CHECK_INT(call.state_size % 8, 0);
}

static void test_bind(void)
{
    check_bind_error("SUM", VG_T_STRING, 1, false, "SUM expects a numeric argument, got STRING", 0);
    check_bind_error("AVG", VG_T_TIMESTAMP, 1, false,
                     "AVG expects a numeric argument, got TIMESTAMP(3)", 0);
    check_bind_error("STDDEV_POP", VG_T_BOOL, 1, false,
                     "STDDEV_POP expects a numeric argument, got BOOLEAN", 0);
    check_bind_error("VAR_SAMP", VG_T_INTERVAL, 1, false,
                     "VAR_SAMP expects a numeric argument, got INTERVAL", 0);
    check_bind_error("COUNT", VG_T_INT, 2, false, "function COUNT takes 1 argument, got 2", -1);
    check_bind_error("SUM", VG_T_INT, 0, false, "function SUM takes 1 argument, got 0", -1);
    check_bind_error("MIN", VG_T_INT, 2, false, "function MIN takes 1 argument, got 2", -1);
    check_bind_error("COUNT", VG_T_NULL, 0, true,
                     "COUNT(DISTINCT *) is not allowed: DISTINCT needs an argument", -1);
    check_bind_error("SUM", VG_T_NULL, 1, false,
                     "SUM cannot take an untyped NULL; write CAST(NULL AS type)", 0);
    check_bind_error("FIRST_VALUE", VG_T_NULL, 1, false,
                     "FIRST_VALUE cannot take an untyped NULL; write CAST(NULL AS type)", 0);

    check_bind_type("COUNT", VG_T_NULL, 0, VG_T_BIGINT);
    check_bind_type("COUNT", VG_T_STRING, 1, VG_T_BIGINT);
    check_bind_type("COUNT", VG_T_NULL, 1, VG_T_BIGINT);
    check_bind_type("SUM", VG_T_INT, 1, VG_T_INT); /* as Flink: SUM(INT) is INT */
    check_bind_type("SUM", VG_T_BIGINT, 1, VG_T_BIGINT);
    check_bind_type("SUM", VG_T_DOUBLE, 1, VG_T_DOUBLE);
    check_bind_type("AVG", VG_T_INT, 1, VG_T_INT); /* as Flink: AVG(INT) is INT */
    check_bind_type("AVG", VG_T_DOUBLE, 1, VG_T_DOUBLE);
    check_bind_type("STDDEV_POP", VG_T_BIGINT, 1, VG_T_BIGINT);
    check_bind_type("VAR_SAMP", VG_T_DOUBLE, 1, VG_T_DOUBLE);
    check_bind_type("MIN", VG_T_STRING, 1, VG_T_STRING);
    check_bind_type("MAX", VG_T_BOOL, 1, VG_T_BOOL);
    check_bind_type("MAX", VG_T_INTERVAL, 1, VG_T_INTERVAL);
    check_bind_type("FIRST_VALUE", VG_T_TIMESTAMP, 1, VG_T_TIMESTAMP);
    check_bind_type("last_value", VG_T_DOUBLE, 1, VG_T_DOUBLE);

    /* DISTINCT: kept where it matters, dropped where it cannot (MIN, MAX). */
    vg_agg_call plain, dist;
    vg_agg_bind b;
    CHECK_INT(bind("SUM", VG_T_INT, 1, false, &plain, &b), 0);
    CHECK_INT(bind("SUM", VG_T_INT, 1, true, &dist, &b), 0);
    CHECK(dist.distinct && !plain.distinct);
    CHECK(dist.state_size > plain.state_size);
    CHECK_INT(bind("MIN", VG_T_INT, 1, true, &dist, &b), 0);
    CHECK(!dist.distinct);
}

/* ---- typical values ---- */

static void test_count_sum_avg(void)
{
    agg_t g;
    agg_new(&g, "COUNT", VG_T_NULL, false); /* COUNT(*) counts NULL rows too */
    CHECK_INT(result_i(&g), 0);
    CHECK(!result_null(&g));
    vg_agg_add(&g.call, g.st, NULL);
    vg_agg_add(&g.call, g.st, NULL);
    CHECK_INT(result_i(&g), 2);
    vg_agg_retract(&g.call, g.st, NULL);
    CHECK_INT(result_i(&g), 1);
    destroy(&g);

    agg_new(&g, "COUNT", VG_T_STRING, false);
    add(&g, S("a"));
    add(&g, vg_null());
    add(&g, S(""));
    CHECK_INT(result_i(&g), 2);
    retract(&g, vg_null());
    CHECK_INT(result_i(&g), 2);
    destroy(&g);

    agg_new(&g, "SUM", VG_T_INT, false);
    CHECK(result_null(&g));
    add(&g, vg_null());
    CHECK(result_null(&g)); /* only NULLs: NULL */
    add(&g, vg_int(2147483647));
    add(&g, vg_int(1));
    CHECK_INT(result_i(&g), -2147483648LL); /* wraps like INT arithmetic */
    retract(&g, vg_int(1));
    CHECK_INT(result_i(&g), 2147483647);
    retract(&g, vg_int(2147483647));
    CHECK(result_null(&g));
    add(&g, vg_int(0));
    CHECK(!result_null(&g) && result_i(&g) == 0); /* a sum of zero is not NULL */
    destroy(&g);

    agg_new(&g, "SUM", VG_T_BIGINT, false);
    add(&g, vg_int(INT64_MAX));
    add(&g, vg_int(2));
    CHECK_INT(result_i(&g), INT64_MIN + 1);
    destroy(&g);

    agg_new(&g, "SUM", VG_T_DOUBLE, false);
    add(&g, vg_double(1e20));
    add(&g, vg_double(1));
    retract(&g, vg_double(1e20));
    CHECK(result_d(&g) == 1); /* compensated: an uncompensated sum gives 0 */
    add(&g, vg_double(INFINITY));
    CHECK(isinf(result_d(&g)) && result_d(&g) > 0);
    add(&g, vg_double(-INFINITY));
    CHECK(isnan(result_d(&g)));
    retract(&g, vg_double(INFINITY));
    CHECK(isinf(result_d(&g)) && result_d(&g) < 0);
    retract(&g, vg_double(-INFINITY));
    CHECK(result_d(&g) == 1); /* infinities leave without a trace */
    add(&g, vg_double(NAN));
    CHECK(isnan(result_d(&g)));
    retract(&g, vg_double(NAN));
    CHECK(result_d(&g) == 1);
    destroy(&g);

    /* a sliding sum that overflows comes back when the huge rows leave */
    agg_new(&g, "SUM", VG_T_DOUBLE, false);
    add(&g, vg_double(1e308));
    add(&g, vg_double(1e308));
    CHECK(isinf(result_d(&g)) && result_d(&g) > 0); /* 2e308 is past DBL_MAX */
    add(&g, vg_double(1));
    retract(&g, vg_double(1e308));
    CHECK(result_d(&g) == 1e308);
    add(&g, vg_double(2));
    retract(&g, vg_double(1e308));
    CHECK(result_d(&g) == 3); /* exact again */
    add(&g, vg_double(-1e308));
    add(&g, vg_double(-1e308));
    add(&g, vg_double(-1e308));
    CHECK(isinf(result_d(&g)) && result_d(&g) < 0);
    retract(&g, vg_double(-1e308));
    retract(&g, vg_double(-1e308));
    CHECK(result_d(&g) == -1e308 + 3);
    retract(&g, vg_double(-1e308));
    CHECK(result_d(&g) == 3);
    retract(&g, vg_double(1));
    CHECK(result_d(&g) == 2);
    destroy(&g);

    /* merging a scaled sum into a small one */
    agg_t h;
    agg_new(&g, "SUM", VG_T_DOUBLE, false);
    agg_new(&h, "SUM", VG_T_DOUBLE, false);
    add(&g, vg_double(0.5));
    add(&h, vg_double(DBL_MAX));
    add(&h, vg_double(DBL_MAX));
    CHECK(vg_agg_merge(&g.call, g.st, h.st) == 0);
    CHECK(isinf(result_d(&g)));
    retract(&g, vg_double(DBL_MAX));
    retract(&g, vg_double(DBL_MAX));
    CHECK(result_d(&g) == 0.5);
    destroy(&g);
    destroy(&h);

    agg_new(&g, "AVG", VG_T_DOUBLE, false);
    add(&g, vg_double(1e308));
    add(&g, vg_double(1e308));
    add(&g, vg_double(1e308));
    CHECK(isinf(result_d(&g))); /* the sum overflows a DOUBLE, as Flink's does */
    retract(&g, vg_double(1e308));
    retract(&g, vg_double(1e308));
    CHECK(result_d(&g) == 1e308);
    destroy(&g);

    agg_new(&g, "AVG", VG_T_INT, false);
    CHECK(result_null(&g));
    add(&g, vg_int(1));
    add(&g, vg_int(2));
    CHECK_INT(result_i(&g), 1); /* 3 / 2, truncated, as Flink */
    retract(&g, vg_int(1));
    retract(&g, vg_int(2));
    add(&g, vg_int(-1));
    add(&g, vg_int(-2));
    CHECK_INT(result_i(&g), -1); /* toward zero */
    add(&g, vg_int(2147483647));
    add(&g, vg_int(2147483647));
    /* Flink's SUM(x) / COUNT(x): the INT sum -3 + 2 * 2147483647 wraps to -5. */
    CHECK_INT(result_i(&g), -1);
    destroy(&g);

    agg_new(&g, "AVG", VG_T_DOUBLE, false);
    add(&g, vg_double(1));
    add(&g, vg_double(2));
    add(&g, vg_null());
    CHECK(result_d(&g) == 1.5);
    destroy(&g);
}

static void add_ints(agg_t *g, const int *v, int n)
{
    for (int i = 0; i < n; i++)
        add(g, g->call.argt[0] == VG_T_DOUBLE ? vg_double(v[i]) : vg_int(v[i]));
}

static void test_variance(void)
{
    static const int v8[] = {2, 4, 4, 4, 5, 5, 7, 9}; /* mean 5, population variance 4 */
    agg_t g;
    const char *names[] = {"VAR_POP", "STDDEV_POP", "VAR_SAMP", "STDDEV_SAMP", "VARIANCE"};
    const double want_d[] = {4, 2, 32.0 / 7, sqrt(32.0 / 7), 32.0 / 7};
    const int64_t want_i[] = {4, 2, 4, 2, 4};
    for (int i = 0; i < 5; i++) {
        agg_new(&g, names[i], VG_T_DOUBLE, false);
        CHECK(result_null(&g));
        add_ints(&g, v8, 8);
        CHECK(fabs(result_d(&g) - want_d[i]) < 1e-12);
        destroy(&g);
        agg_new(&g, names[i], VG_T_INT, false);
        add_ints(&g, v8, 8);
        CHECK_INT(result_i(&g), want_i[i]);
        destroy(&g);
        /* One value: a population statistic is 0, a sample one NULL. */
        agg_new(&g, names[i], VG_T_DOUBLE, false);
        add(&g, vg_double(3.5));
        CHECK(i == 0 || i == 1 ? result_d(&g) == 0 : result_null(&g));
        add(&g, vg_double(INFINITY));
        CHECK(isnan(result_d(&g)));
        retract(&g, vg_double(INFINITY));
        retract(&g, vg_double(3.5));
        CHECK(result_null(&g));
        destroy(&g);
    }
    agg_new(&g, "VAR_POP", VG_T_INT, false);
    add(&g, vg_int(0));
    add(&g, vg_int(4));
    CHECK_INT(result_i(&g), 4);
    retract(&g, vg_int(0));
    CHECK_INT(result_i(&g), 0);
    destroy(&g);
    agg_new(&g, "STDDEV_POP", VG_T_INT, false);
    add(&g, vg_int(1));
    add(&g, vg_int(2));
    CHECK_INT(result_i(&g), 0); /* 0.5 truncated */
    destroy(&g);
    /* Integers as Flink reduces them: (S2 - S1 * S1 / n) / n, each division
     * truncating. VAR_SAMP of 1, 2 is (5 - 9 / 2) / 1 = 1 (exactly: 0.5). */
    agg_new(&g, "VAR_SAMP", VG_T_INT, false);
    add(&g, vg_int(1));
    add(&g, vg_int(2));
    CHECK_INT(result_i(&g), 1);
    destroy(&g);
    /* VAR_POP of -12, -10, -12: (388 - 1156 / 3) / 3 = 1 (exactly: 8/9). */
    agg_new(&g, "VAR_POP", VG_T_BIGINT, false);
    add(&g, vg_int(-12));
    add(&g, vg_int(-10));
    add(&g, vg_int(-12));
    CHECK_INT(result_i(&g), 1);
    destroy(&g);
    /* DOUBLEs: Flink's (S2 - S1 * S1 / n) / n on the plain sums, to the bit:
     * (36 - 100 / 3) / 3 = 0.8888888888888881, not the nearest 8/9. */
    agg_new(&g, "VAR_POP", VG_T_DOUBLE, false);
    add(&g, vg_double(2));
    add(&g, vg_double(4));
    add(&g, vg_double(4));
    CHECK(result_d(&g) == 0.8888888888888881);
    destroy(&g);
    /* Far from zero, and drifting: the shift follows the mean. */
    agg_new(&g, "VAR_POP", VG_T_DOUBLE, false);
    for (int i = 0; i < 3000; i++) {
        add(&g, vg_double(1e9 + i));
        if (i >= 3)
            retract(&g, vg_double(1e9 + i - 3));
    }
    CHECK(fabs(result_d(&g) - 2.0 / 3) < 1e-6);
    destroy(&g);
}

static void test_minmax_first_last(void)
{
    agg_t g;
    agg_new(&g, "MIN", VG_T_STRING, false);
    CHECK(result_null(&g));
    add(&g, S("b"));
    add(&g, S("a"));
    add(&g, S("ab"));
    add(&g, vg_null());
    CHECK(result_is_str(&g, "a"));
    retract(&g, S("a"));
    CHECK(result_is_str(&g, "ab"));
    add(&g, S(""));
    CHECK(result_is_str(&g, ""));
    destroy(&g);

    char buf[8] = "zz";
    agg_new(&g, "MAX", VG_T_STRING, false);
    add(&g, vg_str(buf, 2));
    buf[0] = 'a'; /* the state holds its own copy */
    CHECK(result_is_str(&g, "zz"));
    destroy(&g);

    agg_new(&g, "MAX", VG_T_BOOL, false);
    add(&g, vg_bool(false));
    CHECK_INT(result_i(&g), 0);
    add(&g, vg_bool(true));
    add(&g, vg_bool(true));
    CHECK_INT(result_i(&g), 1);
    retract(&g, vg_bool(true));
    CHECK_INT(result_i(&g), 1);
    retract(&g, vg_bool(true));
    CHECK_INT(result_i(&g), 0);
    destroy(&g);

    agg_new(&g, "MAX", VG_T_DOUBLE, false);
    add(&g, vg_double(1));
    add(&g, vg_double(NAN));
    CHECK(isnan(result_d(&g))); /* NaN is greater than every number */
    destroy(&g);

    agg_new(&g, "MIN", VG_T_TIMESTAMP, false);
    add(&g, vg_int(1714564800000));
    add(&g, vg_int(-1000));
    CHECK_INT(result_i(&g), -1000);
    destroy(&g);

    agg_new(&g, "FIRST_VALUE", VG_T_INT, false);
    agg_t last;
    agg_new(&last, "LAST_VALUE", VG_T_INT, false);
    CHECK(result_null(&g) && result_null(&last));
    const int seq[] = {1, 2, 3};
    add_ints(&g, seq, 3);
    add_ints(&last, seq, 3);
    add(&g, vg_null());
    add(&last, vg_null()); /* NULLs are skipped, as in Flink */
    CHECK_INT(result_i(&g), 1);
    CHECK_INT(result_i(&last), 3);
    retract(&g, vg_int(1));
    CHECK_INT(result_i(&g), 2);
    add(&g, vg_int(2));     /* rows: 2 3 2 */
    retract(&g, vg_int(2)); /* the oldest 2 leaves: 3 2 */
    CHECK_INT(result_i(&g), 3);
    retract(&last, vg_int(3));
    CHECK_INT(result_i(&last), 2);
    retract(&last, vg_int(7)); /* never added: nothing happens */
    CHECK_INT(result_i(&last), 2);
    destroy(&g);
    destroy(&last);

    agg_new(&g, "LAST_VALUE", VG_T_STRING, false);
    add(&g, S("x"));
    add(&g, S("y"));
    add(&g, S("x"));
    CHECK(result_is_str(&g, "x"));
    retract(&g, S("x"));
    retract(&g, S("x"));
    CHECK(result_is_str(&g, "y"));
    destroy(&g);
}

static void test_distinct(void)
{
    agg_t g;
    agg_new(&g, "COUNT", VG_T_STRING, true);
    add(&g, S("a"));
    add(&g, S("a"));
    add(&g, S("b"));
    add(&g, vg_null());
    CHECK_INT(result_i(&g), 2);
    retract(&g, S("a"));
    CHECK_INT(result_i(&g), 2);
    retract(&g, S("a"));
    CHECK_INT(result_i(&g), 1);
    retract(&g, S("a")); /* gone already */
    CHECK_INT(result_i(&g), 1);
    destroy(&g);

    agg_new(&g, "SUM", VG_T_DOUBLE, true);
    add(&g, vg_double(1));
    add(&g, vg_double(1));
    add(&g, vg_double(2));
    add(&g, vg_double(-0.0));
    add(&g, vg_double(0.0)); /* -0.0 and 0.0 are one value */
    CHECK(result_d(&g) == 3);
    retract(&g, vg_double(0.0));
    retract(&g, vg_double(-0.0));
    retract(&g, vg_double(1));
    CHECK(result_d(&g) == 3);
    destroy(&g);

    agg_new(&g, "AVG", VG_T_INT, true);
    const int v[] = {1, 1, 1, 4};
    add_ints(&g, v, 4);
    CHECK_INT(result_i(&g), 2); /* (1 + 4) / 2 */
    destroy(&g);
}

/* FIRST/LAST_VALUE(DISTINCT x): a value's place is its first arrival while present. */
static void test_first_last_distinct(void)
{
    agg_t f, l;
    agg_new(&f, "FIRST_VALUE", VG_T_STRING, true);
    agg_new(&l, "LAST_VALUE", VG_T_STRING, true);
    const char *in[] = {"a", "b", "a", "c", "b"};
    for (int i = 0; i < 5; i++)
        add(&f, S(in[i])), add(&l, S(in[i]));
    CHECK(result_is_str(&f, "a"));
    CHECK(result_is_str(&l, "c"));
    retract(&f, S("a")); /* one "a" is still there */
    CHECK(result_is_str(&f, "a"));
    retract(&f, S("a"));
    CHECK(result_is_str(&f, "b"));
    retract(&l, S("c"));
    CHECK(result_is_str(&l, "b"));
    destroy(&f);
    destroy(&l);
}

/* ---- the deques of fifo calls ---- */

static void test_fifo(void)
{
    agg_t mn, mx, f, l;
    vg_agg_call call;
    vg_agg_bind b;
    CHECK_INT(bind_fifo("MIN", VG_T_INT, 1, false, true, &call, &b), 0);
    CHECK(call.fifo);
    CHECK_INT(bind_fifo("MIN", VG_T_INT, 1, true, true, &call, &b), 0);
    CHECK(call.fifo && !call.distinct); /* DISTINCT dropped, the deque kept */
    CHECK_INT(bind_fifo("FIRST_VALUE", VG_T_INT, 1, true, true, &call, &b), 0);
    CHECK(!call.fifo && call.distinct); /* DISTINCT reorders: no deque */
    agg_new_fifo(&mn, "MIN", VG_T_STRING, false, true);
    agg_new_fifo(&mx, "MAX", VG_T_STRING, false, true);
    agg_new_fifo(&f, "FIRST_VALUE", VG_T_STRING, false, true);
    agg_new_fifo(&l, "LAST_VALUE", VG_T_STRING, false, true);
    agg_t *all[] = {&mn, &mx, &f, &l};
    const char *in[] = {"c", "a", "d", "b"};
    for (int i = 0; i < 4; i++)
        for (int k = 0; k < 4; k++)
            add(all[k], S(in[i]));
    CHECK(result_is_str(&mn, "a") && result_is_str(&mx, "d"));
    CHECK(result_is_str(&f, "c") && result_is_str(&l, "b"));
    /* Only what can still win is kept: MIN a b, MAX d b, FIRST all, LAST b. */
    size_t block = sizeof(uint32_t) + 1;
    CHECK_INT(vg_agg_heap_bytes(&mn.call, mn.st), 4 * 16 + 2 * block);
    CHECK_INT(vg_agg_heap_bytes(&l.call, l.st), 4 * 16 + 1 * block);
    CHECK_INT(vg_agg_heap_bytes(&f.call, f.st), 4 * 16 + 4 * block);
    for (int k = 0; k < 4; k++)
        retract(all[k], S("c")); /* the oldest row leaves */
    CHECK(result_is_str(&mn, "a") && result_is_str(&mx, "d") && result_is_str(&f, "a"));
    for (int k = 0; k < 4; k++)
        retract(all[k], S("a"));
    CHECK(result_is_str(&mn, "b") && result_is_str(&mx, "d") && result_is_str(&f, "d"));
    for (int k = 0; k < 4; k++)
        retract(all[k], S("d")), retract(all[k], S("b"));
    for (int k = 0; k < 4; k++) {
        CHECK(result_null(all[k]));
        CHECK_INT(vg_agg_heap_bytes(&all[k]->call, all[k]->st), 0);
        retract(all[k], S("x")); /* nothing to take back */
        CHECK(result_null(all[k]));
        destroy(all[k]);
    }
}

/* ---- markdown ---- */

static void test_markdown(void)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    CHECK_INT(vg_agg_write_markdown(f), 0);
    fclose(f);
    CHECK(strstr(text, "\n## Aggregate functions\n") != NULL);
    CHECK(strstr(text, "| `COUNT(*) \\| COUNT([DISTINCT] x)` | BIGINT: COUNT(*) counts rows") !=
          NULL);
    int rows_seen = 0;
    for (size_t i = 0; i < vg_agg_count(); i++) {
        char want[128];
        snprintf(want, sizeof want, "\n| `%s", vg_agg_at(i)->name);
        rows_seen += strstr(text, want) != NULL;
    }
    CHECK_INT(rows_seen, 12);
    CHECK(strstr(text, "| `AVG(") < strstr(text, "| `VAR_SAMP(")); /* by name */
    free(text);
}

/* ---- cost, printed only ---- */

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void measure(const char *name, bool distinct, bool fifo)
{
    enum { W = 10000, N = 300000 };
    int64_t *v = malloc((W + N) * sizeof *v);
    for (int i = 0; i < W + N; i++)
        v[i] = (int64_t)rnd_below(1000000);
    agg_t g;
    agg_new_fifo(&g, name, VG_T_BIGINT, distinct, fifo);
    for (int i = 0; i < W; i++)
        add(&g, vg_int(v[i]));
    double t0 = now_ns();
    int64_t sink = 0;
    for (int i = 0; i < N; i++) {
        add(&g, vg_int(v[W + i]));
        retract(&g, vg_int(v[i]));
        sink += result(&g).u.i;
    }
    double ns = (now_ns() - t0) / N;
    printf("measure: %s(%sBIGINT)%s add+retract+result over a %d-row sliding window: %.1f ns "
           "(%zu heap bytes) [%lld]\n",
           name, distinct ? "DISTINCT " : "", fifo ? " fifo" : "", W, ns,
           vg_agg_heap_bytes(&g.call, g.st), (long long)(sink & 1));
    destroy(&g);
    free(v);
}

int main(void)
{
    RUN(test_table);
    RUN(test_bind);
    RUN(test_count_sum_avg);
    RUN(test_variance);
    RUN(test_minmax_first_last);
    RUN(test_distinct);
    RUN(test_first_last_distinct);
    RUN(test_fifo);
    RUN(test_markdown);
    measure("SUM", false, false);
    measure("MIN", false, false);
    measure("MIN", false, true);
    measure("COUNT", true, false);
    measure("FIRST_VALUE", false, false);
    measure("FIRST_VALUE", false, true);
    return CHECK_DONE();
}
