/*
 * nfa_share.c — what a run's threads and attempts share: path keys (one
 * block per key, reference-counted), the head attempt's states, and
 * followers.
 *
 * Two threads in the same state (pc, k) whose paths have equal keys (or,
 * when no DEFINE reads more than its row, any two threads in the same
 * state) have the same future: the same rows take them to the same states,
 * in whichever attempt they are. Two shortcuts follow from it.
 *
 * Dominated threads (AFTER MATCH SKIP PAST LAST ROW): a later attempt's
 * thread in a state the head attempt also has is dropped. If it could
 * complete, so could the head's, and the head's match would then take
 * every row up to this one: the later attempt would be skipped.
 *
 * Followers (AFTER MATCH SKIP TO NEXT ROW, where every attempt is
 * reported): after a row, an attempt whose threads are, one for one in
 * order, in the states and with the keys of an earlier open attempt's (its
 * leader) stops being stepped. It keeps, per thread, its own path beside
 * the leader's newest step (made unique to that thread), and the leader's
 * match then. When the leader is decided, its match either is the one it
 * had then (none of those threads completed: the follower keeps the match
 * it had recorded itself, if any), or went through one of those threads:
 * the follower's match is its own path for that thread followed by the
 * leader's rows after the link, the most preferred completion of the same
 * state. That path is made only when it is reported. A run of `(A|B)* C`
 * over rows that never end a match thus steps one attempt, however many
 * are open.
 *
 * Neither applies with WITHIN (attempts end at different times), to serial
 * runs (MATCH_NUMBER), or when DEFINEs read the path without keys.
 */
#include <string.h>

#include "engine/nfa_int.h"

static int nomem(vg_error *err) { return vg_error_set(err, VG_ERR_NOMEM, "out of memory"); }

static bool keyed(const vg_nfa_run *r) { return r->opts.read_path && r->opts.path_key; }

/* Whether equal states (and keys) decide a thread's future in any attempt. */
static bool futures_comparable(const vg_nfa_run *r)
{
    return r->opts.within <= 0 && !nfa_serial(r) && (!r->opts.read_path || r->opts.path_key);
}

/* ---- keys ---- */

