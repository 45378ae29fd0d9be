/*
 * main.c — the `vigil` command line: a table of commands, each with its
 * usage and help text, and the code that turns arguments into calls.
 *
 * This is the top of the program: the one place (with the test runner)
 * that prints errors. Exit status: 0 success, 1 run-time failure, 2 usage
 * or SQL/config errors (DESIGN.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/pipeline.h"
#include "engine/registry.h"
#include "engine/replay.h"
#include "engine/rules_cmd.h"
#include "engine/testcase.h"
#include "udf/func.h"

typedef struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *usage; /* one line: arguments */
    const char *help;  /* what it does, and its options */
} command;

static const command *find_command(const char *name);

static int usage_error(const char *cmd, const char *fmt, const char *arg)
{
    fprintf(stderr, "vigil %s: ", cmd);
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\nusage: vigil %s %s\n(see 'vigil %s --help')\n", cmd,
            find_command(cmd)->usage, cmd);
    return 2;
}

static int print_error(const vg_error *err)
{
    vg_error_print(err, stderr);
    return vg_error_exit_code(err);
}

static bool wants_help(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return true;
    return false;
}

static void print_help(const command *c)
{
    printf("usage: vigil %s %s\n\n%s", c->name, c->usage, c->help);
}

/* Split "NAME=VALUE" in place; NULL when there is no '='. */
static char *split_binding(char *arg)
{
    char *eq = strchr(arg, '=');
    if (!eq || eq == arg || !eq[1])
        return NULL;
    *eq = 0;
    return eq + 1;
}

/* ---- replay ---- */

#define MAX_BINDINGS 64

static int cmd_replay(int argc, char **argv)
{
    vg_replay_input inputs[MAX_BINDINGS];
    vg_replay_output outputs[MAX_BINDINGS];
    uint32_t nin = 0, nout = 0;
    const char *path = NULL;
    bool quiet = false, progress = isatty(2);
    uint32_t batch_size = 0;
    uint64_t restart_at = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--input") == 0 || strcmp(a, "--output") == 0) {
            if (i + 1 >= argc)
                return usage_error("replay", "%s needs NAME=FILE", a);
            char *name = argv[++i];
            char *file = split_binding(name);
            if (!file)
                return usage_error("replay", "expected NAME=FILE, got '%s'", name);
            if ((a[2] == 'i' ? nin : nout) >= MAX_BINDINGS)
                return usage_error("replay", "too many %s bindings", a);
            if (a[2] == 'i')
                inputs[nin++] = (vg_replay_input){.stream = name, .path = file};
            else
                outputs[nout++] = (vg_replay_output){.sink = name, .path = file};
        } else if (strcmp(a, "--batch-size") == 0 || strcmp(a, "--restart-at") == 0) {
            char *end = NULL;
            unsigned long long n = i + 1 < argc ? strtoull(argv[i + 1], &end, 10) : 0;
            if (!end || *end || n == 0 || (a[2] == 'b' && n > 1000000))
                return usage_error("replay", "%s needs a positive number", a);
            i++;
            if (a[2] == 'b')
                batch_size = (uint32_t)n;
            else
                restart_at = n;
        } else if (strcmp(a, "--quiet") == 0 || strcmp(a, "-q") == 0) {
            quiet = true;
        } else if (strcmp(a, "--no-progress") == 0) {
            progress = false;
        } else if (a[0] == '-' && a[1]) {
            return usage_error("replay", "unknown option '%s'", a);
        } else if (path) {
            return usage_error("replay", "unexpected argument '%s'", a);
        } else {
            path = a;
        }
    }
    if (!path)
        return usage_error("replay", "%s", "missing PIPELINE");

    vg_error err;
    vg_error_clear(&err);
    vg_pipeline *p = vg_pipeline_load(path, &err);
    if (!p)
        return print_error(&err);
    vg_replay_opts opts = {
        .progress = progress ? stderr : NULL,
        .max_event_bytes = vg_pipeline_max_event_bytes(p),
        .batch_size = batch_size,
        .restart_at = restart_at,
    };
    vg_replay_stats stats;
    int rc = vg_pipeline_bind(p, inputs, nin, outputs, nout, &opts, &err);
    if (rc == 0)
        rc = vg_replay_run(vg_pipeline_plan(p), &opts, &stats, &err);
    else
        memset(&stats, 0, sizeof stats);
    if (rc < 0) {
        vg_replay_stats_free(&stats);
        vg_pipeline_free(p);
        return print_error(&err);
    }
    if (!quiet)
        vg_replay_stats_print(&stats, stderr);
    vg_replay_stats_free(&stats);
    vg_pipeline_free(p);
    return 0;
}

/* ---- check, explain ---- */

