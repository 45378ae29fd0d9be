/*
 * test_parse_match.c — unit tests of MATCH_RECOGNIZE's syntax
 * (sql/parse_match.c, the row pattern mode of sql/lexer.c, the dump in
 * sql/ast_dump.c): every clause, every quantifier greedy and reluctant,
 * PERMUTE, exclusion, anchors, the empty pattern, the precedence of | over
 * concatenation, RUNNING and FINAL, spans, every error with its exact
 * message, line and column, and allocation failure at every step.
 */
#include "sql/parser.h"

#include <stdio.h>
#include <string.h>

#include "sql/lexer.h"
#include "tests/unit/check.h"

static vg_arena *A;
static vg_source src;
static vg_error perr;
static vg_ast_stmt *stmts;
static uint32_t nstmts;

/* Parse sql: the first statement's dump, or "error L:C message". */
static const char *parse(const char *sql)
{
    static char buf[8192];
    src.name = "m.sql";
    src.text = sql;
    src.len = (uint32_t)strlen(sql);
    vg_error_clear(&perr);
    if (vg_parse(&src, A, &stmts, &nstmts, &perr) < 0) {
        snprintf(buf, sizeof buf, "error %u:%u %s", perr.line, perr.col, perr.msg);
        return buf;
    }
    snprintf(buf, sizeof buf, "%s", vg_ast_to_sexpr(stmts[0].node, A));
    return buf;
}

/* The MATCH_RECOGNIZE node of "SELECT * FROM t MATCH_RECOGNIZE (<body>)", or NULL. */
static const vg_ast *match_node(const char *body)
{
    static char sql[4096];
    snprintf(sql, sizeof sql, "SELECT * FROM t MATCH_RECOGNIZE (%s)", body);
    const char *r = parse(sql);
    if (strncmp(r, "error", 5) == 0)
        return NULL;
    return stmts[0].node->u.query.query->u.select.from;
}

/* The dump of "SELECT * FROM t MATCH_RECOGNIZE (<body>)"'s FROM item, or the error. */
static const char *mr(const char *body)
{
    const vg_ast *m = match_node(body);
    if (m)
        return vg_ast_to_sexpr(m, A);
    static char sql[4096];
    snprintf(sql, sizeof sql, "SELECT * FROM t MATCH_RECOGNIZE (%s)", body);
    return parse(sql);
}

/* The dump of PATTERN (<p>) alone: "(pattern ...)" cut out of the match dump. */
static const char *pat(const char *p)
{
    static char body[1024], out[2048];
    snprintf(body, sizeof body, "PATTERN (%s)", p);
    const char *r = mr(body);
    const char *at = strstr(r, "(pattern ");
    if (!at)
        return r;
    snprintf(out, sizeof out, "%s", at + 9);
    out[strlen(out) - 2] = 0; /* the pattern's ')' and the match's ')' */
    return out;
}

/* The source text of span sp of the last parse. */
static const char *text(vg_span sp)
{
    static char buf[512];
    snprintf(buf, sizeof buf, "%.*s", (int)sp.len, src.text + sp.off);
    return buf;
}

/* ---- clauses ---- */

static void test_design_example(void)
{
    CHECK_STR(
        parse("SELECT * FROM payments MATCH_RECOGNIZE (\n"
              "  PARTITION BY card_id ORDER BY ts\n"
              "  MEASURES FIRST(F.ts) AS first_fail, S.ts AS success_ts, COUNT(F.*) AS fails\n"
              "  ONE ROW PER MATCH\n"
              "  AFTER MATCH SKIP PAST LAST ROW\n"
              "  PATTERN (F{3,} S) WITHIN INTERVAL '10' MINUTE\n"
              "  DEFINE F AS status = 'failed', S AS status = 'captured'\n"
              ");"),
        "(query (select (items *) (from (match (table payments) (partition (col card_id)) "
        "(order (col ts)) (measures (as (call FIRST (col F.ts)) first_fail) (as (col S.ts) "
        "success_ts) (as (call COUNT F.*) fails)) (rows one) (skip past-last-row) (pattern "
        "(seq (greedy 3 inf F) S)) (within (interval 600000)) (define (F (= (col status) "
        "(str 'failed'))) (S (= (col status) (str 'captured'))))))))");
}

