/*
 * reload_report.c — the state plan of a reload: building it, and writing
 * it as text (the replay's stderr, `vigil reload`), as JSON (POST /reload)
 * and as the refusal of a reload that drops state.
 */
#include <string.h>

#include "engine/json_out.h"
#include "engine/reload_int.h"

static const char *const action_names[VG_RELOAD_NACTIONS] = {
    [VG_RELOAD_KEPT] = "kept",
    [VG_RELOAD_REBUILT] = "rebuilt",
    [VG_RELOAD_EMPTY] = "empty",
    [VG_RELOAD_DROPPED] = "dropped",
};

const char *vg_reload_action_name(vg_reload_action a)
{
    return (unsigned)a < VG_RELOAD_NACTIONS ? action_names[a] : "?";
}

vg_reload_report *reload_report_new(const char *path)
{
    vg_arena *a = vg_arena_new(VG_MEM_OTHER, 4096);
    vg_reload_report *rp = a ? vg_arena_calloc(a, sizeof *rp) : NULL;
    if (!rp || !(rp->path = vg_arena_strndup(a, path, strlen(path)))) {
        vg_arena_free(a);
        return NULL;
    }
    rp->arena = a;
    return rp;
}

void vg_reload_report_free(vg_reload_report *rp)
{
    if (rp)
        vg_arena_free(rp->arena); /* (rp lives in it) */
}

static const char *keep(vg_arena *a, const char *s)
{
    return s ? vg_arena_strndup(a, s, strlen(s)) : NULL;
}

int reload_report_add(vg_reload_report *rp, vg_reload_action action, bool stateful,
                      const char *kind, const char *name, int32_t node, int32_t from,
                      const char *fp, const char *why)
{
    if (rp->n % 16 == 0) { /* room for 16 more: the arena keeps the old array */
        vg_reload_entry *grown = vg_arena_alloc(rp->arena, (rp->n + 16) * sizeof *grown);
        if (!grown)
            return -1;
        if (rp->n)
            memcpy(grown, rp->entries, rp->n * sizeof *grown);
        rp->entries = grown;
    }
    vg_reload_entry *e = &rp->entries[rp->n];
    *e = (vg_reload_entry){.action = action,
                           .stateful = stateful,
                           .kind = keep(rp->arena, kind),
                           .name = keep(rp->arena, name),
                           .node = node,
                           .from = from,
                           .why = keep(rp->arena, why ? why : "")};
    if (fp)
        snprintf(e->fp, sizeof e->fp, "%s", fp);
    if (!e->kind || !e->name || !e->why)
        return -1;
    rp->n++;
    if (stateful)
        rp->counts[action]++;
    rp->lost = rp->counts[VG_RELOAD_DROPPED];
    return 0;
}

const char *reload_duration(vg_arena *a, int64_t ms)
{
    static const struct {
        int64_t ms;
        const char *unit;
    } units[] = {{86400000, "d"}, {3600000, "h"}, {60000, "m"}, {1000, "s"}};
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (ms && ms % units[i].ms == 0)
            return vg_arena_printf(a, "%lld%s", (long long)(ms / units[i].ms), units[i].unit);
    return vg_arena_printf(a, "%lldms", (long long)ms);
}

const char *reload_frame_text(vg_arena *a, bool rows, int64_t preceding)
{
    if (preceding < 0)
        return "UNBOUNDED";
    if (rows)
        return vg_arena_printf(a, "ROWS %lld", (long long)preceding);
    return reload_cat(a, "RANGE ", reload_duration(a, preceding));
}

/* ---- text ---- */

int vg_reload_report_print(const vg_reload_report *rp, const char *prefix, FILE *out)
{
    for (uint32_t i = 0; i < rp->n; i++) {
        const vg_reload_entry *e = &rp->entries[i];
        fprintf(out, "%s%-8s %s %s%s%s\n", prefix, vg_reload_action_name(e->action), e->kind,
                e->name, e->why[0] ? ": " : "", e->why);
    }
    return ferror(out) ? -1 : 0;
}

