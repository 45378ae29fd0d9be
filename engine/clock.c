/*
 * clock.c — monotonic milliseconds, or a manual clock for tests.
 */
#include "engine/clock.h"

#include <time.h>

static const int64_t *manual_now;

int64_t vg_clock_ms(void)
{
    if (manual_now)
        return *manual_now;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void vg_clock_set_manual(const int64_t *now_ms) { manual_now = now_ms; }
