/*
 * test_parser.c — unit tests of sql/parser.c, sql/parse_expr.c and
 * sql/ast_dump.c: every statement and expression form (checked through the
 * S-expression dump), precedence and associativity, spans, every error path
 * with its exact message, line and column, nesting limits, and allocation
 * failure at every step of a parse.
 */
#include "sql/parser.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/unit/check.h"

static vg_arena *A;
static vg_source src;
static vg_error perr;
static vg_ast_stmt *stmts;
static uint32_t nstmts;

/* Parse sql: the statements' dumps joined by " ; ", or "error L:C message". */
static const char *parse(const char *sql)
{
    static char buf[8192];
    src.name = "p.sql";
    src.text = sql;
    src.len = (uint32_t)strlen(sql);
    vg_error_clear(&perr);
    if (vg_parse(&src, A, &stmts, &nstmts, &perr) < 0) {
        snprintf(buf, sizeof buf, "error %u:%u %s", perr.line, perr.col, perr.msg);
        return buf;
    }
    buf[0] = 0;
    for (uint32_t i = 0; i < nstmts; i++) {
        if (i)
            strcat(buf, " ; ");
        strncat(buf, vg_ast_to_sexpr(stmts[i].node, A), sizeof buf - strlen(buf) - 1);
    }
    return buf;
}

/* The first select item of "SELECT <e>", or the error. */
static const vg_ast *expr_node(const char *e)
{
    static char sql[1024];
    snprintf(sql, sizeof sql, "SELECT %s", e);
    const char *r = parse(sql);
    if (strncmp(r, "error", 5) == 0 || nstmts != 1)
        return NULL;
    return stmts[0].node->u.query.query->u.select.items[0].expr;
}

static const char *expr(const char *e)
{
    static char sql[1024];
    const vg_ast *n = expr_node(e);
    if (n)
        return vg_ast_to_sexpr(n, A);
    snprintf(sql, sizeof sql, "SELECT %s", e);
    return parse(sql);
}

/* The dump of the single query's select node, for clause tests. */
static const char *query(const char *sql)
{
    const char *r = parse(sql);
    if (strncmp(r, "(query ", 7) != 0)
        return r;
    return vg_ast_to_sexpr(stmts[0].node->u.query.query, A);
}

/* ---- statements ---- */

static void test_empty_input(void)
{
    CHECK_STR(parse(""), "");
    CHECK_INT(nstmts, 0);
    CHECK(stmts == NULL);
    CHECK_STR(parse("  -- nothing here\n /* or here */ "), "");
    CHECK_INT(nstmts, 0);
    CHECK_STR(parse(";;\n;"), "");
    CHECK_INT(nstmts, 0);
}

static void test_statement_lists(void)
{
    CHECK_STR(parse("SELECT 1; SELECT 2"),
              "(query (select (items (int 1)))) ; (query (select (items (int 2))))");
    CHECK_INT(nstmts, 2);
    CHECK(stmts[0].src == &src);
    CHECK(stmts[1].src == &src);
    CHECK_STR(parse("SELECT 1;;SELECT 2;"),
              "(query (select (items (int 1)))) ; (query (select (items (int 2))))");
    CHECK_STR(parse("SELECT a FROM t\nSELECT b FROM u"),
              "error 2:1 syntax error at 'SELECT': expected ';' or end of input");
    CHECK_STR(parse("SELECT 1 )"), "error 1:10 syntax error at ')': expected ';' or end of input");
    CHECK_STR(parse("FROM t"),
              "error 1:1 syntax error at 'FROM': expected CREATE, INSERT or SELECT");
    CHECK_STR(parse("DROP STREAM x"),
              "error 1:1 syntax error at 'DROP': expected CREATE, INSERT or SELECT");
    CHECK_STR(parse("SELECT 1; 42"),
              "error 1:11 syntax error at '42': expected CREATE, INSERT or SELECT");
    /* the statement span covers the statement, not the ';' */
    parse("  SELECT a FROM t ;");
    CHECK_INT(stmts[0].node->span.off, 2);
    CHECK_INT(stmts[0].node->span.len, 15);
}

static void test_create_stream(void)
{
    CHECK_STR(parse("CREATE STREAM payments (\n"
                    "  payment_id TEXT, card_id STRING, amount DOUBLE, n BIGINT, k INT,\n"
                    "  ok BOOLEAN, ts TIMESTAMP(3),\n"
                    "  WATERMARK FOR ts AS ts - INTERVAL '5' SECOND\n"
                    ");"),
              "(create-stream payments (columns (payment_id STRING) (card_id STRING) "
              "(amount DOUBLE) (n BIGINT) (k INT) (ok BOOLEAN) (ts TIMESTAMP)) "
              "(watermark ts (- (col ts) (interval 5000))))");
    CHECK_STR(parse("create table t (a int) with ('connector' = 'kafka', 'topic'='p''s')"),
              "(create-stream t (columns (a INT)) (with ('connector' 'kafka') ('topic' 'p''s')))");
    const vg_ast *cs = stmts[0].node;
    CHECK_INT(cs->kind, VG_AST_CREATE_STREAM);
    CHECK_INT(cs->u.create_stream.nopts, 2);
    CHECK_INT(cs->u.create_stream.opts[0].key.quoted, 1);
    CHECK_STR(cs->u.create_stream.opts[1].value.name, "p's");
    CHECK(cs->u.create_stream.wm_column.name == NULL);
    CHECK(cs->u.create_stream.wm_expr == NULL);
    CHECK_STR(parse("CREATE TEMPORARY TABLE t (`my col` STRING, \"Ts\" TIMESTAMP)"),
              "(create-stream t (columns (\"my col\" STRING) (\"Ts\" TIMESTAMP)))");
    /* the watermark may come first; column names may be non-reserved keywords */
    CHECK_STR(parse("CREATE STREAM s (WATERMARK FOR ts AS ts, ts TIMESTAMP, status STRING, "
                    "watermark BIGINT, value DOUBLE, year INT)"),
              "(create-stream s (columns (ts TIMESTAMP) (status STRING) (watermark BIGINT) "
              "(value DOUBLE) (year INT)) (watermark ts (col ts)))");
    /* span and column spans */
    parse("CREATE STREAM s (a INT)");
    cs = stmts[0].node;
    CHECK_INT(cs->span.off, 0);
    CHECK_INT(cs->span.len, 23);
    CHECK_INT(cs->u.create_stream.cols[0].name.span.off, 17);
    CHECK_INT(cs->u.create_stream.cols[0].type.span.off, 19);
    CHECK_INT(cs->u.create_stream.cols[0].type.span.len, 3);
}

static void test_types(void)
{
    CHECK_STR(parse("CREATE STREAM s (a BOOLEAN, b INT, c INTEGER, d BIGINT, e DOUBLE, "
                    "f FLOAT, g DOUBLE PRECISION, h STRING, i VARCHAR, j VARCHAR(10), k TEXT, "
                    "l CHAR(3), m CHAR, n TIMESTAMP, o TIMESTAMP(3), p TIMESTAMP(6), "
                    "q TIMESTAMP(3) WITHOUT TIME ZONE, r TIMESTAMP_LTZ(3), s SMALLINT, "
                    "t tinyint, u bigint)"),
              "(create-stream s (columns (a BOOLEAN) (b INT) (c INT) (d BIGINT) (e DOUBLE) "
              "(f DOUBLE) (g DOUBLE) (h STRING) (i STRING) (j STRING) (k STRING) (l STRING) "
              "(m STRING) (n TIMESTAMP) (o TIMESTAMP) (p TIMESTAMP) (q TIMESTAMP) (r TIMESTAMP) "
              "(s INT) (t INT) (u BIGINT)))");
    parse("CREATE STREAM s (a VARCHAR(10), b TIMESTAMP(3) WITHOUT TIME ZONE)");
    CHECK_INT(stmts[0].node->u.create_stream.cols[0].type.span.len, 11);
    CHECK_INT(stmts[0].node->u.create_stream.cols[1].type.span.len, 30);
    CHECK_STR(parse("CREATE STREAM s (a FOO)"), "error 1:20 unknown type 'FOO'");
    CHECK_INT(perr.code, VG_ERR_NAME);
    CHECK_STR(parse("CREATE STREAM s (a decimal(10, 2))"), "error 1:20 unknown type 'decimal'");
    CHECK_STR(parse("CREATE STREAM s (a INTERVAL)"), "error 1:20 unknown type 'INTERVAL'");
    CHECK_STR(parse("CREATE STREAM s (a 'x')"),
              "error 1:20 syntax error at ''x'': expected a type");
    CHECK_STR(parse("CREATE STREAM s (a \"INT\")"),
              "error 1:20 syntax error at '\"INT\"': expected a type");
    CHECK_STR(parse("CREATE STREAM s (a)"), "error 1:19 syntax error at ')': expected a type");
    CHECK_STR(parse("CREATE STREAM s (a VARCHAR(x))"),
              "error 1:28 syntax error at 'x': expected an integer");
    CHECK_STR(parse("CREATE STREAM s (a VARCHAR(10)"),
              "error 1:31 expected ')' to close '(' at line 1, column 17");
    CHECK_STR(parse("CREATE STREAM s (a VARCHAR(10 b INT)"),
              "error 1:31 expected ')' to close '(' at line 1, column 27");
    CHECK_STR(parse("CREATE STREAM s (a TIMESTAMP WITHOUT ZONE)"),
              "error 1:38 syntax error at 'ZONE': expected TIME");
    CHECK_STR(parse("SELECT CAST(a AS BOOL)"), "error 1:18 unknown type 'BOOL'");
}

