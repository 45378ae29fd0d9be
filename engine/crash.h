/*
 * crash.h — a test hook: the process kills itself at a named point.
 *
 * With VIGIL_CRASH_POINT=NAME[:N] in the environment, the Nth time
 * (default the first) the process passes point NAME it raises SIGKILL, as
 * `kill -9` would: no handler runs, no buffer is flushed, nothing is
 * closed. tests/fault/run-crash.sh uses it to stop `vigil run` at every
 * moment that matters to exactly-once output (docs/kafka.md lists the
 * points). Without the variable every call is one comparison.
 */
#ifndef VG_CRASH_H
#define VG_CRASH_H

/* Pass point name (a string literal): die here when the environment says
 * so. The environment is read once, at the first call. */
void vg_crash_point(const char *name);

#endif
