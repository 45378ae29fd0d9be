/*
 * nfa_snap.c — a run's state as bytes: snapshot and restore.
 *
 * The bytes are a header (the program's size, variables and fingerprint,
 * so that restore refuses the state of another pattern; the run's
 * positions; a serial run's event times), then every step the run holds,
 * each once, before the steps that follow it (a step names its predecessor
 * by number, 1-based; 0 for none), then the attempts with their match,
 * partial match, what a follower shares with its leader, and threads,
 * which name steps by number too. Steps are numbered in the order the
 * attempts, then those parts, reach them, so that a restored run writes
 * the same bytes again. Keys are not written: a restored thread's key is
 * worked out again from its path when it next steps. Restore checks every
 * number, position and instruction, and refuses steps nothing refers to:
 * any bytes give a working run or "corrupt snapshot". Numbers are in host
 * byte order: snapshots move between runs of one build, not machines.
 */
#include <string.h>

#include "engine/nfa_int.h"

#define SNAP_MAGIC 0x3241464eu /* "NFA2" */
#define STEP_BYTES 17u         /* prev, pos, var, excluded */
#define THREAD_BYTES 12u       /* pc, k, path */
#define ATTEMPT_BYTES 29u      /* start, t0, flags, match, partial, nthreads */
#define LINK_BYTES 8u          /* lead, own */

/* An attempt's flags. */
enum {
    F_MATCHED = 1,      /* a match is recorded */
    F_EXPIRED = 2,      /* WITHIN ended it */
    F_FOLLOW = 4,       /* it follows a leader: lead, at, lead match, suffix, links */
    F_RESOLVED = 8,     /* ... which is decided */
    F_LEAD_MATCHED = 16, /* ... which had recorded a match when it was linked */
    F_ALL = 31
};
/* The run's flags. */
enum { R_ENDED = 1, R_PASSED = 2, R_PILED = 4, R_ALL = 7 };

/* ---- numbering the steps ---- */

typedef struct step_ids {
    const vg_nfa_step **map; /* open addressing by address; ids beside */
    uint32_t *ids;
    uint32_t cap;            /* a power of two */
    const vg_nfa_step **list; /* the steps in numbering order (id - 1) */
    uint32_t n;
} step_ids;

static uint32_t slot_of(const step_ids *m, const vg_nfa_step *s)
{
    uint64_t x = (uint64_t)(uintptr_t)s * 0x9e3779b97f4a7c15u;
    uint32_t j = (uint32_t)(x >> 32) & (m->cap - 1);
    while (m->map[j] && m->map[j] != s)
        j = (j + 1) & (m->cap - 1);
    return j;
}

static uint32_t id_of(const step_ids *m, const vg_nfa_step *s)
{
    return s ? m->ids[slot_of(m, s)] : 0;
}

/* Number s and the steps before it that have no number yet, oldest first. */
static void number(step_ids *m, const vg_nfa_step *s)
{
    uint32_t from = m->n;
    for (; s && !m->map[slot_of(m, s)]; s = s->prev)
        m->list[m->n++] = s;
    for (uint32_t lo = from, hi = m->n; lo + 1 < hi; lo++, hi--) {
        const vg_nfa_step *t = m->list[lo];
        m->list[lo] = m->list[hi - 1];
        m->list[hi - 1] = t;
    }
    for (uint32_t i = from; i < m->n; i++) {
        uint32_t j = slot_of(m, m->list[i]);
        m->map[j] = m->list[i];
        m->ids[j] = i + 1;
    }
}

/* The attempts in order of start, the followers among them: the one after
 * *i of r->at and *j of the followers, those cursors moved on. NULL after
 * the last. */
static const nfa_attempt *next_in_order(const vg_nfa_run *r, uint32_t *i, uint32_t *j)
{
    const nfa_attempt *a = *i < r->nat ? &r->at[*i] : NULL;
    const nfa_attempt *f = *j < nfa_nfw(r) ? &nfa_fw(r)[*j] : NULL;
    if (f && (!a || f->start < a->start))
        return ++*j, f;
    if (a)
        ++*i;
    return a;
}

