/*
 * rules.c — compiling a ruleset's conditions, and deciding rows with it.
 *
 * Compiling copies the rules into the ruleset's own arena, sorts them into
 * priority order, and parses and binds each condition as a lone SQL
 * expression over the input schema. A bad condition's error comes back
 * from the parser or binder positioned in the condition's own text; it is
 * moved into the rules file the condition came from (rule.src), through
 * rule.cond_off or rule.cond_map, so the user sees the file's line and
 * column with carets under the bad token.
 *
 * Deciding a row walks a flat array of the enabled rules' compiled
 * conditions. The output strings are the rules' own ids (one match, the
 * common case) or one joined string bump-allocated in the scratch arena
 * (several matches), so a row costs no malloc.
 */
#include "engine/rules.h"

#include <stdlib.h>
#include <string.h>

#include "sql/binder.h"
#include "sql/parser.h"

#define RULES_TAG   VG_MEM_EXPR
#define RULES_CHUNK 16384
#define NO_RULE     UINT32_MAX
#define JOIN_CHUNK  16

const vg_column vg_rules_out_columns[VG_RULES_NOUT] = {
    {"decision", VG_T_STRING},     {"rule_id", VG_T_STRING},       {"matched_rules", VG_T_STRING},
    {"shadow_rules", VG_T_STRING}, {"rules_version", VG_T_BIGINT},
};

/* One enabled rule, as the hot loop sees it. */
typedef struct rule_eval {
    const vg_expr *cond; /* compiled condition, BOOLEAN (or a NULL constant) */
    const char *id;      /* the rule's id (in the arena) */
    uint32_t id_len;
    bool shadow;         /* reported in shadow_rules, never decides */
    const char *action;  /* the rule's action */
    uint32_t action_len;
    uint32_t rest_len;   /* bytes of ",id" of every later rule of the same mode */
    const char *cid;     /* ",id" zero-padded to a multiple of JOIN_CHUNK bytes, so
                            joining copies whole chunks of a size known at compile time */
} rule_eval;

struct vg_ruleset {
    vg_arena *arena;    /* everything below lives here */
    vg_expr_pool *pool; /* the conditions' pool (prepared regexes to release) */
    const char *name;
    int64_t version;
    const char *default_action;
    uint32_t default_len;
    vg_rule *rules; /* all rules, priority order; src NULL */
    uint32_t nrules;
    rule_eval *eval; /* the enabled rules, priority order */
    uint32_t neval;
};

/* ---- sorting and copying ---- */

static int rule_order(const void *pa, const void *pb)
{
    const vg_rule *a = pa, *b = pb;
    if (a->priority != b->priority)
        return a->priority > b->priority ? -1 : 1;
    return strcmp(a->rule_id, b->rule_id);
}

static const char *copy_str(vg_arena *a, const char *s)
{
    return s ? vg_arena_strndup(a, s, strlen(s)) : NULL;
}

/* Copy rules into rs (strings included), checking ids and actions. */
static int copy_rules(vg_ruleset *rs, const vg_rule *rules, uint32_t n, vg_error *err)
{
    rs->rules = vg_arena_calloc(rs->arena, (n ? n : 1) * sizeof *rs->rules);
    if (!rs->rules)
        return vg_error_set(err, VG_ERR_NOMEM, "out of memory");
    for (uint32_t i = 0; i < n; i++) {
        const vg_rule *r = &rules[i];
        if (!r->rule_id || !*r->rule_id)
            return vg_error_set(err, VG_ERR_SEMANTIC, "rule %u has no rule_id", i + 1);
        if (!r->action || !*r->action)
            return vg_error_set(err, VG_ERR_SEMANTIC, "rule '%s' has no action", r->rule_id);
        for (uint32_t j = 0; j < i; j++)
            if (strcmp(rules[j].rule_id, r->rule_id) == 0)
                return vg_error_set(err, VG_ERR_SEMANTIC, "duplicate rule_id '%s'", r->rule_id);
        vg_rule *c = &rs->rules[i];
        *c = *r;
        c->src = NULL;
        c->cond_map = NULL;
        c->cond_off = 0;
        c->rule_id = copy_str(rs->arena, r->rule_id);
        c->condition = copy_str(rs->arena, r->condition ? r->condition : "");
        c->action = copy_str(rs->arena, r->action);
        c->changed_by = copy_str(rs->arena, r->changed_by);
        if (!c->rule_id || !c->condition || !c->action || (r->changed_by && !c->changed_by))
            return vg_error_set(err, VG_ERR_NOMEM, "out of memory");
    }
    rs->nrules = n;
    return 0;
}