static void test_clauses(void)
{
    /* the least: PATTERN alone */
    CHECK_STR(mr("PATTERN (A)"), "(match (table t) (pattern A))");
    CHECK_STR(mr("PARTITION BY a, b ORDER BY ts DESC PATTERN (A)"),
              "(match (table t) (partition (col a) (col b)) (order (desc (col ts))) (pattern A))");
    CHECK_STR(mr("MEASURES a AS x, b + 1 AS \"y z\" PATTERN (A)"),
              "(match (table t) (measures (as (col a) x) (as (+ (col b) (int 1)) \"y z\")) "
              "(pattern A))");
    CHECK_STR(mr("ONE ROW PER MATCH PATTERN (A)"), "(match (table t) (rows one) (pattern A))");
    CHECK_STR(mr("ALL ROWS PER MATCH PATTERN (A)"), "(match (table t) (rows all) (pattern A))");
    CHECK_STR(mr("all rows per match show empty matches PATTERN (A)"),
              "(match (table t) (rows all) (pattern A))");
    CHECK_STR(mr("ALL ROWS PER MATCH OMIT EMPTY MATCHES PATTERN (A)"),
              "(match (table t) (rows all-omit-empty) (pattern A))");
    CHECK_STR(mr("ALL ROWS PER MATCH WITH UNMATCHED ROWS PATTERN (A)"),
              "(match (table t) (rows all-with-unmatched) (pattern A))");
    CHECK_STR(mr("PATTERN (A) WITHIN INTERVAL '5' SECOND EMIT TIMEOUTS"),
              "(match (table t) (pattern A) (within (interval 5000) emit-timeouts))");
    CHECK_STR(mr("PATTERN (A B C) SUBSET U = (A, B), V = (C) DEFINE A AS TRUE"),
              "(match (table t) (pattern (seq A B C)) (subsets (U A B) (V C)) (define (A true)))");
    /* DEFINE is optional; the alias follows the closing parenthesis */
    CHECK_STR(parse("SELECT * FROM t MATCH_RECOGNIZE (PATTERN (A)) AS m WHERE x"),
              "(query (select (items *) (from (match (table t) (pattern A) (alias m))) (where "
              "(col x))))");
    CHECK_STR(parse("SELECT * FROM t MATCH_RECOGNIZE (PATTERN (A)) m"),
              "(query (select (items *) (from (match (table t) (pattern A) (alias m)))))");
    /* the input: a stream with its own alias, or a subquery */
    CHECK_STR(parse("SELECT * FROM t AS u MATCH_RECOGNIZE (PATTERN (A))"),
              "(query (select (items *) (from (match (table t (alias u)) (pattern A)))))");
    CHECK_STR(parse("SELECT * FROM (SELECT a FROM t) s MATCH_RECOGNIZE (PATTERN (A))"),
              "(query (select (items *) (from (match (subquery (select (items (col a)) (from "
              "(table t))) (alias s)) (pattern A)))))");
    /* and in a view, in a subquery */
    CHECK_STR(parse("CREATE VIEW v AS SELECT * FROM (SELECT * FROM t MATCH_RECOGNIZE (PATTERN "
                    "(A)))"),
              "(create-view v (select (items *) (from (subquery (select (items *) (from (match "
              "(table t) (pattern A))))))))");
}

static void test_skip(void)
{
    CHECK_STR(mr("AFTER MATCH SKIP PAST LAST ROW PATTERN (A)"),
              "(match (table t) (skip past-last-row) (pattern A))");
    CHECK_STR(mr("AFTER MATCH SKIP TO NEXT ROW PATTERN (A)"),
              "(match (table t) (skip to-next-row) (pattern A))");
    CHECK_STR(mr("AFTER MATCH SKIP TO FIRST A PATTERN (A)"),
              "(match (table t) (skip (to-first A)) (pattern A))");
    CHECK_STR(mr("after match skip to last A PATTERN (A)"),
              "(match (table t) (skip (to-last A)) (pattern A))");
    CHECK_STR(mr("AFTER MATCH SKIP TO A PATTERN (A)"),
              "(match (table t) (skip (to-last A)) (pattern A))");
    /* variables called first, last or next */
    CHECK_STR(mr("AFTER MATCH SKIP TO LAST PATTERN (LAST)"),
              "(match (table t) (skip (to-last LAST)) (pattern LAST))");
    CHECK_STR(mr("AFTER MATCH SKIP TO FIRST FIRST PATTERN (FIRST)"),
              "(match (table t) (skip (to-first FIRST)) (pattern FIRST))");
    CHECK_STR(mr("AFTER MATCH SKIP TO NEXT PATTERN (NEXT)"),
              "(match (table t) (skip (to-last NEXT)) (pattern NEXT))");
    CHECK_STR(mr("AFTER MATCH SKIP TO \"FIRST\" PATTERN (\"FIRST\")"),
              "(match (table t) (skip (to-last \"FIRST\")) (pattern \"FIRST\"))");
}

