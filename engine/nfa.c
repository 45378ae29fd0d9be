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
 * instruction; when one does, the state includes the path's class: with a
 * path_key, the paths whose keys are equal (the caller's define hook gives
 * the key of each new path), else the paths that are equal, made one step.
 * Reaching MATCH records the attempt's match and drops every less
 * preferred thread; the attempt is decided when no thread is left. WITHIN
 * ends attempts (expire), and shortcuts drop or share work that cannot
 * change a report (dominated threads and followers, nfa_share.c; doomed
 * attempts, nfa_run.c), and an attempt whose threads are those of one
 * stepped before it over the same row copies that one's step (twins).
 * nfa_run.c then reports what is decided, in the standard's order.
 *
 * Serial runs (a DEFINE reads MATCH_NUMBER) keep one attempt at a time:
 * once it is reported, the next one the standard's sequence makes starts
 * and steps over the rows pushed since its first row (catch_up).
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
    nfa_key *key;   /* with path_key: the key of the path the closure adds threads with */
    bool dominated; /* threads in a state the head attempt has are dropped */
} sweep;

static int nomem(vg_error *err) { return vg_error_set(err, VG_ERR_NOMEM, "out of memory"); }

static bool keyed(const vg_nfa_run *r) { return r->opts.read_path && r->opts.path_key; }

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
 * made (with val and k NULL). NULL when out of memory. */
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

/* Forget the entry hash_get just made (nothing was made after it). */
static void hash_unget(nfa_scratch *sc, nfa_hent *e)
{
    e->gen = 0;
    sc->hused--;
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
        return nomem(w->err);
    return !fresh;
}

/* ---- twins (nfa_twin.c) ---- */

/* Whether w's attempt may be stepped as a twin, or recorded: a row sweep
 * that looks for twins, no dominated threads (the head's states filter
 * later attempts only), paths not compared by identity (read_path
 * without keys). */
static bool twin_usable(const sweep *w)
{
    const vg_nfa_run *r = w->r;
    nfa_scratch *sc = r->nfa->sc;
    if (!sc->tw_on || w->mode != SWEEP_ROW || w->dominated || (r->opts.read_path && !keyed(r)))
        return false;
    sc->tw_looks++;
    return true;
}

static void record_match(sweep *w, vg_nfa_step *path);

/* Step w's attempt, whose n threads old are the recorded attempt's, as
 * its twin. 0 or -1 (err set). */
static int twin_step(sweep *w, nfa_thread *old, uint32_t n)
{
    vg_nfa_step *m = NULL;
    if (nfa_twin_step(w->r, w->a, old, n, w->pos, &m))
        return nomem(w->err);
    if (m)
        record_match(w, m);
    nfa_step_release(w->r, m);
    return 0;
}

/* ---- stepping an attempt ---- */

static int add_thread(sweep *w, uint32_t pc, uint32_t k, vg_nfa_step *path)
{
    vg_nfa_run *r = w->r;
    const nfa_scratch *sc = r->nfa->sc;
    uint32_t slot = r->nfa->ins[pc].seen + k;
    if (w->dominated && (keyed(r) ? nfa_in_head(r, slot, w->key) : sc->head[slot] == sc->head_gen))
        return 0;
    if (nfa_grow((void **)&r->th2, &r->th2_cap, r->nth2 + 1, sizeof *r->th2))
        return nomem(w->err);
    r->th2[r->nth2++] =
        (nfa_thread){.path = nfa_step_ref(path), .key = nfa_key_ref(w->key), .pc = pc, .k = k};
    w->a->nthreads++;
    if (r->nfa->sc->tw_rec && nfa_twin_note(r, pc, k, w->key) < 0)
        return nomem(w->err);
    return 0;
}