static int number_all(const vg_nfa_run *r, step_ids *m)
{
    uint64_t cap = 16;
    while (cap < 2 * (r->nsteps + 1))
        cap *= 2;
    if (cap > UINT32_MAX)
        return -1;
    m->cap = (uint32_t)cap;
    m->map = vg_calloc(VG_MEM_STATE, cap, sizeof *m->map);
    m->ids = vg_calloc(VG_MEM_STATE, cap, sizeof *m->ids);
    m->list = vg_malloc(VG_MEM_STATE, (r->nsteps + 1) * sizeof *m->list);
    if (!m->map || !m->ids || !m->list)
        return -1;
    const nfa_thread *t = r->th;
    uint32_t i = 0, j = 0;
    for (const nfa_attempt *a; (a = next_in_order(r, &i, &j));) {
        number(m, a->match);
        number(m, nfa_partial(a));
        if (nfa_following(a)) {
            number(m, a->fol->lead_match);
            number(m, a->fol->suffix);
            for (uint32_t j = 0; j < a->fol->nlinks; j++) {
                number(m, a->fol->links[j].lead);
                number(m, a->fol->links[j].own);
            }
        }
        for (uint32_t j = 0; j < a->nthreads; j++)
            number(m, t[j].path);
        t += a->nthreads;
    }
    return 0;
}

/* ---- snapshot ---- */

static int put(vg_buf *b, const void *p, size_t n) { return vg_buf_append(b, p, n); }
static int put_u32(vg_buf *b, uint32_t v) { return put(b, &v, 4); }
static int put_u64(vg_buf *b, uint64_t v) { return put(b, &v, 8); }

static int put_steps(const step_ids *m, vg_buf *out)
{
    int rc = put_u32(out, m->n);
    for (uint32_t i = 0; i < m->n && !rc; i++) {
        const vg_nfa_step *s = m->list[i];
        uint8_t ex = s->excluded;
        rc = put_u32(out, id_of(m, s->prev)) | put_u64(out, s->pos) | put_u32(out, s->var) |
             put(out, &ex, 1);
    }
    return rc;
}

static int put_follow(const nfa_follow *f, const step_ids *m, vg_buf *out)
{
    int rc = put_u64(out, f->lead) | put_u64(out, f->at) | put_u32(out, id_of(m, f->lead_match)) |
             put_u32(out, id_of(m, f->suffix)) | put_u32(out, f->nlinks);
    for (uint32_t j = 0; j < f->nlinks && !rc; j++)
        rc = put_u32(out, id_of(m, f->links[j].lead)) | put_u32(out, id_of(m, f->links[j].own));
    return rc;
}

static int put_attempts(const vg_nfa_run *r, const step_ids *m, vg_buf *out)
{
    int rc = put_u32(out, r->nat + nfa_nfw(r));
    const nfa_thread *t = r->th;
    uint32_t i = 0, j = 0;
    for (const nfa_attempt *a; !rc && (a = next_in_order(r, &i, &j));) {
        const nfa_follow *f = nfa_following(a) ? a->fol : NULL;
        uint8_t flags = (uint8_t)((a->matched ? F_MATCHED : 0) | (a->expired ? F_EXPIRED : 0) |
                                  (f ? F_FOLLOW : 0) | (f && f->resolved ? F_RESOLVED : 0) |
                                  (f && f->lead_matched ? F_LEAD_MATCHED : 0));
        rc = put_u64(out, a->start) | put_u64(out, (uint64_t)a->t0) | put(out, &flags, 1) |
             put_u32(out, id_of(m, a->match)) | put_u32(out, id_of(m, nfa_partial(a)));
        if (f && !rc)
            rc = put_follow(f, m, out);
        rc |= put_u32(out, a->nthreads);
        for (uint32_t j = 0; j < a->nthreads && !rc; j++)
            rc = put_u32(out, t[j].pc) | put_u32(out, t[j].k) | put_u32(out, id_of(m, t[j].path));
        t += a->nthreads;
    }
    return rc;
}

int vg_nfa_snapshot(const vg_nfa_run *r, vg_buf *out, vg_error *err)
{
    size_t mark = out->len;
    step_ids m = {0};
    const vg_nfa *n = r->nfa;
    int rc = number_all(r, &m);
    const nfa_more *mo = r->more;
    uint8_t flags = !mo ? 0
                        : (uint8_t)((mo->ended ? R_ENDED : 0) | (mo->passed ? R_PASSED : 0) |
                                    (mo->piled ? R_PILED : 0));
    uint32_t ntimes = mo ? mo->ntimes : 0;
    if (!rc)
        rc = put_u32(out, SNAP_MAGIC) | put_u32(out, n->nins) | put_u32(out, n->nvars) |
             put_u32(out, n->hash) | put_u64(out, r->next_pos) | put_u64(out, r->next_start) |
             put_u64(out, r->covered_to) | put(out, &flags, 1) |
             put_u64(out, mo ? (uint64_t)mo->passed_max : 0) | put_u32(out, ntimes);
    for (uint32_t i = 0; i < ntimes && !rc; i++)
        rc = put_u64(out, (uint64_t)nfa_time_at(r, r->next_pos - ntimes + i));
    if (!rc)
        rc = put_steps(&m, out) | put_attempts(r, &m, out);
    vg_free(m.map);
    vg_free(m.ids);
    vg_free(m.list);
    if (rc) {
        out->len = mark;
        return vg_error_set(err, VG_ERR_NOMEM, "out of memory");
    }
    return 0;
}

