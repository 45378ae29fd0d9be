/*
 * test_fingerprint.c — plan node fingerprints on real SQL: the identity
 * text of each node kind verbatim, stable values (a change here breaks
 * every stored checkpoint: do it on purpose), equal plans from equal SQL
 * however it is laid out, position independence (a view added, removed or
 * renamed leaves the other nodes alone), a change propagating to the
 * changed node and its descendants only, MATCH_RECOGNIZE nodes (built by
 * hand), hex text, allocation failures.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sql/fingerprint.h"
#include "sql/parser.h"
#include "sql/plan.h"
#include "tests/unit/check.h"

static vg_arena *arena;

static const char stream_sql[] =
    "CREATE STREAM payments (payment_id STRING, card_id STRING, merchant_id STRING,\n"
    "  amount DOUBLE, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '5' SECOND);\n";

/* Parse and plan stream then text; NULL (error printed) on failure. */
static vg_plan *plan_with(const char *stream, const char *text)
{
    vg_source *src = vg_arena_alloc(arena, sizeof *src);
    src->name = "f.sql";
    src->text = vg_arena_printf(arena, "%s%s", stream, text);
    src->len = (uint32_t)strlen(src->text);
    vg_ast_stmt *stmts;
    uint32_t n;
    vg_error err;
    vg_error_clear(&err);
    vg_plan *p = NULL;
    if (vg_parse(src, arena, &stmts, &n, &err) < 0 || vg_plan_build(stmts, n, &p, &err) < 0) {
        fprintf(stderr, "%s\n", err.msg);
        return NULL;
    }
    return p;
}

static vg_plan *plan_of(const char *text) { return plan_with(stream_sql, text); }

/* Fingerprints of p by node id, in the arena. */
static vg_fp *fps_of(const vg_plan *p, vg_fp *plan_fp)
{
    vg_fp *fps = vg_arena_alloc(arena, (p->nnodes + 1) * sizeof *fps);
    vg_error err;
    vg_error_clear(&err);
    CHECK_INT(vg_plan_fingerprint(p, plan_fp, fps, &err), 0);
    return fps;
}

static const char *hex(vg_fp fp)
{
    char h[VG_FP_HEX];
    vg_plan_fp_format(fp, h);
    return vg_arena_strndup(arena, h, 16);
}

/* The identity text of node id of p. */
static const char *identity(const vg_plan *p, const vg_fp *fps, uint32_t id)
{
    const vg_plan_node *n = p->nodes[id];
    vg_fp in[8];
    for (uint32_t i = 0; i < n->ninputs && i < 8; i++)
        in[i] = fps[n->inputs[i]->id];
    vg_buf b;
    vg_buf_init(&b, VG_MEM_OTHER);
    vg_error err;
    vg_error_clear(&err);
    CHECK_INT(vg_plan_node_identity(n, in, &b, &err), 0);
    const char *s = vg_arena_strndup(arena, b.len ? b.p : "", b.len);
    vg_buf_free(&b);
    return s;
}

/* The first node of kind k (and name, when not NULL) in p, or -1. */
static int find(const vg_plan *p, vg_plan_kind k, const char *name)
{
    for (uint32_t i = 0; i < p->nnodes; i++)
        if (p->nodes[i]->kind == k &&
            (!name || (p->nodes[i]->name && strcmp(p->nodes[i]->name, name) == 0)))
            return (int)i;
    return -1;
}

static const char features_sql[] =
    "CREATE VIEW big AS SELECT payment_id, card_id, amount * 2 AS a2, ts FROM payments\n"
    "  WHERE amount > 10;\n"
    "CREATE VIEW f AS SELECT payment_id, card_id, COUNT(*) OVER w AS n,\n"
    "  SUM(a2) FILTER (WHERE a2 > 3) OVER w AS s FROM big\n"
    "  WINDOW w AS (PARTITION BY card_id ORDER BY ts\n"
    "               RANGE BETWEEN INTERVAL '1' HOUR PRECEDING AND CURRENT ROW);\n"
    "SELECT * FROM f;\n"
    "INSERT INTO mins SELECT window_start, window_end, merchant_id, COUNT(DISTINCT card_id) AS n\n"
    "  FROM TABLE(TUMBLE(TABLE payments, DESCRIPTOR(ts), INTERVAL '1' MINUTE))\n"
    "  GROUP BY window_start, window_end, merchant_id;\n"
    "INSERT INTO g SELECT card_id, COUNT(*) AS c, MAX(amount) AS m FROM payments\n"
    "  GROUP BY card_id;\n"
    "INSERT INTO d SELECT payment_id, card_id FROM (SELECT *, ROW_NUMBER() OVER (\n"
    "  PARTITION BY card_id ORDER BY ts DESC) AS rn FROM payments) WHERE rn = 1;\n";

