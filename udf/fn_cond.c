/*
 * fn_cond.c — conditional functions: COALESCE, IFNULL, NULLIF, IF,
 * GREATEST, LEAST.
 *
 * Their arguments are unified to one common type (vg_type_common: INT and
 * BIGINT widen to BIGINT, integers and DOUBLE to DOUBLE) and the binder
 * casts them; the result has that type. COALESCE, IFNULL, NULLIF and IF
 * look at NULLs themselves, so they are not strict. Comparisons (NULLIF,
 * GREATEST, LEAST) need the type, so check picks the evaluator for it.
 */
#include "udf/fn_int.h"

/* ---- COALESCE, IFNULL, IF ---- */

static void ev_coalesce(vg_fn_ctx *ctx, const vg_value *a, uint32_t n, vg_value *out)
{
    (void)ctx;
    *out = vg_null();
    for (uint32_t i = 0; i < n; i++) {
        if (!a[i].null) {
            *out = a[i];
            return;
        }
    }
}

static int ck_coalesce(vg_fn_bind *b)
{
    return fn_common_type(b, 0);
}

/* IF(cond, a, b): a when cond is TRUE, b when it is FALSE or NULL. */
static void ev_if(vg_fn_ctx *ctx, const vg_value *a, uint32_t n, vg_value *out)
{
    (void)ctx, (void)n;
    *out = !a[0].null && a[0].u.i ? a[1] : a[2];
}

static int ck_if(vg_fn_bind *b)
{
    return fn_arg_bool(b, 0) < 0 ? -1 : fn_common_type(b, 1);
}

/* ---- comparisons, by type ---- */

#define CMP_FNS(suffix, type)                                                                 \
    static int cmp_##suffix(const vg_value *x, const vg_value *y)                             \
    {                                                                                         \
        return vg_value_cmp(type, x, y);                                                      \
    }

CMP_FNS(i, VG_T_BIGINT)
CMP_FNS(d, VG_T_DOUBLE)
CMP_FNS(s, VG_T_STRING)

/* NULLIF equality is SQL '=': for DOUBLE, NaN is not equal to itself. */
static bool same_d(const vg_value *x, const vg_value *y)
{
    return x->u.d == y->u.d;
}

static bool same_i(const vg_value *x, const vg_value *y)
{
    return cmp_i(x, y) == 0;
}

static bool same_s(const vg_value *x, const vg_value *y)
{
    return cmp_s(x, y) == 0;
}

/* NULLIF(a, b): NULL when a equals b, else a. */
#define NULLIF_FN(suffix)                                                                     \
    static void ev_nullif_##suffix(vg_fn_ctx *ctx, const vg_value *a, uint32_t n,             \
                                   vg_value *out)                                            \
    {                                                                                         \
        (void)ctx, (void)n;                                                                   \
        *out = !a[0].null && !a[1].null && same_##suffix(&a[0], &a[1]) ? vg_null() : a[0];    \
    }

NULLIF_FN(i)
NULLIF_FN(d)
NULLIF_FN(s)

/* GREATEST / LEAST: strict, so no argument is NULL here. For DOUBLE, NaN is
 * greater than every number (Java's Double.compare). */
