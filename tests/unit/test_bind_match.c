/*
 * test_bind_match.c — unit tests of MATCH_RECOGNIZE's binding and planning
 * (sql/bind_match.c, sql/bind_match_nav.c, sql/plan.c, sql/explain.c): the
 * vg_plan_match fields for representative queries — variables, subsets,
 * the pattern, keys, navigation values (kind, rows, offsets, types,
 * arguments, sharing), their slots in DEFINE and MEASURES, defines_read_path,
 * max_prev, max_next — the output layout of each rows-per-match mode,
 * EXPLAIN, and allocation failure at every step. The errors, with their
 * positions, are golden cases in tests/sql/match/error_*.test.
 */
#include <stdio.h>
#include <string.h>

#include "engine/expr.h"
#include "sql/binder.h"
#include "sql/parser.h"
#include "sql/plan.h"
#include "tests/unit/check.h"

static const char prelude[] =
    "CREATE STREAM t (id BIGINT, k STRING, price DOUBLE, country STRING, ts TIMESTAMP(3),\n"
    "  WATERMARK FOR ts AS ts - INTERVAL '1' SECOND);\n";

/* The input's column names, then nav0, nav1, ... for the navigation values. */
static const char *const names[] = {"id",   "k",    "price", "country", "ts",   "nav0",
                                    "nav1", "nav2", "nav3",  "nav4",    "nav5", "nav6",
                                    "nav7", "nav8", "nav9",  "nav10",   "nav11"};

static vg_arena *A;       /* the parse's */
static vg_plan *P;        /* the last plan */
static vg_error E;        /* the last error */
static char errbuf[1024]; /* "L:C message" of the last error */

/* Plan prelude + "SELECT * FROM t MATCH_RECOGNIZE (<body>)": its MATCH node, or
 * NULL with errbuf set. */
static const vg_plan_node *plan(const char *body)
{
    static char sql[4096];
    snprintf(sql, sizeof sql, "%sSELECT * FROM t MATCH_RECOGNIZE (%s);", prelude, body);
    vg_plan_free(P);
    P = NULL;
    vg_arena_free(A);
    A = vg_arena_new(VG_MEM_SQL, 4096);
    vg_source *src = vg_arena_alloc(A, sizeof *src);
    src->name = "b.sql";
    src->text = vg_arena_strndup(A, sql, strlen(sql));
    src->len = (uint32_t)strlen(sql);
    vg_ast_stmt *st;
    uint32_t n;
    vg_error_clear(&E);
    errbuf[0] = 0;
    if (vg_parse(src, A, &st, &n, &E) < 0 || vg_plan_build(st, n, &P, &E) < 0) {
        snprintf(errbuf, sizeof errbuf, "%u:%u %s", E.line, E.col, E.msg);
        return NULL;
    }
    for (uint32_t i = 0; i < P->nnodes; i++)
        if (P->nodes[i]->kind == VG_PLAN_MATCH)
            return P->nodes[i];
    return NULL;
}

/* The text of an expression over the layout (input columns, then navs). */
static const char *sql_of(const vg_expr *e)
{
    if (!e)
        return "(none)";
    const char *t = vg_expr_to_sql(e, names, A);
    return t ? t : "?";
}

/* One navigation value: kind [final] u|vars=X [l=K] [p=N] [first] TYPE [arg]
 * [distinct] [filter F]. */
static const char *nav(const vg_plan_match *m, uint32_t i)
{
    static const char *const kinds[] = {[VG_MR_NAV_LAST] = "last",
                                        [VG_MR_NAV_FIRST] = "first",
                                        [VG_MR_NAV_AGG] = "agg",
                                        [VG_MR_NAV_CLASSIFIER] = "classifier",
                                        [VG_MR_NAV_MATCH_NUMBER] = "number",
                                        [VG_MR_NAV_TIMED_OUT] = "timed_out",
                                        [VG_MR_NAV_ARRAY_AGG] = "array_agg"};
    static char buf[512];
    const vg_mr_nav *v = &m->navs[i];
    int n = snprintf(buf, sizeof buf, "%s", kinds[v->kind]);
    if (v->kind == VG_MR_NAV_AGG)
        n += snprintf(buf + n, sizeof buf - n, " %s", v->agg.call.agg->name);
    if (v->final)
        n += snprintf(buf + n, sizeof buf - n, " final");
    if (v->universal)
        n += snprintf(buf + n, sizeof buf - n, " u");
    else
        n += snprintf(buf + n, sizeof buf - n, " vars=%llx", (unsigned long long)v->vars);
    if (v->logical)
        n += snprintf(buf + n, sizeof buf - n, " l=%lld", (long long)v->logical);
    if (v->physical)
        n += snprintf(buf + n, sizeof buf - n, " p=%lld", (long long)v->physical);
    if (v->first)
        n += snprintf(buf + n, sizeof buf - n, " first");
    n += snprintf(buf + n, sizeof buf - n, " %s", vg_type_name(v->type));
    if (v->arg)
        n += snprintf(buf + n, sizeof buf - n, " %s", sql_of(v->arg));
    if (v->agg.call.distinct)
        n += snprintf(buf + n, sizeof buf - n, " distinct");
    if (v->agg.filter)
        snprintf(buf + n, sizeof buf - n, " filter %s", sql_of(v->agg.filter));
    return buf;
}

