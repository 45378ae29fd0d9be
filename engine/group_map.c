/*
 * group_map.c — keyed state for the updating operators: rows as bytes (for
 * snapshots) and as blocks of their own (kept rows), and the map of
 * entries (a keymap.h table) with its TTL stamps, heap and sweep (see
 * group_int.h).
 */
#include <string.h>

#include "engine/group_int.h"

/* ---- rows as bytes ---- */

vg_value *gm_row_copy(const vg_schema *s, const vg_value *row)
{
    size_t size = s->ncols * sizeof(vg_value);
    for (uint32_t i = 0; i < s->ncols; i++)
        if (s->cols[i].type == VG_T_STRING && !row[i].null)
            size += row[i].len;
    vg_value *v = vg_malloc(VG_MEM_STATE, size ? size : 1);
    if (!v)
        return NULL;
    char *p = (char *)(v + s->ncols);
    for (uint32_t i = 0; i < s->ncols; i++) {
        v[i] = row[i];
        if (s->cols[i].type == VG_T_STRING && !row[i].null) {
            if (row[i].len)
                memcpy(p, row[i].u.s, row[i].len);
            v[i].u.s = p;
            p += row[i].len;
        }
    }
    return v;
}

int gm_row_put(vg_buf *b, const vg_schema *s, const vg_value *row)
{
    for (uint32_t i = 0; i < s->ncols; i++)
        if (vg_keymap_put_value(b, s->cols[i].type, &row[i]) < 0)
            return -1;
    return 0;
}

vg_value *gm_row_get(vg_keymap_reader *r, const vg_schema *s)
{
    const char *p = r->p;
    size_t size = s->ncols * sizeof(vg_value);
    for (uint32_t i = 0; i < s->ncols && !r->bad; i++) {
        size_t n = vg_keymap_value_size(p, r->end, s->cols[i].type);
        r->bad |= n == 0;
        if (s->cols[i].type == VG_T_STRING && n > 1)
            size += n - 5; /* the string's bytes */
        p += n;
    }
    vg_value *v = r->bad ? NULL : vg_malloc(VG_MEM_STATE, size ? size : 1);
    if (!v)
        return NULL;
    char *str = (char *)(v + s->ncols);
    p = r->p;
    for (uint32_t i = 0; i < s->ncols; i++) {
        p = vg_keymap_get_value(p, s->cols[i].type, &v[i]);
        if (s->cols[i].type == VG_T_STRING && !v[i].null) {
            if (v[i].len)
                memcpy(str, v[i].u.s, v[i].len);
            v[i].u.s = str;
            str += v[i].len;
        }
    }
    r->p = p;
    return v;
}

/* ---- the map ---- */

static bool stamp_less(const void *a, const void *b)
{
    return gm_stamp_of(a)->stamp < gm_stamp_of(b)->stamp;
}

static uint32_t *ttl_at(void *e) { return &gm_stamp_of(e)->ttl_at; }

void gm_init(gm_map *m, size_t payload)
{
    memset(m, 0, sizeof *m);
    vg_keymap_init(&m->keys, GM_STAMP + payload);
    m->ttl.less = stamp_less;
    m->ttl.at = ttl_at;
}

vg_keymap_entry *gm_add(gm_map *m, const char *p, uint32_t len)
{
    vg_keymap_entry *e = vg_keymap_add(&m->keys, p, len);
    if (!e)
        return NULL;
    gm_stamp_of(e)->stamp = VG_WM_MIN;
    gm_stamp_of(e)->ttl_at = VG_KEYMAP_NONE;
    return e;
}

void gm_remove(gm_map *m, vg_keymap_entry *e)
{
    if (gm_stamp_of(e)->ttl_at != VG_KEYMAP_NONE)
        vg_keymap_heap_remove(&m->ttl, e);
    vg_keymap_remove(&m->keys, e);
}

int gm_touch(gm_map *m, vg_keymap_entry *e, int64_t ts, bool with_ttl)
{
    gm_stamp *s = gm_stamp_of(e);
    if (ts > s->stamp)
        s->stamp = ts;
    if (s->ttl_at != VG_KEYMAP_NONE)
        vg_keymap_heap_fix(&m->ttl, e);
    else if (with_ttl)
        return vg_keymap_heap_push(&m->ttl, e);
    return 0;
}

/* Whether stamp is older than wm - ttl, without overflow. */
static bool expired(int64_t stamp, int64_t wm, int64_t ttl)
{
    return stamp < wm && (uint64_t)wm - (uint64_t)stamp > (uint64_t)ttl;
}

vg_keymap_entry *gm_expired(gm_map *m, int64_t wm, int64_t ttl)
{
    while (m->ttl.n) {
        vg_keymap_entry *e = m->ttl.items[0];
        gm_stamp *s = gm_stamp_of(e);
        if (s->stamp != VG_WM_MIN)
            return expired(s->stamp, wm, ttl) ? e : NULL;
        s->stamp = wm; /* no row time and no watermark when it came: count from now */
        vg_keymap_heap_fix(&m->ttl, e);
    }
    return NULL;
}

void gm_clear(gm_map *m, void (*destroy)(void *arg, vg_keymap_entry *e), void *arg)
{
    vg_keymap_clear(&m->keys, destroy, arg);
    vg_keymap_heap_free(&m->ttl);
}
