/*
 * test_nfa.c — the row pattern matcher (engine/nfa.h): hand-written cases
 * with exact reports for every construct (alternation, greedy and
 * reluctant quantifiers, backtracking, empty matches, PERMUTE, bounds,
 * anchors, exclusion, every AFTER MATCH SKIP mode and its fallbacks,
 * overlapping and held attempts, WITHIN and timeouts, unmatched rows,
 * DEFINE reading the path), each also run through the reference matcher
 * (nfa_ref.inc); a randomized differential test against the reference;
 * patterns that are exponential for a backtracking matcher over 5,000
 * rows; snapshot and restore at every row; compile errors; memory that
 * does not grow; and every allocation failing in turn.
 *
 * Cases are written as text (nfa_text.inc says how); reports read as
 * nfa_ref.inc writes them.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/nfa.h"
#include "tests/unit/check.h"
#include "tests/unit/nfa_ref.inc"
#include "tests/unit/nfa_text.inc"

/* ---- the constructs ---- */

static void test_alternation(void)
{
    EXPECT("A|B", "AB", "m@0[0A] ");
    EXPECT("B|A", "AB", "m@0[0B] ");
    EXPECT("(A|A B) C", "AB AB C", "m@0[0A 1B 2C] ");
    EXPECT("(A B|A) C", "AB AB C", "m@0[0A 1B 2C] ");
    EXPECT("(A|B|C)", "C B", "m@0[0C] m@1[1B] ");
    /* alternation inside a greedy loop backtracks into an earlier choice */
    EXPECT("(A|B)* B B C", "AB AB B C", "m@0[0A 1B 2B 3C] ");
    EXPECT("(A|B)* A C", "AB AB C", "m@0[0A 1A 2C] ");
}

static void test_greedy_reluctant(void)
{
    EXPECT("A+? B", "AB AB B", "m@0[0A 1B] ");
    EXPECT("A+ B", "AB AB B", "m@0[0A 1A 2B] ");
    EXPECT("A* A", "A A A", "m@0[0A 1A 2A] ");
    EXPECT("A*? A", "A A A", "m@0[0A] m@1[1A] m@2[2A] ");
    EXPECT("A?? B", "AB B", "m@0[0B] m@1[1B] ");
    EXPECT("A? B", "AB B", "m@0[0A 1B] ");
    EXPECT("A*? B*", "AB AB", "m@0[0B 1B] ");
    EXPECT("A+? B*", "AB AB", "m@0[0A 1B] ");
    EXPECT("(A|B)*? C", "A B C", "m@0[0A 1B 2C] ");
}

static void test_empty_matches(void)
{
    EXPECT("A*", ". . .", "m@0[] m@1[] m@2[] ");
    EXPECT_O("A*", ". . .", OPTS(.unmatched = true), "m@0[] m@1[] m@2[] ");
    EXPECT("A?", "A . A", "m@0[0A] m@1[] m@2[2A] ");
    EXPECT("()", ". .", "m@0[] m@1[] ");
    EXPECT("A* B*", "B A", "m@0[0B] m@1[1A] ");
    /* an empty iteration ends its quantifier */
    EXPECT("(A?)* B", "A . B", "m@2[2B] ");
    EXPECT("(A?)+ B", "A B", "m@0[0A 1B] ");
    EXPECT("(A*)* C", "A A C", "m@0[0A 1A 2C] ");
    EXPECT("(()|A)* B", "A B", "m@0[0A 1B] ");
    EXPECT("(()|A)* B", "A . B", "m@2[2B] ");
    EXPECT("(A|())* B", "A B", "m@0[0A 1B] ");
    EXPECT("(()|A){2} B", "A B", "m@0[0A 1B] ");
    EXPECT("(()|A){2,3} B", "A A B", "m@0[0A 1A 2B] ");
    EXPECT_O("A*", "", OPTS(.unmatched = true), "");
}

static void test_permute(void)
{
    EXPECT("PERMUTE(A, B, C)", "ABC ABC ABC", "m@0[0A 1B 2C] ");
    EXPECT("PERMUTE(A, B, C)", "AB AC BC", "m@0[0A 1C 2B] ");
    EXPECT("PERMUTE(A, B, C)", "B A C", "m@0[0B 1A 2C] ");
    EXPECT("PERMUTE(A, B, C)", "BC AC AB", "m@0[0B 1C 2A] ");
    EXPECT("PERMUTE(A, B, C)", "C B A", "m@0[0C 1B 2A] ");
    EXPECT("PERMUTE(A, B+)", "B B A", "m@0[0B 1B 2A] ");
    EXPECT("PERMUTE(A)", "A", "m@0[0A] ");
    EXPECT("PERMUTE(A?, B)", "B A", "m@0[0B] ");
    EXPECT("PERMUTE(A?, B)", "B AB", "m@0[0B] m@1[1B] ");
}

