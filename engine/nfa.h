/*
 * nfa.h — the row pattern matcher of MATCH_RECOGNIZE.
 *
 * A pattern (sql/plan.h, vg_plan_pattern) is compiled once into a program;
 * each partition then runs it over its rows, pushed one at a time in
 * partition order (positions 0, 1, 2, ...). The matcher implements the SQL
 * standard's semantics (ISO/IEC 9075-2:2016, 19075-5): at each start row it
 * finds the most preferred match in preferment order (alternation left
 * first, greedy quantifiers more iterations first, reluctant fewer first,
 * PERMUTE in lexicographic order; backtracking, empty matches), then resumes
 * where AFTER MATCH SKIP says.
 *
 * Threads are simulated in preference order, and two threads in the same
 * program state whose futures cannot differ are merged, the more preferred
 * kept: when no DEFINE reads more than its row, the state alone decides;
 * when one does, the caller gives each path a key (vg_nfa_opts.path_key)
 * that decides every answer its DEFINEs can still give, and equal keys
 * decide. Attempts at later start rows run alongside earlier ones, so a row
 * is read once. Without WITHIN (which ends attempts at different times), a
 * later attempt's thread with the future of one of the attempt the
 * standard's sequence is at is dropped (AFTER MATCH SKIP PAST LAST ROW),
 * and an attempt whose threads all have the futures of an earlier open
 * one's follows it (TO NEXT ROW) instead of being stepped. A match is
 * reported as soon as no row still to come can change it, in order of
 * start row. When a DEFINE reads MATCH_NUMBER() (vg_nfa_opts.serial), or
 * when keys keep more than a few attempts apart, attempts run one after
 * another instead, each once the earlier ones are decided, over the rows
 * pushed since its first: time is then the same, memory that of one.
 *
 * The matcher knows rows only by position and event time: whether a row
 * satisfies a variable's DEFINE is asked of the caller (vg_nfa_hooks), with
 * the path of the thread asking, and the caller evaluates measures on the
 * paths the matcher reports.
 */
#ifndef VG_NFA_H
#define VG_NFA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/buf.h"
#include "engine/error.h"
#include "sql/plan.h"

/* A compiled pattern: read-only, shared by every partition of a node. */
typedef struct vg_nfa vg_nfa;

/* Compile pattern p over nvars primary variables into *out. 0, or -1 with
 * err set (out of memory; a program too large: a position-free
 * VG_ERR_SEMANTIC error the binder reports at the pattern). */
int vg_nfa_compile(const vg_plan_pattern *p, uint32_t nvars, vg_nfa **out, vg_error *err);
void vg_nfa_free(vg_nfa *n);
/* Whether the pattern can match the empty sequence. */
bool vg_nfa_nullable(const vg_nfa *n);
/* The same, of a pattern not compiled (the binder asks). */
bool vg_nfa_pattern_nullable(const vg_plan_pattern *p);

/* One row of a path: the rows a thread has mapped so far, newest first.
 * Steps are shared between threads and owned by the run; a step passed to a
 * hook is borrowed for the duration of the call. */
typedef struct vg_nfa_step vg_nfa_step;
struct vg_nfa_step {
    const vg_nfa_step *prev; /* the row mapped before it; NULL at the first row */
    uint64_t pos;            /* the row's position in the partition */
    uint32_t var;            /* the primary variable it is mapped to */
    uint32_t len;            /* rows in the path up to and including this one */
    bool excluded;           /* matched inside {- ... -} */
    uint32_t refs;           /* the run's: threads and steps that point to it */
};

/* What the matcher asks of, and reports to, its caller. */
typedef struct vg_nfa_hooks {
    /* Whether row pos satisfies the DEFINE of var, the rows of the attempt
     * before it being mapped as path (newest first; NULL when pos is the
     * attempt's first row). 1 true, 0 false or NULL, -1 on an error the
     * caller keeps (the push then fails, with err "row pattern condition
     * failed" unless err was set). Without vg_nfa_opts.read_path it is
     * asked once per row and variable (with the path of the first thread
     * that asks). With vg_nfa_opts.path_key, key (key_len bytes) is the
     * key of path (NULL when the matcher does not know it, after a
     * restore: the caller then works it out from path), and the caller
     * appends to next_key the key of path extended by row pos as var,
     * whatever the answer; otherwise key and next_key are NULL. NULL: every
     * variable is TRUE. */
    int (*define)(void *arg, uint32_t var, uint64_t pos, const vg_nfa_step *path,
                  const void *key, uint32_t key_len, vg_buf *next_key);
    /* A match, final: the attempt's first row `start`, its rows (path newest
     * first; NULL for an empty match), timed_out when WITHIN ended it before
     * it completed (only with vg_nfa_opts.timeouts; path then holds the
     * rows of the most preferred partial match). Reported in order of
     * start. 0, or -1 to fail the call that reported it. */
    int (*match)(void *arg, uint64_t start, const vg_nfa_step *path, bool timed_out);
    /* Row pos is decided to be in no match (only with
     * vg_nfa_opts.unmatched), reported in order between the matches. A row
     * is in a match when a reported match maps it, and the start row of a
     * reported empty match is in that match (it is output as the empty
     * match's row); rows of a reported timed-out partial match count too. */
    int (*unmatched)(void *arg, uint64_t pos);
    void *arg;
} vg_nfa_hooks;