static void record_match(sweep *w, vg_nfa_step *path)
{
    nfa_step_release(w->r, w->a->match);
    w->a->match = nfa_step_ref(path);
    w->a->matched = true;
    nfa_scratch *sc = w->r->nfa->sc;
    if (sc->tw_rec)
        sc->tw_match = sc->tw_from;
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

/* Whether the row satisfies var for thread t: 1, 0, -1 (err set). When no
 * DEFINE reads the path, the answer is asked once per row; with keys, the
 * key of the path taking the row is left in the scratch's keys. */
static int ask(sweep *w, uint32_t var, const nfa_thread *t)
{
    const vg_nfa_hooks *h = w->h;
    vg_nfa_run *r = w->r;
    nfa_scratch *sc = r->nfa->sc;
    int8_t *d = &sc->def[var];
    if (!h->define)
        return 1;
    if (!r->opts.read_path && *d >= 0)
        return *d;
    const nfa_key *k = keyed(r) ? t->key : NULL;
    sc->keys.len = 0;
    int v = h->define(h->arg, var, w->pos, t->path, k ? k->bytes : NULL, k ? k->len : 0,
                      keyed(r) ? &sc->keys : NULL);
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
        hash_unget(sc, e); /* the last entry made: nothing follows it */
    return e && e->val ? nfa_step_ref(e->val) : NULL;
}

/* With keys: the class of new path s, whose key bytes are the scratch's
 * keys: the first path of this step with equal bytes (s itself when none),
 * its key in *key (the table's). *key comes in as the key of the path s
 * extends: a row that leaves the key as it was (most do) reuses it, so
 * that neither a hash nor a new key is made. NULL when out of memory. Keys
 * are found by their hash, then by number among equal hashes. */
static const vg_nfa_step *key_class(sweep *w, vg_nfa_step *s, nfa_key **key)
{
    vg_nfa_run *r = w->r;
    nfa_scratch *sc = r->nfa->sc;
    if (sc->keys.len > UINT32_MAX)
        return NULL;
    uint32_t len = (uint32_t)sc->keys.len;
    nfa_key *old = *key;
    bool same = old && old->len == len && (!len || !memcmp(old->bytes, sc->keys.p, len));
    const void *h = (const void *)(uintptr_t)(same ? old->hash : nfa_key_hash(sc->keys.p, len));
    for (uint32_t i = 0;; i++) {
        bool fresh;
        nfa_hent *e = hash_get(sc, h, KEY_BYTES | i, &fresh);
        if (!e)
            return NULL;
        if (!fresh) {
            if (e->k->len == len && (!len || !memcmp(e->k->bytes, sc->keys.p, len))) {
                *key = e->k;
                return e->val;
            }
            continue;
        }
        nfa_key *k = same ? nfa_key_ref(old) : nfa_key_new(r, sc->keys.p, len);
        if (!k || nfa_grow((void **)&sc->kmade, &sc->kmade_cap, sc->nkmade + 1,
                           sizeof *sc->kmade) ||
            keep_made(sc, s)) {
            nfa_key_release(r, k);
            hash_unget(sc, e); /* the last entry made: nothing follows it */
            return NULL;
        }
        sc->kmade[sc->nkmade++] = k; /* the table's reference */
        e->val = s;
        e->k = k;
        *key = k;
        return s;
    }
}

/* The step for a thread with path taking the row as var (a new reference)
 * and its class for merging (*cls); with keys, w->key is its key. NULL with
 * err set. */
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
    if (s && keyed(r)) {
        nfa_scratch *sc = r->nfa->sc;
        if (!w->h->define) { /* no define hook gave the key: work it out */
            sc->keys.len = 0;
            if (r->opts.path_key(w->h->arg, s, &sc->keys))
                *cls = NULL;
        }
        if (*cls)
            *cls = key_class(w, s, &w->key);
        if (!*cls)
            nfa_step_release(r, s), s = NULL;
    }
    if (!s)
        nomem(w->err);
    return s;
}