/* ---- patterns ---- */

static void test_quantifiers(void)
{
    CHECK_STR(pat("A*"), "(greedy 0 inf A)");
    CHECK_STR(pat("A+"), "(greedy 1 inf A)");
    CHECK_STR(pat("A?"), "(greedy 0 1 A)");
    CHECK_STR(pat("A{3}"), "(greedy 3 3 A)");
    CHECK_STR(pat("A{3,}"), "(greedy 3 inf A)");
    CHECK_STR(pat("A{,4}"), "(greedy 0 4 A)");
    CHECK_STR(pat("A{2,4}"), "(greedy 2 4 A)");
    CHECK_STR(pat("A{0}"), "(greedy 0 0 A)");
    CHECK_STR(pat("A{,}"), "(greedy 0 inf A)"); /* the standard's {,}: A* */
    CHECK_STR(pat("A{,}?"), "(reluctant 0 inf A)");
    CHECK_STR(pat("A{ 2 , 4 }"), "(greedy 2 4 A)");
    CHECK_STR(pat("A{10000}"), "(greedy 10000 10000 A)");
    CHECK_STR(pat("A*?"), "(reluctant 0 inf A)");
    CHECK_STR(pat("A+?"), "(reluctant 1 inf A)");
    CHECK_STR(pat("A??"), "(reluctant 0 1 A)");
    CHECK_STR(pat("A{3}?"), "(reluctant 3 3 A)");
    CHECK_STR(pat("A{3,}?"), "(reluctant 3 inf A)");
    CHECK_STR(pat("A{,4}?"), "(reluctant 0 4 A)");
    CHECK_STR(pat("A{2,4}?"), "(reluctant 2 4 A)");
    /* tokens may be apart */
    CHECK_STR(pat("A * ?"), "(reluctant 0 inf A)");
    CHECK_STR(pat("A*?B+?"), "(seq (reluctant 0 inf A) (reluctant 1 inf B))");
    /* groups, PERMUTE, exclusions and anchors take quantifiers too */
    CHECK_STR(pat("(A B)*"), "(greedy 0 inf (seq A B))");
    CHECK_STR(pat("(A|B){2}?"), "(reluctant 2 2 (alt A B))");
    CHECK_STR(pat("PERMUTE(A, B)+"), "(greedy 1 inf (permute A B))");
    CHECK_STR(pat("{- A -}?"), "(greedy 0 1 (exclude A))");
    CHECK_STR(pat("((A+)+)+"), "(greedy 1 inf (greedy 1 inf (greedy 1 inf A)))");
    CHECK_STR(pat("()*"), "(greedy 0 inf ())");
}

static void test_pattern_forms(void)
{
    CHECK_STR(pat("A"), "A");
    CHECK_STR(pat("A B C"), "(seq A B C)");
    CHECK_STR(pat("A | B | C"), "(alt A B C)");
    /* | binds loosest */
    CHECK_STR(pat("A B | C D"), "(alt (seq A B) (seq C D))");
    CHECK_STR(pat("A | B C"), "(alt A (seq B C))");
    CHECK_STR(pat("(A | B) C"), "(seq (alt A B) C)");
    CHECK_STR(pat("A (B | C)* D"), "(seq A (greedy 0 inf (alt B C)) D)");
    /* parentheses only group */
    CHECK_STR(pat("((A))"), "A");
    CHECK_STR(pat("(A B) C"), "(seq (seq A B) C)");
    /* the empty pattern */
    CHECK_STR(pat("()"), "()");
    CHECK_STR(pat("A () B"), "(seq A () B)");
    CHECK_STR(pat("A | ()"), "(alt A ())");
    /* PERMUTE: patterns, alternations among them */
    CHECK_STR(pat("PERMUTE(A)"), "(permute A)");
    CHECK_STR(pat("PERMUTE(A, B C, D | E)"), "(permute A (seq B C) (alt D E))");
    CHECK_STR(pat("permute (A, PERMUTE(B, C))"), "(permute A (permute B C))");
    /* PERMUTE without '(' is a variable */
    CHECK_STR(pat("PERMUTE A"), "(seq PERMUTE A)");
    /* exclusion */
    CHECK_STR(pat("A {- B C -} D"), "(seq A (exclude (seq B C)) D)");
    CHECK_STR(pat("{-A|B-}"), "(exclude (alt A B))");
    CHECK_STR(pat("{- {- A -} -}"), "(exclude (exclude A))");
    CHECK_STR(pat("{-()-}"), "(exclude ())");
    /* anchors: '$' ends a bare name in a pattern */
    CHECK_STR(pat("^ A B $"), "(seq ^ A B $)");
    CHECK_STR(pat("^A$"), "(seq ^ A $)");
    CHECK_STR(pat("A$|B"), "(alt (seq A $) B)");
    CHECK_STR(pat("A$B"), "(seq A $ B)");
    CHECK_STR(pat("\"A$\""), "\"A$\"");
    /* names: case kept, quoted ones, non-reserved keywords */
    CHECK_STR(pat("up Down \"x y\" ROW"), "(seq up Down \"x y\" ROW)");
    /* comments inside */
    CHECK_STR(pat("A -- one\n B /* two */ C"), "(seq A B C)");
    /* "{--}" is two tokens there, not a comment */
    CHECK_STR(pat("A {-- B --} C"), "error 1:47 syntax error at '-': expected a pattern "
                                    "variable, '(', '{-', '^' or '$'");
}

