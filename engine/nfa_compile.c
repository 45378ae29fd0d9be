/*
 * nfa_compile.c — a row pattern (sql/plan.h) into the matcher's program
 * (nfa_int.h says what the instructions do).
 *
 * Alternatives become chains of SPLITs, left first. PERMUTE(a, b, c)
 * becomes the alternation of its orders in lexicographic order (abc, acb,
 * bac, bca, cab, cba). A quantifier {n,m} becomes n copies of its body
 * then m - n optional copies, where skipping one skips the rest, so that
 * `x{2,4}` is `x x (x x?)?` with the quantifier's greediness on every `?`;
 * an unbounded one ends with a loop. Optional copies of a body that can
 * match empty are bracketed by ENTER and LEAVE so that an empty iteration
 * ends the quantifier. A program over NFA_MAX_INS instructions is refused:
 * unrolling and PERMUTE multiply, and the limit keeps the matcher's time
 * and memory per row bounded.
 */
#include <string.h>

#include "engine/nfa_int.h"

#define NO_PC UINT32_MAX

typedef struct comp {
    nfa_ins *ins;   /* the program so far */
    uint32_t n;     /* instructions emitted */
    uint32_t cap;   /* instructions allocated */
    uint16_t depth; /* ENTER/LEAVE loops open at the emission point */
    uint32_t nseen; /* closure states so far: sum of depth + 1 */
    uint32_t nvars; /* primary variables */
    vg_error *err;
} comp;

static bool pat_nullable(const vg_plan_pattern *p)
{
    switch (p->kind) {
    case VG_PAT_VAR:
        return false;
    case VG_PAT_SEQ:
    case VG_PAT_PERMUTE:
        for (uint32_t i = 0; i < p->nkids; i++)
            if (!pat_nullable(p->kids[i]))
                return false;
        return true;
    case VG_PAT_ALT:
        for (uint32_t i = 0; i < p->nkids; i++)
            if (pat_nullable(p->kids[i]))
                return true;
        return false;
    case VG_PAT_EXCLUDE:
        return pat_nullable(p->kids[0]);
    case VG_PAT_QUANT:
        return p->min == 0 || pat_nullable(p->kids[0]);
    case VG_PAT_START:
    case VG_PAT_END:
    case VG_PAT_EMPTY:
        return true;
    }
    return false;
}

/* Append an instruction; its pc, or NO_PC with the error set. */
static uint32_t emit(comp *c, nfa_op op, uint32_t a, uint32_t b)
{
    if (c->n >= NFA_MAX_INS) {
        vg_error_set(c->err, VG_ERR_SEMANTIC,
                     "pattern too large: more than %u states once its quantifiers and "
                     "PERMUTE are expanded",
                     NFA_MAX_INS);
        return NO_PC;
    }
    if (c->nseen + c->depth + 1u > NFA_MAX_SEEN) {
        vg_error_set(c->err, VG_ERR_SEMANTIC,
                     "pattern too large: too many quantifiers that can match empty inside "
                     "each other");
        return NO_PC;
    }
    if (nfa_grow((void **)&c->ins, &c->cap, c->n + 1, sizeof *c->ins)) {
        vg_error_set(c->err, VG_ERR_NOMEM, "out of memory");
        return NO_PC;
    }
    c->ins[c->n] = (nfa_ins){.op = (uint8_t)op, .depth = c->depth, .a = a, .b = b};
    c->nseen += c->depth + 1u;
    return c->n++;
}

static int comp_pat(comp *c, const vg_plan_pattern *p, bool excl);

/* Patch every JMP of a chain linked through .a to jump to `to`. */
static void patch_chain(comp *c, uint32_t chain, uint32_t to)
{
    while (chain != NO_PC) {
        uint32_t next = c->ins[chain].a;
        c->ins[chain].a = to;
        chain = next;
    }
}

/* One alternative of an alternation: SPLIT to it first, then JMP past the
 * rest (linked into *chain) unless it is the last. */
static uint32_t alt_begin(comp *c, bool last)
{
    return last ? c->n : emit(c, NFA_SPLIT, c->n + 1, NO_PC);
}

static int alt_end(comp *c, uint32_t split, bool last, uint32_t *chain)
{
    if (last)
        return 0;
    uint32_t j = emit(c, NFA_JMP, *chain, 0);
    if (j == NO_PC)
        return -1;
    *chain = j;
    c->ins[split].b = c->n;
    return 0;
}

static int comp_alt(comp *c, const vg_plan_pattern *p, bool excl)
{
    uint32_t chain = NO_PC;
    for (uint32_t i = 0; i < p->nkids; i++) {
        bool last = i + 1 == p->nkids;
        uint32_t s = alt_begin(c, last);
        if (s == NO_PC || comp_pat(c, p->kids[i], excl) || alt_end(c, s, last, &chain))
            return -1;
    }
    patch_chain(c, chain, c->n);
    return 0;
}

