/*
 * nfa.c — running a compiled row pattern over a partition's rows.
 *
 * Every row that the standard's sequence of attempts may start at gets an
 * attempt when it is pushed; attempts run side by side, so each row is
 * stepped over once. An attempt is a list of threads in preference order,
 * each waiting at a VAR or END instruction with its path. A row steps each
 * thread in turn: if the row satisfies the variable, the thread's closure
 * (nfa_int.h) is followed depth first in preference order, adding the
 * threads it reaches to the new list unless a more preferred thread already
 * reached that state. When no DEFINE reads the path the state is the
 * instruction (and k), so an attempt holds at most one thread per
 * instruction; when one does, the state includes the path, and equal paths
 * are made one step so that they still meet (or, with a path_key, paths
 * with equal keys). Reaching MATCH records the attempt's match and drops
 * every less preferred thread; the attempt is decided when no thread is
 * left. WITHIN ends attempts (expire), and two shortcuts drop work that
 * cannot change a report (dominated threads; nfa_run.c's doomed attempts).
 * nfa_run.c then reports what is decided, in the standard's order.
 */
#include <string.h>

#include "engine/nfa_int.h"

#define STEP_KEY 0x80000000u  /* hash keys: a step (previous step, variable) */
#define KEY_BYTES 0x40000000u /* ... key bytes (their hash, a number) */

/* One pass over the attempts: what it does and where. */
typedef enum sweep_mode {
    SWEEP_ROW,  /* a row at pos: step every thread over it */
    SWEEP_TIME, /* event time passed `time`: end what WITHIN ends */
    SWEEP_END,  /* the partition ended: END threads go on, VAR threads die */
} sweep_mode;

typedef struct sweep {
    vg_nfa_run *r;
    const vg_nfa_hooks *h;
    vg_error *err;
    sweep_mode mode;
    uint64_t pos;   /* SWEEP_ROW: the row's position */
    uint64_t cpos;  /* the position closures are followed at (for ^) */
    int64_t time;   /* SWEEP_ROW: the row's event time; SWEEP_TIME: the time passed */
    nfa_attempt *a; /* the attempt being stepped */
    bool dominated; /* threads in a state the head attempt has are dropped */
} sweep;

/* ---- the scratch: seen states and the step table ---- */

static void new_gen(nfa_scratch *sc, const vg_nfa *n)
{
    if (++sc->gen == 0) {
        memset(sc->seen, 0, n->nseen * sizeof *sc->seen);
        for (uint32_t i = 0; i < sc->hcap; i++)
            sc->hash[i].gen = 0;
        sc->gen = 1;
    }
    sc->hused = 0;
    sc->keys.len = 0;
}

static uint32_t hash_of(const void *p, uint32_t key)
{
    uint64_t x = (uint64_t)(uintptr_t)p * 0x9e3779b97f4a7c15u ^ key * 0xff51afd7ed558ccdu;
    return (uint32_t)(x ^ x >> 29);
}

static int hash_grow(nfa_scratch *sc)
{
    uint32_t cap = sc->hcap ? sc->hcap * 2 : 64;
    nfa_hent *t = vg_calloc(VG_MEM_STATE, cap, sizeof *t);
    if (!t || cap < sc->hcap)
        return vg_free(t), -1;
    for (uint32_t i = 0; i < sc->hcap; i++) {
        nfa_hent *e = &sc->hash[i];
        if (e->gen != sc->gen)
            continue;
        uint32_t j = hash_of(e->p, e->key) & (cap - 1);
        while (t[j].gen == sc->gen)
            j = (j + 1) & (cap - 1);
        t[j] = *e;
    }
    vg_free(sc->hash);
    sc->hash = t;
    sc->hcap = cap;
    return 0;
}

/* The entry of (p, key) in the current generation: *fresh when it was just
 * made (with val NULL). NULL when out of memory. */
static nfa_hent *hash_get(nfa_scratch *sc, const void *p, uint32_t key, bool *fresh)
{
    if ((sc->hused + 1) * 2 > sc->hcap && hash_grow(sc))
        return NULL;
    uint32_t j = hash_of(p, key) & (sc->hcap - 1);
    for (;; j = (j + 1) & (sc->hcap - 1)) {
        nfa_hent *e = &sc->hash[j];
        if (e->gen != sc->gen) {
            *e = (nfa_hent){.p = p, .key = key, .gen = sc->gen};
            sc->hused++;
            *fresh = true;
            return e;
        }
        if (e->p == p && e->key == key) {
            *fresh = false;
            return e;
        }
    }
}