/* The node's output columns: "name TYPE, ...". */
static const char *schema(const vg_plan_node *n)
{
    static char buf[1024];
    size_t k = 0;
    buf[0] = 0;
    for (uint32_t i = 0; i < n->schema.ncols; i++)
        k += snprintf(buf + k, sizeof buf - k, "%s%s %s", i ? ", " : "", n->schema.cols[i].name,
                      vg_type_name(n->schema.cols[i].type));
    return buf;
}

/* The text EXPLAIN prints for the plan. */
static const char *explain(void)
{
    static char buf[8192];
    FILE *f = fmemopen(buf, sizeof buf, "w");
    if (!f)
        return "?";
    vg_plan_explain(P, VG_EXPLAIN_TEXT, f);
    fclose(f);
    return buf;
}

static void test_design_example(void)
{
    const vg_plan_node *n =
        plan("PARTITION BY k ORDER BY ts\n"
             "MEASURES FIRST(F.ts) AS first_fail, S.ts AS success_ts, COUNT(F.*) AS fails\n"
             "ONE ROW PER MATCH AFTER MATCH SKIP PAST LAST ROW\n"
             "PATTERN (F{3,} S) WITHIN INTERVAL '10' MINUTE\n"
             "DEFINE F AS country = 'failed', S AS country = 'captured'");
    CHECK_STR(errbuf, "");
    if (!n)
        return;
    const vg_plan_match *m = n->u.match;
    CHECK_INT(n->ninputs, 1);
    CHECK_INT(n->inputs[0]->kind, VG_PLAN_SOURCE);
    CHECK(!n->updating);
    CHECK_STR(schema(n),
              "k STRING, first_fail TIMESTAMP(3), success_ts TIMESTAMP(3), fails BIGINT");
    CHECK_INT(m->nkeys, 1);
    CHECK_INT(m->keys[0], 1);
    CHECK_INT(m->order_col, 4);
    CHECK_INT(m->nvars, 2);
    CHECK_STR(m->vars[0], "F");
    CHECK_STR(m->vars[1], "S");
    CHECK_INT(m->nsubsets, 0);
    const vg_plan_pattern *p = m->pattern;
    CHECK_INT(p->kind, VG_PAT_SEQ);
    CHECK_INT(p->nkids, 2);
    CHECK_INT(p->kids[0]->kind, VG_PAT_QUANT);
    CHECK_INT(p->kids[0]->min, 3);
    CHECK_INT(p->kids[0]->max, VG_PAT_UNBOUNDED);
    CHECK(!p->kids[0]->reluctant);
    CHECK_INT(p->kids[0]->kids[0]->kind, VG_PAT_VAR);
    CHECK_INT(p->kids[0]->kids[0]->var, 0);
    CHECK_INT(p->kids[1]->var, 1);
    CHECK_STR(sql_of(m->defines[0]), "(country = 'failed')");
    CHECK_STR(sql_of(m->defines[1]), "(country = 'captured')");
    CHECK(!m->defines_read_path);
    CHECK_INT(m->max_prev, 0);
    CHECK_INT(m->max_next, 0);
    CHECK_INT(m->nnavs, 3);
    CHECK_STR(nav(m, 0), "first vars=1 TIMESTAMP(3) ts");
    CHECK_STR(nav(m, 1), "last vars=2 TIMESTAMP(3) ts");
    CHECK_STR(nav(m, 2), "agg COUNT vars=1 BIGINT");
    CHECK_INT(m->nmeasures, 3);
    CHECK_STR(sql_of(m->measures[0]), "nav0");
    CHECK_STR(sql_of(m->measures[1]), "nav1");
    CHECK_STR(sql_of(m->measures[2]), "nav2");
    CHECK_INT(m->rows, VG_MR_ONE_ROW);
    CHECK_INT(m->skip, VG_MR_SKIP_PAST_LAST);
    CHECK_INT(m->skip_vars, 0);
    CHECK_INT(m->within, 600000);
    CHECK(!m->emit_timeouts);
    CHECK_INT(m->rowtime, -1);
    CHECK_STR(explain(),
              "sink stdout  [k STRING, first_fail TIMESTAMP(3), success_ts TIMESTAMP(3), fails "
              "BIGINT]\n"
              "  match  partition by k  order by ts  pattern (F{3,} S)  within INTERVAL '10' "
              "MINUTE  one row per match  skip past last row  define [F := (country = 'failed'), "
              "S := (country = 'captured')]  measures [first_fail := FIRST(F.ts), success_ts := "
              "S.ts, fails := COUNT(F.*)]\n"
              "    source t  [id BIGINT, k STRING, price DOUBLE, country STRING, ts TIMESTAMP(3)]  "
              "watermark (ts - INTERVAL '1' SECOND)\n");
}