static void test_create_stream_errors(void)
{
    CHECK_STR(parse("CREATE STREAM (a INT)"),
              "error 1:15 syntax error at '(': expected a stream name");
    CHECK_STR(
        parse("CREATE STREAM select (a INT)"),
        "error 1:15 syntax error at 'select': expected a stream name (SELECT is a reserved word)");
    CHECK_STR(parse("CREATE STREAM s a INT"), "error 1:17 syntax error at 'a': expected '('");
    CHECK_STR(parse("CREATE STREAM s ()"),
              "error 1:18 syntax error at ')': expected a column name");
    CHECK_STR(parse("CREATE STREAM s (a INT,)"),
              "error 1:24 syntax error at ')': expected a column name");
    CHECK_STR(parse("CREATE STREAM s (a INT b INT)"),
              "error 1:24 expected ')' to close '(' at line 1, column 17");
    CHECK_STR(
        parse("CREATE STREAM s (from INT)"),
        "error 1:18 syntax error at 'from': expected a column name (FROM is a reserved word)");
    CHECK_STR(parse("CREATE STREAM s (a INT, WATERMARK FOR AS ts)"),
              "error 1:39 syntax error at 'AS': expected a column name (AS is a reserved word)");
    CHECK_STR(parse("CREATE STREAM s (ts TIMESTAMP, WATERMARK FOR ts ts - 1)"),
              "error 1:49 syntax error at 'ts': expected AS");
    CHECK_STR(parse("CREATE STREAM s (ts TIMESTAMP, WATERMARK FOR ts AS)"),
              "error 1:51 syntax error at ')': expected an expression");
    CHECK_STR(parse("CREATE STREAM s (ts TIMESTAMP, WATERMARK FOR ts AS ts,\n"
                    "  WATERMARK FOR ts AS ts)"),
              "error 2:3 syntax error at 'WATERMARK': a stream has only one WATERMARK");
    CHECK_STR(parse("CREATE STREAM s (a INT) WITH ()"),
              "error 1:31 syntax error at ')': expected a string literal");
    CHECK_STR(parse("CREATE STREAM s (a INT) WITH (k = 'v')"),
              "error 1:31 syntax error at 'k': expected a string literal");
    CHECK_STR(parse("CREATE STREAM s (a INT) WITH ('k' 'v')"),
              "error 1:35 syntax error at ''v'': expected '='");
    CHECK_STR(parse("CREATE STREAM s (a INT) WITH ('k' = 1)"),
              "error 1:37 syntax error at '1': expected a string literal");
    CHECK_STR(parse("CREATE STREAM s (a INT) WITH ('k' = 'v'"),
              "error 1:40 expected ')' to close '(' at line 1, column 30");
    CHECK_STR(parse("CREATE STREAM s (a INT) WITH 'k'"),
              "error 1:30 syntax error at ''k'': expected '('");
    CHECK_STR(parse("CREATE INDEX i"),
              "error 1:8 syntax error at 'INDEX': expected STREAM, TABLE, VIEW, MODEL or RULESET");
    CHECK_STR(parse("CREATE"),
              "error 1:7 syntax error at end of input: expected STREAM, TABLE, VIEW, MODEL or RULESET");
}

static void test_create_view_insert(void)
{
    CHECK_STR(parse("CREATE VIEW big AS SELECT * FROM payments WHERE amount > 100"),
              "(create-view big (select (items *) (from (table payments)) "
              "(where (> (col amount) (int 100)))))");
    CHECK_STR(parse("create temporary view v as select 1"),
              "(create-view v (select (items (int 1))))");
    CHECK_STR(parse("INSERT INTO decisions SELECT p.*, 'ok' AS d FROM payments p"),
              "(insert decisions (select (items p.* (as (str 'ok') d)) "
              "(from (table payments (alias p)))))");
    CHECK_STR(parse("INSERT INTO `out sink` SELECT a FROM t"),
              "(insert \"out sink\" (select (items (col a)) (from (table t))))");
    CHECK_STR(parse("CREATE VIEW v SELECT 1"), "error 1:15 syntax error at 'SELECT': expected AS");
    CHECK_STR(parse("CREATE VIEW v AS FROM t"),
              "error 1:18 syntax error at 'FROM': expected SELECT");
    CHECK_STR(parse("CREATE VIEW AS SELECT 1"),
              "error 1:13 syntax error at 'AS': expected a view name (AS is a reserved word)");
    CHECK_STR(parse("INSERT decisions SELECT 1"),
              "error 1:8 syntax error at 'decisions': expected INTO");
    CHECK_STR(
        parse("INSERT INTO SELECT 1"),
        "error 1:13 syntax error at 'SELECT': expected a sink name (SELECT is a reserved word)");
    CHECK_STR(parse("INSERT INTO s VALUES (1)"),
              "error 1:15 syntax error at 'VALUES': expected SELECT");
}

/* ---- queries ---- */

static void test_select_lists(void)
{
    CHECK_STR(query("SELECT *"), "(select (items *))");
    CHECK_STR(query("SELECT DISTINCT a, b FROM t"),
              "(select distinct (items (col a) (col b)) (from (table t)))");
    CHECK_STR(query("SELECT ALL a FROM t"), "(select (items (col a)) (from (table t)))");
    CHECK_STR(query("SELECT t.*, *, a AS x, b y, c AS \"Z z\", d `w`"),
              "(select (items t.* * (as (col a) x) (as (col b) y) (as (col c) \"Z z\") "
              "(as (col d) \"w\")))");
    CHECK_STR(query("SELECT \"T\".* FROM t"), "(select (items \"T\".*) (from (table t)))");
    /* non-reserved keywords as column names and aliases */
    CHECK_STR(query("SELECT status, ts, value, count, key, year, window_start, partition, rows, "
                    "range, current, row, view, stream, to, unknown, desc AS asc FROM t"),
              "(select (items (col status) (col ts) (col value) (col count) (col key) (col year) "
              "(col window_start) (col partition) (col rows) (col range) (col current) (col row) "
              "(col view) (col stream) (col to) (col unknown) (as (col desc) asc)) "
              "(from (table t)))");
    CHECK_STR(query("SELECT a status FROM t"),
              "(select (items (as (col a) status)) (from (table t)))");
    CHECK_STR(query("SELECT timestamp, timestamp AS t FROM x"),
              "(select (items (col timestamp) (as (col timestamp) t)) (from (table x)))");
    /* item fields */
    query("SELECT a AS x FROM t");
    const vg_ast *sel = stmts[0].node->u.query.query;
    CHECK_INT(sel->u.select.nitems, 1);
    CHECK_STR(sel->u.select.items[0].alias.name, "x");
    CHECK_INT(sel->u.select.items[0].alias.span.off, 12);
    CHECK_INT(sel->span.off, 0);
    CHECK_INT(sel->span.len, 20);
}

static void test_select_errors(void)
{
    CHECK_STR(parse("SELECT FROM t"), "error 1:8 syntax error at 'FROM': expected an expression");
    CHECK_STR(parse("SELECT a, FROM t"),
              "error 1:11 syntax error at 'FROM': expected an expression");
    CHECK_STR(parse("SELECT"), "error 1:7 syntax error at end of input: expected an expression");
    CHECK_STR(parse("SELECT amount FORM payments"),
              "error 1:15 syntax error at 'FORM': expected ',' or FROM");
    CHECK_STR(parse("SELECT a b c"), "error 1:10 syntax error at 'b': expected ',' or FROM");
    CHECK_STR(parse("SELECT a x 1"), "error 1:10 syntax error at 'x': expected ',' or FROM");
    CHECK_STR(parse("SELECT a AS FROM t"),
              "error 1:13 syntax error at 'FROM': expected an alias (FROM is a reserved word)");
    CHECK_STR(parse("SELECT a AS 'x'"), "error 1:13 syntax error at ''x'': expected an alias");
    CHECK_STR(parse("SELECT * AS x"),
              "error 1:10 syntax error at 'AS': expected ';' or end of input");
    CHECK_STR(parse("SELECT t.* x"),
              "error 1:12 syntax error at 'x': expected ';' or end of input");
    CHECK_STR(
        parse("SELECT t. FROM x"),
        "error 1:11 syntax error at 'FROM': expected a column name (FROM is a reserved word)");
    CHECK_STR(parse("SELECT order FROM t"),
              "error 1:8 syntax error at 'order': expected an expression");
    CHECK_STR(parse("SELECT a FROM"),
              "error 1:14 syntax error at end of input: expected a stream or view name");
    CHECK_STR(parse("SELECT a FROM where"),
              "error 1:15 syntax error at 'where': expected a stream or view name "
              "(WHERE is a reserved word)");
    CHECK_STR(parse("SELECT a FROM t WHRE x > 1"),
              "error 1:17 syntax error at 'WHRE': expected WHERE, GROUP BY or end of query");
    CHECK_STR(parse("SELECT a FROM t AS"),
              "error 1:19 syntax error at end of input: expected an alias");
    CHECK_STR(parse("SELECT a FROM t, u"),
              "error 1:16 a join of several FROM items is not supported yet");
    CHECK_STR(parse("SELECT a FROM t WHERE"),
              "error 1:22 syntax error at end of input: expected an expression");
    CHECK_STR(parse("SELECT a FROM t GROUP a"), "error 1:23 syntax error at 'a': expected BY");
    CHECK_STR(parse("SELECT a FROM t GROUP BY"),
              "error 1:25 syntax error at end of input: expected an expression");
    CHECK_STR(parse("SELECT a FROM t GROUP BY a,"),
              "error 1:28 syntax error at end of input: expected an expression");
    CHECK_STR(parse("SELECT a FROM t HAVING"),
              "error 1:23 syntax error at end of input: expected an expression");
    CHECK_STR(parse("SELECT a FROM t ORDER a"), "error 1:23 syntax error at 'a': expected BY");
    CHECK_STR(parse("SELECT a FROM t LIMIT x"),
              "error 1:23 syntax error at 'x': expected an integer");
    CHECK_STR(parse("SELECT a FROM t LIMIT 99999999999999999999"),
              "error 1:23 integer literal out of range");
    CHECK_STR(parse("SELECT a FROM t LIMIT 9223372036854775808"),
              "error 1:23 integer literal out of range");
    CHECK_STR(parse("SELECT a FROM t WHERE a > 1 GROUP BY a WHERE b"),
              "error 1:40 syntax error at 'WHERE': expected ';' or end of input");
    CHECK_STR(parse("SELECT a FROM t JOIN u ON a = b"), "error 1:17 JOIN is not supported yet");
}

