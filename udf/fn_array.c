/*
 * fn_array.c — collection functions over ARRAY<DOUBLE>: the ARRAY[...]
 * constructor, element access a[i] and CARDINALITY.
 *
 * The parser turns the array syntax into calls of this table (func.h):
 * ARRAY[e1, e2] is ARRAY(e1, e2) and a[i] is ITEM(a, i), Calcite's name for
 * the operator, so the binder types them like any call and EXPLAIN writes
 * them back as the syntax (engine/expr_sql.c).
 *
 * Element access follows Flink (ScalarOperatorGens.generateArrayElementAt):
 * elements are numbered from 1; a constant index below 1 is an error when
 * the query is planned; at run time an index outside 1..CARDINALITY(a), a
 * NULL index or a NULL array gives NULL.
 */
#include "udf/fn_int.h"

/* ---- ARRAY[e1, e2, ...] ---- */

static int ck_array(vg_fn_bind *b)
{
    for (uint32_t i = 0; i < b->nargs; i++) {
        vg_type t = b->argt[i];
        if (t != VG_T_NULL && !vg_type_is_numeric(t))
            return fn_fail(b, (int)i, "ARRAY elements must be numbers (vigil has ARRAY<DOUBLE>), "
                           "got %s", vg_type_name(t));
        if (t != VG_T_NULL)
            b->argt[i] = VG_T_DOUBLE;
    }
    b->ret = VG_T_ARRAY;
    return 0;
}

/* Not strict: a NULL argument is a NULL element. */
static void ev_array(vg_fn_ctx *ctx, const vg_value *a, uint32_t n, vg_value *out)
{
    double *d = vg_array_new(ctx->scratch, n, out);
    if (!d) {
        ctx->failed = 1;
        return;
    }
    uint8_t *nulls = (uint8_t *)(d + n);
    for (uint32_t i = 0; i < n; i++) {
        nulls[i] = a[i].null;
        d[i] = a[i].null ? 0.0 : a[i].u.d;
    }
}

/* ---- CARDINALITY(a) ---- */

/* Argument i must be an ARRAY (or a NULL literal). */
static int arg_array(vg_fn_bind *b, uint32_t i, const char *what)
{
    vg_type t = b->argt[i];
    if (t == VG_T_ARRAY || t == VG_T_NULL)
        return 0;
    return fn_fail(b, (int)i, "%s expects ARRAY<DOUBLE>, got %s", what, vg_type_name(t));
}

static int ck_cardinality(vg_fn_bind *b)
{
    if (arg_array(b, 0, "function CARDINALITY") < 0)
        return -1;
    b->ret = VG_T_INT;
    return 0;
}

static void ev_cardinality(vg_fn_ctx *ctx, const vg_value *a, uint32_t n, vg_value *out)
{
    (void)ctx, (void)n;
    *out = vg_int(a[0].len);
}

/* ---- a[i] ---- */

static int ck_item(vg_fn_bind *b)
{
    if (b->argt[0] != VG_T_ARRAY && b->argt[0] != VG_T_NULL)
        return fn_fail(b, 0, "cannot access an element of %s: only an ARRAY has elements",
                       vg_type_name(b->argt[0]));
    vg_type t = b->argt[1];
    if (t != VG_T_INT && t != VG_T_BIGINT && t != VG_T_NULL)
        return fn_fail(b, 1, "array index must be an integer, got %s", vg_type_name(t));
    const vg_value *c = b->constv[1];
    if (c && !c->null && c->u.i < 1)
        return fn_fail(b, 1, "array index must be 1 or more (elements are numbered from 1), "
                       "got %lld", (long long)c->u.i);
    b->ret = VG_T_DOUBLE;
    return 0;
}

static void ev_item(vg_fn_ctx *ctx, const vg_value *a, uint32_t n, vg_value *out)
{
    (void)ctx, (void)n;
    int64_t i = a[1].u.i;
    if (i < 1 || i > (int64_t)a[0].len || vg_array_nulls(&a[0])[i - 1])
        *out = vg_null();
    else
        *out = vg_double(vg_array_elems(&a[0])[i - 1]);
}

/* ---- the table ---- */

#define S VG_FN_STRICT

/* clang-format off */
const vg_func vg_fn_array_table[] = {
    {"ARRAY", 1, 255, 0, ck_array, NULL, NULL, ev_array, "collection",
     "ARRAY[e1, e2, ...]",
     "An ARRAY<DOUBLE> of the values, in order (numbers, widened to DOUBLE; at most 16). A "
     "NULL value is a NULL element; the array itself is never NULL.",
     "ARRAY[0.25, 1, NULL]", "[0.25, 1.0, NULL]"},
    {"CARDINALITY", 1, 1, S, ck_cardinality, NULL, NULL, ev_cardinality, "collection",
     "CARDINALITY(a)",
     "The number of elements of array a, as an INT (NULL elements count). NULL if a is NULL.",
     "CARDINALITY(ARRAY[0.2, 0.8])", "2"},
    {"ITEM", 2, 2, S, ck_item, NULL, NULL, ev_item, "collection",
     "a[i]",
     "Element i of array a, as a DOUBLE; elements are numbered from 1, as in Flink. NULL if a "
     "or i is NULL, if i is below 1 or above CARDINALITY(a), or if the element is NULL. A "
     "constant i below 1 is an error.",
     "ARRAY[0.2, 0.8][2]", "0.8"},
};
/* clang-format on */
const size_t vg_fn_array_count = sizeof vg_fn_array_table / sizeof vg_fn_array_table[0];