uint32_t nfa_key_hash(const void *p, uint32_t n)
{
    const unsigned char *b = p;
    uint32_t h = 2166136261u;
    for (uint32_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 16777619u;
    return h | 1;
}

nfa_key *nfa_key_new(vg_nfa_run *r, const void *p, uint32_t n)
{
    nfa_key *k = vg_malloc(VG_MEM_STATE, sizeof *k + n);
    if (!k)
        return NULL;
    k->refs = 1;
    k->len = n;
    k->hash = nfa_key_hash(p, n);
    if (n)
        memcpy(k->bytes, p, n);
    r->more->nkeys++;
    r->more->key_bytes += n;
    return k;
}

void nfa_key_release(vg_nfa_run *r, nfa_key *k)
{
    if (k && --k->refs == 0) {
        r->more->nkeys--;
        r->more->key_bytes -= k->len;
        vg_free(k);
    }
}

/* ---- the head's states ---- */

bool nfa_dominance_on(const vg_nfa_run *r)
{
    return r->opts.skip == VG_MR_SKIP_PAST_LAST && futures_comparable(r);
}

static uint32_t mark_hash(uint32_t slot, const nfa_key *key)
{
    uint64_t x = ((uint64_t)key->hash << 32 | slot) * 0x9e3779b97f4a7c15u;
    return (uint32_t)(x >> 32);
}

/* Room for n marks in the table; false when out of memory. */
static bool marks_reserve(nfa_scratch *sc, uint32_t n)
{
    uint32_t cap = sc->hmarks_cap ? sc->hmarks_cap : 16;
    while (cap < 2 * n && cap < UINT32_MAX / 2)
        cap *= 2;
    if (cap == sc->hmarks_cap)
        return true;
    nfa_hmark *t = vg_calloc(VG_MEM_STATE, cap, sizeof *t);
    if (!t)
        return false;
    vg_free(sc->hmarks);
    sc->hmarks = t;
    sc->hmarks_cap = cap;
    return true;
}

static void mark(nfa_scratch *sc, uint32_t slot, const nfa_key *key)
{
    uint32_t m = sc->hmarks_cap - 1;
    for (uint32_t j = mark_hash(slot, key) & m;; j = (j + 1) & m) {
        nfa_hmark *e = &sc->hmarks[j];
        if (e->gen != sc->head_gen) {
            *e = (nfa_hmark){.key = key, .slot = slot, .gen = sc->head_gen};
            return;
        }
        if (e->slot == slot && nfa_key_same(e->key, key))
            return;
    }
}

bool nfa_mark_head(vg_nfa_run *r, const nfa_thread *t, uint32_t n)
{
    nfa_scratch *sc = r->nfa->sc;
    if (n == 0 || (keyed(r) && !marks_reserve(sc, n)))
        return false; /* without marks, nothing is dropped */
    if (++sc->head_gen == 0) {
        memset(sc->head, 0, r->nfa->nseen * sizeof *sc->head);
        for (uint32_t i = 0; i < sc->hmarks_cap; i++)
            sc->hmarks[i].gen = 0;
        sc->head_gen = 1;
    }
    for (uint32_t i = 0; i < n; i++) {
        uint32_t slot = r->nfa->ins[t[i].pc].seen + t[i].k;
        if (!keyed(r))
            sc->head[slot] = sc->head_gen;
        else if (t[i].key)
            mark(sc, slot, t[i].key);
    }
    return true;
}

bool nfa_in_head(const vg_nfa_run *r, uint32_t slot, const nfa_key *key)
{
    const nfa_scratch *sc = r->nfa->sc;
    if (!key)
        return false;
    uint32_t m = sc->hmarks_cap - 1;
    for (uint32_t j = mark_hash(slot, key) & m;; j = (j + 1) & m) {
        const nfa_hmark *e = &sc->hmarks[j];
        if (e->gen != sc->head_gen)
            return false;
        if (e->slot == slot && nfa_key_same(e->key, key))
            return true;
    }
}

/* ---- followers: linking ---- */

static bool share_on(const vg_nfa_run *r)
{
    return r->opts.skip == VG_MR_SKIP_TO_NEXT && futures_comparable(r);
}

/* The signature of n threads, 0 when one's key is not known (it cannot be
 * compared). */
static uint32_t signature(const vg_nfa_run *r, const nfa_thread *t, uint32_t n)
{
    uint32_t h = 2166136261u;
    for (uint32_t i = 0; i < n; i++) {
        if (keyed(r) && !t[i].key)
            return 0;
        uint32_t w[3] = {t[i].pc, t[i].k, keyed(r) ? t[i].key->hash : 0};
        for (int j = 0; j < 3; j++)
            h = (h ^ w[j]) * 16777619u;
    }
    return h | 1;
}

static bool same_threads(const vg_nfa_run *r, const nfa_thread *a, const nfa_thread *b,
                         uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        if (a[i].pc != b[i].pc || a[i].k != b[i].k ||
            (keyed(r) && !nfa_key_same(a[i].key, b[i].key)))
            return false;
    return true;
}

/* Make the newest step of each of the leader's n threads t its own: not
 * shared with the thread before it or with the leader's match (threads
 * that share a step are next to each other: one closure made them). 0 or
 * -1. */
static int own_heads(vg_nfa_run *r, const nfa_attempt *lead, nfa_thread *t, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        vg_nfa_step *p = t[i].path;
        if (p != lead->match && (i == 0 || p != t[i - 1].path))
            continue;
        vg_nfa_step *c = nfa_step_new(r, (vg_nfa_step *)p->prev, p->pos, p->var, p->excluded);
        if (!c)
            return -1;
        nfa_step_release(r, p);
        t[i].path = c;
    }
    return 0;
}

nfa_follow *nfa_fol_of(nfa_attempt *a)
{
    if (!a->fol && (a->fol = vg_malloc(VG_MEM_STATE, sizeof *a->fol)))
        *a->fol = (nfa_follow){.followers = NFA_NONE};
    return a->fol;
}