static void test_from_items(void)
{
    CHECK_STR(query("SELECT a FROM payments AS p"),
              "(select (items (col a)) (from (table payments (alias p))))");
    CHECK_STR(query("SELECT a FROM `my stream` p"),
              "(select (items (col a)) (from (table \"my stream\" (alias p))))");
    CHECK_STR(query("SELECT x FROM (SELECT a AS x FROM t) AS s"),
              "(select (items (col x)) (from (subquery (select (items (as (col a) x)) "
              "(from (table t))) (alias s))))");
    CHECK_STR(query("SELECT x FROM (SELECT 1 x) s WHERE x = 1"),
              "(select (items (col x)) (from (subquery (select (items (as (int 1) x))) "
              "(alias s))) (where (= (col x) (int 1))))");
    CHECK_STR(query("SELECT * FROM (SELECT * FROM (SELECT 1))"),
              "(select (items *) (from (subquery (select (items *) (from (subquery "
              "(select (items (int 1)))))))))");
    CHECK_STR(query("SELECT * FROM TABLE(TUMBLE(TABLE payments, DESCRIPTOR(ts), "
                    "INTERVAL '1' MINUTE))"),
              "(select (items *) (from (tablefn TUMBLE (table payments) (descriptor ts) "
              "(interval 60000))))");
    CHECK_STR(query("SELECT * FROM TABLE(HOP(TABLE p, DESCRIPTOR(ts), INTERVAL '5' MINUTE, "
                    "INTERVAL '1' HOUR)) AS w"),
              "(select (items *) (from (tablefn HOP (table p) (descriptor ts) (interval 300000) "
              "(interval 3600000) (alias w))))");
    CHECK_STR(query("SELECT * FROM TABLE(SESSION(TABLE p PARTITION BY (card_id, device_id), "
                    "DESCRIPTOR(ts), INTERVAL '10' MINUTE)) s"),
              "(select (items *) (from (tablefn SESSION (table p) (partition (col card_id) "
              "(col device_id)) (descriptor ts) (interval 600000) (alias s))))");
    CHECK_STR(query("SELECT * FROM TABLE(SESSION(TABLE p PARTITION BY card_id, DESCRIPTOR(ts), "
                    "INTERVAL '10' MINUTE))"),
              "(select (items *) (from (tablefn SESSION (table p) (partition (col card_id)) "
              "(descriptor ts) (interval 600000))))");
    CHECK_STR(query("SELECT * FROM TABLE(cumulate(TABLE p, DESCRIPTOR(`ts`), INTERVAL '1' HOUR, "
                    "INTERVAL '1' DAY))"),
              "(select (items *) (from (tablefn cumulate (table p) (descriptor \"ts\") "
              "(interval 3600000) (interval 86400000))))");
    CHECK_STR(query("SELECT * FROM TABLE(F(TABLE p, DESCRIPTOR(ts)))"),
              "(select (items *) (from (tablefn F (table p) (descriptor ts))))");
    query("SELECT * FROM TABLE(TUMBLE(TABLE p, DESCRIPTOR(ts), INTERVAL '1' MINUTE)) w");
    const vg_ast *fn = stmts[0].node->u.query.query->u.select.from;
    CHECK_INT(fn->kind, VG_AST_TABLEFN);
    CHECK_STR(fn->u.tablefn.table.name, "p");
    CHECK_INT(fn->u.tablefn.descriptor.span.off, 47);
    CHECK_INT(fn->u.tablefn.args.n, 1);
    CHECK_INT(fn->span.off, 14);
    CHECK_INT(fn->span.len, 61);
}

static void test_from_errors(void)
{
    CHECK_STR(parse("SELECT * FROM (FROM t)"),
              "error 1:16 syntax error at 'FROM': expected SELECT");
    CHECK_STR(parse("SELECT * FROM (SELECT 1"),
              "error 1:24 expected ')' to close '(' at line 1, column 15");
    CHECK_STR(parse("SELECT * FROM (SELECT a FROM t WHERE x WHERE)"),
              "error 1:40 expected ')' to close '(' at line 1, column 15");
    CHECK_STR(parse("SELECT * FROM TABLE TUMBLE(TABLE p, DESCRIPTOR(ts), 1)"),
              "error 1:21 syntax error at 'TUMBLE': expected '('");
    CHECK_STR(parse("SELECT * FROM TABLE(TABLE p)"),
              "error 1:21 syntax error at 'TABLE': expected a table function name "
              "(TABLE is a reserved word)");
    CHECK_STR(parse("SELECT * FROM TABLE(TUMBLE)"), "error 1:27 syntax error at ')': expected '('");
    CHECK_STR(parse("SELECT * FROM TABLE(TUMBLE(p, DESCRIPTOR(ts), 1))"),
              "error 1:28 syntax error at 'p': expected TABLE");
    CHECK_STR(parse("SELECT * FROM TABLE(TUMBLE(TABLE p DESCRIPTOR(ts), 1))"),
              "error 1:36 syntax error at 'DESCRIPTOR': expected ','");
    CHECK_STR(parse("SELECT * FROM TABLE(TUMBLE(TABLE p, ts, 1))"),
              "error 1:37 syntax error at 'ts': expected DESCRIPTOR");
    CHECK_STR(parse("SELECT * FROM TABLE(TUMBLE(TABLE p, DESCRIPTOR ts, 1))"),
              "error 1:48 syntax error at 'ts': expected '('");
    CHECK_STR(parse("SELECT * FROM TABLE(TUMBLE(TABLE p, DESCRIPTOR(ts, x), 1))"),
              "error 1:50 expected ')' to close '(' at line 1, column 47");
    CHECK_STR(parse("SELECT * FROM TABLE(TUMBLE(TABLE p, DESCRIPTOR(ts), 1)"),
              "error 1:55 expected ')' to close '(' at line 1, column 20");
    CHECK_STR(parse("SELECT * FROM TABLE(TUMBLE(TABLE p, DESCRIPTOR(ts), 1 2))"),
              "error 1:55 expected ')' to close '(' at line 1, column 27");
    CHECK_STR(parse("SELECT * FROM TABLE(SESSION(TABLE p PARTITION card_id, DESCRIPTOR(ts), 1))"),
              "error 1:47 syntax error at 'card_id': expected BY");
    CHECK_STR(parse("SELECT * FROM TABLE(SESSION(TABLE p PARTITION BY (a, b DESCRIPTOR(ts), 1))"),
              "error 1:56 expected ')' to close '(' at line 1, column 50");
    CHECK_STR(parse("SELECT * FROM TABLE(SESSION(TABLE p PARTITION BY a, b, DESCRIPTOR(ts), 1))"),
              "error 1:53 syntax error at 'b': expected DESCRIPTOR");
}

static void test_clauses(void)
{
    CHECK_STR(
        query("SELECT merchant_id, COUNT(*) AS n FROM p WHERE amount > 0 GROUP BY merchant_id "
              "HAVING COUNT(*) > 1"),
        "(select (items (col merchant_id) (as (call COUNT *) n)) (from (table p)) "
        "(where (> (col amount) (int 0))) (group-by (col merchant_id)) "
        "(having (> (call COUNT *) (int 1))))");
    CHECK_STR(query("SELECT a FROM t ORDER BY a DESC, b, c ASC LIMIT 10"),
              "(select (items (col a)) (from (table t)) (order-by (desc (col a)) (col b) (col c)) "
              "(limit (int 10)))");
    const vg_ast *sel = stmts[0].node->u.query.query;
    CHECK_INT(sel->u.select.order_by.n, 3);
    CHECK_INT(sel->u.select.order_desc[0], 1);
    CHECK_INT(sel->u.select.order_desc[1], 0);
    CHECK_INT(sel->u.select.order_desc[2], 0);
    CHECK_INT(sel->u.select.limit->u.lit.ival, 10);
    CHECK_STR(query("SELECT a GROUP BY a, b + 1"),
              "(select (items (col a)) (group-by (col a) (+ (col b) (int 1))))");
}

static void test_windows(void)
{
    CHECK_STR(query("SELECT COUNT(*) OVER w1h AS n, SUM(amount) OVER w1h FROM payments "
                    "WINDOW w1h AS (PARTITION BY card_id ORDER BY ts RANGE BETWEEN INTERVAL '1' "
                    "HOUR PRECEDING AND CURRENT ROW), w AS (ORDER BY ts ROWS BETWEEN 10 PRECEDING "
                    "AND CURRENT ROW)"),
              "(select (items (as (call COUNT * (over w1h)) n) (call SUM (col amount) (over w1h))) "
              "(from (table payments)) (windows (window w1h (partition (col card_id)) "
              "(order (col ts)) (range (preceding (interval 3600000)) current-row)) "
              "(window w (order (col ts)) (rows (preceding (int 10)) current-row))))");
    const vg_ast *sel = stmts[0].node->u.query.query;
    CHECK_INT(sel->u.select.nwindows, 2);
    const vg_ast_window *w = sel->u.select.windows[0];
    CHECK_STR(w->name.name, "w1h");
    CHECK_INT(w->frame_kind, 2);
    CHECK_INT(w->is_ref, 0);
    CHECK_INT(w->end_current_row, 1);
    CHECK_INT(w->span.off, 73);
    CHECK_INT(w->partition_span.off, 81);
    CHECK_INT(w->partition_span.len, 20);
    CHECK_INT(w->order_span.off, 102);
    CHECK_INT(w->order_span.len, 11);
    CHECK_INT(w->frame_span.off, 114);
    CHECK_INT(w->start_span.off, 128);
    CHECK_INT(w->start_span.len, 27);
    CHECK_INT(w->end_span.off, 160);
    CHECK_INT(w->end_span.len, 11);
    const vg_ast *call = sel->u.select.items[0].expr;
    CHECK_INT(call->u.call.over->is_ref, 1);
    CHECK_STR(call->u.call.over->name.name, "w1h");
    CHECK_INT(call->span.len, 17);

    CHECK_STR(expr("SUM(a) OVER (PARTITION BY k, j ORDER BY ts DESC, x ROWS UNBOUNDED PRECEDING)"),
              "(call SUM (col a) (over (window (partition (col k) (col j)) (order (desc (col ts)) "
              "(col x)) (rows unbounded-preceding current-row))))");
    CHECK_STR(expr("SUM(a) OVER (ORDER BY ts RANGE BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED "
                   "FOLLOWING)"),
              "(call SUM (col a) (over (window (order (col ts)) (range unbounded-preceding "
              "unbounded-following))))");
    const vg_ast *n = expr_node("SUM(a) OVER (ROWS BETWEEN 2 PRECEDING AND 3 FOLLOWING)");
    CHECK_STR(vg_ast_to_sexpr(n, A),
              "(call SUM (col a) (over (window (rows (preceding (int 2)) (following (int 3))))))");
    CHECK_INT(n->u.call.over->end_current_row, 0);
    CHECK_INT(n->u.call.over->frame_end->u.lit.ival, 3);
    CHECK_STR(expr("SUM(a) OVER ()"), "(call SUM (col a) (over (window)))");
    CHECK_STR(vg_ast_window_to_sexpr(n->u.call.over, A),
              "(window (rows (preceding (int 2)) (following (int 3))))");
    CHECK_STR(expr("COUNT(*) OVER (PARTITION BY k)"),
              "(call COUNT * (over (window (partition (col k)))))");
}