/* The lexer's row pattern mode, alone. */
static void test_lexer_mode(void)
{
    const char *s = "A{-|?^$}-}$a a$ --x";
    vg_source ls = {"l", s, (uint32_t)strlen(s)};
    vg_lexer lx;
    vg_token t;
    vg_error e;
    vg_error_clear(&e);
    vg_lexer_init(&lx, &ls);
    CHECK(!lx.pattern);
    lx.pattern = true;
    char kinds[512] = "";
    do {
        CHECK_INT(vg_lexer_next(&lx, &t, &e), 0);
        strcat(kinds, vg_token_kind_name(t.kind));
        strcat(kinds, " ");
    } while (t.kind != VG_TOK_EOF);
    CHECK_STR(kinds, "identifier '{-' '|' '?' '^' '$' '}' '-}' '$' identifier identifier '$' end "
                     "of input ");
    /* outside the mode, '$' continues a name and the pattern signs are errors */
    vg_lexer_init(&lx, &ls);
    CHECK_INT(vg_lexer_next(&lx, &t, &e), 0);
    CHECK_INT(vg_lexer_next(&lx, &t, &e), -1);
    CHECK_STR(e.msg, "unexpected character '{'");
    const char *s2 = "a$ b";
    vg_source ls2 = {"l", s2, (uint32_t)strlen(s2)};
    vg_lexer_init(&lx, &ls2);
    CHECK_INT(vg_lexer_next(&lx, &t, &e), 0);
    CHECK_INT(t.span.len, 2);
}

/* ---- expressions ---- */

static void test_running_final(void)
{
    CHECK_STR(mr("MEASURES FINAL LAST(A.x) AS a, RUNNING COUNT(*) AS b, "
                 "PREV(FINAL FIRST(A.x, 2), 3) AS c PATTERN (A)"),
              "(match (table t) (measures (as (call FINAL (call LAST (col A.x))) a) (as (call "
              "RUNNING (call COUNT *)) b) (as (call PREV (call FINAL (call FIRST (col A.x) (int "
              "2))) (int 3)) c)) (pattern A))");
    CHECK_STR(mr("MEASURES final avg(A.x) + 1 AS a PATTERN (A)"),
              "(match (table t) (measures (as (+ (call final (call avg (col A.x))) (int 1)) a)) "
              "(pattern A))");
    /* as names they stay names */
    CHECK_STR(parse("SELECT running, final + 1, first, last, pattern FROM t"),
              "(query (select (items (col running) (+ (col final) (int 1)) (col first) (col last) "
              "(col pattern)) (from (table t))))");
    CHECK_STR(parse("SELECT running(x), final.a FROM t"),
              "(query (select (items (call running (col x)) (col final.a)) (from (table t))))");
    /* the other pattern functions are ordinary calls */
    CHECK_STR(mr("MEASURES CLASSIFIER() AS c, MATCH_NUMBER() AS n, COUNT(B.*) AS k PATTERN (A)"),
              "(match (table t) (measures (as (call CLASSIFIER) c) (as (call MATCH_NUMBER) n) "
              "(as (call COUNT B.*) k)) (pattern A))");
}

