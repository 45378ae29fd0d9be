/*
 * over_int.h — what the OVER operator's files share: op_over.c (the
 * operator: arrival, out-of-order rows, warming caches, watermarks),
 * over_frame.c (a frame's running states: adding, retracting, eviction,
 * results), over_open.c (the layout of records and states, open and close),
 * over_buf.c (the map of partitions, their records, interned strings) and
 * over_snap.c (snapshot, restore, iterate, lookup, memory figures).
 *
 * An OVER node holds every window of one PARTITION BY key set; each window
 * is a frame (RANGE, ROWS or UNBOUNDED) with its aggregates. The state is
 * a hash map from partition key to a partition. A partition holds one
 * buffer of records, one per row that a present or future frame of any of
 * its windows may still contain, in (event time, arrival) order: the
 * windows share it, the lookup that found it and the strings its records
 * point to. Each frame sees the part of the buffer its own eviction rule
 * keeps (from its own head) and keeps its own running frame (from its own
 * lo) and running aggregate states, exactly as if it had the buffer alone.
 *
 * A record keeps only what the aggregates need, packed: the event time (8
 * bytes), the value of each distinct argument expression of the node's
 * aggregates (8 bytes: a string of up to 8 bytes inline, zero-padded, a
 * longer one interned and reference-counted), and a flags word of 1, 2, 4
 * or 8 bytes with a NULL bit per argument, a bit per distinct FILTER that
 * held and a bit per STRING argument that is inline. Records are not
 * aligned: they are read with memcpy.
 */
#ifndef VG_OVER_INT_H
#define VG_OVER_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "engine/buf.h"
#include "engine/op.h"
#include "udf/agg.h"

/* One distinct argument expression of the node's aggregates: a value slot
 * of every record. */
typedef struct over_slot {
    const vg_expr *expr; /* over the input row */
    int32_t col;         /* the input column expr reads as is, or -1 */
    vg_type type;        /* its type (after the binder's casts) */
    int32_t inl;         /* STRING: the flags bit saying the value is inline; -1 */
} over_slot;

/* Where an aggregate's result comes from. */
typedef enum over_how {
    OVER_STATE,    /* its own running state: vg_agg_add / retract / result */
    OVER_SHARED,   /* the state of an earlier aggregate of its frame that makes the
                      same adds and retracts (SUM and AVG of one argument): only its
                      result function is its own */
    OVER_ROWCOUNT, /* COUNT(*) of a bounded frame: the number of records in it */
    OVER_SCAN,     /* FIRST_VALUE or LAST_VALUE: read from the buffer (op_over.c);
                      in an UNBOUNDED frame its state holds the evicted rows */
    OVER_SMALL,    /* MIN, MAX or COUNT(DISTINCT x) of a bounded frame: read from the
                      records while the frame holds at most OVER_SMALL rows, from
                      its own state (a deque for MIN and MAX) beyond (over_frame.c) */
} over_how;

/* How over_results finds an aggregate's result (over_agg.res). */
enum {
    OVER_RES_ROWCOUNT, /* OVER_ROWCOUNT */
    OVER_RES_STATE,    /* OVER_STATE or OVER_SHARED without DISTINCT: its result function */
    OVER_RES_SMALL,    /* OVER_SMALL: from the records, or its state when the frame is big */
    OVER_RES_OTHER,    /* the rest: over_result */
};

/* The most rows a frame's OVER_SMALL aggregates read from the records. */
#define OVER_SMALL 16