/* Whether closure state `slot` was reached already in this generation (by
 * a path of class cls, when paths are read); marks it. 1, 0, or -1 out of
 * memory. */
static int seen(sweep *w, uint32_t slot, const vg_nfa_step *cls)
{
    nfa_scratch *sc = w->r->nfa->sc;
    if (!w->r->opts.read_path) {
        if (sc->seen[slot] == sc->gen)
            return 1;
        sc->seen[slot] = sc->gen;
        return 0;
    }
    bool fresh;
    if (!hash_get(sc, cls, slot, &fresh))
        return vg_error_set(w->err, VG_ERR_NOMEM, "out of memory");
    return !fresh;
}

/* ---- stepping an attempt ---- */

static int add_thread(sweep *w, uint32_t pc, uint32_t k, vg_nfa_step *path)
{
    vg_nfa_run *r = w->r;
    const nfa_scratch *sc = r->nfa->sc;
    if (w->dominated && sc->head[r->nfa->ins[pc].seen + k] == sc->head_gen)
        return 0;
    if (nfa_grow((void **)&r->th2, &r->th2_cap, r->nth2 + 1, sizeof *r->th2))
        return vg_error_set(w->err, VG_ERR_NOMEM, "out of memory");
    r->th2[r->nth2++] = (nfa_thread){.path = nfa_step_ref(path), .pc = pc, .k = k};
    w->a->nthreads++;
    return 0;
}

static void record_match(sweep *w, vg_nfa_step *path)
{
    nfa_step_release(w->r, w->a->match);
    w->a->match = nfa_step_ref(path);
    w->a->matched = true;
}

/* Follow the closure of a thread at (pc0, k0) with path, in preference
 * order: 1 when it reached MATCH (less preferred states are then cut), 0,
 * or -1 with err set. */
static int closure(sweep *w, uint32_t pc0, uint32_t k0, vg_nfa_step *path,
                   const vg_nfa_step *cls)
{
    const vg_nfa *n = w->r->nfa;
    uint32_t *st = n->sc->stack, sp = 0;
#define PUSH(p_, k_) (st[sp++] = (p_), st[sp++] = (k_))
    PUSH(pc0, k0);
    while (sp) {
        uint32_t k = st[--sp], pc = st[--sp];
        const nfa_ins *in = &n->ins[pc];
        if (in->op == NFA_VAR)
            k = 0; /* it waits for a row, after which k restarts */
        int s = seen(w, in->seen + k, cls);
        if (s < 0)
            return -1;
        if (s)
            continue;
        switch ((nfa_op)in->op) {
        case NFA_VAR:
            if (w->mode != SWEEP_END && add_thread(w, pc, 0, path))
                return -1;
            break;
        case NFA_END:
            if (w->mode == SWEEP_END)
                PUSH(pc + 1, k);
            else if (add_thread(w, pc, k, path))
                return -1;
            break;
        case NFA_START:
            if (w->cpos == 0)
                PUSH(pc + 1, k);
            break;
        case NFA_SPLIT:
            PUSH(in->b, k);
            PUSH(in->a, k);
            break;
        case NFA_JMP:
            PUSH(in->a, k);
            break;
        case NFA_ENTER:
            PUSH(pc + 1, k + 1);
            break;
        case NFA_LEAVE:
            if (k > 0)
                PUSH(in->a, k - 1);
            else
                PUSH(in->b, 0);
            break;
        case NFA_MATCH:
            record_match(w, path);
            return 1;
        }
    }
#undef PUSH
    return 0;
}

/* Whether the row satisfies var for a thread with path: 1, 0, -1 (err set).
 * When no DEFINE reads the path, the answer is asked once per row. */
static int ask(sweep *w, uint32_t var, const vg_nfa_step *path)
{
    const vg_nfa_hooks *h = w->h;
    int8_t *d = &w->r->nfa->sc->def[var];
    if (!h->define)
        return 1;
    if (!w->r->opts.read_path && *d >= 0)
        return *d;
    int v = h->define(h->arg, var, w->pos, path);
    if (v < 0)
        return vg_error_set(w->err, VG_ERR_RUNTIME, "row pattern condition failed");
    *d = v > 0;
    return v > 0;
}

/* Keep s until the attempt is stepped (the table names it); 0 or -1. */
static int keep_made(nfa_scratch *sc, vg_nfa_step *s)
{
    if (nfa_grow((void **)&sc->made, &sc->made_cap, sc->nmade + 1, sizeof *sc->made))
        return -1;
    sc->made[sc->nmade++] = nfa_step_ref(s);
    return 0;
}