/* Make f (whose threads are ft) follow lead (threads lt), both n threads;
 * f is moved to the followers by move_followers. */
static int link_to(vg_nfa_run *r, nfa_attempt *lead, nfa_thread *lt, nfa_attempt *f,
                   const nfa_thread *ft, uint32_t n)
{
    nfa_follow *lf = nfa_fol_of(lead);
    if (!lf || own_heads(r, lead, lt, n))
        return -1;
    nfa_follow *fol = vg_malloc(VG_MEM_STATE, sizeof *fol + (size_t)n * sizeof(nfa_link));
    if (!fol)
        return -1;
    *fol = (nfa_follow){.followers = f->fol ? f->fol->followers : NFA_NONE, .following = true,
                        .lead = lead->start, .next = lf->followers, .at = lt[0].path->pos,
                        .lead_match = nfa_step_ref(lead->match), .lead_matched = lead->matched,
                        .nlinks = n};
    for (uint32_t i = 0; i < n; i++)
        fol->links[i] = (nfa_link){nfa_step_ref(lt[i].path), nfa_step_ref(ft[i].path)};
    vg_free(f->fol); /* it only led others (no WITHIN: no partial match): no reference */
    f->fol = fol;
    lf->followers = f->start;
    r->more->nfollow++;
    return 0;
}

/* Room for nat signatures, a table of at least 2 * nat entries (its size in
 * *tcap), and nat thread offsets, in this order. NULL when out of memory. */
static uint32_t *sig_reserve(nfa_scratch *sc, uint32_t nat, uint32_t *tcap)
{
    uint32_t cap = 16;
    while (cap < 2 * nat)
        cap *= 2;
    if (nfa_grow((void **)&sc->sig, &sc->sig_cap, 2 * nat + cap, sizeof *sc->sig))
        return NULL;
    *tcap = cap;
    return sc->sig;
}

/* The earlier attempt of the table (by signature) whose threads are those
 * of attempt i, or -1 (i is then entered when no attempt has its
 * signature). */
static int64_t find_leader(const vg_nfa_run *r, uint32_t *sig, uint32_t tcap, uint32_t i,
                           const uint32_t *off)
{
    uint32_t *tab = sig + r->nat, m = tcap - 1;
    const nfa_attempt *a = &r->at[i];
    for (uint32_t j = sig[i] & m;; j = (j + 1) & m) {
        if (!tab[j]) {
            tab[j] = i + 1;
            return -1;
        }
        uint32_t l = tab[j] - 1;
        if (sig[l] != sig[i])
            continue;
        if (r->at[l].nthreads != a->nthreads ||
            !same_threads(r, r->th + off[l], r->th + off[i], a->nthreads))
            return -1;
        return l;
    }
}

/* Put follower a with the followers, in order of start (usually at the end). 0 or
 * -1 (out of memory). */
static int fw_insert(vg_nfa_run *r, const nfa_attempt *a)
{
    if (r->more->fw_skip && r->more->fw_skip + r->more->nfw == r->more->fw_cap) {
        memmove(r->more->fw, nfa_fw(r), r->more->nfw * sizeof *r->more->fw);
        r->more->fw_skip = 0;
    }
    nfa_more *m = r->more;
    if (nfa_grow((void **)&m->fw, &m->fw_cap, m->fw_skip + m->nfw + 1, sizeof *m->fw))
        return -1;
    nfa_attempt *fw = nfa_fw(r);
    uint32_t i = r->more->nfw;
    while (i > 0 && fw[i - 1].start > a->start)
        i--;
    memmove(fw + i + 1, fw + i, (r->more->nfw - i) * sizeof *fw);
    fw[i] = *a;
    r->more->nfw++;
    return 0;
}

/* Drop the threads of the attempts that became followers and move them to
 * the followers. 0 or -1 (out of memory: the rest stay in r->at without threads,
 * which only costs their sweeps). */
