/*
 * nfa_int.h — what the matcher's files share: nfa_compile.c (a pattern into
 * a program), nfa.c (stepping a partition's attempts over its rows),
 * nfa_share.c (what attempts share: keys, the head's states, followers),
 * nfa_twin.c (attempts stepped alike over a row), nfa_run.c (steps,
 * reporting attempts in order, serial attempts, a run's life) and
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
#include <string.h>

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

/* A path's key (vg_nfa_opts.path_key), shared by the threads whose paths
 * have it; immutable. */
typedef struct nfa_key {
    uint32_t refs;   /* threads and tables that hold it */
    uint32_t len;    /* bytes */
    uint32_t hash;   /* of the bytes (never 0) */
    char bytes[];    /* len of them */
} nfa_key;

/* An open-addressing set used while stepping with paths read (read_path):
 * the closure's states keyed (slot, class of the path), and either the
 * steps made at this row keyed (previous step, variable), so that equal
 * paths are one step and one class, or, with a path_key hook, the keys of
 * the new paths, the first path with a key being the class of every path
 * with that key. */
typedef struct nfa_hent {
    const void *p;    /* the path's class, the previous step, or a key's hash */
    uint32_t key;     /* the seen slot, a step key, or a key number (nfa.c) */
    uint32_t gen;     /* valid when equal to the scratch's gen */
    void *val;        /* a step key's step; a key's first path */
    nfa_key *k;       /* a key's bytes (a reference, dropped with the generation) */
} nfa_hent;

/* The states (slot, key) of the head attempt's threads, when keys decide
 * (dominated threads, nfa_share.c): open addressing by slot and key hash. */
typedef struct nfa_hmark {
    const nfa_key *key; /* borrowed from a head thread for one sweep */
    uint32_t slot;
    uint32_t gen;       /* valid when equal to the scratch's head_gen */
} nfa_hmark;

/* A thread made by stepping an attempt over a row (nfa.c's twins): the
 * old thread whose new step is its path, and its state and key. */
typedef struct nfa_twin_new {
    uint32_t from; /* the old thread's index */
    uint32_t pc, k;
    nfa_key *key;  /* a reference (NULL without keys) */
} nfa_twin_new;

/* Memory a run uses only during a call, shared by every run of a program
 * (runs of one program are driven from one thread). */
typedef struct nfa_scratch {
    uint32_t *seen;   /* per closure state (pc, k): the gen that visited it */
    uint32_t gen;     /* current generation of seen and of the hash */
    uint32_t *head;   /* per closure state: head_gen when the head attempt has a thread
                         there (dominated threads, without keys) */
    uint32_t head_gen;
    nfa_hmark *hmarks; /* with keys: the head's (slot, key) states */
    uint32_t hmarks_cap; /* slots (a power of two, or 0) */
    uint32_t *stack;  /* the closure's pending states: pc, k pairs */
    uint32_t stack_cap; /* pairs it holds */
    int8_t def[VG_MR_MAXVARS]; /* the current row's DEFINE results (-1: not asked);
                                  only when the path is not read */
    nfa_hent *hash;   /* read_path only */
    uint32_t hcap;    /* its slots (a power of two, or 0) */
    uint32_t hused;   /* slots of the current gen */
    vg_nfa_step **made; /* read_path: the steps the table holds (a reference each) */
    uint32_t nmade, made_cap;
    nfa_key **kmade;  /* path_key: the keys the table holds (a reference each) */
    uint32_t nkmade, kmade_cap;
    vg_buf keys;      /* path_key: the key bytes of the path being made */
    uint32_t *sig;    /* followers: per attempt, its threads' signature, then an
                         open-addressing table of attempt numbers + 1 by signature */
    uint32_t sig_cap; /* entries of sig */
    uint64_t *work;   /* followers: starts of the attempts whose followers are resolved */
    uint32_t work_cap;
    /* twins (nfa_twin.c): within one sweep over a row, the first attempt stepped
     * in full, so that a later one with the same threads (states and keys)
     * is stepped by copying what it gave; released at the sweep's end */
    bool tw_valid;          /* what follows holds a stepped attempt */
    struct nfa_thread *tw_old; /* its threads before the row (paths NULL, keys referenced) */
    uint32_t tw_nold, tw_old_cap;
    nfa_twin_new *tw_new;   /* the threads stepping made, in order */
    uint32_t tw_nnew, tw_new_cap;
    uint32_t tw_match;      /* the old thread whose step reached MATCH, UINT32_MAX: none */
    uint32_t tw_from;       /* while recording: the old thread being stepped */
    bool tw_rec;            /* recording the attempt being stepped */
    vg_nfa_step **tw_steps; /* replaying: per old thread, its new step (or NULL) */
    uint32_t tw_steps_cap;
    uint32_t tw_looks;      /* attempts that could have been twins ... */
    uint32_t tw_hits;       /* ... and those that were (both halved now and then) */
    uint32_t tw_skipped;    /* sweeps that did not look (twins being rare) */
    bool tw_on;             /* the current sweep looks for twins */
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
    vg_nfa_step *path; /* its rows, newest first (a reference); NULL only before the
                          attempt's first row is stepped */
    nfa_key *key;      /* with path_key: the key of path (a reference); NULL when not
                          known (a restored run asks define to work it out) */
    uint32_t pc;       /* a VAR or END instruction */
    uint32_t k;        /* END: the loops entered at this position (VAR: 0) */
} nfa_thread;

