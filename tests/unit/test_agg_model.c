/*
 * test_agg_model.c — every aggregate, for each argument type, with and
 * without DISTINCT, and (MIN, MAX, FIRST/LAST_VALUE) with the fifo deque:
 * thousands of random adds and retracts checked after each step against a
 * brute-force computation over the rows currently in the set, with
 * snapshot, restore and continue along the way; merge; restore of
 * truncated and corrupt bytes; every allocation failing in turn.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/alloc.h"
#include "engine/buf.h"
#include "tests/unit/agg_test.h"
#include "tests/unit/check.h"
#include "udf/agg.h"

/* ---- the brute-force model: the rows in the set, in add order ---- */

#define MAXROWS 256

typedef struct rows {
    vg_value v[MAXROWS]; /* strings point into str_domain */
    int n;
} rows;

static const char *const str_domain[] = {"",  "a",        "b",  "ab", "abc", "merchant-17",
                                         "z", "\xc3\x84", "aa", "ba", "0",   "card-0042"};
#define NSTR (sizeof str_domain / sizeof str_domain[0])

static bool is_var(const char *name) { return strstr(name, "VAR") || strstr(name, "STDDEV"); }

/* A random argument; wide allows integer extremes (sums that wrap). */
static vg_value random_value(vg_type t, bool wide)
{
    if (rnd_below(10) == 0)
        return vg_null();
    uint32_t r = rnd_below(100);
    switch (t) {
    case VG_T_BOOL:
        return vg_bool(r & 1);
    case VG_T_STRING:
        return S(str_domain[r % NSTR]);
    case VG_T_DOUBLE:
        if (r < 2)
            return vg_double(NAN);
        if (r < 4)
            return vg_double(r & 1 ? INFINITY : -INFINITY);
        if (r < 45)
            return vg_double(((double)rnd_below(81) - 40) * 0.25);
        return vg_double(((double)(rnd() >> 11) / 9007199254740992.0 - 0.5) * 2000);
    case VG_T_INT:
        if (wide && r < 4)
            return vg_int(r & 1 ? INT32_MAX : INT32_MIN);
        return vg_int(wide ? (int64_t)rnd_below(41) - 20 : (int64_t)rnd_below(2001) - 1000);
    default: /* BIGINT, TIMESTAMP, INTERVAL */
        if (wide && r < 4)
            return vg_int(r & 1 ? INT64_MAX : INT64_MIN);
        return vg_int(wide ? (int64_t)rnd_below(101) - 50 : (int64_t)rnd_below(2000001) - 1000000);
    }
}

static void rows_remove(rows *r, const vg_value *v, vg_type t)
{
    for (int i = 0; i < r->n; i++) {
        if (vg_value_same(t, &r->v[i], v)) {
            memmove(&r->v[i], &r->v[i + 1], (size_t)(r->n - i - 1) * sizeof r->v[0]);
            r->n--;
            return;
        }
    }
}

static vg_value int_result(vg_type t, int64_t v)
{
    return vg_int(t == VG_T_INT ? (int64_t)(int32_t)(uint32_t)(uint64_t)v : v);
}

static vg_value expect_sum_avg(const vg_agg_call *c, const vg_value *x, int m, double *tol)
{
    bool avg = strcmp(c->agg->name, "AVG") == 0;
    if (c->argt[0] != VG_T_DOUBLE) {
        uint64_t s = 0;
        for (int i = 0; i < m; i++)
            s += (uint64_t)x[i].u.i;
        int64_t sum = int_result(c->ret, (int64_t)s).u.i; /* of the argument's type */
        return int_result(c->ret, avg ? sum / m : sum);
    }
    long double s = 0, abs_sum = 0;
    int nan = 0, pinf = 0, ninf = 0;
    for (int i = 0; i < m; i++) {
        double d = x[i].u.d;
        nan += isnan(d) != 0;
        pinf += isinf(d) && d > 0;
        ninf += isinf(d) && d < 0;
        if (isfinite(d))
            s += d, abs_sum += fabs(d);
    }
    double sum = nan || (pinf && ninf) ? NAN : pinf ? INFINITY : ninf ? -INFINITY : (double)s;
    *tol = 1e-9 * (1 + (double)abs_sum / (avg ? m : 1));
    return vg_double(avg ? sum / m : sum);
}

