/*
 * agg.c — the aggregate function table as one: lookup, binding a call, the
 * operations operators use (which apply NULL skipping and DISTINCT in front
 * of every aggregate), the value hash map and snapshot byte helpers the
 * aggregates share, and the markdown reference.
 *
 * DISTINCT puts a hash map of value counts in front of the aggregate: the
 * aggregate sees a value added when its count goes from 0 to 1 and
 * retracted when it goes back to 0. The map sits at the start of the state
 * block and the aggregate's own state follows it.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "engine/alloc.h"
#include "udf/agg.h"
#include "udf/agg_int.h"
#include "udf/func.h"

#define SNAPSHOT_VERSION 1
/* Bytes of DISTINCT's map at the start of a state block (8-aligned). */
#define DISTINCT_HDR ((sizeof(agg_hmap) + 7) & ~(size_t)7)

typedef struct agg_part {
    const vg_agg *entries; /* name-sorted */
    const size_t *count;
} agg_part;

static const agg_part parts[] = {
    {vg_agg_basic_table, &vg_agg_basic_count},
    {vg_agg_minmax_table, &vg_agg_minmax_count},
};
#define NPARTS (sizeof parts / sizeof parts[0])

/* ---- lookup ---- */

const vg_agg *vg_agg_lookup(const char *name)
{
    for (size_t p = 0; p < NPARTS; p++) {
        const vg_agg *f =
            vg_func_find_name(parts[p].entries, *parts[p].count, sizeof(vg_agg), name);
        if (f)
            return f;
    }
    return NULL;
}

size_t vg_agg_count(void)
{
    size_t n = 0;
    for (size_t p = 0; p < NPARTS; p++)
        n += *parts[p].count;
    return n;
}

const vg_agg *vg_agg_at(size_t i)
{
    for (size_t p = 0; p < NPARTS; p++) {
        if (i < *parts[p].count)
            return &parts[p].entries[i];
        i -= *parts[p].count;
    }
    return NULL;
}

/* ---- checking and binding a call ---- */

int agg_fail(vg_agg_bind *b, int arg, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(b->msg, sizeof b->msg, fmt, ap);
    va_end(ap);
    b->bad_arg = arg;
    return -1;
}

static int untyped_null(vg_agg_bind *b, const char *name)
{
    return agg_fail(b, 0, "%s cannot take an untyped NULL; write CAST(NULL AS type)", name);
}

int agg_check_numeric(vg_agg_bind *b, const char *name)
{
    vg_type t = b->argt[0];
    if (t == VG_T_NULL)
        return untyped_null(b, name);
    if (!vg_type_is_numeric(t))
        return agg_fail(b, 0, "%s expects a numeric argument, got %s", name, vg_type_name(t));
    b->ret = t;
    return 0;
}

int agg_check_any(vg_agg_bind *b, const char *name)
{
    if (b->argt[0] == VG_T_NULL)
        return untyped_null(b, name);
    b->ret = b->argt[0];
    return 0;
}

static int arity_error(const vg_agg *a, vg_agg_bind *b)
{
    unsigned lo = a->min_args, hi = a->max_args, n = b->nargs;
    if (lo == hi)
        return agg_fail(b, -1, "function %s takes %u argument%s, got %u", a->name, lo,
                        lo == 1 ? "" : "s", n);
    return agg_fail(b, -1, "function %s takes %u to %u arguments, got %u", a->name, lo, hi, n);
}