/* DEFINE: columns of the current row, the navigations that read the path. */
static void test_define(void)
{
    /* plain and self-qualified columns are the current row's; PREV of it, universal FIRST,
     * COUNT(*), MATCH_NUMBER() and CLASSIFIER() of the current row read no path */
    const vg_plan_node *n = plan("ORDER BY ts PATTERN (A B+)\n"
                                 "DEFINE A AS A.price > PREV(A.price, 2) AND NEXT(price) > 0,\n"
                                 "  B AS COUNT(*) > 1 AND FIRST(price) > 0 AND MATCH_NUMBER() > 0 "
                                 "AND CLASSIFIER() = 'B' AND B.id > 0");
    CHECK_STR(errbuf, "");
    if (!n)
        return;
    const vg_plan_match *m = n->u.match;
    CHECK_STR(sql_of(m->defines[0]), "((price > nav0) AND (nav1 > 0.0))");
    CHECK_STR(sql_of(m->defines[1]),
              "(((((nav2 > 1) AND (nav3 > 0.0)) AND (nav4 > 0)) AND (nav5 = 'B')) AND (id > 0))");
    CHECK_INT(m->nnavs, 6);
    CHECK_STR(nav(m, 0), "last u p=-2 DOUBLE price");
    CHECK_STR(nav(m, 1), "last u p=1 DOUBLE price");
    CHECK_STR(nav(m, 2), "agg COUNT u BIGINT");
    CHECK_STR(nav(m, 3), "first u DOUBLE price");
    CHECK_STR(nav(m, 4), "number u BIGINT");
    CHECK_STR(nav(m, 5), "classifier u STRING");
    CHECK(!m->defines_read_path);
    CHECK_INT(m->max_prev, 2);
    CHECK_INT(m->max_next, 1);
    /* a variable without DEFINE is always true: NULL */
    n = plan("ORDER BY ts PATTERN (A B) DEFINE B AS TRUE");
    CHECK(n && !n->u.match->defines[0] && !n->u.match->defines[1]);
    /* another variable's rows read the path: LAST, aggregates, a back reference */
    const char *reading[] = {
        "B AS price > LAST(A.price)",    "B AS COUNT(A.*) >= 2",    "B AS B.country <> A.country",
        "B AS PREV(CLASSIFIER()) = 'A'", "B AS FIRST(A.price) > 0", "A AS LAST(A.price, 1) > 0",
        "A AS SUM(A.price) > 10",
    };
    for (size_t i = 0; i < sizeof reading / sizeof reading[0]; i++) {
        char body[256];
        snprintf(body, sizeof body, "ORDER BY ts PATTERN (A+ B) DEFINE %s", reading[i]);
        n = plan(body);
        CHECK(n && n->u.match->defines_read_path);
        if (n && !n->u.match->defines_read_path)
            fprintf(stderr, "  not reading the path: %s\n", reading[i]);
    }
    /* A.x in A's own DEFINE, and LAST of a subset holding A there, are the current row */
    n = plan("ORDER BY ts PATTERN (A+ B) SUBSET U = (A, B) DEFINE A AS PREV(A.price) < "
             "LAST(U.price)");
    CHECK(n && !n->u.match->defines_read_path);
    CHECK_STR(n ? nav(n->u.match, 0) : "", "last u p=-1 DOUBLE price");
    CHECK_STR(n ? nav(n->u.match, 1) : "", "last u DOUBLE price");
    /* the same in MEASURES is the last row of the variable */
    n = plan("ORDER BY ts MEASURES PREV(A.price) AS p PATTERN (A+ B)");
    CHECK_STR(n ? nav(n->u.match, 0) : "", "last vars=1 p=-1 DOUBLE price");
}