static int64_t isqrt128(__int128 q)
{
    int64_t r = (int64_t)sqrtl((long double)q);
    while ((__int128)r * r > q)
        r--;
    while ((__int128)(r + 1) * (r + 1) <= q)
        r++;
    return r;
}

static vg_value expect_var(const vg_agg_call *c, const vg_value *x, int m, double *tol)
{
    const char *name = c->agg->name;
    bool pop = strstr(name, "POP") != NULL, root = strncmp(name, "STDDEV", 6) == 0;
    if (!pop && m == 1)
        return vg_null();
    if (c->argt[0] != VG_T_DOUBLE) {
        __int128 s = 0, q = 0;
        for (int i = 0; i < m; i++)
            s += x[i].u.i, q += (__int128)x[i].u.i * x[i].u.i;
        /* Flink's (SUM(x * x) - SUM(x) * SUM(x) / COUNT(x)) / COUNT(x) (or
         * COUNT(x) - 1), each division truncating. */
        __int128 v = (q - s * s / m) / (pop ? m : m - 1);
        int64_t r = root ? isqrt128(v) : (int64_t)v;
        return vg_int(c->ret == VG_T_INT && r > INT32_MAX ? INT32_MAX : r);
    }
    long double s = 0, sq = 0;
    for (int i = 0; i < m; i++) {
        if (!isfinite(x[i].u.d))
            return vg_double(NAN);
        s += x[i].u.d;
        sq += (long double)x[i].u.d * x[i].u.d;
    }
    long double mean = s / m, ss = 0;
    for (int i = 0; i < m; i++)
        ss += (x[i].u.d - mean) * (x[i].u.d - mean);
    double den = pop ? m : m - 1, var = (double)(ss / den);
    *tol = 1e-9 * (1 + (double)sq / den);
    if (!root)
        return vg_double(var);
    *tol = sqrt(*tol) + 1e-9 * sqrt(var);
    return vg_double(sqrt(var));
}

/* What the aggregate should give over the rows; *tol for DOUBLE results. */
static vg_value expected(const vg_agg_call *c, const rows *r, double *tol)
{
    static vg_value x[MAXROWS];
    const char *name = c->agg->name;
    vg_type t = c->argt[0];
    int m = 0;
    *tol = 0;
    for (int i = 0; i < r->n; i++) {
        if (c->nargs && r->v[i].null)
            continue;
        bool dup = false;
        for (int j = 0; c->distinct && j < m && !dup; j++)
            dup = vg_value_same(t, &x[j], &r->v[i]);
        if (!dup)
            x[m++] = r->v[i];
    }
    if (strcmp(name, "COUNT") == 0)
        return vg_int(m);
    if (m == 0)
        return vg_null();
    if (strcmp(name, "FIRST_VALUE") == 0)
        return x[0];
    if (strcmp(name, "LAST_VALUE") == 0)
        return x[m - 1];
    if (strcmp(name, "MIN") == 0 || strcmp(name, "MAX") == 0) {
        int best = 0, sign = name[1] == 'I' ? -1 : 1;
        for (int i = 1; i < m; i++)
            if (vg_value_cmp(t, &x[i], &x[best]) * sign > 0)
                best = i;
        return x[best];
    }
    if (strcmp(name, "SUM") == 0 || strcmp(name, "AVG") == 0)
        return expect_sum_avg(c, x, m, tol);
    return expect_var(c, x, m, tol);
}

static bool same_result(vg_type t, vg_value got, vg_value want, double tol)
{
    if (got.null || want.null)
        return got.null && want.null;
    if (t != VG_T_DOUBLE || tol == 0)
        return vg_value_cmp(t, &got, &want) == 0;
    double a = got.u.d, b = want.u.d;
    if (isnan(a) || isnan(b) || isinf(a) || isinf(b))
        return vg_value_cmp(t, &got, &want) == 0;
    return fabs(a - b) <= tol + 1e-12 * fabs(b);
}