/* ---- restore ---- */

typedef struct reader {
    const unsigned char *p, *end; /* the bytes not read yet */
    bool bad;                      /* a read ran past the end, or a check failed */
    bool nomem;                    /* an allocation failed */
    vg_nfa_step **steps;           /* by id - 1: the restored steps (a reference each) */
    uint32_t nsteps;
} reader;

static void get(reader *rd, void *out, size_t n)
{
    if (rd->bad || (size_t)(rd->end - rd->p) < n) {
        rd->bad = true;
        memset(out, 0, n);
        return;
    }
    memcpy(out, rd->p, n);
    rd->p += n;
}

static uint32_t get_u32(reader *rd)
{
    uint32_t v;
    get(rd, &v, 4);
    return v;
}

static uint64_t get_u64(reader *rd)
{
    uint64_t v;
    get(rd, &v, 8);
    return v;
}

/* A count of items of at least `size` bytes each that the rest can hold. */
static uint32_t get_count(reader *rd, size_t size)
{
    uint32_t n = get_u32(rd);
    if ((size_t)(rd->end - rd->p) / size < n)
        rd->bad = true;
    return rd->bad ? 0 : n;
}

/* Step `id` (0: none), or NULL with rd->bad set when out of range. */
static vg_nfa_step *step_at(reader *rd, uint32_t id, uint32_t below)
{
    if (id > below || id > rd->nsteps)
        rd->bad = true;
    return id && !rd->bad ? rd->steps[id - 1] : NULL;
}

static void get_steps(vg_nfa_run *r, reader *rd)
{
    rd->nsteps = get_count(rd, STEP_BYTES);
    rd->steps = vg_calloc(VG_MEM_STATE, rd->nsteps ? rd->nsteps : 1, sizeof *rd->steps);
    rd->nomem = !rd->steps;
    for (uint32_t i = 0; i < rd->nsteps && !rd->bad && !rd->nomem; i++) {
        uint32_t prev_id = get_u32(rd);
        uint64_t pos = get_u64(rd);
        uint32_t var = get_u32(rd);
        uint8_t ex;
        get(rd, &ex, 1);
        vg_nfa_step *prev = step_at(rd, prev_id, i);
        if (var >= r->nfa->nvars || ex > 1 || pos >= r->next_pos ||
            (prev && pos != prev->pos + 1) || (prev_id && !prev))
            rd->bad = true;
        if (rd->bad)
            break;
        rd->steps[i] = nfa_step_new(r, prev, pos, var, ex);
        rd->nomem = !rd->steps[i];
    }
}

/* A path read by id whose first row must be `start` (and, unless `at` is
 * UINT64_MAX, whose newest row must be `at`). */
static vg_nfa_step *get_path_from(reader *rd, uint64_t start, uint64_t at)
{
    vg_nfa_step *s = step_at(rd, get_u32(rd), UINT32_MAX);
    if (s && (s->pos - (s->len - 1) != start || (at != UINT64_MAX && s->pos != at)))
        rd->bad = true;
    return rd->bad ? NULL : s;
}

/* A path of attempt a read by id: its first row must be a's start. */
static vg_nfa_step *get_path(reader *rd, const nfa_attempt *a)
{
    return get_path_from(rd, a->start, UINT64_MAX);
}

static void get_threads(vg_nfa_run *r, reader *rd, nfa_attempt *a, uint32_t n)
{
    const vg_nfa *nfa = r->nfa;
    if (nfa_grow((void **)&r->th, &r->th_cap, r->nth + n, sizeof *r->th)) {
        rd->nomem = true;
        return;
    }
    for (uint32_t j = 0; j < n && !rd->bad; j++) {
        uint32_t pc = get_u32(rd), k = get_u32(rd);
        vg_nfa_step *path = get_path(rd, a);
        const nfa_ins *in = pc < nfa->nins ? &nfa->ins[pc] : NULL;
        bool ok = in && path && path->pos + 1 == r->next_pos &&
                  ((in->op == NFA_VAR && k == 0 && !a->expired) ||
                   (in->op == NFA_END && k <= in->depth));
        if (!ok) {
            rd->bad = true;
            break;
        }
        r->th[r->nth++] = (nfa_thread){.path = nfa_step_ref(path), .pc = pc, .k = k};
        a->nthreads++;
    }
}