static int move_followers(vg_nfa_run *r)
{
    uint32_t from = 0, to = 0, keep = 0;
    int rc = 0;
    for (uint32_t i = 0; i < r->nat; i++) {
        nfa_attempt *a = &r->at[i];
        uint32_t n = a->nthreads;
        bool moved = false;
        if (nfa_following(a) && !a->fol->resolved) {
            nfa_drop_threads(r, r->th + from, n);
            a->nthreads = 0;
            moved = rc == 0 && (rc = fw_insert(r, a)) == 0;
        } else if (n) {
            memmove(r->th + to, r->th + from, n * sizeof *r->th);
            to += n;
        }
        from += n;
        if (!moved)
            r->at[keep++] = *a;
    }
    r->nth = to;
    r->nat = keep;
    return rc;
}

int nfa_share(vg_nfa_run *r, vg_error *err)
{
    if (!share_on(r) || r->nat < 2)
        return 0;
    nfa_scratch *sc = r->nfa->sc;
    uint32_t tcap, *sig = sig_reserve(sc, r->nat, &tcap);
    if (!sig)
        return nomem(err);
    uint32_t *off = sig + r->nat + tcap; /* each attempt's first thread */
    for (uint32_t i = 0, o = 0; i < r->nat; i++) {
        const nfa_attempt *a = &r->at[i];
        off[i] = o;
        o += a->nthreads;
        sig[i] = a->nthreads ? signature(r, r->th + off[i], a->nthreads) : 0;
    }
    memset(sig + r->nat, 0, tcap * sizeof *sig);
    bool linked = false;
    int rc = 0;
    for (uint32_t i = 0; i < r->nat && !rc; i++) {
        int64_t l = sig[i] ? find_leader(r, sig, tcap, i, off) : -1;
        if (l < 0)
            continue;
        rc = link_to(r, &r->at[l], r->th + off[l], &r->at[i], r->th + off[i], r->at[i].nthreads);
        linked |= !rc;
    }
    if (linked && move_followers(r))
        rc = -1;
    return rc ? nomem(err) : 0;
}

/* ---- followers: resolving ---- */

void nfa_follow_free(vg_nfa_run *r, nfa_follow *f)
{
    for (uint32_t i = 0; i < f->nlinks; i++) {
        nfa_step_release(r, f->links[i].lead);
        nfa_step_release(r, f->links[i].own);
    }
    nfa_step_release(r, f->lead_match);
    nfa_step_release(r, f->suffix);
    nfa_step_release(r, f->partial);
    vg_free(f);
}

int nfa_match_path(vg_nfa_run *r, const nfa_attempt *a, vg_nfa_step **out)
{
    const nfa_follow *f = a->fol;
    *out = NULL;
    if (!f || !f->suffix) {
        *out = nfa_step_ref(a->match);
        return 0;
    }
    uint64_t n = f->suffix->pos - f->at;
    const vg_nfa_step **rows = vg_malloc(VG_MEM_STATE, (n ? n : 1) * sizeof *rows);
    if (!rows)
        return -1;
    const vg_nfa_step *s = f->suffix;
    for (uint64_t i = n; i-- > 0; s = s->prev)
        rows[i] = s;
    vg_nfa_step *p = nfa_step_ref(a->match);
    for (uint64_t i = 0; i < n && p; i++) {
        vg_nfa_step *q = nfa_step_new(r, p, rows[i]->pos, rows[i]->var, rows[i]->excluded);
        nfa_step_release(r, p);
        p = q;
    }
    vg_free(rows);
    *out = p;
    return p ? 0 : -1;
}

/* The attempt that starts at `start` among the n of `at`, or NULL. */
static nfa_attempt *find_in(nfa_attempt *at, uint32_t n, uint64_t start)
{
    uint32_t lo = 0, hi = n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (at[mid].start < start)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && at[lo].start == start ? &at[lo] : NULL;
}

nfa_attempt *nfa_attempt_at(vg_nfa_run *r, uint64_t start)
{
    nfa_attempt *a = find_in(r->at, r->nat, start);
    return a || !nfa_nfw(r) ? a : find_in(nfa_fw(r), r->more->nfw, start);
}