static int cmd_check(int argc, char **argv)
{
    if (argc != 2 || argv[1][0] == '-')
        return usage_error("check", "%s", argc < 2 ? "missing PIPELINE" : "unexpected argument");
    vg_error err;
    vg_error_clear(&err);
    vg_pipeline *p = vg_pipeline_load(argv[1], &err);
    if (!p)
        return print_error(&err);
    const vg_plan *plan = vg_pipeline_plan(p);
    /* model files and rules files load as they would for a run */
    vg_registry *reg = vg_registry_new(plan);
    if (!reg || vg_registry_load(reg, NULL, &err) < 0) {
        if (!reg)
            vg_error_set(&err, VG_ERR_NOMEM, "out of memory");
        vg_registry_free(reg);
        vg_pipeline_free(p);
        return print_error(&err);
    }
    vg_registry_free(reg);
    printf("%s: ok: %u streams, %u operators, %u sinks", argv[1], plan->nsources,
           plan->nnodes - plan->nsources - plan->nsinks, plan->nsinks);
    if (plan->nmodels || plan->nrulesets)
        printf(", %u models, %u rulesets", plan->nmodels, plan->nrulesets);
    printf("\n");
    vg_pipeline_free(p);
    return 0;
}

static int cmd_explain(int argc, char **argv)
{
    const char *path = NULL;
    vg_explain_format fmt = VG_EXPLAIN_TEXT;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--format") == 0) {
            if (i + 1 >= argc)
                return usage_error("explain", "%s", "--format needs text or dot");
            const char *f = argv[++i];
            if (strcmp(f, "text") == 0)
                fmt = VG_EXPLAIN_TEXT;
            else if (strcmp(f, "dot") == 0)
                fmt = VG_EXPLAIN_DOT;
            else
                return usage_error("explain", "unknown format '%s' (text or dot)", f);
        } else if (argv[i][0] == '-') {
            return usage_error("explain", "unknown option '%s'", argv[i]);
        } else if (path) {
            return usage_error("explain", "unexpected argument '%s'", argv[i]);
        } else {
            path = argv[i];
        }
    }
    if (!path)
        return usage_error("explain", "%s", "missing PIPELINE");
    vg_error err;
    vg_error_clear(&err);
    vg_pipeline *p = vg_pipeline_load(path, &err);
    if (!p)
        return print_error(&err);
    int rc = vg_plan_explain(vg_pipeline_plan(p), fmt, stdout);
    vg_pipeline_free(p);
    return rc < 0 ? 1 : 0;
}

/* ---- test ---- */

static int cmd_test(int argc, char **argv)
{
    if (argc != 2 || argv[1][0] == '-')
        return usage_error("test", "%s", argc < 2 ? "missing PIPELINE_DIR" : "unexpected argument");
    vg_error err;
    vg_error_clear(&err);
    int failed = vg_testcase_run_all(argv[1], stdout, &err);
    if (failed < 0)
        return print_error(&err);
    return failed ? 1 : 0;
}

/* ---- rules ---- */

/* `vigil rules load PIPELINE FILE [--by NAME]`, `vigil rules list PIPELINE [RULESET]`:
 * the rulesets the pipeline declares, in the store its state.store names. */
static int cmd_rules(int argc, char **argv)
{
    const char *by = NULL, *args[3];
    int nargs = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--by") == 0) {
            if (++i == argc)
                return usage_error("rules", "%s", "--by needs a NAME");
            by = argv[i];
        } else if (argv[i][0] == '-' || nargs == 3) {
            return usage_error("rules", "unexpected argument '%s'", argv[i]);
        } else {
            args[nargs++] = argv[i];
        }
    }
    bool load = nargs >= 1 && strcmp(args[0], "load") == 0;
    bool list = nargs >= 1 && strcmp(args[0], "list") == 0;
    if (!load && !list)
        return usage_error("rules", "%s", "expected 'load' or 'list'");
    if (nargs < 2 || (load && nargs != 3))
        return usage_error("rules", "%s", nargs < 2 ? "missing PIPELINE" : "missing FILE");
    vg_error err;
    vg_error_clear(&err);
    vg_pipeline *p = vg_pipeline_load(args[1], &err);
    if (!p)
        return print_error(&err);
    const char *store = vg_pipeline_store(p);
    const vg_plan *plan = vg_pipeline_plan(p);
    int rc = 0;
    if (!store) {
        vg_error_set(&err, VG_ERR_CONFIG,
                     "pipeline '%s' has no state.store: rules are kept in the metadata store",
                     args[1]);
        rc = -1;
    } else if (list) {
        rc = vg_rules_cmd_list(store, nargs == 3 ? args[2] : NULL, stdout, &err);
    } else {
        vg_rules_target t[64];
        uint32_t n = 0;
        for (uint32_t i = 0; i < plan->nrulesets && n < 64; i++) {
            const vg_plan_ruleset *r = plan->rulesets[i];
            if (r->input)
                t[n++] = (vg_rules_target){r->name, r->default_action, r->input};
        }
        rc = vg_rules_cmd_load(store, t, n, args[2], by ? by : getenv("USER"), stdout, &err);
    }
    vg_pipeline_free(p);
    return rc < 0 ? print_error(&err) : 0;
}

