/*
 * test_nfa.c — the row pattern matcher (engine/nfa.h): the hand-written
 * cases of nfa_cases.inc, with exact reports for every construct and
 * option, each also run through the reference matcher (nfa_ref.inc); a
 * randomized differential test against the reference (keys, serial runs,
 * followers and attempts that pile up included); patterns that are
 * exponential for a backtracking matcher over 5,000 rows, in every skip
 * mode; snapshot and restore at every row; compile errors; memory that
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
#include "tests/unit/nfa_cases.inc"

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
    R.reports = 0;
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
 * the reference does. false when the case was not usable (too large).
 * pile: keys that keep attempts apart (path rule 6) over 34 to 48 rows, so
 * that attempts pile up and the run turns serial. */
static bool diff_case(uint32_t *failures, bool pile)
{
    uint32_t nv = 3 + rnd(2);
    pool.nn = pool.nk = 0;
    const vg_plan_pattern *k[3];
    uint32_t nk = 1 + rnd(3);
    for (uint32_t i = 0; i < nk; i++)
        k[i] = gen(3, nv);
    if (pile) { /* a loop over any row first keeps attempts open */
        const vg_plan_pattern *any[3], *alt;
        for (uint32_t v = 0; v < 3; v++) {
            vg_plan_pattern *x = pnode(VG_PAT_VAR, NULL, 0);
            x->var = v;
            any[v] = x;
        }
        alt = pnode(VG_PAT_ALT, any, 3);
        vg_plan_pattern *q = pnode(VG_PAT_QUANT, &alt, 1);
        q->max = VG_PAT_UNBOUNDED;
        k[0] = q;
    }
    const vg_plan_pattern *p = nk == 1 ? k[0] : pnode(VG_PAT_SEQ, k, nk);
    R.n = pile ? 34 + rnd(15) : rnd(max_rows + 1);
    R.nadv = 0;
    uint32_t density = pile ? 70 + rnd(30) : 30 + rnd(60);
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
    int rule = rnd(3) == 0 ? (int)rnd(6) : -1; /* a path rule (0: none), or no path read */
    vg_nfa_opts o = {.skip = (vg_mr_skip)rnd(4), .skip_vars = 1 + rnd((1u << nv) - 1),
                     .within = rnd(2) ? 0 : 1 + rnd(8), .timeouts = rnd(2),
                     .unmatched = rnd(2),
                     .read_path = rule >= 0 && rule < 5 && (R.n <= 14 || keyed),
                     .serial = rule == 5 || rnd(6) == 0};
    if (pile)
        o.read_path = keyed = true, o.serial = false, o.within = 0, rule = 6;
    o.path_key = keyed && o.read_path ? h_key : NULL;
    R.path_rule = o.read_path || rule == 5 ? rule : 0;
    static char want[OUTCAP];
    ref_input in = {.n = R.n, .ts = R.ts, .define = h_define, .arg = &R, .o = &o,
                    .reports = &R.reports};
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
                        "diff: %s skip %d/%llx within %lld to %d um %d rp %d/%d/%d serial %d: "
                        "rows %u\n  got  %s\n  want %s\n",
                        text, o.skip, (unsigned long long)o.skip_vars, (long long)o.within,
                        o.timeouts, o.unmatched, o.read_path, R.path_rule, keyed, o.serial, R.n,
                        R.out, want);
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
        usable += diff_case(&failures, false);
    CHECK_INT(failures, 0);
    CHECK(usable > cases * 95 / 100);
    uint32_t piled = 0;
    for (uint32_t i = 0; i < cases / 40; i++)
        piled += diff_case(&failures, true);
    CHECK_INT(failures, 0);
    CHECK(piled > cases / 40 * 3 / 4);
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
    /* TO NEXT ROW: later attempts follow the first (when their threads
     * reach its states); attempts that end soon are cheap anyway */
    poly_case("(A|B)* C", "AB", next, 5000, 5000, "u4999 ");
    poly_case("((A|B)*)* C", "AB", next, 5000, 5000, "u4999 ");
    poly_case("(A+)+ B", "A", next, 5000, 5000, "u4999 ");
    poly_case("(A?){20} A{20}", "AAAAAAAAAAAAAAAAAAA.", next, 5000, 5000, "u4999 ");
    poly_case("(A|B)* C", "AB", VG_MR_SKIP_TO_FIRST, 1000, 1000, "u999 ");
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
        {"(A|B)* D", "AB AB B AD AB D AB", "k"},
        {"A+ D", "A A A D A A D", "s"},
        {"F N* S", "F@0 N@3 F@4 N@5 !13 S@20 F@21 S@22", "ws"},
        {"A+ (B C)?", "A A A B C A A", ""},
        {"A* D", "A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A A "
                 "AD AD", "6"},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        const char *f = cases[c][2];
        bool keys = f[0] == 'k' || f[0] == '6';
        vg_nfa_opts o = {.skip = f[0] == '6' ? VG_MR_SKIP_PAST_LAST : VG_MR_SKIP_TO_NEXT,
                         .unmatched = true, .within = strchr(f, 'w') ? 10 : 0, .timeouts = true,
                         .read_path = f[0] == 'p' || keys, .path_key = keys ? h_key : NULL,
                         .serial = strchr(f, 's') != NULL};
        R.path_rule = f[0] == 'p'   ? 1
                      : f[0] == 'k' ? 2
                      : f[0] == '6' ? 6
                      : strchr(f, 's') ? 5
                                       : 0;
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
static int h_define_cycle(void *arg, uint32_t var, uint64_t pos, const vg_nfa_step *path,
                          const void *key, uint32_t key_len, vg_buf *next_key)
{
    (void)arg, (void)path, (void)key, (void)key_len, (void)next_key;
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
    R.reports = 0;
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
        {"(A|B)* D", "AB AB B AD AB D AB",
         {.skip = VG_MR_SKIP_TO_NEXT, .read_path = true, .path_key = h_key}},
        {"A+ D", "A A A D A A D", {.serial = true, .skip = VG_MR_SKIP_TO_NEXT}},
        {"(A|B)* C", "A B AB A C B", {.skip = VG_MR_SKIP_TO_NEXT, .unmatched = true}},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        rows(cases[c].rows);
        R.path_rule = cases[c].o.path_key ? 2 : cases[c].o.serial ? 5 : 0;
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
    R.path_rule = 0;
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
    RUN(test_twins);
    RUN(test_unmatched);
    RUN(test_read_path);
    RUN(test_serial);
    RUN(test_followers);
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
