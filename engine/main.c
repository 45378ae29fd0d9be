/*
 * main.c — the `vigil` command line: a table of commands, each with its
 * usage and help text, and the code that turns arguments into calls.
 *
 * This is the top of the program: the one place (with the test runner)
 * that prints errors. Exit status: 0 success, 1 run-time failure, 2 usage
 * or SQL/config errors (DESIGN.md).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/admin.h"
#include "engine/broker.h"
#include "engine/checkpoint_cmd.h"
#include "engine/config.h"
#include "engine/pipeline.h"
#include "engine/registry.h"
#include "engine/reload_cmd.h"
#include "engine/replay.h"
#include "engine/rules_cmd.h"
#include "engine/run.h"
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

/* ---- the admin API of a replay (--admin ...) ---- */

/* What replay's admin options say, and what they start. */
typedef struct admin_args {
    const char *listen; /* --admin HOST:PORT; NULL: no admin API */
    const char *token;  /* --admin-token; NULL: pipeline.yaml's admin.token */
    const char *ready;  /* --admin-ready FILE: the URL is written there when it listens
                           (with --hold: when it holds) */
    bool hold;          /* --hold: serve at the end of the input until SIGINT/SIGTERM */
    vg_admin *admin;    /* the API started */
    vg_metrics metrics; /* the replay's counters, which /metrics shows */
} admin_args;

static volatile sig_atomic_t hold_stop;

static void on_hold_signal(int sig)
{
    (void)sig;
    hold_stop = 1;
}

/* Take argv[*i] (and its value) when it is an admin option: 1; 0 when it
 * is not one; -1 when its value is missing. */
static int admin_option(int argc, char **argv, int *i, admin_args *aa)
{
    const char *a = argv[*i];
    const char **dst = strcmp(a, "--admin") == 0         ? &aa->listen
                       : strcmp(a, "--admin-token") == 0 ? &aa->token
                       : strcmp(a, "--admin-ready") == 0 ? &aa->ready
                                                         : NULL;
    if (strcmp(a, "--hold") == 0) {
        aa->hold = true;
        return 1;
    }
    if (!dst)
        return 0;
    if (*i + 1 >= argc)
        return -1;
    *dst = argv[++*i];
    return 1;
}

/* Start the admin API of the pipeline at path (token: --admin-token, else
 * pipeline.yaml's admin.token) and hook it and its metrics into opts. */
static int admin_begin(const char *path, const vg_plan *plan, admin_args *aa,
                       vg_replay_opts *opts, bool quiet, vg_error *err)
{
    vg_config *cfg = NULL;
    if (!aa->token && vg_config_load(path, &cfg, err) < 0)
        return -1;
    vg_admin_opts ao = {.listen = aa->listen,
                        .token = aa->token ? aa->token : cfg->admin.token,
                        .ready_file = aa->ready,
                        .ready_on_hold = aa->hold};
    aa->admin = vg_admin_start(plan, &ao, err);
    vg_config_free(cfg);
    if (!aa->admin)
        return -1;
    vg_metrics_init(&aa->metrics);
    opts->metrics = &aa->metrics;
    opts->admin = aa->admin;
    if (aa->hold) {
        struct sigaction sa = {.sa_handler = on_hold_signal};
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGTERM, &sa, NULL);
        opts->hold = &hold_stop;
    }
    if (!quiet)
        fprintf(stderr, "vigil: admin API at %s%s\n", vg_admin_url(aa->admin),
                aa->hold ? " (kept at the end of the input until interrupted)" : "");
    return 0;
}

/* ---- replay ---- */

#define MAX_BINDINGS 64

/* --reload-at N=FILE into r[*n], kept in order of N (those of one N as given). */
static int reload_at(char *arg, vg_replay_reload *r, uint32_t *n)
{
    char *file = split_binding(arg), *end = NULL;
    unsigned long long at = file ? strtoull(arg, &end, 10) : 0;
    if (!file || !end || *end || at == 0)
        return usage_error("replay", "%s", "--reload-at needs N=FILE, N > 0 events");
    if (*n >= MAX_BINDINGS)
        return usage_error("replay", "%s", "too many --reload-at");
    uint32_t k = (*n)++;
    for (; k > 0 && r[k - 1].at > at; k--)
        r[k] = r[k - 1];
    r[k] = (vg_replay_reload){.at = at, .path = file};
    return 0;
}