/* Step one thread: 1 when its closure reached MATCH, 0, -1 (err set). */
static int step_thread(sweep *w, const nfa_thread *t)
{
    const nfa_ins *in = &w->r->nfa->ins[t->pc];
    w->key = t->key;
    if (in->op == NFA_END)
        return w->mode == SWEEP_END ? closure(w, t->pc + 1, t->k, t->path, t->path) : 0;
    if (w->mode == SWEEP_END)
        return 0;
    int ok = ask(w, in->a, t);
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
 * until one reaches MATCH. The old paths (and the steps and keys the table
 * made) are released at the end, so that no address is reused within the
 * step. */
static int step_attempt(sweep *w, nfa_thread *old, uint32_t n)
{
    vg_nfa_run *r = w->r;
    nfa_scratch *sc = r->nfa->sc;
    if (twin_usable(w)) {
        if (sc->tw_valid && nfa_twin_of(r, old, n)) {
            sc->tw_hits++;
            return twin_step(w, old, n);
        }
        if (!sc->tw_valid && nfa_twin_likely(r, (uint32_t)(w->a - r->at), old, n) &&
            nfa_twin_begin(r, old, n) < 0) {
            nfa_drop_threads(r, old, n);
            return nomem(w->err);
        }
    }
    new_gen(sc, r->nfa);
    int rc = 0;
    for (uint32_t i = 0; i < n && rc == 0; i++) {
        sc->tw_from = i;
        rc = step_thread(w, &old[i]);
    }
    if (sc->tw_rec) {
        sc->tw_rec = false;
        sc->tw_valid = rc >= 0;
    }
    nfa_drop_threads(r, old, n);
    for (uint32_t i = 0; i < sc->nmade; i++)
        nfa_step_release(r, sc->made[i]);
    for (uint32_t i = 0; i < sc->nkmade; i++)
        nfa_key_release(r, sc->kmade[i]);
    sc->nmade = sc->nkmade = 0;
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
            nfa_follow *f = !a->matched && !nfa_partial(a) && r->opts.timeouts ? nfa_fol_of(a)
                                                                                 : NULL;
            if (f)
                f->partial = nfa_step_ref(t->path);
            else if (!a->matched && !nfa_partial(a) && r->opts.timeouts) {
                nfa_drop_threads(r, old + i, n - i);
                return nomem(w->err);
            }
        } else if (keep_end) {
            if (nfa_grow((void **)&r->th2, &r->th2_cap, r->nth2 + 1, sizeof *r->th2)) {
                nfa_drop_threads(r, old + i, n - i);
                return nomem(w->err);
            }
            r->th2[r->nth2++] = *t;
            a->nthreads++;
            continue;
        }
        nfa_drop_threads(r, t, 1);
    }
    return 0;
}

/* Move n threads to the new list as they are. */
static int keep_threads(sweep *w, nfa_thread *old, uint32_t n)
{
    vg_nfa_run *r = w->r;
    if (nfa_grow((void **)&r->th2, &r->th2_cap, r->nth2 + n, sizeof *r->th2)) {
        nfa_drop_threads(r, old, n);
        return nomem(w->err);
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

/* Whether the run's first attempt is the head whose states dominate. */
static bool head_first(const vg_nfa_run *r)
{
    return r->nat && r->at[0].start == r->next_start && nfa_dominance_on(r);
}

/* Step every live attempt (w's mode), build the new thread list, resolve
 * the followers of attempts now decided, drop the attempts that failed
 * and, after a row, let attempts follow earlier ones. After an error the
 * rest of the threads die. */
static int sweep_all(sweep *w)
{
    vg_nfa_run *r = w->r;
    uint32_t off = 0, keep = 0;
    int rc = 0;
    r->nth2 = 0;
    r->nfa->sc->tw_on = w->mode == SWEEP_ROW && r->nat > 1 && nfa_twin_gate(r->nfa->sc);
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
            w->dominated = nfa_mark_head(r, r->th2, a->nthreads);
    }
    nfa_thread *t = r->th;
    uint32_t cap = r->th_cap;
    r->th = r->th2, r->th_cap = r->th2_cap, r->nth = r->nth2;
    r->th2 = t, r->th2_cap = cap, r->nth2 = 0;
    if (!rc && r->more && r->more->nfollow)
        rc = nfa_resolve_followers(r, false, w->err);
    for (uint32_t i = 0; i < r->nat; i++) {
        if (nfa_attempt_failed(r, &r->at[i]))
            nfa_attempt_clear(r, &r->at[i]);
        else
            r->at[keep++] = r->at[i];
    }
    r->nat = keep;
    nfa_twin_release(r);
    if (!rc && w->mode == SWEEP_ROW)
        rc = nfa_share(r, w->err);
    return rc;
}

/* The key of the empty path (asked once per run), or NULL with err set. */
static nfa_key *empty_key(sweep *w)
{
    vg_nfa_run *r = w->r;
    nfa_scratch *sc = r->nfa->sc;
    if (r->more->empty_key)
        return r->more->empty_key;
    sc->keys.len = 0;
    if (r->opts.path_key(w->h->arg, NULL, &sc->keys) == 0 && sc->keys.len <= UINT32_MAX)
        r->more->empty_key = nfa_key_new(r, sc->keys.p, (uint32_t)sc->keys.len);
    if (!r->more->empty_key)
        nomem(w->err);
    return r->more->empty_key;
}

/* An attempt at the row being pushed: its closure before the row. */
static int start_attempt(sweep *w)
{
    vg_nfa_run *r = w->r;
    if (nfa_grow((void **)&r->at, &r->at_cap, r->nat + 1, sizeof *r->at))
        return nomem(w->err);
    w->key = NULL;
    if (keyed(r) && !(w->key = empty_key(w)))
        return -1;
    w->dominated = head_first(r) && nfa_mark_head(r, r->th, r->at[0].nthreads);
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
        return nomem(w->err);
    }
    if (r->nth2)
        memcpy(r->th + r->nth, r->th2, r->nth2 * sizeof *r->th);
    r->nth += r->nth2;
    r->nth2 = 0;
    if (!nfa_attempt_failed(r, a))
        r->nat++;
    return 0;
}