/* ---- spans ---- */

static void test_spans(void)
{
    const vg_ast *m = match_node("PARTITION BY a ORDER BY ts MEASURES x AS y ALL ROWS PER MATCH "
                                 "AFTER MATCH SKIP TO NEXT ROW PATTERN ( A+? (B | C) ) "
                                 "WITHIN INTERVAL '1' SECOND SUBSET U = (A) DEFINE A AS x > 0");
    CHECK(m != NULL);
    if (!m)
        return;
    CHECK_STR(text(m->span), "t MATCH_RECOGNIZE (PARTITION BY a ORDER BY ts MEASURES x AS y ALL "
                             "ROWS PER MATCH AFTER MATCH SKIP TO NEXT ROW PATTERN ( A+? (B | C) ) "
                             "WITHIN INTERVAL '1' SECOND SUBSET U = (A) DEFINE A AS x > 0)");
    CHECK_STR(text(m->u.match.keyword_span), "MATCH_RECOGNIZE");
    CHECK_STR(text(m->u.match.partition_span), "PARTITION BY a");
    CHECK_STR(text(m->u.match.order_span), "ORDER BY ts");
    CHECK_STR(text(m->u.match.measures_span), "MEASURES x AS y");
    CHECK_STR(text(m->u.match.rows_span), "ALL ROWS PER MATCH");
    CHECK_STR(text(m->u.match.skip_span), "AFTER MATCH SKIP TO NEXT ROW");
    CHECK_STR(text(m->u.match.pattern_span), "PATTERN ( A+? (B | C) )");
    CHECK_STR(text(m->u.match.within_span), "WITHIN INTERVAL '1' SECOND");
    CHECK_STR(text(m->u.match.define_span), "DEFINE A AS x > 0");
    CHECK_STR(text(m->u.match.subsets[0].span), "U = (A)");
    CHECK_STR(text(m->u.match.subsets[0].vars[0].span), "A");
    CHECK_STR(text(m->u.match.measures[0].alias.span), "y");
    CHECK_STR(text(m->u.match.defines[0].var.span), "A");
    const vg_ast_pattern *p = m->u.match.pattern;
    CHECK_STR(text(p->span), "( A+? (B | C) )");
    CHECK_INT(p->kind, VG_PAT_SEQ);
    CHECK_INT(p->nkids, 2);
    CHECK_STR(text(p->kids[0]->span), "A+?");
    CHECK_STR(text(p->kids[0]->kids[0]->span), "A");
    CHECK_STR(text(p->kids[1]->span), "(B | C)");
    CHECK_STR(text(p->kids[1]->kids[1]->span), "C");
    m = match_node("PATTERN (PERMUTE(A, B){2} {- C -} ^ () $)");
    CHECK(m != NULL);
    if (!m)
        return;
    p = m->u.match.pattern;
    CHECK_STR(text(p->kids[0]->span), "PERMUTE(A, B){2}");
    CHECK_STR(text(p->kids[0]->kids[0]->span), "PERMUTE(A, B)");
    CHECK_STR(text(p->kids[1]->span), "{- C -}");
    CHECK_STR(text(p->kids[2]->span), "^");
    CHECK_STR(text(p->kids[3]->span), "()");
    CHECK_STR(text(p->kids[4]->span), "$");
    /* absent clauses have empty spans */
    m = match_node("PATTERN (A)");
    CHECK(m && m->u.match.rows_span.len == 0 && m->u.match.skip_span.len == 0 &&
          m->u.match.within_span.len == 0 && m->u.match.define_span.len == 0 &&
          m->u.match.partition_span.len == 0 && m->u.match.measures_span.len == 0);
    CHECK(m && m->u.match.rows == VG_MR_ONE_ROW && m->u.match.skip == VG_MR_SKIP_PAST_LAST);
}

/* ---- errors ---- */

