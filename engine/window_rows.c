/*
 * window_rows.c — the rows of a bare SESSION (Flink's session window TVF
 * without aggregation, UnalignedWindowTableFunctionOperator): a session's
 * bounds are known only when it closes, so each group keeps copies of its
 * rows, in arrival order, and emits them, each followed by window_start,
 * window_end and window_time, when the session fires. Merging sessions
 * merges their rows by arrival number. Rows are gm_row_copy blocks
 * (group_map.c), written to snapshots as group_map.c writes rows.
 */
#include <string.h>

#include "engine/group_int.h"
#include "engine/window_int.h"

static int reserve(win_rows *r, uint32_t extra)
{
    if (r->n + extra <= r->cap)
        return 0;
    uint32_t cap = r->cap ? r->cap : 4;
    while (cap < r->n + extra)
        cap *= 2;
    win_row *v = vg_realloc(VG_MEM_STATE, r->v, (size_t)cap * sizeof *v);
    if (!v)
        return -1;
    r->v = v;
    r->cap = cap;
    return 0;
}

int win_rows_add(win_state *st, win_group *g, const vg_value *row, uint64_t seq)
{
    win_rows *r = win_rows_of(g);
    vg_value *copy = reserve(r, 1) < 0 ? NULL : gm_row_copy(st->in, row);
    if (!copy)
        return -1;
    r->v[r->n].seq = seq;
    r->v[r->n++].row = copy;
    return 0;
}

int win_rows_merge(win_group *into, win_group *from)
{
    win_rows *a = win_rows_of(into), *b = win_rows_of(from);
    uint32_t n = a->n + b->n;
    win_row *v = vg_malloc(VG_MEM_STATE, (size_t)(n ? n : 1) * sizeof *v);
    if (!v)
        return -1;
    uint32_t i = 0, j = 0, k = 0;
    while (i < a->n || j < b->n)
        v[k++] = j == b->n || (i < a->n && a->v[i].seq < b->v[j].seq) ? a->v[i++] : b->v[j++];
    vg_free(a->v);
    vg_free(b->v);
    *a = (win_rows){v, n, n};
    *b = (win_rows){0};
    return 0;
}

void win_rows_free(win_group *g)
{
    win_rows *r = win_rows_of(g);
    for (uint32_t i = 0; i < r->n; i++)
        vg_free(r->v[i].row);
    vg_free(r->v);
    *r = (win_rows){0};
}

/* st->out: the i-th row of g, then g's window columns. */
static const vg_value *out_row(win_state *st, const win_group *g, uint32_t i)
{
    uint32_t nin = st->in->ncols;
    memcpy(st->out, win_rows_of(g)->v[i].row, nin * sizeof *st->out);
    st->out[nin] = vg_int(g->start);
    st->out[nin + 1] = vg_int(g->end);
    st->out[nin + 2] = vg_int(g->end - 1);
    return st->out;
}

void win_rows_emit(vg_op *op, win_state *st, const win_group *g)
{
    for (uint32_t i = 0; i < win_rows_of(g)->n; i++)
        vg_op_emit(op, out_row(st, g, i), VG_ROW_INSERT);
}

int win_rows_visit(win_state *st, const win_group *g, vg_op_visit_fn fn, void *arg)
{
    for (uint32_t i = 0; i < win_rows_of(g)->n; i++) {
        int rc = fn(arg, out_row(st, g, i));
        if (rc)
            return rc;
    }
    return 0;
}

int win_rows_put(const win_state *st, const win_group *g, vg_buf *b)
{
    const win_rows *r = win_rows_of(g);
    int rc = vg_buf_append(b, &r->n, 4);
    for (uint32_t i = 0; i < r->n && !rc; i++)
        rc |= vg_buf_append(b, &r->v[i].seq, 8) | gm_row_put(b, st->in, r->v[i].row);
    return rc;
}

int win_rows_get(win_state *st, win_group *g, vg_keymap_reader *r)
{
    uint32_t n = vg_keymap_read_u32(r);
    if (r->bad || n == 0 || n > (size_t)(r->end - r->p))
        return -1; /* a session holds at least one row, each at least a byte */
    win_rows *rows = win_rows_of(g);
    if (reserve(rows, n) < 0)
        return -1;
    for (uint32_t i = 0; i < n; i++) {
        uint64_t seq;
        vg_keymap_read(r, &seq, 8);
        vg_value *row = r->bad ? NULL : gm_row_get(r, st->in);
        if (!row)
            return -1;
        rows->v[rows->n].seq = seq;
        rows->v[rows->n++].row = row;
    }
    return 0;
}