/* What follower a shares with its leader (flags: a's). */
static void get_follow(vg_nfa_run *r, reader *rd, nfa_attempt *a, uint8_t flags)
{
    uint64_t lead = get_u64(rd), at = get_u64(rd);
    bool resolved = flags & F_RESOLVED;
    if (!r->more || lead >= a->start || at < a->start || at >= r->next_pos)
        rd->bad = true;
    vg_nfa_step *lm = rd->bad ? NULL : get_path_from(rd, lead, UINT64_MAX);
    vg_nfa_step *suffix = rd->bad ? NULL : get_path_from(rd, lead, UINT64_MAX);
    uint32_t n = get_count(rd, LINK_BYTES);
    if ((lm && !(flags & F_LEAD_MATCHED)) || (resolved ? n != 0 : n == 0 || suffix != NULL) ||
        (suffix && (!a->match || a->match->pos != at || suffix->pos < at)))
        rd->bad = true;
    if (rd->bad)
        return;
    nfa_follow *f = vg_malloc(VG_MEM_STATE, sizeof *f + (size_t)n * sizeof(nfa_link));
    if (!f) {
        rd->nomem = true;
        return;
    }
    *f = (nfa_follow){.followers = NFA_NONE, .following = true, .lead = lead, .next = NFA_NONE,
                      .at = at, .lead_match = nfa_step_ref(lm),
                      .lead_matched = flags & F_LEAD_MATCHED, .resolved = resolved,
                      .suffix = nfa_step_ref(suffix)};
    a->fol = f;
    r->more->nfollow += !resolved;
    for (uint32_t j = 0; j < n && !rd->bad; j++) {
        vg_nfa_step *l = get_path_from(rd, lead, at), *o = get_path_from(rd, a->start, at);
        if (!l || !o)
            rd->bad = true;
        else
            f->links[f->nlinks++] = (nfa_link){nfa_step_ref(l), nfa_step_ref(o)};
    }
}

/* Keep attempt a (read whole) in the run: a follower among the followers,
 * in its leader's list when it is open, else in r->at. Where it went, or
 * NULL when out of memory (a is then cleared). */
static nfa_attempt *keep_attempt(vg_nfa_run *r, reader *rd, nfa_attempt *a)
{
    nfa_attempt *to;
    if (!nfa_following(a)) {
        to = &r->at[r->nat++]; /* room was made for every attempt */
    } else if (nfa_grow((void **)&r->more->fw, &r->more->fw_cap, r->more->nfw + 1,
                         sizeof *r->more->fw)) {
        rd->nomem = true;
        nfa_attempt_clear(r, a);
        return NULL;
    } else {
        to = &r->more->fw[r->more->nfw++];
    }
    *to = *a;
    int e = nfa_following(to) && !to->fol->resolved ? nfa_follow_enter(r, to) : 0;
    rd->bad |= e == -1;
    rd->nomem |= e == -2;
    return to;
}

/* The next attempt, which starts at *after or later (*after is then the
 * row after its start). */
static void get_attempt(vg_nfa_run *r, reader *rd, uint64_t *after)
{
    nfa_attempt a = {.start = get_u64(rd), .t0 = (int64_t)get_u64(rd)};
    uint8_t flags;
    get(rd, &flags, 1);
    a.matched = flags & F_MATCHED;
    a.expired = flags & F_EXPIRED;
    a.match = nfa_step_ref(get_path(rd, &a));
    vg_nfa_step *partial = get_path(rd, &a);
    if (partial && (flags & F_FOLLOW))
        rd->bad = true; /* WITHIN ends attempts; without it they share */
    else if (partial && !nfa_fol_of(&a))
        rd->nomem = true;
    else if (partial)
        a.fol->partial = nfa_step_ref(partial);
    if ((flags & ~F_ALL) || a.start < *after || a.start >= r->next_pos ||
        (a.match && !a.matched) ||
        (!(flags & F_FOLLOW) && (flags & (F_RESOLVED | F_LEAD_MATCHED))))
        rd->bad = true;
    if (!rd->bad && !rd->nomem && (flags & F_FOLLOW))
        get_follow(r, rd, &a, flags);
    uint32_t n = get_count(rd, THREAD_BYTES);
    if (nfa_following(&a) && n)
        rd->bad = true; /* a follower's threads are its leader's */
    *after = a.start + 1;
    nfa_attempt *kept = keep_attempt(r, rd, &a);
    if (kept && !rd->bad && !rd->nomem && n)
        get_threads(r, rd, kept, n);
    /* a failed attempt is not kept, but for a follower waiting to be reported */
    if (kept && !rd->bad && !nfa_attempt_open(kept) && !kept->matched && !nfa_partial(kept) &&
        !nfa_following(kept))
        rd->bad = true;
}