static void test_window_errors(void)
{
    CHECK_STR(parse("SELECT SUM(a) OVER"),
              "error 1:19 syntax error at end of input: expected a window name or '('");
    CHECK_STR(parse("SELECT SUM(a) OVER 5"),
              "error 1:20 syntax error at '5': expected a window name or '('");
    CHECK_STR(parse("SELECT SUM(a) OVER (PARTITION k)"),
              "error 1:31 syntax error at 'k': expected BY");
    CHECK_STR(parse("SELECT SUM(a) OVER (ORDER k)"), "error 1:27 syntax error at 'k': expected BY");
    CHECK_STR(parse("SELECT SUM(a) OVER (k)"),
              "error 1:21 expected ')' to close '(' at line 1, column 20");
    CHECK_STR(parse("SELECT SUM(a) OVER (ROWS 5)"),
              "error 1:27 syntax error at ')': expected PRECEDING");
    CHECK_STR(parse("SELECT SUM(a) OVER (ROWS BETWEEN 5 PRECEDING CURRENT ROW)"),
              "error 1:46 syntax error at 'CURRENT': expected AND");
    CHECK_STR(parse("SELECT SUM(a) OVER (ROWS BETWEEN 5 PRECEDING AND CURRENT)"),
              "error 1:57 syntax error at ')': expected ROW");
    CHECK_STR(parse("SELECT SUM(a) OVER (ROWS BETWEEN 5 PRECEDING AND 3)"),
              "error 1:51 syntax error at ')': expected FOLLOWING");
    CHECK_STR(parse("SELECT SUM(a) OVER (ROWS BETWEEN UNBOUNDED AND CURRENT ROW)"),
              "error 1:44 syntax error at 'AND': expected PRECEDING");
    CHECK_STR(parse("SELECT SUM(a) OVER (ROWS BETWEEN 1 PRECEDING AND UNBOUNDED PRECEDING)"),
              "error 1:50 OVER window frames must end at CURRENT ROW");
    CHECK_STR(parse("SELECT SUM(a) OVER (ROWS BETWEEN CURRENT ROW AND CURRENT ROW)"),
              "error 1:34 an OVER window frame starts at n PRECEDING or UNBOUNDED PRECEDING "
              "(the current row alone is ROWS BETWEEN 0 PRECEDING AND CURRENT ROW)");
    CHECK_STR(parse("SELECT SUM(a) OVER (ORDER BY ts GROUPS 1 PRECEDING)"),
              "error 1:33 GROUPS frames are not supported: use ROWS or RANGE");
    CHECK_STR(parse("SELECT SUM(a) OVER (ORDER BY ts ROWS 1 PRECEDING EXCLUDE TIES)"),
              "error 1:50 EXCLUDE is not supported in OVER window frames");
    CHECK_STR(parse("SELECT a FROM t WINDOW AS (ORDER BY ts)"),
              "error 1:24 syntax error at 'AS': expected a window name (AS is a reserved word)");
    CHECK_STR(parse("SELECT a FROM t WINDOW w (ORDER BY ts)"),
              "error 1:26 syntax error at '(': expected AS");
    CHECK_STR(parse("SELECT a FROM t WINDOW w AS ORDER BY ts"),
              "error 1:29 syntax error at 'ORDER': expected '('");
    CHECK_STR(parse("SELECT a FROM t WINDOW w AS (ORDER BY ts),"),
              "error 1:43 syntax error at end of input: expected a window name");
}

/* ---- expressions ---- */

static void test_literals(void)
{
    CHECK_STR(expr("NULL"), "null");
    CHECK_STR(expr("TRUE"), "true");
    CHECK_STR(expr("false"), "false");
    CHECK_STR(expr("42"), "(int 42)");
    CHECK_STR(expr("9223372036854775807"), "(int 9223372036854775807)");
    CHECK_STR(expr("-9223372036854775808"), "(int -9223372036854775808)");
    CHECK_STR(expr("1.5"), "(dec 1.5)");
    CHECK_STR(expr(".5"), "(dec .5)");
    CHECK_STR(expr("1.5E-3"), "(dec 1.5E-3)");
    CHECK_STR(expr("-2.5"), "(dec -2.5)");
    CHECK_STR(expr("'it''s'"), "(str 'it''s')");
    CHECK_STR(expr("U&'\\0041\\\\'"), "(str 'A\\\\')");
    CHECK_STR(expr("'a\tb'"), "(str 'a\\x09b')");
    CHECK_STR(expr("''"), "(str '')");
    CHECK_STR(expr("TIMESTAMP '2024-05-01 12:00:00'"), "(timestamp '2024-05-01 12:00:00')");
    CHECK_STR(expr("timestamp'x'"), "(timestamp 'x')");
    const vg_ast *n = expr_node("1.5e3");
    CHECK_INT(n->u.lit.kind, VG_LIT_DECIMAL);
    CHECK(n->u.lit.dval == 1500.0);
    CHECK_STR(n->u.lit.str, "1.5e3");
    CHECK_INT(n->u.lit.len, 5);
    n = expr_node("- 2.5");
    CHECK(n->u.lit.dval == -2.5);
    CHECK_INT(n->span.off, 7);
    CHECK_INT(n->span.len, 5);
    n = expr_node("'x''y'");
    CHECK_INT(n->u.lit.kind, VG_LIT_STRING);
    CHECK_STR(n->u.lit.str, "x'y");
    CHECK_INT(n->u.lit.len, 3);
    CHECK_INT(n->span.len, 6);
    n = expr_node("TIMESTAMP '2024-05-01'");
    CHECK_INT(n->u.lit.kind, VG_LIT_TIMESTAMP);
    CHECK_STR(n->u.lit.str, "2024-05-01");
    CHECK_INT(n->u.lit.len, 10);
    CHECK_INT(n->span.len, 22);
    n = expr_node("true");
    CHECK_INT(n->u.lit.kind, VG_LIT_BOOL);
    CHECK_INT(n->u.lit.ival, 1);
    CHECK_STR(parse("SELECT 9223372036854775808"), "error 1:8 integer literal out of range");
    CHECK_STR(parse("SELECT 1 - 9223372036854775808"), "error 1:12 integer literal out of range");
    CHECK_STR(parse("SELECT 'abc"), "error 1:8 unterminated string literal");
}

