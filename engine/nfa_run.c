/*
 * nfa_run.c — a run's life and the standard's sequence of attempts: steps
 * (shared, reference-counted, recycled), reporting decided attempts in
 * order, AFTER MATCH SKIP, unmatched rows, dropping attempts that can no
 * longer matter, the event times a serial run keeps, and giving memory
 * back when a partition goes idle.
 *
 * The attempt at next_start, once decided, is reported and AFTER MATCH
 * SKIP moves next_start; attempts before it are dropped. Attempts that
 * failed are not kept: a row from next_start on without one failed, and is
 * reported unmatched when no match covers it.
 */
#include <string.h>

#include "engine/nfa_int.h"

#define FREE_STEPS_MAX 8 /* recycled steps a run keeps, or as many as it uses */
#define IDLE_CAP 8       /* array sizes a run with no attempt keeps */

/* ---- steps ---- */

vg_nfa_step *nfa_step_new(vg_nfa_run *r, vg_nfa_step *prev, uint64_t pos, uint32_t var,
                          bool excluded)
{
    vg_nfa_step *s = r->free_steps;
    if (s) {
        r->free_steps = (vg_nfa_step *)s->prev;
        r->nfree--;
    } else if (!(s = vg_malloc(VG_MEM_STATE, sizeof *s))) {
        return NULL;
    }
    *s = (vg_nfa_step){.prev = nfa_step_ref(prev), .pos = pos, .var = var,
                       .len = prev ? prev->len + 1 : 1, .excluded = excluded, .refs = 1};
    r->nsteps++;
    return s;
}

void nfa_step_release(vg_nfa_run *r, vg_nfa_step *s)
{
    while (s && --s->refs == 0) {
        /* prev is const for the hooks only: every step belongs to the run */
        vg_nfa_step *prev = (vg_nfa_step *)s->prev;
        r->nsteps--;
        if (r->nfree < FREE_STEPS_MAX || r->nfree < r->nsteps) {
            s->prev = r->free_steps;
            r->free_steps = s;
            r->nfree++;
        } else {
            vg_free(s);
        }
        s = prev;
    }
}

/* ---- attempts ---- */

void nfa_drop_threads(vg_nfa_run *r, nfa_thread *t, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        nfa_step_release(r, t[i].path);
        nfa_key_release(r, t[i].key);
    }
}

bool nfa_attempt_failed(const vg_nfa_run *r, const nfa_attempt *a)
{
    /* a serial run's one attempt is kept until it is reported */
    return !nfa_serial(r) && !nfa_attempt_open(a) && !a->matched &&
           !(nfa_partial(a) && r->opts.timeouts);
}

void nfa_attempt_clear(vg_nfa_run *r, nfa_attempt *a)
{
    nfa_step_release(r, a->match);
    a->match = NULL;
    if (a->fol) {
        if (a->fol->following && !a->fol->resolved)
            r->more->nfollow--;
        nfa_follow_free(r, a->fol);
        a->fol = NULL;
    }
}

/* ---- reporting, in the standard's order ---- */

/* Where the attempt after a's nonempty match m starts (AFTER MATCH SKIP). */
static uint64_t skip_to(const vg_nfa_run *r, const nfa_attempt *a, const vg_nfa_step *m)
{
    uint64_t to = a->start;
    switch (r->opts.skip) {
    case VG_MR_SKIP_PAST_LAST:
        return m->pos + 1;
    case VG_MR_SKIP_TO_NEXT:
        return a->start + 1;
    case VG_MR_SKIP_TO_FIRST:
        for (; m; m = m->prev)
            if (r->opts.skip_vars >> m->var & 1)
                to = m->pos;
        break;
    case VG_MR_SKIP_TO_LAST:
        for (; m && !(r->opts.skip_vars >> m->var & 1); m = m->prev)
            ;
        to = m ? m->pos : a->start;
        break;
    }
    return to > a->start ? to : a->start + 1;
}

static uint64_t max_u64(uint64_t a, uint64_t b) { return a > b ? a : b; }

static int report_failed(vg_nfa_run *r, uint64_t pos, const vg_nfa_hooks *h, vg_error *err)
{
    if (r->opts.unmatched && pos >= r->covered_to && h->unmatched &&
        h->unmatched(h->arg, pos))
        return vg_error_set(err, VG_ERR_RUNTIME, "row pattern output failed");
    r->next_start = pos + 1;
    return 0;
}

/* Report a decided attempt at next_start and move next_start on. */
static int report(vg_nfa_run *r, const nfa_attempt *a, const vg_nfa_hooks *h, vg_error *err)
{
    if (!a->matched && !(nfa_partial(a) && r->opts.timeouts))
        return report_failed(r, a->start, h, err);
    vg_nfa_step *path = NULL;
    if (!a->matched)
        path = nfa_step_ref(nfa_partial(a));
    else if (nfa_match_path(r, a, &path))
        return vg_error_set(err, VG_ERR_NOMEM, "out of memory");
    int rc = h->match(h->arg, a->start, path, !a->matched);
    if (!rc) {
        /* an empty match covers its start row: the row is output as the match's */
        r->covered_to = max_u64(r->covered_to, path ? path->pos + 1 : a->start + 1);
        r->next_start = a->matched && path ? skip_to(r, a, path) : a->start + 1;
    }
    nfa_step_release(r, path);
    return rc ? vg_error_set(err, VG_ERR_RUNTIME, "row pattern output failed") : 0;
}