int vg_agg_bind_call(const vg_agg *a, vg_agg_bind *b, vg_agg_call *call)
{
    b->bad_arg = -1;
    b->msg[0] = 0;
    bool star = b->nargs == 0 && a->count_star;
    if (!star && (b->nargs < a->min_args || b->nargs > a->max_args || b->nargs > VG_AGG_MAXARGS))
        return arity_error(a, b);
    if (star && b->distinct)
        return agg_fail(b, -1, "%s(DISTINCT *) is not allowed: DISTINCT needs an argument",
                        a->name);
    if (a->check(b) < 0)
        return -1;
    memset(call, 0, sizeof *call);
    call->agg = a;
    call->nargs = b->nargs;
    for (uint32_t i = 0; i < b->nargs; i++)
        call->argt[i] = b->argt[i];
    call->ret = b->ret;
    call->distinct = b->distinct && !a->dup_insensitive;
    call->fifo = b->fifo && !call->distinct;
    size_t own = (a->state_size(call) + 7) & ~(size_t)7;
    call->state_size = own + (call->distinct ? DISTINCT_HDR : 0);
    return 0;
}

/* ---- value keys and the hash map ---- */

uint64_t agg_key_of(vg_type t, const vg_value *v)
{
    uint64_t k = 0;
    if (t == VG_T_DOUBLE)
        memcpy(&k, &v->u.d, sizeof k);
    else if (t == VG_T_STRING)
        k = (uint64_t)(uintptr_t)v->u.s;
    else
        k = (uint64_t)v->u.i;
    return k;
}

vg_value agg_key_value(vg_type t, uint64_t key, uint32_t len)
{
    if (t == VG_T_STRING)
        return vg_str((const char *)(uintptr_t)key, len);
    if (t == VG_T_DOUBLE) {
        double d;
        memcpy(&d, &key, sizeof d);
        return vg_double(d);
    }
    return vg_int((int64_t)key);
}

static uint64_t mix64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xFF51AFD7ED558CCDull;
    x ^= x >> 33;
    x *= 0xC4CEB9FE1A85EC53ull;
    x ^= x >> 33;
    return x;
}

/* A hash consistent with vg_value_cmp equality; never 0. */
static uint32_t hash_value(vg_type t, const vg_value *v)
{
    uint64_t h;
    if (t == VG_T_STRING) {
        h = 0x9E3779B97F4A7C15ull ^ v->len;
        size_t i = 0;
        for (; i + 8 <= v->len; i += 8) {
            uint64_t w;
            memcpy(&w, v->u.s + i, 8);
            h = mix64(h ^ w);
        }
        uint64_t tail = 0;
        if (i < v->len)
            memcpy(&tail, v->u.s + i, v->len - i);
        h = mix64(h ^ tail);
    } else if (t == VG_T_DOUBLE) {
        double d = v->u.d == 0 ? 0.0 : v->u.d; /* -0.0 is 0.0 */
        uint64_t bits = 0x7FF8000000000000ull; /* every NaN is one key */
        if (!isnan(d))
            memcpy(&bits, &d, sizeof bits);
        h = mix64(bits);
    } else {
        h = mix64((uint64_t)v->u.i);
    }
    uint32_t r = (uint32_t)(h >> 32);
    return r ? r : 1;
}

static bool key_equals(vg_type t, const agg_hent *e, const vg_value *v)
{
    if (t == VG_T_STRING)
        return e->len == v->len &&
               (v->len == 0 || memcmp((const char *)(uintptr_t)e->key, v->u.s, v->len) == 0);
    if (t == VG_T_DOUBLE) {
        vg_value k = agg_hent_value(t, e);
        return vg_value_cmp(t, &k, v) == 0;
    }
    return (int64_t)e->key == v->u.i;
}

void agg_hmap_init(agg_hmap *h) { memset(h, 0, sizeof *h); }

void agg_hmap_clear(agg_hmap *h, vg_type t)
{
    if (t == VG_T_STRING)
        for (uint32_t i = 0; i < h->cap; i++)
            if (h->slots[i].hash)
                vg_free((void *)(uintptr_t)h->slots[i].key);
    vg_free(h->slots);
    agg_hmap_init(h);
}