/* The next permutation of idx[0..n) in lexicographic order; false after the last. */
static bool next_perm(uint32_t *idx, uint32_t n)
{
    uint32_t i = n - 1;
    while (i > 0 && idx[i - 1] >= idx[i])
        i--;
    if (i == 0)
        return false;
    uint32_t j = n - 1;
    while (idx[j] <= idx[i - 1])
        j--;
    uint32_t t = idx[i - 1];
    idx[i - 1] = idx[j];
    idx[j] = t;
    for (uint32_t lo = i, hi = n - 1; lo < hi; lo++, hi--) {
        t = idx[lo];
        idx[lo] = idx[hi];
        idx[hi] = t;
    }
    return true;
}

static int comp_permute(comp *c, const vg_plan_pattern *p, bool excl)
{
    uint32_t n = p->nkids;
    uint32_t *idx = vg_malloc(VG_MEM_SQL, 2 * (size_t)n * sizeof *idx);
    if (!idx)
        return vg_error_set(c->err, VG_ERR_NOMEM, "out of memory");
    uint32_t *cur = idx + n, chain = NO_PC;
    for (uint32_t i = 0; i < n; i++)
        idx[i] = i;
    int rc = 0;
    for (bool more = true; more && !rc;) {
        memcpy(cur, idx, n * sizeof *idx);
        more = next_perm(idx, n);
        uint32_t s = alt_begin(c, !more);
        rc = s == NO_PC ? -1 : 0;
        for (uint32_t i = 0; i < n && !rc; i++)
            rc = comp_pat(c, p->kids[cur[i]], excl);
        rc = rc ? rc : alt_end(c, s, !more, &chain);
    }
    vg_free(idx);
    if (rc)
        return -1;
    patch_chain(c, chain, c->n);
    return 0;
}

/* One optional iteration of body: its SPLIT (the way past it linked into
 * *skips through the less or more preferred target) and, when the body can
 * match empty, ENTER ... LEAVE (LEAVE's exit linked into *leaves through .a).
 * After it comes `again` (NO_PC: the next instruction). */
static int comp_opt(comp *c, const vg_plan_pattern *q, bool excl, uint32_t again,
                    uint32_t *skips, uint32_t *leaves)
{
    const vg_plan_pattern *body = q->kids[0];
    bool null = pat_nullable(body);
    uint32_t s = emit(c, NFA_SPLIT, q->reluctant ? *skips : c->n + 1,
                      q->reluctant ? c->n + 1 : *skips);
    if (s == NO_PC)
        return -1;
    *skips = s;
    if (null) {
        if (c->depth == UINT16_MAX - 1)
            return vg_error_set(c->err, VG_ERR_SEMANTIC, "pattern nested too deeply");
        if (emit(c, NFA_ENTER, 0, 0) == NO_PC)
            return -1;
        c->depth++;
    }
    if (comp_pat(c, body, excl))
        return -1;
    if (null) {
        uint32_t l = emit(c, NFA_LEAVE, *leaves, again == NO_PC ? c->n + 1 : again);
        c->depth--;
        if (l == NO_PC)
            return -1;
        *leaves = l;
    } else if (again != NO_PC && emit(c, NFA_JMP, again, 0) == NO_PC) {
        return -1;
    }
    return 0;
}

/* Point every SPLIT's way past and every LEAVE's exit of the chains at `to`. */
static void patch_opt(comp *c, uint32_t skips, bool reluctant, uint32_t leaves, uint32_t to)
{
    while (skips != NO_PC) {
        nfa_ins *in = &c->ins[skips];
        uint32_t *field = reluctant ? &in->a : &in->b;
        skips = *field;
        *field = to;
    }
    patch_chain(c, leaves, to);
}

static int comp_quant(comp *c, const vg_plan_pattern *p, bool excl)
{
    if (p->max != VG_PAT_UNBOUNDED && p->min > p->max)
        return vg_error_set(c->err, VG_ERR_SEMANTIC, "quantifier minimum above its maximum");
    for (uint32_t i = 0; i < p->min; i++)
        if (comp_pat(c, p->kids[0], excl))
            return -1;
    uint32_t skips = NO_PC, leaves = NO_PC;
    if (p->max == VG_PAT_UNBOUNDED) {
        if (comp_opt(c, p, excl, c->n, &skips, &leaves))
            return -1;
    } else {
        for (uint32_t i = p->min; i < p->max; i++)
            if (comp_opt(c, p, excl, NO_PC, &skips, &leaves))
                return -1;
    }
    patch_opt(c, skips, p->reluctant, leaves, c->n);
    return 0;
}

