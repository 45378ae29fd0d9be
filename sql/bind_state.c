/*
 * bind_state.c — which values an operator may hold in its state.
 *
 * An ARRAY<DOUBLE> value points into the batch's scratch arena (like a
 * string a function makes), and the stateful operators (OVER, window TVFs,
 * GROUP BY and DISTINCT, ROW_NUMBER, MATCH_RECOGNIZE) copy, key, snapshot
 * and restore only scalar columns. So a relation that reaches one of them
 * with an ARRAY column is refused here, once a statement is bound, with the
 * place to fix it: select the elements first (probs[1]) in a subquery or
 * view. docs/sql.md lists this limitation.
 */
#include "sql/binder_int.h"

/* The first ARRAY column of s, or NULL. */
static const vg_column *array_column(const vg_schema *s)
{
    for (uint32_t i = 0; i < s->ncols; i++)
        if (s->cols[i].type == VG_T_ARRAY)
            return &s->cols[i];
    return NULL;
}

/* What the stateful relation r is called in the message, and where its
 * error points: its first aggregate call when it has one, else r itself. */
static const char *state_name(const vg_rel *r, vg_span *sp)
{
    *sp = r->span;
    switch (r->kind) {
    case VG_REL_OVER:
        if (r->u.over.nframes && r->u.over.frames[0].naggs)
            *sp = r->u.over.frames[0].aggs[0].span;
        return "OVER";
    case VG_REL_WINDOW:
        if (r->u.window.naggs)
            *sp = r->u.window.aggs[0].span;
        return "a window TVF";
    case VG_REL_GROUP:
        if (r->u.group.naggs)
            *sp = r->u.group.aggs[0].span;
        return "GROUP BY or DISTINCT";
    case VG_REL_RANK:
        return "ROW_NUMBER";
    case VG_REL_MATCH:
        return "MATCH_RECOGNIZE";
    default:
        return NULL;
    }
}

int vg_bind_check_held(bind_ctx *c, const vg_rel *r)
{
    for (; r; r = r->input) {
        vg_span sp;
        const char *what = state_name(r, &sp);
        const vg_column *col = NULL;
        if (what && !(col = r->input ? array_column(&r->input->schema) : NULL))
            col = array_column(&r->schema);
        if (!col)
            continue;
        vg_error_at(c->err, VG_ERR_SEMANTIC, r->src ? r->src : c->src, sp,
                    "ARRAY column '%s' cannot be held in state by %s; select its elements "
                    "(%s[1]) in a subquery first",
                    col->name, what, col->name);
        return -1;
    }
    return 0;
}