/* A serial run's event times (and the flags), as the header ends. */
static void get_times(vg_nfa_run *r, reader *rd)
{
    uint8_t flags;
    get(rd, &flags, 1);
    int64_t passed_max = (int64_t)get_u64(rd);
    if (!r->more) {
        if (flags || get_u32(rd))
            rd->bad = true;
        return;
    }
    r->more->ended = flags & R_ENDED;
    r->more->passed = flags & R_PASSED;
    r->more->piled = flags & R_PILED;
    r->more->passed_max = passed_max;
    uint32_t n = get_count(rd, 8);
    if ((flags & ~R_ALL) || (r->more->piled && !(r->opts.read_path && r->opts.path_key)) ||
        n != (nfa_keeps_times(r) ? r->next_pos - r->next_start : 0))
        rd->bad = true;
    for (uint32_t i = 0; i < n && !rd->bad && !rd->nomem; i++)
        rd->nomem = nfa_times_push(r, (int64_t)get_u64(rd)) < 0;
}

/* A serial run holds one open attempt, at next_start, or none and no row. */
static bool serial_ok(const vg_nfa_run *r)
{
    if (!nfa_serial(r))
        return true;
    if (r->nat == 0)
        return r->next_start == r->next_pos;
    return r->nat == 1 && r->at[0].start == r->next_start && nfa_attempt_open(&r->at[0]);
}

static void get_state(vg_nfa_run *r, reader *rd)
{
    const vg_nfa *n = r->nfa;
    if (get_u32(rd) != SNAP_MAGIC || get_u32(rd) != n->nins || get_u32(rd) != n->nvars ||
        get_u32(rd) != n->hash)
        rd->bad = true;
    r->next_pos = get_u64(rd);
    r->next_start = get_u64(rd);
    r->covered_to = get_u64(rd);
    if (r->next_start > r->next_pos || r->covered_to > r->next_pos)
        rd->bad = true;
    if (!rd->bad)
        get_times(r, rd);
    if (rd->bad || rd->nomem)
        return;
    get_steps(r, rd);
    uint32_t nat = get_count(rd, ATTEMPT_BYTES);
    if (rd->bad || rd->nomem)
        return;
    if (nfa_grow((void **)&r->at, &r->at_cap, nat, sizeof *r->at)) {
        rd->nomem = true;
        return;
    }
    uint64_t after = r->next_start;
    for (uint32_t i = 0; i < nat && !rd->bad && !rd->nomem; i++)
        get_attempt(r, rd, &after);
    if (!rd->bad && !rd->nomem && (!serial_ok(r) || (nfa_nfw(r) && nfa_serial(r))))
        rd->bad = true;
}

vg_nfa_run *vg_nfa_restore(const vg_nfa *n, const vg_nfa_opts *o, const void *p, size_t len,
                           size_t *used, vg_error *err)
{
    vg_nfa_run *r = nfa_run_alloc(n, o);
    if (!r) {
        vg_error_set(err, VG_ERR_NOMEM, "out of memory");
        return NULL;
    }
    reader rd = {.p = p, .end = (const unsigned char *)p + len};
    get_state(r, &rd);
    /* every step must be referred to by a later step, an attempt or a thread */
    for (uint32_t i = 0; i < rd.nsteps && rd.steps && !rd.bad && !rd.nomem; i++)
        if (rd.steps[i]->refs < 2)
            rd.bad = true;
    for (uint32_t i = 0; i < rd.nsteps && rd.steps; i++)
        nfa_step_release(r, rd.steps[i]);
    vg_free(rd.steps);
    /* a follower whose leader is decided is resolved as a step would */
    vg_error e2;
    if (!rd.bad && !rd.nomem && nfa_resolve_followers(r, true, &e2))
        rd.nomem = true;
    if (rd.bad || rd.nomem) {
        vg_nfa_run_free(r);
        if (rd.nomem)
            vg_error_set(err, VG_ERR_NOMEM, "out of memory");
        else
            vg_error_set(err, VG_ERR_RUNTIME, "corrupt snapshot");
        return NULL;
    }
    *used = (size_t)(rd.p - (const unsigned char *)p);
    return r;
}