static void test_bounds(void)
{
    EXPECT("A{2,3}", "A A A A A", "m@0[0A 1A 2A] m@3[3A 4A] ");
    EXPECT("A{2,3}?", "A A A A A", "m@0[0A 1A] m@2[2A 3A] ");
    EXPECT("A{2}", "A A A A A", "m@0[0A 1A] m@2[2A 3A] ");
    EXPECT("A{,2}", "A A A", "m@0[0A 1A] m@2[2A] ");
    EXPECT("A{3,}", "A A . A A A A", "m@3[3A 4A 5A 6A] ");
    EXPECT_O("A{2,3} B", "A A A A B", OPTS(.unmatched = true), "u0 m@1[1A 2A 3A 4B] ");
    EXPECT("A{0} B", "AB", "m@0[0B] ");
    EXPECT("A{0,0}", "A", "m@0[] ");
    EXPECT("A{1,1000} B", "A A A B", "m@0[0A 1A 2A 3B] ");
    EXPECT("(A B){2,3}", "A B A B A B A B", "m@0[0A 1B 2A 3B 4A 5B] ");
    EXPECT("(A B?){2,3}?", "A A B A", "m@0[0A 1A 2B] ");
}

static void test_anchors(void)
{
    EXPECT("^A", "A A", "m@0[0A] ");
    EXPECT("A$", "A A", "m@1[1A] ");
    EXPECT("^A*$", "A A", "m@0[0A 1A] ");
    EXPECT("^A*$", "A .", "");
    EXPECT("A+$", "A A A", "m@0[0A 1A 2A] ");
    EXPECT("(A $ | A B)", "AB B", "m@0[0A 1B] ");
    EXPECT("A ^", "A", "");
    EXPECT("$", "A", "");
    EXPECT("^", "A A", "m@0[] ");
    EXPECT("(^|A)+", "A A", "m@0[] m@1[1A] ");
    EXPECT("(A|^)+", "A A", "m@0[0A 1A] ");
    EXPECT("A* $", ". A", "m@1[1A] ");
    /* $ holds only when the partition ends */
    vg_nfa_opts o = {0};
    rows("A A");
    vg_nfa *n = compile("A+$");
    run_nfa(n, &o, true);
    CHECK_STR(R.out, "");
    run_nfa(n, &o, false);
    CHECK_STR(R.out, "m@0[0A 1A] ");
    vg_nfa_free(n);
}

static void test_exclusion(void)
{
    EXPECT("A {- B+ -} C", "A B B C", "m@0[0A 1b 2b 3C] ");
    EXPECT("{- A -} {- B {- C -} -}", "A B C", "m@0[0a 1b 2c] ");
    EXPECT("({- A -} | A) B", "A B", "m@0[0a 1B] ");
}

/* Skip modes over r0 {A}, r1 {A,B}, r2 {B} with A B+. */
static void test_skip(void)
{
    const char *rs = "A AB B";
    EXPECT_O("A B+", rs, OPTS(.skip = VG_MR_SKIP_PAST_LAST), "m@0[0A 1B 2B] ");
    EXPECT_O("A B+", rs, OPTS(.skip = VG_MR_SKIP_TO_NEXT), "m@0[0A 1B 2B] m@1[1A 2B] ");
    EXPECT_O("A B+", rs, OPTS(.skip = VG_MR_SKIP_TO_LAST, .skip_vars = 2), "m@0[0A 1B 2B] ");
    EXPECT_O("A B+", rs, OPTS(.skip = VG_MR_SKIP_TO_FIRST, .skip_vars = 2),
             "m@0[0A 1B 2B] m@1[1A 2B] ");
    /* to the match's first row, or to no row: the row after its first */
    EXPECT_O("A B+", rs, OPTS(.skip = VG_MR_SKIP_TO_FIRST, .skip_vars = 1),
             "m@0[0A 1B 2B] m@1[1A 2B] ");
    EXPECT_O("A B+", rs, OPTS(.skip = VG_MR_SKIP_TO_LAST, .skip_vars = 1),
             "m@0[0A 1B 2B] m@1[1A 2B] ");
    EXPECT_O("A B+", rs, OPTS(.skip = VG_MR_SKIP_TO_FIRST, .skip_vars = 4),
             "m@0[0A 1B 2B] m@1[1A 2B] ");
    /* a subset: the last row mapped to A or C */
    EXPECT_O("A B C", "A AB BC C", OPTS(.skip = VG_MR_SKIP_TO_LAST, .skip_vars = 5),
             "m@0[0A 1B 2C] ");
    EXPECT_O("A B+ C", "A AB B AB C", OPTS(.skip = VG_MR_SKIP_TO_LAST, .skip_vars = 1),
             "m@0[0A 1B 2B 3B 4C] m@1[1A 2B 3B 4C] ");
    EXPECT_O("A+ B", "A A A B", OPTS(.skip = VG_MR_SKIP_TO_LAST, .skip_vars = 1),
             "m@0[0A 1A 2A 3B] m@2[2A 3B] ");
    EXPECT_O("A+ B", "A A A B", OPTS(.skip = VG_MR_SKIP_TO_FIRST, .skip_vars = 2),
             "m@0[0A 1A 2A 3B] ");
    /* empty matches: the next attempt starts at the next row in every mode */
    EXPECT_O("A*", ". A", OPTS(.skip = VG_MR_SKIP_TO_LAST, .skip_vars = 1), "m@0[] m@1[1A] ");
}