static void print_value(vg_type t, vg_value v)
{
    if (v.null)
        fprintf(stderr, "NULL");
    else if (t == VG_T_DOUBLE)
        fprintf(stderr, "%.17g", v.u.d);
    else if (t == VG_T_STRING)
        fprintf(stderr, "'%.*s'", (int)v.len, v.u.s);
    else
        fprintf(stderr, "%lld", (long long)v.u.i);
}

/* Compare g with the model; print the first few differences. */
static int verify(const agg_t *g, const rows *r, const char *where)
{
    static int printed;
    double tol;
    vg_value want = expected(&g->call, r, &tol), got = result(g);
    if (same_result(g->call.ret, got, want, tol))
        return 0;
    if (printed++ < 10) {
        fprintf(stderr, "%s %s(%s%s)%s over %d rows: got ", where, g->call.agg->name,
                g->call.distinct ? "DISTINCT " : "", vg_type_name(g->call.argt[0]),
                g->call.fifo ? " fifo" : "", r->n);
        print_value(g->call.ret, got);
        fprintf(stderr, ", want ");
        print_value(g->call.ret, want);
        fprintf(stderr, "\n");
    }
    return 1;
}

/* Snapshot g, restore it into a fresh state and carry on with that one. */
static int snapshot_and_continue(agg_t *g)
{
    vg_buf b;
    vg_buf_init(&b, VG_MEM_OTHER);
    agg_t h;
    h.call = g->call;
    vg_agg_init(&h.call, h.st);
    int bad = vg_agg_snapshot(&g->call, g->st, &b) != 0;
    const char *p = b.p, *end = b.p + b.len;
    bad += vg_agg_restore(&h.call, h.st, &p, end) != 0 || p != end;
    vg_value a = result(g), c = result(&h);
    bad += !same_result(g->call.ret, a, c, 0); /* exactly the same */
    vg_buf_free(&b);
    destroy(g);
    memcpy(g->st, h.st, sizeof g->st); /* a state may move */
    return bad;
}

typedef struct combo {
    const char *name; /* the aggregate */
    vg_type t;        /* its argument type; VG_T_NULL for COUNT(*) */
    bool distinct;
    bool fifo; /* rows leave in the order they came (the deque) */
} combo;

static combo combos[128];
static int ncombos;

static void make_combos(void)
{
    static const struct {
        const char *name;
        vg_type types[8];
    } list[] = {
        {"COUNT", {VG_T_NULL, VG_T_INT, VG_T_STRING, VG_T_DOUBLE}},
        {"SUM", {VG_T_INT, VG_T_BIGINT, VG_T_DOUBLE}},
        {"AVG", {VG_T_INT, VG_T_BIGINT, VG_T_DOUBLE}},
        {"STDDEV_POP", {VG_T_INT, VG_T_BIGINT, VG_T_DOUBLE}},
        {"STDDEV_SAMP", {VG_T_INT, VG_T_BIGINT, VG_T_DOUBLE}},
        {"VAR_POP", {VG_T_INT, VG_T_BIGINT, VG_T_DOUBLE}},
        {"VAR_SAMP", {VG_T_INT, VG_T_BIGINT, VG_T_DOUBLE}},
        {"VARIANCE", {VG_T_INT, VG_T_DOUBLE}},
        {"MIN",
         {VG_T_INT, VG_T_BIGINT, VG_T_DOUBLE, VG_T_STRING, VG_T_BOOL, VG_T_TIMESTAMP,
          VG_T_INTERVAL}},
        {"MAX",
         {VG_T_INT, VG_T_BIGINT, VG_T_DOUBLE, VG_T_STRING, VG_T_BOOL, VG_T_TIMESTAMP,
          VG_T_INTERVAL}},
        {"FIRST_VALUE", {VG_T_INT, VG_T_DOUBLE, VG_T_STRING, VG_T_BOOL}},
        {"LAST_VALUE", {VG_T_INT, VG_T_DOUBLE, VG_T_STRING, VG_T_BOOL}},
    };
    for (size_t i = 0; i < sizeof list / sizeof list[0]; i++) {
        for (int k = 0; k < 8 && (k == 0 || list[i].types[k] != VG_T_NULL); k++) {
            vg_type t = list[i].types[k];
            /* DISTINCT's row order differs from the model's for FIRST/LAST_VALUE: those
             * get their own test. */
            bool fl = strstr(list[i].name, "_VALUE") != NULL;
            bool picks = fl || strncmp(list[i].name, "M", 1) == 0; /* has a deque */
            for (int d = 0; d < 2; d++)
                if (!d || (t != VG_T_NULL && !fl))
                    combos[ncombos++] = (combo){list[i].name, t, d == 1, false};
            if (picks) {
                combos[ncombos++] = (combo){list[i].name, t, false, true};
                if (!fl) /* MIN/MAX drop DISTINCT, so keep the deque */
                    combos[ncombos++] = (combo){list[i].name, t, true, true};
            }
        }
    }
}

