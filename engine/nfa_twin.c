/*
 * nfa_twin.c — twins: attempts of a run that wait in the same states with
 * the same keys, stepped over a row by copying (nfa.c asks).
 *
 * A run of rows each starting an attempt that the next rows extend alike
 * (A SAME* B over a card's payments in one country, F OTHER* S after a few
 * failures) leaves attempts whose threads are equal state by state and key
 * by key. Over one row such twins are stepped alike: each asks the same
 * DEFINEs with the same keys (when no DEFINE reads the path the answer is
 * the row's; with keys the key decides it), and the closure reaches the
 * same states in the same order with the same keys, each new thread's path
 * being the new step of the same old thread, and MATCH from the same one.
 * So within a sweep over a row, the first attempt stepped in full is
 * recorded (its threads before, what stepping made of them), and a later
 * attempt with the same threads is stepped by making its own new steps and
 * copying the rest. The recording lives for one sweep and holds references
 * to keys of the run, released at the sweep's end. Attempts differ in
 * their first row and its time only: WITHIN is applied before stepping,
 * and each twin's match and threads map its own rows.
 *
 * Looking costs a little per attempt, so a program whose attempts are
 * seldom twins looks in few sweeps only (nfa_twin_gate).
 */
#include <string.h>

#include "engine/nfa_int.h"

/* After TWIN_PROBE looks, a program whose looks found a twin fewer than
 * once in TWIN_RATE looks only in one sweep in TWIN_PROBE. */
#define TWIN_PROBE 256u
#define TWIN_RATE 16u

void nfa_twin_release(vg_nfa_run *r)
{
    nfa_scratch *sc = r->nfa->sc;
    for (uint32_t i = 0; i < sc->tw_nold; i++)
        nfa_key_release(r, sc->tw_old[i].key);
    for (uint32_t i = 0; i < sc->tw_nnew; i++)
        nfa_key_release(r, sc->tw_new[i].key);
    sc->tw_nold = sc->tw_nnew = 0;
    sc->tw_valid = sc->tw_rec = false;
}

bool nfa_twin_gate(nfa_scratch *sc)
{
    if (sc->tw_looks >= TWIN_PROBE * TWIN_PROBE) {
        sc->tw_looks /= 2;
        sc->tw_hits /= 2;
    }
    return sc->tw_looks < TWIN_PROBE || sc->tw_hits * TWIN_RATE >= sc->tw_looks ||
           ++sc->tw_skipped % TWIN_PROBE == 0;
}

/* Whether n threads a and b wait in the same states with the same keys. */
static bool same_threads(const nfa_thread *a, const nfa_thread *b, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        if (a[i].pc != b[i].pc || a[i].k != b[i].k ||
            (a[i].key != b[i].key &&
             (!a[i].key || !b[i].key || !nfa_key_same(a[i].key, b[i].key))))
            return false;
    return true;
}

bool nfa_twin_likely(const vg_nfa_run *r, uint32_t i, const nfa_thread *old, uint32_t n)
{
    return i + 1 < r->nat && r->at[i + 1].nthreads == n && same_threads(old, old + n, n);
}

int nfa_twin_begin(vg_nfa_run *r, const nfa_thread *old, uint32_t n)
{
    nfa_scratch *sc = r->nfa->sc;
    bool keyed = r->opts.read_path && r->opts.path_key;
    for (uint32_t i = 0; i < n; i++)
        if (keyed && !old[i].key)
            return 0;
    if (nfa_grow((void **)&sc->tw_old, &sc->tw_old_cap, n, sizeof *sc->tw_old))
        return -1;
    for (uint32_t i = 0; i < n; i++)
        sc->tw_old[i] = (nfa_thread){.key = nfa_key_ref(old[i].key), .pc = old[i].pc,
                                     .k = old[i].k};
    sc->tw_nold = n;
    sc->tw_match = UINT32_MAX;
    sc->tw_rec = true;
    return 0;
}

int nfa_twin_note(vg_nfa_run *r, uint32_t pc, uint32_t k, nfa_key *key)
{
    nfa_scratch *sc = r->nfa->sc;
    if (nfa_grow((void **)&sc->tw_new, &sc->tw_new_cap, sc->tw_nnew + 1, sizeof *sc->tw_new)) {
        nfa_twin_release(r);
        return -1;
    }
    sc->tw_new[sc->tw_nnew++] = (nfa_twin_new){sc->tw_from, pc, k, nfa_key_ref(key)};
    return 0;
}

bool nfa_twin_of(const vg_nfa_run *r, const nfa_thread *old, uint32_t n)
{
    const nfa_scratch *sc = r->nfa->sc;
    return n == sc->tw_nold && same_threads(old, sc->tw_old, n);
}

/* The new step of old thread i over row pos (made on first use), or NULL
 * when out of memory. */
static vg_nfa_step *step_of(vg_nfa_run *r, const nfa_thread *old, uint32_t i, uint64_t pos)
{
    vg_nfa_step **s = &r->nfa->sc->tw_steps[i];
    if (!*s) {
        const nfa_ins *in = &r->nfa->ins[old[i].pc];
        *s = nfa_step_new(r, old[i].path, pos, in->a, in->excluded);
    }
    return *s;
}

int nfa_twin_step(vg_nfa_run *r, nfa_attempt *a, nfa_thread *old, uint32_t n, uint64_t pos,
                  vg_nfa_step **match)
{
    nfa_scratch *sc = r->nfa->sc;
    *match = NULL;
    int rc = nfa_grow((void **)&sc->tw_steps, &sc->tw_steps_cap, n, sizeof *sc->tw_steps) ||
                     nfa_grow((void **)&r->th2, &r->th2_cap, r->nth2 + sc->tw_nnew,
                              sizeof *r->th2)
                 ? -1
                 : 0;
    if (rc == 0) {
        memset(sc->tw_steps, 0, n * sizeof *sc->tw_steps);
        for (uint32_t j = 0; j < sc->tw_nnew && rc == 0; j++) {
            const nfa_twin_new *e = &sc->tw_new[j];
            vg_nfa_step *s = step_of(r, old, e->from, pos);
            if (!s) {
                rc = -1;
                break;
            }
            r->th2[r->nth2++] = (nfa_thread){.path = nfa_step_ref(s),
                                             .key = nfa_key_ref(e->key), .pc = e->pc, .k = e->k};
            a->nthreads++;
        }
        if (rc == 0 && sc->tw_match != UINT32_MAX &&
            !(*match = nfa_step_ref(step_of(r, old, sc->tw_match, pos))))
            rc = -1;
        for (uint32_t i = 0; i < n; i++)
            nfa_step_release(r, sc->tw_steps[i]);
    }
    nfa_drop_threads(r, old, n);
    return rc;
}