static void test_intervals(void)
{
    CHECK_STR(expr("INTERVAL '5' SECOND"), "(interval 5000)");
    CHECK_STR(expr("INTERVAL '5' SECONDS"), "(interval 5000)");
    CHECK_STR(expr("INTERVAL '250' MILLISECOND"), "(interval 250)");
    CHECK_STR(expr("INTERVAL '1.5' SECOND"), "(interval 1500)");
    CHECK_STR(expr("INTERVAL '0.123456' SECOND"), "(interval 123)");
    CHECK_STR(expr("INTERVAL '3' MINUTE"), "(interval 180000)");
    CHECK_STR(expr("INTERVAL '2' HOURS"), "(interval 7200000)");
    CHECK_STR(expr("interval '1' day"), "(interval 86400000)");
    CHECK_STR(expr("INTERVAL '2' WEEK"), "(interval 1209600000)");
    CHECK_STR(expr("INTERVAL '-5' SECOND"), "(interval -5000)");
    CHECK_STR(expr("INTERVAL -'5' SECOND"), "(interval -5000)");
    CHECK_STR(expr("INTERVAL +'5' SECOND"), "(interval 5000)");
    CHECK_STR(expr("INTERVAL ' 7 ' DAY"), "(interval 604800000)");
    CHECK_STR(expr("INTERVAL '5' SECOND(3)"), "(interval 5000)");
    CHECK_STR(expr("INTERVAL '1 02' DAY TO HOUR"), "(interval 93600000)");
    CHECK_STR(expr("INTERVAL '1   02' DAY TO HOUR"), "(interval 93600000)");
    CHECK_STR(expr("INTERVAL '1 02:03' DAY TO MINUTE"), "(interval 93780000)");
    CHECK_STR(expr("INTERVAL '1 02:03:04.5' DAY(2) TO SECOND(3)"), "(interval 93784500)");
    CHECK_STR(expr("INTERVAL '10 00:00:00.004' DAY TO SECOND"), "(interval 864000004)");
    CHECK_STR(expr("INTERVAL '26:30' HOUR TO MINUTE"), "(interval 95400000)");
    CHECK_STR(expr("INTERVAL '1:00:01' HOUR TO SECOND"), "(interval 3601000)");
    CHECK_STR(expr("INTERVAL '90:05.25' MINUTE TO SECOND"), "(interval 5405250)");
    CHECK_STR(expr("INTERVAL '-1 00:00:01' DAY TO SECOND"), "(interval -86401000)");
    const vg_ast *n = expr_node("INTERVAL '5' SECOND");
    CHECK_INT(n->u.lit.kind, VG_LIT_INTERVAL);
    CHECK_INT(n->span.off, 7);
    CHECK_INT(n->span.len, 19);
    /* errors */
    CHECK_STR(parse("SELECT INTERVAL '1' YEAR"),
              "error 1:8 year-month intervals are not supported; use days");
    CHECK_INT(perr.code, VG_ERR_SEMANTIC);
    CHECK_INT(perr.mark_len, 17);
    CHECK_STR(parse("SELECT INTERVAL '1-2' YEAR TO MONTH"),
              "error 1:8 year-month intervals are not supported; use days");
    CHECK_STR(parse("SELECT x + INTERVAL '3' MONTHS"),
              "error 1:12 year-month intervals are not supported; use days");
    CHECK_STR(parse("SELECT INTERVAL '1' QUARTER"),
              "error 1:8 year-month intervals are not supported; use days");
    CHECK_STR(parse("SELECT INTERVAL '1x' SECOND"), "error 1:17 invalid interval literal '1x'");
    CHECK_STR(parse("SELECT INTERVAL '' SECOND"), "error 1:17 invalid interval literal ''");
    CHECK_STR(parse("SELECT INTERVAL '1.5' MINUTE"), "error 1:17 invalid interval literal '1.5'");
    CHECK_STR(parse("SELECT INTERVAL '1.' SECOND"), "error 1:17 invalid interval literal '1.'");
    CHECK_STR(parse("SELECT INTERVAL '1.0123456789' SECOND"),
              "error 1:17 invalid interval literal '1.0123456789'");
    CHECK_STR(parse("SELECT INTERVAL '1 24' DAY TO HOUR"),
              "error 1:17 invalid interval literal '1 24'");
    CHECK_STR(parse("SELECT INTERVAL '1:60' HOUR TO MINUTE"),
              "error 1:17 invalid interval literal '1:60'");
    CHECK_STR(parse("SELECT INTERVAL '1:2:3' HOUR TO MINUTE"),
              "error 1:17 invalid interval literal '1:2:3'");
    CHECK_STR(parse("SELECT INTERVAL '1:002' HOUR TO MINUTE"),
              "error 1:17 invalid interval literal '1:002'");
    CHECK_STR(parse("SELECT INTERVAL '1 2' HOUR TO MINUTE"),
              "error 1:17 invalid interval literal '1 2'");
    CHECK_STR(parse("SELECT INTERVAL '5' DAY TO SECOND"),
              "error 1:17 invalid interval literal '5'");
    CHECK_STR(parse("SELECT INTERVAL '--5' SECOND"), "error 1:17 invalid interval literal '--5'");
    CHECK_STR(parse("SELECT INTERVAL '99999999999999999999' SECOND"),
              "error 1:17 invalid interval literal '99999999999999999999'");
    CHECK_STR(parse("SELECT INTERVAL '9999999999999999' DAY"),
              "error 1:17 invalid interval literal '9999999999999999'");
    CHECK_STR(parse("SELECT INTERVAL 'a\nb' SECOND"),
              "error 1:17 invalid interval literal 'a\\x0Ab'");
    CHECK_STR(parse("SELECT INTERVAL '1' SECOND TO DAY"),
              "error 1:21 invalid interval qualifier 'SECOND TO DAY'");
    CHECK_STR(parse("SELECT INTERVAL '1' DAY TO DAY"),
              "error 1:21 invalid interval qualifier 'DAY TO DAY'");
    CHECK_STR(parse("SELECT INTERVAL '1' WEEK TO DAY"),
              "error 1:21 invalid interval qualifier 'WEEK TO DAY'");
    CHECK_STR(parse("SELECT INTERVAL '1' DOW"), "error 1:21 invalid interval qualifier 'DOW'");
    CHECK_STR(parse("SELECT INTERVAL '1' FORTNIGHT"),
              "error 1:21 syntax error at 'FORTNIGHT': expected a time unit");
    CHECK_STR(parse("SELECT INTERVAL '1'"),
              "error 1:20 syntax error at end of input: expected a time unit");
    CHECK_STR(parse("SELECT INTERVAL '1' DAY TO"),
              "error 1:27 syntax error at end of input: expected a time unit");
    CHECK_STR(parse("SELECT INTERVAL 5 SECOND"),
              "error 1:17 syntax error at '5': expected a string literal");
    CHECK_STR(parse("SELECT INTERVAL '5' SECOND(x)"),
              "error 1:28 syntax error at 'x': expected an integer");
    CHECK_STR(parse("SELECT INTERVAL '5' SECOND(3"),
              "error 1:29 expected ')' to close '(' at line 1, column 27");
}

static void test_names(void)
{
    CHECK_STR(expr("amount"), "(col amount)");
    CHECK_STR(expr("p.amount"), "(col p.amount)");
    CHECK_STR(expr("`p q`.\"A\"\"b\""), "(col \"p q\".\"A\"\"b\")");
    const vg_ast *n = expr_node("p.amount");
    CHECK_INT(n->kind, VG_AST_COLUMN);
    CHECK_STR(n->u.column.qualifier.name, "p");
    CHECK_STR(n->u.column.name.name, "amount");
    CHECK_INT(n->u.column.name.span.off, 9);
    CHECK_INT(n->span.off, 7);
    CHECK_INT(n->span.len, 8);
    n = expr_node("`Mixed Case`");
    CHECK_INT(n->u.column.name.quoted, 1);
    CHECK(n->u.column.qualifier.name == NULL);
    CHECK_STR(parse("SELECT p.1"), "error 1:9 syntax error at '.1': expected ';' or end of input");
    CHECK_STR(
        parse("SELECT p.select"),
        "error 1:10 syntax error at 'select': expected a column name (SELECT is a reserved word)");
}

static void test_precedence(void)
{
    CHECK_STR(expr("1 + 2 * 3"), "(+ (int 1) (* (int 2) (int 3)))");
    CHECK_STR(expr("1 * 2 + 3"), "(+ (* (int 1) (int 2)) (int 3))");
    CHECK_STR(expr("1 - 2 - 3"), "(- (- (int 1) (int 2)) (int 3))");
    CHECK_STR(expr("8 / 4 / 2"), "(/ (/ (int 8) (int 4)) (int 2))");
    CHECK_STR(expr("7 % 4 * 2"), "(* (% (int 7) (int 4)) (int 2))");
    CHECK_STR(expr("a || b || c"), "(|| (|| (col a) (col b)) (col c))");
    CHECK_STR(expr("a || b + c"), "(+ (|| (col a) (col b)) (col c))");
    CHECK_STR(expr("(1 + 2) * 3"), "(* (+ (int 1) (int 2)) (int 3))");
    CHECK_STR(expr("a + b = c * d"), "(= (+ (col a) (col b)) (* (col c) (col d)))");
    CHECK_STR(expr("a = 1 AND b = 2 OR c = 3"),
              "(or (and (= (col a) (int 1)) (= (col b) (int 2))) (= (col c) (int 3)))");
    CHECK_STR(expr("a OR b AND c"), "(or (col a) (and (col b) (col c)))");
    CHECK_STR(expr("a OR b OR c"), "(or (or (col a) (col b)) (col c))");
    CHECK_STR(expr("a AND b AND c"), "(and (and (col a) (col b)) (col c))");
    CHECK_STR(expr("NOT a AND b"), "(and (not (col a)) (col b))");
    CHECK_STR(expr("NOT a = b"), "(not (= (col a) (col b)))");
    CHECK_STR(expr("NOT NOT a"), "(not (not (col a)))");
    CHECK_STR(expr("-a * b"), "(* (neg (col a)) (col b))");
    CHECK_STR(expr("-a.b"), "(neg (col a.b))");
    CHECK_STR(expr("- - a"), "(neg (neg (col a)))");
    CHECK_STR(expr("+a"), "(pos (col a))");
    CHECK_STR(expr("+5"), "(pos (int 5))");
    CHECK_STR(expr("-5 * 2"), "(* (int -5) (int 2))");
    CHECK_STR(expr("-(5)"), "(neg (int 5))");
    CHECK_STR(expr("1 - -2"), "(- (int 1) (int -2))");
    CHECK_STR(expr("a < b"), "(< (col a) (col b))");
    CHECK_STR(expr("a <= b"), "(<= (col a) (col b))");
    CHECK_STR(expr("a > b"), "(> (col a) (col b))");
    CHECK_STR(expr("a >= b"), "(>= (col a) (col b))");
    CHECK_STR(expr("a <> b"), "(<> (col a) (col b))");
    CHECK_STR(expr("a != b"), "(<> (col a) (col b))");
    CHECK_STR(expr("a = b IS NULL"),
              "error 1:14 syntax error at 'IS': comparisons do not chain; use AND");
    CHECK_STR(parse("SELECT a = b = c"),
              "error 1:14 syntax error at '=': comparisons do not chain; use AND");
    CHECK_STR(parse("SELECT a < b < c"),
              "error 1:14 syntax error at '<': comparisons do not chain; use AND");
    CHECK_STR(parse("SELECT a IN (1) IN (2)"),
              "error 1:17 syntax error at 'IN': comparisons do not chain; use AND");
    CHECK_STR(parse("SELECT a BETWEEN 1 AND 2 NOT LIKE 'x'"),
              "error 1:26 syntax error at 'NOT': comparisons do not chain; use AND");
    CHECK_STR(expr("(a = b) = c"), "(= (= (col a) (col b)) (col c))");
    /* spans of a binary node */
    const vg_ast *n = expr_node("a  +  bc");
    CHECK_INT(n->kind, VG_AST_BINARY);
    CHECK_INT(n->u.binary.op, VG_OP_ADD);
    CHECK_INT(n->span.off, 7);
    CHECK_INT(n->span.len, 8);
    CHECK_INT(n->u.binary.op_span.off, 10);
    CHECK_INT(n->u.binary.op_span.len, 1);
    n = expr_node("(a + b)");
    CHECK_INT(n->span.off, 8);
    CHECK_INT(n->span.len, 5);
}