/* Reports come in order of start, each as soon as it is decided. */
static void test_held_and_overlapping(void)
{
    vg_nfa_opts o = {.unmatched = true};
    vg_error err;
    vg_error_clear(&err);
    vg_nfa *n = compile("A B C | B");
    rows("A B C . B");
    vg_nfa_run *r = vg_nfa_run_new(n, &o);
    R.out[0] = 0;
    CHECK_INT(push(r, 0, &err), 0);
    CHECK_INT(push(r, 1, &err), 0);
    CHECK_STR(R.out, ""); /* attempt 1 matched B but waits for attempt 0 */
    CHECK_INT(vg_nfa_oldest(r), 0);
    CHECK_INT(vg_nfa_threads(r), 1);
    CHECK_INT(push(r, 2, &err), 0);
    CHECK_STR(R.out, "m@0[0A 1B 2C] "); /* attempt 1 is skipped */
    CHECK_INT(vg_nfa_oldest(r), 3);
    CHECK_INT(push(r, 3, &err), 0);
    CHECK_STR(R.out, "m@0[0A 1B 2C] u3 ");
    CHECK_INT(push(r, 4, &err), 0);
    CHECK_STR(R.out, "m@0[0A 1B 2C] u3 m@4[4B] ");
    CHECK_INT(vg_nfa_finish(r, &hooks, &err), 0);
    CHECK_INT(vg_nfa_next_pos(r), 5);
    vg_nfa_run_free(r);
    /* the same when attempt 0 fails: the held match is reported */
    EXPECT_O("A B C | B", "A B . B", OPTS(.unmatched = true), "u0 m@1[1B] u2 m@3[3B] ");
    EXPECT_O("A B C | B", "A B . B", OPTS(.skip = VG_MR_SKIP_TO_NEXT), "m@1[1B] m@3[3B] ");
    EXPECT_O("A B", "A AB B", OPTS(.skip = VG_MR_SKIP_TO_NEXT), "m@0[0A 1B] m@1[1A 2B] ");
    EXPECT_O("A+ B | C", "A AC A B", OPTS(.skip = VG_MR_SKIP_TO_NEXT),
             "m@0[0A 1A 2A 3B] m@1[1A 2A 3B] m@2[2A 3B] ");
    vg_nfa_free(n);
}

static void test_within(void)
{
    vg_nfa_opts t = {.within = 10, .timeouts = true};
    EXPECT_O("F N* S", "F@0 N@3 N@5 S@20", t, "t@0[0F 1N 2N] ");
    EXPECT_O("F N* S", "F@0 N@3 N@5 S@20", OPTS(.within = 10), "");
    EXPECT_O("F N* S", "F@0 N@3 N@5 S@9", t, "m@0[0F 1N 2N 3S] ");
    EXPECT_O("A B", "A@0 B@5", OPTS(.within = 5), "");
    EXPECT_O("A B", "A@0 B@4", OPTS(.within = 5), "m@0[0A 1B] ");
    /* a match found before WITHIN ends is the result, not a timeout */
    EXPECT_O("A B+", "A@0 B@1 B@2 B@30", t, "m@0[0A 1B 2B] ");
    /* all threads dying is no timeout */
    EXPECT_O("A B", "A@0 C@1", t, "");
    /* time passing ends the attempt: reported at once */
    vg_error err;
    vg_error_clear(&err);
    vg_nfa *n = compile("F N* S");
    rows("F@0 N@3");
    vg_nfa_run *r = vg_nfa_run_new(n, &t);
    R.out[0] = 0;
    CHECK_INT(push(r, 0, &err), 0);
    CHECK_INT(push(r, 1, &err), 0);
    CHECK_INT(advance(r, 8, &err), 0);
    CHECK_STR(R.out, "");
    CHECK_INT(advance(r, 9, &err), 0);
    CHECK_STR(R.out, "t@0[0F 1N] ");
    CHECK_INT(vg_nfa_threads(r), 0);
    vg_nfa_run_free(r);
    vg_nfa_free(n);
    EXPECT_O("F N* S", "F@0 N@3 !9", t, "t@0[0F 1N] ");
    EXPECT_O("F N* S", "F@0 N@3 !8", t, "");
    /* a thread waiting for $ outlives WITHIN: the partition may end now */
    EXPECT_O("A B* $", "A@0 B@1 !50", t, "m@0[0A 1B] ");
    EXPECT_O("A B* $", "A@0 B@1 !50 B@60", t, "t@0[0A 1B] ");
    /* timed-out rows count as output: not unmatched */
    EXPECT_O("A B", "A@0 C@20", OPTS(.within = 10, .timeouts = true, .unmatched = true),
             "t@0[0A] u1 ");
    EXPECT_O("A B* C", "A@0 B@2 C@20", OPTS(.within = 10, .timeouts = true, .unmatched = true),
             "t@0[0A 1B] u2 ");
}

static void test_unmatched(void)
{
    vg_nfa_opts u = {.unmatched = true};
    EXPECT_O("A B", "A B C A B", u, "m@0[0A 1B] u2 m@3[3A 4B] ");
    EXPECT_O("A B+", "A AB B C", OPTS(.unmatched = true, .skip = VG_MR_SKIP_TO_NEXT),
             "m@0[0A 1B 2B] m@1[1A 2B] u3 ");
    EXPECT_O("A", ". . .", u, "u0 u1 u2 ");
    EXPECT_O("A {- B -}", "A B", u, "m@0[0A 1b] ");
}