agg_hent *agg_hmap_find(const agg_hmap *h, vg_type t, const vg_value *v)
{
    if (!h->n)
        return NULL;
    uint32_t hash = hash_value(t, v), mask = h->cap - 1;
    for (uint32_t i = hash & mask;; i = (i + 1) & mask) {
        agg_hent *e = &h->slots[i];
        if (!e->hash)
            return NULL;
        if (e->hash == hash && key_equals(t, e, v))
            return e;
    }
}

/* Move every entry into a fresh table of cap slots. 0 or -1 (unchanged). */
static int rehash(agg_hmap *h, uint32_t cap)
{
    agg_hent *slots = vg_calloc(VG_MEM_STATE, cap, sizeof *slots);
    if (!slots)
        return -1;
    for (uint32_t i = 0; i < h->cap; i++) {
        if (!h->slots[i].hash)
            continue;
        uint32_t j = h->slots[i].hash & (cap - 1);
        while (slots[j].hash)
            j = (j + 1) & (cap - 1);
        slots[j] = h->slots[i];
    }
    vg_free(h->slots);
    h->slots = slots;
    h->cap = cap;
    return 0;
}

agg_hent *agg_hmap_insert(agg_hmap *h, vg_type t, const vg_value *v)
{
    if ((uint64_t)(h->n + 1) * 4 > (uint64_t)h->cap * 3) {
        if (h->cap >= (1u << 30) || rehash(h, h->cap ? h->cap * 2 : 8) < 0)
            return NULL;
    }
    uint64_t key = agg_key_of(t, v);
    if (t == VG_T_STRING) {
        char *copy = vg_malloc(VG_MEM_STATE, v->len ? v->len : 1);
        if (!copy)
            return NULL;
        if (v->len)
            memcpy(copy, v->u.s, v->len);
        key = (uint64_t)(uintptr_t)copy;
    }
    uint32_t hash = hash_value(t, v), mask = h->cap - 1, i = hash & mask;
    while (h->slots[i].hash)
        i = (i + 1) & mask;
    agg_hent *e = &h->slots[i];
    e->key = key;
    e->aux = 0;
    e->len = t == VG_T_STRING ? v->len : 0;
    e->hash = hash;
    h->n++;
    return e;
}

void agg_hmap_remove(agg_hmap *h, vg_type t, agg_hent *e)
{
    if (t == VG_T_STRING)
        vg_free((void *)(uintptr_t)e->key);
    uint32_t mask = h->cap - 1, i = (uint32_t)(e - h->slots), j = i;
    /* Backward shift: pull later entries of the probe run into the hole. */
    for (;;) {
        j = (j + 1) & mask;
        if (!h->slots[j].hash)
            break;
        uint32_t k = h->slots[j].hash & mask;
        bool stays = i <= j ? (i < k && k <= j) : (i < k || k <= j);
        if (stays)
            continue;
        h->slots[i] = h->slots[j];
        i = j;
    }
    h->slots[i].hash = 0;
    if (--h->n == 0) {
        vg_free(h->slots);
        agg_hmap_init(h);
    } else if (h->cap > 16 && (uint64_t)h->n * 8 < h->cap) {
        rehash(h, h->cap / 2); /* shrinking is optional: a failure keeps the table */
    }
}

size_t agg_hmap_heap_bytes(const agg_hmap *h, vg_type t)
{
    size_t n = (size_t)h->cap * sizeof(agg_hent);
    if (t == VG_T_STRING)
        for (uint32_t i = 0; i < h->cap; i++)
            if (h->slots[i].hash)
                n += h->slots[i].len ? h->slots[i].len : 1;
    return n;
}

/* ---- snapshot bytes ---- */

int agg_put_u32(vg_buf *b, uint32_t v)
{
    unsigned char x[4];
    for (int i = 0; i < 4; i++)
        x[i] = (unsigned char)(v >> (8 * i));
    return vg_buf_append(b, x, sizeof x);
}

