/*
 * reload_cmd.h — `vigil reload`: ask a running engine (vigil run, or vigil
 * replay --admin) to compile its pipeline files again and swap the new plan
 * in, through its admin API (POST /reload), and print the state plan
 * (engine/reload.h, docs/reload.md).
 */
#ifndef VG_RELOAD_CMD_H
#define VG_RELOAD_CMD_H

#define VG_RELOAD_CMD_USAGE "[--admin URL] [--token T] [--dry-run] [--confirm] [--json] [PIPELINE]"

#define VG_RELOAD_CMD_HELP                                                                         \
    "Ask a running engine (vigil run, or vigil replay --admin) to compile its pipeline files\n"    \
    "again and run the new plan from the next batch, keeping the state that fits. Prints\n"        \
    "the state plan: per operator kept, rebuilt (from the rows it holds), empty or\n"              \
    "dropped, and per sink whether it goes on (docs/reload.md).\n\n"                               \
    "  --admin URL   the admin API (default $VIGIL_ADMIN, else PIPELINE's admin.listen,\n"         \
    "                else 127.0.0.1:8470)\n"                                                       \
    "  --token T     its bearer token (default $VIGIL_ADMIN_TOKEN, else PIPELINE's\n"              \
    "                admin.token)\n"                                                               \
    "  --dry-run     only print the state plan; change nothing\n"                                  \
    "  --confirm     apply a reload that drops state (refused without it)\n"                       \
    "  --json        print the engine's answer as JSON\n\n"                                        \
    "PIPELINE (a .sql file, a pipeline.yaml or a folder) only says where the admin API is.\n"      \
    "Exit 0 when applied (or shown); 1 when refused for want of --confirm or when the\n"           \
    "engine cannot be reached; 2 when the new SQL does not compile (its error is printed\n"        \
    "as vigil check prints it; the engine goes on unchanged).\n"

/* `vigil reload ARGS` (argv[0] is "reload"): the exit status. */
int vg_reload_cmd_main(int argc, char **argv);

#endif