static void test_identity_text(void)
{
    vg_plan *p = plan_of(features_sql);
    if (!p)
        return;
    vg_fp plan_fp;
    vg_fp *fps = fps_of(p, &plan_fp);
    CHECK_INT(p->nnodes, 13);
    CHECK_STR(identity(p, fps, 0),
              "source/1 in() out('payment_id' STRING,'card_id' STRING,'merchant_id' STRING,"
              "'amount' DOUBLE,'ts' TIMESTAMP(3)) +I 'payments' time($4) "
              "wm(($4 - INTERVAL '5' SECOND):TIMESTAMP(3))");
    const char *src = hex(fps[0]);
    CHECK_STR(identity(p, fps, 1),
              vg_arena_printf(arena,
                              "project/1 in(%s) out(STRING,STRING,DOUBLE,TIMESTAMP(3)) +I "
                              "filter(($3 > 10.0):BOOLEAN) exprs[$0:STRING; $1:STRING; "
                              "($3 * 2.0):DOUBLE; $4:TIMESTAMP(3)]",
                              src));
    int over = find(p, VG_PLAN_OVER, NULL);
    CHECK_STR(identity(p, fps, (uint32_t)over),
              vg_arena_printf(arena,
                              "over/1 in(%s) out(STRING,STRING,DOUBLE,TIMESTAMP(3),BIGINT,DOUBLE) "
                              "+I keys($1) order($3) frames[range 3600000 aggs[COUNT(*):BIGINT; "
                              "SUM($2:DOUBLE):DOUBLE filter(($2 > 3.0):BOOLEAN)]]",
                              hex(fps[1])));
    int win = find(p, VG_PLAN_WINDOW, NULL);
    CHECK_STR(identity(p, fps, (uint32_t)win),
              vg_arena_printf(arena,
                              "window/1 in(%s) out(TIMESTAMP(3),TIMESTAMP(3),TIMESTAMP(3),STRING,"
                              "BIGINT) +I tumble(size 60000 step 60000 offset 0) time($4) "
                              "grouped keys($2) aggs[COUNT(DISTINCT $1:STRING):BIGINT]",
                              src));
    int grp = find(p, VG_PLAN_GROUP, NULL);
    CHECK_STR(identity(p, fps, (uint32_t)grp),
              vg_arena_printf(arena,
                              "group/1 in(%s) out(STRING,BIGINT,DOUBLE) +- keys($1) "
                              "aggs[COUNT(*):BIGINT; MAX($3:DOUBLE):DOUBLE] time($4)",
                              src));
    int rank = find(p, VG_PLAN_RANK, NULL);
    CHECK_STR(identity(p, fps, (uint32_t)rank),
              vg_arena_printf(arena,
                              "rank/1 in(%s) out(STRING,STRING,STRING,DOUBLE,TIMESTAMP(3)) +- "
                              "last-row keys($1) order($4 desc) limit 1 time($4)",
                              src));
    int sink = find(p, VG_PLAN_SINK, "g");
    CHECK_STR(identity(p, fps, (uint32_t)sink),
              vg_arena_printf(arena,
                              "sink/1 in(%s) out('card_id' STRING,'c' BIGINT,'m' DOUBLE) "
                              "+- 'g' named",
                              hex(fps[grp])));
    /* pinned: fingerprints are stored in checkpoints */
    CHECK_STR(src, "615bf1e0b7742add");
    CHECK_STR(hex(plan_fp), "a53511bd9a8959db");
    vg_plan_free(p);
}

