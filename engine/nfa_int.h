/*
 * nfa_int.h — what the matcher's files share: nfa_compile.c (a pattern into
 * a program), nfa.c (stepping a partition's attempts over its rows),
 * nfa_run.c (steps, reporting attempts in order, a run's life) and
 * nfa_snap.c (a run's state as bytes).
 *
 * The program is a list of instructions in the style of a Pike VM: VAR
 * takes one row for a variable, SPLIT forks a thread in preference order,
 * JMP, the anchors, MATCH. Quantifiers are unrolled: {n,m} is n copies of
 * the body, then m - n optional copies, each skipped with the rest; an
 * unbounded one ends in a loop. PERMUTE is the alternation of every order.
 *
 * The standard's rule for iterations that match nothing — an optional
 * iteration whose body matched the empty sequence is not followed by
 * another one — is what ENTER and LEAVE are for. They bracket the optional
 * copies of a body that can match empty. While the closure of a thread is
 * followed (at one position, so no row is taken), `k` counts the loops the
 * thread entered at this position and has not left: always the innermost k
 * of the loops around the instruction, since a loop entered later is
 * inside one entered earlier. ENTER adds one; LEAVE finds the iteration
 * empty when k > 0 and then leaves the quantifier (k - 1), else goes on to
 * the next iteration. A state of the closure is (pc, k): k is at most the
 * instruction's `depth`, the number of such loops around it. Threads wait
 * at VAR (for a row, k then restarts at 0) and END (for the end of the
 * partition, keeping their k).
 */
#ifndef VG_NFA_INT_H
#define VG_NFA_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/nfa.h"

/* Programs larger than this are refused (a VG_ERR_SEMANTIC error), and
 * those whose closure states (nseen) are more than this. */
#define NFA_MAX_INS 100000u
#define NFA_MAX_SEEN 4000000u

typedef enum nfa_op {
    NFA_VAR,   /* take the row as variable a if its DEFINE holds; then pc + 1 */
    NFA_SPLIT, /* go on at a, then (less preferred) at b */
    NFA_JMP,   /* go on at a */
    NFA_START, /* ^: pc + 1 at position 0 only */
    NFA_END,   /* $: wait for the end of the partition, then pc + 1 */
    NFA_ENTER, /* an optional iteration of a nullable body begins: k + 1, pc + 1 */
    NFA_LEAVE, /* it ends: k > 0 (it took no row): a with k - 1; else b */
    NFA_MATCH, /* the pattern matched */
} nfa_op;

typedef struct nfa_ins {
    uint8_t op;       /* nfa_op */
    bool excluded;    /* VAR: inside {- ... -} */
    uint16_t depth;   /* ENTER/LEAVE loops around it: the largest k it can see */
    uint32_t a, b;    /* VAR: a the variable; SPLIT, JMP, LEAVE: targets (above) */
    uint32_t seen;    /* first of its depth + 1 slots in the scratch's seen array */
} nfa_ins;

/* An open-addressing set used while stepping with paths read (read_path):
 * the closure's states keyed (slot, class of the path), and either the
 * steps made at this row keyed (previous step, variable), so that equal
 * paths are one step and one class, or, with a path_key hook, the key
 * bytes of the new paths, the first path with a key being the class of
 * every path with that key. */
typedef struct nfa_hent {
    const void *p;    /* the path's class, the previous step, or a key's hash */
    uint32_t key;     /* the seen slot, a step key, or a key number (nfa.c) */
    uint32_t gen;     /* valid when equal to the scratch's gen */
    void *val;        /* a step key's step; a key's first path */
    uint32_t off, len; /* a key's bytes in the scratch's keys */
} nfa_hent;

/* Memory a run uses only during a call, shared by every run of a program
 * (runs of one program are driven from one thread). */
typedef struct nfa_scratch {
    uint32_t *seen;   /* per closure state (pc, k): the gen that visited it */
    uint32_t gen;     /* current generation of seen and of the hash */
    uint32_t *head;   /* per closure state: head_gen when the head attempt has a thread
                         there (nfa.c, dominated threads) */
    uint32_t head_gen;
    uint32_t *stack;  /* the closure's pending states: pc, k pairs */
    uint32_t stack_cap; /* pairs it holds */
    int8_t def[VG_MR_MAXVARS]; /* the current row's DEFINE results (-1: not asked);
                                  only when the path is not read */
    nfa_hent *hash;   /* read_path only */
    uint32_t hcap;    /* its slots (a power of two, or 0) */
    uint32_t hused;   /* slots of the current gen */
    vg_nfa_step **made; /* read_path: the steps the table holds (a reference each) */
    uint32_t nmade, made_cap;
    vg_buf keys;      /* path_key: the key bytes of the paths made at this row */
} nfa_scratch;