/* ---- compiling conditions ---- */

/* Byte offset in text of 1-based line and column (clipped to len). */
static uint32_t linecol_offset(const char *text, uint32_t len, uint32_t line, uint32_t col)
{
    uint32_t off = 0;
    for (uint32_t l = 1; l < line && off < len; off++)
        if (text[off] == '\n')
            l++;
    off += col > 0 ? col - 1 : 0;
    return off > len ? len : off;
}

/* Offset in the rules file of byte off of r's condition (off <= its length). */
static uint32_t file_offset(const vg_rule *r, uint32_t off)
{
    return r->cond_map ? r->cond_map[off] : r->cond_off + off;
}

/* Turn inner, an error positioned in the condition's own text csrc, into
 * err: positioned in the rules file when the rule has one, else in csrc,
 * and prefixed with the rule's id. */
static void relocate(const vg_rule *r, const vg_source *csrc, const vg_error *inner, vg_error *err)
{
    if (inner->code == VG_ERR_NOMEM || !inner->has_pos) {
        if (inner->code == VG_ERR_NOMEM)
            vg_error_set(err, VG_ERR_NOMEM, "%s", inner->msg);
        else
            vg_error_set(err, inner->code, "rule '%s': %s", r->rule_id, inner->msg);
        return;
    }
    uint32_t off = linecol_offset(csrc->text, csrc->len, inner->line, inner->col);
    uint32_t end = off + (inner->mark_len ? inner->mark_len : 1);
    if (end > csrc->len)
        end = csrc->len;
    if (!r->src) {
        vg_span sp = {off, end > off ? end - off : 1};
        vg_error_at(err, inner->code, csrc, sp, "rule '%s': %s", r->rule_id, inner->msg);
        return;
    }
    uint32_t foff = file_offset(r, off), fend = file_offset(r, end);
    vg_span sp = {foff, fend > foff ? fend - foff : 1};
    vg_error_at(err, inner->code, r->src, sp, "rule '%s': %s", r->rule_id, inner->msg);
}

/* Parse and bind the condition of rule r (the original, with its source
 * position) into *out. */
static int compile_cond(vg_ruleset *rs, vg_binder *b, const vg_rule *r, const vg_schema *input,
                        const vg_expr **out, vg_error *err)
{
    char name[128];
    snprintf(name, sizeof name, "<rule %s>", r->rule_id);
    const char *text = r->condition ? r->condition : "";
    vg_source csrc = {name, text, (uint32_t)strlen(text)};
    vg_error inner;
    vg_error_clear(&inner);
    vg_ast *ast;
    vg_expr *e = NULL;
    if (vg_parse_expr(&csrc, rs->arena, &ast, &inner) == 0)
        e = vg_binder_bind_expr(b, ast, &csrc, input, &inner);
    if (!e) {
        relocate(r, &csrc, &inner, err);
        return -1;
    }
    vg_type t = vg_expr_type(e);
    if (t != VG_T_BOOL && t != VG_T_NULL) {
        vg_error_clear(&inner);
        vg_span all = {0, csrc.len ? csrc.len : 1};
        vg_error_at(&inner, VG_ERR_TYPE, &csrc, all, "condition must be BOOLEAN, not %s",
                    vg_type_name(t));
        relocate(r, &csrc, &inner, err);
        return -1;
    }
    *out = e;
    return 0;
}

