/*
 * clock.h — the one way vigil reads wall-clock time.
 *
 * Operators never read it: they see only event time and watermarks. The
 * runner uses it for progress, rates and (later) checkpoint intervals, and
 * tests replace it with a manual clock.
 */
#ifndef VG_CLOCK_H
#define VG_CLOCK_H

#include <stdint.h>

/* Milliseconds on a monotonic clock (the real one unless a manual clock is set). */
int64_t vg_clock_ms(void);
/* Use a manual clock that returns *now_ms (borrowed; NULL restores the real one). */
void vg_clock_set_manual(const int64_t *now_ms);

#endif