/* One aggregate, as the operator runs it. */
typedef struct over_agg {
    const vg_agg_call *call;       /* the plan's bound call */
    uint32_t slot[VG_AGG_MAXARGS]; /* the slots of its call->nargs arguments */
    int32_t filter;                /* the flags bit of its FILTER, or -1 for none */
    over_how how;
    bool has_state;    /* a state of its own in the partition's state block
                          (STATE, SMALL, and SCAN in an UNBOUNDED frame) */
    int8_t scan;       /* SCAN: FIRST_VALUE +1, LAST_VALUE -1; SMALL: MAX +1,
                          MIN -1, COUNT(DISTINCT x) 2 */
    size_t off;        /* its state's offset in a state block (SHARED: the
                          owner's); SMALL ones after all the others */
    uint32_t owner;    /* SHARED: the index of the aggregate whose state it reads */
    uint64_t cmask;    /* a record counts for it when (flags & cmask) == cwant: its FILTER */
    uint64_t cwant;    /* held, and no argument is NULL (when the aggregate skips NULLs) */
    bool word_arg;     /* one argument, not a STRING, never NULL when added: it is the
                          record's word */
    /* how it adds and retracts a row: the entry's own functions when the call
       has no DISTINCT in front, else vg_agg_add and vg_agg_retract */
    int (*add)(const vg_agg_call *c, void *st, const vg_value *args);
    int (*retract)(const vg_agg_call *c, void *st, const vg_value *args);
    uint8_t fast; /* its state and result as agg_fast_kind says (udf/agg_int.h), stepped and
                     read in line; AGG_FAST_NONE: through add, retract and result */
    uint8_t res;  /* how over_results finds its result: OVER_RES_* */
    /* OVER_RES_STATE: the entry's own result function (no DISTINCT in front) */
    void (*result)(const vg_agg_call *c, const void *st, vg_value *out);
    vg_agg_call deque; /* SMALL MIN and MAX: the call bound again with fifo
                          (rows leave in the order they came); call points
                          here */
} over_agg;

/* One window of the node's keys. */
typedef struct over_frame {
    bool rows;       /* ROWS (else RANGE) */
    int64_t pre;     /* RANGE: milliseconds; ROWS: rows; -1: UNBOUNDED */
    uint32_t first;  /* its aggregates: aggs[first .. first + naggs) of the node, */
    uint32_t naggs;  /* whose results are output columns nin + first .. */
    bool has_states; /* some aggregate of it adds and retracts (not SMALL) */
    bool has_small;  /* some aggregate of it is SMALL */
    bool tmp_small;  /* out-of-order scratch: its SMALL aggregates are in st->tmp */
    const uint32_t *steps; /* the indices (in the node's aggs) of its aggregates that add
                              and retract: its nstate OVER_STATE ones, then its nsmall
                              OVER_SMALL ones (over_step walks these, not every aggregate) */
    uint32_t nstate;       /* (see steps) */
    uint32_t nsmall;       /* (see steps) */
} over_frame;

/* Where one frame stands in its partition's buffer (record indices). */
typedef struct over_pos {
    uint32_t head;   /* its first record: those before it are gone for this frame */
    uint32_t lo;     /* the first record of its running frame, head <= lo <= end (an
                        UNBOUNDED frame's running state holds every record, and every
                        one evicted before) */
    int64_t head_ts; /* the event time of record head, when head < end: eviction
                        checks it without reading the buffer */
} over_pos;

/* One partition, in one block of memory that holds, in this order, what
 * an arriving row reads: this struct with its frames' positions, the
 * encoded key (at st->key_off), the running aggregate states (8-aligned
 * after the key), and room for cap records (at rec_off). A partition that
 * needs more room moves to a bigger block (over_part_reserve). */
typedef struct over_part {
    uint32_t keylen;  /* bytes of the encoded key (over_key_encode) */
    uint32_t rec_off; /* offset of the records in the block */
    uint32_t head;    /* index of the first record: the least head of a frame */
    uint32_t n;       /* records held */
    uint32_t cap;     /* records the block has room for */
    uint32_t big;     /* a bit per frame (the first 32) whose SMALL aggregates are
                         in their states: set when it passes OVER_SMALL rows, clear
                         when it empties */
    int64_t newest;   /* the latest event time pushed (state TTL) */
    int64_t swept_wm; /* the watermark of the last eviction that went through */
    over_pos pos[];   /* one per frame */
} over_part;

