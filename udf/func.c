/*
 * func.c — the function table as one: lookup by name, the arity check every
 * call goes through, the markdown reference generated from the entries, and
 * the helpers the fn_*.c files share (argument checks, scratch strings,
 * UTF-8 counting).
 *
 * The entries live in one sub-table per category file, each sorted by name
 * (strcmp order of the upper-case names; the unit test checks it), so a
 * lookup is a binary search per sub-table: no table is built at run time.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "udf/fn_int.h"
#include "udf/func.h"
#include "udf/agg.h"

typedef struct fn_part {
    const vg_func *entries; /* name-sorted */
    const size_t *count;
} fn_part;

static const fn_part parts[] = {
    {vg_fn_string_table, &vg_fn_string_count}, {vg_fn_math_table, &vg_fn_math_count},
    {vg_fn_time_table, &vg_fn_time_count},     {vg_fn_datefmt_table, &vg_fn_datefmt_count},
    {vg_fn_regex_table, &vg_fn_regex_count},   {vg_fn_hash_table, &vg_fn_hash_count},
    {vg_fn_cond_table, &vg_fn_cond_count},     {vg_fn_array_table, &vg_fn_array_count},
};
#define NPARTS (sizeof parts / sizeof parts[0])

/* ---- lookup ---- */

/* strcmp of the upper-cased name against an upper-case table name. */
static int name_cmp(const char *name, const char *entry)
{
    for (;; name++, entry++) {
        int a = toupper((unsigned char)*name), b = (unsigned char)*entry;
        if (a != b || !a)
            return a - b;
    }
}

