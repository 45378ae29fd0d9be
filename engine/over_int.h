/*
 * over_int.h — what the OVER operator's files share: op_over.c (the
 * operator: arrival, frames, eviction), over_buf.c (partitions, their
 * row buffers, interned strings) and over_snap.c (snapshot, restore,
 * iterate, memory figures).
 *
 * The state of one OVER node is a hash map from partition key to a
 * partition. A partition holds a buffer of records, one per row of the
 * partition that a present or future frame may still contain, in (event
 * time, arrival) order, and one running state per aggregate over the frame
 * of its newest record. A record keeps only what the aggregates need: the
 * event time, the value of each distinct argument expression (8 bytes;
 * strings interned and reference-counted), and a flags word with a NULL bit
 * per argument and a bit per distinct FILTER that held.
 */
#ifndef VG_OVER_INT_H
#define VG_OVER_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/buf.h"
#include "engine/op.h"
#include "udf/agg.h"

/* One distinct argument expression of the window's aggregates. */
typedef struct over_slot {
    const vg_expr *expr; /* over the input row */
    int32_t col;         /* the input column expr reads as is, or -1 */
    vg_type type;        /* its type (after the binder's casts) */
} over_slot;

/* One aggregate, as the operator runs it. */
typedef struct over_agg {
    const vg_agg_call *call;         /* the plan's bound call */
    uint32_t slot[VG_AGG_MAXARGS];   /* the slots of its call->nargs arguments */
    int32_t filter;                  /* the flags bit of its FILTER, or -1 for none */
    size_t off;                      /* its state's offset in a state block */
    int8_t scan;                     /* FIRST_VALUE (+1) or LAST_VALUE (-1): its result is
                                        read from the buffer (see op_over.c), its running
                                        state only holds an UNBOUNDED frame's evicted rows */
} over_agg;

/* A string argument value, shared by every record that holds it. */
typedef struct over_str {
    struct over_str *next; /* in its bucket */
    uint64_t hash;
    uint32_t refs;         /* records holding it */
    uint32_t len;
    char bytes[];
} over_str;

/* The interned strings: chained hash buckets. */
typedef struct over_strs {
    over_str **buckets; /* nbuckets chains; NULL until the first string */
    uint32_t nbuckets;  /* a power of two, or 0 */
    uint32_t n;         /* strings */
} over_strs;

/* One partition. The encoded key follows the struct (at OVER_PART_HDR),
 * then the aggregates' running states (16-aligned): one allocation, the
 * parts a lookup reads first. */
typedef struct over_part {
    uint64_t hash;    /* of the encoded key */
    uint32_t keylen;  /* bytes of the encoded key (over_key_encode) */
    uint32_t head;    /* index of the first record in buf */
    uint32_t n;       /* records held */
    uint32_t cap;     /* records buf has room for; 0 when buf is NULL */
    uint32_t lo;      /* first record of the running frame, head <= lo <= head + n
                         (an UNBOUNDED frame's running state holds every record,
                         and every one evicted before) */
    int64_t head_ts;  /* event time of the first record (when n > 0): eviction
                         checks it without touching the buffer */
    int64_t swept_wm; /* the watermark of the last eviction that went through */
    char *buf;        /* cap records of rec_size bytes, or NULL */
} over_part;

#define OVER_PART_HDR ((sizeof(over_part) + 15) & ~(size_t)15)

/* Buffers of up to 4 << (OVER_NCLASSES - 1) records are kept for reuse
 * when a partition's buffer empties, so that steady state allocates none. */
#define OVER_NCLASSES 6

/* The mutable state of one OVER node. */
typedef struct over_state {
    const vg_plan_node *node; /* read-only plan node */
    uint32_t nin;             /* input columns */
    uint32_t nslots;
    over_slot *slots;
    uint32_t nfilters;
    const vg_expr **filters;  /* distinct FILTER conditions; bit nslots + i of the flags */
    uint32_t naggs;
    over_agg *aggs;
    size_t states_size;       /* bytes of one state block (every aggregate's state) */
    size_t rec_size;          /* bytes of a record: ts, nslots values, [flags] */
    bool has_flags;           /* records end in a flags word */
    /* partitions: open addressing, linear probing, never removed */
    over_part **parts;        /* pcap slots, NULL for empty */
    uint32_t pcap;            /* a power of two */
    uint32_t nparts;
    over_strs strs;
    char *free_bufs[OVER_NCLASSES]; /* reusable buffers, chained through their first bytes */
    /* event time */
    int64_t wm;               /* the watermark: rows older are late */
    uint32_t sweep_at;        /* next partition slot the eviction sweep visits */
    uint64_t since_sweep;     /* rows pushed since the last sweep */
    /* scratch, reused for every row */
    vg_buf key;               /* the row's encoded key */
    uint64_t *rec;            /* the row's record being built */
    vg_value *out;            /* the output row: input columns, then the aggregates */
    char *tmp;                /* a state block for frames computed afresh */
} over_state;