static int comp_pat(comp *c, const vg_plan_pattern *p, bool excl)
{
    bool one = p->kind == VG_PAT_EXCLUDE || p->kind == VG_PAT_QUANT;
    bool many = p->kind == VG_PAT_SEQ || p->kind == VG_PAT_ALT || p->kind == VG_PAT_PERMUTE;
    if ((one && p->nkids != 1) || (many && p->nkids == 0))
        return vg_error_set(c->err, VG_ERR_SEMANTIC, "malformed pattern");
    switch (p->kind) {
    case VG_PAT_VAR:
        if (p->var >= c->nvars)
            return vg_error_set(c->err, VG_ERR_SEMANTIC, "pattern variable out of range");
        if (emit(c, NFA_VAR, p->var, 0) == NO_PC)
            return -1;
        c->ins[c->n - 1].excluded = excl;
        return 0;
    case VG_PAT_SEQ:
        for (uint32_t i = 0; i < p->nkids; i++)
            if (comp_pat(c, p->kids[i], excl))
                return -1;
        return 0;
    case VG_PAT_ALT:
        return comp_alt(c, p, excl);
    case VG_PAT_PERMUTE:
        return comp_permute(c, p, excl);
    case VG_PAT_EXCLUDE:
        return comp_pat(c, p->kids[0], true);
    case VG_PAT_QUANT:
        return comp_quant(c, p, excl);
    case VG_PAT_START:
        return emit(c, NFA_START, 0, 0) == NO_PC ? -1 : 0;
    case VG_PAT_END:
        return emit(c, NFA_END, 0, 0) == NO_PC ? -1 : 0;
    case VG_PAT_EMPTY:
        return 0;
    }
    return vg_error_set(c->err, VG_ERR_SEMANTIC, "unknown pattern term");
}

/* Seen slots, the fingerprint and the scratch of a compiled program. */
static int finish_program(vg_nfa *n)
{
    uint32_t h = 2166136261u;
    for (uint32_t pc = 0; pc < n->nins; pc++) {
        nfa_ins *in = &n->ins[pc];
        in->seen = n->nseen;
        n->nseen += in->depth + 1u;
        uint32_t w[4] = {in->op | (uint32_t)in->excluded << 8, in->depth, in->a, in->b};
        for (int i = 0; i < 4; i++)
            h = (h ^ w[i]) * 16777619u;
    }
    n->hash = (h ^ n->nvars) * 16777619u;
    n->sc = vg_calloc(VG_MEM_STATE, 1, sizeof *n->sc);
    if (!n->sc)
        return -1;
    n->sc->stack_cap = n->nseen + 2;
    vg_buf_init(&n->sc->keys, VG_MEM_STATE);
    n->sc->seen = vg_calloc(VG_MEM_STATE, n->nseen, sizeof *n->sc->seen);
    n->sc->head = vg_calloc(VG_MEM_STATE, n->nseen, sizeof *n->sc->head);
    n->sc->stack = vg_malloc(VG_MEM_STATE, 2 * sizeof(uint32_t) * n->sc->stack_cap);
    return n->sc->seen && n->sc->head && n->sc->stack ? 0 : -1;
}

int vg_nfa_compile(const vg_plan_pattern *p, uint32_t nvars, vg_nfa **out, vg_error *err)
{
    *out = NULL;
    if (nvars > VG_MR_MAXVARS)
        return vg_error_set(err, VG_ERR_SEMANTIC, "more than %d pattern variables",
                            VG_MR_MAXVARS);
    comp c = {.nvars = nvars, .err = err};
    if (comp_pat(&c, p, false) || emit(&c, NFA_MATCH, 0, 0) == NO_PC) {
        vg_free(c.ins);
        return -1;
    }
    vg_nfa *n = vg_calloc(VG_MEM_STATE, 1, sizeof *n);
    if (!n) {
        vg_free(c.ins);
        return vg_error_set(err, VG_ERR_NOMEM, "out of memory");
    }
    *n = (vg_nfa){.ins = c.ins, .nins = c.n, .nvars = nvars, .nullable = pat_nullable(p)};
    if (finish_program(n)) {
        vg_nfa_free(n);
        return vg_error_set(err, VG_ERR_NOMEM, "out of memory");
    }
    *out = n;
    return 0;
}

void vg_nfa_free(vg_nfa *n)
{
    if (!n)
        return;
    if (n->sc) {
        vg_free(n->sc->seen);
        vg_free(n->sc->head);
        vg_free(n->sc->stack);
        vg_free(n->sc->hash);
        vg_free(n->sc->made);
        vg_free(n->sc->kmade);
        vg_free(n->sc->hmarks);
        vg_free(n->sc->sig);
        vg_free(n->sc->work);
        vg_free(n->sc->tw_old);
        vg_free(n->sc->tw_new);
        vg_free(n->sc->tw_steps);
        vg_buf_free(&n->sc->keys);
        vg_free(n->sc);
    }
    vg_free(n->ins);
    vg_free(n);
}

bool vg_nfa_nullable(const vg_nfa *n) { return n->nullable; }

bool vg_nfa_pattern_nullable(const vg_plan_pattern *p) { return pat_nullable(p); }

int nfa_grow_slow(void **p, uint32_t *cap, uint32_t n, size_t sz)
{
    uint64_t c = *cap ? *cap : 2;
    while (c < n)
        c *= 2;
    if (c > UINT32_MAX)
        return -1;
    void *q = vg_realloc(VG_MEM_STATE, *p, c * sz);
    if (!q)
        return -1;
    *p = q;
    *cap = (uint32_t)c;
    return 0;
}