/* n rounded up to whole JOIN_CHUNKs. */
static size_t chunks(size_t n) { return (n + JOIN_CHUNK - 1) / JOIN_CHUNK * JOIN_CHUNK; }

/* A rule's copy with its compiled condition, for sorting them together. */
typedef struct compiled {
    vg_rule rule;        /* the copy (strings in the arena) */
    const vg_expr *cond; /* its condition */
} compiled;

static int compiled_order(const void *a, const void *b)
{
    return rule_order(&((const compiled *)a)->rule, &((const compiled *)b)->rule);
}

/* Compile every condition in the given order (so the first bad one in the
 * file is the one reported), then sort the rules into priority order and
 * fill the evaluation array with the enabled ones. */
static int compile_all(vg_ruleset *rs, const vg_rule *rules, const vg_schema *input,
                       vg_error *err)
{
    uint32_t n = rs->nrules;
    vg_binder *b = vg_binder_new(rs->pool);
    compiled *c = vg_arena_calloc(rs->arena, (n ? n : 1) * sizeof *c);
    rs->eval = vg_arena_calloc(rs->arena, (n ? n : 1) * sizeof *rs->eval);
    if (!b || !c || !rs->eval)
        return vg_error_set(err, VG_ERR_NOMEM, "out of memory");
    for (uint32_t i = 0; i < n; i++) {
        c[i].rule = rs->rules[i];
        if (compile_cond(rs, b, &rules[i], input, &c[i].cond, err) < 0)
            return -1;
    }
    qsort(c, n, sizeof *c, compiled_order);
    for (uint32_t i = 0; i < n; i++) {
        const vg_rule *r = &c[i].rule;
        rs->rules[i] = *r;
        if (!r->enabled)
            continue;
        rule_eval *ev = &rs->eval[rs->neval++];
        uint32_t id_len = (uint32_t)strlen(r->rule_id);
        char *cid = vg_arena_calloc(rs->arena, chunks(id_len + 1));
        if (!cid)
            return vg_error_set(err, VG_ERR_NOMEM, "out of memory");
        cid[0] = ',';
        memcpy(cid + 1, r->rule_id, id_len);
        *ev = (rule_eval){c[i].cond, r->rule_id, id_len, r->shadow,
                          r->action, (uint32_t)strlen(r->action), 0, cid};
    }
    /* rest_len, from the back: what joining every later match of the same mode can add */
    uint32_t rest[2] = {0, 0};
    for (uint32_t i = rs->neval; i-- > 0;) {
        rule_eval *ev = &rs->eval[i];
        ev->rest_len = rest[ev->shadow];
        rest[ev->shadow] += ev->id_len + 1;
    }
    return 0;
}

vg_ruleset *vg_ruleset_compile(const char *name, int64_t version, const char *default_action,
                               const vg_rule *rules, uint32_t n, const vg_schema *input,
                               vg_error *err)
{
    if (!name)
        name = "";
    if (!default_action || !*default_action) {
        vg_error_set(err, VG_ERR_SEMANTIC, "ruleset '%s' has no default action", name);
        return NULL;
    }
    vg_arena *a = vg_arena_new(RULES_TAG, RULES_CHUNK);
    vg_ruleset *rs = a ? vg_arena_calloc(a, sizeof *rs) : NULL;
    if (!rs) {
        vg_arena_free(a);
        vg_error_set(err, VG_ERR_NOMEM, "out of memory");
        return NULL;
    }
    rs->arena = a;
    rs->version = version;
    rs->name = copy_str(a, name);
    rs->default_action = copy_str(a, default_action);
    rs->pool = vg_expr_pool_new(a);
    if (!rs->name || !rs->default_action || !rs->pool) {
        vg_error_set(err, VG_ERR_NOMEM, "out of memory");
        goto fail;
    }
    rs->default_len = (uint32_t)strlen(rs->default_action);
    if (copy_rules(rs, rules, n, err) < 0)
        goto fail;
    if (compile_all(rs, rules, input, err) < 0)
        goto fail;
    return rs;
fail:
    vg_ruleset_free(rs);
    return NULL;
}

