/*
 * cast.h — the table of conversions between SQL types (CAST, TRY_CAST and
 * the implicit casts the binder inserts).
 *
 * Which pairs may be cast follows Flink's casting matrix (docs, "Data Types
 * / Casting"), restricted to vigil's types:
 *
 *   from \ to   BOOLEAN INT BIGINT DOUBLE STRING TIMESTAMP INTERVAL
 *   BOOLEAN        Y     Y    Y      Y      Y       -         -
 *   INT            Y     Y    Y      Y      Y       -         -
 *   BIGINT         Y     Y    Y      Y      Y       -         Y (ms)
 *   DOUBLE         -     Y    Y      Y      Y       -         -
 *   STRING         Y     Y    Y      Y      Y       Y         -
 *   TIMESTAMP      -     -    -      -      Y       Y         -
 *   INTERVAL       -     -    Y      -      Y       -         Y
 *   ARRAY<DOUBLE>  -     -    -      -      Y       -         -
 *
 * (ARRAY<DOUBLE> to STRING writes "[0.1, NULL, 3.0]", as Flink does.)
 * (Flink allows no numeric <-> TIMESTAMP cast: use TO_TIMESTAMP. INT <->
 * INTERVAL is a year-month interval in Flink, which vigil does not have.)
 * A NULL of any type casts to any type.
 *
 * A value that does not convert at run time (CAST('abc' AS INT), a DOUBLE
 * out of INT's range) gives NULL, for CAST as for TRY_CAST: Flink's CAST
 * fails the job there, but vigil never stops a stream for one row.
 */
#ifndef VG_CAST_H
#define VG_CAST_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/alloc.h"
#include "engine/value.h"

/* Convert the non-NULL value in to the target type, into *out (which is a
 * NULL value when in does not convert). Strings made by the conversion go
 * to scratch. Returns 0, or -1 when scratch allocation failed (*out is NULL
 * then). */
typedef int (*vg_cast_fn)(const vg_value *in, vg_value *out, vg_arena *scratch);

/* The conversion from one type to another, or NULL when the pair may not be
 * cast. from == to gives the identity; from == VG_T_NULL gives NULL (the
 * caller handles NULL values before calling any conversion). */
vg_cast_fn vg_cast_find(vg_type from, vg_type to);
/* Whether CAST(x AS to) is allowed for an x of type from (NULL: always). */
bool vg_cast_allowed(vg_type from, vg_type to);
/* Whether the binder may insert the cast without being asked (widening:
 * INT -> BIGINT -> DOUBLE, NULL -> anything, a type to itself). */
bool vg_cast_implicit(vg_type from, vg_type to);

/* Text of a timestamp as CAST(ts AS STRING) writes it, Flink's
 * "yyyy-MM-dd HH:mm:ss.SSS"; buf of at least 32 bytes; returns the length. */
int vg_cast_ts_text(int64_t ms, char *buf);
/* Text of a day-time interval as Flink writes it, "+d hh:mm:ss.SSS"
 * ("+0 00:00:05.000"); buf of at least 40 bytes; returns the length. */
int vg_cast_interval_text(int64_t ms, char *buf);

#endif