const void *vg_func_find_name(const void *entries, size_t n, size_t size, const char *name)
{
    const char *base = entries;
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const char *entry = base + mid * size;
        int c = name_cmp(name, *(const char *const *)entry); /* the first member: its name */
        if (c == 0)
            return entry;
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

const vg_func *vg_func_lookup(const char *name)
{
    for (size_t p = 0; p < NPARTS; p++) {
        const vg_func *f =
            vg_func_find_name(parts[p].entries, *parts[p].count, sizeof(vg_func), name);
        if (f)
            return f;
    }
    return NULL;
}

size_t vg_func_count(void)
{
    size_t n = 0;
    for (size_t p = 0; p < NPARTS; p++)
        n += *parts[p].count;
    return n;
}

const vg_func *vg_func_at(size_t i)
{
    for (size_t p = 0; p < NPARTS; p++) {
        if (i < *parts[p].count)
            return &parts[p].entries[i];
        i -= *parts[p].count;
    }
    return NULL;
}

/* ---- checking a call ---- */

static int arity_error(const vg_func *f, vg_fn_bind *b)
{
    unsigned lo = f->min_args, hi = f->max_args, n = b->nargs;
    if (hi == 255 && n > VG_FN_MAXARGS)
        return fn_fail(b, -1, "function %s takes at most %d arguments, got %u", f->name,
                       VG_FN_MAXARGS, n);
    if (hi == 255)
        return fn_fail(b, -1, "function %s takes at least %u argument%s, got %u", f->name, lo,
                       lo == 1 ? "" : "s", n);
    if (lo == hi && lo == 0)
        return fn_fail(b, -1, "function %s takes no arguments, got %u", f->name, n);
    if (lo == hi)
        return fn_fail(b, -1, "function %s takes %u argument%s, got %u", f->name, lo,
                       lo == 1 ? "" : "s", n);
    if (hi == lo + 1)
        return fn_fail(b, -1, "function %s takes %u or %u arguments, got %u", f->name, lo, hi,
                       n);
    return fn_fail(b, -1, "function %s takes %u to %u arguments, got %u", f->name, lo, hi, n);
}

int vg_func_check(const vg_func *f, vg_fn_bind *b)
{
    b->fname = f->name;
    b->eval = f->eval;
    b->bad_arg = -1;
    b->nomem = false;
    b->msg[0] = 0;
    if (b->nargs < f->min_args || (f->max_args != 255 && b->nargs > f->max_args) ||
        b->nargs > VG_FN_MAXARGS)
        return arity_error(f, b);
    return f->check(b);
}

int fn_fail(vg_fn_bind *b, int arg, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(b->msg, sizeof b->msg, fmt, ap);
    va_end(ap);
    b->bad_arg = arg;
    return -1;
}

int fn_type_error(vg_fn_bind *b, uint32_t i, const char *what)
{
    const char *got = vg_type_name(b->argt[i]);
    if (b->nargs == 1)
        return fn_fail(b, (int)i, "function %s expects %s, got %s", b->fname, what, got);
    return fn_fail(b, (int)i, "function %s expects %s for argument %u, got %s", b->fname, what,
                   i + 1, got);
}

static int arg_of(vg_fn_bind *b, uint32_t i, bool ok, const char *what)
{
    return ok || b->argt[i] == VG_T_NULL ? 0 : fn_type_error(b, i, what);
}

int fn_arg_string(vg_fn_bind *b, uint32_t i)
{
    return arg_of(b, i, b->argt[i] == VG_T_STRING, "STRING");
}

int fn_arg_integer(vg_fn_bind *b, uint32_t i)
{
    vg_type t = b->argt[i];
    return arg_of(b, i, t == VG_T_INT || t == VG_T_BIGINT, "an integer");
}

int fn_arg_number(vg_fn_bind *b, uint32_t i)
{
    return arg_of(b, i, vg_type_is_numeric(b->argt[i]), "a number");
}

int fn_arg_double(vg_fn_bind *b, uint32_t i)
{
    if (fn_arg_number(b, i) < 0)
        return -1;
    if (b->argt[i] != VG_T_NULL)
        b->argt[i] = VG_T_DOUBLE;
    return 0;
}

int fn_arg_timestamp(vg_fn_bind *b, uint32_t i)
{
    return arg_of(b, i, b->argt[i] == VG_T_TIMESTAMP, "TIMESTAMP(3)");
}

int fn_arg_bool(vg_fn_bind *b, uint32_t i)
{
    return arg_of(b, i, b->argt[i] == VG_T_BOOL, "BOOLEAN");
}

int fn_check_sig(vg_fn_bind *b, const char *sig, vg_type ret)
{
    static int (*const by_letter[])(vg_fn_bind *, uint32_t) = {
        ['S'] = fn_arg_string, ['I'] = fn_arg_integer,   ['N'] = fn_arg_number,
        ['D'] = fn_arg_double, ['T'] = fn_arg_timestamp, ['B'] = fn_arg_bool,
    };
    size_t n = strlen(sig);
    for (uint32_t i = 0; i < b->nargs; i++) {
        unsigned char c = (unsigned char)sig[i < n ? i : n - 1];
        if (by_letter[c](b, i) < 0)
            return -1;
    }
    b->ret = ret;
    return 0;
}

const vg_value *fn_const_arg(const vg_fn_bind *b, uint32_t i)
{
    const vg_value *v = b->constv[i];
    if (!v || (b->argt[i] != VG_T_STRING && b->argt[i] != VG_T_NULL))
        return NULL;
    return v;
}

int fn_common_type(vg_fn_bind *b, uint32_t from)
{
    vg_type t = VG_T_NULL;
    for (uint32_t i = from; i < b->nargs; i++) {
        vg_type u;
        if (!vg_type_common(t, b->argt[i], &u))
            return fn_fail(b, (int)i, "function %s: no common type for %s and %s", b->fname,
                           vg_type_name(t), vg_type_name(b->argt[i]));
        t = u;
    }
    for (uint32_t i = from; i < b->nargs; i++)
        if (b->argt[i] != VG_T_NULL)
            b->argt[i] = t;
    b->ret = t;
    return 0;
}

/* ---- results ---- */

static char *scratch(vg_fn_ctx *ctx, size_t n)
{
    char *p = vg_arena_alloc(ctx->scratch, n ? n : 1);
    if (!p)
        ctx->failed = 1;
    return p;
}

char *fn_alloc(vg_fn_ctx *ctx, size_t n, vg_value *out)
{
    *out = vg_null();
    return n > FN_MAX_RESULT ? NULL : scratch(ctx, n);
}

bool fn_buf_init(fn_buf *b, vg_fn_ctx *ctx, size_t cap)
{
    b->ctx = ctx;
    b->len = 0;
    b->cap = cap < 16 ? 16 : cap;
    b->toobig = false;
    b->p = scratch(ctx, b->cap);
    return b->p != NULL;
}

bool fn_buf_add(fn_buf *b, const char *s, size_t n)
{
    if (!b->p || b->toobig)
        return false;
    if (n > FN_MAX_RESULT - b->len) {
        b->toobig = true;
        return false;
    }
    if (b->len + n > b->cap) {
        size_t cap = b->cap * 2;
        while (cap < b->len + n)
            cap *= 2;
        char *p = scratch(b->ctx, cap);
        if (!p) {
            b->p = NULL;
            return false;
        }
        memcpy(p, b->p, b->len);
        b->p = p;
        b->cap = cap;
    }
    if (n)
        memcpy(b->p + b->len, s, n);
    b->len += n;
    return true;
}

void fn_buf_finish(fn_buf *b, vg_value *out)
{
    if (b->toobig || !b->p)
        *out = vg_null();
    else
        fn_set_str(out, b->p, b->len);
}

/* ---- UTF-8 ---- */

size_t fn_utf8_count(const char *s, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += !fn_utf8_cont((unsigned char)s[i]);
    return k;
}

size_t fn_utf8_skip(const char *s, size_t n, size_t pos, uint64_t k)
{
    while (pos < n && k > 0) {
        pos++;
        while (pos < n && fn_utf8_cont((unsigned char)s[pos]))
            pos++;
        k--;
    }
    return pos;
}

size_t fn_utf8_back(const char *s, size_t n, uint64_t k)
{
    size_t pos = n;
    while (pos > 0 && k > 0) {
        pos--;
        while (pos > 0 && fn_utf8_cont((unsigned char)s[pos]))
            pos--;
        k--;
    }
    return pos;
}

/* ---- markdown ---- */

static const struct {
    const char *category; /* as in vg_func.category */
    const char *title;    /* section heading */
} sections[] = {
    {"string", "String functions"},     {"math", "Math functions"},
    {"time", "Time functions"},         {"regex", "Regular expressions"},
    {"hash", "Hash functions"},         {"conditional", "Conditional functions"},
    {"collection", "Collection functions"},
};

static const char intro[] =
    "# Built-in functions\n"
    "\n"
    "<!-- Generated from the function table (udf/fn_*.c) by `vigil functions --markdown`;\n"
    "     edit the table, not this file. A unit test checks that they agree. -->\n"
    "\n"
    "vigil's scalar functions follow the built-in functions of Flink SQL: same names,\n"
    "same arguments, same results. Where vigil differs, the function's description says\n"
    "so. Every example below is run by the unit tests and gives the result shown.\n"
    "\n"
    "- **NULL.** Unless a description says otherwise, a function gives NULL when any\n"
    "  argument is NULL. A bare `NULL` is accepted wherever a value is.\n"
    "- **Types.** Where a function takes a wider type than it is given, the argument is\n"
    "  widened implicitly: INT to BIGINT to DOUBLE. Integer functions keep integer\n"
    "  types (`ABS`, `ROUND`, `FLOOR` of a BIGINT give a BIGINT). A type that does not\n"
    "  fit is an error when the query is planned, naming the function and the types.\n"
    "- **Strings** are UTF-8. Lengths and positions count characters (code points), not\n"
    "  bytes; positions start at 1. No function builds a string longer than 16 MiB:\n"
    "  such a result is NULL.\n"
    "- **Errors in data never stop a pipeline.** An integer result that overflows its\n"
    "  type is NULL; math domain errors give IEEE values (`LN(0)` is -Infinity,\n"
    "  `SQRT(-1)` is NaN), which the JSON output writes as null.\n"
    "- **Regular expressions** use PCRE2 syntax (Perl's, very close to Java's). The\n"
    "  pattern must be a constant string: it is compiled once, when the query is\n"
    "  planned, and an invalid pattern is an error then.\n"
    "- **Time** is UTC. A TIMESTAMP(3) is milliseconds since 1970-01-01 00:00:00 UTC\n"
    "  with no time zone; an INTERVAL is a number of milliseconds. Time units are\n"
    "  written as keywords (`EXTRACT(HOUR FROM ts)`).\n";

/* Write s for a markdown table cell: '|' escaped, newlines as spaces. */
static void cell(FILE *out, const char *s, bool code)
{
    if (code)
        fputc('`', out);
    for (; *s; s++) {
        if (*s == '|')
            fputs("\\|", out);
        else
            fputc(*s == '\n' ? ' ' : *s, out);
    }
    if (code)
        fputc('`', out);
}

static void write_section(FILE *out, size_t sec)
{
    const vg_func *list[256];
    size_t n = 0, total = vg_func_count();
    for (size_t i = 0; i < total && n < sizeof list / sizeof list[0]; i++) {
        const vg_func *f = vg_func_at(i);
        if (strcmp(f->category, sections[sec].category) != 0)
            continue;
        size_t j = n++;
        for (; j > 0 && strcmp(list[j - 1]->name, f->name) > 0; j--)
            list[j] = list[j - 1];
        list[j] = f;
    }
    fprintf(out, "\n## %s\n\n", sections[sec].title);
    fputs("| Function | Description | Example | Result |\n", out);
    fputs("|---|---|---|---|\n", out);
    for (size_t i = 0; i < n; i++) {
        fputs("| ", out);
        cell(out, list[i]->synopsis, true);
        fputs(" | ", out);
        cell(out, list[i]->doc, false);
        fputs(" | ", out);
        cell(out, list[i]->example, true);
        fputs(" | ", out);
        cell(out, list[i]->example_result, true);
        fputs(" |\n", out);
    }
}

int vg_func_write_markdown(FILE *out)
{
    fputs(intro, out);
    for (size_t s = 0; s < sizeof sections / sizeof sections[0]; s++)
        write_section(out, s);
    /* the aggregates (OVER, window and GROUP BY) follow, from their own table */
    fputc('\n', out);
    if (vg_agg_write_markdown(out) < 0)
        return -1;
    return fflush(out) == 0 && !ferror(out) ? 0 : -1;
}