/* A leader's thread at the row a follower was linked, and the follower's
 * own path for the thread in the same place of its list. */
typedef struct nfa_link {
    vg_nfa_step *lead; /* the leader thread's newest step then, its own (a reference) */
    vg_nfa_step *own;  /* the follower's path (a reference) */
} nfa_link;

/* What few attempts have (nfa_share.c): the partial match WITHIN ended it
 * at; the attempts that follow it; and, when it follows one, what it
 * shares with its leader. When
 * it was linked its threads were the leader's, state by state and key by
 * key, so the leader's outcome decides its own. While the leader is open
 * it has no thread of its own; once the leader is decided it is resolved:
 * its match is then `match` (its own rows up to `at`) followed by the rows
 * of `suffix` after `at`, or the match it had recorded itself. */
typedef struct nfa_follow {
    vg_nfa_step *partial;    /* when WITHIN ended it while it was open (EMIT TIMEOUTS): its
                                most preferred partial match, for a timeout report (a
                                reference), or NULL */
    uint64_t followers;      /* the first attempt that follows this one, a list through
                                their `next` (NFA_NONE: none) */
    bool following;          /* it follows a leader: the rest is set */
    uint64_t lead;           /* the leader's start */
    uint64_t next;           /* the next follower of the same leader (NFA_NONE: none) */
    uint64_t at;             /* the row after which it was linked */
    vg_nfa_step *lead_match; /* the leader's match then (a reference; NULL: none or empty) */
    bool lead_matched;       /* the leader had recorded a match then */
    bool resolved;           /* the leader is decided: links are gone */
    vg_nfa_step *suffix;     /* resolved through the leader: its match (a reference) */
    uint32_t nlinks;
    nfa_link links[];        /* the leader's threads then, in order */
} nfa_follow;

/* A match attempt: the start row and what it has found so far. */
typedef struct nfa_attempt {
    uint64_t start;      /* its first row */
    int64_t t0;          /* that row's event time */
    uint32_t nthreads;   /* its live threads: the next nthreads of the run's list */
    bool matched;        /* a match is recorded: `match` (NULL: the empty match) */
    bool expired;        /* WITHIN ended it: it takes no more rows (only END threads
                            may still live) */
    vg_nfa_step *match;  /* the most preferred match found so far (a reference) */
    nfa_follow *fol;     /* NULL, or its partial match and what it shares with others
                            (owned) */
} nfa_attempt;

#define NFA_NONE UINT64_MAX /* no attempt */

/* What a run needs only with keys, followers or serial attempts: kept
 * apart so that the runs of patterns without them (most) stay small. */
typedef struct nfa_more {
    nfa_attempt *fw;     /* the followers (resolved or not), in order of start, from
                            fw[fw_skip]: they are not stepped, so rows do not go through
                            them; those reported are skipped, then compacted away */
    uint32_t nfw, fw_skip, fw_cap;
    uint32_t nfollow;    /* followers not resolved */
    nfa_key *empty_key;  /* with keys: the key of the empty path, once asked (owned) */
    uint64_t nkeys;      /* keys in use, and their bytes (vg_nfa_bytes) */
    uint64_t key_bytes;
    bool piled;          /* with keys, attempts piled up behind the head: the run is serial
                            until it is idle (nfa_pile_up) */
    bool ended;          /* serial: the partition ended (vg_nfa_finish) after the last row */
    bool passed;         /* serial: time was passed (vg_nfa_advance) ... */
    int64_t passed_max;  /* ... the latest time passed */
    /* serial or keyed: the rows pushed from next_start on, to step a new attempt over */
    int64_t *times;      /* their event times, a ring of times_cap (a power of two) */
    uint32_t times_head, ntimes, times_cap; /* the row at next_pos - ntimes is at times_head */
} nfa_more;

