/*
 * test_suggest.c — the edit distance behind "did you mean" hints.
 */
#include <string.h>

#include "engine/suggest.h"
#include "tests/unit/check.h"

static void test_edits(void)
{
    CHECK_INT(vg_suggest_distance("", ""), 0);
    CHECK_INT(vg_suggest_distance("card_id", "card_id"), 0);
    CHECK_INT(vg_suggest_distance("", "abc"), 3);
    CHECK_INT(vg_suggest_distance("abc", ""), 3);
    CHECK_INT(vg_suggest_distance("card_di", "card_id"), 2);  /* a swap is two edits */
    CHECK_INT(vg_suggest_distance("crd_id", "card_id"), 1);   /* insertion */
    CHECK_INT(vg_suggest_distance("caard_id", "card_id"), 1); /* deletion */
    CHECK_INT(vg_suggest_distance("cord_id", "card_id"), 1);  /* substitution */
    CHECK_INT(vg_suggest_distance("kitten", "sitting"), 3);
    CHECK_INT(vg_suggest_distance("Card_id", "card_id"), 1); /* case counts */
}

static void test_long_names(void)
{
    char a[VG_SUGGEST_MAX_LEN + 2], b[VG_SUGGEST_MAX_LEN + 2];
    memset(a, 'x', VG_SUGGEST_MAX_LEN);
    a[VG_SUGGEST_MAX_LEN] = '\0';
    memcpy(b, a, sizeof a);
    b[0] = 'y';
    CHECK_INT(vg_suggest_distance(a, b), 1); /* the longest name still measured */
    a[VG_SUGGEST_MAX_LEN] = 'x';
    a[VG_SUGGEST_MAX_LEN + 1] = '\0';
    CHECK_INT(vg_suggest_distance(a, b), VG_SUGGEST_FAR);
    CHECK_INT(vg_suggest_distance(b, a), VG_SUGGEST_FAR);
}

int main(void)
{
    RUN(test_edits);
    RUN(test_long_names);
    return CHECK_DONE();
}