static void test_models_rules(void)
{
    vg_plan *p = plan_of(
        "CREATE MODEL s INPUT (x DOUBLE) OUTPUT (p DOUBLE) WITH ('type' = 'logistic',"
        " 'path' = 'lg.json');\n"
        "CREATE MODEL m INPUT (x DOUBLE) OUTPUT (p DOUBLE) WITH ('type' = 'linear',"
        " 'path' = 'v1.json', 'shadow' = 's', 'version_column' = 'mv');\n"
        "CREATE RULESET r WITH ('default' = 'review');\n"
        "CREATE VIEW sc AS SELECT * FROM ML_PREDICT(TABLE payments, MODEL m, DESCRIPTOR(amount));\n"
        "SELECT payment_id, decision FROM APPLY_RULES(TABLE sc, RULESET r);\n");
    if (!p)
        return;
    vg_fp *fps = fps_of(p, NULL);
    int pr = find(p, VG_PLAN_PREDICT, NULL), ru = find(p, VG_PLAN_RULES, NULL);
    CHECK_STR(identity(p, fps, (uint32_t)pr),
              vg_arena_printf(arena,
                              "predict/1 in(%s) out(STRING,STRING,STRING,DOUBLE,TIMESTAMP(3),"
                              "DOUBLE,BIGINT,DOUBLE,BIGINT) +I model 'm' type 2 in('x' DOUBLE) "
                              "out('p' DOUBLE) cols($3) shadow('s' type 1 in('x' DOUBLE) "
                              "out('p' DOUBLE)) version 'mv'",
                              hex(fps[0])));
    CHECK_STR(identity(p, fps, (uint32_t)ru),
              vg_arena_printf(arena,
                              "rules/1 in(%s) out(STRING,STRING,STRING,DOUBLE,TIMESTAMP(3),"
                              "DOUBLE,BIGINT,DOUBLE,BIGINT,STRING,STRING,STRING,STRING,BIGINT) +I "
                              "ruleset 'r' default 'review'",
                              hex(fps[p->nodes[ru]->inputs[0]->id])));
    vg_plan_free(p);
}

/* The same SQL, however written, gives the same fingerprints. */
static void test_same_sql(void)
{
    vg_plan *a = plan_of(features_sql);
    vg_plan *b = plan_of(features_sql);
    vg_plan *c = plan_of(
        "-- the same, laid out otherwise\n"
        "create view big as select payment_id,card_id,amount*2 as a2,ts from payments where "
        "amount>10;\n"
        "create view f as select payment_id, card_id, count(*) over w as n,\n"
        "  sum(a2) filter (where a2 > 3) over w as s from big\n"
        "  window w as (partition by card_id order by ts range between interval '60' minute "
        "preceding and current row);\n"
        "select * from f;\n"
        "insert into mins select window_start, window_end, merchant_id, count(distinct card_id) "
        "as n from table(tumble(table payments, descriptor(ts), interval '60' second))\n"
        "  group by window_start, window_end, merchant_id;\n"
        "insert into g select card_id, count(*) as c, max(amount) as m from payments group by "
        "card_id;\n"
        "insert into d select payment_id, card_id from (select *, row_number() over (\n"
        "  partition by card_id order by ts desc) as rn from payments) where rn = 1;\n");
    if (!a || !b || !c)
        return;
    vg_fp pa, pb, pc;
    vg_fp *fa = fps_of(a, &pa), *fb = fps_of(b, &pb), *fc = fps_of(c, &pc);
    int same_b = 0, same_c = 0;
    for (uint32_t i = 0; i < a->nnodes; i++) {
        same_b += fa[i] == fb[i];
        same_c += fa[i] == fc[i];
    }
    CHECK_INT(same_b, 13);
    CHECK_INT(same_c, 13);
    CHECK(pa == pb && pa == pc);
    /* one node's fingerprint on its own is the one the whole plan gives it */
    int same = 0;
    for (uint32_t i = 0; i < a->nnodes; i++) {
        vg_fp fp = 0;
        vg_error err;
        vg_error_clear(&err);
        same += vg_plan_node_fingerprint(a->nodes[i], &fp, &err) == 0 && fp == fa[i];
    }
    CHECK_INT(same, 13);
    vg_plan_free(a);
    vg_plan_free(b);
    vg_plan_free(c);
}