static int cmd_replay(int argc, char **argv)
{
    vg_replay_input inputs[MAX_BINDINGS];
    vg_replay_output outputs[MAX_BINDINGS];
    vg_replay_reload reloads[MAX_BINDINGS];
    uint32_t nin = 0, nout = 0, nreloads = 0;
    const char *path = NULL;
    bool quiet = false, progress = isatty(2);
    uint32_t batch_size = 0;
    uint64_t restart_at = 0;
    admin_args aa = {0};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int took = admin_option(argc, argv, &i, &aa);
        if (took < 0)
            return usage_error("replay", "%s needs a value", a);
        if (took)
            continue;
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
        } else if (strcmp(a, "--reload-at") == 0) {
            int bad = i + 1 < argc ? reload_at(argv[++i], reloads, &nreloads)
                                   : usage_error("replay", "%s", "--reload-at needs N=FILE");
            if (bad)
                return bad;
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
    if ((aa.hold || aa.token || aa.ready) && !aa.listen)
        return usage_error("replay", "%s", "--hold, --admin-token and --admin-ready need --admin");

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
        .nreloads = nreloads,
        .reloads = reloads,
        .pipeline_path = path,
        .log = stderr,
    };
    vg_replay_stats stats;
    int rc = vg_pipeline_bind(p, inputs, nin, outputs, nout, &opts, &err);
    if (rc == 0 && aa.listen)
        rc = admin_begin(path, vg_pipeline_plan(p), &aa, &opts, quiet, &err);
    if (rc == 0)
        rc = vg_replay_run(vg_pipeline_plan(p), &opts, &stats, &err);
    else
        memset(&stats, 0, sizeof stats);
    vg_admin_stop(aa.admin);
    if (rc < 0) {
        vg_replay_stats_free(&stats);
        vg_pipeline_free(p);
        return print_error(&err);
    }
    if (!quiet)
        vg_replay_stats_print(&stats, stderr);
    rc = stats.reload_failures ? 2 : 0; /* (the run went on with the plan it had) */
    vg_replay_stats_free(&stats);
    vg_pipeline_free(p);
    return rc;
}

/* ---- run ---- */

/* The value of option argv[*i] (advancing *i), or NULL when it is missing. */
static const char *option_value(int argc, char **argv, int *i)
{
    return *i + 1 < argc ? argv[++*i] : NULL;
}

/* A positive count from s, at most max; 0 when s is not one. */
static unsigned long long parse_count(const char *s, unsigned long long max)
{
    char *end = NULL;
    unsigned long long n = s ? strtoull(s, &end, 10) : 0;
    return s && *s && !*end && n <= max ? n : 0;
}

/* Start the admin API of `vigil run` when --admin or admin.listen says
 * where (token: --admin-token, else admin.token). 0 (none, or started), -1. */
static int run_admin(const vg_config *cfg, const vg_plan *plan, admin_args *aa, vg_run_opts *opts,
                     bool quiet, vg_error *err)
{
    const char *listen = aa->listen ? aa->listen : cfg->admin.listen;
    if (!listen)
        return 0;
    vg_admin_opts ao = {.listen = listen,
                        .token = aa->token ? aa->token : cfg->admin.token,
                        .ready_file = aa->ready};
    if (!(aa->admin = vg_admin_start(plan, &ao, err)))
        return -1;
    vg_metrics_init(&aa->metrics);
    opts->admin = aa->admin;
    opts->admin_metrics = &aa->metrics;
    if (!quiet)
        fprintf(stderr, "vigil: admin API at %s\n", vg_admin_url(aa->admin));
    return 0;
}

