/*
 * suggest.c — edit distance for "did you mean ...?" hints.
 *
 * The classic dynamic programme over one row: row[j] holds the distance
 * between the first i bytes of a and the first j bytes of b. Names are
 * short, so the row lives on the stack.
 */
#include <string.h>

#include "engine/suggest.h"

unsigned vg_suggest_distance(const char *a, const char *b)
{
    size_t n = strlen(a), m = strlen(b);
    unsigned row[VG_SUGGEST_MAX_LEN + 1];
    if (n > VG_SUGGEST_MAX_LEN || m > VG_SUGGEST_MAX_LEN)
        return VG_SUGGEST_FAR;
    for (size_t j = 0; j <= m; j++)
        row[j] = (unsigned)j;
    for (size_t i = 1; i <= n; i++) {
        unsigned diag = row[0]; /* the distance of a[0..i-1) and b[0..j-1) */
        row[0] = (unsigned)i;
        for (size_t j = 1; j <= m; j++) {
            unsigned up = row[j];
            unsigned best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[m];
}