static void test_predicates(void)
{
    CHECK_STR(expr("a IS NULL"), "(is (col a) null)");
    CHECK_STR(expr("a IS NOT NULL"), "(is-not (col a) null)");
    CHECK_STR(expr("a IS TRUE"), "(is (col a) true)");
    CHECK_STR(expr("a IS NOT FALSE"), "(is-not (col a) false)");
    CHECK_STR(expr("a > 1 IS UNKNOWN"),
              "error 1:14 syntax error at 'IS': comparisons do not chain; use AND");
    CHECK_STR(expr("a IS UNKNOWN"), "(is (col a) unknown)");
    CHECK_STR(expr("a + 1 IN (1, 2, b)"), "(in (+ (col a) (int 1)) (int 1) (int 2) (col b))");
    CHECK_STR(expr("a NOT IN ('x')"), "(not-in (col a) (str 'x'))");
    CHECK_STR(expr("a BETWEEN 1 AND 2 + 3"), "(between (col a) (int 1) (+ (int 2) (int 3)))");
    CHECK_STR(expr("a BETWEEN 1 AND 2 AND b"), "(and (between (col a) (int 1) (int 2)) (col b))");
    CHECK_STR(expr("a NOT BETWEEN SYMMETRIC 5 AND 1"),
              "(not-between-symmetric (col a) (int 5) (int 1))");
    CHECK_STR(expr("a BETWEEN ASYMMETRIC 1 AND 5"), "(between (col a) (int 1) (int 5))");
    CHECK_STR(expr("s LIKE 'a%'"), "(like (col s) (str 'a%'))");
    CHECK_STR(expr("s NOT LIKE 'a!%' ESCAPE '!'"), "(not-like (col s) (str 'a!%') (str '!'))");
    CHECK_STR(expr("NOT s LIKE 'a'"), "(not (like (col s) (str 'a')))");
    const vg_ast *n = expr_node("a NOT IN (1, 2)");
    CHECK_INT(n->kind, VG_AST_IN);
    CHECK_INT(n->u.in.negated, 1);
    CHECK_INT(n->u.in.list.n, 2);
    CHECK_INT(n->span.off, 7);
    CHECK_INT(n->span.len, 15);
    n = expr_node("a IS NOT NULL");
    CHECK_INT(n->u.is.negated, 1);
    CHECK_INT(n->u.is.what, 0);
    CHECK_INT(n->span.len, 13);
    n = expr_node("a BETWEEN SYMMETRIC 1 AND 2");
    CHECK_INT(n->u.between.symmetric, 1);
    CHECK_INT(n->u.between.negated, 0);
    n = expr_node("a LIKE 'x'");
    CHECK(n->u.like.escape == NULL);
    /* errors */
    CHECK_STR(parse("SELECT a IS 5"),
              "error 1:13 syntax error at '5': expected NULL, TRUE, FALSE or UNKNOWN");
    CHECK_STR(parse("SELECT a IS NOT"),
              "error 1:16 syntax error at end of input: expected NULL, TRUE, FALSE or UNKNOWN");
    CHECK_STR(parse("SELECT a NOT b"),
              "error 1:14 syntax error at 'b': expected IN, BETWEEN or LIKE");
    CHECK_STR(parse("SELECT a NOT IS NULL"),
              "error 1:14 syntax error at 'IS': expected IN, BETWEEN or LIKE");
    CHECK_STR(parse("SELECT a IN 1"), "error 1:13 syntax error at '1': expected '('");
    CHECK_STR(parse("SELECT a IN ()"), "error 1:14 syntax error at ')': expected an expression");
    CHECK_STR(parse("SELECT a IN (1, 2"),
              "error 1:18 expected ')' to close '(' at line 1, column 13");
    CHECK_STR(parse("SELECT a IN (1,)"), "error 1:16 syntax error at ')': expected an expression");
    CHECK_STR(parse("SELECT a BETWEEN 1"), "error 1:19 syntax error at end of input: expected AND");
    CHECK_STR(parse("SELECT a BETWEEN 1 OR 2"), "error 1:20 syntax error at 'OR': expected AND");
    CHECK_STR(parse("SELECT a LIKE"),
              "error 1:14 syntax error at end of input: expected an expression");
    CHECK_STR(parse("SELECT a LIKE 'x' ESCAPE"),
              "error 1:25 syntax error at end of input: expected an expression");
}

static void test_case_cast(void)
{
    CHECK_STR(expr("CASE WHEN a > 1 THEN 'big' WHEN a > 0 THEN 'small' ELSE 'none' END"),
              "(case (when (> (col a) (int 1)) (str 'big')) (when (> (col a) (int 0)) "
              "(str 'small')) (else (str 'none')))");
    CHECK_STR(expr("CASE status WHEN 'ok' THEN 1 WHEN 'bad' THEN 0 END"),
              "(case (col status) (when (str 'ok') (int 1)) (when (str 'bad') (int 0)))");
    CHECK_STR(expr("CASE WHEN a THEN CASE WHEN b THEN 1 END END"),
              "(case (when (col a) (case (when (col b) (int 1)))))");
    const vg_ast *n = expr_node("CASE x WHEN 1 THEN 2 END");
    CHECK_INT(n->kind, VG_AST_CASE);
    CHECK_INT(n->u.kase.whens.n, 1);
    CHECK_INT(n->u.kase.thens.n, 1);
    CHECK(n->u.kase.else_ == NULL);
    CHECK_INT(n->span.len, 24);
    CHECK_STR(expr("CAST(a AS BIGINT)"), "(cast (col a) BIGINT)");
    CHECK_STR(expr("cast('1.5' as double)"), "(cast (str '1.5') DOUBLE)");
    CHECK_STR(expr("TRY_CAST(s AS TIMESTAMP(3))"), "(try-cast (col s) TIMESTAMP)");
    CHECK_STR(expr("CAST(CAST(a AS INT) AS VARCHAR(5))"), "(cast (cast (col a) INT) STRING)");
    CHECK_STR(expr("\"CAST\"(a)"), "(call \"CAST\" (col a))");
    n = expr_node("TRY_CAST(a AS BOOLEAN)");
    CHECK_INT(n->kind, VG_AST_CAST);
    CHECK_INT(n->u.cast.try_, 1);
    CHECK_INT(n->u.cast.to.type, VG_T_BOOL);
    CHECK_INT(n->u.cast.to.span.off, 21);
    CHECK_INT(n->span.len, 22);
    /* errors */
    CHECK_STR(parse("SELECT CASE END"), "error 1:13 syntax error at 'END': expected an expression");
    CHECK_STR(parse("SELECT CASE a END"), "error 1:15 syntax error at 'END': expected WHEN");
    CHECK_STR(parse("SELECT CASE WHEN a 1 END"), "error 1:20 syntax error at '1': expected THEN");
    CHECK_STR(parse("SELECT CASE WHEN a THEN 1\nFROM t"),
              "error 2:1 expected END to close CASE at line 1, column 8");
    CHECK_STR(parse("SELECT CASE WHEN a THEN 1 ELSE END"),
              "error 1:32 syntax error at 'END': expected an expression");
    CHECK_STR(parse("SELECT CAST(a BIGINT)"), "error 1:15 syntax error at 'BIGINT': expected AS");
    CHECK_STR(parse("SELECT CAST(a AS)"), "error 1:17 syntax error at ')': expected a type");
    CHECK_STR(parse("SELECT CAST(a AS INT"),
              "error 1:21 expected ')' to close '(' at line 1, column 12");
}

static void test_calls(void)
{
    CHECK_STR(expr("now()"), "(call now)");
    CHECK_STR(expr("LOWER(status)"), "(call LOWER (col status))");
    CHECK_STR(expr("coalesce(a, b, 'x')"), "(call coalesce (col a) (col b) (str 'x'))");
    CHECK_STR(expr("COUNT(*)"), "(call COUNT *)");
    CHECK_STR(expr("COUNT(F.*)"), "(call COUNT F.*)");
    CHECK_STR(expr("COUNT(DISTINCT card_id)"), "(call COUNT distinct (col card_id))");
    CHECK_STR(expr("SUM(ALL x)"), "(call SUM (col x))");
    CHECK_STR(expr("COUNT(*) FILTER (WHERE status = 'failed')"),
              "(call COUNT * (filter (= (col status) (str 'failed'))))");
    CHECK_STR(expr("SUM(a) FILTER (WHERE a > 0) OVER w"),
              "(call SUM (col a) (filter (> (col a) (int 0))) (over w))");
    CHECK_STR(expr("f(g(h(1)))"), "(call f (call g (call h (int 1))))");
    CHECK_STR(expr("year(ts)"), "(call year (col ts))");
    CHECK_STR(expr("`my fn`(1)"), "(call \"my fn\" (int 1))");
    const vg_ast *n = expr_node("COUNT(DISTINCT a, b)");
    CHECK_INT(n->kind, VG_AST_CALL);
    CHECK_INT(n->u.call.distinct, 1);
    CHECK_INT(n->u.call.args.n, 2);
    CHECK_STR(n->u.call.name.name, "COUNT");
    CHECK(n->u.call.filter == NULL);
    CHECK(n->u.call.over == NULL);
    CHECK_INT(n->span.len, 20);
    n = expr_node("count(*)");
    CHECK_INT(n->u.call.args.items[0]->kind, VG_AST_STAR);
    CHECK_STR(n->u.call.name.name, "count");
    /* errors */
    CHECK_STR(parse("SELECT f(a"), "error 1:11 expected ')' to close '(' at line 1, column 9");
    CHECK_STR(parse("SELECT f(a b)"), "error 1:12 expected ')' to close '(' at line 1, column 9");
    CHECK_STR(parse("SELECT f(a,)"), "error 1:12 syntax error at ')': expected an expression");
    CHECK_STR(parse("SELECT f(,a)"), "error 1:10 syntax error at ',': expected an expression");
    CHECK_STR(parse("SELECT f(DISTINCT)"),
              "error 1:18 syntax error at ')': expected an expression");
    CHECK_STR(parse("SELECT COUNT(*) FILTER WHERE x"),
              "error 1:24 syntax error at 'WHERE': expected '('");
    CHECK_STR(parse("SELECT COUNT(*) FILTER (x)"),
              "error 1:25 syntax error at 'x': expected WHERE");
    CHECK_STR(parse("SELECT COUNT(*) FILTER (WHERE x"),
              "error 1:32 expected ')' to close '(' at line 1, column 24");
    CHECK_STR(parse("SELECT f(* 1)"), "error 1:12 expected ')' to close '(' at line 1, column 9");
    CHECK_STR(parse("SELECT f(1, *)"), "error 1:13 syntax error at '*': expected an expression");
}

/* What is not supported yet says so, at the offending keyword. */
static void test_not_yet(void)
{
    CHECK_STR(parse("SELECT a FROM s JOIN t ON s.a = t.a"),
              "error 1:17 JOIN is not supported yet");
    CHECK_STR(parse("SELECT a FROM s LEFT JOIN t ON s.a = t.a"),
              "error 1:17 JOIN is not supported yet");
    CHECK_STR(parse("SELECT a FROM s, t"),
              "error 1:16 a join of several FROM items is not supported yet");
    CHECK_STR(parse("SELECT * FROM s MATCH_RECOGNIZE (PATTERN (A)) MATCH_RECOGNIZE (PATTERN (A))"),
              "error 1:47 MATCH_RECOGNIZE cannot read a MATCH_RECOGNIZE directly: put the first "
              "one in a subquery");
    CHECK_STR(parse("SELECT a FROM s GROUP a"), "error 1:23 syntax error at 'a': expected BY");
}