/* DEFINE reading the path: B holds only when the path has two A rows. */
static void test_read_path(void)
{
    vg_nfa_opts p = {.read_path = true};
    R.path_rule = 1;
    EXPECT_O("A* B", "AB AB AB AB AB", p, "m@0[0A 1A 2B] ");
    EXPECT_O("(A|B)+", "AB AB AB AB", p, "m@0[0A 1A 2A 3A] ");
    EXPECT_O("(B|A)+", "AB AB AB AB", p, "m@0[0A 1A 2B 3B] ");
    EXPECT_O("(A|A) (A|A) B", "AB AB AB", p, "m@0[0A 1A 2B] ");
    R.path_rule = 0;
}

/* ---- the randomized differential test ---- */

/* Snapshot r, restore it into a new run (checking that the bytes come
 * back the same), free r: the new run. */
static vg_nfa_run *round_trip(const vg_nfa *n, const vg_nfa_opts *o, vg_nfa_run *r)
{
    vg_buf a, b;
    vg_buf_init(&a, VG_MEM_OTHER);
    vg_buf_init(&b, VG_MEM_OTHER);
    vg_error err;
    vg_error_clear(&err);
    size_t used = 0;
    CHECK_INT(vg_nfa_snapshot(r, &a, &err), 0);
    vg_nfa_run *q = vg_nfa_restore(n, o, a.p, a.len, &used, &err);
    CHECK(q != NULL);
    if (!q) {
        fprintf(stderr, "restore: %s\n", err.msg);
        exit(1);
    }
    CHECK_INT(used, a.len);
    CHECK_INT(vg_nfa_snapshot(q, &b, &err), 0);
    CHECK(a.len == b.len && memcmp(a.p, b.p, a.len) == 0);
    CHECK_INT(vg_nfa_threads(q), vg_nfa_threads(r));
    CHECK_INT(vg_nfa_oldest(q), vg_nfa_oldest(r));
    CHECK_INT(vg_nfa_next_pos(q), vg_nfa_next_pos(r));
    vg_buf_free(&a);
    vg_buf_free(&b);
    vg_nfa_run_free(r);
    return q;
}

/* Like run_nfa, restoring the run from a snapshot before each row with
 * probability 1/snap (0: never); false when a call failed. */
static bool run_nfa_snap(const vg_nfa *n, const vg_nfa_opts *o, uint32_t snap)
{
    vg_error err;
    vg_error_clear(&err);
    vg_nfa_run *r = vg_nfa_run_new(n, o);
    bool ok = true;
    R.out[0] = 0;
    R.oldest = 0;
    R.bad = false;
    uint32_t a = 0;
    for (uint32_t i = 0; i <= R.n && ok; i++) {
        if (snap && rnd(snap) == 0)
            r = round_trip(n, o, r);
        for (; a < R.nadv && R.adv_at[a] == i; a++)
            ok &= advance(r, R.adv[a], &err) == 0;
        if (i < R.n)
            ok &= push(r, i, &err) == 0;
    }
    ok &= vg_nfa_finish(r, &hooks, &err) == 0;
    vg_nfa_run_free(r);
    return ok && !R.bad;
}

/* One random case: pattern, rows, options; the matcher must report what
 * the reference does. false when the case was not usable (too large). */
static bool diff_case(uint32_t *failures)
{
    uint32_t nv = 3 + rnd(2);
    pool.nn = pool.nk = 0;
    const vg_plan_pattern *k[3];
    uint32_t nk = 1 + rnd(3);
    for (uint32_t i = 0; i < nk; i++)
        k[i] = gen(3, nv);
    const vg_plan_pattern *p = nk == 1 ? k[0] : pnode(VG_PAT_SEQ, k, nk);
    R.n = rnd(max_rows + 1);
    R.nadv = 0;
    uint32_t density = 30 + rnd(60);
    for (uint32_t i = 0; i < R.n; i++) {
        R.truth[i] = 0;
        for (uint32_t v = 0; v < nv; v++)
            R.truth[i] |= (uint32_t)(rnd(100) < density) << v;
        R.ts[i] = i ? R.ts[i - 1] + rnd(4) : rnd(3);
        if (i && rnd(4) == 0) {
            R.adv_at[R.nadv] = i;
            R.adv[R.nadv++] = R.ts[i] - 1 - rnd(3);
        }
    }
    if (R.n && rnd(2)) {
        R.adv_at[R.nadv] = R.n;
        R.adv[R.nadv++] = R.ts[R.n - 1] + rnd(10);
    }
    bool keyed = rnd(2);
    vg_nfa_opts o = {.skip = (vg_mr_skip)rnd(4), .skip_vars = 1 + rnd((1u << nv) - 1),
                     .within = rnd(2) ? 0 : 1 + rnd(8), .timeouts = rnd(2),
                     .unmatched = rnd(2), .read_path = rnd(3) == 0 && (R.n <= 14 || keyed),
                     .path_key = keyed ? h_key : NULL};
    R.path_rule = o.read_path ? (int)rnd(4) : 0;
    static char want[OUTCAP];
    ref_input in = {.n = R.n, .ts = R.ts, .define = h_define, .arg = &R, .o = &o};
    for (uint32_t i = 0; i < R.nadv; i++)
        if (!in.passed || R.adv[i] > in.passed_max)
            in.passed = true, in.passed_max = R.adv[i];
    R.oldest = 0;
    bool usable = ref_run(p, &in, want, sizeof want);
    vg_nfa *n = NULL;
    vg_error err;
    vg_error_clear(&err);
    if (usable && vg_nfa_compile(p, nv, &n, &err) == 0) {
        bool ok = run_nfa_snap(n, &o, rnd(3) ? 0 : 4);
        if (!ok || strcmp(R.out, want)) {
            char text[4096] = "";
            pat_text(p, text, sizeof text);
            if ((*failures)++ < 5)
                fprintf(stderr,
                        "diff: %s skip %d/%llx within %lld to %d um %d rp %d/%d/%d: rows %u\n"
                        "  got  %s\n  want %s\n",
                        text, o.skip, (unsigned long long)o.skip_vars, (long long)o.within,
                        o.timeouts, o.unmatched, o.read_path, R.path_rule, keyed, R.n, R.out,
                        want);
        }
    }
    vg_nfa_free(n);
    R.path_rule = 0;
    return usable && n;
}