int agg_put_u64(vg_buf *b, uint64_t v)
{
    unsigned char x[8];
    for (int i = 0; i < 8; i++)
        x[i] = (unsigned char)(v >> (8 * i));
    return vg_buf_append(b, x, sizeof x);
}

int agg_put_f64(vg_buf *b, double v)
{
    uint64_t bits;
    memcpy(&bits, &v, sizeof bits);
    return agg_put_u64(b, bits);
}

int agg_put_value(vg_buf *b, vg_type t, const vg_value *v)
{
    if (t == VG_T_DOUBLE)
        return agg_put_f64(b, v->u.d);
    if (t != VG_T_STRING)
        return agg_put_u64(b, (uint64_t)v->u.i);
    if (agg_put_u32(b, v->len) < 0)
        return -1;
    return v->len ? vg_buf_append(b, v->u.s, v->len) : 0;
}

static int get_bytes(const char **p, const char *end, size_t n, uint64_t *out)
{
    if ((size_t)(end - *p) < n)
        return -1;
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++)
        v |= (uint64_t)(unsigned char)(*p)[i] << (8 * i);
    *p += n;
    *out = v;
    return 0;
}

int agg_get_u32(const char **p, const char *end, uint32_t *out)
{
    uint64_t v;
    if (get_bytes(p, end, 4, &v) < 0)
        return -1;
    *out = (uint32_t)v;
    return 0;
}

int agg_get_u64(const char **p, const char *end, uint64_t *out)
{
    return get_bytes(p, end, 8, out);
}

int agg_get_f64(const char **p, const char *end, double *out)
{
    uint64_t bits;
    if (get_bytes(p, end, 8, &bits) < 0)
        return -1;
    memcpy(out, &bits, sizeof *out);
    return 0;
}

int agg_get_value(const char **p, const char *end, vg_type t, vg_value *out)
{
    if (t == VG_T_DOUBLE) {
        *out = vg_double(0);
        return agg_get_f64(p, end, &out->u.d);
    }
    if (t == VG_T_STRING) {
        uint32_t len;
        if (agg_get_u32(p, end, &len) < 0 || (size_t)(end - *p) < len)
            return -1;
        *out = vg_str(*p, len);
        *p += len;
        return 0;
    }
    uint64_t v;
    if (t == VG_T_NULL || get_bytes(p, end, 8, &v) < 0)
        return -1;
    int64_t i = (int64_t)v;
    if ((t == VG_T_BOOL && (i < 0 || i > 1)) || (t == VG_T_INT && i != (int32_t)i))
        return -1;
    *out = vg_int(i);
    return 0;
}

/* ---- the operations operators use ---- */

static void *own_state(const vg_agg_call *c, void *st)
{
    return c->distinct ? (char *)st + DISTINCT_HDR : st;
}

static const void *own_cstate(const vg_agg_call *c, const void *st)
{
    return c->distinct ? (const char *)st + DISTINCT_HDR : st;
}

void vg_agg_init(const vg_agg_call *c, void *st)
{
    if (c->distinct)
        agg_hmap_init(st);
    c->agg->init(c, own_state(c, st));
}

int vg_agg_add(const vg_agg_call *c, void *st, const vg_value *args)
{
    if (c->agg->ignores_nulls)
        for (uint32_t i = 0; i < c->nargs; i++)
            if (args[i].null)
                return 0;
    if (!c->distinct)
        return c->agg->add(c, st, args);
    agg_hmap *h = st;
    agg_hent *e = agg_hmap_find(h, c->argt[0], &args[0]);
    if (e) {
        e->aux++;
        return 0;
    }
    e = agg_hmap_insert(h, c->argt[0], &args[0]);
    if (!e)
        return -1;
    e->aux = 1;
    if (c->agg->add(c, own_state(c, st), args) < 0) {
        agg_hmap_remove(h, c->argt[0], e);
        return -1;
    }
    return 0;
}