/* How many of b's node fingerprints a has (as a multiset). */
static uint32_t shared(const vg_plan *a, const vg_fp *fa, const vg_plan *b, const vg_fp *fb)
{
    bool *used = vg_arena_calloc(arena, a->nnodes + 1);
    uint32_t n = 0;
    for (uint32_t j = 0; j < b->nnodes; j++)
        for (uint32_t i = 0; i < a->nnodes; i++)
            if (!used[i] && fa[i] == fb[j]) {
                used[i] = true;
                n++;
                break;
            }
    return n;
}

/* A view added (before the others: every id moves), or renamed: the other
 * nodes keep their fingerprints. */
static void test_position_and_names(void)
{
    vg_plan *a = plan_of(features_sql);
    vg_plan *b = plan_of(vg_arena_printf(arena, "%s%s",
                                         "CREATE VIEW refunds AS SELECT card_id, amount\n"
                                         "  FROM payments WHERE amount < 0;\n"
                                         "INSERT INTO r SELECT * FROM refunds;\n",
                                         features_sql));
    vg_plan *c = plan_of("CREATE VIEW large AS SELECT payment_id, card_id, amount * 2 AS a2, ts\n"
                         "  FROM payments WHERE amount > 10;\n"
                         "CREATE VIEW feats AS SELECT payment_id, card_id, COUNT(*) OVER w AS n,\n"
                         "  SUM(a2) FILTER (WHERE a2 > 3) OVER w AS s FROM large\n"
                         "  WINDOW w AS (PARTITION BY card_id ORDER BY ts\n"
                         "  RANGE BETWEEN INTERVAL '1' HOUR PRECEDING AND CURRENT ROW);\n"
                         "SELECT * FROM feats;\n");
    vg_plan *d = plan_of("CREATE VIEW big AS SELECT payment_id, card_id, amount * 2 AS a2, ts\n"
                         "  FROM payments WHERE amount > 10;\n"
                         "CREATE VIEW f AS SELECT payment_id, card_id, COUNT(*) OVER w AS cnt,\n"
                         "  SUM(a2) FILTER (WHERE a2 > 3) OVER w AS total FROM big\n"
                         "  WINDOW w AS (PARTITION BY card_id ORDER BY ts\n"
                         "  RANGE BETWEEN INTERVAL '1' HOUR PRECEDING AND CURRENT ROW);\n"
                         "SELECT * FROM f;\n");
    if (!a || !b || !c || !d)
        return;
    vg_fp pa, pb, pc, pd;
    vg_fp *fa = fps_of(a, &pa), *fb = fps_of(b, &pb), *fc = fps_of(c, &pc), *fd = fps_of(d, &pd);
    CHECK_INT(b->nnodes, a->nnodes + 2);
    CHECK_INT(shared(b, fb, a, fa), a->nnodes); /* every node of a is in b */
    CHECK(pa != pb);
    CHECK_INT(c->nnodes, 5);
    CHECK_INT(shared(a, fa, c, fc), 5); /* renamed views: the same nodes */
    /* renamed output columns: the OVER node is the same; what writes the names is not */
    int over_a = find(a, VG_PLAN_OVER, NULL), over_d = find(d, VG_PLAN_OVER, NULL);
    CHECK(fa[over_a] == fd[over_d]);
    CHECK(fa[find(a, VG_PLAN_SINK, "stdout")] != fd[find(d, VG_PLAN_SINK, "stdout")]);
    CHECK(pc != pd);
    vg_plan_free(a);
    vg_plan_free(b);
    vg_plan_free(c);
    vg_plan_free(d);
}

/* Which nodes of the plan of stream_sql and sql_a ("kind:name", joined by
 * spaces) have a fingerprint that the plan of stream_b and sql_b has not. */
