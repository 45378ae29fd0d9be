/*
 * crash.c — the VIGIL_CRASH_POINT test hook (crash.h): one getenv at the
 * first call, then a string comparison per point passed.
 */
#include "engine/crash.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void vg_crash_point(const char *name)
{
    static int armed = -1;     /* -1: environment not read yet; 0: no crash asked for */
    static char point[64];     /* the point named in VIGIL_CRASH_POINT */
    static unsigned long left; /* passes of it until the crash */
    if (armed < 0) {
        const char *env = getenv("VIGIL_CRASH_POINT");
        const char *colon = env ? strchr(env, ':') : NULL;
        size_t n = env ? (colon ? (size_t)(colon - env) : strlen(env)) : 0;
        left = colon ? strtoul(colon + 1, NULL, 10) : 1;
        armed = n > 0 && n < sizeof point && left > 0;
        if (armed)
            snprintf(point, sizeof point, "%.*s", (int)n, env);
    }
    if (armed && strcmp(name, point) == 0 && --left == 0)
        raise(SIGKILL);
}