/* MEASURES: every navigation form, and identical ones shared. */
static void test_measures(void)
{
    const vg_plan_node *n = plan(
        "ORDER BY ts\n"
        "MEASURES A.price AS a, LAST(A.price) + 1 AS b, price AS c, RUNNING LAST(price) AS d,\n"
        "  FINAL LAST(A.price) AS e, PREV(LAST(A.price, 1), 2) AS f,\n"
        "  NEXT(FINAL FIRST(B.price), 3) AS g, FIRST(A.price * 2, 1) AS h,\n"
        "  FIRST(CLASSIFIER()) AS i, LAST(CLASSIFIER(), 1) AS j, NEXT(CLASSIFIER()) AS l\n"
        "PATTERN (A+ B*)");
    CHECK_STR(errbuf, "");
    if (!n)
        return;
    const vg_plan_match *m = n->u.match;
    CHECK_INT(m->nnavs, 9);
    CHECK_STR(nav(m, 0), "last vars=1 DOUBLE price");
    CHECK_STR(nav(m, 1), "last u DOUBLE price");
    CHECK_STR(nav(m, 2), "last final vars=1 DOUBLE price");
    CHECK_STR(nav(m, 3), "last vars=1 l=1 p=-2 DOUBLE price");
    CHECK_STR(nav(m, 4), "first final vars=2 p=3 DOUBLE price");
    CHECK_STR(nav(m, 5), "first vars=1 l=1 DOUBLE (price * 2.0)");
    CHECK_STR(nav(m, 6), "classifier u first STRING");
    CHECK_STR(nav(m, 7), "classifier u l=1 STRING");
    CHECK_STR(nav(m, 8), "classifier u p=1 STRING");
    CHECK_STR(sql_of(m->measures[0]), "nav0");
    CHECK_STR(sql_of(m->measures[1]), "(nav0 + 1.0)");
    CHECK_STR(sql_of(m->measures[2]), "nav1");
    CHECK_STR(sql_of(m->measures[3]), "nav1");
    CHECK_STR(sql_of(m->measures[4]), "nav2");
    CHECK_STR(sql_of(m->measures[8]), "nav6");
    CHECK_INT(m->max_prev, 2);
    CHECK_INT(m->max_next, 3);
    CHECK_STR(schema(n), "a DOUBLE, b DOUBLE, c DOUBLE, d DOUBLE, e DOUBLE, f DOUBLE, g DOUBLE, "
                         "h DOUBLE, i STRING, j STRING, l STRING");
}

/* MATCH_ROWTIME(): FINAL LAST of the ORDER BY column, the measure that is
 * the output's event time (its errors are golden cases). */
static void test_rowtime(void)
{
    const vg_plan_node *n = plan("PARTITION BY k ORDER BY ts\n"
                                 "MEASURES COUNT(*) AS c, MATCH_ROWTIME() AS mt, "
                                 "MATCH_ROWTIME(ts) AS mt2, LAST(ts) AS lt\n"
                                 "PATTERN (A B+)");
    CHECK_STR(errbuf, "");
    if (!n)
        return;
    const vg_plan_match *m = n->u.match;
    CHECK_INT(m->rowtime, 1);
    CHECK_INT(m->nnavs, 4);
    CHECK_STR(nav(m, 1), "last final u TIMESTAMP(3) ts");
    CHECK_STR(nav(m, 2), "last final u TIMESTAMP(3) ts");
    CHECK_STR(nav(m, 3), "last u TIMESTAMP(3) ts");
    CHECK_STR(sql_of(m->measures[1]), "nav1");
    CHECK_STR(sql_of(m->measures[2]), "nav2");
    CHECK_STR(schema(n), "k STRING, c BIGINT, mt TIMESTAMP(3), mt2 TIMESTAMP(3), lt TIMESTAMP(3)");
    CHECK(strstr(explain(), "measures [c := COUNT(*), mt := MATCH_ROWTIME(), mt2 := FINAL "
                            "LAST(ts), lt := ts]") != NULL);
}