/* Run the pipeline with the stop descriptor, print the summary. */
static int run_pipeline(const char *path, vg_run_opts *opts, admin_args *aa, bool quiet)
{
    vg_error err;
    vg_error_clear(&err);
    vg_pipeline *p = vg_pipeline_load(path, &err);
    if (!p)
        return print_error(&err);
    const vg_config *cfg = vg_pipeline_config(p);
    opts->max_event_bytes = vg_pipeline_max_event_bytes(p);
    opts->store_path = vg_pipeline_store(p);
    opts->commit_interval_ms = cfg->state.checkpoint_interval_ms;
    opts->sync_full = cfg->state.fsync_turns;
    opts->log = stderr;
    opts->pipeline_path = path;
    int rc = -1;
    /* the stop descriptor first: the admin API's threads inherit the blocked signals */
    if ((opts->stop_fd = vg_run_stop_fd(&err)) >= 0 &&
        run_admin(cfg, vg_pipeline_plan(p), aa, opts, quiet, &err) == 0) {
        if (!quiet)
            fprintf(stderr, "vigil: running %s until interrupted (Ctrl-C)\n", path);
        vg_run_metrics m;
        rc = vg_run(vg_pipeline_plan(p), cfg, opts, &m, &err);
        if (!quiet && rc == 0)
            vg_run_metrics_print(&m, stderr);
        vg_run_metrics_free(&m);
    }
    vg_admin_stop(aa->admin);
    if (opts->stop_fd >= 0)
        close(opts->stop_fd);
    vg_pipeline_free(p);
    return rc < 0 ? print_error(&err) : 0;
}

/* `vigil run --restarts` when not given. */
#define DEFAULT_RESTARTS 5

static int cmd_run(int argc, char **argv)
{
    vg_run_opts opts = {.stop_fd = -1, .watch = true, .max_restarts = DEFAULT_RESTARTS};
    admin_args aa = {0};
    const char *path = NULL;
    bool quiet = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int took = strcmp(a, "--hold") == 0 ? 0 : admin_option(argc, argv, &i, &aa);
        if (took < 0)
            return usage_error("run", "%s needs a value", a);
        if (took)
            continue;
        if (strcmp(a, "--idle-timeout") == 0) {
            const char *v = option_value(argc, argv, &i);
            if (!v || vg_config_parse_duration(v, strlen(v), &opts.idle_timeout_ms) < 0 ||
                opts.idle_timeout_ms <= 0)
                return usage_error("run", "%s needs a duration such as 500ms or 5s", a);
        } else if (strcmp(a, "--batch-size") == 0) {
            if (!(opts.batch_size = (uint32_t)parse_count(option_value(argc, argv, &i), 1000000)))
                return usage_error("run", "%s needs a positive number", a);
        } else if (strcmp(a, "--max-events") == 0) {
            if (!(opts.max_events = parse_count(option_value(argc, argv, &i), UINT64_MAX)))
                return usage_error("run", "%s needs a positive number", a);
        } else if (strcmp(a, "--restarts") == 0) {
            const char *v = option_value(argc, argv, &i);
            if (!v || (!(opts.max_restarts = (uint32_t)parse_count(v, 1000)) && strcmp(v, "0")))
                return usage_error("run", "%s needs a count from 0 to 1000", a);
        } else if (strcmp(a, "--exit-at-end") == 0) {
            opts.exit_at_end = true;
        } else if (strcmp(a, "--no-watch") == 0) {
            opts.watch = false;
        } else if (strcmp(a, "--verbose") == 0 || strcmp(a, "-v") == 0) {
            opts.log_level = 6;
        } else if (strcmp(a, "--quiet") == 0 || strcmp(a, "-q") == 0) {
            quiet = true;
        } else if (a[0] == '-' && a[1]) {
            return usage_error("run", "unknown option '%s'", a);
        } else if (path) {
            return usage_error("run", "unexpected argument '%s'", a);
        } else {
            path = a;
        }
    }
    if (!path)
        return usage_error("run", "%s", "missing PIPELINE");
    return run_pipeline(path, &opts, &aa, quiet);
}

/* ---- dev-broker ---- */

#define MAX_TOPICS 64

/* "NAME[:PARTS]" into t (name pointing into s, which is cut at the colon
 * when it is good, and left whole when not). */
static bool parse_topic(char *s, int32_t parts, vg_kafka_topic_spec *t)
{
    char *colon = strrchr(s, ':');
    t->name = s;
    t->partitions = colon ? (int32_t)parse_count(colon + 1, 10000) : parts;
    if (colon == s || t->partitions <= 0 || !s[0])
        return false;
    if (colon)
        *colon = 0;
    return true;
}