/* A slot of the map: the partition's hash beside its address, so that a
 * probe reads no partition but the one it finds; the cache lines of its
 * block that a row reads, so that a lookup can fetch them all at once
 * (over_map_find, over_warm_mask); and when the
 * sweep has work in it, so that the sweep reads no partition that has none. */
typedef struct over_ent {
    uint32_t hash;  /* of the encoded key (its low bits) */
    uint32_t warm;  /* the cache lines of the partition's block that a row reads, counted
                       from the one its first byte is in: the first (warm & 255) lines,
                       and lines (warm >> 8 & 255) up to (warm >> 16 & 255) (over_warm_mask;
                       only a hint: a stale one costs time, never results) */
    over_part *p;   /* NULL: empty */
    int64_t due;    /* the watermark from which the sweep has work in it (over_due) */
} over_ent;

/* A string argument value, shared by every record that holds it. */
typedef struct over_str {
    struct over_str *next; /* in its bucket */
    uint64_t hash;
    uint32_t refs; /* records holding it */
    uint32_t len;
    char bytes[];
} over_str;

/* The interned strings: chained hash buckets. */
typedef struct over_strs {
    over_str **buckets; /* nbuckets chains; NULL until the first string */
    uint32_t nbuckets;  /* a power of two, or 0 */
    uint32_t n;         /* strings */
} over_strs;

/* Room for records comes in capacity classes 4, 6, 8, 12, 16, 24, ... (each
 * about 1.5 times the one before, so that at most a third of it is free):
 * a partition moves to a bigger block about once per doubling of its rows,
 * and a new one has room for a few. */
static inline uint32_t over_class_cap(uint32_t c) { return (4u + 2 * (c & 1)) << (c >> 1); }

/* The largest partition block cut from the chunks of over_mem (over_mem.c). */
#define OVER_BLOCK_MAX 4096

/* Where partition blocks come from (over_mem.c). */
typedef struct over_mem {
    struct over_chunk *chunks;               /* every chunk, the newest first */
    char *cur;                               /* the unused rest of the newest */
    size_t left;                             /* its bytes */
    void *free[OVER_BLOCK_MAX / 64];         /* freed blocks by size class: (i + 1) * 64
                                                bytes; each starts with the next */
} over_mem;

/* A block of n bytes (cache-line aligned when n <= OVER_BLOCK_MAX); NULL
 * when out of memory. */
void *over_block_alloc(over_mem *m, size_t n);
/* Give back block p of n bytes (the n it was allocated with). */
void over_block_free(over_mem *m, void *p, size_t n);
/* Free every chunk (every block cut from them goes with them). */
void over_mem_free(over_mem *m);

/* The most rows of a batch an OVER operator takes at once (op_over.c):
 * their keys are encoded first, and the map slots and partitions of the
 * rows ahead are loaded while a row is worked on. */
#define OVER_BATCH 64

/* The most operators an OVER operator warms the caches of. */
#define OVER_MAX_NEXT 8