static void test_aggregates(void)
{
    const vg_plan_node *n =
        plan("ORDER BY ts\n"
             "MEASURES COUNT(*) AS a, COUNT(A.*) AS b, COUNT(B.price) AS c, SUM(A.price) AS d,\n"
             "  AVG(U.price) AS e, MIN(A.country) AS f, MAX(price) AS g, FINAL COUNT(*) AS h,\n"
             "  COUNT(DISTINCT A.country) AS i, SUM(A.price) FILTER (WHERE A.price > 1) AS j,\n"
             "  ARRAY_AGG(B.country) AS k2, ARRAY_AGG(A.id) FILTER (WHERE A.id > 2) AS l,\n"
             "  count(a.*) AS m2, COUNT(A.*) FILTER (WHERE A.price > 2) AS n2\n"
             "PATTERN (A+ B* a?) SUBSET U = (A, B)");
    CHECK_STR(errbuf, "");
    if (!n)
        return;
    const vg_plan_match *m = n->u.match;
    CHECK_INT(m->nvars, 3);
    CHECK_INT(m->nsubsets, 1);
    CHECK_STR(m->subset_names[0], "U");
    CHECK_INT(m->subset_vars[0], 3);
    CHECK_INT(m->nnavs, 14);
    CHECK_STR(nav(m, 0), "agg COUNT u BIGINT");
    CHECK_STR(nav(m, 1), "agg COUNT vars=1 BIGINT");
    CHECK_STR(nav(m, 2), "agg COUNT vars=2 BIGINT price");
    CHECK_STR(nav(m, 3), "agg SUM vars=1 DOUBLE price");
    CHECK_STR(nav(m, 4), "agg AVG vars=3 DOUBLE price");
    CHECK_STR(nav(m, 5), "agg MIN vars=1 STRING country");
    CHECK_STR(nav(m, 6), "agg MAX u DOUBLE price");
    CHECK_STR(nav(m, 7), "agg COUNT final u BIGINT");
    CHECK_STR(nav(m, 8), "agg COUNT vars=1 BIGINT country distinct");
    CHECK_STR(nav(m, 9), "agg SUM vars=1 DOUBLE price filter (price > 1.0)");
    CHECK_STR(nav(m, 10), "array_agg vars=2 STRING country");
    CHECK_STR(nav(m, 11), "array_agg vars=1 STRING id filter (id > 2)");
    CHECK_STR(nav(m, 12), "agg COUNT vars=4 BIGINT");
    CHECK_STR(nav(m, 13), "agg COUNT vars=1 BIGINT filter (price > 2.0)");
    CHECK(m->navs[10].agg.args[0] == m->navs[10].arg);
    CHECK(m->navs[10].agg.call.agg == NULL);
    CHECK(m->navs[3].agg.args[0] == m->navs[3].arg);
    CHECK(m->navs[0].arg == NULL);
    CHECK_STR(explain(),
              "sink stdout  [a BIGINT, b BIGINT, c BIGINT, d DOUBLE, e DOUBLE, f STRING, g "
              "DOUBLE, h BIGINT, i BIGINT, j DOUBLE, k2 STRING, l STRING, m2 BIGINT, n2 BIGINT]\n"
              "  match  order by ts  pattern (A+ B* a?)  one row per match  skip past last row  "
              "subset U = (A, B)  measures [a := COUNT(*), b := COUNT(A.*), c := COUNT(B.price), "
              "d := SUM(A.price), e := AVG(U.price), f := MIN(A.country), g := MAX(price), h := "
              "FINAL COUNT(*), i := COUNT(DISTINCT A.country), j := SUM(A.price) FILTER (WHERE "
              "(A.price > 1.0)), k2 := ARRAY_AGG(B.country), l := ARRAY_AGG(A.id) FILTER (WHERE "
              "(A.id > 2)), m2 := COUNT(a.*), n2 := COUNT(A.*) FILTER (WHERE (A.price > "
              "2.0))]\n"
              "    source t  [id BIGINT, k STRING, price DOUBLE, country STRING, ts TIMESTAMP(3)]  "
              "watermark (ts - INTERVAL '1' SECOND)\n");
}

/* Variables in order of first appearance; the pattern's shape kept. */
static void test_pattern(void)
{
    const vg_plan_node *n = plan("ORDER BY ts AFTER MATCH SKIP TO FIRST C\n"
                                 "PATTERN (^ B A (C | A)*? {- B -} PERMUTE(D, \"e f\") () $)");
    CHECK_STR(errbuf, "");
    if (!n)
        return;
    const vg_plan_match *m = n->u.match;
    CHECK_INT(m->nvars, 5);
    CHECK_STR(m->vars[0], "B");
    CHECK_STR(m->vars[1], "A");
    CHECK_STR(m->vars[2], "C");
    CHECK_STR(m->vars[3], "D");
    CHECK_STR(m->vars[4], "e f");
    const vg_plan_pattern *p = m->pattern;
    CHECK_INT(p->kind, VG_PAT_SEQ);
    CHECK_INT(p->nkids, 8);
    CHECK_INT(p->kids[0]->kind, VG_PAT_START);
    CHECK_INT(p->kids[3]->kind, VG_PAT_QUANT);
    CHECK(p->kids[3]->reluctant);
    CHECK_INT(p->kids[3]->kids[0]->kind, VG_PAT_ALT);
    CHECK_INT(p->kids[3]->kids[0]->kids[0]->var, 2);
    CHECK_INT(p->kids[3]->kids[0]->kids[1]->var, 1);
    CHECK_INT(p->kids[4]->kind, VG_PAT_EXCLUDE);
    CHECK_INT(p->kids[4]->kids[0]->var, 0);
    CHECK_INT(p->kids[5]->kind, VG_PAT_PERMUTE);
    CHECK_INT(p->kids[5]->kids[1]->var, 4);
    CHECK_INT(p->kids[6]->kind, VG_PAT_EMPTY);
    CHECK_INT(p->kids[7]->kind, VG_PAT_END);
    CHECK_INT(m->skip, VG_MR_SKIP_TO_FIRST);
    CHECK_INT(m->skip_vars, 4);
    CHECK(strstr(explain(), "pattern (^ B A (C | A)*? {- B -} PERMUTE(D, `e f`) () $)  one "
                            "row per match  skip to first C\n") != NULL);
    n = plan("ORDER BY ts PATTERN ((A B)+ (C | D | (E | F)) G{2,5}? H{,3} I{4} ((J)){1,})");
    CHECK(strstr(explain(), "pattern ((A B)+ (C | D | (E | F)) G{2,5}? H{,3} I{4} J+)") != NULL);
    n = plan("ORDER BY ts PATTERN (() | A?\?)");
    CHECK(strstr(explain(), "pattern (() | A?\?)") != NULL);
    n = plan("ORDER BY ts PATTERN (())");
    CHECK(strstr(explain(), "pattern ()  ") != NULL);
    n = plan("ORDER BY ts PATTERN (((A*)*){2,})");
    CHECK(strstr(explain(), "pattern (((A*)*){2,})") != NULL);
    /* 64 variables are allowed */
    char body[1024] = "ORDER BY ts PATTERN (";
    for (int i = 0; i < 64; i++)
        snprintf(body + strlen(body), sizeof body - strlen(body), "V%d ", i);
    strcat(body, ")");
    n = plan(body);
    CHECK(n && n->u.match->nvars == 64);
}