/* ---- records (over_buf.c) ---- */

static inline uint64_t *over_rec(const over_state *st, const over_part *p, uint32_t i)
{
    return (uint64_t *)(void *)(p->buf + (size_t)i * st->rec_size);
}

static inline int64_t over_rec_ts(const uint64_t *rec) { return (int64_t)rec[0]; }

static inline uint64_t over_rec_flags(const over_state *st, const uint64_t *rec)
{
    return st->has_flags ? rec[1 + st->nslots] : 0;
}

/* Whether rec's row goes into aggregate a (its FILTER held). */
static inline bool over_rec_counts(const over_state *st, const uint64_t *rec, const over_agg *a)
{
    return a->filter < 0 || (over_rec_flags(st, rec) >> a->filter & 1);
}

static inline const char *over_part_key(const over_part *p)
{
    return (const char *)p + OVER_PART_HDR;
}

static inline char *over_part_states(const over_part *p)
{
    return (char *)p + OVER_PART_HDR + ((p->keylen + 15) & ~(size_t)15);
}

/* The argument values of aggregate a in rec (strings point into the interned copies). */
void over_rec_args(const over_state *st, const uint64_t *rec, const over_agg *a, vg_value *args);
/* Give back the strings rec holds. */
void over_rec_release(over_state *st, const uint64_t *rec);
/* Fill st->rec from an input row (event time t): evaluates arguments and
 * filters, interns strings. 0, or -1 when out of memory (nothing held). */
int over_rec_build(over_state *st, const vg_value *row, int64_t t, vg_eval_ctx *ctx);

/* ---- interned strings (over_buf.c) ---- */

/* The interned copy of s[0..len) with one more reference; NULL when out of memory. */
over_str *over_str_get(over_state *st, const char *s, uint32_t len);
void over_str_put(over_state *st, over_str *s);

/* ---- partitions and buffers (over_buf.c) ---- */

uint64_t over_hash(const void *p, size_t n);
/* Encode the key columns of row into st->key. 0 or -1 (out of memory). */
int over_key_encode(over_state *st, const vg_value *row);
/* The key columns back from p's key (strings point into it). */
void over_key_decode(const over_state *st, const over_part *p, vg_value *out);
/* The partition of key (hash h), or NULL. */
over_part *over_map_find(const over_state *st, const char *key, uint32_t len, uint64_t h);
/* A new empty partition for key (absent from the map): running states
 * initialised. NULL when out of memory (the map unchanged). */
over_part *over_map_add(over_state *st, const char *key, uint32_t len, uint64_t h);
/* Free every partition, its records and states, and the map. */
void over_map_free(over_state *st);
/* Room for `more` records after p's last. 0 or -1 (out of memory). */
int over_part_reserve(over_state *st, over_part *p, uint32_t more);
/* Drop p's empty buffer (kept for reuse when small). */
void over_part_drop_buf(over_state *st, over_part *p);
/* Free the reusable buffers. */
void over_free_bufs(over_state *st);

/* The result of aggregate a for the frame [from, j] of p whose running
 * states are `states` (op_over.c). */
void over_result(const over_state *st, const over_part *p, const over_agg *a, const char *states,
                 uint32_t from, uint32_t j, vg_value *out);

/* ---- the operator's state as bytes and rows (over_snap.c) ---- */

/* vg_op_kind's snapshot, restore and iterate for OVER. */
int over_snapshot(vg_op *op, vg_buf *out, vg_error *err);
int over_restore(vg_op *op, const void *p, size_t n, vg_error *err);
int over_iterate(vg_op *op, vg_op_visit_fn fn, void *arg);

#endif