/* The mutable state of one OVER node. */
typedef struct over_state {
    const vg_plan_node *node; /* read-only plan node */
    const vg_op_env *env;     /* the DAG's: the source partition of the row pushed */
    int64_t ttl;              /* state TTL in ms (vg_op.ttl_ms), 0: none */
    uint32_t nin;             /* input columns */
    uint32_t nslots;
    over_slot *slots;
    uint32_t nfilters;
    const vg_expr **filters; /* distinct FILTER conditions; bit nslots + i of the flags */
    uint32_t naggs;
    over_agg *aggs;  /* every frame's, in output order */
    uint32_t *steps; /* naggs: every frame's steps (over_frame.steps points in here) */
    uint32_t nframes;
    over_frame *frames;
    bool unbounded;      /* some frame is UNBOUNDED: partitions never empty */
    int64_t grace;       /* the largest RANGE preceding: the sweep leaves alone a
                            partition that had a row more recently (over_due) */
    size_t states_size;  /* bytes of one state block (every aggregate's state) */
    size_t hot_size;     /* bytes of its front part, the states of the aggregates
                            that are not SMALL: a partition none of whose frames is
                            big reads no others (over_warm_mask) */
    size_t key_off;      /* offset of the key in a partition */
    size_t rec_size;     /* bytes of a record: ts, nslots values, flags */
    uint32_t flag_bytes; /* 0, 1, 2, 4 or 8 */
    uint64_t flag_mask;  /* the bits of a flags word of flag_bytes bytes */
    /* partitions: open addressing, linear probing, backward-shift removal */
    over_ent *map; /* mcap slots */
    uint32_t mcap; /* a power of two */
    uint32_t nparts;
    over_strs strs;
    over_mem mem; /* where the partition blocks come from */
    /* event time */
    int64_t wm;           /* the watermark: rows older are late */
    uint32_t sweep_at;    /* next map slot the eviction sweep visits */
    uint64_t since_sweep; /* rows pushed since the last sweep */
    /* the OVER operators this one's rows go to next, one after the other
       (the windows of the other keys of one SELECT): this one warms their
       caches for each row (op_over.c) */
    uint32_t nnext;
    struct over_state *next[OVER_MAX_NEXT];
    bool chain_known; /* next[] was looked for */
    bool warmed;      /* an operator upstream warms this one's caches */
    bool pf_ready;    /* key and pf_hash hold the next row's key (warm_slot) */
    uint64_t pf_hash; /* the hash of the key of the row being warmed */
    /* scratch, reused for every row */
    vg_buf key;    /* the row's encoded key */
    char *rec;     /* the row's record being built */
    vg_value *out; /* the output row: input columns, then the aggregates */
    char *tmp;     /* a state block for frames computed afresh */
    /* batches (op_over.c) */
    vg_value *bout;                 /* OVER_BATCH output rows of nin + naggs values */
    int32_t bparts[OVER_BATCH];     /* their source partitions */
    vg_buf bkeys;                   /* the encoded keys of a batch's rows, one after another */
    uint32_t bkoff[OVER_BATCH];     /* row i's key: bkeys.p + bkoff[i], bklen[i] bytes */
    uint32_t bklen[OVER_BATCH];
    uint64_t bhash[OVER_BATCH];     /* its hash */
    bool bstr;                      /* some aggregate's result is a STRING */
} over_state;

/* ---- records ---- */

static inline char *over_rec(const over_state *st, const over_part *p, uint32_t i)
{
    return (char *)p + p->rec_off + (size_t)i * st->rec_size;
}

static inline int64_t over_rec_ts(const char *rec)
{
    int64_t t;
    memcpy(&t, rec, 8);
    return t;
}

static inline uint64_t over_rec_word(const char *rec, uint32_t slot)
{
    uint64_t w;
    memcpy(&w, rec + 8 + 8 * (size_t)slot, 8);
    return w;
}

/* Bytes that can be read after the start of any record's flags word, so
 * that it is read as one 8-byte word and masked: a partition block has
 * OVER_REC_PAD bytes after its last record, st->rec has them too, and a
 * record elsewhere is followed by the next. */
#define OVER_REC_PAD 8

/* Copy a record of n bytes from s to d, without a call for the common
 * sizes (8 to 64: two moves of 8, 16 or 32 bytes that overlap); exactly n
 * bytes are written. */
static inline void over_rec_copy(char *d, const char *s, size_t n)
{
    if (n >= 16 && n <= 32) {
        memcpy(d, s, 16);
        memcpy(d + n - 16, s + n - 16, 16);
    } else if (n > 32 && n <= 64) {
        memcpy(d, s, 32);
        memcpy(d + n - 32, s + n - 32, 32);
    } else if (n >= 8 && n < 16) {
        memcpy(d, s, 8);
        memcpy(d + n - 8, s + n - 8, 8);
    } else {
        memcpy(d, s, n);
    }
}