/* The output of each rows-per-match mode, skip and WITHIN. */
static void test_modes(void)
{
    const vg_plan_node *n = plan("PARTITION BY country, k ORDER BY ts\n"
                                 "MEASURES CLASSIFIER() AS cls, MATCH_NUMBER() AS mn\n"
                                 "ALL ROWS PER MATCH AFTER MATCH SKIP TO LAST U\n"
                                 "PATTERN (A B) SUBSET U = (A, B)");
    CHECK_STR(errbuf, "");
    if (!n)
        return;
    CHECK_STR(schema(n), "country STRING, k STRING, ts TIMESTAMP(3), cls STRING, mn BIGINT, id "
                         "BIGINT, price DOUBLE");
    CHECK_INT(n->u.match->rows, VG_MR_ALL_ROWS);
    CHECK_INT(n->u.match->skip, VG_MR_SKIP_TO_LAST);
    CHECK_INT(n->u.match->skip_vars, 3);
    CHECK(strstr(explain(), "  match  partition by country, k  order by ts  pattern (A B)  all "
                            "rows per match  skip to last U  subset U = (A, B)  measures [cls := "
                            "CLASSIFIER(), mn := MATCH_NUMBER()]\n") != NULL);
    n = plan("ORDER BY ts ALL ROWS PER MATCH OMIT EMPTY MATCHES AFTER MATCH SKIP TO B "
             "PATTERN (A* B*)");
    CHECK_STR(n ? schema(n) : errbuf, "ts TIMESTAMP(3), id BIGINT, k STRING, price DOUBLE, "
                                      "country STRING");
    CHECK(n && n->u.match->rows == VG_MR_ALL_ROWS_OMIT_EMPTY);
    CHECK(n && n->u.match->skip == VG_MR_SKIP_TO_LAST && n->u.match->skip_vars == 2);
    n = plan("ORDER BY ts ALL ROWS PER MATCH WITH UNMATCHED ROWS AFTER MATCH SKIP TO NEXT ROW "
             "PATTERN (A)");
    CHECK(n && n->u.match->rows == VG_MR_ALL_ROWS_UNMATCHED);
    CHECK(n && n->u.match->skip == VG_MR_SKIP_TO_NEXT && n->u.match->skip_vars == 0);
    CHECK(strstr(explain(), "all rows per match with unmatched rows  skip to next row") != NULL);
    n = plan("ORDER BY ts ALL ROWS PER MATCH SHOW EMPTY MATCHES PATTERN (A)");
    CHECK(n && n->u.match->rows == VG_MR_ALL_ROWS);
    /* WITHIN and EMIT TIMEOUTS */
    n = plan("PARTITION BY k ORDER BY ts MEASURES TIMED_OUT() AS late, A.id AS a "
             "PATTERN (A B) WITHIN INTERVAL '1.5' SECOND EMIT TIMEOUTS");
    CHECK_STR(n ? schema(n) : errbuf, "k STRING, late BOOLEAN, a BIGINT");
    CHECK(n && n->u.match->within == 1500 && n->u.match->emit_timeouts);
    CHECK_STR(n ? nav(n->u.match, 0) : "", "timed_out u BOOLEAN");
    CHECK(strstr(explain(), "within INTERVAL '1.500' SECOND emit timeouts") != NULL);
    /* the output alias qualifies the output columns; the input's name its columns */
    n = plan("PARTITION BY t.k ORDER BY t.ts MEASURES A.id AS a PATTERN (A)) AS m "
             "WHERE m.a > (0");
    CHECK_STR(errbuf, "");
    CHECK(strstr(explain(), "sink stdout  [k STRING, a BIGINT]\n  project  filter (a > 0)  "
                            "[k := k, a := a]\n    match  partition by k  order by "
                            "ts  pattern (A)") != NULL);
    CHECK(plan("ORDER BY ts MEASURES A.id AS a PATTERN (A)) AS m WHERE t.id > (0") == NULL);
    CHECK_STR(errbuf, "3:89 unknown table alias 't'");
}