/* With paths read and equal paths made one step: the step for path taking
 * the row as var. A new reference (its own class), or NULL. */
static vg_nfa_step *take_row_same(sweep *w, vg_nfa_step *path, uint32_t var, bool excl)
{
    nfa_scratch *sc = w->r->nfa->sc;
    bool fresh;
    nfa_hent *e = hash_get(sc, path, STEP_KEY | var << 1 | excl, &fresh);
    if (e && fresh) {
        vg_nfa_step *s = nfa_step_new(w->r, path, w->pos, var, excl);
        if (s && keep_made(sc, s))
            nfa_step_release(w->r, s), s = NULL;
        e->val = s;
        if (s)
            nfa_step_release(w->r, s); /* `made` holds it */
    }
    if (e && !e->val)
        e->gen = 0, sc->hused--; /* the last entry made: nothing follows it */
    return e && e->val ? nfa_step_ref(e->val) : NULL;
}

static uint32_t key_hash(const char *p, uint32_t n)
{
    uint32_t h = 2166136261u;
    for (uint32_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)p[i]) * 16777619u;
    return h | 1;
}

/* With a path_key hook: the class of new path s, the first path of this
 * step whose key bytes are equal (s itself when none). NULL when out of
 * memory. Keys are found by their hash, then by number among equal hashes. */
static const vg_nfa_step *key_class(sweep *w, vg_nfa_step *s)
{
    nfa_scratch *sc = w->r->nfa->sc;
    size_t off = sc->keys.len;
    if (w->r->opts.path_key(w->h->arg, s, &sc->keys) || sc->keys.len > UINT32_MAX)
        return NULL;
    uint32_t len = (uint32_t)(sc->keys.len - off);
    const void *h = (const void *)(uintptr_t)key_hash(sc->keys.p + off, len);
    for (uint32_t i = 0;; i++) {
        bool fresh;
        nfa_hent *e = hash_get(sc, h, KEY_BYTES | i, &fresh);
        if (!e)
            return NULL;
        if (!fresh) {
            if (e->len == len && (!len || !memcmp(sc->keys.p + e->off, sc->keys.p + off, len))) {
                sc->keys.len = off;
                return e->val;
            }
            continue;
        }
        if (keep_made(sc, s)) {
            e->gen = 0, sc->hused--; /* the last entry made: nothing follows it */
            return NULL;
        }
        *e = (nfa_hent){.p = h, .key = KEY_BYTES | i, .gen = sc->gen, .val = s,
                        .off = (uint32_t)off, .len = len};
        return s;
    }
}

/* The step for a thread with path taking the row as var (a new reference)
 * and its class for merging (*cls); NULL with err set. */
static vg_nfa_step *take_row(sweep *w, vg_nfa_step *path, uint32_t var, bool excl,
                             const vg_nfa_step **cls)
{
    vg_nfa_run *r = w->r;
    vg_nfa_step *s;
    if (r->opts.read_path && !r->opts.path_key)
        s = take_row_same(w, path, var, excl);
    else
        s = nfa_step_new(r, path, w->pos, var, excl);
    *cls = s;
    if (s && r->opts.read_path && r->opts.path_key && !(*cls = key_class(w, s)))
        nfa_step_release(r, s), s = NULL;
    if (!s)
        vg_error_set(w->err, VG_ERR_NOMEM, "out of memory");
    return s;
}

/* Step one thread: 1 when its closure reached MATCH, 0, -1 (err set). */
static int step_thread(sweep *w, const nfa_thread *t)
{
    const nfa_ins *in = &w->r->nfa->ins[t->pc];
    if (in->op == NFA_END)
        return w->mode == SWEEP_END ? closure(w, t->pc + 1, t->k, t->path, t->path) : 0;
    if (w->mode == SWEEP_END)
        return 0;
    int ok = ask(w, in->a, t->path);
    if (ok <= 0)
        return ok;
    const vg_nfa_step *cls;
    vg_nfa_step *s = take_row(w, t->path, in->a, in->excluded, &cls);
    if (!s)
        return -1;
    int rc = closure(w, t->pc + 1, 0, s, cls);
    nfa_step_release(w->r, s);
    return rc;
}

/* Step the attempt's old threads into the new list, in preference order,
 * until one reaches MATCH. The old paths (and the steps the table made) are
 * released at the end, so that no address is reused within the step. */