/* ---- functions ---- */

static int cmd_functions(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "--markdown") == 0)
        return vg_func_write_markdown(stdout) < 0 ? 1 : 0;
    if (argc != 1)
        return usage_error("functions", "unexpected argument '%s'", argv[1]);
    for (size_t i = 0; i < vg_func_count(); i++) {
        const vg_func *f = vg_func_at(i);
        printf("%-12s %s\n", f->category, f->synopsis);
    }
    return 0;
}

static const command commands[] = {
    {"replay", cmd_replay, "PIPELINE [--input STREAM=FILE]... [--output SINK=FILE]... [--quiet]",
     "Run PIPELINE over recorded event logs (JSON lines) to their end, then advance the\n"
     "watermark to +infinity so every window fires, and exit 0.\n\n"
     "  --input STREAM=FILE   read STREAM's events from FILE ('-' = standard input);\n"
     "                        overrides pipeline.yaml's sources\n"
     "  --output SINK=FILE    write SINK's rows to FILE ('-' = standard output); the sink of a\n"
     "                        bare SELECT is 'stdout', malformed events go to 'dead_letter'\n"
     "                        (standard error when unbound)\n"
     "  --quiet               no summary of counts at the end\n"
     "  --no-progress         no progress line (shown when standard error is a terminal)\n"
     "  --batch-size N        lines each stream reads per turn (default 1024)\n"
     "  --restart-at N        testing aid: after the batch in which N events have been read,\n"
     "                        snapshot all operator state, start a fresh DAG from the\n"
     "                        snapshot and go on; the output must be the same\n\n"
     "PIPELINE is a .sql file, a pipeline.yaml, or a folder holding one.\n"},
    {"check", cmd_check, "PIPELINE",
     "Parse, bind and plan PIPELINE; print 'ok' or the first error as\n"
     "file:line:col: error: message, with the source line and a caret. Exit 2 on error.\n"},
    {"explain", cmd_explain, "PIPELINE [--format text|dot]",
     "Print the operator DAG that PIPELINE compiles to, as indented text (default) or as\n"
     "a Graphviz digraph (--format dot; render with `dot -Tpng`).\n"},
    {"test", cmd_test, "PIPELINE_DIR",
     "Run every test case PIPELINE_DIR/tests/CASE/: replay input/STREAM.jsonl and compare\n"
     "each sink with expected/SINK.jsonl (case.yaml: 'ordered: false', 'tolerance: 1e-9').\n"
     "Prints 'ok CASE' or a diff of missing, extra and differing rows, then\n"
     "'N passed, N failed'. Exit 1 if any case fails.\n"},
    {"rules", cmd_rules, "load|list PIPELINE [FILE|RULESET] [--by NAME]",
     "Manage the rules of PIPELINE's rulesets in its metadata store (state.store):\n\n"
     "  load PIPELINE FILE    compile every rule of the rules file FILE (YAML) against the\n"
     "                        table its ruleset is applied to and store them as the ruleset's\n"
     "                        next version, made active; a bad rule changes nothing\n"
     "  list PIPELINE [NAME]  print the active version of each ruleset (or of NAME)\n"
     "  --by NAME             who changes the rules (recorded with each changed rule;\n"
     "                        default: $USER)\n\n"
     "A running pipeline picks the new version up between batches (docs/rules.md).\n"},
    {"functions", cmd_functions, "[--markdown]",
     "List the built-in scalar functions, or write their reference (docs/functions.md)\n"
     "with --markdown.\n"},
};

static const command *find_command(const char *name)
{
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    return NULL;
}

static void print_overview(FILE *out)
{
    fprintf(out, "vigil — a streaming SQL engine for real-time risk and fraud features\n\n"
                 "usage: vigil COMMAND [ARGS]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(out, "  vigil %-8s %s\n", commands[i].name, commands[i].usage);
    fprintf(out, "\n'vigil COMMAND --help' tells more. Docs: README.md and docs/.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        print_overview(stderr);
        return 2;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        print_overview(stdout);
        return 0;
    }
    const command *c = find_command(argv[1]);
    if (!c) {
        fprintf(stderr, "vigil: unknown command '%s'\n", argv[1]);
        print_overview(stderr);
        return 2;
    }
    if (wants_help(argc - 1, argv + 1)) {
        print_help(c);
        return 0;
    }
    return c->run(argc - 1, argv + 1);
}