/* ORDER BY ts, then further keys: each a column (read by slot) or an
 * expression, DESC and the null order it implies, which ALL ROWS lays out. */
static void test_order_keys(void)
{
    const vg_plan_node *n = plan("PARTITION BY k ORDER BY ts, price DESC, k, LOWER(country), id, "
                                 "t.price ASC MEASURES A.id AS a ALL ROWS PER MATCH PATTERN (A)");
    CHECK_STR(errbuf, "");
    if (!n)
        return;
    const vg_plan_match *m = n->u.match;
    CHECK_INT(m->order_col, 4);
    CHECK_INT(m->norder, 5);
    static const int32_t slots[] = {2, 1, -1, 0, 2};
    static const bool desc[] = {true, false, false, false, false};
    static const bool out[] = {true, false, false, true, false};
    for (uint32_t i = 0; i < 5 && m->norder == 5; i++) {
        CHECK_INT(m->order[i].slot, slots[i]);
        CHECK_INT(m->order[i].desc, desc[i]);
        CHECK_INT(m->order[i].nulls_first, !desc[i]);
        CHECK_INT(m->order[i].out, out[i]);
    }
    CHECK_STR(sql_of(m->order[2].expr), "LOWER(country)");
    CHECK_STR(schema(n), "k STRING, ts TIMESTAMP(3), price DOUBLE, id BIGINT, a BIGINT, "
                         "country STRING");
    CHECK(strstr(explain(), "order by ts, price DESC, k, LOWER(country), id, price  pattern (A)") !=
          NULL);
    n = plan("ORDER BY ts MEASURES A.id AS a PATTERN (A)");
    CHECK(n && n->u.match->norder == 0 && n->u.match->order == NULL);
    /* the first key: the event-time column, ascending; the others of the input row */
    CHECK(plan("ORDER BY id, ts PATTERN (A)") == NULL);
    CHECK_STR(errbuf, "3:43 MATCH_RECOGNIZE must be ordered by the event-time column 'ts'");
    CHECK(plan("ORDER BY ts DESC, id PATTERN (A)") == NULL);
    CHECK_STR(errbuf, "3:34 MATCH_RECOGNIZE must be ordered ascending by event time");
    CHECK_INT(E.mark_len, 16);
    CHECK(plan("ORDER BY ts, SUM(id) PATTERN (A)") == NULL);
    CHECK_STR(errbuf, "3:47 aggregate functions are not allowed in MATCH_RECOGNIZE ORDER BY");
    CHECK(plan("ORDER BY ts, id + NEXT(id) PATTERN (A)") == NULL);
    CHECK_STR(errbuf, "3:52 NEXT() cannot be used in MATCH_RECOGNIZE ORDER BY: it reads the rows "
                      "of a match");
    CHECK(plan("ORDER BY ts, nope PATTERN (A)") == NULL);
    CHECK_STR(errbuf, "3:47 unknown column 'nope'");
}

/* A MATCH_RECOGNIZE in a view, over a subquery, read by another query. */
static void test_composition(void)
{
    vg_plan_free(P);
    P = NULL;
    vg_arena_free(A);
    A = vg_arena_new(VG_MEM_SQL, 4096);
    const char *sql =
        "CREATE STREAM t (id BIGINT, k STRING, price DOUBLE, ts TIMESTAMP(3), "
        "WATERMARK FOR ts AS ts);\n"
        "CREATE VIEW v AS SELECT * FROM (SELECT id, k, price * 2 AS p2, ts FROM t WHERE id > 0) "
        "AS s MATCH_RECOGNIZE (PARTITION BY s.k ORDER BY s.ts MEASURES A.p2 AS x "
        "ALL ROWS PER MATCH PATTERN (A)) AS m;\n"
        "INSERT INTO out SELECT m.x, k FROM v AS m WHERE m.x > 1;";
    vg_source src = {"c.sql", sql, (uint32_t)strlen(sql)};
    vg_ast_stmt *st;
    uint32_t n;
    vg_error_clear(&E);
    CHECK_INT(vg_parse(&src, A, &st, &n, &E), 0);
    CHECK_INT(vg_plan_build(st, n, &P, &E), 0);
    CHECK_STR(E.msg, "");
    if (!P)
        return;
    /* source, WHERE of the subquery, match, the view, WHERE of the INSERT, sink */
    CHECK_INT(P->nnodes, 6);
    CHECK_INT(P->nodes[2]->kind, VG_PLAN_MATCH);
    CHECK_STR(P->nodes[2]->view, "v");
    CHECK_STR(P->nodes[3]->name, "v");
    CHECK_INT(P->nodes[2]->u.match->order_col, 3);
    CHECK_INT(P->nodes[2]->u.match->keys[0], 1);
    CHECK_STR(schema(P->nodes[2]), "k STRING, ts TIMESTAMP(3), x DOUBLE, id BIGINT, p2 DOUBLE");
    CHECK_STR(schema(P->nodes[4]), "x DOUBLE, k STRING");
}