static int cmd_dev_broker(int argc, char **argv)
{
    vg_kafka_topic_spec topics[MAX_TOPICS];
    char *topic_args[MAX_TOPICS];
    uint32_t ntopics = 0;
    int port = 9092, brokers = 1, partitions = 1;
    const char *ready = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--port") == 0) {
            const char *v = option_value(argc, argv, &i);
            port = v && strcmp(v, "0") == 0 ? 0 : (int)parse_count(v, 65535);
            if (port == 0 && !(v && strcmp(v, "0") == 0))
                return usage_error("dev-broker", "%s needs a port number (0: any free port)", a);
        } else if (strcmp(a, "--brokers") == 0) {
            if (!(brokers = (int)parse_count(option_value(argc, argv, &i), 16)))
                return usage_error("dev-broker", "%s needs a number from 1 to 16", a);
        } else if (strcmp(a, "--partitions") == 0) {
            if (!(partitions = (int)parse_count(option_value(argc, argv, &i), 10000)))
                return usage_error("dev-broker", "%s needs a positive number", a);
        } else if (strcmp(a, "--topic") == 0) {
            if (!(topic_args[ntopics] = (char *)option_value(argc, argv, &i)) ||
                ntopics == MAX_TOPICS)
                return usage_error("dev-broker", "%s needs NAME[:PARTITIONS]", a);
            ntopics++;
        } else if (strcmp(a, "--ready-file") == 0) {
            if (!(ready = option_value(argc, argv, &i)))
                return usage_error("dev-broker", "%s needs a FILE", a);
        } else {
            return usage_error("dev-broker", "unknown option '%s'", a);
        }
    }
    for (uint32_t t = 0; t < ntopics; t++)
        if (!parse_topic(topic_args[t], partitions, &topics[t]))
            return usage_error("dev-broker", "expected --topic NAME[:PARTITIONS], got '%s'",
                               topic_args[t]);
    vg_error err;
    vg_error_clear(&err);
    vg_broker_cmd_opts o = {
        .broker = {.port = port, .brokers = brokers, .ntopics = ntopics, .topics = topics},
        .ready_file = ready,
        .control_fd = 0,
        .out = stdout,
        .log = stderr,
    };
    if ((o.stop_fd = vg_run_stop_fd(&err)) < 0)
        return print_error(&err);
    int rc = vg_broker_cmd_run(&o, &err);
    close(o.stop_fd);
    return rc < 0 ? print_error(&err) : 0;
}

/* ---- query ---- */

/* The SQL of `vigil query`: the argument, or standard input for "-". */
static char *query_text(const char *arg)
{
    if (strcmp(arg, "-") != 0)
        return vg_strdup(VG_MEM_OTHER, arg);
    vg_buf b;
    vg_buf_init(&b, VG_MEM_OTHER);
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, stdin)) > 0)
        if (vg_buf_append(&b, chunk, n) < 0)
            break;
    char *s = vg_strndup(VG_MEM_OTHER, b.len ? b.p : "", b.len);
    vg_buf_free(&b);
    return s;
}

