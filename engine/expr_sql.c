/*
 * expr_sql.c — SQL-like text of a compiled expression, for EXPLAIN.
 *
 * The text reads back as the SQL it came from, after binding: every
 * operator application is parenthesised, implicit casts are shown as CAST,
 * constants are folded, and columns are named from the input schema.
 * EXPLAIN output is compared verbatim by tests, so the forms here are part
 * of that contract: keep them stable.
 */
#include <stdio.h>
#include <string.h>

#include "engine/buf.h"
#include "engine/expr_int.h"

static int put_sql(vg_buf *b, const vg_expr *e, const char *const *names);

bool vg_expr_ident_plain(const char *name)
{
    if (!name[0] || (name[0] >= '0' && name[0] <= '9') || name[0] == '$')
        return false;
    for (const char *c = name; *c; c++)
        if (!((*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') ||
              *c == '_' || *c == '$'))
            return false;
    return true;
}

/* A name as an identifier: as is when plain, else back-quoted. */
static int put_ident(vg_buf *b, const char *name)
{
    bool plain = vg_expr_ident_plain(name);
    if (plain)
        return vg_buf_puts(b, name);
    int rc = vg_buf_putc(b, '`');
    for (const char *c = name; *c; c++)
        rc |= *c == '`' ? vg_buf_puts(b, "``") : vg_buf_putc(b, *c);
    return rc | vg_buf_putc(b, '`');
}

/* A string literal with '' for each quote. */
static int put_quoted(vg_buf *b, const char *s, uint32_t n)
{
    int rc = vg_buf_putc(b, '\'');
    for (uint32_t i = 0; i < n; i++)
        rc |= s[i] == '\'' ? vg_buf_puts(b, "''") : vg_buf_putc(b, s[i]);
    return rc | vg_buf_putc(b, '\'');
}

/* INTERVAL '5' SECOND: the largest unit the value is a whole number of. */
static int put_interval(vg_buf *b, int64_t ms)
{
    static const struct {
        int64_t ms;
        const char *name;
    } units[] = {{86400000, "DAY"}, {3600000, "HOUR"}, {60000, "MINUTE"}, {1000, "SECOND"}};
    uint64_t a = ms < 0 ? (uint64_t)0 - (uint64_t)ms : (uint64_t)ms;
    const char *sign = ms < 0 ? "-" : "";
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (a != 0 && a % (uint64_t)units[i].ms == 0)
            return vg_buf_printf(b, "INTERVAL '%s%llu' %s", sign,
                                 (unsigned long long)(a / (uint64_t)units[i].ms), units[i].name);
    char frac[8];
    snprintf(frac, sizeof frac, "%03u", (unsigned)(a % 1000));
    for (int i = 2; i > 0 && frac[i] == '0'; i--)
        frac[i] = 0;
    if (a == 0)
        return vg_buf_puts(b, "INTERVAL '0' SECOND");
    return vg_buf_printf(b, "INTERVAL '%s%llu.%s' SECOND", sign, (unsigned long long)(a / 1000),
                         frac);
}

static int put_double(vg_buf *b, double d)
{
    char buf[48];
    vg_double_format(d, buf);
    if (strcmp(buf, "null") == 0)
        return vg_buf_printf(b, "CAST('%s' AS DOUBLE)",
                             d != d ? "NaN" : d > 0 ? "Infinity" : "-Infinity");
    return vg_buf_puts(b, buf);
}

/* ARRAY[e1, e2, ...] of a constant array. */
static int put_array(vg_buf *b, const vg_value *v)
{
    const uint8_t *nulls = vg_array_nulls(v);
    int rc = vg_buf_puts(b, "ARRAY[");
    for (uint32_t i = 0; i < v->len; i++) {
        rc |= i ? vg_buf_puts(b, ", ") : 0;
        rc |= nulls[i] ? vg_buf_puts(b, "NULL") : put_double(b, vg_array_elems(v)[i]);
    }
    return rc | vg_buf_putc(b, ']');
}

static int put_const(vg_buf *b, vg_type t, const vg_value *v)
{
    char buf[48];
    if (v->null)
        return t == VG_T_NULL ? vg_buf_puts(b, "NULL")
                              : vg_buf_printf(b, "CAST(NULL AS %s)", vg_type_name(t));
    switch (t) {
    case VG_T_BOOL:
        return vg_buf_puts(b, v->u.i ? "TRUE" : "FALSE");
    case VG_T_DOUBLE:
        return put_double(b, v->u.d);
    case VG_T_ARRAY:
        return put_array(b, v);
    case VG_T_STRING:
        return put_quoted(b, v->u.s, v->len);
    case VG_T_TIMESTAMP:
        vg_cast_ts_text(v->u.i, buf);
        return vg_buf_printf(b, "TIMESTAMP '%s'", buf);
    case VG_T_INTERVAL:
        return put_interval(b, v->u.i);
    default:
        return vg_buf_printf(b, "%lld", (long long)v->u.i);
    }
}

/* args[from..to) separated by ", ". */
static int put_list(vg_buf *b, const vg_expr *e, uint32_t from, uint32_t to,
                    const char *const *names)
{
    int rc = 0;
    for (uint32_t i = from; i < to; i++) {
        if (i > from)
            rc |= vg_buf_puts(b, ", ");
        rc |= put_sql(b, e->args[i], names);
    }
    return rc;
}

static const char *const is_names[] = {"NULL", "TRUE", "FALSE", "UNKNOWN"};

static int put_case(vg_buf *b, const vg_expr *e, const char *const *names)
{
    uint32_t i = 0, end = e->nargs - ((e->flags & VG_XF_ELSE) ? 1 : 0);
    int rc = vg_buf_puts(b, "CASE");
    if (e->flags & VG_XF_OPERAND) {
        rc |= vg_buf_putc(b, ' ');
        rc |= put_sql(b, e->args[i++], names);
    }
    for (; i + 1 < end; i += 2) {
        rc |= vg_buf_puts(b, " WHEN ");
        rc |= put_sql(b, e->args[i], names);
        rc |= vg_buf_puts(b, " THEN ");
        rc |= put_sql(b, e->args[i + 1], names);
    }
    if (e->flags & VG_XF_ELSE) {
        rc |= vg_buf_puts(b, " ELSE ");
        rc |= put_sql(b, e->args[e->nargs - 1], names);
    }
    return rc | vg_buf_puts(b, " END");
}

/* A call as written: f(args), and the array syntax that is made of calls
 * (udf/fn_array.c): ARRAY[args], a[i]. */
static int put_call(vg_buf *b, const vg_expr *e, const char *const *names)
{
    const char *name = e->u.call.fn->name;
    int rc = 0;
    if (strcmp(name, "ITEM") == 0 && e->nargs == 2) {
        rc |= put_sql(b, e->args[0], names);
        rc |= vg_buf_putc(b, '[');
        rc |= put_sql(b, e->args[1], names);
        return rc | vg_buf_putc(b, ']');
    }
    bool array = strcmp(name, "ARRAY") == 0;
    rc |= vg_buf_printf(b, "%s%c", name, array ? '[' : '(');
    rc |= put_list(b, e, 0, e->nargs, names);
    return rc | vg_buf_putc(b, array ? ']' : ')');
}

static int put_sql(vg_buf *b, const vg_expr *e, const char *const *names)
{
    const char *not_ = (e->flags & VG_XF_NEGATED) ? "NOT " : "";
    int rc = 0;
    switch ((vg_expr_kind)e->kind) {
    case VG_XK_CONST:
        return put_const(b, e->type, &e->u.value);
    case VG_XK_COLUMN:
        return names ? put_ident(b, names[e->u.slot]) : vg_buf_printf(b, "$%u", e->u.slot);
    case VG_XK_CAST:
        rc |= vg_buf_puts(b, (e->flags & VG_XF_TRY) ? "TRY_CAST(" : "CAST(");
        rc |= put_sql(b, e->args[0], names);
        return rc | vg_buf_printf(b, " AS %s)", vg_type_name(e->type));
    case VG_XK_UNARY:
        rc |= vg_buf_puts(b, e->op == VG_XOP_NOT ? "(NOT " : "(-");
        rc |= put_sql(b, e->args[0], names);
        return rc | vg_buf_putc(b, ')');
    case VG_XK_BINARY:
        rc |= vg_buf_putc(b, '(');
        rc |= put_sql(b, e->args[0], names);
        rc |= vg_buf_printf(b, " %s ", vg_expr_op_name((vg_expr_op)e->op));
        rc |= put_sql(b, e->args[1], names);
        return rc | vg_buf_putc(b, ')');
    case VG_XK_IS:
        rc |= vg_buf_putc(b, '(');
        rc |= put_sql(b, e->args[0], names);
        return rc | vg_buf_printf(b, " IS %s%s)", not_, is_names[e->op & 3]);
    case VG_XK_IN:
        rc |= vg_buf_putc(b, '(');
        rc |= put_sql(b, e->args[0], names);
        rc |= vg_buf_printf(b, " %sIN (", not_);
        rc |= put_list(b, e, 1, e->nargs, names);
        return rc | vg_buf_puts(b, "))");
    case VG_XK_BETWEEN:
        rc |= vg_buf_putc(b, '(');
        rc |= put_sql(b, e->args[0], names);
        rc |= vg_buf_printf(b, " %sBETWEEN %s", not_,
                            (e->flags & VG_XF_SYMMETRIC) ? "SYMMETRIC " : "");
        rc |= put_sql(b, e->args[1], names);
        rc |= vg_buf_puts(b, " AND ");
        rc |= put_sql(b, e->args[2], names);
        return rc | vg_buf_putc(b, ')');
    case VG_XK_LIKE:
        rc |= vg_buf_putc(b, '(');
        rc |= put_sql(b, e->args[0], names);
        rc |= vg_buf_printf(b, " %sLIKE ", not_);
        rc |= put_sql(b, e->args[1], names);
        if (e->nargs > 2) {
            rc |= vg_buf_puts(b, " ESCAPE ");
            rc |= put_sql(b, e->args[2], names);
        }
        return rc | vg_buf_putc(b, ')');
    case VG_XK_CASE:
        return put_case(b, e, names);
    case VG_XK_CALL:
        return put_call(b, e, names);
    }
    return -1;
}

char *vg_expr_to_sql(const vg_expr *e, const char *const *names, vg_arena *a)
{
    vg_buf b;
    vg_buf_init(&b, VG_MEM_EXPR);
    char *s = NULL;
    if (put_sql(&b, e, names) == 0)
        s = vg_arena_strndup(a, b.len ? b.p : "", b.len);
    vg_buf_free(&b);
    return s;
}
