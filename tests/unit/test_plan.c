/*
 * test_plan.c — planning real SQL: node kinds, order and sharing, the
 * EXPLAIN text and graphviz output compared verbatim, identity projections
 * left out, errors and allocation failures.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sql/parser.h"
#include "sql/plan.h"
#include "tests/unit/check.h"

static const char stream_sql[] =
    "CREATE STREAM payments (payment_id STRING, card_id STRING, amount DOUBLE, status STRING,\n"
    "  ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '5' SECOND);\n";

static const char source_line[] =
    "source payments  [payment_id STRING, card_id STRING, amount DOUBLE, status STRING, "
    "ts TIMESTAMP(3)]  watermark (ts - INTERVAL '5' SECOND)\n";

static vg_arena *arena;

/* Parse and plan text; NULL with *err set on failure. */
static vg_plan *plan_of(const char *text, vg_error *err)
{
    vg_source *src = vg_arena_alloc(arena, sizeof *src);
    src->name = "p.sql";
    src->text = text;
    src->len = (uint32_t)strlen(text);
    vg_ast_stmt *stmts;
    uint32_t n;
    vg_error_clear(err);
    if (vg_parse(src, arena, &stmts, &n, err) < 0)
        return NULL;
    vg_plan *p = NULL;
    if (vg_plan_build(stmts, n, &p, err) < 0)
        return NULL;
    return p;
}

/* EXPLAIN output as a string in the arena. */
static const char *explain(const vg_plan *p, vg_explain_format fmt)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return "(no stream)";
    int rc = p ? vg_plan_explain(p, fmt, f) : -1;
    fclose(f);
    const char *s = rc == 0 ? vg_arena_strndup(arena, buf, len) : "(failed)";
    free(buf);
    return s;
}

static const char *cat(const char *a, const char *b, const char *c)
{
    return vg_arena_printf(arena, "%s%s%s", a, b, c);
}

/* Every node after its inputs, ids matching positions. */
static void check_topological(const vg_plan *p)
{
    for (uint32_t i = 0; i < p->nnodes; i++) {
        CHECK_INT(p->nodes[i]->id, i);
        for (uint32_t j = 0; j < p->nodes[i]->ninputs; j++)
            CHECK(p->nodes[i]->inputs[j]->id < i);
    }
}

static void test_three_statements(void)
{
    vg_error err;
    vg_plan *p = plan_of(cat(stream_sql,
                             "CREATE VIEW high_value AS\n"
                             "  SELECT payment_id, amount FROM payments WHERE amount >= 500.0;\n"
                             "SELECT * FROM high_value;\n",
                             ""),
                         &err);
    CHECK(p != NULL);
    if (!p)
        return;
    CHECK_STR(explain(p, VG_EXPLAIN_TEXT), cat("sink stdout  [payment_id STRING, amount DOUBLE]\n"
                                               "  project high_value  filter (amount >= 500.0)  "
                                               "[payment_id := payment_id, amount := amount]\n    ",
                                               source_line, ""));
    CHECK_STR(explain(p, VG_EXPLAIN_DOT),
              "digraph vigil {\n"
              "  rankdir=BT;\n"
              "  node [shape=box, fontname=\"monospace\"];\n"
              "  n0 [label=\"source payments\\l[payment_id STRING, card_id STRING, amount DOUBLE, "
              "status STRING, ts TIMESTAMP(3)]\\lwatermark (ts - INTERVAL '5' SECOND)\\l\"];\n"
              "  n1 [label=\"project high_value\\lfilter (amount >= 500.0)\\l"
              "[payment_id := payment_id, amount := amount]\\l\"];\n"
              "  n2 [label=\"sink stdout\\l[payment_id STRING, amount DOUBLE]\\l\"];\n"
              "  n0 -> n1;\n"
              "  n1 -> n2;\n"
              "}\n");
    CHECK_INT(p->nnodes, 3);
    CHECK_INT(p->nsources, 1);
    CHECK_INT(p->nsinks, 1);
    check_topological(p);
    const vg_plan_node *src = p->nodes[0], *view = p->nodes[1], *sink = p->nodes[2];
    CHECK_INT(src->kind, VG_PLAN_SOURCE);
    CHECK_STR(src->name, "payments");
    CHECK_INT(src->u.source.time_col, 4);
    CHECK(src->u.source.watermark != NULL);
    CHECK(p->sources[0] == src);
    CHECK_INT(view->kind, VG_PLAN_PROJECT);
    CHECK_STR(view->name, "high_value");
    CHECK_INT(view->u.project.nexprs, 2);
    CHECK_INT(view->ninputs, 1);
    CHECK(view->inputs[0] == src);
    CHECK_INT(sink->kind, VG_PLAN_SINK);
    CHECK_STR(sink->name, "stdout");
    CHECK_INT(sink->u.sink.is_stdout, 1);
    CHECK(sink->inputs[0] == view); /* SELECT * adds no node */
    CHECK(p->sinks[0] == sink);
    CHECK_INT(sink->schema.ncols, 2);
    CHECK(sink->src != NULL && sink->span.len > 0);
    vg_plan_free(p);
}

