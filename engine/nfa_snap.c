/*
 * nfa_snap.c — a run's state as bytes: snapshot and restore.
 *
 * The bytes are a header (the program's size, variables and fingerprint,
 * so that restore refuses the state of another pattern; the run's
 * positions), then every step the run holds, each once, before the steps
 * that follow it (a step names its predecessor by number, 1-based; 0 for
 * none), then the attempts with their match, partial match and threads,
 * which name steps by number too. Steps are numbered in the order the
 * attempts, then their match, partial match and threads, reach them, so
 * that a restored run writes the same bytes again. Restore checks every
 * number, position and instruction, and refuses steps nothing refers to:
 * any bytes give a working run or "corrupt snapshot". Numbers are in host
 * byte order: snapshots move between runs of one build, not machines.
 */
#include <string.h>

#include "engine/nfa_int.h"

#define SNAP_MAGIC 0x3141464eu /* "NFA1" */
#define STEP_BYTES 17u         /* prev, pos, var, excluded */
#define THREAD_BYTES 12u       /* pc, k, path */
#define ATTEMPT_BYTES 29u      /* start, t0, flags, match, partial, nthreads */

enum { F_MATCHED = 1, F_EXPIRED = 2, F_ALL = 3 };

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
    for (uint32_t i = 0; i < r->nat; i++) {
        const nfa_attempt *a = &r->at[i];
        number(m, a->match);
        number(m, a->partial);
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

static int put_attempts(const vg_nfa_run *r, const step_ids *m, vg_buf *out)
{
    int rc = put_u32(out, r->nat);
    const nfa_thread *t = r->th;
    for (uint32_t i = 0; i < r->nat && !rc; i++) {
        const nfa_attempt *a = &r->at[i];
        uint8_t flags = (uint8_t)((a->matched ? F_MATCHED : 0) | (a->expired ? F_EXPIRED : 0));
        rc = put_u64(out, a->start) | put_u64(out, (uint64_t)a->t0) | put(out, &flags, 1) |
             put_u32(out, id_of(m, a->match)) | put_u32(out, id_of(m, a->partial)) |
             put_u32(out, a->nthreads);
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
    if (!rc)
        rc = put_u32(out, SNAP_MAGIC) | put_u32(out, n->nins) | put_u32(out, n->nvars) |
             put_u32(out, n->hash) | put_u64(out, r->next_pos) | put_u64(out, r->next_start) |
             put_u64(out, r->covered_to) | put_steps(&m, out) | put_attempts(r, &m, out);
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

/* A path of attempt a read by id: its first row must be a's start. */
static vg_nfa_step *get_path(reader *rd, const nfa_attempt *a)
{
    vg_nfa_step *s = step_at(rd, get_u32(rd), UINT32_MAX);
    if (s && s->pos - (s->len - 1) != a->start)
        rd->bad = true;
    return rd->bad ? NULL : s;
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

static void get_attempt(vg_nfa_run *r, reader *rd, uint64_t after)
{
    nfa_attempt *a = &r->at[r->nat];
    *a = (nfa_attempt){.start = get_u64(rd), .t0 = (int64_t)get_u64(rd)};
    uint8_t flags;
    get(rd, &flags, 1);
    a->matched = flags & F_MATCHED;
    a->expired = flags & F_EXPIRED;
    a->match = nfa_step_ref(get_path(rd, a));
    a->partial = nfa_step_ref(get_path(rd, a));
    r->nat++;
    uint32_t n = get_count(rd, THREAD_BYTES);
    if ((flags & ~F_ALL) || a->start < after || a->start >= r->next_pos ||
        (a->match && !a->matched))
        rd->bad = true;
    if (!rd->bad)
        get_threads(r, rd, a, n);
    if (!rd->bad && a->nthreads == 0 && !a->matched && !a->partial)
        rd->bad = true;
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
    get_steps(r, rd);
    uint32_t nat = get_count(rd, ATTEMPT_BYTES);
    if (rd->bad || rd->nomem)
        return;
    if (nfa_grow((void **)&r->at, &r->at_cap, nat, sizeof *r->at)) {
        rd->nomem = true;
        return;
    }
    for (uint32_t i = 0; i < nat && !rd->bad && !rd->nomem; i++)
        get_attempt(r, rd, i ? r->at[i - 1].start + 1 : r->next_start);
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