static inline uint64_t over_rec_flags(const over_state *st, const char *rec)
{
    uint64_t w;
    memcpy(&w, rec + 8 + 8 * (size_t)st->nslots, 8); /* (OVER_REC_PAD) */
    return w & st->flag_mask;
}

/* Whether rec's row goes into aggregate a (its FILTER held). */
static inline bool over_rec_counts(const over_state *st, const char *rec, const over_agg *a)
{
    return a->filter < 0 || (over_rec_flags(st, rec) >> a->filter & 1);
}

static inline const char *over_part_key(const over_state *st, const over_part *p)
{
    return (const char *)p + st->key_off;
}

static inline char *over_part_states(const over_state *st, const over_part *p)
{
    return (char *)p + st->key_off + ((p->keylen + 7) & ~(size_t)7);
}

/* t - p, saturating at the bottom of time. */
static inline int64_t over_minus(int64_t t, int64_t p)
{
    return t < INT64_MIN + p ? INT64_MIN : t - p;
}

/* t + p, saturating at the top of time. */
static inline int64_t over_plus(int64_t t, int64_t p)
{
    return t > INT64_MAX - p ? INT64_MAX : t + p;
}

/* Whether p's state has expired: its newest row is older than the
 * watermark less the TTL. */
static inline bool over_expired(const over_state *st, const over_part *p)
{
    return st->ttl > 0 && p->newest < over_minus(st->wm, st->ttl);
}

/* A STRING argument value of rec held inline: its bytes, in the record. */
static inline vg_value over_rec_inline(const char *rec, uint32_t slot)
{
    uint64_t w = over_rec_word(rec, slot);
    uint32_t len = w ? (uint32_t)(63 - __builtin_clzll(w)) / 8 + 1 : 0;
    return vg_str(rec + 8 + 8 * (size_t)slot, len);
}

/* The value of slot s of rec, whose flags word is flags (a STRING points
 * into the record when inline, else into its interned copy). */
static inline vg_value over_rec_value(const over_state *st, const char *rec, uint64_t flags,
                                      uint32_t s)
{
    uint64_t w = over_rec_word(rec, s);
    if (flags >> s & 1)
        return vg_null();
    if (st->slots[s].type != VG_T_STRING)
        return vg_int((int64_t)w); /* the bits of any 8-byte value */
    if (flags >> st->slots[s].inl & 1)
        return over_rec_inline(rec, s);
    const over_str *str = (const over_str *)(uintptr_t)w;
    return vg_str(str->bytes, str->len);
}

/* The argument values of aggregate a in rec. */
static inline void over_rec_args(const over_state *st, const char *rec, const over_agg *a,
                                 vg_value *args)
{
    uint64_t flags = over_rec_flags(st, rec);
    for (uint32_t k = 0; k < a->call->nargs; k++)
        args[k] = over_rec_value(st, rec, flags, a->slot[k]);
}

/* Give back the strings rec holds. */
void over_rec_release(over_state *st, const char *rec);
/* Put string s[0..len) into STRING slot `slot` of rec: inline (setting its
 * bit in *flags) when it fits, else interned. 0, or -1 when out of memory. */
int over_rec_put_string(over_state *st, char *rec, uint32_t slot, const char *s, uint32_t len,
                        uint64_t *flags);
/* Fill st->rec from an input row (event time t): evaluates arguments and
 * filters, interns strings. 0, or -1 when out of memory (nothing held). */
int over_rec_build(over_state *st, const vg_value *row, int64_t t, vg_eval_ctx *ctx);
/* Write the flags word of rec. */
void over_rec_set_flags(const over_state *st, char *rec, uint64_t flags);

/* ---- interned strings (over_buf.c) ---- */