static void test_shared_views(void)
{
    vg_error err;
    vg_plan *p =
        plan_of(cat(stream_sql,
                    "CREATE VIEW high_value AS SELECT payment_id, card_id, amount FROM payments\n"
                    "  WHERE amount >= 500.0;\n"
                    "CREATE VIEW by_card AS SELECT card_id, amount * 2 AS doubled FROM payments;\n"
                    "INSERT INTO alerts SELECT payment_id AS id, amount FROM high_value\n"
                    "  WHERE card_id LIKE 'c%';\n"
                    "INSERT INTO alerts SELECT payment_id AS id, card_id, amount FROM high_value;\n"
                    "SELECT * FROM high_value;\n",
                    ""),
                &err);
    CHECK(p != NULL);
    if (!p)
        return;
    CHECK_STR(
        explain(p, VG_EXPLAIN_TEXT),
        cat(cat("sink alerts  [id STRING, amount DOUBLE]\n"
                "  project  filter (card_id LIKE 'c%')  [id := payment_id, amount := amount]\n"
                "    project high_value  filter (amount >= 500.0)  "
                "[payment_id := payment_id, card_id := card_id, amount := amount]\n      ",
                source_line, ""),
            "sink alerts  [id STRING, card_id STRING, amount DOUBLE]\n"
            "  -> project high_value (see above)\n"
            "sink stdout  [payment_id STRING, card_id STRING, amount DOUBLE]\n"
            "  -> project high_value (see above)\n",
            "project by_card  [card_id := card_id, doubled := (amount * 2.0)]\n"
            "  -> source payments (see above)\n"));
    CHECK_INT(p->nnodes, 7);
    CHECK_INT(p->nsinks, 3);
    check_topological(p);
    CHECK_STR(p->nodes[2]->name, "by_card");
    CHECK(p->nodes[3]->name == NULL); /* the filtered INSERT's own projection */
    CHECK_STR(p->sinks[0]->name, "alerts");
    CHECK_STR(p->sinks[1]->name, "alerts");
    CHECK_INT(p->sinks[0]->u.sink.is_stdout, 0);
    CHECK(p->sinks[1]->inputs[0] == p->nodes[1]); /* renaming needs no node */
    CHECK_STR(p->sinks[1]->schema.cols[0].name, "id");
    CHECK(p->sinks[2]->inputs[0] == p->nodes[1]);
    vg_plan_free(p);
}

static void test_nesting(void)
{
    vg_error err;
    /* a view over a view is a project over a project; a pass-through subquery adds nothing */
    vg_plan *p = plan_of("CREATE STREAM s (a INT, b STRING);\n"
                         "CREATE VIEW v1 AS SELECT a + 1 AS a1, b FROM s WHERE a > 0;\n"
                         "CREATE VIEW v2 AS SELECT a1 * 2 AS a2 FROM v1;\n"
                         "INSERT INTO out SELECT * FROM (SELECT * FROM v2);\n"
                         "SELECT x FROM (SELECT b AS x, a FROM s) t WHERE t.a < 5;\n",
                         &err);
    CHECK(p != NULL);
    if (!p)
        return;
    CHECK_STR(explain(p, VG_EXPLAIN_TEXT),
              "sink out  [a2 INT]\n"
              "  project v2  [a2 := (a1 * 2)]\n"
              "    project v1  filter (a > 0)  [a1 := (a + 1), b := b]\n"
              "      source s  [a INT, b STRING]\n"
              "sink stdout  [x STRING]\n"
              "  project  filter (a < 5)  [x := x]\n"
              "    project  [x := b, a := a]\n"
              "      -> source s (see above)\n");
    CHECK_INT(p->nnodes, 7);
    check_topological(p);
    CHECK_INT(p->nodes[0]->u.source.time_col, -1);
    CHECK(p->nodes[0]->u.source.watermark == NULL);
    vg_plan_free(p);
}