static const char *changed_with(const char *sql_a, const char *stream_b, const char *sql_b)
{
    vg_plan *a = plan_of(sql_a), *b = plan_with(stream_b, sql_b);
    if (!a || !b)
        return "(no plan)";
    vg_fp *fa = fps_of(a, NULL), *fb = fps_of(b, NULL);
    static const char *const names[] = {"source", "project", "sink",    "over",  "window",
                                        "group",  "rank",    "predict", "rules", "match"};
    const char *out = "";
    for (uint32_t i = 0; i < a->nnodes; i++) {
        bool found = false;
        for (uint32_t j = 0; j < b->nnodes && !found; j++)
            found = fa[i] == fb[j];
        if (!found)
            out = vg_arena_printf(arena, "%s%s%s%s%s", out, *out ? " " : "",
                                  names[a->nodes[i]->kind], a->nodes[i]->name ? ":" : "",
                                  a->nodes[i]->name ? a->nodes[i]->name : "");
    }
    vg_plan_free(a);
    vg_plan_free(b);
    return out;
}

static const char *changed(const char *sql_a, const char *sql_b)
{
    return changed_with(sql_a, stream_sql, sql_b);
}

/* Replace the first `from` in s by `to`. */
static const char *edit(const char *s, const char *from, const char *to)
{
    const char *at = strstr(s, from);
    if (!at)
        return "(not found)";
    return vg_arena_printf(arena, "%.*s%s%s", (int)(at - s), s, to, at + strlen(from));
}

/* A change moves the changed node's fingerprint and its descendants', no other. */
static void test_changes_propagate(void)
{
    CHECK_STR(changed(features_sql, features_sql), "");
    CHECK_STR(changed(features_sql, edit(features_sql, "'1' HOUR", "'2' HOUR")),
              "over project:f sink:stdout");
    CHECK_STR(changed(features_sql, edit(features_sql, "amount > 10", "amount > 11")),
              "project:big over project:f sink:stdout");
    CHECK_STR(changed(features_sql, edit(features_sql, "'1' MINUTE", "'2' MINUTE")),
              "window project sink:mins");
    CHECK_STR(changed(features_sql, edit(features_sql, "MAX(amount)", "MIN(amount)")),
              "group sink:g");
    CHECK_STR(changed(features_sql, edit(features_sql, "ts DESC", "ts ASC")),
              "rank project sink:d");
    CHECK_STR(changed(features_sql, edit(features_sql, "COUNT(DISTINCT", "COUNT(")),
              "window project sink:mins");
    /* a bare SESSION holds rows per key: its PARTITION BY is its identity */
    static const char session_sql[] =
        "INSERT INTO s SELECT * FROM TABLE(SESSION(TABLE payments PARTITION BY card_id,\n"
        "  DESCRIPTOR(ts), INTERVAL '1' MINUTE));\n";
    CHECK_STR(changed(session_sql, edit(session_sql, "BY card_id", "BY merchant_id")),
              "window sink:s");
    CHECK_STR(changed(session_sql, edit(session_sql, "'1' MINUTE", "'2' MINUTE")), "window sink:s");
    /* the stream, which every node reads: everything */
    static const char all[] = "source:payments project:big over project:f sink:stdout window "
                              "project sink:mins group sink:g rank project sink:d";
    CHECK_STR(
        changed_with(features_sql, edit(stream_sql, "'5' SECOND", "'6' SECOND"), features_sql),
        all);
    CHECK_STR(changed_with(features_sql,
                           edit(stream_sql, "amount DOUBLE", "amount DOUBLE, currency STRING"),
                           features_sql),
              all);
}

/* A MATCH_RECOGNIZE node, built by hand over the stream (the planner's
 * MATCH_RECOGNIZE is another module): PARTITION BY card_id ORDER BY ts,
 * PATTERN (F{3,} S), DEFINE F AS amount > 0, MEASURES LAST(F.amount). */