int vg_agg_retract(const vg_agg_call *c, void *st, const vg_value *args)
{
    if (c->agg->ignores_nulls)
        for (uint32_t i = 0; i < c->nargs; i++)
            if (args[i].null)
                return 0;
    if (!c->distinct)
        return c->agg->retract(c, st, args);
    agg_hmap *h = st;
    agg_hent *e = agg_hmap_find(h, c->argt[0], &args[0]);
    if (!e)
        return 0; /* never added: nothing to take back */
    if (e->aux > 1) {
        e->aux--;
        return 0;
    }
    /* The last copy leaves: retract the value the aggregate was given. */
    vg_value v = agg_hent_value(c->argt[0], e);
    if (c->agg->retract(c, own_state(c, st), &v) < 0)
        return -1;
    agg_hmap_remove(h, c->argt[0], e);
    return 0;
}

static int merge_distinct(const vg_agg_call *c, void *st, const void *other)
{
    agg_hmap *h = st;
    const agg_hmap *o = other;
    vg_type t = c->argt[0];
    for (uint32_t i = 0; i < o->cap; i++) {
        if (!o->slots[i].hash)
            continue;
        vg_value v = agg_hent_value(t, &o->slots[i]);
        agg_hent *e = agg_hmap_find(h, t, &v);
        if (e) {
            e->aux += o->slots[i].aux;
            continue;
        }
        e = agg_hmap_insert(h, t, &v);
        if (!e)
            return -1;
        e->aux = o->slots[i].aux;
        if (c->agg->add(c, own_state(c, st), &v) < 0) {
            agg_hmap_remove(h, t, e);
            return -1;
        }
    }
    return 0;
}

int vg_agg_merge(const vg_agg_call *c, void *st, const void *other)
{
    if (c->distinct)
        return merge_distinct(c, st, other);
    return c->agg->merge(c, st, other);
}

void vg_agg_result(const vg_agg_call *c, const void *st, vg_value *out)
{
    c->agg->result(c, own_cstate(c, st), out);
}

void vg_agg_destroy(const vg_agg_call *c, void *st)
{
    if (c->distinct)
        agg_hmap_clear(st, c->argt[0]);
    if (c->agg->destroy)
        c->agg->destroy(c, own_state(c, st));
}

static int snapshot_distinct(const vg_agg_call *c, const agg_hmap *h, vg_buf *out)
{
    if (agg_put_u32(out, h->n) < 0)
        return -1;
    for (uint32_t i = 0; i < h->cap; i++) {
        if (!h->slots[i].hash)
            continue;
        vg_value v = agg_hent_value(c->argt[0], &h->slots[i]);
        if (agg_put_value(out, c->argt[0], &v) < 0 || agg_put_u64(out, h->slots[i].aux) < 0)
            return -1;
    }
    return 0;
}

/* Bytes: the version (1); with DISTINCT, u32 n and n times (value, u64
 * count); then the aggregate's own bytes. Integers are little-endian u64,
 * a DOUBLE its IEEE bits, a STRING u32 length and bytes. */
int vg_agg_snapshot(const vg_agg_call *c, const void *st, vg_buf *out)
{
    size_t len = out->len;
    char version = SNAPSHOT_VERSION;
    if (vg_buf_append(out, &version, 1) < 0 || (c->distinct && snapshot_distinct(c, st, out) < 0) ||
        c->agg->snapshot(c, own_cstate(c, st), out) < 0) {
        out->len = len;
        return -1;
    }
    return 0;
}

static int restore_distinct(const vg_agg_call *c, agg_hmap *h, const char **p, const char *end)
{
    uint32_t n;
    if (agg_get_u32(p, end, &n) < 0)
        return -1;
    for (uint32_t i = 0; i < n; i++) {
        vg_value v;
        uint64_t count;
        if (agg_get_value(p, end, c->argt[0], &v) < 0 || agg_get_u64(p, end, &count) < 0 ||
            count == 0 || agg_hmap_find(h, c->argt[0], &v))
            return -1;
        agg_hent *e = agg_hmap_insert(h, c->argt[0], &v);
        if (!e)
            return -1;
        e->aux = count;
    }
    return 0;
}