static int random_run(const combo *cb, int ops)
{
    agg_t g;
    rows r = {.n = 0};
    int bad = 0, cap = 1 + (int)rnd_below(60);
    bool wide = !is_var(cb->name);
    agg_new_fifo(&g, cb->name, cb->t, cb->distinct, cb->fifo);
    for (int op = 0; op < ops; op++) {
        if (r.n == 0 || (r.n < cap && rnd_below(10) < 6)) {
            vg_value v = random_value(cb->t == VG_T_NULL ? VG_T_INT : cb->t, wide);
            bad += add(&g, v) != 0;
            r.v[r.n++] = v;
        } else {
            /* Mostly the oldest row (a sliding frame), sometimes any row (a changelog). */
            vg_value v = r.v[rnd_below(3) || cb->fifo ? 0 : rnd_below((uint32_t)r.n)];
            bad += retract(&g, v) != 0;
            rows_remove(&r, &v, cb->t);
        }
        if (op % 500 == 499) { /* drain to empty now and then */
            while (r.n) {
                vg_value v = r.v[0];
                retract(&g, v);
                rows_remove(&r, &v, cb->t);
            }
            bad += vg_agg_heap_bytes(&g.call, g.st) != 0;
            cap = 1 + (int)rnd_below(60);
        }
        if (op % 250 == 125)
            bad += snapshot_and_continue(&g);
        bad += verify(&g, &r, "random");
    }
    destroy(&g);
    return bad;
}

static void test_random(void)
{
    size_t base = vg_mem_in_use(VG_MEM_STATE);
    for (int i = 0; i < ncombos; i++)
        CHECK_INT(random_run(&combos[i], 3000), 0); /* one check per combination */
    CHECK_INT(vg_mem_in_use(VG_MEM_STATE), base);
    printf("model: %d combinations of aggregate, type, DISTINCT and fifo; %d random adds "
           "and retracts each, every result checked\n",
           ncombos, 3000);
}

/* ---- merge ---- */

static int merge_run(const combo *cb)
{
    agg_t a, b;
    rows ra = {.n = 0}, rb = {.n = 0}, all = {.n = 0};
    bool wide = !is_var(cb->name);
    vg_type t = cb->t == VG_T_NULL ? VG_T_INT : cb->t;
    agg_new_fifo(&a, cb->name, cb->t, cb->distinct, cb->fifo);
    agg_new_fifo(&b, cb->name, cb->t, cb->distinct, cb->fifo);
    int na = (int)rnd_below(30), nb = (int)rnd_below(30), bad = 0;
    for (int i = 0; i < na + nb; i++) {
        agg_t *g = i < na ? &a : &b;
        rows *r = i < na ? &ra : &rb;
        vg_value v = random_value(t, wide);
        add(g, v);
        r->v[r->n++] = v;
        if (rnd_below(4) == 0) { /* and take the oldest back */
            vg_value old = r->v[0];
            retract(g, old);
            rows_remove(r, &old, cb->t);
        }
    }
    for (int i = 0; i < ra.n; i++)
        all.v[all.n++] = ra.v[i];
    for (int i = 0; i < rb.n; i++)
        all.v[all.n++] = rb.v[i];
    bad += vg_agg_merge(&a.call, a.st, b.st) != 0;
    bad += verify(&a, &all, "merge");
    bad += verify(&b, &rb, "merged from"); /* other is unchanged */
    /* The merged state carries on like any other. */
    if (all.n) {
        vg_value old = all.v[0];
        retract(&a, old);
        rows_remove(&all, &old, cb->t);
        bad += verify(&a, &all, "after merge");
    }
    destroy(&a);
    destroy(&b);
    return bad;
}