/* ---- serial attempts ---- */

static void reset_defines(vg_nfa_run *r)
{
    memset(r->nfa->sc->def, -1, sizeof r->nfa->sc->def);
}

/* Step the attempt just started at w->pos over the rows pushed since, then
 * pass the time passed and end the partition if it ended, until it is
 * decided. */
static int replay(sweep *w)
{
    vg_nfa_run *r = w->r;
    for (uint64_t q = w->pos; q < r->next_pos && r->nat && nfa_attempt_open(&r->at[0]); q++) {
        reset_defines(r);
        *w = (sweep){.r = r, .h = w->h, .err = w->err, .mode = SWEEP_ROW, .pos = q,
                     .cpos = q + 1, .time = nfa_time_at(r, q)};
        if (sweep_all(w))
            return -1;
    }
    w->cpos = r->next_pos;
    if (r->nat && r->opts.within > 0 && r->more->passed) {
        w->mode = SWEEP_TIME;
        w->time = r->more->passed_max;
        if (sweep_all(w))
            return -1;
    }
    if (r->nat && r->more->ended) {
        w->mode = SWEEP_END;
        if (sweep_all(w))
            return -1;
    }
    return 0;
}

/* Report what is decided; serial: then start the attempt the standard's
 * sequence has reached, over the rows pushed since its first, until one is
 * open or no row is left. */
static int settle(vg_nfa_run *r, const vg_nfa_hooks *h, vg_error *err)
{
    if (nfa_settle(r, h, err))
        return -1;
    nfa_pile_up(r);
    while (nfa_serial(r) && r->nat == 0 && r->next_start < r->next_pos) {
        uint64_t s = r->next_start;
        sweep w = {.r = r, .h = h, .err = err, .mode = SWEEP_ROW, .pos = s, .cpos = s,
                   .time = nfa_time_at(r, s)};
        reset_defines(r);
        if (start_attempt(&w) || replay(&w) || nfa_settle(r, h, err))
            return -1;
    }
    if (r->more && r->more->piled && r->nat == 0 && r->next_start == r->next_pos)
        r->more->piled = false; /* idle: attempts may run side by side again */
    if (nfa_keeps_times(r))
        nfa_times_trim(r);
    return 0;
}

/* ---- the API ---- */

int vg_nfa_push(vg_nfa_run *r, int64_t ts, const vg_nfa_hooks *h, vg_error *err)
{
    sweep w = {.r = r, .h = h, .err = err, .mode = SWEEP_ROW, .pos = r->next_pos,
               .cpos = r->next_pos, .time = ts};
    reset_defines(r);
    if (r->more)
        r->more->ended = false;
    if (nfa_keeps_times(r) && nfa_times_push(r, ts))
        return nomem(err);
    if (r->next_pos >= r->next_start && (!nfa_serial(r) || r->nat == 0) && start_attempt(&w))
        return -1;
    w.cpos = r->next_pos + 1;
    int rc = sweep_all(&w);
    r->next_pos++;
    return rc ? rc : settle(r, h, err);
}

int vg_nfa_advance(vg_nfa_run *r, int64_t t, const vg_nfa_hooks *h, vg_error *err)
{
    sweep w = {.r = r, .h = h, .err = err, .mode = SWEEP_TIME, .cpos = r->next_pos, .time = t};
    if (r->more && (!r->more->passed || t > r->more->passed_max))
        r->more->passed = true, r->more->passed_max = t;
    if (r->opts.within > 0 && sweep_all(&w))
        return -1;
    return settle(r, h, err);
}

int vg_nfa_finish(vg_nfa_run *r, const vg_nfa_hooks *h, vg_error *err)
{
    sweep w = {.r = r, .h = h, .err = err, .mode = SWEEP_END, .cpos = r->next_pos};
    if (r->more)
        r->more->ended = true;
    if (sweep_all(&w))
        return -1;
    return settle(r, h, err);
}