static void test_special_calls(void)
{
    CHECK_STR(expr("EXTRACT(HOUR FROM ts)"), "(call EXTRACT (unit HOUR) (col ts))");
    CHECK_STR(expr("extract(dow from ts)"), "(call extract (unit DOW) (col ts))");
    CHECK_STR(expr("EXTRACT(EPOCH FROM ts)"), "(call EXTRACT (unit EPOCH) (col ts))");
    CHECK_STR(expr("EXTRACT(MILLISECOND FROM ts)"), "(call EXTRACT (unit MILLISECOND) (col ts))");
    CHECK_STR(expr("EXTRACT(DOY FROM ts)"), "(call EXTRACT (unit DOY) (col ts))");
    CHECK_STR(expr("EXTRACT(QUARTER FROM ts)"), "(call EXTRACT (unit QUARTER) (col ts))");
    CHECK_STR(expr("EXTRACT(WEEK FROM ts)"), "(call EXTRACT (unit WEEK) (col ts))");
    CHECK_STR(expr("EXTRACT(YEAR FROM ts)"), "(call EXTRACT (unit YEAR) (col ts))");
    CHECK_STR(expr("EXTRACT(MONTH FROM ts)"), "(call EXTRACT (unit MONTH) (col ts))");
    CHECK_STR(expr("FLOOR(ts TO MINUTE)"), "(call FLOOR (col ts) (unit MINUTE))");
    CHECK_STR(expr("FLOOR(x)"), "(call FLOOR (col x))");
    CHECK_STR(expr("CEIL(ts TO HOUR)"), "(call CEIL (col ts) (unit HOUR))");
    CHECK_STR(expr("CEILING(ts TO DAY)"), "(call CEILING (col ts) (unit DAY))");
    CHECK_STR(expr("CEIL(x, 2)"), "(call CEIL (col x) (int 2))");
    CHECK_STR(expr("TIMESTAMPADD(SECOND, 5, ts)"),
              "(call TIMESTAMPADD (unit SECOND) (int 5) (col ts))");
    CHECK_STR(expr("TIMESTAMPDIFF(DAY, a, b)"), "(call TIMESTAMPDIFF (unit DAY) (col a) (col b))");
    CHECK_STR(expr("SUBSTRING(s FROM 2 FOR 3)"), "(call SUBSTRING (col s) (int 2) (int 3))");
    CHECK_STR(expr("SUBSTRING(s FROM 2)"), "(call SUBSTRING (col s) (int 2))");
    CHECK_STR(expr("SUBSTRING(s, 2, 3)"), "(call SUBSTRING (col s) (int 2) (int 3))");
    CHECK_STR(expr("POSITION('a' IN s)"), "(call POSITION (str 'a') (col s))");
    CHECK_STR(expr("POSITION('a' || 'b' IN s || t)"),
              "(call POSITION (|| (str 'a') (str 'b')) (|| (col s) (col t)))");
    CHECK_STR(expr("POSITION('a', s)"), "(call POSITION (str 'a') (col s))");
    CHECK_STR(expr("TRIM(FROM s)"), "(call TRIM (col s) (str ' ') (str 'BOTH'))");
    /* LEFT and RIGHT are reserved for joins but are functions too */
    CHECK_STR(expr("LEFT(s, 2)"), "(call LEFT (col s) (int 2))");
    CHECK_STR(expr("right(s, n)"), "(call right (col s) (col n))");
    CHECK_STR(expr("TRIM(s)"), "(call TRIM (col s))");
    CHECK_STR(expr("TRIM(BOTH FROM s)"), "(call TRIM (col s) (str ' ') (str 'BOTH'))");
    CHECK_STR(expr("TRIM(LEADING 'x' FROM s)"), "(call TRIM (col s) (str 'x') (str 'LEADING'))");
    CHECK_STR(expr("trim(trailing from s)"), "(call trim (col s) (str ' ') (str 'TRAILING'))");
    CHECK_STR(expr("TRIM('y' FROM s)"), "(call TRIM (col s) (str 'y') (str 'BOTH'))");
    CHECK_STR(expr("TRIM(s, 'x')"), "(call TRIM (col s) (str 'x'))");
    const vg_ast *n = expr_node("EXTRACT(HOUR FROM ts)");
    const vg_ast *u = n->u.call.args.items[0];
    CHECK_INT(u->kind, VG_AST_TIMEUNIT);
    CHECK_INT(u->u.timeunit.unit, VG_TU_HOUR);
    CHECK_INT(u->span.off, 15);
    CHECK_INT(u->span.len, 4);
    CHECK_INT(n->span.len, 21);
    n = expr_node("TRIM(LEADING FROM s)");
    CHECK_INT(n->u.call.args.items[2]->span.off, 12);
    CHECK_INT(n->u.call.args.items[1]->span.off, 20);
    /* errors */
    CHECK_STR(parse("SELECT EXTRACT(ts)"), "error 1:16 syntax error at 'ts': expected a time unit");
    CHECK_STR(parse("SELECT EXTRACT(HOUR ts)"), "error 1:21 syntax error at 'ts': expected FROM");
    CHECK_STR(parse("SELECT EXTRACT(HOUR FROM ts"),
              "error 1:28 expected ')' to close '(' at line 1, column 15");
    CHECK_STR(parse("SELECT FLOOR(ts TO 5)"),
              "error 1:20 syntax error at '5': expected a time unit");
    CHECK_STR(parse("SELECT TIMESTAMPADD(SECOND 5, ts)"),
              "error 1:28 syntax error at '5': expected ','");
    CHECK_STR(parse("SELECT TIMESTAMPADD(SECOND, 5)"),
              "error 1:30 syntax error at ')': expected ','");
    CHECK_STR(parse("SELECT TIMESTAMPDIFF(x, a, b)"),
              "error 1:22 syntax error at 'x': expected a time unit");
    CHECK_STR(parse("SELECT SUBSTRING(s FROM)"),
              "error 1:24 syntax error at ')': expected an expression");
    CHECK_STR(parse("SELECT SUBSTRING(s FROM 1 FOR)"),
              "error 1:30 syntax error at ')': expected an expression");
    CHECK_STR(parse("SELECT POSITION('a' IN)"),
              "error 1:23 syntax error at ')': expected an expression");
    CHECK_STR(parse("SELECT TRIM(BOTH 'x' s)"), "error 1:22 syntax error at 's': expected FROM");
    /* the standard's <trim operands>: both the mode and the characters are optional */
    CHECK_STR(parse("SELECT TRIM(FROM)"),
              "error 1:17 syntax error at ')': expected an expression");
    CHECK_STR(parse("SELECT TRIM(BOTH FROM)"),
              "error 1:22 syntax error at ')': expected an expression");
}

/* ---- errors in context ---- */

static void test_error_positions(void)
{
    /* multi-line, comments and tabs before the error, CRLF line ends */
    CHECK_STR(parse("-- features\nSELECT a,\n  b\nFROM t\nWHERE a >"),
              "error 5:10 syntax error at end of input: expected an expression");
    CHECK_STR(parse("SELECT a,\r\n\tb c d\r\nFROM t"),
              "error 2:4 syntax error at 'c': expected ',' or FROM");
    CHECK_STR(perr.source_line, "\tb c d");
    CHECK_STR(parse("/* a\n   b */ SELECT\t(a +\r\n b"),
              "error 3:3 expected ')' to close '(' at line 2, column 16");
    CHECK_STR(parse("SELECT 1;\nSELECT 2;\nSELECT (3 + );"),
              "error 3:13 syntax error at ')': expected an expression");
    CHECK_STR(perr.file, "p.sql");
    CHECK_INT(perr.code, VG_ERR_SYNTAX);
    CHECK_INT(perr.mark_len, 1);
    /* the lexer's error surfaces where the parser reaches it ... */
    CHECK_STR(parse("SELECT a FROM t WHERE s = 'open"), "error 1:27 unterminated string literal");
    CHECK_STR(parse("SELECT a # b"), "error 1:10 unexpected character '#'");
    CHECK_STR(parse("SELECT (a #"), "error 1:11 unexpected character '#'");
    CHECK_STR(parse("SELECT f(a #"), "error 1:12 unexpected character '#'");
    CHECK_STR(parse("SELECT CASE WHEN a THEN 1 #"), "error 1:27 unexpected character '#'");
    CHECK_STR(parse("SELECT a AS #"), "error 1:13 unexpected character '#'");
    CHECK_STR(parse("SELECT a = b #"), "error 1:14 unexpected character '#'");
    CHECK_STR(parse("SELECT p.# x"), "error 1:10 unexpected character '#'");
    CHECK_STR(parse("/* x"), "error 1:1 unterminated comment");
    /* ... but an earlier syntax error wins over a later bad token it peeked at */
    CHECK_STR(parse("SELECT FROM 'x"), "error 1:8 syntax error at 'FROM': expected an expression");
    CHECK_STR(parse("SELECT a b c 'x"), "error 1:10 syntax error at 'b': expected ',' or FROM");
    /* long tokens are cut in messages, control bytes shown */
    CHECK_STR(parse("SELECT a 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'"),
              "error 1:10 syntax error at ''aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...': "
              "expected ';' or end of input");
    CHECK_STR(
        parse("SELECT a '\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9"
              "\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9"
              "\xC3\xA9\xC3\xA9'"),
        "error 1:10 syntax error at ''\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9"
        "\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9"
        "\xC3\xA9\xC3\xA9...': expected ';' or end of input"); /* not cut inside a character */
    CHECK_STR(parse("SELECT a 'x\ny'"),
              "error 1:10 syntax error at ''x\\x0Ay'': expected ';' or end of input");
}