int nfa_follow_enter(vg_nfa_run *r, nfa_attempt *f)
{
    nfa_attempt *lead = nfa_attempt_at(r, f->fol->lead);
    if (!lead || lead->start >= f->start)
        return -1;
    nfa_follow *lf = nfa_fol_of(lead);
    if (!lf)
        return -2;
    f->fol->next = lf->followers;
    lf->followers = f->start;
    return 0;
}

/* The leader's match as a path, made once (a follower's own rows and
 * suffix are replaced by it): borrowed in *out. 0 or -1 (out of memory). */
static int lead_path(vg_nfa_run *r, nfa_attempt *lead, const vg_nfa_step **out)
{
    vg_nfa_step *p;
    if (nfa_match_path(r, lead, &p))
        return -1;
    if (lead->fol && lead->fol->suffix) {
        nfa_step_release(r, lead->match);
        nfa_step_release(r, lead->fol->suffix);
        lead->match = p;
        lead->fol->suffix = NULL;
    } else {
        nfa_step_release(r, p);
    }
    *out = lead->match;
    return 0;
}

/* Resolve follower a, whose leader (NULL: gone) is decided. 0 or -1 (out
 * of memory). */
static int resolve_one(vg_nfa_run *r, nfa_attempt *a, nfa_attempt *lead)
{
    nfa_follow *f = a->fol;
    const vg_nfa_step *m = NULL;
    bool same = !lead || (lead->matched == f->lead_matched && lead->match == f->lead_match);
    if (!same && lead->matched && lead_path(r, lead, &m))
        return -1;
    while (m && m->pos > f->at)
        m = m->prev;
    for (uint32_t i = 0; m && m->pos == f->at && i < f->nlinks; i++) {
        if (f->links[i].lead != m)
            continue;
        nfa_step_release(r, a->match);
        a->match = nfa_step_ref(f->links[i].own);
        a->matched = true;
        f->suffix = nfa_step_ref(lead->match);
        break;
    }
    for (uint32_t i = 0; i < f->nlinks; i++) {
        nfa_step_release(r, f->links[i].lead);
        nfa_step_release(r, f->links[i].own);
    }
    f->nlinks = 0;
    f->resolved = true;
    r->more->nfollow--;
    return 0;
}

/* Resolve the followers of decided attempt `start`, then theirs. 0 or -1. */
static int resolve_from(vg_nfa_run *r, uint64_t start)
{
    nfa_scratch *sc = r->nfa->sc;
    uint32_t n = 0;
    if (nfa_grow((void **)&sc->work, &sc->work_cap, 1, sizeof *sc->work))
        return -1;
    sc->work[n++] = start;
    while (n) {
        nfa_attempt *lead = nfa_attempt_at(r, sc->work[--n]);
        uint64_t f = lead && lead->fol ? lead->fol->followers : NFA_NONE;
        if (lead && lead->fol)
            lead->fol->followers = NFA_NONE;
        while (f != NFA_NONE) {
            nfa_attempt *a = find_in(nfa_fw(r), r->more->nfw, f);
            if (!a || !nfa_following(a) || a->fol->resolved)
                break; /* only damaged bytes could make such a list */
            f = a->fol->next;
            if (resolve_one(r, a, lead) ||
                nfa_grow((void **)&sc->work, &sc->work_cap, n + 1, sizeof *sc->work))
                return -1;
            sc->work[n++] = a->start;
        }
    }
    return 0;
}

int nfa_resolve_followers(vg_nfa_run *r, bool all, vg_error *err)
{
    if (!r->more)
        return 0;
    for (uint32_t i = 0; i < r->nat + (all ? r->more->nfw : 0) && r->more->nfollow; i++) {
        const nfa_attempt *a = i < r->nat ? &r->at[i] : &nfa_fw(r)[i - r->nat];
        if (a->fol && a->fol->followers != NFA_NONE && !nfa_attempt_open(a) &&
            resolve_from(r, a->start))
            return nomem(err);
    }
    return 0;
}
