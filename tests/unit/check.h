/*
 * check.h — the unit-test harness: a handful of macros, no framework.
 *
 * A test file defines static test functions and a main that runs them with
 * RUN(fn). Every CHECK counts one assertion; a failed one prints where and
 * why. CHECK_DONE() prints "N passed, N failed" (assertions) as the last
 * line, which scripts/run-tests sums, and returns the exit status.
 */
#ifndef VG_CHECK_H
#define VG_CHECK_H

#include <stdio.h>
#include <string.h>

static int check_passed, check_failed;
static const char *check_current = "";

#define CHECK(cond)                                                                  \
    do {                                                                             \
        if (cond) {                                                                  \
            check_passed++;                                                          \
        } else {                                                                     \
            check_failed++;                                                          \
            fprintf(stderr, "FAIL %s:%d: %s: %s\n", __FILE__, __LINE__, check_current, #cond); \
        }                                                                            \
    } while (0)

#define CHECK_INT(got, want)                                                         \
    do {                                                                             \
        long long g_ = (long long)(got), w_ = (long long)(want);                     \
        if (g_ == w_) {                                                              \
            check_passed++;                                                          \
        } else {                                                                     \
            check_failed++;                                                          \
            fprintf(stderr, "FAIL %s:%d: %s: %s = %lld, want %lld\n", __FILE__, __LINE__, \
                    check_current, #got, g_, w_);                                    \
        }                                                                            \
    } while (0)

#define CHECK_STR(got, want)                                                         \
    do {                                                                             \
        const char *g_ = (got), *w_ = (want);                                        \
        if (g_ && w_ && strcmp(g_, w_) == 0) {                                       \
            check_passed++;                                                          \
        } else {                                                                     \
            check_failed++;                                                          \
            fprintf(stderr, "FAIL %s:%d: %s: %s = \"%s\", want \"%s\"\n", __FILE__, __LINE__, \
                    check_current, #got, g_ ? g_ : "(null)", w_ ? w_ : "(null)");    \
        }                                                                            \
    } while (0)

#define RUN(fn)                 \
    do {                        \
        check_current = #fn;    \
        fn();                   \
    } while (0)

#define CHECK_DONE()                                                  \
    (printf("%d passed, %d failed\n", check_passed, check_failed),   \
     check_failed ? 1 : 0)

#endif