static void test_differential(void)
{
    uint32_t failures = 0, usable = 0, cases = 20000;
    /* NFA_CASES and NFA_SEED run other cases (when hunting for a bug) */
    if (getenv("NFA_CASES"))
        cases = (uint32_t)strtoul(getenv("NFA_CASES"), NULL, 10);
    if (getenv("NFA_ROWS"))
        max_rows = (uint32_t)strtoul(getenv("NFA_ROWS"), NULL, 10);
    if (getenv("NFA_SEED"))
        rng = strtoull(getenv("NFA_SEED"), NULL, 10) | 1;
    for (uint32_t i = 0; i < cases; i++)
        usable += diff_case(&failures);
    CHECK_INT(failures, 0);
    CHECK(usable > cases * 95 / 100);
}

/* ---- patterns a backtracking matcher takes exponential time on ---- */

/* n rows: row i holds the variables of text[i % strlen(text)] ("A" for
 * A, "." for none, "a" for A and B). */
static void cycle_rows(uint32_t n, const char *text)
{
    size_t len = strlen(text);
    R.n = n;
    R.nadv = 0;
    for (uint32_t i = 0; i < n; i++) {
        char c = text[i % len];
        R.truth[i] = c == '.' ? 0 : c == 'a' ? 3 : 1u << (c - 'A');
        R.ts[i] = i;
    }
}

/* Reports counted: "u" unmatched rows and "m@" matches. */
static uint32_t count_of(const char *what)
{
    uint32_t n = 0;
    for (const char *p = R.out; (p = strstr(p, what)); p++)
        n++;
    return n;
}