static vg_plan_node *match_node(vg_plan *p, vg_expr_pool *pool, uint32_t min)
{
    vg_arena *a = arena;
    vg_error err;
    vg_plan_match *m = vg_arena_calloc(a, sizeof *m);
    vg_plan_node *n = vg_arena_calloc(a, sizeof *n);
    vg_plan_pattern *f = vg_arena_calloc(a, sizeof *f), *q = vg_arena_calloc(a, sizeof *q),
                    *sv = vg_arena_calloc(a, sizeof *sv), *seq = vg_arena_calloc(a, sizeof *seq);
    const vg_plan_pattern **qk = vg_arena_alloc(a, sizeof *qk);
    const vg_plan_pattern **sk = vg_arena_alloc(a, 2 * sizeof *sk);
    *f = (vg_plan_pattern){.kind = VG_PAT_VAR, .var = 0};
    *sv = (vg_plan_pattern){.kind = VG_PAT_VAR, .var = 1};
    qk[0] = f;
    *q = (vg_plan_pattern){
        .kind = VG_PAT_QUANT, .nkids = 1, .kids = qk, .min = min, .max = VG_PAT_UNBOUNDED};
    sk[0] = q;
    sk[1] = sv;
    *seq = (vg_plan_pattern){.kind = VG_PAT_SEQ, .nkids = 2, .kids = sk};
    static uint32_t keys[] = {1};
    static const char *vars[] = {"F", "S"};
    vg_value zero = vg_double(0);
    vg_expr *amount = vg_expr_new_column(pool, 3, VG_T_DOUBLE, &err);
    vg_expr **defines = vg_arena_calloc(a, 2 * sizeof *defines);
    defines[0] = vg_expr_new_binary(pool, VG_XOP_GT, VG_T_BOOL, amount,
                                    vg_expr_new_const(pool, VG_T_DOUBLE, &zero, &err), &err);
    vg_mr_nav *nav = vg_arena_calloc(a, sizeof *nav);
    *nav = (vg_mr_nav){.kind = VG_MR_NAV_LAST, .vars = 1, .arg = amount, .type = VG_T_DOUBLE};
    vg_expr **measures = vg_arena_calloc(a, sizeof *measures);
    measures[0] = vg_expr_new_column(pool, 5, VG_T_DOUBLE, &err);
    *m = (vg_plan_match){.nkeys = 1,
                         .keys = keys,
                         .order_col = 4,
                         .nvars = 2,
                         .vars = vars,
                         .pattern = seq,
                         .defines = defines,
                         .nnavs = 1,
                         .navs = nav,
                         .nmeasures = 1,
                         .measures = measures,
                         .rows = VG_MR_ONE_ROW,
                         .skip = VG_MR_SKIP_PAST_LAST,
                         .within = 600000};
    static vg_column cols[] = {{"card_id", VG_T_STRING}, {"last_f", VG_T_DOUBLE}};
    vg_plan_node **in = vg_arena_alloc(a, sizeof *in);
    in[0] = p->nodes[0];
    *n = (vg_plan_node){
        .id = p->nnodes, .kind = VG_PLAN_MATCH, .schema = {2, cols}, .ninputs = 1, .inputs = in};
    n->u.match = m;
    return n;
}

static void test_match(void)
{
    vg_plan *p = plan_of("SELECT * FROM payments;\n");
    vg_expr_pool *pool = vg_expr_pool_new(arena);
    if (!p || !pool)
        return;
    vg_fp *fps = fps_of(p, NULL);
    vg_plan_node *a = match_node(p, pool, 3), *b = match_node(p, pool, 3),
                 *c = match_node(p, pool, 4);
    vg_fp fa = 0, fb = 0, fc = 0;
    vg_error err;
    vg_error_clear(&err);
    /* a node whose inputs come first: its fingerprint by vg_plan_node_fingerprint */
    CHECK_INT(vg_plan_node_fingerprint(a, &fa, &err), 0);
    CHECK_INT(vg_plan_node_fingerprint(b, &fb, &err), 0);
    CHECK_INT(vg_plan_node_fingerprint(c, &fc, &err), 0);
    CHECK(fa == fb);
    CHECK(fa != fc);
    vg_buf buf;
    vg_buf_init(&buf, VG_MEM_OTHER);
    CHECK_INT(vg_plan_node_identity(a, fps, &buf, &err), 0);
    CHECK_STR(vg_buf_cstr(&buf),
              vg_arena_printf(arena,
                              "match/1 in(%s) out(STRING,DOUBLE) +I keys($1) order($4) "
                              "vars('F','S') subsets() pattern seq(quant{3,4294967295}(var(0)),"
                              "var(1)) define[($3 > 0.0):BOOLEAN; -] navs[last(vars 1 running "
                              "logical 0 physical 0 $3:DOUBLE):DOUBLE] measures[$5:DOUBLE] "
                              "one-row skip past-last 0 within 600000",
                              hex(fps[0])));
    vg_buf_free(&buf);
    vg_expr_pool_release(pool);
    vg_plan_free(p);
}