static void test_clause_errors(void)
{
    CHECK_STR(mr(""), "error 1:34 syntax error at ')': expected PARTITION BY, ORDER BY, MEASURES, "
                      "ONE ROW PER MATCH, ALL ROWS PER MATCH, AFTER MATCH SKIP or PATTERN");
    CHECK_STR(mr("ORDER BY ts DEFINE A AS TRUE"),
              "error 1:46 syntax error at 'DEFINE': expected MEASURES, ONE ROW PER MATCH, ALL ROWS "
              "PER MATCH, AFTER MATCH SKIP or PATTERN");
    CHECK_STR(mr("PATTERN (A) ORDER BY ts"),
              "error 1:46 syntax error at 'ORDER': expected WITHIN, SUBSET, DEFINE or ')'");
    CHECK_STR(mr("ONE ROW PER MATCH ALL ROWS PER MATCH PATTERN (A)"),
              "error 1:52 syntax error at 'ALL': expected AFTER MATCH SKIP or PATTERN");
    CHECK_STR(mr("PATTERN (A) DEFINE A AS TRUE SUBSET U = (A)"),
              "error 1:63 syntax error at 'SUBSET': expected ')'");
    CHECK_STR(mr("PARTITION a PATTERN (A)"), "error 1:44 syntax error at 'a': expected BY");
    CHECK_STR(mr("MEASURES a x PATTERN (A)"), "error 1:45 syntax error at 'x': expected AS");
    /* PATTERN is a name: here, the measure's */
    CHECK_STR(mr("MEASURES a AS PATTERN (A)"),
              "error 1:56 syntax error at '(': expected ONE ROW PER MATCH, ALL ROWS PER MATCH, "
              "AFTER MATCH SKIP or PATTERN");
    CHECK_STR(mr("ONE ROWS PER MATCH PATTERN (A)"),
              "error 1:38 syntax error at 'ROWS': expected ROW");
    CHECK_STR(mr("ALL ROWS PER MATCHES PATTERN (A)"),
              "error 1:47 syntax error at 'MATCHES': expected MATCH");
    CHECK_STR(mr("ALL ROWS PER MATCH SHOW MATCHES PATTERN (A)"),
              "error 1:58 syntax error at 'MATCHES': expected EMPTY");
    CHECK_STR(mr("ALL ROWS PER MATCH WITH ROWS PATTERN (A)"),
              "error 1:58 syntax error at 'ROWS': expected UNMATCHED");
    CHECK_STR(mr("AFTER SKIP PAST LAST ROW PATTERN (A)"),
              "error 1:40 syntax error at 'SKIP': expected MATCH");
    CHECK_STR(mr("AFTER MATCH SKIP PATTERN (A)"),
              "error 1:51 syntax error at 'PATTERN': expected PAST LAST ROW or TO");
    CHECK_STR(mr("AFTER MATCH SKIP PAST ROW PATTERN (A)"),
              "error 1:56 syntax error at 'ROW': expected LAST");
    CHECK_STR(mr("AFTER MATCH SKIP TO PATTERN (A)"),
              "error 1:62 syntax error at '(': expected PATTERN");
    CHECK_STR(mr("PATTERN A"), "error 1:42 syntax error at 'A': expected '('");
    CHECK_STR(mr("PATTERN (A) WITHIN 5"), "error 1:53 syntax error at '5': expected INTERVAL");
    CHECK_STR(mr("PATTERN (A) WITHIN INTERVAL '1' SECOND EMIT"),
              "error 1:77 syntax error at ')': expected TIMEOUTS");
    CHECK_STR(mr("PATTERN (A) SUBSET U (A)"), "error 1:55 syntax error at '(': expected '='");
    CHECK_STR(mr("PATTERN (A) SUBSET U = A"), "error 1:57 syntax error at 'A': expected '('");
    CHECK_STR(mr("PATTERN (A) SUBSET U = (A B)"),
              "error 1:60 expected ')' to close '(' at line 1, column 57");
    CHECK_STR(mr("PATTERN (A) SUBSET U = ()"),
              "error 1:58 syntax error at ')': expected a pattern variable");
    CHECK_STR(mr("PATTERN (A) DEFINE A x > 0"), "error 1:55 syntax error at 'x': expected AS");
    CHECK_STR(mr("PATTERN (A) DEFINE A AS"),
              "error 1:57 syntax error at ')': expected an expression");
    CHECK_STR(mr("PATTERN (A) DEFINE"), "error 1:52 syntax error at ')': expected a pattern "
                                        "variable");
    CHECK_STR(mr("PATTERN (A) DEFINE SELECT AS TRUE"),
              "error 1:53 syntax error at 'SELECT': expected a pattern variable (SELECT is a "
              "reserved word)");
    CHECK_STR(parse("SELECT * FROM t MATCH_RECOGNIZE PATTERN (A)"),
              "error 1:33 syntax error at 'PATTERN': expected '('");
    CHECK_STR(parse("SELECT * FROM t MATCH_RECOGNIZE (PATTERN (A)"),
              "error 1:45 expected ')' to close '(' at line 1, column 33");
    CHECK_STR(parse("SELECT * FROM t MATCH_RECOGNIZE (PATTERN (A)) m n"),
              "error 1:47 syntax error at 'm': expected WHERE, GROUP BY or end of query");
    /* the input */
    CHECK_STR(parse("SELECT * FROM TABLE(TUMBLE(TABLE t, DESCRIPTOR(ts), INTERVAL '1' MINUTE)) "
                    "MATCH_RECOGNIZE (PATTERN (A))"),
              "error 1:75 MATCH_RECOGNIZE reads a stream, a view or a subquery: put the table "
              "function in a subquery");
    CHECK_STR(parse("SELECT * FROM t MATCH_RECOGNIZE (PATTERN (A)) MATCH_RECOGNIZE (PATTERN (A))"),
              "error 1:47 MATCH_RECOGNIZE cannot read a MATCH_RECOGNIZE directly: put the first "
              "one in a subquery");
    CHECK_STR(parse("SELECT * FROM t MATCH_RECOGNIZE (PATTERN (A)) JOIN u"),
              "error 1:47 JOIN is not supported yet");
    /* pattern signs are tokens only in PATTERN */
    CHECK_STR(mr("PATTERN (A) DEFINE A AS x | y"), "error 1:60 unexpected character '|'");
    CHECK_STR(mr("MEASURES a$ AS x PATTERN (A)"), "(match (table t) (measures (as (col a$) x)) "
                                                  "(pattern A))");
}

