/*
 * crash.c — the VIGIL_CRASH_POINT test hook (crash.h): one getenv at the
 * first call, then a string comparison per point passed.
 *
 * Points are passed from more than one thread (the runner's loop and its
 * checkpoint writer, engine/ckpt_writer.c): the environment is read once
 * under pthread_once, and the passes of the named point are counted with
 * an atomic, so that exactly the Nth pass, whichever thread makes it,
 * raises SIGKILL.
 */
#include "engine/crash.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int armed;           /* a crash is asked for (set once, under once) */
static char point[64];      /* the point named in VIGIL_CRASH_POINT (set once) */
static atomic_ulong left;   /* passes of it until the crash */

static void read_env(void)
{
    const char *env = getenv("VIGIL_CRASH_POINT");
    const char *colon = env ? strchr(env, ':') : NULL;
    size_t n = env ? (colon ? (size_t)(colon - env) : strlen(env)) : 0;
    unsigned long at = colon ? strtoul(colon + 1, NULL, 10) : 1;
    armed = n > 0 && n < sizeof point && at > 0;
    if (armed)
        snprintf(point, sizeof point, "%.*s", (int)n, env);
    atomic_store(&left, at);
}

void vg_crash_point(const char *name)
{
    pthread_once(&once, read_env);
    if (armed && strcmp(name, point) == 0 && atomic_fetch_sub(&left, 1) == 1)
        raise(SIGKILL);
}