/* The interned copy of s[0..len) with one more reference; NULL when out of memory. */
over_str *over_str_get(over_state *st, const char *s, uint32_t len);
void over_str_put(over_state *st, over_str *s);

/* ---- partitions and buffers (over_buf.c) ---- */

uint64_t over_hash(const void *p, size_t n);
/* Encode the source partition and the key columns of row into st->key. 0
 * or -1 (out of memory). */
int over_key_encode(over_state *st, int32_t partition, const vg_value *row);
/* The same, appended to b (b unchanged but maybe grown on -1). */
int over_key_append(const over_state *st, vg_buf *b, int32_t partition, const vg_value *row);
/* The source partition and key columns back from p's key (strings point into it). */
void over_key_decode(const over_state *st, const over_part *p, int32_t *partition, vg_value *out);
/* The map slot of key (hash h), or -1. Fetches the partition's block into
 * the cache ahead of its use (over_warm). */
int64_t over_map_find(const over_state *st, const char *key, uint32_t len, uint64_t h);
/* Start loading the cache line at p. gcc 12 deletes a loop whose body is
 * only __builtin_prefetch (it counts it as no effect), so on x86 this is
 * the instruction itself. */
static inline void over_prefetch(const void *p)
{
#if defined(__x86_64__) || defined(__i386__)
    __asm__ volatile("prefetcht0 %0" : : "m"(*(const char *)p));
#else
    __builtin_prefetch(p);
#endif
}

/* Start loading the lines of the partition of map slot e that a row reads. */
static inline void over_warm(const over_ent *e)
{
    const char *line = (const char *)((uintptr_t)e->p & ~(uintptr_t)63);
    uint32_t w = e->warm, front = w & 255, to = w >> 16 & 255;
    for (uint32_t l = 0; l < front; l++)
        over_prefetch(line + 64 * (size_t)l);
    for (uint32_t l = w >> 8 & 255; l < to; l++)
        over_prefetch(line + 64 * (size_t)l);
}
/* The lines of p's block that a row reads, for over_ent.warm: its header,
 * frame positions, key and states (not those of SMALL aggregates while no
 * frame is big), and its records from the first to the room after the last
 * (where the next one goes); of its first 32 lines. */
static inline uint32_t over_warm_mask(const over_state *st, const over_part *p)
{
    size_t at = (uintptr_t)p & 63, rs = st->rec_size;
    uint32_t last = p->head + p->n + 1 < p->cap ? p->head + p->n + 1 : p->cap;
    size_t front = p->big ? p->rec_off : p->rec_off - (st->states_size - st->hot_size);
    size_t lines = (at + front + 63) / 64, from = (at + p->rec_off + p->head * rs) / 64;
    size_t to = (at + p->rec_off + last * rs + 63) / 64;
    lines = lines < 32 ? lines : 32;
    to = to < 32 ? to : 32;
    from = from < to ? from : to;
    return (uint32_t)(lines | from << 8 | to << 16);
}
/* The map slot of key (hash h), or -1, as over_map_find, without loading
 * the partition's lines (the caller has started that). */
int64_t over_map_seek(const over_state *st, const char *key, uint32_t len, uint64_t h);
/* A new empty partition for key (absent from the map): running states
 * initialised. Its map slot, or -1 when out of memory (the map unchanged). */
int64_t over_map_add(over_state *st, const char *key, uint32_t len, uint64_t h);
/* Remove the partition at map slot i and free it with everything it holds. */
void over_map_remove(over_state *st, uint32_t i);
/* Free every partition, its records and states, and the map. */
void over_map_free(over_state *st);
/* Empty p: its records, running states and positions, as a new partition. */
void over_part_reset(over_state *st, over_part *p);
/* Room for `more` records after the last of e's partition, which may move
 * to a new block (e->p follows). 0 or -1 (out of memory: nothing moved). */
