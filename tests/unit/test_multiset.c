/*
 * test_multiset.c — the ordered multiset of MIN/MAX, checked against a
 * sorted array of (value, count) under random adds and removes, for
 * integers, doubles (NaN, -0.0) and strings; plus allocation failures.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/alloc.h"
#include "tests/unit/check.h"
#include "udf/multiset.h"

static uint64_t rng_state = 0x243F6A8885A308D3ull;

static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static uint32_t rnd_below(uint32_t n) { return (uint32_t)(rnd() % n); }

/* ---- the model: a sorted array of distinct values with counts ---- */

typedef struct model {
    vg_type t;
    vg_value vals[4096]; /* ascending; strings point into strs */
    uint64_t counts[4096];
    size_t n;
} model;

static char strs[512][8]; /* the string domain */

static size_t model_find(const model *m, const vg_value *v, int *found)
{
    size_t lo = 0, hi = m->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = vg_value_cmp(m->t, &m->vals[mid], v);
        if (c == 0) {
            *found = 1;
            return mid;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = 0;
    return lo;
}

static void model_add(model *m, const vg_value *v, uint64_t n)
{
    int found;
    size_t i = model_find(m, v, &found);
    if (found) {
        m->counts[i] += n;
        return;
    }
    memmove(&m->vals[i + 1], &m->vals[i], (m->n - i) * sizeof m->vals[0]);
    memmove(&m->counts[i + 1], &m->counts[i], (m->n - i) * sizeof m->counts[0]);
    m->vals[i] = *v;
    m->counts[i] = n;
    m->n++;
}

static int model_remove(model *m, const vg_value *v, uint64_t n)
{
    int found;
    size_t i = model_find(m, v, &found);
    if (!found || m->counts[i] < n)
        return -1;
    m->counts[i] -= n;
    if (m->counts[i] == 0) {
        memmove(&m->vals[i], &m->vals[i + 1], (m->n - i - 1) * sizeof m->vals[0]);
        memmove(&m->counts[i], &m->counts[i + 1], (m->n - i - 1) * sizeof m->counts[0]);
        m->n--;
    }
    return 0;
}

static uint64_t model_count(const model *m, const vg_value *v)
{
    int found;
    size_t i = model_find(m, v, &found);
    return found ? m->counts[i] : 0;
}

static vg_value random_value(vg_type t, uint32_t domain)
{
    uint32_t k = rnd_below(domain);
    if (t == VG_T_STRING)
        return vg_str(strs[k % 512], (uint32_t)strlen(strs[k % 512]));
    if (t == VG_T_DOUBLE) {
        if (k == 0)
            return vg_double(NAN);
        if (k == 1)
            return vg_double(rnd() & 1 ? -0.0 : 0.0);
        if (k == 2)
            return vg_double(rnd() & 1 ? INFINITY : -INFINITY);
        return vg_double(((double)k - domain / 2.0) * 0.37);
    }
    return vg_int((int64_t)k - domain / 2);
}

/* ---- comparing the set with the model ---- */

typedef struct walk {
    const model *m; /* expected */
    size_t i;       /* next expected index */
    int bad;        /* a mismatch was seen */
} walk;

static int walk_visit(void *ctx, const vg_value *v, uint64_t count)
{
    walk *w = ctx;
    if (w->i >= w->m->n || vg_value_cmp(w->m->t, v, &w->m->vals[w->i]) != 0 ||
        count != w->m->counts[w->i])
        w->bad = 1;
    w->i++;
    return 0;
}

/* Number of ways s differs from m (min, max, size; every value when full). */
static int differences(const vg_mset *s, const model *m, int full)
{
    vg_value v;
    int bad = s->distinct != m->n;
    if (vg_mset_min(s, &v) != (m->n > 0) || (m->n && vg_value_cmp(m->t, &v, &m->vals[0]) != 0))
        bad++;
    if (vg_mset_max(s, &v) != (m->n > 0) ||
        (m->n && vg_value_cmp(m->t, &v, &m->vals[m->n - 1]) != 0))
        bad++;
    if (full) {
        walk w = {m, 0, 0};
        vg_mset_each(s, walk_visit, &w);
        bad += w.bad || w.i != m->n;
    }
    return bad;
}

static model the_model;

static void random_run(vg_type t, uint32_t domain, int ops)
{
    vg_mset s;
    model *m = &the_model;
    size_t base = vg_mem_in_use(VG_MEM_STATE);
    vg_mset_init(&s, t);
    m->t = t;
    m->n = 0;
    int mismatches = 0;
    for (int op = 0; op < ops; op++) {
        vg_value v = random_value(t, domain);
        uint64_t n = 1 + rnd_below(3);
        uint32_t what = rnd_below(10);
        if (what < 5) {
            if (vg_mset_add(&s, &v, n) != 0)
                mismatches++;
            model_add(m, &v, n);
        } else {
            if (vg_mset_remove(&s, &v, n) != model_remove(m, &v, n))
                mismatches++;
        }
        if (vg_mset_count(&s, &v) != model_count(m, &v))
            mismatches++;
        mismatches += differences(&s, m, op % 97 == 0);
    }
    CHECK_INT(mismatches, 0);
    /* Drain to empty: the pool is freed. */
    while (m->n) {
        vg_value v = m->vals[0];
        uint64_t n = m->counts[0];
        mismatches += vg_mset_remove(&s, &v, n) != 0;
        model_remove(m, &v, n);
    }
    CHECK_INT(mismatches, 0);
    CHECK_INT(s.distinct, 0);
    CHECK(s.nodes == NULL);
    CHECK_INT(vg_mset_heap_bytes(&s), 0);
    CHECK_INT(vg_mem_in_use(VG_MEM_STATE), base);
    vg_mset_clear(&s);
}

static void test_random_ints(void)
{
    random_run(VG_T_BIGINT, 40, 20000); /* many duplicates */
    random_run(VG_T_INT, 3000, 20000);  /* mostly distinct: a deep tree */
}

static void test_random_doubles(void) { random_run(VG_T_DOUBLE, 60, 20000); }

static void test_random_strings(void)
{
    random_run(VG_T_STRING, 50, 20000);
    random_run(VG_T_STRING, 512, 20000);
}

static void test_basics(void)
{
    vg_mset s;
    vg_value v;
    vg_mset_init(&s, VG_T_STRING);
    CHECK(!vg_mset_min(&s, &v));
    CHECK(!vg_mset_max(&s, &v));
    vg_value a = vg_str("apple", 5), b = vg_str("b", 1), e = vg_str("", 0);
    CHECK_INT(vg_mset_add(&s, &b, 2), 0);
    CHECK_INT(vg_mset_add(&s, &a, 1), 0);
    CHECK_INT(vg_mset_add(&s, &e, 1), 0);
    CHECK(vg_mset_min(&s, &v) && v.len == 0);
    CHECK(vg_mset_max(&s, &v) && v.len == 1 && v.u.s[0] == 'b');
    CHECK(v.u.s != b.u.s); /* a copy */
    CHECK_INT(vg_mset_count(&s, &b), 2);
    CHECK_INT(vg_mset_remove(&s, &b, 3), -1); /* more than held: nothing removed */
    CHECK_INT(vg_mset_count(&s, &b), 2);
    CHECK_INT(vg_mset_remove(&s, &b, 2), 0);
    CHECK(vg_mset_max(&s, &v) && v.len == 5 && memcmp(v.u.s, "apple", 5) == 0);
    CHECK_INT(vg_mset_heap_bytes(&s), 4 * 32 + 5 + 1);
    vg_value missing = vg_str("zz", 2);
    CHECK_INT(vg_mset_remove(&s, &missing, 1), -1);
    vg_mset_clear(&s);
    CHECK_INT(s.distinct, 0);
    CHECK(!vg_mset_min(&s, &v));

    /* -0.0 and 0.0 are one value; NaN sorts after every number. */
    vg_mset_init(&s, VG_T_DOUBLE);
    vg_value nz = vg_double(-0.0), z = vg_double(0.0), nan = vg_double(NAN),
             inf = vg_double(INFINITY);
    vg_mset_add(&s, &nz, 1);
    vg_mset_add(&s, &z, 1);
    vg_mset_add(&s, &nan, 1);
    vg_mset_add(&s, &inf, 1);
    CHECK_INT(s.distinct, 3);
    CHECK_INT(vg_mset_count(&s, &z), 2);
    CHECK(vg_mset_max(&s, &v) && isnan(v.u.d));
    CHECK(vg_mset_min(&s, &v) && v.u.d == 0);
    vg_mset_clear(&s);
}

static void test_alloc_failure(void)
{
    size_t base = vg_mem_in_use(VG_MEM_STATE);
    vg_mset s;
    vg_mset_init(&s, VG_T_STRING);
    int failures = 0, wrong = 0;
    for (int i = 0; i < 200; i++) {
        char buf[16];
        int len = snprintf(buf, sizeof buf, "k%03d", i);
        vg_value v = vg_str(buf, (uint32_t)len);
        for (uint64_t k = 1;; k++) {
            vg_alloc_fail_at(k, 0);
            int rc = vg_mset_add(&s, &v, 1);
            int failed = vg_alloc_failed();
            vg_alloc_fail_at(0, 0);
            if (!failed) {
                wrong += rc != 0;
                break;
            }
            failures++;
            wrong += rc != -1 || vg_mset_count(&s, &v) != 0 || s.distinct != (uint32_t)i;
        }
    }
    CHECK(failures >= 200);
    CHECK_INT(wrong, 0);
    CHECK_INT(s.distinct, 200);
    vg_mset_clear(&s);
    CHECK_INT(vg_mem_in_use(VG_MEM_STATE), base);
}

int main(void)
{
    for (int i = 0; i < 512; i++)
        snprintf(strs[i], sizeof strs[i], i % 7 ? "s%d" : "%dq", i * 7919 % 1000);
    RUN(test_basics);
    RUN(test_random_ints);
    RUN(test_random_doubles);
    RUN(test_random_strings);
    RUN(test_alloc_failure);
    return CHECK_DONE();
}