void vg_ruleset_free(vg_ruleset *rs)
{
    if (!rs)
        return;
    if (rs->pool)
        vg_expr_pool_release(rs->pool);
    vg_arena_free(rs->arena);
}

/* ---- deciding ---- */

/* The ids of the matching rules of one mode, joined by ','. */
typedef struct joined {
    uint32_t first; /* eval index of the first match, or NO_RULE */
    char *buf;      /* scratch: ",id,id..." once there are two or more matches, else NULL */
    uint32_t len;   /* bytes in buf */
    bool full;      /* the scratch arena could not grow: only the first id is kept */
} joined;

/* Append ",id" of ev: whole chunks, of which the bytes past the id are
 * overwritten by the next one (buf has a chunk of slack). */
static inline void join_copy(joined *j, const rule_eval *ev)
{
    for (uint32_t k = 0; k < ev->id_len + 1; k += JOIN_CHUNK)
        memcpy(j->buf + j->len + k, ev->cid + k, JOIN_CHUNK);
    j->len += ev->id_len + 1;
}

static void join_add(const vg_ruleset *rs, joined *j, uint32_t i, vg_eval_ctx *ctx)
{
    if (j->first == NO_RULE) {
        j->first = i;
        return;
    }
    if (j->full)
        return;
    if (!j->buf) {
        const rule_eval *f = &rs->eval[j->first];
        /* the first, then at most every later rule of the mode, then slack */
        j->buf = vg_arena_alloc(ctx->scratch, chunks(f->id_len + 1) + f->rest_len + JOIN_CHUNK);
        if (!j->buf) {
            j->full = true;
            if (ctx->err)
                vg_error_set(ctx->err, VG_ERR_NOMEM, "out of memory");
            return;
        }
        join_copy(j, f);
    }
    join_copy(j, &rs->eval[i]);
}

static vg_value join_value(const vg_ruleset *rs, const joined *j)
{
    if (j->first == NO_RULE)
        return vg_str("", 0);
    if (j->buf) /* without the leading ',' */
        return vg_str(j->buf + 1, j->len - 1);
    return vg_str(rs->eval[j->first].id, rs->eval[j->first].id_len);
}

void vg_ruleset_apply(const vg_ruleset *rs, const vg_value *row, vg_eval_ctx *ctx,
                      vg_value out[VG_RULES_NOUT])
{
    joined act = {NO_RULE, NULL, 0, false}, sh = {NO_RULE, NULL, 0, false};
    for (uint32_t i = 0; i < rs->neval; i++) {
        const rule_eval *ev = &rs->eval[i];
        if (vg_expr_is_true(ev->cond, row, ctx))
            join_add(rs, ev->shadow ? &sh : &act, i, ctx);
    }
    if (act.first != NO_RULE) {
        const rule_eval *d = &rs->eval[act.first];
        out[0] = vg_str(d->action, d->action_len);
        out[1] = vg_str(d->id, d->id_len);
    } else {
        out[0] = vg_str(rs->default_action, rs->default_len);
        out[1] = vg_null();
    }
    out[2] = join_value(rs, &act);
    out[3] = join_value(rs, &sh);
    out[4] = vg_int(rs->version);
}

/* ---- inspection ---- */

const char *vg_ruleset_name(const vg_ruleset *rs) { return rs->name; }
int64_t vg_ruleset_version(const vg_ruleset *rs) { return rs->version; }

void vg_ruleset_set_version(vg_ruleset *rs, int64_t version) { rs->version = version; }
const char *vg_ruleset_default_action(const vg_ruleset *rs) { return rs->default_action; }
uint32_t vg_ruleset_nrules(const vg_ruleset *rs) { return rs->nrules; }

const vg_rule *vg_ruleset_rule(const vg_ruleset *rs, uint32_t i)
{
    return i < rs->nrules ? &rs->rules[i] : NULL;
}