static void test_merge(void)
{
    size_t base = vg_mem_in_use(VG_MEM_STATE);
    for (int i = 0; i < ncombos; i++) {
        int bad = 0;
        for (int rep = 0; rep < 20; rep++)
            bad += merge_run(&combos[i]);
        CHECK_INT(bad, 0);
    }
    CHECK_INT(vg_mem_in_use(VG_MEM_STATE), base);
}

/* ---- restore of truncated and corrupt bytes ---- */

static bool is_empty_result(const agg_t *g)
{
    vg_value v = result(g);
    return strcmp(g->call.agg->name, "COUNT") == 0 ? !v.null && v.u.i == 0 : v.null != 0;
}

/* Build a state of cb with a few rows and append its snapshot to b. */
static void filled_snapshot(const combo *cb, vg_buf *b)
{
    agg_t g;
    agg_new_fifo(&g, cb->name, cb->t, cb->distinct, cb->fifo);
    for (int i = 0; i < 12; i++)
        add(&g, random_value(cb->t == VG_T_NULL ? VG_T_INT : cb->t, !is_var(cb->name)));
    vg_agg_snapshot(&g.call, g.st, b);
    destroy(&g);
}

/* Restore bytes; then, if they were taken, use the state a little. */
static int restore_and_use(const combo *cb, const char *bytes, size_t len, int *taken)
{
    agg_t g;
    agg_new_fifo(&g, cb->name, cb->t, cb->distinct, cb->fifo);
    const char *p = bytes;
    int rc = vg_agg_restore(&g.call, g.st, &p, bytes + len), bad = 0;
    bad += p < bytes || p > bytes + len;
    if (rc == 0) {
        ++*taken;
        vg_type t = cb->t == VG_T_NULL ? VG_T_INT : cb->t;
        for (int i = 0; i < 20; i++) {
            vg_value v = random_value(t, !is_var(cb->name));
            i % 3 == 2 ? retract(&g, v) : add(&g, v);
            result(&g);
        }
    } else {
        bad += rc != -1 || !is_empty_result(&g) || vg_agg_heap_bytes(&g.call, g.st) != 0;
    }
    destroy(&g);
    return bad;
}

static void test_restore_corrupt(void)
{
    size_t base = vg_mem_in_use(VG_MEM_STATE);
    int taken = 0, prefixes = 0;
    char junk[96];
    for (int i = 0; i < ncombos; i++) {
        int bad = 0;
        vg_buf b;
        vg_buf_init(&b, VG_MEM_OTHER);
        filled_snapshot(&combos[i], &b);
        bad += restore_and_use(&combos[i], b.p, b.len, &taken) != 0;
        for (size_t len = 0; len < b.len; len++) { /* every truncation is refused */
            int was = taken;
            bad += restore_and_use(&combos[i], b.p, len, &taken);
            bad += taken != was;
            prefixes++;
        }
        for (int k = 0; k < 200; k++) { /* flipped bytes, then pure noise */
            char *copy = malloc(b.len);
            memcpy(copy, b.p, b.len);
            for (int f = 1 + (int)rnd_below(3); f > 0; f--)
                copy[rnd_below((uint32_t)b.len)] ^= (char)(1 + rnd_below(255));
            bad += restore_and_use(&combos[i], copy, b.len, &taken);
            free(copy);
            size_t n = rnd_below(sizeof junk);
            for (size_t j = 0; j < n; j++)
                junk[j] = (char)rnd();
            if (n)
                junk[0] = 1; /* past the version byte */
            bad += restore_and_use(&combos[i], junk, n, &taken);
        }
        vg_buf_free(&b);
        CHECK_INT(bad, 0);
    }
    CHECK(taken >= ncombos); /* the intact ones at least */
    CHECK(prefixes > 1000);
    CHECK_INT(vg_mem_in_use(VG_MEM_STATE), base);
}