struct vg_nfa {
    nfa_ins *ins;     /* the program; ins[0] is the entry */
    uint32_t nins;
    uint32_t nvars;   /* primary variables */
    uint32_t nseen;   /* closure states: sum of depth + 1 */
    bool nullable;    /* the pattern can match the empty sequence */
    uint32_t hash;    /* fingerprint of the program, checked by restore */
    nfa_scratch *sc;  /* owned */
};

/* A waiting thread of an attempt. */
typedef struct nfa_thread {
    vg_nfa_step *path; /* its rows, newest first (a reference); never NULL */
    uint32_t pc;       /* a VAR or END instruction */
    uint32_t k;        /* END: the loops entered at this position (VAR: 0) */
} nfa_thread;

/* A match attempt: the start row and what it has found so far. */
typedef struct nfa_attempt {
    uint64_t start;      /* its first row */
    int64_t t0;          /* that row's event time */
    uint32_t nthreads;   /* its live threads: the next nthreads of the run's list */
    bool matched;        /* a match is recorded: `match` (NULL: the empty match) */
    bool expired;        /* WITHIN ended it: it takes no more rows (only END threads
                            may still live) */
    vg_nfa_step *match;  /* the most preferred match found so far (a reference) */
    vg_nfa_step *partial; /* when WITHIN ended it: its most preferred partial match, for
                             a timeout report (a reference), or NULL */
} nfa_attempt;

struct vg_nfa_run {
    const vg_nfa *nfa;   /* borrowed */
    vg_nfa_opts opts;    /* a copy */
    uint64_t next_pos;   /* the position of the next row */
    uint64_t next_start; /* the next attempt the standard's sequence makes: every row
                            from here to next_pos has an attempt, live or reportable
                            when it is in `at`, failed when not */
    uint64_t covered_to; /* rows before it are in a reported match */
    nfa_attempt *at;     /* attempts in order of start, the first at >= next_start */
    uint32_t nat, at_cap;
    nfa_thread *th;      /* the live threads, by attempt, each's in preference order */
    uint32_t nth, th_cap;
    nfa_thread *th2;     /* the list being built by a step */
    uint32_t nth2, th2_cap;
    vg_nfa_step *free_steps; /* recycled steps, linked through prev */
    uint32_t nfree;
    uint64_t nsteps;     /* steps in use */
};

/* ---- steps and attempts (nfa_run.c) ---- */

/* A new step after prev (a reference is taken on prev) with refs 1, or NULL. */
vg_nfa_step *nfa_step_new(vg_nfa_run *r, vg_nfa_step *prev, uint64_t pos, uint32_t var,
                          bool excluded);
/* Drop a reference; frees the step (and its unreferenced predecessors). */
void nfa_step_release(vg_nfa_run *r, vg_nfa_step *s);
static inline vg_nfa_step *nfa_step_ref(vg_nfa_step *s)
{
    if (s)
        s->refs++;
    return s;
}

/* Release the paths of n threads. */
void nfa_drop_threads(vg_nfa_run *r, nfa_thread *t, uint32_t n);
/* Whether an attempt with no threads left has nothing to report: it failed,
 * and is not kept (nfa_run.c knows a failed attempt by its absence). */
bool nfa_attempt_failed(const vg_nfa_run *r, const nfa_attempt *a);
/* Release an attempt's match and partial match. */
void nfa_attempt_clear(vg_nfa_run *r, nfa_attempt *a);
/* The end of every call that steps: report every decided attempt the
 * standard's sequence has reached, drop what can no longer matter, give
 * memory back when idle. 0, or -1 when a hook failed (err set). */
int nfa_settle(vg_nfa_run *r, const vg_nfa_hooks *h, vg_error *err);

/* An empty run (no attempts). NULL when out of memory. */
vg_nfa_run *nfa_run_alloc(const vg_nfa *n, const vg_nfa_opts *o);

/* Grow *p (of *cap elements of size sz) to hold at least n; 0 or -1
 * (nfa_compile.c). */
int nfa_grow(void **p, uint32_t *cap, uint32_t n, size_t sz);

#endif