void vg_reload_report_counts(const vg_reload_report *rp, char *out, size_t cap)
{
    snprintf(out, cap, "%u kept, %u rebuilt, %u empty, %u dropped", rp->counts[VG_RELOAD_KEPT],
             rp->counts[VG_RELOAD_REBUILT], rp->counts[VG_RELOAD_EMPTY],
             rp->counts[VG_RELOAD_DROPPED]);
}

void vg_reload_lost_message(const vg_reload_report *rp, char *out, size_t cap)
{
    size_t n = (size_t)snprintf(out, cap, "this reload drops the state of %u operator%s (",
                                rp->lost, rp->lost == 1 ? "" : "s");
    uint32_t k = 0;
    for (uint32_t i = 0; i < rp->n && n < cap; i++) {
        const vg_reload_entry *e = &rp->entries[i];
        if (e->stateful && e->action == VG_RELOAD_DROPPED)
            n += (size_t)snprintf(out + n, cap - n, "%s%s %s", k++ ? ", " : "", e->kind, e->name);
    }
    if (n < cap)
        snprintf(out + n, cap - n, "): confirm it to apply it");
}

/* ---- JSON ---- */

static int put_str(vg_buf *b, const char *s) { return vg_json_write_string(b, s, strlen(s)); }

static int put_id(vg_buf *b, const char *key, int32_t id)
{
    return id < 0 ? vg_buf_printf(b, ",\"%s\":null", key) : vg_buf_printf(b, ",\"%s\":%d", key, id);
}

static int put_entry(vg_buf *b, const vg_reload_entry *e)
{
    return vg_buf_puts(b, "{\"action\":") | put_str(b, vg_reload_action_name(e->action)) |
           vg_buf_puts(b, ",\"kind\":") | put_str(b, e->kind) | vg_buf_puts(b, ",\"name\":") |
           put_str(b, e->name) | put_id(b, "node", e->node) | put_id(b, "from", e->from) |
           vg_buf_puts(b, ",\"fingerprint\":") |
           (e->fp[0] ? put_str(b, e->fp) : vg_buf_puts(b, "null")) | vg_buf_puts(b, ",\"why\":") |
           put_str(b, e->why) | vg_buf_putc(b, '}');
}

int vg_reload_report_json(const vg_reload_report *rp, vg_buf *out)
{
    size_t mark = out->len;
    int rc =
        vg_buf_puts(out, "\"path\":") | put_str(out, rp->path) |
        vg_buf_printf(out, ",\"plan\":\"%s\",\"running_plan\":\"%s\"", rp->plan_fp, rp->running_fp);
    for (int a = 0; a < VG_RELOAD_NACTIONS; a++)
        rc |= vg_buf_printf(out, ",\"%s\":%u", action_names[a], rp->counts[a]);
    rc |= vg_buf_puts(out, ",\"operators\":[");
    for (uint32_t i = 0; i < rp->n; i++)
        rc |= (i ? vg_buf_putc(out, ',') : 0) | put_entry(out, &rp->entries[i]);
    rc |= vg_buf_putc(out, ']');
    if (rc)
        out->len = mark;
    return rc ? -1 : 0;
}

void vg_reload_answer_free(vg_reload_answer *ans)
{
    vg_reload_report_free(ans->report);
    ans->report = NULL;
}

void vg_reload_log(FILE *f, const char *why, const char *path, const vg_reload_answer *ans)
{
    static const char *const how[] = {[VG_RELOAD_APPLIED] = "",
                                      [VG_RELOAD_DRY_RUN] = " (dry run)",
                                      [VG_RELOAD_UNCONFIRMED] = " refused",
                                      [VG_RELOAD_FAILED] = " failed"};
    if (!f)
        return;
    char counts[128] = "";
    bool refused = ans->status >= VG_RELOAD_UNCONFIRMED;
    if (ans->report)
        vg_reload_report_counts(ans->report, counts, sizeof counts);
    fprintf(f, "vigil: reload %s (%s)%s%s%s\n", why, path, how[ans->status],
            refused ? "; the running plan goes on" : ": ", refused ? "" : counts);
    if (refused)
        vg_error_print(&ans->err, f);
    if (ans->report && ans->status != VG_RELOAD_FAILED)
        vg_reload_report_print(ans->report, "vigil: reload: ", f);
    fflush(f);
}