static void test_depth_limit(void)
{
    size_t n = 5000;
    char *sql = malloc(2 * n + 16);
    strcpy(sql, "SELECT ");
    size_t k = 7;
    for (size_t i = 0; i < n; i++)
        sql[k++] = '(';
    sql[k++] = '1';
    for (size_t i = 0; i < n; i++)
        sql[k++] = ')';
    sql[k] = 0;
    CHECK_STR(parse(sql), "error 1:1007 expression nested too deeply (limit 1000)");
    /* within the limit */
    sql[7 + 400] = 0;
    memset(sql + 7, '(', 200);
    sql[207] = '1';
    memset(sql + 208, ')', 200);
    sql[408] = 0;
    CHECK_STR(parse(sql), "(query (select (items (int 1))))");
    /* long operator chains count too */
    k = 7;
    for (size_t i = 0; i < 1200; i++) {
        memcpy(sql + k, "1+", 2);
        k += 2;
    }
    sql[k++] = '1';
    sql[k] = 0;
    CHECK_STR(parse(sql), "error 1:2005 expression nested too deeply (limit 1000)");
    k = 7;
    for (size_t i = 0; i < 1200; i++) {
        memcpy(sql + k, "- ", 2);
        k += 2;
    }
    sql[k++] = 'a';
    sql[k] = 0;
    CHECK_STR(parse(sql), "error 1:2006 expression nested too deeply (limit 1000)");
    CHECK_STR(parse("SELECT NOT NOT NOT NOT a"),
              "(query (select (items (not (not (not (not (col a))))))))");
    free(sql);
}

static void test_alloc_failures(void)
{
    const char *sql = "CREATE STREAM p (a INT, ts TIMESTAMP, WATERMARK FOR ts AS ts - INTERVAL '1' "
                      "SECOND) WITH ('k' = 'v');\n"
                      "CREATE VIEW v AS SELECT a, COUNT(*) OVER (PARTITION BY a ORDER BY ts DESC "
                      "RANGE BETWEEN INTERVAL '1' HOUR PRECEDING AND CURRENT ROW) AS n, "
                      "CASE WHEN a IN (1, 2) THEN 'x' ELSE TRIM(LEADING FROM 's') END, 1.5, "
                      "CAST(a AS BIGINT), `q` FROM TABLE(TUMBLE(TABLE p, DESCRIPTOR(ts), "
                      "INTERVAL '1' MINUTE)) w WHERE a BETWEEN 1 AND 2 GROUP BY a "
                      "WINDOW x AS (ORDER BY ts) ORDER BY a DESC LIMIT 5;\n"
                      "INSERT INTO s SELECT * FROM (SELECT EXTRACT(HOUR FROM ts) h FROM p) q";
    /* the reference dump */
    vg_arena *ref = vg_arena_new(VG_MEM_SQL, 0);
    vg_source s = {"a.sql", sql, (uint32_t)strlen(sql)};
    vg_ast_stmt *st;
    uint32_t n;
    vg_error e;
    vg_error_clear(&e);
    CHECK_INT(vg_parse(&s, ref, &st, &n, &e), 0);
    CHECK_INT(n, 3);
    char want[4096] = "";
    for (uint32_t i = 0; i < n; i++)
        strncat(want, vg_ast_to_sexpr(st[i].node, ref), sizeof want - strlen(want) - 1);
    vg_arena_free(ref);
    /* fail the Nth allocation for every N until a parse needs no failure */
    int failures = 0, bad = 0, ok = 0;
    size_t before = vg_mem_in_use(VG_MEM_SQL);
    for (uint64_t k = 1; k < 2000 && !ok; k++) {
        vg_arena *a = vg_arena_new(VG_MEM_SQL, 1); /* every node: a new chunk */
        if (!a)
            continue;
        vg_error_clear(&e);
        vg_alloc_fail_at(k, 0);
        int rc = vg_parse(&s, a, &st, &n, &e);
        char got[4096] = "";
        for (uint32_t i = 0; rc == 0 && i < n; i++) {
            char *d = vg_ast_to_sexpr(st[i].node, a);
            strncat(got, d ? d : "(dump failed)", sizeof got - strlen(got) - 1);
        }
        int injected = vg_alloc_failed();
        vg_alloc_fail_at(0, 0);
        if (rc < 0) {
            failures++;
            if (e.code != VG_ERR_NOMEM || strcmp(e.msg, "out of memory") != 0 || st || n)
                bad++;
        } else if (!injected) {
            ok = strcmp(got, want) == 0;
            if (!ok)
                bad++;
        } else if (strcmp(got, want) != 0 && !strstr(got, "(dump failed)")) {
            bad++;
        }
        vg_arena_free(a);
    }
    CHECK(failures > 50);
    CHECK_INT(bad, 0);
    CHECK_INT(ok, 1);
    CHECK_INT(vg_mem_in_use(VG_MEM_SQL), before);
    /* a dump whose buffer cannot grow gives NULL */
    vg_arena *a = vg_arena_new(VG_MEM_SQL, 0);
    vg_source s2 = {"b.sql", "SELECT 1", 8};
    CHECK_INT(vg_parse(&s2, a, &st, &n, &e), 0);
    vg_alloc_fail_at(1, 1);
    CHECK(vg_ast_to_sexpr(st[0].node, a) == NULL);
    vg_alloc_fail_at(0, 0);
    vg_arena_free(a);
    CHECK_INT(vg_mem_in_use(VG_MEM_SQL), before);
}

/* A lone expression (a rule's condition): its dump, or "error L:C message". */
static const char *lone(const char *text)
{
    static char buf[1024];
    src.name = "rules.yaml";
    src.text = text;
    src.len = (uint32_t)strlen(text);
    vg_error_clear(&perr);
    vg_ast *e;
    if (vg_parse_expr(&src, A, &e, &perr) < 0) {
        snprintf(buf, sizeof buf, "error %u:%u %s", perr.line, perr.col, perr.msg);
        return buf;
    }
    return vg_ast_to_sexpr(e, A);
}

static void test_lone_expressions(void)
{
    CHECK_STR(lone("amount > 500 AND card_n_1h >= 3"),
              "(and (> (col amount) (int 500)) (>= (col card_n_1h) (int 3)))");
    CHECK_STR(lone("  status IS NULL  "), "(is (col status) null)");
    CHECK_STR(lone("amount > 500 card"),
              "error 1:14 syntax error at 'card': expected an operator or end of expression");
    CHECK_STR(lone("amount >"), "error 1:9 syntax error at end of input: expected an expression");
    CHECK_STR(lone("a > 1;"), "error 1:6 syntax error at ';': expected an operator or end of expression");
    CHECK_STR(lone(""), "error 1:1 syntax error at end of input: expected an expression");
}

static void test_models_and_rules(void)
{
    CHECK_STR(parse("CREATE MODEL m INPUT (a DOUBLE, b BIGINT) OUTPUT (score DOUBLE)\n"
                    "  COMMENT 'fraud' WITH ('type' = 'xgboost', 'path' = 'm.json')"),
              "(create-model m (input (a DOUBLE) (b BIGINT)) (output (score DOUBLE)) "
              "(with ('type' 'xgboost') ('path' 'm.json')))");
    CHECK_STR(parse("CREATE TEMPORARY RULESET r WITH ('default' = 'review')"),
              "(create-ruleset r (with ('default' 'review')))");
    CHECK_STR(parse("CREATE RULESET r"), "(create-ruleset r)");
    CHECK_STR(query("SELECT * FROM ML_PREDICT(TABLE f, MODEL m, DESCRIPTOR(a, b))"),
              "(select (items *) (from (tablefn ML_PREDICT (table f) (model m) (descriptor a b))))");
    CHECK_STR(query("SELECT * FROM TABLE(ML_PREDICT(TABLE f, MODEL m, DESCRIPTOR(a))) AS s"),
              "(select (items *) (from (tablefn ML_PREDICT (table f) (model m) (descriptor a) "
              "(alias s))))");
    CHECK_STR(query("SELECT * FROM apply_rules(TABLE s, RULESET r)"),
              "(select (items *) (from (tablefn apply_rules (table s) (ruleset r))))");
    CHECK_STR(query("SELECT * FROM TUMBLE(TABLE s, DESCRIPTOR(ts), INTERVAL '1' MINUTE)"),
              "(select (items *) (from (tablefn TUMBLE (table s) (descriptor ts) (interval 60000))))");
    /* errors */
    CHECK_STR(parse("CREATE MODEL m OUTPUT (s DOUBLE) WITH ('type' = 'linear')"),
              "error 1:16 syntax error at 'OUTPUT': expected INPUT (...)");
    CHECK_STR(parse("CREATE MODEL m INPUT (a DOUBLE) WITH ('type' = 'linear')"),
              "error 1:33 syntax error at 'WITH': expected OUTPUT (...)");
    CHECK_STR(parse("CREATE MODEL m INPUT (a DOUBLE) OUTPUT (s DOUBLE)"),
              "error 1:50 syntax error at end of input: expected WITH");
    CHECK_STR(parse("CREATE MODEL m INPUT (a) OUTPUT (s DOUBLE) WITH ('type' = 'linear')"),
              "error 1:24 syntax error at ')': expected a type");
    CHECK_STR(parse("SELECT * FROM ML_PREDICT(TABLE f, m, DESCRIPTOR(a))"),
              "error 1:35 syntax error at 'm': expected MODEL");
    CHECK_STR(parse("SELECT * FROM ML_PREDICT(TABLE f, MODEL m)"),
              "error 1:42 syntax error at ')': expected ','");
    CHECK_STR(parse("SELECT * FROM ML_PREDICT(TABLE f, MODEL m, DESCRIPTOR(a), MAP['k', 'v'])"),
              "error 1:57 syntax error at ',': ML_PREDICT's config argument is not supported "
              "(set options in CREATE MODEL)");
    CHECK_STR(parse("SELECT * FROM APPLY_RULES(TABLE s, MODEL r)"),
              "error 1:36 syntax error at 'MODEL': expected RULESET");
}

int main(void)
{
    A = vg_arena_new(VG_MEM_SQL, 0);
    RUN(test_empty_input);
    RUN(test_statement_lists);
    RUN(test_create_stream);
    RUN(test_types);
    RUN(test_create_stream_errors);
    RUN(test_create_view_insert);
    RUN(test_select_lists);
    RUN(test_select_errors);
    RUN(test_from_items);
    RUN(test_from_errors);
    RUN(test_clauses);
    RUN(test_windows);
    RUN(test_window_errors);
    RUN(test_literals);
    RUN(test_intervals);
    RUN(test_names);
    RUN(test_precedence);
    RUN(test_predicates);
    RUN(test_case_cast);
    RUN(test_calls);
    RUN(test_special_calls);
    RUN(test_not_yet);
    RUN(test_error_positions);
    RUN(test_depth_limit);
    RUN(test_alloc_failures);
    RUN(test_lone_expressions);
    RUN(test_models_and_rules);
    vg_arena_free(A);
    return CHECK_DONE();
}