struct vg_nfa_run {
    const vg_nfa *nfa;   /* borrowed */
    vg_nfa_opts opts;    /* a copy */
    uint64_t next_pos;   /* the position of the next row */
    uint64_t next_start; /* the next attempt the standard's sequence makes: every row
                            from here to next_pos has an attempt, live or reportable
                            when it is in `at`, failed when not (serial: only the
                            attempt at next_start is made, once the row is reached) */
    uint64_t covered_to; /* rows before it are in a reported match */
    nfa_attempt *at;     /* attempts in order of start, the first at >= next_start, but
                            for followers */
    uint32_t nat, at_cap;
    nfa_thread *th;      /* the live threads, by attempt, each's in preference order */
    uint32_t nth, th_cap;
    nfa_thread *th2;     /* the list being built by a step */
    uint32_t nth2, th2_cap;
    vg_nfa_step *free_steps; /* recycled steps, linked through prev */
    uint32_t nfree;
    uint64_t nsteps;     /* steps in use */
    nfa_more *more;      /* what keys, followers and serial attempts need (owned), made
                            with the run when its options may need it; else NULL */
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

/* Release the paths and keys of n threads. */
void nfa_drop_threads(vg_nfa_run *r, nfa_thread *t, uint32_t n);
/* Whether an attempt with no threads left has nothing to report: it failed,
 * and is not kept (nfa_run.c knows a failed attempt by its absence; a
 * serial run keeps its one attempt until it is reported). A follower still
 * waiting for its leader has not failed. */
bool nfa_attempt_failed(const vg_nfa_run *r, const nfa_attempt *a);
/* Whether an attempt is decided: no thread, and not waiting for a leader. */
static inline bool nfa_following(const nfa_attempt *a) { return a->fol && a->fol->following; }
static inline vg_nfa_step *nfa_partial(const nfa_attempt *a)
{
    return a->fol ? a->fol->partial : NULL;
}
/* a->fol, made (empty) when a has none; NULL when out of memory
 * (nfa_share.c). */
nfa_follow *nfa_fol_of(nfa_attempt *a);
static inline bool nfa_attempt_open(const nfa_attempt *a)
{
    return a->nthreads || (nfa_following(a) && !a->fol->resolved);
}
/* Release an attempt's match, partial match and what it shares. */
void nfa_attempt_clear(vg_nfa_run *r, nfa_attempt *a);
/* The end of every call that steps: report every decided attempt the
 * standard's sequence has reached, drop what can no longer matter, give
 * memory back when idle. 0, or -1 when a hook failed (err set). */
int nfa_settle(vg_nfa_run *r, const vg_nfa_hooks *h, vg_error *err);
/* Whether the run keeps one attempt at a time (MATCH_NUMBER, or piled up). */
static inline bool nfa_serial(const vg_nfa_run *r)
{
    return r->opts.serial || (r->more && r->more->piled);
}
/* Whether the run keeps the event times of the rows from next_start. */
static inline bool nfa_keeps_times(const vg_nfa_run *r)
{
    return nfa_serial(r) || (r->opts.read_path && r->opts.path_key);
}
/* With keys, when more than NFA_PILE attempts are open: drop all but the
 * head and run serially until the partition is idle. Keys rarely let
 * attempts share a future, and each holds up to a key per state and row:
 * run one at a time they cost the memory of one. */
#define NFA_PILE 32
void nfa_pile_up(vg_nfa_run *r);
/* Serial attempts: remember the event time of the row being pushed, or
 * forget the rows before next_start. 0 or -1 (out of memory). */
int nfa_times_push(vg_nfa_run *r, int64_t ts);
void nfa_times_trim(vg_nfa_run *r);
/* The event time of pushed row pos (serial: next_pos - ntimes <= pos < next_pos). */
int64_t nfa_time_at(const vg_nfa_run *r, uint64_t pos);

/* An empty run (no attempts). NULL when out of memory. */
vg_nfa_run *nfa_run_alloc(const vg_nfa *n, const vg_nfa_opts *o);

/* nfa_grow when the array must move (nfa_compile.c). */
int nfa_grow_slow(void **p, uint32_t *cap, uint32_t n, size_t sz);

/* Grow *p (of *cap elements of size sz) to hold at least n; 0 or -1. Inline: the matcher
 * asks before every thread it adds, and the array is almost always big enough. */
static inline int nfa_grow(void **p, uint32_t *cap, uint32_t n, size_t sz)
{
    return n <= *cap ? 0 : nfa_grow_slow(p, cap, n, sz);
}

/* The followers not reported yet: how many, and the first. */
static inline uint32_t nfa_nfw(const vg_nfa_run *r) { return r->more ? r->more->nfw : 0; }
static inline nfa_attempt *nfa_fw(const vg_nfa_run *r) { return r->more->fw + r->more->fw_skip; }

/* ---- twins (nfa_twin.c): attempts stepped alike over a row ---- */

/* Forget the attempt recorded in this sweep (its key references go). */
void nfa_twin_release(vg_nfa_run *r);
/* Whether the sweep starting now looks for twins (counts looks and finds
 * in sc: programs whose attempts are seldom twins look seldom). */
bool nfa_twin_gate(nfa_scratch *sc);
/* Whether attempt i + 1 of r (its threads right after old, not stepped
 * yet) is a twin of attempt i, whose n threads are old. */
bool nfa_twin_likely(const vg_nfa_run *r, uint32_t i, const nfa_thread *old, uint32_t n);
/* Start recording the attempt about to be stepped, whose n threads are
 * old (nothing when a key is not known). 0 or -1 (out of memory). */
int nfa_twin_begin(vg_nfa_run *r, const nfa_thread *old, uint32_t n);
/* Recording: stepping old thread sc->tw_from made a thread at (pc, k)
 * with key. 0 or -1 (out of memory: the recording ends). */
int nfa_twin_note(vg_nfa_run *r, uint32_t pc, uint32_t k, nfa_key *key);
/* Whether n threads old are the recorded attempt's. */
bool nfa_twin_of(const vg_nfa_run *r, const nfa_thread *old, uint32_t n);
/* Step attempt a, whose n threads old are the recorded attempt's, over
 * row pos: the recorded new threads over its own new steps go to r->th2,
 * old threads are dropped; *match is the path of the match it reaches (a
 * reference, for the caller to record), or NULL. 0 or -1 (out of memory). */
int nfa_twin_step(vg_nfa_run *r, nfa_attempt *a, nfa_thread *old, uint32_t n, uint64_t pos,
                  vg_nfa_step **match);

/* ---- keys, the head, followers (nfa_share.c) ---- */

/* A key holding bytes p[0..n), refs 1, or NULL when out of memory. */
nfa_key *nfa_key_new(vg_nfa_run *r, const void *p, uint32_t n);
void nfa_key_release(vg_nfa_run *r, nfa_key *k);
static inline nfa_key *nfa_key_ref(nfa_key *k)
{
    if (k)
        k->refs++;
    return k;
}
uint32_t nfa_key_hash(const void *p, uint32_t n);
/* Whether two keys hold the same bytes. */
static inline bool nfa_key_same(const nfa_key *a, const nfa_key *b)
{
    return a == b || (a->hash == b->hash && a->len == b->len &&
                      (!a->len || memcmp(a->bytes, b->bytes, a->len) == 0));
}

/* Dominated threads (AFTER MATCH SKIP PAST LAST ROW, no WITHIN, DEFINEs
 * that read only their row or have keys): whether they are dropped, and
 * the head's states marked; whether a state is one of them. */
bool nfa_dominance_on(const vg_nfa_run *r);
bool nfa_mark_head(vg_nfa_run *r, const nfa_thread *t, uint32_t n);
bool nfa_in_head(const vg_nfa_run *r, uint32_t slot, const nfa_key *key);

/* Shared attempts (AFTER MATCH SKIP TO NEXT ROW, no WITHIN, not serial,
 * DEFINEs that read only their row or have keys): after a row, make each
 * attempt whose threads are those of an earlier open attempt its follower
 * (moved to r->fw). 0 or -1 (out of memory, err set; the run is still
 * whole). */
int nfa_share(vg_nfa_run *r, vg_error *err);
/* Resolve the followers of every decided attempt of r->at (all: of r->fw
 * too), and theirs. 0 or -1 (out of memory, err set). */
int nfa_resolve_followers(vg_nfa_run *r, bool all, vg_error *err);
/* Enter follower f (among the followers) in its leader's list: 0, -1 when
 * the leader is not there (restore), -2 when out of memory. */
int nfa_follow_enter(vg_nfa_run *r, nfa_attempt *f);
/* The attempt that starts at `start` in r->at or r->fw, or NULL. */
nfa_attempt *nfa_attempt_at(vg_nfa_run *r, uint64_t start);
/* A decided attempt's match as a path: its own, or a follower's own rows
 * then its leader's (made now; a reference in *out, NULL for an empty
 * match). 0 or -1 (out of memory). */
int nfa_match_path(vg_nfa_run *r, const nfa_attempt *a, vg_nfa_step **out);
/* Free a follower's links and suffix. */
void nfa_follow_free(vg_nfa_run *r, nfa_follow *f);

#endif