/* Drop attempts [from, to) and their threads. */
static void drop_attempts(vg_nfa_run *r, uint32_t from, uint32_t to)
{
    uint32_t t0 = 0, nt = 0;
    for (uint32_t i = 0; i < from; i++)
        t0 += r->at[i].nthreads;
    for (uint32_t i = from; i < to; i++) {
        nt += r->at[i].nthreads;
        nfa_attempt_clear(r, &r->at[i]);
    }
    nfa_drop_threads(r, r->th + t0, nt);
    if (nt && r->nth > t0 + nt)
        memmove(r->th + t0, r->th + t0 + nt, (r->nth - t0 - nt) * sizeof *r->th);
    r->nth -= nt;
    if (to > from && r->nat > to)
        memmove(r->at + from, r->at + to, (r->nat - to) * sizeof *r->at);
    r->nat -= to - from;
}

/* With PAST LAST ROW, once the head attempt has a nonempty match every
 * attempt that starts within it will be skipped, whatever match the head
 * ends with (a more preferred one takes at least the same rows): drop them
 * now. It keeps `A+` over a long run of A rows from stepping an attempt at
 * every row. */
static void drop_doomed(vg_nfa_run *r)
{
    if (r->opts.skip != VG_MR_SKIP_PAST_LAST || !r->nat || r->at[0].start != r->next_start ||
        !r->at[0].match)
        return;
    uint32_t to = 1;
    while (to < r->nat && r->at[to].start <= r->at[0].match->pos)
        to++;
    drop_attempts(r, 1, to);
}

/* Drop the first n followers (reported or skipped). */
static void drop_followers(vg_nfa_run *r, uint32_t n)
{
    if (!n)
        return;
    for (uint32_t i = 0; i < n; i++)
        nfa_attempt_clear(r, &nfa_fw(r)[i]);
    r->more->fw_skip += n;
    r->more->nfw -= n;
    if (r->more->nfw == 0)
        r->more->fw_skip = 0;
}

/* The attempt at next_start, if any: the next of r->at (from *i) or of the
 * followers (from *j), those before it passed over. */
static nfa_attempt *next_attempt(vg_nfa_run *r, uint32_t *i, uint32_t *j)
{
    while (*i < r->nat && r->at[*i].start < r->next_start)
        ++*i;
    while (*j < nfa_nfw(r) && nfa_fw(r)[*j].start < r->next_start)
        ++*j;
    if (*i < r->nat && r->at[*i].start == r->next_start)
        return &r->at[*i];
    if (*j < nfa_nfw(r) && nfa_fw(r)[*j].start == r->next_start)
        return &nfa_fw(r)[*j];
    return NULL;
}

/* Report every decided attempt the standard's sequence has reached. */
static int resolve(vg_nfa_run *r, const vg_nfa_hooks *h, vg_error *err)
{
    uint32_t i = 0, j = 0;
    int rc = 0;
    while (r->next_start < r->next_pos && !rc) {
        const nfa_attempt *a = next_attempt(r, &i, &j);
        if (!a) {
            if (nfa_serial(r))
                break; /* the attempt at next_start is not made yet */
            rc = report_failed(r, r->next_start, h, err);
        } else if (nfa_attempt_open(a)) {
            break;
        } else {
            rc = report(r, a, h, err);
        }
    }
    next_attempt(r, &i, &j);
    drop_attempts(r, 0, i);
    drop_followers(r, j);
    drop_doomed(r);
    return rc;
}

void nfa_pile_up(vg_nfa_run *r)
{
    if (!r->opts.read_path || !r->opts.path_key || nfa_serial(r) || r->nat <= NFA_PILE)
        return; /* followers are not stepped: they cost little */
    /* the head is the first attempt, at next_start, open: resolve stopped there */
    drop_attempts(r, 1, r->nat);
    drop_followers(r, r->more->nfw);
    if (r->at[0].fol)
        r->at[0].fol->followers = NFA_NONE;
    r->more->piled = true;
}

/* ---- the run ---- */

static void free_array(void **p, uint32_t *cap)
{
    if (*cap > IDLE_CAP) {
        vg_free(*p);
        *p = NULL;
        *cap = 0;
    }
}

/* A run with no attempt left gives back what a busy spell made it grow, so
 * that an idle partition costs little. */
static void trim_idle(vg_nfa_run *r)
{
    if (r->nat || nfa_nfw(r))
        return;
    free_array((void **)&r->at, &r->at_cap);
    if (r->more)
        free_array((void **)&r->more->fw, &r->more->fw_cap);
    free_array((void **)&r->th, &r->th_cap);
    free_array((void **)&r->th2, &r->th2_cap);
    while (r->nfree > FREE_STEPS_MAX) {
        vg_nfa_step *s = r->free_steps;
        r->free_steps = (vg_nfa_step *)s->prev;
        r->nfree--;
        vg_free(s);
    }
}