int over_part_reserve(over_state *st, over_ent *e, uint32_t more);
/* over_part_reserve, with its common case (room there already) inline. */
static inline int over_part_room(over_state *st, over_ent *e, uint32_t more)
{
    const over_part *p = e->p;
    return (uint64_t)p->head + p->n + more <= p->cap ? 0 : over_part_reserve(st, e, more);
}
/* Move e's partition to a smaller block when at most a quarter of its room
 * is used (a failure to allocate one keeps it where it is). */
void over_part_shrink(over_state *st, over_ent *e);

/* ---- frames (over_frame.c) ---- */

/* Whether frame fi of p has its SMALL aggregates in their states (only
 * the first 32 frames have SMALL ones). */
static inline bool over_big(const over_part *p, uint32_t fi)
{
    return fi < 32 && (p->big >> fi & 1);
}

/* Add rec to (or retract it from) frame f's states in the block `states`:
 * the aggregates of kind OVER_STATE, and OVER_SMALL ones too with small. */
void over_step(over_state *st, const over_frame *f, char *states, const char *rec, bool add,
               bool small, vg_error *err);
/* A row at or after p's newest, its record rec just appended to p (event
 * time t), into every frame: added, the rows each frame no longer holds
 * retracted, and every result into st->out. */
void over_arrive(over_state *st, over_part *p, const char *rec, int64_t t, vg_error *err);
/* Initialise (or destroy) the states of frame f's aggregates of kind how
 * (OVER_STATE or OVER_SMALL) in `states`. */
void over_frame_states(const over_state *st, const over_frame *f, char *states, bool init,
                       over_how how);
/* Retract from frame fi the records at the front of its running frame that
 * the frame of a row at time t (p's newest) no longer holds. */
void over_shrink(over_state *st, over_part *p, uint32_t fi, int64_t t, vg_error *err);
/* Frame fi of p has taken or lost rows: its SMALL aggregates go into their
 * states when it passes OVER_SMALL rows, and come out when it is empty. */
void over_size_changed(over_state *st, over_part *p, uint32_t fi, vg_error *err);
/* Evict from every frame of p what the watermark allows, then the records
 * no frame holds any more. */
void over_evict(over_state *st, over_part *p, vg_error *err);
/* The watermark from which the sweep has work in p: its first record can
 * leave the buffer (every frame that holds it can evict it) and p has had
 * no row for the longest RANGE of its frames (a partition that has rows
 * evicts on their arrival), or its TTL has passed; INT64_MAX for never. */
int64_t over_due(const over_state *st, const over_part *p);

/* The result of aggregate a of frame f over the records [from, end) of p,
 * whose states are in the state block `states` (SMALL ones only when big). */
void over_result(const over_state *st, const over_part *p, const over_frame *f, const over_agg *a,
                 const char *states, uint32_t from, uint32_t end, bool big, vg_value *out);
/* Every result of frame fi into st->out (see over_result). */
void over_results(over_state *st, const over_part *p, uint32_t fi, const char *states,
                  uint32_t from, uint32_t end, bool big);
/* The first record of frame f's running frame in p (UNBOUNDED: its head). */
static inline uint32_t over_frame_from(const over_frame *f, const over_part *p, uint32_t fi)
{
    return f->pre < 0 ? p->pos[fi].head : p->pos[fi].lo;
}
/* Open and close (over_open.c). */
int over_open(vg_op *op, vg_error *err);
void over_close(vg_op *op);

/* ---- the operator's state as bytes and rows (over_snap.c) ---- */

/* vg_op_kind's snapshot, restore, iterate and lookup for OVER. */
int over_snapshot(vg_op *op, vg_buf *out, vg_error *err);
int over_restore(vg_op *op, const void *p, size_t n, vg_error *err);
int over_iterate(vg_op *op, vg_op_visit_fn fn, void *arg);
int over_lookup(vg_op *op, int32_t partition, const vg_value *key, vg_op_visit_fn fn, void *arg);

#endif