typedef struct vg_nfa_opts {
    vg_mr_skip skip;      /* AFTER MATCH SKIP */
    vg_mr_vars skip_vars; /* TO FIRST / TO LAST: the variables; when the match maps no row
                             to them, or the target is the match's first row, the next
                             attempt starts at the row after the match's first row */
    int64_t within;       /* WITHIN in milliseconds (0: none): a match's rows all have event
                             times t with t - t0 < within, t0 its first row's */
    bool read_path;       /* DEFINE conditions read more than their row: the path (which
                             variables earlier rows were mapped to) or the attempt's rows
                             (FIRST, aggregates over every row). Without it an answer may
                             depend only on the row and the variable */
    bool serial;          /* a DEFINE reads MATCH_NUMBER(): an attempt starts only once every
                             earlier one is decided, its number then known, and steps over
                             the rows pushed since its first row */
    bool timeouts;        /* report attempts WITHIN ends while alive (EMIT TIMEOUTS) */
    bool unmatched;       /* report rows in no match (WITH UNMATCHED ROWS) */
    /* Optional, used only with read_path, called with the hooks' arg: append
     * to out the key of path (NULL: the empty path), bytes that decide every
     * answer define can still give for a thread with this path and for
     * every path that extends it, in this attempt or any other (the
     * positions or values of the rows LAST and FIRST can still reach, the
     * states of running aggregates, the rows an attempt has when its
     * DEFINEs read them). The matcher asks it for an attempt's empty path,
     * and for every path when there is no define hook (define gives the
     * others). Threads in one state whose keys are equal are merged (the
     * more preferred kept) and share a future across attempts, which keeps
     * DEFINE conditions that read the path polynomial. 0, or -1 when out
     * of memory. NULL: only threads of one attempt whose paths map the same
     * rows to the same variables are merged (time can then grow
     * exponentially with the rows an attempt spans). */
    int (*path_key)(void *arg, const vg_nfa_step *path, vg_buf *out);
} vg_nfa_opts;

/* The matcher's state for one partition. Runs of one compiled pattern share
 * its scratch memory: drive them from one thread at a time. After a call
 * fails, a run can only be freed. */
typedef struct vg_nfa_run vg_nfa_run;

/* A run of n at position 0, or NULL when out of memory. Both borrowed. */
vg_nfa_run *vg_nfa_run_new(const vg_nfa *n, const vg_nfa_opts *o);
void vg_nfa_run_free(vg_nfa_run *r);

/* The next row of the partition, at position vg_nfa_next_pos(r) and event
 * time ts (not less than the previous row's): threads step over it, asking
 * h->define; matches it decides are reported. 0, or -1 with err set. */
int vg_nfa_push(vg_nfa_run *r, int64_t ts, const vg_nfa_hooks *h, vg_error *err);
/* Event time has passed t: no row with ts <= t is still to come. Attempts
 * whose first row is at t0 with t0 + within - 1 <= t can take no more rows
 * and are decided (timed out when they had threads waiting for a row; a
 * thread waiting for $ still waits: the partition may end before the next
 * row). 0, or -1 with err set. */
int vg_nfa_advance(vg_nfa_run *r, int64_t t, const vg_nfa_hooks *h, vg_error *err);
/* The partition has ended (end of input): $ matches here, every attempt is
 * decided and reported; threads waiting for a row end without a timeout
 * (call vg_nfa_advance with the last time first to time them out); the run
 * stays usable (positions continue). */
int vg_nfa_finish(vg_nfa_run *r, const vg_nfa_hooks *h, vg_error *err);

/* The position the next pushed row takes. */
uint64_t vg_nfa_next_pos(const vg_nfa_run *r);
/* The oldest position a later hook call can mention: rows before it are
 * no longer needed by the matcher. */
uint64_t vg_nfa_oldest(const vg_nfa_run *r);
/* Live threads (those of attempts that follow others are their leaders'),
 * and bytes the run holds (for state metrics). */
uint32_t vg_nfa_threads(const vg_nfa_run *r);
size_t vg_nfa_bytes(const vg_nfa_run *r);

/* Append the run's state (position, live attempts, threads and their
 * paths) to out; rebuild a run from such bytes, reading *used of the n at
 * p. -1 with err set (out of memory, "corrupt snapshot"). */
int vg_nfa_snapshot(const vg_nfa_run *r, vg_buf *out, vg_error *err);
vg_nfa_run *vg_nfa_restore(const vg_nfa *n, const vg_nfa_opts *o, const void *p, size_t len,
                           size_t *used, vg_error *err);

#endif