static void test_pattern_errors(void)
{
    const char *term = "expected a pattern variable, '(', '{-', '^' or '$'";
    char want[256];
    /* an empty alternative is the empty pattern (as ZetaSQL reads it) */
    CHECK_STR(pat("A |"), "(alt A ())");
    CHECK_STR(pat("| A"), "(alt () A)");
    CHECK_STR(pat("(A |) B"), "(seq (alt A ()) B)");
    snprintf(want, sizeof want, "error 1:47 syntax error at '*': %s", term);
    CHECK_STR(pat("A | *"), want);
    snprintf(want, sizeof want, "error 1:46 syntax error at '*': %s", term);
    CHECK_STR(pat("A (*)"), want);
    snprintf(want, sizeof want, "error 1:43 syntax error at '*': %s", term);
    CHECK_STR(pat("*"), want);
    /* "||" is two bars there: an empty alternative between them */
    CHECK_STR(pat("A || B"), "(alt A () B)");
    snprintf(want, sizeof want, "error 1:47 syntax error at '-}': %s", term);
    CHECK_STR(pat("A {--}"), want);
    snprintf(want, sizeof want, "error 1:46 syntax error at '1': %s", term);
    CHECK_STR(pat("A{-1}"), want);
    snprintf(want, sizeof want, "error 1:51 syntax error at ')': %s", term);
    CHECK_STR(pat("PERMUTE()"), want);
    CHECK_STR(pat("A{3,2}"), "error 1:44 invalid quantifier: its lower bound 3 is above its upper "
                             "bound 2");
    CHECK_STR(pat("A{1,10001}"), "error 1:47 a quantifier bound must be at most 10000");
    CHECK_STR(pat("A{99999999999999999999}"), "error 1:45 integer literal out of range");
    CHECK_STR(pat("A{}"), "error 1:45 syntax error at '}': expected an integer");
    CHECK_STR(pat("A{,,}"), "error 1:46 syntax error at ',': expected an integer");
    CHECK_STR(pat("A{2 B"), "error 1:47 syntax error at 'B': expected ',' or '}'");
    CHECK_STR(pat("A{2,3 B"), "error 1:49 syntax error at 'B': expected '}'");
    CHECK_STR(pat("A{1.5}"), "error 1:45 syntax error at '1.5': expected an integer");
    CHECK_STR(pat("A+*"), "error 1:45 syntax error at '*': a quantified term cannot be "
                          "quantified again (put it in parentheses)");
    CHECK_STR(pat("A{2}{3}"), "error 1:47 syntax error at '{': a quantified term cannot be "
                              "quantified again (put it in parentheses)");
    CHECK_STR(pat("A??*"), "error 1:46 syntax error at '*': a quantified term cannot be "
                           "quantified again (put it in parentheses)");
    /* DEFINE is a name: there, a pattern variable */
    CHECK_STR(mr("PATTERN ((A B) DEFINE A AS TRUE"),
              "error 1:58 expected ')' to close '(' at line 1, column 42");
    CHECK_STR(mr("PATTERN (PERMUTE(A, B DEFINE A AS TRUE"),
              "error 1:65 expected ')' to close '(' at line 1, column 50");
    CHECK_STR(pat("{- A"), "error 1:47 syntax error at ')': expected '-}'");
    CHECK_STR(pat("A # B"), "error 1:45 unexpected character '#'");
    CHECK_STR(pat("A, B"), "error 1:44 expected ')' to close '(' at line 1, column 42");
    CHECK_STR(pat("A SELECT"), "error 1:45 expected ')' to close '(' at line 1, column 42");
    CHECK_STR(mr("PATTERN (A)*"),
              "error 1:45 syntax error at '*': expected WITHIN, SUBSET, DEFINE or ')'");
    /* a pattern on several lines */
    CHECK_STR(parse("SELECT * FROM t MATCH_RECOGNIZE (\n  PATTERN (A\n    B{5,1})\n)"),
              "error 3:6 invalid quantifier: its lower bound 5 is above its upper bound 1");
    /* nesting is bounded */
    char deep[4200] = "PATTERN (";
    for (int i = 0; i < 1001; i++)
        strcat(deep, "(");
    strcat(deep, "A");
    for (int i = 0; i < 1001; i++)
        strcat(deep, ")");
    strcat(deep, ")");
    CHECK_STR(mr(deep), "error 1:1041 expression nested too deeply (limit 1000)");
}

