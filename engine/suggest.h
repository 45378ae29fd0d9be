/*
 * suggest.h — the distance behind "did you mean ...?" hints.
 *
 * An unknown column in SQL and an unknown key in pipeline.yaml are
 * answered with the nearest known name when it is a typo away. Both ask
 * this one function how far apart two names are.
 */
#ifndef VG_SUGGEST_H
#define VG_SUGGEST_H

/* Levenshtein distance between a and b (insertions, deletions and
 * substitutions of bytes, each costing 1; case counts). Names of more than
 * VG_SUGGEST_MAX_LEN bytes are never suggested: the answer is then
 * VG_SUGGEST_FAR. Allocates nothing. */
#define VG_SUGGEST_MAX_LEN 64
#define VG_SUGGEST_FAR 99u
unsigned vg_suggest_distance(const char *a, const char *b);

#endif