static void test_hex(void)
{
    char h[VG_FP_HEX];
    vg_plan_fp_format(0x0123456789abcdefULL, h);
    CHECK_STR(h, "0123456789abcdef");
    vg_fp fp = 0;
    CHECK_INT(vg_plan_fp_parse("0123456789ABCDEF", &fp), 0);
    CHECK(fp == 0x0123456789abcdefULL);
    CHECK_INT(vg_plan_fp_parse("ffffffffffffffff", &fp), 0);
    CHECK(fp == UINT64_MAX);
    CHECK_INT(vg_plan_fp_parse("0123456789abcde", &fp), -1);
    CHECK_INT(vg_plan_fp_parse("0123456789abcdef0", &fp), -1);
    CHECK_INT(vg_plan_fp_parse("0123456789abcdeg", &fp), -1);
    CHECK_INT(vg_plan_fp_parse("", &fp), -1);
    CHECK(fp == UINT64_MAX);
    CHECK_STR(hex(vg_plan_fp_hash("", 0)), "efd01f60ba992926");
    CHECK(vg_plan_fp_hash("a", 1) != vg_plan_fp_hash("b", 1));
}

static size_t mem_total(void)
{
    size_t n = 0;
    for (int t = 0; t < VG_MEM_NTAGS; t++)
        n += vg_mem_in_use((vg_mem_tag)t);
    return n;
}

static void test_alloc_failures(void)
{
    vg_plan *p = plan_of(features_sql);
    if (!p)
        return;
    vg_fp want_plan, got_plan = 0;
    vg_fp *want = fps_of(p, &want_plan), got[16];
    size_t before = mem_total();
    int ok = 0, nomem = 0;
    for (uint64_t k = 1; k < 500 && !ok; k++) {
        vg_error err;
        vg_error_clear(&err);
        vg_alloc_fail_at(k, 0);
        int rc = vg_plan_fingerprint(p, &got_plan, got, &err);
        vg_alloc_fail_at(0, 0);
        ok = rc == 0;
        nomem += rc < 0 && err.code == VG_ERR_NOMEM && strcmp(err.msg, "out of memory") == 0;
        CHECK_INT(mem_total(), before);
    }
    CHECK_INT(ok, 1);
    CHECK(nomem >= 20);
    CHECK(got_plan == want_plan && memcmp(got, want, p->nnodes * sizeof *got) == 0);
    ok = nomem = 0;
    const vg_plan_node *last = p->nodes[p->nnodes - 1];
    for (uint64_t k = 1; k < 500 && !ok; k++) {
        vg_error err;
        vg_error_clear(&err);
        vg_fp fp = 0;
        vg_alloc_fail_at(k, 1);
        int rc = vg_plan_node_fingerprint(last, &fp, &err);
        vg_alloc_fail_at(0, 0);
        ok = rc == 0 && fp == want[last->id];
        nomem += rc < 0 && err.code == VG_ERR_NOMEM;
        CHECK_INT(mem_total(), before);
    }
    CHECK_INT(ok, 1);
    CHECK(nomem >= 4);
    vg_plan_free(p);
}

int main(void)
{
    arena = vg_arena_new(VG_MEM_OTHER, 1 << 16);
    if (!arena)
        return 1;
    RUN(test_identity_text);
    RUN(test_models_rules);
    RUN(test_same_sql);
    RUN(test_position_and_names);
    RUN(test_changes_propagate);
    RUN(test_match);
    RUN(test_hex);
    RUN(test_alloc_failures);
    vg_arena_free(arena);
    return CHECK_DONE();
}
