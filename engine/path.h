/*
 * path.h — small helpers for the files vigil writes.
 */
#ifndef VG_PATH_H
#define VG_PATH_H

/* mkdir -p of the folder that will hold path (nothing for a bare name or
 * ":memory:"). Failures are left to the open that follows, which reports
 * them with the file's name. */
void vg_path_make_parents(const char *path);

#endif