/* Allocation failures anywhere in binding (every allocation a chunk of its
 * own, each failing in turn), then in planning: a clean out-of-memory. */
static void test_alloc_failures(void)
{
    static char sql[2048];
    snprintf(sql, sizeof sql,
             "%sSELECT * FROM t MATCH_RECOGNIZE (PARTITION BY k ORDER BY ts, id DESC, "
             "LOWER(country) MEASURES FINAL "
             "LAST(A.price) AS a, COUNT(B.*) AS b, ARRAY_AGG(U.country) FILTER (WHERE U.id > 1) "
             "AS c, PREV(CLASSIFIER()) AS d, SUM(DISTINCT A.price) AS e, A.price + 1 AS f ALL "
             "ROWS PER MATCH AFTER MATCH SKIP TO LAST U PATTERN (^ A+ (B | C)*? PERMUTE(D, E) $) "
             "WITHIN INTERVAL '1' MINUTE SUBSET U = (A, B) DEFINE A AS price > PREV(price) AND "
             "UPPER(country) LIKE 'N%%', B AS COUNT(A.*) > 1 AND B.id > A.id) AS m",
             prelude);
    vg_plan_free(P);
    P = NULL;
    vg_source src = {"t.sql", sql, (uint32_t)strlen(sql)};
    size_t before = vg_mem_in_use(VG_MEM_SQL);
    int nomem = 0, ok = 0, bad = 0;
    for (uint64_t k = 1; k < 5000 && !ok; k++) {
        vg_arena *a = vg_arena_new(VG_MEM_SQL, 1);
        vg_expr_pool *pool = a ? vg_expr_pool_new(a) : NULL;
        vg_binder *b = pool ? vg_binder_new(pool) : NULL;
        vg_ast_stmt *st;
        uint32_t n;
        vg_error err;
        vg_error_clear(&err);
        if (!b || vg_parse(&src, a, &st, &n, &err) < 0 || n != 2) {
            bad++;
            break;
        }
        vg_bound_stmt bs;
        int rc = vg_binder_bind(b, &st[0], &bs, &err);
        vg_alloc_fail_at(k, 0);
        rc = rc < 0 ? rc : vg_binder_bind(b, &st[1], &bs, &err);
        int injected = vg_alloc_failed();
        vg_alloc_fail_at(0, 0);
        if (rc < 0) {
            nomem++;
            bad += err.code != VG_ERR_NOMEM || strcmp(err.msg, "out of memory") != 0;
        } else {
            ok = !injected;
        }
        vg_expr_pool_release(pool);
        vg_arena_free(a);
    }
    CHECK(nomem > 150);
    CHECK_INT(ok, 1);
    CHECK_INT(bad, 0);
    /* the plan's own allocations, failing from the k-th on */
    ok = 0;
    for (uint64_t k = 1; k < 100 && !ok; k++) {
        vg_arena *a = vg_arena_new(VG_MEM_SQL, 1024);
        vg_ast_stmt *st;
        uint32_t n;
        vg_error err;
        vg_error_clear(&err);
        if (!a || vg_parse(&src, a, &st, &n, &err) < 0)
            break;
        vg_plan *p = NULL;
        vg_alloc_fail_at(k, 1);
        int rc = vg_plan_build(st, n, &p, &err);
        vg_alloc_fail_at(0, 0);
        if (rc < 0)
            bad += err.code != VG_ERR_NOMEM || p != NULL;
        ok = rc == 0;
        vg_plan_free(p);
        vg_arena_free(a);
    }
    CHECK_INT(ok, 1);
    CHECK_INT(bad, 0);
    CHECK_INT(vg_mem_in_use(VG_MEM_SQL), before);
}

int main(void)
{
    RUN(test_design_example);
    RUN(test_define);
    RUN(test_measures);
    RUN(test_rowtime);
    RUN(test_aggregates);
    RUN(test_pattern);
    RUN(test_modes);
    RUN(test_order_keys);
    RUN(test_composition);
    RUN(test_alloc_failures);
    vg_plan_free(P);
    vg_arena_free(A);
    return CHECK_DONE();
}