int nfa_settle(vg_nfa_run *r, const vg_nfa_hooks *h, vg_error *err)
{
    int rc = resolve(r, h, err);
    trim_idle(r);
    return rc;
}

vg_nfa_run *nfa_run_alloc(const vg_nfa *n, const vg_nfa_opts *o)
{
    vg_nfa_run *r = vg_calloc(VG_MEM_STATE, 1, sizeof *r);
    if (!r)
        return NULL;
    r->nfa = n;
    r->opts = *o;
    if ((o->read_path && o->path_key) || o->serial ||
        (o->skip == VG_MR_SKIP_TO_NEXT && o->within <= 0)) {
        if (!(r->more = vg_calloc(VG_MEM_STATE, 1, sizeof *r->more))) {
            vg_free(r);
            return NULL;
        }
    }
    return r;
}

vg_nfa_run *vg_nfa_run_new(const vg_nfa *n, const vg_nfa_opts *o) { return nfa_run_alloc(n, o); }

void vg_nfa_run_free(vg_nfa_run *r)
{
    if (!r)
        return;
    drop_attempts(r, 0, r->nat);
    drop_followers(r, nfa_nfw(r));
    nfa_drop_threads(r, r->th, r->nth);
    if (r->more) {
        nfa_key_release(r, r->more->empty_key);
        vg_free(r->more->fw);
        vg_free(r->more->times);
        vg_free(r->more);
    }
    while (r->free_steps) {
        vg_nfa_step *s = r->free_steps;
        r->free_steps = (vg_nfa_step *)s->prev;
        vg_free(s);
    }
    vg_free(r->at);
    vg_free(r->th);
    vg_free(r->th2);
    vg_free(r);
}

uint64_t vg_nfa_next_pos(const vg_nfa_run *r) { return r->next_pos; }

uint64_t vg_nfa_oldest(const vg_nfa_run *r)
{
    return r->next_start < r->next_pos ? r->next_start : r->next_pos;
}

uint32_t vg_nfa_threads(const vg_nfa_run *r) { return r->nth; }

size_t vg_nfa_bytes(const vg_nfa_run *r)
{
    size_t n = sizeof *r + (size_t)r->at_cap * sizeof *r->at +
               ((size_t)r->th_cap + r->th2_cap) * sizeof *r->th +
               (size_t)(r->nsteps + r->nfree) * sizeof(vg_nfa_step);
    const nfa_more *m = r->more;
    if (!m)
        return n;
    n += sizeof *m + (size_t)m->fw_cap * sizeof *m->fw + (size_t)m->nkeys * sizeof(nfa_key) +
         (size_t)m->key_bytes + (size_t)m->times_cap * sizeof *m->times;
    for (uint32_t i = 0; i < r->nat + m->nfw; i++) {
        const nfa_follow *f = i < r->nat ? r->at[i].fol : nfa_fw(r)[i - r->nat].fol;
        n += f ? sizeof *f + (size_t)f->nlinks * sizeof(nfa_link) : 0;
    }
    return n;
}

/* ---- serial runs: the event times of the rows from next_start ---- */

int nfa_times_push(vg_nfa_run *r, int64_t ts)
{
    if (r->more->ntimes == r->more->times_cap) {
        uint32_t cap = r->more->times_cap ? r->more->times_cap * 2 : 16;
        int64_t *t = cap > r->more->times_cap ? vg_malloc(VG_MEM_STATE, cap * sizeof *t) : NULL;
        if (!t)
            return -1;
        for (uint32_t i = 0; i < r->more->ntimes; i++)
            t[i] = r->more->times[(r->more->times_head + i) & (r->more->times_cap - 1)];
        vg_free(r->more->times);
        r->more->times = t;
        r->more->times_cap = cap;
        r->more->times_head = 0;
    }
    r->more->times[(r->more->times_head + r->more->ntimes++) & (r->more->times_cap - 1)] = ts;
    return 0;
}

void nfa_times_trim(vg_nfa_run *r)
{
    uint64_t keep = r->next_pos - (r->next_start < r->next_pos ? r->next_start : r->next_pos);
    while (r->more->ntimes > keep) {
        r->more->times_head = (r->more->times_head + 1) & (r->more->times_cap - 1);
        r->more->ntimes--;
    }
    if (!r->more->ntimes && r->more->times_cap > IDLE_CAP) {
        vg_free(r->more->times);
        r->more->times = NULL;
        r->more->times_cap = r->more->times_head = 0;
    }
}

int64_t nfa_time_at(const vg_nfa_run *r, uint64_t pos)
{
    uint64_t i = pos - (r->next_pos - r->more->ntimes);
    return r->more->times[(r->more->times_head + i) & (r->more->times_cap - 1)];
}