static void test_edges(void)
{
    vg_error err;
    vg_plan *p = plan_of("-- nothing but a comment\n", &err);
    CHECK(p != NULL);
    CHECK_INT(p ? p->nnodes : 99, 0);
    CHECK_STR(explain(p, VG_EXPLAIN_TEXT), "");
    vg_plan_free(p);
    vg_plan_free(NULL);
    /* a stream nobody reads is still a source of the plan */
    p = plan_of("CREATE STREAM `odd name` (`a b` INT, c INT);", &err);
    CHECK_STR(explain(p, VG_EXPLAIN_TEXT), "source `odd name`  [`a b` INT, c INT]\n");
    CHECK_INT(p ? p->nsources : 0, 1);
    vg_plan_free(p);
    /* derived names need no quotes; odd ones do */
    p = plan_of("CREATE STREAM s (a INT);\nSELECT a + 1, a AS `x y`, a AS `$z` FROM s;", &err);
    CHECK_STR(explain(p, VG_EXPLAIN_TEXT), "sink stdout  [EXPR$0 INT, `x y` INT, `$z` INT]\n"
                                           "  project  [EXPR$0 := (a + 1), `x y` := a, `$z` := a]\n"
                                           "    source s  [a INT]\n");
    /* a write error is reported */
    FILE *ro = fopen("/dev/null", "r");
    CHECK(ro != NULL);
    if (ro && p) {
        CHECK_INT(vg_plan_explain(p, VG_EXPLAIN_TEXT, ro), -1);
        fclose(ro);
    }
    vg_plan_free(p);
    /* errors: no plan, the first error with its position */
    p = plan_of("CREATE STREAM s (a INT);\nSELECT b FROM s;\nSELECT c FROM s;", &err);
    CHECK(p == NULL);
    CHECK_INT(err.code, VG_ERR_NAME);
    CHECK_INT(err.line, 2);
    CHECK_INT(err.col, 8);
    CHECK_STR(err.msg, "unknown column 'b'");
    CHECK_STR(err.source_line, "SELECT b FROM s;");
}

/* Every allocation of planning and explaining may fail, cleanly. */
static void test_alloc_failures(void)
{
    const char *text = "CREATE STREAM s (a STRING, n INT, ts TIMESTAMP, "
                       "WATERMARK FOR ts AS ts - INTERVAL '1' SECOND);"
                       "CREATE VIEW v AS SELECT a, n * 2 AS m, REGEXP(a, 'a+') AS r FROM s;"
                       "INSERT INTO k SELECT a, m FROM v WHERE r;"
                       "SELECT * FROM v;";
    int failed = 0, done = 0;
    for (uint64_t k = 1; k < 300 && !done; k++) {
        vg_error err;
        vg_plan *p = plan_of(text, &err);
        if (!p)
            continue;
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        vg_alloc_fail_at(k, 1);
        int rc = vg_plan_explain(p, VG_EXPLAIN_TEXT, f);
        vg_alloc_fail_at(0, 0);
        fclose(f);
        free(buf);
        if (rc < 0)
            failed++;
        else
            done = 1;
        vg_plan_free(p);
    }
    CHECK(failed > 0);
    CHECK_INT(done, 1);
}

int main(void)
{
    arena = vg_arena_new(VG_MEM_SQL, 8192);
    RUN(test_three_statements);
    RUN(test_shared_views);
    RUN(test_nesting);
    RUN(test_edges);
    RUN(test_alloc_failures);
    vg_arena_free(arena);
    return CHECK_DONE();
}
