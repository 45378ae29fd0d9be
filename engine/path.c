/*
 * path.c — small helpers for the files vigil writes.
 */
#include <stdio.h>
#include <sys/stat.h>

#include "engine/path.h"

void vg_path_make_parents(const char *path)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s", path);
    for (char *p = tmp + 1; *p; p++) {
        if (*p == '/') {
            *p = 0;
            mkdir(tmp, 0777);
            *p = '/';
        }
    }
}
