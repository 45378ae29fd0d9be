/*
 * reload_cmd.c — `vigil reload`: POST /reload to a running engine's admin
 * API and print what it answers: the state plan, as the engine writes it on
 * its own standard error (vg_reload_report_print's lines), or the error of
 * the new SQL, positioned as vigil check prints it.
 *
 * The HTTP exchange and the reading of the answer are the admin client's
 * (vg_admin_client_reload, engine/admin_client.c); this file reads the
 * command line and finds the admin address.
 */
#include "engine/reload_cmd.h"

#include <stdlib.h>
#include <string.h>

#include "engine/admin.h"
#include "engine/config.h"

/* What the command was asked. */
typedef struct reload_args {
    const char *url, *token, *pipeline; /* --admin, --token, PIPELINE (each may be NULL) */
    bool dry_run, confirm, json;        /* --dry-run, --confirm, --json */
} reload_args;

/* ---- the command ---- */

static int usage(const char *fmt, const char *arg)
{
    fprintf(stderr, "vigil reload: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\nusage: vigil reload %s\n(see 'vigil reload --help')\n", VG_RELOAD_CMD_USAGE);
    return 2;
}

static int parse_args(int argc, char **argv, reload_args *ra)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--admin") == 0 || strcmp(a, "--token") == 0) {
            if (i + 1 >= argc)
                return usage("%s needs a value", a);
            *(a[2] == 'a' ? &ra->url : &ra->token) = argv[++i];
        } else if (strcmp(a, "--dry-run") == 0 || strcmp(a, "--confirm") == 0 ||
                   strcmp(a, "--json") == 0) {
            *(a[2] == 'd' ? &ra->dry_run : a[2] == 'c' ? &ra->confirm : &ra->json) = true;
        } else if (a[0] == '-' && a[1]) {
            return usage("unknown option '%s'", a);
        } else if (ra->pipeline) {
            return usage("unexpected argument '%s'", a);
        } else {
            ra->pipeline = a;
        }
    }
    return 0;
}

int vg_reload_cmd_main(int argc, char **argv)
{
    reload_args ra = {.url = getenv("VIGIL_ADMIN"), .token = getenv("VIGIL_ADMIN_TOKEN")};
    int rc = parse_args(argc, argv, &ra);
    if (rc)
        return rc;
    vg_error err;
    vg_error_clear(&err);
    vg_config *cfg = NULL;
    if (ra.pipeline && (!ra.url || !ra.token) && vg_config_load(ra.pipeline, &cfg, &err) < 0) {
        vg_error_print(&err, stderr);
        return vg_error_exit_code(&err);
    }
    if (!ra.url)
        ra.url = cfg && cfg->admin.listen ? cfg->admin.listen : VG_ADMIN_LISTEN;
    if (!ra.token && cfg)
        ra.token = cfg->admin.token;
    rc = vg_admin_client_reload(ra.url, ra.token, ra.dry_run, ra.confirm, ra.json, stdout, &err);
    if (rc != 0 && !(ra.json && rc > 0))
        vg_error_print(&err, stderr);
    if (rc == 2)
        fprintf(stderr, "vigil: nothing changed; run again with --confirm to apply it\n");
    rc = rc == 0 ? 0 : err.code == VG_ERR_SEMANTIC || err.code == VG_ERR_USAGE ? 2 : 1;
    vg_config_free(cfg);
    return rc;
}