#define EXTREME_FN(name, suffix, sign)                                                        \
    static void ev_##name##_##suffix(vg_fn_ctx *ctx, const vg_value *a, uint32_t n,           \
                                     vg_value *out)                                          \
    {                                                                                         \
        (void)ctx;                                                                            \
        const vg_value *best = &a[0];                                                         \
        for (uint32_t i = 1; i < n; i++)                                                      \
            if (sign * cmp_##suffix(&a[i], best) > 0)                                         \
                best = &a[i];                                                                 \
        *out = *best;                                                                         \
    }

EXTREME_FN(greatest, i, 1)
EXTREME_FN(greatest, d, 1)
EXTREME_FN(greatest, s, 1)
EXTREME_FN(least, i, -1)
EXTREME_FN(least, d, -1)
EXTREME_FN(least, s, -1)

/* Evaluators by the type compared: integer-like (BOOLEAN, INT, BIGINT,
 * TIMESTAMP, INTERVAL are all .i), DOUBLE, STRING. */
typedef struct typed_evals {
    vg_fn_eval_fn i, d, s;
} typed_evals;

static int pick_typed(vg_fn_bind *b, const typed_evals *e)
{
    if (fn_common_type(b, 0) < 0)
        return -1;
    if (b->ret == VG_T_ARRAY) /* arrays have no order, and '=' on them is not supported */
        return fn_fail(b, 0, "function %s cannot compare ARRAY<DOUBLE> values", b->fname);
    b->eval = b->ret == VG_T_DOUBLE ? e->d : b->ret == VG_T_STRING ? e->s : e->i;
    return 0;
}

static const typed_evals nullif_evals = {ev_nullif_i, ev_nullif_d, ev_nullif_s};
static const typed_evals greatest_evals = {ev_greatest_i, ev_greatest_d, ev_greatest_s};
static const typed_evals least_evals = {ev_least_i, ev_least_d, ev_least_s};

static int ck_nullif(vg_fn_bind *b)
{
    return pick_typed(b, &nullif_evals);
}

static int ck_greatest(vg_fn_bind *b)
{
    return pick_typed(b, &greatest_evals);
}

static int ck_least(vg_fn_bind *b)
{
    return pick_typed(b, &least_evals);
}

/* clang-format off */
const vg_func vg_fn_cond_table[] = {
    {"COALESCE", 1, 255, 0, ck_coalesce, NULL, NULL, ev_coalesce, "conditional",
     "COALESCE(a, b, ...)",
     "The first argument that is not NULL; NULL when all are. The result has the common type "
     "of the arguments (INT and BIGINT give BIGINT, a number and a DOUBLE give DOUBLE); "
     "arguments without one (STRING and BIGINT) are an error.",
     "COALESCE(NULL, 'default')", "'default'"},
    {"GREATEST", 1, 255, VG_FN_STRICT, ck_greatest, NULL, NULL, NULL, "conditional",
     "GREATEST(a, b, ...)",
     "The greatest argument, in their common type; strings compare by bytes (UTF-8 code point "
     "order). NULL if any argument is NULL, as in Flink.",
     "GREATEST(3, 7.5, -1)", "7.5"},
    {"IF", 3, 3, 0, ck_if, NULL, NULL, ev_if, "conditional",
     "IF(cond, a, b)",
     "a when cond is TRUE, b when it is FALSE or NULL; the result has the common type of a "
     "and b.",
     "IF(FALSE, 'yes', 'no')", "'no'"},
    {"IFNULL", 2, 2, 0, ck_coalesce, NULL, NULL, ev_coalesce, "conditional",
     "IFNULL(a, b)", "a when it is not NULL, else b; the result has the common type of a and b.",
     "IFNULL(NULL, 5)", "5"},
    {"LEAST", 1, 255, VG_FN_STRICT, ck_least, NULL, NULL, NULL, "conditional",
     "LEAST(a, b, ...)",
     "The least argument, in their common type; strings compare by bytes (UTF-8 code point "
     "order). NULL if any argument is NULL, as in Flink.",
     "LEAST('pear', 'apple', 'fig')", "'apple'"},
    {"NULLIF", 2, 2, 0, ck_nullif, NULL, NULL, NULL, "conditional",
     "NULLIF(a, b)",
     "NULL when a equals b, else a, in the common type of a and b. NULL if a is NULL; a when "
     "b is NULL.",
     "NULLIF(5, 5)", "NULL"},
};
/* clang-format on */
const size_t vg_fn_cond_count = sizeof vg_fn_cond_table / sizeof vg_fn_cond_table[0];