static int step_attempt(sweep *w, nfa_thread *old, uint32_t n)
{
    vg_nfa_run *r = w->r;
    nfa_scratch *sc = r->nfa->sc;
    new_gen(sc, r->nfa);
    int rc = 0;
    for (uint32_t i = 0; i < n && rc == 0; i++)
        rc = step_thread(w, &old[i]);
    nfa_drop_threads(r, old, n);
    for (uint32_t i = 0; i < sc->nmade; i++)
        nfa_step_release(r, sc->made[i]);
    sc->nmade = 0;
    return rc < 0 ? -1 : 0;
}

/* ---- WITHIN ---- */

/* Whether an attempt that began at t0 can take no row at time t (row) or
 * after time t (time passed). */
static bool within_over(const vg_nfa_run *r, int64_t t0, int64_t t, bool passed)
{
    if (r->opts.within <= 0 || t < t0)
        return false;
    return (uint64_t)t - (uint64_t)t0 >= (uint64_t)r->opts.within - passed;
}

/* WITHIN ends the attempt: its VAR threads die, the most preferred one kept
 * as the partial match a timeout reports; END threads still wait (they die
 * too when a row comes). */
static int expire(sweep *w, nfa_thread *old, uint32_t n, bool keep_end)
{
    vg_nfa_run *r = w->r;
    nfa_attempt *a = w->a;
    a->expired = true;
    for (uint32_t i = 0; i < n; i++) {
        nfa_thread *t = &old[i];
        if (r->nfa->ins[t->pc].op == NFA_VAR) {
            if (!a->matched && !a->partial)
                a->partial = nfa_step_ref(t->path);
        } else if (keep_end) {
            if (nfa_grow((void **)&r->th2, &r->th2_cap, r->nth2 + 1, sizeof *r->th2)) {
                nfa_drop_threads(r, old + i, n - i);
                return vg_error_set(w->err, VG_ERR_NOMEM, "out of memory");
            }
            r->th2[r->nth2++] = *t;
            a->nthreads++;
            continue;
        }
        nfa_step_release(r, t->path);
    }
    return 0;
}

/* Move n threads to the new list as they are. */
static int keep_threads(sweep *w, nfa_thread *old, uint32_t n)
{
    vg_nfa_run *r = w->r;
    if (nfa_grow((void **)&r->th2, &r->th2_cap, r->nth2 + n, sizeof *r->th2)) {
        nfa_drop_threads(r, old, n);
        return vg_error_set(w->err, VG_ERR_NOMEM, "out of memory");
    }
    if (n)
        memcpy(r->th2 + r->nth2, old, n * sizeof *old);
    r->nth2 += n;
    w->a->nthreads += n;
    return 0;
}

static int sweep_attempt(sweep *w, nfa_thread *old, uint32_t n)
{
    nfa_attempt *a = w->a;
    switch (w->mode) {
    case SWEEP_ROW:
        if (!a->expired && within_over(w->r, a->t0, w->time, false))
            return expire(w, old, n, false);
        return step_attempt(w, old, n);
    case SWEEP_TIME:
        if (!a->expired && within_over(w->r, a->t0, w->time, true))
            return expire(w, old, n, true);
        return keep_threads(w, old, n);
    case SWEEP_END:
        return step_attempt(w, old, n);
    }
    return 0;
}

/* ---- dominated threads ----
 *
 * With AFTER MATCH SKIP PAST LAST ROW, no WITHIN and no DEFINE reading the
 * path, a later attempt's thread in a state where the head attempt (the
 * one the standard's sequence is at) also has a thread is dropped. The two
 * have the same future. If it holds a match, the head will end with a
 * match that takes every row up to now (from that thread, or from a more
 * preferred one found later), so the later attempt is skipped; if not,
 * the thread could never have matched. Either way the reports are the
 * same, and attempts that only repeat the head (`(A|B)* C` over a long
 * run of A and B) cost nothing: the time per row is then bounded by the
 * program, not by the partition. */

static bool dominance_on(const vg_nfa_run *r)
{
    return r->opts.skip == VG_MR_SKIP_PAST_LAST && r->opts.within <= 0 && !r->opts.read_path;
}

/* Mark the states of the head's n threads t; whether there are any. */
static bool mark_head(vg_nfa_run *r, const nfa_thread *t, uint32_t n)
{
    nfa_scratch *sc = r->nfa->sc;
    if (n == 0)
        return false;
    if (++sc->head_gen == 0) {
        memset(sc->head, 0, r->nfa->nseen * sizeof *sc->head);
        sc->head_gen = 1;
    }
    for (uint32_t i = 0; i < n; i++)
        sc->head[r->nfa->ins[t[i].pc].seen + t[i].k] = sc->head_gen;
    return true;
}