/* ---- allocation failures ---- */

/* Run op (0 add, 1 retract) on v failing the 1st, 2nd, ... allocation until it
 * succeeds; after each failure the state must equal the model still. */
static int failing_op(agg_t *g, rows *r, vg_value v, int op, int *failures)
{
    int bad = 0;
    for (uint64_t k = 1;; k++) {
        vg_alloc_fail_at(k, 0);
        int rc = op == 0 ? add(g, v) : retract(g, v);
        int failed = vg_alloc_failed();
        vg_alloc_fail_at(0, 0);
        /* A retract needs no memory: it must succeed. An add may do without the
         * memory it asked for (a value already held): then it succeeded. */
        if (!failed || op == 1 || rc == 0) {
            bad += rc != 0;
            break;
        }
        ++*failures;
        bad += rc != -1;
        bad += verify(g, r, "after a failed add");
    }
    if (op == 0)
        r->v[r->n++] = v;
    else
        rows_remove(r, &v, g->call.argt[0]);
    return bad + verify(g, r, "after a failing op");
}

/* Snapshot, restore and merge with each allocation failing in turn. */
static int failing_copy(agg_t *g, int *failures)
{
    int bad = 0;
    vg_buf b;
    vg_buf_init(&b, VG_MEM_OTHER);
    vg_buf_puts(&b, "xyz");
    for (uint64_t k = 1;; k++) {
        vg_alloc_fail_at(k, 0);
        int rc = vg_agg_snapshot(&g->call, g->st, &b);
        int failed = vg_alloc_failed();
        vg_alloc_fail_at(0, 0);
        if (!failed)
            break;
        ++*failures;
        bad += rc != -1 || b.len != 3;
    }
    for (uint64_t k = 1;; k++) {
        agg_t h;
        h.call = g->call;
        vg_agg_init(&h.call, h.st);
        const char *p = b.p + 3;
        vg_alloc_fail_at(k, 0);
        int rc = vg_agg_restore(&h.call, h.st, &p, b.p + b.len);
        int failed = vg_alloc_failed();
        vg_alloc_fail_at(0, 0);
        bad += failed ? rc != -1 || !is_empty_result(&h) : rc != 0;
        if (!failed) { /* merge g into the copy, failing in turn */
            vg_alloc_fail_at(k, 0);
            rc = vg_agg_merge(&h.call, h.st, g->st);
            failed = vg_alloc_failed();
            vg_alloc_fail_at(0, 0);
            bad += !failed && rc != 0;
        }
        destroy(&h);
        if (!failed)
            break;
        ++*failures;
    }
    vg_buf_free(&b);
    return bad;
}

static void test_alloc_failure(void)
{
    size_t base = vg_mem_in_use(VG_MEM_STATE);
    int failures = 0;
    for (int i = 0; i < ncombos; i++) {
        int bad = 0;
        const combo *cb = &combos[i];
        vg_type t = cb->t == VG_T_NULL ? VG_T_INT : cb->t;
        agg_t g;
        rows r = {.n = 0};
        agg_new_fifo(&g, cb->name, cb->t, cb->distinct, cb->fifo);
        for (int op = 0; op < 80; op++) {
            bool retr = r.n > 40 || (r.n > 0 && rnd_below(10) < 3);
            vg_value v = retr ? r.v[rnd_below(2) || cb->fifo ? 0 : rnd_below((uint32_t)r.n)]
                              : random_value(t, !is_var(cb->name));
            bad += failing_op(&g, &r, v, retr, &failures);
            if (op % 20 == 10)
                bad += failing_copy(&g, &failures);
        }
        destroy(&g);
        CHECK_INT(bad, 0);
    }
    CHECK(failures > 1000);
    printf("model: %d allocation failures injected, each checked\n", failures);
    CHECK_INT(vg_mem_in_use(VG_MEM_STATE), base);
}

int main(void)
{
    make_combos();
    RUN(test_random);
    RUN(test_merge);
    RUN(test_restore_corrupt);
    RUN(test_alloc_failure);
    return CHECK_DONE();
}