static int cmd_query(int argc, char **argv)
{
    const char *url = getenv("VIGIL_ADMIN"), *token = getenv("VIGIL_ADMIN_TOKEN"), *sql = NULL;
    const char *params[16]; /* POST /query takes at most 16 (engine/admin_pages.c) */
    uint32_t nparams = 0;
    vg_admin_format fmt = isatty(1) ? VG_ADMIN_TABLE : VG_ADMIN_JSON_LINES;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--admin") == 0 || strcmp(a, "--token") == 0 || strcmp(a, "--format") == 0 ||
            strcmp(a, "--param") == 0) {
            if (i + 1 >= argc)
                return usage_error("query", "%s needs a value", a);
            const char *v = argv[++i];
            if (a[2] == 'p') {
                if (nparams == sizeof params / sizeof *params)
                    return usage_error("query", "%s", "at most 16 parameters");
                params[nparams++] = v;
            } else if (a[2] == 'a')
                url = v;
            else if (a[2] == 't')
                token = v;
            else if (strcmp(v, "json") == 0 || strcmp(v, "table") == 0)
                fmt = v[0] == 'j' ? VG_ADMIN_JSON_LINES : VG_ADMIN_TABLE;
            else
                return usage_error("query", "unknown format '%s' (json or table)", v);
        } else if (a[0] == '-' && a[1]) {
            return usage_error("query", "unknown option '%s'", a);
        } else if (sql) {
            return usage_error("query", "unexpected argument '%s' (quote the SQL)", a);
        } else {
            sql = a;
        }
    }
    if (!sql)
        return usage_error("query", "%s", "missing SQL");
    char *text = query_text(sql);
    if (!text) {
        fprintf(stderr, "vigil: error: out of memory\n");
        return 1;
    }
    vg_error err;
    vg_error_clear(&err);
    int rc = vg_admin_client_query(url ? url : VG_ADMIN_LISTEN, token, text, params, nparams, fmt,
                                   stdout, &err);
    vg_free(text);
    if (rc != 0) {
        vg_error_print(&err, stderr);
        return rc < 0 && err.code == VG_ERR_USAGE ? 2 : 1;
    }
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
    {"replay", cmd_replay,
     "PIPELINE [--input STREAM=FILE]... [--output SINK=FILE]... [--reload-at N=FILE]... "
     "[--quiet]",
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
     "                        snapshot and go on; the output must be the same\n"
     "  --reload-at N=FILE    after exactly N events (the batch ends there), reload the SQL\n"
     "                        from FILE (a .sql file, or a pipeline.yaml and its sql: files)\n"
     "                        keeping the state that fits (docs/reload.md); the state plan\n"
     "                        goes to standard error. Repeatable. A reload that fails changes\n"
     "                        nothing, and the exit status is then 2\n"
     "  --admin HOST:PORT     serve the admin API (docs/operations.md) while replaying,\n"
     "                        between batches; port 0 picks a free port\n"
     "  --admin-token T       the bearer token it requires (default: pipeline.yaml's\n"
     "                        admin.token)\n"
     "  --admin-ready FILE    write the admin API's URL to FILE once it listens (with\n"
     "                        --hold: once it holds, so that queries see the final state)\n"
     "  --hold                at the end of the input (before the final watermark fires\n"
     "                        the last windows), keep serving the admin API until SIGINT or\n"
     "                        SIGTERM, then finish\n"
     "  (with --admin, POST /reload compiles PIPELINE's files again: `vigil reload`)\n\n"
     "PIPELINE is a .sql file, a pipeline.yaml, or a folder holding one.\n"},
    {"run", cmd_run,
     "PIPELINE [--idle-timeout DURATION] [--max-events N] [--exit-at-end] [--restarts N]\n"
     "          [--admin HOST:PORT] [--admin-token T] [--admin-ready FILE] [--no-watch] [--quiet]\n"
     "          [--verbose]",
     "Run PIPELINE against Kafka until interrupted (SIGINT or SIGTERM): every stream reads\n"
     "its topic (pipeline.yaml sources.NAME.kafka), every sink writes its topic or file.\n"
     "Malformed or oversized messages and late rows go to the dead_letter sink, counted.\n"
     "Without state.store, offsets are committed once the rows a batch produced are\n"
     "delivered (at-least-once). With it, state and offsets are checkpointed every\n"
     "state.checkpoint_interval and a restart after a crash writes every row exactly once\n"
     "(docs/kafka.md). On a stop, waits for every delivery, commits (or checkpoints),\n"
     "prints a summary and exits 0. With state.store, a Kafka client's failure (a fatal\n"
     "producer error, a failed transaction or delivery, a broker out of reach) restarts the\n"
     "run from its newest checkpoint in the same process, announced on standard error;\n"
     "other failures (and a producer fenced by another instance) exit 1.\n\n"
     "Change without a restart (docs/reload.md, docs/operations.md): an edit of\n"
     "pipeline.yaml or its SQL files, POST /reload on the admin API (`vigil reload`) and\n"
     "the control topic (pipeline.yaml control) compile the files again and swap the new\n"
     "plan in between two batches, keeping the state it can; POST /models, POST /rules and\n"
     "the control topic activate model and ruleset versions. With state.store a restart\n"
     "after the SQL changed recovers in the checkpoint's plan, then reloads.\n\n"
     "  --idle-timeout D   a source partition silent for D (e.g. 500ms, 5s; default 5s)\n"
     "                     stops holding the watermark back, so its silence does not\n"
     "                     stall every window\n"
     "  --max-events N     stop cleanly once N events have been read (tests, benchmarks)\n"
     "  --exit-at-end      stop cleanly once every partition is read to its end (with\n"
     "                     state.store: its end at the start); partitions are read in step\n"
     "                     and never turn idle, so runs over the same input give the same rows\n"
     "  --batch-size N     messages each stream (with state.store: each partition) reads\n"
     "                     per turn (default 1024)\n"
     "  --restarts N       with state.store: restart from the newest checkpoint at most N\n"
     "                     times in a row after a Kafka failure (default 5; the count starts\n"
     "                     again once a checkpoint is written; waits 0.5 s, doubling to 10 s);\n"
     "                     0: exit 1 at the first failure\n"
     "  --admin HOST:PORT  serve the admin API there (default: pipeline.yaml's admin.listen;\n"
     "                     none without either; port 0: any free one)\n"
     "  --admin-token T    the bearer token it requires (default: admin.token)\n"
     "  --admin-ready FILE write the admin API's URL to FILE once it listens\n"
     "  --no-watch         do not reload when a file of the pipeline is edited\n"
     "  --quiet            no start line and no summary\n"
     "  --verbose          also show partition assignments and Kafka client notices\n\n"
     "docs/kafka.md tells more; `vigil dev-broker` serves a local broker to try it on.\n"},
    {"dev-broker", cmd_dev_broker,
     "[--port N] [--brokers N] [--topic NAME[:PARTS]]... [--ready-file F]",
     "Serve a local Kafka-protocol broker (librdkafka's mock cluster, all in memory) on\n"
     "127.0.0.1 until interrupted; prints 'dev-broker: listening on 127.0.0.1:9092'.\n\n"
     "  --port N           port of broker 1 (default 9092; the others follow); 0: any free\n"
     "  --brokers N        number of brokers (default 1)\n"
     "  --topic NAME[:P]   create topic NAME with P partitions (default: --partitions N, 1);\n"
     "                     other topics are created with 4 partitions when first asked for\n"
     "  --ready-file F     write the bootstrap list to F once serving (removed at the stop)\n\n"
     "Fault control: one command per line on standard input, one answer line ('ok ...' or\n"
     "'error: ...') on standard output: down ID, up ID, rtt ID MS, errors API COUNT ERROR,\n"
     "clear API, leader TOPIC PARTITION ID, topic NAME PARTITIONS, bootstrap, help.\n"
     "Try: kcat -b 127.0.0.1:9092 -t demo -P, then kcat -b 127.0.0.1:9092 -t demo -C -e.\n"},
    {"query", cmd_query, "[--admin URL] [--token T] [--format json|table] [--param V]... SQL",
     "Run one SELECT over the live state of a running engine (vigil run, or vigil replay\n"
     "--admin) through its admin API, and print the rows: JSON lines, or a table when\n"
     "standard output is a terminal. SQL '-' reads it from standard input.\n\n"
     "  --admin URL           the admin API (default $VIGIL_ADMIN, else 127.0.0.1:8470)\n"
     "  --token T             its bearer token (default $VIGIL_ADMIN_TOKEN)\n"
     "  --format json|table   force the output format\n\n"
     "Every view and stateful operator is a table (SELECT * FROM vigil_tables lists\n"
     "them); errors point into the SQL. Exit 1 when the query fails.\n"},
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
    {"checkpoints", vg_checkpoint_cmd_main, VG_CHECKPOINT_CMD_USAGE, VG_CHECKPOINT_CMD_HELP},
    {"reload", vg_reload_cmd_main, VG_RELOAD_CMD_USAGE, VG_RELOAD_CMD_HELP},
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
        fprintf(out, "  vigil %-10s %s\n", commands[i].name, commands[i].usage);
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