/* Whether the run's first attempt is the head. */
static bool head_first(const vg_nfa_run *r)
{
    return r->nat && r->at[0].start == r->next_start && dominance_on(r);
}

/* Step every live attempt (w's mode), build the new thread list, and drop
 * the attempts that failed. After an error the rest of the threads die. */
static int sweep_all(sweep *w)
{
    vg_nfa_run *r = w->r;
    uint32_t off = 0, keep = 0;
    int rc = 0;
    r->nth2 = 0;
    for (uint32_t i = 0; i < r->nat; i++) {
        nfa_attempt *a = &r->at[i];
        uint32_t n = a->nthreads;
        nfa_thread *old = r->th + off;
        off += n;
        a->nthreads = 0;
        w->a = a;
        w->dominated = i > 0 && w->dominated;
        if (n && !rc)
            rc = sweep_attempt(w, old, n);
        else
            nfa_drop_threads(r, old, n);
        if (i == 0 && head_first(r))
            w->dominated = mark_head(r, r->th2, a->nthreads);
    }
    nfa_thread *t = r->th;
    uint32_t cap = r->th_cap;
    r->th = r->th2, r->th_cap = r->th2_cap, r->nth = r->nth2;
    r->th2 = t, r->th2_cap = cap, r->nth2 = 0;
    for (uint32_t i = 0; i < r->nat; i++) {
        if (nfa_attempt_failed(r, &r->at[i]))
            nfa_attempt_clear(r, &r->at[i]);
        else
            r->at[keep++] = r->at[i];
    }
    r->nat = keep;
    return rc;
}

/* An attempt at the row being pushed: its closure before the row. */
static int start_attempt(sweep *w)
{
    vg_nfa_run *r = w->r;
    if (nfa_grow((void **)&r->at, &r->at_cap, r->nat + 1, sizeof *r->at))
        return vg_error_set(w->err, VG_ERR_NOMEM, "out of memory");
    w->dominated = head_first(r) && mark_head(r, r->th, r->at[0].nthreads);
    nfa_attempt *a = &r->at[r->nat];
    *a = (nfa_attempt){.start = w->pos, .t0 = w->time};
    w->a = a;
    r->nth2 = 0;
    new_gen(r->nfa->sc, r->nfa);
    if (closure(w, 0, 0, NULL, NULL) < 0 ||
        nfa_grow((void **)&r->th, &r->th_cap, r->nth + r->nth2, sizeof *r->th)) {
        nfa_drop_threads(r, r->th2, r->nth2);
        r->nth2 = 0;
        nfa_attempt_clear(r, a);
        return vg_error_set(w->err, VG_ERR_NOMEM, "out of memory");
    }
    if (r->nth2)
        memcpy(r->th + r->nth, r->th2, r->nth2 * sizeof *r->th);
    r->nth += r->nth2;
    r->nth2 = 0;
    if (!nfa_attempt_failed(r, a))
        r->nat++;
    return 0;
}

/* ---- the API ---- */

static void reset_defines(vg_nfa_run *r)
{
    memset(r->nfa->sc->def, -1, sizeof r->nfa->sc->def);
}

int vg_nfa_push(vg_nfa_run *r, int64_t ts, const vg_nfa_hooks *h, vg_error *err)
{
    sweep w = {.r = r, .h = h, .err = err, .mode = SWEEP_ROW, .pos = r->next_pos,
               .cpos = r->next_pos, .time = ts};
    reset_defines(r);
    if (r->next_pos >= r->next_start && start_attempt(&w))
        return -1;
    w.cpos = r->next_pos + 1;
    int rc = sweep_all(&w);
    r->next_pos++;
    return rc ? rc : nfa_settle(r, h, err);
}

int vg_nfa_advance(vg_nfa_run *r, int64_t t, const vg_nfa_hooks *h, vg_error *err)
{
    sweep w = {.r = r, .h = h, .err = err, .mode = SWEEP_TIME, .cpos = r->next_pos, .time = t};
    if (r->opts.within > 0 && sweep_all(&w))
        return -1;
    return nfa_settle(r, h, err);
}

int vg_nfa_finish(vg_nfa_run *r, const vg_nfa_hooks *h, vg_error *err)
{
    sweep w = {.r = r, .h = h, .err = err, .mode = SWEEP_END, .cpos = r->next_pos};
    if (sweep_all(&w))
        return -1;
    return nfa_settle(r, h, err);
}