int vg_agg_restore(const vg_agg_call *c, void *st, const char **p, const char *end)
{
    if (end - *p >= 1 && **p == SNAPSHOT_VERSION) {
        ++*p;
        if ((!c->distinct || restore_distinct(c, st, p, end) == 0) &&
            c->agg->restore(c, own_state(c, st), p, end) == 0)
            return 0;
    }
    vg_agg_destroy(c, st);
    vg_agg_init(c, st);
    return -1;
}

size_t vg_agg_heap_bytes(const vg_agg_call *c, const void *st)
{
    size_t n = c->distinct ? agg_hmap_heap_bytes(st, c->argt[0]) : 0;
    if (c->agg->heap_bytes)
        n += c->agg->heap_bytes(c, own_cstate(c, st));
    return n;
}

/* ---- markdown ---- */

static const char intro[] =
    "\n## Aggregate functions\n"
    "\n"
    "<!-- Generated from the aggregate table (udf/agg_*.c) by vg_agg_write_markdown. -->\n"
    "\n"
    "Aggregates compute one value over a set of rows: the frame of an `OVER` window, a\n"
    "window of a window table function, or a `GROUP BY` group. They follow Flink SQL's\n"
    "built-in aggregates. Every aggregate is computed incrementally as rows enter and\n"
    "leave the set; none rescans it.\n"
    "\n"
    "- **NULL.** Rows whose argument is NULL are skipped by every aggregate but\n"
    "  `COUNT(*)`. Over an empty set (or only NULLs) `COUNT` gives 0 and every other\n"
    "  aggregate NULL.\n"
    "- **DISTINCT.** `f(DISTINCT x)` counts each distinct value of x once, for any\n"
    "  aggregate.\n"
    "- **Types.** As in Flink, `SUM`, `AVG`, `STDDEV_*` and `VAR_*` give the type of\n"
    "  their argument: of an INT an INT, of a BIGINT a BIGINT, of a DOUBLE a DOUBLE.\n"
    "  Integer sums wrap on overflow like integer arithmetic. Of integers, Flink\n"
    "  computes `AVG(x)` as `SUM(x) / COUNT(x)` and `VAR_POP(x)` as\n"
    "  `(SUM(x * x) - SUM(x) * SUM(x) / COUNT(x)) / COUNT(x)` (`VAR_SAMP`: divided by\n"
    "  `COUNT(x) - 1`; `STDDEV_*`: the square root of that), every division\n"
    "  truncating toward zero, and so does vigil: `AVG` of 7 and -2 is 2, `VAR_SAMP`\n"
    "  of 1 and 2 is (5 - 9 / 2) / 1 = 1. `CAST(x AS DOUBLE)` gives the fraction.\n";

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

int vg_agg_write_markdown(FILE *out)
{
    const vg_agg *list[64];
    size_t n = 0, total = vg_agg_count();
    for (size_t i = 0; i < total && n < sizeof list / sizeof list[0]; i++) {
        const vg_agg *a = vg_agg_at(i);
        size_t j = n++;
        for (; j > 0 && strcmp(list[j - 1]->name, a->name) > 0; j--)
            list[j] = list[j - 1];
        list[j] = a;
    }
    fputs(intro, out);
    fputs("\n| Function | Description |\n|---|---|\n", out);
    for (size_t i = 0; i < n; i++) {
        fputs("| ", out);
        cell(out, list[i]->synopsis, true);
        fputs(" | ", out);
        cell(out, list[i]->doc, false);
        fputs(" |\n", out);
    }
    return fflush(out) == 0 && !ferror(out) ? 0 : -1;
}