static void poly_case(const char *pat, const char *cycle, vg_mr_skip skip, uint32_t nrows,
                      uint32_t want_unmatched, const char *want_tail)
{
    vg_nfa_opts o = {.skip = skip, .unmatched = true};
    vg_nfa *n = compile(pat);
    cycle_rows(nrows, cycle);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    run_nfa(n, &o, false);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (getenv("NFA_TIME")) /* the figures, when asked for (not a test) */
        fprintf(stderr, "%-16s %-9s %u rows: %.1f ms\n", pat, skip ? "next row" : "past last",
                nrows, (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6);
    CHECK_INT(count_of("u"), want_unmatched);
    size_t len = strlen(R.out), tl = strlen(want_tail);
    CHECK(len >= tl && strcmp(R.out + len - tl, want_tail) == 0);
    vg_nfa_free(n);
}

static void test_polynomial(void)
{
    const vg_mr_skip past = VG_MR_SKIP_PAST_LAST, next = VG_MR_SKIP_TO_NEXT;
    poly_case("(A|B)* C", "AB", past, 5000, 5000, "u4999 ");
    poly_case("((A|B)*)* C", "AB", past, 5000, 5000, "u4999 ");
    poly_case("(A+)+ B", "A", past, 5000, 5000, "u4999 ");
    poly_case("(A?){20} A{20}", "AAAAAAAAAAAAAAAAAAA.", past, 5000, 5000, "u4999 ");
    /* without the head's help (TO NEXT ROW): quadratic, never exponential */
    poly_case("(A|B)* C", "AB", next, 1000, 1000, "u999 ");
    poly_case("((A|B)*)* C", "AB", next, 1000, 1000, "u999 ");
    poly_case("(A+)+ B", "A", next, 1000, 1000, "u999 ");
    poly_case("(A?){20} A{20}", "AAAAAAAAAAAAAAAAAAA.", next, 2000, 2000, "u1999 ");
    /* DEFINE reading the path, with a key: D holds right after an A */
    vg_nfa_opts k = {.read_path = true, .unmatched = true, .path_key = h_key};
    vg_nfa *n = compile("(A|D)* C");
    cycle_rows(1000, "a");
    for (uint32_t i = 0; i < 1000; i++)
        R.truth[i] = 9; /* A and D */
    R.path_rule = 3;
    run_nfa(n, &k, false);
    CHECK_INT(count_of("u"), 1000);
    R.path_rule = 0;
    vg_nfa_free(n);
    /* and when they do match */
    R.truth[4999] = 4;
    cycle_rows(4999, "a");
    vg_nfa_opts o = {0};
    n = compile("(A|B)* C");
    R.n = 5000;
    R.truth[4999] = 4;
    R.ts[4999] = 4999;
    run_nfa(n, &o, false);
    CHECK_STR(R.out, "m@0[5000 rows ending 4999] ");
    vg_nfa_free(n);
    n = compile("(A?){20} A{20}");
    cycle_rows(5000, "A");
    run_nfa(n, &o, false);
    CHECK_INT(count_of("m@"), 125); /* 40 rows each */
    CHECK(strstr(R.out, "m@4960[4960A ") != NULL);
    vg_nfa_free(n);
    /* a bounded quantifier is unrolled: A{1,1000} is 1,000 states */
    n = compile("A{1,1000}");
    run_nfa(n, &o, false);
    CHECK_STR(R.out, "m@0[1000 rows ending 999] m@1000[1000 rows ending 1999] "
                     "m@2000[1000 rows ending 2999] m@3000[1000 rows ending 3999] "
                     "m@4000[1000 rows ending 4999] ");
    vg_nfa_free(n);
}

/* ---- snapshots ---- */

/* A run restored from its snapshot before every row reports the same. */
static void test_snapshot_every_row(void)
{
    static const char *cases[][3] = {
        {"(A|B)* C", "A B A C A B", ""},
        {"A B+ | C", "A B C B A B B", ""},
        {"F N* S", "F@0 N@3 F@4 N@5 !13 S@20 F@21", "w"},
        {"A* $", ". A A", ""},
        {"(A|A) (A|A) B", "AB AB AB AB", "p"},
        {"{- A -} B{2,3}?", "A B B B A B", ""},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        vg_nfa_opts o = {.skip = VG_MR_SKIP_TO_NEXT, .unmatched = true,
                         .within = cases[c][2][0] == 'w' ? 10 : 0, .timeouts = true,
                         .read_path = cases[c][2][0] == 'p'};
        R.path_rule = o.read_path;
        vg_nfa *n = compile(cases[c][0]);
        rows(cases[c][1]);
        run_nfa(n, &o, false);
        static char want[OUTCAP];
        snprintf(want, sizeof want, "%s", R.out);
        CHECK(strlen(want) > 0);
        CHECK(run_nfa_snap(n, &o, 1));
        CHECK_STR(R.out, want);
        R.path_rule = 0;
        vg_nfa_free(n);
    }
}

/* Restore bytes to a run; when it works, run it on (nothing may crash). */
static bool restore_some(const vg_nfa *n, const vg_nfa_opts *o, const char *p, size_t len)
{
    vg_error err;
    vg_error_clear(&err);
    size_t used = 0;
    vg_nfa_run *r = vg_nfa_restore(n, o, p, len, &used, &err);
    if (!r) {
        CHECK_STR(err.msg, "corrupt snapshot");
        return false;
    }
    CHECK(used <= len);
    R.out[0] = 0;
    R.oldest = 0;
    uint64_t at = vg_nfa_next_pos(r);
    for (uint32_t i = 0; i < 3 && at + i < R.n; i++)
        vg_nfa_push(r, R.ts[at + i], &hooks, &err);
    vg_nfa_finish(r, &hooks, &err);
    vg_nfa_run_free(r);
    return true;
}

static void test_snapshot_corrupt(void)
{
    vg_nfa_opts o = {.skip = VG_MR_SKIP_TO_NEXT, .within = 50, .timeouts = true,
                     .read_path = true};
    vg_nfa *n = compile("(A|B)* {- C -} $ | A B+ | D");
    vg_nfa *other = compile("(A|B)* C");
    rows("A B A B A B C A B A B A B A B A B A B A B A B A B");
    vg_error err;
    vg_error_clear(&err);
    vg_nfa_run *r = vg_nfa_run_new(n, &o);
    for (uint32_t i = 0; i < 5; i++)
        CHECK_INT(push(r, i, &err), 0);
    vg_buf b;
    vg_buf_init(&b, VG_MEM_OTHER);
    CHECK_INT(vg_nfa_snapshot(r, &b, &err), 0);
    vg_nfa_run_free(r);
    /* the bytes are good; then every truncation, every byte changed, and noise */
    CHECK(restore_some(n, &o, b.p, b.len));
    CHECK(!restore_some(other, &o, b.p, b.len));
    uint32_t refused = 0, tries = 0;
    for (size_t len = 0; len < b.len; len++, tries++)
        refused += !restore_some(n, &o, b.p, len);
    CHECK_INT(refused, tries);
    char *copy = malloc(b.len);
    for (size_t i = 0; i < b.len; i++) {
        for (int bit = 0; bit < 8; bit += 3) {
            memcpy(copy, b.p, b.len);
            copy[i] ^= (char)(1 << bit);
            restore_some(n, &o, copy, b.len);
        }
    }
    for (int i = 0; i < 2000; i++) {
        size_t len = rnd((uint32_t)b.len * 2);
        char *noise = malloc(len + 1);
        for (size_t j = 0; j < len; j++)
            noise[j] = (char)rnd(256);
        if (len >= 16 && rnd(2))
            memcpy(noise, b.p, 16); /* a good header */
        restore_some(n, &o, noise, len);
        free(noise);
    }
    free(copy);
    vg_buf_free(&b);
    vg_nfa_free(n);
    vg_nfa_free(other);
    CHECK_INT(vg_mem_in_use(VG_MEM_STATE), 0);
}

/* ---- errors, memory ---- */

static void test_compile_errors(void)
{
    vg_nfa *n = NULL;
    vg_error err;
    vg_error_clear(&err);
    CHECK_INT(vg_nfa_compile(pattern("A{100000}"), 26, &n, &err), -1);
    CHECK_INT(err.code, VG_ERR_SEMANTIC);
    CHECK(!err.has_pos);
    CHECK_STR(err.msg, "pattern too large: more than 100000 states once its quantifiers and "
                       "PERMUTE are expanded");
    CHECK(n == NULL);
    vg_error_clear(&err);
    CHECK_INT(vg_nfa_compile(pattern("PERMUTE(A, B, C, D, E, F, G, H, I)"), 26, &n, &err), -1);
    CHECK_INT(err.code, VG_ERR_SEMANTIC);
    vg_error_clear(&err);
    CHECK_INT(vg_nfa_compile(pattern("(A B){2,50000}"), 26, &n, &err), -1);
    vg_error_clear(&err);
    CHECK_INT(vg_nfa_compile(pattern("A{4294967294}"), 26, &n, &err), -1);
    vg_error_clear(&err);
    CHECK_INT(vg_nfa_compile(pattern("A{3,2}"), 26, &n, &err), -1);
    CHECK_STR(err.msg, "quantifier minimum above its maximum");
    vg_error_clear(&err);
    CHECK_INT(vg_nfa_compile(pattern("A C"), 2, &n, &err), -1);
    CHECK_STR(err.msg, "pattern variable out of range");
    vg_error_clear(&err);
    CHECK_INT(vg_nfa_compile(pattern("A"), 65, &n, &err), -1);
    CHECK_STR(err.msg, "more than 64 pattern variables");
    vg_error_clear(&err);
    CHECK_INT(vg_nfa_compile(pattern("A{1,1000} PERMUTE(A, B, C, D, E, F)"), 26, &n, &err), 0);
    vg_nfa_free(n);
    CHECK_INT(vg_mem_in_use(VG_MEM_STATE) + vg_mem_in_use(VG_MEM_SQL), 0);
}

static void test_nullable(void)
{
    static const struct {
        const char *pat;
        bool want;
    } cases[] = {{"A", false}, {"A*", true}, {"A|()", true},   {"A B?", false},
                 {"^", true},  {"$", true},  {"A{0,3}", true}, {"PERMUTE(A?, B*)", true},
                 {"{- A -}", false}, {"(A|B)+", false}, {"(A?)+", true}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        vg_nfa *n = compile(cases[i].pat);
        CHECK_INT(vg_nfa_nullable(n), cases[i].want);
        vg_nfa_free(n);
    }
}

/* Rows repeating "FFFFS.FFFFFFFF." forever, for test_memory_flat. */
static int h_define_cycle(void *arg, uint32_t var, uint64_t pos, const vg_nfa_step *path)
{
    (void)arg, (void)path;
    char c = "FFFFS.FFFFFFFF."[pos % 15];
    return c == 'A' + (char)var;
}

static int h_count(void *arg, uint64_t start, const vg_nfa_step *path, bool timed_out)
{
    (void)start, (void)path;
    ((uint32_t *)arg)[timed_out]++;
    return 0;
}

static int h_count_unmatched(void *arg, uint64_t pos)
{
    (void)pos;
    ((uint32_t *)arg)[2]++;
    return 0;
}

/* A long partition in which attempts keep ending holds the same memory. */
static void test_memory_flat(void)
{
    vg_nfa_opts o = {.within = 600, .timeouts = true, .unmatched = true};
    vg_nfa *n = compile("F{3,} S");
    vg_nfa_run *r = vg_nfa_run_new(n, &o);
    vg_error err;
    vg_error_clear(&err);
    uint32_t counts[3] = {0};
    vg_nfa_hooks h = {h_define_cycle, h_count, h_count_unmatched, counts};
    size_t bytes = 0, threads_max = 0;
    uint64_t oldest_min = 0;
    bool ok = true;
    for (uint32_t i = 0; i < 100000 && ok; i++) {
        ok = vg_nfa_push(r, (int64_t)i * 100, &h, &err) == 0;
        if (i == 1000)
            bytes = vg_nfa_bytes(r);
        if (vg_nfa_threads(r) > threads_max)
            threads_max = vg_nfa_threads(r);
        if (i % 1000 == 999 && i > 1000)
            ok &= vg_nfa_bytes(r) <= bytes && vg_nfa_oldest(r) + 12 > vg_nfa_next_pos(r);
        oldest_min = vg_nfa_oldest(r);
    }
    CHECK(ok);
    /* per 15 rows: FFFFS matches, then . is unmatched, FFFFFFFF times out at
     * its first three rows (the others die at ., but are in timed-out rows),
     * and . is unmatched; 6,666 times, then FFFFS . FFFF */
    CHECK_INT(counts[0], 6667);
    CHECK_INT(counts[1], 6666 * 3);
    CHECK_INT(counts[2], 6666 * 2 + 1);
    CHECK(bytes > 0 && bytes < 4096);
    CHECK(threads_max <= 16);
    CHECK(oldest_min > 99900);
    vg_nfa_run_free(r);
    vg_nfa_free(n);
}

static void test_hook_errors(void)
{
    vg_nfa_opts o = {0};
    vg_nfa *n = compile("A+ B");
    rows("A A B");
    vg_error err;
    vg_error_clear(&err);
    vg_nfa_run *r = vg_nfa_run_new(n, &o);
    R.define_calls = 0;
    R.fail_define_at = 2;
    CHECK_INT(push(r, 0, &err), 0);
    CHECK_INT(push(r, 1, &err), -1);
    CHECK_INT(err.code, VG_ERR_RUNTIME);
    CHECK_STR(err.msg, "row pattern condition failed");
    R.fail_define_at = 0;
    vg_nfa_run_free(r);
    vg_nfa_free(n);
    CHECK_INT(vg_mem_in_use(VG_MEM_STATE), 0);
}

/* One pass of the allocation-failure test: compile, run with a snapshot and
 * restore halfway, end. 0, or -1 when a call failed (with "out of memory"). */
static int alloc_pass(const char *pat, const vg_nfa_opts *o)
{
    vg_nfa *n = NULL;
    vg_error err;
    vg_error_clear(&err);
    if (vg_nfa_compile(pattern(pat), 26, &n, &err)) {
        CHECK_STR(err.msg, "out of memory");
        return -1;
    }
    vg_nfa_run *r = vg_nfa_run_new(n, o);
    int rc = r ? 0 : -1;
    vg_buf b;
    vg_buf_init(&b, VG_MEM_OTHER);
    R.out[0] = 0;
    R.oldest = 0;
    for (uint32_t i = 0; i < R.n && !rc; i++) {
        rc = push(r, i, &err);
        if (i == R.n / 2 && !rc && !(rc = vg_nfa_snapshot(r, &b, &err))) {
            size_t used;
            vg_nfa_run *q = vg_nfa_restore(n, o, b.p, b.len, &used, &err);
            rc = q ? 0 : -1;
            if (q) {
                vg_nfa_run_free(r);
                r = q;
            }
        }
    }
    rc = rc ? rc : vg_nfa_finish(r, &hooks, &err);
    if (rc && r)
        CHECK_STR(err.msg, "out of memory");
    vg_buf_free(&b);
    vg_nfa_run_free(r);
    vg_nfa_free(n);
    return rc;
}

static void test_alloc_failures(void)
{
    static const struct {
        const char *pat, *rows;
        vg_nfa_opts o;
    } cases[] = {
        {"(A|B)* C | PERMUTE(A, B{1,3}?)", "A B A B C A B B A", {.skip = VG_MR_SKIP_TO_NEXT}},
        {"(A|A) ((A|B)*)* {- B -} $", "AB AB AB AB AB AB", {.read_path = true}},
        {"F N* S", "F@0 N@3 F@4 N@5 S@20 F@21 N@40", {.within = 10, .timeouts = true}},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        rows(cases[c].rows);
        static char want[OUTCAP];
        CHECK_INT(alloc_pass(cases[c].pat, &cases[c].o), 0);
        snprintf(want, sizeof want, "%s", R.out);
        uint32_t runs = 0, clean = 0;
        for (uint64_t k = 1;; k++) {
            vg_alloc_fail_at(k, 0);
            int rc = alloc_pass(cases[c].pat, &cases[c].o);
            bool failed = vg_alloc_failed();
            vg_alloc_fail_at(0, 0);
            runs++;
            clean += vg_mem_in_use(VG_MEM_STATE) == 0 && vg_mem_in_use(VG_MEM_SQL) == 0 &&
                     vg_mem_in_use(VG_MEM_OTHER) == 0 && (rc == 0) == !failed;
            if (!failed) {
                CHECK_STR(R.out, want);
                break;
            }
        }
        CHECK_INT(clean, runs);
        CHECK(runs > 20);
    }
}

int main(void)
{
    RUN(test_alternation);
    RUN(test_greedy_reluctant);
    RUN(test_empty_matches);
    RUN(test_permute);
    RUN(test_bounds);
    RUN(test_anchors);
    RUN(test_exclusion);
    RUN(test_skip);
    RUN(test_held_and_overlapping);
    RUN(test_within);
    RUN(test_unmatched);
    RUN(test_read_path);
    RUN(test_differential);
    RUN(test_polynomial);
    RUN(test_snapshot_every_row);
    RUN(test_snapshot_corrupt);
    RUN(test_compile_errors);
    RUN(test_nullable);
    RUN(test_memory_flat);
    RUN(test_hook_errors);
    RUN(test_alloc_failures);
    return CHECK_DONE();
}