/* Every allocation of a parse fails in turn: out of memory, nothing leaked. */
static void test_out_of_memory(void)
{
    const char *sql = "SELECT * FROM t MATCH_RECOGNIZE (PARTITION BY k ORDER BY ts MEASURES "
                      "FINAL LAST(A.x) AS a, COUNT(B.*) AS b ALL ROWS PER MATCH AFTER MATCH SKIP "
                      "TO FIRST A PATTERN (^ (A | B)+? PERMUTE(C, D) {- E -} F{2,3} () $) WITHIN "
                      "INTERVAL '1' MINUTE EMIT TIMEOUTS SUBSET U = (A, B), V = (C) DEFINE A AS x "
                      "> PREV(x), B AS TRUE) AS m";
    vg_source s = {"a.sql", sql, (uint32_t)strlen(sql)};
    vg_arena *ref = vg_arena_new(VG_MEM_SQL, 0);
    vg_ast_stmt *st;
    uint32_t n;
    vg_error e;
    vg_error_clear(&e);
    CHECK_INT(vg_parse(&s, ref, &st, &n, &e), 0);
    char want[4096];
    snprintf(want, sizeof want, "%s", vg_ast_to_sexpr(st[0].node, ref));
    vg_arena_free(ref);
    int failures = 0, bad = 0, ok = 0;
    size_t before = vg_mem_in_use(VG_MEM_SQL);
    for (uint64_t k = 1; k < 3000 && !ok; k++) {
        vg_arena *a = vg_arena_new(VG_MEM_SQL, 1);
        if (!a)
            continue;
        vg_error_clear(&e);
        vg_alloc_fail_at(k, 0);
        int rc = vg_parse(&s, a, &st, &n, &e);
        char *d = rc == 0 ? vg_ast_to_sexpr(st[0].node, a) : NULL;
        int injected = vg_alloc_failed();
        vg_alloc_fail_at(0, 0);
        if (rc < 0) {
            failures++;
            bad += e.code != VG_ERR_NOMEM || strcmp(e.msg, "out of memory") != 0 || st || n;
        } else if (!injected) {
            ok = d && strcmp(d, want) == 0;
            bad += !ok;
        } else {
            bad += d && strcmp(d, want) != 0;
        }
        vg_arena_free(a);
    }
    CHECK(failures > 50);
    CHECK_INT(bad, 0);
    CHECK_INT(ok, 1);
    CHECK_INT(vg_mem_in_use(VG_MEM_SQL), before);
}

int main(void)
{
    A = vg_arena_new(VG_MEM_SQL, 4096);
    RUN(test_design_example);
    RUN(test_clauses);
    RUN(test_skip);
    RUN(test_quantifiers);
    RUN(test_pattern_forms);
    RUN(test_lexer_mode);
    RUN(test_running_final);
    RUN(test_spans);
    RUN(test_clause_errors);
    RUN(test_pattern_errors);
    RUN(test_out_of_memory);
    vg_arena_free(A);
    return CHECK_DONE();
}
